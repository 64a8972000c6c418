/* One monitoring execution: window, ground truth, capture, join, analysis, check, outputs. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "biasmon/bias.h"
#include "biasmon/capture.h"
#include "biasmon/config.h"
#include "biasmon/csv.h"
#include "biasmon/execution.h"
#include "biasmon/isotime.h"
#include "biasmon/report.h"
#include "biasmon/store.h"
#include "biasmon/violations.h"
#include "capture/extract.h"
#include "capture/join.h"
#include "capture/lines.h"

/* The bounds of one execution (docs/design.md "Limits" lists them with what to do when one is
 * reached). */
#define MAX_LINE (16u << 20)  /* bytes in one capture or ground-truth line */
#define MAX_LIST 1000000      /* files in one hour folder */
#define MAX_DIRS 10000        /* sub-folders of one folder of the yyyy/mm/dd/HH layout */
#define MAX_FIRST 5           /* problems quoted in execution.json */
#define MAX_DAYS 400          /* window length, and how far each offset may reach from T */
#define PROBE_HOURS 24        /* hour folders looked at directly; more are found by listing */
#define MAX_HOURS (24 * MAX_DAYS)

const char *bm_exec_status_name(bm_exec_status s)
{
    switch (s) {
    case BM_EXEC_COMPLETED: return "Completed";
    case BM_EXEC_COMPLETED_WITH_VIOLATIONS: return "CompletedWithViolations";
    case BM_EXEC_FAILED: return "Failed";
    }
    return "Failed";
}

int bm_execution_time_check(int64_t T, bm_error *err)
{
    if (T % 3600 == 0) return BM_OK;
    char t[32];
    bm_time_format(T, t, sizeof(t));
    return bm_error_set(err, BM_ECONFIG, "%s is not on the hour: an execution's outputs go to the folder of its hour", t);
}

/* ==================================================================== the run's state */

typedef struct problem {
    char file[512];
    long line;
    char reason[300];
} problem;

/* A line on its way through each_line's two stages. */
typedef struct staged {
    long lineno;
    bm_slice line;
    /* filled by a stage-one function (see each_line) */
    int scanned;
    int rc; /* bm_capture_scan's result, with e */
    bm_error e;
    bm_capture_record rec;
    uint64_t key_hash; /* of the join key, when the record has one */
} staged;

typedef struct run {
    const bm_execution_params *p;
    const bm_job_definition *jd;
    bm_execution_result *res;
    bm_analysis_config cfg;
    int have_cfg;
    bm_analysis_config view;
    char **names;       /* columns: features..., label, predicted_label */
    size_t ncols, nfeat;
    bm_plan *plan;
    bm_cube *joined;    /* rows with ground truth */
    bm_cube *all;       /* every in-window row, labelled or not (facet group sizes) */
    bm_cell *cells;     /* one row as typed cells (a row with JSON values) */
    bm_slice *fields;   /* one row as texts (a row of text values: the cubes' memoized path) */
    bm__gt_table gt;
    bm__extractor x;
    bm_capture_scanner *scan[2]; /* one per stage slot of each_line (see there) */
    staged *stage;               /* [2] */
    int64_t ws, we, T;
    /* the account */
    uint64_t capture_files, capture_records, in_window, outside_window, malformed_capture;
    uint64_t gt_files, gt_records, malformed_gt, gt_bytes_seen;
    uint64_t joined_records, rows, unjoined_capture, gt_unmatched, duplicate_capture;
    problem first[MAX_FIRST];
    size_t nfirst;
    char first_unmatched_capture[256], first_unmatched_gt[256];
    char capture_root[4096], gt_root[4096];
    json_t *unchecked;  /* metrics the baseline had no value for (bm_violations_check) */
    uint64_t malformed_in_window; /* in-window records that could not be used (extraction) */
    problem first_in_window;      /* the first of them, with the setting's JSON path when one is at fault */
} run;

static void note_problem(run *r, const char *file, long line, const char *fmt, const char *a)
{
    if (r->nfirst >= MAX_FIRST) return;
    problem *p = &r->first[r->nfirst++];
    snprintf(p->file, sizeof(p->file), "%s", file);
    p->line = line;
    snprintf(p->reason, sizeof(p->reason), fmt, a);
}

/* An in-window record that could not be used: counted as malformed, and the first one kept for
 * the reason when no record is left (explain_no_data). */
static void in_window_problem(run *r, const char *file, long line)
{
    r->malformed_capture++;
    note_problem(r, file, line, "%s", r->x.why);
    if (r->malformed_in_window++) return;
    problem *p = &r->first_in_window;
    snprintf(p->file, sizeof(p->file), "%s", file);
    p->line = line;
    if (r->x.why_setting)
        snprintf(p->reason, sizeof(p->reason), "%s ($.ModelBiasJobInput.%s.%s)", r->x.why,
                 r->jd->input.batch ? "BatchTransformInput" : "EndpointInput", r->x.why_setting);
    else
        snprintf(p->reason, sizeof(p->reason), "%s", r->x.why);
}

static void fail_run(run *r, const char *fmt, ...) BM_PRINTF(2, 3);
static void fail_run(run *r, const char *fmt, ...)
{
    if (r->res->status == BM_EXEC_FAILED) return; /* keep the first reason */
    r->res->status = BM_EXEC_FAILED;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->failure_reason, sizeof(r->res->failure_reason), fmt, ap);
    va_end(ap);
}

static void hour_key(int64_t t, char *out, size_t n)
{
    bm_civil c;
    bm_time_civil(t, &c);
    snprintf(out, n, "%04d/%02d/%02d/%02d", c.year, c.month, c.day, c.hour);
}

static void hour_label(int64_t t, char *out, size_t n)
{
    bm_civil c;
    bm_time_civil(t, &c);
    snprintf(out, n, "%04d-%02d-%02dT%02d", c.year, c.month, c.day, c.hour);
}

/* ==================================================================== set-up */

