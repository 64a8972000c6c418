#!/usr/bin/env bash
# Late labels under the statistical rule (docs/alarms.md "Late labels"): hourly executions over
# traffic whose model drifts at 12:00; the labels of the hour 13:00-14:00 first arrive at 20%
# (the execution of 14:00 finds it not yet decidable) and the rest two hours later. The
# execution of 15:00 revisits that window and finds nothing new; the one of 16:00 re-joins it
# with every label, records the revision in the window's bias_revisions.json (the first verdict's
# files byte-unchanged), reports the window's new alarm in its own constraint_violations.json and
# pools the revised counts; run again it replaces its revision instead of adding one; with
# BIASMON_ALARM_REVISIT 0 nothing is revisited; a window whose execution Failed with no label yet
# is revised too; with every label later than its window's execution each execution completes
# not yet decidable and a later one revises it (and SageMaker's rule still Fails it); a broken
# bias_revisions.json is left alone; a bad
# value is refused naming the key.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
w=${KEEP_DIR:-$(mktemp -d)}; [ -n "${KEEP_DIR:-}" ] || trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
DEMO_OUT="$w/base" DEMO_STEPS=baseline bash "$BM_SOURCE_DIR/scripts/demo.sh" "$BM_BIN" >"$w/base.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; cat "$w/base.log"; exit 1; }
python3 "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 7 --per-hour 500 --drift-from 2 >/dev/null || { echo "FAIL: traffic"; exit 1; }
# the labels of 13:00-14:00 are uploaded at 14:00 (folder 14); keep a fifth there, the rest at 16:00
gt="$w/traffic/ground-truth/2026/11/24"
awk 'NR % 5 == 0' "$gt/14/labels.jsonl" >"$w/first" && awk 'NR % 5 != 0' "$gt/14/labels.jsonl" >"$w/late" ||
    exit 1
mv "$w/first" "$gt/14/labels.jsonl" && cat "$w/late" >>"$gt/16/labels.jsonl" || exit 1

jobdef() { # output file, environment JSON, [ground-truth folder]
    cat >"$1" <<J
{"JobDefinitionName": "rev-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json",
   "Environment": $2},
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "file://$w/base/analysis.json"}},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://${3:-$w/traffic/ground-truth}"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
run() { # job definition, hour, schedule
    "$BM_BIN" execute --job-definition "$1" --scheduled-time "2026-11-24T$2:00:00Z" \
        --capture-uri "file://$w/traffic/capture" --schedule-name "$3" 2>>"$w/stderr"
}
folder() { echo "$w/out/adult-income/$2/2026/11/24/$1"; }
sums() { (cd "$1" && sha256sum analysis.json bias_evidence.json bias_counts.json constraint_violations.json execution.json); }

