/* report.ipynb: the same report as a Jupyter notebook (nbformat 4), to read or to extend. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/jsonw.h"
#include "biasmon/pynum.h"
#include "biasmon/reportdoc.h"

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Text from the inputs inside Markdown: HTML's three characters as entities (a notebook renders
 * HTML in Markdown) and Markdown's punctuation behind a backslash. */
static int md(bm_buf *b, const char *s)
{
    int rc = BM_OK;
    for (const char *p = s; p && *p && !rc; p++) {
        if (*p == '<')
            rc = bm_buf_puts(b, "&lt;");
        else if (*p == '>')
            rc = bm_buf_puts(b, "&gt;");
        else if (*p == '&')
            rc = bm_buf_puts(b, "&amp;");
        else if (*p == '\n' || *p == '\r')
            rc = bm_buf_putc(b, ' ');
        else {
            if (strchr("\\`*_{}[]()#+-.!|~$", *p)) rc = bm_buf_putc(b, '\\');
            if (!rc) rc = bm_buf_putc(b, *p);
        }
    }
    return rc;
}

static int value_md(bm_buf *b, json_t *v)
{
    char t[64];
    if (json_is_integer(v))
        snprintf(t, sizeof(t), "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        bm_py_float_repr(json_real_value(v), t, sizeof(t));
    else if (json_is_string(v))
        return md(b, json_string_value(v));
    else
        snprintf(t, sizeof(t), "error");
    return md(b, t);
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

/* A cell: its source as one string (nbformat allows a string or a list of lines). */
static int add_cell(json_t *cells, const char *type, bm_buf *src)
{
    char id[32];
    snprintf(id, sizeof(id), "cell-%zu", json_array_size(cells));
    json_t *c = !strcmp(type, "code")
                    ? json_pack("{s:s,s:s,s:{},s:n,s:[],s:s#}", "cell_type", type, "id", id,
                                "metadata", "execution_count", "outputs", "source",
                                src->data ? src->data : "", src->len)
                    : json_pack("{s:s,s:s,s:{},s:s#}", "cell_type", type, "id", id, "metadata",
                                "source", src->data ? src->data : "", src->len);
    bm_buf_reset(src);
    if (!c || json_array_append_new(cells, c)) return BM_ENOMEM;
    return BM_OK;
}

static const char *const stage_keys[2] = {"pre_training_bias_metrics",
                                          "post_training_bias_metrics"};
static const char *const stage_titles[2] = {"Pre-training metrics", "Post-training metrics"};

static int facet_cell(bm_buf *b, const bm_report_input *in, int s, const char *facet, json_t *e)
{
    const char *value = str(e, "value_or_threshold");
    json_t *ms = json_object_get(e, "metrics");
    if (!value || !json_is_array(ms)) return BM_OK;
    json_t *bentry = NULL;
    if (in->baseline)
        bentry = find_in(
            json_object_get(json_object_get(json_object_get(in->baseline, stage_keys[s]), "facets"),
                            facet),
            "value_or_threshold", value);
    int rc = bm_buf_printf(b, "### %s: ", stage_titles[s]);
    if (!rc) rc = md(b, facet);
    if (!rc) rc = bm_buf_puts(b, " = ");
    if (!rc) rc = md(b, value);
    json_t *g = find_in(json_object_get(json_object_get(in->account, "facet_groups"), facet),
                        "value_or_threshold", value);
    if (!rc && json_is_integer(json_object_get(g, "rows")) &&
        json_is_integer(json_object_get(g, "other_rows")))
        rc = bm_buf_printf(b, "\n\ngroup d (this value): %lld rows; group a (the rest): %lld rows",
                           (long long)json_integer_value(json_object_get(g, "rows")),
                           (long long)json_integer_value(json_object_get(g, "other_rows")));
    if (!rc)
        rc = bm_buf_puts(b, in->baseline
                                ? "\n\n| metric | value | baseline | check | what it means "
                                  "|\n|---|---:|---:|---|---|\n"
                                : "\n\n| metric | value | what it means |\n|---|---:|---|\n");
    size_t k;
    json_t *m;
    json_array_foreach(ms, k, m)
    {
        const char *name = str(m, "name");
        if (!name || rc) continue;
        int bad = in->violations && violated(in->violations, facet, value, name);
        rc = bm_buf_puts(b, bad ? "| **" : "| ");
        if (!rc) rc = md(b, name);
        if (!rc) rc = bm_buf_puts(b, bad ? "** | " : " | ");
        if (!rc) rc = value_md(b, json_object_get(m, "value"));
        if (!rc && in->baseline) {
            json_t *bm = find_in(json_object_get(bentry, "metrics"), "name", name);
            rc = bm_buf_puts(b, " | ");
            if (!rc)
                rc =
                    bm ? value_md(b, json_object_get(bm, "value")) : bm_buf_puts(b, "\xe2\x80\x93");
            if (!rc)
                rc = bm_buf_puts(b, bad ? " | **violation**" : in->violations ? " | ok" : " | ");
        }
        if (!rc) rc = bm_buf_puts(b, " | ");
        const char *err = str(m, "error");
        if (!rc) rc = err ? md(b, err) : md(b, bm_report_metric_meaning(name));
        if (!rc) rc = bm_buf_puts(b, " |\n");
    }
    return rc;
}

int bm_report_ipynb(const bm_report_input *in, bm_buf *out)
{
    if (!in || !json_is_object(in->analysis)) return BM_EINVAL;
    int rc = BM_ENOMEM;
    bm_buf b;
    bm_buf_init(&b, out->max);
    json_t *cells = json_array(), *nb = NULL;
    if (!cells) goto out;
    /* the heading, what the run was, and the violations */
    const char *title = in->title && in->title[0] ? in->title : "Bias report";
    rc = bm_buf_puts(&b, "# ");
    if (!rc) rc = md(&b, title);
    const char *sched = str(in->account, "MonitoringScheduleName");
    if (!rc && sched) {
        rc = bm_buf_puts(&b, "\n\nschedule ");
        if (!rc) rc = md(&b, sched);
        json_t *w = json_object_get(in->account, "window");
        if (!rc && str(in->account, "ScheduledTime")) rc = bm_buf_puts(&b, ", scheduled ");
        if (!rc) rc = md(&b, str(in->account, "ScheduledTime"));
        if (!rc && str(w, "start") && str(w, "end")) {
            rc = bm_buf_puts(&b, ", window ");
            if (!rc) rc = md(&b, str(w, "start"));
            if (!rc) rc = bm_buf_puts(&b, " to ");
            if (!rc) rc = md(&b, str(w, "end"));
            if (!rc) rc = bm_buf_puts(&b, " (end excluded)");
        }
        if (!rc && str(in->account, "Status")) {
            rc = bm_buf_puts(&b, "; status **");
            if (!rc) rc = md(&b, str(in->account, "Status"));
            if (!rc) rc = bm_buf_puts(&b, "**");
        }
    }
    json_t *vl = json_object_get(in->violations, "violations");
    if (!rc && in->violations)
        rc = bm_buf_printf(
            &b, "\n\n%zu metric%s farther from neutral than the baseline (SageMaker's rule)",
            json_array_size(vl), json_array_size(vl) == 1 ? "" : "s");
    size_t i;
    json_t *v;
    json_array_foreach(vl, i, v)
    {
        if (rc) break;
        rc = bm_buf_puts(&b, i ? "\n* " : ":\n\n* ");
        if (!rc) rc = md(&b, str(v, "metric_name"));
        if (!rc) rc = bm_buf_puts(&b, " for ");
        if (!rc) rc = md(&b, str(v, "facet"));
        if (!rc) rc = bm_buf_puts(&b, " = ");
        if (!rc) rc = md(&b, str(v, "facet_value"));
        if (!rc) rc = bm_buf_puts(&b, ": ");
        if (!rc) rc = md(&b, str(v, "description"));
    }
    json_t *counts = json_object_get(in->account, "counts");
    if (!rc && json_is_object(counts)) {
        rc = bm_buf_puts(&b, "\n\n| records | count |\n|---|---:|\n");
        const char *k;
        json_t *c;
        json_object_foreach(counts, k, c)
        {
            if (rc || !json_is_integer(c)) continue;
            rc = bm_buf_puts(&b, "| ");
            if (!rc) rc = md(&b, k);
            if (!rc) rc = bm_buf_printf(&b, " | %lld |\n", (long long)json_integer_value(c));
        }
    }
    if (!rc) rc = add_cell(cells, "markdown", &b);
    /* one cell per stage, facet and value */
    for (int s = 0; s < 2 && !rc; s++) {
        const char *facet;
        json_t *entries;
        json_object_foreach(json_object_get(json_object_get(in->analysis, stage_keys[s]), "facets"),
                            facet, entries)
        {
            size_t j;
            json_t *e;
            json_array_foreach(entries, j, e)
            {
                if (rc) break;
                rc = facet_cell(&b, in, s, facet, e);
                if (!rc && b.len) rc = add_cell(cells, "markdown", &b);
            }
        }
    }
    /* and code to go further from analysis.json, which sits beside the notebook */
    if (!rc)
        rc = bm_buf_puts(
            &b, "import json\n"
                "\n"
                "with open(\"analysis.json\") as f:\n"
                "    analysis = json.load(f)\n"
                "for stage in (\"pre_training_bias_metrics\", \"post_training_bias_metrics\"):\n"
                "    for facet, entries in analysis.get(stage, {}).get(\"facets\", {}).items():\n"
                "        for entry in entries:\n"
                "            for m in entry[\"metrics\"]:\n"
                "                print(stage, facet, entry[\"value_or_threshold\"], m[\"name\"], "
                "m[\"value\"])\n");
    if (!rc) rc = add_cell(cells, "code", &b);
    if (rc) goto out;
    rc = BM_ENOMEM;
    nb = json_pack("{s:O,s:{s:{s:s,s:s,s:s},s:{s:s,s:s},s:s},s:i,s:i}", "cells", cells, "metadata",
                   "kernelspec", "display_name", "Python 3", "language", "python", "name",
                   "python3", "language_info", "name", "python", "mimetype", "text/x-python",
                   "title", title, "nbformat", 4, "nbformat_minor", 5);
    if (!nb) goto out;
    rc = bm_json_write(nb, 1, out);
    if (!rc) rc = bm_buf_putc(out, '\n');
out:
    json_decref(cells);
    json_decref(nb);
    bm_buf_release(&b);
    return rc;
}
