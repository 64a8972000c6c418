#!/usr/bin/env bash
# biasmon serve driven by Debian's boto3 (/usr/bin/python3, python3-boto3): an endpoint with data
# capture, a job definition and an hourly schedule; executions ticked by the accelerated clock;
# the types boto3 parses (datetimes), the paginators, and errors as botocore ClientError with the
# modelled codes (ValidationException, ResourceNotFound, ResourceInUse, a wrong secret).
#
# As in serve_awscli.sh, a first daemon on a real-time clock takes the set-up calls; after a
# SIGTERM the second starts at 10:59 on a clock 3600 times faster, just before the traffic
# (10:00-13:00), so 11:00-13:00 analyse traffic and 14:00 on find none.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
[ -x "$PY" ] || { echo "FAIL: $PY is missing"; exit 1; }
"$PY" -c 'import boto3, botocore' 2>/dev/null || { echo "FAIL: Debian's boto3 is missing (apt-get install python3-boto3)"; exit 1; }
w=$(mktemp -d)
d=$(mktemp -d) # data directories beside $w: the service may use $w (--allow-root), which may not hold them
data="$d/data" pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
# nothing from the environment or the home directory reaches botocore but what the scripts pass
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true PYTHONNOUSERSITE=1

start_daemon() { # log, serve settings...
    log=$1; shift
    "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --allow-root "$BM_SOURCE_DIR/data" --poll-ms 50 --workers 2 "$@" >>"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        [ -s "$data/serve.json" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$log"; exit 1; }
}
stop_daemon() { # SIGTERM; sets stop_rc (the exit status, and the sanitizer's verdict if it has one)
    kill -TERM "$pid"
    stop_rc=timeout
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid"; stop_rc=$?; break; }
        sleep 0.1
    done
    [ "$stop_rc" = timeout ] && kill -KILL "$pid" 2>/dev/null
    pid=""
    local san
    san=$(grep -m1 -o 'ERROR: [A-Za-z]*Sanitizer: [a-z -]*' "$log")
    [ -n "$san" ] && stop_rc="$stop_rc, $san"
}
# the Python side: a client from serve.json and credentials, and a check() that reports as ours does
cat >"$w/common.py" <<'P'
import json, os, sys, time, datetime
import boto3, botocore
from botocore.config import Config
from botocore.exceptions import ClientError
W = os.environ["W"]
data = os.environ["BM_DATA"]
url = json.load(open(os.path.join(data, "serve.json")))["endpoint_url"]
keys = dict(l.strip().split("=", 1) for l in open(os.path.join(data, "credentials")) if "=" in l)
def client(secret=None):
    return boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=keys["access_key_id"],
                        aws_secret_access_key=secret or keys["secret_access_key"],
                        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))
sm = client()
passes = fails = 0
def check(name, cond):
    global passes, fails
    if cond:
        passes += 1
    else:
        fails += 1
        print("FAIL:", name, flush=True)
def error(name, code, fn, regex=None, status=400, **kw):
    """fn(**kw) must raise ClientError with Error.Code == code (and a message matching regex)."""
    import re
    try:
        fn(**kw)
    except ClientError as e:
        err, meta = e.response["Error"], e.response["ResponseMetadata"]
        ok = err["Code"] == code and meta["HTTPStatusCode"] == status and (regex is None or re.search(regex, err["Message"]))
        check(f"{name}: {code} {status} /{regex}/ (got {err['Code']} {meta['HTTPStatusCode']}: {err['Message']})", ok)
        return e
    check(f"{name}: {code} expected, the call succeeded", False)
def finish():
    open(os.path.join(W, "py-counts"), "a").write(f"{passes} {fails}\n")
def is_time(v):
    return isinstance(v, datetime.datetime) and v.tzinfo is not None
P
run_py() { W="$w" BM_DATA="${BM_DATA:-$data}" "$PY" - "$@"; }

"$PY" "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 3 --per-hour 200 --drift-from 2 >/dev/null || { echo "FAIL: make_sample_monitoring.py"; exit 1; }
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print $0, "Prediction"; next }
    { $1 = $1; pred = (($5 >= 13 && $13 >= 40) || $11 >= 7000) ? ">50K" : "<=50K"; print $0, pred }' \
    "$BM_SOURCE_DIR/data/adult/adult.csv" >"$w/adult.csv"
