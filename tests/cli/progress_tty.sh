#!/usr/bin/env bash
# Progress on a terminal (issue 13 item 4): biasmon analyze and execute redraw one stderr line with
# the rows and bytes read while a long run goes, when stderr is a terminal (script(1) from
# util-linux gives them one), at most 4 times a second, and clear it at the end; never when stderr
# is piped, nor with --json. The outputs are the same either way.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
command -v script >/dev/null || { echo "FAIL: script is missing (scripts/deps.sh test installs bsdutils)"; exit 1; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
# a dataset long enough to take more than a quarter second: the Adult data set 3 times over, with
# the demo's predictions
awk -F', ' 'BEGIN { OFS = "," }
    NF < 15 { next }
    NR == 1 { $1 = $1; print $0, "Prediction"; next }
    { $1 = $1; pred = (($5 >= 13 && $13 >= 40) || $11 >= 7000) ? ">50K" : "<=50K"; print $0, pred }' \
    "$BM_SOURCE_DIR/data/adult/adult.csv" >"$w/one.csv"
{ cat "$w/one.csv"; tail -n +2 "$w/one.csv"; tail -n +2 "$w/one.csv"; } >"$w/data.csv"
rows=$(($(wc -l <"$w/data.csv") - 1))
cfg="$BM_SOURCE_DIR/data/adult/analysis_config.json"
on_tty() { # OUTPUT_FILE COMMAND...: runs COMMAND with stdin, stdout and stderr on a terminal
    local out=$1; shift
    local cmd
    printf -v cmd '%q ' "$@"
    timeout 600 script -qec "$cmd" /dev/null >"$out" </dev/null
}

# frames: the progress lines drawn ("\r\e[K<what>: N rows, ..."), checked against the run
frames() { # FILE WHAT TOTAL_ROWS SECONDS
    python3 - "$@" <<'P'
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
what, total, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
frames = re.findall("\r\x1b\\[K" + what + r": ([\d,]+) rows, ([\d.]+) MiB read[,;] ([^\r]*?)(?=\r)", text)
assert frames, "no progress line in %r" % text[:300]
counts = [int(f[0].replace(",", "")) for f in frames]
assert counts == sorted(counts) and counts[-1] <= total, counts
mib = [float(f[1]) for f in frames]
assert mib == sorted(mib), mib
# at most 4 a second (plus the first): the refresh is bounded
assert len(frames) <= 4 * secs + 2, (len(frames), secs)
# cleared at the end: the last frame is followed by "\r\e[K" and then the run's own output
last = text.rfind("\r\x1b[K" + what + ":")
tail = text[last + 3:]
assert "\r\x1b[K" in tail, "the progress line is not cleared"
after = tail[tail.index("\r\x1b[K") + 3:]
assert what + ":" not in after and "\x1b" not in after, after[:200]
print(len(frames), "frames, last", counts[-1], "rows")
P
}

# ---- analyze on a terminal
t0=$(date +%s.%N)
on_tty "$w/tty.out" "$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/data.csv" --output "$w/tty"
rc=$?
secs=$(python3 -c "import sys, time; print(time.time() - float(sys.argv[1]))" "$t0")
check "analyze on a terminal: exit 0 (got $rc)" test "$rc" = 0
check "analyze on a terminal: progress lines, rows and bytes growing, at most 4 a second, cleared ($(frames "$w/tty.out" analyze "$rows" "$secs" 2>&1 | tail -1))" \
    frames "$w/tty.out" analyze "$rows" "$secs"
check "analyze on a terminal: the summary follows the cleared line" grep -q "rows analysed: $rows" "$w/tty.out"

# ---- piped: nothing but the run's own words; the same analysis.json
"$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/data.csv" --output "$w/pipe" >"$w/pipe.out" 2>"$w/pipe.err"
check "analyze piped: exit 0" test $? = 0
check "analyze piped: no progress on stderr" bash -c '! grep -q "analyze:\|$(printf "\033")" "$1"' _ "$w/pipe.err"
check "analyze piped: stderr is the one closing line" test "$(wc -l <"$w/pipe.err")" = 1
check "analysis.json is the same on a terminal and piped" cmp -s "$w/tty/analysis.json" "$w/pipe/analysis.json"

# ---- --json on a terminal: no progress
on_tty "$w/json.out" "$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/data.csv" --output "$w/json" --json
check "analyze --json on a terminal: exit 0" test $? = 0
check "analyze --json on a terminal: no progress line" bash -c '! grep -q "analyze:" "$1" && ! grep -q "$(printf "\033")" "$1"' _ "$w/json.out"

# ---- execute: 4 hours of traffic in one window
python3 "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 4 --per-hour 5000 >/dev/null || { echo "FAIL: traffic"; exit 1; }
cat >"$w/jd.json" <<J
{"JobDefinitionName": "progress-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT4H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$w/traffic/ground-truth"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
exe() { "$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T14:00:00Z \
    --capture-uri "file://$w/traffic/capture" --schedule-name s --no-partials "$@"; }
t0=$(date +%s.%N)
on_tty "$w/etty.out" "$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T14:00:00Z \
    --capture-uri "file://$w/traffic/capture" --schedule-name s --no-partials
rc=$?
secs=$(python3 -c "import sys, time; print(time.time() - float(sys.argv[1]))" "$t0")
records=$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["counts"]; print(c["capture_records"] + c["ground_truth_records"])' \
    "$w/out/adult-income/s/2026/11/24/14/execution.json" 2>/dev/null || echo 0)
check "execute on a terminal: exit 0 (got $rc)" test "$rc" = 0
check "execute on a terminal: progress lines up to the $records records read, cleared ($(frames "$w/etty.out" execute "$records" "$secs" 2>&1 | tail -1))" \
    frames "$w/etty.out" execute "$records" "$secs"
exe >/dev/null 2>"$w/epipe.err"
check "execute piped: no progress on stderr" bash -c '! grep -q "execute:\|$(printf "\033")" "$1"' _ "$w/epipe.err"
on_tty "$w/ejson.out" "$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T14:00:00Z \
    --capture-uri "file://$w/traffic/capture" --schedule-name s --no-partials --json
check "execute --json on a terminal: no progress line, the JSON intact" python3 - "$w/ejson.out" <<'P'
import json, sys
t = open(sys.argv[1]).read()
assert "execute:" not in t and "\x1b" not in t, t[:200]
j = json.loads(t[t.index("{"):])
assert j["Status"] == "Completed", j["Status"]
P

echo "progress_tty: $passes passed, $fails failed"
[ "$fails" = 0 ]
