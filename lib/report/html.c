/* report.html: an analysis, its baseline and its violations as one self-contained page. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/pynum.h"
#include "biasmon/reportdoc.h"
#include "biasmon/store.h"

/* ---- what each metric means (our own words; d is the facet group, a everyone else) ---- */

static const struct {
    const char *code, *meaning;
} meanings[] = {
    {"AD", "Accuracy of the predictions for a minus their accuracy for d: above 0, the model is "
           "right less often for d."},
    {"CDDL",
     "Demographic disparity of the observed labels within each group_variable subgroup, averaged "
     "by subgroup "
     "size: above 0, d holds a larger share of the negative labels than of the positive ones."},
    {"CDDPL", "Demographic disparity of the predicted labels within each group_variable subgroup, "
              "averaged by subgroup "
              "size: above 0, d holds a larger share of the negative predictions than of the "
              "positive ones."},
    {"CI", "Rows of a minus rows of d, over all rows: 0 is balanced, close to 1 means d is "
           "scarcely represented, "
           "below 0 means d is the majority."},
    {"DAR", "Precision for a minus precision for d (true positives per positive prediction): above "
            "0, a positive "
            "prediction for d is confirmed by the label less often."},
    {"DCA", "Observed positives per positive prediction in a minus the same ratio in d: above 0, "
            "the model grants "
            "d the positive outcome more freely, relative to its labels, than a."},
    {"DCR", "Observed negatives per negative prediction in d minus the same ratio in a: below 0, "
            "the model turns d "
            "down more readily, relative to its labels, than a."},
    {"DI", "Share of d predicted positive divided by the share of a predicted positive: 1 is "
           "parity, below 1 d "
           "receives the positive prediction less often (0.8 is the usual four-fifths line)."},
    {"DPL", "Share of positive labels in a minus the share in d: above 0, d has the positive "
            "outcome less often in "
            "the observed labels, before any model."},
    {"DPPL", "Share of a predicted positive minus the share of d predicted positive: above 0, d "
             "receives the "
             "positive prediction less often."},
    {"DRR", "Negative predictive value for d minus that for a (true negatives per negative "
            "prediction): below 0, "
            "a negative prediction for d is wrong more often."},
    {"FT", "Each row of d against its nearest neighbours in a: the share of d predicted positive "
           "where similar rows "
           "of a are not, minus the reverse; 0 means d is predicted like its look-alikes in a."},
    {"GE", "Generalized entropy (alpha 2) of each row's benefit (prediction minus label plus 1) "
           "over all rows: 0 when "
           "errors fall evenly; it does not depend on the facet."},
    {"JS", "Jensen-Shannon divergence between the label distributions of a and d: symmetric and "
           "bounded, 0 when both "
           "groups have the same share of positive labels."},
    {"KL", "Kullback-Leibler divergence of the label distribution of a from that of d: 0 when both "
           "groups have the "
           "same share of positive labels, larger as they part."},
    {"KS", "Largest difference between the label distributions of a and d over the outcomes: 0 "
           "when they match."},
    {"LP", "Euclidean distance between the label distributions of a and d: 0 when they match."},
    {"RD", "Recall for a minus recall for d (true positives per observed positive): above 0, the "
           "model misses the "
           "positives of d more often."},
    {"SD", "Specificity for d minus specificity for a (true negatives per observed negative): "
           "below 0, the negatives "
           "of d are wrongly predicted positive more often."},
    {"TE", "False negatives per false positive in d minus the same ratio in a: above 0, the errors "
           "on d lean more "
           "towards denying the positive outcome."},
    {"TVD", "Half the summed absolute differences between the label distributions of a and d: 0 "
            "when they match."},
};

const char *bm_report_metric_meaning(const char *code)
{
    for (size_t i = 0; code && i < sizeof(meanings) / sizeof(meanings[0]); i++)
        if (!strcmp(meanings[i].code, code)) return meanings[i].meaning;
    return NULL;
}

/* ---- a writer with a sticky status: after the first failure every call does nothing ---- */

/* The page is written through bm_html_out (chart.c): put, putf and esc below are its calls. */
typedef bm_html_out out;
#define put bm_html_put
#define putf bm_html_putf
#define esc bm_html_esc

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- values ---- */

/* A metric value as a number: numbers and the infinity strings. */
static int number(json_t *v, double *x)
{
    if (json_is_number(v)) {
        *x = json_number_value(v);
        return !isnan(*x);
    }
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s && !strcmp(s, "Infinity")) return *x = INFINITY, 1;
    if (s && !strcmp(s, "-Infinity")) return *x = -INFINITY, 1;
    return 0;
}

