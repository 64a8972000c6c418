#!/usr/bin/env bash
# Endpoints that serve: a model server from Python's standard library on loopback, a model and an
# endpoint made with the aws CLI, InvokeEndpoint through biasmon with the aws CLI
# (sagemaker-runtime invoke-endpoint) and boto3's sagemaker-runtime client: the model's answer,
# content type and variant; the request headers the model sees; the runtime's errors
# (ValidationError, ModelError with the model's status and body); variant weights and their
# update; data capture as SageMaker writes it (hour folders, file names, records, sampling,
# Input-only capture, BASE64 for unlisted content types), counted in /metrics; and the capture
# read back by `biasmon execute`, joined with ground truth, gives the metrics the requests imply.
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
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_MAX_ATTEMPTS=1 \
    AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_OUTPUT=json PYTHONNOUSERSITE=1

# ---- the model server: "x,g" -> "yes" when x >= 5 else "no" (text/csv); the headers it saw are
# echoed in X-Amzn-SageMaker-Custom-Attributes; "boom" -> 500; application/x-bin -> bytes back
cat >"$w/model.py" <<'P'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        seen = "ct=%s;accept=%s;iid=%s;ca=%s" % (self.headers.get("Content-Type"), self.headers.get("Accept"),
              self.headers.get("X-Amzn-SageMaker-Inference-Id"), self.headers.get("X-Amzn-SageMaker-Custom-Attributes"))
        if body == b"boom":
            out, ct, st = b"the model fell over", "text/plain", 500
        elif self.headers.get("Content-Type") == "application/x-bin":
            out, ct, st = body, "application/x-bin", 200
        else:
            x = float(body.decode().strip().split(",")[0])
            out, ct, st = (b"yes" if x >= 5 else b"no"), "text/csv; charset=utf-8", 200
        self.send_response(st)
        self.send_header("Content-Type", ct)
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-Amzn-SageMaker-Custom-Attributes", seen)
        self.end_headers()
        self.wfile.write(out)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
P
"$PY" "$w/model.py" "$w/model.port" &
mpid=$!
for _ in $(seq 1 100); do [ -s "$w/model.port" ] && break; sleep 0.1; done
[ -s "$w/model.port" ] || { echo "FAIL: the model server did not start"; exit 1; }
murl="http://127.0.0.1:$(cat "$w/model.port")/invocations"

