#!/usr/bin/env bash
# A baseline that calls the model (the analysis config's predictor) beside the same baseline with
# the predictions already in the data: `biasmon analyze --model-url` against a model server in
# Python's standard library (the demo's rule; ThreadingHTTPServer, CSV in and out), and
# `biasmon analyze` on the same rows with the rule's Prediction column, on the shipped Adult data
# (32,561 rows). Prints each run's wall time and the medians; docs/performance.md ("Baselines that
# call the model") records the figures.
#
# usage: bench/bench_predict.sh [BUILD_DIR]    (default build; a Release build of biasmon)
# Knobs (environment): REPS (5), BENCH_DIR (/tmp/biasmon-bench-predict). Loopback only; the model
# server it starts is stopped on exit.
set -u
B=${1:-build}
REPS=${REPS:-5}
dir=${BENCH_DIR:-/tmp/biasmon-bench-predict}
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$B/biasmon" ] || { echo "build $B/biasmon first (Release)"; exit 2; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
mpid=""
trap '[ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null' EXIT
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print; next } { $1 = $1; print }' \
    "$root/data/adult/adult.csv" >"$dir/adult.csv"
awk -F', ' 'BEGIN { OFS = "," } NF < 15 { next } NR == 1 { $1 = $1; print $0, "Prediction"; next }
    { $1 = $1; print $0, ((($5 >= 13 && $13 >= 40) || $11 >= 7000) ? ">50K" : "<=50K") }' \
    "$root/data/adult/adult.csv" >"$dir/with_predictions.csv"
python3 - "$root/data/adult/analysis_config.json" "$dir" <<'P'
import json, sys
c = json.load(open(sys.argv[1])); d = sys.argv[2]
json.dump(c, open(f"{d}/local.json", "w"))
del c["predicted_label"]
c["predictor"] = {"model_name": "m", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1, "label": 0}
json.dump(c, open(f"{d}/predictor.json", "w"))
P
cat >"$dir/model.py" <<'P'
import http.server, os, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):  # without it the body waits for the headers' delayed ACK (40 ms a request)
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    def do_POST(self):
        out = []
        for l in self.rfile.read(int(self.headers["Content-Length"])).decode().splitlines():
            f = l.split(",")  # age, fnlwgt, education-num, capital-gain, capital-loss, hours-per-week
            out.append(">50K\n" if (float(f[2]) >= 13 and float(f[5]) >= 40) or float(f[3]) >= 7000 else "<=50K\n")
        b = "".join(out).encode()
        self.send_response(200); self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
P
python3 "$dir/model.py" "$dir/port" &
mpid=$!
for _ in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
[ -s "$dir/port" ] || { echo "the model server did not start"; exit 1; }
url="http://127.0.0.1:$(cat "$dir/port")/invocations"
wall() { # out-file command...: the command's wall time in seconds
    local out=$1; shift
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>"$out.err" || { echo "failed: $*"; cat "$out.err"; exit 1; }
    t1=$(date +%s.%N); echo "$t1 - $t0" | bc
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: >"$dir/local.t"; : >"$dir/model.t"
for r in $(seq 1 "$REPS"); do
    a=$(wall "$dir/l$r" "$B/biasmon" analyze --threads 1 --analysis-config "$dir/local.json" \
        --dataset "$dir/with_predictions.csv" --output "$dir/out-local")
    m=$(wall "$dir/m$r" "$B/biasmon" analyze --threads 1 --analysis-config "$dir/predictor.json" \
        --dataset "$dir/adult.csv" --output "$dir/out-model" --model-url "$url")
    echo "rep $r: precomputed ${a}s, asking the model ${m}s ($(grep -o 'the model predicted.*' "$dir/m$r.err"))"
    echo "$a" >>"$dir/local.t"; echo "$m" >>"$dir/model.t"
done
cmp -s "$dir/out-local/analysis.json" "$dir/out-model/analysis.json" || { echo "analysis.json differs"; exit 1; }
echo "medians of $REPS: precomputed $(median <"$dir/local.t")s, asking the model $(median <"$dir/model.t")s (analysis.json byte-identical)"
