/* Late labels: later executions re-evaluate past windows whose labels were incomplete and record
 * each revision beside the first verdict, in the window's bias_revisions.json (docs/alarms.md). */
#include <stdio.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/isotime.h"
#include "biasmon/jsonw.h"
#include "biasmon/store.h"
#include "biasmon/verdict.h"
#include "internal.h"

#define MAX_DOC (64u << 20) /* bytes of one bias_evidence.json or bias_revisions.json */

/* Reads a JSON object from uri: *out a new reference, or NULL when there is none or it cannot
 * be read as a JSON object (then *bad is 1, when bad is not NULL). */
static int read_object(const char *uri, json_t **out, int *bad)
{
    *out = NULL;
    if (bad) *bad = 0;
    bm_buf b;
    bm_buf_init(&b, MAX_DOC);
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_store_read(uri, MAX_DOC, &b, &e);
    if (rc == BM_ENOMEM) {
        bm_buf_release(&b);
        return rc;
    }
    if (rc == BM_OK) {
        json_error_t je;
        json_t *doc = json_loadb(b.data ? b.data : "", b.len, 0, &je);
        if (json_is_object(doc))
            *out = doc;
        else
            json_decref(doc);
    }
    if (bad) *bad = rc != BM_ENOTFOUND && !*out;
    bm_buf_release(&b);
    return BM_OK;
}

/* The latest revision of doc made by an execution before T (ISO text compares in time order),
 * or NULL. */
static json_t *latest_before(const json_t *doc, const char *T)
{
    json_t *best = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "revisions"), i, v)
    {
        const char *t = json_string_value(json_object_get(v, "scheduled_time"));
        if (t && strcmp(t, T) < 0 && json_is_object(json_object_get(v, "counts"))) best = v;
    }
    return best;
}

/* Puts rev into doc's revisions in time order, replacing one the same execution made before
 * (an execution run again revises again, it does not add a second entry). */
static int insert_revision(json_t *doc, json_t *rev, const char *T)
{
    json_t *list = json_object_get(doc, "revisions");
    if (!json_is_array(list)) {
        list = json_array();
        if (!list || json_object_set_new(doc, "revisions", list)) return BM_ENOMEM;
    }
    size_t at = json_array_size(list);
    for (size_t i = json_array_size(list); i-- > 0;) {
        const char *t =
            json_string_value(json_object_get(json_array_get(list, i), "scheduled_time"));
        int c = t ? strcmp(t, T) : -1;
        if (c == 0) json_array_remove(list, i);
        if (c >= 0) at = i;
    }
    if (at > json_array_size(list)) at = json_array_size(list);
    return json_array_insert(list, at, rev) ? BM_ENOMEM : BM_OK;
}

/* One past window's state: where it is, its counts for the pools and its latest record. */
typedef struct past {
    int64_t T;
    char dir[BM_EXECUTION_OUTPUT_MAX];
    json_t *counts;    /* the latest revision's counts, else bias_counts.json; or NULL */
    json_t *evidence;  /* its bias_evidence.json (the first verdict), or NULL */
    json_t *revisions; /* its bias_revisions.json, or NULL */
    int bad;           /* its bias_revisions.json cannot be read: left alone, never rewritten */
} past;

/* Re-joins the window of the execution at P->T with the ground truth up to r->T. *counts,
 * *coverage (new references), *decidable and why; or *counts NULL and why says why not. */