void bm_report_value_text(json_t *v, int exact, char *buf, size_t n)
{
    double x;
    if (exact) {
        if (json_is_integer(v))
            snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            bm_py_float_repr(json_real_value(v), buf, n);
        else if (json_is_string(v))
            snprintf(buf, n, "%s", json_string_value(v));
        else
            snprintf(buf, n, "null");
    } else if (!number(v, &x))
        snprintf(buf, n, "%s", json_is_string(v) ? json_string_value(v) : "n/a");
    else if (isinf(x))
        snprintf(buf, n, "%s", x > 0 ? "+\xe2\x88\x9e" : "\xe2\x88\x92\xe2\x88\x9e");
    else if (fabs(x) >= 1e6)
        snprintf(buf, n, "%.4e", x);
    else
        snprintf(buf, n, "%.4f", x);
}

void bm_report_value_cell(bm_html_out *o, const char *cls, json_t *v)
{
    char ex[64], sh[64];
    bm_report_value_text(v, 1, ex, sizeof(ex));
    bm_report_value_text(v, 0, sh, sizeof(sh));
    putf(o, "<td class=\"num %s\" data-value=\"", cls);
    esc(o, ex);
    put(o, "\">");
    esc(o, sh);
    put(o, "</td>");
}

/* ---- lookups ---- */

static json_t *find_entry(json_t *stage, const char *facet, const char *value)
{
    json_t *entries = json_object_get(json_object_get(stage, "facets"), facet);
    size_t i;
    json_t *e;
    if (!json_is_array(entries)) return NULL;
    json_array_foreach(entries, i, e)
    {
        const char *v = str(e, "value_or_threshold");
        if (v && value && !strcmp(v, value)) return e;
    }
    return NULL;
}

static json_t *find_metric(json_t *entry, const char *name)
{
    json_t *ms = json_object_get(entry, "metrics");
    size_t i;
    json_t *m;
    if (!json_is_array(ms)) return NULL;
    json_array_foreach(ms, i, m)
    {
        const char *n = str(m, "name");
        if (n && !strcmp(n, name)) return m;
    }
    return NULL;
}

static json_t *find_violation(json_t *violations, const char *facet, const char *value,
                              const char *metric)
{
    json_t *list = json_object_get(violations, "violations");
    size_t i;
    json_t *v;
    if (!json_is_array(list)) return NULL;
    json_array_foreach(list, i, v)
    {
        const char *f = str(v, "facet"), *fv = str(v, "facet_value"), *m = str(v, "metric_name");
        if (f && fv && m && !strcmp(f, facet) && !strcmp(fv, value) && !strcmp(m, metric)) return v;
    }
    return NULL;
}

/* 1 when the account names this metric among those the baseline could not check. */
static int unchecked(json_t *account, const char *stage, const char *facet, const char *value,
                     const char *metric)
{
    json_t *list = json_object_get(account, "baseline_unchecked_metrics");
    size_t i, j;
    json_t *u, *m;
    if (!json_is_array(list)) return 0;
    json_array_foreach(list, i, u)
    {
        const char *s = str(u, "stage"), *f = str(u, "facet"), *fv = str(u, "facet_value");
        if (!s || !f || !fv || strcmp(s, stage) || strcmp(f, facet) || strcmp(fv, value)) continue;
        json_array_foreach(json_object_get(u, "metrics"), j,
                           m) if (json_is_string(m) &&
                                  !strcmp(json_string_value(m), metric)) return 1;
    }
    return 0;
}

static json_t *find_group(json_t *account, const char *facet, const char *value)
{
    json_t *entries = json_object_get(json_object_get(account, "facet_groups"), facet);
    size_t i;
    json_t *e;
    if (!json_is_array(entries)) return NULL;
    json_array_foreach(entries, i, e)
    {
        const char *v = str(e, "value_or_threshold");
        if (v && !strcmp(v, value)) return e;
    }
    return NULL;
}

/* ---- the chart: the value and the baseline against the metric's neutral value ----
 * Under SageMaker's rule a value violates when it is farther from neutral than the baseline, so
 * the band of values as close as the baseline is drawn; the value is a dot inside or outside it. */

#define CW 180.0
#define CH 30.0

static double xpos(double v, double neutral, double range)
{
    double t = (v - neutral) / range;
    if (t > 1) t = 1;
    if (t < -1) t = -1;
    return CW / 2 + t * (CW / 2 - 6);
}

