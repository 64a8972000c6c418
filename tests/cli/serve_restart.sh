#!/usr/bin/env bash
# Crash and stop behaviour of biasmon serve on one data directory:
#  1. SIGTERM with nothing running: exit status 0, serve.json removed.
#  2. kill -9 while an execution is InProgress (a 4-hour window over 80,000 captured records, one
#     worker): the worker dies with the daemon (PR_SET_PDEATHSIG), and no output file is torn
#     (every JSON parses; only final names, or dot-prefixed temporaries).
#  3. Restart, later on the clock: the interrupted execution is Failed with a reason that starts
#     "interrupted by restart"; the ticks missed while down are not backfilled, the latest one runs
#     once and the schedule continues; biasmon run --at the interrupted tick runs it again, and
#     refuses a second run once it has completed.
#  4. SIGTERM during an execution with --shutdown-grace 0: the execution is stopped and recorded
#     as Failed, the daemon still exits 0 and removes serve.json; an execution still queued
#     (Pending: one at a time per schedule) stays queued and runs after the next start.
#     Meanwhile a second biasmon serve on the same data directory is refused (exit 3, naming the
#     holder) and leaves the running execution and serve.json alone.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
PY=/usr/bin/python3
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
[ -x "$PY" ] || { echo "FAIL: $PY is missing"; exit 1; }
w=$(mktemp -d)
d=$(mktemp -d) # data directories beside $w: the service may use $w (--allow-root), which may not hold them
data="$d/data" pid="" worker=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    [ -n "$worker" ] && kill -KILL "$worker" 2>/dev/null
    [ -n "${BM_KEEP:-}" ] && echo "kept $w $d" || rm -rf "$w" "$d"
}
trap cleanup EXIT
j() { # FILE EXPR: a Python expression over d, the JSON in FILE
    "$PY" - "$@" <<'P'
import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r))
P
}
call() { "$BM_BIN" call --data-dir "$data" "$@"; }
n=0
start_daemon() { # serve settings...; the log is $w/serve$n.log
    n=$((n + 1))
    rm -f "$data/serve.json"
    log="$w/serve$n.log"
    "$BM_BIN" serve --data-dir "$data" --listen 127.0.0.1:0 --allow-root "$w" --allow-root "$BM_SOURCE_DIR/data" --poll-ms 20 --workers 1 "$@" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        [ -s "$data/serve.json" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve$n.log"; exit 1; }
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
# wait_status TIME STATUS...: polls (about 20 s at most) until the execution of hourly at TIME has one of the statuses
wait_status() {
    local t=$1; shift
    for _ in $(seq 1 400); do
        call ListMonitoringExecutions "{\"MonitoringScheduleName\": \"hourly\", \"ScheduledTimeAfter\": $((t - 1)), \"ScheduledTimeBefore\": $((t + 1))}" \
            >"$w/ex.json" 2>/dev/null
        st=$(j "$w/ex.json" '(d["MonitoringExecutionSummaries"] or [{}])[0].get("MonitoringExecutionStatus", "none")' 2>/dev/null)
        for s in "$@"; do [ "$st" = "$s" ] && return 0; done
        sleep 0.05
    done
    return 1
}
T12=1795521600 T13=1795525200 T14=1795528800 T15=1795532400

# ---- 80,000 captured records from 08:00 to 12:00; every hourly execution reads the 4 hours before it
"$PY" "$BM_SOURCE_DIR/scripts/make_sample_monitoring.py" --out "$w/traffic" --start 2026-11-24T08:00:00Z \
    --hours 4 --per-hour 20000 --drift-from 2 >/dev/null || { echo "FAIL: make_sample_monitoring.py"; exit 1; }

# ================================================================ 1. set-up, then SIGTERM
start_daemon --time-scale 1 --time-start 2026-11-24T11:30:00Z
call CreateEndpointConfig "{\"EndpointConfigName\": \"adult-income-config\",
  \"ProductionVariants\": [{\"VariantName\": \"AllTraffic\"}],
  \"DataCaptureConfig\": {\"InitialSamplingPercentage\": 100, \"DestinationS3Uri\": \"file://$w/traffic/capture\",
    \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}}" >/dev/null &&