"$BM_BIN" analyze --analysis-config "$BM_SOURCE_DIR/data/adult/analysis_config.json" --dataset "$w/adult.csv" \
    --output "$w/baseline" 2>/dev/null || { echo "FAIL: baseline analysis"; exit 1; }

# ================================================================ phase 1: set-up
start_daemon "$w/serve1.log" --time-scale 1 --time-start 2026-11-24T10:30:00Z
run_py "$BM_SOURCE_DIR" <<'P'
import sys; sys.path.insert(0, __import__("os").environ["W"])
from common import *
src = sys.argv[1]
check("boto3 is Debian's", boto3.__file__.startswith("/usr/lib/python3/dist-packages/"))
r = sm.create_endpoint_config(EndpointConfigName="adult-income-config",
    ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "adult-rule"}],
    DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                       "DestinationS3Uri": f"file://{W}/traffic/capture",
                       "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]})
check("create_endpoint_config ARN", r["EndpointConfigArn"].endswith(":endpoint-config/adult-income-config"))
check("request ids", len(r["ResponseMetadata"]["RequestId"]) >= 16)
sm.create_endpoint(EndpointName="adult-income", EndpointConfigName="adult-income-config")
ep = sm.describe_endpoint(EndpointName="adult-income")
check("describe_endpoint: InService, capture, datetime CreationTime",
      ep["EndpointStatus"] == "InService" and ep["DataCaptureConfig"]["EnableCapture"] is True and is_time(ep["CreationTime"]))
jd = {"JobDefinitionName": "adult-income-bias",
      "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": f"file://{src}/data/sample-monitoring/analysis_config.json"},
      "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": f"file://{W}/baseline/analysis.json"}},
      "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "adult-income", "LocalPath": "/opt/ml/processing/input/endpoint",
                                              "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0",
                                              "ProbabilityThresholdAttribute": 0.5},
                            "GroundTruthS3Input": {"S3Uri": f"file://{W}/traffic/ground-truth"}},
      "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": f"file://{W}/monitoring",
                                                                       "LocalPath": "/opt/ml/processing/output"}}]},
      "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
      "RoleArn": "arn:aws:iam::123456789012:role/biasmon-test", "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
      "Tags": [{"Key": "team", "Value": "fairness"}]}
r = sm.create_model_bias_job_definition(**jd)
check("create_model_bias_job_definition ARN", r["JobDefinitionArn"].endswith(":model-bias-job-definition/adult-income-bias"))
d = sm.describe_model_bias_job_definition(JobDefinitionName="adult-income-bias")
check("describe_model_bias_job_definition: datetime, members as sent",
      is_time(d["CreationTime"]) and d["ModelBiasJobInput"] == jd["ModelBiasJobInput"] and d["RoleArn"] == jd["RoleArn"])
check("job definition tags", sm.list_tags(ResourceArn=r["JobDefinitionArn"])["Tags"] == [{"Key": "team", "Value": "fairness"}])
error("duplicate job definition", "ResourceInUse", sm.create_model_bias_job_definition, r"already exists", **jd)
hourly = {"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "adult-income-bias",
          "MonitoringType": "ModelBias"}
r = sm.create_monitoring_schedule(MonitoringScheduleName="adult-income-hourly", MonitoringScheduleConfig=hourly)
check("create_monitoring_schedule ARN", r["MonitoringScheduleArn"].endswith(":monitoring-schedule/adult-income-hourly"))
s = sm.describe_monitoring_schedule(MonitoringScheduleName="adult-income-hourly")
check("describe_monitoring_schedule: Scheduled, datetimes, no execution yet",
      s["MonitoringScheduleStatus"] == "Scheduled" and is_time(s["CreationTime"]) and is_time(s["LastModifiedTime"])
      and "LastMonitoringExecutionSummary" not in s and s["EndpointName"] == "adult-income")
# modelled exceptions are ClientError subclasses with the code as their name
try:
    sm.describe_monitoring_schedule(MonitoringScheduleName="no-such-schedule")
    check("describe missing: raises", False)
except sm.exceptions.ResourceNotFound as e:
    check("describe missing: sm.exceptions.ResourceNotFound", isinstance(e, ClientError) and "no-such-schedule" in e.response["Error"]["Message"])
