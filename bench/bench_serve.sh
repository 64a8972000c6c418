#!/usr/bin/env bash
# Load benchmark of biasmon serve: the scheduler with 1,000 hourly schedules, and the API under wrk
# and under a fixed-rate client. docs/performance.md ("The service") records its figures.
#
# usage: bench/bench_serve.sh [BIASMON]      (default build/biasmon)
#
# It builds nothing. sign_request and serve_rate (bench/sign_request.c, bench/serve_rate.c) must be
# built next to BIASMON, as the CMake build does for every bench/*.c. wrk comes from Debian's wrk
# package (installed with apt-get when missing); perf (linux-perf) is optional.
#
# Phases, each run REPS times on a fresh copy of the same state (loopback only, every loop and
# wait bounded, every service it starts stopped on exit):
#   seed   biasmon serve on an empty data dir (clock from 2026-11-24T00:00:00Z): 1 endpoint config,
#          1 endpoint whose capture destination is an empty folder, 1 job definition and SCHEDULES
#          hourly schedules bench-0000.. through `biasmon call` (signed). Every first tick is 01:00.
#   idle   the service on a copy, clock at 00:10 (no tick due for 50 minutes), no API traffic:
#          the daemon's own CPU for IDLE_SECONDS = the cost of the scheduler's passes (every
#          --poll-ms, default 200 ms) over 1,000 schedules. Also on an empty data dir, for the floor.
#   tick   clock at 00:59:57: one hourly tick of every schedule 3 s after start, then the workers
#          (2, the default) run the executions, which fail at once ("no capture files"); measured
#          until every one has finished: CPU of the tick pass, and per execution.
#          (The api and poll phases run it once when PHASES leaves it out: they need its state.)
#   accel  clock at 00:57 running 60x (an hour a minute, first tick 3 s after start) for
#          ACCEL_SECONDS: ticks of every schedule, the daemon's own CPU and the workers' CPU.
#   api    the state the tick phase left (1,000 schedules, 1,000 executions), --auth off: wrk on
#          DescribeMonitoringSchedule, ListMonitoringSchedules (MaxResults 100),
#          ListMonitoringExecutions (one schedule's; and all, MaxResults 100); serve_rate at RATE
#          req/s on Describe. Then --auth on: the same Describe with SigV4 (pre-signed for wrk by
#          sign_request, signed per request by serve_rate). Then serve_rate once more with the
#          scheduler idle (--poll-ms 60000), to see what its passes cost the API's tail latency;
#          and at RATE req/s with an unknown X-Amz-Target (HTTP 400 without touching the state).
#          perf record on the daemon under Describe and ListMonitoringSchedules (first rep).
#   poll   the api state with --poll-ms 2000: the idle passes' CPU for IDLE_SECONDS, then serve_rate
#          on Describe: the settings workaround until the scheduler stops scanning every schedule.
# CPU: a thread's time on CPU is field 1 of /proc/PID/task/TID/schedstat (nanoseconds). "daemon" is
# the sum over the daemon's threads: its own CPU, workers (child processes) excluded; "scheduler" is
# its scheduler thread alone (the first thread it creates). The workers' CPU is cutime + cstime
# (fields 16-17 of /proc/PID/stat).
#
# Knobs (environment): BENCH_DIR (/tmp/biasmon-bench-serve), REPS (2), SCHEDULES (1000),
# IDLE_SECONDS (60), ACCEL_SECONDS (130), WRK_SECONDS (10), WRK_THREADS (2), WRK_CONNECTIONS (4),
# RATE (1000), RATE_SECONDS (10), PERF (1; 0 skips perf), PHASES ("idle tick accel api poll").
# Output: BENCH_DIR/results.txt (one line per measurement), raw outputs under BENCH_DIR/run/, and a
# summary with the medians over the repetitions on stdout (also BENCH_DIR/summary.txt).
set -euo pipefail

bin=$(realpath "${1:-build/biasmon}")
bindir=$(dirname "$bin")
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/biasmon-bench-serve}
reps=${REPS:-2}
nsched=${SCHEDULES:-1000}
idle_s=${IDLE_SECONDS:-60}
accel_s=${ACCEL_SECONDS:-130}
wrk_s=${WRK_SECONDS:-10}
wrk_t=${WRK_THREADS:-2}
wrk_c=${WRK_CONNECTIONS:-4}
rate=${RATE:-1000}
rate_s=${RATE_SECONDS:-10}
want_perf=${PERF:-1}
phases=${PHASES:-idle tick accel api poll}

