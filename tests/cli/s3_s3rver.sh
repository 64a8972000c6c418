#!/usr/bin/env bash
# biasmon over s3:// against a second S3 implementation, s3rver (npm, installed into tests/js by
# scripts/deps.sh test), for what s3rver implements: analyze reads its config and (ranged GETs)
# its dataset from S3 and writes analysis.json there, byte-identical to local files; an input that
# is a prefix is listed; keys with blanks and reserved characters are addressed as S3 expects; an
# unknown access key is refused with S3's code, the bucket and the key.
# What s3rver 3.7.1 does not implement, so this test cannot use: it never checks a SigV4 signature
# (only the access key id: lib/middleware/authentication.js, "Signature version 4 calculation is
# unimplemented"), and a delimited listing misses folders that hold only folders (ListObjectsV2 of
# "capture/" with delimiter "/" is empty, boto3's too), so an execution cannot find its capture
# variants there. Signatures are checked by moto's IAM mode (tests/cli/s3_moto.sh) and against
# botocore's own signer (unit/test_s3); executions over S3 run in s3_moto.sh and serve_jssdk.sh.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
s3rver=$BM_SOURCE_DIR/tests/js/node_modules/.bin/s3rver
[ -x "$s3rver" ] || { echo "FAIL: s3rver is missing in tests/js (scripts/deps.sh test installs it with npm ci)"; exit 1; }
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
    AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER

# ---- the local run: the demo's baseline
src=$BM_SOURCE_DIR/data
L=$w/local
(cd "$BM_SOURCE_DIR" && DEMO_OUT="$L/base" DEMO_STEPS=baseline bash scripts/demo.sh "$BM_BIN") >"$w/demo.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; cat "$w/demo.log"; exit 1; }
# ---- s3rver on loopback, the same files in it
port=$(free_port)
mkdir -p "$w/s3rver"
"$s3rver" -d "$w/s3rver" -a 127.0.0.1 -p "$port" --no-vhost-buckets -s --configure-bucket ml-data >"$w/s3rver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$port
"$PY" - "$AWS_ENDPOINT_URL_S3" "$L/base" "$src" <<'P' || { echo "FAIL: cannot upload to s3rver"; exit 1; }
import boto3, os, sys
ep, base, src = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=ep)
s3.upload_file(base + "/adult_with_predictions.csv", "ml-data", "adult/train.csv")
s3.upload_file(base + "/adult_with_predictions.csv", "ml-data", "one/train.csv")
s3.upload_file(src + "/adult/analysis_config.json", "ml-data", "baseline/analysis_config.json")
s3.upload_file(src + "/adult/analysis_config.json", "ml-data", "odd keys/a+b=c (1).json")
P

# ---- analyze: config, dataset and output in S3; a prefix holding the dataset
"$BM_BIN" analyze --analysis-config s3://ml-data/baseline/analysis_config.json --dataset s3://ml-data/adult/train.csv \
    --output s3://ml-data/baseline 2>"$w/a1.err"; rc=$?
check "analyze over s3rver (rc $rc: $(tail -n 1 "$w/a1.err"))" test "$rc" = 0
"$BM_BIN" analyze --analysis-config s3://ml-data/baseline/analysis_config.json --dataset s3://ml-data/one \
    --output s3://ml-data/from-prefix 2>"$w/a2.err"; rc=$?
check "analyze with a prefix input, found with ListObjectsV2 (rc $rc: $(tail -n 1 "$w/a2.err"))" test "$rc" = 0
"$PY" - "$AWS_ENDPOINT_URL_S3" "$w/got" <<'P' || echo "FAIL: cannot download from s3rver"
import boto3, os, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
os.makedirs(sys.argv[2], exist_ok=True)
for k in ("baseline/analysis.json", "from-prefix/analysis.json"):
    s3.download_file("ml-data", k, os.path.join(sys.argv[2], k.replace("/", "_")))
P
check "analyze: analysis.json byte-identical to local files" cmp -s "$L/base/analysis.json" "$w/got/baseline_analysis.json"
check "analyze from a prefix: byte-identical" cmp -s "$L/base/analysis.json" "$w/got/from-prefix_analysis.json"
"$BM_BIN" analyze --analysis-config "s3://ml-data/odd keys/a+b=c (1).json" --dataset "$L/base/adult_with_predictions.csv" \
    --output "$w/odd" 2>"$w/a3.err"; rc=$?
check "a key with blanks, '+', '=' and parentheses (rc $rc: $(tail -n 1 "$w/a3.err"))" \
    cmp -s "$L/base/analysis.json" "$w/odd/analysis.json"

# ---- refusals name S3's code, the bucket and the key; no message quotes a secret
AWS_ACCESS_KEY_ID=AKIAUNKNOWN00000000 "$BM_BIN" analyze --analysis-config s3://ml-data/baseline/analysis_config.json \
    --dataset s3://ml-data/adult/train.csv --output "$w/x" 2>"$w/e3.err"
check "unknown key id: InvalidAccessKeyId with bucket and key" \
    grep -q 'InvalidAccessKeyId.*bucket ml-data, key "baseline/analysis_config.json"' "$w/e3.err"
check "no message quotes the secret" test -z "$(grep -l -e S3RVER "$w"/e3.err)"
echo "s3_s3rver: $passes passed, $fails failed"
[ "$fails" = 0 ]
