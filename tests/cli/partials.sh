#!/usr/bin/env bash
# Hour partials (docs/partials.md): on a generated capture tree (tests/cli/capture_gen.py), an
# execution that reuses partials, one after late or changed labels arrived, one after a partial was
# corrupted or truncated and one after an hour's capture changed each write outputs byte-identical
# to a full rescan (--no-partials) of the same tree: analysis.json, constraint_violations.json,
# bias_counts.json and execution.json but for its "partials" member, which says what was reused,
# built and rejected (and is checked here too, so that a run that silently rescans fails).
set -u
: "${BM_BIN:?}" "${BM_GOLDEN_DIR:?}" "${BM_SOURCE_DIR:?}"
here="$BM_SOURCE_DIR/tests/cli"
data="$BM_GOLDEN_DIR/basic_binary_cat_facet/data.csv"
[ -f "$data" ] || { echo "missing $data"; exit 1; }
w=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$w"
}
trap cleanup EXIT
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
python3 "$here/capture_gen.py" "$data" "$w/tree" || exit 1
# every metric but FT (FT needs the feature rows: an execution that asks for it reads every hour)
methods='"methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": ["AD","CDDPL","DAR","DCA","DCR","DI","DPPL","DRR","GE","RD","SD","TE"]}}'
cat >"$w/ac.json" <<J
{"headers": ["x0","x1","x2","grp","sex","y"], "label": "y", "label_values_or_threshold": [1],
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp", $methods}
J
cat >"$w/ac_dataset.json" <<J
{"label": "y", "label_values_or_threshold": [1], "predicted_label": "yhat",
 "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}], "group_variable": "grp", $methods}
J
"$BM_BIN" analyze --analysis-config "$w/ac_dataset.json" --dataset "$data" --output "$w/base" 2>/dev/null ||
    { echo "cannot analyze the baseline"; exit 1; }
jobdef() { # file, output URI, rule (sagemaker or statistical)
    cat >"$1" <<J
{"JobDefinitionName": "bias-jd",
 "ModelBiasBaselineConfig": {"ConstraintsResource": {"S3Uri": "$w/base/analysis.json"}},
 "ModelBiasAppSpecification": {"ImageUri": "biasmon", "ConfigUri": "file://$w/ac.json",
     "Environment": {"BIASMON_ALARM_RULE": "$3"}},
 "ModelBiasJobInput": {"EndpointInput": {"EndpointName": "ep-1", "LocalPath": "/opt/ml/processing/input/endpoint",
     "StartTimeOffset": "-PT2H", "EndTimeOffset": "-PT0H", "FeaturesAttribute": "features", "InferenceAttribute": "0"},
   "GroundTruthS3Input": {"S3Uri": "$w/tree/gt"}},
 "ModelBiasJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {"S3Uri": "$2", "LocalPath": "/opt/ml/processing/output"}}]},
 "JobResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
 "RoleArn": "arn:aws:iam::012345678901:role/SageMakerRole"}
J
}
jobdef "$w/jd_full.json" "$w/full" sagemaker
jobdef "$w/jd_part.json" "$w/part" sagemaker
T=2026-11-24T12:00:00Z
folder=ep-1/bias-jd/2026/11/24/12
part_file="" # the partial of hour 11, found after the first run
# run NAME [extra execute options...]: a full rescan into full/ and an execution with partials
# into part/, with the same window; stderr of the latter kept in $w/NAME.err
run() {
    local name=$1; shift
    "$BM_BIN" execute --job-definition "$w/jd_full.json" --scheduled-time $T \
        --capture-uri "$w/tree/capture" --no-partials "$@" 2>"$w/$name.full.err" >/dev/null
    "$BM_BIN" execute --job-definition "$w/jd_part.json" --scheduled-time $T \
        --capture-uri "$w/tree/capture" "$@" 2>"$w/$name.err" >/dev/null
}
# same NAME: the outputs of both runs are byte-identical (execution.json but for "partials")
same() {
    local name=$1 f ok=0
    for f in analysis.json constraint_violations.json cloudwatch_metrics.jsonl report.html; do
        cmp -s "$w/full/$folder/$f" "$w/part/$folder/$f" || { echo "$name: $f differs"; ok=1; }
    done
    python3 - "$w/full/$folder/execution.json" "$w/part/$folder/execution.json" <<'P' || ok=1
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a.get("partials") is None, a.get("partials")
b.pop("partials")
a.pop("partials")
if a != b:
    print("execution.json differs:", {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)})
    sys.exit(1)
P
    return $ok
}
# partials NAME FIELD VALUE: execution.json's partials.FIELD of the partial run is VALUE
partials() {
    python3 - "$w/part/$folder/execution.json" "$2" "$3" <<'P'
import json, sys
p = json.load(open(sys.argv[1]))["partials"]
want = int(sys.argv[3])
if p[sys.argv[2]] != want:
    print("partials:", p)
    sys.exit(1)
P
}
grep_note() { grep -q "biasmon: hour partial 2026-11-24T11: $2" "$w/$1.err"; }

# 1. the first execution builds the partial of hour 11 (hour 10 holds records from 09:59, outside
#    the window, so it is read each time); the second reuses it. Both equal the full rescan.
run first
check "first: identical to a full rescan" same first
check "first: one partial built" partials first built 1
check "first: hour 10 not saved (records outside the window)" partials first not_saved 1
part_file=$(find "$w/part/ep-1/_partials" -name 11.bmp)
check "the partial is under {S3Uri}/{endpoint}/_partials/CONFIG/yyyy/mm/dd/HH.bmp" \
    test -n "$part_file" -a "${part_file#"$w/part/ep-1/_partials/"}" != "$part_file"
run reuse
check "reuse: identical to a full rescan" same reuse
check "reuse: the partial of hour 11 reused" partials reuse reused 1
check "reuse: nothing built" partials reuse built 0

# 2. late labels: ground truth uploaded at 12:xx for records of hour 11, some without a label
#    until now and some whose label changes (the last upload wins)
python3 - "$w/tree" <<'P'
import base64, glob, json, os, sys
tree = sys.argv[1]
recs = []
for f in sorted(glob.glob(tree + "/capture/ep-1/*/2026/11/24/11/*.jsonl")):
    for line in open(f):
        try:
            r = json.loads(line)
            key = r["eventMetadata"].get("inferenceId") or r["eventMetadata"]["eventId"]
        except Exception:
            continue
        d = r["captureData"]["endpointInput"]
        data = base64.b64decode(d["data"]).decode() if d["encoding"] == "BASE64" else d["data"]
        if d["encoding"] == "JSON" or data.lstrip().startswith("{"):
            v = json.loads(data)["features"]
            n = len(v) if v and isinstance(v[0], list) else 1
        else:
            n = len([l for l in data.splitlines() if l.strip()])
        recs.append((key, n))
out = os.path.join(tree, "gt/2026/11/24/12/zz-late.jsonl")
with open(out, "w") as o:
    for i, (key, n) in enumerate(recs[::3][:20]):
        labels = "\n".join("1" if (i + j) % 2 else "0" for j in range(n))
        o.write(json.dumps({"groundTruthData": {"data": labels, "encoding": "CSV"},
                            "eventMetadata": {"eventId": key}, "eventVersion": "0"}) + "\n")
P
run late
check "late labels: identical to a full rescan" same late
check "late labels: the partial of hour 11 rejected" partials late rejected 1
check "late labels: and built again" partials late built 1
check "late labels: a log line says why" grep_note late "ground truth for id .* changed since it was built"
run after_late
check "after late labels: identical to a full rescan" same after_late
check "after late labels: the rebuilt partial reused" partials after_late reused 1

# 2b. ground-truth summaries (docs/partials.md): a ground-truth file read without a problem is
#     summarised beside the partials and, while its size and stamps are unchanged, taken from its
#     summary instead of being parsed again; a changed file, a corrupt, truncated or forged
#     summary, or a file with malformed lines are read from the file. Always identical outputs.
# gtsum: "SUMMARISED SAVED FILES" of the last execution with partials
gtsum() {
    python3 -c 'import json, sys
e = json.load(open(sys.argv[1])); p = e["partials"]
print(p["ground_truth_files_summarised"], p["ground_truth_summaries_saved"], e["counts"]["ground_truth_files"])' \
        "$w/part/$folder/execution.json"
}
gt_dir="$w/tree/gt/2026/11/24"
run gt_reuse
read -r gs_n gs_saved gs_files < <(gtsum)
check "gt summaries: identical to a full rescan" same gt_reuse
check "gt summaries: files taken from summaries ($gs_n of $gs_files), none saved ($gs_saved)" \
    test "$gs_n" -ge 1 -a "$gs_saved" = 0 -a "$gs_n" -le "$gs_files"
sum_files=$(find "$w/part/ep-1/_partials" -name '*.bmg' | sort)
check "gt summaries: one file a summarised ground-truth file, under _partials/CONFIG/_gt/" \
    test "$(printf '%s\n' "$sum_files" | grep -c '/_gt/../[0-9a-f]*\.bmg$')" = "$gs_n"
# a label changed in an existing file: appended (a later upload of an id wins) and rewritten in
# place with its size kept (only its stamps say that it changed)
late_file="$gt_dir/12/zz-late.jsonl"
head -n 1 "$late_file" | sed 's/"data": "\([01]\)/"data": "X\1/; s/"data": "X0/"data": "1/; s/"data": "X1/"data": "0/' >>"$late_file"
run gt_appended
cp "$w/part/$folder/analysis.json" "$w/gt_appended.analysis.json"
read -r n saved files < <(gtsum)
check "gt appended label: identical to a full rescan" same gt_appended
check "gt appended label: the file read again and summarised ($n $saved of $files)" \
    test "$n" = $((gs_n - 1)) -a "$saved" = 1
python3 - "$late_file" <<'P'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
i = b.rindex(b'"data": "') + 9
b = b[:i] + (b"1" if b[i:i + 1] == b"0" else b"0") + b[i + 1:]
open(p, "wb").write(b)
P
run gt_inplace
read -r n saved files < <(gtsum)
check "gt label rewritten in place, same size: identical to a full rescan" same gt_inplace
check "gt label rewritten in place: the file read again ($n $saved)" \
    test "$n" = $((gs_n - 1)) -a "$saved" = 1
check "gt label rewritten in place: outputs differ from before the change (the test can fail)" \
    sh -c '! cmp -s "$1" "$2"' _ "$w/gt_appended.analysis.json" "$w/part/$folder/analysis.json"
# a corrupt summary (one byte flipped), a truncated one: not used, the file read and summarised
one_sum=$(printf '%s\n' "$sum_files" | head -n 1)
python3 -c 'import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x20; open(p, "wb").write(b)' "$one_sum"
run gt_corrupt
read -r n saved files < <(gtsum)
check "gt corrupt summary: identical to a full rescan" same gt_corrupt
check "gt corrupt summary: not used, saved again ($n $saved)" test "$n" = $((gs_n - 1)) -a "$saved" = 1
truncate -s -10 "$one_sum"
run gt_truncated
read -r n saved files < <(gtsum)
check "gt truncated summary: identical to a full rescan" same gt_truncated
check "gt truncated summary: not used, saved again ($n $saved)" test "$n" = $((gs_n - 1)) -a "$saved" = 1
# a summary copied over another file's: its URI and stamps do not match, so it is not used
other_sum=$(printf '%s\n' "$sum_files" | sed -n 2p)
cp "$one_sum" "$other_sum"
run gt_swapped
read -r n saved files < <(gtsum)
check "gt summary of another file: identical to a full rescan" same gt_swapped
check "gt summary of another file: not used ($n $saved)" test "$n" = $((gs_n - 1)) -a "$saved" = 1
# a malformed line in a ground-truth file: the file is read each time (its problem is quoted)
echo '{"groundTruthData": {"data": "1"' >>"$late_file"
run gt_malformed
read -r n saved files < <(gtsum)
check "gt malformed line: identical to a full rescan" same gt_malformed
check "gt malformed line: the file not summarised ($n $saved)" test "$n" = $((gs_n - 1)) -a "$saved" = 0
run gt_malformed_again
read -r n saved files < <(gtsum)
check "gt malformed line, again: identical to a full rescan" same gt_malformed_again
check "gt malformed line, again: read from the file ($n $saved)" test "$n" = $((gs_n - 1)) -a "$saved" = 0
sed -i '$d' "$late_file"

# 3. a corrupted partial (one byte flipped) and a truncated one are detected and rebuilt
python3 - "$part_file" <<'P'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x20
open(p, "wb").write(bytes(b))
P
run corrupt
check "corrupt: identical to a full rescan" same corrupt
check "corrupt: rejected" partials corrupt rejected 1
check "corrupt: rebuilt" partials corrupt built 1
check "corrupt: a log line says checksum" grep_note corrupt "checksum mismatch"
size=$(stat -c %s "$part_file")
truncate -s $((size - 100)) "$part_file"
run truncated
check "truncated: identical to a full rescan" same truncated
check "truncated: rejected" partials truncated rejected 1
check "truncated: rebuilt" partials truncated built 1
check "truncated: a log line says checksum" grep_note truncated "checksum mismatch"
check "truncated: the rebuilt partial is whole again" test "$(stat -c %s "$part_file")" = "$size"
printf 'not a partial' >"$part_file"
run garbage
check "garbage: identical to a full rescan" same garbage
check "garbage: rejected" partials garbage rejected 1
check "garbage: a log line says so" grep_note garbage "not a biasmon hour partial"

# 3b. the partial read as docs/partials.md describes its format (which this holds), then given a
#     record count it cannot hold under a valid checksum: not believed, rebuilt, no failure
# parse.py PARTIAL [craft]: reads the partial by the layout of docs/partials.md and checks it;
# with craft, rewrites its record count to 2^40 under a valid checksum
cat >"$w/parse.py" <<'P'
import hashlib, struct, sys
p = sys.argv[1]
b = open(p, "rb").read()
assert b[:8] == b"BMHPART\n" and hashlib.sha256(b[:-64]).hexdigest().encode() == b[-64:]
o = 8
def u32():
    global o; o += 4; return struct.unpack_from("<I", b, o - 4)[0]
def u64():
    global o; o += 8; return struct.unpack_from("<Q", b, o - 8)[0]
def byt():
    global o; n = u32(); o += n; return b[o - n:o]
assert u32() == 1
o += 64
hour, tmin, tmax = u64(), u64(), u64()
assert hour == 1795518000 and hour <= tmin <= tmax < hour + 3600, (hour, tmin, tmax)
files, records, inw, outw, bad, badw = (u64() for _ in range(6))
objs = [byt() for _ in range(u32())]
assert len(objs) == files == 12 and all(x.count(b"\t") == 2 for x in objs), objs[:2]
for _ in range(u32()):
    byt(); u64(); byt()
if u32():
    byt(); u64(); byt()
assert byt().startswith(b"{") and byt().startswith(b"{")
at = o
n = u64(); recs = byt()
assert o == len(b) - 64 and n > 0 and len(recs) >= 20 * n
if len(sys.argv) > 2:
    c = bytearray(b[:-64])
    struct.pack_into("<Q", c, at, 1 << 40)
    open(p, "wb").write(bytes(c) + hashlib.sha256(bytes(c)).hexdigest().encode())
P
check "the partial's layout is docs/partials.md's" python3 "$w/parse.py" "$part_file"
python3 "$w/parse.py" "$part_file" craft
run crafted
check "crafted record count: identical to a full rescan" same crafted
check "crafted record count: rejected" partials crafted rejected 1
check "crafted record count: a log line says so" grep_note crafted "malformed content"

# 4. the hour's capture changed: a new object in hour 11 (a copy of a record under a new id)
python3 - "$w/tree" <<'P'
import glob, json, sys
tree = sys.argv[1]
src = sorted(glob.glob(tree + "/capture/ep-1/AllTraffic/2026/11/24/11/*.jsonl"))[0]
r = json.loads(open(src).readline())
r["eventMetadata"]["eventId"] = "new-object-event"
r["eventMetadata"].pop("inferenceId", None)
r["eventMetadata"]["inferenceTime"] = "2026-11-24T11:30:00Z"
open(tree + "/capture/ep-1/AllTraffic/2026/11/24/11/99-new.jsonl", "w").write(json.dumps(r) + "\n")
P
run new_object
check "new capture object: identical to a full rescan" same new_object
check "new capture object: rejected" partials new_object rejected 1
check "new capture object: rebuilt" partials new_object built 1
check "new capture object: a log line says so" grep_note new_object "the hour had 12 capture objects, it has 13 now"
# an object rewritten in place (same name, other content) is a changed object too
printf '\n' >>"$w/tree/capture/ep-1/AllTraffic/2026/11/24/11/99-new.jsonl"
run rewritten
check "rewritten object: identical to a full rescan" same rewritten
check "rewritten object: rejected" partials rewritten rejected 1
check "rewritten object: a log line names it" grep_note rewritten "a capture object of the hour changed"

# 5. a window that does not hold all of the hour's records: the partial is not used
run half_hour --data-analysis-start-time -PT30M
check "half-hour window: identical to a full rescan" same half_hour
check "half-hour window: nothing reused" partials half_hour reused 0
check "half-hour window: the partial rejected" grep_note half_hour "its records reach outside this window"
run back
check "full window again: reused" partials back reused 1

# 6. the statistical rule: its counts and evidence are identical too
jobdef "$w/jd_full.json" "$w/full" statistical
jobdef "$w/jd_part.json" "$w/part" statistical
run statistical
check "statistical: identical to a full rescan" same statistical
check "statistical: bias_counts.json identical" cmp -s "$w/full/$folder/bias_counts.json" "$w/part/$folder/bias_counts.json"
check "statistical: bias_evidence.json identical" cmp -s "$w/full/$folder/bias_evidence.json" "$w/part/$folder/bias_evidence.json"
check "statistical: reused (the rule does not change the hour's reduction)" partials statistical reused 1

# 7. partials in S3 (moto's server on loopback): everything under s3://, the same outputs, the
#    partial reused, then rejected when an object is added to the hour in the bucket
. "$BM_SOURCE_DIR/tests/cli/lib/s3_servers.sh"
find_python 'import moto.server, boto3'
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_CA_BUNDLE \
    AWS_MAX_ATTEMPTS
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    PYTHONNOUSERSITE=1 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing \
    AWS_SECRET_ACCESS_KEY=testing-secret-0123456789
start_moto EP
export AWS_ENDPOINT_URL_S3=$EP
cat >"$w/s3.py" <<'P'
import boto3, os, sys
ep, cmd = sys.argv[1:3]
s3 = boto3.client("s3", endpoint_url=ep)
if cmd == "put":  # put BUCKET DIR PREFIX: every file under DIR
    bucket, root, prefix = sys.argv[3:6]
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            s3.upload_file(p, bucket, prefix + os.path.relpath(p, root))
elif cmd == "get":  # get BUCKET KEY FILE
    s3.download_file(sys.argv[3], sys.argv[4], sys.argv[5])
elif cmd == "keys":  # keys BUCKET PREFIX: the keys under PREFIX
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[3], Prefix=sys.argv[4]):
        for o in page.get("Contents", []):
            print(o["Key"])
