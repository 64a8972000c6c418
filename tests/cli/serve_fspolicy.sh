#!/usr/bin/env bash
# Where biasmon serve may touch the file system (docs/serve.md), through boto3 against the real
# daemon: URIs in requests resolve only inside DATA_DIR/files and the --allow-root folders.
# /etc/passwd as ConfigUri, the data directory's credentials as baseline, outputs outside, in
# the data directory, relative or with "..": refused at create time (AccessDeniedException or
# ValidationException naming the member and the roots, never quoting a file). A link planted in
# a root after the job definition was created, pointing out: the execution Failed, its reason
# names the member, not the content. A FIFO as ConfigUri: Failed at once, not at MaxRuntime.
# --allow-root may not contain the data directory.
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
mkdir -p "$root/capture" "$root/gt" "$w/elsewhere" "$data/executions"
cp "$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json" "$root/cfg.json"
cp "$root/cfg.json" "$root/cfg-later-a-link.json"
mkfifo "$root/cfg-fifo.json"
echo "not a folder" >"$root/a-file"

# ---- start-up: roots that would reach the data directory are refused
refused_start() { # name, message regex, serve arguments...
    local name=$1 re=$2; shift 2
    timeout 30 "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 "$@" >"$w/start.out" 2>&1; local rc=$?
    check "$name: refused at start (got $rc: $(tail -n 1 "$w/start.out"))" \
        sh -c '[ "$1" != 0 ] && [ "$1" != 124 ] && grep -Eq -- "$2" "$3"' _ "$rc" "$re" "$w/start.out"
}
refused_start "--allow-root containing the data directory" "allow-root contains the data directory" --allow-root "$w"
refused_start "--allow-root /" "allow-root contains the data directory" --allow-root /
refused_start "--allow-root inside the data directory" "allow-root lies in the data directory" --allow-root "$data"/..//data/executions
refused_start "a relative --allow-root" "must be an absolute path" --allow-root root
refused_start "a missing --allow-root" "cannot use this folder" --allow-root "$w/missing"

"$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --poll-ms 50 --workers 2 --allow-root "$root" \
    --time-start 2026-11-24T10:30:00Z >"$w/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -s "$data/serve.json" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
check "DATA_DIR/files is made" test -d "$data/files"
check "the log names the roots" grep -q "roots=\"$(cd "$data" && pwd -P)/files, $(cd "$root" && pwd -P)\"" "$w/serve.log"

W="$w" ROOT="$root" DATA="$data" "$PY" - <<'P' >"$w/py.out" 2>&1
import json, os, re
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
W, ROOT, DATA = os.environ["W"], os.environ["ROOT"], os.environ["DATA"]
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
secrets = [keys["secret_access_key"], keys["access_key_id"], "root:x", "/bin/bash", "daemon:"]
def refused(name, code, regex, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        err = e.response["Error"]
        msg = err["Message"]
        check(f"{name}: {code} /{regex}/ (got {err['Code']}: {msg})", err["Code"] == code and re.search(regex, msg))
        check(f"{name}: quotes no file ({msg})", not any(s in msg for s in secrets))
        return
    check(f"{name}: {code} expected, the call succeeded", False)
roots = re.escape(f"({os.path.realpath(DATA)}/files, {os.path.realpath(ROOT)})")

capture = lambda uri: {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": uri,
                       "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]}
variants = [{"VariantName": "AllTraffic", "ModelName": "m"}]
refused("capture destination outside", "AccessDeniedException",
        r"^\$\.DataCaptureConfig\.DestinationS3Uri: /var/tmp is outside the folders biasmon serve may use " + roots,
        sm.create_endpoint_config, EndpointConfigName="c-out", ProductionVariants=variants,
        DataCaptureConfig=capture("file:///var/tmp"))
sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=variants, DataCaptureConfig=capture(f"file://{ROOT}/capture"))
sm.create_endpoint(EndpointName="ep", EndpointConfigName="c")

def jd(name, config=f"file://{ROOT}/cfg.json", baseline=None, gt=f"file://{ROOT}/gt", out=f"file://{ROOT}/out"):
    d = {"JobDefinitionName": name,
         "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": config},
         "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input/endpoint",
                                                 "InferenceAttribute": "0"},
                               "GroundTruthS3Input": {"S3Uri": gt}},
         "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": out, "LocalPath": "/opt/ml/processing/output"}}]},
         "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
         "RoleArn": "arn:aws:iam::123456789012:role/r", "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}
    if baseline: d["ModelBiasBaselineConfig"] = {"ConstraintsResource": {"S3Uri": baseline}}
    return d
create = sm.create_model_bias_job_definition
refused("ConfigUri /etc/passwd", "AccessDeniedException",
        r"^\$\.ModelBiasAppSpecification\.ConfigUri: /etc/passwd is outside the folders biasmon serve may use " + roots,
        create, **jd("a", config="file:///etc/passwd"))
refused("baseline: the data directory's credentials", "AccessDeniedException",
        r"^\$\.ModelBiasBaselineConfig\.ConstraintsResource\.S3Uri: .*/credentials is outside",
        create, **jd("a", baseline=f"file://{DATA}/credentials"))
refused("baseline: through DATA_DIR/files/..", "ValidationException",
        r'^\$\.ModelBiasBaselineConfig\.ConstraintsResource\.S3Uri: .* has a "\.\." part',
        create, **jd("a", baseline=f"file://{DATA}/files/../credentials"))