try:
    sm.create_monitoring_schedule(MonitoringScheduleName="adult-income-hourly", MonitoringScheduleConfig=hourly)
    check("duplicate schedule: raises", False)
except sm.exceptions.ResourceInUse as e:
    check("duplicate schedule: sm.exceptions.ResourceInUse", e.response["Error"]["Code"] == "ResourceInUse")
def bad(expr, **sc):
    return {"ScheduleConfig": {"ScheduleExpression": expr, **sc}, "MonitoringJobDefinitionName": "adult-income-bias"}
error("an underscore in the name", "ValidationException", sm.create_monitoring_schedule, r"^\$\.MonitoringScheduleName: must match",
      MonitoringScheduleName="bad_name", MonitoringScheduleConfig=hourly)
error("every five minutes", "ValidationException", sm.create_monitoring_schedule, r"ScheduleExpression: .*minutes must be 0.*supported: cron\(0 \* \? \* \* \*\)",
      MonitoringScheduleName="bad-cron", MonitoringScheduleConfig=bad("cron(0/5 * ? * * *)"))
error("a rate expression", "ValidationException", sm.create_monitoring_schedule, r"supported: ",
      MonitoringScheduleName="bad-cron", MonitoringScheduleConfig=bad("rate(1 hour)"))
error("hour 25", "ValidationException", sm.create_monitoring_schedule, r"hour 25 out of range 0-23",
      MonitoringScheduleName="bad-cron", MonitoringScheduleConfig=bad("cron(0 25 ? * * *)"))
# (Debian's botocore 1.29 predates ScheduleConfig.DataAnalysisStartTime: it refuses the member itself)
error("a missing job definition", "ValidationException", sm.create_monitoring_schedule, r'job definition "nope" does not exist',
      MonitoringScheduleName="orphan", MonitoringScheduleConfig={"MonitoringJobDefinitionName": "nope"})
error("delete a job definition in use", "ResourceInUse", sm.delete_model_bias_job_definition, r"used by 1 monitoring schedule",
      JobDefinitionName="adult-income-bias")
error("describe a missing job definition", "ResourceNotFound", sm.describe_model_bias_job_definition, r"nope", JobDefinitionName="nope")
# a wrong secret: refused, and nothing was created
wrong = client(secret="x" * 40)
error("a wrong secret", "InvalidSignatureException", wrong.create_monitoring_schedule, r"signature", status=403,
      MonitoringScheduleName="sneaky", MonitoringScheduleConfig=hourly)
check("the wrongly signed request created nothing",
      [x["MonitoringScheduleName"] for x in sm.list_monitoring_schedules()["MonitoringScheduleSummaries"]] == ["adult-income-hourly"])
finish()
P
stop_daemon
check "first daemon: SIGTERM exit status 0 (got $stop_rc)" test "$stop_rc" = 0

# ================================================================ phase 2: executions
start_daemon "$w/serve2.log" --time-scale 3600 --time-start 2026-11-24T10:59:00Z
run_py <<'P'
import sys; sys.path.insert(0, __import__("os").environ["W"])
from common import *
U = datetime.timezone.utc
T = {h: datetime.datetime(2026, 11, 24, h, tzinfo=U) for h in (11, 12, 13, 14)}
done = False
for _ in range(120):                       # at most ~30 s
    ex = sm.list_monitoring_executions(MonitoringScheduleName="adult-income-hourly", MaxResults=100)["MonitoringExecutionSummaries"]
    fin = {x["ScheduledTime"] for x in ex if x["MonitoringExecutionStatus"] not in ("Pending", "InProgress")}
    if set(T.values()) <= fin:
        done = True
        break
    time.sleep(0.25)
check("executions of 11:00-14:00 finished", done)
sm.stop_monitoring_schedule(MonitoringScheduleName="adult-income-hourly")
check("stopped", sm.describe_monitoring_schedule(MonitoringScheduleName="adult-income-hourly")["MonitoringScheduleStatus"] == "Stopped")
for _ in range(120):
    ex = sm.list_monitoring_executions(MonitoringScheduleName="adult-income-hourly", MaxResults=100)["MonitoringExecutionSummaries"]
    if all(x["MonitoringExecutionStatus"] not in ("Pending", "InProgress") for x in ex):
        break
    time.sleep(0.25)
