#!/usr/bin/env bash
# The statistical alarm rule through biasmon execute (docs/alarms.md): on the demo's model and
# baseline, undrifted hours complete without violations, a drifted hour alarms with a reason;
# the evidence and the window's counts sit beside analysis.json, earlier windows are pooled, a
# baseline without counts fails the execution, a bad BIASMON_ALARM_RULE is refused, and the
# same hours under SageMaker's rule write neither file; a window with too few labels is not yet
# decidable.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
# the demo's baseline (analysis.json and bias_counts.json) and 4 hours of traffic, drifted from 12:00
DEMO_OUT="$w/base" DEMO_STEPS=baseline bash "$BM_SOURCE_DIR/scripts/demo.sh" "$BM_BIN" >"$w/base.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; cat "$w/base.log"; exit 1; }
check "analyze writes bias_counts.json beside analysis.json" test -s "$w/base/bias_counts.json"
python3 "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 6 --per-hour 500 --drift-from 2 >/dev/null || { echo "FAIL: traffic"; exit 1; }

jobdef() { # output file, environment JSON, baseline URI
    cat >"$1" <<J
{"JobDefinitionName": "alarm-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json",
   "Environment": $2},
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "$3"}},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$w/traffic/ground-truth"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
run() { # job definition, hour, schedule
    "$BM_BIN" execute --job-definition "$1" --scheduled-time "2026-11-24T$2:00:00Z" \
        --capture-uri "file://$w/traffic/capture" --schedule-name "$3" 2>"$w/stderr"
}
folder() { echo "$w/out/adult-income/$2/2026/11/24/$1"; }

jobdef "$w/stat.json" '{"BIASMON_ALARM_RULE": "statistical"}' "file://$w/base/analysis.json"
for h in 11 12 13 14 15 16; do run "$w/stat.json" $h s; echo $? >>"$w/rcs"; done
# a change of this size needs 2 to 4 windows to stand out from the hourly noise (docs/alarms.md)
check "undrifted hours 10:00-12:00 Completed, a drifted one by 16:00 CompletedWithViolations ($(echo $(cat "$w/rcs")))" \
    python3 -c "import sys; r = open(sys.argv[1]).read().split(); sys.exit(not (r[:2] == ['0', '0'] and '1' in r[2:]))" "$w/rcs"
check "outputs: evidence and counts beside analysis.json" \
    test -s "$(folder 13 s)/bias_evidence.json" -a -s "$(folder 13 s)/bias_counts.json" -a -s "$(folder 13 s)/analysis.json"
check "violations, evidence and status agree" python3 - "$(folder 11 s)" "$(folder 12 s)" "$(folder 13 s)" \
    "$(folder 14 s)" "$(folder 15 s)" "$(folder 16 s)" <<'P'
import json, sys
def load(d, n):
    return json.load(open(f"{d}/{n}"))
drifted = set()
for d in sys.argv[1:]:
    v = load(d, "constraint_violations.json")["violations"]
    ex = load(d, "execution.json")
    assert ex["Status"] == ("CompletedWithViolations" if v else "Completed"), ex["Status"]
    drifted |= {x["metric_name"] for x in v}
    assert ex["violations"] == len(v)
    ev = load(d, "bias_evidence.json")
    assert ev["rule"] == "statistical" and ev["budget"] == 0.01 and ev["looks_per_day"] == 24, ev
    assert set(ev["untested_metrics"]) == {"CDDPL", "DCA", "DCR", "FT", "GE"}, ev["untested_metrics"]
    ms = {m["name"]: m for m in ev["facets"]["sex"][0]["metrics"]}
    assert set(ms) == {"AD", "DAR", "DI", "DPPL", "DRR", "RD", "SD", "TE"}, set(ms)
    for m in ms.values():
        for t in m["tests"]:
            if t.get("decidable", True):
                assert t["interval"][0] <= t["estimate"] <= t["interval"][1] and t["threshold"] > 4, t
                assert t["alarm"] == (abs(t["z"]) > t["threshold"]), t
                assert t["alarm"] == (not t["interval"][0] <= 0 <= t["interval"][1]), t
        assert (m["reason"] is not None) == m["alarm"]
    alarmed = {m["name"] for m in ms.values() if m["alarm"]}
    assert alarmed == {x["metric_name"] for x in v}, (alarmed, v)
    for x in v:
        assert x["constraint_check_type"] == "bias_drift_check" and x["facet"] == "sex" and x["facet_value"] == "Female"
        assert x["reason"].startswith(x["metric_name"] + " for sex = Female moved from "), x["reason"]
# the drift turns down women: DPPL grows and alarms
assert "DPPL" in drifted, drifted
# pooled windows: 11:00 found only itself, the next hours also the hours before
assert load(sys.argv[1], "bias_evidence.json")["windows_found"] == [0]
assert load(sys.argv[2], "bias_evidence.json")["windows_found"] == [0, 1]
assert load(sys.argv[6], "bias_evidence.json")["windows_found"] == [0, 1, 2, 3, 4, 5]
c = load(sys.argv[3], "bias_counts.json")["facets"]["sex"][0]
assert set(c) == {"value_or_threshold", "a", "d"} and set(c["d"]) == {"tn", "fp", "fn", "tp"}
# analysis.json keeps Clarify's layout
a = load(sys.argv[3], "analysis.json")
assert set(a) == {"version", "post_training_bias_metrics"} or set(a) == {"version", "pre_training_bias_metrics", "post_training_bias_metrics"}, set(a)
P

