#!/usr/bin/env bash
# The real Prometheus server (/usr/bin/prometheus) scrapes biasmon serve's GET /metrics every
# second; its HTTP API must then return the bias metrics of the latest completed execution of each
# schedule: DI of an hourly schedule equal to that execution's analysis.json (within 1e-9), with
# labels that mirror the CloudWatch dimensions of cloudwatch_metrics.jsonl; execution counts equal
# to ListMonitoringExecutions; metrics Clarify could not compute (an "error" in analysis.json)
# absent; an infinite metric exported as +Inf.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
PY=/usr/bin/python3 PROM=/usr/bin/prometheus
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
for t in "$PROM" "$PY" /usr/bin/curl; do
    [ -x "$t" ] || { echo "FAIL: $t is missing (scripts/deps.sh test installs prometheus, python3, curl)"; exit 1; }
done
w=$(mktemp -d)
d=$(mktemp -d) # data directories beside $w: the service may use $w (--allow-root), which may not hold them
data="$d/data" pid="" prom=""
cleanup() {
    if [ -n "$prom" ]; then kill -KILL "$prom" 2>/dev/null; wait "$prom" 2>/dev/null; fi
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
j() { # FILE EXPR: a Python expression over d, the JSON in FILE
    "$PY" - "$@" <<'P'
import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r))
P
}
call() { "$BM_BIN" call --data-dir "$data" "$@"; }

# ---- traffic 10:00-14:00; an analysis config without a group variable (CDDL and CDDPL cannot be
#      computed) whose facet is a handful of rare education levels (an infinite metric at 13:00)
"$PY" "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 4 --per-hour 200 --drift-from 2 >/dev/null || { echo "FAIL: make_sample_monitoring.py"; exit 1; }
"$PY" - "$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json" "$w/ac_edu.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
del c["group_variable"]
c["facet"] = [{"name_or_index": "education", "value_or_threshold": ["Preschool", "1st-4th", "5th-6th"]}]
c["excluded_columns"] = [x for x in c["excluded_columns"] if x != "education"]
json.dump(c, open(sys.argv[2], "w"))
P
jobdef() { # name, analysis config
    cat <<J
{"JobDefinitionName": "$1",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$2"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$w/traffic/ground-truth"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/monitoring", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::123456789012:role/biasmon-test"}
J
}

# ---- biasmon serve at an hour a second, from 10:30
"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --allow-root "$BM_SOURCE_DIR/data" --poll-ms 50 --workers 2 --time-scale 3600 \
    --time-start 2026-11-24T10:30:00Z >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -s "$data/serve.json" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
port=$(j "$data/serve.json" 'd["port"]')

# ---- Prometheus on a free port, scraping every second
pport=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$w/prometheus.yml" <<Y
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$BM_SOURCE_DIR/contrib/prometheus/biasmon-rules.yml"]
scrape_configs:
  - job_name: biasmon
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ["127.0.0.1:$port"]
Y
"$PROM" --config.file="$w/prometheus.yml" --storage.tsdb.path="$w/tsdb" --web.listen-address="127.0.0.1:$pport" \
    --log.level=warn >"$w/prometheus.log" 2>&1 &
prom=$!
papi="http://127.0.0.1:$pport"
q() { # PromQL -> the API's JSON on stdout
    curl -sS --max-time 5 -G "$papi/api/v1/query" --data-urlencode "query=$1"
}

# ---- endpoint, job definitions, schedules (the project's own signing client)
call CreateEndpointConfig "{\"EndpointConfigName\": \"adult-income-config\",
  \"ProductionVariants\": [{\"VariantName\": \"AllTraffic\", \"ModelName\": \"adult-rule\"}],
  \"DataCaptureConfig\": {\"EnableCapture\": true, \"InitialSamplingPercentage\": 100,
    \"DestinationS3Uri\": \"file://$w/traffic/capture\", \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}}" >/dev/null &&
call CreateEndpoint '{"EndpointName": "adult-income", "EndpointConfigName": "adult-income-config"}' >/dev/null &&
call CreateModelBiasJobDefinition "$(jobdef bias-sex "$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json")" >/dev/null &&
call CreateModelBiasJobDefinition "$(jobdef bias-edu "$w/ac_edu.json")" >/dev/null &&
call CreateMonitoringSchedule '{"MonitoringScheduleName": "sex-hourly", "MonitoringScheduleConfig": {"ScheduleConfig":
  {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "bias-sex"}}' >/dev/null &&
call CreateMonitoringSchedule '{"MonitoringScheduleName": "edu-daily", "MonitoringScheduleConfig": {"ScheduleConfig":
  {"ScheduleExpression": "cron(0 6 ? * * *)"}, "MonitoringJobDefinitionName": "bias-edu"}}' >/dev/null &&
call StopMonitoringSchedule '{"MonitoringScheduleName": "edu-daily"}' >/dev/null
check "set-up calls" test $? = 0

