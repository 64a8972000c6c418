/* The dashboard's index: per schedule, the metric values of its recent completed executions in
 * one file, DATA_DIR/series/<schedule>.jsonl, so a schedule's page reads one file instead of 720
 * analysis.json files. Filled lazily from the outputs when a page asks, bounded, rebuilt when
 * missing (docs/serve.md, "The dashboard"). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "biasmon/execution.h"
#include "biasmon/sagemaker.h"
#include "biasmon/store.h"
#include "biasmon/verdict.h"
#include "serve/internal.h"

#define OUTPUT_MAX (64u << 20)       /* an output file read for the index */
#define SERIES_FILE_MAX (256u << 20) /* the index file of one schedule */

int bm__series_path(const char *data_dir, const char *schedule, char *out, size_t n)
{
    char low[64];
    size_t k = 0;
    for (; schedule && schedule[k] && k < sizeof(low) - 1; k++) {
        unsigned char c = (unsigned char)schedule[k];
        if (!isalnum(c) && c != '-') return BM_EINVAL; /* schedule names: [a-zA-Z0-9-] */
        low[k] = (char)tolower(c);
    }
    if (!k || (schedule && schedule[k])) return BM_EINVAL;
    low[k] = 0;
    int w = snprintf(out, n, "%s/series/%s.jsonl", data_dir, low);
    return w < 0 || (size_t)w >= n ? BM_ELIMIT : BM_OK;
}

/* ---- one line from an execution's outputs ---- */

static json_t *read_json(const char *folder, const char *name)
{
    char uri[BM_EXECUTION_OUTPUT_MAX + 64];
    bm_buf b;
    bm_error err;
    json_t *j = NULL;
    bm_error_clear(&err);
    bm_buf_init(&b, OUTPUT_MAX);
    if (!bm_uri_join(folder, name, uri, sizeof(uri)) && !bm_store_read(uri, OUTPUT_MAX, &b, &err))
        j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    bm_buf_release(&b);
    return j;
}

/* A key for one metric of one facet entry: "stage\037facet\037value\037metric". */
static int key_of(char *out, size_t n, int stage, const char *facet, const char *value,
                  const char *metric)
{
    int w = snprintf(out, n, "%d\037%s\037%s\037%s", stage, facet ? facet : "", value ? value : "",
                     metric ? metric : "");
    return w >= 0 && (size_t)w < n;
}

static const char *const stage_keys[2] = {"pre_training_bias_metrics",
                                          "post_training_bias_metrics"};

/* Calls fn for every metric of an analysis (stage 0/1) or of an evidence (stage -1: both). */
typedef void (*metric_fn)(void *ctx, int stage, const char *facet, const char *value, json_t *m);
static void each_metric(json_t *facets, int stage, metric_fn fn, void *ctx)
{
    const char *facet;
    json_t *entries;
    json_object_foreach(facets, facet, entries)
    {
        size_t i, j;
        json_t *e, *m;
        if (!json_is_array(entries)) continue;
        json_array_foreach(entries, i, e)
        {
            const char *v = json_string_value(json_object_get(e, "value_or_threshold"));
            json_array_foreach(json_object_get(e, "metrics"), j, m) if (json_is_object(m))
                fn(ctx, stage, facet, v, m);
        }
    }
}

static void put_value(void *ctx, int stage, const char *facet, const char *value, json_t *m)
{
    char k[600];
    json_t *v = json_object_get(m, "value");
    if (json_is_number(v) &&
        key_of(k, sizeof(k), stage, facet, value, json_string_value(json_object_get(m, "name"))))
        json_object_set(ctx, k, v);
}

/* The interval of the statistical rule's first (shortest) test: the baseline +- threshold x SE,
 * the values that would not alarm. */
static void put_band(void *ctx, int stage, const char *facet, const char *value, json_t *m)
{
    json_t *t = json_array_get(json_object_get(m, "tests"), 0);
    double b = json_number_value(json_object_get(t, "baseline")),
           se = json_number_value(json_object_get(t, "se")),
           th = json_number_value(json_object_get(t, "threshold"));
    char k[600];
    if (!json_is_number(json_object_get(t, "se")) ||
        !json_is_number(json_object_get(t, "baseline")))
        return;
    for (int st = 0; st < 2; st++)
        if (key_of(k, sizeof(k), st, facet, value, json_string_value(json_object_get(m, "name"))))
            json_object_set_new(ctx, k, json_pack("[f,f]", b - th * se, b + th * se));
    (void)stage;
}

typedef struct line_ctx {
    json_t *m;                  /* the line's metric array */
    json_t *base, *band, *viol; /* lookups by key; may be empty */
} line_ctx;