jobdef "$w/stat.json" '{"BIASMON_ALARM_RULE": "statistical"}'
for h in 11 12 13 14; do run "$w/stat.json" $h s; done
check "14:00 (a fifth of its labels): not yet decidable, a look of 1 + 7" python3 - "$(folder 14 s)" "$(folder 13 s)" <<'P'
import json, sys
ev = json.load(open(sys.argv[1] + "/bias_evidence.json"))
assert ev["decidable"] is False and ev["looks_per_window"] == 8 and ev["revisit"] == 7, ev.get("why")
assert json.load(open(sys.argv[2] + "/bias_evidence.json"))["looks_per_window"] == 1
P
sums "$(folder 14 s)" >"$w/sums14"
run "$w/stat.json" 15 s
check "15:00: revisits 14:00, finds no new label, records nothing" python3 - "$(folder 15 s)" "$(folder 14 s)" <<'P'
import json, os, sys
ev = json.load(open(sys.argv[1] + "/bias_evidence.json"))
r = [x for x in ev["revisions"] if x["scheduled_time"] == "2026-11-24T14:00:00Z"]
assert len(r) == 1 and r[0]["revised"] is False and r[0]["note"].startswith("no revision: "), ev["revisions"]
assert not os.path.exists(sys.argv[2] + "/bias_revisions.json")
P
run "$w/stat.json" 16 s; rc16=$?
check "16:00: the revision of 14:00 recorded beside its first verdict, which is byte-unchanged" python3 - "$(folder 14 s)" <<'P'
import json, sys
d = json.load(open(sys.argv[1] + "/bias_revisions.json"))
assert d["scheduled_time"] == "2026-11-24T14:00:00Z" and d["window"] == {"start": "2026-11-24T13:00:00Z", "end": "2026-11-24T14:00:00Z"}, d
assert len(d["revisions"]) == 1, d["revisions"]
v = d["revisions"][0]
assert v["scheduled_time"] == "2026-11-24T16:00:00Z" and v["ground_truth_hours"] == {"start": "2026-11-24T13:00:00Z", "end": "2026-11-24T16:00:00Z"}
old, new = v["previous"]["coverage"][0], v["coverage"][0]
assert old["labelled_rows"] * 4 < old["rows"] and new["labelled_rows"] == new["rows"] == old["rows"], (old, new)
assert new["other_labelled_rows"] == new["other_rows"] == old["other_rows"]
assert v["previous"]["decidable"] is False and v["decidable"] is True and v["previous"]["alarms"] == []
assert v["verdict"]["old"] == "not yet decidable" and v["verdict"]["new"].startswith("alarm on "), v["verdict"]
assert "DPPL" in {a["metric_name"] for a in v["alarms"]}, v["alarms"]
assert v["reason"].startswith("The window [2026-11-24T13:00:00Z, 2026-11-24T14:00:00Z), first judged by the execution of 2026-11-24T14:00:00Z, was re-evaluated by the execution of 2026-11-24T16:00:00Z."), v["reason"]
assert v["evidence"]["looks_per_window"] == 8
c = v["counts"]["facets"]["sex"][0]
assert sum(c["a"].values()) + sum(c["d"].values()) == new["rows"] + new["other_rows"]
P
unchanged() { test -s "$1/bias_revisions.json" && sums "$1" | cmp -s "$2" -; }
check "16:00: beside the revision, the first verdict's files are byte-unchanged" unchanged "$(folder 14 s)" "$w/sums14"
check "16:00: reports the revised window's alarms (exit $rc16) with the window they belong to" python3 - "$(folder 16 s)" "$(folder 14 s)" <<'P'
import json, sys
cv = json.load(open(sys.argv[1] + "/constraint_violations.json"))["violations"]
ex = json.load(open(sys.argv[1] + "/execution.json"))
rev = [x for x in cv if "window" in x]
assert rev, cv
d = json.load(open(sys.argv[2] + "/bias_revisions.json"))["revisions"][0]
assert {x["metric_name"] for x in rev} == {a["metric_name"] for a in d["alarms"]}, (rev, d["alarms"])
for x in rev:
    assert x["window"] == {"start": "2026-11-24T13:00:00Z", "end": "2026-11-24T14:00:00Z"} and x["revised_execution"] == "2026-11-24T14:00:00Z"
    assert x["constraint_check_type"] == "bias_drift_check" and x["revision"] == d["reason"]
assert ex["Status"] == "CompletedWithViolations" and ex["violations"] == len(cv), ex
ev = json.load(open(sys.argv[1] + "/bias_evidence.json"))
r = [x for x in ev["revisions"] if x["scheduled_time"] == "2026-11-24T14:00:00Z"]
assert len(r) == 1 and r[0]["revised"] is True and r[0]["reason"] == d["reason"], ev["revisions"]
P
check "16:00: its pools hold the revised counts of 14:00" python3 - "$(folder 16 s)" "$(folder 15 s)" "$(folder 14 s)" <<'P'
import json, sys
def rows(c):
    e = c["facets"]["sex"][0]
    return sum(e["d"].values())
