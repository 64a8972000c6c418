#!/usr/bin/env bash
# Every reference case in tests/golden (a copy of shared/golden): biasmon analyze must match expected.json
# (numbers within 1e-9 relative, texts exact, errors where the reference has errors), and
# reading the CSV in 1, 2 or 3 byte ranges must give byte-identical analysis.json files, and the
# same rows as JSON Lines (tests/golden/to_jsonl.py) must match expected.json too.
# Each case runs once more without the flip test, which takes the memoized CSV path (FT needs
# every feature cell, so it takes the general one): both paths must match the reference.
set -u
: "${BM_BIN:?}" "${BM_GOLDEN_DIR:?}"
golden="$BM_GOLDEN_DIR"
compare="$BM_GOLDEN_DIR/compare.py"
cases=("$golden"/*/)
if [ ! -f "$compare" ] || [ ! -f "${cases[0]}expected.json" ]; then
    echo "golden cases not found under $golden (set BM_GOLDEN_DIR)"; exit 1
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0; fail=0
for d in "${cases[@]}"; do
    name=$(basename "$d")
    ok=1
    for t in 1 2 3; do
        mkdir -p "$work/$name/$t"
        if ! "$BM_BIN" analyze --analysis-config "$d/analysis_config.json" --dataset "$d/data.csv" \
            --output "$work/$name/$t" --threads "$t" 2>"$work/$name/$t/stderr"; then
            echo "FAIL $name: analyze exited non-zero with --threads $t"; cat "$work/$name/$t/stderr"; ok=0; break
        fi
    done
    if [ $ok = 1 ] && ! python3 "$compare" "$d/expected.json" "$work/$name/1/analysis.json" >"$work/$name/diff"; then
        echo "FAIL $name:"; head -20 "$work/$name/diff"; ok=0
    fi
    if [ $ok = 1 ]; then
        for t in 2 3; do
            if ! cmp -s "$work/$name/1/analysis.json" "$work/$name/$t/analysis.json"; then
                echo "FAIL $name: --threads $t differs from one pass"; ok=0
            fi
        done
    fi
    if [ $ok = 1 ]; then
        mkdir -p "$work/$name/noft"
        python3 - "$d" "$work/$name/noft" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
codes = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"]
cfg = json.load(open(src + "/analysis_config.json"))
post = cfg.setdefault("methods", {}).setdefault("post_training_bias", {"methods": "all"})
post["methods"] = codes if post["methods"] == "all" else [m for m in post["methods"] if m != "FT"]
json.dump(cfg, open(dst + "/config.json", "w"))
exp = json.load(open(src + "/expected.json"))
for facets in exp.get("post_training_bias_metrics", {}).get("facets", {}).values():
    if isinstance(facets, list):
        for e in facets:
            e["metrics"] = [m for m in e["metrics"] if m["name"] != "FT"]
json.dump(exp, open(dst + "/expected.json", "w"))
PY
        if ! "$BM_BIN" analyze --analysis-config "$work/$name/noft/config.json" --dataset "$d/data.csv" \
            --output "$work/$name/noft" 2>"$work/$name/noft/stderr" ||
            ! python3 "$compare" "$work/$name/noft/expected.json" "$work/$name/noft/analysis.json" >"$work/$name/noft/diff"; then
            echo "FAIL $name (without FT):"; cat "$work/$name/noft/stderr"; head -20 "$work/$name/noft/diff"; ok=0
        fi
    fi
    if [ $ok = 1 ]; then
        # the same rows as JSON Lines must give the same analysis
        mkdir -p "$work/$name/jsonl"
        if ! python3 "$golden/to_jsonl.py" "$d" "$work/$name/jsonl" ||
            ! "$BM_BIN" analyze --analysis-config "$work/$name/jsonl/analysis_config.json" \
                --dataset "$work/$name/jsonl/data.jsonl" --output "$work/$name/jsonl" 2>"$work/$name/jsonl/stderr" ||
            ! python3 "$compare" "$d/expected.json" "$work/$name/jsonl/analysis.json" >"$work/$name/jsonl/diff"; then
            echo "FAIL $name (JSON Lines):"; cat "$work/$name/jsonl/stderr"; head -20 "$work/$name/jsonl/diff" 2>/dev/null; ok=0
        fi
    fi
    if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -ge 56 ]