static int is_digits(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* A JMESPath from an attribute: "0" (a column index for CSV) means [0] for JSON. */
static int attribute_expr(run *r, const char *attr, const char *member, bm_jmespath **expr, long *index,
                          bm_error *err)
{
    *expr = NULL;
    *index = -1;
    if (!attr) return BM_OK;
    char src[64];
    const char *text = attr;
    if (is_digits(attr) && strlen(attr) < 10) {
        *index = strtol(attr, NULL, 10); /* at most 9 digits: always in range */
        snprintf(src, sizeof(src), "[%s]", attr);
        text = src;
    }
    *expr = bm_jmespath_compile(text, err);
    if (!*expr) {
        char path[128];
        snprintf(path, sizeof(path), "$.ModelBiasJobInput.%s.%s",
                 r->jd->input.batch ? "BatchTransformInput" : "EndpointInput", member);
        bm_error_at(err, NULL, 0, 0, path);
        return err->code;
    }
    return BM_OK;
}

static int setup(run *r, bm_error *err)
{
    const bm_job_definition *jd = r->jd;
    const bm_execution_params *p = r->p;
    const bm_job_input *in = &jd->input;
    bm_error e2;
    bm_error_clear(&e2);
    int rc;
    /* the window */
    int64_t period = p->default_period > 0 ? p->default_period : 3600;
    int64_t so = -period, eo = 0;
    const char *sos = p->window_start ? p->window_start : in->start_time_offset;
    const char *eos = p->window_end ? p->window_end : in->end_time_offset;
    int bad_start = sos && bm_duration_parse(sos, strlen(sos), &so, &e2);
    if (bad_start || (eos && bm_duration_parse(eos, strlen(eos), &eo, &e2))) {
        const char *which = bad_start ? (p->window_start ? "ScheduleConfig.DataAnalysisStartTime" : "StartTimeOffset")
                                      : (p->window_end ? "ScheduleConfig.DataAnalysisEndTime" : "EndTimeOffset");
        fail_run(r, "%s is not a window offset biasmon reads: %s",
                 which, e2.msg);
        return BM_OK;
    }
    r->T = p->scheduled_time;
    const int64_t max_reach = (int64_t)MAX_DAYS * 86400;
    if (so < -max_reach || so > max_reach || eo < -max_reach || eo > max_reach) {
        int start = so < -max_reach || so > max_reach;
        fail_run(r, "the %s offset %s reaches more than %d days from the scheduled time: offsets may be at "
                    "most %d days (P%dD); move the window closer to the schedule",
                 start ? "start" : "end", start ? (sos ? sos : "") : (eos ? eos : ""), MAX_DAYS, MAX_DAYS, MAX_DAYS);
        return BM_OK;
    }
    r->ws = r->T + so;
    r->we = r->T + eo;
    r->res->window_start = r->ws;
    r->res->window_end = r->we;
    if (r->ws >= r->we) {
        char a[32], b[32];
        bm_time_format(r->ws, a, sizeof(a));
        bm_time_format(r->we, b, sizeof(b));
        fail_run(r, "the window [%s, %s) is empty: the start offset must come before the end offset", a, b);
        return BM_OK;
    }
    if (r->we - r->ws > (int64_t)MAX_HOURS * 3600) {
        fail_run(r, "the window from offset %s to %s is longer than %d days: a window may be at most %d days "
                    "(P%dD); split the analysis over several schedules",
                 sos ? sos : "(default)", eos ? eos : "(default)", MAX_DAYS, MAX_DAYS, MAX_DAYS);
        return BM_OK;
    }
    bm_buf text;
    bm_buf_init(&text, 16u << 20);
    if ((rc = bm_store_read(jd->config_uri, 16u << 20, &text, err))) {
        fail_run(r, "cannot read the analysis config %s: %s", jd->config_uri, err->msg);
        bm_buf_release(&text);
        return BM_OK;
    }
    rc = bm_analysis_config_parse(text.data ? text.data : "", text.len, jd->config_uri, &r->cfg, err);
    bm_buf_release(&text);
    if (rc == BM_ENOMEM) return rc;
    if (rc) {
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        fail_run(r, "invalid analysis config: %s", msg);
        return BM_OK;
    }
    r->have_cfg = 1;
    const bm_analysis_config *cfg = &r->cfg;
    if (!cfg->headers || cfg->nheaders < 2) {
        fail_run(r, "the analysis config %s has no headers: monitoring names the captured features "
                    "and the label with them (feature names in order, label last)", jd->config_uri);
        return BM_OK;
    }
    /* columns: the features, the label (last header), the prediction */
    r->nfeat = cfg->nheaders - 1;
    r->ncols = cfg->nheaders + 1;
    r->names = bm_calloc(r->ncols, sizeof(char *));
    r->cells = bm_calloc(r->ncols, sizeof(bm_cell));
    r->fields = bm_calloc(r->ncols, sizeof(bm_slice));
    if (!r->names || !r->cells || !r->fields) return bm_error_set(err, BM_ENOMEM, "out of memory");
    for (size_t k = 0; k < cfg->nheaders; k++) r->names[k] = cfg->headers[k];
    r->names[cfg->nheaders] = "predicted_label";
    r->view = *cfg;
    r->view.label.name = cfg->headers[cfg->nheaders - 1];
    r->view.label.index = -1;
    r->view.predicted_label.set = 1;
    r->view.predicted_label.name = "predicted_label";
    r->view.predicted_label.index = -1;
    r->view.has_probability_threshold = 0; /* predictions arrive thresholded */
    if ((rc = bm_plan_new(&r->view, (const char *const *)r->names, r->ncols, &r->plan, err))) {
        if (rc == BM_ENOMEM) return rc;
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        fail_run(r, "the analysis config %s does not fit the captured columns: %s", jd->config_uri, msg);
        return BM_OK;
    }
    r->joined = bm_cube_new(r->plan);
    r->all = bm_cube_new(r->plan);
    r->scan[0] = bm_capture_scanner_new(MAX_LINE);
    r->scan[1] = bm_capture_scanner_new(MAX_LINE);
    r->stage = bm_calloc(2, sizeof(staged));
    if (!r->joined || !r->all || !r->scan[0] || !r->scan[1] || !r->stage)
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    bm__gt_init(&r->gt, p->max_pending_ids ? p->max_pending_ids : 50000000);
    bm_buf_init(&r->x.arena, (size_t)1 << 30);
    bm_buf_init(&r->x.copy, (size_t)1 << 30);

    /* extraction settings */
    r->x.nfeat = r->nfeat;
    r->x.threshold = in->has_probability_threshold ? in->probability_threshold : 0.5;
    const char *features = in->features_attribute ? in->features_attribute : cfg->features;
    long unused;
    if (attribute_expr(r, features, "FeaturesAttribute", &r->x.features_expr, &unused, &e2) ||
        attribute_expr(r, in->inference_attribute, "InferenceAttribute", &r->x.inference_expr, &r->x.inference_index, &e2) ||
        attribute_expr(r, in->probability_attribute, "ProbabilityAttribute", &r->x.probability_expr, &r->x.probability_index, &e2)) {
        if (e2.code == BM_ENOMEM) return bm_error_set(err, BM_ENOMEM, "out of memory");
        char msg[1200];
        bm_error_format(&e2, msg, sizeof(msg));
        fail_run(r, "invalid attribute: %s", msg);
        return BM_OK;
    }
    if (cfg->label.name) {
        bm_error_clear(&e2);
        r->x.label_expr = bm_jmespath_compile(cfg->label.name, &e2);
        if (!r->x.label_expr && e2.code == BM_ENOMEM) return bm_error_set(err, BM_ENOMEM, "out of memory");
        /* a label that is not a JMESPath only matters for JSON ground truth: then it is an error */
    }
    if (in->exclude_features_attribute) {
        const char *s = in->exclude_features_attribute;
        size_t cap = strlen(s) / 2 + 1;
        r->x.exclude = bm_calloc(cap, sizeof(size_t));
        if (!r->x.exclude) return bm_error_set(err, BM_ENOMEM, "out of memory");
        while (*s) {
            while (*s == ' ' || *s == ',') s++;
            if (!*s) break;
            char *end;
            long v = strtol(s, &end, 10);
            if (end == s || v < 0 || v > 100000) {
                fail_run(r, "ExcludeFeaturesAttribute \"%s\" must be comma-separated 0-based column indices",
                         in->exclude_features_attribute);
                return BM_OK;
            }
            r->x.exclude[r->x.nexclude++] = (size_t)v;
            s = end;
        }
    }

    return BM_OK;
}

/* ==================================================================== the hour folders */

/* The value of n decimal digits (checked by the caller). */
static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t k = 0; k < n; k++) v = v * 10 + (s[k] - '0');
    return v;
}

/* Hours in time order (epoch seconds of each hour's start). */
typedef struct hours {
    int64_t *v;
    size_t n, cap;
} hours;

static void hours_release(hours *h)
{
    bm_free(h->v);
    memset(h, 0, sizeof(*h));
}

/* Appends t unless it is already the last (lists arrive sorted). */
static int hours_push(hours *h, int64_t t)
{
    if (h->n && h->v[h->n - 1] == t) return BM_OK;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        int64_t *v = bm_realloc(h->v, cap * sizeof(int64_t));
        if (!v) return BM_ENOMEM;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = t;
    return BM_OK;
}

/* The union of two sorted hour lists into *a. */
static int hours_merge(hours *a, const hours *b)
{
    hours m = {0};
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int64_t t = j >= b->n || (i < a->n && a->v[i] <= b->v[j]) ? a->v[i++] : b->v[j++];
        if (hours_push(&m, t)) {
            hours_release(&m);
            return BM_ENOMEM;
        }
    }
    hours_release(a);
    *a = m;
    return BM_OK;
}

/* One level of the yyyy/mm/dd/HH layout under prefix, whose key so far is key (len bytes:
 * "", "yyyy", "yyyy/mm", "yyyy/mm/dd"): the sub-folders whose key lies between lo and hi (keys
 * of the first and last hour, compared on the same length; they are fixed-width, so text order
 * is time order), descended in order; complete hours are appended to out. */
static int walk_hours(const char *prefix, char *key, size_t len, const char *lo, const char *hi, hours *out,
                      bm_error *err)
{
    static const size_t width[4] = {4, 2, 2, 2};
    int level = len == 0 ? 0 : len == 4 ? 1 : len == 7 ? 2 : 3;
    bm_strlist dirs = {0};
    int rc = bm_store_list(prefix, 1, MAX_DIRS, &dirs, err);
    if (rc == BM_ELIMIT)
        rc = bm_error_set(err, BM_ELIMIT, "%s has more than %d sub-folders: keep only the yyyy/mm/dd/HH "
                                          "folders there", prefix, MAX_DIRS);
    for (size_t k = 0; !rc && k < dirs.n; k++) {
        const char *name = dirs.v[k];
        if (strlen(name) != width[level] || !is_digits(name)) continue; /* not part of the layout */
        size_t n = len + (len ? 1 : 0) + width[level];
        if (len) key[len] = '/';
        memcpy(key + n - width[level], name, width[level]);
        key[n] = 0;
        if (strncmp(key, lo, n) < 0 || strncmp(key, hi, n) > 0) continue;
        char sub[4096];
        if (bm_uri_join(prefix, name, sub, sizeof(sub))) {
            rc = bm_error_set(err, BM_ELIMIT, "a folder under %s has a URI longer than %zu bytes", prefix,
                              sizeof(sub) - 1);
            break;
        }
        if (level < 3) {
            rc = walk_hours(sub, key, n, lo, hi, out, err);
            continue;
        }
        bm_civil c = {0};
        c.year = digits_value(key, 4);
        c.month = digits_value(key + 5, 2);
        c.day = digits_value(key + 8, 2);
        c.hour = digits_value(key + 11, 2);
        if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour > 23) continue;
        int64_t t = bm_time_from_civil(&c);
        char back[32];
        hour_key(t, back, sizeof(back));
        if (strcmp(back, key)) continue; /* 2026/02/30 and the like */
        if (hours_push(out, t)) rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    key[len] = 0;
    bm_strlist_release(&dirs);
    return rc;
}

