#!/usr/bin/env bash
# Deleting what a serving endpoint uses, as SageMaker allows it: DeleteModel and
# DeleteEndpointConfig succeed while an endpoint in service uses them (the API reference: they
# delete only the model entry / the configuration, not the endpoints made with them), and the
# endpoint keeps answering and capturing from its own copy, taken when CreateEndpoint or
# UpdateEndpoint deployed it, across a restart too; DescribeEndpoint still names its config and
# shows nothing of biasmon's copy; a baseline whose predictor names such an endpoint asks its
# model. DeleteEndpoint while invocations are in flight: they complete and are captured, later
# ones get ValidationError, the service stops cleanly.
# Real parts: a model server from Python's standard library, the aws CLI, boto3.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
AWS=/usr/bin/aws PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
for t in "$AWS" "$PY" /usr/bin/curl; do
    [ -x "$t" ] || { echo "FAIL: $t is missing (scripts/deps.sh test installs awscli, python3, curl)"; exit 1; }
done
"$PY" -c 'import boto3, botocore' 2>/dev/null || { echo "FAIL: Debian's boto3 is missing (apt-get install python3-boto3)"; exit 1; }
w=$(mktemp -d)
d=$(mktemp -d)
data="$d/data" pid="" mpid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    if [ -n "$mpid" ]; then kill -KILL "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_MAX_ATTEMPTS=1 \
    AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_OUTPUT=json PYTHONNOUSERSITE=1

# ---- the model server: answers "NAME:BODY" (NAME from its URL's query, so that each model is told
# apart); a body starting with "slow" touches DIR/started-BODY, then answers 3 s later
cat >"$w/model.py" <<'P'
import http.server, os, sys, time, urllib.parse
d = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        if self.path.startswith("/rows"):  # a baseline's batch of rows "x,g": 1 when x >= 5
            out = "".join("%d\n" % (float(l.split(",")[0]) >= 5) for l in body.splitlines() if l).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        name = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("m", ["?"])[0]
        if body.startswith("slow"):
            open(os.path.join(d, "started-" + body), "w").close()
            time.sleep(3)
        out = ("%s:%s" % (name, body)).encode()
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
mkdir -p "$w/seen"
"$PY" "$w/model.py" "$w/model.port" "$w/seen" &
mpid=$!
for _ in $(seq 1 100); do [ -s "$w/model.port" ] && break; sleep 0.1; done
[ -s "$w/model.port" ] || { echo "FAIL: the model server did not start"; exit 1; }
murl="http://127.0.0.1:$(cat "$w/model.port")/invocations"
rowsurl="http://127.0.0.1:$(cat "$w/model.port")/rows/invocations"

start_daemon() { # log
    log=$1
    "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --poll-ms 50 \
        --time-start 2026-11-24T10:20:00Z --capture-flush 1 >>"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        [ -s "$data/serve.json" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$log"; exit 1; }
    url=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    AWS_ACCESS_KEY_ID=$(sed -n 's/^access_key_id=//p' "$data/credentials")
    AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secret_access_key=//p' "$data/credentials")
}
stop_daemon() {
    kill -TERM "$pid"
    stop_rc=timeout
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid"; stop_rc=$?; break; }
        sleep 0.1
    done
    [ "$stop_rc" = timeout ] && kill -KILL "$pid" 2>/dev/null
    pid=""
    local san
    san=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z -]*' "$log")
    [ -n "$san" ] && stop_rc="$stop_rc, $san"
}
aws_() { "$AWS" --endpoint-url "$url" --region us-east-1 --output json --cli-read-timeout 30 --cli-connect-timeout 5 "$@"; }
sm() { aws_ sagemaker "$@"; }
ok() { # name out aws-sagemaker-args...
    local name=$1 out=$2; shift 2
    sm "$@" >"$out" 2>"$w/stderr"
    local rc=$?
    check "$name (aws exit $rc: $(head -c 600 "$w/stderr"))" test "$rc" = 0
}
refused() { # name code regex aws-sagemaker-args...
    local name=$1 code=$2 re=$3; shift 3
    sm "$@" >/dev/null 2>"$w/stderr"
    local rc=$?
    check "$name: $code matching /$re/ (aws exit $rc: $(head -c 600 "$w/stderr"))" \
        grep -q "($code).*$re" "$w/stderr"
}
invoke() { # name endpoint body want-answer want-variant
    local name=$1 ep=$2 body=$3 answer=$4 variant=$5
    printf '%s' "$body" >"$w/body"
    rm -f "$w/answer"
    aws_ sagemaker-runtime invoke-endpoint --endpoint-name "$ep" --content-type text/csv \
        --inference-id "$body" --body "fileb://$w/body" "$w/answer" >"$w/inv.json" 2>"$w/stderr"
    local got
    got="$(cat "$w/answer" 2>/dev/null) $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["InvokedProductionVariant"])' "$w/inv.json" 2>/dev/null)"
    check "$name: answer and variant '$got' ($(head -c 300 "$w/stderr"))" test "$got" = "$answer $variant"
}
jq_() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