for p in "$bin" "$bindir/sign_request" "$bindir/serve_rate"; do
    [ -x "$p" ] || { echo "bench_serve: $p is missing: build the project first (cmake --build ...)" >&2; exit 2; }
done
if ! command -v wrk >/dev/null; then
    echo "bench_serve: installing wrk (Debian package)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
perf_ok=0
if [ "$want_perf" = 1 ] && command -v perf >/dev/null; then perf_ok=1; fi

rm -rf "$dir/run"
mkdir -p "$dir/run/io"
work=$dir/run
results=$dir/results.txt
: >"$results"

# ---------------------------------------------------------------------------------------------
# helpers

spid=
stop_serve() {
    if [ -n "$spid" ]; then
        kill -TERM "$spid" 2>/dev/null || true
        wait "$spid" 2>/dev/null || true
        spid=
    fi
}
trap stop_serve EXIT

# start_serve DATA LOG ARGS...: starts biasmon serve on 127.0.0.1 (port 0), sets spid and port
start_serve() {
    local data=$1 log=$2
    shift 2
    rm -f "$data/serve.json"
    "$bin" serve --data-dir "$data" --listen 127.0.0.1:0 --shutdown-grace 5 \
        --allow-root "$work/io" --allow-root "$root/data" "$@" >"$log" 2>&1 &
    spid=$!
    for _ in $(seq 1 200); do
        [ -f "$data/serve.json" ] && break
        kill -0 "$spid" 2>/dev/null || { echo "bench_serve: biasmon serve exited:" >&2; cat "$log" >&2; exit 1; }
        sleep 0.05
    done
    [ -f "$data/serve.json" ] || { echo "bench_serve: biasmon serve did not start" >&2; cat "$log" >&2; exit 1; }
    port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$data/serve.json")
}

# copy_state FROM TO: a stopped service's data directory (state.db, credentials)
copy_state() {
    rm -rf "$2"
    mkdir -p "$2"
    chmod 700 "$2"
    cp -p "$1/state.db" "$1/credentials" "$2/"
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/'; }

# daemon_ns: CPU nanoseconds of every thread of the running service (children excluded)
daemon_ns() { cat /proc/"$spid"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }

record() { echo "$*" | tee -a "$results"; }

# The sampler: reads /proc for the daemon's CPU and the service log for execution events.
cat >"$work/sampler.py" <<'PY'
import os, sys, time

def args():
    a = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    return (int(a["--pid"]), a["--log"], a["--mode"], float(a.get("--seconds", 0)), int(a.get("--expect", 0)),
            float(a.get("--timeout", 600)), float(a.get("--poll-ms", 200)))

pid, log, mode, seconds, expect, timeout, poll_ms = args()
if not os.path.isdir(f"/proc/{pid}/task"):
    print("error=service_gone")
    sys.exit(1)
tck = os.sysconf("SC_CLK_TCK")

def tids():
    return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))

def ns(tid):
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])

def vcs(tid):
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches"):
                return int(line.split()[1])
    return 0

def stat():
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # rest[0] is field 3; utime, stime, cutime, cstime are fields 14-17
    return (int(rest[11]) + int(rest[12])) / tck, (int(rest[13]) + int(rest[14])) / tck

class Log:
    def __init__(self):
        self.off, self.tail, self.queued, self.finished = 0, b"", 0, 0
    def read(self):
        with open(log, "rb") as f:
            f.seek(self.off)
            data = f.read()
        self.off += len(data)
        data = self.tail + data
        cut = data.rfind(b"\n") + 1
        self.tail = data[cut:]
        body = data[:cut]
        self.queued += body.count(b"event=execution_queued")
        self.finished += body.count(b"event=execution_finished")

lg = Log()
sched_tid = tids()[1]  # the scheduler thread is the first one the daemon creates

def sample():
    lg.read()
    ts = tids()
    own, kids = stat()
    return {"t": time.monotonic(), "proc": sum(ns(t) for t in ts) / 1e9, "sched": ns(sched_tid) / 1e9,
            "stat": own, "children": kids, "queued": lg.queued, "finished": lg.finished, "vcs": vcs(sched_tid),
            "threads": len(ts)}

