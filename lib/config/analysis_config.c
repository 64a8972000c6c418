/* Parses SageMaker Clarify's analysis_config.json into bm_analysis_config. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/store.h"
#include "biasmon/cell.h"
#include "biasmon/config.h"
#include "biasmon/pynum.h"

const char *const bm_pre_metric_names[BM_PRE_COUNT] = {"CDDL", "CI", "DPL", "JS",
                                                       "KL",   "KS", "LP",  "TVD"};
const char *const bm_post_metric_names[BM_POST_COUNT] = {
    "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"};

#define MAX_CONFIG_BYTES (16u << 20)
#define MAX_LIST 10000

static int fail(bm_error *err, const char *path, const char *fmt, const char *a)
{
    bm_error_set(err, BM_ECONFIG, fmt, a);
    bm_error_at(err, NULL, 0, 0, path);
    return BM_ECONFIG;
}

static const char *type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

static int parse_value(json_t *v, const char *path, bm_value *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        out->kind = BM_VAL_INT;
        out->i = (int64_t)json_integer_value(v);
        out->f = (double)out->i;
        return BM_OK;
    case JSON_REAL:
        out->kind = BM_VAL_FLOAT;
        out->f = json_real_value(v);
        return BM_OK;
    case JSON_TRUE:
    case JSON_FALSE:
        out->kind = BM_VAL_BOOL;
        out->i = json_is_true(v);
        out->f = (double)out->i;
        return BM_OK;
    case JSON_STRING:
        out->kind = BM_VAL_STR;
        out->slen = json_string_length(v);
        out->s = bm_strndup(json_string_value(v), out->slen);
        if (!out->s) return bm_error_set(err, BM_ENOMEM, "out of memory");
        return BM_OK;
    default:
        return fail(err, path, "expected a string, number or boolean, got %s", type_name(v));
    }
}

static void free_values(bm_value *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        bm_free(v[k].s);
    bm_free(v);
}

static int parse_value_list(json_t *v, const char *path, int allow_scalar, bm_value **out,
                            size_t *n, bm_error *err)
{
    char sub[256];
    *out = NULL;
    *n = 0;
    if (!json_is_array(v)) {
        if (!allow_scalar || json_is_object(v) || json_is_array(v) || json_is_null(v))
            return fail(err, path, "expected a list of values, got %s", type_name(v));
        bm_value *one = bm_calloc(1, sizeof(*one));
        if (!one) return bm_error_set(err, BM_ENOMEM, "out of memory");
        int r = parse_value(v, path, one, err);
        if (r) {
            bm_free(one);
            return r;
        }
        *out = one;
        *n = 1;
        return BM_OK;
    }
    size_t len = json_array_size(v);
    if (len > MAX_LIST) return fail(err, path, "%s: the list has more than 10000 values", "list");
    if (!len) return BM_OK;
    bm_value *vals = bm_calloc(len, sizeof(*vals));
    if (!vals) return bm_error_set(err, BM_ENOMEM, "out of memory");
    for (size_t k = 0; k < len; k++) {
        (void)bm_fmt_fit(sub, sizeof(sub), "%s[%zu]", path, k);
        int r = parse_value(json_array_get(v, k), sub, &vals[k], err);
        if (r) {
            free_values(vals, k);
            return r;
        }
    }
    *out = vals;
    *n = len;
    return BM_OK;
}

static int parse_colref(json_t *v, const char *path, int allow_index, bm_colref *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    out->index = -1;
    if (json_is_string(v)) {
        if (json_string_length(v) == 0 || json_string_length(v) > 1024)
            return fail(err, path, "%s must be 1 to 1024 characters", "a column name");
        out->name = bm_strndup(json_string_value(v), json_string_length(v));
        if (!out->name) return bm_error_set(err, BM_ENOMEM, "out of memory");
        out->set = 1;
        return BM_OK;
    }
    if (allow_index && json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > 1000000)
            return fail(err, path, "%s must be a non-negative column index", "an index");
        out->index = (long)i;
        out->set = 1;
        return BM_OK;
    }
    return fail(err, path,
                allow_index ? "expected a column name or 0-based index, got %s"
                            : "expected a string, got %s",
                type_name(v));
}

static void release_colref(bm_colref *c)
{
    bm_free(c->name);
    c->name = NULL;
    c->set = 0;
}

static int find_metric(const char *const *names, int count, const char *s)
{
    for (int k = 0; k < count; k++)
        if (strcmp(names[k], s) == 0) return k;
    return -1;
}

static int parse_methods_stage(json_t *v, const char *path, const char *const *names, int count,
                               uint32_t *mask, bm_error *err)
{
    char sub[256];
    if (!json_is_object(v)) return fail(err, path, "expected an object, got %s", type_name(v));
    const char *key;
    json_t *val;
    int have = 0;
    json_object_foreach(v, key, val)
    {
        (void)bm_fmt_fit(sub, sizeof(sub), "%s.%s", path, key);
        if (strcmp(key, "methods") != 0)
            return fail(err, sub, "unknown key (expected \"methods\")%s", "");
        have = 1;
        if (json_is_string(val)) {
            if (strcmp(json_string_value(val), "all") != 0)
                return fail(err, sub, "expected \"all\" or a list of metric names, got \"%s\"",
                            json_string_value(val));
            *mask = (1u << count) - 1;
            continue;
        }
        if (!json_is_array(val))
            return fail(err, sub, "expected \"all\" or a list of metric names, got %s",
                        type_name(val));
        *mask = 0;
        for (size_t k = 0; k < json_array_size(val); k++) {
            char sub2[300];
            (void)bm_fmt_fit(sub2, sizeof(sub2), "%s[%zu]", sub, k);
            json_t *m = json_array_get(val, k);
            if (!json_is_string(m))
                return fail(err, sub2, "expected a metric name, got %s", type_name(m));
            int idx = find_metric(names, count, json_string_value(m));
            if (idx < 0) {
                char known[256] = "";
                for (int j = 0; j < count; j++) {
                    strncat(known, names[j], sizeof(known) - strlen(known) - 1);
                    if (j + 1 < count) strncat(known, ", ", sizeof(known) - strlen(known) - 1);
                }
                bm_error_set(err, BM_ECONFIG, "unknown metric \"%s\" (known: %s)",
                             json_string_value(m), known);
                bm_error_at(err, NULL, 0, 0, sub2);
                return BM_ECONFIG;
            }
            *mask |= 1u << idx;
        }
    }
    if (!have) {
        (void)bm_fmt_fit(sub, sizeof(sub), "%s.methods", path);
        return fail(err, sub, "missing required key%s", "");
    }
    return BM_OK;
}

static int parse_methods(json_t *v, bm_analysis_config *c, bm_error *err)
{
    if (!json_is_object(v))
        return fail(err, "$.methods", "expected an object, got %s", type_name(v));
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val)
    {
        char sub[256];
        (void)bm_fmt_fit(sub, sizeof(sub), "$.methods.%s", key);
        int r;
        if (strcmp(key, "pre_training_bias") == 0) {
            r = parse_methods_stage(val, sub, bm_pre_metric_names, BM_PRE_COUNT, &c->pre_mask, err);
            c->pre_requested = 1;
        } else if (strcmp(key, "post_training_bias") == 0) {
            r = parse_methods_stage(val, sub, bm_post_metric_names, BM_POST_COUNT, &c->post_mask,
                                    err);
            c->post_requested = 1;
        } else if (strcmp(key, "report") == 0) {
            /* Clarify's report request: {"name": ..., "title": ...}: {name}.html and the others */
            if (!json_is_object(val))
                return fail(err, sub, "expected an object, got %s", type_name(val));
            const char *k2;
            json_t *v2;
            json_object_foreach(val, k2, v2)
            {
                char sub2[300];
                (void)bm_fmt_fit(sub2, sizeof(sub2), "%s.%s", sub, k2);
                if (strcmp(k2, "name") && strcmp(k2, "title"))
                    return fail(err, sub2, "unknown key (expected \"name\" or \"title\")%s", "");
                if (!json_is_string(v2))
                    return fail(err, sub2, "expected a string, got %s", type_name(v2));
                const char *t = json_string_value(v2);
                size_t n = json_string_length(v2);
                if (!strcmp(k2, "name")) {
                    /* a file name beside analysis.json: one plain path component */
                    int ok = n >= 1 && n <= 100 && t[0] != '.';
                    for (size_t i = 0; ok && i < n; i++)
                        ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
                             (t[i] >= '0' && t[i] <= '9') || t[i] == '_' || t[i] == '-' ||
                             t[i] == '.';
                    if (!ok)
                        return fail(err, sub2,
                                    "the report's file name must be 1 to 100 letters, digits, '_', "
                                    "'-' or '.', not starting with '.'%s",
                                    "");
                } else if (n > 1024) {
                    return fail(err, sub2, "the title must be at most 1024 characters%s", "");
                }
                char **dst = !strcmp(k2, "name") ? &c->report_name : &c->report_title;
                bm_free(*dst);
                if (!(*dst = bm_strndup(t, n)))
                    return bm_error_set(err, BM_ENOMEM, "out of memory");
            }
            c->report_requested = 1;
            r = BM_OK;
        } else {
            return fail(err, sub,
                        "unknown or unsupported method (biasmon computes pre_training_bias and "
                        "post_training_bias%s)",
                        "");
        }
        if (r) return r;
    }
    return BM_OK;
}

