/* The model's predictions for a dataset without them (the analysis config's `predictor`): rows
 * sent in batches, a few requests at once with bounded retries, answers read by label,
 * probability and label_headers, and the dataset written again with a prediction column. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "biasmon/csv.h"
#include "biasmon/jmespath.h"
#include "biasmon/predict.h"
#include "biasmon/pynum.h"

#define MAX_COLUMN_NAME_TRIES 100
#define MAX_JSONL_LINE (16u << 20)
/* JSON Lines datasets: the member each record gets for its prediction (a JMESPath identifier) */
#define PREDICTION_KEY "__biasmon_prediction"
#define OUT_FLUSH (1u << 20)

/* ==================================================================== the batches */

typedef struct batch {
    bm_buf req;   /* the request body */
    bm_buf rows;  /* each row's output fields, without the prediction */
    size_t *ends; /* where each row ends in rows */
    size_t nrows, cap;
    unsigned long long first_row; /* 1-based data row of the first row */
    long first_line, last_line;   /* CSV lines of the dataset */
    bm_buf answer;
    int too_big;
    long status;  /* HTTP status, 0 when none came */
    CURLcode cc;  /* the transfer's result */
    int attempts; /* sent this many times */
    CURL *h;
    struct curl_slist *headers;
} batch;

typedef struct predictor {
    bm_analysis_config *cfg;
    const bm_predict_opts *opts;
    const char *shown;
    char where[300]; /* the model's URL without credentials or query, for messages */
    const char *ct, *accept;
    int csv_answer, json_answer; /* else JSON Lines */
    int one_record;              /* "$record": a request holds one row, its answer is that row's */
    int jsonl;                   /* a JSON Lines dataset: rows are records, features a JMESPath */
    bm_jmespath *features;       /* JSON Lines: the config's features */
    size_t nfeat;                /* JSON Lines: the features' count (headers but the last) */
    bm_jmespath *label, *prob;
    long label_at, prob_at; /* CSV answers: column indexes, -1 when not given */
    size_t ncols, label_col;
    unsigned char *feature; /* per column: sent to the model */
    const char **names;
    size_t batch_rows;
    batch b[BM_PREDICT_IN_FLIGHT];
    CURLM *multi;
    int fd;
    bm_buf out;
    bm_predict_stats st;
} predictor;

static int fail(bm_error *err, int code, const char *path, const char *fmt, ...) BM_PRINTF(4, 5);
static int fail(bm_error *err, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char msg[sizeof(err->msg)];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bm_error_set(err, code, "%s", msg);
    if (path) bm_error_at(err, NULL, 0, 0, path);
    return code;
}

/* scheme://host[:port]/path of url: no user information, query or fragment. */
static void url_shown(const char *url, char *out, size_t n)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *at = h, *end = h + strcspn(h, "/?#");
    for (const char *p = h; p < end; p++)
        if (*p == '@') at = p + 1;
    size_t scheme = (size_t)(h - url), path = strcspn(end, "?#");
    snprintf(out, n, "%.*s%.*s%.*s", (int)scheme, url, (int)(end - at), at, (int)path, end);
}

/* ==================================================================== writing text */

static int needs_quotes(const char *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (p[k] == ',' || p[k] == '"' || p[k] == '\n' || p[k] == '\r') return 1;
    return 0;
}

static int put_csv_field(bm_buf *b, const char *p, size_t n, int quoted)
{
    if (!quoted && !needs_quotes(p, n)) return bm_buf_append(b, p, n);
    int r = bm_buf_putc(b, '"');
    for (size_t k = 0; !r && k < n; k++)
        r = p[k] == '"' ? bm_buf_append(b, "\"\"", 2) : bm_buf_putc(b, p[k]);
    return r ? r : bm_buf_putc(b, '"');
}

static int put_json_string(bm_buf *b, const char *p, size_t n)
{
    int r = bm_buf_putc(b, '"');
    for (size_t k = 0; !r && k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        if (c == '"' || c == '\\')
            r = bm_buf_putc(b, '\\') || bm_buf_putc(b, (char)c);
        else if (c < 0x20)
            r = bm_buf_printf(b, "\\u%04x", c);
        else
            r = bm_buf_putc(b, (char)c);
    }
    return r ? r : bm_buf_putc(b, '"');
}

/* A JSON number's grammar, the whole of p[0..n). */
static int json_number(const char *p, size_t n)
{
    size_t k = 0;
    if (k < n && p[k] == '-') k++;
    if (k >= n || p[k] < '0' || p[k] > '9') return 0;
    if (p[k] == '0')
        k++;
    else
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++;
    if (k < n && p[k] == '.') {
        if (++k >= n || p[k] < '0' || p[k] > '9') return 0;
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++;
    }
    if (k < n && (p[k] == 'e' || p[k] == 'E')) {
        k++;
        if (k < n && (p[k] == '+' || p[k] == '-')) k++;
        if (k >= n || p[k] < '0' || p[k] > '9') return 0;
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++;
    }
    return k == n;
}

/* A feature as a JSON value: a number as written, an empty field null, else a string. */
static int put_json_value(bm_buf *b, const bm_slice *f, int quoted)
{
    if (!quoted && f->n == 0) return bm_buf_puts(b, "null");
    if (!quoted && json_number(f->p, f->n)) return bm_buf_append(b, f->p, f->n);
    return put_json_string(b, f->p, f->n);
}

static int put_features(predictor *P, bm_buf *b, const bm_csv_record *rec, int kvp)
{
    int r = bm_buf_putc(b, kvp ? '{' : '['), first = 1;
    bm_slice empty = {"", 0};
    for (size_t k = 0; !r && k < P->ncols; k++) {
        if (!P->feature[k]) continue;
        if (!first) r = bm_buf_putc(b, ',');
        first = 0;
        if (!r && kvp)
            r = put_json_string(b, P->names[k], strlen(P->names[k])) || bm_buf_putc(b, ':');
        int q = k < rec->nfields && rec->quoted[k];
        if (!r) r = put_json_value(b, k < rec->nfields ? &rec->fields[k] : &empty, q);
    }
    return r ? r : bm_buf_putc(b, kvp ? '}' : ']');
}

