/* The bias drift check against a baseline analysis, and CloudWatch metric records. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/cell.h"
#include "biasmon/report.h"
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

static json_t *find_entry(json_t *entries, const char *value)
{
    size_t i;
    json_t *e;
    if (!json_is_array(entries)) return NULL;
    json_array_foreach(entries, i, e) {
        json_t *v = json_object_get(e, "value_or_threshold");
        if (json_is_string(v) && !strcmp(json_string_value(v), value)) return e;
    }
    return NULL;
}

static json_t *find_metric(json_t *entry, const char *name)
{
    size_t i;
    json_t *m;
    json_t *ms = json_object_get(entry, "metrics");
    if (!json_is_array(ms)) return NULL;
    json_array_foreach(ms, i, m) {
        json_t *n = json_object_get(m, "name");
        if (json_is_string(n) && !strcmp(json_string_value(n), name)) return m;
    }
    return NULL;
}

int bm_violations_check(json_t *current, json_t *baseline, json_t **out, size_t *nviolations,
                        bm_error *err)
{
    static const char *const stages[] = {"pre_training_bias_metrics", "post_training_bias_metrics"};
    *out = NULL;
    *nviolations = 0;
    if (!json_is_object(baseline)) {
        bm_error_at(err, NULL, 0, 0, "$");
        return bm_error_set(err, BM_EDATA, "the baseline is not an analysis.json object");
    }
    json_t *list = json_array();
    json_t *root = json_pack("{s:s,s:o}", "version", "1.0", "violations", list);
    if (!root) return bm_error_set(err, BM_ENOMEM, "out of memory");
    for (int s = 0; s < 2; s++) {
        json_t *cur = json_object_get(json_object_get(current, stages[s]), "facets");
        json_t *base_stage = json_object_get(baseline, stages[s]);
        if (!cur || !base_stage) continue;
        json_t *base = json_object_get(base_stage, "facets");
        if (!json_is_object(base)) {
            char path[96];
            snprintf(path, sizeof(path), "$.%s.facets", stages[s]);
            bm_error_at(err, NULL, 0, 0, path);
            json_decref(root);
            return bm_error_set(err, BM_EDATA, "the baseline has no facets object here");
        }
        const char *facet;
        json_t *entries;
        json_object_foreach(cur, facet, entries) {
            size_t i;
            json_t *e;
            if (!json_is_array(entries)) continue;
            json_array_foreach(entries, i, e) {
                json_t *fv = json_object_get(e, "value_or_threshold");
                if (!json_is_string(fv)) continue;
                json_t *be = find_entry(json_object_get(base, facet), json_string_value(fv));
                if (!be) continue;
                size_t j;
                json_t *m;
                json_array_foreach(json_object_get(e, "metrics"), j, m) {
                    json_t *name = json_object_get(m, "name");
                    if (!json_is_string(name)) continue;
                    json_t *bm = find_metric(be, json_string_value(name));
                    double x, b;
                    if (!bm || !metric_number(json_object_get(m, "value"), &x) ||
                        !metric_number(json_object_get(bm, "value"), &b))
                        continue;
                    double neutral = strcmp(json_string_value(name), "DI") == 0 ? 1.0 : 0.0;
                    double dx = fabs(x - neutral), db = fabs(b - neutral);
                    if (!(dx > db)) continue;
                    char ct[64], bt[64], desc[256];
                    value_text(json_object_get(m, "value"), ct, sizeof(ct));
                    value_text(json_object_get(bm, "value"), bt, sizeof(bt));
                    snprintf(desc, sizeof(desc),
                             "Metric value %s doesn't meet the baseline constraint requirement %s", ct, bt);
                    json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s}", "facet", facet, "facet_value",
                                          json_string_value(fv), "metric_name", json_string_value(name),
                                          "constraint_check_type", "bias_drift_check", "description", desc);
                    if (!v || json_array_append_new(list, v)) {
                        json_decref(root);
                        return bm_error_set(err, BM_ENOMEM, "out of memory");
                    }
                    (*nviolations)++;
                }
            }
        }
    }
    *out = root;
    return BM_OK;
}

int bm_cloudwatch_records(json_t *analysis, const char *endpoint, const char *schedule,
                          const char *timestamp, bm_buf *out, size_t *count)
{
    static const char *const stages[] = {"pre_training_bias_metrics", "post_training_bias_metrics"};
    static const char *const stage_names[] = {"Pre-training", "Post-Training"};
    *count = 0;
    for (int s = 0; s < 2; s++) {
        json_t *st = json_object_get(analysis, stages[s]);
        if (!st) continue;
        const char *label = json_string_value(json_object_get(st, "label"));
        const char *label_value = json_string_value(json_object_get(st, "label_value_or_threshold"));
        const char *facet;
        json_t *entries;
        json_object_foreach(json_object_get(st, "facets"), facet, entries) {
            size_t i;
            json_t *e;
            if (!json_is_array(entries)) continue;
            json_array_foreach(entries, i, e) {
                const char *fv = json_string_value(json_object_get(e, "value_or_threshold"));
                size_t j;
                json_t *m;
                json_array_foreach(json_object_get(e, "metrics"), j, m) {
                    double x;
                    const char *name = json_string_value(json_object_get(m, "name"));
                    if (!name || !metric_number(json_object_get(m, "value"), &x)) continue;
                    if (isinf(x)) x = x > 0 ? CW_INFINITY : -CW_INFINITY;
                    char metric_name[64];
                    snprintf(metric_name, sizeof(metric_name), "bias_metric_%s", name);
                    json_t *dims = json_array();
                    if (!dims) return BM_ENOMEM;
                    if (endpoint) json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "Endpoint", "Value", endpoint));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "MonitoringSchedule", "Value", schedule));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "BiasStage", "Value", stage_names[s]));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "Label", "Value", label ? label : ""));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "LabelValue", "Value", label_value ? label_value : ""));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "Facet", "Value", facet));
                    json_array_append_new(dims, json_pack("{s:s,s:s}", "Name", "FacetValue", "Value", fv ? fv : ""));
                    json_t *rec = json_pack("{s:s,s:s,s:o,s:f,s:s}", "MetricName", metric_name, "Timestamp",
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