static int parse_facets(json_t *v, bm_analysis_config *c, bm_error *err)
{
    char sub[256];
    if (!json_is_array(v))
        return fail(err, "$.facet", "expected a list of facets, got %s", type_name(v));
    size_t n = json_array_size(v);
    if (n == 0) return fail(err, "$.facet", "at least one facet is required%s", "");
    if (n > 1000) return fail(err, "$.facet", "at most 1000 facets are allowed%s", "");
    c->facets = bm_calloc(n, sizeof(*c->facets));
    if (!c->facets) return bm_error_set(err, BM_ENOMEM, "out of memory");
    c->nfacets = n;
    for (size_t k = 0; k < n; k++) {
        json_t *f = json_array_get(v, k);
        (void)bm_fmt_fit(sub, sizeof(sub), "$.facet[%zu]", k);
        if (!json_is_object(f)) return fail(err, sub, "expected an object, got %s", type_name(f));
        const char *key;
        json_t *val;
        int have_name = 0;
        json_object_foreach(f, key, val)
        {
            char sub2[300];
            (void)bm_fmt_fit(sub2, sizeof(sub2), "%s.%s", sub, key);
            int r;
            if (strcmp(key, "name_or_index") == 0) {
                r = parse_colref(val, sub2, 1, &c->facets[k].col, err);
                have_name = 1;
            } else if (strcmp(key, "value_or_threshold") == 0) {
                if (json_is_null(val)) continue;
                r = parse_value_list(val, sub2, 0, &c->facets[k].values, &c->facets[k].nvalues,
                                     err);
            } else {
                return fail(err, sub2,
                            "unknown key (expected \"name_or_index\" or \"value_or_threshold\")%s",
                            "");
            }
            if (r) return r;
        }
        if (!have_name) {
            char sub2[300];
            (void)bm_fmt_fit(sub2, sizeof(sub2), "%s.name_or_index", sub);
            return fail(err, sub2, "missing required key%s", "");
        }
    }
    return BM_OK;
}

