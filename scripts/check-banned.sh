#!/usr/bin/env bash
# STYLE.md's banned functions (after git's banned.h): fails, naming file and line, when a source
# under lib/, src/, bench/, fuzz/ or tests/unit/ calls one. Comments and strings are removed first (the compiler's own
# preprocessor in -fpreprocessed mode, which expands nothing). CMake runs it before the library
# and the program are compiled, so a banned call fails the build.
# Usage: scripts/check-banned.sh [SOURCE_DIR]
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
banned='atoi|atol|atoll|atof|sprintf|vsprintf|strcpy|strcat|strtok|gets|gmtime|localtime|asctime|ctime'
why() {
    case $1 in
    ato*) echo "use strtol/strtod with end and range checks" ;;
    sprintf | vsprintf) echo "use snprintf/vsnprintf" ;;
    strcpy | strcat) echo "use snprintf, memcpy with a checked length, or bm_buf" ;;
    strtok) echo "use strtok_r or a hand-written scanner" ;;
    gmtime | localtime | asctime | ctime) echo "use the _r form" ;;
    gets) echo "use fgets" ;;
    esac
}
status=0 n=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    # -fpreprocessed: comments go, nothing is expanded; string literals are blanked by sed
    cc -fpreprocessed -dD -E -P "$f" 2>/dev/null | sed -E 's/"([^"\\]|\\.)*"/""/g' |
        grep -qE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\(" || continue
    # where: the original lines that call one, comment lines left out
    shown=0
    while IFS= read -r hit; do
        shown=1
        fn=$(grep -oE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\(" <<<"${hit#*:}" | head -n 1 | grep -oE "$banned")
        echo "${f#"$root"/}:${hit%%:*}: calls $fn(), which STYLE.md bans: $(why "$fn")" >&2
        status=1
    done < <(grep -nE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\(" "$f" | grep -vE '^[0-9]+:[[:space:]]*(/\*|//|\*[[:space:]/]|\*$)')
    [ "$shown" = 1 ] || { echo "${f#"$root"/}: calls a function STYLE.md bans ($banned)" >&2; status=1; }
done < <(for d in lib src bench fuzz tests/unit; do [ -d "$root/$d" ] && printf '%s\0' "$root/$d"; done | xargs -0 -I{} find {} -name '*.[ch]' -print0)
[ "$n" -gt 0 ] || { echo "check-banned: no sources under $root/lib and $root/src" >&2; exit 2; }
exit $status
