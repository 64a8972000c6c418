/* The bias drift check against a baseline analysis, and CloudWatch metric records. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/config.h"
#include "biasmon/jsonw.h"
#include "biasmon/pynum.h"
#include "biasmon/violations.h"

#define CW_INFINITY 2.348543e108

/* A metric value as a number: 1 when it has one (numbers and the infinity strings). */
static int metric_number(json_t *v, double *x)
{
    if (json_is_number(v)) {
        *x = json_number_value(v);
        return !isnan(*x);
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcmp(s, "Infinity")) return *x = INFINITY, 1;
        if (!strcmp(s, "-Infinity")) return *x = -INFINITY, 1;
    }
    return 0;
}

/* The value as the report wrote it: Python's repr for numbers, the string itself otherwise. */
static void value_text(json_t *v, char *out, size_t n)
{
    if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        bm_py_float_repr(json_real_value(v), out, n);
    else if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else
        snprintf(out, n, "null");
}

static json_t *find_entry(json_t *entries, const char *value, size_t *index)
{
    size_t i;
    json_t *e;
    if (!json_is_array(entries)) return NULL;
    json_array_foreach(entries, i, e)
    {
        json_t *v = json_object_get(e, "value_or_threshold");
        if (json_is_string(v) && !strcmp(json_string_value(v), value)) {
            if (index) *index = i;
            return e;
        }
    }
    return NULL;
}

static json_t *find_metric(json_t *entry, const char *name)
{
    size_t i;
    json_t *m;
    json_t *ms = json_object_get(entry, "metrics");
    if (!json_is_array(ms)) return NULL;
    json_array_foreach(ms, i, m)
    {
        json_t *n = json_object_get(m, "name");
        if (json_is_string(n) && !strcmp(json_string_value(n), name)) return m;
    }
    return NULL;
}

/* ==================================================================== what a baseline covers */

static const char *const stages[] = {"pre_training_bias_metrics", "post_training_bias_metrics"};
static const char *const stage_words[] = {"pre-training", "post-training"};

#define NAME_TEXT 40     /* bytes of a facet name or value a message shows */
#define COVERED_LISTED 5 /* facet entries a message lists */

/* A name or value for a message: at most NAME_TEXT bytes, cut on a UTF-8 boundary, control
 * characters as '?', so that messages stay short and valid text whatever the input holds. */
static void short_text(const char *s, char *out, size_t n)
{
    size_t k = 0, max = n - 1 < NAME_TEXT ? n - 1 : NAME_TEXT;
    size_t len = strlen(s);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    for (; k < len; k++)
        out[k] = (unsigned char)s[k] < 0x20 || s[k] == 0x7f ? '?' : s[k];
    out[k] = 0;
    if (strlen(s) > len && k + 3 < n) memcpy(out + k, "...", 4);
}

/* "sex = F, grp = 1 and 3 more" (the baseline's facet entries of one stage) or "no facet". */
static void covered_list(json_t *bfacets, char *out, size_t n)
{
    size_t shown = 0, total = 0, used = 0;
    const char *facet;
    json_t *entries;
    out[0] = 0;
    json_object_foreach(bfacets, facet, entries)
    {
        size_t i;
        json_t *e;
        json_array_foreach(entries, i, e)
        {
            const char *v = json_string_value(json_object_get(e, "value_or_threshold"));
            if (!v) continue;
            total++;
            if (shown == COVERED_LISTED) continue;
            char a[NAME_TEXT + 4], b[NAME_TEXT + 4];
            short_text(facet, a, sizeof(a));
            short_text(v, b, sizeof(b));
            int w = snprintf(out + used, n - used, "%s%s = %s", shown ? ", " : "", a, b);
            if (w < 0 || (size_t)w >= n - used) return;
            used += (size_t)w;
            shown++;
        }
    }
    if (!total)
        snprintf(out, n, "no facet");
    else if (total > shown)
        snprintf(out + used, n - used, " and %zu more", total - shown);
}

