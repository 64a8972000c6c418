#!/usr/bin/env bash
# A small mutation check: breaks, one at a time, a rule the README states (the violation rule's
# tie, DI's neutral value, the window's bounds, the hour folders read, last label wins...) in a
# scratch copy of the tree, rebuilds it, runs the tests that should notice, and reports whether
# each mutant was killed (a test failed). Exits 0 only when every mutant applied exactly where
# expected and was killed; a mutant whose text is no longer found (the code moved) fails the check
# and is named, so the list is kept in step with the code.
#
# Usage: scripts/mutants.sh [-k] [-j JOBS] [NAME...]   (make mutants)
#   NAME...  run only these mutants (default: all);  -k keeps the scratch tree and says where.
# The real tree is never touched: the scratch copy is `git archive` of HEAD plus the working
# tree's changes to tracked files (git stash create), in a temporary folder; it is built in
# Release with tests and without sanitizers in its own build folder. Not part of `make test`:
# it rebuilds once per mutant (a few minutes on 2 cores).
set -u
{ # read whole before it runs: editing the script meanwhile cannot change a run
here=$(cd "$(dirname "$0")/.." && pwd)
jobs=2 keep=0
while getopts "kj:" o; do
    case $o in
    k) keep=1 ;;
    j) jobs=$OPTARG ;;
    *) echo "usage: $0 [-k] [-j JOBS] [NAME...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

# mutant NAME FILE TEXT MUTANT OCCURRENCE TESTS RULE: TEXT as the code spells it, replaced by MUTANT at
# its OCCURRENCE (0: there must be exactly one); TESTS (ctest names) must then fail.
names=() files=() froms=() tos=() occs=() testss=() rules=()
mutant() { names+=("$1"); files+=("$2"); froms+=("$3"); tos+=("$4"); occs+=("$5"); testss+=("$6"); rules+=("$7"); }
mutant tie-violates lib/verdict/violations.c \
    'if (!(dx > db)) continue;' \
    'if (!(dx >= db)) continue;' \
    0 'unit/test_violations cli/execute' \
    'equal distances from neutral never violate'
mutant signed-distance lib/verdict/violations.c \
    'double dx = fabs(x - neutral), db = fabs(b - neutral);' \
    'double dx = x - neutral, db = b - neutral;' \
    0 'unit/test_violations cli/execute' \
    'the distance from neutral is absolute'
mutant di-neutral-0 lib/verdict/violations.c \
    '"DI") == 0 ? 1.0 : 0.0;' \
    '"DI") == 0 ? 0.0 : 0.0;' \
    0 'unit/test_violations cli/execute' \
    'DI'\''s neutral value is 1'
mutant others-neutral-1 lib/verdict/violations.c \
    '"DI") == 0 ? 1.0 : 0.0;' \
    '"DI") == 0 ? 1.0 : 1.0;' \
    0 'unit/test_violations cli/execute' \
    'every other metric'\''s neutral value is 0'
mutant off-hour-accepted lib/monitor/execute.c \
    'if (T % 3600 == 0) return BM_OK;' \
    'if (1) return BM_OK;' \
    0 'cli/execute' \
    'a scheduled time must be on the hour'
mutant empty-window-accepted lib/monitor/window.c \
    'if (*ws >= *we) {' \
    'if (*ws > *we) {' \
    0 'cli/window_rules unit/test_monitor' \
    'an empty window fails the execution at once, saying so'
mutant window-400-days-refused lib/monitor/window.c \
    'if (*we - *ws > (int64_t)MAX_HOURS * 3600) {' \
    'if (*we - *ws >= (int64_t)MAX_HOURS * 3600) {' \
    0 'cli/window_rules unit/test_monitor' \
    'a window may be 400 days long, not longer'
mutant offset-400-days-refused lib/monitor/window.c \
    'if (so < -max_reach || so > max_reach || eo < -max_reach || eo > max_reach) {' \
    'if (so <= -max_reach || so > max_reach || eo < -max_reach || eo > max_reach) {' \
    0 'cli/window_rules unit/test_monitor' \
    'an offset may reach 400 days from T, not farther'
mutant window-end-in lib/monitor/endpoint.c \
    'if (t < r->ws || t >= r->we) {' \
    'if (t < r->ws || t > r->we) {' \
    0 'cli/window_rules cli/execute' \
    'endpoint capture: the window'\''s end is outside it'
mutant batch-window-end-in lib/monitor/batch.c \
    'if (t < r->ws || t >= r->we) {' \
    'if (t < r->ws || t > r->we) {' \
    0 'cli/window_rules cli/execute' \
    'batch output: the window'\''s end is outside it'
mutant window-start-out lib/monitor/endpoint.c \
    'if (t < r->ws || t >= r->we) {' \
    'if (t <= r->ws || t >= r->we) {' \
    0 'cli/window_rules cli/execute' \
    'the window'\''s start is inside it'