ex = sm.list_monitoring_executions(MonitoringScheduleName="adult-income-hourly", SortBy="ScheduledTime",
                                   SortOrder="Ascending", MaxResults=100)["MonitoringExecutionSummaries"]
check("all timestamps are timezone-aware datetimes",
      all(is_time(x[k]) for x in ex for k in ("ScheduledTime", "CreationTime", "LastModifiedTime")))
times = [x["ScheduledTime"] for x in ex]
check(f"hourly ticks from 11:00, ascending (got {times[:5]})", times[:4] == [T[11], T[12], T[13], T[14]] and times == sorted(times))
st = {x["ScheduledTime"]: x for x in ex}
check("data hours completed", all(st[T[h]]["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations") for h in (11, 12, 13)))
check("the drifted hour has violations", st[T[13]]["MonitoringExecutionStatus"] == "CompletedWithViolations")
check("14:00 failed with a reason", st[T[14]]["MonitoringExecutionStatus"] == "Failed"
      and st[T[14]]["FailureReason"].startswith("no capture files under "))
# the paginator follows NextToken with pages of two
pages = list(sm.get_paginator("list_monitoring_executions").paginate(
    MonitoringScheduleName="adult-income-hourly", SortBy="ScheduledTime", SortOrder="Ascending", PaginationConfig={"PageSize": 2}))
got = [x["ScheduledTime"] for p in pages for x in p["MonitoringExecutionSummaries"]]
check(f"paginator: {len(pages)} pages of at most 2, the same executions in the same order",
      len(pages) == (len(ex) + 1) // 2 and all(len(p["MonitoringExecutionSummaries"]) <= 2 for p in pages) and got == times)
desc = [x["ScheduledTime"] for p in sm.get_paginator("list_monitoring_executions").paginate(
    MonitoringScheduleName="adult-income-hourly", SortBy="ScheduledTime", SortOrder="Descending", PaginationConfig={"PageSize": 3})
    for x in p["MonitoringExecutionSummaries"]]
check("paginator, descending", desc == times[::-1])
failed = [x["ScheduledTime"] for p in sm.get_paginator("list_monitoring_executions").paginate(
    StatusEquals="Failed", EndpointName="adult-income", ScheduledTimeAfter=T[11], PaginationConfig={"PageSize": 1})
    for x in p["MonitoringExecutionSummaries"]]
check("paginator with filters (StatusEquals, ScheduledTimeAfter)",
      sorted(failed) == [t for t in times if st[t]["MonitoringExecutionStatus"] == "Failed"])
sched = [x["MonitoringScheduleName"] for p in sm.get_paginator("list_monitoring_schedules").paginate()
         for x in p["MonitoringScheduleSummaries"]]
check("list_monitoring_schedules paginator", sched == ["adult-income-hourly"])
s = sm.describe_monitoring_schedule(MonitoringScheduleName="adult-income-hourly")
last = s.get("LastMonitoringExecutionSummary", {})
check("LastMonitoringExecutionSummary: the latest, datetimes",
      last.get("ScheduledTime") == times[-1] and is_time(last.get("CreationTime")) and last.get("MonitoringScheduleName") == "adult-income-hourly")
job = st[T[12]]["ProcessingJobArn"].split("/")[-1]
pj = sm.describe_processing_job(ProcessingJobName=job)
uri = pj["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
check("describe_processing_job: datetimes, output folder with analysis.json",
      is_time(pj["ProcessingStartTime"]) and is_time(pj["ProcessingEndTime"]) and pj["ProcessingJobStatus"] == "Completed"
      and uri == f"file://{W}/monitoring/adult-income/adult-income-hourly/2026/11/24/12"
      and os.path.isfile(os.path.join(uri[len("file://"):], "analysis.json")))
error("describe_processing_job of a missing job", "ResourceNotFound", sm.describe_processing_job, None, ProcessingJobName="no-such-job")
error("ListMonitoringExecutions with a foreign NextToken", "ValidationException", sm.list_monitoring_executions, r"NextToken",
      NextToken="not-a-token")
sm.delete_monitoring_schedule(MonitoringScheduleName="adult-income-hourly")
error("describe the deleted schedule", "ResourceNotFound", sm.describe_monitoring_schedule, None, MonitoringScheduleName="adult-income-hourly")
sm.delete_model_bias_job_definition(JobDefinitionName="adult-income-bias")
check("executions outlive their schedule",
      len(sm.list_monitoring_executions(MonitoringScheduleName="adult-income-hourly", MaxResults=100)["MonitoringExecutionSummaries"]) == len(ex))
wrong = client(secret=keys["secret_access_key"][::-1])
error("a wrong secret", "InvalidSignatureException", wrong.list_monitoring_executions, None, status=403)
finish()
P
stop_daemon
check "second daemon: SIGTERM exit status 0 (got $stop_rc)" test "$stop_rc" = 0

# ================================================================ phase 3: Stop and Update must stick
# The scheduler writes back the schedule it read when it queues ticks; an API change made in
# between must not be undone. A clock at 10^7 makes every scheduler pass (5 ms) queue ticks.
data="$d/race"
start_daemon "$w/serve3.log" --time-scale 10000000 --poll-ms 5 --workers 1 --log-level warn --shutdown-grace 0
BM_DATA="$data" run_py <<'P'
import sys; sys.path.insert(0, __import__("os").environ["W"])
from common import *
sm.create_endpoint_config(EndpointConfigName="race-config", ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "m"}],
    DataCaptureConfig={"InitialSamplingPercentage": 100, "DestinationS3Uri": f"file://{W}/no-traffic",
                       "CaptureOptions": [{"CaptureMode": "Input"}]})
