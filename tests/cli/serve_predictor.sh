#!/usr/bin/env bash
# Baselines that call the model (issue 12 item 5; docs/serve.md "Baselines that call the model"):
# a Clarify processing job whose analysis config has a `predictor` naming a biasmon model (or an
# endpoint) and whose dataset has no predictions. A real model server (Python's http.server)
# implements the demo's rule; boto3 creates the models and the jobs as the SDK's suggest_baseline
# sends them; each job's analysis.json must be byte-identical to `biasmon analyze` on the same
# rows whose Prediction column was computed here by the same rule (awk, not the model server).
# Covered: CSV requests and answers read by label index; JSON Lines requests (content_template)
# and answers read by JMESPath probability with probability_threshold; an endpoint_name; a model
# that answers 500 at first (retried, Completed); one that stays down and one that answers 400
# (Failed with a readable reason that quotes a bounded excerpt at most); an unknown model
# (ValidationException at create time); `biasmon analyze --model-url` from the command line.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
"$PY" -c 'import boto3, botocore' 2>/dev/null || { echo "FAIL: Debian's boto3 is missing (apt-get install python3-boto3)"; exit 1; }
w=$(mktemp -d)
data="$w/data" root="$w/root" pid="" mpid=""
cleanup() {
    for p in $pid $mpid; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL_S3 http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true PYTHONNOUSERSITE=1
mkdir -p "$root/in" "$root/out" "$w/cli"

# ---- the data: 2,500 rows of the shipped Adult data set, without and with the rule's predictions
# (computed here, independently of the model server), and the same with a 0/1 label and scores
adult=$BM_SOURCE_DIR/data/adult/adult.csv
rule='(($5 >= 13 && $13 >= 40) || $11 >= 7000)'
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print; next } NR <= 2501 { $1 = $1; print }' \
    "$adult" >"$root/in/adult.csv"
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print $0, "Prediction"; next }
    NR <= 2501 { $1 = $1; print $0, ('"$rule"' ? ">50K" : "<=50K") }' "$adult" >"$w/with_predictions.csv"
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print; next }
    NR <= 2501 { $1 = $1; $15 = ($15 == ">50K") ? 1 : 0; print }' "$adult" >"$root/in/adult01.csv"
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print $0, "Prediction"; next }
    NR <= 2501 { $1 = $1; $15 = ($15 == ">50K") ? 1 : 0; print $0, ('"$rule"' ? "0.875" : "0.125") }' \
    "$adult" >"$w/with_scores.csv"
check "the data has 2,500 rows" test "$(wc -l <"$root/in/adult.csv")" = 2501
# the analysis configs: the demo's, with a predictor instead of predicted_label (the SDK's
# ModelConfig + ModelPredictedLabelConfig), and the command line's with the precomputed column
W="$w" ROOT="$root" SRC="$BM_SOURCE_DIR" "$PY" - <<'P' || { echo "FAIL: the configs"; exit 1; }
import json, os
W, ROOT, SRC = os.environ["W"], os.environ["ROOT"], os.environ["SRC"]
base = json.load(open(os.path.join(SRC, "data/adult/analysis_config.json")))
def save(path, c): json.dump(c, open(path, "w"), indent=1)
save(f"{W}/local_label.json", base)
c = dict(base); del c["predicted_label"]
sdk = {"model_name": "m-rule", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}
save(f"{ROOT}/in/label.json", dict(c, predictor=dict(sdk, accept_type="text/csv", content_type="text/csv", label=0)))
save(f"{ROOT}/in/flaky.json", dict(c, predictor=dict(sdk, model_name="m-flaky", label=0)))
save(f"{ROOT}/in/down.json", dict(c, predictor=dict(sdk, model_name="m-down", label=0)))
save(f"{ROOT}/in/refuses.json", dict(c, predictor=dict(sdk, model_name="m-refuses", label=0)))
save(f"{ROOT}/in/unknown.json", dict(c, predictor=dict(sdk, model_name="m-nobody", label=0)))
save(f"{ROOT}/in/endpoint.json", dict(c, predictor={"endpoint_name": "ep-rule", "label": 0}))
scores = dict(c, label_values_or_threshold=[1], probability_threshold=0.5)
save(f"{ROOT}/in/scores.json", dict(scores, predictor=dict(sdk, content_type="application/jsonlines",
     content_template='{"features":$features}', accept_type="application/jsonlines", probability="score")))
