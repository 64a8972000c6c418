/* Sharded executions: a window's capture objects split over workers (threads, or the processes
 * of an MPI job through bm_shard_comm), each reducing a contiguous run of them to a partial, the
 * partials merged in object order into the run (docs/shards.md). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/isotime.h"
#include "biasmon/store.h"
#include "internal.h"

/* A worker's part as handed to rank 0: the magic, a status and its payload. */
#define PART_MAGIC "BMSHARD\n"
enum { PART_OK = 'P', PART_FAILED = 'F', PART_UNSENT = 'U' };

/* ==================================================================== the objects */

/* The window's capture objects in the order a walk reads them, each "URI\tSIZE\tSTAMP". */
static int list_objects(const char *root, const bm_strlist *variants, const bm__hours *hs,
                        bm_strlist *out, bm_error *err)
{
    int rc = BM_OK;
    bm_strlist one = {0};
    for (size_t i = 0; !rc && i < hs->n; i++) {
        char key[32];
        bm__hour_key(hs->v[i], key, sizeof(key));
        for (size_t v = 0; !rc && v < variants->n; v++) {
            char vdir[4096], dir[4096];
            if (bm_uri_join(root, variants->v[v], vdir, sizeof(vdir)) ||
                bm_uri_join(vdir, key, dir, sizeof(dir))) {
                rc = bm_error_set(err, BM_ELIMIT,
                                  "the hour folder %s of variant %s has a URI longer than %zu "
                                  "bytes",
                                  key, variants->v[v], sizeof(dir) - 1);
                break;
            }
            bm_strlist_release(&one);
            if ((rc = bm_store_list_stamped(dir, MAX_LIST, &one, err))) break;
            for (size_t k = 0; !rc && k < one.n; k++) {
                char entry[8400];
                int n = snprintf(entry, sizeof(entry), "%s/%s", dir, one.v[k]);
                if (n < 0 || (size_t)n >= sizeof(entry))
                    rc =
                        bm_error_set(err, BM_ELIMIT, "a file in %s has a URI longer than %zu bytes",
                                     dir, sizeof(entry) - 64);
                else if (bm_strlist_push(out, entry, (size_t)n))
                    rc = bm_error_set(err, BM_ENOMEM, "out of memory");
            }
        }
    }
    bm_strlist_release(&one);
    return rc;
}

/* The size of an entry "URI\tSIZE\tSTAMP" (0 when it does not say). */
static uint64_t entry_size(const char *e)
{
    const char *st = strrchr(e, '\t');
    if (!st) return 0;
    const char *sz = st;
    while (sz > e && sz[-1] != '\t')
        sz--;
    uint64_t v = 0;
    for (; sz < st && *sz >= '0' && *sz <= '9' && v < UINT64_MAX / 10; sz++)
        v = v * 10 + (uint64_t)(*sz - '0');
    return v;
}

/* Cuts the objects into n contiguous runs of about equal bytes: worker k reads [at[k], at[k+1]).
 * Each object weighs its size plus 4 KiB (what opening one costs), so empty ones spread too. */
static void cut(const bm_strlist *objs, int n, size_t *at)
{
    uint64_t total = 0, sum = 0;
    for (size_t i = 0; i < objs->n; i++)
        total += entry_size(objs->v[i]) + 4096;
    size_t i = 0;
    at[0] = 0;
    for (int k = 1; k < n; k++) {
        /* the first object that starts at or past k/n of the bytes */
        uint64_t goal = (uint64_t)((double)total * k / n);
        while (i < objs->n && sum < goal)
            sum += entry_size(objs->v[i++]) + 4096;
        at[k] = i;
    }
    at[n] = objs->n;
}

typedef struct range_gen {
    const bm_strlist *objs;
    size_t i, end;
} range_gen;