own = [rows(json.load(open(d + "/bias_counts.json"))) for d in sys.argv[1:3]]
revised = rows(json.load(open(sys.argv[3] + "/bias_revisions.json"))["revisions"][0]["counts"])
ev = json.load(open(sys.argv[1] + "/bias_evidence.json"))
t3 = [t for t in ev["facets"]["sex"][0]["metrics"][0]["tests"] if t["windows"] == 3][0]
assert t3["rows"]["d"] == sum(own) + revised, (t3["rows"], own, revised)
P
# restart-safe: the execution of 16:00 run again replaces its own revision, reports the same
cp "$(folder 16 s)/constraint_violations.json" "$w/cv16"
run "$w/stat.json" 16 s
check "16:00 run again: one revision, the same violations" python3 - "$(folder 14 s)" "$(folder 16 s)" "$w/cv16" <<'P'
import json, sys
d = json.load(open(sys.argv[1] + "/bias_revisions.json"))
assert [v["scheduled_time"] for v in d["revisions"]] == ["2026-11-24T16:00:00Z"], d["revisions"]
assert json.load(open(sys.argv[2] + "/constraint_violations.json")) == json.load(open(sys.argv[3]))
P
run "$w/stat.json" 17 s
check "17:00: 14:00's labels are complete now: not revisited again" python3 - "$(folder 17 s)" "$(folder 14 s)" <<'P'
import json, sys
ev = json.load(open(sys.argv[1] + "/bias_evidence.json"))
assert all(x["scheduled_time"] != "2026-11-24T14:00:00Z" for x in ev["revisions"]), ev["revisions"]
assert len(json.load(open(sys.argv[2] + "/bias_revisions.json"))["revisions"]) == 1
P

# BIASMON_ALARM_REVISIT 0: nothing revisited, the incomplete window spends a whole look
jobdef "$w/off.json" '{"BIASMON_ALARM_RULE": "statistical", "BIASMON_ALARM_REVISIT": "0"}'
for h in 14 16; do run "$w/off.json" $h off; done
check "BIASMON_ALARM_REVISIT 0: no revision, no revised alarm" python3 - "$(folder 14 off)" "$(folder 16 off)" <<'P'
import json, os, sys
assert not os.path.exists(sys.argv[1] + "/bias_revisions.json")
assert json.load(open(sys.argv[1] + "/bias_evidence.json"))["looks_per_window"] == 1
ev = json.load(open(sys.argv[2] + "/bias_evidence.json"))
assert ev["revisions"] == [] and ev["revisit"] == 0
assert all("window" not in x for x in json.load(open(sys.argv[2] + "/constraint_violations.json"))["violations"])
P
# every label later than its window's execution: the labels uploaded at hour h (those of the
# window ending at h) arrive at h + 3, after the next two executions. Under the statistical rule
# each execution completes with its window not yet decidable (not Failed), and the execution
# three hours later revises it with its labels; the drifted window of 14:00 alarms through the
# revision made by 17:00. SageMaker's rule still fails an execution with no label.
for h in 11 12 13 14 15 16 17; do
    mkdir -p "$w/late3/2026/11/24/$((h + 3))" && cp "$w/traffic/ground-truth/2026/11/24/$h/labels.jsonl" "$w/late3/2026/11/24/$((h + 3))/" ||
        exit 1
