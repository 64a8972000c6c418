#!/usr/bin/env bash
# The dashboard at scale: 1,000 schedules x 30 days of hourly executions (bench/ui_state_gen.c),
# biasmon serve on loopback over them, and each page timed in headless Chromium
# (tests/js/ui_timing.mjs: medians of REPS loads of domcontentloaded and load from the navigation's
# start). The pages: the overview (all 1,000 schedules on one page); a schedule's page drawn from its
# index (720 executions, 20 metrics); a second schedule's; the first schedule's page after its index
# file was removed (rebuilt from 720 analysis.json files, timed once: later views are the index's);
# and the daemon's CPU time a page (from /proc, which the machine's load does not inflate).
# Usage: bench/ui_bench.sh [BUILD_DIR [DATA_DIR [REPS]]]   (defaults build-rel, /tmp/biasmon-ui-bench, 7)
# The data directory is generated when missing (about a minute) and kept for the next run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-build-rel}")
data=${2:-/tmp/biasmon-ui-bench}
reps=${3:-7}
[ -d "$data" ] || "$build/ui_state_gen" "$data" 1000 30
log=$(mktemp)
"$build/biasmon" serve --data-dir "$data" --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 300); do [ -s "$data/serve.json" ] && break; sleep 0.1; done
u=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
js=$root/tests/js
NODE_NO_WARNINGS=1 node "$js/ui_timing.mjs" "$reps" "$u/ui" "$u/ui/schedules/model-0000-hourly" \
    "$u/ui/schedules/model-0500-hourly"
# the daemon's own CPU time per page (utime+stime from /proc, load-independent): 20 fetches each
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
tck=$(getconf CLK_TCK)
for path in /ui /ui/schedules/model-0000-hourly; do
    a=$(cpu)
    for _ in $(seq 1 20); do curl -s -o /dev/null --max-time 120 "$u$path"; done
    b=$(cpu)
    echo "$path: the daemon's CPU $(( (b - a) * 1000 / tck / 20 )) ms a page (20 fetches with curl)"
done
rm -f "$data/series/model-0000-hourly.jsonl"
NODE_NO_WARNINGS=1 node "$js/ui_timing.mjs" 1 "$u/ui/schedules/model-0000-hourly"
test -s "$data/series/model-0000-hourly.jsonl" && echo "index of model-0000-hourly rebuilt from its outputs"
echo "executions started by the service during the bench: $(grep -c "event=execution_started" "$log" || true)"
