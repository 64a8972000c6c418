#!/usr/bin/env bash
# biasmon serve driven by the real aws command-line client (Debian's awscli, /usr/bin/aws) over
# signed HTTP on an ephemeral port: endpoint config with data capture, endpoint, model bias job
# definitions (filters, pagination), monitoring schedules (filters, sort, tags, update, stop,
# start, delete), executions ticked by the accelerated clock (statuses, failure reasons, sort
# orders, the processing job and its output folder), biasmon run, and the refusals clients see
# (signatures, names, cron expressions, missing and duplicate resources) with their error codes.
#
# Two daemons on one data directory: the first (real-time clock) takes the set-up calls, so no
# tick can fire while the slow CLI works; after a SIGTERM (exit 0, serve.json removed) the second
# starts at 10:59 on a clock 3600 times faster, just before the captured traffic (10:00-13:00,
# drifted from 12:00), so the executions fall on the data hours: 11:00, 12:00 and 13:00 analyse
# traffic, 14:00 and later find none and fail.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
AWS=/usr/bin/aws PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
for t in "$AWS" "$PY" /usr/bin/curl; do
    [ -x "$t" ] || { echo "FAIL: $t is missing (scripts/deps.sh test installs awscli, python3, curl)"; exit 1; }
done
w=$(mktemp -d)
d=$(mktemp -d) # data directories beside $w: the service may use $w (--allow-root), which may not hold them
data="$d/data" pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT

# ---- the clients' environment: only the data directory's keys, no files, no retries
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_MAX_ATTEMPTS=1 \
    AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_OUTPUT=json

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
    url=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint_url"])' "$data/serve.json")
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    AWS_ACCESS_KEY_ID=$(sed -n 's/^access_key_id=//p' "$data/credentials")
    AWS_SECRET_ACCESS_KEY=$(sed -n 's/^secret_access_key=//p' "$data/credentials")
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
sm() { "$AWS" --endpoint-url "$url" --region us-east-1 --output json --cli-read-timeout 30 --cli-connect-timeout 5 sagemaker "$@"; }
# ok NAME OUT aws-args...: the call succeeds, its JSON in OUT
ok() {
    local name=$1 out=$2; shift 2
    sm "$@" >"$out" 2>"$w/stderr"
    local rc=$?
    check "$name (aws exit $rc: $(head -c 600 "$w/stderr"))" test "$rc" = 0
}
# refused NAME CODE REGEX aws-args...: the call fails with that error code, its message matches REGEX
refused() {
    local name=$1 code=$2 re=$3; shift 3
    sm "$@" >/dev/null 2>"$w/stderr"
    local rc=$?
    check "$name: $code matching /$re/ (aws exit $rc: $(head -c 600 "$w/stderr"))" \
        sh -c '[ "$1" != 0 ] && grep -q "An error occurred ($2)" "$3" && grep -Eq -- "$4" "$3"' _ "$rc" "$code" "$w/stderr" "$re"
}
# j FILE EXPR: a Python expression over d (the JSON in FILE); ts() turns the CLI's ISO times into epoch seconds
j() {
    "$PY" - "$@" <<'P'
import json, sys, datetime
def ts(s): return datetime.datetime.fromisoformat(s).timestamp()
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r))
P
}
names() { j "$1" "[x['$2'] for x in d['$3']]"; }

# ---- traffic, ground truth and the baseline
"$PY" "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T10:00:00Z \
    --hours 3 --per-hour 200 --drift-from 2 >/dev/null || { echo "FAIL: make_sample_monitoring.py"; exit 1; }
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print $0, "Prediction"; next }
    { $1 = $1; pred = (($5 >= 13 && $13 >= 40) || $11 >= 7000) ? ">50K" : "<=50K"; print $0, pred }' \
    "$BM_SOURCE_DIR/data/adult/adult.csv" >"$w/adult.csv"
"$BM_BIN" analyze --analysis-config "$BM_SOURCE_DIR/data/adult/analysis_config.json" --dataset "$w/adult.csv" \
    --output "$w/baseline" 2>/dev/null || { echo "FAIL: baseline analysis"; exit 1; }
