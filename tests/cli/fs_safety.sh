#!/usr/bin/env bash
# The command line on files that are not what they should be: an atomic write never replaces a
# symbolic link, FIFO or directory (--cube, --output); a FIFO given as a config fails at once
# (execute); errors say file, line and column and what was expected, never the bytes read (a
# non-JSON config such as /etc/passwd, a binary file read as CSV).
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
src="$BM_SOURCE_DIR/data"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
python3 -c '
import random
r = random.Random(7)
print("x,sex,y")
for i in range(200): print("%d,%s,%d" % (r.randint(0, 9), r.choice("FM"), r.randint(0, 1)))' >"$w/small.csv"
cfg="$w/cfg.json"
echo '{"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "methods": {"pre_training_bias": {"methods": "all"}}}' >"$cfg"

# ---- --cube onto a symbolic link: refused, exit 4, the link and its target untouched
echo precious >"$w/target"
ln -s "$w/target" "$w/cube-link"
timeout 60 "$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/small.csv" --output "$w/o1" --cube "$w/cube-link" 2>"$w/e1"; rc=$?
check "--cube onto a symlink exits 4 (got $rc: $(cat "$w/e1"))" [ "$rc" = 4 ]
check "--cube onto a symlink says why" grep -q "symbolic link, not a regular file" "$w/e1"
check "the symlink stays a symlink" [ -L "$w/cube-link" ]
check "its target is untouched" [ "$(cat "$w/target")" = precious ]

# ---- --cube onto a FIFO (as root, a device such as /dev/full was replaced the same way)
mkfifo "$w/cube-fifo"
timeout 60 "$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/small.csv" --output "$w/o2" --cube "$w/cube-fifo" 2>"$w/e2"; rc=$?
check "--cube onto a FIFO exits 4 (got $rc)" [ "$rc" = 4 ]
check "the FIFO stays a FIFO" [ -p "$w/cube-fifo" ]

# ---- --output whose analysis.json is a symbolic link
mkdir "$w/o3"; ln -s "$w/target" "$w/o3/analysis.json"
timeout 60 "$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/small.csv" --output "$w/o3" 2>"$w/e3"; rc=$?
check "analysis.json as a symlink: exit 4 (got $rc)" [ "$rc" = 4 ]
check "analysis.json as a symlink: target untouched" [ "$(cat "$w/target")" = precious ]

# ---- a regular file is still replaced
timeout 60 "$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/small.csv" --output "$w/o4" --cube "$w/cube.json" 2>"$w/e4"; rc=$?
check "an ordinary analyze still works (got $rc: $(cat "$w/e4"))" [ "$rc" = 0 ]
check "and writes the cube" [ -s "$w/cube.json" ]

# ---- a config that is not JSON: position and what was expected, not the first token
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$w/passwd"
timeout 60 "$BM_BIN" analyze --analysis-config "$w/passwd" --dataset "$w/small.csv" --output "$w/o5" 2>"$w/e5"; rc=$?
check "non-JSON config: exit 3 (got $rc)" [ "$rc" = 3 ]
check "non-JSON config: names file, line and column ($(cat "$w/e5"))" grep -q "$w/passwd:1:[0-9]*: invalid JSON" "$w/e5"
check "non-JSON config: does not quote the file" bash -c "! grep -q root '$w/e5'"

# ---- a binary file read as CSV: no raw bytes on the terminal
head -c 4096 /dev/urandom | tr -d '\n' >"$w/binary.csv"
printf '\n\x1b]0;owned\x07\x01\x02,\xff\xfe\n' >>"$w/binary.csv"
timeout 60 "$BM_BIN" analyze --analysis-config "$cfg" --dataset "$w/binary.csv" --output "$w/o6" 2>"$w/e6"; rc=$?
check "binary CSV: exit 3 (got $rc)" [ "$rc" = 3 ]
check "binary CSV: the message is plain text ($(head -c 300 "$w/e6" | tr -c '[:print:]\n' '?'))" \
    bash -c "LC_ALL=C grep -q '[^[:print:][:space:]]' '$w/e6' && exit 1; exit 0"

