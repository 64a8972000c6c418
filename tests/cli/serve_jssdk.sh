#!/usr/bin/env bash
# The AWS SDK for JavaScript v3 (@aws-sdk/client-sagemaker, @aws-sdk/client-s3, installed from npm
# into tests/js by scripts/deps.sh test) drives a SageMaker Model Monitor user's whole lifecycle
# against biasmon serve with everything in S3 (moto's server on loopback): the endpoint, the
# baseline processing job, the job definition and schedules, the execution, its outputs, stop,
# start, delete (tests/js/lifecycle.mjs). The outputs in S3 must be byte-identical to what
# `biasmon analyze` and `biasmon execute` write on local files.
# The service clock starts at 2026-11-24T12:00:00Z and runs 1,000 times slower than real time, so
# the one-time ("NOW") schedule runs for 12:00 over the sample's 11:00 hour however long the
# steps before it take.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
js=$BM_SOURCE_DIR/tests/js
[ -d "$js/node_modules/@aws-sdk/client-sagemaker" ] ||
    { echo "FAIL: the JavaScript SDK is missing in tests/js (scripts/deps.sh test installs it with npm ci)"; exit 1; }
. "$BM_SOURCE_DIR/tests/cli/lib/s3_servers.sh"
find_python 'import moto.server'
w=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1

# ---- what biasmon writes on local files for the same inputs
src=$BM_SOURCE_DIR/data
# the demo's baseline: the Adult data with the demo model's predictions, and its analysis
(cd "$BM_SOURCE_DIR" && DEMO_OUT="$w/local/base" DEMO_STEPS=baseline bash scripts/demo.sh "$BM_BIN") >"$w/demo.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; cat "$w/demo.log"; exit 1; }
"$PY" - "$src/sample-monitoring/job_definition.json" "$w" "$src/sample-monitoring" <<'P'
import json, sys
jd = json.load(open(sys.argv[1]))
w, sample = sys.argv[2], sys.argv[3]
jd["ModelBiasAppSpecification"]["ConfigUri"] = sample + "/analysis_config.json"
jd["ModelBiasBaselineConfig"]["ConstraintsResource"]["S3Uri"] = w + "/local/base/analysis.json"
jd["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"] = sample + "/ground-truth"
jd["ModelBiasJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"] = w + "/local/out"
json.dump(jd, open(w + "/jd.json", "w"))
P
"$BM_BIN" execute --job-definition "$w/jd.json" --scheduled-time 2026-11-24T12:00:00Z \
    --capture-uri "$src/sample-monitoring/capture" --schedule-name bias-now 2>"$w/execute.err"; rc=$?
[ "$rc" = 1 ] || { echo "FAIL: local execute exited $rc, not 1 (violations)"; cat "$w/execute.err"; exit 1; }

# ---- moto's S3 server and the daemon, both on loopback
start_moto s3
AWS_ENDPOINT_URL_S3=$s3 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing-secret \
    "$BM_BIN" serve --data-dir "$w/data" --listen 127.0.0.1:0 --poll-ms 50 \
    --time-start 2026-11-24T12:00:00Z --time-scale 0.001 >"$w/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do [ -s "$w/data/serve.json" ] && break; sleep 0.1; done
[ -s "$w/data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }

BM_SOURCE_DIR=$BM_SOURCE_DIR BM_DATA_DIR="$w/data" BM_LOCAL_DIR="$w/local" BM_S3_ENDPOINT=$s3 \
    NODE_NO_WARNINGS=1 timeout 600 node "$js/lifecycle.mjs" >"$w/js.out" 2>&1
grep -v '^js ' "$w/js.out"
read -r _ passes fails < <(grep '^js ' "$w/js.out") || { echo "FAIL: the JavaScript part did not finish"; tail -n 30 "$w/serve.log"; exit 1; }
echo "serve_jssdk: $passes passed, $fails failed"
[ "$fails" = 0 ]