refused("ground truth outside", "AccessDeniedException", r"^\$\.ModelBiasJobInput\.GroundTruthS3Input\.S3Uri: ",
        create, **jd("a", gt="file:///etc"))
refused("output: another folder", "AccessDeniedException",
        r"^\$\.ModelBiasJobOutputConfig\.MonitoringOutputs\[0\]\.S3Output\.S3Uri: .*/elsewhere is outside",
        create, **jd("a", out=f"file://{W}/elsewhere"))
refused("output: the data directory", "AccessDeniedException", r"MonitoringOutputs\[0\]\.S3Output\.S3Uri: .* is outside",
        create, **jd("a", out=f"file://{DATA}"))
refused("output: relative", "ValidationException", r'MonitoringOutputs\[0\]\.S3Output\.S3Uri: "out" is not absolute',
        create, **jd("a", out="out"))
refused("output: ../..", "ValidationException", r'MonitoringOutputs\[0\]\.S3Output\.S3Uri: .* has a "\.\." part',
        create, **jd("a", out=f"file://{ROOT}/../.."))
refused("output: gs://", "ValidationException", r"MonitoringOutputs\[0\]\.S3Output\.S3Uri: must match .* \(got \"gs://bucket/prefix\"\)",
        create, **jd("a", out="gs://bucket/prefix"))
check("nothing refused was created", sm.list_model_bias_job_definitions()["JobDefinitionSummaries"] == [])
# inside the roots, whether the files exist yet or not
create(**jd("ok", baseline=f"file://{DATA}/files/baseline/analysis.json"))
create(**jd("s3-out", out="s3://bucket/prefix"))  # S3 is outside the local file system policy
create(**jd("later-a-link", config=f"file://{ROOT}/cfg-later-a-link.json"))
create(**jd("fifo", config=f"file://{ROOT}/cfg-fifo.json"))
create(**jd("out-is-a-file", out=f"file://{ROOT}/a-file"))
for n in ("later-a-link", "fifo", "out-is-a-file"):
    sm.create_monitoring_schedule(MonitoringScheduleName=n, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": n,
        "MonitoringType": "ModelBias"})
print("py", passes, fails)
P
cat "$w/py.out" | grep -v '^py '
read -r _ p f < <(grep '^py ' "$w/py.out") || { p=0; f=1; echo "FAIL: the boto3 part did not finish"; cat "$w/py.out"; }
passes=$((passes + p)); fails=$((fails + f))

# ---- a link planted after create, leading out of the root: Failed, naming the member
ln -sf /etc/passwd "$root/cfg-later-a-link.json"
timeout 60 "$BM_BIN" run later-a-link --at 2026-11-24T10:00:00Z --wait --data-dir "$data" >"$w/run1.json" 2>"$w/run1.err"; rc=$?
check "planted link: the execution Failed (exit 3, got $rc: $(cat "$w/run1.err"))" test "$rc" = 3
reason=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("FailureReason", ""))' "$w/run1.json" 2>/dev/null)
check "planted link: the reason names the member and the roots ($reason)" \
    grep -q '^\$\.ModelBiasAppSpecification\.ConfigUri: .*/cfg-later-a-link\.json leads (through a symbolic link) outside the folders biasmon serve may use' <<<"$reason"
check "planted link: the reason quotes nothing of the file" bash -c '! grep -q "root:" <<<"$1"' _ "$reason"

# ---- a FIFO as ConfigUri: Failed at once (a worker reading it would wait until MaxRuntime, 30 min)
timeout 60 "$BM_BIN" run fifo --at 2026-11-24T10:00:00Z --wait --data-dir "$data" >"$w/run2.json" 2>"$w/run2.err"; rc=$?
check "FIFO: the execution Failed (exit 3, got $rc: $(cat "$w/run2.err"))" test "$rc" = 3
reason=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("FailureReason", ""))' "$w/run2.json" 2>/dev/null)
check "FIFO: the reason says it is not a regular file ($reason)" grep -q "not a regular file (it is a FIFO)" <<<"$reason"

# ---- outputs that cannot be written: no execution.json, so the reason is the worker's own last word
timeout 60 "$BM_BIN" run out-is-a-file --at 2026-11-24T10:00:00Z --wait --data-dir "$data" >"$w/run3.json" 2>"$w/run3.err"; rc=$?
check "output under a file: the execution Failed (exit 3, got $rc: $(cat "$w/run3.err"))" test "$rc" = 3
reason=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("FailureReason", ""))' "$w/run3.json" 2>/dev/null)
check "output under a file: the reason says what the worker could not write ($reason)" \
    grep -q "^the worker exited with status 4 without an account of the execution: .*/a-file/ep/out-is-a-file/2026/11/24/10/.*: cannot open its folder: Not a directory$" <<<"$reason"
check "output under a file: the reason names no server path" test -z "$(grep -F "$data" <<<"$reason")"
check "output under a file: the service's log names the worker's log" grep -q "worker_without_account .*log=.*/executions/[0-9]*/log.txt" "$w/serve.log"

kill -TERM "$pid"; for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"; rc=$?; pid=""
san=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z -]*' "$w/serve.log")
check "biasmon serve stops cleanly (exit $rc${san:+, $san})" sh -c '[ "$1" = 0 ] && [ -z "$2" ]' _ "$rc" "$san"
echo "serve_fspolicy: $passes passed, $fails failed"
[ "$fails" = 0 ]
