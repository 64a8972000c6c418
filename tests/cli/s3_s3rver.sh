#!/usr/bin/env bash
# biasmon over s3:// against an S3 server that verifies SigV4 signatures: s3rver 5.0.0
# (@20minutes/s3rver, npm, installed into tests/js by scripts/deps.sh test, started by
# tests/js/s3rver.mjs). First the server is shown to check signatures (boto3 with a wrong secret is
# SignatureDoesNotMatch), so that every request of biasmon's that passes here was signed right:
# GET, ranged GET, HEAD, PUT, DELETE and ListObjectsV2 with prefixes, delimiters and continuation
# tokens (BIASMON_S3_MAX_KEYS=2: pages of two keys; s3rver's tokens are base64, with '+', '/' and
# '='), over keys that need URI-encoding (blanks, '=', '+', parentheses, non-ASCII). `analyze` and
# `execute` write the same outputs as over local files; with a wrong secret they fail, naming
# S3's code, the bucket and the key, never the secret.
# s3rver's own limits, which the test works around rather than biasmon: a delimited listing misses
# a folder that holds only folders (its walk of the data directory stops a level too deep: listing
# "capture/ep-1/" with delimiter "/" is empty, boto3's too), so each capture variant folder holds
# one plain object besides its hour folders, and the windows are shorter than a day (their hour
# folders are looked at directly rather than found by listing years, months and days).
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}" "${BM_GOLDEN_DIR:?}"
js=$BM_SOURCE_DIR/tests/js
[ -f "$js/node_modules/@20minutes/s3rver/package.json" ] ||
    { echo "FAIL: @20minutes/s3rver is missing in tests/js (scripts/deps.sh test installs it with npm ci)"; exit 1; }
data="$BM_GOLDEN_DIR/basic_binary_cat_facet/data.csv"
[ -f "$data" ] || { echo "missing $data"; exit 1; }
. "$BM_SOURCE_DIR/tests/cli/lib/s3_servers.sh"
find_python 'import boto3'
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    PYTHONNOUSERSITE=1 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER

# ---- s3rver on loopback (30 s at most to start)
port=$(free_port)
mkdir -p "$w/s3rver"
(cd "$js" && exec node --openssl-legacy-provider s3rver.mjs "$w/s3rver" "$port" ml-data) >"$w/s3rver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do grep -q '^listening' "$w/s3rver.log" && break; sleep 0.1; done
grep -q '^listening' "$w/s3rver.log" || { echo "FAIL: s3rver did not start"; cat "$w/s3rver.log"; exit 1; }
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port

# ---- the server checks signatures: the right secret passes, a wrong one is SignatureDoesNotMatch
check "s3rver refuses a request signed with a wrong secret, and takes the right one" "$PY" - <<'P'
import boto3, botocore, os
ep = os.environ["AWS_ENDPOINT_URL_S3"]
ok = boto3.client("s3", endpoint_url=ep)
ok.put_object(Bucket="ml-data", Key="probe", Body=b"1")
bad = boto3.client("s3", endpoint_url=ep, aws_access_key_id="S3RVER", aws_secret_access_key="WRONG-SECRET",
                   config=botocore.config.Config(retries={"max_attempts": 1}))
