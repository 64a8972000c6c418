#!/usr/bin/env bash
# nginx (Debian's nginx-light) as the model server behind a biasmon endpoint, the second real model
# server of the endpoint tests beside serve_endpoints.sh's Python one: fixed answers (CSV and JSON)
# come back through InvokeEndpoint (aws CLI and boto3), an upstream 503 is ModelError with the
# model's status and body, data capture writes what was asked and answered, and
# UpdateEndpointWeightsAndCapacities while boto3 keeps invoking drops no request (every call answers
# 200, from the variant the weights say, before and after).
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
AWS=/usr/bin/aws PY=/usr/bin/python3 NGINX=/usr/sbin/nginx
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
for t in "$AWS" "$PY" "$NGINX"; do
    [ -x "$t" ] || { echo "FAIL: $t is missing (scripts/deps.sh test installs awscli, python3, nginx-light)"; exit 1; }
done
"$PY" -c 'import boto3' 2>/dev/null || { echo "FAIL: Debian's boto3 is missing (apt-get install python3-boto3)"; exit 1; }
w=$(mktemp -d)
chmod 755 "$w" # nginx's workers (nobody when run as root) read nothing here but need to pass
d=$(mktemp -d)
data="$d/data" pid="" npid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    if [ -n "$npid" ]; then kill -TERM "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_MAX_ATTEMPTS=1 \
    AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_OUTPUT=json PYTHONNOUSERSITE=1

# ---- nginx on a free loopback port: /a answers 0.73 (CSV), /b a JSON document, /down 503
mkdir -p "$w/nginx"
nport=""
for _ in $(seq 1 20); do
    p=$((20000 + RANDOM % 30000))
    cat >"$w/nginx/nginx.conf" <<N
daemon off; worker_processes 1; pid $w/nginx/nginx.pid; error_log $w/nginx/error.log;
events { worker_connections 256; }
http { access_log off; client_body_temp_path $w/nginx/body; proxy_temp_path $w/nginx/proxy;
  fastcgi_temp_path $w/nginx/fcgi; uwsgi_temp_path $w/nginx/uwsgi; scgi_temp_path $w/nginx/scgi;
  server { listen 127.0.0.1:$p;
    location = /a { default_type "text/csv"; return 200 "0.73"; }
    location = /b { default_type "application/json"; return 200 '{"predictions": [{"score": 0.41}]}'; }
    location = /down { default_type "text/plain"; return 503 "overloaded"; } } }
N
    "$NGINX" -c "$w/nginx/nginx.conf" -p "$w/nginx" 2>"$w/nginx/start.err" &
    npid=$!
    for _ in $(seq 1 50); do
        "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$p" 2>/dev/null && { nport=$p; break; }
        kill -0 "$npid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$nport" ] && break
    kill -TERM "$npid" 2>/dev/null; wait "$npid" 2>/dev/null; npid=""
done
[ -n "$nport" ] || { echo "FAIL: nginx did not start: $(head -c 400 "$w/nginx/start.err" "$w/nginx/error.log" 2>/dev/null)"; exit 1; }
base="http://127.0.0.1:$nport"

# ---- biasmon serve
"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --poll-ms 50 \
    --time-start 2026-11-24T10:20:00Z --capture-flush 1 >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -s "$data/serve.json" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
url=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
AWS_ACCESS_KEY_ID=$(sed -n 's/^access_key_id=//p' "$data/credentials")
AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secret_access_key=//p' "$data/credentials")
aws_() { "$AWS" --endpoint-url "$url" --region us-east-1 --output json --cli-read-timeout 30 --cli-connect-timeout 5 "$@"; }
jq_() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
role=arn:aws:iam::123456789012:role/SageMakerRole
for m in a b down; do
    aws_ sagemaker create-model --model-name "ng-$m" --execution-role-arn $role \
        --primary-container "Image=nginx,Environment={BIASMON_MODEL_URL=$base/$m}" >/dev/null 2>"$w/stderr"
    check "CreateModel ng-$m ($(head -c 300 "$w/stderr"))" test $? = 0