/* The hours from first to last (hour starts, inclusive) whose folder root/yyyy/mm/dd/HH may
 * exist, in time order. Up to PROBE_HOURS hours are all returned (listing an hour folder that does
 * not exist is one cheap look-up, fewer than listing four levels); more are found by listing the
 * folders that exist level by level, so that the cost follows the data, not the window. */
static int existing_hours(const char *root, int64_t first, int64_t last, hours *out, bm_error *err)
{
    char lo[32], hi[32], key[32];
    hour_key(first, lo, sizeof(lo));
    hour_key(last, hi, sizeof(hi));
    key[0] = 0;
    if (first > last) return BM_OK;
    if ((last - first) / 3600 < PROBE_HOURS) {
        /* a short window: its hours are looked at directly (a missing one lists as empty) */
        for (int64_t h = first; h <= last; h += 3600)
            if (hours_push(out, h)) return bm_error_set(err, BM_ENOMEM, "out of memory");
        return BM_OK;
    }
    return walk_hours(root, key, 0, lo, hi, out, err);
}

/* The objects of the window's hour folders in order: hour by hour, and in each hour variant by
 * variant (capture: root/VARIANT/yyyy/mm/dd/HH) or the hour's folder alone (ground truth:
 * root/yyyy/mm/dd/HH, variants NULL), each folder's objects as listed. A sequence's generator
 * (bm_store_seq_fn): it may run on another thread and touches nothing of the run. */
typedef struct folder_walk {
    const char *root;
    const bm_strlist *variants;
    const hours *hs;
    size_t i, v, k; /* the hour, the variant, the next object of the folder listed */
    int listed;
    bm_strlist files;
    char prefix[4096];
} folder_walk;

static int walk_next(void *ctx, char *uri, size_t cap, bm_error *err)
{
    folder_walk *w = ctx;
    for (;;) {
        if (w->listed && w->k < w->files.n) {
            if (bm_uri_join(w->prefix, w->files.v[w->k], uri, cap))
                return bm_error_set(err, BM_ELIMIT, "a file in %s has a URI longer than %zu bytes", w->prefix,
                                    cap - 1);
            w->k++;
            return BM_OK;
        }
        if (w->listed) { /* the next folder */
            bm_strlist_release(&w->files);
            w->listed = 0;
            w->k = 0;
            if (!w->variants || ++w->v == w->variants->n) w->v = 0, w->i++;
        }
        if (w->i >= w->hs->n || (w->variants && !w->variants->n)) {
            uri[0] = 0;
            return BM_OK;
        }
        char key[32];
        hour_key(w->hs->v[w->i], key, sizeof(key));
        if (w->variants) {
            char vdir[4096];
            if (bm_uri_join(w->root, w->variants->v[w->v], vdir, sizeof(vdir)) ||
                bm_uri_join(vdir, key, w->prefix, sizeof(w->prefix)))
                return bm_error_set(err, BM_ELIMIT, "the hour folder %s of variant %s has a URI longer than %zu bytes",
                                    key, w->variants->v[w->v], sizeof(w->prefix) - 1);
        } else if (bm_uri_join(w->root, key, w->prefix, sizeof(w->prefix))) {
            return bm_error_set(err, BM_ELIMIT, "the hour folder %s under %s has a URI longer than %zu bytes", key,
                                w->root, sizeof(w->prefix) - 1);
        }
        int rc = bm_store_list(w->prefix, 0, MAX_LIST, &w->files, err);
        if (rc) return rc;
        w->listed = 1;
    }
}

/* Reads the walk's objects in order with take (which takes each item's reader). Objects that are
 * not local files are opened BM_STORE_SEQ_AHEAD ahead on other threads while one is read
 * (docs/performance.md, "Executions over S3"); local files are opened one by one as before. */
static int read_walk(run *r, folder_walk *w, int (*take)(run *r, bm_store_item *it, bm_error *err), bm_error *err)
{
    bm_store_seq *seq = bm_store_seq_new(walk_next, w, bm_store_is_local(w->root) ? 0 : BM_STORE_SEQ_AHEAD, err);
    int rc = seq ? BM_OK : err->code, done = 0;
    bm_store_item it;
    while (!rc && !(rc = bm_store_seq_next(seq, &it, &done, err)) && !done) {
        rc = take(r, &it, err);
        bm_store_reader_close(it.reader); /* when take stopped before taking it (out of memory) */
    }
    bm_store_seq_free(seq);
    bm_strlist_release(&w->files);
    return rc;
}

/* ==================================================================== ground truth */

static int encoding_code(bm_slice enc)
{
    if (enc.n == 3 && !memcmp(enc.p, "CSV", 3)) return BM__ENC_CSV;
    if (enc.n == 4 && !memcmp(enc.p, "JSON", 4)) return BM__ENC_JSON;
    if (enc.n == 6 && !memcmp(enc.p, "BASE64", 6)) return BM__ENC_BASE64;
    if (enc.n == 0) return BM__ENC_CSV;
    return BM__ENC_OTHER;
}

static int content_is_json(bm_slice ct)
{
    for (size_t k = 0; k + 4 <= ct.n; k++)
        if (!strncasecmp(ct.p + k, "json", 4)) return 1;
    return 0;
}

/* Stage one: work on line s->line that touches nothing of the run's account (it runs one line
 * ahead of stage two). slot (0 or 1) picks the scanner whose scratch holds this line's record. */
typedef void (*stage_fn)(run *r, staged *s, int slot);
/* Stage two: everything else, in line order. BM_OK to go on, anything else stops the file. */
typedef int (*line_fn)(run *r, const char *uri, staged *s, bm_error *err);

static int each_open_line(run *r, const char *uri, bm__lines *lines, uint64_t *files, uint64_t *records,
                          uint64_t *malformed, stage_fn one, line_fn two, bm_error *err);

/* Reads uri line by line (empty lines skipped) as a two-stage pipeline: stage one of line i
 * runs before stage two of line i - 1, so a memory access that stage one starts (the join
 * table's slot for the record's id) has arrived by the time stage two needs it. Line i - 1
 * stays valid meanwhile: it is finished before the reader has to refill. A line that cannot be
 * read (longer than MAX_LINE: skipped; a read error: the rest of the file is lost) counts in
 * *malformed, and in *records unless records is NULL (stage two counts the other lines). */
static int each_line(run *r, const char *uri, uint64_t *files, uint64_t *records, uint64_t *malformed, stage_fn one,
                     line_fn two, bm_error *err)
{
    bm__lines l;
    int rc = bm__lines_open(&l, uri, MAX_LINE, err);
    if (rc) return rc == BM_ENOMEM ? rc : (note_problem(r, uri, 0, "cannot read: %s", err->msg), BM_OK);
    return each_open_line(r, uri, &l, files, records, malformed, one, two, err);
}

/* each_line over an object a sequence opened (it->reader, which this takes) or could not open
 * (it->error). */
static int each_item_line(run *r, bm_store_item *it, uint64_t *files, uint64_t *records, uint64_t *malformed,
                          stage_fn one, line_fn two, bm_error *err)
{
    bm__lines l;
    int rc;
    if (it->reader) {
        rc = bm__lines_take(&l, it->reader, MAX_LINE, err);
    } else {
        *err = it->error;
        rc = err->code ? err->code : BM_EIO;
    }
    it->reader = NULL;
    if (rc) return rc == BM_ENOMEM ? rc : (note_problem(r, it->uri, 0, "cannot read: %s", err->msg), BM_OK);
    return each_open_line(r, it->uri, &l, files, records, malformed, one, two, err);
}

