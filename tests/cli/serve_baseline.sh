#!/usr/bin/env bash
# CreateModelBiasJobDefinition refuses a baseline that cannot constrain the schedule, through boto3
# against the real daemon: when the ConstraintsResource file is readable at create time, it must
# be a Clarify analysis.json with the stages the analysis config asks for and its facets, with a
# value for at least one requested metric (ValidationException naming
# $.ModelBiasBaselineConfig.ConstraintsResource.S3Uri and what is missing, never quoting the
# file). A baseline not written yet is accepted, and checked when an execution runs: one written
# later for another facet makes the execution Failed with a reason that says what is missing.
# The Environment's BIASMON_ALARM_RULE and BIASMON_ALARM_BUDGET are checked at create time.
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
data="$w/data" root="$w/root" pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true PYTHONNOUSERSITE=1
mkdir -p "$data"
"$PY" "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$root/traffic" --start 2026-11-24T10:00:00Z \
    --hours 1 --per-hour 50 >/dev/null || { echo "FAIL: make_sample_monitoring.py"; exit 1; }
cp "$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json" "$root/cfg.json"   # facet sex = Female, all methods
"$PY" - "$root" <<'P'
import json, os, sys
root = sys.argv[1]
pre = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
post = ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"]
def stage(facet, value, names, v=0.1):
    return {"label": "Salary", "label_value_or_threshold": ">50K", "facets": {facet: [
        {"value_or_threshold": value, "metrics": [{"name": n, "description": n, "value": v} for n in names]}]}}
def write(name, doc):
    with open(os.path.join(root, name), "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
write("good.json", {"version": "1.0", "pre_training_bias_metrics": stage("sex", "Female", pre),
                    "post_training_bias_metrics": stage("sex", "Female", post)})
write("empty.json", {})
write("race.json", {"version": "1.0", "pre_training_bias_metrics": stage("race", "Black", pre),
                    "post_training_bias_metrics": stage("race", "Black", post)})
write("pre-only.json", {"version": "1.0", "pre_training_bias_metrics": stage("sex", "Female", pre)})
write("no-values.json", {"version": "1.0", "pre_training_bias_metrics": stage("sex", "Female", pre, None),
                         "post_training_bias_metrics": stage("sex", "Female", post)})
write("not-json.txt", "root:x:0:0:secret-word\n")
# a baseline with its counts (as biasmon analyze writes them), for the statistical rule
os.makedirs(os.path.join(root, "counted"))
write("counted/analysis.json", {"version": "1.0", "pre_training_bias_metrics": stage("sex", "Female", pre),
                                "post_training_bias_metrics": stage("sex", "Female", post)})
write("counted/bias_counts.json", {"version": "1.0", "rows": 32561, "facets": {"sex": [{"value_or_threshold": "Female",
    "a": {"tn": 13190, "fp": 1938, "fn": 3103, "tp": 3559}, "d": {"tn": 8311, "fp": 1281, "fn": 581, "tp": 598}}]}})
P

"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --poll-ms 50 --workers 1 --allow-root "$root" \
    --time-start 2026-11-24T10:30:00Z >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -s "$data/serve.json" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }

ROOT="$root" DATA="$data" "$PY" - <<'P' >"$w/py.out" 2>&1
import json, os, re
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
ROOT, DATA = os.environ["ROOT"], os.environ["DATA"]
url = json.load(open(os.path.join(DATA, "serve.json")))["endpoint_url"]
keys = dict(l.strip().split("=", 1) for l in open(os.path.join(DATA, "credentials")) if "=" in l)
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id=keys["access_key_id"],
                  aws_secret_access_key=keys["secret_access_key"],
                  config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))
passes = fails = 0
def check(name, cond):
    global passes, fails
    if cond: passes += 1
    else:
        fails += 1
        print("FAIL:", name, flush=True)
# words of the files that a message must never quote
secrets = ["secret-word", "root:x", "Salary", "label_values_or_threshold", "education"]
member = r"^\$\.ModelBiasBaselineConfig\.ConstraintsResource\.S3Uri: "
def refused(name, regex, **kw):
    try:
        sm.create_model_bias_job_definition(**kw)
    except ClientError as e:
        err = e.response["Error"]
        msg = err["Message"]
        check(f"{name}: ValidationException /{regex}/ (got {err['Code']}: {msg})",
              err["Code"] == "ValidationException" and re.search(member + regex, msg))
        check(f"{name}: quotes no file ({msg})", not any(s in msg for s in secrets))
        return
    check(f"{name}: ValidationException expected, the call succeeded", False)
sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "m"}],
                          DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                                             "DestinationS3Uri": f"file://{ROOT}/traffic/capture",
                                             "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
sm.create_endpoint(EndpointName="adult-income", EndpointConfigName="c")
def jd(name, baseline, config=f"file://{ROOT}/cfg.json"):
    return {"JobDefinitionName": name,
            "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": config},
            "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": baseline}},
            "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
                                                    "InferenceAttribute": "0"},
                                  "GroundTruthS3Input": {"S3Uri": f"file://{ROOT}/traffic/ground-truth"}},
            "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": f"file://{ROOT}/out",
                                                                             "LocalPath": "/opt/ml/processing/output"}}]},
            "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
            "RoleArn": "arn:aws:iam::123456789012:role/r"}
b = lambda f: f"file://{ROOT}/{f}"
refused("the analysis config as baseline", r"the baseline is not an analysis\.json: no pre_training_bias_metrics or post_training_bias_metrics",
        **jd("a", b("cfg.json")))
refused("{} as baseline", r"the baseline is not an analysis\.json", **jd("a", b("empty.json")))
refused("not JSON", r"the baseline is not valid JSON \(line 1, column \d+", **jd("a", b("not-json.txt")))
refused("another facet", r"the baseline has no facet sex; it covers race = Black \(at \$\.pre_training_bias_metrics\.facets in the file\)$",
        **jd("a", b("race.json")))
refused("pre-training only", r"the baseline has no post_training_bias_metrics, so no post-training metric could be checked",
        **jd("a", b("pre-only.json")))
refused("no value for any requested metric", r"the baseline has a value for none of the 8 pre-training metrics of facet sex",
        **jd("a", b("no-values.json")))
check("nothing refused was created", sm.list_model_bias_job_definitions()["JobDefinitionSummaries"] == [])
sm.create_model_bias_job_definition(**jd("good", b("good.json")))
sm.create_model_bias_job_definition(**jd("not-yet", b("later/analysis.json")))   # checked at run time
# without a readable config only the shape is checked: a facet it cannot know about is no reason
sm.create_model_bias_job_definition(**jd("config-later", b("race.json"), config=b("later/cfg.json")))
refused("config later, baseline not an analysis.json", r"the baseline is not an analysis\.json",
        **jd("b", b("empty.json"), config=b("later/cfg.json")))
# the alarm rule (docs/alarms.md): "sagemaker" or "statistical", and a budget in (0, 0.5]
for env, key in (({"BIASMON_ALARM_RULE": "strict"}, "BIASMON_ALARM_RULE"),
                 ({"BIASMON_ALARM_RULE": "statistical", "BIASMON_ALARM_BUDGET": "2%"}, "BIASMON_ALARM_BUDGET")):
    req = jd("e", b("good.json"))
    req["ModelBiasAppSpecification"]["Environment"] = env
    try:
        sm.create_model_bias_job_definition(**req)
        check(f"Environment {env}: ValidationException expected, the call succeeded", False)
    except ClientError as e:
        err = e.response["Error"]
        check(f"Environment {env}: ValidationException naming {key} (got {err['Code']}: {err['Message']})",
              err["Code"] == "ValidationException" and
              err["Message"].startswith(f"$.ModelBiasAppSpecification.Environment.{key}: "))
req = jd("stat", b("good.json"))
req["ModelBiasAppSpecification"]["Environment"] = {"BIASMON_ALARM_RULE": "statistical", "BIASMON_ALARM_BUDGET": "0.003"}
sm.create_model_bias_job_definition(**req)
req = jd("stat2", b("counted/analysis.json"))
req["ModelBiasAppSpecification"]["Environment"] = {"BIASMON_ALARM_RULE": "statistical"}
sm.create_model_bias_job_definition(**req)
env = sm.describe_model_bias_job_definition(JobDefinitionName="stat")["ModelBiasAppSpecification"].get("Environment")
check(f"the statistical rule is kept ({env})", env == {"BIASMON_ALARM_RULE": "statistical", "BIASMON_ALARM_BUDGET": "0.003"})
names = sorted(s["MonitoringJobDefinitionName"] for s in sm.list_model_bias_job_definitions()["JobDefinitionSummaries"])
check(f"the good ones were created ({names})", names == ["config-later", "good", "not-yet", "stat", "stat2"])
for n in ("good", "not-yet", "stat", "stat2"):
    sm.create_monitoring_schedule(MonitoringScheduleName=n, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": n,
        "MonitoringType": "ModelBias"})
