#!/usr/bin/env bash
# Runs bench/serve_dos.c against one biasmon binary: starts `biasmon serve` on a fresh data
# directory (port 0, loopback), holds the attack while an honest client measures, stops the
# service. docs/performance.md ("A daemon a hostile client cannot starve") has the figures.
#
# usage: bench/serve_dos.sh BIASMON SERVE_DOS [serve_dos options...]
#   e.g. bench/serve_dos.sh /tmp/build-new/biasmon /tmp/build-new/serve_dos --slowloris 1000 --idle 1000
# Extra serve settings come from the environment (BIASMON_REQUEST_TIMEOUT=...).
set -u
[ $# -ge 2 ] || { sed -n '2,9p' "$0"; exit 2; }
bin=$1 bench=$2; shift 2
d=$(mktemp -d) pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$d"
}
trap cleanup EXIT
# the attacker's and the service's descriptors (bounded by the hard limit)
ulimit -n "$(ulimit -Hn)" 2>/dev/null
"$bin" serve --data-dir "$d/data" --listen 127.0.0.1:0 --log-level warn >"$d/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -s "$d/data/serve.json" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -s "$d/data/serve.json" ] || { echo "serve_dos.sh: biasmon serve did not start" >&2; cat "$d/serve.log" >&2; exit 3; }
port=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$d/data/serve.json")
echo "biasmon: $bin ($("$bin" --version 2>/dev/null | head -n 1)), port $port"
"$bench" --port "$port" --sign "$d/data" "$@"
rc=$?
kill -TERM "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
exit $rc
