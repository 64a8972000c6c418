/* The window of an execution and the hour folders (yyyy/mm/dd/HH) that may hold its data. */
#include <stdio.h>
#include <string.h>
#include "biasmon/isotime.h"
#include "biasmon/store.h"
#include "internal.h"

/* ==================================================================== the window */

int bm__window_bounds(const bm_execution_params *p, const bm_job_input *in, int64_t *ws,
                      int64_t *we, char *why, size_t n)
{
    bm_error e2;
    bm_error_clear(&e2);
    *ws = *we = 0;
    int64_t period = p->default_period > 0 ? p->default_period : 3600;
    int64_t so = -period, eo = 0;
    const char *sos = p->window_start ? p->window_start : in->start_time_offset;
    const char *eos = p->window_end ? p->window_end : in->end_time_offset;
    int bad_start = sos && bm_duration_parse(sos, strlen(sos), &so, &e2);
    if (bad_start || (eos && bm_duration_parse(eos, strlen(eos), &eo, &e2))) {
        const char *which =
            bad_start
                ? (p->window_start ? "ScheduleConfig.DataAnalysisStartTime" : "StartTimeOffset")
                : (p->window_end ? "ScheduleConfig.DataAnalysisEndTime" : "EndTimeOffset");
        snprintf(why, n, "%s is not a window offset biasmon reads: %s", which, e2.msg);
        return BM_ECONFIG;
    }
    const int64_t max_reach = (int64_t)MAX_DAYS * 86400;
    if (so < -max_reach || so > max_reach || eo < -max_reach || eo > max_reach) {
        int start = so < -max_reach || so > max_reach;
        snprintf(
            why, n,
            "the %s offset %s reaches more than %d days from the scheduled time: offsets may be at "
            "most %d days (P%dD); move the window closer to the schedule",
            start ? "start" : "end", start ? (sos ? sos : "") : (eos ? eos : ""), MAX_DAYS,
            MAX_DAYS, MAX_DAYS);
        return BM_ECONFIG;
    }
    *ws = p->scheduled_time + so;
    *we = p->scheduled_time + eo;
    if (*ws >= *we) {
        char a[32], b[32];
        bm_time_format(*ws, a, sizeof(a));
        bm_time_format(*we, b, sizeof(b));
        snprintf(why, n,
                 "the window [%s, %s) is empty: the start offset must come before the end offset",
                 a, b);
        return BM_ECONFIG;
    }
    if (*we - *ws > (int64_t)MAX_HOURS * 3600) {
        snprintf(why, n,
                 "the window from offset %s to %s is longer than %d days: a window may be at most "
                 "%d days "
                 "(P%dD); split the analysis over several schedules",
                 sos ? sos : "(default)", eos ? eos : "(default)", MAX_DAYS, MAX_DAYS, MAX_DAYS);
        return BM_ECONFIG;
    }
    return BM_OK;
}

int bm__window(bm__run *r)
{
    char why[sizeof(r->res->failure_reason)];
    r->T = r->p->scheduled_time;
    int rc = bm__window_bounds(r->p, &r->jd->input, &r->ws, &r->we, why, sizeof(why));
    r->res->window_start = r->ws;
    r->res->window_end = r->we;
    if (rc) bm__fail_run(r, "%s", why);
    return rc;
}

void bm__hour_key(int64_t t, char *out, size_t n)
{
    bm_civil c;
    bm_time_civil(t, &c);
    snprintf(out, n, "%04d/%02d/%02d/%02d", c.year, c.month, c.day, c.hour);
}

void bm__hour_label(int64_t t, char *out, size_t n)
{
    bm_civil c;
    bm_time_civil(t, &c);
    snprintf(out, n, "%04d-%02d-%02dT%02d", c.year, c.month, c.day, c.hour);
}

/* ==================================================================== the hour folders */

/* The value of n decimal digits (checked by the caller). */
static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t k = 0; k < n; k++)
        v = v * 10 + (s[k] - '0');
    return v;
}

void bm__hours_release(bm__hours *h)
{
    bm_free(h->v);
    memset(h, 0, sizeof(*h));
}

