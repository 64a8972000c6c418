#!/usr/bin/env bash
# The main job on embedded defaults: the whole bias drift monitoring story, end to end.
#
#  1. A baseline: biasmon analyze on the shipped Adult data set with a "Prediction" column from a
#     documented rule that stands in for a model:
#         predict ">50K" when education-num >= 13 and hours-per-week >= 40, or capital-gain >= 7000;
#         otherwise "<=50K".
#  2. 24 hours of simulated traffic of an endpoint serving that rule, with ground truth uploaded an
#     hour later (scripts/make_sample_monitoring.py); from noon the model drifts: it also turns down
#     women working fewer than 45 hours a week.
#  3. biasmon serve on a fresh data directory, its clock running 3600 times faster than real time.
#  4. Through the API (signed requests, as the aws CLI would send): an endpoint with data capture,
#     a model bias job definition (the baseline as constraints) and an hourly monitoring schedule.
#  5. The scheduler runs the 24 ticks; the demo prints every execution with its metrics,
#     violations and output folder, then stops the service.
#  6. The same 24 hours under the statistical alarm rule (docs/alarms.md), a second schedule on a
#     job definition with Environment BIASMON_ALARM_RULE=statistical, shown side by side.
# DEMO_OUT=DIR puts the outputs elsewhere (default out/demo); DEMO_STEPS=baseline stops after step 1.
set -euo pipefail
bin=$(realpath "${1:-build/biasmon}")
root=$(cd "$(dirname "$0")/.." && pwd)
out=${DEMO_OUT:-$root/out/demo}
mkdir -p "$out"
out=$(cd "$out" && pwd)
data="$out-service" # beside the outputs: the service may read and write only in --allow-root $out
rm -rf "$data" "$out/service" "$out/traffic" "$out/monitoring"

echo "== 1. baseline: biasmon analyze on the Adult data set (32,561 rows)"
awk -F', ' 'BEGIN { OFS = "," }
    NF < 15 { next }
    NR == 1 { $1 = $1; print $0, "Prediction"; next }
    { $1 = $1; pred = (($5 >= 13 && $13 >= 40) || $11 >= 7000) ? ">50K" : "<=50K"; print $0, pred }' \
    "$root/data/adult/adult.csv" >"$out/adult_with_predictions.csv"
"$bin" analyze --analysis-config "$root/data/adult/analysis_config.json" \
    --dataset "$out/adult_with_predictions.csv" --output "$out"
python3 - "$out/analysis.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
for stage, title in (("pre_training_bias_metrics", "pre-training"), ("post_training_bias_metrics", "post-training")):
    s = a[stage]
    for facet, entries in s["facets"].items():
        for e in entries:
            vals = "  ".join(f"{m['name']}={m['value']:.3f}" if isinstance(m["value"], (int, float)) else f"{m['name']}=error"
                             for m in e["metrics"])
            print(f"   {title:13} {facet}={e['value_or_threshold']}: {vals}")
PY

[ "${DEMO_STEPS:-all}" = baseline ] && exit 0

echo "== 2. 24 hours of captured traffic with ground truth (drift from 12:00)"
python3 "$root/scripts/make_sample_monitoring.py" --out "$out/traffic" --start 2026-11-24T00:00:00Z \
    --hours 24 --per-hour 600 --drift-from 12 | sed 's/^/   /'

echo "== 3. biasmon serve (clock x3600: an hour a second)"
"$bin" serve --data-dir "$data" --listen 127.0.0.1:0 --time-scale 3600 --allow-root "$out" --allow-root "$root/data" \
    --time-start 2026-11-23T23:30:00Z --poll-ms 50 --workers 2 >"$out/service.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -f "$data/serve.json" ] && break; sleep 0.1; done
[ -f "$data/serve.json" ] || { echo "biasmon serve did not start:"; cat "$out/service.log"; exit 1; }
url=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['endpoint_url'])" "$data/serve.json")
echo "   listening: $url" \
     "(data directory $data, log $out/service.log)"
echo "   dashboard while the demo runs: $url/ui"

echo "== 4. endpoint, job definition and hourly schedule through the API"
call() { "$bin" call --data-dir "$data" "$@" >/dev/null; echo "   $1"; }
call CreateEndpointConfig "{\"EndpointConfigName\": \"adult-income-config\",
  \"ProductionVariants\": [{\"VariantName\": \"AllTraffic\", \"ModelName\": \"adult-rule\"}],
  \"DataCaptureConfig\": {\"EnableCapture\": true, \"InitialSamplingPercentage\": 100,
    \"DestinationS3Uri\": \"file://$out/traffic/capture\",
    \"CaptureOptions\": [{\"CaptureMode\": \"Input\"}, {\"CaptureMode\": \"Output\"}]}}"
