#!/usr/bin/env bash
# scripts/check-serve-layers.sh: the real build's lib/serve/ calls in one direction; on scratch
# objects, a call up the order and a file outside the order each fail and are named.
set -u
: "${BM_SOURCE_DIR:?}" "${BM_BUILD_DIR:?}"
script="$BM_SOURCE_DIR/scripts/check-serve-layers.sh"
fails=0
check() { # name, condition command...
    local name=$1; shift
    if ! "$@"; then echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT

bash "$script" "$BM_BUILD_DIR" >"$w/real" 2>&1; rc=$?
check "the build's lib/serve/ calls downwards only (exit $rc: $(cat "$w/real"))" test "$rc" = 0

cc=${CC:-cc}
obj="$w/b/CMakeFiles/biasmon_core.dir/lib/serve"
mkdir -p "$obj"
compile() { printf '%s\n' "$2" >"$w/$1.c" && "$cc" -c -o "$obj/$1.c.o" "$w/$1.c"; }
compile service 'int bm__ops_do(void); int bm__service_do(void) { return bm__ops_do(); }' || exit 2
compile ops 'int bm__log_it(void); int bm__ops_do(void) { return bm__log_it(); }' || exit 2
compile base 'int bm__log_it(void) { return 1; } int bm_store_x(void); int bm__base_y(void) { return bm_store_x(); }' || exit 2
bash "$script" "$w/b" >"$w/out" 2>&1; rc=$?
check "downward calls and calls outside lib/serve/ pass (exit $rc: $(cat "$w/out"))" test "$rc" = 0

compile base 'int bm__ops_do(void); int bm__log_it(void) { return bm__ops_do(); }' || exit 2
bash "$script" "$w/b" >"$w/out" 2>&1; rc=$?
check "a call up the order fails (exit $rc)" test "$rc" = 1
check "it names the caller, the callee and its file ($(cat "$w/out"))" \
    grep -q 'lib/serve/base.c calls bm__ops_do of lib/serve/ops.c, a layer above it' "$w/out"

compile base 'int bm__log_it(void) { return 1; }' || exit 2
compile newfile 'int bm__new(void) { return 0; }' || exit 2
bash "$script" "$w/b" >"$w/out" 2>&1; rc=$?
check "a file outside the order fails (exit $rc)" test "$rc" = 1
check "it is named ($(cat "$w/out"))" grep -q 'lib/serve/newfile.c: not placed' "$w/out"

rm -rf "$w/b"
bash "$script" "$w/b" >"$w/out" 2>&1; rc=$?
check "no objects: cannot check (exit $rc)" test "$rc" = 2

[ "$fails" = 0 ] && echo "serve_layers: ok"
exit $((fails > 0))