# ---- execute with a FIFO as the analysis config: Failed at once, not a hang
mkfifo "$w/config-fifo"
sed -e "s#data/sample-monitoring/analysis_config.json#$w/config-fifo#" -e "s#out/demo/analysis.json#$w/none.json#" \
    -e "s#data/sample-monitoring/ground-truth#$src/sample-monitoring/ground-truth#" -e "s#out/monitoring#$w/mon#" \
    "$src/sample-monitoring/job_definition.json" >"$w/jd.json"
timeout 60 "$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T11:00:00Z \
    --capture-uri "$src/sample-monitoring/capture" --schedule-name hourly 2>"$w/e7"; rc=$?
check "FIFO config: Failed, exit 3, within the timeout (got $rc)" [ "$rc" = 3 ]
check "FIFO config: says it is not a regular file ($(tail -1 "$w/e7"))" grep -q "not a regular file (it is a FIFO)" "$w/e7"

# ---- execute --confine (how biasmon serve runs its workers): a link planted in the root that
# leads out is caught as the worker opens the file, whatever was checked before
mkdir -p "$w/root/gt" "$w/root/capture"
ln -s /etc/passwd "$w/root/cfg.json"
sed -e "s#data/sample-monitoring/analysis_config.json#file://$w/root/cfg.json#" -e "s#out/demo/analysis.json#$w/root/none.json#" \
    -e "s#data/sample-monitoring/ground-truth#$w/root/gt#" -e "s#out/monitoring#$w/root/mon#" \
    "$src/sample-monitoring/job_definition.json" >"$w/jd-confined.json"
timeout 60 "$BM_BIN" execute --job-definition "$w/jd-confined.json" --scheduled-time 2026-11-24T11:00:00Z \
    --capture-uri "$w/root/capture" --schedule-name hourly --confine "$w/root" 2>"$w/e8"; rc=$?
check "confined, a link out: Failed, exit 3 (got $rc)" [ "$rc" = 3 ]
check "confined, a link out: the reason names the config and the root ($(tail -1 "$w/e8"))" \
    grep -q "cannot read the analysis config file://$w/root/cfg.json: .*leads (through a symbolic link) outside the folders biasmon serve may use ($w/root)" "$w/e8"
check "confined, a link out: nothing of the file" bash -c "! grep -q 'root:' '$w/e8'"
check "confined, a link out: execution.json says Failed" grep -q '"Status": "Failed"' "$w/root/mon/adult-income/hourly/2026/11/24/11/execution.json"
# the same job definition outside any --confine folder reads what the user names
timeout 60 "$BM_BIN" execute --job-definition "$w/jd-confined.json" --scheduled-time 2026-11-24T11:00:00Z \
    --capture-uri "$w/root/capture" --schedule-name hourly --confine "$w/elsewhere-missing" 2>"$w/e9"; rc=$?
check "a --confine folder that does not exist: exit 2 (got $rc)" [ "$rc" = 2 ]
sed -i "s#$w/root/mon#$w/outside-out#" "$w/jd-confined.json"
rm "$w/root/cfg.json"; cp "$src/sample-monitoring/analysis_config.json" "$w/root/cfg.json"
timeout 60 "$BM_BIN" execute --job-definition "$w/jd-confined.json" --scheduled-time 2026-11-24T11:00:00Z \
    --capture-uri "$w/root/capture" --schedule-name hourly --confine "$w/root" 2>"$w/e10"; rc=$?
check "confined, output outside: exit 4 (got $rc: $(tail -1 "$w/e10"))" [ "$rc" = 4 ]
check "confined, output outside: nothing written there" [ ! -e "$w/outside-out" ]

echo "fs_safety: $passes passed, $fails failed"
[ "$fails" = 0 ]
