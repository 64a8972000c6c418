/* Payloads to rows: CSV lines or JSON documents into features, predictions and labels. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/csv.h"
#include "biasmon/capture_extract.h"

void bm__extractor_reset(bm__extractor *x)
{
    for (size_t k = 0; k < x->ndocs; k++)
        json_decref(x->docs[k]);
    x->ndocs = 0;
    bm_buf_reset(&x->arena);
    x->features.n = x->preds.n = x->labels.n = 0;
    x->nfeat_rows = 0;
    x->why[0] = 0;
    x->why_setting = NULL;
}

void bm__extractor_release(bm__extractor *x)
{
    bm__extractor_reset(x);
    bm_free(x->docs);
    bm_buf_release(&x->arena);
    bm_free(x->features.v);
    bm_free(x->preds.v);
    bm_free(x->labels.v);
    bm_free(x->fields);
    bm_buf_release(&x->copy);
    bm_free(x->exclude);
    bm_jmespath_free(x->features_expr);
    bm_jmespath_free(x->inference_expr);
    bm_jmespath_free(x->probability_expr);
    bm_jmespath_free(x->label_expr);
    memset(x, 0, sizeof(*x));
}

static int fail(bm__extractor *x, const char *fmt, const char *a, long b)
{
    (void)bm_fmt_fit(x->why, sizeof(x->why), fmt, a,
                     b); /* a message: cut visibly if ever too long */
    x->why_setting = NULL;
    return BM_EDATA;
}

/* An output record with fewer columns than the prediction's index needs: the setting is at fault
 * far more often than the record, so the message and why_setting name it. */
static int index_out_of_range(bm__extractor *x, long idx, size_t ncols)
{
    const char *setting = x->inference_index >= 0     ? "InferenceAttribute"
                          : x->probability_index >= 0 ? "ProbabilityAttribute"
                                                      : NULL;
    if (!setting) {
        snprintf(x->why, sizeof(x->why),
                 "an output record has no column (the whole output is the score)");
        x->why_setting = NULL;
        return BM_EDATA;
    }
    snprintf(x->why, sizeof(x->why),
             "%s %ld is out of range: an output record has %zu column%s (indexes count from 0)",
             setting, idx, ncols, ncols == 1 ? "" : "s");
    x->why_setting = setting;
    return BM_EDATA;
}

static int push(bm__xlist *l, bm__xval v)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        bm__xval *nv = bm_reallocarray(l->v, nc, sizeof(*nv));
        if (!nv) return BM_ENOMEM;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = v;
    return BM_OK;
}

static int push_text(bm__extractor *x, bm__xlist *l, const char *p, size_t n)
{
    bm__xval v = {0, x->arena.len, n, NULL};
    if (bm_buf_append(&x->arena, p, n)) return BM_ENOMEM;
    return push(l, v);
}

static int hold(bm__extractor *x, json_t *doc)
{
    if (x->ndocs == x->docs_cap) {
        size_t nc = x->docs_cap ? x->docs_cap * 2 : 8;
        json_t **nd = bm_reallocarray(x->docs, nc, sizeof(json_t *));
        if (!nd) {
            json_decref(doc);
            return BM_ENOMEM;
        }
        x->docs = nd;
        x->docs_cap = nc;
    }
    x->docs[x->ndocs++] = doc;
    return BM_OK;
}

void bm__xval_cell(const bm__extractor *x, const bm__xval *v, bm_cell *c)
{
    if (v->json) {
        if (bm_cell_from_json(v->v, c)) { /* extraction refuses lists and objects */
            memset(c, 0, sizeof(*c));
            c->kind = BM_CELL_MISSING;
        }
        return;
    }
    bm_cell_from_csv(bm__xval_text(x, v), c);
}

/* ---- payload formats ---- */

enum { FMT_CSV, FMT_JSON, FMT_JSONL };

/* Case-insensitive search of a lower-case word (the content type is short, but this runs for
 * every payload: only positions starting with the word's first letter are compared). */
static int has(bm_slice s, const char *word)
{
    size_t n = strlen(word);
    char first = word[0];
    for (size_t k = 0; k + n <= s.n; k++) {
        char ch = s.p[k];
        if ((ch | 0x20) != first) continue;
        if (strncasecmp(s.p + k, word, n) == 0) return 1;
    }
    return 0;
}

