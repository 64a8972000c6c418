#!/usr/bin/env bash
# The SDK's ModelBiasMonitor with analysis_config=None sends the baseline's analysis config, whose
# headers are [features..., label, PREDICTION] with predicted_label PREDICTION (the dataset held
# the model's predictions). SageMaker's container takes that trailing header as the predicted
# label column's name, not as a feature; so does biasmon: the execution reads the same rows and
# writes the same analysis.json and violations as with headers [features..., label].
set -u
: "${BM_BIN:?}" "${BM_GOLDEN_DIR:?}" "${BM_SOURCE_DIR:?}"
data="$BM_GOLDEN_DIR/basic_binary_cat_facet/data.csv"
[ -f "$data" ] || { echo "missing $data"; exit 1; }
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d)
trap '[ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"' EXIT
python3 "$BM_SOURCE_DIR/tests/cli/capture_gen.py" "$data" "$w/tree" >/dev/null || exit 1
cat >"$w/ac_dataset.json" <<'J'
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$data" --output "$w/base" 2>"$w/a.err" ||
    { echo "FAIL: the baseline"; cat "$w/a.err"; exit 1; }
# what a user names (label last), and what the SDK sends with analysis_config=None
cat >"$w/ac.json" <<'J'
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
cat >"$w/ac_sdk.json" <<'J'
{"dataset_type": "text/csv", "headers": ["x0","x1","x2","grp","sex","y","yhat"], "label": "y",
 "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
run() { # config, output folder
    cat >"$w/jd.json" <<J
{"JobDefinitionName": "bias-jd",
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "file://$w/base/analysis.json"}},
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$1"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$w/tree/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$2", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
    "$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T12:00:00Z \
        --capture-uri "$w/tree/capture" --schedule-name s 2>"$2.err"
}
run "$w/ac.json" "$w/out-user"; rc1=$?
run "$w/ac_sdk.json" "$w/out-sdk"; rc2=$?
h=ep-1/s/2026/11/24/12
check "the SDK's headers run as the user's ($rc1 / $rc2: $(tail -n 1 "$w/out-sdk.err"))" test "$rc1" = "$rc2" -a "$rc1" -le 1
for f in analysis.json constraint_violations.json; do
    check "$f is the same" cmp -s "$w/out-user/$h/$f" "$w/out-sdk/$h/$f"
done
check "the rows counted are the same" python3 - "$w/out-user/$h/execution.json" "$w/out-sdk/$h/execution.json" <<'P'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["counts"] == b["counts"] and a["counts"]["rows"] > 0, (a["counts"], b["counts"])
assert a["Status"] == b["Status"] and a["Status"].startswith("Completed"), (a["Status"], b["Status"])
P
echo "execute_sdk_headers: $passes passed, $fails failed"
[ "$fails" = 0 ]