sm.create_endpoint(EndpointName="race", EndpointConfigName="race-config")
sm.create_model_bias_job_definition(JobDefinitionName="race-jd",
    ModelBiasAppSpecification={"ImageUri": "biasmon", "ConfigUri": f"file://{W}/none.json"},
    ModelBiasJobInput={"EndpointInput": {"EndpointName": "race", "LocalPath": "/opt/ml/processing/input/endpoint"},
                       "GroundTruthS3Input": {"S3Uri": f"file://{W}/no-ground-truth"}},
    ModelBiasJobOutputConfig={"MonitoringOutputs": [{"S3Output": {"S3Uri": f"file://{W}/race-out", "LocalPath": "/opt/ml/processing/output"}}]},
    JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
    RoleArn="arn:aws:iam::123456789012:role/biasmon-test")
cfg = lambda e: {"ScheduleConfig": {"ScheduleExpression": e}, "MonitoringJobDefinitionName": "race-jd"}
sm.create_monitoring_schedule(MonitoringScheduleName="race", MonitoringScheduleConfig=cfg("cron(0 * ? * * *)"))
undone_stop = undone_update = 0
for i in range(80):
    sm.stop_monitoring_schedule(MonitoringScheduleName="race")
    time.sleep(0.03)
    undone_stop += sm.describe_monitoring_schedule(MonitoringScheduleName="race")["MonitoringScheduleStatus"] != "Stopped"
    sm.start_monitoring_schedule(MonitoringScheduleName="race")
    e = "cron(0 0/2 ? * * *)" if i % 2 == 0 else "cron(0 * ? * * *)"
    sm.update_monitoring_schedule(MonitoringScheduleName="race", MonitoringScheduleConfig=cfg(e))
    time.sleep(0.03)
    got = sm.describe_monitoring_schedule(MonitoringScheduleName="race")["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"]
    undone_update += got != e
check(f"every StopMonitoringSchedule sticks while ticks are queued ({undone_stop} of 80 undone)", undone_stop == 0)
check(f"every UpdateMonitoringSchedule sticks while ticks are queued ({undone_update} of 80 undone)", undone_update == 0)
finish()
P
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""

while read -r p f; do passes=$((passes + p)); fails=$((fails + f)); done <"$w/py-counts"
check "the three Python parts ran to the end" test "$(wc -l <"$w/py-counts")" = 3
check "no sanitizer report in the workers' logs ($(grep -rlE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$w"/*/executions 2>/dev/null | head -n 3 | tr '\n' ' '))" \
    sh -c '! grep -rqE "ERROR: [A-Za-z]+Sanitizer|runtime error:" "$@" 2>/dev/null' _ "$w"/*/executions
if [ "$fails" -gt 0 ]; then
    for log in "$w"/serve[12].log; do
        echo "--- $log (sanitizer reports, else the last lines)"
        grep -q '^==[0-9]*==ERROR' "$log" && sed -n '/^==[0-9]*==ERROR/,$p' "$log" | head -n 40 || tail -n 15 "$log"
    done
fi
echo "serve_boto3: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