/* The baseline is an analysis.json: an object with at least one stage, each stage present has
 * a facets object. */
static int check_shape(json_t *baseline, bm_error *err)
{
    if (!json_is_object(baseline) ||
        (!json_object_get(baseline, stages[0]) && !json_object_get(baseline, stages[1]))) {
        bm_error_at(err, NULL, 0, 0, "$");
        return bm_error_set(
            err, BM_EDATA,
            "the baseline is not an analysis.json: no pre_training_bias_metrics or "
            "post_training_bias_metrics (give the analysis.json a baseline analysis wrote)");
    }
    for (int s = 0; s < 2; s++) {
        json_t *st = json_object_get(baseline, stages[s]);
        if (st && !json_is_object(json_object_get(st, "facets"))) {
            char path[96];
            snprintf(path, sizeof(path), "$.%s.facets", stages[s]);
            bm_error_at(err, NULL, 0, 0, path);
            return bm_error_set(err, BM_EDATA,
                                "the baseline is not an analysis.json: no facets object here");
        }
    }
    return BM_OK;
}

static int missing_stage(int s, bm_error *err)
{
    bm_error_at(err, NULL, 0, 0, "$");
    return bm_error_set(
        err, BM_EDATA,
        "the baseline has no %s, so no %s metric could be checked: make the baseline "
        "with the methods of the analysis config",
        stages[s], stage_words[s]);
}

static int missing_facet(int s, json_t *bfacets, const char *facet, const char *value,
                         bm_error *err)
{
    char path[96], a[NAME_TEXT + 4], b[NAME_TEXT + 4], covered[512];
    snprintf(path, sizeof(path), "$.%s.facets", stages[s]);
    bm_error_at(err, NULL, 0, 0, path);
    short_text(facet, a, sizeof(a));
    covered_list(bfacets, covered, sizeof(covered));
    if (!value)
        return bm_error_set(err, BM_EDATA, "the baseline has no facet %s; it covers %s", a,
                            covered);
    short_text(value, b, sizeof(b));
    return bm_error_set(err, BM_EDATA, "the baseline has no facet %s = %s; it covers %s", a, b,
                        covered);
}

static int no_metric_value(int s, const char *facet, const char *value, size_t nmetrics,
                           bm_error *err)
{
    char path[96], a[NAME_TEXT + 4], b[NAME_TEXT + 4];
    snprintf(path, sizeof(path), "$.%s.facets", stages[s]);
    bm_error_at(err, NULL, 0, 0, path);
    short_text(facet, a, sizeof(a));
    short_text(value ? value : "(any value)", b, sizeof(b));
    return bm_error_set(
        err, BM_EDATA,
        "the baseline has a value for none of the %zu %s metrics of facet %s = %s: make "
        "the baseline with the methods of the analysis config",
        nmetrics, stage_words[s], a, b);
}

/* 1 when the baseline entry has a number for the metric (one that can be compared). */
static int has_number(json_t *bentry, const char *name)
{
    double b;
    json_t *bm = find_metric(bentry, name);
    return bm && metric_number(json_object_get(bm, "value"), &b);
}

int bm_baseline_validate(json_t *baseline, const bm_analysis_config *cfg, bm_error *err)
{
    int r = check_shape(baseline, err);
    if (r || !cfg) return r;
    for (int s = 0; s < 2; s++) {
        int wanted =
            s == 0 ? cfg->pre_requested && cfg->pre_mask : cfg->post_requested && cfg->post_mask;
        if (!wanted) continue;
        json_t *st = json_object_get(baseline, stages[s]);
        if (!st) return missing_stage(s, err);
        json_t *bfacets = json_object_get(st, "facets");
        uint32_t mask = s == 0 ? cfg->pre_mask : cfg->post_mask;
        size_t count = s == 0 ? BM_PRE_COUNT : BM_POST_COUNT;
        const char *const *names = s == 0 ? bm_pre_metric_names : bm_post_metric_names;
        for (size_t f = 0; f < cfg->nfacets; f++) {
            const bm_colref *c = &cfg->facets[f].col;
            const char *name = c->name;
            if (!name && c->index >= 0 && (size_t)c->index < cfg->nheaders)
                name = cfg->headers[c->index];
            if (!name) continue; /* a column index without headers: its name comes with the data */
            json_t *entries = json_object_get(bfacets, name);
            if (!json_is_array(entries) || !json_array_size(entries))
                return missing_facet(s, bfacets, name, NULL, err);
            /* the values' texts come from the data (thresholds, column typing): checked at run
             * time; here at least one entry must constrain a requested metric */
            size_t i, nwanted = 0;
            json_t *e;
            int any = 0;
            for (size_t m = 0; m < count; m++) {
                if (!(mask & (1u << m))) continue;
                nwanted++;
                json_array_foreach(entries, i, e) any |= has_number(e, names[m]);
            }
            if (!any) return no_metric_value(s, name, NULL, nwanted, err);
        }
    }
    return BM_OK;
}