static void chart(out *o, const char *metric, json_t *value, json_t *base, int violated)
{
    double neutral = strcmp(metric, "DI") == 0 ? 1.0 : 0.0, x = 0, b = 0;
    int hx = number(value, &x), hb = number(base, &b);
    /* the scale: the first of 0.1, 0.25, 0.5, 1, 2.5, 5, 10, ... that holds both finite values, so
     * that charts of one size read alike */
    double far = 0, range = 0.1;
    if (hx && !isinf(x)) far = fabs(x - neutral);
    if (hb && !isinf(b) && fabs(b - neutral) > far) far = fabs(b - neutral);
    for (int k = 0; range < far * 1.1 && k < 40; k++)
        range *= (k % 3 == 0) ? 2.5 : 2;
    putf(o,
         "<svg class=\"chart\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
         "role=\"img\" aria-label=\"",
         CW, CH, CW, CH);
    put(o, "value against baseline\">");
    if (hb) {
        double d = isinf(b) ? range : fabs(b - neutral);
        double l = xpos(neutral - d, neutral, range), r = xpos(neutral + d, neutral, range);
        putf(o, "<rect class=\"band\" x=\"%.1f\" y=\"4\" width=\"%.1f\" height=\"14\"/>", l, r - l);
        double bx = xpos(b, neutral, range);
        putf(o, "<line class=\"base\" x1=\"%.1f\" y1=\"2\" x2=\"%.1f\" y2=\"20\"/>", bx, bx);
    }
    putf(o, "<line class=\"axis\" x1=\"6\" y1=\"11\" x2=\"%.1f\" y2=\"11\"/>", CW - 6);
    putf(o, "<line class=\"neutral\" x1=\"%.1f\" y1=\"6\" x2=\"%.1f\" y2=\"16\"/>", CW / 2, CW / 2);
    char lo[32], hi[32];
    snprintf(lo, sizeof(lo), "%g", neutral - range);
    snprintf(hi, sizeof(hi), "%g", neutral + range);
    putf(o, "<text class=\"tick\" x=\"6\" y=\"28\">%s</text>", lo);
    putf(o, "<text class=\"tick\" x=\"%.1f\" y=\"28\" text-anchor=\"end\">%s</text>", CW - 6, hi);
    if (hx) {
        double px = xpos(x, neutral, range);
        if (isinf(x))
            putf(o, "<path class=\"dot%s\" d=\"M%.1f 11 l%d -6 v12 z\"/>", violated ? " bad" : "",
                 px, x > 0 ? -8 : 8);
        else
            putf(o, "<circle class=\"dot%s\" cx=\"%.1f\" cy=\"11\" r=\"5\"/>",
                 violated ? " bad" : "", px);
    }
    put(o, "</svg>");
}

/* ---- the page ---- */

static const char css[] =
    "<style>\n"
    ":root{--ink:#1d2430;--mute:#5b6575;--line:#d8dde5;--bad:#b3261e;--badbg:#fdecea;--ok:#1e6b3a;-"
    "-band:#dcefe2}\n"
    "*{box-sizing:border-box}\n"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu "
    "Sans',sans-serif;color:var(--ink);"
    "margin:0 auto;max-width:1180px;padding:24px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid "
    "var(--line);"
    "padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}\n"
    ".sub{color:var(--mute);margin:0 0 16px}\n"
    ".pill{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;border:1px "
    "solid currentColor}\n"
    ".pill.ok{color:var(--ok)}.pill.bad{color:var(--bad);background:var(--badbg)}\n"
    "table{border-collapse:collapse;width:100%;margin:6px 0 10px}\n"
    "th,td{border-bottom:1px solid var(--line);padding:4px "
    "8px;text-align:left;vertical-align:middle}\n"
    "th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--mute)}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.counts{width:auto}table.counts td:first-child{padding-right:24px}\n"
    "tr.violation td{background:var(--badbg)}tr.violation "
    "td.status{color:var(--bad);font-weight:700}\n"
    "td.meaning{color:var(--mute);font-size:12.5px;max-width:460px}\n"
    "td.err{color:var(--bad);font-size:12.5px}\n"
    "section.facet{break-inside:avoid;page-break-inside:avoid}\n"
    ".groups{color:var(--mute);margin:2px 0 6px}\n"
    "svg.chart .band{fill:var(--band)}svg.chart .axis{stroke:#9aa3af;stroke-width:1}\n"
    "svg.chart .neutral{stroke:#6b7280;stroke-width:1;stroke-dasharray:2 2}\n"
    "svg.chart .base{stroke:var(--ok);stroke-width:2}svg.chart .dot{fill:var(--ink)}svg.chart "
    ".dot.bad{fill:var(--bad)}svg.chart .tick{font-size:8px;fill:var(--mute)}\n"
    "ul.viol li{margin:2px 0}a{color:#1f4f99}\n"
    ".legend{color:var(--mute);font-size:12.5px}\n"
    "tr.evidence>td{background:#f6f8fb;padding:2px 8px 8px 24px}\n"
    "table.tests{width:auto;margin:2px 0 4px;font-size:12.5px}table.tests th,table.tests "
    "td{padding:2px 8px}\n"
    "table.tests tr.alarm td{color:var(--bad);font-weight:600}\n"
    "p.verdict{margin:2px 0;font-size:12.5px}p.verdict.alarm{color:var(--bad)}\n"
    "footer{margin-top:32px;color:var(--mute);font-size:12px}\n"
    "@media "
    "print{body{padding:0;max-width:none;font-size:11px}@page{size:A4;margin:12mm}a{color:inherit;"
    "text-decoration:none}}\n"
    "</style>\n";

