#!/usr/bin/env bash
# biasmon execute --shards N (threads) and mpirun -np N biasmon execute (Open MPI ranks on
# loopback): the window's capture objects split into contiguous parts read by N workers, their
# cubes and join records merged in order (docs/shards.md). Every output is the same bytes as one
# worker's over capture_gen trees (malformed records, late and corrected labels, two variants),
# also when an invocation's second delivery lies in another worker's part (that part is read again
# by rank 0); a rank whose run fails fails the execution with its reason, and a rank that cannot
# start ends the whole job instead of leaving the others waiting.
set -u
: "${BM_BIN:?}" "${BM_GOLDEN_DIR:?}" "${BM_SOURCE_DIR:?}"
here="$BM_SOURCE_DIR/tests/cli"
data="$BM_GOLDEN_DIR/basic_binary_cat_facet/data.csv"
[ -f "$data" ] || { echo "missing $data"; exit 1; }
command -v mpirun >/dev/null || { echo "mpirun missing: scripts/deps.sh test installs openmpi-bin"; exit 1; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
# mpirun as root needs these; the ranks' Open MPI allocations are not biasmon's leaks
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
mpi() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 300 mpirun --oversubscribe "$@"; }

python3 "$here/capture_gen.py" "$data" "$w/tree" || exit 1
python3 "$here/capture_gen.py" "$data" "$w/tree2" --seed 7 || exit 1
# tree2 without its object of 16 MiB lines (which alone outweighs the rest, so that tree's 4
# parts are 2 empty ones and 2 uneven ones), so that its parts are about even
rm "$w/tree2/capture/ep-1/AllTraffic/2026/11/24/10/zz-malformed.jsonl"
# malformed records in the middle and in the last object too, so that the (at most 5) problems
# execution.json quotes come from several parts, kept in the merge's order
for t in tree tree2; do
    echo 'not json at all' >>"$w/$t/capture/ep-1/AllTraffic/2026/11/24/11/00-00-000-AllTraffic.jsonl"
    echo 'not json either' >>"$w/$t/capture/ep-1/Shadow/2026/11/24/11/05-00-000-Shadow.jsonl"
done
# a second delivery of a whole early object, in a later hour: its records' first delivery is in
# another worker's part for every N > 1
cp "$w/tree2/capture/ep-1/AllTraffic/2026/11/24/10/01-00-000-AllTraffic.jsonl" \
   "$w/tree2/capture/ep-1/Shadow/2026/11/24/11/59-redelivered.jsonl"
cat >"$w/ac.json" <<'J'
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp",
 "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
J
# the baseline: the whole data set (every metric, FT too: its rows travel in the parts' cubes)
cat >"$w/ac_dataset.json" <<'J'
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp",
 "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
J
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$data" --output "$w/base" 2>/dev/null || { echo "baseline analyze failed"; exit 1; }
jobdef() { # file, tree
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd",
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "$w/base/analysis.json"}},
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$w/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$w/$2/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
jobdef "$w/jd.json" tree
jobdef "$w/jd2.json" tree2
folder=ep-1/sched-1/2026/11/24/12
args() { echo --job-definition "$w/$1" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/$2/capture" --schedule-name sched-1; }
# runs one execution (the command after the tag) and keeps its output folder as $w/r/TAG
keep() { # tag, command...
    local tag=$1; shift
    rm -rf "$w/out"
    "$@" >"$w/$tag.stdout" 2>"$w/$tag.stderr"; echo $? >"$w/$tag.rc"
    mkdir -p "$w/r"; mv "$w/out/$folder" "$w/r/$tag" 2>/dev/null
}
outputs="analysis.json constraint_violations.json cloudwatch_metrics.jsonl report.html"
same_as() { # reference tag, tag: every output the same bytes, execution.json but its shards/partials
    local f
    for f in $outputs; do
        [ -f "$w/r/$1/$f" ] && cmp -s "$w/r/$1/$f" "$w/r/$2/$f" || { echo "  $2/$f differs from $1/$f"; return 1; }
    done
    python3 - "$w/r/$1/execution.json" "$w/r/$2/execution.json" <<'P'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for x in (a, b):
    x.pop("shards", None); x.pop("partials", None)
sys.exit(0 if a == b else 1)
P
}
shards_of() { # tag: "workers over read_again" from execution.json
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1])).get("shards"); print(s and "%d %s %d" % (s["workers"], s["over"], s["read_again"]))' "$w/r/$1/execution.json"
}