P
mkdir -p "$w/s3up"
cp "$w/ac.json" "$w/s3up/ac.json"
cp -r "$w/tree" "$w/s3up/tree"
rm -f "$w/s3up/tree/capture/ep-1/AllTraffic/2026/11/24/11/99-new.jsonl"
mkdir -p "$w/s3up/base" && cp "$w/base/analysis.json" "$w/base/bias_counts.json" "$w/s3up/base/"
"$PY" "$w/s3.py" "$EP" put bm-part "$w/s3up" "" || { echo "FAIL: cannot upload to moto"; exit 1; }
sed -e "s|file://$w/ac.json|s3://bm-part/ac.json|" -e "s|$w/tree/gt|s3://bm-part/tree/gt|" \
    -e "s|$w/base/analysis.json|s3://bm-part/base/analysis.json|" -e "s|\"S3Uri\": \"$w/part\"|\"S3Uri\": \"s3://bm-part/out\"|" \
    "$w/jd_part.json" >"$w/jd_s3.json"
s3run() { # name
    "$BM_BIN" execute --job-definition "$w/jd_s3.json" --scheduled-time $T \
        --capture-uri s3://bm-part/tree/capture 2>"$w/$1.err" >/dev/null
    rm -f "$w/$1.execution.json" "$w/$1.analysis.json"
    "$PY" "$w/s3.py" "$EP" get bm-part "out/$folder/execution.json" "$w/$1.execution.json"
    "$PY" "$w/s3.py" "$EP" get bm-part "out/$folder/analysis.json" "$w/$1.analysis.json"
}
s3partials() { # name field value
    "$PY" -c 'import json, sys
p = json.load(open(sys.argv[1]))["partials"]
sys.exit(0 if p[sys.argv[2]] == int(sys.argv[3]) else (print("partials:", p) or 1))' "$w/$1.execution.json" "$2" "$3"
}
# the same tree locally, without the object added in 4, read whole
mv "$w/tree/capture/ep-1/AllTraffic/2026/11/24/11/99-new.jsonl" "$w/99-new.jsonl"
run s3_local
s3run s3_first
s3run s3_reuse
check "s3: the first execution built the partial of hour 11" s3partials s3_first built 1
check "s3: the partial is an object under s3://bm-part/out/ep-1/_partials/" \
    sh -c '"$1" "$2" "$3" keys bm-part out/ep-1/_partials/ | grep -q "/2026/11/24/11.bmp$"' _ "$PY" "$w/s3.py" "$EP"