/* template with every "$features" (not "$features_kvp") replaced by the row's features. */
static int put_template(predictor *P, bm_buf *b, const char *tpl, const bm_csv_record *rec)
{
    int r = BM_OK;
    while (!r && *tpl) {
        const char *at = strstr(tpl, "$features");
        if (!at) return bm_buf_puts(b, tpl);
        int kvp = !strncmp(at, "$features_kvp", 13);
        r = bm_buf_append(b, tpl, (size_t)(at - tpl));
        if (!r) r = put_features(P, b, rec, kvp);
        tpl = at + (kvp ? 13 : 9);
    }
    return r;
}

/* Adds a data row to batch B: its request part and its output fields. */
static int add_row(predictor *P, batch *B, const bm_csv_record *rec)
{
    int r = BM_OK;
    const char *ct = P->ct;
    if (!strcmp(ct, "text/csv")) {
        int first = 1;
        for (size_t k = 0; !r && k < P->ncols; k++) {
            if (!P->feature[k]) continue;
            if (!first) r = bm_buf_putc(&B->req, ',');
            first = 0;
            if (!r && k < rec->nfields)
                r = put_csv_field(&B->req, rec->fields[k].p, rec->fields[k].n, rec->quoted[k]);
        }
        if (!r) r = bm_buf_putc(&B->req, '\n');
    } else if (!strcmp(ct, "application/jsonlines")) {
        r = put_template(P, &B->req, P->cfg->predictor.content_template, rec);
        if (!r) r = bm_buf_putc(&B->req, '\n');
    } else { /* application/json: the records between the template's two halves, at the end */
        if (B->nrows) r = bm_buf_putc(&B->req, ',');
        if (!r)
            r = put_features(P, &B->req, rec,
                             !strcmp(P->cfg->predictor.record_template, "$features_kvp"));
    }
    for (size_t k = 0; !r && k < P->ncols; k++) {
        if (k) r = bm_buf_putc(&B->rows, ',');
        if (!r && k < rec->nfields)
            r = put_csv_field(&B->rows, rec->fields[k].p, rec->fields[k].n, rec->quoted[k]);
    }
    if (!r && B->nrows == B->cap) {
        size_t cap = B->cap ? B->cap * 2 : 16;
        size_t *n = bm_reallocarray(B->ends, cap, sizeof(*n));
        if (!n) return BM_ENOMEM;
        B->ends = n;
        B->cap = cap;
    }
    if (!r) B->ends[B->nrows++] = B->rows.len;
    return r;
}

/* A JSON Lines row's features (fv, a list of nfeat values: headers[k] names the k-th) into batch
 * B's request, and the record's text (line, n bytes, an object) as its output. */
static int add_json_row(predictor *P, batch *B, json_t *fv, const char *line, size_t n)
{
    int r = BM_OK;
    bm_buf *q = &B->req;
    int kvp = P->cfg->predictor.record_template &&
              !strcmp(P->cfg->predictor.record_template, "$features_kvp");
    const char *tpl = P->cfg->predictor.content_template;
    int csv = !strcmp(P->ct, "text/csv"), json = !strcmp(P->ct, "application/json");
    if (json && B->nrows) r = bm_buf_putc(q, ',');
    /* the template's text around each $features (JSON Lines), or the bare list (JSON) */
    while (!r) {
        const char *at = csv || json ? NULL : strstr(tpl, "$features");
        int tkvp = at && !strncmp(at, "$features_kvp", 13);
        if (!csv && !json) r = bm_buf_append(q, tpl, at ? (size_t)(at - tpl) : strlen(tpl));
        if (r || (!csv && !json && !at)) break;
        int first = 1;
        if (!csv) r = bm_buf_putc(q, (json ? kvp : tkvp) ? '{' : '[');
        for (size_t k = 0; !r && k < P->nfeat; k++) {
            if (!P->feature[k]) continue;
            if (!first) r = bm_buf_putc(q, ',');
            first = 0;
            json_t *v = json_array_get(fv, k);
            if (!r && !csv && (json ? kvp : tkvp))
                r = put_json_string(q, P->names[k], strlen(P->names[k])) || bm_buf_putc(q, ':');
            if (r) break;
            if (csv && json_is_string(v)) {
                r = put_csv_field(q, json_string_value(v), json_string_length(v), 0);
            } else if (!(csv && json_is_null(v))) {
                char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
                r = t ? bm_buf_puts(q, t) : BM_ENOMEM;
                free(t);
            }
        }
        if (!r && !csv) r = bm_buf_putc(q, (json ? kvp : tkvp) ? '}' : ']');
        if (csv || json) break;
        tpl = at + (tkvp ? 13 : 9);
    }
    if (!r && !json) r = bm_buf_putc(q, '\n');
    if (!r) r = bm_buf_append(&B->rows, line, n);
    if (!r && B->nrows == B->cap) {
        size_t cap = B->cap ? B->cap * 2 : 16;
        size_t *e = bm_reallocarray(B->ends, cap, sizeof(*e));
        if (!e) return BM_ENOMEM;
        B->ends = e;
        B->cap = cap;
    }
    if (!r) B->ends[B->nrows++] = B->rows.len;
    return r;
}

/* The application/json body: content_template with $records (or $record) around the records
 * add_row put into req. */
