#!/usr/bin/env bash
# The main job on embedded defaults: biasmon analyze on the shipped Adult data set.
#
# The Adult file separates fields with ", "; the demo writes a plain CSV copy and adds a
# "Prediction" column from a documented rule standing in for a model:
#     predict ">50K" when education-num >= 13 and hours-per-week >= 40, or capital-gain >= 7000;
#     otherwise "<=50K".
# The rule never looks at sex or age, yet the analysis shows how it treats women and people over
# 40 differently, which is the point of bias metrics.
set -euo pipefail
bin=${1:-build/biasmon}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${DEMO_OUT:-$root/out/demo}
mkdir -p "$out"
awk -F', ' 'BEGIN { OFS = "," }
    NF < 15 { next }
    NR == 1 { $1 = $1; print $0, "Prediction"; next }
    { $1 = $1; pred = (($5 >= 13 && $13 >= 40) || $11 >= 7000) ? ">50K" : "<=50K"; print $0, pred }' \
    "$root/data/adult/adult.csv" >"$out/adult_with_predictions.csv"
"$bin" analyze --analysis-config "$root/data/adult/analysis_config.json" \
    --dataset "$out/adult_with_predictions.csv" --output "$out"
python3 - "$out/analysis.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
def show(stage, title):
    s = a[stage]
    print(f"\n{title} (label {s['label']} = {s['label_value_or_threshold']})")
    for facet, entries in s["facets"].items():
        if isinstance(entries, dict):
            print(f"  {facet}: error: {entries['error']}"); continue
        for e in entries:
            print(f"  {facet} = {e['value_or_threshold']}")
            for m in e["metrics"]:
                v = m["value"]
                v = f"{v:10.4f}" if isinstance(v, (int, float)) else f"{str(v):>10}"
                err = f"  ({m['error']})" if "error" in m else ""
                print(f"    {m['name']:6} {v}  {m['description']}{err}")
show("pre_training_bias_metrics", "Pre-training bias")
show("post_training_bias_metrics", "Post-training bias")
print(f"\nwrote {sys.argv[1]}")
PY