for call in (lambda: bad.get_object(Bucket="ml-data", Key="probe"),
             lambda: bad.list_objects_v2(Bucket="ml-data", Prefix="p", Delimiter="/"),
             lambda: bad.put_object(Bucket="ml-data", Key="probe", Body=b"2")):
    try:
        call()
        raise SystemExit("a wrongly signed request was accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "SignatureDoesNotMatch", e.response["Error"]
assert ok.get_object(Bucket="ml-data", Key="probe")["Body"].read() == b"1"
ok.delete_object(Bucket="ml-data", Key="probe")
P

# ---- the local runs: the demo's baseline, and an execution over a generated capture tree
src=$BM_SOURCE_DIR/data
L=$w/local
(cd "$BM_SOURCE_DIR" && DEMO_OUT="$L/base" DEMO_STEPS=baseline bash scripts/demo.sh "$BM_BIN") >"$w/demo.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; cat "$w/demo.log"; exit 1; }
python3 "$BM_SOURCE_DIR/tests/cli/capture_gen.py" "$data" "$L/tree" >/dev/null || exit 1
cat >"$L/ac.json" <<'J'
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
cat >"$L/ac_dataset.json" <<'J'
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
"$BM_BIN" analyze --analysis-config "$L/ac_dataset.json" --dataset "$data" --output "$L/tbase" 2>"$w/a0.err" ||
    { echo "FAIL: the local baseline of the capture tree"; cat "$w/a0.err"; exit 1; }

# everything under a prefix that needs encoding: a blank, '=', '+' and non-ASCII (not parentheses: s3rver
# signs a query with JavaScript's encodeURIComponent, which leaves "()" unencoded, unlike S3, boto3 and biasmon)
R="run 1/a=b+c é"
"$PY" - "$AWS_ENDPOINT_URL_S3" "$L" "$src" "$R" <<'P' || { echo "FAIL: cannot upload to s3rver"; exit 1; }
import boto3, os, sys
ep, L, src, R = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=ep)
s3.upload_file(L + "/base/adult_with_predictions.csv", "ml-data", "adult/train.csv")
s3.upload_file(L + "/base/adult_with_predictions.csv", "ml-data", "one/train.csv")
s3.upload_file(src + "/adult/analysis_config.json", "ml-data", "baseline/analysis_config.json")
s3.upload_file(src + "/adult/analysis_config.json", "ml-data", "odd keys/a+b=c (1) é.json")
s3.upload_file(L + "/ac.json", "ml-data", R + "/ac.json")
s3.upload_file(L + "/tbase/analysis.json", "ml-data", R + "/base/analysis.json")
for d, _, files in os.walk(L + "/tree"):
    for f in files:
        p = os.path.join(d, f)
        s3.upload_file(p, "ml-data", R + "/tree/" + os.path.relpath(p, L + "/tree"))
# s3rver's delimited listing misses folders holding only folders: one plain object in each variant's
for v in os.listdir(L + "/tree/capture/ep-1"):
    s3.put_object(Bucket="ml-data", Key=R + "/tree/capture/ep-1/" + v + "/README", Body=b"x")
P
# get.py BUCKET PREFIX DIR: downloads every object under PREFIX into DIR
cat >"$w/get.py" <<'P'
import boto3, os, sys
bucket, prefix, out = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"])
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for o in page.get("Contents", []):
        p = os.path.join(out, o["Key"][len(prefix):].lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        s3.download_file(bucket, o["Key"], p)
P

# ---- analyze: config, dataset and output in S3; a prefix holding the dataset; an odd key
export BIASMON_S3_MAX_KEYS=2 # every listing in pages of two keys, followed by continuation tokens
"$BM_BIN" analyze --analysis-config s3://ml-data/baseline/analysis_config.json --dataset s3://ml-data/adult/train.csv \
    --output s3://ml-data/baseline 2>"$w/a1.err"; rc=$?
check "analyze over s3rver (rc $rc: $(tail -n 1 "$w/a1.err"))" test "$rc" = 0
"$BM_BIN" analyze --analysis-config s3://ml-data/baseline/analysis_config.json --dataset s3://ml-data/one \
    --output s3://ml-data/from-prefix 2>"$w/a2.err"; rc=$?
check "analyze with a prefix input, found with ListObjectsV2 (rc $rc: $(tail -n 1 "$w/a2.err"))" test "$rc" = 0
"$PY" "$w/get.py" ml-data baseline "$w/got/baseline" && "$PY" "$w/get.py" ml-data from-prefix "$w/got/from-prefix" ||
    echo "FAIL: cannot download from s3rver"
check "analyze: analysis.json byte-identical to local files" cmp -s "$L/base/analysis.json" "$w/got/baseline/analysis.json"
check "analyze from a prefix: byte-identical" cmp -s "$L/base/analysis.json" "$w/got/from-prefix/analysis.json"
"$BM_BIN" analyze --analysis-config "s3://ml-data/odd keys/a+b=c (1) é.json" --dataset "$L/base/adult_with_predictions.csv" \
    --output "$w/odd" 2>"$w/a3.err"; rc=$?
check "a key with blanks, '+', '=', parentheses and non-ASCII (rc $rc: $(tail -n 1 "$w/a3.err"))" \
    cmp -s "$L/base/analysis.json" "$w/odd/analysis.json"

# ---- execute: config, baseline, capture, ground truth and outputs under the odd prefix
jobdef() { # file, root ("file://$L" or "s3://ml-data/$R")
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd",
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "$2/base/analysis.json"}},
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$2/ac.json"},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$2/tree/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$2/out", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
execute() { # jobdef, capture root, stderr file
    "$BM_BIN" execute --job-definition "$1" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$2" \
        --schedule-name sched-1 2>"$3"
}
mkdir -p "$L/lb" && cp "$L/tbase/analysis.json" "$L/lb/analysis.json"
jobdef "$w/jd-local.json" "file://$L"
sed -i "s|file://$L/base/|file://$L/lb/|" "$w/jd-local.json"
jobdef "$w/jd-s3.json" "s3://ml-data/$R"
execute "$w/jd-local.json" "$L/tree/capture" "$w/e1.err"; rc1=$?
execute "$w/jd-s3.json" "s3://ml-data/$R/tree/capture" "$w/e2.err"; rc2=$?
check "execute over s3rver exits as over local files ($rc1 / $rc2: $(tail -n 1 "$w/e2.err"))" test "$rc1" = "$rc2" -a "$rc1" -le 1
"$PY" "$w/get.py" ml-data "$R/out" "$w/got-out"
hour=ep-1/sched-1/2026/11/24/12
check "execute wrote the same objects" test "$(cd "$L/out/$hour" && ls)" = "$(cd "$w/got-out/$hour" 2>/dev/null && ls)"
for f in analysis.json constraint_violations.json cloudwatch_metrics.jsonl; do
    check "execute: $f from s3:// is byte-identical" cmp -s "$L/out/$hour/$f" "$w/got-out/$hour/$f"
