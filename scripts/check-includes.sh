#!/usr/bin/env bash
# The include rules of issue 9: fails, printing each offending chain with file and line, when
#  (a) files under lib/ and include/ include each other in a cycle (a.h -> b.h -> a.h), or
#  (b) a file in lib/<module>/ includes another module's internal header (lib/<other>/*), or a
#      public header in include/ includes anything under lib/.
# A quoted include is resolved as the compiler does here: the including file's folder first, then
# include/, then lib/ (CMakeLists.txt's include path); names found in none of them (system
# headers) are not followed. CMake runs it before the library compiles (target check_includes),
# like check-banned.sh.
# Usage: scripts/check-includes.sh [SOURCE_DIR]     exit 0 clean, 1 violations, 2 cannot check
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" 2>/dev/null || { echo "check-includes: no folder $root" >&2; exit 2; }
dirs=()
for d in lib include; do [ -d "$d" ] && dirs+=("$d"); done
[ ${#dirs[@]} -gt 0 ] || { echo "check-includes: neither lib/ nor include/ under $root" >&2; exit 2; }

# one edge a line: FROM LINE TO (paths relative to root, normalised)
edges=$(mktemp) || exit 2
trap 'rm -f "$edges"' EXIT
nfiles=0
while IFS= read -r -d '' f; do
    nfiles=$((nfiles + 1))
    f=${f#./}
    dir=$(dirname "$f")
    while read -r line name; do
        to=""
        for base in "$dir" include lib; do
            if [ -f "$base/$name" ]; then to=$(realpath -m --relative-to=. "$base/$name"); break; fi
        done
        [ -n "$to" ] && printf '%s %s %s\n' "$f" "$line" "$to"
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]+"' "$f" |
        sed -E 's/^([0-9]+):[^"]*"([^"]+)".*/\1 \2/')
done < <(find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z) >"$edges"
[ "$nfiles" -gt 0 ] || { echo "check-includes: no .c or .h files under lib/ or include/ of $root" >&2; exit 2; }

awk '
function module(p,   a) { split(p, a, "/"); return a[1] == "lib" ? a[2] : "" }
function dfs(u,   i, v, j, k, chain, start, key) {
    color[u] = 1; stack[++sp] = u
    for (i = 1; i <= deg[u]; i++) {
        v = adj[u, i]
        if (color[v] == 1) {
            # a back edge: the stack from v to u, then v again, is a cycle
            for (j = sp; j > 0 && stack[j] != v; j--) ;
            # the same cycle reached from another of its files is reported once
            start = j
            for (k = j; k <= sp; k++) if (stack[k] < stack[start]) start = k
            key = ""
            for (k = start; k <= sp; k++) key = key " " stack[k]
            for (k = j; k < start; k++) key = key " " stack[k]
            if (!(key in seen)) {
                seen[key] = 1
                chain = ""
                for (k = j; k <= sp; k++)
                    chain = chain stack[k] ":" line[stack[k], (k < sp ? stack[k + 1] : v)] " -> "
                print "include cycle: " chain v " (break it: move what both need into one header, or declare the type instead of including)"
                bad = 1
            }
        } else if (color[v] == 0) dfs(v)
    }
    sp--; color[u] = 2
}
{
    from = $1; ln = $2; to = $3
    if (!((from, to) in line)) { adj[from, ++deg[from]] = to; line[from, to] = ln }
    nodes[from] = 1; nodes[to] = 1
    if (from ~ /^include\// && to ~ /^lib\//) {
        print from ":" ln ": includes " to ", an internal header, from a public header: public headers include only include/biasmon/*.h"
        bad = 1
    } else if (from ~ /^lib\// && to ~ /^lib\// && module(from) != module(to)) {
        print from ":" ln ": includes " to ", an internal header of lib/" module(to) "/: use a public header from include/biasmon/ (or move the shared code into one module)"
        bad = 1
    }
}
END {
    n = 0
    for (u in nodes) order[++n] = u
    # a stable order, so the report is the same on every run
    for (i = 2; i <= n; i++) { x = order[i]; for (j = i - 1; j > 0 && order[j] > x; j--) order[j + 1] = order[j]; order[j + 1] = x }
    for (i = 1; i <= n; i++) if (color[order[i]] == 0) dfs(order[i])
    exit bad ? 1 : 0
}' "$edges" >&2