static const char *const stage_keys[2] = {"pre_training_bias_metrics",
                                          "post_training_bias_metrics"};
static const char *const stage_titles[2] = {"Pre-training metrics (labels only)",
                                            "Post-training metrics (labels and predictions)"};

static const struct {
    const char *key, *label;
} count_labels[] = {
    {"capture_files", "capture files read"},
    {"capture_records", "capture records read"},
    {"records_in_window", "capture records in the window"},
    {"records_outside_window", "capture records outside the window"},
    {"malformed_capture_records", "malformed capture records (skipped)"},
    {"duplicate_capture_records", "duplicate capture records"},
    {"ground_truth_files", "ground-truth files read"},
    {"ground_truth_records", "ground-truth records read"},
    {"malformed_ground_truth_records", "malformed ground-truth records (skipped)"},
    {"duplicate_ground_truth_ids", "duplicate ground-truth ids"},
    {"joined_records", "records joined with ground truth"},
    {"capture_records_without_ground_truth", "capture records without ground truth"},
    {"ground_truth_without_capture", "ground truth without a capture record"},
    {"rows", "rows analysed"},
};

static void counts(out *o, json_t *account)
{
    json_t *c = json_object_get(account, "counts");
    if (!json_is_object(c)) return;
    put(o, "<h2>Records</h2>\n<table class=\"counts\">\n");
    for (size_t i = 0; i < sizeof(count_labels) / sizeof(count_labels[0]); i++) {
        json_t *v = json_object_get(c, count_labels[i].key);
        if (!json_is_integer(v)) continue;
        putf(o, "<tr data-count=\"%s\"><td>%s</td><td class=\"num\">%lld</td></tr>\n",
             count_labels[i].key, count_labels[i].label, (long long)json_integer_value(v));
    }
    json_t *in = json_object_get(c, "records_in_window"),
           *joined = json_object_get(c, "joined_records");
    if (json_is_integer(in) && json_is_integer(joined) && json_integer_value(in) > 0)
        putf(o,
             "<tr data-count=\"label_coverage\"><td>label coverage (joined / in window)</td>"
             "<td class=\"num\">%.1f%%</td></tr>\n",
             100.0 * (double)json_integer_value(joined) / (double)json_integer_value(in));
    put(o, "</table>\n");
    json_t *first = json_object_get(account, "first_malformed");
    size_t i;
    json_t *f;
    if (json_is_array(first) && json_array_size(first)) {
        put(o, "<p class=\"legend\">First malformed records:</p><ul class=\"legend\">\n");
        json_array_foreach(first, i, f)
        {
            put(o, "<li>");
            esc(o, str(f, "file"));
            json_t *line = json_object_get(f, "line");
            if (json_is_integer(line)) putf(o, ":%lld", (long long)json_integer_value(line));
            put(o, ": ");
            esc(o, str(f, "reason"));
            put(o, "</li>\n");
        }
        put(o, "</ul>\n");
    }
}