jobdef() { # file, name, endpoint, with baseline (1/0)
    local base=""
    [ "$4" = 1 ] && base="\"ModelBiasBaselineConfig\": {\"ConstraintsResource\": {\"S3Uri\": \"file://$w/baseline/analysis.json\"}},"
    cat >"$1" <<J
{"JobDefinitionName": "$2", $base
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "$3", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT1H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "file://$w/traffic/ground-truth"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "file://$w/monitoring", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::123456789012:role/biasmon-test", "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}
J
}

# ================================================================ phase 1: set-up, real-time clock
start_daemon "$w/serve1.log" --time-scale 1 --time-start 2026-11-24T10:30:00Z
arn=arn:aws:sagemaker:us-east-1:123456789012

ok "create-endpoint-config" "$w/o.json" create-endpoint-config --endpoint-config-name adult-income-config \
    --production-variants VariantName=AllTraffic,ModelName=adult-rule \
    --data-capture-config "{\"EnableCapture\": true, \"InitialSamplingPercentage\": 100,
        \"DestinationS3Uri\": \"file://$w/traffic/capture\",
        \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}"
check "endpoint config ARN" test "$(j "$w/o.json" 'd["EndpointConfigArn"]')" = "$arn:endpoint-config/adult-income-config"
ok "create-endpoint" "$w/o.json" create-endpoint --endpoint-name adult-income --endpoint-config-name adult-income-config
check "endpoint ARN" test "$(j "$w/o.json" 'd["EndpointArn"]')" = "$arn:endpoint/adult-income"
ok "describe-endpoint" "$w/ep.json" describe-endpoint --endpoint-name adult-income
check "describe-endpoint: InService, capture on to the tree" test "$(j "$w/ep.json" \
    '[d["EndpointStatus"], d["EndpointConfigName"], d["DataCaptureConfig"]["EnableCapture"], d["DataCaptureConfig"]["CaptureStatus"], d["DataCaptureConfig"]["DestinationS3Uri"]]')" \
    = "[\"InService\", \"adult-income-config\", true, \"Started\", \"file://$w/traffic/capture\"]"

# ---- job definitions: two for the endpoint, three for another one (filters and pages)
jobdef "$w/jd-base.json" adult-income-bias adult-income 1
jobdef "$w/jd-nobase.json" adult-income-nobase adult-income 0
ok "create-model-bias-job-definition (with a baseline)" "$w/o.json" create-model-bias-job-definition --cli-input-json "file://$w/jd-base.json"
check "job definition ARN" test "$(j "$w/o.json" 'd["JobDefinitionArn"]')" = "$arn:model-bias-job-definition/adult-income-bias"
ok "create-model-bias-job-definition (no baseline)" "$w/o.json" create-model-bias-job-definition --cli-input-json "file://$w/jd-nobase.json"
for k in 1 2 3; do
    jobdef "$w/jd-x$k.json" "Extra-jd-$k" other-endpoint 0
    ok "create-model-bias-job-definition Extra-jd-$k" "$w/o.json" create-model-bias-job-definition --cli-input-json "file://$w/jd-x$k.json"
done
refused "create-model-bias-job-definition again" ResourceInUse 'adult-income-bias.*already exists' \
    create-model-bias-job-definition --cli-input-json "file://$w/jd-base.json"
ok "describe-model-bias-job-definition" "$w/jd.json" describe-model-bias-job-definition --job-definition-name adult-income-bias
check "describe-model-bias-job-definition returns what was created" "$PY" - "$w/jd.json" "$w/jd-base.json" <<'P'
import json, sys, datetime
got, sent = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert got["JobDefinitionArn"].endswith(":model-bias-job-definition/adult-income-bias"), got
datetime.datetime.fromisoformat(got["CreationTime"])
for k in ("JobDefinitionName", "ModelBiasBaselineConfig", "ModelBiasAppSpecification", "ModelBiasJobInput",
          "ModelBiasJobOutputConfig", "JobResources", "RoleArn", "StoppingCondition"):
    assert got[k] == sent[k], (k, got.get(k), sent[k])
P
refused "describe-model-bias-job-definition of a missing one" ResourceNotFound 'no-such-jd' \
    describe-model-bias-job-definition --job-definition-name no-such-jd