static int wrap_json(predictor *P, batch *B)
{
    const char *tpl = P->cfg->predictor.content_template;
    const char *at = strstr(tpl, "$records");
    size_t plen = at ? 8 : 7;
    if (!at) at = strstr(tpl, "$record");
    bm_buf w;
    bm_buf_init(&w, B->req.max);
    int r = bm_buf_append(&w, tpl, (size_t)(at - tpl));
    if (!r && plen == 8) r = bm_buf_putc(&w, '[');
    if (!r) r = bm_buf_append(&w, B->req.data ? B->req.data : "", B->req.len);
    if (!r && plen == 8) r = bm_buf_putc(&w, ']');
    if (!r) r = bm_buf_puts(&w, at + plen);
    if (r) {
        bm_buf_release(&w);
        return r;
    }
    bm_buf_release(&B->req);
    B->req = w;
    return BM_OK;
}

static void batch_reset(batch *B)
{
    bm_buf_reset(&B->req);
    bm_buf_reset(&B->rows);
    bm_buf_reset(&B->answer);
    B->nrows = 0;
    B->too_big = 0;
    B->status = 0;
    B->cc = CURLE_OK;
    B->attempts = 0;
}

static void batch_release(batch *B)
{
    bm_buf_release(&B->req);
    bm_buf_release(&B->rows);
    bm_buf_release(&B->answer);
    bm_free(B->ends);
    if (B->h) curl_easy_cleanup(B->h);
    curl_slist_free_all(B->headers);
    memset(B, 0, sizeof(*B));
}

/* ==================================================================== the requests */

static size_t on_body(char *p, size_t sz, size_t n, void *u)
{
    batch *B = u;
    if (bm_buf_append(&B->answer, p, sz * n)) {
        B->too_big = 1;
        return 0;
    }
    return sz * n;
}

static int retryable(const batch *B)
{
    if (B->cc != CURLE_OK) return !B->too_big;
    return B->status >= 500 || B->status == 429;
}

static int prepare(predictor *P, batch *B, bm_error *err)
{
    if (!B->h && !(B->h = curl_easy_init())) return bm_error_set(err, BM_ENOMEM, "out of memory");
    if (!B->headers) {
        char line[1200];
        struct curl_slist *l = NULL, *t;
        const char *add[4];
        int n = 0;
        snprintf(line, sizeof(line), "Content-Type: %s", P->ct);
        add[n++] = line;
        char acc[300], ca[1100];
        snprintf(acc, sizeof(acc), "Accept: %s", P->accept);
        add[n++] = acc;
        add[n++] = "Expect:";
        if (P->cfg->predictor.custom_attributes) {
            snprintf(ca, sizeof(ca), "X-Amzn-SageMaker-Custom-Attributes: %s",
                     P->cfg->predictor.custom_attributes);
            add[n++] = ca;
        }
        for (int k = 0; k < n; k++) {
            if (!(t = curl_slist_append(l, add[k]))) {
                curl_slist_free_all(l);
                return bm_error_set(err, BM_ENOMEM, "out of memory");
            }
            l = t;
        }
        B->headers = l;
    }
    CURL *h = B->h;
    curl_easy_reset(h);
    bm_buf_reset(&B->answer);
    B->too_big = 0;
    B->status = 0;
    B->cc = CURLE_OK;
    curl_easy_setopt(h, CURLOPT_URL, P->opts->model_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, B->req.data ? B->req.data : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)B->req.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, B->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, B);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)BM_PREDICT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_PRIVATE, B);
    B->attempts++;
    P->st.requests++;
    return BM_OK;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Sends the first n batches at once; retries the ones that may succeed later. Returns BM_OK when
 * each has an answer (of any status: the caller reads it), an error otherwise. */
static int send_all(predictor *P, size_t n, bm_error *err)
{
    size_t pending[BM_PREDICT_IN_FLIGHT], np = 0;
    for (size_t k = 0; k < n; k++)
        pending[np++] = k;
    double wait = P->opts->backoff_s > 0 ? P->opts->backoff_s : 0.5;
    while (np) {
        for (size_t k = 0; k < np; k++) {
            batch *B = &P->b[pending[k]];
            int r = prepare(P, B, err);
            if (r) return r;
            if (curl_multi_add_handle(P->multi, B->h) != CURLM_OK)
                return bm_error_set(err, BM_ENOMEM, "cannot start a request to the model");
        }
        /* each transfer ends by BM_PREDICT_TIMEOUT_S, so this loop does too; the count bounds it
         * even if the clock misbehaves */
        int running = 1;
        for (long spins = 0; running && spins < 10L * 1000 * BM_PREDICT_TIMEOUT_S; spins++) {
            if (curl_multi_perform(P->multi, &running) != CURLM_OK) break;
            if (running) curl_multi_poll(P->multi, NULL, 0, 100, NULL);
        }
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(P->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            batch *B = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&B);
            if (!B) continue;
            B->cc = m->data.result;
            if (B->cc == CURLE_OK) curl_easy_getinfo(B->h, CURLINFO_RESPONSE_CODE, &B->status);
        }
        size_t again = 0;
        for (size_t k = 0; k < np; k++) {
            batch *B = &P->b[pending[k]];
            curl_multi_remove_handle(P->multi, B->h);
            if (running && B->cc == CURLE_OK && !B->status) B->cc = CURLE_OPERATION_TIMEDOUT;
            if (retryable(B) && B->attempts < BM_PREDICT_ATTEMPTS) pending[again++] = pending[k];
        }
        np = again;
        if (np) {
            P->st.retries += np;
            sleep_s(wait);
            wait *= 2;
        }
    }
    return BM_OK;
}

/* ==================================================================== the answers */

/* The rows of batch B, for messages. */
static int rows_of(const batch *B, char *out, size_t n)
{
    return snprintf(out, n, "rows %llu-%llu (lines %ld-%ld)", B->first_row,
                    B->first_row + B->nrows - 1, B->first_line, B->last_line);
}