done
cat "$w/late" >>"$w/late3/2026/11/24/17/labels.jsonl" || exit 1 # the four fifths kept out above
jobdef "$w/late3.json" '{"BIASMON_ALARM_RULE": "statistical"}' "$w/late3"
for h in 11 12 13 14; do run "$w/late3.json" $h late3; done
sums "$(folder 14 late3)" >"$w/sums-late3"
for h in 15 16 17; do run "$w/late3.json" $h late3; done
check "labels 3 h late: each execution Completed, its window not yet decidable with no labelled row" python3 - "$w/out/adult-income/late3/2026/11/24" <<'P'
import json, sys
for h in range(11, 18):
    d = "%s/%d/" % (sys.argv[1], h)
    ex = json.load(open(d + "execution.json"))
    assert ex["Status"] in ("Completed", "CompletedWithViolations") and ex["counts"]["joined_records"] == 0, (h, ex["Status"], ex.get("FailureReason"))
    ev = json.load(open(d + "bias_evidence.json"))
    assert ev["decidable"] is False and ev["why"].startswith("not yet decidable: none of the 500 in-window rows has a label yet"), (h, ev["why"])
    assert "the executions of the next 7 periods revise the window" in ev["why"], ev["why"]
    assert [c["labelled_rows"] + c["other_labelled_rows"] for c in ev["coverage"]] == [0], ev["coverage"]
    assert json.load(open(d + "bias_counts.json"))["rows"] == 0
    assert json.load(open(d + "analysis.json"))["post_training_bias_metrics"]["facets"]["sex"]["error"]
    assert '<p class="undecided">Not decided: not yet decidable: none of the 500 in-window rows' in open(d + "report.html").read(), h
    own = [x for x in json.load(open(d + "constraint_violations.json"))["violations"] if "window" not in x]
    assert own == [], (h, own)
P
check "labels 3 h late: each window revised by the execution 3 h later, with every label" python3 - "$w/out/adult-income/late3/2026/11/24" <<'P'
import json, sys
for h in range(11, 15):
    d = json.load(open("%s/%d/bias_revisions.json" % (sys.argv[1], h)))
    assert [v["scheduled_time"] for v in d["revisions"]] == ["2026-11-24T%d:00:00Z" % (h + 3)], d["revisions"]
    v = d["revisions"][0]
    assert v["previous"]["decidable"] is False and v["previous"]["coverage"][0]["labelled_rows"] == 0, v["previous"]
    c = v["coverage"][0]
    assert v["decidable"] is True and c["labelled_rows"] == c["rows"] > 0 and c["other_labelled_rows"] == c["other_rows"] > 0, v
    assert v["verdict"]["old"] == "not yet decidable", v["verdict"]
    assert {m["name"] for m in v["evidence"]["facets"]["sex"][0]["metrics"]} >= {"DPPL", "DI"}, v["evidence"]
    ev = json.load(open("%s/%d/bias_evidence.json" % (sys.argv[1], h + 3)))
    r = [x for x in ev["revisions"] if x["scheduled_time"] == "2026-11-24T%d:00:00Z" % h]
    assert len(r) == 1 and r[0]["revised"] is True, ev["revisions"]
P
check "labels 3 h late: the drifted window of 14:00 alarms through 17:00's revision" python3 - "$w/out/adult-income/late3/2026/11/24" <<'P'
import json, sys
v = json.load(open(sys.argv[1] + "/14/bias_revisions.json"))["revisions"][0]
assert v["verdict"]["new"].startswith("alarm on ") and "DPPL" in {a["metric_name"] for a in v["alarms"]}, v["verdict"]
ex = json.load(open(sys.argv[1] + "/17/execution.json"))
cv = json.load(open(sys.argv[1] + "/17/constraint_violations.json"))["violations"]
assert ex["Status"] == "CompletedWithViolations" and ex["violations"] == len(cv) > 0, ex
assert {x["metric_name"] for x in cv} == {a["metric_name"] for a in v["alarms"]}, cv
assert all(x["revised_execution"] == "2026-11-24T14:00:00Z" and x["revision"] == v["reason"] for x in cv), cv
P
check "labels 3 h late: 14:00's first verdict byte-unchanged beside its revision" unchanged "$(folder 14 late3)" "$w/sums-late3"
jobdef "$w/late3-sm.json" '{"BIASMON_ALARM_RULE": "sagemaker"}' "$w/late3"
run "$w/late3-sm.json" 14 late3-sm
check "labels 3 h late, SageMaker's rule: the execution without a label still Fails" python3 - "$(folder 14 late3-sm)" <<'P'
import json, os, sys
ex = json.load(open(sys.argv[1] + "/execution.json"))
assert ex["Status"] == "Failed" and "0 joined ground truth" in ex["FailureReason"], ex
assert not os.path.exists(sys.argv[1] + "/analysis.json") and not os.path.exists(sys.argv[1] + "/bias_evidence.json")
P