call CreateEndpoint '{"EndpointName": "adult-income", "EndpointConfigName": "adult-income-config"}' >/dev/null &&
call CreateModelBiasJobDefinition "{\"JobDefinitionName\": \"adult-income-bias\",
 \"ModelBiasAppSpecification\": {\"ImageUri\": \"biasmon\", \"ConfigUri\": \"file://$BM_SOURCE_DIR/data/sample-monitoring/analysis_config.json\"},
 \"ModelBiasJobInput\": {\"EndpointInput\": {\"EndpointName\": \"adult-income\", \"LocalPath\": \"/opt/ml/processing/input/endpoint\",
     \"StartTimeOffset\": \"-PT4H\", \"EndTimeOffset\": \"-PT0H\", \"InferenceAttribute\": \"0\"},
   \"GroundTruthS3Input\": {\"S3Uri\": \"file://$w/traffic/ground-truth\"}},
 \"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": {\"S3Uri\": \"file://$w/monitoring\", \"LocalPath\": \"/opt/ml/processing/output\"}}]},
 \"JobResources\": {\"ClusterConfig\": {\"InstanceCount\": 1, \"InstanceType\": \"ml.m5.xlarge\", \"VolumeSizeInGB\": 30}},
 \"RoleArn\": \"arn:aws:iam::123456789012:role/biasmon-test\"}" >/dev/null &&
call CreateMonitoringSchedule '{"MonitoringScheduleName": "hourly", "MonitoringScheduleConfig": {"ScheduleConfig":
  {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "adult-income-bias"}}' >/dev/null
check "set-up calls" test $? = 0
stop_daemon
check "SIGTERM, nothing running: exit status 0 (got $stop_rc)" test "$stop_rc" = 0
check "SIGTERM: serve.json removed" test ! -e "$data/serve.json"
check "SIGTERM: the state survives" test -s "$data/state.db"

# ================================================================ 2. kill -9 during the 12:00 execution
start_daemon --time-scale 1 --time-start 2026-11-24T11:59:59Z
wait_status $T12 InProgress Completed CompletedWithViolations Failed
check "the 12:00 execution is InProgress (got ${st:-nothing})" test "${st:-}" = InProgress
worker=$(sed -n 's/.*event=execution_started .* pid=\([0-9]*\) .*/\1/p' "$w/serve$n.log" | head -n 1)
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""
gone=no
for _ in $(seq 1 100); do
    [ -n "$worker" ] && ! kill -0 "$worker" 2>/dev/null && { gone=yes; break; }
    sleep 0.05
done
check "the worker ($worker) died with the daemon" test "$gone" = yes
[ "$gone" = yes ] && worker=""
check "no torn output file under the output folder" "$PY" - "$w/monitoring" <<'P'
import json, os, sys
final = {"analysis.json", "constraint_violations.json", "cloudwatch_metrics.jsonl", "execution.json"}
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(d, f)
        if f.startswith("."):
            continue                       # a temporary, never renamed into place
        assert f in final, f"unexpected file {p}"
        text = open(p).read()
        if f.endswith(".jsonl"):
            [json.loads(l) for l in text.splitlines()]
        else:
            json.loads(text)
P

# ================================================================ 3. restart at 15:10: recovery
start_daemon --time-scale 3600 --time-start 2026-11-24T15:10:00Z
call ListMonitoringExecutions '{"MonitoringScheduleName": "hourly", "ScheduledTimeBefore": 1795530000}' >"$w/ex.json"
check "the interrupted execution is Failed: interrupted by restart" test "$(j "$w/ex.json" \
    '[(x["ScheduledTime"], x["MonitoringExecutionStatus"], x.get("FailureReason", "")[:22]) for x in d["MonitoringExecutionSummaries"]]')" \
    = "[[$T12, \"Failed\", \"interrupted by restart\"]]"