/* At most BM_PREDICT_EXCERPT bytes of the answer, printable ASCII only. */
static void excerpt(const batch *B, char *out, size_t n)
{
    size_t k = 0, len = B->answer.len;
    for (size_t i = 0; i < len && i < BM_PREDICT_EXCERPT && k + 1 < n; i++) {
        unsigned char c = (unsigned char)B->answer.data[i];
        out[k++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : c == '"' ? '\'' : ' ';
    }
    if (len > BM_PREDICT_EXCERPT && k + 4 < n) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = 0;
}

static int model_failed(predictor *P, const batch *B, size_t index, bm_error *err)
{
    char rows[120], ex[BM_PREDICT_EXCERPT + 8];
    rows_of(B, rows, sizeof(rows));
    unsigned long long nb = (B->first_row - 1) / P->batch_rows + 1;
    (void)index;
    if (B->too_big)
        return fail(err, BM_EDATA, NULL,
                    "the model's answer for %s (batch %llu) is larger than %u MiB: send fewer "
                    "rows a request, or make the answers smaller",
                    rows, nb, BM_PREDICT_MAX_ANSWER >> 20);
    if (B->cc != CURLE_OK)
        return fail(err, BM_EDATA, NULL,
                    "no answer from the model server at %s for %s (batch %llu) after %d "
                    "attempts: %s: check that the model server runs and that its URL "
                    "(BIASMON_MODEL_URL of the model) is right",
                    P->where, rows, nb, B->attempts, curl_easy_strerror(B->cc));
    excerpt(B, ex, sizeof(ex));
    return fail(err, BM_EDATA, NULL,
                "the model server at %s answered HTTP %ld for %s (batch %llu, %d attempt%s): "
                "\"%s\": %s",
                P->where, B->status, rows, nb, B->attempts, B->attempts > 1 ? "s" : "", ex,
                B->status >= 500 || B->status == 429
                    ? "check the model server's log"
                    : "check that the model takes predictor.content_type requests with these "
                      "features and answers 200");
}

static int answer_bad(predictor *P, const batch *B, size_t row, const char *what, bm_error *err)
{
    char rows[120];
    rows_of(B, rows, sizeof(rows));
    (void)P;
    return fail(err, BM_EDATA, NULL, "the model's answer for %s: row %llu: %s", rows,
                B->first_row + row, what);
}

/* What a prediction's text was, for writing it into a JSON Lines record. */
enum { PK_TEXT, PK_STRING, PK_NUMBER, PK_BOOL };

/* text of a JSON scalar into out (a prediction) and its kind; 0 when v is not one. */
static int scalar_text(json_t *v, char *out, size_t n, int *kind)
{
    *kind = json_is_string(v) ? PK_STRING : json_is_boolean(v) ? PK_BOOL : PK_NUMBER;
    if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        bm_py_float_repr(json_real_value(v), out, n);
    else if (json_is_boolean(v))
        snprintf(out, n, "%s", bm_py_bool_str(json_is_true(v)));
    else
        return 0;
    return 1;
}

/* A prediction as a JSON value: strings as strings, numbers and booleans as such, a text from a
 * CSV answer or label_headers as a number when it is one, else as a string. */
static int put_json_prediction(bm_buf *b, const char *p, int kind)
{
    size_t n = strlen(p);
    if (kind == PK_BOOL) return bm_buf_puts(b, !strcmp(p, "True") ? "true" : "false");
    if (kind != PK_STRING && json_number(p, n)) return bm_buf_append(b, p, n);
    return put_json_string(b, p, n);
}

/* The index of the largest of a list of numbers (the first of equals); -1 when not numbers. */
static long argmax_json(json_t *a)
{
    long best = -1;
    double bv = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_number(v)) return -1;
        if (best < 0 || json_number_value(v) > bv) best = (long)i, bv = json_number_value(v);
    }
    return best;
}

/* The prediction of one row from its label and probability values (either may be NULL: not
 * configured) or the whole answer value. */
static int json_prediction(predictor *P, json_t *label, json_t *prob, json_t *whole, char *out,
                           size_t n, int *kind, const char **why)
{
    const bm_predictor_cfg *pc = &P->cfg->predictor;
    if (label && json_is_array(label)) {
        long at = prob && json_is_array(prob) && json_array_size(prob) == json_array_size(label)
                      ? argmax_json(prob)
                      : -1;
        if (at < 0) {
            *why = "label selects a list: probability must select a list of as many scores";
            return 0;
        }
        label = json_array_get(label, (size_t)at);
    }
    json_t *v = label ? label : prob ? prob : whole;
    if (json_is_array(v)) {
        long at = pc->nlabel_headers == json_array_size(v) ? argmax_json(v) : -1;
        if (at < 0) {
            *why = "a list of scores needs label_headers with one label per score";
            return 0;
        }
        snprintf(out, n, "%s", pc->label_headers[at]);
        *kind = PK_TEXT;
        return 1;
    }
    if (!v || json_is_null(v)) {
        *why = label || prob ? "label or probability selects nothing" : "no prediction";
        return 0;
    }
    if (!scalar_text(v, out, n, kind)) {
        *why = "the prediction is not a string, a number or a boolean";
        return 0;
    }
    return 1;
}

static json_t *eval_or_null(const bm_jmespath *e, json_t *doc)
{
    return e ? bm_jmespath_eval(e, doc) : NULL;
}