static int slice_is(bm_slice s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* What a content type says: JSON, JSON Lines, CSV. Remembered for the last two types seen. */
static struct bm__ctype content_type(bm__extractor *x, bm_slice ct)
{
    for (unsigned k = 0; k < x->nctypes; k++)
        if (x->ctypes[k].n == ct.n && memcmp(x->ctypes[k].text, ct.p, ct.n) == 0)
            return x->ctypes[k];
    struct bm__ctype c;
    c.n = ct.n;
    c.json = (unsigned char)has(ct, "json");
    c.jsonl = (unsigned char)(has(ct, "jsonlines") || has(ct, "ndjson") || has(ct, "json-seq"));
    c.csv = (unsigned char)has(ct, "csv");
    if (ct.n <= sizeof(c.text)) { /* a longer one is classified every time */
        memcpy(c.text, ct.p, ct.n);
        x->ctypes[x->ctype_next] = c;
        x->ctype_next = (x->ctype_next + 1) % 2;
        if (x->nctypes < 2) x->nctypes++;
    }
    return c;
}

/* The payload's bytes (base64 decoded into the arena) and their format. */
static int decode(bm__extractor *x, const bm_capture_payload *p, bm_slice *out, int *fmt)
{
    *out = p->data;
    struct bm__ctype ct = content_type(x, p->content_type);
    int json_type = ct.json, jsonl = ct.jsonl;
    if (slice_is(p->encoding, "BASE64")) {
        size_t at = x->arena.len;
        int r = bm_base64_decode(p->data, &x->arena);
        if (r == BM_ENOMEM) return r;
        if (r) return fail(x, "payload is not valid base64%s", "", 0);
        out->p = x->arena.data + at; /* valid until the arena grows: callers copy what they keep */
        out->n = x->arena.len - at;
        *fmt = jsonl ? FMT_JSONL : json_type ? FMT_JSON : FMT_CSV;
        if (!json_type && !ct.csv) {
            snprintf(x->why, sizeof(x->why),
                     "a base64 payload whose content type is neither CSV nor JSON");
            return BM_EDATA;
        }
        return BM_OK;
    }
    if (slice_is(p->encoding, "JSON"))
        *fmt = jsonl ? FMT_JSONL : FMT_JSON;
    else if (slice_is(p->encoding, "CSV") || p->encoding.n == 0)
        *fmt = json_type ? (jsonl ? FMT_JSONL : FMT_JSON) : FMT_CSV;
    else {
        snprintf(x->why, sizeof(x->why), "unknown encoding (expected CSV, JSON or BASE64)");
        return BM_EDATA;
    }
    return BM_OK;
}

/* ---- CSV ---- */

typedef int (*record_fn)(bm__extractor *x, const bm_csv_record *rec, void *arg);

/* Payloads without quotes (nearly all of them) are split in place, in one pass over the bytes
 * (fields are short: a loop beats a memchr call per field). */
static int each_plain_record(bm__extractor *x, bm_slice text, record_fn fn, void *arg)
{
    const char *p = text.p, *end = text.p + text.n;
    while (p < end) {
        size_t nf = 0;
        const char *f = p, *q = p;
        for (;; q++) {
            int eol = q == end || *q == '\n';
            if (!eol && *q != ',') continue;
            if (nf == x->fcap) {
                size_t nc = x->fcap ? x->fcap * 2 : 64;
                if (nc > BM_CSV_DEFAULT_MAX_FIELDS)
                    return fail(x, "a CSV payload record has more than %s%ld fields", "",
                                BM_CSV_DEFAULT_MAX_FIELDS);
                bm_slice *nv = bm_reallocarray(x->fields, nc, sizeof(bm_slice));
                if (!nv) return BM_ENOMEM;
                x->fields = nv;
                x->fcap = nc;
            }
            const char *fe = eol && q > f && q[-1] == '\r' ? q - 1 : q; /* CRLF line ends */
            x->fields[nf].p = f;
            x->fields[nf++].n = (size_t)(fe - f);
            if (eol) break;
            f = q + 1;
        }
        if (nf > 1 || x->fields[0].n) { /* empty lines are skipped, as the CSV reader does */
            bm_csv_record rec;
            memset(&rec, 0, sizeof(rec));
            rec.fields = x->fields;
            rec.nfields = nf;
            int r = fn(x, &rec, arg);
            if (r) return r;
        }
        p = q + 1;
    }
    return BM_OK;
}

static int each_csv_record(bm__extractor *x, bm_slice text, record_fn fn, void *arg)
{
    int in_arena =
        x->arena.data && text.p >= x->arena.data && text.p < x->arena.data + x->arena.cap;
    if (!memchr(text.p, '"', text.n)) {
        if (!in_arena) return each_plain_record(x, text, fn, arg);
        /* decoded base64 lives in the arena, which grows as values are kept: split a copy */
        bm_buf_reset(&x->copy);
        if (bm_buf_append(&x->copy, text.p, text.n)) return BM_ENOMEM;
        bm_slice t = {x->copy.data, x->copy.len};
        return each_plain_record(x, t, fn, arg);
    }
    /* the tokenizer points into text, which may live in the arena: copy it out first */
    bm_buf copy;
    bm_buf_init(&copy, (size_t)1 << 30);
    if (bm_buf_append(&copy, text.p, text.n)) return BM_ENOMEM;
    bm_error e;
    bm_error_clear(&e);
    bm_csv *csv = bm_csv_open_mem(copy.data ? copy.data : "", copy.len, NULL, NULL, &e);
    if (!csv) {
        bm_buf_release(&copy);
        return BM_ENOMEM;
    }
    int r = BM_OK;
    for (;;) {
        bm_csv_record rec;
        if ((r = bm_csv_next(csv, &rec, &e))) {
            if (r != BM_ENOMEM) r = fail(x, "CSV payload: %s", e.msg, 0);
            break;
        }
        if (!rec.nfields) break;
        if ((r = fn(x, &rec, arg))) break;
    }
    bm_csv_close(csv);
    bm_buf_release(&copy);
    return r;
}

static int csv_feature_record(bm__extractor *x, const bm_csv_record *rec, void *arg)
{
    (void)arg;
    size_t kept = 0;
    for (size_t k = 0; k < rec->nfields; k++) {
        int skip = 0;
        for (size_t j = 0; j < x->nexclude; j++)
            skip |= x->exclude[j] == k;
        if (skip) continue;
        if (kept < x->nfeat && push_text(x, &x->features, rec->fields[k].p, rec->fields[k].n))
            return BM_ENOMEM;
        kept++;
    }
    if (kept != x->nfeat) {
        snprintf(x->why, sizeof(x->why),
                 "an input record has %zu features after exclusions; the analysis config's headers "
                 "name %zu",
                 kept, x->nfeat);
        return BM_EDATA;
    }
    x->nfeat_rows++;
    return BM_OK;
}

/* A score into "1"/"0" by the threshold. */
static int push_thresholded(bm__extractor *x, double score)
{
    const char *t = score > x->threshold ? "1" : "0";
    return push_text(x, &x->preds, t, 1);
}

static int csv_prediction_record(bm__extractor *x, const bm_csv_record *rec, void *arg)
{
    (void)arg;
    long idx = x->inference_index >= 0     ? x->inference_index
               : x->probability_index >= 0 ? x->probability_index
                                           : 0;
    if ((size_t)idx >= rec->nfields) return index_out_of_range(x, idx, rec->nfields);
    bm_slice f = rec->fields[idx];
    if (x->inference_index >= 0) return push_text(x, &x->preds, f.p, f.n);
    double score;
    if (!bm_py_parse_float(f, &score)) {
        /* the record's bytes are not echoed (errors never quote files) */
        snprintf(x->why, sizeof(x->why), "the model output (%zu bytes) is not a numeric score",
                 f.n);
        return BM_EDATA;
    }
    return push_thresholded(x, score);
}

static int csv_label_record(bm__extractor *x, const bm_csv_record *rec, void *arg)
{
    (void)arg;
    return push_text(x, &x->labels, rec->fields[0].p, rec->fields[0].n);
}

/* ---- JSON ---- */

static int each_json_doc(bm__extractor *x, bm_slice text, int jsonl, json_t ***docs_out, size_t *n)
{
    size_t first = x->ndocs;
    const char *p = text.p, *end = text.p + text.n;
    while (p < end) {
        const char *e = jsonl ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        if (!e) e = end;
        size_t len = (size_t)(e - p);
        const char *q = p;
        int blank = 1;
        for (size_t k = 0; k < len; k++)
            if (q[k] != ' ' && q[k] != '\t' && q[k] != '\r') blank = 0;
        if (!blank) {
            json_error_t je;
            json_t *doc = json_loadb(p, len, JSON_DECODE_ANY, &je);
            char what[JSON_ERROR_TEXT_LENGTH];
            if (!doc)
                return fail(x, "JSON payload: %s", bm_json_error_what(&je, what, sizeof(what)), 0);
            if (hold(x, doc)) return BM_ENOMEM;
        }
        p = e + 1;
    }
    *docs_out = x->docs + first;
    *n = x->ndocs - first;
    return BM_OK;
}

static int push_json(bm__xlist *l, json_t *v)
{
    bm__xval xv = {1, 0, 0, v};
    return push(l, xv);
}

static int is_scalar(json_t *v)
{
    return !json_is_array(v) && !json_is_object(v);
}

/* Applies expr (or nothing) and holds the result. */
static json_t *apply(bm__extractor *x, bm_jmespath *expr, json_t *doc)
{
    if (!expr) return doc;
    json_t *r = bm_jmespath_eval(expr, doc);
    if (r && hold(x, r)) return NULL;
    return r;
}

static int json_features(bm__extractor *x, json_t *doc)
{
    json_t *r = apply(x, x->features_expr, doc);
    if (!r) return BM_ENOMEM;
    json_t *rows[1] = {r};
    size_t nrows = 1;
    int many = json_is_array(r) && json_array_size(r) > 0 && json_is_array(json_array_get(r, 0));
    if (json_is_null(r))
        return fail(x, "the features attribute selects nothing in the input%s", "", 0);
    size_t total = many ? json_array_size(r) : nrows;
    for (size_t i = 0; i < total; i++) {
        json_t *row = many ? json_array_get(r, i) : rows[0];
        size_t kept = 0;
        size_t n = json_is_array(row) ? json_array_size(row) : 1;
        for (size_t k = 0; k < n; k++) {
            json_t *v = json_is_array(row) ? json_array_get(row, k) : row;
            int skip = 0;
            for (size_t j = 0; j < x->nexclude; j++)
                skip |= x->exclude[j] == k;
            if (skip) continue;
            if (!is_scalar(v)) return fail(x, "a feature value is a list or an object%s", "", 0);
            if (kept < x->nfeat && push_json(&x->features, v)) return BM_ENOMEM;
            kept++;
        }
        if (kept != x->nfeat) {
            snprintf(x->why, sizeof(x->why),
                     "an input record has %zu features after exclusions; the analysis config's "
                     "headers name %zu",
                     kept, x->nfeat);
            return BM_EDATA;
        }
        x->nfeat_rows++;
    }
    return BM_OK;
}

static int json_values(bm__extractor *x, json_t *r, bm__xlist *out, int threshold, const char *what)
{
    if (json_is_null(r)) return fail(x, "the %s attribute selects nothing", what, 0);
    size_t n = json_is_array(r) ? json_array_size(r) : 1;
    for (size_t k = 0; k < n; k++) {
        json_t *v = json_is_array(r) ? json_array_get(r, k) : r;
        if (!is_scalar(v)) return fail(x, "a %s value is a list or an object", what, 0);
        if (threshold) {
            if (!json_is_number(v)) return fail(x, "a score is not a number (%s)", what, 0);
            if (push_thresholded(x, json_number_value(v))) return BM_ENOMEM;
        } else if (push_json(out, v)) {
            return BM_ENOMEM;
        }
    }
    return BM_OK;
}

/* ---- the three extractions ---- */

int bm__extract_features(bm__extractor *x, const bm_capture_payload *p)
{
    bm_slice text;
    int fmt, r;
    if (!p->present) return fail(x, "the record has no endpointInput%s", "", 0);
    if ((r = decode(x, p, &text, &fmt))) return r;
    if (fmt == FMT_CSV) return each_csv_record(x, text, csv_feature_record, NULL);
    json_t **docs;
    size_t n;
    if ((r = each_json_doc(x, text, fmt == FMT_JSONL, &docs, &n))) return r;
    for (size_t k = 0; k < n; k++)
        if ((r = json_features(x, docs[k]))) return r;
    return BM_OK;
}

int bm__extract_predictions(bm__extractor *x, const bm_capture_payload *p)
{
    bm_slice text;
    int fmt, r;
    if (!p->present) return fail(x, "the record has no endpointOutput%s", "", 0);
    if ((r = decode(x, p, &text, &fmt))) return r;
    if (fmt == FMT_CSV) {
        if (x->inference_index < 0 && x->probability_index < 0 &&
            (x->inference_expr || x->probability_expr))
            return fail(
                x,
                "the output is CSV but the inference/probability attribute is not a column index%s",
                "", 0);
        return each_csv_record(x, text, csv_prediction_record, NULL);
    }
    json_t **docs;
    size_t n;
    if ((r = each_json_doc(x, text, fmt == FMT_JSONL, &docs, &n))) return r;
    for (size_t k = 0; k < n; k++) {
        int thr = !x->inference_expr;
        json_t *v = apply(x, x->inference_expr ? x->inference_expr : x->probability_expr, docs[k]);
        if (!v) return BM_ENOMEM;
        if ((r = json_values(x, v, &x->preds, thr,
                             x->inference_expr ? "inference" : "probability")))
            return r;
    }
    return BM_OK;
}

int bm__extract_labels(bm__extractor *x, bm_slice data, int encoding, int json_type)
{
    bm_capture_payload p;
    memset(&p, 0, sizeof(p));
    p.present = 1;
    p.data = data;
    p.encoding.p = encoding == 0 ? "CSV" : encoding == 1 ? "JSON" : "BASE64";
    p.encoding.n = strlen(p.encoding.p);
    p.content_type.p = json_type ? "application/json" : "text/csv";
    p.content_type.n = strlen(p.content_type.p);
    bm_slice text;
    int fmt, r;
    if ((r = decode(x, &p, &text, &fmt))) return r;
    if (fmt == FMT_CSV) return each_csv_record(x, text, csv_label_record, NULL);
    json_t **docs;
    size_t n;
    if ((r = each_json_doc(x, text, fmt == FMT_JSONL, &docs, &n))) return r;
    for (size_t k = 0; k < n; k++) {
        json_t *v = apply(x, x->label_expr, docs[k]);
        if (!v) return BM_ENOMEM;
        if ((r = json_values(x, v, &x->labels, 0, "label"))) return r;
    }
    return BM_OK;
}

/* ---- batch transform output records ---- */

int bm__extract_batch_csv(bm__extractor *x, const bm_slice *fields, size_t n)
{
    long pidx = x->inference_index >= 0     ? x->inference_index
                : x->probability_index >= 0 ? x->probability_index
                                            : (long)n - 1;
    if (x->inference_index < 0 && x->probability_index < 0 &&
        (x->inference_expr || x->probability_expr))
        return fail(
            x, "the output is CSV but the inference/probability attribute is not a column index%s",
            "", 0);
    if (n == 0 || pidx < 0 || (size_t)pidx >= n) return index_out_of_range(x, pidx, n);
    size_t kept = 0;
    for (size_t k = 0; k < n; k++) {
        int skip =
            (long)k == pidx || (long)k == x->probability_index || (long)k == x->inference_index;
        for (size_t j = 0; j < x->nexclude; j++)
            skip |= x->exclude[j] == k;
        if (skip) continue;
        if (kept < x->nfeat && push_text(x, &x->features, fields[k].p, fields[k].n))
            return BM_ENOMEM;
        kept++;
    }
    if (kept != x->nfeat) {
        snprintf(x->why, sizeof(x->why),
                 "an output record has %zu feature columns besides the prediction; the analysis "
                 "config's headers name %zu",
                 kept, x->nfeat);
        return BM_EDATA;
    }
    x->nfeat_rows++;
    bm_slice f = fields[pidx];
    if (x->inference_index >= 0) return push_text(x, &x->preds, f.p, f.n);
    double score;
    if (!bm_py_parse_float(f, &score)) {
        /* the record's bytes are not echoed (errors never quote files) */
        snprintf(x->why, sizeof(x->why), "the model output (%zu bytes) is not a numeric score",
                 f.n);
        return BM_EDATA;
    }
    return push_thresholded(x, score);
}

int bm__extract_batch_json(bm__extractor *x, json_t *rec)
{
    int r;
    json_incref(rec);
    if ((r = hold(x, rec))) return r;
    if (!x->features_expr) return fail(x, "JSON batch output needs FeaturesAttribute%s", "", 0);
    if ((r = json_features(x, rec))) return r;
    if (!x->inference_expr && !x->probability_expr)
        return fail(x, "JSON batch output needs InferenceAttribute or ProbabilityAttribute%s", "",
                    0);
    json_t *v = apply(x, x->inference_expr ? x->inference_expr : x->probability_expr, rec);
    if (!v) return BM_ENOMEM;
    return json_values(x, v, &x->preds, !x->inference_expr,
                       x->inference_expr ? "inference" : "probability");
}
