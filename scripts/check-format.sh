#!/usr/bin/env bash
# Checks that every C source and header is formatted as .clang-format says (clang-format from
# Debian). Prints the files that differ and how to fix them; exit 1 when any does.
# Usage: scripts/check-format.sh [SOURCE_DIR]
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
command -v clang-format >/dev/null || { echo "check-format: clang-format is missing (scripts/deps.sh test installs it)" >&2; exit 2; }
cd "$root" || exit 2
bad=0 n=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "check-format: $f is not formatted" >&2
        bad=$((bad + 1))
    fi
done < <(find lib src include tests bench fuzz -type f \( -name '*.c' -o -name '*.h' \) -not -path '*/node_modules/*' -print0 | sort -z)
if [ "$bad" -gt 0 ]; then
    echo "check-format: $bad of $n files differ from .clang-format; run 'make format'" >&2
    exit 1
fi
echo "check-format: $n files formatted"