# ---- the hourly schedule runs until an execution completed, then stops; edu-daily runs 13:00 on demand
completed=no
for _ in $(seq 1 600); do
    call ListMonitoringExecutions '{"MonitoringScheduleName": "sex-hourly", "MaxResults": 100}' >"$w/ex.json" 2>/dev/null &&
        [ "$(j "$w/ex.json" 'sum(x["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations") for x in d["MonitoringExecutionSummaries"])')" -ge 1 ] &&
        { completed=yes; break; }
    sleep 0.2
done
check "a Completed or CompletedWithViolations execution of sex-hourly within 120 s" test "$completed" = yes
call StopMonitoringSchedule '{"MonitoringScheduleName": "sex-hourly"}' >/dev/null
timeout 60 "$BM_BIN" run edu-daily --at 2026-11-24T13:00:00Z --wait --data-dir "$data" >"$w/run.json" 2>"$w/run.err"
check "biasmon run edu-daily --at 13:00 --wait: Completed ($(cat "$w/run.err"))" test "$(j "$w/run.json" 'd["MonitoringExecutionStatus"]')" = Completed
idle=no
for _ in $(seq 1 600); do
    call ListMonitoringExecutions '{"MaxResults": 100}' >"$w/all.json" 2>/dev/null &&
        [ "$(j "$w/all.json" 'sum(x["MonitoringExecutionStatus"] in ("Pending", "InProgress") for x in d["MonitoringExecutionSummaries"])')" = 0 ] &&
        { idle=yes; break; }
    sleep 0.2
done
check "no execution left running" test "$idle" = yes
idle_at=$(date +%s.%N)
# the execution /metrics reports: the latest completed one of sex-hourly
latest=$(j "$w/all.json" 'max(x["ScheduledTime"] for x in d["MonitoringExecutionSummaries"] if x["MonitoringScheduleName"] == "sex-hourly" and x["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"))')
hour=$(date -u -d "@$latest" +%Y/%m/%d/%H)
folder="$w/monitoring/adult-income/sex-hourly/$hour"
check "the latest completed execution has analysis.json and cloudwatch_metrics.jsonl" test -s "$folder/analysis.json" -a -s "$folder/cloudwatch_metrics.jsonl"

# ---- Prometheus: wait for a scrape taken after the last execution ended
ready=no
for _ in $(seq 1 300); do
    q "timestamp(biasmon_bias_metric{metric=\"DI\",facet=\"sex\"})" >"$w/q.json" 2>/dev/null &&
        [ "$(j "$w/q.json" "len(d['data']['result']) == 1 and float(d['data']['result'][0]['value'][1]) > $idle_at")" = true ] &&
        { ready=yes; break; }
    kill -0 "$prom" 2>/dev/null || break
    sleep 0.3
done
check "Prometheus has biasmon_bias_metric{metric=\"DI\",facet=\"sex\"} from a scrape after the executions (90 s)" test "$ready" = yes
q 'up{job="biasmon"}' >"$w/up.json"
check "the scrape target is up" test "$(j "$w/up.json" '[r["value"][1] for r in d["data"]["result"]]')" = '["1"]'
q 'biasmon_bias_metric{metric="DI",facet="sex"}' >"$w/di.json"
check "DI equals analysis.json's, labels mirror the CloudWatch dimensions" "$PY" - "$w/di.json" "$folder" <<'P'
import json, sys
res = json.load(open(sys.argv[1]))["data"]["result"]
folder = sys.argv[2]
assert len(res) == 1, res
lab, val = res[0]["metric"], float(res[0]["value"][1])
a = json.load(open(folder + "/analysis.json"))["post_training_bias_metrics"]
di = [m["value"] for e in a["facets"]["sex"] for m in e["metrics"] if m["name"] == "DI"]
assert len(di) == 1 and abs(val - di[0]) <= 1e-9, (val, di)
cw = [json.loads(l) for l in open(folder + "/cloudwatch_metrics.jsonl")]
rec = [r for r in cw if r["MetricName"] == "bias_metric_DI"]
assert len(rec) == 1 and abs(rec[0]["Value"] - val) <= 1e-9, rec
dims = {x["Name"]: x["Value"] for x in rec[0]["Dimensions"]}
names = {"Endpoint": "endpoint", "MonitoringSchedule": "schedule", "BiasStage": "stage", "Label": "label",
         "LabelValue": "label_value", "Facet": "facet", "FacetValue": "facet_value"}
want = {names[k]: v for k, v in dims.items()}
want["metric"] = "DI"
got = {k: v for k, v in lab.items() if k not in ("__name__", "job", "instance")}
assert got == want, (got, want)
assert want["endpoint"] == "adult-income" and want["schedule"] == "sex-hourly" and want["stage"] == "Post-Training", want
P
q 'biasmon_executions' >"$w/tot.json"
check "biasmon_executions equals ListMonitoringExecutions' counts" "$PY" - "$w/tot.json" "$w/all.json" <<'P'
import json, sys, collections
res = json.load(open(sys.argv[1]))["data"]["result"]
ex = json.load(open(sys.argv[2]))["MonitoringExecutionSummaries"]
want = collections.Counter((x["MonitoringScheduleName"], x["MonitoringExecutionStatus"]) for x in ex)
got = {(r["metric"]["schedule"], r["metric"]["status"]): float(r["value"][1]) for r in res}
assert {s for s, _ in got} == {"sex-hourly", "edu-daily"}, got
for key, n in got.items():
    assert n == want.get(key, 0), (key, n, want.get(key, 0))
