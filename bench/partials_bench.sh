#!/usr/bin/env bash
# Hour partials (docs/partials.md): the cost per hourly tick of a schedule with a -P7D window
# against one with a -PT1H window over the same endpoint, once partials exist, side by side in one
# run (the two alternate tick by tick), medians. Ground truth is released hour by hour as the
# ticks advance (bench/partials_gen.py stages it by upload hour), so each tick finds the labels
# that had arrived by then: the last capture hour's labels are partly there, the rest arrive by
# the next tick (which then rejects that hour's partial and reads it again), as in service.
# Also, for reference: the -P7D tick with --no-partials (every hour read), at the last tick.
# Prints a table; asserts nothing about timings (the 7-day tick's analysis.json is checked
# against the rescan's byte for byte, and its execution.json but for "partials").
#
# Usage: bench/partials_bench.sh [BIASMON] [--dir DIR] [--records-per-hour N] [--reps R]
#   BIASMON   the biasmon binary (default build-rel/biasmon: a Release build)
#   DIR       data folder (default /tmp/biasmon-partials-bench; generated once, then reused)
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../build-rel/biasmon
dir=/tmp/biasmon-partials-bench
rph=2000
reps=7
while [ $# -gt 0 ]; do
    case $1 in
    --dir) dir=$2; shift 2 ;;
    --records-per-hour) rph=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) bin=$1; shift ;;
    esac
done
[ -x "$bin" ] || { echo "no biasmon at $bin (cmake -B build-rel -DCMAKE_BUILD_TYPE=Release)"; exit 2; }
if [ ! -f "$dir/done-$rph" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    python3 "$here/partials_gen.py" "$dir" --records-per-hour "$rph" || exit 2
    touch "$dir/done-$rph"
fi
rm -rf "$dir/gt" "$dir/out-1h" "$dir/out-7d" "$dir/out-full"
jobdef() { # file, start offset, output
    cat >"$1" <<J
{"JobDefinitionName": "bench-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$dir/analysis_config.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "bench-ep", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "$2", "EndTimeOffset": "-PT0H", "ProbabilityAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$dir/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$3", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
jobdef "$dir/jd-1h.json" -PT1H "$dir/out-1h"
jobdef "$dir/jd-7d.json" -P7D "$dir/out-7d"
jobdef "$dir/jd-full.json" -P7D "$dir/out-full"
t0=$(date -u -d 2026-11-23T00:00:00Z +%s)
# labels uploaded before T: the staged hour folders before T's hour
release() { # T (epoch): makes the ground truth of the hours before T visible
    local h
    for h in $(cd "$dir/gt-stage" && find . -mindepth 4 -maxdepth 4 -type d | sort); do
        local ht
        ht=$(date -u -d "${h:2:10} ${h:13:2}:00:00" +%s 2>/dev/null) || continue
        [ "$ht" -lt "$1" ] || continue
        [ -d "$dir/gt/$h" ] || { mkdir -p "$dir/gt/$h" && cp "$dir/gt-stage/$h/labels.jsonl" "$dir/gt/$h/"; }
    done
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# one execution: prints "wall cpu" in seconds
one() { # jobdef, T, [extra]
    local jd=$1 T=$2; shift 2
    local s e
    TIMEFORMAT='%R %U %S'
    { time "$bin" execute --job-definition "$jd" --scheduled-time "$(iso "$T")" \
        --capture-uri "$dir/capture" "$@" >/dev/null 2>"$dir/last.err"; } 2>"$dir/time.txt"
    awk '{printf "%.3f %.3f\n", $1, $2 + $3}' "$dir/time.txt"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
folder() { echo "$1/bench-ep/bench-jd/$(date -u -d "@$2" +%Y/%m/%d/%H)"; }

echo "data: $rph records an hour; capture $(du -sh "$dir/capture" | cut -f1), ground truth $(du -sh "$dir/gt-stage" | cut -f1) in all"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
release "$t0"
echo "warm-up at $(iso "$t0"): -P7D builds its partials: $(one "$dir/jd-7d.json" "$t0") s (wall cpu)"
one "$dir/jd-1h.json" "$t0" >/dev/null
: >"$dir/ticks.txt"
for i in $(seq 1 "$reps"); do
    T=$((t0 + i * 3600))
    release "$T"
    if [ $((i % 2)) = 1 ]; then
        a=$(one "$dir/jd-1h.json" "$T"); b=$(one "$dir/jd-7d.json" "$T")
    else
        b=$(one "$dir/jd-7d.json" "$T"); a=$(one "$dir/jd-1h.json" "$T")
    fi
    p=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["partials"]; print("reused %d built %d rejected %d not_saved %d" % (p["reused"], p["built"], p["rejected"], p["not_saved"]))' "$(folder "$dir/out-7d" "$T")/execution.json")
    echo "$(iso "$T")  1h: $a  7d: $b  ($p)"
    echo "$a $b" >>"$dir/ticks.txt"
done
full=$(one "$dir/jd-full.json" "$T" --no-partials)
same=no
cmp -s "$(folder "$dir/out-7d" "$T")/analysis.json" "$(folder "$dir/out-full" "$T")/analysis.json" &&
    python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a.pop("partials"); b.pop("partials")
sys.exit(a != b)' "$(folder "$dir/out-7d" "$T")/execution.json" "$(folder "$dir/out-full" "$T")/execution.json" &&
    same=yes
w1=$(awk '{print $1}' "$dir/ticks.txt" | median); c1=$(awk '{print $2}' "$dir/ticks.txt" | median)
w7=$(awk '{print $3}' "$dir/ticks.txt" | median); c7=$(awk '{print $4}' "$dir/ticks.txt" | median)
echo
echo "medians of $reps ticks (seconds):   wall    cpu"
echo "  -PT1H window                    $w1  $c1"
echo "  -P7D window, partials           $w7  $c7"
echo "  -P7D / -PT1H                    $(awk -v a="$w7" -v b="$w1" 'BEGIN {printf "%.1fx", a / b}')  $(awk -v a="$c7" -v b="$c1" 'BEGIN {printf "%.1fx", a / b}')"
echo "  -P7D, --no-partials (one tick)  $full"
echo "  analysis.json and execution.json (but partials) of the last -P7D tick identical to the rescan's: $same"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