/* Writes batch B's rows with their predictions, read from its answer. */
static int write_batch(predictor *P, batch *B, size_t index, bm_error *err)
{
    if (B->cc != CURLE_OK || B->status < 200 || B->status > 299)
        return model_failed(P, B, index, err);
    const char *body = B->answer.data ? B->answer.data : "";
    size_t len = B->answer.len, row = 0;
    char pred[4096];
    int kind = PK_TEXT;
    const char *why = NULL;
    int r = BM_OK;
    json_t *doc = NULL, *labels = NULL, *probs = NULL;
    bm_csv *csv = NULL;
    const char *line = body, *end = body + len;
    if (P->csv_answer) {
        bm_error e;
        bm_error_clear(&e);
        if (!(csv = bm_csv_open_mem(body, len, "the model's answer", NULL, &e)))
            return bm_error_set(err, e.code ? e.code : BM_ENOMEM, "%s", e.msg);
    } else if (P->json_answer) {
        json_error_t je;
        if (!(doc = json_loadb(body, len, JSON_DECODE_ANY, &je)))
            return answer_bad(P, B, 0, "not JSON (accept_type application/json)", err);
        labels = eval_or_null(P->label, doc);
        probs = eval_or_null(P->prob, doc);
        json_t *list = labels ? labels : probs ? probs : doc;
        if (!json_is_array(list) || json_array_size(list) != B->nrows) {
            r = answer_bad(P, B, 0,
                           "an application/json answer must hold a list of one prediction a row "
                           "(label or probability selects it)",
                           err);
            goto out;
        }
    }
    for (row = 0; row < B->nrows; row++) {
        int ok = 0;
        kind = PK_TEXT;
        if (P->csv_answer) {
            bm_csv_record rec;
            bm_error e;
            bm_error_clear(&e);
            if (bm_csv_next(csv, &rec, &e) || !rec.nfields) {
                why = "fewer CSV lines than rows were sent (one line a row)";
            } else {
                long at = P->label_at >= 0 ? P->label_at : P->prob_at >= 0 ? P->prob_at : -1;
                if (at >= 0 && (size_t)at < rec.nfields) {
                    snprintf(pred, sizeof(pred), "%.*s", (int)rec.fields[at].n, rec.fields[at].p);
                    ok = 1;
                } else if (at >= 0) {
                    why = "the answer's line has no column at label's (or probability's) index";
                } else if (rec.nfields == 1) {
                    snprintf(pred, sizeof(pred), "%.*s", (int)rec.fields[0].n, rec.fields[0].p);
                    ok = 1;
                } else if (P->cfg->predictor.nlabel_headers == rec.nfields) {
                    long best = -1;
                    double bv = 0;
                    for (size_t k = 0; k < rec.nfields; k++) {
                        char num[64], *e2;
                        snprintf(num, sizeof(num), "%.*s", (int)rec.fields[k].n, rec.fields[k].p);
                        double v = strtod(num, &e2);
                        if (e2 == num || *e2) {
                            best = -2;
                            break;
                        }
                        if (best == -1 || v > bv) best = (long)k, bv = v;
                    }
                    if (best >= 0) {
                        snprintf(pred, sizeof(pred), "%s", P->cfg->predictor.label_headers[best]);
                        ok = 1;
                    } else {
                        why = "the answer's line is not a list of scores";
                    }
                } else {
                    why = "the answer's line has several columns: set label (or probability) to "
                          "the prediction's index, or label_headers to one label per score";
                }
            }
        } else if (P->json_answer) {
            json_t *l = labels ? json_array_get(labels, row) : NULL;
            json_t *p = probs ? json_array_get(probs, row) : NULL;
            ok =
                json_prediction(P, l, p, json_array_get(doc, row), pred, sizeof(pred), &kind, &why);
        } else { /* JSON Lines: one value a line */
            while (line < end && (*line == '\n' || *line == '\r' || *line == ' '))
                line++;
            const char *nl = P->one_record ? NULL : memchr(line, '\n', (size_t)(end - line));
            const char *stop = nl ? nl : end;
            json_error_t je;
            json_t *v =
                line < end ? json_loadb(line, (size_t)(stop - line), JSON_DECODE_ANY, &je) : NULL;
            line = stop;
            if (!v) {
                why = "fewer JSON lines than rows were sent, or a line that is not JSON";
            } else {
                json_t *l = eval_or_null(P->label, v), *p = eval_or_null(P->prob, v);
                ok = json_prediction(P, l, p, v, pred, sizeof(pred), &kind, &why);
                json_decref(l);
                json_decref(p);
                json_decref(v);
            }
        }
        if (!ok) {
            r = answer_bad(P, B, row, why, err);
            goto out;
        }
        size_t from = row ? B->ends[row - 1] : 0;
        if (P->jsonl) { /* the record with the prediction its first member */
            const char *rec = B->rows.data + from, *open = memchr(rec, '{', B->ends[row] - from);
            size_t head = (size_t)(open - rec) + 1, k = head;
            while (k < B->ends[row] - from && (rec[k] == ' ' || rec[k] == '\t'))
                k++;
            int empty = k < B->ends[row] - from && rec[k] == '}';
            if ((r = bm_buf_append(&P->out, rec, head)) ||
                (r = bm_buf_puts(&P->out, "\"" PREDICTION_KEY "\":")) ||
                (r = put_json_prediction(&P->out, pred, kind)) ||
                (!empty && (r = bm_buf_putc(&P->out, ','))) ||
                (r = bm_buf_append(&P->out, rec + head, B->ends[row] - from - head)) ||
                (r = bm_buf_putc(&P->out, '\n'))) {
                r = bm_error_set(err, BM_ENOMEM, "out of memory");
                goto out;
            }
        } else if ((r = bm_buf_append(&P->out, B->rows.data + from, B->ends[row] - from)) ||
                   (r = bm_buf_putc(&P->out, ',')) ||
                   (r = put_csv_field(&P->out, pred, strlen(pred), 0)) ||
                   (r = bm_buf_putc(&P->out, '\n'))) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
    }
    /* an answer with more predictions than rows answers something else */
    if (P->csv_answer) {
        bm_csv_record rec;
        bm_error e;
        bm_error_clear(&e);
        if (bm_csv_next(csv, &rec, &e) || rec.nfields) {
            r = answer_bad(P, B, B->nrows - 1, "more CSV lines than rows were sent", err);
            goto out;
        }
    } else if (!P->json_answer) {
        while (line < end && (*line == '\n' || *line == '\r' || *line == ' ' || *line == '\t'))
            line++;
        if (line < end) {
            r = answer_bad(P, B, B->nrows - 1, "more JSON lines than rows were sent", err);
            goto out;
        }
    }
    P->st.rows += B->nrows;
out:
    bm_csv_close(csv);
    json_decref(labels);
    json_decref(probs);
    json_decref(doc);
    return r;
}