static void group_sizes(out *o, json_t *account, const char *facet, const char *value)
{
    json_t *g = find_group(account, facet, value);
    if (!g) return;
    json_t *d = json_object_get(g, "rows"), *a = json_object_get(g, "other_rows");
    json_t *ld = json_object_get(g, "labelled_rows"),
           *la = json_object_get(g, "other_labelled_rows");
    if (!json_is_integer(d) || !json_is_integer(a)) return;
    put(o, "<p class=\"groups\">");
    putf(o, "group d (this value): <b data-group=\"d\">%lld</b> rows",
         (long long)json_integer_value(d));
    if (json_is_integer(ld))
        putf(o, ", <span data-group=\"d-labelled\">%lld</span> with labels",
             (long long)json_integer_value(ld));
    putf(o, " &middot; group a (the rest): <b data-group=\"a\">%lld</b> rows",
         (long long)json_integer_value(a));
    if (json_is_integer(la))
        putf(o, ", <span data-group=\"a-labelled\">%lld</span> with labels",
             (long long)json_integer_value(la));
    put(o, "</p>\n");
}

/* ---- the statistical rule's evidence (docs/alarms.md) ---- */

/* bias_evidence.json's entry of metric name for facet = value, or NULL. */
static json_t *find_evidence(json_t *evidence, const char *facet, const char *value,
                             const char *name)
{
    return find_metric(find_entry(evidence, facet, value), name);
}

static void num_cell(out *o, const char *cls, json_t *v)
{
    if (json_is_number(v) || json_is_string(v))
        bm_report_value_cell(o, cls, v);
    else
        putf(o, "<td class=\"num %s\" data-value=\"null\">&ndash;</td>", cls);
}

/* A count (windows, rows): exact as the file has it, shown whole. */
static void count_cell(out *o, const char *cls, json_t *v)
{
    double x;
    char ex[64];
    if (!number(v, &x) || isinf(x)) {
        num_cell(o, cls, v);
        return;
    }
    bm_report_value_text(v, 1, ex, sizeof(ex));
    putf(o, "<td class=\"num %s\" data-value=\"", cls);
    esc(o, ex);
    putf(o, "\">%.0f</td>", x);
}

/* A row under the metric's: each test (pooled windows, rows per group, the window's value, the
 * baseline's, the change, its interval, z against the threshold) and the verdict in a sentence. */
static void evidence_row(out *o, int columns, const char *name, json_t *me)
{
    json_t *tests = json_object_get(me, "tests");
    if (!json_is_array(tests)) return;
    put(o, "<tr class=\"evidence\" data-evidence=\"");
    esc(o, name);
    putf(o, "\"><td colspan=\"%d\">", columns);
    put(o, "<table class=\"tests\"><thead><tr><th>windows</th><th>rows d</th><th>rows "
           "a</th><th>window</th><th>baseline</th><th>change</th><th>interval</th><th>|z|</th>"
           "<th>threshold</th><th>verdict</th></tr></thead><tbody>");
    size_t i;
    json_t *t;
    int decided = 0;
    const char *why = NULL;
    json_array_foreach(tests, i, t)
    {
        json_t *rows = json_object_get(t, "rows");
        int alarm = json_is_true(json_object_get(t, "alarm"));
        putf(o, "<tr data-test=\"%zu\"%s>", i, alarm ? " class=\"alarm\"" : "");
        count_cell(o, "windows", json_object_get(t, "windows"));
        count_cell(o, "rows-d", json_object_get(rows, "d"));
        count_cell(o, "rows-a", json_object_get(rows, "a"));
        if (json_is_false(json_object_get(t, "decidable"))) {
            if (!why) why = str(t, "why");
            put(o, "<td colspan=\"6\" class=\"legend\">");
            esc(o, str(t, "why"));
            put(o, "</td><td>not decidable</td></tr>");
            continue;
        }
        decided++;
        json_t *iv = json_object_get(t, "interval");
        num_cell(o, "window", json_object_get(t, "window"));
        num_cell(o, "baseline", json_object_get(t, "baseline"));
        num_cell(o, "change", json_object_get(t, "change"));
        put(o, "<td class=\"num interval\">[");
        char ex[64], sh[64];
        for (int k = 0; k < 2; k++) {
            json_t *x = json_array_get(iv, (size_t)k);
            bm_report_value_text(x, 1, ex, sizeof(ex));
            bm_report_value_text(x, 0, sh, sizeof(sh));
            putf(o, "%s<span class=\"%s\" data-value=\"", k ? ", " : "", k ? "hi" : "lo");
            esc(o, ex);
            put(o, "\">");
            esc(o, sh);
            put(o, "</span>");
        }
        put(o, "]</td>");
        /* |z|: the statistic's size against the threshold it is compared with */
        json_t *z = json_object_get(t, "z");
        double zx;
        json_t *az = number(z, &zx) ? json_real(fabs(zx)) : NULL;
        num_cell(o, "z", az ? az : z);
        json_decref(az);
        num_cell(o, "threshold", json_object_get(t, "threshold"));
        put(o, alarm ? "<td>alarm</td></tr>" : "<td>within</td></tr>");
    }
    put(o, "</tbody></table>");
    const char *reason = str(me, "reason");
    int alarm = json_is_true(json_object_get(me, "alarm"));
    put(o, alarm ? "<p class=\"verdict alarm\">" : "<p class=\"verdict\">");
    if (alarm && reason)
        esc(o, reason);
    else if (decided)
        put(o, "No alarm: every test's interval holds a change of 0 (|z| at most the threshold, "
               "the test's share of the daily false-alarm budget).");
    else {
        put(o, "Not decided: ");
        esc(o, why ? why : "no test could run");
    }
    put(o, "</p></td></tr>\n");
}

