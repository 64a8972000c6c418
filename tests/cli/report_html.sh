#!/usr/bin/env bash
# report.html beside analysis.json: biasmon analyze writes {methods.report.name}.html when the config
# asks for it (as Clarify does) and nothing otherwise; every monitoring execution that writes
# analysis.json writes report.html with it, whose values, baseline values, violations and counts are
# those of analysis.json, the baseline, constraint_violations.json and execution.json (read back from
# the page's data attributes with Python's HTML parser, then in headless Chromium with JavaScript
# off: tests/js/report.mjs); a Failed execution leaves none.
set -u
: "${BM_BIN:?}" "${BM_GOLDEN_DIR:?}" "${BM_SOURCE_DIR:?}"
here="$BM_SOURCE_DIR/tests/cli"
data="$BM_GOLDEN_DIR/basic_binary_cat_facet/data.csv"
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
python3 "$here/capture_gen.py" "$data" "$w/tree" || exit 1
cat >"$w/ac.json" <<'J'
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
cat >"$w/ac_report.json" <<'J'
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp",
 "methods": {"report": {"name": "my-report", "title": "Baseline <of> \"sex\""},
             "pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
J
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); del c["methods"]; json.dump(c, open(sys.argv[2],"w"))' \
    "$w/ac_report.json" "$w/ac_plain.json"

# 1. analyze: the report when methods.report asks for it, under its name, with its title escaped
"$BM_BIN" analyze --analysis-config "$w/ac_report.json" --dataset "$data" --output "$w/base" 2>"$w/stderr"; rc=$?
check "analyze with methods.report: exit 0 (got $rc: $(cat "$w/stderr"))" test "$rc" = 0
check "analyze writes my-report.html beside analysis.json" test -s "$w/base/my-report.html" -a -s "$w/base/analysis.json"
check "no report.html under another name" test ! -e "$w/base/report.html"
check "analyze writes my-report.ipynb, valid nbformat 4" /usr/bin/python3 -c \
    'import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); assert nb.nbformat == 4' \
    "$w/base/my-report.ipynb"
check "analyze writes my-report.pdf, which pdftoppm turns into pages" \
    bash -c 'pdftoppm -r 30 -png "$1" "$2/page" && ls "$2"/page-*.png >/dev/null' _ "$w/base/my-report.pdf" "$w"
BIASMON_CHROMIUM=$w/no-chromium "$BM_BIN" analyze --analysis-config "$w/ac_report.json" --dataset "$data" \
    --output "$w/nopdf" 2>"$w/stderr"; rc=$?
check "without chromium: exit 0, html and ipynb, no pdf, and why (got $rc)" \
    test "$rc" = 0 -a -s "$w/nopdf/my-report.html" -a -s "$w/nopdf/my-report.ipynb" -a ! -e "$w/nopdf/my-report.pdf"
check "without chromium: the message says what to install" grep -q "no my-report.pdf: .*no-chromium is not installed (apt install chromium)" "$w/stderr"
check "the title is escaped" grep -q '<title>Baseline &lt;of&gt; &quot;sex&quot;</title>' "$w/base/my-report.html"
"$BM_BIN" analyze --analysis-config "$w/ac_plain.json" --dataset "$data" --output "$w/plain" 2>/dev/null
check "analyze without methods.report writes no report" test -z "$(ls "$w/plain" | grep -E '[.](html|ipynb|pdf)$')" -a -s "$w/plain/analysis.json"

# reads a report back and compares it with the JSON files it was made from
cat >"$w/readback.py" <<'P'
import html.parser, json, math, sys
page, analysis = sys.argv[1], json.load(open(sys.argv[2]))
base = json.load(open(sys.argv[3])) if sys.argv[3] != "-" else None
viol = json.load(open(sys.argv[4])) if sys.argv[4] != "-" else None
acct = json.load(open(sys.argv[5])) if sys.argv[5] != "-" else None
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.sec = None; s.row = None; s.cells = {}; s.counts = {}; s.cur = None; s.tags = set()
    def handle_starttag(s, tag, attrs):
        a = dict(attrs); s.tags.add(tag)
        if tag == "section": s.sec = (a["data-stage"], a["data-facet"], a["data-facet-value"])
        if tag == "tr" and "data-metric" in a: s.row = (s.sec, a["data-metric"], "violation" in (a.get("class") or ""))
        if tag == "tr" and "data-count" in a: s.cur = a["data-count"]
        if tag == "td" and s.row and "data-value" in a:
            kind = "value" if "value" in a["class"].split() else "baseline"
            s.cells.setdefault(s.row, {})[kind] = a["data-value"]
    def handle_data(s, d):
        if s.cur and d.strip() and not d.strip()[0].isalpha(): s.counts[s.cur] = d.strip(); s.cur = None
    def handle_endtag(s, tag):
        if tag == "tr": s.row = None
