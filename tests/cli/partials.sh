#!/usr/bin/env bash
# Hour partials (docs/partials.md): on a generated capture tree (tests/cli/capture_gen.py), an
# execution that reuses partials, one after late or changed labels arrived, one after a partial was
# corrupted or truncated and one after an hour's capture changed each write outputs byte-identical
# to a full rescan (--no-partials) of the same tree: analysis.json, constraint_violations.json,
# bias_counts.json and execution.json but for its "partials" member, which says what was reused,
# built and rejected (and is checked here too, so that a run that silently rescans fails).
set -u
: "${BM_BIN:?}" "${BM_GOLDEN_DIR:?}" "${BM_SOURCE_DIR:?}"
here="$BM_SOURCE_DIR/tests/cli"
data="$BM_GOLDEN_DIR/basic_binary_cat_facet/data.csv"
[ -f "$data" ] || { echo "missing $data"; exit 1; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
python3 "$here/capture_gen.py" "$data" "$w/tree" || exit 1
# every metric but FT (FT needs the feature rows: an execution that asks for it reads every hour)
methods='"methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["AD","CDDPL","DAR","DCA","DCR","DI","DPPL","DRR","GE","RD","SD","TE"]}}'
cat >"$w/ac.json" <<J
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp", $methods}
J
cat >"$w/ac_dataset.json" <<J
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp", $methods}
J
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$data" --output "$w/base" 2>/dev/null ||
    { echo "cannot analyze the baseline"; exit 1; }
jobdef() { # file, output URI, rule (sagemaker or statistical)
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd",
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "$w/base/analysis.json"}},
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$w/ac.json",
     "Environment": {"BIASMON_ALARM_RULE": "$3"}},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$w/tree/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$2", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
jobdef "$w/jd_full.json" "$w/full" sagemaker
jobdef "$w/jd_part.json" "$w/part" sagemaker
T=2026-11-24T12:00:00Z
folder=ep-1/bias-jd/2026/11/24/12
part_file="" # the partial of hour 11, found after the first run
# run NAME [extra execute options...]: a full rescan into full/ and an execution with partials
# into part/, with the same window; stderr of the latter kept in $w/NAME.err
run() {
    local name=$1; shift
    "$BM_BIN" execute --job-definition "$w/jd_full.json" --scheduled-time $T \
        --capture-uri "$w/tree/capture" --no-partials "$@" 2>"$w/$name.full.err" >/dev/null
    "$BM_BIN" execute --job-definition "$w/jd_part.json" --scheduled-time $T \
        --capture-uri "$w/tree/capture" "$@" 2>"$w/$name.err" >/dev/null
}
# same NAME: the outputs of both runs are byte-identical (execution.json but for "partials")
same() {
    local name=$1 f ok=0
    for f in analysis.json constraint_violations.json cloudwatch_metrics.jsonl report.html; do
        cmp -s "$w/full/$folder/$f" "$w/part/$folder/$f" || { echo "$name: $f differs"; ok=1; }
    done
    python3 - "$w/full/$folder/execution.json" "$w/part/$folder/execution.json" <<'P' || ok=1
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a.get("partials") is None, a.get("partials")
b.pop("partials")
a.pop("partials")
if a != b:
    print("execution.json differs:", {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)})
    sys.exit(1)
P
    return $ok
}
# partials NAME FIELD VALUE: execution.json's partials.FIELD of the partial run is VALUE
partials() {
    python3 - "$w/part/$folder/execution.json" "$2" "$3" <<'P'
import json, sys
p = json.load(open(sys.argv[1]))["partials"]
want = int(sys.argv[3])
if p[sys.argv[2]] != want:
    print("partials:", p)
    sys.exit(1)
P
}
grep_note() { grep -q "biasmon: hour partial 2026-11-24T11: $2" "$w/$1.err"; }

# 1. the first execution builds the partial of hour 11 (hour 10 holds records from 09:59, outside
#    the window, so it is read each time); the second reuses it. Both equal the full rescan.
run first
check "first: identical to a full rescan" same first
check "first: one partial built" partials first built 1
check "first: hour 10 not saved (records outside the window)" partials first not_saved 1
part_file=$(find "$w/part/ep-1/_partials" -name 11.bmp)
check "the partial is under {S3Uri}/{endpoint}/_partials/CONFIG/yyyy/mm/dd/HH.bmp" \
    test -n "$part_file" -a "${part_file#"$w/part/ep-1/_partials/"}" != "$part_file"
run reuse
check "reuse: identical to a full rescan" same reuse
check "reuse: the partial of hour 11 reused" partials reuse reused 1
check "reuse: nothing built" partials reuse built 0

# 2. late labels: ground truth uploaded at 12:xx for records of hour 11, some without a label
#    until now and some whose label changes (the last upload wins)
python3 - "$w/tree" <<'P'
import base64, glob, json, os, sys
tree = sys.argv[1]
recs = []
for f in sorted(glob.glob(tree + "/capture/ep-1/*/2026/11/24/11/*.jsonl")):
    for line in open(f):
        try:
            r = json.loads(line)
            key = r["eventMetadata"].get("inferenceId") or r["eventMetadata"]["eventId"]
        except Exception:
            continue
        d = r["captureData"]["endpointInput"]
        data = base64.b64decode(d["data"]).decode() if d["encoding"] == "BASE64" else d["data"]
        if d["encoding"] == "JSON" or data.lstrip().startswith("{"):
            v = json.loads(data)["features"]
            n = len(v) if v and isinstance(v[0], list) else 1
        else:
            n = len([l for l in data.splitlines() if l.strip()])
        recs.append((key, n))
