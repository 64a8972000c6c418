#!/usr/bin/env bash
# The window and join rules the README states, each by a record placed exactly where the rule
# decides (scripts/mutants.sh breaks each rule and expects this test to fail):
#   the window is [T + StartTimeOffset, T + EndTimeOffset): its start is in, its end is out, for
#   endpoint capture and batch transform output alike, and the default is the hour before T;
#   capture (and batch manifests) come from the hour folders the window touches, no others;
#   ground truth from the hour folders from the window's start to T's hour, no others;
#   of several uploads of one id the last one read wins: hours in order, files by name, lines in
#   order.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

# T = 2026-11-24T12:00:00Z, window [T-3h, T-1h) = [09:00, 11:00). Every upload of a label that a
# correct execution must not use ("wrong") carries two labels for a one-row invocation, so
# using it fails that record instead of passing unnoticed.
python3 - "$w" <<'P'
import json, os, sys
w = sys.argv[1]
day = "2026-11-24"
def put(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write("".join(l + "\n" for l in lines))
def cap(ev, t, folder, x0, sex, yhat):
    return folder, json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": f"{x0},{sex}", "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": yhat, "encoding": "CSV"}},
        "eventMetadata": {"eventId": ev, "inferenceTime": f"{day}T{t}Z"}, "eventVersion": "0"})
def gt(ev, data):
    return json.dumps({"groundTruthData": {"data": data, "encoding": "CSV"}, "eventMetadata": {"eventId": ev},
                       "eventVersion": "0"})
WRONG = "0\n0"
# (eventId, time, hour folder, x0, sex, yhat); the comment says what a correct execution does
records = [
    ("e-before",     "08:59:59", "09", 1, "F", 1),  # read, one second before the window: outside
    ("e-start",      "09:00:00", "09", 2, "F", 0),  # the window's first second: in, joined (label in 09)
    ("e-dup-lines",  "09:10:00", "09", 3, "M", 1),  # joined with the later line of one file
    ("e-dup-files",  "09:20:00", "09", 4, "F", 1),  # joined with the file named later in one hour
    ("e-dup-hours",  "09:30:00", "09", 5, "M", 0),  # joined with the later hour's file (named a, before z)
    ("e-gt13",       "10:10:00", "10", 6, "F", 1),  # in; its label is in hour 13, after T: unjoined
    ("e-gt08",       "10:20:00", "10", 7, "M", 1),  # in; its label is in hour 08, before the window: unjoined
    ("e-mid",        "10:30:00", "10", 8, "F", 0),  # in; label in hour 12 (T's hour, read): joined
    ("e-last",       "10:59:59", "10", 9, "M", 1),  # the window's last second: in; label in hour 11: joined
    ("e-end",        "11:00:00", "10", 10, "F", 1), # read, the window's end: outside
    ("e-h08",        "09:00:01", "08", 11, "F", 1), # in the window but in hour folder 08: not read
    ("e-h11",        "10:59:58", "11", 12, "M", 0), # in the window but in hour folder 11: not read
]
for ev, t, folder, x0, sex, yhat in records:
    put(f"{w}/capture/ep-1/AllTraffic/2026/11/24/{folder}/cap.jsonl", [cap(ev, t, folder, x0, sex, str(yhat))[1]])
g = f"{w}/gt/2026/11/24"
put(f"{g}/08/g.jsonl", [gt("e-gt08", "1")])
put(f"{g}/09/a.jsonl", [gt("e-dup-lines", WRONG), gt("e-dup-lines", "1"), gt("e-start", "1")])
put(f"{g}/10/a.jsonl", [gt("e-dup-files", WRONG)])
put(f"{g}/10/b.jsonl", [gt("e-dup-files", "0"), gt("e-before", "1"), gt("e-end", "0"), gt("e-h08", "1"),
                        gt("e-h11", "0")])