done
cat >"$w/ec.json" <<J
{"EndpointConfigName": "ng-ec", "ProductionVariants": [
  {"VariantName": "A", "ModelName": "ng-a", "InitialVariantWeight": 1},
  {"VariantName": "B", "ModelName": "ng-b", "InitialVariantWeight": 0},
  {"VariantName": "D", "ModelName": "ng-down", "InitialVariantWeight": 0}],
 "DataCaptureConfig": {"EnableCapture": true, "InitialSamplingPercentage": 100,
   "DestinationS3Uri": "file://$w/capture", "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}}
J
aws_ sagemaker create-endpoint-config --cli-input-json "file://$w/ec.json" >/dev/null 2>"$w/stderr"
check "CreateEndpointConfig ($(head -c 300 "$w/stderr"))" test $? = 0
aws_ sagemaker create-endpoint --endpoint-name ng --endpoint-config-name ng-ec >/dev/null 2>"$w/stderr"
check "CreateEndpoint ($(head -c 300 "$w/stderr"))" test $? = 0

printf '39,State-gov,13' >"$w/in.csv"
aws_ sagemaker-runtime invoke-endpoint --endpoint-name ng --content-type text/csv \
    --inference-id ng-cli-1 --body "fileb://$w/in.csv" "$w/answer" >"$w/inv.json" 2>"$w/stderr"
check "aws CLI through biasmon to nginx ($(head -c 300 "$w/stderr"))" test "$(cat "$w/answer" 2>/dev/null)" = 0.73
check "nginx's content type and variant A" test "$(jq_ "$w/inv.json" '(d["ContentType"], d["InvokedProductionVariant"])')" = "('text/csv', 'A')"

# ---- boto3: variant B's JSON, D's 503, and a weight change while requests flow
cat >"$w/traffic.py" <<'P'
import json, sys, threading, time, boto3, botocore
from botocore.config import Config
url, out = sys.argv[1], sys.argv[2]
cfg = Config(retries={"total_max_attempts": 1}, read_timeout=30, connect_timeout=5, max_pool_connections=4)
rt = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1", config=cfg)
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", config=cfg)
res = {}
r = rt.invoke_endpoint(EndpointName="ng", ContentType="text/csv", Body=b"1,2,3", TargetVariant="B",
                       InferenceId="ng-b-1")
res["b"] = [json.loads(r["Body"].read()), r["ContentType"], r["InvokedProductionVariant"]]
try:
    rt.invoke_endpoint(EndpointName="ng", ContentType="text/csv", Body=b"1,2,3", TargetVariant="D")
    res["down"] = "answered"
except botocore.exceptions.ClientError as e:
    res["down"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                   e.response.get("OriginalStatusCode"), e.response["Error"].get("Message", "")]
calls, lock = [], threading.Lock()
stop = threading.Event()
def worker(k):
    n = 0
    while not stop.is_set() and n < 400:  # bounded
        n += 1
        t0 = time.time()
        try:
            r = rt.invoke_endpoint(EndpointName="ng", ContentType="text/csv", Body=b"5,6,7",
                                   InferenceId="ng-%d-%d" % (k, n))
            item = (t0, r["InvokedProductionVariant"], r["ResponseMetadata"]["HTTPStatusCode"])
        except Exception as e:  # a dropped request is a failure of the test, recorded
            item = (t0, "error", repr(e)[:200])
        with lock:
            calls.append(item)
ts = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
for t in ts: t.start()
time.sleep(1.0)
t_update = time.time()
sm.update_endpoint_weights_and_capacities(EndpointName="ng", DesiredWeightsAndCapacities=[
    {"VariantName": "A", "DesiredWeight": 0}, {"VariantName": "B", "DesiredWeight": 1}])
t_done = time.time()
time.sleep(1.0)
stop.set()
for t in ts: t.join(60)
res["calls"] = len(calls)
res["errors"] = [c for c in calls if c[1] == "error" or c[2] != 200][:5]
res["before"] = sorted(set(c[1] for c in calls if c[0] < t_update))
res["after"] = sorted(set(c[1] for c in calls if c[0] > t_done + 0.2))
res["n_before"] = sum(1 for c in calls if c[0] < t_update)
res["n_after"] = sum(1 for c in calls if c[0] > t_done + 0.2)
json.dump(res, open(out, "w"))
P
timeout 180 "$PY" "$w/traffic.py" "$url" "$w/traffic.json" 2>"$w/stderr"
check "boto3 traffic ran ($(tail -c 400 "$w/stderr"))" test -s "$w/traffic.json"
check "variant B: nginx's JSON, its content type" test "$(jq_ "$w/traffic.json" 'd["b"]')" = "[{'predictions': [{'score': 0.41}]}, 'application/json', 'B']"
check "variant D: nginx's 503 is ModelError 424 with the model's status and body" \
    test "$(jq_ "$w/traffic.json" '(d["down"][0], d["down"][1], d["down"][2], "overloaded" in d["down"][3])')" = "('ModelError', 424, 503, True)"
check "no request dropped while the weights changed ($(jq_ "$w/traffic.json" 'd["errors"]'))" \
    test "$(jq_ "$w/traffic.json" 'd["errors"] == [] and d["calls"] > 0')" = True
check "before the update every call went to A ($(jq_ "$w/traffic.json" 'd["n_before"]') calls)" \
    test "$(jq_ "$w/traffic.json" 'd["before"] == ["A"] and d["n_before"] > 0')" = True
check "after it every call went to B ($(jq_ "$w/traffic.json" 'd["n_after"]') calls)" \
    test "$(jq_ "$w/traffic.json" 'd["after"] == ["B"] and d["n_after"] > 0')" = True

# ---- the capture: what was asked and what nginx answered, once per answered call
ok_calls=$(jq_ "$w/traffic.json" 'd["calls"]')
want=$((ok_calls + 2)) # + the aws CLI's call and B's JSON call (D's ModelError is not captured)
got=0
for _ in $(seq 1 100); do
    got=$(cat "$w"/capture/ng/*/2026/11/24/*/*.jsonl 2>/dev/null | wc -l)
    [ "$got" -ge "$want" ] && break
    sleep 0.2
done
check "every answered call captured ($got of $want records)" test "$got" = "$want"
"$PY" - "$w/capture" >"$w/cap.txt" 2>&1 <<'P'
import glob, json, sys
recs = {}
for f in glob.glob(sys.argv[1] + "/ng/*/2026/11/24/*/*.jsonl"):
    for line in open(f):
        r = json.loads(line)
        recs[r["eventMetadata"].get("inferenceId")] = (f.split("/ng/")[1].split("/")[0], r["captureData"])
v, cd = recs["ng-cli-1"]
assert v == "A", v
assert cd["endpointInput"]["data"] == "39,State-gov,13" and cd["endpointInput"]["encoding"] == "CSV", cd
assert cd["endpointOutput"]["data"] == "0.73" and cd["endpointOutput"]["observedContentType"] == "text/csv", cd
v, cd = recs["ng-b-1"]
assert v == "B", v
assert json.loads(cd["endpointOutput"]["data"]) == {"predictions": [{"score": 0.41}]}, cd
assert cd["endpointOutput"]["encoding"] == "JSON", cd
P
check "the captured records hold the request and nginx's answers ($(head -c 400 "$w/cap.txt"))" test ! -s "$w/cap.txt"

kill -TERM "$pid"
rc=timeout
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || { wait "$pid"; rc=$?; break; }; sleep 0.1; done
pid=""
check "serve stops cleanly (exit $rc)" test "$rc" = 0
check "no sanitizer report in the service's log" sh -c '! grep -q "Sanitizer" "$1"' _ "$w/serve.log"

echo "serve_nginx: $passes passed, $fails failed"
[ "$fails" = 0 ]
