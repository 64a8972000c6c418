#!/usr/bin/env bash
# The call direction inside lib/serve/ (docs/design.md, "The service's layers"): each file calls
# the bm__ functions of the files below it in LAYERS and of itself, never of a file above it, so
# the service, its operations, the scheduler and the processing jobs call each other in one
# direction. It reads the compiled objects (nm), so a call hidden behind a macro counts too.
# A file of lib/serve/ not in LAYERS fails: place it.
# Usage: scripts/check-serve-layers.sh BUILD_DIR     exit 0 clean, 1 violations, 2 cannot check
set -u
LAYERS=(service ui series ops scheduler processing workers metrics webhooks runtime invoke models client base)
build=${1:?usage: check-serve-layers.sh BUILD_DIR}
objdir="$build/CMakeFiles/biasmon_core.dir/lib/serve"
[ -d "$objdir" ] || { echo "check-serve-layers: no objects in $objdir (build first)" >&2; exit 2; }
command -v nm >/dev/null || { echo "check-serve-layers: nm not found (binutils)" >&2; exit 2; }

declare -A rank owner
for k in "${!LAYERS[@]}"; do rank[${LAYERS[$k]}]=$k; done
bad=0
shopt -s nullglob
objs=("$objdir"/*.c.o)
[ ${#objs[@]} -gt 0 ] || { echo "check-serve-layers: no objects in $objdir (build first)" >&2; exit 2; }
for o in "${objs[@]}"; do
    f=$(basename "$o" .c.o)
    if [ -z "${rank[$f]+x}" ]; then
        echo "lib/serve/$f.c: not placed among serve's layers; add it to LAYERS in scripts/check-serve-layers.sh and to docs/design.md"
        bad=1
        continue
    fi
    while read -r sym; do owner[$sym]=$f; done < <(nm -g --defined-only "$o" | awk '$3 ~ /^bm__/ {print $3}')
done
for o in "${objs[@]}"; do
    f=$(basename "$o" .c.o)
    [ -n "${rank[$f]+x}" ] || continue
    while read -r sym; do
        to=${owner[$sym]:-}
        [ -n "$to" ] || continue # defined outside lib/serve/
        if [ "${rank[$to]}" -lt "${rank[$f]}" ]; then
            echo "lib/serve/$f.c calls $sym of lib/serve/$to.c, a layer above it (order: ${LAYERS[*]}); move the function down or pass a callback"
            bad=1
        fi
    done < <(nm -u "$o" | awk '$2 ~ /^bm__/ {print $2}')
done
exit $bad