static int range_next(void *ctx, char *uri, size_t cap, bm_error *err)
{
    range_gen *g = ctx;
    if (g->i >= g->end) {
        uri[0] = 0;
        return BM_OK;
    }
    const char *e = g->objs->v[g->i++];
    const char *st = strrchr(e, '\t'), *sz = st;
    while (sz && sz > e && sz[-1] != '\t')
        sz--;
    size_t n = sz && sz > e ? (size_t)(sz - 1 - e) : strlen(e);
    if (n >= cap) return bm_error_set(err, BM_ELIMIT, "a URI longer than %zu bytes", cap - 1);
    memcpy(uri, e, n);
    uri[n] = 0;
    return BM_OK;
}

/* Reads objects [a, b) into the run, as bm__read_walk reads a walk's. */
static int read_range(bm__run *r, const bm_strlist *objs, size_t a, size_t b, bm_error *err)
{
    if (a >= b) return BM_OK;
    range_gen g = {objs, a, b};
    int local = bm_store_is_local(objs->v[a]);
    bm_store_seq *seq = bm_store_seq_new(range_next, &g, local ? 0 : BM_STORE_SEQ_AHEAD, err);
    int rc = seq ? BM_OK : err->code, done = 0;
    bm_store_item it;
    while (!rc && !(rc = bm_store_seq_next(seq, &it, &done, err)) && !done) {
        rc = bm__read_capture_file(r, &it, err);
        bm_store_reader_close(it.reader);
    }
    bm_store_seq_free(seq);
    return rc;
}

/* ==================================================================== a worker's part */

static int part_head(bm_buf *out, char status)
{
    return bm_buf_append(out, PART_MAGIC, 8) || bm_buf_putc(out, status) ? BM_ENOMEM : BM_OK;
}

/* Worker k's part of a run set up with its ground truth read: objects [a, b) reduced to a
 * partial into out, or the run's failure, or "unsent" when the partial cannot be made.
 * BM_ENOMEM only. */