out = os.path.join(tree, "gt/2026/11/24/12/zz-late.jsonl")
with open(out, "w") as o:
    for i, (key, n) in enumerate(recs[::3][:20]):
        labels = "\n".join("1" if (i + j) % 2 else "0" for j in range(n))
        o.write(json.dumps({"groundTruthData": {"data": labels, "encoding": "CSV"},
                            "eventMetadata": {"eventId": key}, "eventVersion": "0"}) + "\n")
P
run late
check "late labels: identical to a full rescan" same late
check "late labels: the partial of hour 11 rejected" partials late rejected 1
check "late labels: and built again" partials late built 1
check "late labels: a log line says why" grep_note late "ground truth for id .* changed since it was built"
run after_late
check "after late labels: identical to a full rescan" same after_late
check "after late labels: the rebuilt partial reused" partials after_late reused 1

# 3. a corrupted partial (one byte flipped) and a truncated one are detected and rebuilt
python3 - "$part_file" <<'P'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x20
open(p, "wb").write(bytes(b))
P
run corrupt
check "corrupt: identical to a full rescan" same corrupt
check "corrupt: rejected" partials corrupt rejected 1
check "corrupt: rebuilt" partials corrupt built 1
check "corrupt: a log line says checksum" grep_note corrupt "checksum mismatch"
size=$(stat -c %s "$part_file")
truncate -s $((size - 100)) "$part_file"
run truncated
check "truncated: identical to a full rescan" same truncated
check "truncated: rejected" partials truncated rejected 1
check "truncated: rebuilt" partials truncated built 1
check "truncated: a log line says checksum" grep_note truncated "checksum mismatch"
check "truncated: the rebuilt partial is whole again" test "$(stat -c %s "$part_file")" = "$size"
printf 'not a partial' >"$part_file"
run garbage
check "garbage: identical to a full rescan" same garbage
check "garbage: rejected" partials garbage rejected 1
check "garbage: a log line says so" grep_note garbage "not a biasmon hour partial"

# 4. the hour's capture changed: a new object in hour 11 (a copy of a record under a new id)
python3 - "$w/tree" <<'P'
import glob, json, sys
tree = sys.argv[1]
src = sorted(glob.glob(tree + "/capture/ep-1/AllTraffic/2026/11/24/11/*.jsonl"))[0]
r = json.loads(open(src).readline())
r["eventMetadata"]["eventId"] = "new-object-event"
r["eventMetadata"].pop("inferenceId", None)
r["eventMetadata"]["inferenceTime"] = "2026-11-24T11:30:00Z"
open(tree + "/capture/ep-1/AllTraffic/2026/11/24/11/99-new.jsonl", "w").write(json.dumps(r) + "\n")
P
run new_object
check "new capture object: identical to a full rescan" same new_object
check "new capture object: rejected" partials new_object rejected 1
check "new capture object: rebuilt" partials new_object built 1
check "new capture object: a log line says so" grep_note new_object "the hour had 12 capture objects, it has 13 now"
# an object rewritten in place (same name, other content) is a changed object too
printf '\n' >>"$w/tree/capture/ep-1/AllTraffic/2026/11/24/11/99-new.jsonl"
run rewritten
check "rewritten object: identical to a full rescan" same rewritten
check "rewritten object: rejected" partials rewritten rejected 1
check "rewritten object: a log line names it" grep_note rewritten "a capture object of the hour changed"

# 5. a window that does not hold all of the hour's records: the partial is not used
run half_hour --data-analysis-start-time -PT30M
check "half-hour window: identical to a full rescan" same half_hour
check "half-hour window: nothing reused" partials half_hour reused 0
check "half-hour window: the partial rejected" grep_note half_hour "its records reach outside this window"
run back
check "full window again: reused" partials back reused 1

# 6. the statistical rule: its counts and evidence are identical too
jobdef "$w/jd_full.json" "$w/full" statistical
jobdef "$w/jd_part.json" "$w/part" statistical
run statistical
check "statistical: identical to a full rescan" same statistical
check "statistical: bias_counts.json identical" cmp -s "$w/full/$folder/bias_counts.json" "$w/part/$folder/bias_counts.json"
check "statistical: bias_evidence.json identical" cmp -s "$w/full/$folder/bias_evidence.json" "$w/part/$folder/bias_evidence.json"
check "statistical: reused (the rule does not change the hour's reduction)" partials statistical reused 1

# 7. --no-partials neither reads nor writes partials; FT in the methods turns them off
rm -rf "$w/part/ep-1/_partials"
"$BM_BIN" execute --job-definition "$w/jd_part.json" --scheduled-time $T \
    --capture-uri "$w/tree/capture" --no-partials 2>/dev/null >/dev/null
check "--no-partials writes no partial" test ! -e "$w/part/ep-1/_partials"
sed -i 's/"TE"\]/"TE","FT"]/' "$w/ac.json"
"$BM_BIN" execute --job-definition "$w/jd_part.json" --scheduled-time $T \
    --capture-uri "$w/tree/capture" 2>/dev/null >/dev/null
check "FT: no partial written" test ! -e "$w/part/ep-1/_partials"
check "FT: execution.json partials is null" python3 -c '
import json, sys; sys.exit(json.load(open(sys.argv[1]))["partials"] is not None)' "$w/part/$folder/execution.json"

echo "partials: $passes passed, $fails failed"
[ "$fails" = 0 ]