/* Appends t unless it is already the last (lists arrive sorted). */
static int hours_push(bm__hours *h, int64_t t)
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
int bm__hours_merge(bm__hours *a, const bm__hours *b)
{
    bm__hours m = {0};
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int64_t t = j >= b->n || (i < a->n && a->v[i] <= b->v[j]) ? a->v[i++] : b->v[j++];
        if (hours_push(&m, t)) {
            bm__hours_release(&m);
            return BM_ENOMEM;
        }
    }
    bm__hours_release(a);
    *a = m;
    return BM_OK;
}

/* One level of the yyyy/mm/dd/HH layout under prefix, whose key so far is key (len bytes:
 * "", "yyyy", "yyyy/mm", "yyyy/mm/dd"): the sub-folders whose key lies between lo and hi (keys
 * of the first and last hour, compared on the same length; they are fixed-width, so text order
 * is time order), descended in order; complete hours are appended to out. */
static int walk_hours(const char *prefix, char *key, size_t len, const char *lo, const char *hi,
                      bm__hours *out, bm_error *err)
{
    static const size_t width[4] = {4, 2, 2, 2};
    int level = len == 0 ? 0 : len == 4 ? 1 : len == 7 ? 2 : 3;
    bm_strlist dirs = {0};
    int rc = bm_store_list(prefix, 1, MAX_DIRS, &dirs, err);
    if (rc == BM_ELIMIT)
        rc = bm_error_set(err, BM_ELIMIT,
                          "%s has more than %d sub-folders: keep only the yyyy/mm/dd/HH "
                          "folders there",
                          prefix, MAX_DIRS);
    for (size_t k = 0; !rc && k < dirs.n; k++) {
        const char *name = dirs.v[k];
        if (strlen(name) != width[level] || !bm__is_digits(name))
            continue; /* not part of the layout */
        size_t n = len + (len ? 1 : 0) + width[level];
        if (len) key[len] = '/';
        memcpy(key + n - width[level], name, width[level]);
        key[n] = 0;
        if (strncmp(key, lo, n) < 0 || strncmp(key, hi, n) > 0) continue;
        char sub[4096];
        if (bm_uri_join(prefix, name, sub, sizeof(sub))) {
            rc = bm_error_set(err, BM_ELIMIT, "a folder under %s has a URI longer than %zu bytes",
                              prefix, sizeof(sub) - 1);
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
        bm__hour_key(t, back, sizeof(back));
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
int bm__existing_hours(const char *root, int64_t first, int64_t last, bm__hours *out, bm_error *err)
{
    char lo[32], hi[32], key[32];
    bm__hour_key(first, lo, sizeof(lo));
    bm__hour_key(last, hi, sizeof(hi));
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

int bm__walk_hours(const char *root, int64_t first, int64_t last, bm__hours *out, bm_error *err)
{
    if (bm_store_is_local(root) || first > last || (last - first) / 3600 >= PROBE_DAYS_REMOTE * 24)
        return bm__existing_hours(root, first, last, out, err);
    for (int64_t h = first; h <= last; h += 3600)
        if (hours_push(out, h)) return bm_error_set(err, BM_ENOMEM, "out of memory");
    return BM_OK;
}

/* Compares the folder of entry ("FOLDER/NAME") with hh. */
static int folder_vs(const char *entry, const char *hh)
{
    size_t fl = strcspn(entry, "/"), hl = strlen(hh);
    int c = strncmp(entry, hh, fl < hl ? fl : hl);
    return c ? c : (fl > hl) - (fl < hl);
}

/* walk_next when by_day: the hour folder's files come from its day's listing of its variant. */
static int walk_next_by_day(bm__folder_walk *w, char *uri, size_t cap, bm_error *err)
{
    if (!w->days) {
        w->ndays = w->variants ? w->variants->n : 1;
        if (!(w->days = bm_calloc(w->ndays ? w->ndays : 1, sizeof(*w->days))))
            return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    for (;;) {
        if (w->i >= w->hs->n || (w->variants && !w->variants->n)) {
            uri[0] = 0;
            return BM_OK;
        }
        struct bm__day_list *d = &w->days[w->variants ? w->v : 0];
        char key[32];
        bm__hour_key(w->hs->v[w->i], key, sizeof(key)); /* yyyy/mm/dd/HH */
        const char *hh = key + 11;
        if (!w->listed) {
            int64_t day = w->hs->v[w->i] - w->hs->v[w->i] % 86400;
            char vdir[4096];
            key[10] = 0;
            if (w->variants ? bm_uri_join(w->root, w->variants->v[w->v], vdir, sizeof(vdir)) ||
                                  bm_uri_join(vdir, key, w->prefix, sizeof(w->prefix))
                            : bm_uri_join(w->root, key, w->prefix, sizeof(w->prefix)))
                return bm_error_set(err, BM_ELIMIT,
                                    "the day folder %s under %s has a URI longer than %zu bytes",
                                    key, w->root, sizeof(w->prefix) - 1);
            key[10] = '/';
            if (d->day != day + 1) { /* the window's hours of this day, from this one on */
                size_t j = w->i;
                while (j + 1 < w->hs->n && w->hs->v[j + 1] - w->hs->v[j + 1] % 86400 == day)
                    j++;
                char last[32];
                bm__hour_key(w->hs->v[j], last, sizeof(last));
                bm_strlist_release(&d->e);
                d->k = 0;
                d->day = 0;
                int rc = bm_store_list_range(w->prefix, hh, last + 11, MAX_LIST, &d->e, err);
                if (rc) return rc;
                d->day = day + 1;
            }
            while (d->k < d->e.n && folder_vs(d->e.v[d->k], hh) < 0)
                d->k++;
            w->listed = 1;
        }
        if (d->k < d->e.n && !folder_vs(d->e.v[d->k], hh)) {
            if (bm_uri_join(w->prefix, d->e.v[d->k], uri, cap))
                return bm_error_set(err, BM_ELIMIT, "a file in %s has a URI longer than %zu bytes",
                                    w->prefix, cap - 1);
            d->k++;
            return BM_OK;
        }
        w->listed = 0; /* the next folder */
        if (!w->variants || ++w->v == w->variants->n) w->v = 0, w->i++;
    }
}

static int walk_next(void *ctx, char *uri, size_t cap, bm_error *err)
{
    bm__folder_walk *w = ctx;
    if (w->by_day) return walk_next_by_day(w, uri, cap, err);
    for (;;) {
        if (w->listed && w->k < w->files.n) {
            if (bm_uri_join(w->prefix, w->files.v[w->k], uri, cap))
                return bm_error_set(err, BM_ELIMIT, "a file in %s has a URI longer than %zu bytes",
                                    w->prefix, cap - 1);
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
        bm__hour_key(w->hs->v[w->i], key, sizeof(key));
        if (w->variants) {
            char vdir[4096];
            if (bm_uri_join(w->root, w->variants->v[w->v], vdir, sizeof(vdir)) ||
                bm_uri_join(vdir, key, w->prefix, sizeof(w->prefix)))
                return bm_error_set(
                    err, BM_ELIMIT,
                    "the hour folder %s of variant %s has a URI longer than %zu bytes", key,
                    w->variants->v[w->v], sizeof(w->prefix) - 1);
        } else if (bm_uri_join(w->root, key, w->prefix, sizeof(w->prefix))) {
            return bm_error_set(err, BM_ELIMIT,
                                "the hour folder %s under %s has a URI longer than %zu bytes", key,
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
int bm__read_walk(bm__run *r, bm__folder_walk *w,
                  int (*take)(bm__run *r, bm_store_item *it, bm_error *err), bm_error *err)
{
    int local = bm_store_is_local(w->root);
    w->by_day = !local;
    bm_store_seq *seq = bm_store_seq_new(walk_next, w, local ? 0 : BM_STORE_SEQ_AHEAD, err);
    int rc = seq ? BM_OK : err->code, done = 0;
    bm_store_item it;
    while (!rc && !(rc = bm_store_seq_next(seq, &it, &done, err)) && !done) {
        rc = take(r, &it, err);
        bm_store_reader_close(it.reader); /* when take stopped before taking it (out of memory) */
    }
    bm_store_seq_free(seq);
    bm_strlist_release(&w->files);
    for (size_t k = 0; w->days && k < w->ndays; k++)
        bm_strlist_release(&w->days[k].e);
    bm_free(w->days);
    w->days = NULL;
    return rc;
}
