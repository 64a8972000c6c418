#!/usr/bin/env bash
# GET /metrics and ListMonitoringExecutions over a state of 1,000 schedules x 30 days of hourly
# executions (720,000, bench/ui_state_gen.c): biasmon serve on loopback, REPS timed requests of
# each (medians, wall time seen by the client: curl for /metrics, Debian's boto3 for
# ListMonitoringExecutions with MaxResults 100, unfiltered and for one schedule, and its second
# page), then the daemon's peak resident memory (VmHWM in /proc/PID/status). The figures /metrics
# derives from executions (biasmon_executions, _duration_seconds, _violations, _bias_metric,
# _alarm_*) are written to OUT (default DATA_DIR.metrics.txt) so two builds can be compared.
# Usage: bench/state_scale_bench.sh [BUILD_DIR [DATA_DIR [REPS [OUT]]]]
#        (defaults build-rel, /tmp/biasmon-scale-bench, 7, DATA_DIR.metrics.txt)
# The data directory is generated when missing (about a minute) and kept for the next run.
set -euo pipefail
build=$(realpath "${1:-build-rel}")
data=${2:-/tmp/biasmon-scale-bench}
reps=${3:-7}
out=${4:-$data.metrics.txt}
[ -d "$data" ] || "$build/ui_state_gen" "$data" 1000 30
rm -f "$data/serve.json"
log=$(mktemp)
"$build/biasmon" serve --data-dir "$data" --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 600); do [ -s "$data/serve.json" ] && break; sleep 0.1; done
u=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
med() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for _ in $(seq 1 "$reps"); do
    curl -s -o "$log.m" --max-time 600 -w '%{time_total}\n' "$u/metrics"
done | med | awk '{printf "GET /metrics: median %.3f s\n", $1}'
grep -E '^biasmon_(executions|execution_duration_seconds|violations|bias_metric|alarm_)' "$log.m" >"$out"
echo "/metrics: $(wc -l <"$out") lines from executions written to $out"
rm -f "$log.m"
/usr/bin/python3 - "$u" "$data" "$reps" <<'PY'
import os, statistics, sys, time
import boto3
from botocore.config import Config
u, data, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
keys = dict(l.strip().split("=", 1) for l in open(os.path.join(data, "credentials")) if "=" in l)
sm = boto3.client("sagemaker", endpoint_url=u, region_name="us-east-1",
                  aws_access_key_id=keys["access_key_id"],
                  aws_secret_access_key=keys["secret_access_key"],
                  config=Config(read_timeout=600, retries={"max_attempts": 1}))
def timed(label, **kw):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        r = sm.list_monitoring_executions(MaxResults=100, **kw)
        ts.append(time.perf_counter() - t)
    n = len(r["MonitoringExecutionSummaries"])
    print(f"ListMonitoringExecutions {label}: median {statistics.median(ts):.3f} s ({n} summaries)")
    return r
r = timed("MaxResults 100")
timed("MaxResults 100, second page", NextToken=r["NextToken"])
timed("MaxResults 100, one schedule", MonitoringScheduleName="model-0500-hourly")
timed("MaxResults 100, SortBy Status", SortBy="Status")
PY
echo "daemon peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