static void metric_row(out *o, const bm_report_input *in, const char *stage, json_t *bstage,
                       const char *facet, const char *value, json_t *m)
{
    const char *name = str(m, "name");
    if (!name) return;
    json_t *v = json_object_get(m, "value");
    json_t *bm = in->baseline ? find_metric(find_entry(bstage, facet, value), name) : NULL;
    json_t *bv = bm ? json_object_get(bm, "value") : NULL;
    int violated = in->violations && find_violation(in->violations, facet, value, name);
    const char *status = "";
    if (violated)
        status = "violation";
    else if (!json_is_number(v) && !json_is_string(v))
        status = "error";
    else if (in->violations && unchecked(in->account, stage, facet, value, name))
        status = "not checked";
    else if (in->violations)
        status = "ok";
    put(o, "<tr data-metric=\"");
    esc(o, name);
    put(o, violated ? "\" class=\"violation\">" : "\">");
    put(o, "<td><b>");
    esc(o, name);
    put(o, "</b><br><span class=\"legend\">");
    esc(o, str(m, "description"));
    put(o, "</span></td>");
    if (json_is_number(v) || json_is_string(v))
        bm_report_value_cell(o, "value", v);
    else {
        put(o, "<td class=\"num value err\" data-value=\"null\">error</td>");
    }
    if (in->baseline) {
        if (bv && (json_is_number(bv) || json_is_string(bv)))
            bm_report_value_cell(o, "baseline", bv);
        else
            put(o, "<td class=\"num baseline\" data-value=\"null\">&ndash;</td>");
    }
    put(o, "<td>");
    chart(o, name, v, bv, violated);
    put(o, "</td>");
    if (in->violations) {
        put(o, "<td class=\"status\">");
        put(o, status);
        put(o, "</td>");
    }
    const char *err = str(m, "error");
    if (err) {
        put(o, "<td class=\"err\">");
        esc(o, err);
        put(o, "</td>");
    } else {
        put(o, "<td class=\"meaning\">");
        esc(o, bm_report_metric_meaning(name));
        put(o, "</td>");
    }
    put(o, "</tr>\n");
    /* the statistical rule tests post-training metrics only */
    json_t *me = in->evidence && !strcmp(stage, "post_training_bias_metrics")
                     ? find_evidence(in->evidence, facet, value, name)
                     : NULL;
    if (me) evidence_row(o, 4 + (in->baseline != NULL) + (in->violations != NULL), name, me);
}