assert sum(want.values()) == sum(got.values()) and got[("edu-daily", "Completed")] == 1, (got, want)
P
q 'biasmon_bias_metric{schedule="edu-daily"}' >"$w/edu.json"
check "edu-daily: every metric with a value is there, errored ones absent, infinities +Inf" "$PY" - "$w/edu.json" \
    "$w/monitoring/adult-income/edu-daily/2026/11/24/13/analysis.json" <<'P'
import json, sys
res = json.load(open(sys.argv[1]))["data"]["result"]
a = json.load(open(sys.argv[2]))
stage = {"pre_training_bias_metrics": "Pre-training", "post_training_bias_metrics": "Post-Training"}
got = {(r["metric"]["stage"], r["metric"]["metric"]): r["value"][1] for r in res}
want, errored, infinite = {}, [], []
for st, name in stage.items():
    for e in a[st]["facets"]["education"]:
        for m in e["metrics"]:
            v = m["value"]
            if v is None:
                errored.append((name, m["name"]))
            elif v in ("Infinity", "-Infinity"):
                want[(name, m["name"])] = "+Inf" if v == "Infinity" else "-Inf"
                infinite.append(m["name"])
            else:
                want[(name, m["name"])] = v
assert errored, "the config without a group variable should leave CDDL and CDDPL errored"
assert not any(k in got for k in errored), ([k for k in errored if k in got])
assert set(got) == set(want), (sorted(set(got) ^ set(want)))
for k, v in want.items():
    assert (got[k] == v) if isinstance(v, str) else abs(float(got[k]) - v) <= 1e-9, (k, got[k], v)
print(f"   edu-daily: {len(got)} series, errored (absent): {[m for _, m in errored]}, infinite: {infinite or 'none'}")
P

# ---- the shipped alerting rules (contrib/prometheus) loaded by this Prometheus: the four-fifths alert
#      fires for exactly the facet values whose scraped DI is outside [0.8, 1.25] (there is one)
alerts_ok=no
for _ in $(seq 1 60); do
    q 'biasmon_bias_metric{metric="DI"}' >"$w/di.json" 2>/dev/null
    curl -sS --max-time 5 "$papi/api/v1/alerts" >"$w/alerts.json" 2>/dev/null
    "$PY" - "$w/di.json" "$w/alerts.json" >"$w/alerts.out" 2>&1 <<'P' && { alerts_ok=yes; break; }
import json, sys
di, al = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
key = lambda l: (l["schedule"], l["facet"], l["facet_value"])
want = {key(r["metric"]) for r in di["data"]["result"] if not 0.8 <= float(r["value"][1]) <= 1.25}
got = {key(a["labels"]) for a in al["data"]["alerts"]
       if a["labels"]["alertname"] == "DisparateImpactOutsideFourFifths" and a["state"] == "firing"}
assert want and got == want, (sorted(want), sorted(got))
print(f"   DisparateImpactOutsideFourFifths firing for {sorted(want)}")
P
    sleep 0.5
done
check "the shipped rules: DisparateImpactOutsideFourFifths fires for the DI values outside [0.8, 1.25] ($(tail -n 1 "$w/alerts.out"))" \
    test "$alerts_ok" = yes
[ "$alerts_ok" = yes ] && cat "$w/alerts.out"

kill -TERM "$prom"; wait "$prom" 2>/dev/null; prom=""
kill -TERM "$pid"; rc=timeout
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || { wait "$pid"; rc=$?; pid=""; break; }; sleep 0.1; done
san=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z -]*' "$w/serve.log") && rc="$rc, $san"
check "biasmon serve: SIGTERM exit status 0 (got $rc)" test "$rc" = 0
check "no sanitizer report in the workers' logs ($(grep -rlE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$w"/*/executions 2>/dev/null | head -n 3 | tr '\n' ' '))" \
    sh -c '! grep -rqE "ERROR: [A-Za-z]+Sanitizer|runtime error:" "$@" 2>/dev/null' _ "$w"/*/executions
if [ "$fails" -gt 0 ]; then
    echo "--- prometheus log"; tail -n 10 "$w/prometheus.log"
    echo "--- service log (sanitizer reports, else the last lines)"
    grep -q '^==[0-9]*==ERROR' "$w/serve.log" && sed -n '/^==[0-9]*==ERROR/,$p' "$w/serve.log" | head -n 40 || tail -n 15 "$w/serve.log"
fi
echo "serve_prometheus: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