static void put_metric(void *ctx, int stage, const char *facet, const char *value, json_t *m)
{
    line_ctx *c = ctx;
    const char *name = json_string_value(json_object_get(m, "name"));
    char k[600], vk[600];
    if (!name || !key_of(k, sizeof(k), stage, facet, value, name)) return;
    json_t *v = json_object_get(m, "value"), *band = json_object_get(c->band, k);
    json_t *base = json_object_get(c->base, k);
    int violated =
        key_of(vk, sizeof(vk), 0, facet, value, name) && json_object_get(c->viol, vk + 2) != NULL;
    json_t *row = json_pack("[i,s,s,s,O,O,O,O,b]", stage, facet, value ? value : "", name,
                            v ? v : json_null(), base ? base : json_null(),
                            band ? json_array_get(band, 0) : json_null(),
                            band ? json_array_get(band, 1) : json_null(), violated);
    if (row) json_array_append_new(c->m, row);
}

/* The index line of a completed execution, or NULL when its analysis cannot be read. baselines
 * caches the baseline analysis of each job definition ({name: analysis or null}). */
static json_t *make_line(bm_service *s, const bm_exec_record *e, json_t *baselines)
{
    json_t *a = read_json(e->output_uri, "analysis.json");
    if (!json_is_object(a)) {
        json_decref(a);
        return NULL;
    }
    json_t *base = json_object_get(baselines, e->job_definition);
    if (!base) {
        bm_resource jd = {0};
        bm_error err;
        bm_error_clear(&err);
        base = NULL;
        if (!bm_state_resource_get(s->db, BM_RES_JOB_DEFINITION, e->job_definition, &jd, &err)) {
            const char *uri =
                bm_json_string(jd.doc, "ModelBiasBaselineConfig.ConstraintsResource.S3Uri");
            char folder[BM_EXECUTION_OUTPUT_MAX];
            const char *slash = uri ? strrchr(uri, '/') : NULL;
            if (slash && (size_t)(slash - uri) < sizeof(folder)) {
                memcpy(folder, uri, (size_t)(slash - uri));
                folder[slash - uri] = 0;
                base = read_json(folder, slash + 1);
            }
        }
        bm_resource_release(&jd);
        json_object_set_new(baselines, e->job_definition, base ? base : json_null());
        base = json_object_get(baselines, e->job_definition);
    }
    line_ctx c = {json_array(), json_object(), json_object(), json_object()};
    json_t *ev = read_json(e->output_uri, BM_EVIDENCE_NAME),
           *cv = read_json(e->output_uri, "constraint_violations.json");
    json_t *line = NULL;
    if (!c.m || !c.base || !c.band || !c.viol) goto out;
    for (int st = 0; st < 2; st++)
        each_metric(json_object_get(json_object_get(base, stage_keys[st]), "facets"), st, put_value,
                    c.base);
    each_metric(json_object_get(ev, "facets"), -1, put_band, c.band);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cv, "violations"), i, v)
    {
        char k[600];
        if (key_of(k, sizeof(k), 0, json_string_value(json_object_get(v, "facet")),
                   json_string_value(json_object_get(v, "facet_value")),
                   json_string_value(json_object_get(v, "metric_name"))))
            json_object_set_new(c.viol, k + 2, json_true());
    }
    for (int st = 0; st < 2; st++)
        each_metric(json_object_get(json_object_get(a, stage_keys[st]), "facets"), st, put_metric,
                    &c);
    line = json_pack("{s:I,s:I,s:f,s:s,s:I,s:O}", "id", (json_int_t)e->id, "t",
                     (json_int_t)e->scheduled_time, "end", e->ended, "st", e->status, "v",
                     (json_int_t)e->violations, "m", c.m);
out:
    json_decref(c.m);
    json_decref(c.base);
    json_decref(c.band);
    json_decref(c.viol);
    json_decref(ev);
    json_decref(cv);
    json_decref(a);
    return line;
}

/* ---- the file ---- */

static int append_cb(const char *p, size_t n, void *b)
{
    return bm_buf_append(b, p, n) ? -1 : 0;
}

int bm__series_encode(json_t *lines, bm_buf *out)
{
    size_t i;
    json_t *l;
    int r = BM_OK;
    json_array_foreach(lines, i, l)
    {
        r = json_dump_callback(l, append_cb, out, JSON_COMPACT) ? BM_ELIMIT
                                                                : bm_buf_putc(out, '\n');
        if (r) break;
    }
    return r;
}