# a window whose execution Failed because none of its records had a label yet (as the
# statistical rule's executions did before they completed such a window not yet decidable;
# SageMaker's rule still writes that Failed execution.json alone) is revised too, its Failed
# execution.json left as it was
cp -r "$w/traffic/ground-truth" "$w/nolab" && cat "$gt/14/labels.jsonl" >>"$w/nolab/2026/11/24/16/labels.jsonl" &&
    rm "$w/nolab/2026/11/24/14/labels.jsonl" || exit 1
jobdef "$w/nolab.json" '{"BIASMON_ALARM_RULE": "statistical"}' "$w/nolab"
jobdef "$w/nolab-old.json" '{"BIASMON_ALARM_RULE": "sagemaker"}' "$w/nolab"
for h in 12 13; do run "$w/nolab.json" $h nolab; done
run "$w/nolab-old.json" 14 nolab
sha256sum "$(folder 14 nolab)/execution.json" >"$w/sums-nolab"
run "$w/nolab.json" 16 nolab
check "a window without a labelled row at first (Failed): revised by 16:00, its execution.json unchanged" python3 - "$(folder 14 nolab)" "$(folder 16 nolab)" <<'P'
import json, sys
ex = json.load(open(sys.argv[1] + "/execution.json"))
assert ex["Status"] == "Failed" and ex["counts"]["joined_records"] == 0, ex["Status"]
v = json.load(open(sys.argv[1] + "/bias_revisions.json"))["revisions"][0]
assert v["previous"] == {"decidable": False, "coverage": [], "alarms": []}, v["previous"]
assert v["coverage"][0]["labelled_rows"] == v["coverage"][0]["rows"] > 0 and v["decidable"] is True
assert "without a labelled row at the execution of 2026-11-24T14:00:00Z" in v["reason"], v["reason"]
assert "went from 0 of " in v["reason"] and v["verdict"]["new"].startswith("alarm on "), v["reason"]
cv = json.load(open(sys.argv[2] + "/constraint_violations.json"))["violations"]
assert {x["metric_name"] for x in cv if x.get("revised_execution") == "2026-11-24T14:00:00Z"} == {a["metric_name"] for a in v["alarms"]}, cv
P
check "the Failed window's execution.json is byte-unchanged" sha256sum -c --quiet "$w/sums-nolab"

# a bias_revisions.json that is not JSON is left as it is, and the window is not revised
run "$w/stat.json" 14 broken && echo '{"revisions": [' >"$(folder 14 broken)/bias_revisions.json"
run "$w/stat.json" 16 broken
check "a broken bias_revisions.json: left alone, the window not revised, the evidence says why" python3 - "$(folder 14 broken)" "$(folder 16 broken)" <<'P'
import json, sys
assert open(sys.argv[1] + "/bias_revisions.json").read() == '{"revisions": [\n'
ev = json.load(open(sys.argv[2] + "/bias_evidence.json"))
r = [x for x in ev["revisions"] if x["scheduled_time"] == "2026-11-24T14:00:00Z"]
assert len(r) == 1 and r[0]["revised"] is False and "cannot be read" in r[0]["note"], ev["revisions"]
assert all("window" not in x for x in json.load(open(sys.argv[2] + "/constraint_violations.json"))["violations"])
P
jobdef "$w/bad.json" '{"BIASMON_ALARM_RULE": "statistical", "BIASMON_ALARM_REVISIT": "25"}'
: >"$w/stderr"
run "$w/bad.json" 14 bad; rc=$?
check "BIASMON_ALARM_REVISIT 25: refused (exit $rc), naming the key" \
    bash -c "test '$rc' != 0 -a '$rc' != 1 && grep -q 'Environment.BIASMON_ALARM_REVISIT' '$w/stderr' && test ! -e '$(folder 14 bad)'"

echo "alarm_revisions: $passes passed, $fails failed"
[ "$fails" = 0 ]
