#!/usr/bin/env bash
# The dashboard at /ui (docs/serve.md, "The dashboard"): biasmon serve runs real executions of three
# schedules (SageMaker's rule, the statistical rule, one whose ground truth never arrives) through
# its workers (biasmon run --at T --wait); headless Chromium (tests/js/ui.mjs, JavaScript off) then
# checks that the overview and each schedule's page show what ListMonitoringExecutions and the
# executions' analysis.json, constraint_violations.json and bias_evidence.json say, that the report
# links open the executions' own files and that nothing is fetched from elsewhere. The index the
# pages are drawn from (DATA_DIR/series/) gives the same page from the file, rebuilt when removed or
# damaged. Only executions in the state have files served, and only report.html and analysis.json.
# In a network namespace of its own (unshare -rn: only its loopback exists), the service listens on
# 0.0.0.0, beyond loopback, and the dashboard then needs DATA_DIR/ui-token: missing or wrong is
# refused, the right one (Authorization: Bearer, or the login link's cookie) is let in, in curl and
# in Chromium. Screenshots go to $BM_SCREENSHOT_DIR when set.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
PY=/usr/bin/python3
js=$BM_SOURCE_DIR/tests/js
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
for t in /usr/bin/chromium /usr/bin/curl "$PY" /usr/bin/unshare /usr/sbin/ip; do
    [ -x "$t" ] || { echo "FAIL: $t is missing (scripts/deps.sh test installs chromium, curl, python3, iproute2)"; exit 1; }
done
[ -d "$js/node_modules/playwright-core" ] || { echo "FAIL: playwright-core is missing (npm ci in tests/js)"; exit 1; }
w=$(mktemp -d) d=$(mktemp -d) # the data directory beside $w, which the service may use
data="$d/data" pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
call() { "$BM_BIN" call --data-dir "$data" "$@"; }
started() { # waits for serve.json; the pid in $pid
    for _ in $(seq 1 150); do
        [ -s "$data/serve.json" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# ---- the demo's baseline (with bias_counts.json for the statistical rule), 5 hours of traffic
DEMO_OUT="$w/base" DEMO_STEPS=baseline bash "$BM_SOURCE_DIR/scripts/demo.sh" "$BM_BIN" >"$w/base.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; cat "$w/base.log"; exit 1; }
"$PY" "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 5 --per-hour 300 --drift-from 2 >/dev/null || { echo "FAIL: make_sample_monitoring.py"; exit 1; }
mkdir -p "$w/no-ground-truth"
jobdef() { # name, ground truth folder, environment JSON
    cat <<J
{"JobDefinitionName": "$1",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json",
   "Environment": $3},
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "file://$w/base/analysis.json"}},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$2"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/monitoring", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::123456789012:role/biasmon-test"}
J
}

# ---- biasmon serve on real time from 15:05 (no tick is due for 55 minutes: the executions are
#      the ones asked for below)
serve() { # listen address; then the service's other arguments
    local listen=$1; shift
    "$BM_BIN" serve --data-dir "$data" --listen "$listen" --allow-root "$w" --allow-root "$BM_SOURCE_DIR/data" \
        --poll-ms 50 --workers 3 --time-start 2026-11-24T15:05:00Z "$@" >>"$w/serve.log" 2>&1 &
    pid=$!
}
serve 127.0.0.1:0
started || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
base=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
call CreateEndpointConfig "{\"EndpointConfigName\": \"c\", \"ProductionVariants\": [{\"VariantName\": \"AllTraffic\", \"ModelName\": \"m\"}],
  \"DataCaptureConfig\": {\"EnableCapture\": true, \"InitialSamplingPercentage\": 100, \"DestinationS3Uri\": \"file://$w/traffic/capture\",
  \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}}" >/dev/null &&
    call CreateEndpoint '{"EndpointName": "adult-income", "EndpointConfigName": "c"}' >/dev/null &&
    call CreateModelBiasJobDefinition "$(jobdef jd-sagemaker "$w/traffic/ground-truth" '{}')" >/dev/null &&
    call CreateModelBiasJobDefinition "$(jobdef jd-stat "$w/traffic/ground-truth" '{"BIASMON_ALARM_RULE": "statistical"}')" >/dev/null &&
    call CreateModelBiasJobDefinition "$(jobdef jd-nolabels "$w/no-ground-truth" '{}')" >/dev/null ||
    { echo "FAIL: creating the endpoint and job definitions"; cat "$w/serve.log"; exit 1; }