check "s3: the second execution reused it" s3partials s3_reuse reused 1
check "s3: analysis.json identical to a local full rescan" cmp -s "$w/full/$folder/analysis.json" "$w/s3_reuse.analysis.json"
check "s3: analysis.json identical on the first run" cmp -s "$w/full/$folder/analysis.json" "$w/s3_first.analysis.json"
mkdir -p "$w/s3new/tree/capture/ep-1/AllTraffic/2026/11/24/11"
cp "$w/99-new.jsonl" "$w/s3new/tree/capture/ep-1/AllTraffic/2026/11/24/11/"
mv "$w/99-new.jsonl" "$w/tree/capture/ep-1/AllTraffic/2026/11/24/11/99-new.jsonl"
"$PY" "$w/s3.py" "$EP" put bm-part "$w/s3new" ""
run s3_local_new
s3run s3_new
check "s3: a new object in the hour: the partial rejected" s3partials s3_new rejected 1
check "s3: a new object in the hour: a log line says so" \
    grep -q "hour partial 2026-11-24T11: the hour had 12 capture objects, it has 13 now" "$w/s3_new.err"
check "s3: a new object in the hour: analysis.json identical to a local full rescan" \
    cmp -s "$w/full/$folder/analysis.json" "$w/s3_new.analysis.json"