static int reduce(bm__run *w, const bm_strlist *objs, size_t a, size_t b, int k, bm_buf *out,
                  bm_error *err)
{
    int rc = BM_OK;
    bm__hour_build *hb = NULL;
    if (w->res->status != BM_EXEC_FAILED) {
        if (!(hb = bm__hour_build_new())) return bm_error_set(err, BM_ENOMEM, "out of memory");
        w->hb = hb;
        rc = read_range(w, objs, a, b, err);
        w->hb = NULL;
        if (rc == BM_ENOMEM) goto out;
        if (rc) bm__capture_failure(w, rc, err);
        rc = BM_OK;
    }
    if (w->res->status == BM_EXEC_FAILED) {
        if (part_head(out, PART_FAILED) || bm_buf_puts(out, w->res->failure_reason))
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    bm_strlist view = {objs->v + a, b - a, b - a};
    /* the partial's checksum is of its own bytes: encoded apart, then put after the head */
    bm_buf enc;
    bm_buf_init(&enc, BM_SHARD_PART_MAX - 9);
    int erc = bm__partial_encode_run(w, hb, k, &view, &enc);
    if (erc == BM_ENOMEM)
        rc = BM_ENOMEM;
    else if (erc) /* too large to hand over: rank 0 reads these objects itself */
        rc = part_head(out, PART_UNSENT);
    else
        rc = part_head(out, PART_OK) || bm_buf_append(out, enc.data, enc.len) ? BM_ENOMEM : BM_OK;
    bm_buf_release(&enc);
out:
    bm__hour_build_free(hb);
    return rc == BM_ENOMEM ? bm_error_set(err, BM_ENOMEM, "out of memory") : rc;
}

/* ==================================================================== workers on threads */

typedef struct shard_job {
    const bm_execution_params *p;
    const bm__gt_table *gt; /* worker 0's, indexed: its index and labels are shared, read only */
    bm__gt_entry *ents;     /* a copy of its entries made before worker 0 joins any (taken) */
    const bm_strlist *objs;
    size_t a, b;
    int k;
    bm_buf part;
    int rc;
    bm_error err;
    pthread_t th;
    int started;
} shard_job;

/* A thread's worker: a run of its own (set-up; worker 0's ground truth) reducing its objects. */
static void *shard_thread(void *arg)
{
    shard_job *j = arg;
    bm__run w;
    bm_execution_result res;
    memset(&w, 0, sizeof(w));
    memset(&res, 0, sizeof(res));
    res.status = BM_EXEC_COMPLETED;
    w.p = j->p;
    w.jd = j->p->job;
    w.res = &res;
    w.T = j->p->scheduled_time;
    w.nshards = 2; /* no partials */
    bm_error_clear(&j->err);
    int rc = bm__setup(&w, &j->err), shared = 0;
    /* worker 0's join table but the entries, whose join marks are each worker's own (copied
     * before worker 0 joined any): its index and labels do not change while the workers run */
    if (!rc && res.status != BM_EXEC_FAILED) {
        if (j->gt->n && !j->ents) {
            rc = bm_error_set(&j->err, BM_ENOMEM, "out of memory");
        } else {
            bm__gt_release(&w.gt);
            w.gt = *j->gt;
            w.gt.ents = j->ents;
            w.gt.cap = j->gt->n;
            j->ents = NULL;
            shared = 1;
        }
    }
    if (!rc) rc = reduce(&w, j->objs, j->a, j->b, j->k, &j->part, &j->err);
    j->rc = rc;
    if (shared) w.gt.slots = NULL, w.gt.arena = NULL; /* worker 0's */
    bm__run_release(&w);
    json_decref(res.account);
    return NULL;
}

/* ==================================================================== rank 0: the merge */

/* Applies worker k's part (objects [a, b)) to the run, or reads those objects itself when the
 * part cannot be used. BM_OK (the run may be Failed), else an error as read_range's. */
static int merge_part(bm__run *r, const bm_buf *part, const bm_strlist *objs, size_t a, size_t b,
                      int k, bm_error *err)
{
    const char *p = part->data ? part->data : "";
    size_t n = part->len;
    if (n >= 9 && !memcmp(p, PART_MAGIC, 8) && p[8] == PART_FAILED) {
        bm__fail_run(r, "%.*s", (int)(n - 9 > 1000 ? 1000 : n - 9), p + 9);
        return BM_OK;
    }
    if (n >= 9 && !memcmp(p, PART_MAGIC, 8) && p[8] == PART_OK) {
        char why[600];
        int used = 0;
        bm_strlist view = {objs->v + a, b - a, b - a};
        int rc = bm__partial_apply(r, p + 9, n - 9, k, &view, 0, why, sizeof(why), &used, err);
        if (rc || used) return rc;
    }
    /* unsent, unreadable, or joined otherwise here: a second delivery of an invocation that an
     * earlier worker's objects hold, or ground truth that changed between the reads */
    r->shards_reread++;
    return read_range(r, objs, a, b, err);
}

static int exchange(bm__run *r, const bm_buf *mine, bm_buf *parts, bm_error *err)
{
    const bm_shard_comm *c = r->p->comm;
    r->exchanged = 1;
    return c->gather(c->ctx, mine->data ? mine->data : "", mine->len, c->rank ? NULL : parts, err);
}

int bm__shards_settle(bm__run *r, bm_error *err)
{
    const bm_shard_comm *c = r->p->comm;
    if (!c || c->size < 2 || r->exchanged) return BM_OK;
    bm_buf mine;
    bm_buf_init(&mine, 2048);
    bm_buf *parts = NULL;
    int rc = BM_OK;
    if (c->rank) {
        if (part_head(&mine, r->res->status == BM_EXEC_FAILED ? PART_FAILED : PART_UNSENT) ||
            bm_buf_puts(&mine, r->res->failure_reason))
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    } else if (!(parts = bm_calloc((size_t)c->size, sizeof(bm_buf)))) {
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
    } else {
        for (int k = 0; k < c->size; k++)
            bm_buf_init(&parts[k], BM_SHARD_PART_MAX);
    }
    if (!rc) {
        bm_error e;
        bm_error_clear(&e);
        /* what the others sent is not needed: rank 0's own reading decided the run */
        if ((rc = exchange(r, &mine, parts, &e)) == BM_ENOMEM) *err = e;
        if (rc && rc != BM_ENOMEM) {
            bm__fail_run(r, "the execution's processes could not exchange their parts: %s", e.msg);
            rc = BM_OK;
        }
    }
    for (int k = 0; parts && k < c->size; k++)
        bm_buf_release(&parts[k]);
    bm_free(parts);
    bm_buf_release(&mine);
    return rc;
}

int bm__read_capture_shards(bm__run *r, const char *root, const bm_strlist *variants,
                            const bm__hours *hs, bm_error *err)
{
    const bm_shard_comm *c = r->p->comm;
    int n = r->nshards, me = c ? c->rank : 0, rc;
    bm_strlist objs = {0};
    size_t *at = NULL;
    shard_job *jobs = NULL;
    bm_buf mine, *parts = NULL;
    bm_buf_init(&mine, BM_SHARD_PART_MAX);
    if (n > BM_SHARDS_MAX || !(at = bm_calloc((size_t)n + 1, sizeof(size_t)))) {
        rc = n > BM_SHARDS_MAX ? bm_error_set(err, BM_ELIMIT, "more than %d shards", BM_SHARDS_MAX)
                               : bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = list_objects(root, variants, hs, &objs, err))) goto out;
    cut(&objs, n, at);
    if (me) { /* a process of rank me: its part, handed to rank 0 */
        rc = reduce(r, &objs, at[me], at[me + 1], me, &mine, err);
        if (!rc) {
            rc = exchange(r, &mine, NULL, err);
            if (rc && rc != BM_ENOMEM) {
                bm__fail_run(r, "the execution's processes could not exchange their parts: %s",
                             err->msg);
                rc = BM_OK;
            }
        }
        goto out;
    }
    /* rank 0, or the thread that runs the execution: workers 1 .. n - 1 meanwhile */
    if (!(parts = bm_calloc((size_t)n, sizeof(bm_buf)))) {
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < n; k++)
        bm_buf_init(&parts[k], BM_SHARD_PART_MAX);
    if (!c) {
        if (!(jobs = bm_calloc((size_t)n, sizeof(shard_job)))) {
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        for (int k = 1; k < n; k++) {
            shard_job *j = &jobs[k];
            *j = (shard_job){
                .p = r->p, .gt = &r->gt, .objs = &objs, .a = at[k], .b = at[k + 1], .k = k};
            bm_buf_init(&j->part, BM_SHARD_PART_MAX);
            if (r->gt.n && (j->ents = bm_malloc(r->gt.n * sizeof(*j->ents))))
                memcpy(j->ents, r->gt.ents, r->gt.n * sizeof(*j->ents));
            /* a thread that cannot start leaves its part empty: read below, here */
            j->started = !pthread_create(&j->th, NULL, shard_thread, j);
        }
    }
    rc = read_range(r, &objs, at[0], at[1], err);
    if (c) {
        bm_error e;
        bm_error_clear(&e);
        int xrc = exchange(r, &mine, parts, &e);
        if (xrc == BM_ENOMEM && !rc) rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        if (xrc && xrc != BM_ENOMEM)
            bm__fail_run(r, "the execution's processes could not exchange their parts: %s", e.msg);
    } else {
        for (int k = 1; k < n; k++) {
            shard_job *j = &jobs[k];
            if (j->started) pthread_join(j->th, NULL);
            bm_free(j->ents); /* not taken: the thread did not start, or its run failed first */
            if (j->started && j->rc == BM_ENOMEM && !rc) {
                *err = j->err;
                rc = BM_ENOMEM;
            }
            bm_buf_release(&parts[k]);
            parts[k] = j->part; /* taken */
            bm_buf_init(&j->part, 0);
        }
    }
    for (int k = 1; k < n; k++)
        r->shards_bytes += parts[k].len;
    for (int k = 1; !rc && k < n && r->res->status != BM_EXEC_FAILED; k++)
        rc = merge_part(r, &parts[k], &objs, at[k], at[k + 1], k, err);
out:
    for (int k = 0; parts && k < n; k++)
        bm_buf_release(&parts[k]);
    bm_free(parts);
    bm_free(jobs);
    bm_free(at);
    bm_buf_release(&mine);
    bm_strlist_release(&objs);
    return rc;
}
