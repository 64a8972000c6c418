/* The command line's summary: what a person needs from a run in a dozen lines. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/reportdoc.h"

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A text from the inputs for a terminal: control characters (escape sequences) become '?'. */
static const char *safe(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    for (; s && s[k] && k + 1 < n; k++)
        buf[k] = ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) ? '?' : s[k];
    buf[k] = 0;
    return buf;
}

static long long count(json_t *account, const char *key)
{
    json_t *v = json_object_get(json_object_get(account, "counts"), key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static void value_text(json_t *v, char *buf, size_t n)
{
    if (json_is_number(v)) {
        double x = json_number_value(v);
        snprintf(buf, n, fabs(x) >= 1e6 ? "%.4e" : "%.4f", x);
    } else if (json_is_string(v)) {
        snprintf(buf, n, "%.20s",
                 !strcmp(json_string_value(v), "Infinity")    ? "+inf"
                 : !strcmp(json_string_value(v), "-Infinity") ? "-inf"
                                                              : json_string_value(v));
    } else {
        snprintf(buf, n, "error");
    }
}

static int violated(json_t *violations, const char *facet, const char *value, const char *metric)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(violations, "violations"), i, v)
    {
        const char *f = str(v, "facet"), *fv = str(v, "facet_value"), *m = str(v, "metric_name");
        if (f && fv && m && !strcmp(f, facet) && !strcmp(fv, value) && !strcmp(m, metric)) return 1;
    }
    return 0;
}

static json_t *find_in(json_t *list, const char *key, const char *want)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *v = str(e, key);
        if (v && want && !strcmp(v, want)) return e;
    }
    return NULL;
}

/* The metrics every summary shows: imbalance and label gap before the model, its disparate impact
 * and prediction gap after; any violated metric is shown too. */
static int headline(const char *m)
{
    return !strcmp(m, "CI") || !strcmp(m, "DPL") || !strcmp(m, "DI") || !strcmp(m, "DPPL");
}

int bm_report_text(const bm_report_input *in, bm_buf *b)
{
    if (!in || !json_is_object(in->analysis)) return BM_EINVAL;
    int rc = BM_OK;
    json_t *a = in->account;
    const char *status = str(a, "Status");
    json_t *vl = json_object_get(in->violations, "violations");
    size_t nv = json_array_size(vl);
    if (status || str(a, "ScheduledTime")) {
        json_t *w = json_object_get(a, "window");
        char t1[64], t2[64], t3[64];
        rc = bm_buf_printf(b, "%s  %s", safe(status, t1, sizeof(t1)),
                           safe(str(a, "ScheduledTime"), t2, sizeof(t2)));
        if (!rc && str(w, "start") && str(w, "end"))
            rc = bm_buf_printf(b, "  window %s .. %s", safe(str(w, "start"), t1, sizeof(t1)),
                               safe(str(w, "end"), t3, sizeof(t3)));
        if (!rc) rc = bm_buf_putc(b, '\n');
    }
    long long in_window = count(a, "records_in_window"), joined = count(a, "joined_records"),
              mc = count(a, "malformed_capture_records"),
              mg = count(a, "malformed_ground_truth_records"), rows = count(a, "rows");
    if (!rc && in_window >= 0 && joined >= 0) {
        rc = bm_buf_printf(b, "records: %lld in the window, %lld joined with ground truth",
                           in_window, joined);
        if (!rc && in_window > 0)
            rc = bm_buf_printf(b, " (%.1f%%)", 100.0 * (double)joined / (double)in_window);
        if (!rc && (mc > 0 || mg > 0))
            rc = bm_buf_printf(
                b, ", %lld malformed capture and %lld malformed ground-truth records skipped",
                mc > 0 ? mc : 0, mg > 0 ? mg : 0);
        if (!rc) rc = bm_buf_putc(b, '\n');
    } else if (!rc && rows >= 0) {
        rc = bm_buf_printf(b, "rows analysed: %lld\n", rows);
    }
    static const char *const stages[2] = {"pre_training_bias_metrics",
                                          "post_training_bias_metrics"};
    for (int s = 0; s < 2 && !rc; s++) {
        const char *facet;
        json_t *entries;
        json_t *bstage = in->baseline
                             ? json_object_get(json_object_get(in->baseline, stages[s]), "facets")
                             : NULL;
        json_object_foreach(json_object_get(json_object_get(in->analysis, stages[s]), "facets"),
                            facet, entries)
        {
            size_t i;
            json_t *e;
            json_array_foreach(entries, i, e)
            {
                const char *value = str(e, "value_or_threshold");
                if (rc || !value) continue;
                json_t *g = find_in(json_object_get(json_object_get(a, "facet_groups"), facet),
                                    "value_or_threshold", value);
                json_t *be = find_in(json_object_get(bstage, facet), "value_or_threshold", value);
                size_t k;
                json_t *m;
                int first = 1;
                json_array_foreach(json_object_get(e, "metrics"), k, m)
                {
                    const char *name = str(m, "name");
                    if (rc || !name) continue;
                    int bad = in->violations && violated(in->violations, facet, value, name);
                    if (!bad && !headline(name)) continue;
                    if (first) {
                        first = 0;
                        char f1[64], f2[64];
                        rc =
                            bm_buf_printf(b, "%s %s = %s", s ? "post-training" : "pre-training",
                                          safe(facet, f1, sizeof(f1)), safe(value, f2, sizeof(f2)));
                        if (!rc && json_is_integer(json_object_get(g, "rows")))
                            rc = bm_buf_printf(
                                b, " (%lld rows in d, %lld in a)",
                                (long long)json_integer_value(json_object_get(g, "rows")),
                                (long long)json_integer_value(json_object_get(g, "other_rows")));
                        if (!rc) rc = bm_buf_puts(b, ":\n");
                    }
                    char vt[64], bt[64] = "";
                    value_text(json_object_get(m, "value"), vt, sizeof(vt));
                    json_t *bm = find_in(json_object_get(be, "metrics"), "name", name);
                    if (bm) value_text(json_object_get(bm, "value"), bt, sizeof(bt));
                    if (!rc) rc = bm_buf_printf(b, "  %-6s %10s", name, vt);
                    if (!rc && bm) rc = bm_buf_printf(b, "  baseline %10s", bt);
                    if (!rc && bad) rc = bm_buf_puts(b, "  VIOLATION");
                    if (!rc) rc = bm_buf_putc(b, '\n');
                }
            }
        }
    }
    if (!rc && in->violations)
        rc = bm_buf_printf(
            b, "%zu violation%s%s\n", nv, nv == 1 ? "" : "s",
            nv ? " (farther from neutral than the baseline: constraint_violations.json)" : "");
    return rc;
}