done
check "execute: execution.json is identical but for the URIs, and read several files per hour folder" \
    "$PY" - "$L/out/$hour/execution.json" "$w/got-out/$hour/execution.json" "$L" "s3://ml-data/$R" <<'P'
import json, sys
a, b, root, s3root = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
a = a.replace("file://" + root + "/lb/", "ROOT/base/").replace("file://" + root + "/", "ROOT/").replace(root + "/", "ROOT/")
b = b.replace(s3root + "/", "ROOT/")
assert a == b, (a[:2000], b[:2000])
c = json.loads(a)["counts"]
assert json.loads(a)["Status"].startswith("Completed"), a[:300]
assert c["capture_files"] > 4 and c["ground_truth_files"] >= 4, c  # hour folders of more than a page
P

# ---- a wrong secret: refusals name S3's code, the bucket and the key; no message quotes a secret
export AWS_SECRET_ACCESS_KEY=wrong-secret-0123456789
"$BM_BIN" analyze --analysis-config s3://ml-data/baseline/analysis_config.json \
    --dataset s3://ml-data/adult/train.csv --output "$w/x" 2>"$w/e3.err"; rc=$?
check "wrong secret, GET: SignatureDoesNotMatch with bucket and key (rc $rc)" \
    grep -q 'SignatureDoesNotMatch.*bucket ml-data, key "baseline/analysis_config.json"' "$w/e3.err"
"$BM_BIN" analyze --analysis-config "$src/adult/analysis_config.json" --dataset "$L/base/adult_with_predictions.csv" \
    --output s3://ml-data/refused 2>"$w/e4.err"; rc=$?
check "wrong secret, PUT: refused with SignatureDoesNotMatch, bucket and key (rc $rc)" \
    grep -q 'SignatureDoesNotMatch.*bucket ml-data, key "refused/' "$w/e4.err"
"$BM_BIN" analyze --analysis-config "$src/adult/analysis_config.json" --dataset s3://ml-data/one \
    --output "$w/y" 2>"$w/e5.err"; rc=$?
check "wrong secret, a prefix: refused with SignatureDoesNotMatch and the bucket (rc $rc)" \
    grep -q 'SignatureDoesNotMatch.*bucket ml-data' "$w/e5.err"
execute "$w/jd-s3.json" "s3://ml-data/$R/tree/capture" "$w/e6.err"; rc=$?
check "wrong secret: execute fails (rc $rc)" test "$rc" -ge 2
check "wrong secret: execute names SignatureDoesNotMatch, the bucket and the key" \
    grep -q "SignatureDoesNotMatch.*bucket ml-data, key \"$R/" "$w/e6.err"
AWS_ACCESS_KEY_ID=AKIAUNKNOWN00000000 "$BM_BIN" analyze --analysis-config s3://ml-data/baseline/analysis_config.json \
    --dataset s3://ml-data/adult/train.csv --output "$w/x" 2>"$w/e7.err"
check "unknown key id: InvalidAccessKeyId with bucket and key" \
    grep -q 'InvalidAccessKeyId.*bucket ml-data, key "baseline/analysis_config.json"' "$w/e7.err"
check "no message quotes a secret" test -z "$(grep -l -e wrong-secret -e S3RVER "$w"/e[3-7].err)"
AWS_SECRET_ACCESS_KEY=S3RVER "$PY" "$w/get.py" ml-data refused "$w/got-refused"
check "nothing was written with the wrong secret" test ! -e "$w/got-refused"
echo "s3_s3rver: $passes passed, $fails failed"
[ "$fails" = 0 ]
