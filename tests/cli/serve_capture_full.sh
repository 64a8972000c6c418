#!/usr/bin/env bash
# A full disk under data capture: the capture destination is a 128 KiB tmpfs (mounted in a
# private mount namespace: `unshare -m` as root, as the tests run in CI, else `unshare -rm` in a
# user namespace). 8 invocations are captured first; then 4 boto3 clients send 200 invocations
# of 4 KiB each (about 850 KiB of records). --capture-max-bytes is 128 KiB, so whatever the pace
# of the clients the writer tries at least 128 KiB more than the 8 records on a disk that holds
# 128 KiB, and the disk fills (the queue may fill too). Every invocation succeeds; every record
# is written, dropped or failed, and each of those not written is counted in /metrics; the loss
# is logged with the reason (ENOSPC); the files on the disk are whole JSON Lines (no torn record,
# no temporary file left), as many records as counted written; the capture queue gauge never
# goes above --capture-max-bytes, sampled all along. Once space is freed, capture writes again.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
if [ -z "${BM_CAPTURE_FULL_NS:-}" ]; then
    if [ "$(id -u)" = 0 ]; then ns=(unshare -m --propagation private); else ns=(unshare -r -m --propagation private); fi
    "${ns[@]}" true 2>"${TMPDIR:-/tmp}/serve_capture_full.$$" || {
        echo "FAIL: cannot make a private mount namespace for a small tmpfs (${ns[*]}: $(head -c 300 "${TMPDIR:-/tmp}/serve_capture_full.$$"))"
        rm -f "${TMPDIR:-/tmp}/serve_capture_full.$$"
        exit 1
    }
    rm -f "${TMPDIR:-/tmp}/serve_capture_full.$$"
    BM_CAPTURE_FULL_NS=1 exec "${ns[@]}" bash "$0" "$@"
fi
PY=/usr/bin/python3
"$PY" -c 'import boto3, botocore' 2>/dev/null || { echo "FAIL: Debian's boto3 is missing (apt-get install python3-boto3)"; exit 1; }
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d)
d=$(mktemp -d)
data="$d/data" pid="" mpid="" small="$w/small"
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    if [ -n "$mpid" ]; then kill -KILL "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; fi
    umount "$small" 2>/dev/null
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true PYTHONNOUSERSITE=1

mkdir -p "$small"
mount -t tmpfs -o size=128k,mode=0755 tmpfs "$small" || { echo "FAIL: cannot mount a 128 KiB tmpfs on $small"; exit 1; }

# ---- the model server: "x,..." -> "yes" when x >= 5 else "no"
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
mpid=$!
for _ in $(seq 1 100); do [ -s "$w/model.port" ] && break; sleep 0.1; done
[ -s "$w/model.port" ] || { echo "FAIL: the model server did not start"; exit 1; }
murl="http://127.0.0.1:$(cat "$w/model.port")/invocations"

"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --poll-ms 50 \
    --capture-flush 1 --capture-max-bytes 131072 >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do [ -s "$data/serve.json" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
url=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
key=$(sed -n 's/^access_key_id=//p' "$data/credentials")
secret=$(sed -n 's/^secret_access_key=//p' "$data/credentials")

# the gauge, sampled every 50 ms until told to stop (10 minutes at most)
( for _ in $(seq 1 12000); do
    [ -e "$w/stop-sampling" ] && break
    curl -sf "$url/metrics" | sed -n 's/^biasmon_capture_queued_bytes //p'
    sleep 0.05
  done ) >"$w/gauge.txt" 2>/dev/null &
gpid=$!

