#!/usr/bin/env bash
# biasmon serve's settings table drives docs/settings.md, --help and --check-config: the committed
# document equals --print-settings-markdown, --help lists every setting with its environment
# variable and default, --check-config accepts the defaults and refuses bad values (exit 2, the
# message names the setting), the environment sets a value and the command line wins over it.
set -u
: "${BM_BIN:?}" "${BM_SOURCE_DIR:?}"
fails=0; passes=0
check() { # name, condition command...
    local name=$1; shift
    if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
for v in $(compgen -e | grep '^BIASMON_'); do unset "$v"; done
cd "$w" || exit 1 # --check-config must not need (or create) anything here

"$BM_BIN" serve --print-settings-markdown >"$w/settings.md"; rc=$?
check "--print-settings-markdown: exit 0 (got $rc)" test "$rc" = 0
check "docs/settings.md is what --print-settings-markdown prints (regenerate it: biasmon serve --print-settings-markdown >docs/settings.md)" \
    diff -u "$BM_SOURCE_DIR/docs/settings.md" "$w/settings.md"
# the settings, from the table's rows: | `--name` | `BIASMON_NAME` | `default` | meaning |
# (an empty default is written "(empty)")
sed -n -e 's/^| `--\([a-z-]*\)` | `\(BIASMON_[A-Z_]*\)` | `\([^`]*\)` | .*/\1 \2 \3/p' \
    -e 's/^| `--\([a-z-]*\)` | `\(BIASMON_[A-Z_]*\)` | (empty) | .*/\1 \2/p' "$w/settings.md" >"$w/table"
check "the document has a row per setting, at least the documented ones ($(wc -l <"$w/table") rows)" \
    sh -c 'for s in data-dir listen auth workers time-scale time-start poll-ms shutdown-grace; do grep -q "^$s " "$1" || exit 1; done' _ "$w/table"

"$BM_BIN" serve --help >"$w/help" 2>&1; rc=$?
check "--help: exit 0 (got $rc)" test "$rc" = 0
missing=""
while read -r name env def; do
    grep -q -- "^  --$name  *default \"$def\" ($env)\$" "$w/help" || missing="$missing --$name"
done <"$w/table"
check "--help lists every setting with its default and environment variable (missing:$missing)" test -z "$missing"

"$BM_BIN" serve --check-config >"$w/check" 2>"$w/check.err"; rc=$?
check "--check-config with the defaults: exit 0 (got $rc: $(cat "$w/check.err"))" test "$rc" = 0
check "--check-config says configuration ok" grep -qx 'configuration ok' "$w/check"
missing=""
while read -r name env def; do
    grep -Eq "^$name +${def:-}.*\(default\)\$" "$w/check" || missing="$missing $name"
done <"$w/table"
check "--check-config shows every setting at its default (missing:$missing)" test -z "$missing"
check "--check-config creates nothing" test -z "$(ls -A "$w" | grep -v -e '^settings.md$' -e '^table$' -e '^help$' -e '^check')"

refused() { # name, setting named in the message, serve arguments...
    local name=$1 what=$2; shift 2
    "$BM_BIN" serve --check-config "$@" >"$w/out" 2>"$w/err"; local rc=$?
    check "$name: exit 2 naming $what (got $rc: $(tail -n 1 "$w/err"))" \
        sh -c '[ "$1" = 2 ] && tail -n 1 "$2" | grep -q -- "$3" && ! grep -q "configuration ok" "$4"' _ "$rc" "$w/err" "$what" "$w/out"
}
refused "--workers 0" "--workers" --workers 0
refused "--workers 65" "--workers" --workers 65
refused "--workers two" "--workers" --workers two
refused "--listen nonsense" "--listen" --listen nonsense
refused "--listen 127.0.0.1:99999" "--listen" --listen 127.0.0.1:99999
refused "--time-start yesterday" "--time-start" --time-start yesterday
refused "--auth maybe" "--auth" --auth maybe
refused "--log-level loud" "--log-level" --log-level loud
refused "an unknown setting" "--colour" --colour blue
refused "a setting without its value" "--poll-ms" --poll-ms
refused "a relative --allow-root" "--allow-root" --allow-root relative/dir
refused "--allow-root with a colon" "--allow-root" --allow-root /a:/b
refused "--max-body-memory below --max-body" "--max-body-memory" --max-body 4194304 --max-body-memory 2097152
refused "--max-connections 8" "--max-connections" --max-connections 8
refused "--request-timeout 0" "--request-timeout" --request-timeout 0
refused "--idle-timeout 99999" "--idle-timeout" --idle-timeout 99999
refused "more per address than in all" "--max-connections-per-address" --max-connections 100 --max-connections-per-address 101
BIASMON_WORKERS=0 "$BM_BIN" serve --check-config >/dev/null 2>"$w/err"; rc=$?
check "BIASMON_WORKERS=0: exit 2 naming the variable (got $rc)" sh -c '[ "$1" = 2 ] && grep -q BIASMON_WORKERS "$2"' _ "$rc" "$w/err"

BIASMON_WORKERS=5 BIASMON_POLL_MS=50 "$BM_BIN" serve --check-config --poll-ms=75 --listen 127.0.0.1:0 >"$w/check" 2>&1; rc=$?
check "environment and command line: exit 0 (got $rc)" test "$rc" = 0
check "a value from the environment" grep -Eq '^workers +5 +\(environment\)$' "$w/check"
check "the command line wins over the environment (--poll-ms=75)" grep -Eq '^poll-ms +75 +\(command line\)$' "$w/check"
check "--listen 127.0.0.1:0 is accepted" grep -Eq '^listen +127\.0\.0\.1:0 +\(command line\)$' "$w/check"

echo "settings_doc: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