put(f"{g}/10/z.jsonl", [gt("e-dup-hours", WRONG)])
put(f"{g}/11/a.jsonl", [gt("e-dup-hours", "1"), gt("e-last", "0")])
put(f"{g}/12/a.jsonl", [gt("e-mid", "1")])
put(f"{g}/13/a.jsonl", [gt("e-gt13", "0")])
labels = {"e-start": 1, "e-dup-lines": 1, "e-dup-files": 0, "e-dup-hours": 1, "e-mid": 1, "e-last": 0}
with open(f"{w}/expected.csv", "w") as f:  # the joined rows in the order an execution reads them
    f.write("x0,sex,y,yhat\n")
    for ev, t, folder, x0, sex, yhat in records:
        if ev in labels:
            f.write(f"{x0},{sex},{labels[ev]},{yhat}\n")

# batch transform output (CSV: features, prediction, SageMakerInferenceId, SageMakerInferenceTime)
# in one object listed by a manifest of hour 10; all four labelled in hour 09
rows = [("b-before", "08:59:59", 1, "F", 1), ("b-start", "09:00:00", 2, "F", 0),
        ("b-last", "10:59:59", 3, "M", 1), ("b-end", "11:00:00", 4, "F", 1)]
put(f"{w}/batch/transform-output/part-0.out", [f"{x0},{sex},{p},{i},{day}T{t}Z" for i, t, x0, sex, p in rows])
put(f"{w}/batch/capture/output/2026/11/24/10/manifest.json",
    [json.dumps([{"prefix": f"file://{w}/batch/transform-output/"}, "part-0.out"])])
put(f"{w}/batch/gt/2026/11/24/09/a.jsonl", [gt(i, str(k % 2)) for k, (i, *_rest) in enumerate(rows)])
with open(f"{w}/batch-expected.csv", "w") as f:
    f.write("x0,sex,y,yhat\n2,F,1,0\n3,M,0,1\n")