static void stage_section(out *o, const bm_report_input *in, int s)
{
    json_t *stage = json_object_get(in->analysis, stage_keys[s]);
    json_t *facets = json_object_get(stage, "facets");
    if (!json_is_object(facets)) return;
    json_t *bstage = in->baseline ? json_object_get(in->baseline, stage_keys[s]) : NULL;
    putf(o, "<h2 id=\"%s\">%s</h2>\n", stage_keys[s], stage_titles[s]);
    put(o, "<p class=\"sub\">label <b>");
    esc(o, str(stage, "label"));
    put(o, "</b>, positive when <b>");
    esc(o, str(stage, "label_value_or_threshold"));
    put(o, "</b></p>\n");
    const char *facet;
    json_t *entries;
    size_t fi = 0;
    json_object_foreach(facets, facet, entries)
    {
        size_t i;
        json_t *e;
        fi++;
        if (!json_is_array(entries)) continue;
        json_array_foreach(entries, i, e)
        {
            const char *value = str(e, "value_or_threshold");
            json_t *ms = json_object_get(e, "metrics");
            if (!value || !json_is_array(ms)) continue;
            putf(o, "<section class=\"facet\" id=\"s%d-f%zu-v%zu\" data-stage=\"%s\" data-facet=\"",
                 s, fi, i, stage_keys[s]);
            esc(o, facet);
            put(o, "\" data-facet-value=\"");
            esc(o, value);
            put(o, "\">\n<h3>");
            esc(o, facet);
            put(o, " = ");
            esc(o, value);
            put(o, "</h3>\n");
            group_sizes(o, in->account, facet, value);
            put(o, "<table class=\"metrics\"><thead><tr><th>metric</th><th>value</th>");
            if (in->baseline) put(o, "<th>baseline</th>");
            put(o, "<th>against neutral</th>");
            if (in->violations) put(o, "<th>check</th>");
            put(o, "<th>what it means</th></tr></thead><tbody>\n");
            size_t k;
            json_t *m;
            json_array_foreach(ms, k, m) metric_row(o, in, stage_keys[s], bstage, facet, value, m);
            put(o, "</tbody></table>\n</section>\n");
        }
    }
}

/* The violations first, each linked to its facet's section. */
static void violation_list(out *o, const bm_report_input *in)
{
    json_t *list = json_object_get(in->violations, "violations");
    if (!json_is_array(list) || !json_array_size(list)) return;
    put(o, "<h2>Violations</h2>\n<ul class=\"viol\">\n");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *f = str(v, "facet"), *fv = str(v, "facet_value"), *m = str(v, "metric_name");
        if (!f || !fv || !m) continue;
        /* the section it belongs to: the stage that has the metric */
        char anchor[64] = "";
        for (int s = 0; s < 2 && !anchor[0]; s++) {
            json_t *facets =
                json_object_get(json_object_get(in->analysis, stage_keys[s]), "facets");
            const char *name;
            json_t *entries;
            size_t fi = 0;
            json_object_foreach(facets, name, entries)
            {
                fi++;
                size_t j;
                json_t *e;
                if (strcmp(name, f) || !json_is_array(entries)) continue;
                json_array_foreach(entries, j, e)
                {
                    const char *ev = str(e, "value_or_threshold");
                    if (ev && !strcmp(ev, fv) && find_metric(e, m))
                        snprintf(anchor, sizeof(anchor), "s%d-f%zu-v%zu", s, fi, j);
                }
            }
        }
        put(o, "<li class=\"violation\" data-metric=\"");
        esc(o, m);
        put(o, "\">");
        if (anchor[0]) putf(o, "<a href=\"#%s\">", anchor);
        put(o, "<b>");
        esc(o, m);
        put(o, "</b> for ");
        esc(o, f);
        put(o, " = ");
        esc(o, fv);
        if (anchor[0]) put(o, "</a>");
        put(o, ": ");
        esc(o, str(v, "description"));
        put(o, "</li>\n");
    }
    put(o, "</ul>\n");
}

static void header(out *o, const bm_report_input *in)
{
    const char *title = in->title && in->title[0] ? in->title : "Bias report";
    put(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           /* nothing may be fetched: no script, no image, no font, no form target */
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
           "'unsafe-inline'; "
           "img-src data:\">\n<title>");
    esc(o, title);
    put(o, "</title>\n");
    put(o, css);
    put(o, "</head>\n<body>\n<header>\n<h1>");
    esc(o, title);
    put(o, "</h1>\n<p class=\"sub\">");
    json_t *a = in->account;
    const char *sched = str(a, "MonitoringScheduleName"), *t = str(a, "ScheduledTime");
    if (sched) {
        put(o, "schedule <b data-field=\"schedule\">");
        esc(o, sched);
        put(o, "</b>");
        if (t) {
            put(o, ", scheduled <b data-field=\"scheduled-time\">");
            esc(o, t);
            put(o, "</b>");
        }
        json_t *w = json_object_get(a, "window");
        if (str(w, "start") && str(w, "end")) {
            put(o, ", window <b data-field=\"window\">");
            esc(o, str(w, "start"));
            put(o, " &ndash; ");
            esc(o, str(w, "end"));
            put(o, "</b> (end excluded)");
        }
    } else {
        put(o, "analysis of a dataset");
    }
    put(o, "</p>\n");
    const char *status = str(a, "Status");
    size_t nv = json_array_size(json_object_get(in->violations, "violations"));
    if (in->violations || status) {
        int bad = nv > 0 || (status && strcmp(status, "Completed"));
        put(o, bad ? "<p><span class=\"pill bad\" data-field=\"status\">"
                   : "<p><span class=\"pill ok\" data-field=\"status\">");
        if (status)
            esc(o, status);
        else
            put(o, nv ? "CompletedWithViolations" : "Completed");
        put(o, "</span> ");
        if (in->violations)
            putf(o,
                 "<span data-field=\"violations\">%zu</span> metric%s farther from neutral than "
                 "the baseline",
                 nv, nv == 1 ? "" : "s");
        put(o, "</p>\n");
    }
    put(o, "</header>\n");
}