int bm__series_save(const char *data_dir, const char *schedule, json_t *lines, bm_error *err)
{
    char path[1200];
    if (bm__series_path(data_dir, schedule, path, sizeof(path)))
        return bm_error_set(err, BM_EINVAL, "no index file for the schedule %.63s", schedule);
    bm_buf b;
    bm_buf_init(&b, SERIES_FILE_MAX);
    int r = bm__series_encode(lines, &b);
    if (r)
        r = bm_error_set(err, r, "the index of %.63s does not fit in memory", schedule);
    else
        r = bm_write_file_atomic(path, b.data ? b.data : "", b.len, err);
    bm_buf_release(&b);
    return r;
}

/* The lines of the index file by execution id ({"<id>": line}); an empty object when there is
 * no file. A line that is not a JSON object with an id (a file cut by a crash) is left out: the
 * next sync rebuilds it. */
static json_t *load_file(const char *path)
{
    json_t *by_id = json_object();
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || !by_id) {
        if (fd >= 0) close(fd);
        return by_id;
    }
    bm_buf b;
    bm_buf_init(&b, SERIES_FILE_MAX);
    char chunk[65536];
    ssize_t k;
    int r = BM_OK;
    while (!r && (k = read(fd, chunk, sizeof(chunk))) > 0)
        r = bm_buf_append(&b, chunk, (size_t)k);
    close(fd);
    for (size_t at = 0; !r && at < b.len;) {
        const char *nl = memchr(b.data + at, '\n', b.len - at);
        size_t len = nl ? (size_t)(nl - (b.data + at)) : b.len - at;
        json_t *l = json_loadb(b.data + at, len, 0, NULL);
        char id[32];
        if (json_is_integer(json_object_get(l, "id"))) {
            snprintf(id, sizeof(id), "%lld",
                     (long long)json_integer_value(json_object_get(l, "id")));
            json_object_set(by_id, id, l);
        }
        json_decref(l);
        at += len + 1;
    }
    bm_buf_release(&b);
    return by_id;
}

int bm__series_load(bm_service *s, const char *schedule, size_t max, json_t **out, bm_error *err)
{
    char path[1200];
    bm_exec_record *v = NULL;
    size_t n = 0;
    json_t *by_id = NULL, *keep = NULL, *baselines = NULL, *lines = NULL;
    int r = bm__series_path(s->data_dir, schedule, path, sizeof(path));
    *out = NULL;
    if (r) return bm_error_set(err, BM_EINVAL, "no index file for the schedule %.63s", schedule);
    if ((r = bm_state_exec_recent(s->db, schedule, INT64_MAX, max, &v, &n, err))) return r;
    pthread_mutex_lock(&s->series_mu); /* one sync of the index files at a time */
    by_id = load_file(path);
    keep = json_array();
    baselines = json_object();
    lines = json_array();
    if (!by_id || !keep || !baselines || !lines) {
        r = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    int changed = 0;
    for (size_t k = n; k-- > 0;) { /* oldest first */
        const bm_exec_record *e = &v[k];
        char id[32];
        snprintf(id, sizeof(id), "%lld", (long long)e->id);
        json_t *l = NULL;
        int done = !strcmp(e->status, "Completed") || !strcmp(e->status, "CompletedWithViolations");
        if (done) {
            json_t *had = json_object_get(by_id, id);
            if (had && json_number_value(json_object_get(had, "end")) == e->ended &&
                json_integer_value(json_object_get(had, "t")) == e->scheduled_time)
                l = json_incref(had);
            else if ((l = make_line(s, e, baselines)))
                changed = 1;
            if (l) json_array_append(keep, l);
        }
        if (!l) /* no values: a failed, pending or running execution, or unreadable outputs */
            l = json_pack("{s:I,s:I,s:s,s:I}", "id", (json_int_t)e->id, "t",
                          (json_int_t)e->scheduled_time, "st", e->status, "v",
                          (json_int_t)e->violations);
        if (!l || json_array_append_new(lines, l)) {
            r = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
    }
    /* lines of executions that left the window (or were re-run) go when the file is rewritten */
    if (changed || json_object_size(by_id) != json_array_size(keep)) {
        bm_error werr;
        bm_error_clear(&werr);
        char dir[1100];
        snprintf(dir, sizeof(dir), "%s/series", s->data_dir);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            bm__log(s, BM_LOG_WARN, "ui_index_not_written", "schedule=%s error=\"%s\"", schedule,
                    strerror(errno));
        else if (bm__series_save(s->data_dir, schedule, keep, &werr))
            bm__log(s, BM_LOG_WARN, "ui_index_not_written", "schedule=%s error=\"%s\"", schedule,
                    werr.msg); /* the page is still right: only the next one is slower */
    }
    *out = lines;
    lines = NULL;
out:
    pthread_mutex_unlock(&s->series_mu);
    json_decref(by_id);
    json_decref(keep);
    json_decref(baselines);
    json_decref(lines);
    bm_free(v);
    return r;
}