for s in sagemaker stat nolabels; do
    call CreateMonitoringSchedule "{\"MonitoringScheduleName\": \"adult-$s\", \"MonitoringScheduleConfig\": {\"ScheduleConfig\":
      {\"ScheduleExpression\": \"cron(0 * ? * * *)\"}, \"MonitoringJobDefinitionName\": \"jd-$s\", \"MonitoringType\": \"ModelBias\"}}" \
        >/dev/null || { echo "FAIL: CreateMonitoringSchedule adult-$s"; exit 1; }
done
# the windows 10:00-15:00, each schedule's in order (the statistical rule pools earlier windows)
runs=()
for s in sagemaker stat nolabels; do
    (for h in 11 12 13 14 15; do
        timeout 300 "$BM_BIN" run "adult-$s" --at "2026-11-24T$h:00:00Z" --wait --data-dir "$data" >>"$w/run-$s.log" 2>&1
    done) &
    runs+=($!)
done
wait "${runs[@]}"
for _ in $(seq 1 300); do # every run has finished: 15 executions, none Pending or InProgress
    n=$(call ListMonitoringExecutions '{"MaxResults": 100}' | "$PY" -c 'import json,sys; e=json.load(sys.stdin)["MonitoringExecutionSummaries"]; print(sum(x["MonitoringExecutionStatus"] not in ("Pending","InProgress") for x in e))')
    [ "$n" = 15 ] && break
    sleep 0.2
done
check "15 executions finished (got $n)" test "$n" = 15
call StopMonitoringSchedule '{"MonitoringScheduleName": "adult-nolabels"}' >/dev/null
expect() { # the service's view for ui.mjs: schedules, their executions (newest first), output folders
    "$PY" - "$w" "$data" "$BM_BIN" <<'P' >"$w/expect.json"
import json, os, subprocess, sys, time
w, data, bm = sys.argv[1:4]
def call(op, body):
    return json.loads(subprocess.run([bm, "call", "--data-dir", data, op, json.dumps(body)], check=True,
                                     capture_output=True, text=True).stdout)
out = []
for s in call("ListMonitoringSchedules", {"SortBy": "Name", "SortOrder": "Ascending"})["MonitoringScheduleSummaries"]:
    name = s["MonitoringScheduleName"]
    ex = call("ListMonitoringExecutions", {"MonitoringScheduleName": name, "SortBy": "ScheduledTime",
                                          "SortOrder": "Descending", "MaxResults": 100})["MonitoringExecutionSummaries"]
    rows = []
    for e in ex:
        t = int(e["ScheduledTime"])
        folder = os.path.join(w, "monitoring", "adult-income", name, time.strftime("%Y/%m/%d/%H", time.gmtime(t)))
        rows.append({"scheduled": t, "status": e["MonitoringExecutionStatus"], "reason": e.get("FailureReason", ""),
                     "violations": len(json.load(open(os.path.join(folder, "constraint_violations.json")))["violations"])
                                   if os.path.exists(os.path.join(folder, "constraint_violations.json")) else 0,
                     "output": folder if e["MonitoringExecutionStatus"].startswith("Completed") else None})
    out.append({"name": name, "state": s["MonitoringScheduleStatus"], "endpoint": "adult-income",
                "baseline": os.path.join(w, "base", "analysis.json"), "executions": rows})
print(json.dumps({"schedules": out}))
P
}
expect || { echo "FAIL: the expected view"; exit 1; }
check "the three schedules: 5 Completed*, 5 Completed*, 5 Failed" "$PY" -c '
import json, sys
s = {x["name"]: [e["status"] for e in x["executions"]] for x in json.load(open(sys.argv[1]))["schedules"]}
assert all(t.startswith("Completed") for t in s["adult-sagemaker"] + s["adult-stat"]) and len(s["adult-stat"]) == 5, s
assert s["adult-nolabels"] == ["Failed"] * 5, s' "$w/expect.json"

# ---- in Chromium: what is shown is what the files say; nothing leaves the service
NODE_NO_WARNINGS=1 timeout 600 node "$js/ui.mjs" "$base" "$w/expect.json" "$w" >"$w/browser.out" 2>&1
rc=$?
check "Chromium shows the dashboard as the state and the outputs say (exit $rc: $(tail -8 "$w/browser.out"))" test "$rc" = 0
check "screenshots saved" test -s "$w/ui-overview.png" -a -s "$w/ui-schedule-adult-stat.png"

# ---- the index: the same page from the file, and rebuilt when removed or damaged
page() { curl -s --max-time 60 "$base/ui/schedules/adult-stat" -o "$1"; }
idx="$data/series/adult-stat.jsonl"
page "$w/p1.html"
check "the index file of a viewed schedule exists, one line per completed execution" \
    test "$(grep -c '"m":' "$idx" 2>/dev/null)" = 5
page "$w/p2.html"
check "a page drawn from the index equals the page drawn from the outputs" cmp -s "$w/p1.html" "$w/p2.html"
check "the page has the statistical rule's band" grep -q 'class="band"' "$w/p1.html"
rm -f "$idx"
page "$w/p3.html"
check "the index is rebuilt when removed, with the same page" cmp -s "$w/p1.html" "$w/p3.html"
check "the removed index file is written again" test -s "$idx"
head -c 300 "$idx" >"$w/cut" && printf 'not json\n' >>"$w/cut" && cp "$w/cut" "$idx"
page "$w/p4.html"
check "a damaged index gives the same page and is rewritten" \
    bash -c 'cmp -s "$1" "$2" && test "$(grep -c "\"m\":" "$3")" = 5 && ! grep -q "not json" "$3"' _ "$w/p1.html" "$w/p4.html" "$idx"

# ---- files of executions in the state only, and only those two
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@"; }
first=$(grep -o 'href="/ui/executions/[0-9]*/report.html"' "$w/p1.html" | head -1 | sed 's/.*executions\/\([0-9]*\)\/.*/\1/')
failed=$(curl -s --max-time 30 "$base/ui/schedules/adult-nolabels" | grep -o 'data-exec-id="[0-9]*"' | head -1 | grep -o '[0-9]*')
check "a completed execution's report answers 200" test "$(code "$base/ui/executions/$first/report.html")" = 200
check "a Failed execution has no report (404)" test "$(code "$base/ui/executions/$failed/report.html")" = 404
check "an execution that does not exist: 404" test "$(code "$base/ui/executions/999999/report.html")" = 404
check "another file of the folder: 404" test "$(code "$base/ui/executions/$first/execution.json")" = 404
check "a path out of the folder: 404" test "$(code --path-as-is "$base/ui/executions/$first/../../../etc/passwd")" = 404
check "a schedule that does not exist: 404" test "$(code "$base/ui/schedules/nope")" = 404
check "the dashboard is read-only: POST gets 405" test "$(code -X POST "$base/ui")" = 405
check "on loopback no token is needed" test "$(code "$base/ui")" = 200
check "the daemon logged ui_token=off on loopback" grep -q 'event=listening .*ui_token=off' "$w/serve.log"
check "ui-token is the owner's only (0600)" test "$(stat -c %a "$data/ui-token")" = 600

kill -TERM "$pid"; wait "$pid"; pid=""

# ---- beyond loopback, in a network namespace of its own: the token is required
token=$(cat "$data/ui-token")
cat >"$w/netns.sh" <<'N'
set -u
PATH=$PATH:/usr/sbin:/sbin
ip link set lo up || exit 9
"$BM_BIN" serve --data-dir "$data" --listen 0.0.0.0:0 --allow-root "$w" --allow-root "$BM_SOURCE_DIR/data" \
    --poll-ms 50 --time-start 2026-11-24T15:05:00Z >>"$w/serve.log" 2>&1 &
p=$!
for _ in $(seq 1 150); do [ -s "$data/serve.json" ] && break; sleep 0.1; done
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$data/serve.json")
u="http://127.0.0.1:$port"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$@"; }
{
    echo "nothing $(code "$u/ui")"
    echo "schedule_nothing $(code "$u/ui/schedules/adult-stat")"
    echo "report_nothing $(code "$u/ui/executions/1/report.html")"
    echo "wrong_bearer $(code -H "Authorization: Bearer ${token//?/0}" "$u/ui")"
    echo "right_bearer $(code -H "Authorization: Bearer $token" "$u/ui")"
    echo "wrong_cookie $(code -H "Cookie: biasmon_ui=${token//?/a}" "$u/ui")"
    echo "wrong_login $(code "$u/ui/login?token=${token//?/0}")"
    echo "login $(code "$u/ui/login?token=$token")"
    echo "cookie $(code -H "Cookie: x=1; biasmon_ui=$token" "$u/ui")"
    echo "metrics $(code "$u/metrics")"
    curl -s -D - -o /dev/null --max-time 30 "$u/ui/login?token=$token" | tr -d '\r' | grep -i '^set-cookie:\|^location:'
} >"$w/netns.out"
NODE_NO_WARNINGS=1 timeout 600 node "$js/ui.mjs" "$u" "$w/expect.json" "$w/token-shots" "$token" >"$w/browser-token.out" 2>&1
echo "browser $?" >>"$w/netns.out"
kill -TERM $p; wait $p
N
mkdir -p "$w/token-shots"
BM_BIN=$BM_BIN BM_SOURCE_DIR=$BM_SOURCE_DIR data=$data w=$w token=$token js=$js timeout 900 unshare -rn bash "$w/netns.sh"
rc=$?
check "a network namespace of its own (unshare -rn; exit $rc: unprivileged user namespaces are needed)" test "$rc" = 0
got() { grep -q "^$1 $2\$" "$w/netns.out"; }
check "beyond loopback the daemon logged ui_token=required" grep -q 'event=listening host=0.0.0.0 .*ui_token=required' "$w/serve.log"
check "beyond loopback, /ui without the token: 401" got nothing 401
check "beyond loopback, a schedule's page without the token: 401" got schedule_nothing 401
check "beyond loopback, a report without the token: 401" got report_nothing 401
check "a wrong bearer token: 401" got wrong_bearer 401
check "the right bearer token: 200" got right_bearer 200
check "a wrong cookie: 401" got wrong_cookie 401
check "a wrong login link: 401" got wrong_login 401
check "the right login link: 303" got login 303
check "the login sets an HttpOnly, SameSite=Strict cookie for /ui and leads to /ui" \
    bash -c 'grep -qi "^set-cookie: biasmon_ui=$1; Path=/ui; HttpOnly; SameSite=Strict$" "$2" && grep -qi "^location: /ui$" "$2"' _ "$token" "$w/netns.out"
check "the cookie lets in: 200" got cookie 200
check "/metrics is unchanged (no token): 200" got metrics 200
check "Chromium behind the token: refused without, let in by the login link, the same pages ($(tail -5 "$w/browser-token.out"))" got browser 0
check "no refusal quotes the token" bash -c '! grep -q "$1" "$2"' _ "$token" "$w/serve.log"

# ---- many schedules: the overview in pages of 100 (a data directory from bench/ui_state_gen)
gen=${BM_BUILD_DIR:-}/ui_state_gen
if [ ! -x "$gen" ]; then
    echo "FAIL: $gen is missing (BM_BUILD_DIR: the build's bench/ui_state_gen)"; fails=$((fails + 1))
else
    data="$d/many"
    "$gen" "$data" 150 1 >/dev/null || { echo "FAIL: ui_state_gen"; exit 1; }
    serve 127.0.0.1:0
    started || { echo "FAIL: biasmon serve did not start on the generated directory"; cat "$w/serve.log"; exit 1; }
    u=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
    curl -s --max-time 60 "$u/ui" -o "$w/o1.html"; curl -s --max-time 60 "$u/ui?page=2" -o "$w/o2.html"
    rows() { grep -o '<tr data-schedule="[^"]*"' "$1" | sort -u | wc -l; }
    check "150 schedules: 100 on the first page" test "$(rows "$w/o1.html")" = 100
    check "150 schedules: 50 on the second, none of the first's"         bash -c 'test "$(cat "$1" "$2" | grep -o "<tr data-schedule=\"[^\"]*\"" | sort -u | wc -l)" = 150' _ "$w/o1.html" "$w/o2.html"
    check "the pages link to each other"         bash -c 'grep -q "href=\"/ui?page=2\">next page" "$1" && grep -q "href=\"/ui?page=1\">previous page" "$2"' _ "$w/o1.html" "$w/o2.html"
    curl -s --max-time 60 "$u/ui/schedules/model-0001-hourly" -o "$w/g1.html"
    want=$(grep -c '"m":' "$data/series/model-0001-hourly.jsonl")
    check "a generated schedule's charts draw its index's $want executions"         bash -c 'test "$(grep -o "data-points=\"[0-9]*\"" "$1" | sort -u)" = "data-points=\"$2\""' _ "$w/g1.html" "$want"
    kill -TERM "$pid"; wait "$pid"; pid=""
fi

if [ -n "${BM_SCREENSHOT_DIR:-}" ]; then cp "$w"/ui-*.png "$BM_SCREENSHOT_DIR/"; fi
echo "serve_ui: $passes passed, $fails failed"
[ "$fails" = 0 ]
