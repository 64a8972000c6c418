#!/usr/bin/env bash
# contrib/: the Prometheus alerting rules pass `promtool check rules` and their unit tests
# (`promtool test rules`: Prometheus's rule engine on synthetic series, each alert firing when it
# should and silent before), and every series the rules and the Grafana dashboard query is one that
# biasmon serve's /metrics exports (lib/serve/metrics.c's # TYPE lines).
set -u
: "${BM_SOURCE_DIR:?}"
c=$BM_SOURCE_DIR/contrib
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
command -v promtool >/dev/null || { echo "FAIL: promtool is missing (scripts/deps.sh test installs prometheus)"; exit 1; }
check "promtool check rules" promtool check rules "$c/prometheus/biasmon-rules.yml"
out=$(cd "$c/prometheus" && promtool test rules biasmon-rules.test.yml 2>&1); rc=$?
check "promtool test rules: every alert fires when it should ($out)" test "$rc" = 0
check "the dashboard and the rules query only series /metrics exports" /usr/bin/python3 - "$c" "$BM_SOURCE_DIR/lib/serve/metrics.c" <<'P'
import json, re, sys
c, src = sys.argv[1], open(sys.argv[2]).read()
exported = set(re.findall(r"# TYPE (biasmon_\w+) (\w+)", src))
names = {n for n, _ in exported} | {n + s for n, t in exported if t == "summary" for s in ("_sum", "_count")}
d = json.load(open(c + "/grafana/biasmon-dashboard.json"))
exprs = [t["expr"] for p in d["panels"] for t in p["targets"]]
exprs += re.findall(r"expr: (.*(?:\n +[^ \n-].*)*)", open(c + "/prometheus/biasmon-rules.yml").read())
used = {m for e in exprs for m in re.findall(r"\b(biasmon_\w+)", e)}
assert used and used <= names, (sorted(used - names), sorted(names))
assert d["uid"] and all("gridPos" in p for p in d["panels"]), d["uid"]
P
echo "prometheus_rules: $passes passed, $fails failed"
[ "$fails" = 0 ]