static int add_excluded(bm_analysis_config *c, json_t *v, const char *path, bm_error *err)
{
    bm_colref *n = bm_reallocarray(c->excluded, c->nexcluded + 1, sizeof(*n));
    if (!n) return bm_error_set(err, BM_ENOMEM, "out of memory");
    c->excluded = n;
    int r = parse_colref(v, path, 1, &c->excluded[c->nexcluded], err);
    if (r) return r;
    c->nexcluded++;
    return BM_OK;
}

/* A string member of the predictor (NULL when absent), at most max bytes. */
static int predictor_string(json_t *p, const char *key, size_t max, char **out, bm_error *err)
{
    json_t *v = json_object_get(p, key);
    char path[64];
    snprintf(path, sizeof(path), "$.predictor.%s", key);
    if (!v || json_is_null(v)) return BM_OK;
    if (!json_is_string(v)) return fail(err, path, "expected a string, got %s", type_name(v));
    if (json_string_length(v) == 0 || json_string_length(v) > max) {
        bm_error_set(err, BM_ECONFIG, "must be 1 to %zu characters", max);
        bm_error_at(err, NULL, 0, 0, path);
        return BM_ECONFIG;
    }
    *out = bm_strndup(json_string_value(v), json_string_length(v));
    return *out ? BM_OK : bm_error_set(err, BM_ENOMEM, "out of memory");
}

static int media_type_ok(const char *t)
{
    return !t || !strcmp(t, "text/csv") || !strcmp(t, "application/jsonlines") ||
           !strcmp(t, "application/json");
}

