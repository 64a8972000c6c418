#!/usr/bin/env bash
# InvokeEndpoint's request path: the same fixed-answer upstream (nginx, `return 200`) loaded at a
# fixed rate directly and through biasmon serve (SigV4-verified, forwarded with libcurl), with data
# capture at 100% (Input and Output) and without it. docs/performance.md ("InvokeEndpoint") records
# the figures.
#
# usage: bench/bench_invoke.sh [BUILD_DIR]      (default build; needs BUILD_DIR/biasmon and
#        BUILD_DIR/serve_rate, a Release build; nginx from Debian's nginx-light, installed when missing)
#
# Knobs (environment): RATE (2000 req/s), DURATION (10 s), CONNS (16), REPS (3), BENCH_DIR
# (/tmp/biasmon-bench-invoke). Loopback only; everything it starts is stopped on exit.
set -u
B=${1:-build}
RATE=${RATE:-2000} DURATION=${DURATION:-10} CONNS=${CONNS:-16} REPS=${REPS:-3}
dir=${BENCH_DIR:-/tmp/biasmon-bench-invoke}
[ -x "$B/biasmon" ] && [ -x "$B/serve_rate" ] || { echo "build $B/biasmon and $B/serve_rate first (Release)"; exit 2; }
command -v nginx >/dev/null || apt-get install -y nginx-light >/dev/null || { echo "nginx is missing"; exit 2; }
rm -rf "$dir" && mkdir -p "$dir/nginx" "$dir/files" || exit 1
npid="" bpid=""
cleanup() {
    [ -n "$bpid" ] && kill -TERM "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null
    [ -n "$npid" ] && kill -TERM "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
}
trap cleanup EXIT
port=$((20000 + RANDOM % 20000))
cat >"$dir/nginx/nginx.conf" <<N
daemon off; worker_processes 1; pid $dir/nginx/nginx.pid; error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $dir/nginx; keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; location /invocations { default_type text/csv; return 200 "0.73"; } } }
N
nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" &
npid=$!
data="$dir/data"
"$B/biasmon" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$dir/files" --log-level warn >"$dir/serve.log" 2>&1 &
bpid=$!
for _ in $(seq 1 100); do [ -s "$data/serve.json" ] && break; sleep 0.1; done
bport=$(sed -n 's/.*"endpoint_url": *"http:\/\/127.0.0.1:\([0-9]*\)".*/\1/p' "$data/serve.json")
[ -n "$bport" ] || { echo "biasmon serve did not start"; cat "$dir/serve.log"; exit 1; }
call() { "$B/biasmon" call --data-dir "$data" "$@" >/dev/null || exit 1; }
call CreateModel "{\"ModelName\": \"m\", \"ExecutionRoleArn\": \"arn:aws:iam::123456789012:role/R\",
  \"PrimaryContainer\": {\"Image\": \"x\", \"Environment\": {\"BIASMON_MODEL_URL\": \"http://127.0.0.1:$port/invocations\"}}}"
for cap in on off; do
    dc=""
    [ "$cap" = on ] && dc=", \"DataCaptureConfig\": {\"InitialSamplingPercentage\": 100, \"DestinationS3Uri\": \"$dir/files/capture\",
        \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}"
    call CreateEndpointConfig "{\"EndpointConfigName\": \"ec-$cap\", \"ProductionVariants\": [{\"VariantName\": \"AllTraffic\",
        \"ModelName\": \"m\", \"InitialInstanceCount\": 1, \"InstanceType\": \"ml.m5.large\"}]$dc}"
    call CreateEndpoint "{\"EndpointName\": \"ep-$cap\", \"EndpointConfigName\": \"ec-$cap\"}"
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, clock ticks
run() { # label, serve_rate args...
    local label=$1; shift
    local line c0 c1 hz
    hz=$(getconf CLK_TCK)
    c0=$(cpu "$bpid")
    line=$("$B/serve_rate" --rate "$RATE" --duration "$DURATION" --warmup 2 --connections "$CONNS" --cycle 100 \
        --body-fmt '%d,39,Private,13,Never-married,Male,40' "$@" | grep '^RESULT')
    c1=$(cpu "$bpid")
    # biasmon's CPU per request over the whole run (warm-up included; zero for the direct runs)
    echo "$label $line biasmon_cpu_us_per_req=$(( (c1 - c0) * 1000000 / hz / (RATE * (DURATION + 2)) ))"
}
for r in $(seq 1 "$REPS"); do
    run "direct      " --port "$port" --path /invocations
    run "biasmon/off " --port "$bport" --path /endpoints/ep-off/invocations --sign "$data"
    run "biasmon/cap " --port "$bport" --path /endpoints/ep-on/invocations --sign "$data"
done
rss=$(awk '/VmHWM/ {print $2}' "/proc/$bpid/status")
curl -s "http://127.0.0.1:$bport/metrics" | grep -E '^biasmon_(invocations|capture)' | sed 's/^/metrics: /'
echo "biasmon peak RSS: ${rss} kB; capture files: $(find "$dir/files/capture" -type f | wc -l)"
