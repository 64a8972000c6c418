#!/usr/bin/env bash
# One error model for biasmon execute: every data limit and every input it cannot use ends as a
# Failed execution with execution.json and a FailureReason that says what to change (exit 3),
# never an internal error (exit 5) or a run without an account; the hour folders are found by
# listing what exists, so a long window costs what the data costs; outputs are complete or
# absent together, even when the disk fills halfway through writing them.
set -u
: "${BM_BIN:?}"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
# A capture tree at T = 2026-11-24T12:00:00Z: NREC invocations of ROWS CSV rows each in hour 11,
# their ground truth in hour 11; group value of row j of record i is "g<i*ROWS+j>" when DISTINCT
# is 1, else "g<j mod 3>".
gen() { # dir nrec rows distinct
    python3 - "$@" <<'P'
import os, sys
d, nrec, rows, distinct = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cap = os.path.join(d, "capture/ep-1/AllTraffic/2026/11/24/11")
gt = os.path.join(d, "gt/2026/11/24/11")
os.makedirs(cap); os.makedirs(gt)
with open(os.path.join(cap, "c.jsonl"), "w") as c, open(os.path.join(gt, "g.jsonl"), "w") as g:
    for i in range(nrec):
        inp = "".join("%d,g%d,%s\n" % (j % 5, i * rows + j if distinct else j % 3, "FM"[(i + j) % 2]) for j in range(rows))
        out = "".join("%d\n" % ((i + j) % 2) for j in range(rows))
        lab = "\n".join(str((i * j) % 2) for j in range(rows))
        eid = "e-%d" % i
        c.write('{"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "%s", "encoding": "CSV"}, '
                '"endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "%s", "encoding": "CSV"}}, '
                '"eventMetadata": {"eventId": "%s", "inferenceTime": "2026-11-24T11:%02d:00Z"}, "eventVersion": "0"}\n'
                % (inp.replace("\n", "\\n"), out.replace("\n", "\\n"), eid, i % 60))
        g.write('{"groundTruthData": {"data": "%s", "encoding": "CSV"}, "eventMetadata": {"eventId": "%s"}, "eventVersion": "0"}\n'
                % (lab.replace("\n", "\\n"), eid))
P
}
cat >"$w/ac.json" <<'J'
{"headers": ["x", "grp", "sex", "y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
jobdef() { # file, ground-truth URI, output URI, start offset
    cat >"$1" <<J
{"JobDefinitionName": "lim-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$w/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "${4:--PT2H}", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$2"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$3", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
run() { # job definition, capture URI, extra arguments...
    local jd=$1 cap=$2; shift 2
    timeout 120 "$BM_BIN" execute --job-definition "$jd" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$cap" \
        --schedule-name s "$@" 2>"$w/stderr"
}
status() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Status"])' "$1" 2>/dev/null; }
reason() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["FailureReason"])' "$1" 2>/dev/null; }
failed_with() { # execution.json, text the reason must contain
    [ "$(status "$1")" = Failed ] && reason "$1" | grep -qF -- "$2"
}

# ---- a good run: the baseline every case below differs from
gen "$w/ok" 20 5 0
jobdef "$w/jd-ok.json" "$w/ok/gt" "$w/o-ok"
run "$w/jd-ok.json" "$w/ok/capture"; rc=$?
ok_out="$w/o-ok/ep-1/s/2026/11/24/12"
check "a good run completes (got $rc: $(cat "$w/stderr"))" [ "$rc" = 0 ]
check "a good run writes the four outputs" test -s "$ok_out/analysis.json" -a -s "$ok_out/execution.json" -a -s "$ok_out/cloudwatch_metrics.jsonl"

# ---- 70,000 distinct group_variable values: Failed, naming the column and the bound
gen "$w/many" 70 1000 1
jobdef "$w/jd-many.json" "$w/many/gt" "$w/o-many"
run "$w/jd-many.json" "$w/many/capture"; rc=$?
out="$w/o-many/ep-1/s/2026/11/24/12"
check "70,000 groups: exit 3 (got $rc: $(cat "$w/stderr"))" [ "$rc" = 3 ]
check "70,000 groups: execution.json says Failed and why ($(reason "$out/execution.json"))" \
    failed_with "$out/execution.json" 'group_variable "grp" has more than 65536 distinct values'
check "70,000 groups: no analysis.json" test ! -e "$out/analysis.json"
check "70,000 groups: stderr carries the reason" grep -q "FailureReason: .*group_variable" "$w/stderr"

# ---- a capture URI longer than any path: Failed, saying which URI to shorten
long="$w/$(printf 'd%.0s' $(seq 1 4100))"
run "$w/jd-ok.json" "$long"; rc=$?
check "capture URI over 4096 bytes: exit 3 (got $rc)" [ "$rc" = 3 ]
check "capture URI over 4096 bytes: the reason names it ($(reason "$ok_out/execution.json"))" \
    failed_with "$ok_out/execution.json" "capture URI"
# (a ground-truth or output S3Uri over 512 characters is refused with its JSON path when the job
# definition is read, as SageMaker's shapes say)

# ---- windows: offsets beyond the documented bound end at once as Failed, saying the bound
for off in "-P2000W -P52W" "-P99999999W -P99999998W"; do
    set -- $off
    run "$w/jd-ok.json" "$w/ok/capture" --data-analysis-start-time "$1" --data-analysis-end-time "$2"; rc=$?
    [ "$rc" = 124 ] && rc="124 (timed out)"
    check "start offset $off: exit 3 (got $rc)" [ "$rc" = 3 ]
    check "start offset $off: the reason gives the bound ($(reason "$ok_out/execution.json"))" \
        failed_with "$ok_out/execution.json" "at most 400 days (P400D)"
done
# an offset SageMaker's shape accepts but biasmon cannot read: Failed, naming the member
jobdef "$w/jd-year.json" "$w/ok/gt" "$w/o-year" -P1Y
run "$w/jd-year.json" "$w/ok/capture"; rc=$?
check "StartTimeOffset -P1Y: exit 3 (got $rc)" [ "$rc" = 3 ]
check "StartTimeOffset -P1Y: the reason names the member ($(reason "$w/o-year/ep-1/s/2026/11/24/12/execution.json"))" \
    failed_with "$w/o-year/ep-1/s/2026/11/24/12/execution.json" "StartTimeOffset is not a window offset biasmon reads"
# a window of 399 days over a tree with one hour of data: the folders are listed, not probed
if command -v strace >/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -c -o "$w/strace" -e trace=openat,open,newfstatat,stat,statx,access \
        timeout 120 "$BM_BIN" execute --job-definition "$w/jd-ok.json" --scheduled-time 2026-11-24T12:00:00Z \
        --capture-uri "$w/ok/capture" --schedule-name s --data-analysis-start-time -P399D 2>"$w/stderr"; rc=$?
    calls=$(awk '$NF ~ /^(openat|open|newfstatat|stat|statx|access)$/ { n += $4 } END { print n + 0 }' "$w/strace")
    check "399-day window: completes (got $rc)" [ "$rc" = 0 ]
    check "399-day window: under 400 file-system look-ups (got $calls)" [ "$calls" -lt 400 ]
fi

# a 30-day window over folders across a month boundary, beside folders the layout does not have:
# exactly the hour folders inside the window's hours are read
cp -r "$w/ok" "$w/walk"
for d in capture/ep-1/AllTraffic gt; do
    for h in 2026/10/31/23 2026/10/25/11 2026/10/32/00 2026/13/01/00 2026/11/24/1x notes/2026/11/24/11; do
        mkdir -p "$w/walk/$d/$h" && cp "$w/walk/$d/2026/11/24/11/"* "$w/walk/$d/$h/"
    done
done
jobdef "$w/jd-walk.json" "$w/walk/gt" "$w/o-walk" -P30D
run "$w/jd-walk.json" "$w/walk/capture"; rc=$?
check "30-day window over a month boundary: completes (got $rc: $(cat "$w/stderr"))" [ "$rc" = 0 ]
check "30-day window: 2 capture and 2 ground-truth files read (11-24T11, 10-31T23)" python3 - \
    "$w/o-walk/ep-1/s/2026/11/24/12/execution.json" <<'E'
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
assert (c["capture_files"], c["ground_truth_files"]) == (2, 2), c
E

# ---- the disk fills halfway through the outputs (RLIMIT_FSIZE, SIGXFSZ ignored: EFBIG on the
# write past 4 KiB): analysis.json (< 4 KiB) is written, cloudwatch_metrics.jsonl is not; the set
# is absent and execution.json says Failed and why
size() { stat -c %s "$1"; }
run "$w/jd-ok.json" "$w/ok/capture"
check "the full-disk case fits the outputs: analysis.json under 4 KiB, cloudwatch_metrics.jsonl over" \
    [ "$(size "$ok_out/analysis.json")" -lt 4096 -a "$(size "$ok_out/cloudwatch_metrics.jsonl")" -gt 4096 ]
rm -rf "$w/o-ok"
(trap '' XFSZ; ulimit -f 4; exec timeout 120 "$BM_BIN" execute --job-definition "$w/jd-ok.json" \
    --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/ok/capture" --schedule-name s) 2>"$w/stderr"; rc=$?
check "full disk: exit 3 (got $rc: $(cat "$w/stderr"))" [ "$rc" = 3 ]
check "full disk: execution.json says Failed and which output ($(reason "$ok_out/execution.json"))" \
    failed_with "$ok_out/execution.json" "cannot write the outputs"
check "full disk: no analysis.json without its set" test ! -e "$ok_out/analysis.json"
check "full disk: no cloudwatch_metrics.jsonl" test ! -e "$ok_out/cloudwatch_metrics.jsonl"
check "full disk: no temporary files" test -z "$(ls -A "$ok_out" | grep -v '^execution.json$')"
# a disk too full even for execution.json: exit 4, nothing in the folder, stderr says why
(trap '' XFSZ; ulimit -f 1; exec timeout 120 "$BM_BIN" execute --job-definition "$w/jd-ok.json" \
    --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/ok/capture" --schedule-name s) 2>"$w/stderr"; rc=$?
check "no room for execution.json: exit 4 (got $rc: $(cat "$w/stderr"))" [ "$rc" = 4 ]
check "no room for execution.json: stderr names it" grep -q "execution.json: cannot write" "$w/stderr"
check "no room for execution.json: the folder is empty" test -z "$(ls -A "$ok_out")"
# a good rerun into the same folder: the whole set again
run "$w/jd-ok.json" "$w/ok/capture"; rc=$?
check "rerun after a full disk completes (got $rc)" [ "$rc" = 0 ]
check "rerun writes the set" test -s "$ok_out/analysis.json" -a -s "$ok_out/cloudwatch_metrics.jsonl"
# a Failed rerun into a folder with a complete set: the old outputs do not stay beside it
jobdef "$w/jd-nogt.json" "$w/nothing-here" "$w/o-ok"
run "$w/jd-nogt.json" "$w/ok/capture"; rc=$?
check "Failed rerun over a complete set: exit 3 (got $rc)" [ "$rc" = 3 ]
check "Failed rerun over a complete set: the old analysis.json is gone" test ! -e "$ok_out/analysis.json"

echo "limits: $passes passed, $fails failed"
[ "$fails" = 0 ]