/* ==================================================================== the check */

int bm_violations_check(json_t *current, json_t *baseline, json_t **out, size_t *nviolations,
                        json_t **unchecked, size_t *nunchecked, bm_error *err)
{
    *out = NULL;
    *nviolations = 0;
    *unchecked = NULL;
    *nunchecked = 0;
    int r = check_shape(baseline, err);
    if (r) return r;
    json_t *list = json_array();
    json_t *root = json_pack("{s:s,s:o}", "version", "1.0", "violations", list);
    json_t *skipped = json_array();
    if (!root || !skipped) goto nomem;
    for (int s = 0; s < 2; s++) {
        json_t *cur = json_object_get(json_object_get(current, stages[s]), "facets");
        if (!json_is_object(cur)) continue;
        json_t *base_stage = json_object_get(baseline, stages[s]);
        if (!base_stage) {
            r = missing_stage(s, err);
            goto fail;
        }
        json_t *base = json_object_get(base_stage, "facets");
        const char *facet;
        json_t *entries;
        json_object_foreach(cur, facet, entries)
        {
            size_t i;
            json_t *e;
            if (!json_is_array(entries)) continue;
            json_array_foreach(entries, i, e)
            {
                json_t *fv = json_object_get(e, "value_or_threshold");
                if (!json_is_string(fv)) continue;
                json_t *be = find_entry(json_object_get(base, facet), json_string_value(fv), NULL);
                if (!be) {
                    r = missing_facet(s, base, facet, json_string_value(fv), err);
                    goto fail;
                }
                size_t j, computed = 0, comparable = 0;
                json_t *m;
                json_t *names = json_array();
                if (!names) goto nomem;
                json_array_foreach(json_object_get(e, "metrics"), j, m)
                {
                    json_t *name = json_object_get(m, "name");
                    if (!json_is_string(name)) continue;
                    computed++;
                    double x, b;
                    if (!has_number(be, json_string_value(name))) {
                        /* a comparison that would have happened: named, not silently skipped */
                        if (metric_number(json_object_get(m, "value"), &x) &&
                            json_array_append(names, name)) {
                            json_decref(names);
                            goto nomem;
                        }
                        continue;
                    }
                    comparable++;
                    json_t *bm = find_metric(be, json_string_value(name));
                    if (!metric_number(json_object_get(m, "value"), &x) ||
                        !metric_number(json_object_get(bm, "value"), &b))
                        continue;
                    double neutral = strcmp(json_string_value(name), "DI") == 0 ? 1.0 : 0.0;
                    double dx = fabs(x - neutral), db = fabs(b - neutral);
                    if (!(dx > db)) continue;
                    char ct[64], bt[64], desc[256];
                    value_text(json_object_get(m, "value"), ct, sizeof(ct));
                    value_text(json_object_get(bm, "value"), bt, sizeof(bt));
                    snprintf(desc, sizeof(desc),
                             "Metric value %s doesn't meet the baseline constraint requirement %s",
                             ct, bt);
                    json_t *v =
                        json_pack("{s:s,s:s,s:s,s:s,s:s}", "facet", facet, "facet_value",
                                  json_string_value(fv), "metric_name", json_string_value(name),
                                  "constraint_check_type", "bias_drift_check", "description", desc);
                    if (!v || json_array_append_new(list, v)) {
                        json_decref(names);
                        goto nomem;
                    }
                    (*nviolations)++;
                }
                if (computed && !comparable) {
                    json_decref(names);
                    r = no_metric_value(s, facet, json_string_value(fv), computed, err);
                    goto fail;
                }
                if (json_array_size(names)) {
                    *nunchecked += json_array_size(names);
                    json_t *u = json_pack("{s:s,s:s,s:O,s:o}", "stage", stages[s], "facet", facet,
                                          "facet_value", fv, "metrics", names);
                    if (!u || json_array_append_new(skipped, u)) goto nomem;
                } else {
                    json_decref(names);
                }
            }
        }
    }
    *out = root;
    *unchecked = skipped;
    return BM_OK;
nomem:
    r = bm_error_set(err, BM_ENOMEM, "out of memory");
fail:
    json_decref(root);
    json_decref(skipped);
    *nviolations = 0;
    *nunchecked = 0;
    return r;
}