/* each_line's loop over lines already open (closed here). */
static int each_open_line(run *r, const char *uri, bm__lines *lines, uint64_t *files, uint64_t *records,
                          uint64_t *malformed, stage_fn one, line_fn two, bm_error *err)
{
    bm__lines l = *lines;
    int rc;
    (*files)++;
    staged *prev = NULL;
    int slot = 0;
    for (;;) {
        if (prev && !bm__lines_ready(&l)) {
            rc = two(r, uri, prev, err);
            prev = NULL;
            if (rc) break;
        }
        bm_slice line;
        int done;
        bm_error e;
        e.code = 0;
        e.msg[0] = e.path[0] = e.file[0] = 0;
        e.line = e.col = 0;
        if ((rc = bm__lines_next(&l, &line, &done, &e))) {
            if (rc == BM_ENOMEM) break;
            (*malformed)++;
            if (records) (*records)++;
            note_problem(r, uri, e.line ? e.line : l.line + 1, "%s", e.msg);
            if (rc == BM_ELIMIT) { /* a line too long: skipped, the file goes on */
                rc = BM_OK;
                continue;
            }
            rc = BM_OK; /* cannot read on: the rest of the file is lost, and said so */
            break;
        }
        if (done) break;
        if (!line.n) continue;
        staged *s = &r->stage[slot];
        s->lineno = l.line;
        s->line = line;
        s->scanned = 0;
        if (one) one(r, s, slot);
        slot ^= 1;
        if (prev && (rc = two(r, uri, prev, err))) {
            prev = NULL;
            break;
        }
        prev = s;
    }
    if (prev && !rc) rc = two(r, uri, prev, err);
    bm__lines_close(&l);
    return rc;
}

/* Scans s->line into s->rec with the scanner of slot, unless a stage one already did. */
static void scan_record(run *r, staged *s, int slot)
{
    if (s->scanned) return;
    s->e.code = 0;
    s->e.msg[0] = s->e.path[0] = s->e.file[0] = 0;
    s->rc = bm_capture_scan(r->scan[slot], s->line.p, s->line.n, &s->rec, &s->e);
    s->scanned = 1;
}

/* The scan of s as a usable record: 1 when s->rec is usable, 0 when the line was malformed
 * (counted in *malformed, noted with its JSON path), -1 when memory ran out. */
static int scanned_record(run *r, const char *uri, staged *s, uint64_t *malformed, bm_error *err)
{
    scan_record(r, s, 0);
    if (!s->rc) return 1;
    if (s->rc == BM_ENOMEM) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return -1;
    }
    (*malformed)++;
    char msg[600];
    snprintf(msg, sizeof(msg), "%s%s%s", s->e.path, s->e.path[0] ? ": " : "", s->e.msg);
    note_problem(r, uri, s->lineno, "%s", msg);
    return 0;
}

static int gt_line(run *r, const char *uri, staged *s, bm_error *err)
{
    int ok = scanned_record(r, uri, s, &r->malformed_gt, err);
    if (ok <= 0) return ok < 0 ? BM_ENOMEM : BM_OK;
    const bm_capture_record *rec = &s->rec;
    long lineno = s->lineno;
    if (!rec->ground_truth.present || !rec->event_id.n) {
        r->malformed_gt++;
        note_problem(r, uri, lineno, "%s", !rec->ground_truth.present ? "ground-truth record without groundTruthData"
                                                                      : "ground-truth record without eventMetadata.eventId");
        return BM_OK;
    }
    int enc = encoding_code(rec->ground_truth.encoding);
    if (enc == BM__ENC_OTHER) {
        r->malformed_gt++;
        note_problem(r, uri, lineno, "%s", "groundTruthData.encoding must be CSV, JSON or BASE64");
        return BM_OK;
    }
    r->gt_records++;
    int json = enc == BM__ENC_JSON || content_is_json(rec->ground_truth.content_type);
    int rc = bm__gt_put(&r->gt, rec->event_id, rec->ground_truth.data, enc, json);
    if (rc == BM_ELIMIT)
        return bm_error_set(err, BM_ELIMIT, "more ground truth than biasmon holds at once (%zu ids or 4 GiB of "
                                            "labels): shorten the window so that fewer hours of ground truth "
                                            "are read", r->gt.max);
    if (rc) return bm_error_set(err, rc, "out of memory");
    return BM_OK;
}

static int read_gt_file(run *r, bm_store_item *it, bm_error *err)
{
    const char *uri = it->uri;
    /* size the join table from the file (a record is rarely under 100 bytes) instead of growing it */
    char path[4096];
    struct stat st;
    bm_error ignored;
    if (!bm_store_local_path(uri, path, sizeof(path), &ignored) && !stat(path, &st) && st.st_size > 0) {
        r->gt_bytes_seen += (uint64_t)st.st_size;
        int rc = bm__gt_reserve(&r->gt, (size_t)(r->gt_bytes_seen / 100), (size_t)(r->gt_bytes_seen / 3));
        if (rc) return bm_error_set(err, rc, "out of memory");
    }
    return each_item_line(r, it, &r->gt_files, NULL, &r->malformed_gt, NULL, gt_line, err);
}

static int read_ground_truth(run *r, bm_error *err)
{
    const char *root = r->jd->ground_truth_uri;
    snprintf(r->gt_root, sizeof(r->gt_root), "%s", root);
    hours hs = {0};
    int rc = existing_hours(root, bm_time_hour_floor(r->ws), bm_time_hour_floor(r->T), &hs, err);
    folder_walk w = {.root = root, .hs = &hs};
    if (!rc) rc = read_walk(r, &w, read_gt_file, err);
    hours_release(&hs);
    if (rc == BM_ENOMEM) return rc;
    if (rc) {
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        fail_run(r, "cannot read ground truth: %s", msg);
        return BM_OK;
    }
    if (bm__gt_index(&r->gt)) return bm_error_set(err, BM_ENOMEM, "out of memory");
    return BM_OK;
}

/* ==================================================================== capture */

/* Row `row` of the record into cube c, with its label (NULL: none). A row of text values (CSV
 * payloads and labels) goes through the cube's memoized CSV path, which types a text it has seen
 * in the column before without parsing it again; a row with a JSON value goes as typed cells.
 * Both give the same cube. */
static int add_row(run *r, bm_cube *c, size_t row, const bm__xval *label, bm_error *err)
{
    const bm__extractor *x = &r->x;
    const bm__xval *feat = &x->features.v[row * r->nfeat], *pred = &x->preds.v[row];
    int text = !pred->json && !(label && label->json);
    for (size_t k = 0; text && k < r->nfeat; k++) text = !feat[k].json;
    if (text) {
        for (size_t k = 0; k < r->nfeat; k++) r->fields[k] = bm__xval_text(x, &feat[k]);
        r->fields[r->nfeat] = label ? bm__xval_text(x, label) : (bm_slice){"", 0}; /* "" is missing */
        r->fields[r->nfeat + 1] = bm__xval_text(x, pred);
        return bm_cube_add_csv(c, r->fields, r->ncols, err);
    }
    for (size_t k = 0; k < r->nfeat; k++) bm__xval_cell(x, &feat[k], &r->cells[k]);
    if (label) {
        bm__xval_cell(x, label, &r->cells[r->nfeat]);
    } else {
        memset(&r->cells[r->nfeat], 0, sizeof(bm_cell));
        r->cells[r->nfeat].kind = BM_CELL_MISSING;
        r->cells[r->nfeat].f = NAN;
    }
    bm__xval_cell(x, pred, &r->cells[r->nfeat + 1]);
    return bm_cube_add(c, r->cells, err);
}

/* The extracted rows of one in-window record (features and predictions in r->x): joined with
 * ground truth by key, into the cubes. event is the record's eventId (batch: its key). A record
 * whose ground truth was already joined by the same eventId is a second delivery of one
 * invocation: counted as a duplicate and left out, so that one label never counts twice. (A
 * duplicate of a record without ground truth is not recognised: that would take memory per
 * captured record; it counts twice in capture_records_without_ground_truth.) */