check "the log reports the recovery" grep -q 'event=recovered interrupted_executions=1' "$w/serve$n.log"
wait_status $T15 Completed CompletedWithViolations Failed
check "the schedule continues: the latest missed tick (15:00) ran (got ${st:-nothing})" \
    sh -c '[ "$1" = Completed ] || [ "$1" = CompletedWithViolations ]' _ "${st:-}"
call ListMonitoringExecutions '{"MonitoringScheduleName": "hourly", "SortBy": "ScheduledTime", "SortOrder": "Ascending", "MaxResults": 100}' >"$w/ex.json"
check "the ticks missed while down (13:00, 14:00) were not backfilled" test "$(j "$w/ex.json" \
    "[x['ScheduledTime'] for x in d['MonitoringExecutionSummaries'] if x['ScheduledTime'] in ($T13, $T14)]")" = '[]'
call DescribeMonitoringSchedule '{"MonitoringScheduleName": "hourly"}' >"$w/s.json"
check "the schedule is still Scheduled" test "$(j "$w/s.json" 'd["MonitoringScheduleStatus"]')" = Scheduled
call StopMonitoringSchedule '{"MonitoringScheduleName": "hourly"}' >/dev/null
# the interrupted tick runs again on demand (its Failed record goes back to Pending); once it has
# completed, a second run of it is refused
timeout 60 "$BM_BIN" run hourly --at 2026-11-24T12:00:00Z --wait --data-dir "$data" >"$w/run.json" 2>"$w/run.err"; rc=$?
check "biasmon run --at the interrupted tick --wait: exit 0 or 1 (got $rc: $(cat "$w/run.err"))" sh -c '[ "$1" = 0 ] || [ "$1" = 1 ]' _ "$rc"
call ListMonitoringExecutions "{\"MonitoringScheduleName\": \"hourly\", \"ScheduledTimeBefore\": $((T12 + 1))}" >"$w/ex.json"
check "the re-run reused the tick's record: one execution for 12:00, completed, no reason" test "$(j "$w/ex.json" \
    '[(x["ScheduledTime"], x["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations"), x.get("FailureReason")) for x in d["MonitoringExecutionSummaries"]]')" \
    = "[[$T12, true, null]]"
check "the re-run wrote the 12:00 analysis" test -s "$w/monitoring/adult-income/hourly/2026/11/24/12/analysis.json"
"$BM_BIN" run hourly --at 2026-11-24T12:00:00Z --data-dir "$data" >/dev/null 2>"$w/run.err"; rc=$?
check "biasmon run for a completed tick: refused, exit 3 (got $rc: $(cat "$w/run.err"))" \
    sh -c '[ "$1" = 3 ] && grep -q "already has an execution for 2026-11-24T12:00:00Z" "$2"' _ "$rc" "$w/run.err"
stop_daemon
check "after recovery: SIGTERM exit status 0 (got $stop_rc)" test "$stop_rc" = 0

# ================================================================ 4. SIGTERM during an execution, no grace
start_daemon --time-scale 1 --time-start 2026-11-24T18:00:00Z --shutdown-grace 0
"$BM_BIN" run hourly --at 2026-11-24T13:00:00Z --data-dir "$data" 2>"$w/run.err" &&
    "$BM_BIN" run hourly --at 2026-11-24T14:00:00Z --data-dir "$data" 2>>"$w/run.err"