cat >"$w/client.py" <<'P'
import json, sys, threading, boto3
from botocore.config import Config
url, key, secret, murl, what, n, out = sys.argv[1:8]
cfg = Config(retries={"max_attempts": 1}, read_timeout=60, max_pool_connections=8)
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)
sm = boto3.client("sagemaker", **kw)
if what == "setup":
    sm.create_model(ModelName="m-1", ExecutionRoleArn="arn:aws:iam::123456789012:role/R",
                    PrimaryContainer={"Image": "any", "Environment": {"BIASMON_MODEL_URL": murl}})
    sm.create_endpoint_config(EndpointConfigName="ec-full", ProductionVariants=[{"VariantName": "AllTraffic",
        "ModelName": "m-1", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": sys.argv[8],
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
    sm.create_endpoint(EndpointName="ep-full", EndpointConfigName="ec-full")
ok, errors = [0], []
lock = threading.Lock()
def run(t):
    rt = boto3.client("sagemaker-runtime", **kw)
    for i in range(t, int(n), 4):
        try:
            body = "%d,%s" % (i % 10, "z" * 4096)
            r = rt.invoke_endpoint(EndpointName="ep-full", ContentType="text/csv", Body=body, InferenceId="%s-%d" % (what, i))
            good = r["Body"].read() == (b"yes" if i % 10 >= 5 else b"no")
            with lock:
                ok[0] += good
        except Exception as e:
            with lock:
                errors.append(str(e)[:200])
ts = [threading.Thread(target=run, args=(t,)) for t in range(4)]
for t in ts: t.start()
for t in ts: t.join()
json.dump({"ok": ok[0], "errors": errors[:3]}, open(out, "w"))
P
metric() { curl -sf "$url/metrics" | sed -n "s/^biasmon_capture_records_total{result=\"$1\"} //p"; }
settled() { # total: written + failed + dropped reaches it (60 s at most)
    for _ in $(seq 1 600); do
        [ $(( $(metric written) + $(metric failed) + $(metric dropped_queue_full) )) = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
"$PY" "$w/client.py" "$url" "$key" "$secret" "$murl" setup 8 "$w/r0.json" "$small/capture" 2>"$w/client0.err"
check "8 invocations succeed ($(tail -c 300 "$w/client0.err"))" \
    test "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' "$w/r0.json" 2>/dev/null)" = 8
check "and are written while there is room" settled 8
"$PY" "$w/client.py" "$url" "$key" "$secret" "$murl" bulk 200 "$w/r1.json" 2>"$w/client.err"
check "all 200 invocations succeed with the capture disk full ($(head -c 400 "$w/r1.json" 2>/dev/null) $(tail -c 300 "$w/client.err"))" \
    test "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' "$w/r1.json" 2>/dev/null)" = 200
check "every record is written, dropped or failed, and counted" settled 208
written=$(metric written) failed=$(metric failed) dropped=$(metric dropped_queue_full)
check "the disk filled: records failed (written $written, failed $failed, dropped $dropped)" \
    test "$failed" -gt 0
check "the loss is logged with the reason" grep -q 'event=capture_failed prefix=".*/small/capture/ep-full/AllTraffic/.*reason=".*No space left on device' "$w/serve.log"
"$PY" - "$small/capture" "$written" >"$w/torn.txt" 2>&1 <<'P'
import glob, json, os, sys
n = 0
for root, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(root, f)
        if f.startswith(".") or not f.endswith(".jsonl"):
            print("a file that is not a capture file:", p); continue
        data = open(p, "rb").read()
        if not data.endswith(b"\n"): print("no final newline:", p)
        for line in data.splitlines():
            json.loads(line); n += 1
if n != int(sys.argv[2]): print("%d records on disk, %s counted written" % (n, sys.argv[2]))
P
check "the files on the full disk are whole, as many records as counted ($(head -c 400 "$w/torn.txt"))" test ! -s "$w/torn.txt"

# ---- space is freed: capture writes again
rm -rf "${small:?}/capture"
"$PY" "$w/client.py" "$url" "$key" "$secret" "$murl" again 8 "$w/r2.json" 2>"$w/client2.err"
check "8 more invocations succeed" test "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' "$w/r2.json" 2>/dev/null)" = 8
check "and are written once there is room" settled 216
check "all 8 written (written $(metric written), was $written)" test "$(metric written)" = $((written + 8))
touch "$w/stop-sampling"
wait "$gpid"
max=$(sort -n "$w/gauge.txt" | tail -1)
check "the capture queue gauge was sampled ($(wc -l <"$w/gauge.txt") samples)" test "$(wc -l <"$w/gauge.txt")" -gt 10
check "the capture queue gauge stayed at most --capture-max-bytes (max $max)" test "${max:-0}" -le 131072
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?; pid=""
check "serve stops cleanly (exit $rc)" test "$rc" = 0

echo "serve_capture_full: $passes passed, $fails failed"
[ "$fails" = 0 ]