# SageMaker's rule on the same hours: no evidence or counts files; rerunning an hour under it
# removes the statistical rule's files (the folder holds one run's complete set)
jobdef "$w/sm.json" '{}' "file://$w/base/analysis.json"
run "$w/sm.json" 13 sm >/dev/null
check "sagemaker rule: no evidence file" test ! -e "$(folder 13 sm)/bias_evidence.json" -a -s "$(folder 13 sm)/analysis.json"
run "$w/sm.json" 13 s >/dev/null
check "rerun under sagemaker's rule removes evidence and counts" \
    test ! -e "$(folder 13 s)/bias_evidence.json" -a ! -e "$(folder 13 s)/bias_counts.json"

# label coverage: with a fifth of the hour's labels the window is not yet decidable (Completed, no
# alarm, the evidence says why); with all of them, run again, it is judged
cp -r "$w/traffic" "$w/late"
gt="$w/late/ground-truth/2026/11/24/13/labels.jsonl"
awk 'NR % 5 == 0' "$gt" >"$gt.part" && mv "$gt.part" "$gt"
sed -e "s|$w/traffic/ground-truth|$w/late/ground-truth|" "$w/stat.json" >"$w/late.json"
run "$w/late.json" 13 late; rc=$?
check "a fifth of the labels: Completed (exit $rc)" test "$rc" = 0
check "a fifth of the labels: not yet decidable, no alarm" python3 - "$(folder 13 late)" <<'P'
import json, sys
ev = json.load(open(sys.argv[1] + "/bias_evidence.json"))
assert ev["decidable"] is False and ev["why"].startswith("not yet decidable: "), ev.get("why")
assert "BIASMON_ALARM_MIN_COVERAGE 50%" in ev["why"], ev["why"]
c = ev["coverage"][0]
assert c["facet"] == "sex" and c["labelled_rows"] * 4 < c["rows"], c
assert json.load(open(sys.argv[1] + "/constraint_violations.json"))["violations"] == []
P
cp "$w/traffic/ground-truth/2026/11/24/13/labels.jsonl" "$gt"
run "$w/late.json" 13 late; rc=$?
check "every label: judged (exit $rc)" python3 -c "
import json, sys; ev = json.load(open(sys.argv[1] + '/bias_evidence.json'))
sys.exit(not (ev['decidable'] is True and ev['why'] is None and ev['coverage'][0]['labelled_rows'] == ev['coverage'][0]['rows']))" "$(folder 13 late)"

# a baseline without counts: Failed, naming the file and what to do
mkdir -p "$w/bare" && cp "$w/base/analysis.json" "$w/bare/"
jobdef "$w/bare.json" '{"BIASMON_ALARM_RULE": "statistical"}' "file://$w/bare/analysis.json"
run "$w/bare.json" 12 bare; rc=$?
check "baseline without counts: Failed (exit $rc)" test "$rc" = 3
check "baseline without counts: the reason names bias_counts.json" \
    grep -q "bias_counts.json" "$(folder 12 bare)/execution.json"

# looks a day: the schedule's executions a day (biasmon serve passes its cron's) or a day over the
# window, whichever is more, split the budget; a schedule that runs 96 times a day spends it
# over four times the tests of an hourly one; fewer looks than the window implies change nothing
"$BM_BIN" execute --job-definition "$w/stat.json" --scheduled-time 2026-11-24T12:00:00Z \
    --capture-uri "file://$w/traffic/capture" --schedule-name looks96 --looks-per-day 96 2>/dev/null
"$BM_BIN" execute --job-definition "$w/stat.json" --scheduled-time 2026-11-24T12:00:00Z \
    --capture-uri "file://$w/traffic/capture" --schedule-name looks1 --looks-per-day 1 2>/dev/null
check "--looks-per-day 96: four times the tests a day, a higher threshold; 1: as the window says" \
    python3 - "$(folder 12 s)" "$(folder 12 looks96)" "$(folder 12 looks1)" <<'P'
import json, sys
e24, e96, e1 = (json.load(open(d + "/bias_evidence.json")) for d in sys.argv[1:4])
assert e24["looks_per_day"] == 24 and e96["looks_per_day"] == 96 and e1["looks_per_day"] == 24
assert abs(e96["tests_per_day"] - 4 * e24["tests_per_day"]) < 1e-9, (e96["tests_per_day"], e24["tests_per_day"])
assert e1["tests_per_day"] == e24["tests_per_day"]
P
"$BM_BIN" execute --job-definition "$w/stat.json" --scheduled-time 2026-11-24T12:00:00Z \
    --capture-uri "file://$w/traffic/capture" --looks-per-day 0 2>"$w/stderr"; rc=$?
check "--looks-per-day 0: a usage error (exit $rc)" test "$rc" = 2
check "--looks-per-day 0: says the range" grep -q "1 to 1440" "$w/stderr"

# a bad rule value is refused before anything runs, naming the key
jobdef "$w/bad.json" '{"BIASMON_ALARM_RULE": "strict"}' "file://$w/base/analysis.json"
run "$w/bad.json" 12 bad; rc=$?
check "BIASMON_ALARM_RULE strict: refused (exit $rc)" test "$rc" != 0 -a "$rc" != 1
check "BIASMON_ALARM_RULE strict: the message names the key" grep -q "BIASMON_ALARM_RULE" "$w/stderr"
check "BIASMON_ALARM_RULE strict: no execution folder" test ! -e "$(folder 12 bad)"

echo "alarm_rule: $passes passed, $fails failed"
[ "$fails" = 0 ]