static int flush_out(predictor *P, int force, bm_error *err)
{
    if (!force && P->out.len < OUT_FLUSH) return BM_OK;
    for (size_t o = 0; o < P->out.len;) {
        ssize_t w = write(P->fd, P->out.data + o, P->out.len - o);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return bm_error_set(err, BM_EIO, "cannot write the dataset with predictions: %s",
                                w < 0 ? strerror(errno) : "nothing written");
        o += (size_t)w;
    }
    bm_buf_reset(&P->out);
    return BM_OK;
}

/* Sends the first n batches, writes their rows, empties them. */
static int round_trip(predictor *P, size_t n, bm_error *err)
{
    int r = BM_OK;
    for (size_t k = 0; !r && k < n; k++)
        if (!strcmp(P->ct, "application/json")) r = wrap_json(P, &P->b[k]);
    if (r) return bm_error_set(err, BM_ENOMEM, "out of memory");
    if ((r = send_all(P, n, err))) return r;
    for (size_t k = 0; k < n; k++) {
        if ((r = write_batch(P, &P->b[k], k, err))) return r;
        batch_reset(&P->b[k]);
    }
    return flush_out(P, 0, err);
}

/* ==================================================================== the dataset */

static long column_of(const bm_colref *c, const char **names, size_t n)
{
    if (c->name) {
        for (size_t k = 0; k < n; k++)
            if (!strcmp(names[k], c->name)) return (long)k;
        return -1;
    }
    return c->index >= 0 && (size_t)c->index < n ? c->index : -1;
}

/* The checks that need no data: the predictor can be used with this config. */
static int check_predictor(predictor *P, bm_error *err)
{
    bm_predictor_cfg *pc = &P->cfg->predictor;
    P->jsonl = P->cfg->dataset_type == BM_DATASET_JSONLINES;
    P->ct = pc->content_type ? pc->content_type : "text/csv";
    P->accept = pc->accept_type ? pc->accept_type : P->ct;
    P->csv_answer = !strcmp(P->accept, "text/csv");
    P->json_answer = !strcmp(P->accept, "application/json");
    P->label_at = P->prob_at = -1;
    const bm_colref *refs[2] = {&pc->label, &pc->probability};
    const char *paths[2] = {"$.predictor.label", "$.predictor.probability"};
    for (int k = 0; k < 2; k++) {
        if (!refs[k]->set) continue;
        if (P->csv_answer) {
            if (refs[k]->name)
                return fail(err, BM_ECONFIG, paths[k],
                            "text/csv answers are read by column: give a 0-based index, or set "
                            "accept_type to a JSON type to use a JMESPath");
            (k ? &P->prob_at : &P->label_at)[0] = refs[k]->index;
        } else {
            char num[32];
            if (!refs[k]->name) snprintf(num, sizeof(num), "[%ld]", refs[k]->index);
            bm_error e;
            bm_error_clear(&e);
            bm_jmespath *j = bm_jmespath_compile(refs[k]->name ? refs[k]->name : num, &e);
            if (!j)
                return e.code == BM_ENOMEM ? bm_error_set(err, BM_ENOMEM, "out of memory")
                                           : fail(err, BM_ECONFIG, paths[k],
                                                  "not a JMESPath biasmon reads: %s", e.msg);
            *(k ? &P->prob : &P->label) = j;
        }
    }
    if (!strcmp(P->ct, "application/json") && !strstr(pc->content_template, "$records")) {
        P->batch_rows = 1; /* "$record": one record a request, answered as one JSON value */
        P->one_record = 1;
        P->json_answer = 0;
    }
    return BM_OK;
}

/* Makes cfg read the written file: the prediction column, in headers too. */
static int point_config(predictor *P, const char *column, bm_error *err)
{
    bm_analysis_config *cfg = P->cfg;
    char *name = bm_strdup(column);
    if (!name) return bm_error_set(err, BM_ENOMEM, "out of memory");
    if (cfg->headers && !P->jsonl) {
        char **h = bm_reallocarray(cfg->headers, cfg->nheaders + 1, sizeof(char *));
        char *copy = bm_strdup(column);
        if (!h || !copy) {
            if (h) cfg->headers = h;
            bm_free(copy);
            bm_free(name);
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        }
        cfg->headers = h;
        cfg->headers[cfg->nheaders++] = copy;
    }
    cfg->predicted_label.set = 1;
    cfg->predicted_label.name = name;
    cfg->predicted_label.index = -1;
    if (cfg->predictor.probability.set && !cfg->predictor.label.set &&
        !cfg->predictor.nlabel_headers && !cfg->has_probability_threshold) {
        cfg->has_probability_threshold = 1; /* Clarify's default for scores */
        cfg->probability_threshold = 0.5;
    }
    return BM_OK;
}

