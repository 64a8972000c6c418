#!/usr/bin/env bash
# Every C file follows .clang-format (STYLE.md): a file that does not fails this test, and the
# check itself must notice a badly formatted file in a scratch tree.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
bash "$here/scripts/check-format.sh" "$here" || exit 1
# the checker can fail: a scratch tree with one misformatted file
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lib/x"
cp "$here/.clang-format" "$tmp/"
printf 'int f(int a){return a+1;}\n' >"$tmp/lib/x/bad.c"
if bash "$here/scripts/check-format.sh" "$tmp" 2>/dev/null; then
    echo "format: the checker accepted a misformatted file" >&2
    exit 1
fi
echo "format: ok"