mutant end-offset-ignored lib/monitor/window.c \
    '*we = p->scheduled_time + eo;' \
    '*we = p->scheduled_time;' \
    0 'cli/window_rules cli/execute unit/test_monitor' \
    'the window ends at T + EndTimeOffset'
mutant capture-hour-of-end lib/monitor/endpoint.c \
    'bm_time_hour_floor(r->we - 1), &one' \
    'bm_time_hour_floor(r->we), &one' \
    0 'cli/window_rules cli/execute' \
    'capture comes from the hour folders the window touches, not the hour of its end'
mutant gt-hours-to-window-end lib/monitor/groundtruth.c \
    'bm_time_hour_floor(r->ws), bm_time_hour_floor(r->T), &hs' \
    'bm_time_hour_floor(r->ws), bm_time_hour_floor(r->we - 1), &hs' \
    0 'cli/window_rules cli/execute' \
    'ground truth comes from the hour folders up to T'\''s hour'
mutant gt-hour-before-window lib/monitor/groundtruth.c \
    'bm_time_hour_floor(r->ws), bm_time_hour_floor(r->T), &hs' \
    'bm_time_hour_floor(r->ws) - 3600, bm_time_hour_floor(r->T), &hs' \
    0 'cli/window_rules cli/execute' \
    'ground truth comes from the hour folders from the window'\''s start'
mutant first-label-wins lib/capture/join.c \
    'old->superseded = 1;' \
    'e->superseded = 1; t->duplicates++; return;' \
    0 'unit/test_join cli/window_rules cli/execute' \
    'of several uploads of one id the last one read wins'
mutant capture-twice-joins-twice lib/monitor/rows.c \
    'if (gt->matched && gt->event_tag == tag) {' \
    'if (0) {' \
    0 'cli/execute unit/test_monitor' \
    'a capture record delivered twice (same eventId) joins once'
mutant reused-inference-id-dropped lib/monitor/rows.c \
    'if (gt->matched && gt->event_tag == tag) {' \
    'if (gt->matched) {' \
    0 'cli/execute' \
    'a distinct invocation that reuses an inferenceId still joins'
mutant join-on-event-id lib/monitor/endpoint.c \
    'return rec->inference_id.n ? rec->inference_id : rec->event_id;' \
    'return rec->event_id;' \
    0 'cli/execute cli/window_rules unit/test_monitor' \
    'ground truth joins on inferenceId when the record has one'
mutant continuous-at-threshold lib/bias/classify.c \
    'if (x > m->t) r |= BM_M_CONT;' \
    'if (x >= m->t) r |= BM_M_CONT;' \
    0 'unit/test_bias' \
    'a continuous facet, label or prediction is in group d (positive) only when greater than the threshold'
mutant truncated-at-threshold lib/bias/classify.c \
    'if (isfinite(x) && trunc(x) > m->t) r |= BM_M_CONT_TRUNC;' \
    'if (isfinite(x) && trunc(x) >= m->t) r |= BM_M_CONT_TRUNC;' \
    0 'unit/test_bias' \
    'a float prediction cast to an integer label is positive only when its integer part is greater than the threshold'
mutant score-at-threshold-positive lib/capture/extract.c \
    'score > x->threshold ? "1" : "0"' \
    'score >= x->threshold ? "1" : "0"' \
    0 'unit/test_extract cli/execute' \
    'a score counts as positive only when greater than ProbabilityThresholdAttribute'
mutant analyze-score-at-threshold lib/bias/cube.c \
    '!isnan(x) && x > p->cfg->probability_threshold;' \
    '!isnan(x) && x >= p->cfg->probability_threshold;' \
    0 'unit/test_bias' \
    'analyze: a score strictly above probability_threshold is positive'
mutant predictor-sends-label lib/monitor/predict.c \
    'P.feature[label] = 0;' \
    'P.feature[label] = 1;' \
    0 'cli/serve_predictor cli/predict_formats' \
    'the model is sent every column but the label and the excluded ones'
mutant predictor-sends-excluded lib/monitor/predict.c \
    'if (x >= 0) P.feature[x] = 0;' \
    'if (x >= 0) P.feature[x] = 1;' \
    0 'cli/serve_predictor cli/predict_formats' \
    'excluded_columns are not sent to the model'
mutant predictor-no-retry lib/monitor/predict.c \
    'if (retryable(B) && B->attempts < BM_PREDICT_ATTEMPTS) pending[again++] = pending[k];' \
    'if (0 && retryable(B)) pending[again++] = pending[k];' \
    0 'cli/serve_predictor cli/predict_formats' \
    'a 5xx or 429 answer or a lost connection is tried again'