call CreateEndpoint '{"EndpointName": "adult-income", "EndpointConfigName": "adult-income-config"}'
call CreateModelBiasJobDefinition "{\"JobDefinitionName\": \"adult-income-bias\",
  \"ModelBiasAppSpecification\": {\"ImageUri\": \"biasmon\", \"ConfigUri\": \"file://$root/data/sample-monitoring/analysis_config.json\"},
  \"ModelBiasBaselineConfig\": {\"ConstraintsResource\": {\"S3Uri\": \"file://$out/analysis.json\"}},
  \"ModelBiasJobInput\": {\"EndpointInput\": {\"EndpointName\": \"adult-income\", \"LocalPath\": \"/opt/ml/processing/input/endpoint\",
      \"StartTimeOffset\": \"-PT1H\", \"EndTimeOffset\": \"-PT0H\", \"InferenceAttribute\": \"0\"},
    \"GroundTruthS3Input\": {\"S3Uri\": \"file://$out/traffic/ground-truth\"}},
  \"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": {\"S3Uri\": \"file://$out/monitoring\", \"LocalPath\": \"/opt/ml/processing/output\"}}]},
  \"JobResources\": {\"ClusterConfig\": {\"InstanceCount\": 1, \"InstanceType\": \"ml.m5.xlarge\", \"VolumeSizeInGB\": 30}},
  \"RoleArn\": \"arn:aws:iam::123456789012:role/biasmon-demo\", \"StoppingCondition\": {\"MaxRuntimeInSeconds\": 1800}}"
call CreateModelBiasJobDefinition "{\"JobDefinitionName\": \"adult-income-bias-stat\",
  \"ModelBiasAppSpecification\": {\"ImageUri\": \"biasmon\", \"ConfigUri\": \"file://$root/data/sample-monitoring/analysis_config.json\",
    \"Environment\": {\"BIASMON_ALARM_RULE\": \"statistical\"}},
  \"ModelBiasBaselineConfig\": {\"ConstraintsResource\": {\"S3Uri\": \"file://$out/analysis.json\"}},
  \"ModelBiasJobInput\": {\"EndpointInput\": {\"EndpointName\": \"adult-income\", \"LocalPath\": \"/opt/ml/processing/input/endpoint\",
      \"StartTimeOffset\": \"-PT1H\", \"EndTimeOffset\": \"-PT0H\", \"InferenceAttribute\": \"0\"},
    \"GroundTruthS3Input\": {\"S3Uri\": \"file://$out/traffic/ground-truth\"}},
  \"ModelBiasJobOutputConfig\": {\"MonitoringOutputs\": [{\"S3Output\": {\"S3Uri\": \"file://$out/monitoring\", \"LocalPath\": \"/opt/ml/processing/output\"}}]},
  \"JobResources\": {\"ClusterConfig\": {\"InstanceCount\": 1, \"InstanceType\": \"ml.m5.xlarge\", \"VolumeSizeInGB\": 30}},
  \"RoleArn\": \"arn:aws:iam::123456789012:role/biasmon-demo\", \"StoppingCondition\": {\"MaxRuntimeInSeconds\": 1800}}"
call CreateMonitoringSchedule '{"MonitoringScheduleName": "adult-income-hourly",
  "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
    "MonitoringJobDefinitionName": "adult-income-bias", "MonitoringType": "ModelBias"}}'
call CreateMonitoringSchedule '{"MonitoringScheduleName": "adult-income-hourly-stat",
  "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
    "MonitoringJobDefinitionName": "adult-income-bias-stat", "MonitoringType": "ModelBias"}}'