p = P(); p.feed(open(page, encoding="utf-8").read())
assert not p.tags & {"script", "img", "link", "iframe", "object", "embed"}, p.tags
def text(v):
    if isinstance(v, float): return repr(v)
    if v is None: return "null"
    return str(v)
want, wantviol = {}, set()
for st in ("pre_training_bias_metrics", "post_training_bias_metrics"):
    for facet, entries in analysis.get(st, {}).get("facets", {}).items():
        for e in entries:
            for m in e["metrics"]:
                key = ((st, facet, e["value_or_threshold"]), m["name"])
                want[key] = {"value": text(m["value"])}
                if base:
                    bm = {x["name"]: x["value"] for x in next(b for b in base[st]["facets"][facet]
                                                            if b["value_or_threshold"] == e["value_or_threshold"])["metrics"]}
                    want[key]["baseline"] = text(bm.get(m["name"]))
if viol:
    for v in viol["violations"]:
        wantviol |= {k for k in want if k[0][1:] == (v["facet"], v["facet_value"]) and k[1] == v["metric_name"]}
got = {(r[0], r[1]): c for r, c in p.cells.items()}
gotviol = {(r[0], r[1]) for r in p.cells if r[2]}
assert got == want, {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
assert gotviol == wantviol, (sorted(gotviol), sorted(wantviol))
if acct:
    for k, v in acct["counts"].items():
        assert p.counts.get(k) == str(v), (k, p.counts.get(k), v)
print(len(want), "metrics,", len(wantviol), "violations")
P
check "analyze's report shows analysis.json" python3 "$w/readback.py" "$w/base/my-report.html" "$w/base/analysis.json" - - -

# 2. an execution with a baseline that makes violations: report.html with them
jobdef() { # output file, baseline URI or "", ground-truth dir
    local base=""
    [ -n "$2" ] && base="\"ModelBiasBaselineConfig\": {\"ConstraintsResource\": {\"S3Uri\": \"$2\"}},"
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd", $base
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$w/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$3"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$w/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
out="$w/out/ep-1/sched-1/2026/11/24/12"
run() { "$BM_BIN" execute --job-definition "$1" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/tree/capture" --schedule-name sched-1 2>"$w/stderr" >"$w/stdout"; }
# the baseline: the dataset's analysis with every metric halfway to neutral, so most violate
python3 - "$w/base/analysis.json" "$w/half.json" <<'P'
import json, sys
a = json.load(open(sys.argv[1]))
for st in ("pre_training_bias_metrics", "post_training_bias_metrics"):
    for m in a[st]["facets"]["sex"][0]["metrics"]:
        if isinstance(m["value"], float):
            n = 1.0 if m["name"] == "DI" else 0.0
            m["value"] = n + (m["value"] - n) / 2
json.dump(a, open(sys.argv[2], "w"))
P
jobdef "$w/jd.json" "$w/half.json" "$w/tree/gt"
run "$w/jd.json"; rc=$?
check "execution with violations: exit 1 (got $rc: $(cat "$w/stderr"))" test "$rc" = 1
check "report.html beside analysis.json" test -s "$out/report.html" -a -s "$out/analysis.json"
check "the execution's report shows analysis.json, the baseline, the violations and the counts" \
    python3 "$w/readback.py" "$out/report.html" "$out/analysis.json" "$w/half.json" "$out/constraint_violations.json" "$out/execution.json"
check "the report names the schedule, the window and the status" \
    grep -q 'data-field="window">2026-11-24T10:00:00Z &ndash; 2026-11-24T12:00:00Z<.*CompletedWithViolations' \
    <(tr -d '\n' <"$out/report.html")

cp -r "$out" "$w/viol"
check "stdout is quiet when it is not a terminal (a worker's log ends as before)" test ! -s "$w/stdout"

# the command line's summary for people (--summary; on a terminal by default) and --json for programs
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/tree/capture" \
    --schedule-name sched-1 --summary >"$w/summary.txt" 2>/dev/null
check "execute --summary: status, window, coverage, violations, report" python3 - "$w/summary.txt" \
    "$out/constraint_violations.json" "$out/execution.json" "$out" <<'P'
import json, sys
t, v, e, out = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4]
lines = t.splitlines()
assert lines[0].split() == ["CompletedWithViolations", "2026-11-24T12:00:00Z", "window", "2026-11-24T10:00:00Z", "..",
                            "2026-11-24T12:00:00Z"], lines[0]
c = e["counts"]
assert f"records: {c['records_in_window']} in the window, {c['joined_records']} joined with ground truth" in lines[1], lines[1]
assert sum(1 for l in lines if l.endswith("VIOLATION")) == len(v["violations"]), t
for x in v["violations"]:
    assert any(l.split()[:1] == [x["metric_name"]] and l.endswith("VIOLATION") for l in lines), x
assert f"{len(v['violations'])} violations" in t, t
assert lines[-1] == f"report: {out}/report.html", lines[-1]
assert len(lines) < 40, len(lines)
P
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$w/tree/capture" \
    --schedule-name sched-1 --json >"$w/summary.json" 2>/dev/null
check "execute --json: execution.json with output and report" python3 - "$w/summary.json" "$out/execution.json" "$out" <<'P'
import json, sys
j, e, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
assert j.pop("output") == out and j.pop("report") == out + "/report.html", j
assert j == e
P
"$BM_BIN" analyze --analysis-config "$w/ac_report.json" --dataset "$data" --output "$w/base2" --summary \
    >"$w/asummary.txt" 2>/dev/null
check "analyze --summary: rows, headline metrics, the report" python3 - "$w/asummary.txt" "$w/base2" <<'P'
import sys
t = open(sys.argv[1]).read().splitlines()
assert t[0] == "rows analysed: 200", t
assert [l.split()[0] for l in t if l.startswith("  ")] == ["CI", "DPL", "DI", "DPPL"], t
assert t[-1] == f"report: {sys.argv[2]}/my-report.html", t
P

# 3. without a baseline: a report still, with no baseline column
rm -rf "$w/out"; jobdef "$w/jd0.json" "" "$w/tree/gt"
run "$w/jd0.json"; rc=$?
check "execution without baseline: exit 0" test "$rc" = 0
check "report.html without a baseline" python3 "$w/readback.py" "$out/report.html" "$out/analysis.json" - - "$out/execution.json"

# 4. a Failed execution (no ground truth) leaves no report, and removes an earlier run's
jobdef "$w/jdf.json" "" "$w/nowhere"
run "$w/jdf.json"; rc=$?
check "failed execution: exit 3 (got $rc)" test "$rc" = 3
check "the execution Failed" grep -q '"Status": "Failed"' "$out/execution.json"
check "no report.html beside a Failed execution.json" test ! -e "$out/report.html" -a -s "$out/execution.json"
check "no temporary files left" test -z "$(find "$w/out" "$w/base" -name '.*tmp*')"

# 5. in headless Chromium (Debian's, driven by playwright-core from tests/js; JavaScript off): the
# numbers a person sees are analysis.json's, the baseline's, the violations' and the counts', the
# violation links lead to their rows, nothing is fetched; screenshots go to $BM_SCREENSHOT_DIR if set
js=$BM_SOURCE_DIR/tests/js
if [ ! -x /usr/bin/chromium ] || [ ! -d "$js/node_modules/playwright-core" ]; then
    echo "FAIL: /usr/bin/chromium or playwright-core is missing (scripts/deps.sh test installs both)"
    fails=$((fails + 1))
else
    browse() { # name, node arguments...
        local name=$1; shift
        NODE_NO_WARNINGS=1 timeout 300 node "$js/report.mjs" "$@" >"$w/browser.out" 2>&1
        local rc=$?
        check "$name (exit $rc: $(tail -5 "$w/browser.out"))" test "$rc" = 0
    }
    browse "Chromium shows the execution's report as its JSON files say" "$w/viol/report.html" \
        "$w/viol/analysis.json" "$w/report-execution.png" "$w/half.json" "$w/viol/constraint_violations.json" \
        "$w/viol/execution.json"
    browse "Chromium shows analyze's report as analysis.json says" "$w/base/my-report.html" "$w/base/analysis.json" \
        "$w/report-analyze.png"
    check "screenshots saved" test -s "$w/report-execution.png" -a -s "$w/report-analyze.png"
    [ -n "${BM_SCREENSHOT_DIR:-}" ] && cp "$w"/report-*.png "$BM_SCREENSHOT_DIR/"
fi

# 6. under the statistical rule (docs/alarms.md): each tested metric's row of tests shows
#    bias_evidence.json (the demo's baseline with its counts, 6 hours drifted from 12:00)
DEMO_OUT="$w/demo" DEMO_STEPS=baseline bash "$BM_SOURCE_DIR/scripts/demo.sh" "$BM_BIN" >"$w/demo.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; fails=$((fails + 1)); }
python3 "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 6 --per-hour 500 --drift-from 2 >/dev/null || { echo "FAIL: traffic"; fails=$((fails + 1)); }
cat >"$w/stat.json" <<J
{"JobDefinitionName": "alarm-jd",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json",
   "Environment": {"BIASMON_ALARM_RULE": "statistical"}},
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "file://$w/demo/analysis.json"}},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$w/traffic/ground-truth"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/stat", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
for h in 11 12 13 14 15 16; do
    "$BM_BIN" execute --job-definition "$w/stat.json" --scheduled-time "2026-11-24T$h:00:00Z" \
        --capture-uri "file://$w/traffic/capture" --schedule-name s 2>>"$w/stat.err" >/dev/null