int bm_cloudwatch_records(json_t *analysis, const char *endpoint, const char *schedule,
                          const char *timestamp, bm_buf *out, size_t *count)
{
    static const char *const stage_names[] = {"Pre-training", "Post-Training"};
    *count = 0;
    for (int s = 0; s < 2; s++) {
        json_t *st = json_object_get(analysis, stages[s]);
        if (!st) continue;
        const char *label = json_string_value(json_object_get(st, "label"));
        const char *label_value =
            json_string_value(json_object_get(st, "label_value_or_threshold"));
        const char *facet;
        json_t *entries;
        json_object_foreach(json_object_get(st, "facets"), facet, entries)
        {
            size_t i;
            json_t *e;
            if (!json_is_array(entries)) continue;
            json_array_foreach(entries, i, e)
            {
                const char *fv = json_string_value(json_object_get(e, "value_or_threshold"));
                size_t j;
                json_t *m;
                json_array_foreach(json_object_get(e, "metrics"), j, m)
                {
                    double x;
                    const char *name = json_string_value(json_object_get(m, "name"));
                    if (!name || !metric_number(json_object_get(m, "value"), &x)) continue;
                    if (isinf(x)) x = x > 0 ? CW_INFINITY : -CW_INFINITY;
                    char metric_name[64];
                    snprintf(metric_name, sizeof(metric_name), "bias_metric_%s", name);
                    json_t *dims = json_array();
                    if (!dims) return BM_ENOMEM;
                    if (endpoint)
                        json_array_append_new(
                            dims, json_pack("{s:s,s:s}", "Name", "Endpoint", "Value", endpoint));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "MonitoringSchedule",
                                                          "Value", schedule));
                    json_array_append_new(
                        dims, json_pack("{s:s,s:s}", "Name", "BiasStage", "Value", stage_names[s]));
                    json_array_append_new(
                        dims, json_pack("{s:s,s:s}", "Name", "Label", "Value", label ? label : ""));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "LabelValue",
                                                          "Value", label_value ? label_value : ""));
                    json_array_append_new(dims,
                                          json_pack("{s:s,s:s}", "Name", "Facet", "Value", facet));
                    json_array_append_new(
                        dims, json_pack("{s:s,s:s}", "Name", "FacetValue", "Value", fv ? fv : ""));
                    json_t *rec =
                        json_pack("{s:s,s:s,s:o,s:f,s:s}", "MetricName", metric_name, "Timestamp",
                                  timestamp, "Dimensions", dims, "Value", x, "Unit", "None");
                    if (!rec) return BM_ENOMEM;
                    int r = bm_json_write(rec, 0, out);
                    json_decref(rec);
                    if (r || (r = bm_buf_putc(out, '\n'))) return r;
                    (*count)++;
                }
            }
        }
    }
    return BM_OK;
}