int bm_report_html(const bm_report_input *in, bm_buf *b)
{
    if (!in || !json_is_object(in->analysis)) return BM_EINVAL;
    out o = {b, BM_OK};
    header(&o, in);
    violation_list(&o, in);
    counts(&o, in->account);
    if (in->baseline)
        put(&o, "<p class=\"legend\">Charts: the dashed line is the metric's neutral value (1 for "
                "DI, 0 for the "
                "others); the shaded band holds the values as close to neutral as the baseline "
                "(its value is the "
                "green line); a dot outside the band is a violation under SageMaker's rule.</p>\n");
    else
        put(&o, "<p class=\"legend\">Charts: the dashed line is the metric's neutral value (1 for "
                "DI, 0 for the "
                "others); the dot is the value.</p>\n");
    put(&o,
        "<p class=\"legend\">d is the group the facet value selects, a is every other row.</p>\n");
    if (in->evidence)
        put(&o, "<p class=\"legend\">Under the statistical rule (docs/alarms.md) each tested "
                "metric has a row of tests: the latest windows pooled, the rows of each group, "
                "the metric over them and in the baseline, the change, the interval of the change "
                "(the test's estimate &plusmn; threshold &times; its standard error), and |z| "
                "against the threshold (the test's share of the daily false-alarm budget); it "
                "alarms when |z| exceeds it, which is when the interval leaves out 0.</p>\n");
    /* a window not judged yet says why once, above the metrics (one without a labelled row has
     * no post-training metric to say it under) */
    const char *why = json_is_false(json_object_get(in->evidence, "decidable"))
                          ? json_string_value(json_object_get(in->evidence, "why"))
                          : NULL;
    if (why) {
        put(&o, "<p class=\"undecided\">Not decided: ");
        esc(&o, why);
        put(&o, "</p>\n");
    }
    for (int s = 0; s < 2; s++)
        stage_section(&o, in, s);
    put(&o,
        "<footer>Written by biasmon beside analysis.json; the numbers are those of analysis.json, "
        "rounded to "
        "4 decimals (each cell's data-value holds the exact one).</footer>\n</body>\n</html>\n");
    return o.rc;
}

/* ---- writing ---- */

int bm_report_write(const char *dir, const char *name, const char *pdf_renderer,
                    const bm_report_input *in, bm_error *err)
{
    static const char *const ext[3] = {"html", "ipynb", "pdf"};
    char uri[3][4200];
    bm_buf b[3];
    int n = pdf_renderer ? 3 : 2, rc = BM_OK, written = 0;
    for (int k = 0; k < 3; k++)
        bm_buf_init(&b[k], (size_t)1 << 30);
    for (int k = 0; k < n; k++) {
        char file[128];
        if (snprintf(file, sizeof(file), "%s.%s", name ? name : "report", ext[k]) >=
                (int)sizeof(file) ||
            bm_uri_join(dir, file, uri[k], sizeof(uri[k]))) {
            rc = bm_error_set(err, BM_ELIMIT, "the report's folder or name is too long");
            goto out;
        }
    }
    if ((rc = bm_report_html(in, &b[0])) || (rc = bm_report_ipynb(in, &b[1]))) {
        bm_error_set(err, rc, "cannot render the report");
        goto out;
    }
    if (pdf_renderer && (rc = bm_report_pdf(pdf_renderer, b[0].data, b[0].len, 0, &b[2], err)))
        goto out;
    for (; written < n; written++)
        if ((rc = bm_store_write(uri[written], b[written].data ? b[written].data : "",
                                 b[written].len, err)))
            break;
    if (rc) /* the set cannot be complete: none of it stays */
        for (int k = 0; k < written; k++) {
            bm_error ignored;
            if (bm_store_remove(uri[k], &ignored))
                continue; /* the first error is the one to report */
        }
out:
    for (int k = 0; k < 3; k++)
        bm_buf_release(&b[k]);
    return rc;
}