print("py", passes, fails)
P
cat "$w/py.out" | grep -v '^py '
read -r _ p f < <(grep '^py ' "$w/py.out") || { p=0; f=1; echo "FAIL: the boto3 part did not finish"; cat "$w/py.out"; }
passes=$((passes + p)); fails=$((fails + f))

# ---- run time: the baseline written after create is for another facet
mkdir -p "$root/later" && cp "$root/race.json" "$root/later/analysis.json"
timeout 120 "$BM_BIN" run not-yet --at 2026-11-24T11:00:00Z --wait --data-dir "$data" >"$w/run1.json" 2>"$w/run1.err"; rc=$?
check "a baseline for another facet at run time: Failed (exit 3, got $rc: $(cat "$w/run1.err"))" test "$rc" = 3
reason=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("FailureReason", ""))' "$w/run1.json" 2>/dev/null)
check "a baseline for another facet at run time: the reason says what is missing ($reason)" \
    grep -q 'the baseline has no facet sex = Female; it covers race = Black' <<<"$reason"
timeout 120 "$BM_BIN" run good --at 2026-11-24T11:00:00Z --wait --data-dir "$data" >"$w/run2.json" 2>"$w/run2.err"; rc=$?
check "a covering baseline at run time: Completed or CompletedWithViolations (got $rc: $(cat "$w/run2.err"))" \
    test "$rc" = 0 -o "$rc" = 1

# the statistical rule needs the baseline's counts (bias_counts.json, which biasmon analyze writes)
timeout 120 "$BM_BIN" run stat --at 2026-11-24T11:00:00Z --wait --data-dir "$data" >"$w/run3.json" 2>"$w/run3.err"; rc=$?
reason=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("FailureReason", ""))' "$w/run3.json" 2>/dev/null)
check "statistical rule, baseline without counts: Failed naming bias_counts.json (exit $rc: $reason)" \
    bash -c '[ "$1" = 3 ] && grep -q "BIASMON_ALARM_RULE statistical needs the baseline.s counts .*bias_counts.json" <<<"$2"' _ "$rc" "$reason"

# with the counts beside the baseline it runs, and GET /metrics shows its evidence
timeout 120 "$BM_BIN" run stat2 --at 2026-11-24T11:00:00Z --wait --data-dir "$data" >"$w/run4.json" 2>"$w/run4.err"; rc=$?
check "statistical rule with the baseline's counts: Completed (exit $rc: $(cat "$w/run4.err"))" test "$rc" = 0
url=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
curl -s --max-time 30 "$url/metrics" >"$w/metrics.txt"
check "/metrics: the statistical rule's decidable gauge for stat2" \
    grep -q '^biasmon_alarm_decidable{endpoint="adult-income",schedule="stat2"} 1$' "$w/metrics.txt"
check "/metrics: z and threshold come in pairs, with their labels" "$PY" - "$w/metrics.txt" <<'P'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
z = [l for l in lines if l.startswith("biasmon_alarm_z{")]
t = [l for l in lines if l.startswith("biasmon_alarm_threshold{")]
assert "# TYPE biasmon_alarm_z gauge" in lines and len(z) == len(t), (len(z), len(t))
for a, b in zip(z, t):
    assert a.split("}")[0].split("{")[1] == b.split("}")[0].split("{")[1], (a, b)
    assert re.search(r'schedule="stat2",facet="sex",facet_value="Female",metric="[A-Z]+",windows="\d+"', a), a
    assert float(b.split()[-1]) > 4, b
P

kill -TERM "$pid"; for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?; pid=""
san=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z -]*' "$w/serve.log")
check "biasmon serve stops cleanly (exit $rc${san:+, $san})" sh -c '[ "$1" = 0 ] && [ -z "$2" ]' _ "$rc" "$san"
echo "serve_baseline: $passes passed, $fails failed"
[ "$fails" = 0 ]
