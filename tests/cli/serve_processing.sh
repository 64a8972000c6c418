#!/usr/bin/env bash
# Clarify processing jobs through boto3 against the real daemon (docs/serve.md "Clarify processing
# jobs"): CreateProcessingJob as SageMakerClarifyProcessor sends it (suggest_baseline) runs the
# analysis in the worker pool and writes analysis.json byte-identical to `biasmon analyze`, and
# equal to the reference library's output; inputs may be folders holding one object; failures say
# what to fix (ClientError: ...) without a server path; what is not a Clarify bias job, or points
# outside the allowed roots, is refused at create time; a queued job stops at once, a running one
# is killed; MaxRuntimeInSeconds stops a job; ListProcessingJobs filters, sorts and pages; after
# a crash, a job that was running is Failed and a queued one runs.
# A job that must stay running reads its dataset from s3:// on a loopback server that accepts
# connections and never answers (so the worker waits for as long as the test needs).
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}" "${BM_GOLDEN_DIR:?}"
PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
"$PY" -c 'import boto3, botocore' 2>/dev/null || { echo "FAIL: Debian's boto3 is missing (apt-get install python3-boto3)"; exit 1; }
w=$(mktemp -d)
data="$w/data" root="$w/root" pid="" hold=""
cleanup() {
    for p in $pid $hold; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL_S3
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true PYTHONNOUSERSITE=1
case=$BM_GOLDEN_DIR/basic_binary_cat_facet
mkdir -p "$root/in/one" "$root/in/two" "$root/out" "$w/elsewhere"
cp "$case/analysis_config.json" "$root/in/config.json"
cp "$case/data.csv" "$root/in/data.csv"
cp "$case/data.csv" "$root/in/one/train.csv"
cp "$case/data.csv" "$root/in/two/a.csv"
cp "$case/data.csv" "$root/in/two/b.csv"
# the SDK's suggest_baseline always asks for the report (methods.report), as Clarify writes it
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c.setdefault("methods", {})["report"] = {"name": "report", "title": "Analysis Report"}; json.dump(c, open(sys.argv[1], "w"))' \
    "$root/in/config.json"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); del c["predicted_label"]; json.dump(c, open(sys.argv[2], "w"))' \
    "$root/in/config.json" "$root/in/no-predictions.json"
# what the command line writes for the same inputs: the job's output must be byte-identical
"$BM_BIN" analyze --analysis-config "$root/in/config.json" --dataset "$root/in/data.csv" --output "$w/cli" 2>"$w/cli.err" ||
    { echo "FAIL: biasmon analyze"; cat "$w/cli.err"; exit 1; }

# a loopback "S3" that accepts and never answers
"$PY" - "$w/hold.port" <<'P' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
s.settimeout(1)
for _ in range(3600):
    try: held.append(s.accept()[0])
    except socket.timeout: pass
P
hold=$!
for _ in $(seq 1 100); do [ -s "$w/hold.port" ] && break; sleep 0.1; done
[ -s "$w/hold.port" ] || { echo "FAIL: the holding server did not start"; exit 1; }

start_serve() {
    AWS_ENDPOINT_URL_S3="http://127.0.0.1:$(cat "$w/hold.port")" AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret \
        AWS_REGION=us-east-1 "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --poll-ms 50 --workers 1 \
        --allow-root "$root" >>"$w/serve.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        [ -s "$data/serve.json" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
}
start_serve

py() { # phase: runs the boto3 part of a phase, adds its counts
    W="$w" ROOT="$root" DATA="$data" CASE="$case" PHASE=$1 "$PY" - <<'P' >"$w/py.out" 2>&1
import json, os, re, subprocess, time
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
W, ROOT, DATA, CASE, PHASE = (os.environ[k] for k in ("W", "ROOT", "DATA", "CASE", "PHASE"))
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
        print("FAIL:", name, detail)
ROLE = "arn:aws:iam::123456789012:role/r"
def job(name, config=None, dataset=None, out=None, **extra):
    """CreateProcessingJob as the SDK's SageMakerClarifyProcessor sends it."""
    inp = lambda n, uri, lp: {"InputName": n, "AppManaged": False, "S3Input": {
        "S3Uri": uri, "LocalPath": lp, "S3DataType": "S3Prefix", "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated", "S3CompressionType": "None"}}
    req = {"ProcessingJobName": name,
           "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}},
           "AppSpecification": {"ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"},
           "RoleArn": ROLE,
           "ProcessingInputs": [inp("dataset", dataset or f"{ROOT}/in/data.csv", "/opt/ml/processing/input/data"),
                                inp("analysis_config", config or f"{ROOT}/in/config.json", "/opt/ml/processing/input/config")],
           "ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "AppManaged": False, "S3Output": {
               "S3Uri": out or f"{ROOT}/out/{name}", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
           "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}
    req.update(extra)
    return req
def code_of(f, *a, **k):
    try:
        f(*a, **k)
        return None, ""
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
def wait(name, until=("Completed", "Failed", "Stopped"), limit=1200):
    d = None
    for _ in range(limit):  # 0.1 s apart: two minutes at most, whatever the load
        d = sm.describe_processing_job(ProcessingJobName=name)
        if d["ProcessingJobStatus"] in until: return d
        time.sleep(0.1)
    return d
def same_bytes(a, b):
    try: return open(a, "rb").read() == open(b, "rb").read()
    except OSError: return False

if PHASE == "run":
    # ---- suggest_baseline's job, as the SDK sends it
    arn = sm.create_processing_job(**job("baseline-1", Tags=[{"Key": "team", "Value": "fairness"}]))["ProcessingJobArn"]
    check("the ARN is a processing job's", arn == "arn:aws:sagemaker:us-east-1:" + arn.split(":")[4] + ":processing-job/baseline-1", arn)
    d = wait("baseline-1")
    check("Completed", d["ProcessingJobStatus"] == "Completed", json.dumps(d, default=str)[:800])
    got = f"{ROOT}/out/baseline-1/analysis.json"
    check("analysis.json byte-identical to biasmon analyze", same_bytes(got, f"{W}/cli/analysis.json"))
    r = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(CASE), "compare.py"), os.path.join(CASE, "expected.json"), got],
                       capture_output=True, text=True)
    check("analysis.json matches the reference library", r.returncode == 0, r.stdout[-500:])
    check("described as sent", d.get("ProcessingInputs") == job("x")["ProcessingInputs"] and d.get("RoleArn") == ROLE
          and d["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == f"{ROOT}/out/baseline-1"
          and d["AppSpecification"]["ImageUri"].endswith("sagemaker-clarify-processing:1.0")
          and d["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}, json.dumps(d, default=str)[:800])
    check("start, end and exit message", d.get("ProcessingStartTime") and d.get("ProcessingEndTime")
          and d["ProcessingEndTime"] >= d["ProcessingStartTime"] >= d["CreationTime"] and "analysed" in d.get("ExitMessage", ""),
          json.dumps(d, default=str)[:800])
    check("tags", sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "fairness"}])
    made = sorted(os.listdir(f"{ROOT}/out/baseline-1"))
    check("methods.report: report.html, report.ipynb and report.pdf beside analysis.json (the worker runs chromium)",
          {"analysis.json", "report.html", "report.ipynb", "report.pdf"} <= set(made)
          and open(f"{ROOT}/out/baseline-1/report.pdf", "rb").read(5) == b"%PDF-", made)
    # ---- a folder holding one object is that object
    sm.create_processing_job(**job("prefix-1", dataset=f"{ROOT}/in/one", config=f"file://{ROOT}/in/config.json"))
    d = wait("prefix-1")
    check("a folder with one dataset object", d["ProcessingJobStatus"] == "Completed"
          and same_bytes(f"{ROOT}/out/prefix-1/analysis.json", f"{W}/cli/analysis.json"), json.dumps(d, default=str)[:600])
    # ---- failures say what to fix, never where the server keeps its files
    sm.create_processing_job(**job("two-objects", dataset=f"{ROOT}/in/two"))
    d = wait("two-objects")
    fr = d.get("FailureReason", "")
    check("a folder with two objects: Failed, ClientError", d["ProcessingJobStatus"] == "Failed"
          and fr.startswith("ClientError: ") and "holds 2 objects" in fr, fr)
    check("no server path in the reason", DATA not in fr and len(fr) <= 1024, fr)
    check("no analysis.json for a failed job", not os.path.exists(f"{ROOT}/out/two-objects/analysis.json"))
    sm.create_processing_job(**job("no-predictions", config=f"{ROOT}/in/no-predictions.json"))
    d = wait("no-predictions")
    fr = d.get("FailureReason", "")
    check("post-training without predictions: Failed naming predicted_label",
          d["ProcessingJobStatus"] == "Failed" and "predicted_label" in fr and fr.startswith("ClientError: "), fr)
    sm.create_processing_job(**job("missing-data", dataset=f"{ROOT}/in/nothing-here.csv"))
    d = wait("missing-data")
    fr = d.get("FailureReason", "")
    check("a missing dataset: Failed naming it", d["ProcessingJobStatus"] == "Failed" and "nothing-here.csv" in fr, fr)
    # ---- refused at create time
    def refused(name, want_code, want_re, req):
        c, m = code_of(sm.create_processing_job, **req)
        check(f"refused: {name}", c == want_code and re.search(want_re, m), f"got {c}: {m}")
    refused("a script job", "ValidationException", r"\$\.AppSpecification\.ContainerEntrypoint: biasmon runs SageMaker Clarify",
            job("r1", AppSpecification={"ImageUri": "x", "ContainerEntrypoint": ["python3", "run.py"]}))
    req = job("r2"); req["ProcessingInputs"] = req["ProcessingInputs"][1:]
    refused("no dataset input", "ValidationException", r"\$\.ProcessingInputs: .*an input is missing", req)
    req = job("r3"); req["ProcessingInputs"][0]["InputName"] = "code"
    refused("another input", "ValidationException", r"\$\.ProcessingInputs\[0\]\.InputName: .*neither", req)
    req = job("r4"); req["ProcessingInputs"][0]["S3Input"]["S3DataType"] = "ManifestFile"
    refused("a manifest", "ValidationException", r"S3DataType: biasmon reads S3Prefix inputs", req)
    req = job("r5"); req["ProcessingOutputConfig"]["Outputs"][0]["OutputName"] = "result"
    refused("another output", "ValidationException", r"Outputs\[0\]\.OutputName: biasmon runs", req)
    refused("a dataset outside the roots", "AccessDeniedException", r"\$\.ProcessingInputs\[0\]\.S3Input\.S3Uri: .*outside",
            job("r6", dataset="/etc/passwd"))
    refused("the data directory's credentials", "AccessDeniedException", r"ProcessingInputs\[1\]\.S3Input\.S3Uri: ",
            job("r7", config=f"{DATA}/credentials"))
    refused("an output elsewhere", "AccessDeniedException", r"Outputs\[0\]\.S3Output\.S3Uri: .*outside",
            job("r8", out=f"{W}/elsewhere"))
    refused("a relative output", "ValidationException", r"S3Output\.S3Uri: ", job("r9", out="out"))
    refused("a name in use", "ResourceInUse", r"already in use", job("BASELINE-1"))
    names = [j["ProcessingJobName"] for j in sm.list_processing_jobs(MaxResults=100)["ProcessingJobSummaries"]]
    check("nothing refused was created", not any(n.startswith("r") and n[1:].isdigit() for n in names), names)
    c, m = code_of(sm.describe_processing_job, ProcessingJobName="never-made")
    check("describe an unknown job", c == "ResourceNotFound" or c == "ValidationException", f"{c}: {m}")
    c, m = code_of(sm.stop_processing_job, ProcessingJobName="baseline-1")
    check("a finished job cannot be stopped", c == "ValidationException" and "Completed" in m, f"{c}: {m}")
    # ---- stopping: the one worker is busy with a job that waits on S3; the next one is queued
    sm.create_processing_job(**job("waits-1", dataset="s3://bkt/data.csv"))
    d = wait("waits-1", until=("InProgress",))
    for _ in range(600):
        if d.get("ProcessingStartTime"): break
        time.sleep(0.1); d = sm.describe_processing_job(ProcessingJobName="waits-1")
    check("a job that waits is running", d["ProcessingJobStatus"] == "InProgress" and d.get("ProcessingStartTime"))
    sm.create_processing_job(**job("queued-1"))
    time.sleep(0.5)  # several scheduler passes (50 ms): it stays queued, the only worker is busy
    d = sm.describe_processing_job(ProcessingJobName="queued-1")
    check("a queued job is InProgress without a start", d["ProcessingJobStatus"] == "InProgress" and "ProcessingStartTime" not in d)
    sm.stop_processing_job(ProcessingJobName="queued-1")
    d = sm.describe_processing_job(ProcessingJobName="queued-1")
    check("a queued job stops at once", d["ProcessingJobStatus"] == "Stopped" and "ProcessingStartTime" not in d, str(d.get("ProcessingJobStatus")))
    sm.stop_processing_job(ProcessingJobName="waits-1")
    d = wait("waits-1", until=("Stopped", "Completed", "Failed"))
    check("a running job is stopped", d["ProcessingJobStatus"] == "Stopped", str(d.get("ProcessingJobStatus")))
    sm.create_processing_job(**job("too-slow", dataset="s3://bkt/data.csv", StoppingCondition={"MaxRuntimeInSeconds": 1}))
    d = wait("too-slow")
    check("MaxRuntimeInSeconds stops a job", d["ProcessingJobStatus"] == "Stopped"
          and "MaxRuntimeInSeconds (1 s) exceeded" in d.get("FailureReason", ""), json.dumps(d, default=str)[:600])
    # ---- listing
    allj = sm.list_processing_jobs(MaxResults=100, SortBy="Name", SortOrder="Ascending")["ProcessingJobSummaries"]
    names = [j["ProcessingJobName"] for j in allj]
    check("listed, sorted by name", names == sorted(names, key=str.lower) and "baseline-1" in names and "waits-1" in names, names)
    comp = [j["ProcessingJobName"] for j in sm.list_processing_jobs(StatusEquals="Completed")["ProcessingJobSummaries"]]
    check("StatusEquals", sorted(comp) == ["baseline-1", "prefix-1"], comp)
    nc = [j["ProcessingJobName"] for j in sm.list_processing_jobs(NameContains="PREFIX")["ProcessingJobSummaries"]]
    check("NameContains", nc == ["prefix-1"], nc)
    seen, tok = [], None
    for _ in range(20):
        page = sm.list_processing_jobs(MaxResults=2, SortBy="CreationTime", SortOrder="Ascending", **({"NextToken": tok} if tok else {}))
        seen += [j["ProcessingJobName"] for j in page["ProcessingJobSummaries"]]
        tok = page.get("NextToken")
        if not tok: break
    check("pages of two", seen[:2] == ["baseline-1", "prefix-1"] and sorted(seen) == sorted(names), seen)
    # ---- for the restart: one job running (waiting on S3), one queued behind it
    sm.create_processing_job(**job("waits-2", dataset="s3://bkt/data.csv"))
    d = wait("waits-2", until=("InProgress",))
    for _ in range(600):
        if d.get("ProcessingStartTime"): break
        time.sleep(0.1); d = sm.describe_processing_job(ProcessingJobName="waits-2")
    sm.create_processing_job(**job("queued-2"))
    check("ready for the crash", d.get("ProcessingStartTime") is not None)
else:
    d = sm.describe_processing_job(ProcessingJobName="waits-2")
    check("after a crash, the running job is Failed", d["ProcessingJobStatus"] == "Failed"
          and "interrupted by restart" in d.get("FailureReason", ""), json.dumps(d, default=str)[:600])
    d = wait("queued-2")
    check("after a crash, the queued job runs", d["ProcessingJobStatus"] == "Completed"
          and same_bytes(f"{ROOT}/out/queued-2/analysis.json", f"{W}/cli/analysis.json"), json.dumps(d, default=str)[:600])
    d = sm.describe_processing_job(ProcessingJobName="baseline-1")
    check("finished jobs survive the restart", d["ProcessingJobStatus"] == "Completed")
print("py", passes, fails)
P
    grep -v '^py ' "$w/py.out"
    local p f
    read -r _ p f < <(grep '^py ' "$w/py.out") || { p=0; f=1; echo "FAIL: the boto3 part ($1) did not finish"; cat "$w/py.out"; }
    passes=$((passes + p)); fails=$((fails + f))
}
py run
# a crash: the daemon dies at once (its worker with it: PR_SET_PDEATHSIG), then starts again
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""
rm -f "$data/serve.json"
start_serve
py restart
check "the log says what was recovered" grep -q "interrupted_processing_jobs=1" "$w/serve.log"
echo "serve_processing: $passes passed, $fails failed"
[ "$fails" = 0 ]
