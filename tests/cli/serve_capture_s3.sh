#!/usr/bin/env bash
# Data capture to s3:// (DataCaptureConfig.DestinationS3Uri s3://bucket/prefix) on s3rver, the S3
# server that verifies SigV4 (tests/js/s3rver.mjs): invocations through biasmon are captured in
# batches, each object complete JSON Lines in SageMaker's hour layout
# (PREFIX/ENDPOINT/VARIANT/yyyy/mm/dd/HH/MM-SS-mmm-uuid4.jsonl, spec §5.1/§5.2); labels pushed by
# inference id land in S3 the same way; `biasmon execute` over the s3:// capture gives the metrics
# `biasmon analyze` gives on the rows the requests imply. Then S3 goes down: invocations still
# succeed, and the records that could not be written are counted in /metrics
# (biasmon_capture_records_total{result="failed"}) and logged (capture_failed, with the prefix and
# the count).
# s3rver's listing limit (tests/cli/s3_s3rver.sh): a folder that holds only folders is missed by a
# delimited listing, so the variant folder gets one plain object besides its hour folders.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
js=$BM_SOURCE_DIR/tests/js
[ -f "$js/node_modules/@20minutes/s3rver/package.json" ] ||
    { echo "FAIL: @20minutes/s3rver is missing in tests/js (scripts/deps.sh test installs it with npm ci)"; exit 1; }
. "$BM_SOURCE_DIR/tests/cli/lib/s3_servers.sh"
find_python 'import boto3'
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d)
d=$(mktemp -d)
data="$d/data" pid="" spid=""
pids=()
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    PYTHONNOUSERSITE=1 AWS_REGION=us-east-1

# ---- s3rver on loopback (30 s at most to start); its keys are S3RVER/S3RVER
port=$(free_port)
mkdir -p "$w/s3rver"
(cd "$js" && exec node --openssl-legacy-provider s3rver.mjs "$w/s3rver" "$port" ml-cap) >"$w/s3rver.log" 2>&1 &
spid=$!
pids+=($spid)
for _ in $(seq 1 300); do grep -q '^listening' "$w/s3rver.log" && break; sleep 0.1; done
grep -q '^listening' "$w/s3rver.log" || { echo "FAIL: s3rver did not start"; cat "$w/s3rver.log"; exit 1; }
s3=http://127.0.0.1:$port
# the plain object beside the hour folders (s3rver's listing limit, above)
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "$PY" - "$s3" <<'P' || { echo "FAIL: cannot put to s3rver"; exit 1; }
import boto3, sys
boto3.client("s3", endpoint_url=sys.argv[1]).put_object(Bucket="ml-cap", Key="datacapture/ep-s3/AllTraffic/README", Body=b"x")
P

# ---- the model server: "x,g" -> "yes" when x >= 5 else "no"
cat >"$w/model.py" <<'P'
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        out = b"yes" if float(body.decode().split(",")[0]) >= 5 else b"no"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
P
"$PY" "$w/model.py" "$w/model.port" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$w/model.port" ] && break; sleep 0.1; done
[ -s "$w/model.port" ] || { echo "FAIL: the model server did not start"; exit 1; }
murl="http://127.0.0.1:$(cat "$w/model.port")/invocations"

# ---- biasmon serve, reaching S3 with s3rver's keys; its clock starts at 10:20 (hour 10)
AWS_ENDPOINT_URL_S3=$s3 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
    "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --poll-ms 50 \
    --time-start 2026-11-24T10:20:00Z --capture-flush 1 >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do [ -s "$data/serve.json" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
url=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
key=$(sed -n 's/^access_key_id=//p' "$data/credentials")
secret=$(sed -n 's/^secret_access_key=//p' "$data/credentials")