start_daemon "$w/serve.log"
role=arn:aws:iam::123456789012:role/SageMakerRole
ok "CreateModel m-1" "$w/o.json" create-model --model-name m-1 --execution-role-arn $role \
    --primary-container "Image=any,Environment={BIASMON_MODEL_URL=$murl?m=one}"
ok "CreateModel m-2" "$w/o.json" create-model --model-name m-2 --execution-role-arn $role \
    --primary-container "Image=any,Environment={BIASMON_MODEL_URL=$murl?m=two}"
cat >"$w/capture.json" <<J
{"EnableCapture": true, "InitialSamplingPercentage": 100, "DestinationS3Uri": "$w/capture",
 "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
J
ok "CreateEndpointConfig ec-1" "$w/o.json" create-endpoint-config --endpoint-config-name ec-1 \
    --production-variants "VariantName=A,ModelName=m-1,InitialInstanceCount=1,InstanceType=ml.m5.large" \
    --data-capture-config "file://$w/capture.json"
ok "CreateEndpoint ep-1" "$w/o.json" create-endpoint --endpoint-name ep-1 --endpoint-config-name ec-1
invoke "before any delete" ep-1 "b1" "one:b1" A

# ---- DeleteModel of the model the endpoint serves: allowed, the endpoint keeps serving it
ok "DeleteModel of a model in use succeeds, as in SageMaker" "$w/o.json" delete-model --model-name m-1
refused "the model is gone" ValidationException "Could not find model" describe-model --model-name m-1
invoke "after DeleteModel the endpoint still serves its model" ep-1 "b2" "one:b2" A

# ---- DeleteEndpointConfig of the config the endpoint runs: allowed, the endpoint keeps it
ok "DeleteEndpointConfig of a config in use succeeds, as in SageMaker" "$w/o.json" \
    delete-endpoint-config --endpoint-config-name ec-1
refused "the config is gone" ValidationException "Could not find endpoint configuration" \
    describe-endpoint-config --endpoint-config-name ec-1
invoke "after DeleteEndpointConfig the endpoint still serves" ep-1 "b3" "one:b3" A
ok "DescribeEndpoint after both deletes" "$w/de.json" describe-endpoint --endpoint-name ep-1
check "it is still InService with its config's name and capture" test \
    "$(jq_ "$w/de.json" '(d["EndpointStatus"], d["EndpointConfigName"], d["DataCaptureConfig"]["DestinationS3Uri"])')" \
    = "('InService', 'ec-1', '$w/capture')"
check "DescribeEndpoint shows SageMaker's members only (no copy of biasmon's)" \
    sh -c '! grep -q "Biasmon\|ModelUrls" "$1"' _ "$w/de.json"
refused "CreateEndpoint with the deleted config" ValidationException "Could not find endpoint configuration" \
    create-endpoint --endpoint-name ep-x --endpoint-config-name ec-1

# ---- UpdateEndpoint takes a new copy: a config on m-2, then both deleted
ok "CreateEndpointConfig ec-2" "$w/o.json" create-endpoint-config --endpoint-config-name ec-2 \
    --production-variants "VariantName=B,ModelName=m-2,InitialInstanceCount=1,InstanceType=ml.m5.large" \
    --data-capture-config "file://$w/capture.json"
ok "UpdateEndpoint ep-1 to ec-2" "$w/o.json" update-endpoint --endpoint-name ep-1 --endpoint-config-name ec-2
invoke "after UpdateEndpoint the new variant and model" ep-1 "b4" "two:b4" B
ok "DeleteModel m-2" "$w/o.json" delete-model --model-name m-2
ok "DeleteEndpointConfig ec-2" "$w/o.json" delete-endpoint-config --endpoint-config-name ec-2
invoke "after deleting the updated config and model" ep-1 "b5" "two:b5" B
refused "UpdateEndpoint to a deleted config" ValidationException "Could not find endpoint configuration" \
    update-endpoint --endpoint-name ep-1 --endpoint-config-name ec-1
invoke "a refused update changes nothing" ep-1 "b6" "two:b6" B
stop_daemon
check "serve stops cleanly (exit $stop_rc)" test "$stop_rc" = 0

# ---- the copy is in the state: a restarted service still serves the endpoint
start_daemon "$w/serve2.log"
invoke "after a restart" ep-1 "b7" "two:b7" B

# ---- a baseline whose predictor names an endpoint (Clarify's predictor.endpoint_name) asks the
# model the endpoint serves, its config and model deleted
ok "CreateModel m-3" "$w/o.json" create-model --model-name m-3 --execution-role-arn $role \
    --primary-container "Image=any,Environment={BIASMON_MODEL_URL=$rowsurl}"
ok "CreateEndpointConfig ec-3" "$w/o.json" create-endpoint-config --endpoint-config-name ec-3 \
    --production-variants "VariantName=R,ModelName=m-3,InitialInstanceCount=1,InstanceType=ml.m5.large"
ok "CreateEndpoint ep-3" "$w/o.json" create-endpoint --endpoint-name ep-3 --endpoint-config-name ec-3
ok "DeleteModel m-3" "$w/o.json" delete-model --model-name m-3
ok "DeleteEndpointConfig ec-3" "$w/o.json" delete-endpoint-config --endpoint-config-name ec-3
mkdir -p "$w/in"
"$PY" - "$w" <<'P'
import json, sys
w = sys.argv[1]
rows = [(i % 10, "F" if i % 3 == 1 or i % 10 == 2 else "M", int(i % 10 >= 3)) for i in range(50)]
open(w + "/in/rows.csv", "w").write("x,g,y\n" + "".join("%d,%s,%d\n" % r for r in rows))
open(w + "/rows_pred.csv", "w").write("x,g,y,yhat\n" + "".join("%d,%s,%d,%d\n" % (r + (int(r[0] >= 5),)) for r in rows))
c = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1],
     "facet": [{"name_or_index": "g", "value_or_threshold": ["F"]}]}
