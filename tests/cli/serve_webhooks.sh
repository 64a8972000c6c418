#!/usr/bin/env bash
# Webhook notifications of biasmon serve (docs/serve.md, "Webhooks") against a real Python HTTP
# receiver on loopback that verifies every signature with the snippet docs/serve.md shows:
#  - a CompletedWithViolations execution is posted to --webhook-url as JSON whose violations,
#    values and baselines equal the execution's files; the receiver answers 503 twice (once with
#    Retry-After) and the third attempt, with the same delivery id, is delivered;
#  - a Failed execution is posted with its failure reason; a Completed one is not (default
#    --webhook-on);
#  - a job definition's BIASMON_WEBHOOK_URL (under --webhook-allow) gets a Slack-shaped body;
#    one outside the allow-list, or a bad format, is refused at create time without quoting it;
#  - BIASMON_WEBHOOK_ON recovered posts the Completed execution after a Failed one, and only it;
#  - a receiver that hangs holds the sender, yet the hourly schedule keeps running executions
#    (the accelerated clock of the demo) and the full queue drops and counts;
#  - /metrics counts the outcomes; the secret file is 0600 and appears in no log or Describe,
#    --check-config does not print the URL; SIGTERM ends the service with a delivery hanging.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
for t in "$PY" /usr/bin/curl; do
    [ -x "$t" ] || { echo "FAIL: $t is missing (scripts/deps.sh test installs python3, curl)"; exit 1; }