/* A JSON Lines dataset: each record's features, the prediction written into the record. */
static int predict_jsonl(predictor *P, const char *local, bm_error *err)
{
    bm_analysis_config *cfg = P->cfg;
    int r = BM_OK;
    if (cfg->nheaders < 2)
        return fail(err, BM_ECONFIG, "$.headers",
                    "JSON Lines datasets need headers for the features and the label (last)");
    P->nfeat = cfg->nheaders - 1;
    P->names = (const char **)cfg->headers;
    if (!(P->feature = bm_malloc(P->nfeat))) return bm_error_set(err, BM_ENOMEM, "out of memory");
    memset(P->feature, 1, P->nfeat);
    for (size_t k = 0; k < cfg->nexcluded; k++) {
        long x = column_of(&cfg->excluded[k], P->names, P->nfeat);
        if (x >= 0) P->feature[x] = 0;
    }
    bm_error e;
    bm_error_clear(&e);
    if (!(P->features = bm_jmespath_compile(cfg->features, &e)))
        return e.code == BM_ENOMEM ? bm_error_set(err, BM_ENOMEM, "out of memory")
                                   : fail(err, BM_ECONFIG, "$.features", "%s", e.msg);
    FILE *f = fopen(local, "rb");
    if (!f) return bm_error_set(err, BM_EIO, "cannot open: %s", strerror(errno));
    bm_buf line;
    bm_buf_init(&line, MAX_JSONL_LINE);
    long lineno = 0;
    unsigned long long row = 0;
    size_t nb = 0;
    for (int eof = 0; !eof;) {
        bm_buf_reset(&line);
        int ch;
        while ((ch = getc(f)) != EOF && ch != '\n')
            if ((r = bm_buf_putc(&line, (char)ch))) {
                bm_error_at(err, NULL, lineno + 1, 0, NULL);
                bm_error_set(err, r, r == BM_ELIMIT ? "line longer than 16 MiB" : "out of memory");
                goto out;
            }
        eof = ch == EOF;
        if (!eof || line.len) lineno++;
        size_t n = line.len;
        while (n &&
               (line.data[n - 1] == '\r' || line.data[n - 1] == ' ' || line.data[n - 1] == '\t'))
            n--;
        if (n) {
            json_error_t je;
            json_t *doc = json_loadb(line.data, n, 0, &je);
            json_t *fv = doc ? bm_jmespath_eval(P->features, doc) : NULL;
            if (!doc || !json_is_object(doc)) {
                bm_error_at(err, NULL, lineno, doc ? 0 : je.column, NULL);
                r = bm_error_set(err, BM_EPARSE, "%s",
                                 doc ? "a record the model is asked about must be a JSON object"
                                     : je.text);
            } else if (json_object_get(doc, PREDICTION_KEY)) {
                bm_error_at(err, NULL, lineno, 0, NULL);
                r = bm_error_set(err, BM_EDATA,
                                 "the record has a member %s, which biasmon "
                                 "gives the model's prediction",
                                 PREDICTION_KEY);
            } else if (!fv) {
                r = bm_error_set(err, BM_ENOMEM, "out of memory");
            } else if (!json_is_array(fv) || json_array_size(fv) != P->nfeat) {
                bm_error_at(err, NULL, lineno, 0, "$.features");
                r = bm_error_set(err, BM_EDATA,
                                 "features expression \"%s\" must give a list of %zu values (one "
                                 "per header but the last)",
                                 cfg->features, P->nfeat);
            } else {
                batch *B = &P->b[nb];
                if (!B->nrows) {
                    B->first_row = row + 1;
                    B->first_line = lineno;
                }
                if ((r = add_json_row(P, B, fv, line.data, n)))
                    r = bm_error_set(err, BM_ENOMEM, "out of memory");
                B->last_line = lineno;
                row++;
            }
            json_decref(fv);
            json_decref(doc);
            if (r) goto out;
        }
        batch *B = &P->b[nb];
        if (B->nrows &&
            (B->nrows >= P->batch_rows || B->req.len >= BM_PREDICT_BATCH_BYTES || eof)) {
            nb++;
            if (nb == BM_PREDICT_IN_FLIGHT || eof) {
                if ((r = round_trip(P, nb, err))) goto out;
                nb = 0;
            }
        }
    }
    if (nb && (r = round_trip(P, nb, err))) goto out;
    if (row == 0) r = fail(err, BM_EDATA, NULL, "the dataset has no rows to ask the model about");
out:
    if (!r && ferror(f)) r = bm_error_set(err, BM_EIO, "cannot read: %s", strerror(errno));
    fclose(f);
    bm_buf_release(&line);
    return r;
}