save(f"{W}/local_scores.json", dict(base, label_values_or_threshold=[1], probability_threshold=0.5))
P
"$BM_BIN" analyze --analysis-config "$w/local_label.json" --dataset "$w/with_predictions.csv" --output "$w/local_label" 2>"$w/cli.err" &&
    "$BM_BIN" analyze --analysis-config "$w/local_scores.json" --dataset "$w/with_scores.csv" --output "$w/local_scores" 2>>"$w/cli.err" ||
    { echo "FAIL: biasmon analyze on the precomputed predictions"; cat "$w/cli.err"; exit 1; }

# ---- the model server: the demo's rule over the features Clarify sends (every column but the
# label and the excluded ones: age, fnlwgt, education-num, capital-gain, capital-loss,
# hours-per-week). /rule answers text/csv ("label,probability" a line) or JSON Lines
# ({"label", "score"} a line); /flaky answers 500 to its first request; /refuses answers 400 with a
# long body. Anything but six features a row is a 400.
cat >"$w/model.py" <<'P'
import http.server, json, os, sys, threading
lock = threading.Lock()
seen = {"flaky": 0}
def predict(f):
    if len(f) != 6: raise ValueError("expected 6 features, got %d" % len(f))
    age, fnlwgt, edu, gain, loss, hours = (float(x) for x in f)
    return (edu >= 13 and hours >= 40) or gain >= 7000
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, status, body, ctype):
        b = body.encode()
        self.send_response(status); self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with open(os.path.join(sys.argv[2], "requests.log"), "a") as log:
            log.write("%s %s %s\n" % (self.path, self.headers.get("Content-Type"), self.headers.get("Accept")))
        if self.path.startswith("/refuses"):
            return self.answer(400, "no such feature set " + "x" * 3000 + " SECRET-TAIL", "text/plain")
        if self.path.startswith("/flaky"):
            with lock:
                seen["flaky"] += 1
                first = seen["flaky"] == 1
            if first: return self.answer(500, "warming up", "text/plain")
        try:
            if self.headers.get("Content-Type") == "application/jsonlines":
                rows = [json.loads(l)["features"] for l in body.splitlines() if l]
                out = "".join(json.dumps({"label": int(predict(r)), "score": 0.875 if predict(r) else 0.125}) + "\n" for r in rows)
                return self.answer(200, out, "application/jsonlines")
            rows = [l.split(",") for l in body.splitlines() if l]
            out = "".join((">50K,0.875\n" if predict(r) else "<=50K,0.125\n") for r in rows)
            return self.answer(200, out, "text/csv")
        except (ValueError, KeyError) as e:
            return self.answer(400, str(e), "text/plain")
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
P
"$PY" "$w/model.py" "$w/model.port" "$w" &
mpid=$!
for _ in $(seq 1 100); do [ -s "$w/model.port" ] && break; sleep 0.1; done
[ -s "$w/model.port" ] || { echo "FAIL: the model server did not start"; exit 1; }
murl="http://127.0.0.1:$(cat "$w/model.port")"
down_port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ---- the command line: analyze --model-url asks the same server
"$BM_BIN" analyze --analysis-config "$root/in/label.json" --dataset "$root/in/adult.csv" --output "$w/cli" \
    --model-url "$murl/rule/invocations" 2>"$w/cli.err"
check "analyze --model-url: exit 0 ($(head -c 600 "$w/cli.err"))" test $? = 0
check "analyze --model-url: analysis.json byte-identical to the precomputed predictions'" \
    cmp -s "$w/cli/analysis.json" "$w/local_label/analysis.json"