static int rejoin(bm__run *r, const bm_alarm_settings *s, const past *P, json_t **counts,
                  json_t **coverage, int *decidable, char *why, size_t n, bm_error *err)
{
    *counts = *coverage = NULL;
    *decidable = 0;
    why[0] = 0;
    bm_execution_params p2 = *r->p;
    p2.scheduled_time = P->T;
    p2.comm = NULL; /* rank 0 revisits alone: the other ranks have handed their parts over */
    bm_execution_result res2;
    memset(&res2, 0, sizeof(res2));
    res2.status = BM_EXEC_COMPLETED;
    bm__run r2;
    memset(&r2, 0, sizeof(r2));
    r2.p = &p2;
    r2.jd = r->jd;
    r2.res = &res2;
    r2.T = P->T;
    r2.gt_end = r->T;
    bm_error e;
    bm_error_clear(&e);
    json_t *all = NULL, *lab = NULL;
    int rc = bm__gather(&r2, &e);
    if (rc == BM_ENOMEM) {
        *err = e;
        goto out;
    }
    if (rc) {
        snprintf(why, n, "not revisited: %s", e.msg);
        rc = BM_OK;
        goto out;
    }
    if (res2.status == BM_EXEC_FAILED) {
        snprintf(why, n, "not revisited: %s", res2.failure_reason);
        goto out;
    }
    if ((rc = bm_cube_counts(r2.joined, counts, err)) ||
        (rc = bm_cube_facet_groups(r2.all, &all, err)) ||
        (rc = bm_cube_facet_groups(r2.joined, &lab, err)))
        goto out;
    *decidable = bm_alarm_coverage(all, lab, s->min_coverage, coverage, why, n);
    if (*decidable < 0) rc = bm_error_set(err, BM_ENOMEM, "out of memory");
out:
    if (rc) {
        json_decref(*counts);
        *counts = NULL;
    }
    json_decref(all);
    json_decref(lab);
    bm__run_release(&r2);
    return rc;
}

/* Records one revision of window P (made by the execution at r->T) in its bias_revisions.json.
 * BM_OK, or the store's error in err. */
