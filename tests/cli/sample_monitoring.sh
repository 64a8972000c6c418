#!/usr/bin/env bash
# The README's worked example, end to end: the demo's analysis is the baseline; executions at
# 11:00 and 12:00 over the shipped capture sample; the second hour (a drifted model) must show
# DI falling and violations, and both executions must join every captured record.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
cd "$BM_SOURCE_DIR" || exit 1
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
DEMO_OUT="$w/demo" DEMO_STEPS=baseline bash scripts/demo.sh "$BM_BIN" >"$w/demo.log" 2>&1 || { cat "$w/demo.log"; exit 1; }
sed -e "s#out/demo/analysis.json#$w/demo/analysis.json#" -e "s#\"out/monitoring\"#\"$w/monitoring\"#" \
    data/sample-monitoring/job_definition.json >"$w/jd.json"
for t in 11 12; do
    "$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time "2026-11-24T$t:00:00Z" \
        --capture-uri data/sample-monitoring/capture --schedule-name hourly 2>"$w/err-$t"
    rc=$?
    [ $rc = 0 ] || [ $rc = 1 ] || { echo "execute at $t:00 exited $rc"; cat "$w/err-$t"; exit 1; }
done
python3 - "$w/monitoring/adult-income/hourly/2026/11/24" <<'P'
import json, sys
d = sys.argv[1]
def get(h, f): return json.load(open(f"{d}/{h}/{f}"))
di = {}
for h in ("11", "12"):
    e = get(h, "execution.json")
    assert e["counts"]["joined_records"] == 1000 and e["counts"]["capture_records_without_ground_truth"] == 0, e["counts"]
    a = get(h, "analysis.json")
    di[h] = [m["value"] for m in a["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"] if m["name"] == "DI"][0]
v = get("12", "constraint_violations.json")["violations"]
assert any(x["metric_name"] == "DI" for x in v), v
assert di["12"] < di["11"] * 0.7, di
print("sample monitoring: 1 passed, 0 failed", di)
P