mutant predictor-first-score lib/monitor/predict.c \
    'if (best < 0 || json_number_value(v) > bv) best = (long)i, bv = json_number_value(v);' \
    'if (best < 0 || json_number_value(v) < bv) best = (long)i, bv = json_number_value(v);' \
    0 'cli/predict_formats' \
    'a list of scores gives the label of the largest'
mutant predictor-no-default-threshold lib/monitor/predict.c \
    'cfg->probability_threshold = 0.5;' \
    'cfg->probability_threshold = 0.0;' \
    0 'cli/predict_formats' \
    'scores without probability_threshold are cut at 0.5'
mutant revisit-full-share lib/monitor/verdict.c \
    's.looks_per_window = bm_alarm_coverage_complete(cov) ? 1 : 1 + s.revisit;' \
    's.looks_per_window = 1;' \
    0 'cli/alarm_revisions' \
    'a window judged with incomplete labels spends 1/(1 + K) of its share: revisions are looks too'
mutant revision-appended-twice lib/monitor/revisions.c \
    'if (c == 0) json_array_remove(list, i);' \
    'if (0) json_array_remove(list, i);' \
    0 'cli/alarm_revisions' \
    'an execution run again replaces the revision it made, never adds a second one'
mutant revision-margin-ignored lib/verdict/alarm.c \
    'rise < BM_ALARM_REVISION_MARGIN - 1e-12' \
    'rise < 2' \
    0 'unit/test_alarm' \
    'a rise of 10 points of a group'"'"'s labelled share is recorded even when the verdict stays'
mutant revisit-complete-windows lib/monitor/revisions.c \
    'if (!json_is_true(json_object_get(prev, "unlabelled")) &&' \
    'if (0 &&' \
    0 'cli/alarm_revisions' \
    'a window whose labels are complete is never revisited'

mutant partial-label-unchecked lib/monitor/partials.c \
    'else if (label_print(&r->gt, gt) == print)' \
    'else if (label_print(&r->gt, gt) == print || gt)' \
    0 'cli/partials' \
    'a partial is used only when each record would join the same label now'
mutant partial-window-unchecked lib/monitor/partials.c \
    '(o.tmin < r->ws || o.tmax >= r->we)' \
    '(o.tmin < r->ws && o.tmax >= r->we)' \
    0 'cli/partials' \
    'a partial is used only when all its records lie in the window'
mutant partial-objects-unchecked lib/monitor/partials.c \
    '(s.n != strlen(inputs->v[k]) || memcmp(s.p, inputs->v[k], s.n))' \
    '(s.n != strlen(inputs->v[k]))' \
    0 'cli/partials' \
    'a partial is used only when the hour'"'"'s capture objects are unchanged'
mutant partial-checksum-unchecked lib/monitor/partials.c \
    'if (memcmp(sum, text + n - 64, 64)) {' \
    'if (0) {' \
    0 'cli/partials' \
    'a corrupt or truncated partial is detected'
mutant gt-summary-stamps-unchecked lib/monitor/gtcache.c \
    'for (int k = 0; !rc && k < 7; k++)' \
    'for (int k = 0; !rc && k < 1; k++)' \
    0 'cli/partials' \
    'a ground-truth summary is used only while its file'"'"'s stamps are unchanged, not just its size'
mutant gt-summary-checksum-unchecked lib/monitor/gtcache.c \
    'if (memcmp(sum, text.data + text.len - 64, 64)) goto out;' \
    'if (0) goto out;' \
    0 'cli/partials' \
    'a corrupt ground-truth summary is not used'
mutant gt-summary-malformed-saved lib/monitor/gtcache.c \
    'r->malformed_gt == malformed_before &&' \
    '1 &&' \
    0 'cli/partials' \
    'a ground-truth file with malformed lines is read each time, so its problems are quoted'
mutant shards-merge-reversed lib/monitor/shards.c \
    'for (int k = 1; !rc && k < n && r->res->status != BM_EXEC_FAILED; k++)' \
    'for (int k = n - 1; !rc && k >= 1 && r->res->status != BM_EXEC_FAILED; k--)' \
    0 'cli/execute_shards' \
    'the workers'"'"' parts are merged in object order'
mutant shards-part-dropped lib/monitor/shards.c \
    'return read_range(r, objs, a, b, err);' \
    'return BM_OK;' \
    0 'cli/execute_shards' \
    'a part that joins otherwise at worker 0 is read again there'