static int parse_predictor(json_t *p, bm_predictor_cfg *pc, bm_error *err)
{
    if (!json_is_object(p))
        return fail(err, "$.predictor", "expected an object, got %s", type_name(p));
    pc->set = 1;
    int r;
    if ((r = predictor_string(p, "model_name", 63, &pc->model_name, err)) ||
        (r = predictor_string(p, "endpoint_name", 63, &pc->endpoint_name, err)) ||
        (r = predictor_string(p, "content_type", 256, &pc->content_type, err)) ||
        (r = predictor_string(p, "accept_type", 256, &pc->accept_type, err)) ||
        (r = predictor_string(p, "content_template", 65536, &pc->content_template, err)) ||
        (r = predictor_string(p, "record_template", 65536, &pc->record_template, err)) ||
        (r = predictor_string(p, "custom_attributes", 1024, &pc->custom_attributes, err)))
        return r;
    /* sent as a header line of every request to the model: a CR or LF there would start a
     * header (or a request) of the config's own making */
    for (const char *c = pc->custom_attributes; c && *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            return fail(err, "$.predictor.custom_attributes",
                        "must be printable ASCII (no control character: it is sent as the "
                        "X-Amzn-SageMaker-Custom-Attributes header)%s",
                        "");
    if (pc->model_name && pc->endpoint_name)
        return fail(err, "$.predictor.endpoint_name",
                    "give model_name or endpoint_name, not both%s", "");
    if (!media_type_ok(pc->content_type))
        return fail(err, "$.predictor.content_type",
                    "biasmon sends text/csv, application/jsonlines or application/json; "
                    "not \"%s\"",
                    pc->content_type);
    if (!media_type_ok(pc->accept_type))
        return fail(err, "$.predictor.accept_type",
                    "biasmon reads text/csv, application/jsonlines or application/json answers; "
                    "not \"%s\"",
                    pc->accept_type);
    const char *ct = pc->content_type ? pc->content_type : "text/csv";
    if (!strcmp(ct, "application/jsonlines") &&
        (!pc->content_template || !strstr(pc->content_template, "$features")))
        return fail(err, "$.predictor.content_template",
                    "application/jsonlines requests need a content_template with the placeholder "
                    "$features (such as {\"features\":$features})%s",
                    "");
    if (!strcmp(ct, "application/json")) {
        if (!pc->content_template || !strstr(pc->content_template, "$record"))
            return fail(err, "$.predictor.content_template",
                        "application/json requests need a content_template with the placeholder "
                        "$records (or $record)%s",
                        "");
        if (!pc->record_template || (strcmp(pc->record_template, "$features") &&
                                     strcmp(pc->record_template, "$features_kvp")))
            return fail(err, "$.predictor.record_template",
                        "biasmon builds application/json records from \"$features\" or "
                        "\"$features_kvp\"%s",
                        "");
    }
    json_t *v;
    if ((v = json_object_get(p, "label")) && !json_is_null(v) &&
        (r = parse_colref(v, "$.predictor.label", 1, &pc->label, err)))
        return r;
    if ((v = json_object_get(p, "probability")) && !json_is_null(v) &&
        (r = parse_colref(v, "$.predictor.probability", 1, &pc->probability, err)))
        return r;
    if ((v = json_object_get(p, "label_headers")) && !json_is_null(v)) {
        if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MAX_LIST)
            return fail(err, "$.predictor.label_headers",
                        "expected a list of 1 to 10000 label values%s", "");
        pc->label_headers = bm_calloc(json_array_size(v), sizeof(char *));
        if (!pc->label_headers) return bm_error_set(err, BM_ENOMEM, "out of memory");
        for (size_t k = 0; k < json_array_size(v); k++) {
            json_t *h = json_array_get(v, k);
            char sub[64];
            snprintf(sub, sizeof(sub), "$.predictor.label_headers[%zu]", k);
            char num[64];
            const char *text = num;
            if (json_is_string(h))
                text = json_string_value(h);
            else if (json_is_integer(h))
                snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(h));
            else if (json_is_real(h))
                bm_py_float_repr(json_real_value(h), num, sizeof(num));
            else
                return fail(err, sub, "expected a string or a number, got %s", type_name(h));
            if (!(pc->label_headers[k] = bm_strdup(text)))
                return bm_error_set(err, BM_ENOMEM, "out of memory");
            pc->nlabel_headers = k + 1;
        }
    }
    return BM_OK;
}

