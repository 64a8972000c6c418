#!/usr/bin/env bash
# biasmon over s3:// against a real S3 server on loopback (moto's server, in the image's Python):
# `execute` and `analyze` read config, capture, ground truth and baseline from S3 and write their
# outputs there, byte-identical to the same runs over local files (URIs aside); errors name the
# bucket, the key and S3's code (NoSuchBucket, NoSuchKey, InvalidAccessKeyId,
# SignatureDoesNotMatch) and never the secret; a server that is down costs a bounded number of
# attempts. A second moto server checks signatures (its IAM mode verifies SigV4 with botocore's
# own signer): biasmon's signed GET, ranged GET and PUT pass there, and a wrong secret does not.
# (moto 5.2's check refuses boto3's own requests for keys with '+', '=', '*' or non-ASCII bytes and
# for every ListObjectsV2 with a prefix: those, and continuation tokens, are checked against
# botocore's signer in tests/unit/test_s3.c and against s3rver 5, which verifies SigV4, in s3_s3rver.sh.)
set -u
: "${BM_BIN:?}" "${BM_GOLDEN_DIR:?}" "${BM_SOURCE_DIR:?}"
here="$BM_SOURCE_DIR/tests/cli"
data="$BM_GOLDEN_DIR/basic_binary_cat_facet/data.csv"
[ -f "$data" ] || { echo "missing $data"; exit 1; }
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
. "$BM_SOURCE_DIR/tests/cli/lib/s3_servers.sh"
find_python 'import moto.server, boto3'
w=$(mktemp -d)
# a TMPDIR of this test's own: the count of biasmon's temporary copies below must not see other
# tests' (run at the same time, they come and go in a shared /tmp)
tmpd=$(mktemp -d)
export TMPDIR=$tmpd
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
    rm -rf "$tmpd"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    PYTHONNOUSERSITE=1 AWS_REGION=us-east-1

start_moto EP
start_moto EPAUTH INITIAL_NO_AUTH_ACTION_COUNT=3

# ---- the same files, locally (under $w/L) and in S3 (s3://bm-data/) ----
L="$w/L"
mkdir -p "$L"
python3 "$here/capture_gen.py" "$data" "$L/tree" >/dev/null || exit 1
cp "$data" "$L/data.csv"
cat >"$L/ac.json" <<'J'
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
cat >"$L/ac_dataset.json" <<'J'
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp"}
J
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing-secret-0123456789 AWS_ENDPOINT_URL_S3=$EP
# put.py ENDPOINT BUCKET DIR [KEYPREFIX]: creates the bucket and uploads every file under DIR
cat >"$w/put.py" <<'P'
import boto3, os, sys
ep, bucket, root = sys.argv[1:4]
prefix = sys.argv[4] if len(sys.argv) > 4 else ""
s3 = boto3.client("s3", endpoint_url=ep)
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        s3.upload_file(p, bucket, prefix + os.path.relpath(p, root))
P
# get.py ENDPOINT BUCKET PREFIX DIR: downloads every object under PREFIX into DIR
cat >"$w/get.py" <<'P'
import boto3, os, sys
ep, bucket, prefix, out = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=ep)
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    for o in page.get("Contents", []):
        p = os.path.join(out, o["Key"][len(prefix):].lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        s3.download_file(bucket, o["Key"], p)
P
"$PY" "$w/put.py" "$EP" bm-data "$L" || { echo "FAIL: cannot upload to moto"; exit 1; }

# ---- analyze: baseline over S3 and over local files ----
"$BM_BIN" analyze --analysis-config "$L/ac_dataset.json" --dataset "$L/data.csv" --output "$L/base" 2>"$w/a1.err"; rc1=$?
"$BM_BIN" analyze --analysis-config s3://bm-data/ac_dataset.json --dataset s3://bm-data/data.csv --output s3://bm-data/base 2>"$w/a2.err"; rc2=$?
check "analyze over s3 exits as over local files ($rc1 / $rc2)" test "$rc1" = 0 -a "$rc2" = 0
"$PY" "$w/get.py" "$EP" bm-data base "$w/got-base"
check "analyze: analysis.json from s3:// is byte-identical" cmp -s "$L/base/analysis.json" "$w/got-base/analysis.json"
# analyze reading S3 and writing a local folder, and the reverse
"$BM_BIN" analyze --analysis-config s3://bm-data/ac_dataset.json --dataset "file://$L/data.csv" --output "$w/mixed" 2>/dev/null
check "analyze: s3:// config with a local dataset" cmp -s "$L/base/analysis.json" "$w/mixed/analysis.json"
# an input may be a prefix holding one object (a processing job's S3Prefix input), never several
"$PY" - "$EP" "$L" <<'P' || echo "FAIL: cannot upload the prefixes"
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
for key in ("prefix-one/train.csv", "prefix-two/a.csv", "prefix-two/b.csv"):
    s3.upload_file(sys.argv[2] + "/data.csv", "bm-data", key)
P
for pfx in prefix-one prefix-one/; do
    "$BM_BIN" analyze --analysis-config s3://bm-data/ac_dataset.json --dataset "s3://bm-data/$pfx" --output "$w/pfx" 2>"$w/a11.err"
    check "analyze: a prefix holding one object ($pfx)" cmp -s "$L/base/analysis.json" "$w/pfx/analysis.json"
    rm -rf "$w/pfx"
done
"$BM_BIN" analyze --analysis-config s3://bm-data/ac_dataset.json --dataset s3://bm-data/prefix-two --output "$w/pfx" 2>"$w/a12.err"; rc=$?
check "analyze: a prefix holding two objects is refused (rc $rc)" sh -c '[ "$1" = 3 ] && grep -q "holds 2 objects (a.csv, b.csv)" "$2"' _ "$rc" "$w/a12.err"

# ---- a Clarify processing job of biasmon serve, everything in S3 ----
"$BM_BIN" serve --data-dir "$w/serve-data" --listen 127.0.0.1:0 --poll-ms 50 >"$w/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 1 150); do [ -s "$w/serve-data/serve.json" ] && break; kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
"$PY" - "$w/serve-data" "$EP" "$w/got-pj" <<'P'
import boto3, json, os, sys, time
data, ep, out = sys.argv[1:]
url = json.load(open(os.path.join(data, "serve.json")))["endpoint_url"]
keys = dict(l.strip().split("=", 1) for l in open(os.path.join(data, "credentials")) if "=" in l)
sm = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id=keys["access_key_id"],
                  aws_secret_access_key=keys["secret_access_key"])