static int take_rows(run *r, bm_slice key, uint64_t key_hash, bm_slice event, bm_error *err)
{
    bm__extractor *x = &r->x;
    int rc;
    if (x->nfeat_rows != x->preds.n) {
        snprintf(x->why, sizeof(x->why), "the invocation has %zu input records but %zu predictions",
                 x->nfeat_rows, x->preds.n);
        return BM_EDATA;
    }
    bm__gt_entry *gt = bm__gt_find(&r->gt, key, key_hash);
    int labelled = 0;
    uint32_t tag = 0;
    if (gt) {
        tag = bm__gt_event_tag(event.n && event.p != key.p ? bm__gt_hash(event) : key_hash);
        if (gt->matched && gt->event_tag == tag) {
            r->duplicate_capture++;
            return BM_OK;
        }
    }
    if (gt) {
        if ((rc = bm__extract_labels(x, bm__gt_data(&r->gt, gt), gt->encoding, gt->json)) == BM_ENOMEM)
            return bm_error_set(err, rc, "out of memory");
        if (!rc && x->labels.n != x->nfeat_rows) {
            snprintf(x->why, sizeof(x->why), "the invocation has %zu records but its ground truth has %zu labels",
                     x->nfeat_rows, x->labels.n);
            rc = BM_EDATA;
        }
        if (rc) {
            r->malformed_gt++;
            char where[600];
            snprintf(where, sizeof(where), "ground truth for id %.*s", (int)(key.n > 100 ? 100 : key.n), key.p);
            note_problem(r, where, 0, "%s", x->why);
        } else {
            labelled = 1;
            if (!gt->matched) gt->event_tag = tag & ((1u << 27) - 1);
            gt->matched = 1;
        }
    } else {
        r->unjoined_capture++;
        if (!r->first_unmatched_capture[0])
            snprintf(r->first_unmatched_capture, sizeof(r->first_unmatched_capture), "%.*s",
                     (int)(key.n > 200 ? 200 : key.n), key.p);
    }
    for (size_t row = 0; row < x->nfeat_rows; row++) {
        if ((rc = add_row(r, r->all, row, NULL, err))) return rc;
        if (labelled) {
            if ((rc = add_row(r, r->joined, row, &x->labels.v[row], err))) return rc;
            r->rows++;
        }
    }
    if (labelled) r->joined_records++;
    return BM_OK;
}

/* Ground truth joins on the caller's inferenceId when the record has one, else on its eventId. */
static bm_slice join_key(const bm_capture_record *rec)
{
    return rec->inference_id.n ? rec->inference_id : rec->event_id;
}

/* One in-window endpoint capture record. */
static int take_record(run *r, const char *uri, long line, const bm_capture_record *rec, uint64_t key_hash,
                       bm_error *err)
{
    bm__extractor *x = &r->x;
    bm__extractor_reset(x);
    int rc = bm__extract_features(x, &rec->input);
    if (!rc) rc = bm__extract_predictions(x, &rec->output);
    if (!rc) rc = take_rows(r, join_key(rec), key_hash, rec->event_id.n ? rec->event_id : join_key(rec), err);
    if (rc == BM_ENOMEM) return bm_error_set(err, rc, "out of memory");
    if (rc == BM_EDATA) {
        in_window_problem(r, uri, line);
        return BM_OK;
    }
    return rc;
}

/* Stage one of a capture line: scan it, hash its join key and start loading the key's slot. */
static void capture_scan(run *r, staged *s, int slot)
{
    scan_record(r, s, slot);
    if (s->rc) return;
    bm_slice key = join_key(&s->rec);
    if (!key.n) return;
    s->key_hash = bm__gt_hash(key);
    bm__gt_prefetch(&r->gt, s->key_hash);
}

static int capture_line(run *r, const char *uri, staged *s, bm_error *err)
{
    r->capture_records++;
    int ok = scanned_record(r, uri, s, &r->malformed_capture, err);
    if (ok <= 0) return ok < 0 ? BM_ENOMEM : BM_OK;
    const bm_capture_record *rec = &s->rec;
    long lineno = s->lineno;
    int64_t t;
    bm_error e;
    e.code = 0;
    if (!rec->inference_time.n || bm_time_parse(rec->inference_time.p, rec->inference_time.n, &t, &e)) {
        r->malformed_capture++;
        note_problem(r, uri, lineno, "%s", rec->inference_time.n ? "eventMetadata.inferenceTime is not a UTC time"
                                                                : "no eventMetadata.inferenceTime");
        return BM_OK;
    }
    if (t < r->ws || t >= r->we) {
        r->outside_window++;
        return BM_OK;
    }
    if (!rec->event_id.n && !rec->inference_id.n) {
        r->malformed_capture++;
        note_problem(r, uri, lineno, "%s", "no eventMetadata.eventId or inferenceId to join ground truth on");
        return BM_OK;
    }
    r->in_window++;
    return take_record(r, uri, lineno, rec, s->key_hash, err);
}

static int read_capture_file(run *r, bm_store_item *it, bm_error *err)
{
    return each_item_line(r, it, &r->capture_files, &r->capture_records, &r->malformed_capture, capture_scan,
                     capture_line, err);
}

static int read_capture(run *r, bm_error *err)
{
    const bm_job_input *in = &r->jd->input;
    if (!r->p->capture_uri) {
        fail_run(r, "the endpoint's capture destination is unknown: pass the endpoint's "
                    "DataCaptureConfig.DestinationS3Uri (biasmon execute --capture-uri URI)");
        return BM_OK;
    }
    char root[4096];
    if (bm_uri_join(r->p->capture_uri, in->endpoint_name, root, sizeof(root))) {
        fail_run(r, "the capture URI (%zu bytes) with the endpoint name is longer than %zu bytes: use a shorter "
                    "DataCaptureConfig.DestinationS3Uri (--capture-uri)",
                 strlen(r->p->capture_uri), sizeof(root) - 1);
        return BM_OK;
    }
    snprintf(r->capture_root, sizeof(r->capture_root), "%s", root);
    bm_strlist variants = {0};
    int rc = bm_store_list(root, 1, 10000, &variants, err);
    if (rc) {
        bm_strlist_release(&variants);
        if (rc == BM_ENOMEM) return rc;
        fail_run(r, "cannot list capture variants under %s: %s", root, err->msg);
        return BM_OK;
    }
    /* the hours that exist for any variant, read hour by hour across the variants */
    hours hs = {0};
    for (size_t v = 0; !rc && v < variants.n; v++) {
        char vdir[4096];
        hours one = {0};
        if (bm_uri_join(root, variants.v[v], vdir, sizeof(vdir)))
            rc = bm_error_set(err, BM_ELIMIT, "the variant folder %s under %s has a URI longer than %zu bytes",
                              variants.v[v], root, sizeof(vdir) - 1);
        else if (!(rc = existing_hours(vdir, bm_time_hour_floor(r->ws), bm_time_hour_floor(r->we - 1), &one, err)) &&
                 hours_merge(&hs, &one))
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        hours_release(&one);
    }
    folder_walk w = {.root = root, .variants = &variants, .hs = &hs};
    if (!rc) rc = read_walk(r, &w, read_capture_file, err);
    hours_release(&hs);
    bm_strlist_release(&variants);
    if (rc == BM_ENOMEM) return rc;
    if (rc) {
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        fail_run(r, "%s: %s", rc == BM_ELIMIT ? "the capture data goes beyond a bound of biasmon" : "cannot read capture data",
                 msg);
    }
    return BM_OK;
}

/* ==================================================================== batch transform */

static int batch_time_ok(run *r, const char *uri, long line, bm_slice t_text, int *in_window)
{
    int64_t t;
    bm_error e;
    bm_error_clear(&e);
    *in_window = 0;
    if (!t_text.n || bm_time_parse(t_text.p, t_text.n, &t, &e)) {
        r->malformed_capture++;
        note_problem(r, uri, line, "%s", t_text.n ? "SageMakerInferenceTime is not a UTC time" : "no SageMakerInferenceTime");
        return 0;
    }
    if (t < r->ws || t >= r->we) {
        r->outside_window++;
        return 1;
    }
    r->in_window++;
    *in_window = 1;
    return 1;
}

static int batch_row_done(run *r, const char *uri, long line, bm_slice key, int rc, bm_error *err)
{
    uint64_t h = bm__gt_hash(key);
    if (!rc) rc = take_rows(r, key, h, key, err);
    if (rc == BM_ENOMEM) return bm_error_set(err, rc, "out of memory");
    if (rc == BM_EDATA) {
        in_window_problem(r, uri, line);
        return BM_OK;
    }
    return rc;
}