scratch=$(mktemp -d "${TMPDIR:-/tmp}/biasmon-mutants.XXXXXX") || exit 2
cleanup() { if [ "$keep" = 1 ]; then echo "mutants: scratch tree kept in $scratch"; else rm -rf "$scratch"; fi; }
trap cleanup EXIT
src="$scratch/src" build="$scratch/build"
mkdir -p "$src"
rev=$(git -C "$here" stash create 2>/dev/null)
[ -n "$rev" ] || rev=HEAD
git -C "$here" archive "$rev" | tar -x -C "$src" || { echo "mutants: cannot copy the tree" >&2; exit 2; }
echo "mutants: scratch copy of $(git -C "$here" rev-parse --short HEAD)$([ "$rev" = HEAD ] || echo ' with uncommitted changes') in $src"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBM_TESTS=ON -DBM_SANITIZE=OFF >"$scratch/cmake.log" 2>&1 ||
    { echo "mutants: cmake failed (see $scratch/cmake.log)" >&2; keep=1; exit 2; }

targets_of() { # ctest names -> build targets
    local t out="biasmon"
    for t in "$@"; do case $t in unit/*) out="$out ${t#unit/}" ;; esac; done
    echo "$out"
}
run_tests() { # log, ctest names...: 0 when all pass
    local log=$1; shift
    local re
    re="^($(IFS='|'; echo "$*"))\$"
    (cd "$build" && ctest -R "$re" --timeout 600 --output-on-failure >"$log" 2>&1) && return 0
    return 1
}
# the exact text, at the given occurrence (0: there must be exactly one), replaced in the file
apply() { # file, from, to, occurrence
    python3 - "$@" <<'P'
import sys
path, old, new, occ = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text = open(path).read()
n = text.count(old)
if (occ == 0 and n != 1) or (occ > 0 and n < occ):
    print(f"found {n} time(s), expected {'exactly 1' if occ == 0 else f'at least {occ}'}")
    sys.exit(1)
at = -1
for _ in range(max(occ, 1)):
    at = text.index(old, at + 1)
open(path, "w").write(text[:at] + new + text[at + len(old):])
P
}

# all mutants' tests must pass on the unmutated copy, or a kill would mean nothing
selected() { # index: 0 when the mutant is to run
    [ $# -eq 1 ] && return 0
    case " ${*:2} " in *" ${names[$1]} "*) return 0 ;; esac
    return 1
}
all_tests=$(for i in "${!names[@]}"; do selected "$i" "$@" && echo "${testss[$i]}"; done | tr ' ' '\n' | sort -u |
    tr '\n' ' ')
[ -n "$all_tests" ] || { echo "mutants: no mutant named $*" >&2; exit 2; }
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $(targets_of $all_tests) >"$scratch/build.log" 2>&1 ||
    { echo "mutants: the unmutated copy does not build (see $scratch/build.log)" >&2; keep=1; exit 2; }
# shellcheck disable=SC2086
if ! run_tests "$scratch/baseline.log" $all_tests; then
    echo "mutants: the tests fail on the unmutated copy; fix them first:" >&2
    grep -E "^[0-9]+/[0-9]+ Test|FAIL" "$scratch/baseline.log" >&2
    exit 2
fi
echo "mutants: unmutated copy passes: $all_tests"

killed=0 survived=0 broken=0 n=0
for i in "${!names[@]}"; do
    name=${names[$i]} file=${files[$i]} from=${froms[$i]} to=${tos[$i]} occ=${occs[$i]} tests=${testss[$i]}
    rule=${rules[$i]}
    selected "$i" "$@" || continue
    n=$((n + 1))
    cp "$src/$file" "$scratch/orig"
    if ! why=$(apply "$src/$file" "$from" "$to" "$occ"); then
        printf '%-28s NOT APPLIED  %s: "%s" %s: the code moved; update scripts/mutants.sh\n' "$name" "$file" "$from" "$why"
        broken=$((broken + 1))
        continue
    fi
    # shellcheck disable=SC2086
    if ! cmake --build "$build" -j "$jobs" --target $(targets_of $tests) >"$scratch/$name.build.log" 2>&1; then
        printf '%-28s NO BUILD     %s (see %s)\n' "$name" "$file" "$scratch/$name.build.log"
        broken=$((broken + 1)); keep=1
    # shellcheck disable=SC2086
    elif run_tests "$scratch/$name.log" $tests; then
        printf '%-28s SURVIVED     %s: %s (tests: %s)\n' "$name" "$file" "$rule" "$tests"
        survived=$((survived + 1))
    else
        printf '%-28s killed by    %s\n' "$name" "$(grep -oE '[0-9]+ - [^ ]+ \((Failed|Timeout)\)' "$scratch/$name.log" |
            sed -E 's/^[0-9]+ - //; s/ \(Failed\)//' | tr '\n' ' ')"
        killed=$((killed + 1))
    fi
    cp "$scratch/orig" "$src/$file"
    touch "$src/$file"
done
# the last mutant's objects are stale in the scratch build; it is removed with the copy
echo "mutants: $n run, $killed killed, $survived survived, $broken not applied or not built"
[ "$n" -gt 0 ] && [ "$killed" -eq "$n" ]
exit
}