ok "list job definitions of the endpoint" "$w/o.json" list-model-bias-job-definitions --endpoint-name adult-income
check "EndpointName filter" test "$(names "$w/o.json" MonitoringJobDefinitionName JobDefinitionSummaries)" = '["adult-income-nobase", "adult-income-bias"]'
ok "list job definitions by name" "$w/o.json" list-model-bias-job-definitions --name-contains EXTRA --sort-by Name --sort-order Ascending
check "NameContains (case-insensitive), sorted by name" test "$(names "$w/o.json" MonitoringJobDefinitionName JobDefinitionSummaries)" = '["Extra-jd-1", "Extra-jd-2", "Extra-jd-3"]'
# pages of two through the CLI's own pagination (MaxResults + NextToken underneath)
ok "list job definitions, page 1" "$w/p1.json" list-model-bias-job-definitions --max-items 2 --page-size 2
tok=$(j "$w/p1.json" 'd.get("NextToken", "")')
ok "list job definitions, page 2" "$w/p2.json" list-model-bias-job-definitions --max-items 2 --page-size 2 --starting-token "$tok"
tok=$(j "$w/p2.json" 'd.get("NextToken", "")')
ok "list job definitions, page 3" "$w/p3.json" list-model-bias-job-definitions --max-items 2 --page-size 2 --starting-token "$tok"
check "three pages: 2 + 2 + 1, newest first (CreationTime Descending), no token after the last" "$PY" - "$w"/p1.json "$w"/p2.json "$w"/p3.json <<'P'
import json, sys
pages = [json.load(open(f)) for f in sys.argv[1:]]
got = [s["MonitoringJobDefinitionName"] for p in pages for s in p["JobDefinitionSummaries"]]
assert [len(p["JobDefinitionSummaries"]) for p in pages] == [2, 2, 1], got
assert got == ["Extra-jd-3", "Extra-jd-2", "Extra-jd-1", "adult-income-nobase", "adult-income-bias"], got
assert "NextToken" in pages[0] and "NextToken" in pages[1] and "NextToken" not in pages[2], pages
s = pages[0]["JobDefinitionSummaries"][0]
assert s["EndpointName"] == "other-endpoint" and s["MonitoringJobDefinitionArn"].endswith("/extra-jd-3"), s
P
ok "list job definitions, all pages by name" "$w/o.json" list-model-bias-job-definitions --page-size 2 --sort-by Name --sort-order Ascending
check "the CLI follows NextToken to the end, in name order" test "$(names "$w/o.json" MonitoringJobDefinitionName JobDefinitionSummaries)" \
    = '["adult-income-bias", "adult-income-nobase", "Extra-jd-1", "Extra-jd-2", "Extra-jd-3"]'
# botocore sends filter times as whole epoch seconds: a cut at the second after Extra-jd-1's creation
cut=$("$PY" -c 'import json,sys,math,datetime; p=[json.load(open(f))["JobDefinitionSummaries"] for f in sys.argv[1:]]; t=[datetime.datetime.fromisoformat(s["CreationTime"]).timestamp() for q in p for s in q if s["MonitoringJobDefinitionName"]=="Extra-jd-1"][0]; print(math.ceil(t))' "$w"/p1.json "$w"/p2.json "$w"/p3.json)
want=$("$PY" -c 'import json,sys,datetime; p=[json.load(open(f))["JobDefinitionSummaries"] for f in sys.argv[2:]]; print(json.dumps(sorted(s["MonitoringJobDefinitionName"] for q in p for s in q if datetime.datetime.fromisoformat(s["CreationTime"]).timestamp() > int(sys.argv[1]))))' "$cut" "$w"/p1.json "$w"/p2.json "$w"/p3.json)
ok "list job definitions created after a time" "$w/o.json" list-model-bias-job-definitions --creation-time-after "$cut"
check "CreationTimeAfter: $want" sh -c '[ "$1" = "$2" ] && [ "$1" != "[]" ] && case "$1" in *adult*|*Extra-jd-1*) false;; esac' _ \
    "$(j "$w/o.json" 'sorted(x["MonitoringJobDefinitionName"] for x in d["JobDefinitionSummaries"])')" "$want"

# ---- schedules
hourly='{"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "adult-income-bias", "MonitoringType": "ModelBias"}'
ok "create-monitoring-schedule (hourly, with a tag)" "$w/o.json" create-monitoring-schedule --monitoring-schedule-name adult-income-hourly \
    --monitoring-schedule-config "$hourly" --tags Key=team,Value=fairness
check "schedule ARN" test "$(j "$w/o.json" 'd["MonitoringScheduleArn"]')" = "$arn:monitoring-schedule/adult-income-hourly"
ok "create-monitoring-schedule (no baseline)" "$w/o.json" create-monitoring-schedule --monitoring-schedule-name adult-income-nobase \
    --monitoring-schedule-config '{"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "adult-income-nobase"}'