inp = lambda n, uri: {"InputName": n, "S3Input": {"S3Uri": uri, "LocalPath": "/opt/ml/processing/input/" + n,
                      "S3DataType": "S3Prefix", "S3InputMode": "File"}}
sm.create_processing_job(ProcessingJobName="baseline-s3", RoleArn="arn:aws:iam::123456789012:role/r",
    ProcessingResources={"ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}},
    AppSpecification={"ImageUri": "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"},
    ProcessingInputs=[inp("dataset", "s3://bm-data/prefix-one/"), inp("analysis_config", "s3://bm-data/ac_dataset.json")],
    ProcessingOutputConfig={"Outputs": [{"OutputName": "analysis_result", "S3Output": {
        "S3Uri": "s3://bm-data/baseline-s3", "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]})
for _ in range(1200):
    d = sm.describe_processing_job(ProcessingJobName="baseline-s3")
    if d["ProcessingJobStatus"] != "InProgress": break
    time.sleep(0.1)
print("processing job:", d["ProcessingJobStatus"], d.get("FailureReason", ""))
os.makedirs(out, exist_ok=True)
boto3.client("s3", endpoint_url=ep).download_file("bm-data", "baseline-s3/analysis.json", out + "/analysis.json")
P
kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null
check "a processing job over s3:// writes analysis.json byte-identical to a local analyze" \
    cmp -s "$L/base/analysis.json" "$w/got-pj/analysis.json"
tmpfiles_before=$(ls "${TMPDIR:-/tmp}" | grep -c '^biasmon-object-')

# ---- execute: everything in S3 vs everything local ----
jobdef() { # file, root ("file://$L" or "s3://bm-data"), baseline root
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd",
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "$3/base/analysis.json"}},
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
jobdef "$w/jd-local.json" "file://$L" "file://$L"
jobdef "$w/jd-s3.json" s3://bm-data s3://bm-data
execute "$w/jd-local.json" "$L/tree/capture" "$w/e1.err"; rc1=$?
execute "$w/jd-s3.json" s3://bm-data/tree/capture "$w/e2.err"; rc2=$?
check "execute over s3 exits as over local files ($rc1 / $rc2)" test "$rc1" = "$rc2" -a "$rc1" -le 1
"$PY" "$w/get.py" "$EP" bm-data out "$w/got-out"
hour=ep-1/sched-1/2026/11/24/12
check "execute wrote the same objects" test "$(cd "$L/out/$hour" && ls)" = "$(cd "$w/got-out/$hour" && ls)"
for f in analysis.json constraint_violations.json cloudwatch_metrics.jsonl; do
    check "execute: $f from s3:// is byte-identical" cmp -s "$L/out/$hour/$f" "$w/got-out/$hour/$f"
done
check "execute: execution.json is identical but for the URIs" "$PY" - "$L/out/$hour/execution.json" \
    "$w/got-out/$hour/execution.json" "$L" <<'P'
import sys
a, b, root = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
a = a.replace("file://" + root + "/", "ROOT/").replace(root + "/", "ROOT/")
b = b.replace("s3://bm-data/", "ROOT/")
assert a == b, (a[:2000], b[:2000])
assert '"Status": "Completed' in a or '"Status":"Completed' in a, a[:300]
P
# a 30-day window: its hour folders are found by listing years, months, days and hours
# (ListObjectsV2 with a delimiter at each level), with the same result as on local files
execute30() { # jobdef, capture root, stderr file
    "$BM_BIN" execute --job-definition "$1" --scheduled-time 2026-11-24T12:00:00Z --capture-uri "$2" \
        --schedule-name sched-30 --data-analysis-start-time -P30D 2>"$3"
}
execute30 "$w/jd-local.json" "$L/tree/capture" "$w/e30l.err"; rc1=$?
execute30 "$w/jd-s3.json" s3://bm-data/tree/capture "$w/e30s.err"; rc2=$?
check "30-day window: execute over s3 exits as over local files ($rc1 / $rc2)" test "$rc1" = "$rc2" -a "$rc1" -le 1
"$PY" "$w/get.py" "$EP" bm-data out "$w/got-out30"
h30=ep-1/sched-30/2026/11/24/12
check "30-day window: analysis.json from s3:// is byte-identical" cmp -s "$L/out/$h30/analysis.json" "$w/got-out30/$h30/analysis.json"
check "30-day window: the same files read" "$PY" - "$L/out/$h30/execution.json" "$w/got-out30/$h30/execution.json" <<'P'
import json, sys
a, b = (json.load(open(f))["counts"] for f in sys.argv[1:3])
assert a == b and a["capture_files"] > 0 and a["ground_truth_files"] > 0, (a, b)
P
check "no temporary copies left in \$TMPDIR" test "$(ls "${TMPDIR:-/tmp}" | grep -c '^biasmon-object-')" = "$tmpfiles_before"

# ---- objects that cannot be read in the middle of the window (archived to Glacier: GET is 403
# InvalidObjectState), while the next ones are being opened ahead: each is noted with its key and
# S3's code and skipped, in its place; the rest reads as the local tree without those objects ----
cap_gone=capture/ep-1/AllTraffic/2026/11/24/10/02-00-000-AllTraffic.jsonl
gt_gone=gt/2026/11/24/11/5.jsonl
L2="$w/L2"
mkdir -p "$L2"
cp -r "$L/tree" "$L2/tree"
cp "$L/ac.json" "$L2/ac.json"
rm "$L2/tree/$cap_gone" "$L2/tree/$gt_gone"
"$PY" - "$EP" "$L" "$cap_gone" "$gt_gone" <<'P' || echo "FAIL: cannot upload the Glacier tree"
import boto3, os, sys
ep, root, gone = sys.argv[1], sys.argv[2], sys.argv[3:]
s3 = boto3.client("s3", endpoint_url=ep)
s3.create_bucket(Bucket="bm-glacier")
s3.upload_file(root + "/ac.json", "bm-glacier", "ac.json")
for d, _, files in os.walk(root + "/tree"):
    for f in files:
        rel = os.path.relpath(os.path.join(d, f), root + "/tree")
        extra = {"StorageClass": "GLACIER"} if rel in gone else {}
        s3.put_object(Bucket="bm-glacier", Key="tree/" + rel, Body=open(os.path.join(d, f), "rb").read(), **extra)
P
jobdef "$w/jd-local2.json" "file://$L2" "file://$L"
jobdef "$w/jd-glacier.json" s3://bm-glacier s3://bm-data
execute "$w/jd-local2.json" "$L2/tree/capture" "$w/e7.err"; rc1=$?
execute "$w/jd-glacier.json" s3://bm-glacier/tree/capture "$w/e8.err"; rc2=$?
check "archived objects: execute over s3 exits as the local run without them ($rc1 / $rc2)" test "$rc1" = "$rc2" -a "$rc1" -le 1
"$PY" "$w/get.py" "$EP" bm-glacier out "$w/got-glacier"
check "archived objects: analysis.json byte-identical to the local run without them" \
    cmp -s "$L2/out/$hour/analysis.json" "$w/got-glacier/$hour/analysis.json"
check "archived objects: execution.json as the local run's, plus one problem for each, in its place" \
    "$PY" - "$L2/out/$hour/execution.json" "$w/got-glacier/$hour/execution.json" "$L2" "$cap_gone" "$gt_gone" <<'P'
import json, sys
a, b = (open(p).read() for p in sys.argv[1:3])
root, gone = sys.argv[3], sys.argv[4:]
a = json.loads(a.replace("file://" + root + "/", "ROOT/").replace(root + "/", "ROOT/"))
b = json.loads(b.replace("s3://bm-glacier/", "ROOT/"))
# the problems in reading order: the ground truth's (hours 10, 11), then the capture's; the list
# keeps the first few, so the two notes push the local run's last ones out
fa, fb = a.pop("first_malformed"), b.pop("first_malformed")
assert a == b, (json.dumps(a)[:1500], json.dumps(b)[:1500])
assert a["Status"].startswith("Completed"), a["Status"]
assert len(fb) >= 3 and fa[0]["file"] == "ROOT/tree/gt/2026/11/24/10/zz-bad.jsonl", (fa, fb)
assert fb == (fa[:1] + fb[1:3] + fa[1:])[:len(fb)], (fa, fb)
for p, key in zip(fb[1:3], (gone[1], gone[0])):
    assert p["file"] == "ROOT/tree/" + key and p["reason"].startswith("cannot read: "), p
    assert "InvalidObjectState" in p["reason"] and "bucket bm-glacier" in p["reason"], p
P

# ---- errors: they name the bucket, the key and S3's code ----
sed 's|"ConfigUri": "s3://bm-data/ac.json"|"ConfigUri": "s3://no-such-bucket/ac.json"|' "$w/jd-s3.json" >"$w/jd-nobucket.json"
execute "$w/jd-nobucket.json" s3://bm-data/tree/capture "$w/e3.err"; rc=$?
"$PY" "$w/get.py" "$EP" bm-data out "$w/got-out3"
check "missing bucket: execution fails (rc $rc)" test "$rc" -ge 3
check "missing bucket: the reason names the bucket and NoSuchBucket" grep -q 'NoSuchBucket.*no-such-bucket\|no-such-bucket.*NoSuchBucket' \
    "$w/e3.err" "$w/got-out3/$hour/execution.json"
sed 's|"ConfigUri": "s3://bm-data/ac.json"|"ConfigUri": "s3://bm-data/missing/ac.json"|' "$w/jd-s3.json" >"$w/jd-nokey.json"
execute "$w/jd-nokey.json" s3://bm-data/tree/capture "$w/e4.err"; rc=$?
check "missing key: execution fails (rc $rc)" test "$rc" -ge 3
"$PY" "$w/get.py" "$EP" bm-data out "$w/got-out4"
check "missing key: the reason names the key and NoSuchKey" grep -q 'NoSuchKey.*missing/ac.json' "$w/e4.err" "$w/got-out4/$hour/execution.json"
"$BM_BIN" analyze --analysis-config s3://bm-data/ac_dataset.json --dataset s3://bm-data/nope.csv --output "$w/x" 2>"$w/a3.err"; rc=$?
check "analyze: missing dataset key exits 3 (got $rc)" test "$rc" = 3
check "analyze: the message names bucket, key and NoSuchKey" grep -q 's3://bm-data/nope.csv.*NoSuchKey.*bucket bm-data, key "nope.csv"' "$w/a3.err"
# a server that is down: a bounded number of attempts, then an error that says so
port_closed=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port_closed AWS_MAX_ATTEMPTS=3 "$BM_BIN" analyze \
    --analysis-config s3://bm-data/ac_dataset.json --dataset s3://bm-data/data.csv --output "$w/x" 2>"$w/a4.err"; rc=$?
check "server down: analyze exits 3 (got $rc)" test "$rc" = 3
check "server down: the message says the server could not be reached after 3 attempts" \
    grep -q "s3://bm-data/ac_dataset.json: S3 GET failed: http://127.0.0.1:$port_closed: .*connect.*after 3 attempts" "$w/a4.err"
AWS_ENDPOINT_URL_S3=ftp://127.0.0.1 "$BM_BIN" analyze --analysis-config s3://bm-data/ac_dataset.json --dataset s3://bm-data/data.csv 2>"$w/a5.err"
check "a bad endpoint URL is named" grep -q "AWS_ENDPOINT_URL_S3 must start with http:// or https://" "$w/a5.err"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$BM_BIN" analyze --analysis-config s3://bm-data/ac_dataset.json \
    --dataset s3://bm-data/data.csv 2>"$w/a6.err"; rc=$?
check "no credentials: exit 3 and a message saying where they are looked for (got $rc)" \
    grep -q "no AWS credentials for S3: set AWS_ACCESS_KEY_ID" "$w/a6.err"

# ---- batch transform CSV output in S3, read by a confined worker (as biasmon serve runs it): the
# object is copied under $TMPDIR, which lies outside the worker's folders, and must still be read
"$PY" - "$data" "$w/batch" <<'P' || echo "FAIL: cannot write the batch data"
import csv, json, os, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
out = sys.argv[2]
def write(p, text):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(text)
for hour in (10, 11):
    lines = [",".join(r[:5] + [r[6], f"b-{i}", f"2026-11-24T{hour}:{i % 60:02d}:00Z"])
             for i, r in enumerate(rows) if i % 2 == hour % 2]
    write(f"{out}/transform-output/{hour}/part-{hour}.out", "\n".join(lines) + "\n")
    for root, prefix in (("local", "file://" + out), ("s3", "s3://bm-data/batch")):
        write(f"{out}/{root}/capture/output/2026/11/24/{hour}/manifest-{hour}.json",
              json.dumps([{"prefix": f"{prefix}/transform-output/{hour}/"}, f"part-{hour}.out"]))
write(f"{out}/gt/2026/11/24/11/labels.jsonl", "\n".join(json.dumps(
    {"groundTruthData": {"data": r[5], "encoding": "CSV"}, "eventMetadata": {"eventId": f"b-{i}"}, "eventVersion": "0"})
    for i, r in enumerate(rows)) + "\n")
P
"$PY" "$w/put.py" "$EP" bm-data "$w/batch/transform-output" batch/transform-output/
"$PY" "$w/put.py" "$EP" bm-data "$w/batch/s3/capture" batch/capture/
"$PY" "$w/put.py" "$EP" bm-data "$w/batch/gt" batch/gt/
batchdef() { # file, capture root, ground-truth root, output root, analysis config
    cat >"$1" <<J
{"JobDefinitionName": "bias-batch",
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "$5"},
 "ModelBiasJobInput": {"BatchTransformInput": {"DataCapturedDestinationS3Uri": "$2", "LocalPath": "/opt/ml/processing/input/batch",
     "DatasetFormat": {"Csv": {"Header": false}}, "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "InferenceAttribute": "5"},
   "GroundTruthS3Input": {"S3Uri": "$3"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$4", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
batchdef "$w/jd-batch-local.json" "$w/batch/local/capture" "$w/batch/gt" "$w/batch-out" "$L/ac.json"
batchdef "$w/jd-batch-s3.json" s3://bm-data/batch/capture s3://bm-data/batch/gt s3://bm-data/batch-out s3://bm-data/ac.json
"$BM_BIN" execute --job-definition "$w/jd-batch-local.json" --scheduled-time 2026-11-24T12:00:00Z \
    --schedule-name bsched 2>"$w/b1.err"; rc1=$?
mkdir -p "$w/confined"
"$BM_BIN" execute --job-definition "$w/jd-batch-s3.json" --scheduled-time 2026-11-24T12:00:00Z \
    --schedule-name bsched --confine "$w/confined" 2>"$w/b2.err"; rc2=$?
check "batch CSV in S3, confined: exits as over local files ($rc1 / $rc2: $(tail -n 1 "$w/b2.err"))" test "$rc1" = "$rc2" -a "$rc1" -le 1
"$PY" "$w/get.py" "$EP" bm-data batch-out "$w/got-batch"
check "batch CSV in S3, confined: analysis.json byte-identical to local files" \
    cmp -s "$w/batch-out/bsched/2026/11/24/12/analysis.json" "$w/got-batch/bsched/2026/11/24/12/analysis.json"
check "batch CSV in S3, confined: execution.json names no temporary file" \
    sh -c '! grep -q "biasmon-object-" "$1"' _ "$w/got-batch/bsched/2026/11/24/12/execution.json"

# ---- a server that checks signatures: moto's IAM mode (botocore's signer on the server side) ----
export AWS_ENDPOINT_URL_S3=$EPAUTH
"$PY" - "$EPAUTH" >"$w/keys" <<'P' || echo "FAIL: cannot set up moto's IAM"
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1")
iam.create_user(UserName="bm")
k = iam.create_access_key(UserName="bm")["AccessKey"]
iam.put_user_policy(UserName="bm", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
print(k["AccessKeyId"], k["SecretAccessKey"])
P
read -r kid ksecret <"$w/keys"
export AWS_ACCESS_KEY_ID=$kid AWS_SECRET_ACCESS_KEY=$ksecret
"$PY" - "$EPAUTH" "$L" <<'P' || echo "FAIL: upload to the signature-checking server"
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
s3.create_bucket(Bucket="auth")
for f in ("ac.json", "ac_dataset.json", "data.csv"):
    s3.upload_file(sys.argv[2] + "/" + f, "auth", "signed/" + f)
s3.upload_file(sys.argv[2] + "/ac_dataset.json", "auth", "with space/ac_dataset.json")
P
# GET of the config, ranged GETs of the dataset, PUT of the output, each signed
"$BM_BIN" analyze --analysis-config s3://auth/signed/ac_dataset.json --dataset s3://auth/signed/data.csv \
    --output s3://auth/signed/out 2>"$w/a9.err"; rc=$?
check "signed requests pass a signature-checking server (rc $rc)" test "$rc" = 0
"$PY" "$w/get.py" "$EPAUTH" auth signed/out "$w/got-auth" 2>/dev/null ||
    "$PY" - "$EPAUTH" "$w/got-auth" <<'P'
import boto3, os, sys
os.makedirs(sys.argv[2], exist_ok=True)
boto3.client("s3", endpoint_url=sys.argv[1]).download_file("auth", "signed/out/analysis.json", sys.argv[2] + "/analysis.json")
P
check "signed: analysis.json byte-identical to the local run" cmp -s "$L/base/analysis.json" "$w/got-auth/analysis.json"
"$BM_BIN" analyze --analysis-config "s3://auth/with space/ac_dataset.json" --dataset "$L/data.csv" --output "$w/sp" 2>"$w/a10.err"
check "signed: a key with a blank" cmp -s "$L/base/analysis.json" "$w/sp/analysis.json"
AWS_SECRET_ACCESS_KEY=not-the-secret-9876 "$BM_BIN" analyze --analysis-config s3://auth/signed/ac_dataset.json \
    --dataset s3://auth/signed/data.csv 2>"$w/e6.err"; rc=$?
check "wrong secret: analyze fails (rc $rc)" test "$rc" = 3
check "wrong secret: SignatureDoesNotMatch named" grep -q "SignatureDoesNotMatch.*bucket auth" "$w/e6.err"
AWS_ACCESS_KEY_ID=AKIAUNKNOWN0000 "$BM_BIN" analyze --analysis-config "s3://auth/with space/ac_dataset.json" \
    --dataset "$L/data.csv" 2>"$w/a7.err"
check "unknown key id: InvalidAccessKeyId named, with bucket and key" \
    grep -q 'InvalidAccessKeyId.*bucket auth, key "with space/ac_dataset.json"' "$w/a7.err"
check "no message quotes a secret" test -z "$(grep -l -e "$ksecret" -e not-the-secret-9876 -e testing-secret-0123456789 "$w"/*.err)"
# the shared credentials file and a profile, instead of the environment
printf '[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\n\n[bm]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$kid" "$ksecret" >"$w/credentials"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$w/credentials" AWS_PROFILE=bm \
    "$BM_BIN" analyze --analysis-config "s3://auth/with space/ac_dataset.json" --dataset "$L/data.csv" \
    --output "s3://auth/with space/from-profile" 2>"$w/a8.err"; rc=$?
check "credentials from the shared file's profile (rc $rc)" test "$rc" = 0

echo "s3_moto: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