static int record(bm__run *r, past *P, json_t *rev, const char *T, bm_error *err)
{
    char ws[32], we[32], uri[BM_EXECUTION_OUTPUT_MAX + 64];
    int64_t len = r->we - r->ws;
    bm_time_format(P->T + (r->ws - r->T), ws, sizeof(ws));
    bm_time_format(P->T + (r->ws - r->T) + len, we, sizeof(we));
    if (!P->revisions) {
        char first[32];
        bm_time_format(P->T, first, sizeof(first));
        P->revisions = json_pack("{s:s,s:s,s:{s:s,s:s},s:[]}", "version", "1.0", "scheduled_time",
                                 first, "window", "start", ws, "end", we, "revisions");
        if (!P->revisions) return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    if (insert_revision(P->revisions, rev, T)) return bm_error_set(err, BM_ENOMEM, "out of memory");
    bm_buf b;
    bm_buf_init(&b, MAX_DOC);
    int rc = bm_json_write(P->revisions, 2, &b);
    if (!rc) rc = bm_buf_putc(&b, '\n');
    if (rc) {
        bm_buf_release(&b);
        return bm_error_set(err, rc, "%s would be larger than %u bytes", BM_REVISIONS_NAME,
                            MAX_DOC);
    }
    rc = bm_uri_join(P->dir, BM_REVISIONS_NAME, uri, sizeof(uri));
    if (!rc)
        rc = bm_store_write(uri, b.data, b.len, err);
    else
        bm_error_set(err, rc, "the folder %s is too long", P->dir);
    bm_buf_release(&b);
    return rc;
}

int bm__revisit(bm__run *r, const bm_alarm_settings *s, const json_t *base, const json_t *analysis,
                json_t **win, json_t *alarms, json_t *revisits, bm_error *err)
{
    int rc = BM_OK;
    int64_t period = r->we - r->ws > 0 ? r->we - r->ws : 3600;
    int K = s->revisit < 0                      ? 0
            : s->revisit > BM_ALARM_MAX_REVISIT ? BM_ALARM_MAX_REVISIT
                                                : s->revisit;
    int npast = K + BM_ALARM_MAX_WINDOWS - 1;
    past *ps = bm_calloc((size_t)npast + 1, sizeof(past)); /* [k]: k periods before */
    if (!ps) return bm_error_set(err, BM_ENOMEM, "out of memory");
    char T[32];
    bm_time_format(r->T, T, sizeof(T));
    for (int k = 1; k <= npast; k++) {
        past *q = &ps[k];
        q->T = r->T - k * period;
        char uri[BM_EXECUTION_OUTPUT_MAX + 64];
        if (bm__folder_at(r, q->T, q->dir, sizeof(q->dir))) continue;
        bm_error e;
        bm_error_clear(&e);
        if ((k <= K && ((rc = bm_uri_join(q->dir, BM_EVIDENCE_NAME, uri, sizeof(uri))) ||
                        (rc = read_object(uri, &q->evidence, NULL)))) ||
            (rc = bm_uri_join(q->dir, BM_REVISIONS_NAME, uri, sizeof(uri))) ||
            (rc = read_object(uri, &q->revisions, &q->bad)))
            goto fail;
        json_t *latest = latest_before(q->revisions, T);
        if (latest) {
            q->counts = json_incref(json_object_get(latest, "counts"));
        } else {
            if ((rc = bm_uri_join(q->dir, BM_COUNTS_NAME, uri, sizeof(uri)))) goto fail;
            if (bm_alarm_counts_read(uri, &q->counts, &e) == BM_ENOMEM) goto nomem;
        }
        if (k <= K && !q->evidence) {
            /* an execution that Failed because none of its in-window records had a label yet:
             * its first record is "not yet decidable", with no labelled row */
            json_t *ex = NULL;
            if ((rc = bm_uri_join(q->dir, "execution.json", uri, sizeof(uri))) ||
                (rc = read_object(uri, &ex, NULL)))
                goto fail;
            const json_t *c = json_object_get(ex, "counts");
            const char *st = json_string_value(json_object_get(ex, "Status"));
            int unlabelled = st && !strcmp(st, "Failed") &&
                             json_integer_value(json_object_get(c, "records_in_window")) > 0 &&
                             json_is_integer(json_object_get(c, "joined_records")) &&
                             json_integer_value(json_object_get(c, "joined_records")) == 0;
            json_decref(ex);
            if (unlabelled && !(q->evidence = json_pack("{s:b,s:[],s:[],s:b}", "decidable", 0,
                                                        "coverage", "alarms", "unlabelled", 1)))
                goto nomem;
        }
    }
    /* oldest first, so that a revised window's pools use the revised windows before it */
    for (int k = K; k >= 1; k--) {
        past *q = &ps[k];
        int unlabelled = json_is_true(json_object_get(q->evidence, "unlabelled"));
        if (!q->evidence || (!q->counts && !unlabelled))
            continue; /* no first record of the rule to revise */
        const json_t *prev = latest_before(q->revisions, T);
        if (!prev) prev = q->evidence;
        if (!json_is_true(json_object_get(prev, "unlabelled")) &&
            bm_alarm_coverage_complete(json_object_get(prev, "coverage")))
            continue;
        char when[32], why[1200], note[1200];
        bm_time_format(q->T, when, sizeof(when));
        if (q->bad) {
            snprintf(why, sizeof(why),
                     "not revisited: its %s cannot be read as a JSON object; move it away to "
                     "let later executions revise the window again",
                     BM_REVISIONS_NAME);
            if (json_array_append_new(revisits, json_pack("{s:s,s:b,s:s}", "scheduled_time", when,
                                                          "revised", 0, "note", why)))
                goto nomem;
            continue;
        }
        json_t *counts = NULL, *cov = NULL, *rev = NULL, *fresh = NULL;
        int decidable;
        if ((rc = rejoin(r, s, q, &counts, &cov, &decidable, why, sizeof(why), err))) goto fail;
        if (!counts) {
            json_decref(cov);
            if (json_array_append_new(revisits, json_pack("{s:s,s:b,s:s}", "scheduled_time", when,
                                                          "revised", 0, "note", why)))
                goto nomem;
            continue;
        }
        const json_t *w[BM_ALARM_MAX_WINDOWS] = {counts};
        for (int j = 1; j < BM_ALARM_MAX_WINDOWS && k + j <= npast; j++)
            w[j] = ps[k + j].counts;
        bm_alarm_settings s2 = *s;
        s2.looks_per_window = 1 + K;
        bm_error e;
        bm_error_clear(&e);
        rc = bm_alarm_revise(base, w, BM_ALARM_MAX_WINDOWS, analysis, &s2, prev, cov, decidable,
                             decidable ? NULL : why, &rev, &fresh, note, sizeof(note), &e);
        json_decref(cov);
        if (rc == BM_ENOMEM) {
            json_decref(counts);
            *err = e;
            goto fail;
        }
        if (rc) { /* a malformed counts document of an earlier window */
            json_decref(counts);
            if (json_array_append_new(revisits, json_pack("{s:s,s:b,s:s}", "scheduled_time", when,
                                                          "revised", 0, "note", e.msg)))
                goto nomem;
            rc = BM_OK;
            continue;
        }
        if (!rev) {
            json_decref(counts);
            if (json_array_append_new(revisits, json_pack("{s:s,s:b,s:s}", "scheduled_time", when,
                                                          "revised", 0, "note", note)))
                goto nomem;
            continue;
        }
        /* the record: who made it, over which ground truth, and the counts later pools use */
        char ws[32], we[32], gs[32], reason[1600];
        bm_time_format(q->T + (r->ws - r->T), ws, sizeof(ws));
        bm_time_format(q->T + (r->we - r->T), we, sizeof(we));
        bm_time_format(bm_time_hour_floor(q->T + (r->ws - r->T)), gs, sizeof(gs));
        snprintf(reason, sizeof(reason),
                 "The window [%s, %s), %s the execution of %s, was re-evaluated by the "
                 "execution of %s. %s",
                 ws, we, unlabelled ? "without a labelled row at" : "first judged by", when, T,
                 json_string_value(json_object_get(rev, "reason")));
        if (json_object_set_new(rev, "scheduled_time", json_string(T)) ||
            json_object_set_new(rev, "ground_truth_hours",
                                json_pack("{s:s,s:s}", "start", gs, "end", T)) ||
            json_object_set_new(rev, "reason", json_string(reason)) ||
            json_object_set(rev, "counts", counts)) {
            json_decref(rev);
            json_decref(fresh);
            json_decref(counts);
            goto nomem;
        }
        bm_error we_err;
        bm_error_clear(&we_err);
        rc = record(r, q, rev, T, &we_err);
        json_decref(rev);
        if (rc) {
            json_decref(fresh);
            json_decref(counts);
            if (rc == BM_ENOMEM) {
                *err = we_err;
                goto fail;
            }
            char msg[1200];
            bm_error_format(&we_err, msg, sizeof(msg));
            bm__fail_run(r,
                         "cannot record the revision of the window of %s in %s: %s: free space "
                         "there and run the execution again",
                         when, BM_REVISIONS_NAME, msg);
            rc = BM_OK;
            goto fail;
        }
        json_decref(q->counts);
        q->counts = counts;
        size_t i;
        json_t *v;
        json_array_foreach(fresh, i, v)
        {
            if (json_object_set_new(v, "window", json_pack("{s:s,s:s}", "start", ws, "end", we)) ||
                json_object_set_new(v, "revised_execution", json_string(when)) ||
                json_object_set_new(v, "revision", json_string(reason)) ||
                json_array_append(alarms, v)) {
                json_decref(fresh);
                goto nomem;
            }
        }
        json_decref(fresh);
        if (json_array_append_new(revisits, json_pack("{s:s,s:b,s:s}", "scheduled_time", when,
                                                      "revised", 1, "reason", reason)))
            goto nomem;
    }
    for (int k = 1; k < BM_ALARM_MAX_WINDOWS && k <= npast; k++)
        win[k] = json_incref(ps[k].counts);
    goto fail; /* rc is BM_OK */
nomem:
    rc = bm_error_set(err, BM_ENOMEM, "out of memory");
fail:
    if (rc == BM_ENOMEM && !err->code) bm_error_set(err, rc, "out of memory");
    for (int k = 1; k <= npast; k++) {
        json_decref(ps[k].counts);
        json_decref(ps[k].evidence);
        json_decref(ps[k].revisions);
    }
    bm_free(ps);
    return rc;
}