P
cat >"$w/ac.json" <<'J'
{"headers": ["x0", "sex", "y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}]}
J
cat >"$w/ac_dataset.json" <<'J'
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}]}
J
jobdef() { # output file, input JSON
    cat >"$1" <<J
{"JobDefinitionName": "rules-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$w/ac.json"},
 "ModelBiasJobInput": {$2, "GroundTruthS3Input": {"S3Uri": "$3"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
ep='"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint", "InferenceAttribute": "0"'
T=2026-11-24T12:00:00Z

# 1. endpoint capture, window [09:00, 11:00)
jobdef "$w/jd.json" "$ep, \"StartTimeOffset\": \"-PT3H\", \"EndTimeOffset\": \"-PT1H\"}" "$w/gt"
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time $T --capture-uri "$w/capture" \
    --schedule-name s 2>"$w/stderr"; rc=$?
out="$w/out/ep-1/s/2026/11/24/12"
check "endpoint: exit 0 (got $rc: $(head -c 300 "$w/stderr"))" test "$rc" = 0
check "endpoint: the window, the hours and the counts the rules give" python3 - "$out/execution.json" <<'P'
import json, sys
a = json.load(open(sys.argv[1]))
assert a["window"] == {"start": "2026-11-24T09:00:00Z", "end": "2026-11-24T11:00:00Z"}, a["window"]
assert a["ground_truth_hours"] == {"start": "2026-11-24T09:00:00Z", "end": "2026-11-24T12:00:00Z"}, a["ground_truth_hours"]
want = dict(capture_files=2, capture_records=10, records_in_window=8, records_outside_window=2,
            malformed_capture_records=0, ground_truth_files=6, ground_truth_records=13,
            malformed_ground_truth_records=0, duplicate_ground_truth_ids=3, duplicate_capture_records=0,
            joined_records=6, rows=6, capture_records_without_ground_truth=2, ground_truth_without_capture=4)
got = {k: a["counts"].get(k) for k in want}
bad = {k: (v, got[k]) for k, v in want.items() if got[k] != v}
assert not bad, "(expected, got): %r" % bad
assert a["first_unmatched_capture_id"] == "e-gt13", a["first_unmatched_capture_id"]
assert a["first_malformed"] == [], a["first_malformed"]
P
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$w/expected.csv" --output "$w/direct" 2>/dev/null
check "endpoint: analysis.json equals analyze on the six rows that should join, with the last labels" \
    cmp -s "$w/direct/analysis.json" "$out/analysis.json"

# 2. batch transform output: the same bounds
jobdef "$w/jdb.json" '"BatchTransformInput": {"DataCapturedDestinationS3Uri": "'"$w/batch/capture"'", "LocalPath": "/opt/ml/processing/input/batch", "DatasetFormat": {"Csv": {"Header": false}}, "StartTimeOffset": "-PT3H", "EndTimeOffset": "-PT1H", "InferenceAttribute": "2"}' "$w/batch/gt"
"$BM_BIN" execute --job-definition "$w/jdb.json" --scheduled-time $T --schedule-name b 2>"$w/stderr"; rc=$?
check "batch: exit 0 (got $rc: $(head -c 300 "$w/stderr"))" test "$rc" = 0
check "batch: the window's start is in, its end is out" python3 - "$w/out/b/2026/11/24/12/execution.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
want = dict(records_in_window=2, records_outside_window=2, joined_records=2, rows=2, ground_truth_without_capture=2)
got = {k: c.get(k) for k in want}
assert got == want, got
P
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$w/batch-expected.csv" --output "$w/bdirect" 2>/dev/null
check "batch: analysis.json equals analyze on b-start and b-last" \
    cmp -s "$w/bdirect/analysis.json" "$w/out/b/2026/11/24/12/analysis.json"

# 3. no offsets: the hour before T, [11:00, 12:00): only hour folder 11 is read (e-h11, outside)
rm -rf "$w/out"
jobdef "$w/jdd.json" "$ep}" "$w/gt"
"$BM_BIN" execute --job-definition "$w/jdd.json" --scheduled-time $T --capture-uri "$w/capture" \
    --schedule-name s 2>"$w/stderr"; rc=$?
check "default window: exit 3, nothing in it (got $rc)" test "$rc" = 3
check "default window: the hour before T" python3 - "$out/execution.json" <<'P'
import json, sys
a = json.load(open(sys.argv[1]))
assert a["window"] == {"start": "2026-11-24T11:00:00Z", "end": "2026-11-24T12:00:00Z"}, a["window"]
c = a["counts"]
assert (c["capture_records"], c["records_outside_window"], c["records_in_window"]) == (1, 1, 0), c
P

# 4. the bounds on the window: at most 400 days long, each offset at most 400 days from T, and
#    not empty; a window exactly on a bound is accepted
bound() { # name, start offset, end offset, expected exit, text the reason holds ("" for none)
    rm -rf "$w/out"
    jobdef "$w/jdw.json" "$ep, \"StartTimeOffset\": \"$2\", \"EndTimeOffset\": \"$3\"}" "$w/gt"
    "$BM_BIN" execute --job-definition "$w/jdw.json" --scheduled-time $T --capture-uri "$w/capture" \
        --schedule-name s 2>"$w/stderr"; local rc=$?
    check "$1 [$2, $3): exit $4 (got $rc: $(head -c 300 "$w/stderr"))" test "$rc" = "$4"
    [ -z "$5" ] || check "$1: the reason says '$5'" grep -q "$5" "$out/execution.json"
}
bound "400 days, reaching 400 days back" -P400D -PT0H 0 ""
bound "400 days, each offset under 400 days" -P399D P1D 0 ""
bound "an offset 400 days and an hour back" -P400DT1H -PT1H 3 "reaches more than 400 days from the scheduled time"
bound "an offset 400 days and an hour ahead" -PT1H P400DT1H 3 "reaches more than 400 days from the scheduled time"
bound "400 days and an hour long" -P400D PT1H 3 "is longer than 400 days"
bound "an empty window" -PT1H -PT1H 3 "is empty: the start offset must come before the end offset"

echo "window_rules: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
