#!/usr/bin/env bash
# A slow model server never starves the API (issue 12): a model server from Python's standard
# library holds its answers to /slow until the test opens a gate (at most 30 s). While 16
# invocations of one endpoint and 4 of another hang there (more than the 4 HTTP threads), the
# management API (boto3 ListModels, DescribeEndpoint, ListMonitoringSchedules; the aws CLI's
# list-models), /metrics and an invocation of a fast endpoint each answer within 5 s (the old
# code, one HTTP thread per waiting invocation, answered after the 30 s); one more invocation of
# the slow endpoint gets 429 ThrottlingException at once (--invoke-max-inflight-per-endpoint), and
# with the global cap reached one more of any endpoint 503 ServiceUnavailable at once
# (--invoke-max-inflight). Then the gate opens and every slow invocation gets its own answer,
# captured. A model server that is down gives ModelError at
# once; one that does not answer within --invoke-timeout gives ModelError saying so; SIGTERM with
# invocations hanging answers them 503 ServiceUnavailable after the grace and exits cleanly
# (sanitizers included).
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
w=$(mktemp -d) d=$(mktemp -d)
data="$d/data" pid="" mpid="" cpids=""
cleanup() {
    for p in $cpids; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    if [ -n "$mpid" ]; then kill -KILL "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_MAX_ATTEMPTS=1 \
    AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_OUTPUT=json PYTHONNOUSERSITE=1

# ---- the model server: /slow waits for the gate file (at most 30 s), /hang answers after 10 s,
# anything else at once; each answers "<path>:<body>". GET /held: how many /slow it holds now.
cat >"$w/model.py" <<'P'
import http.server, os, sys, threading, time
gate = sys.argv[2]
held, lock = 0, threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        out = str(held).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def do_POST(self):
        global held
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/slow":
            with lock: held += 1
            for _ in range(300):
                if os.path.exists(gate): break
                time.sleep(0.1)
            with lock: held -= 1
        elif self.path == "/hang":
            time.sleep(10)
        out = self.path.encode()[1:] + b":" + body
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass  # the caller gave up (timeout)
class S(http.server.ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
P
"$PY" "$w/model.py" "$w/model.port" "$w/gate" &
mpid=$!
for _ in $(seq 1 100); do [ -s "$w/model.port" ] && break; sleep 0.1; done
[ -s "$w/model.port" ] || { echo "FAIL: the model server did not start"; exit 1; }
mport=$(cat "$w/model.port")
# a port nothing listens on: bound and closed again
closed=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

start_daemon() { # log, serve settings...
    log=$1; shift
    rm -f "$data/serve.json"
    "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --poll-ms 50 \
        --time-start 2026-11-24T10:20:00Z --capture-flush 1 "$@" >>"$log" 2>&1 &
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
stop_daemon() { # sets stop_rc (exit status, "timeout", or the sanitizer's report) and stop_s
    local t0=$SECONDS
    kill -TERM "$pid"
    stop_rc=timeout
    for _ in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid"; stop_rc=$?; break; }
        sleep 0.1
    done
    [ "$stop_rc" = timeout ] && kill -KILL "$pid" 2>/dev/null
    pid=""
    stop_s=$((SECONDS - t0))
    local san
    san=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z -]*' "$log")
    [ -n "$san" ] && stop_rc="$stop_rc, $san"
}
sm() { "$AWS" --endpoint-url "$url" --region us-east-1 --output json --cli-read-timeout 60 --cli-connect-timeout 5 sagemaker "$@"; }
jq_() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
metric() { # name: its value in /metrics now ("" when it cannot be had within 5 s)
    curl -s --max-time 5 "$url/metrics" | sed -n "s/^$1 //p"
}

# ---- invocations from boto3, N at once, each with its own inference id; the outcomes in a file
cat >"$w/invoke.py" <<'P'
import json, os, sys, threading, time, boto3, botocore
from botocore.config import Config
url, key, secret, endpoint, prefix, n, out = sys.argv[1:8]
n = int(n)
rt = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                  aws_secret_access_key=secret,
                  config=Config(retries={"total_max_attempts": 1}, read_timeout=90, connect_timeout=5,
                                max_pool_connections=n + 2))
res = [None] * n
def one(i):
    t0 = time.monotonic()
    try:
        r = rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body="%s-%d" % (prefix, i),
                               InferenceId="%s-%d" % (prefix, i))
        res[i] = {"status": 200, "body": r["Body"].read().decode(), "variant": r["InvokedProductionVariant"]}
    except botocore.exceptions.ClientError as e:
        res[i] = {"status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"],
                  "message": e.response["Error"].get("Message", "")}
    except Exception as e:
        res[i] = {"status": 0, "code": type(e).__name__, "message": str(e)}
    res[i]["seconds"] = time.monotonic() - t0
ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in ts: t.start()
for t in ts: t.join()
json.dump(res, open(out + ".tmp", "w"))
os.rename(out + ".tmp", out)
P
invoke_bg() { # endpoint prefix n out: runs in the background (pid added to cpids)
    "$PY" "$w/invoke.py" "$url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$@" 2>>"$w/invoke.err" &
    cpids="$cpids $!"
}
invoke_now() { # endpoint prefix n out
    "$PY" "$w/invoke.py" "$url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$@" 2>>"$w/invoke.err"
}
wait_held() { # n: until the model server holds n /slow calls (at most 8 s, so that on a server
    # that does not let them all through the probes below still run while they hang); 0 when so
    local v=""
    for _ in $(seq 1 40); do
        v=$(curl -s --max-time 2 "http://127.0.0.1:$mport/held")
        [ "$v" = "$1" ] && return 0
        sleep 0.2
    done
    echo "  (the model server holds '${v}', wanted $1)"
    return 1
}
wait_inflight() { # n: until /metrics says n invocations are in flight (at most 30 s); 0 when so
    local v=""
    for _ in $(seq 1 150); do
        v=$(metric biasmon_invocations_in_flight)
        [ "$v" = "$1" ] && return 0
        sleep 0.2
    done
    echo "  (in flight: '${v}', wanted $1)"
    return 1
}

