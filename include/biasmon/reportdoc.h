/* Reports for people: report.html (and the notebook) rendered from an analysis and its evidence. */
#ifndef BIASMON_REPORTDOC_H
#define BIASMON_REPORTDOC_H

#include <stdint.h>
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
    json_t *evidence;   /* bias_evidence.json under the statistical rule (docs/alarms.md), or
                         * NULL: each tested post-training metric then gets a row of its tests
                         * (windows, rows per group, window and baseline values, change, interval,
                         * |z|, threshold) and the verdict in a sentence (the alarm's reason). */
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

/* Appends report.ipynb to out: the same report as a Jupyter notebook (nbformat 4.5): Markdown cells
 * (the run, the violations, the counts, one table per stage, facet and value with each metric's
 * value, baseline, check and meaning; texts from the inputs escaped for Markdown and HTML) and a
 * code cell that reads the analysis.json beside it. Returns as bm_report_html. */
int bm_report_ipynb(const bm_report_input *in, bm_buf *out) BM_MUST_CHECK;

/* Prints the HTML page of len bytes to PDF with headless Chromium: renderer is its executable
 * (Debian's /usr/bin/chromium), run as a child in its own process group with a scratch profile
 * in a new folder under $TMPDIR (removed after), its output discarded, killed after timeout_s
 * seconds (<= 0: 120). Appends the PDF (at most 64 MiB, must start with "%PDF-") to out. BM_OK,
 * or BM_EIO (cannot run, failed, timed out, no PDF) / BM_ELIMIT / BM_ENOMEM with err saying which.
 */
int bm_report_pdf(const char *renderer, const void *html, size_t len, int timeout_s, bm_buf *out,
                  bm_error *err) BM_MUST_CHECK;

/* Renders the reports of in and writes them into the folder dir (a store URI) as {name}.html and
 * {name}.ipynb, and {name}.pdf when pdf_renderer is not NULL (bm_report_pdf), name NULL meaning
 * "report". Everything is rendered before anything is written, and when a write fails the reports
 * already written are removed: the set is complete or absent. BM_OK, or the error with err naming
 * the object or the renderer's failure. */
int bm_report_write(const char *dir, const char *name, const char *pdf_renderer,
                    const bm_report_input *in, bm_error *err) BM_MUST_CHECK;

/* Appends the command line's summary to out: the status, the scheduled time and the window (from
 * the account), the records in the window and joined (label coverage) and the malformed ones
 * skipped, or the rows analysed; per stage, facet and value the headline metrics (CI, DPL, DI,
 * DPPL) and every violated one, with the baseline's value; the number of violations. Control
 * characters of the inputs' texts are shown as '?'. Returns as bm_report_html. */
int bm_report_text(const bm_report_input *in, bm_buf *out) BM_MUST_CHECK;

/* One sentence (English) on what a metric measures and which sign favours whom, for any of the
 * 21 metric codes ("DI", "CDDL", ...); NULL for an unknown code. Static storage. */
const char *bm_report_metric_meaning(const char *code);

/* A page being written: every call appends to b unless an earlier one failed, so a page is
 * written as a list of calls and rc checked once at the end (BM_OK, BM_ELIMIT, BM_ENOMEM, or
 * BM_EINTERNAL for a bm_html_putf longer than 600 bytes: only numbers and fixed words go there). */
typedef struct bm_html_out {
    bm_buf *b;
    int rc;
} bm_html_out;
void bm_html_put(bm_html_out *o, const char *s);
void bm_html_putf(bm_html_out *o, const char *fmt, ...) BM_PRINTF(2, 3);
void bm_html_esc(bm_html_out *o, const char *s); /* s escaped as bm_html_escape does */

/* Appends s to out escaped for HTML element content and quoted attributes alike (& < > " ' as
 * entities); NULL appends nothing. BM_OK, BM_ELIMIT (out's max) or BM_ENOMEM. */
int bm_html_escape(bm_buf *out, const char *s) BM_MUST_CHECK;

/* A metric value (a JSON number, "Infinity"/"-Infinity" or another string, null) as text in buf:
 * exact (1) as analysis.json has it (Python's repr of a float, the string, "null"), or as a person
 * reads it (0): 4 decimals (%.4e from 1e6 on), infinities as their sign, "n/a" for null. */
void bm_report_value_text(json_t *v, int exact, char *buf, size_t n);

/* A table cell of a metric value: <td class="num CLS" data-value="EXACT">SHOWN</td>, the texts of
 * bm_report_value_text (escaped). */
void bm_report_value_cell(bm_html_out *o, const char *cls, json_t *v);

/* One point of a metric's time series (an execution). */
typedef struct bm_report_point {
    int64_t t;     /* the scheduled time, epoch seconds */
    double value;  /* NAN: none (errored metric); +-INFINITY drawn at the chart's edge */
    double lo, hi; /* the statistical rule's interval around the baseline; NAN: none */
    int violated;  /* 1: marked as a violation */
} bm_report_point;

typedef struct bm_report_series {
    const char *metric;         /* its code ("DI"...), for the neutral value (1 for DI, else 0) */
    const bm_report_point *pts; /* n points, ascending t */
    size_t n;
    double baseline; /* NAN: no baseline line */
    int64_t t0, t1;  /* the time axis (t0 < t1) */
} bm_report_series;

/* Appends an inline SVG chart of a series to out (no script, nothing fetched): the value as a
 * line (broken where there is none), the baseline as a line, the interval as a shaded band, the
 * violations as one path of class "marks" with a zero-length segment ("M x yh0") each, which a
 * round line cap draws as a dot, the value axis' bounds and the time axis' ends as labels. The svg
 * element has class "series" and data-points / data-violations with the counts drawn. BM_OK,
 * BM_EINVAL (no series), BM_ELIMIT or BM_ENOMEM (out holds a partial chart then). */
int bm_report_series_svg(const bm_report_series *s, bm_buf *out) BM_MUST_CHECK;

/* Appends a small inline SVG bar chart of the violations of n executions, oldest first: a bar per
 * execution as high as its violations (counts[i] >= 0), a grey mark for a failed one (-1), nothing
 * for one without an outcome (-2). Returns as bm_report_series_svg. */
int bm_report_sparkline_svg(const int64_t *counts, size_t n, bm_buf *out) BM_MUST_CHECK;

#endif