static void release_predictor(bm_predictor_cfg *pc)
{
    bm_free(pc->model_name);
    bm_free(pc->endpoint_name);
    bm_free(pc->content_type);
    bm_free(pc->accept_type);
    bm_free(pc->content_template);
    bm_free(pc->record_template);
    bm_free(pc->custom_attributes);
    release_colref(&pc->label);
    release_colref(&pc->probability);
    for (size_t k = 0; k < pc->nlabel_headers; k++)
        bm_free(pc->label_headers[k]);
    bm_free(pc->label_headers);
    memset(pc, 0, sizeof(*pc));
}

static int parse_root(json_t *root, bm_analysis_config *c, bm_error *err)
{
    if (!json_is_object(root)) return fail(err, "$", "expected an object, got %s", type_name(root));
    int r = BM_OK;
    json_t *dt = json_object_get(root, "dataset_type");
    c->dataset_type = BM_DATASET_CSV;
    if (dt) {
        if (!json_is_string(dt))
            return fail(err, "$.dataset_type", "expected a string, got %s", type_name(dt));
        const char *s = json_string_value(dt);
        if (strcmp(s, "text/csv") == 0)
            c->dataset_type = BM_DATASET_CSV;
        else if (strcmp(s, "application/jsonlines") == 0)
            c->dataset_type = BM_DATASET_JSONLINES;
        else
            return fail(
                err, "$.dataset_type",
                "unsupported dataset_type \"%s\" (supported: text/csv, application/jsonlines)", s);
    }
    int jsonl = c->dataset_type == BM_DATASET_JSONLINES;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        char path[300];
        snprintf(path, sizeof(path), "$.%s", key);
        if (strcmp(key, "dataset_type") == 0) {
            continue;
        } else if (strcmp(key, "version") == 0) {
            if (!json_is_string(val))
                return fail(err, path, "expected a string, got %s", type_name(val));
            if (strcmp(json_string_value(val), "1.0") != 0)
                return fail(err, path, "unsupported version \"%s\" (only \"1.0\" exists)",
                            json_string_value(val));
        } else if (strcmp(key, "headers") == 0) {
            if (!json_is_array(val))
                return fail(err, path, "expected a list of strings, got %s", type_name(val));
            size_t n = json_array_size(val);
            if (n > 100000) return fail(err, path, "more than 100000 headers%s", "");
            c->headers = bm_calloc(n ? n : 1, sizeof(char *));
            if (!c->headers) return bm_error_set(err, BM_ENOMEM, "out of memory");
            for (size_t k = 0; k < n; k++) {
                json_t *h = json_array_get(val, k);
                char sub[320];
                (void)bm_fmt_fit(sub, sizeof(sub), "$.headers[%zu]", k);
                if (!json_is_string(h))
                    return fail(err, sub, "expected a string, got %s", type_name(h));
                c->headers[k] = bm_strndup(json_string_value(h), json_string_length(h));
                if (!c->headers[k]) return bm_error_set(err, BM_ENOMEM, "out of memory");
                c->nheaders = k + 1;
            }
        } else if (strcmp(key, "label") == 0) {
            r = parse_colref(val, path, !jsonl, &c->label, err);
        } else if (strcmp(key, "features") == 0) {
            if (!json_is_string(val))
                return fail(err, path, "expected a JMESPath string, got %s", type_name(val));
            if (!jsonl)
                return fail(err, path,
                            "\"features\" applies to application/jsonlines datasets only%s", "");
            c->features = bm_strdup(json_string_value(val));
            if (!c->features) return bm_error_set(err, BM_ENOMEM, "out of memory");
        } else if (strcmp(key, "label_values_or_threshold") == 0) {
            r = parse_value_list(val, path, 0, &c->label_values, &c->nlabel_values, err);
            if (!r && c->nlabel_values == 0)
                return fail(err, path,
                            "at least one positive label value or a threshold is required%s", "");
        } else if (strcmp(key, "facet") == 0) {
            r = parse_facets(val, c, err);
        } else if (strcmp(key, "group_variable") == 0) {
            r = parse_colref(val, path, !jsonl, &c->group_variable, err);
        } else if (strcmp(key, "predicted_label") == 0) {
            r = parse_colref(val, path, !jsonl, &c->predicted_label, err);
        } else if (strcmp(key, "probability_threshold") == 0) {
            if (!json_is_number(val))
                return fail(err, path, "expected a number, got %s", type_name(val));
            c->has_probability_threshold = 1;
            c->probability_threshold = json_number_value(val);
            if (!isfinite(c->probability_threshold))
                return fail(err, path, "must be a finite number%s", "");
        } else if (strcmp(key, "excluded_columns") == 0) {
            if (!json_is_array(val))
                return fail(err, path, "expected a list of columns, got %s", type_name(val));
            for (size_t k = 0; k < json_array_size(val); k++) {
                char sub[320];
                (void)bm_fmt_fit(sub, sizeof(sub), "$.excluded_columns[%zu]", k);
                if ((r = add_excluded(c, json_array_get(val, k), sub, err))) return r;
            }
        } else if (strcmp(key, "joinsource_name_or_index") == 0) {
            r = add_excluded(c, val, path, err);
        } else if (strcmp(key, "methods") == 0) {
            r = parse_methods(val, c, err);
        } else if (strcmp(key, "predictor") == 0) {
            r = parse_predictor(val, &c->predictor, err);
        } else {
            return fail(err, path, "unknown key%s", "");
        }
        if (r) return r;
    }
    if (!c->label.set) return fail(err, "$.label", "missing required key%s", "");
    if (!c->label_values)
        return fail(err, "$.label_values_or_threshold", "missing required key%s", "");
    if (!c->facets) return fail(err, "$.facet", "missing required key%s", "");
    if (jsonl && !c->features)
        return fail(err, "$.features",
                    "missing required key (a JMESPath to the features of a JSON Lines record)%s",
                    "");
    if (jsonl && !c->headers)
        return fail(err, "$.headers",
                    "missing required key (JSON Lines datasets name their columns with headers, "
                    "label last)%s",
                    "");
    if (!c->pre_requested && !c->post_requested) {
        /* No methods: compute everything, as the bias monitor does. */
        c->methods_absent = 1;
        c->pre_requested = c->post_requested = 1;
        c->pre_mask = (1u << BM_PRE_COUNT) - 1;
        c->post_mask = (1u << BM_POST_COUNT) - 1;
    }
    return BM_OK;
}