done
w=$(mktemp -d)
d=$(mktemp -d) # the data directory beside $w: the service may use $w (--allow-root)
data="$d/data" pid="" recv=""
cleanup() {
    if [ -n "$recv" ]; then kill -KILL "$recv" 2>/dev/null; wait "$recv" 2>/dev/null; fi
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

# ---- the documented verification snippet, taken from docs/serve.md as a reader would copy it
"$PY" - "$BM_SOURCE_DIR/docs/serve.md" "$w/verify.py" <<'P'
import re, sys
doc = open(sys.argv[1]).read()
m = re.search(r"<!-- webhook-verify -->\n```python\n(.*?)```", doc, re.S)
assert m, "docs/serve.md has no <!-- webhook-verify --> python block"
open(sys.argv[2], "w").write(m.group(1))
P
check "docs/serve.md has the verification snippet" test -s "$w/verify.py"

# ---- the receiver: /hook answers each delivery 503 twice (the first with Retry-After: 1), then
#      200; /slack 200; /hang holds each request 150 s. Every request is recorded with its
#      verification and the status it got.
cat >"$w/receiver.py" <<'P'
import base64, http.server, json, os, sys, threading, time
sys.path.insert(0, os.path.dirname(sys.argv[1]))
from verify import verify
log, secret_file = sys.argv[2], sys.argv[3]
lock = threading.Lock()
counts = {}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        secret = open(secret_file).read().strip().encode()
        sig = self.headers.get("X-Biasmon-Signature", "")
        rec = {"path": self.path, "at": time.time(), "headers": dict(self.headers.items()),
               "body": base64.b64encode(body).decode(), "verified": verify(secret, sig, body),
               "tampered_verified": verify(secret, sig, body + b" ")}
        key = (self.path, self.headers.get("X-Biasmon-Delivery", ""))
        code, extra = 200, {}
        with lock:
            n = counts[key] = counts.get(key, 0) + 1
            if self.path == "/hook" and n <= 2:
                code = 503
                if n == 1:
                    extra["Retry-After"] = "1"
            rec["n"], rec["code"] = n, code
            with open(log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if self.path == "/hang":
            time.sleep(150)
        self.send_response(code)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
open(sys.argv[4], "w").write(str(s.server_address[1]))
s.serve_forever()
P

# ---- traffic 10:00-14:00 with drift; the analysis config of the sample
"$PY" "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 4 --per-hour 200 --drift-from 2 >/dev/null || { echo "FAIL: make_sample_monitoring.py"; exit 1; }
cfg="$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json"
jobdef() { # name, baseline file ("" none), Environment JSON ("" none)
    local base="" env=""
    [ -n "$2" ] && base="\"ModelBiasBaselineConfig\": {\"ConstraintsResource\": {\"S3Uri\": \"file://$2\"}},"
    [ -n "$3" ] && env=", \"Environment\": $3"
    cat <<J
{"JobDefinitionName": "$1",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$cfg"$env}, $base
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$w/traffic/ground-truth"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/monitoring", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::123456789012:role/biasmon-test"}
J
}
schedule() { # name, job definition, cron
    call CreateMonitoringSchedule "{\"MonitoringScheduleName\": \"$1\", \"MonitoringScheduleConfig\": {\"ScheduleConfig\":
      {\"ScheduleExpression\": \"$3\"}, \"MonitoringJobDefinitionName\": \"$2\"}}" >/dev/null
}

# ---- --check-config keeps the URL to itself
"$BM_BIN" serve --data-dir "$data" --check-config --webhook-url "https://hooks.example.com/services/T0/B0/tok3n-s3cret" >"$w/check.out" 2>&1
check "--check-config accepts a webhook URL" grep -q '^configuration ok' "$w/check.out"
check "--check-config does not print the webhook URL" bash -c '! grep -q "tok3n-s3cret\|hooks.example" "$1"' _ "$w/check.out"
"$BM_BIN" serve --data-dir "$data" --check-config --webhook-format xml >"$w/check2.out" 2>&1; rc=$?
check "--check-config refuses --webhook-format xml naming it (exit $rc)" bash -c '[ "$1" = 2 ] && grep -q -- "--webhook-format" "$2"' _ "$rc" "$w/check2.out"

# ---- the receiver and biasmon serve (an hour a second, from 10:30)
"$PY" "$w/receiver.py" "$w/verify.py" "$w/requests.jsonl" "$data/webhook-secret" "$w/rport" >"$w/receiver.log" 2>&1 &
recv=$!
for _ in $(seq 1 100); do [ -s "$w/rport" ] && break; sleep 0.1; done
[ -s "$w/rport" ] || { echo "FAIL: the receiver did not start"; cat "$w/receiver.log"; exit 1; }
rport=$(cat "$w/rport")
rurl="http://127.0.0.1:$rport"
"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --allow-root "$BM_SOURCE_DIR/data" \
    --poll-ms 50 --workers 2 --time-scale 3600 --time-start 2026-11-24T10:30:00Z --shutdown-grace 2 \
    --webhook-url "$rurl/hook" --webhook-allow "$rurl/" --webhook-retry-base 0.2 --webhook-timeout 120 \
    --webhook-queue 3 >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -s "$data/serve.json" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
port=$(j "$data/serve.json" 'd["port"]')
check "DATA_DIR/webhook-secret is 64 hex digits, mode 0600" \
    bash -c '[ "$(stat -c %a "$1")" = 600 ] && grep -qxE "[0-9a-f]{64}" "$1"' _ "$data/webhook-secret"

call CreateEndpointConfig "{\"EndpointConfigName\": \"adult-income-config\",
  \"ProductionVariants\": [{\"VariantName\": \"AllTraffic\", \"ModelName\": \"adult-rule\"}],
  \"DataCaptureConfig\": {\"EnableCapture\": true, \"InitialSamplingPercentage\": 100,
    \"DestinationS3Uri\": \"file://$w/traffic/capture\", \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}}" >/dev/null &&
call CreateEndpoint '{"EndpointName": "adult-income", "EndpointConfigName": "adult-income-config"}' >/dev/null &&
call CreateModelBiasJobDefinition "$(jobdef plain "" "")" >/dev/null &&
schedule plain-sched plain 'cron(0 * ? * * *)' &&
call StopMonitoringSchedule '{"MonitoringScheduleName": "plain-sched"}' >/dev/null
check "set-up calls" test $? = 0

# ---- a Completed execution: nothing posted (--webhook-on's default is violations,failed)
timeout 60 "$BM_BIN" run plain-sched --at 2026-11-24T11:00:00Z --wait --data-dir "$data" >"$w/plain.json" 2>"$w/plain.err"
check "plain-sched 11:00: Completed ($(cat "$w/plain.err"))" test "$(j "$w/plain.json" 'd["MonitoringExecutionStatus"]')" = Completed
# the baseline: that analysis with every metric at its neutral value, so that the drifted hours violate
plain_out="$w/monitoring/adult-income/plain-sched/2026/11/24/11"
"$PY" - "$plain_out/analysis.json" "$w/baseline.json" <<'P'
import json, sys
a = json.load(open(sys.argv[1]))
for st in ("pre_training_bias_metrics", "post_training_bias_metrics"):
    for entries in a[st]["facets"].values():
        for e in entries:
            for m in e["metrics"]:
                m["value"] = 1.0 if m["name"] == "DI" else 0.0
json.dump(a, open(sys.argv[2], "w"))
P

# ---- create-time refusals: a URL outside --webhook-allow, a bad format; neither echoes the URL
call CreateModelBiasJobDefinition "$(jobdef evil "" '{"BIASMON_WEBHOOK_URL": "http://169.254.169.254/latest/meta-data/tok3n"}')" >"$w/evil.out" 2>&1; rc=$?
check "a job definition's URL outside --webhook-allow is refused (exit $rc)" \
    bash -c '[ "$1" != 0 ] && grep -q "ValidationException" "$2" && grep -q "Environment.BIASMON_WEBHOOK_URL" "$2" && grep -q -- "--webhook-allow" "$2"' _ "$rc" "$w/evil.out"
check "the refusal does not quote the URL" bash -c '! grep -q "169.254\|tok3n" "$1"' _ "$w/evil.out"
call CreateModelBiasJobDefinition "$(jobdef badfmt "" '{"BIASMON_WEBHOOK_FORMAT": "xml"}')" >"$w/badfmt.out" 2>&1; rc=$?
check "BIASMON_WEBHOOK_FORMAT xml is refused naming the key (exit $rc)" \
    bash -c '[ "$1" != 0 ] && grep -q "Environment.BIASMON_WEBHOOK_FORMAT" "$2"' _ "$rc" "$w/badfmt.out"
call DescribeModelBiasJobDefinition '{"JobDefinitionName": "evil"}' >/dev/null 2>&1; rc=$?
check "the refused job definition does not exist" test "$rc" != 0

# ---- violations to the global URL (503, 503, then 200), a failure, and a Slack receiver
call CreateModelBiasJobDefinition "$(jobdef viol "$w/baseline.json" "")" >/dev/null &&
schedule viol-sched viol 'cron(0 * ? * * *)' &&
call StopMonitoringSchedule '{"MonitoringScheduleName": "viol-sched"}' >/dev/null &&
call CreateModelBiasJobDefinition "$(jobdef slack "$w/baseline.json" "{\"BIASMON_WEBHOOK_URL\": \"$rurl/slack\", \"BIASMON_WEBHOOK_FORMAT\": \"slack\"}")" >/dev/null &&
schedule slack-sched slack 'cron(0 * ? * * *)' &&
call StopMonitoringSchedule '{"MonitoringScheduleName": "slack-sched"}' >/dev/null
check "job definitions with a baseline, one with an allowed Slack URL" test $? = 0
timeout 60 "$BM_BIN" run viol-sched --at 2026-11-24T13:00:00Z --wait --data-dir "$data" >"$w/viol.json" 2>"$w/viol.err"
check "viol-sched 13:00: CompletedWithViolations ($(cat "$w/viol.err"))" test "$(j "$w/viol.json" 'd["MonitoringExecutionStatus"]')" = CompletedWithViolations
# (a schedule may tick before the Stop that follows its Create arrives: the checks pick the
#  notifications of the executions they ran by schedule and scheduled time)
seen() { # PATH SCHEDULE TIME COUNT: the receiver got at least COUNT requests at PATH about it
    "$PY" - "$w/requests.jsonl" "$@" <<'P' 2>/dev/null
import base64, json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
def about(x):
    b = json.loads(base64.b64decode(x["body"]))
    if "text" in b:
        return sys.argv[3] in b["text"] and sys.argv[4] in b["text"]
    return b["schedule"] == sys.argv[3] and b["execution"]["scheduled_time"] == sys.argv[4]
n = sum(x["path"] == sys.argv[2] and about(x) for x in r)
sys.exit(0 if n >= int(sys.argv[5]) else 1)
P
}
wait_seen() { # PATH SCHEDULE TIME COUNT, within 30 s
    for _ in $(seq 1 150); do seen "$@" && return 0; sleep 0.2; done
    return 1
}
# the receiver answers 503, 503 (after Retry-After: 1), then 200: three attempts
check "the violation reached /hook in 3 attempts within 30 s" wait_seen /hook viol-sched 2026-11-24T13:00:00Z 3
timeout 60 "$BM_BIN" run viol-sched --at 2026-11-24T20:00:00Z --wait --data-dir "$data" >"$w/fail.json" 2>"$w/fail.err"
check "viol-sched 20:00 (no traffic): Failed" test "$(j "$w/fail.json" 'd["MonitoringExecutionStatus"]')" = Failed
check "the failure reached /hook in 3 attempts within 30 s" wait_seen /hook viol-sched 2026-11-24T20:00:00Z 3
timeout 60 "$BM_BIN" run slack-sched --at 2026-11-24T13:00:00Z --wait --data-dir "$data" >"$w/slack.json" 2>"$w/slack.err"
check "slack-sched 13:00: CompletedWithViolations" test "$(j "$w/slack.json" 'd["MonitoringExecutionStatus"]')" = CompletedWithViolations
check "the Slack message reached /slack within 30 s" wait_seen /slack slack-sched 2026-11-24T13:00:00Z 1

"$PY" - "$w/requests.jsonl" "$w/monitoring/adult-income/viol-sched/2026/11/24/13" "$w/baseline.json" \
    "$(j "$w/fail.json" 'd["FailureReason"]')" >"$w/hook.out" 2>&1 <<'P'
import base64, json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
folder, base, reason = sys.argv[2], json.load(open(sys.argv[3])), sys.argv[4]
assert all(x["verified"] for x in r), "a signature did not verify: %s" % [x["path"] for x in r if not x["verified"]]
assert not any(x["tampered_verified"] for x in r), "a changed body verified"
hook = [x for x in r if x["path"] == "/hook"]
bodies = [json.loads(base64.b64decode(x["body"])) for x in hook]
mine = lambda b, t: b["schedule"] == "viol-sched" and b["execution"]["scheduled_time"] == t
vio = [(x, b) for x, b in zip(hook, bodies) if mine(b, "2026-11-24T13:00:00Z")]
assert all(b["event"] == "execution.violations" for _, b in vio), vio
assert len(vio) == 3, "attempts at the violation: %d" % len(vio)
ids = {x["headers"]["X-Biasmon-Delivery"] for x, _ in vio}
assert len(ids) == 1 and ids == {b["delivery_id"] for _, b in vio}, ids
assert [x["headers"]["X-Biasmon-Attempt"] for x, _ in vio] == ["1", "2", "3"], [x["headers"]["X-Biasmon-Attempt"] for x, _ in vio]
assert vio[1][0]["at"] - vio[0][0]["at"] >= 0.9, "Retry-After: 1 not honoured"
assert len({x["headers"]["X-Biasmon-Signature"] for x, _ in vio}) >= 1
b = vio[2][1]
cv = json.load(open(folder + "/constraint_violations.json"))["violations"]
a = json.load(open(folder + "/analysis.json"))
ex = b["execution"]
assert b["schedule"] == "viol-sched" and b["endpoint"] == "adult-income" and b["job_definition"] == "viol", b
assert ex["status"] == "CompletedWithViolations" and ex["scheduled_time"] == "2026-11-24T13:00:00Z", ex
assert ex["violations"] == len(cv) > 0 and len(b["violations"]) == len(cv) and b["violations_listed_all"], (ex, len(cv))
assert ex["report"] == ex["output"] + "/report.html" and ex["report"].startswith("file://"), ex
def value(doc, facet, fv, metric):
    for st in ("post_training_bias_metrics", "pre_training_bias_metrics"):
        for e in doc[st]["facets"].get(facet, []):
            if e["value_or_threshold"] == fv:
                for m in e["metrics"]:
                    if m["name"] == metric:
                        return m["value"]
for v, c in zip(b["violations"], cv):
    assert (v["metric"], v["facet"], v["facet_value"], v["description"]) == \
        (c["metric_name"], c["facet"], c["facet_value"], c["description"]), (v, c)
    assert v["value"] == value(a, v["facet"], v["facet_value"], v["metric"]) and v["value"] is not None, v
    assert v["baseline"] == value(base, v["facet"], v["facet_value"], v["metric"]), v
fl = [bb for bb in bodies if mine(bb, "2026-11-24T20:00:00Z")]
assert len(fl) == 3 and len({bb["delivery_id"] for bb in fl}) == 1 and fl[0]["event"] == "execution.failed" and fl[0]["execution"]["status"] == "Failed" and fl[0]["execution"]["failure_reason"] == reason and reason, fl
assert "report" not in fl[0]["execution"], fl[0]
assert not any(bb["event"] == "execution.completed" for bb in bodies), "a Completed execution was notified"
for x in r:
    assert x["headers"]["Content-Type"] == "application/json" and x["headers"]["X-Biasmon-Event"] in ("execution.violations", "execution.failed", "execution.completed")
P
check "violation and failure bodies: signed, retried with one delivery id, numbers equal the execution's files ($(tail -c 600 "$w/hook.out"))" test ! -s "$w/hook.out"

"$PY" - "$w/requests.jsonl" "$w/monitoring/adult-income/slack-sched/2026/11/24/13" >"$w/slack.out" 2>&1 <<'P'
import base64, json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/slack"]
r = [x for x in r if "slack-sched at 2026-11-24T13:00:00Z:" in json.loads(base64.b64decode(x["body"]))["text"]]
assert len(r) == 1, len(r)
b = json.loads(base64.b64decode(r[0]["body"]))
cv = json.load(open(sys.argv[2] + "/constraint_violations.json"))["violations"]
assert set(b) == {"text", "blocks"} and isinstance(b["text"], str), b
assert "slack-sched" in b["text"] and "CompletedWithViolations" in b["text"] and ("(%d violation" % len(cv)) in b["text"], b["text"]
sec = b["blocks"][0]
assert sec["type"] == "section" and sec["text"]["type"] == "mrkdwn", sec
listed = sec["text"]["text"].count("\n• ")
assert listed == min(len(cv), 10), (listed, len(cv))
for c in cv[:10]:
    assert "`%s` %s = %s" % (c["metric_name"], c["facet"], c["facet_value"]) in sec["text"]["text"], c
ctx = b["blocks"][1]
assert ctx["type"] == "context" and ctx["elements"][0]["type"] == "mrkdwn" and ctx["elements"][0]["text"].endswith("/report.html"), ctx
P
check "the Slack body: text and blocks (mrkdwn section listing the violations, context with the report) ($(tail -c 600 "$w/slack.out"))" test ! -s "$w/slack.out"

# ---- a recovery: BIASMON_WEBHOOK_ON recovered posts a Completed execution after a Failed one,
#      and no other (past hours: a tick of the schedule never comes before its Stop)
call CreateModelBiasJobDefinition "$(jobdef rec "" "{\"BIASMON_WEBHOOK_URL\": \"$rurl/rec\", \"BIASMON_WEBHOOK_ON\": \"recovered\"}")" >/dev/null &&
schedule rec-sched rec 'cron(0 * ? * * *)' &&
call StopMonitoringSchedule '{"MonitoringScheduleName": "rec-sched"}' >/dev/null
check "a job definition asking for recoveries only" test $? = 0
for at in 2026-11-23T05:00:00Z 2026-11-24T11:00:00Z 2026-11-24T12:00:00Z; do
    timeout 60 "$BM_BIN" run rec-sched --at "$at" --wait --data-dir "$data" >"$w/rec-$at.json" 2>/dev/null
done
check "rec-sched: Failed (no traffic), then Completed twice" test "$(j "$w/rec-2026-11-23T05:00:00Z.json" 'd["MonitoringExecutionStatus"]') $(j "$w/rec-2026-11-24T11:00:00Z.json" 'd["MonitoringExecutionStatus"]') $(j "$w/rec-2026-11-24T12:00:00Z.json" 'd["MonitoringExecutionStatus"]')" = "Failed Completed Completed"
check "the recovery reached /rec within 30 s" wait_seen /rec rec-sched 2026-11-24T11:00:00Z 1

# /metrics, once nothing is queued: delivered and retried as the receiver answered 200 and 503
idle=no
for _ in $(seq 1 150); do
    curl -sf "http://127.0.0.1:$port/metrics" >"$w/metrics1.txt" && grep -qx 'biasmon_webhook_queued 0' "$w/metrics1.txt" && { idle=yes; break; }
    sleep 0.2
done
check "the webhook queue empties within 30 s" test "$idle" = yes
"$PY" - "$w/requests.jsonl" "$w/metrics1.txt" >"$w/m1.out" 2>&1 <<'P'
import json, re, sys
r = [json.loads(l) for l in open(sys.argv[1])]
m = open(sys.argv[2]).read()
num = lambda pat: int(re.search("^" + pat + r" (\d+)$", m, re.M).group(1))
ok, retried = sum(x["code"] == 200 for x in r), sum(x["code"] == 503 for x in r)
assert num(r'biasmon_webhook_deliveries_total\{outcome="delivered"\}') == ok >= 3, ok
assert num(r'biasmon_webhook_retries_total') == retried >= 4, retried
P
check "/metrics: delivered and retries equal the receiver's 200 and 503 answers ($(tail -c 300 "$w/m1.out"))" test ! -s "$w/m1.out"
"$PY" - "$w/requests.jsonl" >"$w/rec.out" 2>&1 <<'P'
import base64, json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["path"] == "/rec"]
b = [json.loads(base64.b64decode(x["body"])) for x in r]
mine = [x for x in b if x["schedule"] == "rec-sched"]
assert [(x["event"], x["execution"]["scheduled_time"], x["execution"]["status"]) for x in mine] == \
    [("execution.recovered", "2026-11-24T11:00:00Z", "Completed")], mine
assert all(x["verified"] for x in r)
P
check "one recovery notified: the Completed after the Failed, not the failure, not the next Completed ($(tail -c 300 "$w/rec.out"))" test ! -s "$w/rec.out"

# ---- a receiver that hangs: the hourly schedule keeps running executions while the sender waits
call CreateModelBiasJobDefinition "$(jobdef hang "" "{\"BIASMON_WEBHOOK_URL\": \"$rurl/hang\", \"BIASMON_WEBHOOK_ON\": \"completed,violations,failed\"}")" >/dev/null &&
schedule hang-hourly hang 'cron(0 * ? * * *)'
check "the hanging receiver's schedule is created" test $? = 0
finished() { # executions of hang-hourly that ended
    call ListMonitoringExecutions '{"MonitoringScheduleName": "hang-hourly", "MaxResults": 100}' >"$w/hx.json" 2>/dev/null &&
        j "$w/hx.json" 'sum(x["MonitoringExecutionStatus"] not in ("Pending", "InProgress") for x in d["MonitoringExecutionSummaries"])'
}
hanging=no
for _ in $(seq 1 150); do
    grep -q '"path": "/hang"' "$w/requests.jsonl" && { hanging=yes; break; }
    sleep 0.2
done
check "the hanging receiver got a request" test "$hanging" = yes
n0=$(finished)
more=no
for _ in $(seq 1 300); do
    n=$(finished) && [ "${n:-0}" -ge $((n0 + 3)) ] && { more=yes; break; }
    sleep 0.2
done
check "3 more executions of hang-hourly ended within 60 s while the receiver hung (from $n0 to ${n:-?})" test "$more" = yes
check "the sender was still waiting on the first /hang request (one /hang request in all)" \
    test "$(grep -c '"path": "/hang"' "$w/requests.jsonl")" = 1
curl -sf "http://127.0.0.1:$port/metrics" >"$w/metrics2.txt"
check "/metrics: notifications beyond the queue of 3 were dropped and counted" \
    "$PY" -c 'import re, sys; m = re.search(r"^biasmon_webhook_deliveries_total\{outcome=\"queue_full\"\} (\d+)$", open(sys.argv[1]).read(), re.M); sys.exit(0 if m and int(m.group(1)) >= 1 else 1)' "$w/metrics2.txt"
check "/metrics: at most 3 queued" "$PY" -c 'import re, sys; m = re.search(r"^biasmon_webhook_queued (\d+)$", open(sys.argv[1]).read(), re.M); sys.exit(0 if m and 1 <= int(m.group(1)) <= 3 else 1)' "$w/metrics2.txt"

# ---- the secret stays in its file
secret=$(cat "$data/webhook-secret")
call DescribeModelBiasJobDefinition '{"JobDefinitionName": "slack"}' >"$w/describe.json" 2>&1
check "Describe does not return the secret" bash -c '! grep -qF "$1" "$2"' _ "$secret" "$w/describe.json"

# ---- SIGTERM with a delivery hanging: the service stops (bounded) and counts what it lost
kill -TERM "$pid"
stopped=no
for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { stopped=yes; break; }
    sleep 0.1
done
check "SIGTERM stops the service within 30 s with a delivery hanging" test "$stopped" = yes
[ "$stopped" = yes ] && { wait "$pid"; pid=""; }
check "the stop logged the notifications it lost" grep -q 'event=webhook_lost deliveries=' "$w/serve.log"
check "the secret is in no log line" bash -c '! grep -qF "$1" "$2"' _ "$secret" "$w/serve.log"
check "the logs name the receiver by origin only" bash -c '! grep -q "127.0.0.1:$1/hook\|127.0.0.1:$1/slack" "$2" && grep -q "event=webhook_delivered .*to=http://127.0.0.1:$1 " "$2"' _ "$rport" "$w/serve.log"

echo "serve_webhooks: $passes passed, $fails failed"
[ "$fails" = 0 ]