json.dump(dict(c, predictor={"endpoint_name": "ep-3", "label": 0}), open(w + "/in/config.json", "w"))
json.dump(dict(c, predicted_label="yhat"), open(w + "/local_config.json", "w"))
P
"$BM_BIN" analyze --analysis-config "$w/local_config.json" --dataset "$w/rows_pred.csv" --output "$w/local" 2>"$w/local.err"
check "analyze on the precomputed predictions ($(head -c 300 "$w/local.err"))" test -s "$w/local/analysis.json"
cat >"$w/job.py" <<'P'
import json, sys, time, boto3
from botocore.config import Config
url, key, secret, w = sys.argv[1:5]
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
inp = lambda n, uri, lp: {"InputName": n, "AppManaged": False, "S3Input": {
    "S3Uri": uri, "LocalPath": lp, "S3DataType": "S3Prefix", "S3InputMode": "File",
    "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}
sm.create_processing_job(ProcessingJobName="p-ep3",
    ProcessingResources={"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}},
    AppSpecification={"ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"},
    RoleArn="arn:aws:iam::123456789012:role/r",
    ProcessingInputs=[inp("dataset", w + "/in/rows.csv", "/opt/ml/processing/input/data"),
                      inp("analysis_config", w + "/in/config.json", "/opt/ml/processing/input/config")],
    ProcessingOutputConfig={"Outputs": [{"OutputName": "analysis_result", "AppManaged": False, "S3Output": {
        "S3Uri": w + "/out/p-ep3", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
    StoppingCondition={"MaxRuntimeInSeconds": 600})
for _ in range(1800):  # 0.1 s apart: three minutes at most
    d = sm.describe_processing_job(ProcessingJobName="p-ep3")
    if d["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"): break
    time.sleep(0.1)
print(d["ProcessingJobStatus"], d.get("FailureReason", ""))
P
"$PY" "$w/job.py" "$url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$w" >"$w/job.out" 2>&1
check "a baseline asking the endpoint whose config and model were deleted completes ($(head -c 400 "$w/job.out"))" \
    grep -qx "Completed " "$w/job.out"
check "its analysis.json is analyze's on the precomputed predictions" cmp -s "$w/out/p-ep3/analysis.json" "$w/local/analysis.json"

# ---- DeleteEndpoint while invocations are in flight
cat >"$w/inflight.py" <<'P'
import json, os, sys, threading, time, boto3
from botocore.config import Config
url, key, secret, seen, out = sys.argv[1:6]
cfg = Config(retries={"max_attempts": 1}, read_timeout=60, max_pool_connections=8)
rt = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=cfg)
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=cfg)
res = {}
def call(i):
    try:
        r = rt.invoke_endpoint(EndpointName="ep-1", ContentType="text/csv", Body="slow-%d" % i, InferenceId="slow-%d" % i)
        res["slow-%d" % i] = r["Body"].read().decode()
    except Exception as e:
        res["slow-%d" % i] = "error: %s" % e
ts = [threading.Thread(target=call, args=(i,)) for i in range(4)]
for t in ts: t.start()
for _ in range(300):  # 30 s at most: every call has reached the model server
    if all(os.path.exists(os.path.join(seen, "started-slow-%d" % i)) for i in range(4)): break
    time.sleep(0.1)
res["all_started"] = all(os.path.exists(os.path.join(seen, "started-slow-%d" % i)) for i in range(4))
sm.delete_endpoint(EndpointName="ep-1")
res["deleted_while_running"] = sum(t.is_alive() for t in ts)
for t in ts: t.join(60)
try:
    rt.invoke_endpoint(EndpointName="ep-1", ContentType="text/csv", Body="late")
    res["late"] = "answered"
except Exception as e:
    res["late"] = e.response["Error"]["Code"] if hasattr(e, "response") else str(e)
json.dump(res, open(out, "w"))
P
"$PY" "$w/inflight.py" "$url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$w/seen" "$w/inflight.json" 2>"$w/stderr"
check "the in-flight client ran ($(tail -c 400 "$w/stderr"))" test -s "$w/inflight.json"
check "the four slow invocations reached the model before DeleteEndpoint" test "$(jq_ "$w/inflight.json" 'd["all_started"]')" = True
check "DeleteEndpoint returned while they were still running" test "$(jq_ "$w/inflight.json" 'd["deleted_while_running"] > 0')" = True
check "each in-flight invocation completed with the model's answer" test \
    "$(jq_ "$w/inflight.json" '[d["slow-%d" % i] for i in range(4)]')" = "['two:slow-0', 'two:slow-1', 'two:slow-2', 'two:slow-3']"
check "an invocation after DeleteEndpoint: ValidationError" test "$(jq_ "$w/inflight.json" 'd["late"]')" = ValidationError
refused "DescribeEndpoint after DeleteEndpoint" ValidationException "Could not find endpoint" describe-endpoint --endpoint-name ep-1
stop_daemon
check "serve stops cleanly after DeleteEndpoint in flight (exit $stop_rc)" test "$stop_rc" = 0

# ---- every successful invocation was captured, in the variant that answered it
"$PY" - "$w/capture" >"$w/cap.txt" 2>&1 <<'P'
import glob, json, sys
got = {}
for f in glob.glob(sys.argv[1] + "/**/*.jsonl", recursive=True):
    for line in open(f):
        r = json.loads(line)
        got[r["eventMetadata"]["inferenceId"]] = (f[len(sys.argv[1]) + 1:].split("/")[1], r["captureData"]["endpointOutput"]["data"])
want = {"b%d" % i: ("A" if i <= 3 else "B", ("one:b%d" if i <= 3 else "two:b%d") % i) for i in range(1, 8)}
want.update({"slow-%d" % i: ("B", "two:slow-%d" % i) for i in range(4)})
if got != want:
    print("captured %s, wanted %s" % (sorted(got.items()), sorted(want.items())))
P
check "each successful invocation captured, in flight ones too ($(head -c 600 "$w/cap.txt"))" test ! -s "$w/cap.txt"

echo "serve_delete_in_use: $passes passed, $fails failed"
[ "$fails" = 0 ]
