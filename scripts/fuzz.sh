#!/usr/bin/env bash
# Runs every fuzz target in BUILD_DIR for SECONDS on a scratch copy of its committed corpus.
# Fails when a target finds a crash, a leak or undefined behaviour.
set -euo pipefail
build=${1:?build dir}; secs=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$build"/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin"); target=${name#fuzz_}
    seeds="$root/fuzz/corpus/$target"
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
    [ -d "$seeds" ] && cp -r "$seeds/." "$work/"
    dict=(); [ -f "$root/fuzz/$target.dict" ] && dict=(-dict="$root/fuzz/$target.dict")
    if "$bin" "${dict[@]}" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/" "$work" >"$work/log" 2>&1; then
        echo "fuzz $target: ok ($(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$work/log" | awk '{print $2}') runs)"
    else
        echo "fuzz $target: FAILED"; tail -40 "$work/log"; status=1
    fi
    rm -rf "$work"; trap - EXIT
done
exit $status
