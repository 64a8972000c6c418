#!/usr/bin/env bash
# What biasmon serve exposes without credentials:
#  1. --auth off on an address other than loopback (0.0.0.0, ::, a host address) is refused at
#     start (exit 2, nothing created, the message names --allow-unauthenticated-remote); with that
#     override it starts and says so at level warn; --auth off on loopback starts as before.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    [ -n "${BM_KEEP:-}" ] && echo "kept $w" || rm -rf "$w"
}
trap cleanup EXIT
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done

# start DATA LOG settings...: starts the daemon in the background; 0 once serve.json exists
start() {
    local data=$1 log=$2; shift 2
    "$BM_BIN" serve --data-dir "$data" "$@" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        [ -s "$data/serve.json" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}
stop() {
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
}

# ---- 1. --auth off on a non-loopback address
for addr in 0.0.0.0:0 '[::]:0' 10.11.12.13:0; do
    # (timeout: before the guard, the daemon just starts)
    timeout -s KILL 5 "$BM_BIN" serve --data-dir "$w/refused" --listen "$addr" --auth off >"$w/out" 2>"$w/err"; rc=$?
    check "--listen $addr --auth off: exit 2 (got $rc: $(cat "$w/err"))" test "$rc" = 2
    check "--listen $addr --auth off: the message names --allow-unauthenticated-remote" \
        grep -q -- '--allow-unauthenticated-remote' "$w/err"
    check "--listen $addr --auth off: no data directory created" test ! -e "$w/refused"
done
BIASMON_AUTH=off "$BM_BIN" serve --data-dir "$w/refused" --listen 0.0.0.0:0 --check-config >"$w/out" 2>"$w/err"; rc=$?
check "--check-config refuses auth off from the environment on 0.0.0.0 too (got $rc)" test "$rc" = 2

if start "$w/d1" "$w/d1.log" --listen 127.0.0.1:0 --auth off; then
    check "--auth off on 127.0.0.1 starts" true
else
    check "--auth off on 127.0.0.1 starts ($(cat "$w/d1.log"))" false
fi
stop
if start "$w/d2" "$w/d2.log" --listen '[::1]:0' --auth off; then
    check "--auth off on ::1 starts" true
else
    check "--auth off on ::1 starts ($(cat "$w/d2.log"))" false
fi
stop
if start "$w/d3" "$w/d3.log" --listen 0.0.0.0:0 --auth off --allow-unauthenticated-remote on; then
    check "--auth off on 0.0.0.0 with --allow-unauthenticated-remote on starts" true
    check "... and warns that the API is open to anyone" \
        grep -q 'level=warn event=unauthenticated_remote' "$w/d3.log"
else
    check "--auth off on 0.0.0.0 with --allow-unauthenticated-remote on starts ($(cat "$w/d3.log"))" false
fi
stop

echo "serve_exposure: $passes passed, $fails failed"
[ "$fails" = 0 ]