for t in tree:jd.json tree2:jd2.json; do
    tree=${t%%:*} jd=${t#*:}
    keep "$tree-one" "$BM_BIN" execute $(args "$jd" "$tree") --no-partials
    one=$(cat "$w/$tree-one.rc")
    check "$tree: one worker Completed (rc $one)" test "$one" = 0 -o "$one" = 1
    check "$tree: constraint_violations.json written" test -s "$w/r/$tree-one/constraint_violations.json"
    for n in 1 2 4; do
        keep "$tree-t$n" "$BM_BIN" execute $(args "$jd" "$tree") --shards $n
        check "$tree: --shards $n: exit $one (got $(cat "$w/$tree-t$n.rc"))" test "$(cat "$w/$tree-t$n.rc")" = "$one"
        check "$tree: --shards $n: same outputs as one worker" same_as "$tree-one" "$tree-t$n"
        keep "$tree-m$n" mpi -np $n "$BM_BIN" execute $(args "$jd" "$tree")
        check "$tree: mpirun -np $n: exit $one (got $(cat "$w/$tree-m$n.rc"); $(tail -c 300 "$w/$tree-m$n.stderr"))" test "$(cat "$w/$tree-m$n.rc")" = "$one"
        check "$tree: mpirun -np $n: same outputs as one worker" same_as "$tree-one" "$tree-m$n"
    done
done
# the parts were merged, not read again by rank 0 (tree), except where a second delivery crosses
# parts (tree2): that part is read again, and the duplicate still counts once
for n in 2 4; do
    check "tree: --shards $n merged every part (got $(shards_of tree-t$n))" test "$(shards_of tree-t$n)" = "$n threads 0"
    check "tree: mpirun -np $n merged every part (got $(shards_of tree-m$n))" test "$(shards_of tree-m$n)" = "$n processes 0"
    s=$(shards_of tree2-t$n)
    check "tree2: --shards $n read the part with the second delivery again (got $s)" test "${s##* }" -ge 1
done
check "shards: absent for one worker" test "$(shards_of tree-t1)" = None
check "tree2: the second deliveries are counted" python3 -c '
import json,sys; c=json.load(open(sys.argv[1]))["counts"]; sys.exit(0 if c["duplicate_capture_records"] > 0 else 1)' "$w/r/tree2-one/execution.json"

# a rank whose run fails (its capture URI too long to name) fails the execution with its reason
long="$w/$(printf 'x%.0s' $(seq 1 4100))"
rm -rf "$w/out"
mpi -np 1 "$BM_BIN" execute $(args jd.json tree) : -np 1 "$BM_BIN" execute --job-definition "$w/jd.json" \
    --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$long" --schedule-name sched-1 >/dev/null 2>"$w/fail.stderr"
rc=$?
check "a failing rank: exit 3 (got $rc)" test "$rc" = 3
check "a failing rank: execution.json Failed with the rank's reason" python3 -c '
import json,sys; a=json.load(open(sys.argv[1]))
sys.exit(0 if a["Status"] == "Failed" and "capture URI" in a["FailureReason"] else 1)' "$w/out/$folder/execution.json"
check "a failing rank: no analysis.json" test ! -e "$w/out/$folder/analysis.json"
# a rank that cannot start (its job definition missing) ends the job: no rank waits for it
rm -rf "$w/out"
mpi -np 1 "$BM_BIN" execute $(args jd.json tree) : -np 1 "$BM_BIN" execute --job-definition "$w/missing.json" \
    --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/tree/capture" >/dev/null 2>"$w/abort.stderr"
rc=$?
check "a rank that cannot start: the job fails (got $rc, not 0 nor timeout's 124)" test "$rc" != 0 -a "$rc" != 124
check "a rank that cannot start: it says which rank and file" grep -q "rank 1: .*missing.json" "$w/abort.stderr"
check "a rank that cannot start: no execution.json" test ! -e "$w/out/$folder/execution.json"
# bad command lines
"$BM_BIN" execute $(args jd.json tree) --shards 0 2>"$w/e0"; rc=$?
check "--shards 0 is a usage error (got $rc)" test "$rc" = 2
mpi -np 2 "$BM_BIN" execute $(args jd.json tree) --shards 2 2>"$w/e1" >/dev/null; rc=$?
check "--shards under mpirun is refused (got $rc)" test "$rc" = 2 -a "$(grep -c 'leave out --shards' "$w/e1")" -ge 1

echo "execute_shards: $passes passed, $fails failed"
[ "$fails" = 0 ]
