#!/usr/bin/env bash
# Two builds of biasmon must write the same bytes: runs `analyze` on every golden case of
# tests/golden (its CSV and the same rows as JSON Lines) and on data/adult, and `execute` on the
# shipped sample capture (data/sample-monitoring), on tests/cli/capture_gen.py's capture tree
# (with and without a baseline) and on bench_execute's generated 24-hour tree, with OLD_BIN and
# with NEW_BIN, each in the same folder so that paths inside outputs agree, and compares every
# output file, the standard output and error and the exit status byte for byte.
# Exit 1 naming each difference (case, file, first differing byte and line), 0 when none, 2 when
# it cannot run. Then (unless --no-speed) the two side by side with farm-bench, paired runs in
# turn (A B A B ...): biasmon analyze on data/adult, bench_analyze's categorical and continuous
# scenarios, and biasmon execute on the bench tree. Speed is reported, never a failure (the
# machine is shared): quote the medians and the paired ratio NEW/OLD.
# The bench programs are taken from beside each binary (bench_analyze, bench_execute).
#
# Usage: scripts/compare-builds.sh [--no-speed] [--runs N] [--records N] [--ignore NAME]... [--keep] OLD_BIN NEW_BIN
#   --runs N      farm-bench runs of each command (default 5)
#   --records N   capture records of the bench tree (default 250000; its data is kept, and reused,
#                 under /tmp/biasmon-compare-bench-N)
#   --ignore NAME an output file named NAME (e.g. report.html, new in NEW by design) is listed,
#                 not compared and not counted as a difference
#   --keep        keep the scratch folder (its path is printed)
set -u
speed=1 runs=5 records=250000 keep=0 ignore=()
while [ $# -gt 0 ]; do
    case $1 in
    --no-speed) speed=0 ;;
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --records) records=${2:?--records needs a number}; shift ;;
    --keep) keep=1 ;;
    --ignore) ignore+=("${2:?--ignore needs a file name}"); shift ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "compare-builds: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
    shift
done
[ $# = 2 ] || { echo "usage: scripts/compare-builds.sh [--no-speed] [--runs N] [--records N] [--ignore NAME]... [--keep] OLD_BIN NEW_BIN" >&2; exit 2; }
case $runs$records in *[!0-9]*) echo "compare-builds: --runs and --records take whole numbers" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
old=$(realpath "$1" 2>/dev/null) new=$(realpath "$2" 2>/dev/null)
for b in "$old" "$new"; do
    [ -n "$b" ] && [ -x "$b" ] || { echo "compare-builds: not an executable: $1 / $2" >&2; exit 2; }
done
golden="$src/tests/golden"
[ -f "$golden/basic_binary_cat_facet/data.csv" ] || { echo "compare-builds: no golden cases under $golden" >&2; exit 2; }

w=$(mktemp -d /tmp/biasmon-compare.XXXXXX) || exit 2
if [ $keep = 1 ]; then echo "scratch: $w"; else trap 'rm -rf "$w"' EXIT; fi
mkdir -p "$w/in" "$w/old" "$w/new"
ndiff=0 ncases=0