check "analyze --model-url: says how many rows the model predicted" grep -q "the model predicted 2500 rows (25 requests" "$w/cli.err"
"$BM_BIN" analyze --analysis-config "$root/in/label.json" --dataset "$root/in/adult.csv" --output "$w/cli-none" 2>"$w/cli.err"
rc=$?
check "analyze without --model-url: exit 3 naming the predictor and --model-url ($(head -c 400 "$w/cli.err"))" \
    eval 'test $rc = 3 && grep -q "predictor.*--model-url" "$w/cli.err" && test ! -e "$w/cli-none/analysis.json"'

# ---- the service
"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --poll-ms 50 --workers 2 --allow-root "$root" >>"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -s "$data/serve.json" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }

W="$w" ROOT="$root" DATA="$data" MURL="$murl" DOWN="http://127.0.0.1:$down_port" "$PY" - <<'P' >"$w/py.out" 2>&1
import json, os, re, time
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
W, ROOT, DATA, MURL, DOWN = (os.environ[k] for k in ("W", "ROOT", "DATA", "MURL", "DOWN"))
url = json.load(open(os.path.join(DATA, "serve.json")))["endpoint_url"]
keys = dict(l.strip().split("=", 1) for l in open(os.path.join(DATA, "credentials")) if "=" in l)
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id=keys["access_key_id"],
                  aws_secret_access_key=keys["secret_access_key"],
                  config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))
passes = fails = 0
def check(name, cond, detail=""):
    global passes, fails
    if cond: passes += 1
    else:
        fails += 1
        print("FAIL:", name, str(detail)[:1200])