int bm_analysis_config_parse(const char *text, size_t len, const char *name,
                             bm_analysis_config *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    bm_error_clear(err);
    if (name) bm_error_at(err, name, 0, 0, NULL);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        return bm_json_error(err, NULL, &je);
    }
    int r = parse_root(root, out, err);
    json_decref(root);
    if (r) bm_analysis_config_release(out);
    return r;
}

int bm_analysis_config_load(const char *path, bm_analysis_config *out, bm_error *err)
{
    memset(out, 0, sizeof(*out));
    bm_error_clear(err);
    bm_error_at(err, path, 0, 0, NULL);
    bm_buf b;
    bm_buf_init(&b, MAX_CONFIG_BYTES + 1);
    int r = bm_store_read(path, MAX_CONFIG_BYTES, &b, err);
    if (r == BM_ELIMIT) bm_error_set(err, r, "file larger than 16 MiB");
    if (r == BM_ENOTFOUND || r == BM_EACCESS)
        r = err->code = BM_EIO; /* the contract: unreadable is BM_EIO */
    if (!r) r = bm_analysis_config_parse(b.data ? b.data : "", b.len, path, out, err);
    bm_buf_release(&b);
    return r;
}

void bm_analysis_config_release(bm_analysis_config *c)
{
    for (size_t k = 0; k < c->nheaders; k++)
        bm_free(c->headers[k]);
    bm_free(c->headers);
    release_colref(&c->label);
    bm_free(c->features);
    free_values(c->label_values, c->nlabel_values);
    for (size_t k = 0; k < c->nfacets; k++) {
        release_colref(&c->facets[k].col);
        free_values(c->facets[k].values, c->facets[k].nvalues);
    }
    bm_free(c->facets);
    release_colref(&c->group_variable);
    release_colref(&c->predicted_label);
    for (size_t k = 0; k < c->nexcluded; k++)
        release_colref(&c->excluded[k]);
    bm_free(c->excluded);
    bm_free(c->report_name);
    bm_free(c->report_title);
    release_predictor(&c->predictor);
    memset(c, 0, sizeof(*c));
}

size_t bm_value_str(const bm_value *v, char *out, size_t outlen)
{
    switch (v->kind) {
    case BM_VAL_INT:
        return (size_t)snprintf(out, outlen, "%lld", (long long)v->i);
    case BM_VAL_FLOAT:
        return bm_py_float_repr(v->f, out, outlen);
    case BM_VAL_BOOL:
        return (size_t)snprintf(out, outlen, "%s", bm_py_bool_str((int)v->i));
    case BM_VAL_STR:
        return (size_t)snprintf(out, outlen, "%s", v->s);
    }
    return 0;
}
