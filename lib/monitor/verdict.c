/* The outcome of an execution: why it has no data, and the check against the baseline (SageMaker's
 * rule, or the statistical rule of lib/verdict/). */
#include <stdio.h>
#include <string.h>
#include "biasmon/isotime.h"
#include "biasmon/store.h"
#include "biasmon/bias.h"
#include "biasmon/verdict.h"
#include "biasmon/violations.h"
#include "internal.h"

/* ==================================================================== the verdict */

void bm__explain_no_data(bm__run *r)
{
    char a[32], b[32], h1[32], h2[32];
    bm_time_format(r->ws, a, sizeof(a));
    bm_time_format(r->we, b, sizeof(b));
    bm__hour_label(r->ws, h1, sizeof(h1));
    bm__hour_label(r->we - 1, h2, sizeof(h2));
    if (r->capture_files == 0) {
        bm__fail_run(r, "no capture files under %s/%s for hours %s..%s (window [%s, %s))",
                     r->capture_root, r->jd->input.batch ? "" : "*/", h1, h2 + 11, a, b);
    } else if (r->in_window == 0 && r->malformed_capture == 0) {
        bm__fail_run(
            r,
            "%llu capture records read from %llu files, none with eventMetadata.inferenceTime in "
            "the window [%s, %s)",
            (unsigned long long)r->capture_records, (unsigned long long)r->capture_files, a, b);
    } else if (r->in_window == 0) {
        bm__fail_run(
            r,
            "%llu capture records read, %llu malformed (first: %s:%ld: %s), none usable in the "
            "window [%s, %s)",
            (unsigned long long)r->capture_records, (unsigned long long)r->malformed_capture,
            r->nfirst ? r->first[0].file : "?", r->nfirst ? r->first[0].line : 0L,
            r->nfirst ? r->first[0].reason : "?", a, b);
    } else if (r->rows == 0 && r->malformed_in_window && !r->joined_records &&
               !r->unjoined_capture && !r->duplicate_capture) {
        /* no record reached the join: the cause is what made them unusable, not a missing id */
        bm__fail_run(
            r, "%llu capture records in window, none usable: %llu malformed, first %s:%ld: %s",
            (unsigned long long)r->in_window, (unsigned long long)r->malformed_in_window,
            r->first_in_window.file, r->first_in_window.line, r->first_in_window.reason);
    } else if (r->rows == 0) {
        char g1[32], g2[32];
        bm__hour_label(r->ws, g1, sizeof(g1));
        bm__hour_label(r->T, g2, sizeof(g2));
        if (r->gt_records == 0)
            bm__fail_run(
                r,
                "%llu capture records in window, 0 joined ground truth: no ground-truth records "
                "under %s/ for hours %s..%s",
                (unsigned long long)r->in_window, r->gt_root, g1, g2 + 11);
        else
            bm__fail_run(
                r,
                "%llu capture records in window, 0 joined ground truth: first unmatched id %s "
                "(joined on inferenceId when present, else eventId); %llu ground-truth records "
                "under %s/ for hours %s..%s, first id %s",
                (unsigned long long)r->in_window,
                r->first_unmatched_capture[0] ? r->first_unmatched_capture
                                              : "(malformed records only)",
                (unsigned long long)r->gt_records, r->gt_root, g1, g2 + 11,
                r->first_unmatched_gt[0] ? r->first_unmatched_gt : "?");
    }
}

/* Reads the baseline and checks the analysis against it: *violations, or the run Failed with a
 * reason that says what the baseline lacks. Only BM_ENOMEM is returned as an error. */
int bm__check_baseline(bm__run *r, json_t *analysis, json_t **violations)
{
    bm_buf b;
    bm_buf_init(&b, 64u << 20);
    json_t *base = NULL;
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_store_read(r->jd->baseline_uri, 64u << 20, &b, &e);
    if (!rc) {
        json_error_t je;
        base = json_loadb(b.data ? b.data : "", b.len, 0, &je);
        char what[JSON_ERROR_TEXT_LENGTH];
        if (!base)
            snprintf(e.msg, sizeof(e.msg), "invalid JSON at line %d, column %d: %s", je.line,
                     je.column, bm_json_error_what(&je, what, sizeof(what)));
    }
    bm_buf_release(&b);
    if (!base) {
        bm__fail_run(r, "cannot use the baseline %s: %s", r->jd->baseline_uri, e.msg);
        return BM_OK;
    }
    rc = bm_violations_check(analysis, base, violations, &r->res->violations, &r->unchecked,
                             &r->res->baseline_unchecked, &e);
    r->baseline = base;
    if (rc == BM_ENOMEM) return rc;
    if (rc)
        bm__fail_run(r, "cannot use the baseline %s: %s: %s", r->jd->baseline_uri, e.path, e.msg);
    return BM_OK;
}

/* The state the statistical rule keeps is the schedule's own outputs: each execution writes its
 * window's counts (bias_counts.json); the next reads those of the 7 periods before. A missing
 * or unreadable one (a Failed execution, one under SageMaker's rule) is left out of the pooled
 * windows, and the evidence lists the windows found (docs/alarms.md). */
