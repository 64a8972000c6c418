#!/usr/bin/env bash
# biasmon execute on a generated capture tree (tests/cli/capture_gen.py): the counts it reports,
# the analysis (byte-identical to biasmon analyze on the rows that should join), violations
# against baselines (checked by an independent implementation of the rule and by hand), the
# CloudWatch records, and failures that say why, with their exit codes.
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
cat >"$w/ac.json" <<'J'
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
cat >"$w/ac_dataset.json" <<'J'
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
jobdef() { # output file, baseline URI or "", ground-truth dir
    local base=""
    [ -n "$2" ] && base="\"ModelBiasBaselineConfig\": {\"ConstraintsResource\": {\"S3Uri\": \"$2\"}},"
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd", $base
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$w/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$3"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
out="$w/out/ep-1/sched-1/2026/11/24/12"
run() { "$BM_BIN" execute --job-definition "$1" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/tree/capture" --schedule-name sched-1 2>"$w/stderr"; }

# 1. no baseline: Completed, counts as generated, analysis identical to analyze on the joined rows
jobdef "$w/jd.json" "" "$w/tree/gt"
run "$w/jd.json"; rc=$?
check "exit 0 without baseline (got $rc)" test "$rc" = 0
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$w/tree/expected.csv" --output "$w/direct" 2>/dev/null
check "analysis.json equals biasmon analyze on the joined rows" cmp -s "$w/direct/analysis.json" "$out/analysis.json"
check "counts match the generator" python3 - "$out/execution.json" "$w/tree/expected_counts.json" <<'P'
import json, sys
a, e = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = {k: (v, a["counts"][k]) for k, v in e.items() if a["counts"][k] != v}
assert a["Status"] == "Completed" and a["FailureReason"] == "", a["Status"]
assert a["window"] == {"start": "2026-11-24T10:00:00Z", "end": "2026-11-24T12:00:00Z"}, a["window"]
reasons = " ".join(m["reason"] for m in a["first_malformed"])
assert "features" in reasons and "groundTruthData" in reasons and "line longer than" in reasons, reasons
assert a["facet_groups"]["sex"][0]["labelled_rows"] + a["facet_groups"]["sex"][0]["other_labelled_rows"] == e["rows"]
if bad:
    print("mismatch (expected, got):", bad)
    sys.exit(1)
P
check "no temporary files left" test -z "$(find "$w/out" -name '.*tmp*')"
check "no constraint_violations.json without a baseline" test ! -e "$out/constraint_violations.json"
check "cloudwatch records: one per metric with a value" python3 - "$out/analysis.json" "$out/cloudwatch_metrics.jsonl" <<'P'
import json, sys
a = json.load(open(sys.argv[1]))
recs = [json.loads(l) for l in open(sys.argv[2])]
want = sum(1 for st in ("pre_training_bias_metrics", "post_training_bias_metrics")
           for e in a[st]["facets"]["sex"] for m in e["metrics"] if m["value"] is not None)
assert len(recs) == want, (len(recs), want)
r = recs[0]
dims = {d["Name"]: d["Value"] for d in r["Dimensions"]}
assert r["MetricName"].startswith("bias_metric_") and r["Timestamp"] == "2026-11-24T10:00:00Z"
assert dims == {"Endpoint": "ep-1", "MonitoringSchedule": "sched-1", "BiasStage": "Pre-training",
                "Label": "y", "LabelValue": "1", "Facet": "sex", "FacetValue": "F"}, dims
P

# 2. baseline = the whole dataset: violations as an independent implementation of the rule says
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$data" --output "$w/base" 2>/dev/null
rm -rf "$w/out"; jobdef "$w/jd2.json" "$w/base/analysis.json" "$w/tree/gt"
run "$w/jd2.json"; rc=$?
check "violations match the rule" python3 - "$out/analysis.json" "$w/base/analysis.json" "$out/constraint_violations.json" "$rc" <<'P'
import json, math, sys
cur, base, got, rc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), int(sys.argv[4])
def num(v):
    if v == "Infinity": return math.inf
    if v == "-Infinity": return -math.inf
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None
want = []
for st in ("pre_training_bias_metrics", "post_training_bias_metrics"):
    bm = {m["name"]: m["value"] for m in base[st]["facets"]["sex"][0]["metrics"]}
    for m in cur[st]["facets"]["sex"][0]["metrics"]:
        x, b = num(m["value"]), num(bm.get(m["name"]))
        if x is None or b is None: continue
        n = 1.0 if m["name"] == "DI" else 0.0
        if abs(x - n) > abs(b - n): want.append(m["name"])
names = [v["metric_name"] for v in got["violations"]]
assert names == want, (names, want)
assert got["version"] == "1.0"
for v in got["violations"]:
    assert v["facet"] == "sex" and v["facet_value"] == "F" and v["constraint_check_type"] == "bias_drift_check"
    assert v["description"].startswith("Metric value ") and " doesn't meet the baseline constraint requirement " in v["description"]
assert rc == (1 if want else 0), (rc, want)
P
check "a full baseline: no unchecked metrics" python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['baseline_unchecked_metrics'] == []" "$out/execution.json"

# 3. a hand-made baseline: exact violations
python3 - "$w/direct/analysis.json" "$w/hand.json" <<'P'
import json, sys
a = json.load(open(sys.argv[1]))
pre = a["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
post = a["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
for m in pre + post:
    m["value"] = {"CI": 0.0, "DPL": "Infinity", "KL": None, "DI": 1.0, "AD": 100.0}.get(m["name"], 1e9)
    if m["value"] is None: m["error"] = "baseline error"
json.dump(a, open(sys.argv[2], "w"))
P
rm -rf "$w/out"; jobdef "$w/jd3.json" "$w/hand.json" "$w/tree/gt"
run "$w/jd3.json"; rc=$?
check "hand-made baseline: exit 1" test "$rc" = 1
check "hand-made baseline: CI and DI violate, nothing else" python3 - "$out/analysis.json" "$out/constraint_violations.json" <<'P'
import json, sys
a, v = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
got = sorted(x["metric_name"] for x in v["violations"])
cur = {m["name"]: m["value"] for st in ("pre_training_bias_metrics", "post_training_bias_metrics")
       for m in a[st]["facets"]["sex"][0]["metrics"]}
want = sorted(n for n, base in (("CI", 0.0), ("DI", 1.0)) if isinstance(cur[n], float) and cur[n] != base)
assert got == want and want, (got, want)
ci = [x for x in v["violations"] if x["metric_name"] == "CI"][0]
assert ci["description"] == "Metric value %r doesn't meet the baseline constraint requirement 0.0" % cur["CI"], ci
P
test "$(python3 -c "import json; print(json.load(open('$out/execution.json'))['Status'])")" = CompletedWithViolations
check "execution.json says CompletedWithViolations" test $? = 0

# 3b. a wrong baseline never silently disables alerting: it fails the execution and says what is missing
ac_with() { # output file, facet JSON, methods JSON or ""
    local m=""
    [ -n "$3" ] && m=", \"methods\": $3"
    echo "{\"label\": \"y\", \"label_values_or_threshold\": [1], \"predicted_label\": \"yhat\", \"facet\": $2, \"group_variable\": \"grp\"$m}" >"$1"
}
ac_with "$w/ac_grp.json" '[{"name_or_index": "grp", "value_or_threshold": [1]}]' ""
ac_with "$w/ac_male.json" '[{"name_or_index": "sex", "value_or_threshold": ["M"]}]' ""
ac_with "$w/ac_pre.json" '[{"name_or_index": "sex", "value_or_threshold": ["F"]}]' '{"pre_training_bias": {"methods": "all"}}'
for b in grp male pre; do
    "$BM_BIN" analyze --analysis-config "$w/ac_$b.json" --dataset "$data" --output "$w/base_$b" 2>/dev/null ||
        echo "analyze $b failed"
done
echo '{}' >"$w/empty.json"
# a baseline that lacks one metric (KL) and has no value for another (DPL): checked for the rest, both named
python3 - "$w/base/analysis.json" "$w/partial.json" <<'P2'
import json, sys
a = json.load(open(sys.argv[1]))
e = a["pre_training_bias_metrics"]["facets"]["sex"][0]
e["metrics"] = [m for m in e["metrics"] if m["name"] != "KL"]
for m in e["metrics"]:
    if m["name"] == "DPL": m["value"] = None; m["error"] = "baseline error"
json.dump(a, open(sys.argv[2], "w"))
P2
bad_baseline() { # name, baseline file, text the reason must hold
    rm -rf "$w/out"; jobdef "$w/jd-bad.json" "$2" "$w/tree/gt"
    run "$w/jd-bad.json"; local rc=$?
    check "$1: exit 3 (got $rc)" test "$rc" = 3
    check "$1: Failed with a reason naming what is missing" python3 - "$out/execution.json" "$3" "$w/stderr" <<'P2'
import json, sys
a = json.load(open(sys.argv[1]))
assert a["Status"] == "Failed", a["Status"]
assert sys.argv[2] in a["FailureReason"], a["FailureReason"]
assert sys.argv[2] in open(sys.argv[3]).read()
P2
    check "$1: no analysis.json or constraint_violations.json beside a Failed execution.json" \
        test ! -e "$out/analysis.json" -a ! -e "$out/constraint_violations.json"
}
bad_baseline "an analysis config as baseline" "$w/ac.json" "baseline is not an analysis.json: no pre_training_bias_metrics or post_training_bias_metrics"
check "an analysis config as baseline: no file content in the reason" sh -c "! grep -q 'label_values_or_threshold' '$out/execution.json'"
bad_baseline "{} as baseline" "$w/empty.json" "baseline is not an analysis.json: no pre_training_bias_metrics or post_training_bias_metrics"
bad_baseline "another facet's baseline" "$w/base_grp/analysis.json" "the baseline has no facet sex = F; it covers grp = 1"
bad_baseline "another facet value's baseline" "$w/base_male/analysis.json" "the baseline has no facet sex = F; it covers sex = M"
bad_baseline "a pre-training-only baseline" "$w/base_pre/analysis.json" "the baseline has no post_training_bias_metrics"
rm -rf "$w/out"; jobdef "$w/jd-partial.json" "$w/partial.json" "$w/tree/gt"
run "$w/jd-partial.json"; rc=$?
check "a baseline without KL and DPL values: checked for the rest (exit $rc)" test "$rc" = 0 -o "$rc" = 1
check "a baseline without KL and DPL values: execution.json names them, stderr warns" python3 - "$out/execution.json" "$out/constraint_violations.json" "$w/stderr" <<'P2'
import json, sys
a, v = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
u = a["baseline_unchecked_metrics"]
assert u == [{"stage": "pre_training_bias_metrics", "facet": "sex", "facet_value": "F", "metrics": ["DPL", "KL"]}], u
assert not any(x["metric_name"] in ("DPL", "KL") for x in v["violations"])
assert "2 metrics not checked" in open(sys.argv[3]).read()
P2

# 3c. a capture record delivered twice (same eventId) is joined once and counted as a duplicate;
#     a distinct invocation that reuses an inferenceId (its own eventId) still joins
python3 - "$w/dup" <<'P2'
import json, os, random, sys
out = sys.argv[1]
rnd = random.Random(7)
lines, gt, expected = [], {}, []
def record(ev, inf, t, feats, yhat):
    meta = {"eventId": ev, "inferenceTime": t}
    if inf: meta["inferenceId"] = inf
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": ",".join(feats), "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": yhat, "encoding": "CSV"}},
        "eventMetadata": meta, "eventVersion": "0"})
for i in range(40):
    feats = [f"{rnd.uniform(-1, 1):.6f}" for _ in range(3)] + [str(i % 4 + 1), "F" if i % 3 == 0 else "M"]
    y, yhat = str(rnd.randint(0, 1)), str(rnd.randint(0, 1))
    inf = f"inf-{i}" if i % 2 else None
    lines.append(record(f"ev-{i}", inf, f"2026-11-24T11:{i:02d}:00Z", feats, yhat))
    gt[inf or f"ev-{i}"] = y
    expected.append(feats + [y, yhat])
feats = ["0.5", "0.5", "0.5", "2", "F"]
lines.append(record("ev-reuse", "inf-1", "2026-11-24T11:50:00Z", feats, "1"))
expected.append(feats + [gt["inf-1"], "1"])
cap = f"{out}/capture/ep-1/AllTraffic/2026/11/24/11"
os.makedirs(cap); os.makedirs(f"{out}/gt/2026/11/24/11")
open(f"{cap}/a.jsonl", "w").write("\n".join(lines) + "\n")
open(f"{cap}/b.jsonl", "w").write("\n".join(lines[:10]) + "\n")   # delivered again
open(f"{out}/gt/2026/11/24/11/labels.jsonl", "w").write("".join(json.dumps(
    {"groundTruthData": {"data": v, "encoding": "CSV"}, "eventMetadata": {"eventId": k}, "eventVersion": "0"}) + "\n"
    for k, v in gt.items()))
with open(f"{out}/expected.csv", "w") as f:
    f.write("x0,x1,x2,grp,sex,y,yhat\n" + "".join(",".join(r) + "\n" for r in expected))
P2
rm -rf "$w/out"; jobdef "$w/jd-dup.json" "" "$w/dup/gt"
"$BM_BIN" execute --job-definition "$w/jd-dup.json" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/dup/capture" --schedule-name sched-1 2>"$w/stderr"; rc=$?
check "duplicates: exit 0 (got $rc)" test "$rc" = 0
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$w/dup/expected.csv" --output "$w/dup/direct" 2>/dev/null
check "duplicates: analysis.json equals analyze on the rows without the second copies" cmp -s "$w/dup/direct/analysis.json" "$out/analysis.json"
check "duplicates: counted in execution.json" python3 - "$out/execution.json" <<'P2'
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
want = dict(capture_records=51, records_in_window=51, duplicate_capture_records=10, joined_records=41, rows=41,
            capture_records_without_ground_truth=0, ground_truth_without_capture=0)
got = {k: c.get(k) for k in want}
assert got == want, got
P2

# 4. failures that say why
rm -rf "$w/out"; jobdef "$w/jd4.json" "" "$w/tree/gt"
"$BM_BIN" execute --job-definition "$w/jd4.json" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/nowhere" --schedule-name sched-1 2>"$w/stderr"; rc=$?
check "no capture: exit 3" test "$rc" = 3
check "no capture: reason names the folder and hours" grep -q "no capture files under $w/nowhere/ep-1/\*/ for hours 2026-11-24T10..11" "$out/execution.json"
rm -rf "$w/out"; jobdef "$w/jd5.json" "" "$w/empty-gt"
run "$w/jd5.json"; rc=$?
check "no ground truth: exit 3" test "$rc" = 3
check "no ground truth: reason" grep -q "capture records in window, 0 joined ground truth: no ground-truth records under $w/empty-gt/" "$out/execution.json"
# an InferenceAttribute beyond the output's columns: the reason names the setting, not an unmatched id
rm -rf "$w/out"; jobdef "$w/jd6.json" "" "$w/tree/gt"
sed -i 's/"InferenceAttribute": "0"/"InferenceAttribute": "5"/' "$w/jd6.json"
run "$w/jd6.json"; rc=$?
check "InferenceAttribute out of range: exit 3 (got $rc)" test "$rc" = 3
check "InferenceAttribute out of range: the reason names the index, the columns and the setting's path" python3 - "$out/execution.json" <<'P2'
import json, re, sys
r = json.load(open(sys.argv[1]))["FailureReason"]
assert re.search(r"capture records in window, none usable: \d+ malformed, first .*\.jsonl:\d+: InferenceAttribute 5 is out "
                 r"of range: an output record has 1 column \(indexes count from 0\) "
                 r"\(\$\.ModelBiasJobInput\.EndpointInput\.InferenceAttribute\)$", r), r
assert "unmatched" not in r, r
P2
rm -rf "$w/out"
echo '{"JobDefinitionName": "bad_name"}' >"$w/bad.json"
"$BM_BIN" execute --job-definition "$w/bad.json" --scheduled-time 2026-11-24T12:00:00Z 2>"$w/stderr"; rc=$?
check "invalid job definition: exit 3 naming the member" sh -c "test $rc = 3 && grep -q 'JobDefinitionName' '$w/stderr'"
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time yesterday 2>/dev/null; rc=$?
check "bad time: exit 2" test "$rc" = 2
# a time within an hour would write (and overwrite) that hour's folder: refused as the daemon refuses it
rm -rf "$w/out"
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T11:30:00Z --capture-uri "$w/tree/capture" --schedule-name sched-1 2>"$w/stderr"; rc=$?
check "time not on the hour: exit 2 (got $rc)" test "$rc" = 2
check "time not on the hour: the daemon's wording" grep -q "2026-11-24T11:30:00Z is not on the hour: an execution's outputs go to the folder of its hour" "$w/stderr"
check "time not on the hour: nothing written" test ! -e "$w/out"
# 5. batch transform: manifests, CSV output with the inference id and time columns, JSON Lines
#    output wrapped in SageMakerOutput; ground truth keyed by SageMakerInferenceId
python3 - "$data" "$w/batch" <<'P'
import csv, json, os, sys, random
src, out = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(src)))
header, rows = rows[0], rows[1:]
rnd = random.Random(5)
def part(h): return f"2026/11/24/{h:02d}"
def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)
expected, gt = [], {}
csv_lines, json_lines = [], []
for i, r in enumerate(rows):
    hour = rnd.choice([9, 10, 11, 11, 12])           # window [10:00, 12:00)
    t = f"2026-11-24T{hour:02d}:{rnd.randint(0, 59):02d}:00Z"
    rid = f"b-{i}"
    feats, label, pred = r[:5], r[5], r[6]
    if i % 3:
        csv_lines.append((hour, ",".join(feats + [pred, rid, t])))
    else:
        rec = {"SageMakerInferenceId": rid, "SageMakerInferenceTime": t,
               "SageMakerOutput": {"features": [float(feats[0]), float(feats[1]), float(feats[2]), int(feats[3]), feats[4]],
                                   "predicted_label": int(pred)}}
        json_lines.append((hour, json.dumps(rec)))
    if rnd.random() < 0.9:
        gt[rid] = label
        if 10 <= hour < 12:
            expected.append((i % 3 == 0, r))
    # ground truth uploaded in hour 11 or 12 (both read)
