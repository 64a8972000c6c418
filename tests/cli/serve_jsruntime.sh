#!/usr/bin/env bash
# InvokeEndpoint through biasmon with @aws-sdk/client-sagemaker-runtime (npm, installed into
# tests/js by scripts/deps.sh test): tests/js/runtime.mjs invokes a model server from Python's
# standard library with CustomAttributes, InferenceId and TargetVariant and checks the answers, the
# variant, ModelError and ValidationError. Then labels are pushed by inference id (`biasmon label`)
# and `biasmon execute` over the capture gives the metrics that `biasmon analyze` gives on the
# rows the requests imply (features sent, the model's predictions, the labels).
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
js=$BM_SOURCE_DIR/tests/js
PY=/usr/bin/python3
[ -d "$js/node_modules/@aws-sdk/client-sagemaker-runtime" ] ||
    { echo "FAIL: @aws-sdk/client-sagemaker-runtime is missing in tests/js (scripts/deps.sh test installs it with npm ci)"; exit 1; }
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d)
d=$(mktemp -d)
data="$d/data" pid="" mpid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    if [ -n "$mpid" ]; then kill -KILL "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    AWS_REGION=us-east-1 PYTHONNOUSERSITE=1

# ---- the model server: "x,g" -> "yes" when x >= 5 else "no"; "boom" -> 500; the headers it saw
# come back in X-Amzn-SageMaker-Custom-Attributes
cat >"$w/model.py" <<'P'
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen = "ct=%s;accept=%s;iid=%s;ca=%s" % (self.headers.get("Content-Type"), self.headers.get("Accept"),
              self.headers.get("X-Amzn-SageMaker-Inference-Id"), self.headers.get("X-Amzn-SageMaker-Custom-Attributes"))
        if body == b"boom":
            out, st = b"the model fell over", 500
        else:
            out, st = (b"yes" if float(body.decode().split(",")[0]) >= 5 else b"no"), 200
        self.send_response(st)
        self.send_header("Content-Type", "text/csv; charset=utf-8" if st == 200 else "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-Amzn-SageMaker-Custom-Attributes", seen)
        self.end_headers()
        self.wfile.write(out)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
P
"$PY" "$w/model.py" "$w/model.port" &
mpid=$!
for _ in $(seq 1 100); do [ -s "$w/model.port" ] && break; sleep 0.1; done
[ -s "$w/model.port" ] || { echo "FAIL: the model server did not start"; exit 1; }

# ---- biasmon serve; its clock starts at 10:20 (real speed), so every invocation falls in hour 10
"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --poll-ms 50 \
    --time-start 2026-11-24T10:20:00Z --capture-flush 1 >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do [ -s "$data/serve.json" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }

BM_DATA_DIR="$data" BM_MODEL_URL="http://127.0.0.1:$(cat "$w/model.port")/invocations" \
    BM_CAPTURE_URI="$w/capture" BM_ROWS_OUT="$w/rows.json" NODE_NO_WARNINGS=1 \
    timeout 300 node "$js/runtime.mjs" >"$w/js.out" 2>&1
grep -v '^js ' "$w/js.out"
read -r _ jp jf < <(grep '^js ' "$w/js.out") || { echo "FAIL: the JavaScript part did not finish"; tail -n 30 "$w/serve.log"; exit 1; }
passes=$((passes + jp)); fails=$((fails + jf))

# ---- labels by inference id: "yes" when x >= 3
"$PY" -c '
import json, sys
for r in json.load(open(sys.argv[1])): print("%s,%s" % (r["id"], "yes" if r["x"] >= 3 else "no"))' "$w/rows.json" >"$w/labels.csv"
"$BM_BIN" label --data-dir "$data" --ground-truth "$w/gt" "$w/labels.csv" 2>"$w/label.err"
check "biasmon label sends the 60 labels ($(head -c 300 "$w/label.err"))" grep -q "60 of 60 labels accepted" "$w/label.err"
curl -sf "$(sed -n 's/.*"endpoint_url": *"\([^"]*\)".*/\1/p' "$data/serve.json")/metrics" >"$w/metrics.txt"
check "/metrics: 60 invocations ok, 1 model error" \
    sh -c 'grep -qx "biasmon_invocations_total{outcome=\"ok\"} 60" "$1" && grep -qx "biasmon_invocations_total{outcome=\"model_error\"} 1" "$1"' _ "$w/metrics.txt"
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?; pid=""
check "serve stops cleanly (exit $rc)" test "$rc" = 0
check "both variants' folders in hour 10" test -d "$w/capture/ep-js/A/2026/11/24/10" -a -d "$w/capture/ep-js/B/2026/11/24/10"

# ---- biasmon execute over the capture, and biasmon analyze over the rows the requests imply
cat >"$w/ac.json" <<'J'
{"headers": ["x", "g", "y"], "label": "y", "label_values_or_threshold": ["yes"],
 "facet": [{"name_or_index": "g", "value_or_threshold": ["F"]}]}
J
cat >"$w/ac_rows.json" <<'J'
{"label": "y", "label_values_or_threshold": ["yes"], "predicted_label": "yhat",
 "facet": [{"name_or_index": "g", "value_or_threshold": ["F"]}]}
J
cat >"$w/jd.json" <<J
{"JobDefinitionName": "js-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$w/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-js", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$w/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T11:00:00Z --capture-uri "$w/capture" \
    --schedule-name s-js >"$w/exec.out" 2>&1
rc=$?
check "biasmon execute over the capture completes (exit $rc: $(tail -c 400 "$w/exec.out"))" test "$rc" = 0
"$PY" -c '
import json, sys
print("x,g,y,yhat")
for r in json.load(open(sys.argv[1])):
    print("%d,%s,%s,%s" % (r["x"], r["g"], "yes" if r["x"] >= 3 else "no", r["prediction"]))' "$w/rows.json" >"$w/rows.csv"
"$BM_BIN" analyze --analysis-config "$w/ac_rows.json" --dataset "$w/rows.csv" --output "$w/direct" 2>"$w/analyze.err"
check "biasmon analyze over the rows ($(head -c 300 "$w/analyze.err"))" test -s "$w/direct/analysis.json"
a="$w/out/ep-js/s-js/2026/11/24/11"
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
if (c["capture_records"], c["joined_records"], c["rows"]) != (60, 60, 60):
    bad.append("execution.json counts: %s" % c)
if bad: print("\n".join(bad))
P
check "execute's metrics over the capture are analyze's over the rows ($(head -c 600 "$w/cmp.txt"))" test ! -s "$w/cmp.txt"

echo "serve_jsruntime: $passes passed, $fails failed"
[ "$fails" = 0 ]