# run_both NAME COMMAND...: COMMAND runs with @BIN@ replaced by each binary and @OUT@ by the one
# output folder; its outputs, stdout, stderr and status are kept per binary, then compared.
run_both() {
    local name=$1; shift
    local side bin a args
    for side in old new; do
        bin=$old; [ $side = new ] && bin=$new
        rm -rf "$w/run"; mkdir -p "$w/run/out"
        args=()
        for a in "$@"; do a=${a//@BIN@/$bin}; args+=("${a//@OUT@/$w/run/out}"); done
        (cd "$w/run" && timeout 1200 "${args[@]}" >"$w/run/stdout" 2>"$w/run/stderr"; echo $? >"$w/run/status")
        mkdir -p "$(dirname "$w/$side/$name")"
        mv "$w/run" "$w/$side/$name"
    done
    ncases=$((ncases + 1))
    compare "$name"
}

compare() {
    local name=$1 rel at where
    local -a files
    mapfile -t files < <(cd "$w/old/$name" && find . -type f; cd "$w/new/$name" && find . -type f)
    for rel in $(printf '%s\n' "${files[@]}" | sort -u); do
        rel=${rel#./}
        if [ ${#ignore[@]} -gt 0 ] && printf '%s\n' "${ignore[@]}" | grep -qxF "$(basename "$rel")"; then
            echo "ignored $name: $rel (--ignore)"
            continue
        fi
        if [ ! -f "$w/old/$name/$rel" ] || [ ! -f "$w/new/$name/$rel" ]; then
            echo "DIFF $name: $rel is written by $([ -f "$w/old/$name/$rel" ] && echo OLD || echo NEW) only"
            ndiff=$((ndiff + 1))
        elif ! at=$(cmp "$w/old/$name/$rel" "$w/new/$name/$rel" 2>&1); then
            where=$(grep -oE 'byte [0-9]+, (in )?line [0-9]+' <<<"$at")
            case $at in
            *"EOF on $w/old"*) echo "DIFF $name: $rel: OLD's is a prefix of NEW's (OLD ends after $where)" ;;
            *"EOF on $w/new"*) echo "DIFF $name: $rel: NEW's is a prefix of OLD's (NEW ends after $where)" ;;
            *) echo "DIFF $name: $rel differs from $where on" ;;
            esac
            ndiff=$((ndiff + 1))
        fi
    done
}

# --- analyze: the golden cases, CSV and JSON Lines -----------------------------------------
for d in "$golden"/*/; do
    c=$(basename "$d")
    [ -f "$d/analysis_config.json" ] && [ -f "$d/data.csv" ] || continue
    run_both "golden/$c/csv" @BIN@ analyze --analysis-config "$d/analysis_config.json" --dataset "$d/data.csv" --output @OUT@
    mkdir -p "$w/in/jsonl/$c"
    if python3 "$golden/to_jsonl.py" "$d" "$w/in/jsonl/$c" >/dev/null 2>&1; then
        run_both "golden/$c/jsonl" @BIN@ analyze --analysis-config "$w/in/jsonl/$c/analysis_config.json" \
            --dataset "$w/in/jsonl/$c/data.jsonl" --output @OUT@
    else
        echo "compare-builds: cannot convert $c to JSON Lines (tests/golden/to_jsonl.py)" >&2; exit 2
    fi
done

# --- analyze: data/adult with scripts/demo.sh's rule-based predictions (its step 1) --------------
awk -F', ' 'BEGIN { OFS = "," }
    NF < 15 { next }
    NR == 1 { $1 = $1; print $0, "Prediction"; next }
    { $1 = $1; pred = (($5 >= 13 && $13 >= 40) || $11 >= 7000) ? ">50K" : "<=50K"; print $0, pred }' \
    "$src/data/adult/adult.csv" >"$w/in/adult.csv"
adult=(--analysis-config "$src/data/adult/analysis_config.json" --dataset "$w/in/adult.csv")
run_both adult @BIN@ analyze "${adult[@]}" --output @OUT@
cp "$w/old/adult/out/analysis.json" "$w/in/adult-baseline.json" 2>/dev/null ||
    { echo "compare-builds: OLD wrote no analysis.json for data/adult" >&2; exit 2; }

# --- execute: the shipped sample capture, the adult analysis as baseline ------------------------
sed -e "s#out/demo/analysis.json#$w/in/adult-baseline.json#" -e "s#\"out/monitoring\"#\"$w/run/out\"#" \
    -e "s#\"data/sample-monitoring/#\"$src/data/sample-monitoring/#g" \
    "$src/data/sample-monitoring/job_definition.json" >"$w/in/sample-jd.json"
for t in 11 12; do
    run_both "execute/sample-$t" @BIN@ execute --job-definition "$w/in/sample-jd.json" \
        --scheduled-time "2026-11-24T$t:00:00Z" --capture-uri "$src/data/sample-monitoring/capture" --schedule-name hourly
done

# --- execute: capture_gen.py's tree (CSV, JSON, base64, both join keys, malformed lines) --------
python3 "$src/tests/cli/capture_gen.py" "$golden/basic_binary_cat_facet/data.csv" "$w/in/tree" >/dev/null ||
    { echo "compare-builds: tests/cli/capture_gen.py failed" >&2; exit 2; }
cat >"$w/in/ac.json" <<'J'
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
jobdef() { # file, baseline ("" for none)
    local base=""
    [ -n "$2" ] && base="\"ModelBiasBaselineConfig\": {\"ConstraintsResource\": {\"S3Uri\": \"$2\"}},"
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd", $base
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$w/in/ac.json", "Environment": {"publish_cloudwatch_metrics": "Enabled"}},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$w/in/tree/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/run/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
jobdef "$w/in/gen-jd.json" ""
run_both execute/generated @BIN@ execute --job-definition "$w/in/gen-jd.json" --scheduled-time 2026-11-24T12:00:00Z \
    --capture-uri "$w/in/tree/capture" --schedule-name sched-1
gen_analysis=$(find "$w/old/execute/generated/out" -name analysis.json | head -n 1)
if [ -n "$gen_analysis" ]; then
    cp "$gen_analysis" "$w/in/gen-baseline.json"
    jobdef "$w/in/gen-jd-base.json" "$w/in/gen-baseline.json"
    run_both execute/generated-baseline @BIN@ execute --job-definition "$w/in/gen-jd-base.json" \
        --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/in/tree/capture" --schedule-name sched-1
    # the adult analysis as a baseline that does not cover this analysis: a failed execution
    jobdef "$w/in/gen-jd-wrong.json" "$w/in/adult-baseline.json"
    run_both execute/generated-wrong-baseline @BIN@ execute --job-definition "$w/in/gen-jd-wrong.json" \
        --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/in/tree/capture" --schedule-name sched-1
else
    echo "DIFF execute/generated: OLD wrote no analysis.json"; ndiff=$((ndiff + 1))
fi

# --- execute: bench_execute's 24-hour tree -------------------------------------------------------
bdir=/tmp/biasmon-compare-bench-$records
bench_exec=$(dirname "$old")/bench_execute
[ -x "$bench_exec" ] || bench_exec=$(dirname "$new")/bench_execute
if [ -x "$bench_exec" ]; then
    timeout 1800 "$bench_exec" --dir "$bdir" --records "$records" --no-exec --no-jq --no-io >"$w/in/bench-gen.log" 2>&1 ||
        { cat "$w/in/bench-gen.log" >&2; echo "compare-builds: bench_execute could not generate $bdir" >&2; exit 2; }
    # its job definition writes under $bdir/out: moved aside after each run
    for side in old new; do
        bin=$old; [ $side = new ] && bin=$new
        rm -rf "$bdir/out" "$w/run"; mkdir -p "$w/run"
        (cd "$w/run" && timeout 1200 "$bin" execute --job-definition "$bdir/jobdef.json" --scheduled-time 2026-11-24T00:00:00Z \
            --capture-uri "$bdir/capture" >stdout 2>stderr; echo $? >status)
        [ -d "$bdir/out" ] && mv "$bdir/out" "$w/run/out"
        mkdir -p "$w/$side/execute"; mv "$w/run" "$w/$side/execute/bench-$records"
    done
    ncases=$((ncases + 1))
    compare "execute/bench-$records"
else
    echo "compare-builds: no bench_execute beside $old or $new: the bench tree is not compared" >&2; exit 2
fi

echo "compare-builds: $ncases cases, $ndiff differences (OLD $old, NEW $new)"
status=0
[ "$ndiff" = 0 ] || status=1

# --- speed, side by side ------------------------------------------------------------------------
if [ $speed = 1 ]; then
    if ! command -v farm-bench >/dev/null; then
        echo "compare-builds: farm-bench not found: no speed comparison" >&2
    else
        ob=$(dirname "$old") nb=$(dirname "$new")
        mkdir -p "$w/speed/a" "$w/speed/b"
        echo
        echo "== speed: A = NEW, B = OLD (ratio A/B per pair; < 1 means NEW is faster)"
        echo "-- biasmon analyze data/adult (32,561 rows, demo.sh's predictions)"
        farm-bench -n "$runs" --timeout 900 --vs "$old analyze ${adult[*]} --output $w/speed/b" \
            -- "$new" analyze "${adult[@]}" --output "$w/speed/a"
        if [ -x "$ob/bench_analyze" ] && [ -x "$nb/bench_analyze" ]; then
            "$ob/bench_analyze" --dir /tmp/biasmon-compare-analyze --rows 1000000 --scenario categorical --scenario continuous --reps 1 >/dev/null 2>&1
            for sc in categorical continuous; do
                echo "-- bench_analyze --scenario $sc --rows 1000000 --reps 1 --threads 1 (whole process: reads and analyses the 1M-row CSV)"
                farm-bench -n "$runs" --timeout 1200 --vs "$ob/bench_analyze --dir /tmp/biasmon-compare-analyze --rows 1000000 --scenario $sc --reps 1 --threads 1" \
                    -- "$nb/bench_analyze" --dir /tmp/biasmon-compare-analyze --rows 1000000 --scenario $sc --reps 1 --threads 1
            done
        fi
        echo "-- biasmon execute on the bench tree ($records records, 24 hours)"
        rm -rf "$bdir/out"
        farm-bench -n "$runs" --timeout 1800 --vs "$old execute --job-definition $bdir/jobdef.json --scheduled-time 2026-11-24T00:00:00Z --capture-uri $bdir/capture" \
            -- "$new" execute --job-definition "$bdir/jobdef.json" --scheduled-time 2026-11-24T00:00:00Z --capture-uri "$bdir/capture"
        rm -rf "$bdir/out"
    fi
fi
exit $status
