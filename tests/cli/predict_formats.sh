#!/usr/bin/env bash
# `biasmon analyze --model-url` with the predictor's other request and answer formats
# (docs/serve.md "Baselines that call the model"), against a real model server (Python's
# http.server) that checks what it is sent: a dataset without a header row (the config's headers)
# whose text column holds commas and quotes; CSV answers of two scores read by label_headers;
# application/json requests of $records with $features_kvp, answered with lists of labels and
# scores (label at the largest score); application/json with $record (one row a request) and
# $features, answered with one object; scores without probability_threshold (Clarify's 0.5); a JSON Lines dataset asked with CSV and with JSON Lines
# requests; a model that answers with a line too few or too many, and one that answers 429 at
# first. Each analysis.json must be byte-identical to `biasmon analyze` on the
# same rows with the predictions computed here by the same rule.
set -u
: "${BM_BIN:?}"
PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d) mpid=""
cleanup() {
    [ -n "$mpid" ] && { kill -KILL "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null; }
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done

# 600 rows: id, a name with commas and quotes, sex, age, hours, label y (0/1); the rule predicts 1
# when age >= 40 and hours >= 35. Excluded: id. Features sent: name, sex, age, hours.
W="$w" "$PY" - <<'P' || { echo "FAIL: the data"; exit 1; }
import csv, json, os, random
W = os.environ["W"]
rnd = random.Random(12)
rows = []
for i in range(600):
    sex = rnd.choice(["F", "M", "M"])
    age, hours = rnd.randint(18, 70), rnd.randint(10, 60)
    name = rnd.choice(['Smith, Jane', 'O"Neil', 'plain', 'a,b,"c"'])
    y = int(rnd.random() < (0.3 if sex == "F" else 0.5))
    rows.append([i, name, sex, age, hours, y])
rule = lambda r: int(r[3] >= 40 and r[4] >= 35)
with open(f"{W}/data.csv", "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
with open(f"{W}/with_predictions.csv", "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(r + [rule(r)] for r in rows)
headers = ["id", "name", "sex", "age", "hours", "y"]
base = {"dataset_type": "text/csv", "headers": headers, "label": "y", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "excluded_columns": ["id"],
        "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
json.dump(dict(base, headers=headers + ["Prediction"], predicted_label="Prediction"), open(f"{W}/local.json", "w"))
# scores: 0.75 for the rule's 1, 0.25 for 0, with Clarify's default threshold written out
with open(f"{W}/with_scores.csv", "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(r + [0.75 if rule(r) else 0.25] for r in rows)
json.dump(dict(base, headers=headers + ["Prediction"], predicted_label="Prediction", probability_threshold=0.5),
          open(f"{W}/local_scores.json", "w"))
def cfg(name, **p):
    json.dump(dict(base, predictor=dict({"model_name": "m", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}, **p)),
              open(f"{W}/{name}.json", "w"))
cfg("scores", accept_type="text/csv", label_headers=[0, 1])
cfg("records", content_type="application/json", content_template='{"instances":$records}',
    record_template="$features_kvp", accept_type="application/json", label="predictions[*].labels",
    probability="predictions[*].scores")
cfg("record", content_type="application/json", content_template='{"instance":$record}',
    record_template="$features", accept_type="application/json", label="label")
cfg("short", label_headers=[0, 1])
cfg("threshold", probability=1)  # no probability_threshold: Clarify's default, 0.5
# the same rows as a JSON Lines dataset, asked with CSV requests and with JSON Lines requests
with open(f"{W}/data.jsonl", "w") as f:
    for r in rows: f.write(json.dumps({"features": r[:5], "label": r[5]}) + "\n")
with open(f"{W}/with_predictions.jsonl", "w") as f:
    for r in rows: f.write(json.dumps({"features": r[:5], "label": r[5], "Prediction": rule(r)}) + "\n")
jl = dict(base, dataset_type="application/jsonlines", features="features", label="label")
json.dump(dict(jl, predicted_label="Prediction"), open(f"{W}/local_jsonl.json", "w"))
json.dump(dict(jl, predictor={"model_name": "m", "label_headers": [0, 1]}), open(f"{W}/jsonl.json", "w"))
json.dump(dict(jl, predictor={"endpoint_name": "e", "content_type": "application/jsonlines",
                              "content_template": '{"features":$features}', "label": "p"}),
          open(f"{W}/jsonl_lines.json", "w"))
cfg("busy", label_headers=[0, 1])
P
"$BM_BIN" analyze --analysis-config "$w/local.json" --dataset "$w/with_predictions.csv" --output "$w/local" 2>"$w/err" &&
    "$BM_BIN" analyze --analysis-config "$w/local_jsonl.json" --dataset "$w/with_predictions.jsonl" --output "$w/local_jsonl" 2>"$w/err" &&
    "$BM_BIN" analyze --analysis-config "$w/local_scores.json" --dataset "$w/with_scores.csv" --output "$w/local_scores" 2>"$w/err" ||
    { echo "FAIL: analyze on the precomputed predictions"; cat "$w/err"; exit 1; }

cat >"$w/model.py" <<'P'
import csv, http.server, io, json, os, sys, threading
lock = threading.Lock()
busy = {"n": 0}
SEXES = ("F", "M")
NAMES = ('Smith, Jane', 'O"Neil', 'plain', 'a,b,"c"')
def rule(name, sex, age, hours):
    if name not in NAMES or sex not in SEXES: raise ValueError("unexpected features %r" % ([name, sex, age, hours],))
    return int(float(age) >= 40 and float(hours) >= 35)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, status, body, ctype):
        b = body.encode()
        self.send_response(status); self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        try:
            if self.path == "/records":
                inst = json.loads(body)["instances"]
                assert all(set(r) == {"name", "sex", "age", "hours"} and isinstance(r["age"], int) for r in inst), inst[:2]
                p = [rule(r["name"], r["sex"], r["age"], r["hours"]) for r in inst]
                out = {"predictions": [{"labels": [0, 1], "scores": [0.2, 0.8] if x else [0.7, 0.3]} for x in p]}
                return self.answer(200, json.dumps(out), "application/json")
            if self.path == "/lines":
                rows = [json.loads(l)["features"] for l in body.splitlines() if l]
                assert all(len(r) == 4 and isinstance(r[2], int) for r in rows), rows[:2]
                return self.answer(200, "".join(json.dumps({"p": rule(*r)}) + "\n" for r in rows), "application/jsonlines")
            if self.path == "/record":
                f = json.loads(body)["instance"]
                assert isinstance(f, list) and len(f) == 4, f
                return self.answer(200, json.dumps({"label": rule(*f)}, indent=1), "application/json")
            rows = list(csv.reader(io.StringIO(body)))
            assert all(len(r) == 4 for r in rows), rows[:2]
            p = [rule(*r) for r in rows]
            if self.path == "/short": p = p[:-1]
            if self.path == "/long": p = p + [1]
            if self.path == "/busy":
                with lock:
                    busy["n"] += 1
                    if busy["n"] <= 2: return self.answer(429, "slow down", "text/plain")
            return self.answer(200, "".join("0.25,0.75\n" if x else "0.75,0.25\n" for x in p), "text/csv")
        except (AssertionError, ValueError, KeyError, TypeError) as e:
            return self.answer(400, "bad request: %s" % e, "text/plain")
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
P
"$PY" "$w/model.py" "$w/port" &
mpid=$!
for _ in $(seq 1 100); do [ -s "$w/port" ] && break; sleep 0.1; done
[ -s "$w/port" ] || { echo "FAIL: the model server did not start"; exit 1; }
murl="http://127.0.0.1:$(cat "$w/port")"

run() { # what config path: analyze --model-url; compares with the precomputed predictions
    local what=$1 cfg=$2 path=$3
    "$BM_BIN" analyze --analysis-config "$w/$cfg.json" --dataset "$w/data.csv" --output "$w/$cfg" \
        --model-url "$murl/$path" 2>"$w/$cfg.err"
    local rc=$?
    check "$what: exit 0 ($(head -c 600 "$w/$cfg.err"))" test "$rc" = 0
    check "$what: analysis.json byte-identical to the precomputed predictions'" cmp -s "$w/$cfg/analysis.json" "$w/local/analysis.json"
}
run "CSV answers of two scores, label_headers" scores scores
run "application/json \$records of \$features_kvp, label at the largest score" records records
run "application/json \$record of \$features, one row a request" record record
check "one row a request: 600 requests" grep -q "the model predicted 600 rows (600 requests" "$w/record.err"
run "429 twice, then answers" busy busy
"$BM_BIN" analyze --analysis-config "$w/threshold.json" --dataset "$w/data.csv" --output "$w/threshold" \
    --model-url "$murl/scores" 2>"$w/threshold.err"
check "scores without probability_threshold: exit 0 ($(head -c 600 "$w/threshold.err"))" test $? = 0
check "scores without probability_threshold: Clarify's default 0.5, byte-identical to analyze with it" \
    cmp -s "$w/threshold/analysis.json" "$w/local_scores/analysis.json"
for cfg in jsonl jsonl_lines; do
    path=scores; [ $cfg = jsonl_lines ] && path=lines
    "$BM_BIN" analyze --analysis-config "$w/$cfg.json" --dataset "$w/data.jsonl" --output "$w/$cfg" \
        --model-url "$murl/$path" 2>"$w/$cfg.err"
    rc=$?
    check "a JSON Lines dataset ($cfg): exit 0 ($(head -c 600 "$w/$cfg.err"))" test "$rc" = 0
    check "a JSON Lines dataset ($cfg): byte-identical to analyze on records with their predictions" \
        cmp -s "$w/$cfg/analysis.json" "$w/local_jsonl/analysis.json"
done
check "429: the two refused requests were sent again" grep -q "(8 requests, 2 retried)" "$w/busy.err"

"$BM_BIN" analyze --analysis-config "$w/short.json" --dataset "$w/data.csv" --output "$w/short" \
    --model-url "$murl/short" 2>"$w/short.err"
rc=$?
check "an answer with a line too few: exit 3 naming the rows and the problem ($(head -c 600 "$w/short.err"))" \
    eval 'test $rc = 3 && grep -q "rows 1-100 (lines 1-100): row 100: fewer CSV lines than rows" "$w/short.err"'
check "an answer with a line too few: no analysis.json" test ! -e "$w/short/analysis.json"
"$BM_BIN" analyze --analysis-config "$w/short.json" --dataset "$w/data.csv" --output "$w/long" \
    --model-url "$murl/long" 2>"$w/long.err"
rc=$?
check "an answer with a line too many: exit 3 naming the rows ($(head -c 600 "$w/long.err"))" \
    eval 'test $rc = 3 && grep -q "rows 1-100 (lines 1-100): row 100: more CSV lines than rows" "$w/long.err"'

"$BM_BIN" analyze --analysis-config "$w/scores.json" --dataset "$w/data.csv" --output "$w/bad" \
    --model-url "$murl/record" 2>"$w/bad.err"
rc=$?
check "a model refusing the requests: exit 3 with HTTP 400 and its message ($(head -c 600 "$w/bad.err"))" \
    eval 'test $rc = 3 && grep -q "answered HTTP 400 for rows 1-100 (lines 1-100) (batch 1, 1 attempt): .bad request" "$w/bad.err"'
echo "predict_formats: $passes passed, $fails failed"
[ "$fails" = 0 ]
