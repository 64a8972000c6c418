#!/usr/bin/env bash
# docs/migrating.md's examples, run as written: the blocks marked <!-- run --> (sh in one shell,
# python each in its own process) in order, after the <!-- file: NAME --> blocks are written, with
# the test's data directory, service address and S3 address in place of /srv/biasmon,
# 127.0.0.1:8080 and 127.0.0.1:9000. The clients are the machine image's aws CLI and boto3 (they
# read AWS_ENDPOINT_URL_SAGEMAKER and AWS_ENDPOINT_URL_S3); S3 is moto's server on loopback,
# holding the data the page describes (the demo's Adult data with predictions, the sample capture
# and ground truth). The service clock starts at 2026-11-24T12:00:00Z and runs 1,000 times slower
# than real time, so `biasmon run`'s latest tick is 12:00, the hour the sample's drifted traffic
# precedes. Checked: every block succeeds, the baseline is byte-identical to `biasmon analyze` on
# local files, and the execution's violations (DI among them) reach both clients.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
. "$BM_SOURCE_DIR/tests/cli/lib/s3_servers.sh"
find_python 'import moto.server, boto3, awscli
assert tuple(int(x) for x in boto3.__version__.split(".")[:2]) >= (1, 28)' "boto3 1.28+ reads AWS_ENDPOINT_URL_SAGEMAKER"
w=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SAGEMAKER AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION \
    AWS_REGION AWS_DEFAULT_OUTPUT
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
# the page's commands: aws (the image's awscli), python and biasmon (this build)
mkdir -p "$w/bin" "$w/work"
printf '#!/bin/sh\nexec "%s" -m awscli "$@"\n' "$PY" >"$w/bin/aws"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$BM_BIN" >"$w/bin/biasmon"
chmod +x "$w/bin/aws" "$w/bin/biasmon"

# ---- the data the page describes, and the baseline biasmon analyze makes of it locally
(cd "$BM_SOURCE_DIR" && DEMO_OUT="$w/local" DEMO_STEPS=baseline bash scripts/demo.sh "$BM_BIN") >"$w/demo.log" 2>&1 ||
    { echo "FAIL: the demo's baseline"; cat "$w/demo.log"; exit 1; }
start_moto s3
"$PY" - "$s3" "$w/local/adult_with_predictions.csv" "$BM_SOURCE_DIR/data/sample-monitoring" <<'P' ||
import boto3, os, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
s3.create_bucket(Bucket="my-ml-bucket")
s3.upload_file(sys.argv[2], "my-ml-bucket", "adult/train.csv")
for part in ("capture", "ground-truth"):
    top = os.path.join(sys.argv[3], part)
    for d, _, files in os.walk(top):
        for f in files:
            s3.upload_file(os.path.join(d, f), "my-ml-bucket", part + "/" + os.path.relpath(os.path.join(d, f), top))
P
    { echo "FAIL: cannot fill the bucket"; exit 1; }

AWS_ENDPOINT_URL_S3=$s3 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing-secret AWS_REGION=us-east-1 \
    "$BM_BIN" serve --data-dir "$w/data" --listen 127.0.0.1:0 --poll-ms 50 \
    --time-start 2026-11-24T12:00:00Z --time-scale 0.001 >"$w/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do [ -s "$w/data/serve.json" ] && break; sleep 0.1; done
[ -s "$w/data/serve.json" ] || { echo "FAIL: biasmon serve did not start"; cat "$w/serve.log"; exit 1; }
hostport=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%s:%s" % (d["host"], d["port"]))' "$w/data/serve.json")

# ---- the page, as a script
"$PY" - "$BM_SOURCE_DIR/docs/migrating.md" "$w/work" "$w/data" "$hostport" "${s3#http://}" "$PY" <<'P' ||
import os, re, sys
doc, work, data, hostport, s3, py = sys.argv[1:]
text = open(doc).read()
for a, b in (("/srv/biasmon", data), ("127.0.0.1:8080", hostport), ("127.0.0.1:9000", s3)):
    text = text.replace(a, b)
script, n = ["set -euo pipefail"], 0
for m in re.finditer(r"^[ \t]*<!-- (run|file: ([\w.-]+)) -->\n[ \t]*```(\w+)\n(.*?)^[ \t]*```", text, re.M | re.S):
    kind, name, lang, body = m.group(1), m.group(2), m.group(3), m.group(4)
    indent = len(m.group(0)) - len(m.group(0).lstrip(" "))
    body = "".join(l[indent:] if l[:indent].isspace() else l for l in body.splitlines(True))
    if name:
        open(os.path.join(work, name), "w").write(body)
    elif lang == "sh":
        script.append(body)
    elif lang == "python":
        n += 1
        open(os.path.join(work, f"block{n}.py"), "w").write(body)
        script.append(f'"{py}" block{n}.py')
    else:
        sys.exit(f"a run block in {lang}")
open(os.path.join(work, "page.sh"), "w").write("\n".join(script) + "\n")
print(len(script) - 1, "blocks")
P
    { echo "FAIL: cannot read docs/migrating.md"; exit 1; }
check "the page has its blocks" test "$(grep -c '^"' "$w/work/page.sh")" -ge 1
(cd "$w/work" && PATH="$w/bin:$PATH" timeout 600 bash page.sh) >"$w/page.out" 2>&1; rc=$?
check "every block of the page runs (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || { tail -n 30 "$w/page.out"; tail -n 20 "$w/serve.log"; }
check "the baseline job Completed" grep -q '^"Completed"$' "$w/page.out"
check "the baseline is byte-identical to biasmon analyze on local files" cmp -s "$w/local/analysis.json" "$w/work/baseline-analysis.json"
check "the CLI lists the execution of 12:00 with violations" \
    grep -Eq '^(1795521600(\.0)?|2026-11-24T12:00:00(\.000)?(Z|\+00:00)?)[[:space:]]+CompletedWithViolations$' "$w/page.out"
check "the CLI fetched constraint_violations.json with a DI violation" \
    "$PY" -c 'import json,sys; v=json.load(open(sys.argv[1]))["violations"]; sys.exit(0 if any(x["metric_name"]=="DI" for x in v) else 1)' \
    "$w/work/violations.json"
check "boto3 read the schedule" grep -q '^Scheduled adult-income-bias$' "$w/page.out"
check "boto3 read the violations of the execution" grep -Eq "^2026-11-24T12:00:00\+00:00 CompletedWithViolations \[.*'DI'" "$w/page.out"
check "boto3 stopped and started the schedule" test "$(tail -n 1 "$w/page.out")" = Scheduled
[ "$fails" = 0 ] || { echo "--- the page's output"; cat "$w/page.out"; }
echo "migrating_doc: $passes passed, $fails failed"
[ "$fails" = 0 ]