ROLE = "arn:aws:iam::123456789012:role/r"
def job(name, config, dataset="adult.csv"):
    """CreateProcessingJob as the SDK's SageMakerClarifyProcessor sends it."""
    inp = lambda n, uri, lp: {"InputName": n, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": lp, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}
    return {"ProcessingJobName": name,
            "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"},
            "RoleArn": ROLE,
            "ProcessingInputs": [inp("dataset", f"{ROOT}/in/{dataset}", "/opt/ml/processing/input/data"),
                                 inp("analysis_config", f"{ROOT}/in/{config}", "/opt/ml/processing/input/config")],
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "AppManaged": False, "S3Output": {
                "S3Uri": f"{ROOT}/out/{name}", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}
def wait(name, limit=1800):
    d = None
    for _ in range(limit):  # 0.1 s apart: three minutes at most, whatever the load
        d = sm.describe_processing_job(ProcessingJobName=name)
        if d["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"): return d
        time.sleep(0.1)
    return d
def same_bytes(a, b):
    try: return open(a, "rb").read() == open(b, "rb").read()
    except OSError: return False
def model(name, url):
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": "biasmon/any", "Environment": {"BIASMON_MODEL_URL": url}})

model("m-rule", MURL + "/rule/invocations")
model("m-flaky", MURL + "/flaky/invocations")
model("m-refuses", MURL + "/refuses/invocations")
model("m-down", DOWN + "/invocations")
sm.create_endpoint_config(EndpointConfigName="ec-rule", ProductionVariants=[
    {"VariantName": "v-down", "ModelName": "m-down", "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 0.1},
    {"VariantName": "v-rule", "ModelName": "m-rule", "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": 0.9}])
sm.create_endpoint(EndpointName="ep-rule", EndpointConfigName="ec-rule")

# refused at create time: a model that does not exist
try:
    sm.create_processing_job(**job("p-unknown", "unknown.json"))
    check("an unknown model is refused", False)
except ClientError as e:
    code, msg = e.response["Error"]["Code"], e.response["Error"]["Message"]
    check("an unknown model: ValidationException naming it and CreateModel", code == "ValidationException"
          and "m-nobody" in msg and "CreateModel" in msg, f"{code}: {msg}")
names = [j["ProcessingJobName"] for j in sm.list_processing_jobs()["ProcessingJobSummaries"]]
check("the refused job was not created", "p-unknown" not in names, names)

for name, cfg, ds in (("p-label", "label.json", "adult.csv"), ("p-scores", "scores.json", "adult01.csv"),
                      ("p-flaky", "flaky.json", "adult.csv"), ("p-endpoint", "endpoint.json", "adult.csv"),
                      ("p-down", "down.json", "adult.csv"), ("p-refuses", "refuses.json", "adult.csv")):
    sm.create_processing_job(**job(name, cfg, ds))
d = {n: wait(n) for n in ("p-label", "p-scores", "p-flaky", "p-endpoint", "p-down", "p-refuses")}
show = lambda n: json.dumps(d[n], default=str)[:900]
for n in ("p-label", "p-scores", "p-flaky", "p-endpoint"):
    check(f"{n}: Completed", d[n]["ProcessingJobStatus"] == "Completed", show(n))
    check(f"{n}: describes no biasmon-internal member", not any(k.startswith("Biasmon") for k in d[n]), show(n))
check("labels by index from CSV answers: analysis.json byte-identical to analyze on the precomputed predictions",
      same_bytes(f"{ROOT}/out/p-label/analysis.json", f"{W}/local_label/analysis.json"))
check("scores by JMESPath from JSON Lines answers, probability_threshold: byte-identical",
      same_bytes(f"{ROOT}/out/p-scores/analysis.json", f"{W}/local_scores/analysis.json"))
check("a model that answered 500 first: retried, byte-identical",
      same_bytes(f"{ROOT}/out/p-flaky/analysis.json", f"{W}/local_label/analysis.json"))
check("an endpoint's heaviest variant's model: byte-identical",
      same_bytes(f"{ROOT}/out/p-endpoint/analysis.json", f"{W}/local_label/analysis.json"))
post = json.load(open(f"{ROOT}/out/p-scores/analysis.json"))["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
check("the scores' analysis has post-training metrics (not an error)", any(m["name"] == "DPPL" and isinstance(m.get("value"), float) for m in post), post)
reqs = open(os.path.join(W, "requests.log")).read().splitlines()
flaky = [r for r in reqs if r.startswith("/flaky/")]
check("the flaky model was asked 26 times (25 batches, one again)", len(flaky) == 26, len(flaky))
check("JSON Lines requests and answers as the predictor says",
      any(r.startswith("/rule/") and r.endswith("application/jsonlines application/jsonlines") for r in reqs))
check("CSV requests and answers by default", any(r.startswith("/rule/") and r.endswith("text/csv text/csv") for r in reqs))
for n in ("p-down", "p-refuses"):
    check(f"{n}: Failed", d[n]["ProcessingJobStatus"] == "Failed", show(n))
    check(f"{n}: no analysis.json", not os.path.exists(f"{ROOT}/out/{n}/analysis.json"))
fr = d["p-down"].get("FailureReason", "")
check("a model that stays down: the reason names the rows, the attempts and what to fix",
      fr.startswith("ClientError: ") and "rows 1-100 (lines 2-101)" in fr and "after 5 attempts" in fr
      and "model server runs" in fr and "BIASMON_MODEL_URL" in fr and DATA not in fr and len(fr) <= 1024, fr)
fr = d["p-refuses"].get("FailureReason", "")
check("a model that answers 400: the reason names the status and quotes a short excerpt only",
      fr.startswith("ClientError: ") and "HTTP 400" in fr and "no such feature set" in fr and "SECRET-TAIL" not in fr
      and fr.count("x") < 200 and len(fr) <= 1024, fr)
print("py", passes, fails)
P
grep -v '^py ' "$w/py.out"
read -r _ p f < <(grep '^py ' "$w/py.out") || { p=0; f=1; echo "FAIL: the boto3 part did not finish"; cat "$w/py.out"; }
passes=$((passes + p)); fails=$((fails + f))
check "the worker got the model's URL in a file of the job's folder, not on its command line" \
    test "$(cat "$data/processing-jobs/p-label/model-url" 2>/dev/null)" = "$murl/rule/invocations"
echo "serve_predictor: $passes passed, $fails failed"
[ "$fails" = 0 ]
