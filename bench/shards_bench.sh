#!/usr/bin/env bash
# Sharded executions (docs/shards.md): one execution over a day of capture read by 1 and 2
# workers, as threads (--shards) and as Open MPI ranks (mpirun -np), side by side in one run (the
# four alternate rep by rep), medians of wall time and of CPU (user + system, all processes).
# Also the ground truth alone (the same execution over an empty capture folder: what each worker
# repeats), and the sizes the model of docs/performance.md needs: capture and ground-truth bytes
# and the parts rank 0 gathers. Checks the outputs of 2 workers against 1's byte for byte;
# asserts nothing about timings.
#
# Usage: bench/shards_bench.sh [BIASMON] [--dir DIR] [--records-per-hour N] [--reps R]
#   BIASMON   the biasmon binary (default build-rel/biasmon: a Release build, with MPI)
#   DIR       data folder (default /tmp/biasmon-shards-bench; generated once, then reused)
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../build-rel/biasmon
dir=/tmp/biasmon-shards-bench
rph=20000
reps=5
while [ $# -gt 0 ]; do
    case $1 in
    --dir) dir=$2; shift 2 ;;
    --records-per-hour) rph=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) bin=$1; shift ;;
    esac
done
[ -x "$bin" ] || { echo "no biasmon at $bin (cmake -B build-rel -DCMAKE_BUILD_TYPE=Release)"; exit 2; }
command -v mpirun >/dev/null || { echo "no mpirun (scripts/deps.sh installs openmpi-bin)"; exit 2; }
if [ ! -f "$dir/done-$rph" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    python3 "$here/partials_gen.py" "$dir" --records-per-hour "$rph" --hours 26 || exit 2
    mv "$dir/gt-stage" "$dir/gt"
    touch "$dir/done-$rph"
fi
mkdir -p "$dir/empty/bench-ep/AllTraffic"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
cat >"$dir/jd.json" <<J
{"JobDefinitionName": "bench-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$dir/analysis_config.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "bench-ep", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-P1D", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$dir/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$dir/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
T=2026-11-23T12:00:00Z
base=(execute --job-definition "$dir/jd.json" --scheduled-time $T --no-partials)
declare -A wall cpu
# one timed run: label, command... (wall and CPU of the command and its children)
timed() {
    local label=$1; shift
    local t0 c0 t1 c1
    t0=$(date +%s.%N); c0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
    "$@" >/dev/null 2>"$dir/$label.stderr"
    local rc=$?
    t1=$(date +%s.%N)
    # children's CPU: bash's own stat counts waited-for children in cutime/cstime (fields 16, 17)
    c1=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
    [ $rc -le 1 ] || { [ "$label" = gt-only ] && [ $rc = 3 ]; } || { echo "$label failed (rc $rc): $(tail -3 "$dir/$label.stderr")"; exit 1; }
    wall[$label]+="$(echo "$t1 - $t0" | bc) "
    cpu[$label]+="$(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l) "
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {printf "%.3f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for ((i = 0; i < reps; i++)); do
    timed threads-1 "$bin" "${base[@]}" --capture-uri "$dir/capture" --schedule-name t1 --shards 1
    timed threads-2 "$bin" "${base[@]}" --capture-uri "$dir/capture" --schedule-name t2 --shards 2
    timed mpi-1 mpirun --oversubscribe -np 1 "$bin" "${base[@]}" --capture-uri "$dir/capture" --schedule-name m1
    timed mpi-2 mpirun --oversubscribe -np 2 "$bin" "${base[@]}" --capture-uri "$dir/capture" --schedule-name m2
    # Failed (no capture) once its ground truth is read: what every worker repeats
    timed gt-only "$bin" "${base[@]}" --capture-uri "$dir/empty" --schedule-name g1
done
o=$dir/out/bench-ep
for s in t2 m1 m2; do
    cmp -s "$o/t1/2026/11/23/12/analysis.json" "$o/$s/2026/11/23/12/analysis.json" || { echo "analysis.json of $s differs from t1"; exit 1; }
done
python3 - "$o/t2/2026/11/23/12/execution.json" "$o/m2/2026/11/23/12/execution.json" <<'P' || exit 1
import json, sys
for p in sys.argv[1:]:
    s = json.load(open(p))["shards"]
    assert s["read_again"] == 0, (p, s)
P
cap=$(du -sb "$dir/capture" | cut -f1); gtb=$(du -sb "$dir/gt" | cut -f1)
parts=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shards"]["part_bytes"])' "$o/m2/2026/11/23/12/execution.json")
recs=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counts"]; print(c["capture_records"], c["ground_truth_records"], c["rows"])' "$o/t1/2026/11/23/12/execution.json")
echo "biasmon $("$bin" --version 2>/dev/null | head -1), $reps reps, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "capture $cap bytes, ground truth $gtb bytes, rank 1's part $parts bytes; capture records, ground-truth records, rows: $recs"
printf '| run | wall s (median) | CPU s (median) |\n|---|---|---|\n'
for l in threads-1 threads-2 mpi-1 mpi-2 gt-only; do
    printf '| %s | %s | %s |\n' "$l" "$(echo "${wall[$l]}" | median)" "$(echo "${cpu[$l]}" | median)"
done
