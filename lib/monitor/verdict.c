/* The outcome of an execution: why it has no data, and the check against the baseline. */
#include <stdio.h>
#include <string.h>
#include "biasmon/isotime.h"
#include "biasmon/store.h"
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
        bm__fail_run(r, "no capture files under %s/%s for hours %s..%s (window [%s, %s))", r->capture_root,
                 r->jd->input.batch ? "" : "*/", h1, h2 + 11, a, b);
    } else if (r->in_window == 0 && r->malformed_capture == 0) {
        bm__fail_run(r, "%llu capture records read from %llu files, none with eventMetadata.inferenceTime in "
                    "the window [%s, %s)",
                 (unsigned long long)r->capture_records, (unsigned long long)r->capture_files, a, b);
    } else if (r->in_window == 0) {
        bm__fail_run(r, "%llu capture records read, %llu malformed (first: %s:%ld: %s), none usable in the "
                    "window [%s, %s)",
                 (unsigned long long)r->capture_records, (unsigned long long)r->malformed_capture,
                 r->nfirst ? r->first[0].file : "?", r->nfirst ? r->first[0].line : 0L,
                 r->nfirst ? r->first[0].reason : "?", a, b);
    } else if (r->rows == 0 && r->malformed_in_window && !r->joined_records && !r->unjoined_capture &&
               !r->duplicate_capture) {
        /* no record reached the join: the cause is what made them unusable, not a missing id */
        bm__fail_run(r, "%llu capture records in window, none usable: %llu malformed, first %s:%ld: %s",
                 (unsigned long long)r->in_window, (unsigned long long)r->malformed_in_window,
                 r->first_in_window.file, r->first_in_window.line, r->first_in_window.reason);
    } else if (r->rows == 0) {
        char g1[32], g2[32];
        bm__hour_label(r->ws, g1, sizeof(g1));
        bm__hour_label(r->T, g2, sizeof(g2));
        if (r->gt_records == 0)
            bm__fail_run(r, "%llu capture records in window, 0 joined ground truth: no ground-truth records "
                        "under %s/ for hours %s..%s",
                     (unsigned long long)r->in_window, r->gt_root, g1, g2 + 11);
        else
            bm__fail_run(r, "%llu capture records in window, 0 joined ground truth: first unmatched id %s "
                        "(joined on inferenceId when present, else eventId); %llu ground-truth records "
                        "under %s/ for hours %s..%s, first id %s",
                     (unsigned long long)r->in_window,
                     r->first_unmatched_capture[0] ? r->first_unmatched_capture : "(malformed records only)",
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
            snprintf(e.msg, sizeof(e.msg), "invalid JSON at line %d, column %d: %s", je.line, je.column,
                     bm_json_error_what(&je, what, sizeof(what)));
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
    if (rc) bm__fail_run(r, "cannot use the baseline %s: %s: %s", r->jd->baseline_uri, e.path, e.msg);
    return BM_OK;
}
