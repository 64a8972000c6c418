#!/usr/bin/env bash
# scripts/check-includes.sh on small scratch trees: an include cycle, a module including another
# module's internal header (also through ../), a public header including an internal one: each
# fails (exit 1) and names the chain with files and lines; a clean tree passes silently.
set -u
: "${BM_SOURCE_DIR:?}"
script="$BM_SOURCE_DIR/scripts/check-includes.sh"
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
put() { mkdir -p "$(dirname "$1")" && printf '%s\n' "${@:2}" >"$1"; } # file, lines...

# a clean tree: local and public includes, system headers not followed
t="$w/clean"
put "$t/include/biasmon/common.h" '#pragma once'
put "$t/include/biasmon/a.h" '#pragma once' '#include "biasmon/common.h"' '#include <stdio.h>'
put "$t/lib/a/internal.h" '#pragma once' '#include "biasmon/a.h"'
put "$t/lib/a/x.c" '/* x */' '#include "biasmon/a.h"' '#include "internal.h"' '#include "a/internal.h"' '#include <string.h>' '#include "generated.h"'
put "$t/lib/b/y.c" '#include "biasmon/a.h"' '  #  include "biasmon/common.h"'
bash "$script" "$t" >"$w/out" 2>&1; rc=$?
check "a clean tree passes (exit $rc: $(cat "$w/out"))" test "$rc" = 0
check "a clean tree prints nothing" test ! -s "$w/out"

# a cycle of three headers, reached from a .c file too: reported once, in order, with lines
t="$w/cycle"
cp -r "$w/clean" "$t"
put "$t/lib/a/p.h" '#pragma once' '#include "q.h"'
put "$t/lib/a/q.h" '#pragma once' '' '#include "a/r.h"'
put "$t/lib/a/r.h" '#include "p.h"'
put "$t/lib/a/z.c" '#include "r.h"'
bash "$script" "$t" >"$w/out" 2>&1; rc=$?
check "a cycle fails with exit 1 (got $rc)" test "$rc" = 1
check "the cycle is named with files and lines: $(cat "$w/out")" \
    grep -qF 'include cycle: lib/a/p.h:2 -> lib/a/q.h:3 -> lib/a/r.h:1 -> lib/a/p.h' "$w/out"
check "the cycle is reported once ($(grep -c 'include cycle' "$w/out"))" test "$(grep -c 'include cycle' "$w/out")" = 1

# a header including itself, and two headers including each other
t="$w/pair"
cp -r "$w/clean" "$t"
put "$t/lib/b/s.h" '#include "s.h"'
put "$t/include/biasmon/u.h" '#include "biasmon/v.h"'
put "$t/include/biasmon/v.h" '#include "biasmon/u.h"'
bash "$script" "$t" >"$w/out" 2>&1; rc=$?
check "a self-include and a pair fail (exit $rc)" test "$rc" = 1
check "the self-include is named: $(cat "$w/out")" grep -qF 'include cycle: lib/b/s.h:1 -> lib/b/s.h' "$w/out"
check "the pair is named: $(cat "$w/out")" \
    grep -qF 'include cycle: include/biasmon/u.h:1 -> include/biasmon/v.h:1 -> include/biasmon/u.h' "$w/out"

# another module's internal header, by lib/ path and by ../; a public header including lib/
t="$w/cross"
cp -r "$w/clean" "$t"
put "$t/lib/b/f.c" '#include "biasmon/a.h"' '#include "a/internal.h"'
put "$t/lib/b/g.h" '#include "../a/internal.h"'
put "$t/include/biasmon/p.h" '#include "a/internal.h"'
bash "$script" "$t" >"$w/out" 2>&1; rc=$?
check "cross-module includes fail (exit $rc)" test "$rc" = 1
check "lib/b/f.c is named with its line and the header: $(cat "$w/out")" \
    grep -qF 'lib/b/f.c:2: includes lib/a/internal.h, an internal header of lib/a/' "$w/out"
check "../ is resolved: $(cat "$w/out")" grep -qF 'lib/b/g.h:1: includes lib/a/internal.h' "$w/out"
check "a public header including lib/ is named: $(cat "$w/out")" \
    grep -qF 'include/biasmon/p.h:1: includes lib/a/internal.h, an internal header, from a public header' "$w/out"
check "exactly three violations ($(wc -l <"$w/out"))" test "$(wc -l <"$w/out")" = 3

# nothing to check is an error of its own, not a pass
bash "$script" "$w/nothing-here" >"$w/out" 2>&1; rc=$?
check "a missing tree: exit 2 (got $rc)" test "$rc" = 2
mkdir -p "$w/empty/lib"
bash "$script" "$w/empty" >"$w/out" 2>&1; rc=$?
check "a tree without sources: exit 2 (got $rc)" test "$rc" = 2

echo "check_includes: $passes passed, $fails failed"
[ "$fails" = 0 ]