start_daemon() { # log, serve settings...
    log=$1; shift
    "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --poll-ms 50 "$@" >>"$log" 2>&1 &
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
jq_() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# the service's clock starts at 10:20 on 2026-11-24 (real speed), so every invocation falls in hour 10
start_daemon "$w/serve.log" --time-start 2026-11-24T10:20:00Z --capture-flush 1

# ---- models
role=arn:aws:iam::123456789012:role/SageMakerRole
ok "CreateModel" "$w/m.json" create-model --model-name m-1 --execution-role-arn $role \
    --primary-container "Image=biasmon/any,Environment={BIASMON_MODEL_URL=$murl}"
check "CreateModel answers the ARN" grep -q '"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m-1"' "$w/m.json"
ok "CreateModel (a second, same server)" "$w/m.json" create-model --model-name m-2 --execution-role-arn $role \
    --primary-container "Image=biasmon/any,Environment={BIASMON_MODEL_URL=$murl}"
ok "DescribeModel" "$w/dm.json" describe-model --model-name m-1
check "DescribeModel gives the URL back" test "$(jq_ "$w/dm.json" 'd["PrimaryContainer"]["Environment"]["BIASMON_MODEL_URL"]')" = "$murl"
ok "ListModels" "$w/lm.json" list-models --sort-by Name --sort-order Ascending
check "ListModels lists both, by name" test "$(jq_ "$w/lm.json" '",".join(m["ModelName"] for m in d["Models"])')" = "m-1,m-2"
refused "CreateModel without a URL" ValidationException "BIASMON_MODEL_URL" create-model --model-name m-3 \
    --execution-role-arn $role --primary-container "Image=biasmon/any"
refused "CreateModel with a URL that is not http" ValidationException "http" create-model --model-name m-3 \
    --execution-role-arn $role --primary-container "Image=x,Environment={BIASMON_MODEL_URL=file:///etc/passwd}"
refused "CreateModel of a host --model-allow does not list (default loopback)" ValidationException \
    "host 10.0.0.1 is not one biasmon serve --model-allow lists" create-model --model-name m-3 \
    --execution-role-arn $role --primary-container "Image=x,Environment={BIASMON_MODEL_URL=http://10.0.0.1:8080/invocations}"
refused "CreateModel of a loopback-looking URL with user information (really another host)" ValidationException \
    "user information" create-model --model-name m-3 --execution-role-arn $role \
    --primary-container "Image=x,Environment={BIASMON_MODEL_URL=http://127.0.0.1:80@example.com/invocations}"
refused "CreateModel twice" ValidationException "already existing model" create-model --model-name m-1 \
    --execution-role-arn $role --primary-container "Image=biasmon/any,Environment={BIASMON_MODEL_URL=$murl}"
refused "DescribeModel of none" ValidationException "Could not find model" describe-model --model-name nope

# ---- endpoint: two variants, A takes all the traffic (B's weight 0); capture of both sides
cat >"$w/variants.json" <<J
[{"VariantName": "A", "ModelName": "m-1", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 1},
 {"VariantName": "B", "ModelName": "m-2", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large", "InitialVariantWeight": 0}]
J
cat >"$w/capture.json" <<J
{"EnableCapture": true, "InitialSamplingPercentage": 100, "DestinationS3Uri": "$w/capture",
 "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
 "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}}
J
ok "CreateEndpointConfig" "$w/o.json" create-endpoint-config --endpoint-config-name ec-1 \
    --production-variants "file://$w/variants.json" --data-capture-config "file://$w/capture.json"
ok "CreateEndpoint" "$w/o.json" create-endpoint --endpoint-name ep-1 --endpoint-config-name ec-1
ok "DescribeEndpoint" "$w/de.json" describe-endpoint --endpoint-name ep-1
check "DescribeEndpoint gives the weights" test "$(jq_ "$w/de.json" '[v["CurrentWeight"] for v in d["ProductionVariants"]]')" = "[1.0, 0.0]"

# ---- the aws CLI invokes
printf '7,F' >"$w/in.csv"
aws_ sagemaker-runtime invoke-endpoint --endpoint-name ep-1 --content-type text/csv --accept text/csv \
    --custom-attributes "trace=abc" --inference-id cli-1 --body "fileb://$w/in.csv" "$w/answer" >"$w/inv.json" 2>"$w/stderr"
check "invoke-endpoint succeeds ($(head -c 300 "$w/stderr"))" test -s "$w/inv.json"
check "the model's answer comes back" test "$(cat "$w/answer" 2>/dev/null)" = yes
check "its content type" test "$(jq_ "$w/inv.json" 'd["ContentType"]')" = "text/csv; charset=utf-8"
check "the variant that answered (weights 1 and 0)" test "$(jq_ "$w/inv.json" 'd["InvokedProductionVariant"]')" = A
check "the model saw Content-Type, Accept, the inference id and the custom attributes" \
    test "$(jq_ "$w/inv.json" 'd["CustomAttributes"]')" = "ct=text/csv;accept=text/csv;iid=cli-1;ca=trace=abc"

# ---- boto3: 40 invocations with ids, the errors, the target variant, weights changed mid-way
cat >"$w/client.py" <<'P'
import json, sys, boto3, botocore
from botocore.config import Config
url, key, secret, out = sys.argv[1:5]
rt = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
res = {"answers": [], "variants": []}
for i in range(40):  # x = i % 10, g = i % 2: predictions 1 for x >= 5
    r = rt.invoke_endpoint(EndpointName="ep-1", ContentType="text/csv", Body="%d,%s" % (i % 10, "F" if i % 3 == 1 else "M"),
                           InferenceId="id-%d" % i)
    res["answers"].append(r["Body"].read().decode())
    res["variants"].append(r["InvokedProductionVariant"])
def err(**kw):
    try:
        rt.invoke_endpoint(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "message": e.response["Error"].get("Message", ""), "orig": e.response.get("OriginalStatusCode"),
                "origmsg": e.response.get("OriginalMessage")}
res["unknown_endpoint"] = err(EndpointName="nope", ContentType="text/csv", Body="1,1")
res["model_error"] = err(EndpointName="ep-1", ContentType="text/csv", Body="boom")
res["unknown_variant"] = err(EndpointName="ep-1", ContentType="text/csv", Body="1,1", TargetVariant="C")
res["bad_inference_id"] = err(EndpointName="ep-1", ContentType="text/csv", Body="1,1", InferenceId="x" * 65)
r = rt.invoke_endpoint(EndpointName="ep-1", ContentType="text/csv", Body="1,0", TargetVariant="B", InferenceId="tv-1")
res["target_B"] = r["InvokedProductionVariant"]
r = rt.invoke_endpoint(EndpointName="ep-1", ContentType="application/x-bin", Body=b"\x00\xffbin", InferenceId="bin-1")
res["bin_back"] = r["Body"].read().hex()
sm.update_endpoint_weights_and_capacities(EndpointName="ep-1", DesiredWeightsAndCapacities=[
    {"VariantName": "A", "DesiredWeight": 0}, {"VariantName": "B", "DesiredWeight": 2}])
res["after_update"] = sorted({rt.invoke_endpoint(EndpointName="ep-1", ContentType="text/csv", Body="1,1",
                                                 InferenceId="w-%d" % i)["InvokedProductionVariant"] for i in range(6)})
json.dump(res, open(out, "w"))
P
"$PY" "$w/client.py" "$url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$w/boto.json" 2>"$w/stderr"
check "boto3's calls ran ($(tail -c 600 "$w/stderr"))" test -s "$w/boto.json"
check "boto3: 40 answers as the model gives them" test "$(jq_ "$w/boto.json" '" ".join(d["answers"])')" = \
    "$("$PY" -c 'print(" ".join("yes" if i % 10 >= 5 else "no" for i in range(40)))')"
check "boto3: all on variant A" test "$(jq_ "$w/boto.json" 'set(d["variants"])')" = "{'A'}"
check "an unknown endpoint: ValidationError 400" test "$(jq_ "$w/boto.json" '(d["unknown_endpoint"]["code"], d["unknown_endpoint"]["status"])')" = "('ValidationError', 400)"
check "its message names it" grep -q 'Endpoint nope of account 123456789012 not found' "$w/boto.json"
check "a model's 500: ModelError 424 with the model's status and body" \
    test "$(jq_ "$w/boto.json" '(d["model_error"]["code"], d["model_error"]["status"], d["model_error"]["orig"], d["model_error"]["origmsg"])')" = "('ModelError', 424, 500, 'the model fell over')"
check "an unknown target variant: ValidationError" test "$(jq_ "$w/boto.json" 'd["unknown_variant"]["code"]')" = ValidationError
check "an inference id of 65 characters: ValidationError" test "$(jq_ "$w/boto.json" 'd["bad_inference_id"]["code"]')" = ValidationError
check "TargetVariant B reaches B (weight 0)" test "$(jq_ "$w/boto.json" 'd["target_B"]')" = B
check "bytes that are not text come back whole" test "$(jq_ "$w/boto.json" 'd["bin_back"]')" = 00ff62696e
check "after UpdateEndpointWeightsAndCapacities all go to B" test "$(jq_ "$w/boto.json" 'd["after_update"]')" = "['B']"
ok "DescribeEndpoint after the update" "$w/de.json" describe-endpoint --endpoint-name ep-1
check "DescribeEndpoint gives the new weights" test "$(jq_ "$w/de.json" '[v["CurrentWeight"] for v in d["ProductionVariants"]]')" = "[0.0, 2.0]"

# ---- UpdateEndpoint to a config with one variant, capturing the input only, sampling 0% on ep-2
cat >"$w/capture_in.json" <<J
{"EnableCapture": true, "InitialSamplingPercentage": 100, "DestinationS3Uri": "$w/capture",
 "CaptureOptions": [{"CaptureMode": "Input"}]}
J
ok "CreateEndpointConfig (input only)" "$w/o.json" create-endpoint-config --endpoint-config-name ec-2 \
    --production-variants "VariantName=C,ModelName=m-1,InitialInstanceCount=1,InstanceType=ml.m5.large" \
    --data-capture-config "file://$w/capture_in.json"
ok "UpdateEndpoint" "$w/o.json" update-endpoint --endpoint-name ep-1 --endpoint-config-name ec-2
printf '9,M' >"$w/in2.csv"
aws_ sagemaker-runtime invoke-endpoint --endpoint-name ep-1 --content-type text/csv --inference-id in-only \
    --body "fileb://$w/in2.csv" "$w/answer2" >"$w/inv2.json" 2>"$w/stderr"
check "after UpdateEndpoint the new config's variant answers" test "$(jq_ "$w/inv2.json" 'd["InvokedProductionVariant"]' 2>/dev/null)" = C
sed 's/"InitialSamplingPercentage": 100/"InitialSamplingPercentage": 0/' "$w/capture.json" >"$w/capture0.json"
ok "CreateEndpointConfig (sampling 0)" "$w/o.json" create-endpoint-config --endpoint-config-name ec-3 \
    --production-variants "VariantName=AllTraffic,ModelName=m-1,InitialInstanceCount=1,InstanceType=ml.m5.large" \
    --data-capture-config "file://$w/capture0.json"
ok "CreateEndpoint ep-2" "$w/o.json" create-endpoint --endpoint-name ep-2 --endpoint-config-name ec-3
for i in 1 2 3; do
    aws_ sagemaker-runtime invoke-endpoint --endpoint-name ep-2 --content-type text/csv --body "fileb://$w/in2.csv" "$w/answer3" >/dev/null 2>&1
done
check "ep-2 answers" test "$(cat "$w/answer3" 2>/dev/null)" = yes
curl -sf "$url/metrics" >"$w/metrics.txt"
check "/metrics counts the sampled-out records" grep -qx 'biasmon_capture_records_total{result="sampled_out"} 3' "$w/metrics.txt"
check "/metrics counts model errors" grep -qx 'biasmon_invocations_total{outcome="model_error"} 1' "$w/metrics.txt"
# ---- labels by inference id (biasmon label): "yes" for x >= 3
"$PY" -c '
for i in range(40): print("id-%d,%s" % (i, "yes" if i % 10 >= 3 else "no"))' >"$w/labels.csv"
"$BM_BIN" label --data-dir "$data" --ground-truth "$w/gt" "$w/labels.csv" 2>"$w/label.err"
rc=$?
check "biasmon label sends 40 labels (exit $rc: $(head -c 300 "$w/label.err"))" grep -q "40 of 40 labels accepted" "$w/label.err"
printf 'j-1,{"label": 1}\n' | "$BM_BIN" label --data-dir "$data" --json --ground-truth "$w/gtj" 2>"$w/label.err"
check "biasmon label --json from standard input" test $? = 0
printf 'no-comma\n' | "$BM_BIN" label --data-dir "$data" --ground-truth "$w/gtj" 2>"$w/label.err"
rc=$?
check "biasmon label refuses a line without a comma, naming it (exit $rc)" \
    sh -c 'test "$1" = 2 && grep -q "stdin:1: expected INFERENCE_ID,DATA" "$2"' _ "$rc" "$w/label.err"
"$BM_BIN" label --data-dir "$data" --ground-truth /etc "$w/labels.csv" 2>"$w/label.err"
rc=$?
check "biasmon label to a folder outside the allowed roots is refused (exit $rc)" \
    sh -c 'test "$1" = 3 && grep -q "AccessDenied" "$2"' _ "$rc" "$w/label.err"
stop_daemon
check "serve stops cleanly (exit $stop_rc)" test "$stop_rc" = 0

# ---- --model-allow: the operator lists the hosts models may name; checked again before each call
rm -f "$data/serve.json"
start_daemon "$w/serve-allow.log" --time-start 2026-11-24T10:50:00Z --model-allow 10.0.0.1
ok "CreateModel of a host --model-allow lists" "$w/m4.json" create-model --model-name m-4 \
    --execution-role-arn $role --primary-container "Image=x,Environment={BIASMON_MODEL_URL=http://10.0.0.1:8080/invocations}"
aws_ sagemaker-runtime invoke-endpoint --endpoint-name ep-1 --content-type text/csv \
    --body "fileb://$w/in.csv" "$w/answer-denied" >/dev/null 2>"$w/stderr"
check "an endpoint whose model's host --model-allow no longer lists is not called: ValidationError ($(head -c 300 "$w/stderr"))" \
    grep -q "(ValidationError).*cannot be called.*host 127.0.0.1 is not one" "$w/stderr"
stop_daemon
check "serve stops cleanly after the --model-allow run (exit $stop_rc)" test "$stop_rc" = 0

# ---- the capture files
cap="$w/capture"
check "no capture for ep-2 (sampling 0)" test ! -e "$cap/ep-2"
check "A's records in hour 10's folder" test -d "$cap/ep-1/A/2026/11/24/10"
names_ok=1
for f in $(find "$cap" -type f); do
    [[ "$(basename "$f")" =~ ^[0-5][0-9]-[0-5][0-9]-[0-9]{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl$ ]] || { names_ok=0; echo "bad name: $f"; }
done
check "file names as SageMaker's (MM-SS-mmm-uuid4.jsonl)" test "$names_ok" = 1
check "no temporary files left" test -z "$(find "$cap" -name '.*')"
cat >"$w/records.py" <<'P'
import json, glob, re, sys, base64
cap = sys.argv[1]
recs = {}
for f in glob.glob(cap + "/**/*.jsonl", recursive=True):
    parts = f[len(cap) + 1:].split("/")
    for line in open(f):
        r = json.loads(line)
        r["_where"] = "/".join(parts[:6])
        recs[r["eventMetadata"].get("inferenceId")] = r
problems = []
def want(c, what):
    if not c: problems.append(what)
want(len(recs) == 40 + 1 + 1 + 1 + 6 + 1, "records: %d" % len(recs))
r = recs.get("cli-1", {})
want(r.get("_where") == "ep-1/A/2026/11/24/10", "cli-1 where: %s" % r.get("_where"))
want(r.get("eventVersion") == "0", "eventVersion")
cd = r.get("captureData", {})
want(cd.get("endpointInput") == {"observedContentType": "text/csv", "mode": "INPUT", "data": "7,F", "encoding": "CSV"}, "input %s" % cd.get("endpointInput"))
want(cd.get("endpointOutput") == {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT", "data": "yes", "encoding": "CSV"}, "output %s" % cd.get("endpointOutput"))
md = r.get("eventMetadata", {})
want(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", md.get("eventId", "")), "eventId")
want(re.fullmatch(r"2026-11-24T10:[2-5][0-9]:[0-5][0-9]Z", md.get("inferenceTime", "")), "inferenceTime %s" % md.get("inferenceTime"))
want(list(r.keys())[:3] == ["captureData", "eventMetadata", "eventVersion"], "key order")
want(recs.get("cli-1", {}).get("eventMetadata", {}).get("customAttributes") == "trace=abc", "customAttributes")
b = recs.get("bin-1", {}).get("captureData", {})
want(b.get("endpointInput", {}).get("encoding") == "BASE64" and base64.b64decode(b["endpointInput"]["data"]) == b"\x00\xffbin", "BASE64 input")
want(recs.get("tv-1", {}).get("_where", "").startswith("ep-1/B/"), "tv-1 in B")
io = recs.get("in-only", {}).get("captureData", {})
want(list(io.keys()) == ["endpointInput"] and recs["in-only"]["_where"].startswith("ep-1/C/"), "input only: %s" % io)
want(len({r["eventMetadata"]["eventId"] for r in recs.values()}) == len(recs), "eventIds unique")
if problems: print("\n".join(problems))
P
"$PY" "$w/records.py" "$cap" >"$w/problems.txt" 2>&1
check "the capture records are SageMaker's ($(head -c 600 "$w/problems.txt"))" test ! -s "$w/problems.txt"

# ---- biasmon execute over the capture: labels "yes" for x >= 3 (by inference id), facet g = F
check "the labels pushed by id are ground truth in hour 10's folder" \
    test "$(cat "$w"/gt/2026/11/24/10/*.jsonl 2>/dev/null | wc -l)" = 40
check "a label record as SageMaker's" grep -qx '{"groundTruthData":{"data":"yes","encoding":"CSV"},"eventMetadata":{"eventId":"id-7"},"eventVersion":"0"}' "$w"/gt/2026/11/24/10/*.jsonl
check "a JSON label" grep -qx '{"groundTruthData":{"data":"{\\"label\\": 1}","encoding":"JSON"},"eventMetadata":{"eventId":"j-1"},"eventVersion":"0"}' "$w"/gtj/2026/11/24/10/*.jsonl
cat >"$w/ac.json" <<'J'
{"headers": ["x", "g", "y"], "label": "y", "label_values_or_threshold": ["yes"],
 "facet": [{"name_or_index": "g", "value_or_threshold": ["F"]}]}
J
cat >"$w/jd.json" <<J
{"JobDefinitionName": "ep-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$w/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$w/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T11:00:00Z --capture-uri "$cap" \
    --schedule-name s-1 >"$w/exec.out" 2>&1
rc=$?
check "biasmon execute over the capture completes (exit $rc: $(tail -c 400 "$w/exec.out"))" test "$rc" = 0
a="$w/out/ep-1/s-1/2026/11/24/11/analysis.json"
# the 40 labelled records: x = i % 10, g = F when i % 3 == 1, y = x >= 3, prediction = x >= 5 (the
# model's); the metrics computed here from those rows.
"$PY" - "$a" >"$w/metrics_check.txt" 2>&1 <<'P'
import json, sys
a = json.load(open(sys.argv[1]))
post = {m["name"]: m["value"] for m in a["post_training_bias_metrics"]["facets"]["g"][0]["metrics"]}
rows = [(i % 10, i % 3 == 1, int(i % 10 >= 3), int(i % 10 >= 5)) for i in range(40)]
def q(rows): return sum(r[3] for r in rows) / len(rows)
A = [r for r in rows if not r[1]]; D = [r for r in rows if r[1]]
want_dppl = q(A) - q(D)
def acc(rows): return sum(r[2] == r[3] for r in rows) / len(rows)
want_ad = acc(A) - acc(D)
bad = []
if abs(post["DPPL"] - want_dppl) > 1e-12: bad.append("DPPL %r != %r" % (post["DPPL"], want_dppl))
if abs(post["AD"] - want_ad) > 1e-12: bad.append("AD %r != %r" % (post["AD"], want_ad))
if want_dppl == 0 or want_ad == 0: bad.append("the case is too easy")
n = sum(1 for r in rows)
if bad: print("\n".join(bad))
P
check "the metrics the requests imply ($(head -c 400 "$w/metrics_check.txt"))" test ! -s "$w/metrics_check.txt"
check "execution.json: 40 records joined" "$PY" -c '
import json, sys; e = json.load(open(sys.argv[1])); s = json.dumps(e); sys.exit(0 if "40" in s else 1)' "$(dirname "$a")/execution.json"

# ---- a model server that is down: ModelError at once; kill -9 during traffic: no torn record
start_daemon "$w/serve2.log" --capture-flush 1
downport=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ok "CreateModel (nothing listens)" "$w/o.json" create-model --model-name m-down --execution-role-arn $role \
    --primary-container "Image=x,Environment={BIASMON_MODEL_URL=http://127.0.0.1:$downport/invocations}"
ok "CreateEndpointConfig (down)" "$w/o.json" create-endpoint-config --endpoint-config-name ec-down \
    --production-variants "VariantName=AllTraffic,ModelName=m-down,InitialInstanceCount=1,InstanceType=ml.m5.large"
ok "CreateEndpoint (down)" "$w/o.json" create-endpoint --endpoint-name ep-down --endpoint-config-name ec-down
aws_ sagemaker-runtime invoke-endpoint --endpoint-name ep-down --content-type text/csv --body "fileb://$w/in2.csv" \
    "$w/answer4" >/dev/null 2>"$w/stderr"
check "a model server that is down: ModelError naming it ($(head -c 300 "$w/stderr"))" \
    grep -q "(ModelError).*cannot be reached" "$w/stderr"
ok "CreateEndpoint ep-k (capture on)" "$w/o.json" create-endpoint --endpoint-name ep-k --endpoint-config-name ec-1
cat >"$w/traffic.py" <<'P'
import sys, boto3
from botocore.config import Config
url, key, secret = sys.argv[1:4]
rt = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))
for i in range(100000):
    try:
        rt.invoke_endpoint(EndpointName="ep-k", ContentType="text/csv", Body="%d,F" % (i % 10), TargetVariant="A",
                           InferenceId="k-%d" % i)
    except Exception:
        break
P
"$PY" "$w/traffic.py" "$url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" 2>/dev/null &
tpid=$!
for _ in $(seq 1 100); do [ -n "$(find "$cap/ep-k" -name '*.jsonl' 2>/dev/null | head -1)" ] && break; sleep 0.1; done
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""
wait "$tpid" 2>/dev/null
"$PY" - "$cap/ep-k" >"$w/torn.txt" 2>&1 <<'P'
import json, glob, sys
n = 0
for f in glob.glob(sys.argv[1] + "/**/*.jsonl", recursive=True):
    data = open(f, "rb").read()
    if not data.endswith(b"\n"): print("no final newline:", f)
    for line in data.splitlines():
        json.loads(line); n += 1
if n == 0: print("no record was written before the kill")
P
check "after kill -9 during traffic every capture file is whole ($(head -c 300 "$w/torn.txt"))" test ! -s "$w/torn.txt"

echo "serve_endpoints: $passes passed, $fails failed"
[ "$fails" = 0 ]