start_daemon "$w/serve.log" --http-threads 4 --invoke-max-inflight 21 --invoke-max-inflight-per-endpoint 16

# ---- models and endpoints: ep-slow (captured), ep-slow2, ep-fast, ep-down (nothing listens)
role=arn:aws:iam::123456789012:role/SageMakerRole
for m in slow:/slow fast:/fast down:/down; do
    name=${m%%:*} path=${m#*:} port=$mport
    [ "$name" = down ] && port=$closed
    sm create-model --model-name "m-$name" --execution-role-arn $role \
        --primary-container "Image=any,Environment={BIASMON_MODEL_URL=http://127.0.0.1:$port$path}" >/dev/null 2>"$w/stderr"
    check "CreateModel m-$name ($(head -c 300 "$w/stderr"))" test $? = 0
done
cat >"$w/capture.json" <<J
{"EnableCapture": true, "InitialSamplingPercentage": 100, "DestinationS3Uri": "$w/capture",
 "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
J
for e in slow:slow slow2:slow fast:fast down:down; do
    ep=${e%%:*} model=${e#*:}
    dc=""
    [ "$ep" = slow ] && dc="--data-capture-config file://$w/capture.json"
    # shellcheck disable=SC2086
    sm create-endpoint-config --endpoint-config-name "ec-$ep" $dc \
        --production-variants "VariantName=AllTraffic,ModelName=m-$model,InitialInstanceCount=1,InstanceType=ml.m5.large" \
        >/dev/null 2>"$w/stderr" &&
        sm create-endpoint --endpoint-name "ep-$ep" --endpoint-config-name "ec-$ep" >/dev/null 2>>"$w/stderr"
    check "CreateEndpoint ep-$ep ($(head -c 300 "$w/stderr"))" test $? = 0
done

# ---- the model server is down: ModelError at once
invoke_now ep-down d 1 "$w/down.json"
check "a model server that is down: ModelError 424 ($(head -c 300 "$w/down.json" 2>/dev/null))" \
    test "$(jq_ "$w/down.json" '(d[0]["status"], d[0]["code"])' 2>/dev/null)" = "(424, 'ModelError')"
check "... saying it cannot be reached" grep -q 'cannot be reached' "$w/down.json"
check "... within 5 s" test "$(jq_ "$w/down.json" 'd[0]["seconds"] < 5' 2>/dev/null)" = True

# ---- 16 + 4 invocations hang on the model server (4 HTTP threads)
invoke_bg ep-slow s 16 "$w/slow.json"
check "16 invocations of ep-slow reach the model server at once" wait_held 16
check "... and /metrics counts them in flight" test "$(metric biasmon_invocations_in_flight)" = 16
invoke_bg ep-slow2 t 4 "$w/slow2.json"
check "and 4 of ep-slow2: 20 at once" wait_held 20

# while they hang: the API, /metrics and another endpoint answer (timed in one boto3 process)
cat >"$w/probe.py" <<'P'
import json, sys, time, boto3, botocore
from botocore.config import Config
url, key, secret, out = sys.argv[1:5]
cfg = Config(retries={"total_max_attempts": 1}, read_timeout=60, connect_timeout=5)
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)
sm, rt = boto3.client("sagemaker", **kw), boto3.client("sagemaker-runtime", **kw)
res = {}
def timed(name, f):
    t0 = time.monotonic()
    try:
        v = f()
    except botocore.exceptions.ClientError as e:
        v = {"status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"],
             "message": e.response["Error"].get("Message", "")}
    except Exception as e:
        v = {"status": 0, "code": type(e).__name__, "message": str(e)}
    res[name] = {"seconds": time.monotonic() - t0, "value": v}
timed("list_models", lambda: sorted(m["ModelName"] for m in sm.list_models()["Models"]))
timed("describe_endpoint", lambda: sm.describe_endpoint(EndpointName="ep-slow")["EndpointStatus"])
timed("list_schedules", lambda: len(sm.list_monitoring_schedules()["MonitoringScheduleSummaries"]))
timed("invoke_fast", lambda: rt.invoke_endpoint(EndpointName="ep-fast", ContentType="text/csv", Body="f-1")["Body"].read().decode())
json.dump(res, open(out, "w"))
P
"$PY" "$w/probe.py" "$url" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$w/probe.json" 2>"$w/stderr"
check "the probes ran ($(tail -c 300 "$w/stderr"))" test -s "$w/probe.json"
for p in list_models describe_endpoint list_schedules invoke_fast; do
    check "while 20 invocations hang, $p answers within 5 s ($(jq_ "$w/probe.json" "d['$p']" 2>/dev/null))" \
        test "$(jq_ "$w/probe.json" "d['$p']['seconds'] < 5" 2>/dev/null)" = True
done
check "ListModels lists the three" test "$(jq_ "$w/probe.json" "d['list_models']['value']" 2>/dev/null)" = \
    "['m-down', 'm-fast', 'm-slow']"
check "DescribeEndpoint says InService" test "$(jq_ "$w/probe.json" "d['describe_endpoint']['value']" 2>/dev/null)" = InService
check "the fast endpoint gives its model's answer" test "$(jq_ "$w/probe.json" "d['invoke_fast']['value']" 2>/dev/null)" = "fast:f-1"
t0=$(date +%s%N)
sm list-models >"$w/lm.json" 2>"$w/stderr"
rc=$? t1=$(date +%s%N)
check "the aws CLI's list-models answers meanwhile (exit $rc: $(head -c 300 "$w/stderr"))" test "$rc" = 0
check "... within 10 s, its own start-up included ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 10000
t0=$(date +%s%N)
curl -s --max-time 30 "$url/metrics" >"$w/metrics.txt"
rc=$? t1=$(date +%s%N)
check "/metrics answers within 5 s meanwhile (curl exit $rc, $(((t1 - t0) / 1000000)) ms)" \
    test "$rc" = 0 -a $(((t1 - t0) / 1000000)) -lt 5000
check "/metrics: 20 invocations in flight" grep -qx 'biasmon_invocations_in_flight 20' "$w/metrics.txt"

# over the caps: answered at once, not queued
invoke_now ep-slow x 1 "$w/over1.json"
check "one more of ep-slow: 429 ThrottlingException ($(head -c 300 "$w/over1.json" 2>/dev/null))" \
    test "$(jq_ "$w/over1.json" '(d[0]["status"], d[0]["code"])' 2>/dev/null)" = "(429, 'ThrottlingException')"
check "... naming the setting" grep -q 'invoke-max-inflight-per-endpoint' "$w/over1.json"
check "... within 5 s" test "$(jq_ "$w/over1.json" 'd[0]["seconds"] < 5' 2>/dev/null)" = True
invoke_bg ep-slow2 u 1 "$w/slow3.json"
check "one more of ep-slow2: 21 at once" wait_held 21
invoke_now ep-fast y 1 "$w/over2.json"
check "one more of any endpoint: 503 ServiceUnavailable ($(head -c 300 "$w/over2.json" 2>/dev/null))" \
    test "$(jq_ "$w/over2.json" '(d[0]["status"], d[0]["code"])' 2>/dev/null)" = "(503, 'ServiceUnavailable')"
check "... within 5 s" test "$(jq_ "$w/over2.json" 'd[0]["seconds"] < 5' 2>/dev/null)" = True

# ---- the gate opens: every slow invocation gets its own answer
touch "$w/gate"
for _ in $(seq 1 400); do [ -s "$w/slow.json" ] && [ -s "$w/slow2.json" ] && [ -s "$w/slow3.json" ] && break; sleep 0.1; done
check "the 16 slow invocations of ep-slow got their own answers ($(head -c 300 "$w/slow.json" 2>/dev/null))" \
    test "$(jq_ "$w/slow.json" 'all(r["status"] == 200 and r["body"] == "slow:s-%d" % i and r["variant"] == "AllTraffic" for i, r in enumerate(d))' 2>/dev/null)" = True
check "the 4 + 1 of ep-slow2 too" \
    test "$(jq_ "$w/slow2.json" 'all(r["status"] == 200 and r["body"] == "slow:t-%d" % i for i, r in enumerate(d))' 2>/dev/null)$(jq_ "$w/slow3.json" 'd[0]["body"]' 2>/dev/null)" = Trueslow:u-0
check "nothing is in flight afterwards" wait_inflight 0
curl -s --max-time 5 "$url/metrics" >"$w/metrics.txt"
check "/metrics counts the 2 refused" grep -qx 'biasmon_invocations_total{outcome="refused"} 2' "$w/metrics.txt"
check "/metrics counts 22 answered (21 slow, 1 fast)" grep -qx 'biasmon_invocations_total{outcome="ok"} 22' "$w/metrics.txt"
# the capture of ep-slow: its 16 records with their inputs and outputs (written within --capture-flush)
for _ in $(seq 1 100); do
    [ "$(cat "$w"/capture/ep-slow/AllTraffic/2026/11/24/10/*.jsonl 2>/dev/null | wc -l)" -ge 16 ] && break
    sleep 0.1
done
"$PY" - "$w/capture" >"$w/cap.txt" 2>&1 <<'P'
import base64, glob, json, sys
recs = {}
for f in glob.glob(sys.argv[1] + "/ep-slow/AllTraffic/2026/11/24/10/*.jsonl"):
    for line in open(f):
        r = json.loads(line)
        recs[r["eventMetadata"]["inferenceId"]] = r["captureData"]
ok = sorted(recs) == sorted("s-%d" % i for i in range(16)) and all(
    c["endpointInput"]["data"] == k and c["endpointOutput"]["data"] == "slow:" + k for k, c in recs.items())
print("ok" if ok else "wrong: %r" % sorted(recs.items())[:3])
P
check "the 16 slow invocations are captured with their input and output ($(head -c 300 "$w/cap.txt"))" \
    test "$(cat "$w/cap.txt")" = ok
check "ep-slow2 has no capture (none configured)" test ! -e "$w/capture/ep-slow2"
stop_daemon
check "biasmon serve stops cleanly (exit $stop_rc)" test "$stop_rc" = 0

# ---- a model server that does not answer within --invoke-timeout; SIGTERM with invocations hanging
rm -f "$w/gate"
start_daemon "$w/serve2.log" --invoke-timeout 2 --idle-timeout 3
sm create-model --model-name m-hang --execution-role-arn $role \
    --primary-container "Image=any,Environment={BIASMON_MODEL_URL=http://127.0.0.1:$mport/hang}" >/dev/null 2>"$w/stderr" &&
    sm create-endpoint-config --endpoint-config-name ec-hang \
        --production-variants "VariantName=AllTraffic,ModelName=m-hang,InitialInstanceCount=1,InstanceType=ml.m5.large" \
        >/dev/null 2>>"$w/stderr" &&
    sm create-endpoint --endpoint-name ep-hang --endpoint-config-name ec-hang >/dev/null 2>>"$w/stderr"
check "CreateEndpoint ep-hang ($(head -c 300 "$w/stderr"))" test $? = 0
invoke_now ep-hang h 1 "$w/hang.json"
check "a model server slower than --invoke-timeout 2: ModelError 424 ($(head -c 300 "$w/hang.json" 2>/dev/null))" \
    test "$(jq_ "$w/hang.json" '(d[0]["status"], d[0]["code"])' 2>/dev/null)" = "(424, 'ModelError')"
check "... saying it timed out" grep -q 'timed out' "$w/hang.json"
check "... after about 2 s, not 10 ($(jq_ "$w/hang.json" 'd[0]["seconds"]' 2>/dev/null) s)" \
    test "$(jq_ "$w/hang.json" '1.5 < d[0]["seconds"] < 8' 2>/dev/null)" = True
sm create-endpoint-config --endpoint-config-name ec-slow3 \
    --production-variants "VariantName=AllTraffic,ModelName=m-slow,InitialInstanceCount=1,InstanceType=ml.m5.large" \
    >/dev/null 2>"$w/stderr" && sm create-endpoint --endpoint-name ep-slow3 --endpoint-config-name ec-slow3 >/dev/null 2>>"$w/stderr"
check "CreateEndpoint ep-slow3 ($(head -c 300 "$w/stderr"))" test $? = 0
# --invoke-timeout 2 would cut the gate's wait: a new daemon with the default timeout for this part
stop_daemon
check "biasmon serve stops cleanly after the timeout (exit $stop_rc)" test "$stop_rc" = 0
start_daemon "$w/serve3.log" --idle-timeout 3
rm -f "$w/gone.json"
invoke_bg ep-slow3 g 6 "$w/gone.json"
check "6 invocations hang" wait_held 6
stop_daemon
check "SIGTERM with 6 invocations hanging: serve exits cleanly (exit $stop_rc)" test "$stop_rc" = 0
check "... after the grace (--idle-timeout 3), not the model's 30 s ($stop_s s)" test "$stop_s" -lt 15
for _ in $(seq 1 100); do [ -s "$w/gone.json" ] && break; sleep 0.1; done
check "... and each hanging invocation was answered 503 ServiceUnavailable ($(head -c 300 "$w/gone.json" 2>/dev/null))" \
    test "$(jq_ "$w/gone.json" 'all((r["status"], r["code"]) == (503, "ServiceUnavailable") for r in d)' 2>/dev/null)" = True
touch "$w/gate"

echo "serve_invoke_slow: $passes passed, $fails failed"
[ "$fails" = 0 ]