# 8. --no-partials neither reads nor writes partials; FT in the methods turns them off
rm -rf "$w/part/ep-1/_partials"
"$BM_BIN" execute --job-definition "$w/jd_part.json" --scheduled-time $T \
    --capture-uri "$w/tree/capture" --no-partials 2>/dev/null >/dev/null
check "--no-partials writes no partial" test ! -e "$w/part/ep-1/_partials"
sed -e 's/"BIASMON_ALARM_RULE": "statistical"/"BIASMON_ALARM_RULE": "statistical", "BIASMON_PARTIALS": "off"/' \
    "$w/jd_part.json" >"$w/jd_off.json"
"$BM_BIN" execute --job-definition "$w/jd_off.json" --scheduled-time $T \
    --capture-uri "$w/tree/capture" 2>/dev/null >/dev/null
check "Environment BIASMON_PARTIALS off writes no partial" test ! -e "$w/part/ep-1/_partials"
check "Environment BIASMON_PARTIALS off: execution.json partials is null" python3 -c '
import json, sys; sys.exit(json.load(open(sys.argv[1]))["partials"] is not None)' "$w/part/$folder/execution.json"
sed -e 's/"BIASMON_PARTIALS": "off"/"BIASMON_PARTIALS": "no"/' "$w/jd_off.json" >"$w/jd_bad.json"
"$BM_BIN" execute --job-definition "$w/jd_bad.json" --scheduled-time $T \
    --capture-uri "$w/tree/capture" 2>"$w/bad.err" >/dev/null; rc=$?
check "BIASMON_PARTIALS neither on nor off fails the execution naming it (rc $rc)" \
    sh -c '[ "$1" = 3 ] && grep -q "Environment.BIASMON_PARTIALS must be" "$2"' _ "$rc" "$w/bad.err"
sed -i 's/"TE"\]/"TE","FT"]/' "$w/ac.json"
"$BM_BIN" execute --job-definition "$w/jd_part.json" --scheduled-time $T \
    --capture-uri "$w/tree/capture" 2>/dev/null >/dev/null
check "FT: no partial written" test ! -e "$w/part/ep-1/_partials"
check "FT: execution.json partials is null" python3 -c '
import json, sys; sys.exit(json.load(open(sys.argv[1]))["partials"] is not None)' "$w/part/$folder/execution.json"

echo "partials: $passes passed, $fails failed"
[ "$fails" = 0 ]