int bm__statistical_verdict(bm__run *r, json_t *analysis, json_t **violations, json_t **evidence,
                            json_t **counts, bm_error *err)
{
    bm_alarm_settings s;
    bm_error e;
    bm_error_clear(&e);
    json_t *win[BM_ALARM_MAX_WINDOWS] = {NULL}, *base = NULL, *all = NULL, *lab = NULL, *cov = NULL,
           *revised = NULL, *revisits = NULL;
    int64_t period = r->we - r->ws > 0 ? r->we - r->ws : 3600;
    /* the baseline analysis.json is checked as under SageMaker's rule (and kept for report.html);
     * that rule's violations are not this rule's */
    json_t *sm = NULL;
    int rc = bm__check_baseline(r, analysis, &sm);
    json_decref(sm);
    r->res->violations = 0;
    if (rc || r->res->status == BM_EXEC_FAILED) return rc;
    rc = bm_alarm_settings_from_env(r->jd->environment, &s, &e); /* validated with the job */
    if (!rc) rc = bm_cube_counts(r->joined, counts, err);
    if (rc) goto out;
    /* looks a day: the schedule's executions (its cron, passed by the scheduler) or a day over
     * the window, whichever is more, so overlapping windows never spend more than the budget */
    s.looks_per_day = period >= 86400 ? 1 : 86400.0 / (double)period;
    if (r->p->looks_per_day > s.looks_per_day) s.looks_per_day = r->p->looks_per_day;
    win[0] = *counts;
    char uri[4200] = "";
    if (bm_alarm_sibling_uri(r->jd->baseline_uri, BM_COUNTS_NAME, uri, sizeof(uri)) ||
        bm_alarm_counts_read(uri, &base, &e) || !base) {
        bm__fail_run(r,
                     "BIASMON_ALARM_RULE statistical needs the baseline's counts %s: run biasmon "
                     "analyze on the "
                     "baseline data again (it writes %s beside analysis.json)",
                     uri, BM_COUNTS_NAME);
        goto out;
    }
    /* label coverage: a window with too few labelled rows in a group is not judged yet */
    char why[600];
    int decidable = 0;
    if ((rc = bm_cube_facet_groups(r->all, &all, err)) ||
        (rc = bm_cube_facet_groups(r->joined, &lab, err)))
        goto out;
    decidable = bm_alarm_coverage(all, lab, s.min_coverage, &cov, why, sizeof(why));
    if (decidable < 0) goto nomem;
    if (r->rows == 0) { /* no row has a label yet (bm__unlabelled_window): coverage 0% */
        char h1[32], h2[32];
        bm__hour_label(r->ws, h1, sizeof(h1));
        bm__hour_label(r->T, h2, sizeof(h2));
        decidable = 0;
        if (s.revisit > 0)
            snprintf(why, sizeof(why),
                     "not yet decidable: none of the %llu in-window rows has a label yet (ground "
                     "truth of hours %s..%s); the executions of the next %d periods revise the "
                     "window as its labels arrive (BIASMON_ALARM_REVISIT)",
                     (unsigned long long)bm_cube_rows(r->all), h1, h2 + 11, s.revisit);
        else
            snprintf(why, sizeof(why),
                     "not yet decidable: none of the %llu in-window rows has a label yet (ground "
                     "truth of hours %s..%s); BIASMON_ALARM_REVISIT is 0, so no later execution "
                     "revises the window: run the execution again when its labels have arrived",
                     (unsigned long long)bm_cube_rows(r->all), h1, h2 + 11);
    }
    /* late labels: the earlier windows whose labels were incomplete are re-evaluated first, and
     * the pools below use their revised counts; revisions that turn into alarms are reported
     * here (docs/alarms.md "Late labels") */
    revised = json_array();
    revisits = json_array();
    if (!revised || !revisits) goto nomem;
    /* the metrics tested are those the analysis computed; a window without a labelled row has
     * none (its analysis.json says why), so its execution tests, and revises, the baseline's */
    const json_t *tested = r->rows == 0 && r->baseline ? r->baseline : analysis;
    if ((rc = bm__revisit(r, &s, base, tested, win, revised, revisits, err))) goto out;
    if (r->res->status == BM_EXEC_FAILED) goto out;
    /* a window whose labels are complete is never revisited: it spends its whole share of the
     * budget now; otherwise this look is one of 1 + BIASMON_ALARM_REVISIT */
    s.looks_per_window = bm_alarm_coverage_complete(cov) ? 1 : 1 + s.revisit;
    rc = bm_alarm_evaluate(base, (const json_t *const *)win, BM_ALARM_MAX_WINDOWS, tested, &s,
                           violations, &r->res->violations, evidence, &e);
    if (rc == BM_ENOMEM) {
        *err = e;
        goto out;
    }
    if (rc) {
        bm__fail_run(r, "cannot apply the statistical rule: %s", e.msg);
        rc = BM_OK;
        goto out;
    }
    json_t *list = json_object_get(*violations, "violations");
    if (json_object_set(*evidence, "coverage", cov) ||
        json_object_set_new(*evidence, "min_coverage", json_real(s.min_coverage)) ||
        json_object_set_new(*evidence, "decidable", json_boolean(decidable > 0)) ||
        json_object_set_new(*evidence, "why", decidable > 0 ? json_null() : json_string(why)) ||
        json_object_set_new(*evidence, "revisit", json_integer(s.revisit)) ||
        json_object_set(*evidence, "revisions", revisits) ||
        (decidable == 0 && json_array_clear(list)) || json_array_extend(list, revised))
        goto nomem;
    r->res->violations = json_array_size(list);
    goto out;
nomem:
    rc = bm_error_set(err, BM_ENOMEM, "out of memory");
out:
    for (int k = 1; k < BM_ALARM_MAX_WINDOWS; k++)
        json_decref(win[k]);
    json_decref(base);
    json_decref(all);
    json_decref(lab);
    json_decref(cov);
    json_decref(revised);
    json_decref(revisits);
    return rc;
}