ok "describe-monitoring-schedule" "$w/s.json" describe-monitoring-schedule --monitoring-schedule-name adult-income-hourly
check "describe-monitoring-schedule: Scheduled, no execution yet" "$PY" - "$w/s.json" <<'P'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["MonitoringScheduleStatus"] == "Scheduled" and d["MonitoringType"] == "ModelBias", d
assert d["EndpointName"] == "adult-income" and "LastMonitoringExecutionSummary" not in d, d
c = d["MonitoringScheduleConfig"]
assert c["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)" and c["MonitoringJobDefinitionName"] == "adult-income-bias", c
assert d["CreationTime"] == d["LastModifiedTime"] and d["CreationTime"].startswith("2026-11-24T10:3"), d
P
cfg() { echo "{\"ScheduleConfig\": {\"ScheduleExpression\": \"$1\"}, \"MonitoringJobDefinitionName\": \"${2:-adult-income-bias}\"}"; }
refused "a second schedule of the same name" ResourceInUse 'adult-income-hourly.*already exists' \
    create-monitoring-schedule --monitoring-schedule-name adult-income-hourly --monitoring-schedule-config "$hourly"
refused "an underscore in the schedule name" ValidationException 'MonitoringScheduleName: must match .*bad_name' \
    create-monitoring-schedule --monitoring-schedule-name bad_name --monitoring-schedule-config "$hourly"
for e in 'cron(0/5 * ? * * *)' 'cron(0 25 ? * * *)' 'rate(1 hour)'; do
    refused "schedule expression $e" ValidationException 'ScheduleExpression: .*supported: cron\(0 \* \? \* \* \*\), cron\(0 H \? \* \* \*\), cron\(0 H/N \? \* \* \*\)' \
        create-monitoring-schedule --monitoring-schedule-name bad-cron --monitoring-schedule-config "$(cfg "$e")"
done
refused "NOW without DataAnalysisStartTime" ValidationException 'NOW schedule needs both DataAnalysisStartTime and DataAnalysisEndTime' \
    create-monitoring-schedule --monitoring-schedule-name once --monitoring-schedule-config "$(cfg NOW)"
refused "a missing job definition" ValidationException 'MonitoringJobDefinitionName: job definition "no-such-jd" does not exist' \
    create-monitoring-schedule --monitoring-schedule-name orphan --monitoring-schedule-config "$(cfg 'cron(0 * ? * * *)' no-such-jd)"
refused "describe a missing schedule" ResourceNotFound 'no-such-schedule' describe-monitoring-schedule --monitoring-schedule-name no-such-schedule
refused "delete a job definition a schedule uses" ResourceInUse 'used by 1 monitoring schedule' \
    delete-model-bias-job-definition --job-definition-name adult-income-bias
ok "update-monitoring-schedule (every two hours)" "$w/o.json" update-monitoring-schedule --monitoring-schedule-name adult-income-nobase \
    --monitoring-schedule-config "$(cfg 'cron(0 0/2 ? * * *)' adult-income-nobase)"
ok "describe the updated schedule" "$w/s.json" describe-monitoring-schedule --monitoring-schedule-name adult-income-nobase
check "update: new expression, Scheduled, LastModifiedTime after CreationTime" test "$(j "$w/s.json" \
    '[d["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"], d["MonitoringScheduleStatus"], ts(d["LastModifiedTime"]) > ts(d["CreationTime"])]')" \
    = '["cron(0 0/2 ? * * *)", "Scheduled", true]'
ok "list schedules by name" "$w/o.json" list-monitoring-schedules --endpoint-name adult-income --sort-by Name --sort-order Ascending
check "list-monitoring-schedules: EndpointName filter, Name Ascending" test "$(names "$w/o.json" MonitoringScheduleName MonitoringScheduleSummaries)" \
    = '["adult-income-hourly", "adult-income-nobase"]'
ok "list schedules by name, descending" "$w/o.json" list-monitoring-schedules --name-contains INCOME --sort-by Name --sort-order Descending
check "list-monitoring-schedules: NameContains (case-insensitive), Name Descending" test "$(names "$w/o.json" MonitoringScheduleName MonitoringScheduleSummaries)" \
    = '["adult-income-nobase", "adult-income-hourly"]'
ok "list schedules of a job definition" "$w/o.json" list-monitoring-schedules --monitoring-job-definition-name adult-income-bias --status-equals Scheduled
check "list-monitoring-schedules: job definition and status filters, summary members" test "$(j "$w/o.json" \
    '[(s["MonitoringScheduleName"], s["MonitoringJobDefinitionName"], s["EndpointName"], s["MonitoringType"], s["MonitoringScheduleStatus"]) for s in d["MonitoringScheduleSummaries"]]')" \
    = '[["adult-income-hourly", "adult-income-bias", "adult-income", "ModelBias", "Scheduled"]]'

# ---- tags
sarn="$arn:monitoring-schedule/adult-income-hourly"
ok "add-tags" "$w/o.json" add-tags --resource-arn "$sarn" --tags Key=owner,Value=ml-platform
ok "list-tags" "$w/o.json" list-tags --resource-arn "$sarn"
check "tags from create and add-tags" test "$(j "$w/o.json" 'sorted((t["Key"], t["Value"]) for t in d["Tags"])')" = '[["owner", "ml-platform"], ["team", "fairness"]]'
ok "delete-tags" "$w/o.json" delete-tags --resource-arn "$sarn" --tag-keys team
ok "list-tags after delete-tags" "$w/o.json" list-tags --resource-arn "$sarn"
check "delete-tags removed one" test "$(j "$w/o.json" 'd["Tags"]')" = '[{"Key": "owner", "Value": "ml-platform"}]'

# ---- refused before the service looks at the request
AWS_SECRET_ACCESS_KEY=not-the-secret refused "a wrong secret" InvalidSignatureException 'signature' \
    create-monitoring-schedule --monitoring-schedule-name sneaky --monitoring-schedule-config "$hourly"
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE refused "an unknown access key" UnrecognizedClientException 'security token included in the request is invalid' \
    create-monitoring-schedule --monitoring-schedule-name sneaky --monitoring-schedule-config "$hourly"
code=$(curl -sS --max-time 10 -o "$w/curl.json" -D "$w/curl.h" -w '%{http_code}' -X POST -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Target: SageMaker.CreateMonitoringSchedule' \
    --data "{\"MonitoringScheduleName\": \"sneaky\", \"MonitoringScheduleConfig\": $hourly}" "$url/")
check "unsigned (curl): 403 MissingAuthenticationTokenException (got $code $(cat "$w/curl.json"))" \
    sh -c '[ "$1" = 403 ] && grep -qi "^x-amzn-ErrorType: MissingAuthenticationTokenException" "$2" &&
           [ "$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"__type\"])" "$3")" = MissingAuthenticationTokenException ]' \
    _ "$code" "$w/curl.h" "$w/curl.json"
ok "list-monitoring-schedules, correctly signed" "$w/o.json" list-monitoring-schedules
check "the refused requests changed nothing" test "$(names "$w/o.json" MonitoringScheduleName MonitoringScheduleSummaries)" \
    = '["adult-income-nobase", "adult-income-hourly"]'

stop_daemon
check "SIGTERM: exit status 0 (got $stop_rc)" test "$stop_rc" = 0
check "SIGTERM: serve.json removed" test ! -e "$data/serve.json"

# ================================================================ phase 2: the clock runs an hour a second
start_daemon "$w/serve2.log" --time-scale 3600 --time-start 2026-11-24T10:59:00Z
T11=1795518000 T12=1795521600 T13=1795525200 T14=1795528800
# wait until 11:00..14:00 of the hourly schedule and 12:00 and 14:00 of the two-hourly one are over
waited=no
for _ in $(seq 1 120); do
    "$BM_BIN" call --data-dir "$data" ListMonitoringExecutions '{"MaxResults": 100}' >"$w/all.json" 2>/dev/null &&
        "$PY" - "$w/all.json" <<P && { waited=yes; break; }
import json, sys
e = json.load(open(sys.argv[1]))["MonitoringExecutionSummaries"]
done = {(x["MonitoringScheduleName"], x["ScheduledTime"]) for x in e if x["MonitoringExecutionStatus"] not in ("Pending", "InProgress")}
want = {("adult-income-hourly", t) for t in ($T11, $T12, $T13, $T14)} | {("adult-income-nobase", t) for t in ($T12, $T14)}
sys.exit(0 if want <= done else 1)
P
    sleep 0.25
done
check "executions of 11:00-14:00 finished within 30 s" test "$waited" = yes
ok "stop-monitoring-schedule hourly" "$w/o.json" stop-monitoring-schedule --monitoring-schedule-name adult-income-hourly
ok "stop-monitoring-schedule nobase" "$w/o.json" stop-monitoring-schedule --monitoring-schedule-name adult-income-nobase
ok "describe the stopped schedule" "$w/stopped.json" describe-monitoring-schedule --monitoring-schedule-name adult-income-hourly
check "stopped: status Stopped" test "$(j "$w/stopped.json" 'd["MonitoringScheduleStatus"]')" = Stopped
# executions already queued or running still finish
idle=no
for _ in $(seq 1 120); do
    "$BM_BIN" call --data-dir "$data" ListMonitoringExecutions '{"MaxResults": 100}' >"$w/all.json" 2>/dev/null &&
        [ "$(j "$w/all.json" 'sum(x["MonitoringExecutionStatus"] in ("Pending", "InProgress") for x in d["MonitoringExecutionSummaries"])')" = 0 ] &&
        { idle=yes; break; }
    sleep 0.25
done
check "in-flight executions of the stopped schedules finish" test "$idle" = yes

ok "list-monitoring-executions by ScheduledTime, ascending (pages of 3)" "$w/asc.json" list-monitoring-executions \
    --monitoring-schedule-name adult-income-hourly --sort-by ScheduledTime --sort-order Ascending --page-size 3
check "hourly executions: statuses, reasons, outputs" "$PY" - "$w/asc.json" "$w/monitoring/adult-income/adult-income-hourly" "$w/stopped.json" <<P
import json, os, sys, datetime
ex = json.load(open(sys.argv[1]))["MonitoringExecutionSummaries"]
out = sys.argv[2]
stopped = datetime.datetime.fromisoformat(json.load(open(sys.argv[3]))["LastModifiedTime"]).timestamp()
t = [datetime.datetime.fromisoformat(x["ScheduledTime"]).timestamp() for x in ex]
assert t == sorted(t) and len(set(t)) == len(t), t
assert t[:4] == [$T11, $T12, $T13, $T14], t                      # first tick after 10:59, one per hour
assert all(b - a == 3600 for a, b in zip(t, t[1:])), t
assert max(t) <= stopped, (max(t), stopped)                      # nothing ticked after the stop
for x, when in zip(ex, t):
    st = x["MonitoringExecutionStatus"]
    assert x["MonitoringScheduleName"] == "adult-income-hourly" and x["EndpointName"] == "adult-income", x
    assert x["MonitoringJobDefinitionName"] == "adult-income-bias" and x["MonitoringType"] == "ModelBias", x
    assert ":processing-job/model-bias-monitoring-" in x["ProcessingJobArn"], x
    folder = os.path.join(out, datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y/%m/%d/%H"))
    if when <= $T13:
        assert st in ("Completed", "CompletedWithViolations") and "FailureReason" not in x, x
        v = json.load(open(os.path.join(folder, "constraint_violations.json")))["violations"]
        assert (st == "CompletedWithViolations") == bool(v), (st, v)
    else:
        assert st == "Failed" and x["FailureReason"].startswith("no capture files under file://"), x
assert ex[2]["MonitoringExecutionStatus"] == "CompletedWithViolations", ex[2]   # the drifted hour
P
ok "list-monitoring-executions by ScheduledTime, descending" "$w/desc.json" list-monitoring-executions \
    --monitoring-schedule-name adult-income-hourly --sort-by ScheduledTime --sort-order Descending
check "Descending is Ascending reversed" test "$(j "$w/desc.json" '[x["ScheduledTime"] for x in d["MonitoringExecutionSummaries"]][::-1]')" \
    = "$(j "$w/asc.json" '[x["ScheduledTime"] for x in d["MonitoringExecutionSummaries"]]')"
ok "list-monitoring-executions, default order" "$w/dflt.json" list-monitoring-executions --endpoint-name adult-income
check "default order: CreationTime Descending, both schedules" test "$(j "$w/dflt.json" \
    '[[ts(x["CreationTime"]) for x in d["MonitoringExecutionSummaries"]] == sorted([ts(x["CreationTime"]) for x in d["MonitoringExecutionSummaries"]], reverse=True), sorted({x["MonitoringScheduleName"] for x in d["MonitoringExecutionSummaries"]})]')" \
    = '[true, ["adult-income-hourly", "adult-income-nobase"]]'
ok "list-monitoring-executions by Status" "$w/o.json" list-monitoring-executions --monitoring-schedule-name adult-income-hourly --sort-by Status --sort-order Ascending
check "SortBy Status" test "$(j "$w/o.json" '(lambda s: s == sorted(s) and len(s))([x["MonitoringExecutionStatus"] for x in d["MonitoringExecutionSummaries"]])')" \
    = "$(j "$w/asc.json" 'len(d["MonitoringExecutionSummaries"])')"
ok "list-monitoring-executions StatusEquals Failed" "$w/o.json" list-monitoring-executions --monitoring-schedule-name adult-income-hourly --status-equals Failed
check "StatusEquals Failed" test "$(j "$w/o.json" 'sorted(x["ScheduledTime"] for x in d["MonitoringExecutionSummaries"])')" \
    = "$(j "$w/asc.json" '[x["ScheduledTime"] for x in d["MonitoringExecutionSummaries"] if x["MonitoringExecutionStatus"] == "Failed"]')"
ok "list-monitoring-executions of the two-hourly schedule" "$w/o.json" list-monitoring-executions --monitoring-schedule-name adult-income-nobase \
    --sort-by ScheduledTime --sort-order Ascending --scheduled-time-before 2026-11-24T14:30:00Z
check "the updated schedule ran at even hours only; no baseline: Completed" test "$(j "$w/o.json" \
    '[(x["ScheduledTime"][11:16], x["MonitoringExecutionStatus"]) for x in d["MonitoringExecutionSummaries"]]')" \
    = '[["12:00", "Completed"], ["14:00", "Failed"]]'

ok "describe-monitoring-schedule after executions" "$w/s.json" describe-monitoring-schedule --monitoring-schedule-name adult-income-hourly
check "LastMonitoringExecutionSummary is the latest execution" test "$(j "$w/s.json" \
    '[d["LastMonitoringExecutionSummary"][k] for k in ("MonitoringScheduleName", "ScheduledTime", "MonitoringExecutionStatus", "ProcessingJobArn")]')" \
    = "$(j "$w/asc.json" '[d["MonitoringExecutionSummaries"][-1][k] for k in ("MonitoringScheduleName", "ScheduledTime", "MonitoringExecutionStatus", "ProcessingJobArn")]')"

# ---- the processing job of the 12:00 execution and of a failed one
job12=$(j "$w/asc.json" 'd["MonitoringExecutionSummaries"][1]["ProcessingJobArn"].split("/")[-1]')
ok "describe-processing-job (12:00)" "$w/pj.json" describe-processing-job --processing-job-name "$job12"
check "processing job: status, schedule, output folder holding analysis.json" "$PY" - "$w/pj.json" "$w/monitoring/adult-income/adult-income-hourly/2026/11/24/12" "$job12" <<'P'
import json, os, sys
d, folder, name = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
assert d["ProcessingJobName"] == name and d["ProcessingJobArn"].endswith(":processing-job/" + name), d
assert d["ProcessingJobStatus"] == "Completed", d
assert d["MonitoringScheduleArn"].endswith(":monitoring-schedule/adult-income-hourly"), d
uri = d["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
path = uri[len("file://"):] if uri.startswith("file://") else uri
assert os.path.realpath(path) == os.path.realpath(folder), (uri, folder)
assert os.path.isfile(os.path.join(path, "analysis.json")), uri
assert d["ProcessingStartTime"] <= d["ProcessingEndTime"], d
P
jobf=$(j "$w/asc.json" 'd["MonitoringExecutionSummaries"][3]["ProcessingJobArn"].split("/")[-1]')
ok "describe-processing-job (14:00, failed)" "$w/pj.json" describe-processing-job --processing-job-name "$jobf"
check "failed processing job: Failed with the execution's reason" test "$(j "$w/pj.json" '[d["ProcessingJobStatus"], d["FailureReason"] == d["ExitMessage"], d["FailureReason"][:23]]')" \
    = '["Failed", true, "no capture files under "]'

# ---- biasmon run: an on-demand execution for a tick the two-hourly schedule skipped
timeout 60 "$BM_BIN" run adult-income-nobase --at 2026-11-24T13:00:00Z --wait --data-dir "$data" >"$w/run.json" 2>"$w/run.err"; rc=$?
check "biasmon run --at 13:00 --wait: exit 0 (got $rc: $(cat "$w/run.err"))" test "$rc" = 0
check "biasmon run prints the Completed execution" test "$(j "$w/run.json" '[d["MonitoringScheduleName"], d["ScheduledTime"], d["MonitoringExecutionStatus"]]')" \
    = "[\"adult-income-nobase\", $T13, \"Completed\"]"
check "biasmon run wrote the 13:00 analysis" test -s "$w/monitoring/adult-income/adult-income-nobase/2026/11/24/13/analysis.json"
"$BM_BIN" run adult-income-nobase --at 2026-11-24T12:00:00Z --data-dir "$data" >/dev/null 2>"$w/run.err"; rc=$?
check "biasmon run for a tick that has an execution: refused, exit 3 (got $rc: $(cat "$w/run.err"))" \
    sh -c '[ "$1" = 3 ] && grep -q "already has an execution for 2026-11-24T12:00:00Z" "$2"' _ "$rc" "$w/run.err"

# ---- start again: the stopped period is not backfilled, the schedule continues
sleep 1 # more service hours pass while stopped
ok "start-monitoring-schedule" "$w/o.json" start-monitoring-schedule --monitoring-schedule-name adult-income-hourly
ok "describe the started schedule" "$w/started.json" describe-monitoring-schedule --monitoring-schedule-name adult-income-hourly
check "started: Scheduled" test "$(j "$w/started.json" 'd["MonitoringScheduleStatus"]')" = Scheduled
started=$(j "$w/started.json" 'ts(d["LastModifiedTime"])')
more=no
for _ in $(seq 1 80); do
    "$BM_BIN" call --data-dir "$data" ListMonitoringExecutions '{"MonitoringScheduleName": "adult-income-hourly", "MaxResults": 100}' >"$w/all.json" 2>/dev/null &&
        [ "$(j "$w/all.json" "sum(x['ScheduledTime'] > $started for x in d['MonitoringExecutionSummaries'])")" -ge 1 ] && { more=yes; break; }
    sleep 0.25
done
check "started: new executions appear" test "$more" = yes
ok "stop-monitoring-schedule again" "$w/o.json" stop-monitoring-schedule --monitoring-schedule-name adult-income-hourly
check "no execution for the ticks while stopped" test "$(j "$w/all.json" \
    "[x['ScheduledTime'] for x in d['MonitoringExecutionSummaries'] if $(j "$w/stopped.json" 'ts(d["LastModifiedTime"])') < x['ScheduledTime'] <= $started]")" = '[]'

# ---- delete: the job definition only once no schedule uses it; executions stay listed
ok "delete-monitoring-schedule" "$w/o.json" delete-monitoring-schedule --monitoring-schedule-name adult-income-hourly
refused "describe the deleted schedule" ResourceNotFound 'adult-income-hourly' describe-monitoring-schedule --monitoring-schedule-name adult-income-hourly
ok "list executions of the deleted schedule" "$w/o.json" list-monitoring-executions --monitoring-schedule-name adult-income-hourly --max-items 100
check "past executions are kept" test "$(j "$w/o.json" 'len(d["MonitoringExecutionSummaries"]) >= 5')" = true
ok "delete-model-bias-job-definition once unused" "$w/o.json" delete-model-bias-job-definition --job-definition-name adult-income-bias
refused "describe the deleted job definition" ResourceNotFound 'adult-income-bias' describe-model-bias-job-definition --job-definition-name adult-income-bias

stop_daemon
check "second daemon: SIGTERM exit status 0 (got $stop_rc)" test "$stop_rc" = 0
check "no sanitizer report in the workers' logs ($(grep -rlE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$w"/*/executions 2>/dev/null | head -n 3 | tr '\n' ' '))" \
    sh -c '! grep -rqE "ERROR: [A-Za-z]+Sanitizer|runtime error:" "$@" 2>/dev/null' _ "$w"/*/executions
if [ "$fails" -gt 0 ]; then
    for log in "$w"/serve*.log; do
        echo "--- $log (sanitizer reports, else the last lines)"
        grep -q '^==[0-9]*==ERROR' "$log" && sed -n '/^==[0-9]*==ERROR/,$p' "$log" | head -n 40 || tail -n 15 "$log"
    done
fi
echo "serve_awscli: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