/* A CSV output object: each line ends with the inference id and time columns. */
static int read_batch_csv(run *r, const char *uri, bm_error *err)
{
    /* an object that is not a local file (s3://) is read from a temporary copy */
    char path[4096];
    int temporary = 0, fd = -1;
    int rc = bm_store_local_copy(uri, path, sizeof(path), &temporary, err);
    /* the copy is biasmon's own file under $TMPDIR, outside the folders a confined worker may
     * name: it is opened as made, and the object's URI is what errors name */
    if (!rc && temporary && (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        rc = bm_error_set(err, BM_EIO, "cannot open the local copy of %.300s: %s", uri, strerror(errno));
    if (!rc && !temporary) rc = bm_store_open_fd(uri, &fd, err);
    if (temporary) unlink(path); /* the open descriptor stays readable */
    bm_csv *csv = rc ? NULL : bm_csv_open_fd(fd, uri, NULL, err);
    if (!csv) return err->code == BM_ENOMEM ? BM_ENOMEM : (note_problem(r, uri, 0, "cannot read: %s", err->msg), BM_OK);
    r->capture_files++;
    int header = r->jd->input.csv_header;
    for (;;) {
        bm_csv_record rec;
        bm_error e;
        bm_error_clear(&e);
        if ((rc = bm_csv_next(csv, &rec, &e))) {
            if (rc == BM_ENOMEM) break;
            r->malformed_capture++;
            note_problem(r, uri, e.line, "%s", e.msg);
            rc = BM_OK;
            break;
        }
        if (!rec.nfields) break;
        if (header) {
            header = 0;
            continue;
        }
        r->capture_records++;
        if (rec.nfields < 3) {
            r->malformed_capture++;
            note_problem(r, uri, rec.line, "%s", "a batch output line needs the SageMakerInferenceId and time columns (GenerateInferenceId)");
            continue;
        }
        int in_window;
        if (!batch_time_ok(r, uri, rec.line, rec.fields[rec.nfields - 1], &in_window) || !in_window) continue;
        /* the fields live in the tokenizer: copy the id before extraction reuses memory */
        char key[256];
        bm_slice idf = rec.fields[rec.nfields - 2];
        size_t kn = idf.n < sizeof(key) ? idf.n : sizeof(key) - 1;
        memcpy(key, idf.p, kn);
        bm__extractor_reset(&r->x);
        int xr = bm__extract_batch_csv(&r->x, rec.fields, rec.nfields - 2);
        bm_slice k = {key, kn};
        if ((rc = batch_row_done(r, uri, rec.line, k, xr, err))) break;
    }
    bm_csv_close(csv);
    return rc;
}

/* A JSON Lines batch output record: the id and time are members of the record, or wrap it. */
static int batch_json_line(run *r, const char *uri, staged *s, bm_error *err)
{
    bm_slice line = s->line;
    long lineno = s->lineno;
    r->capture_records++;
    json_error_t je;
    json_t *doc = json_loadb(line.p, line.n, 0, &je);
    json_t *id = doc ? json_object_get(doc, "SageMakerInferenceId") : NULL;
    json_t *tm = doc ? json_object_get(doc, "SageMakerInferenceTime") : NULL;
    if (!doc || !json_is_string(id) || !json_is_string(tm)) {
        r->malformed_capture++;
        char what[JSON_ERROR_TEXT_LENGTH];
        note_problem(r, uri, lineno, "%s", !doc ? bm_json_error_what(&je, what, sizeof(what)) : "no SageMakerInferenceId / SageMakerInferenceTime (GenerateInferenceId)");
        json_decref(doc);
        return BM_OK;
    }
    bm_slice ts = {json_string_value(tm), json_string_length(tm)};
    int in_window, rc = BM_OK;
    if (batch_time_ok(r, uri, lineno, ts, &in_window) && in_window) {
        json_t *body = json_object_get(doc, "SageMakerOutput");
        bm__extractor_reset(&r->x);
        int xr = bm__extract_batch_json(&r->x, body ? body : doc);
        bm_slice k = {json_string_value(id), json_string_length(id)};
        rc = batch_row_done(r, uri, lineno, k, xr, err);
    }
    json_decref(doc);
    return rc;
}

static int read_batch_json(run *r, const char *uri, bm_error *err)
{
    return each_line(r, uri, &r->capture_files, &r->capture_records, &r->malformed_capture, NULL, batch_json_line,
                     err);
}

/* A manifest: [{"prefix": URI}, "relative key", ...]. */
static int read_manifest(run *r, const char *uri, bm_error *err)
{
    bm_buf b;
    bm_buf_init(&b, 64u << 20);
    int rc = bm_store_read(uri, 64u << 20, &b, err);
    if (rc) {
        bm_buf_release(&b);
        if (rc == BM_ENOMEM) return rc;
        note_problem(r, uri, 0, "cannot read manifest: %s", err->msg);
        return BM_OK;
    }
    json_error_t je;
    json_t *m = json_loadb(b.data ? b.data : "", b.len, 0, &je);
    bm_buf_release(&b);
    json_t *first = json_is_array(m) ? json_array_get(m, 0) : NULL;
    json_t *prefix = first ? json_object_get(first, "prefix") : NULL;
    if (!json_is_string(prefix)) {
        r->malformed_capture++;
        note_problem(r, uri, 0, "%s", "not a manifest: expected [{\"prefix\": ...}, \"key\", ...]");
        json_decref(m);
        return BM_OK;
    }
    rc = BM_OK;
    for (size_t k = 1; !rc && k < json_array_size(m); k++) {
        json_t *rel = json_array_get(m, k);
        if (!json_is_string(rel)) continue;
        char obj[4096];
        const char *p = json_string_value(prefix), *q = json_string_value(rel);
        if (!*q) snprintf(obj, sizeof(obj), "%s", p);
        else if (bm_uri_join(p, q, obj, sizeof(obj))) {
            r->malformed_capture++;
            note_problem(r, uri, 0, "%s", "a manifest entry whose URI is longer than 4095 bytes: skipped");
            continue;
        }
        rc = r->jd->input.format == BM_FORMAT_CSV ? read_batch_csv(r, obj, err) : read_batch_json(r, obj, err);
    }
    json_decref(m);
    return rc;
}

static int read_batch(run *r, bm_error *err)
{
    const bm_job_input *in = &r->jd->input;
    if (in->format == BM_FORMAT_PARQUET) {
        fail_run(r, "BatchTransformInput.DatasetFormat.Parquet is not readable by biasmon: use Csv or Json");
        return BM_OK;
    }
    char root[4096];
    if (bm_uri_join(in->data_captured_destination, "output", root, sizeof(root))) {
        fail_run(r, "BatchTransformInput.DataCapturedDestinationS3Uri is longer than %zu bytes: use a shorter one",
                 sizeof(root) - 8);
        return BM_OK;
    }
    snprintf(r->capture_root, sizeof(r->capture_root), "%s", root);
    hours hs = {0};
    int rc = existing_hours(root, bm_time_hour_floor(r->ws), bm_time_hour_floor(r->we - 1), &hs, err);
    for (size_t i = 0; !rc && i < hs.n; i++) {
        char key[32], prefix[4096];
        hour_key(hs.v[i], key, sizeof(key));
        if (bm_uri_join(root, key, prefix, sizeof(prefix))) {
            rc = bm_error_set(err, BM_ELIMIT, "the hour folder %s under %s has a URI longer than %zu bytes", key,
                              root, sizeof(prefix) - 1);
            break;
        }
        bm_strlist files = {0};
        rc = bm_store_list(prefix, 0, MAX_LIST, &files, err);
        for (size_t k = 0; !rc && k < files.n; k++) {
            char uri[4096];
            if (bm_uri_join(prefix, files.v[k], uri, sizeof(uri)))
                rc = bm_error_set(err, BM_ELIMIT, "a file in %s has a URI longer than %zu bytes", prefix,
                                  sizeof(uri) - 1);
            else
                rc = read_manifest(r, uri, err);
        }
        bm_strlist_release(&files);
    }
    hours_release(&hs);
    if (rc == BM_ENOMEM) return rc;
    if (rc) {
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        fail_run(r, "%s: %s",
                 rc == BM_ELIMIT ? "the batch transform output goes beyond a bound of biasmon"
                                 : "cannot read batch transform output",
                 msg);
    }
    return BM_OK;
}

/* ==================================================================== the verdict */

static void explain_no_data(run *r)
{
    char a[32], b[32], h1[32], h2[32];
    bm_time_format(r->ws, a, sizeof(a));
    bm_time_format(r->we, b, sizeof(b));
    hour_label(r->ws, h1, sizeof(h1));
    hour_label(r->we - 1, h2, sizeof(h2));
    if (r->capture_files == 0) {
        fail_run(r, "no capture files under %s/%s for hours %s..%s (window [%s, %s))", r->capture_root,
                 r->jd->input.batch ? "" : "*/", h1, h2 + 11, a, b);
    } else if (r->in_window == 0 && r->malformed_capture == 0) {
        fail_run(r, "%llu capture records read from %llu files, none with eventMetadata.inferenceTime in "
                    "the window [%s, %s)",
                 (unsigned long long)r->capture_records, (unsigned long long)r->capture_files, a, b);
    } else if (r->in_window == 0) {
        fail_run(r, "%llu capture records read, %llu malformed (first: %s:%ld: %s), none usable in the "
                    "window [%s, %s)",
                 (unsigned long long)r->capture_records, (unsigned long long)r->malformed_capture,
                 r->nfirst ? r->first[0].file : "?", r->nfirst ? r->first[0].line : 0L,
                 r->nfirst ? r->first[0].reason : "?", a, b);
    } else if (r->rows == 0 && r->malformed_in_window && !r->joined_records && !r->unjoined_capture &&
               !r->duplicate_capture) {
        /* no record reached the join: the cause is what made them unusable, not a missing id */
        fail_run(r, "%llu capture records in window, none usable: %llu malformed, first %s:%ld: %s",
                 (unsigned long long)r->in_window, (unsigned long long)r->malformed_in_window,
                 r->first_in_window.file, r->first_in_window.line, r->first_in_window.reason);
    } else if (r->rows == 0) {
        char g1[32], g2[32];
        hour_label(r->ws, g1, sizeof(g1));
        hour_label(r->T, g2, sizeof(g2));
        if (r->gt_records == 0)
            fail_run(r, "%llu capture records in window, 0 joined ground truth: no ground-truth records "
                        "under %s/ for hours %s..%s",
                     (unsigned long long)r->in_window, r->gt_root, g1, g2 + 11);
        else
            fail_run(r, "%llu capture records in window, 0 joined ground truth: first unmatched id %s "
                        "(joined on inferenceId when present, else eventId); %llu ground-truth records "
                        "under %s/ for hours %s..%s, first id %s",
                     (unsigned long long)r->in_window,
                     r->first_unmatched_capture[0] ? r->first_unmatched_capture : "(malformed records only)",
                     (unsigned long long)r->gt_records, r->gt_root, g1, g2 + 11,
                     r->first_unmatched_gt[0] ? r->first_unmatched_gt : "?");
    }
}

static json_t *account_json(run *r, json_t *groups)
{
    char sched[32], a[32], b[32], g[32];
    bm_time_format(r->T, sched, sizeof(sched));
    bm_time_format(r->ws, a, sizeof(a));
    bm_time_format(r->we, b, sizeof(b));
    bm_time_format(bm_time_hour_floor(r->ws), g, sizeof(g));
    json_t *first = json_array();
    for (size_t k = 0; first && k < r->nfirst; k++)
        json_array_append_new(first, json_pack("{s:s,s:I,s:s}", "file", r->first[k].file, "line",
                                               (json_int_t)r->first[k].line, "reason", r->first[k].reason));
    const bm_job_definition *jd = r->jd;
    json_t *o = json_pack(
        "{s:s,s:s,s:o,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o,s:o,s:o,s:o,s:I}",
        "MonitoringScheduleName", r->p->schedule_name ? r->p->schedule_name : jd->name, "JobDefinitionName", jd->name,
        "EndpointName", jd->input.endpoint_name ? json_string(jd->input.endpoint_name) : json_null(),
        "ScheduledTime", sched, "Status", bm_exec_status_name(r->res->status), "FailureReason", r->res->failure_reason,
        "window", "start", a, "end", b, "ground_truth_hours", "start", g, "end", sched, "counts",
        "capture_files", (json_int_t)r->capture_files, "capture_records", (json_int_t)r->capture_records,
        "records_in_window", (json_int_t)r->in_window, "records_outside_window", (json_int_t)r->outside_window,
        "malformed_capture_records", (json_int_t)r->malformed_capture, "ground_truth_files", (json_int_t)r->gt_files,
        "ground_truth_records", (json_int_t)r->gt_records, "malformed_ground_truth_records", (json_int_t)r->malformed_gt,
        "duplicate_ground_truth_ids", (json_int_t)r->gt.duplicates,
        "duplicate_capture_records", (json_int_t)r->duplicate_capture, "joined_records", (json_int_t)r->joined_records,
        "rows", (json_int_t)r->rows, "capture_records_without_ground_truth", (json_int_t)r->unjoined_capture,
        "ground_truth_without_capture", (json_int_t)r->gt_unmatched,
        "first_malformed", first ? first : json_array(),
        "first_unmatched_capture_id", r->first_unmatched_capture[0] ? json_string(r->first_unmatched_capture) : json_null(),
        "first_unmatched_ground_truth_id", r->first_unmatched_gt[0] ? json_string(r->first_unmatched_gt) : json_null(),
        "facet_groups", groups ? groups : json_object(), "violations", (json_int_t)r->res->violations);
    /* metrics a baseline could not check (null without a baseline or before the check) */
    if (o && json_object_set_new(o, "baseline_unchecked_metrics", r->unchecked ? json_incref(r->unchecked) : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Merges the group sizes of all in-window rows and of labelled rows into one report. */
static json_t *facet_groups(run *r, bm_error *err)
{
    json_t *all = NULL, *lab = NULL;
    if (bm_cube_facet_groups(r->all, &all, err) || bm_cube_facet_groups(r->joined, &lab, err)) {
        json_decref(all);
        return NULL;
    }
    const char *facet;
    json_t *entries;
    json_object_foreach(all, facet, entries) {
        json_t *le = json_object_get(lab, facet);
        size_t i;
        json_t *e;
        if (!json_is_array(entries)) continue;
        json_array_foreach(entries, i, e) {
            json_t *match = NULL;
            size_t j;
            json_t *f;
            if (json_is_array(le))
                json_array_foreach(le, j, f) if (json_equal(json_object_get(f, "value_or_threshold"),
                                                            json_object_get(e, "value_or_threshold"))) match = f;
            json_object_set_new(e, "labelled_rows", json_integer(match ? json_integer_value(json_object_get(match, "rows")) : 0));
            json_object_set_new(e, "other_labelled_rows",
                                json_integer(match ? json_integer_value(json_object_get(match, "other_rows")) : 0));
        }
    }
    json_decref(lab);
    return all;
}

static int output_folder(run *r)
{
    const bm_job_definition *jd = r->jd;
    bm_civil c;
    bm_time_civil(r->T, &c);
    const char *sched = r->p->schedule_name ? r->p->schedule_name : jd->name;
    int w;
    if (jd->input.batch)
        w = snprintf(r->res->output_uri, sizeof(r->res->output_uri), "%s/%s/%04d/%02d/%02d/%02d", jd->output_uri,
                     sched, c.year, c.month, c.day, c.hour);
    else
        w = snprintf(r->res->output_uri, sizeof(r->res->output_uri), "%s/%s/%s/%04d/%02d/%02d/%02d", jd->output_uri,
                     jd->input.endpoint_name, sched, c.year, c.month, c.day, c.hour);
    return w > 0 && (size_t)w < sizeof(r->res->output_uri) ? BM_OK : BM_ELIMIT;
}

/* Reads the baseline and checks the analysis against it: *violations, or the run Failed with a
 * reason that says what the baseline lacks. Only BM_ENOMEM is returned as an error. */
static int check_baseline(run *r, json_t *analysis, json_t **violations)
{
    bm_buf b;
    bm_buf_init(&b, 64u << 20);
    json_t *base = NULL;
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_store_read(r->jd->baseline_uri, 64u << 20, &b, &e);
    if (!rc) {
        json_error_t je;
        base = json_loadb(b.data ? b.data : "", b.len, 0, &je);
        char what[JSON_ERROR_TEXT_LENGTH];
        if (!base)
            snprintf(e.msg, sizeof(e.msg), "invalid JSON at line %d, column %d: %s", je.line, je.column,
                     bm_json_error_what(&je, what, sizeof(what)));
    }
    bm_buf_release(&b);
    if (!base) {
        fail_run(r, "cannot use the baseline %s: %s", r->jd->baseline_uri, e.msg);
        return BM_OK;
    }
    rc = bm_violations_check(analysis, base, violations, &r->res->violations, &r->unchecked,
                             &r->res->baseline_unchecked, &e);
    json_decref(base);
    if (rc == BM_ENOMEM) return rc;
    if (rc) fail_run(r, "cannot use the baseline %s: %s: %s", r->jd->baseline_uri, e.path, e.msg);
    return BM_OK;
}

/* The outputs beside execution.json, in the order they are written. */
enum { OUT_ANALYSIS, OUT_VIOLATIONS, OUT_METRICS, NOUT };
static const char *const out_name[NOUT] = {"analysis.json", "constraint_violations.json", "cloudwatch_metrics.jsonl"};

static int render_json(json_t *v, bm_buf *b, bm_error *err, const char *name)
{
    int rc = bm_json_write(v, 2, b);
    if (!rc) rc = bm_buf_putc(b, '\n');
    return rc ? bm_error_set(err, rc, "cannot render %s", name) : BM_OK;
}

/* Removes the outputs k < n of the folder (those of an earlier run, or this run's own when the
 * set cannot be completed); the first failure is kept in err. */
static int remove_outputs(const char *dir, int n, bm_error *err)
{
    int rc = BM_OK;
    for (int k = 0; k < n; k++) {
        char uri[4200];
        bm_error e;
        bm_error_clear(&e);
        int r = bm_uri_join(dir, out_name[k], uri, sizeof(uri));
        if (!r) r = bm_store_remove(uri, &e);
        if (r && !rc) {
            rc = r;
            *err = e;
        }
    }
    return rc;
}

/* Writes the rendered outputs (body[k] when have[k]) so that a folder holds a complete set or
 * none: execution.json of an earlier run goes first (nothing pairs it with new outputs), then
 * every output this run does not write, then this run's, and execution.json last (finish). When
 * a write fails (a full disk, a quota) the outputs written are removed and the run is Failed
 * with the write's error. Returns an error only when the folder cannot be cleared. */
static int commit_outputs(run *r, bm_buf body[NOUT], const int have[NOUT], bm_error *err)
{
    const char *dir = r->res->output_uri;
    char uri[4200];
    int rc = bm_uri_join(dir, "execution.json", uri, sizeof(uri));
    if (!rc) rc = bm_store_remove(uri, err);
    for (int k = 0; !rc && k < NOUT; k++) {
        if (have[k]) continue;
        if (!(rc = bm_uri_join(dir, out_name[k], uri, sizeof(uri)))) rc = bm_store_remove(uri, err);
    }
    if (rc) return rc;
    for (int k = 0; k < NOUT; k++) {
        if (!have[k]) continue;
        bm_error e;
        bm_error_clear(&e);
        rc = bm_uri_join(dir, out_name[k], uri, sizeof(uri));
        if (!rc) rc = bm_store_write(uri, body[k].data ? body[k].data : "", body[k].len, &e);
        if (rc == BM_OK) continue;
        if (rc == BM_ENOMEM) return bm_error_set(err, rc, "out of memory");
        char msg[1200];
        bm_error_format(&e, msg, sizeof(msg));
        /* the set cannot be complete: none of it stays */
        if (remove_outputs(dir, NOUT, err)) return err->code;
        fail_run(r, "cannot write the outputs: %s: free space (or raise the quota) there and run the "
                    "execution again", msg);
        r->res->violations = 0;
        return BM_OK;
    }
    return BM_OK;
}

static int finish(run *r, bm_error *err)
{
    int rc = BM_OK;
    json_t *analysis = NULL, *violations = NULL, *groups = NULL;
    bm_buf body[NOUT];
    int have[NOUT] = {0};
    for (int k = 0; k < NOUT; k++) bm_buf_init(&body[k], (size_t)1 << 30);
    const char *out = r->res->output_uri;
    /* everything is rendered before anything is written */
    if (r->res->status != BM_EXEC_FAILED) {
        if ((rc = bm_cube_analyze(r->joined, 0, &analysis, err))) goto out;
        /* the baseline first: a Failed execution writes execution.json alone */
        if (r->jd->baseline_uri) {
            if ((rc = check_baseline(r, analysis, &violations))) {
                bm_error_set(err, rc, "out of memory");
                goto out;
            }
        } else if (r->jd->baselining_job_name) {
            fail_run(r, "ModelBiasBaselineConfig.BaseliningJobName needs biasmon serve; for biasmon "
                        "execute give ConstraintsResource.S3Uri (a baseline analysis.json)");
        }
        int k = OUT_ANALYSIS; /* the output being rendered */
        if (r->res->status != BM_EXEC_FAILED) {
            rc = render_json(analysis, &body[k], err, out_name[k]);
            have[k] = !rc;
            if (!rc && violations) {
                k = OUT_VIOLATIONS;
                rc = render_json(violations, &body[k], err, out_name[k]);
                have[k] = !rc;
                if (!rc && r->res->violations) r->res->status = BM_EXEC_COMPLETED_WITH_VIOLATIONS;
            }
        }
        json_t *pub = r->jd->environment ? json_object_get(r->jd->environment, "publish_cloudwatch_metrics") : NULL;
        if (!rc && r->res->status != BM_EXEC_FAILED &&
            !(json_is_string(pub) && !strcmp(json_string_value(pub), "Disabled"))) {
            size_t n;
            char ts[32];
            bm_time_format(r->ws, ts, sizeof(ts));
            k = OUT_METRICS;
            rc = bm_cloudwatch_records(analysis, r->jd->input.batch ? NULL : r->jd->input.endpoint_name,
                                       r->p->schedule_name ? r->p->schedule_name : r->jd->name, ts, &body[k], &n);
            if (rc) bm_error_set(err, rc, "cannot render %s", out_name[k]);
            have[k] = !rc;
        }
        if (rc == BM_ELIMIT) { /* an output beyond its bound: the execution fails with none */
            fail_run(r, "%s would be larger than %zu bytes: analyse fewer facets or metrics", out_name[k],
                     body[k].max);
            memset(have, 0, sizeof(have));
            r->res->violations = 0;
            rc = BM_OK;
        }
        if (rc) goto out;
        groups = facet_groups(r, err);
        if (!groups) {
            rc = err->code ? err->code : BM_ENOMEM;
            goto out;
        }
    }
    if ((rc = commit_outputs(r, body, have, err))) goto out;
    r->res->account = account_json(r, groups);
    groups = NULL;
    if (!r->res->account) {
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    bm_buf_release(&body[0]);
    bm_buf_init(&body[0], (size_t)1 << 30);
    char uri[4200];
    if (!(rc = render_json(r->res->account, &body[0], err, "execution.json")) &&
        !(rc = bm_uri_join(out, "execution.json", uri, sizeof(uri))))
        rc = bm_store_write(uri, body[0].data, body[0].len, err);
    if (rc) {
        /* without its account the set is not complete either: the caller reports the error */
        bm_error ignored;
        (void)remove_outputs(out, NOUT, &ignored);
    }
out:
    for (int k = 0; k < NOUT; k++) bm_buf_release(&body[k]);
    json_decref(analysis);
    json_decref(violations);
    json_decref(groups);
    return rc;
}

int bm_execute(const bm_execution_params *p, bm_execution_result *res, bm_error *err)
{
    run r;
    memset(&r, 0, sizeof(r));
    memset(res, 0, sizeof(*res));
    bm_error_clear(err);
    r.p = p;
    r.jd = p->job;
    r.res = res;
    r.T = p->scheduled_time;
    res->status = BM_EXEC_COMPLETED;
    int rc = BM_OK;
    if (output_folder(&r)) {
        rc = bm_error_set(err, BM_ELIMIT, "the output folder under %.200s... is longer than %zu bytes: use a "
                                          "shorter MonitoringOutputs[0].S3Output.S3Uri",
                          p->job->output_uri, sizeof(res->output_uri) - 1);
        goto out;
    }
    if ((rc = setup(&r, err))) goto out;
    if (res->status != BM_EXEC_FAILED && (rc = read_ground_truth(&r, err))) goto out;
    if (res->status != BM_EXEC_FAILED) {
        if ((rc = r.jd->input.batch ? read_batch(&r, err) : read_capture(&r, err))) goto out;
    }
    for (size_t k = 0; k < r.gt.n; k++)
        if (!r.gt.ents[k].matched && !r.gt.ents[k].superseded) {
            if (!r.gt_unmatched++) {
                bm_slice id = bm__gt_id(&r.gt, &r.gt.ents[k]);
                snprintf(r.first_unmatched_gt, sizeof(r.first_unmatched_gt), "%.*s", (int)(id.n > 200 ? 200 : id.n), id.p);
            }
        }
    if (res->status != BM_EXEC_FAILED && r.rows == 0) explain_no_data(&r);
    rc = finish(&r, err);
out:
    if (r.have_cfg) bm_analysis_config_release(&r.cfg);
    bm_free(r.names);
    bm_free(r.cells);
    bm_free(r.fields);
    bm_cube_free(r.joined);
    bm_cube_free(r.all);
    bm_plan_free(r.plan);
    bm__gt_release(&r.gt);
    json_decref(r.unchecked);
    bm__extractor_release(&r.x);
    bm_capture_scanner_free(r.scan[0]);
    bm_capture_scanner_free(r.scan[1]);
    bm_free(r.stage);
    return rc;
}