# invocations with boto3: setup, then N invocations from FIRST, their rows to OUT (JSON)
cat >"$w/client.py" <<'P'
import json, sys, boto3
from botocore.config import Config
url, key, secret, murl, what, first, n, out = sys.argv[1:9]
cfg = Config(retries={"max_attempts": 1}, read_timeout=60)
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)
sm, rt = boto3.client("sagemaker", **kw), boto3.client("sagemaker-runtime", **kw)
if what == "setup":
    sm.create_model(ModelName="m-1", ExecutionRoleArn="arn:aws:iam::123456789012:role/R",
                    PrimaryContainer={"Image": "any", "Environment": {"BIASMON_MODEL_URL": murl}})
    sm.create_endpoint_config(EndpointConfigName="ec-s3", ProductionVariants=[{"VariantName": "AllTraffic",
        "ModelName": "m-1", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": "s3://ml-cap/datacapture",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    sm.create_endpoint(EndpointName="ep-s3", EndpointConfigName="ec-s3")
rows = []
for i in range(int(first), int(first) + int(n)):
    x, g = i % 10, "F" if i % 3 == 1 or i % 10 == 2 else "M"
    r = rt.invoke_endpoint(EndpointName="ep-s3", ContentType="text/csv", Body="%d,%s" % (x, g), InferenceId="s3-%d" % i)
    rows.append({"id": "s3-%d" % i, "x": x, "g": g, "prediction": r["Body"].read().decode()})
json.dump(rows, open(out, "w"))
P
metric() { curl -sf "$url/metrics" | sed -n "s/^$1 //p"; }
wait_metric() { # name value: 60 s at most
    for _ in $(seq 1 600); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.1; done
    return 1
}
"$PY" "$w/client.py" "$url" "$key" "$secret" "$murl" setup 0 60 "$w/rows.json" 2>"$w/client.err"
check "60 invocations with capture to s3:// succeed ($(tail -c 400 "$w/client.err"))" \
    test "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$w/rows.json" 2>/dev/null)" = 60
check "/metrics: the 60 records written to S3" wait_metric 'biasmon_capture_records_total{result="written"}' 60
"$PY" -c '
import json, sys
for r in json.load(open(sys.argv[1])): print("%s,%s" % (r["id"], "yes" if r["x"] >= 3 else "no"))' "$w/rows.json" >"$w/labels.csv"
"$BM_BIN" label --data-dir "$data" --ground-truth s3://ml-cap/gt "$w/labels.csv" 2>"$w/label.err"
check "biasmon label to s3:// ($(head -c 300 "$w/label.err"))" grep -q "60 of 60 labels accepted" "$w/label.err"
check "/metrics: the labels written too" wait_metric 'biasmon_capture_records_total{result="written"}' 120

# ---- the objects: SageMaker's layout, whole JSON Lines, batched
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "$PY" - "$s3" >"$w/objects.txt" 2>&1 <<'P'
import boto3, json, re, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="ml-cap"):
    keys += [o["Key"] for o in page.get("Contents", [])]
cap = [k for k in keys if k.startswith("datacapture/") and not k.endswith("/README")]
gt = [k for k in keys if k.startswith("gt/")]
bad = []
name = r"[0-5][0-9]-[0-5][0-9]-[0-9]{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl"
ids = []
for k in cap:
    if not re.fullmatch(r"datacapture/ep-s3/AllTraffic/2026/11/24/10/" + name, k): bad.append("capture key %s" % k)
    body = s3.get_object(Bucket="ml-cap", Key=k)["Body"].read()
    if not body.endswith(b"\n"): bad.append("%s does not end a line" % k)
    for line in body.splitlines():
        r = json.loads(line)
        if list(r) != ["captureData", "eventMetadata", "eventVersion"]: bad.append("record keys %s" % list(r))
        ids.append(r["eventMetadata"]["inferenceId"])
        if r["captureData"]["endpointInput"]["encoding"] != "CSV": bad.append("encoding")
if sorted(ids) != sorted("s3-%d" % i for i in range(60)): bad.append("capture ids: %d %s" % (len(ids), sorted(ids)[:5]))
if not 1 <= len(cap) < 60: bad.append("%d capture objects for 60 records: not batched" % len(cap))
n = 0
for k in gt:
    if not re.fullmatch(r"gt/2026/11/24/10/" + name, k): bad.append("ground-truth key %s" % k)
    n += len(s3.get_object(Bucket="ml-cap", Key=k)["Body"].read().splitlines())
if n != 60: bad.append("ground truth records: %d" % n)
print("\n".join(bad))
P
check "capture objects: SageMaker's hour layout and names, whole JSON Lines, batched ($(head -c 600 "$w/objects.txt"))" \
    test -z "$(tr -d '\n' <"$w/objects.txt")"

# ---- biasmon execute over the s3:// capture and ground truth; analyze over the rows
cat >"$w/ac.json" <<'J'
{"headers": ["x", "g", "y"], "label": "y", "label_values_or_threshold": ["yes"],
 "facet": [{"name_or_index": "g", "value_or_threshold": ["F"]}]}
J
cat >"$w/ac_rows.json" <<'J'
{"label": "y", "label_values_or_threshold": ["yes"], "predicted_label": "yhat",
 "facet": [{"name_or_index": "g", "value_or_threshold": ["F"]}]}
J
cat >"$w/jd.json" <<J
{"JobDefinitionName": "s3-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$w/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-s3", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "s3://ml-cap/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
AWS_ENDPOINT_URL_S3=$s3 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER \
    "$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T11:00:00Z \
    --capture-uri s3://ml-cap/datacapture --schedule-name s-s3 >"$w/exec.out" 2>&1
rc=$?
check "biasmon execute over s3:// completes (exit $rc: $(tail -c 400 "$w/exec.out"))" test "$rc" = 0
"$PY" -c '
import json, sys
print("x,g,y,yhat")
for r in json.load(open(sys.argv[1])):
    print("%d,%s,%s,%s" % (r["x"], r["g"], "yes" if r["x"] >= 3 else "no", r["prediction"]))' "$w/rows.json" >"$w/rows.csv"
"$BM_BIN" analyze --analysis-config "$w/ac_rows.json" --dataset "$w/rows.csv" --output "$w/direct" 2>"$w/analyze.err"
a="$w/out/ep-s3/s-s3/2026/11/24/11"
"$PY" - "$a/analysis.json" "$w/direct/analysis.json" "$a/execution.json" >"$w/cmp.txt" 2>&1 <<'P'
import json, sys
def metrics(p):
    a = json.load(open(p))
    return {(stage, m["name"]): m.get("value") for stage in ("pre_training_bias_metrics", "post_training_bias_metrics")
            for m in a[stage]["facets"]["g"][0]["metrics"]}
got, want = metrics(sys.argv[1]), metrics(sys.argv[2])
bad = []
if set(got) != set(want): bad.append("metrics %s != %s" % (sorted(got), sorted(want)))
for k in want:
    g, v = got.get(k), want[k]
    if (g is None) != (v is None) or (v is not None and abs(g - v) > 1e-12):
        bad.append("%s: execute %r, analyze %r" % (k, g, v))
post = {k[1]: v for k, v in want.items() if k[0] == "post_training_bias_metrics"}
if not post.get("DPPL") or not post.get("AD"): bad.append("the case is too easy: DPPL %r AD %r" % (post.get("DPPL"), post.get("AD")))
c = json.load(open(sys.argv[3]))["counts"]
if (c["capture_records"], c["joined_records"], c["rows"]) != (60, 60, 60): bad.append("execution.json counts: %s" % c)
if bad: print("\n".join(bad))
P
check "execute's metrics over the s3:// capture are analyze's over the rows ($(head -c 600 "$w/cmp.txt"))" test ! -s "$w/cmp.txt"

# ---- S3 goes down: the invocations still succeed, the lost records are counted and logged
kill "$spid"; wait "$spid" 2>/dev/null
check "s3rver is down" sh -c '! curl -s -o /dev/null --max-time 5 "$1"' _ "$s3"
"$PY" "$w/client.py" "$url" "$key" "$secret" "$murl" more 100 20 "$w/rows2.json" 2>"$w/client2.err"
check "with S3 down, 20 invocations still succeed ($(tail -c 400 "$w/client2.err"))" \
    test "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$w/rows2.json" 2>/dev/null)" = 20
check "/metrics counts the 20 records lost" wait_metric 'biasmon_capture_records_total{result="failed"}' 20
check "/metrics: the records written before stay 120" test "$(metric 'biasmon_capture_records_total{result="written"}')" = 120
check "the loss is logged with the prefix and the counts, 20 in all" test "$(sed -n \
    's|.*event=capture_failed prefix="s3://ml-cap/datacapture/ep-s3/AllTraffic/2026/11/24/10" records=\([0-9]*\) .*|\1|p' \
    "$w/serve.log" | awk '{ n += $1 } END { print n + 0 }')" = 20
check "the log names no secret" sh -c '! grep -q "S3RVER\|$1" "$2"' _ "$secret" "$w/serve.log"
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?; pid=""
check "serve stops cleanly (exit $rc)" test "$rc" = 0

echo "serve_capture_s3: $passes passed, $fails failed"
[ "$fails" = 0 ]