done
sd="$w/stat/adult-income/s/2026/11/24/16"
check "statistical rule: the 16:00 execution alarms and writes its evidence beside report.html" \
    bash -c 'grep -q "\"Status\": \"CompletedWithViolations\"" "$1/execution.json" && test -s "$1/bias_evidence.json" -a -s "$1/report.html"' _ "$sd"
check "statistical rule: one row of tests per tested metric, with the alarm's reason" python3 - "$sd" <<'P'
import html, json, re, sys
d = sys.argv[1]
page, ev = open(d + "/report.html", encoding="utf-8").read(), json.load(open(d + "/bias_evidence.json"))
tested = [(f, e["value_or_threshold"], m) for f, es in ev["facets"].items() for e in es for m in e["metrics"] if "tests" in m]
assert tested and page.count('<tr class="evidence"') == len(tested), (len(tested), page.count('<tr class="evidence"'))
alarms = [m for _, _, m in tested if m["alarm"]]
assert alarms, "no alarm at 16:00"
shown = [html.unescape(t) for t in re.findall(r'<p class="verdict alarm">(.*?)</p>', page, re.S)]
assert sorted(shown) == sorted(m["reason"] for m in alarms), (shown, [m["reason"] for m in alarms])
P
check "statistical rule: the report still shows analysis.json, the baseline and the violations" \
    python3 "$w/readback.py" "$sd/report.html" "$sd/analysis.json" "$w/demo/analysis.json" "$sd/constraint_violations.json" "$sd/execution.json"
if [ -x /usr/bin/chromium ] && [ -d "$js/node_modules/playwright-core" ]; then
    browse "Chromium shows the statistical rule's tests as bias_evidence.json says" "$sd/report.html" "$sd/analysis.json" \
        "$w/report-statistical.png" "$w/demo/analysis.json" "$sd/constraint_violations.json" "$sd/execution.json" \
        "$sd/bias_evidence.json"
    [ -n "${BM_SCREENSHOT_DIR:-}" ] && cp "$w/report-statistical.png" "$BM_SCREENSHOT_DIR/"
fi

echo "report_html: $passes passed, $fails failed"
[ "$fails" = 0 ]