check "biasmon run for 13:00 and 14:00 (ticks skipped while down): queued ($(cat "$w/run.err"))" test $? = 0
wait_status $T13 InProgress Completed CompletedWithViolations Failed
check "the 13:00 execution is InProgress (got ${st:-nothing})" test "${st:-}" = InProgress
wait_status $T14 Pending
check "the 14:00 execution waits its turn: Pending (got ${st:-nothing})" test "${st:-}" = Pending
# a second biasmon serve on the same data directory, on a free port and on the first one's port:
# refused with exit status 3, naming the holder, before it touches anything
port=$(j "$data/serve.json" 'str(d["port"])')
for listen in 127.0.0.1:0 "127.0.0.1:$port"; do
    timeout 30 "$BM_BIN" serve --data-dir "$data" --listen "$listen" --poll-ms 20 >"$w/second.log" 2>&1; rc=$?
    check "a second serve ($listen) on the data directory: exit 3 naming pid $pid (got $rc: $(head -c 300 "$w/second.log"))" \
        sh -c '[ "$1" = 3 ] && grep -q "in use by another biasmon serve (pid $2)" "$3"' _ "$rc" "$pid" "$w/second.log"
done
check "the second serve left serve.json alone" test "$(j "$data/serve.json" 'str(d["pid"])')" = "$pid"
wait_status $T13 InProgress
check "the second serve left the running execution InProgress (got ${st:-nothing})" test "${st:-}" = InProgress
worker=$(sed -n 's/.*event=execution_started .* pid=\([0-9]*\) .*/\1/p' "$w/serve$n.log" | head -n 1)
stop_daemon
check "SIGTERM during an execution: exit status 0 (got $stop_rc)" test "$stop_rc" = 0
check "SIGTERM during an execution: serve.json removed" test ! -e "$data/serve.json"
check "SIGTERM during an execution: the worker is gone" sh -c '[ -n "$1" ] && ! kill -0 "$1" 2>/dev/null' _ "$worker"
worker=""
start_daemon --time-scale 1 --time-start 2026-11-24T18:10:00Z
wait_status $T13 Completed CompletedWithViolations Failed Stopped
call ListMonitoringExecutions '{"MonitoringScheduleName": "hourly", "StatusEquals": "Failed", "SortBy": "ScheduledTime", "SortOrder": "Ascending"}' >"$w/ex.json"
check "the stopped execution is Failed: the service stopped during it" test "$(j "$w/ex.json" \
    '[(x["ScheduledTime"], x.get("FailureReason", "")) for x in d["MonitoringExecutionSummaries"] if x["ScheduledTime"] == '$T13']')" \
    = "[[$T13, \"biasmon serve stopped during the execution\"]]"
# 14:00 never started: an execution left Pending stays queued and runs after the restart (docs/serve.md)
wait_status $T14 Completed CompletedWithViolations Failed Stopped
call ListMonitoringExecutions "{\"MonitoringScheduleName\": \"hourly\", \"ScheduledTimeAfter\": $((T14 - 1)), \"ScheduledTimeBefore\": $((T14 + 1))}" >"$w/ex.json"
check "the queued 14:00 execution ran after the restart (not interrupted)" test "$(j "$w/ex.json" \
    '[x["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations", "Failed") and not x.get("FailureReason", "").startswith("interrupted") for x in d["MonitoringExecutionSummaries"]]')" \
    = '[true]'
check "no execution was interrupted this time" sh -c '! grep -q "event=recovered" "$1"' _ "$w/serve$n.log"
stop_daemon
check "last daemon: SIGTERM exit status 0 (got $stop_rc)" test "$stop_rc" = 0

check "no sanitizer report in the workers' logs ($(grep -rlE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$w"/*/executions 2>/dev/null | head -n 3 | tr '\n' ' '))" \
    sh -c '! grep -rqE "ERROR: [A-Za-z]+Sanitizer|runtime error:" "$@" 2>/dev/null' _ "$w"/*/executions
if [ "$fails" -gt 0 ]; then
    for log in "$w"/serve*.log; do
        echo "--- $log (sanitizer reports, else the last lines)"
        grep -q '^==[0-9]*==ERROR' "$log" && sed -n '/^==[0-9]*==ERROR/,$p' "$log" | head -n 40 || tail -n 8 "$log"
    done
fi
echo "serve_restart: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