int bm_predict_dataset(bm_analysis_config *cfg, const char *local, const char *shown,
                       const bm_predict_opts *opts, int out_fd, bm_predict_stats *stats,
                       bm_error *err)
{
    bm_error_clear(err);
    predictor P;
    memset(&P, 0, sizeof(P));
    P.cfg = cfg;
    P.opts = opts;
    P.shown = shown;
    P.fd = out_fd;
    P.batch_rows = opts->batch_rows ? opts->batch_rows : BM_PREDICT_BATCH_ROWS;
    bm_buf_init(&P.out, 4 * OUT_FLUSH);
    for (int k = 0; k < BM_PREDICT_IN_FLIGHT; k++) {
        bm_buf_init(&P.b[k].req, 2 * BM_PREDICT_BATCH_BYTES + (2u << 20));
        bm_buf_init(&P.b[k].rows, 2 * BM_PREDICT_BATCH_BYTES + (2u << 20));
        bm_buf_init(&P.b[k].answer, BM_PREDICT_MAX_ANSWER);
    }
    char column[64] = "predicted_label";
    const char **names = NULL;
    bm_csv *csv = NULL;
    int r, owned = 0;
    if (!opts->model_url || !opts->model_url[0]) {
        r = fail(err, BM_ECONFIG, "$.predictor",
                 "the config has a predictor and no predicted_label, but no model server was "
                 "given to ask for predictions: on the command line, give --model-url; biasmon "
                 "serve gives the model's URL when it can read the config at "
                 "CreateProcessingJob (create the job again)");
        goto out;
    }
    url_shown(opts->model_url, P.where, sizeof(P.where));
    if ((r = check_predictor(&P, err))) goto out;
    if (P.jsonl) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(P.multi = curl_multi_init())) {
            r = bm_error_set(err, BM_ENOMEM, "cannot start the HTTP client");
            goto out;
        }
        curl_multi_setopt(P.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)BM_PREDICT_IN_FLIGHT);
        if (!(r = predict_jsonl(&P, local, err)) && !(r = flush_out(&P, 1, err)))
            r = point_config(&P, PREDICTION_KEY, err);
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(P.multi = curl_multi_init())) {
        r = bm_error_set(err, BM_ENOMEM, "cannot start the HTTP client");
        goto out;
    }
    curl_multi_setopt(P.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)BM_PREDICT_IN_FLIGHT);
    if (!(csv = bm_csv_open_file(local, 0, -1, NULL, err))) {
        r = err->code ? err->code : BM_EIO;
        goto out;
    }
    bm_csv_record rec;
    if ((r = bm_csv_next(csv, &rec, err))) goto out;
    int header_row = 0;
    owned = !cfg->headers;
    if (cfg->headers) {
        P.ncols = cfg->nheaders;
        names = bm_calloc(P.ncols ? P.ncols : 1, sizeof(char *));
        if (!names) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t k = 0; k < P.ncols; k++)
            names[k] = cfg->headers[k];
        header_row = rec.nfields && bm_csv_record_is(&rec, cfg->headers, cfg->nheaders);
    } else {
        if (!rec.nfields) {
            bm_error_at(err, NULL, 1, 0, NULL);
            r = bm_error_set(err, BM_EDATA, "the file is empty: expected a header row");
            goto out;
        }
        P.ncols = rec.nfields;
        names = bm_calloc(P.ncols, sizeof(char *));
        if (!names) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t k = 0; k < P.ncols; k++)
            if (!(names[k] = bm_strndup(rec.fields[k].p, rec.fields[k].n))) {
                r = bm_error_set(err, BM_ENOMEM, "out of memory");
                goto out;
            }
        header_row = 1;
    }
    /* the prediction's column: a name no column has */
    for (int t = 1;; t++) {
        int taken = 0;
        for (size_t k = 0; k < P.ncols && !taken; k++)
            taken = !strcmp(names[k], column);
        if (!taken) break;
        if (t >= MAX_COLUMN_NAME_TRIES) {
            r = fail(err, BM_EDATA, NULL, "the dataset's columns leave no name for predictions");
            goto out;
        }
        snprintf(column, sizeof(column), "predicted_label_%d", t + 1);
    }
    long label = column_of(&cfg->label, names, P.ncols);
    if (label < 0) {
        r = fail(err, BM_ECONFIG, "$.label", "names no column of the dataset");
        goto out;
    }
    if (!(P.feature = bm_malloc(P.ncols))) {
        r = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    memset(P.feature, 1, P.ncols);
    P.feature[label] = 0;
    for (size_t k = 0; k < cfg->nexcluded; k++) {
        long x = column_of(&cfg->excluded[k], names, P.ncols);
        if (x >= 0) P.feature[x] = 0;
    }
    P.names = names;
    if (header_row) {
        for (size_t k = 0; !r && k < P.ncols; k++) {
            if (k) r = bm_buf_putc(&P.out, ',');
            if (!r) r = put_csv_field(&P.out, names[k], strlen(names[k]), 0);
        }
        if (!r) r = bm_buf_putc(&P.out, ',');
        if (!r) r = put_csv_field(&P.out, column, strlen(column), 0);
        if (!r) r = bm_buf_putc(&P.out, '\n');
        if (r) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        if ((r = bm_csv_next(csv, &rec, err))) goto out;
    }
    size_t nb = 0; /* batches filled in this round */
    unsigned long long row = 0;
    while (rec.nfields) {
        if (rec.nfields > P.ncols) {
            bm_error_at(err, NULL, rec.line, (long)P.ncols + 1, NULL);
            r = bm_error_set(err, BM_EDATA, "the record has %zu fields, the header %zu",
                             rec.nfields, P.ncols);
            goto out;
        }
        batch *B = &P.b[nb];
        long line = rec.line;
        if (!B->nrows) {
            B->first_row = row + 1;
            B->first_line = line;
        }
        if ((r = add_row(&P, B, &rec))) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        B->last_line = line;
        row++;
        if ((r = bm_csv_next(csv, &rec, err))) goto out;
        if (B->nrows >= P.batch_rows || B->req.len >= BM_PREDICT_BATCH_BYTES || !rec.nfields) {
            nb++;
            if (nb == BM_PREDICT_IN_FLIGHT || !rec.nfields) {
                if ((r = round_trip(&P, nb, err))) goto out;
                nb = 0;
            }
        }
    }
    if (nb && (r = round_trip(&P, nb, err))) goto out;
    if ((r = flush_out(&P, 1, err))) goto out;
    if (row == 0) {
        r = fail(err, BM_EDATA, NULL, "the dataset has no rows to ask the model about");
        goto out;
    }
    r = point_config(&P, column, err);
out:
    if (r && !err->file[0]) bm_error_at(err, shown, err->line, err->col, NULL);
    if (r && !strcmp(err->file, local)) bm_error_at(err, shown, err->line, err->col, NULL);
    if (stats) *stats = P.st;
    bm_csv_close(csv);
    if (names && owned)
        for (size_t k = 0; k < P.ncols; k++)
            bm_free((char *)names[k]);
    bm_free(names);
    bm_free(P.feature);
    for (int k = 0; k < BM_PREDICT_IN_FLIGHT; k++)
        batch_release(&P.b[k]);
    if (P.multi) curl_multi_cleanup(P.multi);
    bm_jmespath_free(P.label);
    bm_jmespath_free(P.features);
    bm_jmespath_free(P.prob);
    bm_buf_release(&P.out);
    return r;
}
