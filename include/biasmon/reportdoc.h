/* Reports for people: report.html (and the notebook) rendered from an analysis and its evidence. */
#ifndef BIASMON_REPORTDOC_H
#define BIASMON_REPORTDOC_H

#include <jansson.h>
#include "biasmon/common.h"

/* What a report shows. The JSON values are borrowed: the report keeps no reference. */
typedef struct bm_report_input {
    const char
        *title; /* the heading; NULL: "Bias report" (Clarify's methods.report.title when given) */
    json_t *analysis;   /* required: analysis.json in Clarify's layout */
    json_t *baseline;   /* the baseline's analysis.json, or NULL (no baseline column) */
    json_t *violations; /* constraint_violations.json, or NULL when there was no check */
    json_t *account;    /* execution.json of an execution, or an analysis' account
                         * ({"counts": {"rows": N}, "facet_groups": ...}); NULL: no counts shown.
                         * Members read: MonitoringScheduleName, ScheduledTime, Status, window,
                         * counts, facet_groups, baseline_unchecked_metrics. */
} bm_report_input;

/* Appends report.html to out: one self-contained page (inline CSS and SVG, no script, nothing
 * fetched, printable) with, per stage, facet and facet value, every metric's value, the baseline's
 * value and whether it violates it (highlighted), a chart of both against the metric's neutral
 * value, and one sentence on what the metric means; the group sizes and label coverage per facet;
 * the window and the counts of records read, joined and malformed. Every text taken from the
 * inputs is HTML-escaped. Each shown value carries the exact value as data-value (Python's repr, or
 * the "Infinity" strings) so tests and tools can read the page back. Members that are absent or of
 * the wrong type are left out, never an error. Returns BM_OK, BM_EINVAL (no analysis), BM_ELIMIT
 * (out's max) or BM_ENOMEM; on error out holds a partial page the caller discards. */
int bm_report_html(const bm_report_input *in, bm_buf *out) BM_MUST_CHECK;

/* Renders the reports of in and writes them into the folder dir (a store URI) as {name}.html
 * (name NULL: "report"), each complete or absent (bm_store_write). BM_OK, or the error with err
 * naming the object. */
int bm_report_write(const char *dir, const char *name, const bm_report_input *in,
                    bm_error *err) BM_MUST_CHECK;

/* One sentence (English) on what a metric measures and which sign favours whom, for any of the
 * 21 metric codes ("DI", "CDDL", ...); NULL for an unknown code. Static storage. */
const char *bm_report_metric_meaning(const char *code);

#endif