for fmt, lines in (("csv", csv_lines), ("json", json_lines)):
    for hour in (10, 11, 12, 9):
        body = "\n".join(l for h, l in lines if h == hour) + "\n"
        obj = f"{out}/{fmt}/transform-output/{hour}/part-{hour}.out"
        write(obj, body)
        write(f"{out}/{fmt}/capture/output/{part(hour)}/manifest-{hour}.json",
              json.dumps([{"prefix": f"file://{out}/{fmt}/transform-output/{hour}/"}, f"part-{hour}.out"]))
    write(f"{out}/{fmt}/gt/{part(11)}/labels.jsonl", "\n".join(
        json.dumps({"groundTruthData": {"data": v, "encoding": "CSV"}, "eventMetadata": {"eventId": k}, "eventVersion": "0"})
        for k, v in gt.items()) + "\n")
    # the rows an execution reads, in its order (hour 10 then 11 of this format's objects)
    with open(f"{out}/{fmt}/expected.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        sel = [r for is_json, r in expected if is_json == (fmt == "json")]
        order = {}
        for i, r in enumerate(rows):
            order[id(r)] = i
        for hour in (10, 11):
            for h, l in lines:
                if h != hour: continue
                rid = l.split(",")[-2] if fmt == "csv" else json.loads(l)["SageMakerInferenceId"]
                idx = int(rid[2:])
                if rid in gt: w.writerow(rows[idx])
P
for fmt in csv json; do
    if [ $fmt = csv ]; then
        input='"BatchTransformInput": {"DataCapturedDestinationS3Uri": "'$w/batch/$fmt/capture'", "LocalPath": "/opt/ml/processing/input/batch", "DatasetFormat": {"Csv": {"Header": false}}, "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "5"}'
    else
        input='"BatchTransformInput": {"DataCapturedDestinationS3Uri": "'$w/batch/$fmt/capture'", "LocalPath": "/opt/ml/processing/input/batch", "DatasetFormat": {"Json": {"Line": true}}, "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "predicted_label"}'
    fi
    cat >"$w/jd-batch-$fmt.json" <<J
{"JobDefinitionName": "bias-batch",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$w/ac.json"},
 "ModelBiasJobInput": {$input, "GroundTruthS3Input": {"S3Uri": "$w/batch/$fmt/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/bout-$fmt", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
    "$BM_BIN" execute --job-definition "$w/jd-batch-$fmt.json" --scheduled-time 2026-11-24T12:00:00Z --schedule-name bsched 2>"$w/stderr"; rc=$?
    check "batch $fmt: exit 0 (got $rc: $(cat "$w/stderr"))" test "$rc" = 0
    "$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$w/batch/$fmt/expected.csv" --output "$w/bdirect-$fmt" 2>/dev/null
    check "batch $fmt: output folder without the endpoint, analysis equals analyze on the joined rows" \
        cmp -s "$w/bdirect-$fmt/analysis.json" "$w/bout-$fmt/bsched/2026/11/24/12/analysis.json"
done

echo "execute: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