def out(**kv):
    print(" ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in kv.items()))

def guarded(f):
    try:
        return f()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        print("error=service_gone (stopped by something else during the measurement)")
        sys.exit(1)

if mode == "idle" or mode == "accel":
    a = guarded(sample)
    end = a["t"] + seconds
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        guarded(sample)
    b = guarded(sample)
    el = b["t"] - a["t"]
    out(elapsed_s=el, daemon_cpu_s=b["proc"] - a["proc"], sched_cpu_s=b["sched"] - a["sched"],
        stat_cpu_s=b["stat"] - a["stat"], children_cpu_s=b["children"] - a["children"],
        sched_vcs=b["vcs"] - a["vcs"], passes_by_time=el / (poll_ms / 1000), queued=b["queued"] - a["queued"],
        finished=b["finished"] - a["finished"], threads=b["threads"])
elif mode == "tick":
    s = [guarded(sample)]
    t_end = s[0]["t"] + timeout
    while time.monotonic() < t_end and s[-1]["finished"] < expect:
        time.sleep(0.05)
        s.append(guarded(sample))
    first = next((k for k, x in enumerate(s) if x["queued"] > 0), None)
    allq = next((k for k, x in enumerate(s) if x["queued"] >= expect), None)
    done = next((k for k, x in enumerate(s) if x["finished"] >= expect), None)
    if first is None or allq is None or done is None:
        out(error="incomplete", queued=s[-1]["queued"], finished=s[-1]["finished"])
        sys.exit(1)
    b0, q, d = s[max(first - 1, 0)], s[allq], s[done]
    out(tick_wall_s=q["t"] - b0["t"], tick_daemon_cpu_s=q["proc"] - b0["proc"], tick_sched_cpu_s=q["sched"] - b0["sched"],
        started_during_tick=q["finished"], drain_s=d["t"] - q["t"], drain_daemon_cpu_s=d["proc"] - q["proc"],
        drain_sched_cpu_s=d["sched"] - q["sched"], workers_cpu_s=d["children"] - b0["children"],
        executions=expect, exec_per_s=expect / (d["t"] - b0["t"]))
PY

# The wrk script: replays requests from a file (one per line: X-Amz-Date, Authorization, body,
# tab-separated; the first two empty when unsigned), cycling over them; prints one WRKRESULT line.
cat >"$work/api.lua" <<'LUA'
local reqs, idx = {}, 0
function init(args)
   local file, target, host = args[1], args[2], args[3]
   for line in io.lines(file) do
      local date, auth, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local h = {["Host"] = host, ["Content-Type"] = "application/x-amz-json-1.1", ["X-Amz-Target"] = target}
      if date ~= "" then
         h["X-Amz-Date"] = date
         h["Authorization"] = auth
      end
      reqs[#reqs + 1] = wrk.format("POST", "/", h, body)
   end
end
function request()
   idx = idx % #reqs + 1
   return reqs[idx]
end
function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format("WRKRESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p75_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f non2xx=%d socket_errors=%d\n",
      summary.requests, secs, summary.requests / secs, latency:percentile(50) / 1e3, latency:percentile(75) / 1e3,
      latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency:percentile(99.9) / 1e3, latency.max / 1e3,
      latency.mean / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

# run_wrk NAME REP TARGET REQFILE: wrk for WRK_SECONDS, with the daemon's CPU per request
run_wrk() {
    local name=$1 rep=$2 target=$3 file=$4 out="$work/wrk-$1-$2.txt"
    local c0 c1 line
    c0=$(daemon_ns)
    wrk -t"$wrk_t" -c"$wrk_c" -d"${wrk_s}s" --timeout 10s --latency -s "$work/api.lua" "http://127.0.0.1:$port/" \
        -- "$file" "$target" "127.0.0.1:$port" >"$out" 2>&1 || true
    c1=$(daemon_ns)
    line=$(grep '^WRKRESULT' "$out" | cut -d' ' -f2-) || { echo "bench_serve: wrk failed:" >&2; cat "$out" >&2; exit 1; }
    local reqs=${line#requests=}
    reqs=${reqs%% *}
    record "phase=wrk-$name rep=$rep load=$(loadavg) $line daemon_cpu_us_per_req=$(awk -v a="$c0" -v b="$c1" -v n="$reqs" 'BEGIN {printf "%.1f", (b - a) / 1e3 / (n > 0 ? n : 1)}')"
}

# run_rate NAME REP ARGS...: serve_rate at RATE req/s
run_rate() {
    local name=$1 rep=$2 out="$work/rate-$1-$2.txt"
    shift 2
    local c0 c1
    c0=$(daemon_ns)
    "$bindir/serve_rate" --port "$port" --rate "$rate" --duration "$rate_s" --warmup 1 --connections 8 --cycle "$nsched" \
        "$@" >"$out" 2>&1 || true
    c1=$(daemon_ns)
    grep -q '^RESULT' "$out" || { echo "bench_serve: serve_rate failed:" >&2; cat "$out" >&2; exit 1; }
    record "phase=rate-$name rep=$rep load=$(loadavg) $(grep '^RESULT' "$out" | cut -d' ' -f2-) daemon_cpu_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"
}

# perf_top NAME SECONDS: perf record on the daemon; the top self-time symbols into perf-NAME.txt
perf_top() {
    [ "$perf_ok" = 1 ] || return 0
    local name=$1 secs=$2
    perf record -F 999 -g -p "$spid" -o "$work/perf-$name.data" -- sleep "$secs" >/dev/null 2>&1 || { echo "   (perf record failed)"; return 0; }
    perf report -i "$work/perf-$name.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
        grep -E '^ +[0-9]' | sed 's/[ -]*$//' | head -30 >"$work/perf-$name.txt" || true
    perf report -i "$work/perf-$name.data" --no-children --sort dso -g none --stdio 2>/dev/null |
        grep -E '^ +[0-9]' | sed 's/[ -]*$//' | head -10 >"$work/perf-$name-dso.txt" || true
    echo "   perf ($name, ${secs} s): self time by library, then the top functions"
    sed 's/^/     /' "$work/perf-$name-dso.txt"
    head -15 "$work/perf-$name.txt" | sed 's/^/     /'
}

# ---------------------------------------------------------------------------------------------
echo "== bench_serve: $bin, $nsched schedules, $reps repetitions, results in $results"
record "phase=machine nproc=$(nproc) load=$(loadavg) commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) kernel=$(uname -r) wrk=$(wrk --version 2>&1 | head -1 | cut -d' ' -f2)"

echo "== seed: endpoint config, endpoint, job definition, $nsched hourly schedules (biasmon call)"
seed=$work/seed
mkdir -p "$work/io/capture" "$work/io/ground-truth" "$work/io/monitoring"
start_serve "$seed" "$work/seed.log" --time-start 2026-11-24T00:00:00Z
call() { "$bin" call --data-dir "$seed" "$@" >/dev/null; }
call CreateEndpointConfig "{\"EndpointConfigName\": \"bench-config\",
  \"ProductionVariants\": [{\"VariantName\": \"AllTraffic\", \"ModelName\": \"bench-model\"}],
  \"DataCaptureConfig\": {\"EnableCapture\": true, \"InitialSamplingPercentage\": 100,
    \"DestinationS3Uri\": \"file://$work/io/capture\",
    \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}}"
call CreateEndpoint '{"EndpointName": "bench-ep", "EndpointConfigName": "bench-config"}'
call CreateModelBiasJobDefinition "{\"JobDefinitionName\": \"bench-jd\",
  \"ModelBiasAppSpecification\": {\"ImageUri\": \"biasmon\", \"ConfigUri\": \"file://$root/data/sample-monitoring/analysis_config.json\"},
  \"ModelBiasJobInput\": {\"EndpointInput\": {\"EndpointName\": \"bench-ep\", \"LocalPath\": \"/opt/ml/processing/input/endpoint\",
      \"StartTimeOffset\": \"-PT1H\", \"EndTimeOffset\": \"-PT0H\", \"InferenceAttribute\": \"0\"},
    \"GroundTruthS3Input\": {\"S3Uri\": \"file://$work/io/ground-truth\"}},
  \"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": {\"S3Uri\": \"file://$work/io/monitoring\", \"LocalPath\": \"/opt/ml/processing/output\"}}]},
  \"JobResources\": {\"ClusterConfig\": {\"InstanceCount\": 1, \"InstanceType\": \"ml.m5.xlarge\", \"VolumeSizeInGB\": 30}},
  \"RoleArn\": \"arn:aws:iam::123456789012:role/bench\", \"StoppingCondition\": {\"MaxRuntimeInSeconds\": 1800}}"
t0=$(date +%s.%N)
for i in $(seq 0 $((nsched - 1))); do
    call CreateMonitoringSchedule "{\"MonitoringScheduleName\": \"bench-$(printf %04d "$i")\",
      \"MonitoringScheduleConfig\": {\"ScheduleConfig\": {\"ScheduleExpression\": \"cron(0 * ? * * *)\"},
        \"MonitoringJobDefinitionName\": \"bench-jd\", \"MonitoringType\": \"ModelBias\"}}"
done
record "phase=seed schedules=$nsched create_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')"
stop_serve

sampler() { python3 "$work/sampler.py" --pid "$spid" "$@"; }
tick_dir=

for rep in $(seq 1 "$reps"); do
    echo "== repetition $rep of $reps"
    if [[ " $phases " == *" idle "* ]]; then
        echo "-- idle: $nsched schedules, no tick due, ${idle_s} s"
        copy_state "$seed" "$work/idle"
        start_serve "$work/idle" "$work/idle-$rep.log" --time-start 2026-11-24T00:10:00Z
        sleep 3
        record "phase=idle rep=$rep schedules=$nsched load=$(loadavg) $(sampler --log "$work/idle-$rep.log" --mode idle --seconds "$idle_s")"
        [ "$rep" = 1 ] && perf_top idle 20
        stop_serve
        echo "-- idle: no schedules, $((idle_s / 2)) s"
        rm -rf "$work/empty"
        start_serve "$work/empty" "$work/empty-$rep.log"
        sleep 3
        record "phase=idle-empty rep=$rep schedules=0 load=$(loadavg) $(sampler --log "$work/empty-$rep.log" --mode idle --seconds $((idle_s / 2)))"
        stop_serve
    fi
    if [[ " $phases " == *" tick "* || ( ( " $phases " == *" api "* || " $phases " == *" poll "* ) && -z "$tick_dir" ) ]]; then
        echo "-- tick: one hourly tick of $nsched schedules, then their executions"
        copy_state "$seed" "$work/tick-$rep"
        start_serve "$work/tick-$rep" "$work/tick-$rep.log" --time-start 2026-11-24T00:59:57Z
        record "phase=tick rep=$rep schedules=$nsched load=$(loadavg) $(sampler --log "$work/tick-$rep.log" --mode tick --expect "$nsched" --timeout 900)"
        stop_serve
        [ -n "$tick_dir" ] || tick_dir=$work/tick-$rep
    fi
    if [[ " $phases " == *" accel "* ]]; then
        echo "-- accel: clock x60 from 00:57 (first tick 3 s later) for ${accel_s} s"
        copy_state "$seed" "$work/accel"
        start_serve "$work/accel" "$work/accel-$rep.log" --time-start 2026-11-24T00:57:00Z --time-scale 60
        record "phase=accel rep=$rep schedules=$nsched time_scale=60 load=$(loadavg) $(sampler --log "$work/accel-$rep.log" --mode accel --seconds "$accel_s")"
        stop_serve
    fi
    if [[ " $phases " == *" api "* ]]; then
        echo "-- api: wrk -t$wrk_t -c$wrk_c -d${wrk_s}s, serve_rate at $rate req/s"
        copy_state "$tick_dir" "$work/api"
        start_serve "$work/api" "$work/api-$rep.log" --auth off --time-start 2026-11-24T01:10:00Z
        : >"$work/describe.tsv"
        : >"$work/listexec-one.tsv"
        for i in $(seq 0 $((nsched - 1))); do
            n=$(printf %04d "$i")
            printf '\t\t{"MonitoringScheduleName":"bench-%s"}\n' "$n" >>"$work/describe.tsv"
            printf '\t\t{"MonitoringScheduleName":"bench-%s","MaxResults":100}\n' "$n" >>"$work/listexec-one.tsv"
        done
        printf '\t\t{"MaxResults":100}\n' >"$work/list100.tsv"
        run_wrk describe "$rep" SageMaker.DescribeMonitoringSchedule "$work/describe.tsv"
        run_wrk list-schedules "$rep" SageMaker.ListMonitoringSchedules "$work/list100.tsv"
        run_wrk list-executions-one "$rep" SageMaker.ListMonitoringExecutions "$work/listexec-one.tsv"
        run_wrk list-executions-all "$rep" SageMaker.ListMonitoringExecutions "$work/list100.tsv"
        run_rate describe "$rep"
        run_rate no-state "$rep" --target SageMaker.NoSuchOperation --ok-status 400
        if [ "$rep" = 1 ] && [ "$perf_ok" = 1 ]; then
            for w in describe:SageMaker.DescribeMonitoringSchedule:describe.tsv list-schedules:SageMaker.ListMonitoringSchedules:list100.tsv; do
                IFS=: read -r pname ptarget pfile <<<"$w"
                wrk -t"$wrk_t" -c"$wrk_c" -d8s -s "$work/api.lua" "http://127.0.0.1:$port/" \
                    -- "$work/$pfile" "$ptarget" "127.0.0.1:$port" >"$work/wrk-perf-$pname.txt" 2>&1 &
                wpid=$!
                sleep 1.5
                perf_top "api-$pname" 5
                wait "$wpid" || true
            done
        fi
        stop_serve
        echo "-- api, SigV4 on"
        start_serve "$work/api" "$work/api-signed-$rep.log" --time-start 2026-11-24T01:10:00Z
        cut -f3 "$work/describe.tsv" | "$bindir/sign_request" --data-dir "$work/api" --host "127.0.0.1:$port" \
            --target SageMaker.DescribeMonitoringSchedule >"$work/describe-signed.tsv"
        run_wrk describe-signed "$rep" SageMaker.DescribeMonitoringSchedule "$work/describe-signed.tsv"
        run_rate describe-signed "$rep" --sign "$work/api"
        if [ "$rep" = 1 ] && [ "$perf_ok" = 1 ]; then
            wrk -t"$wrk_t" -c"$wrk_c" -d8s -s "$work/api.lua" "http://127.0.0.1:$port/" \
                -- "$work/describe-signed.tsv" SageMaker.DescribeMonitoringSchedule "127.0.0.1:$port" >"$work/wrk-perf-signed.txt" 2>&1 &
            wpid=$!
            sleep 1.5
            perf_top api-describe-signed 5
            wait "$wpid" || true
        fi
        stop_serve
        echo "-- api, scheduler idle (--poll-ms 60000), SigV4 off"
        start_serve "$work/api" "$work/api-nosched-$rep.log" --auth off --time-start 2026-11-24T01:10:00Z --poll-ms 60000
        sleep 1
        run_rate describe-no-scheduler "$rep"
        stop_serve
    fi
    if [[ " $phases " == *" poll "* ]]; then
        echo "-- poll: --poll-ms 2000, SigV4 off: idle passes for ${idle_s} s, then serve_rate"
        copy_state "$tick_dir" "$work/poll"
        start_serve "$work/poll" "$work/poll-$rep.log" --auth off --time-start 2026-11-24T01:10:00Z --poll-ms 2000
        sleep 3
        record "phase=idle-poll2000 rep=$rep schedules=$nsched load=$(loadavg) $(sampler --log "$work/poll-$rep.log" --mode idle --seconds "$idle_s" --poll-ms 2000)"
        run_rate describe-poll2000 "$rep"
        stop_serve
    fi
done

# ---------------------------------------------------------------------------------------------
echo "== summary (medians over repetitions)"
python3 - "$results" "$nsched" <<'PY' | tee "$dir/summary.txt"
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    kv = dict(x.split("=", 1) for x in line.split() if "=" in x)
    rows[kv.get("phase")].append(kv)
nsched = int(sys.argv[2])
def med(phase, key):
    v = [float(r[key]) for r in rows.get(phase, []) if key in r]
    return statistics.median(v) if v else float("nan")
def vals(phase, key):
    return ", ".join(r[key] for r in rows.get(phase, []) if key in r)
for phase in rows:
    if phase.startswith(("wrk-", "rate-")):
        keys = ["rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"] + (["daemon_cpu_us_per_req", "non2xx"] if phase.startswith("wrk-") else ["rate", "svc_p99_ms", "errors"])
        if phase.startswith("rate-"): keys.remove("rps")
        print(f"{phase:28} " + "  ".join(f"{k}={med(phase, k):.3f} [{vals(phase, k)}]" for k in keys))
if "idle" in rows:
    # a pass is one wait of --poll-ms plus the pass itself: count them by the scheduler thread's
    # voluntary context switches (one per wait), which the idle phase shows to match elapsed / period
    period = med("idle", "elapsed_s") / med("idle", "sched_vcs")
    c_pass = med("idle", "sched_cpu_s") / med("idle", "sched_vcs")
    d_pass = med("idle", "daemon_cpu_s") / med("idle", "sched_vcs")
    print(f"idle: scheduler thread {med('idle','sched_cpu_s'):.3f} CPU-s in {med('idle','elapsed_s'):.1f} s "
          f"[{vals('idle','sched_cpu_s')}], {med('idle','sched_vcs'):.0f} passes (one per {period*1e3:.1f} ms): {c_pass*1e3:.3f} ms per pass; "
          f"daemon {med('idle','daemon_cpu_s'):.3f} CPU-s [{vals('idle','daemon_cpu_s')}] = {100*med('idle','daemon_cpu_s')/med('idle','elapsed_s'):.3f}% of a core; "
          f"empty data dir: daemon {med('idle-empty','daemon_cpu_s'):.4f} CPU-s in {med('idle-empty','elapsed_s'):.1f} s")
    if "tick" in rows:
        drain_passes = med("tick", "drain_s") / period
        c_exec = (med("tick", "drain_sched_cpu_s") - drain_passes * c_pass) / nsched
        c_exec_d = (med("tick", "drain_daemon_cpu_s") - drain_passes * d_pass) / nsched
        hour = 3600 / period * c_pass + med("tick", "tick_sched_cpu_s") + nsched * c_exec
        hour_d = 3600 / period * d_pass + med("tick", "tick_daemon_cpu_s") + nsched * c_exec_d
        print(f"tick: pass queuing {nsched} executions {med('tick','tick_sched_cpu_s'):.3f} CPU-s (scheduler) "
              f"[{vals('tick','tick_sched_cpu_s')}]; drain {med('tick','drain_s'):.1f} s [{vals('tick','drain_s')}], "
              f"{med('tick','drain_sched_cpu_s'):.3f} CPU-s [{vals('tick','drain_sched_cpu_s')}]: {c_exec*1e3:.3f} ms per execution net of "
              f"{drain_passes:.0f} passes; workers {med('tick','workers_cpu_s'):.2f} CPU-s [{vals('tick','workers_cpu_s')}]")
        print(f"real-time hourly, {nsched} schedules: scheduler thread {hour:.2f} CPU-s per hour = {100*hour/3600:.3f}% of one core "
              f"(passes {100*3600/period*c_pass/hour:.0f}%, tick {100*med('tick','tick_sched_cpu_s')/hour:.1f}%, executions {100*nsched*c_exec/hour:.1f}%); "
              f"whole daemon {hour_d:.2f} CPU-s = {100*hour_d/3600:.3f}%")
if "idle-poll2000" in rows:
    p2 = med("idle-poll2000", "elapsed_s") / med("idle-poll2000", "sched_vcs")
    c2 = med("idle-poll2000", "sched_cpu_s") / med("idle-poll2000", "sched_vcs")
    print(f"idle, --poll-ms 2000: scheduler {med('idle-poll2000','sched_cpu_s'):.3f} CPU-s in {med('idle-poll2000','elapsed_s'):.1f} s "
          f"[{vals('idle-poll2000','sched_cpu_s')}]: {c2*1e3:.3f} ms per pass, passes alone {100*c2/p2:.3f}% of a core")
if "accel" in rows:
    print(f"accel x60: {med('accel','elapsed_s'):.0f} s, queued {med('accel','queued'):.0f}, finished {med('accel','finished'):.0f}; "
          f"scheduler {med('accel','sched_cpu_s'):.2f} CPU-s [{vals('accel','sched_cpu_s')}], daemon {med('accel','daemon_cpu_s'):.2f} "
          f"[{vals('accel','daemon_cpu_s')}] = {100*med('accel','daemon_cpu_s')/med('accel','elapsed_s'):.2f}% of a core; workers {med('accel','children_cpu_s'):.2f} CPU-s")
PY
echo "== done: $results"