echo "== 5. the scheduler runs 24 hourly executions of each schedule"
listof() { echo "{\"MonitoringScheduleName\": \"$1\", \"SortBy\": \"ScheduledTime\", \"SortOrder\": \"Ascending\", \"MaxResults\": 100}"; }
for _ in $(seq 1 600); do
    "$bin" call --data-dir "$data" ListMonitoringExecutions "$(listof adult-income-hourly)" >"$out/executions.json"
    "$bin" call --data-dir "$data" ListMonitoringExecutions "$(listof adult-income-hourly-stat)" >"$out/executions-stat.json"
    # done when the execution of the last tick (2026-11-25T00:00Z) has finished on both
    done=$(python3 -c "import json,sys; e=[x for f in sys.argv[1:] for x in json.load(open(f))['MonitoringExecutionSummaries']]; \
print(sum(1 for x in e if x['ScheduledTime'] == 1795564800 and x['MonitoringExecutionStatus'] not in ('Pending','InProgress')))" \
        "$out/executions.json" "$out/executions-stat.json")
    [ "$done" -ge 2 ] && break
    sleep 0.2
done
python3 - "$out/executions.json" "$out/monitoring" "$out/executions-stat.json" <<'PY'
import json, os, sys, time
ex = [e for e in json.load(open(sys.argv[1]))["MonitoringExecutionSummaries"] if e["ScheduledTime"] <= 1795564800]
stat = {e["ScheduledTime"]: e for e in json.load(open(sys.argv[3]))["MonitoringExecutionSummaries"]}
print("   SageMaker's rule (adult-income-hourly) and the statistical rule (adult-income-hourly-stat, docs/alarms.md)")
print(f"   {'scheduled (UTC)':17} {'status':24} {'DI':>6} {'DPPL':>6} {'CDDPL':>6} {'viol.':>5}  {'statistical rule':24} alarms")
for e in ex:
    t = time.strftime("%Y-%m-%d %H:%M", time.gmtime(e["ScheduledTime"]))
    d = os.path.join(sys.argv[2], "adult-income", "adult-income-hourly", time.strftime("%Y/%m/%d/%H", time.gmtime(e["ScheduledTime"])))
    vals, nviol = {}, ""
    try:
        a = json.load(open(os.path.join(d, "analysis.json")))
        vals = {m["name"]: m["value"] for m in a["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]}
        nviol = len(json.load(open(os.path.join(d, "constraint_violations.json")))["violations"])
    except (OSError, KeyError, TypeError, IndexError):
        pass
    f = lambda k: f"{vals[k]:6.3f}" if isinstance(vals.get(k), (int, float)) else f"{'-':>6}"
    s = stat.get(e["ScheduledTime"], {})
    alarms = ""
    try:
        sd = d.replace("adult-income-hourly", "adult-income-hourly-stat")
        alarms = " ".join(v["metric_name"] for v in json.load(open(os.path.join(sd, "constraint_violations.json")))["violations"])
    except (OSError, KeyError, TypeError):
        pass
    print(f"   {t:17} {e['MonitoringExecutionStatus']:24} {f('DI')} {f('DPPL')} {f('CDDPL')} {str(nviol):>5}  "
          f"{s.get('MonitoringExecutionStatus', '-'):24} {alarms}")
    if e.get("FailureReason"):
        print(f"   {'':17} {e['FailureReason']}")
print(f"\n   outputs: {os.path.join(sys.argv[2], 'adult-income', 'adult-income-hourly')}/yyyy/mm/dd/HH/ and"
      " .../adult-income-hourly-stat/ (bias_evidence.json: every test with its interval and threshold)")
print(f"\n   {len(ex)} executions (the first, at midnight, has no traffic to analyse);"
      " metrics for Prometheus are at GET /metrics while the service runs")
PY
kill -TERM $pid; wait $pid || true; trap - EXIT
# every execution folder holds report.html beside analysis.json: the last one that found violations
reports=$(find "$out/monitoring/adult-income/adult-income-hourly" -name report.html | sort)
last=""
for r in $reports; do [ -s "$(dirname "$r")/constraint_violations.json" ] &&
    grep -q '"metric_name"' "$(dirname "$r")/constraint_violations.json" && last=$r; done
echo "== reports for people: $(echo "$reports" | grep -c . ) report.html, one beside each analysis.json (open in any"
echo "   browser, no network needed), e.g. the last execution with violations:"
echo "   ${last:-$(echo "$reports" | tail -1)}"
echo "== the dashboard (/ui): every schedule, each metric over time with its baseline, band and violations,"
echo "   the executions and their reports. The service stopped with the demo; to browse it again, run"
echo "   $bin serve --data-dir $data --allow-root $out --allow-root $root/data --time-start 2026-11-25T00:30:00Z"
echo "   and open http://127.0.0.1:8080/ui (its clock resumes after the demo's day: no tick is due for a while)"
echo "== done: outputs under $out"
