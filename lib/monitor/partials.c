/* Hour partials: each capture hour of an execution reduced once to its cubes and its records'
 * join keys, stored beside the outputs and reused by later executions whose windows cover the
 * hour (docs/partials.md has the format and the rules). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/bias.h"
#include "biasmon/isotime.h"
#include "biasmon/sigv4.h"
#include "biasmon/store.h"
#include "internal.h"
#include "wire.h"

#define PARTIAL_MAGIC "BMHPART\n"
#define PARTIAL_VERSION 1u
#define PARTIAL_MAX (512u << 20) /* bytes of one partial: a larger hour is not saved */
#define PARTIAL_KEY_MAX 65535u   /* bytes of one join key kept in a partial */
#define PARTIAL_INPUTS 100000u   /* capture objects of one hour that a partial records */

/* join outcomes of a record, as bm__take_rows decided them */
enum { JOIN_NONE = 0, JOIN_DUP = 1, JOIN_LABELLED = 2, JOIN_BAD_LABEL = 3 };

struct bm__hour_build {
    bm_buf recs; /* the records' join entries, encoded as in the partial */
    uint64_t nrecs;
    bm__problem problems[MAX_FIRST];
    size_t nproblems;
    int have_win;
    bm__problem win; /* the hour's first in-window problem (bm__in_window_problem) */
    int64_t tmin, tmax;
    int unsaveable;
};

/* ==================================================================== recording an hour */

void bm__hour_problem(bm__hour_build *hb, const bm__problem *p)
{
    if (hb->nproblems < MAX_FIRST) hb->problems[hb->nproblems++] = *p;
}

void bm__hour_window_problem(bm__hour_build *hb, const bm__problem *p)
{
    if (hb->have_win) return;
    hb->have_win = 1;
    hb->win = *p;
}

void bm__hour_time(bm__hour_build *hb, int64_t t)
{
    if (t < hb->tmin) hb->tmin = t;
    if (t > hb->tmax) hb->tmax = t;
}

void bm__hour_lost(bm__hour_build *hb)
{
    hb->unsaveable = 1;
}

/* What a label is, for telling whether a record would join the same label again. */
static uint64_t label_print(const bm__gt_table *t, const bm__gt_entry *e)
{
    uint64_t h = bm__gt_hash(bm__gt_data(t, e));
    return (h ^ ((uint64_t)(e->encoding * 2u + e->json) * 0x9e3779b97f4a7c15ull)) | 1u;
}

void bm__hour_join(bm__run *r, bm_slice key, uint32_t tag, size_t nrows, int outcome,
                   const bm__gt_entry *gt)
{
    bm__hour_build *hb = r->hb;
    if (hb->unsaveable) return;
    if (key.n > PARTIAL_KEY_MAX || nrows > UINT32_MAX) {
        hb->unsaveable = 1;
        return;
    }
    bm_buf *b = &hb->recs;
    if (bm__put_bytes(b, key.p, key.n) || bm__put_u32(b, tag | (uint32_t)outcome << 28) ||
        bm__put_u32(b, (uint32_t)nrows) || bm__put_u64(b, gt ? label_print(&r->gt, gt) : 0)) {
        hb->unsaveable = 1; /* too large to save (or out of memory): the hour is not saved */
        bm_buf_release(b);
        return;
    }
    hb->nrecs++;
}

/* ==================================================================== the format */

static int put_problem(bm_buf *b, const bm__problem *p)
{
    return bm__put_bytes(b, p->file, strlen(p->file)) || bm__put_u64(b, (uint64_t)p->line) ||
                   bm__put_bytes(b, p->reason, strlen(p->reason))
               ? BM_ELIMIT
               : BM_OK;
}

static void get_problem(bm__cursor *c, bm__problem *p)
{
    bm_slice f = bm__get_bytes(c);
    p->line = (long)bm__get_u64(c);
    bm_slice why = bm__get_bytes(c);
    if (f.n >= sizeof(p->file) || why.n >= sizeof(p->reason)) c->bad = 1;
    if (c->bad) return;
    memcpy(p->file, f.p, f.n);
    p->file[f.n] = 0;
    memcpy(p->reason, why.p, why.n);
    p->reason[why.n] = 0;
}

/* The capture-only account of an hour: what a rescan of the hour adds to the run's counts
 * whatever the ground truth. */
typedef struct hour_counts {
    uint64_t files, records, in_window, outside, malformed, malformed_in_window;
} hour_counts;

static hour_counts counts_of(const bm__run *r)
{
    hour_counts c = {r->capture_files,  r->capture_records,   r->in_window,
                     r->outside_window, r->malformed_capture, r->malformed_in_window};
    return c;
}

/* The partial of hour h: header, inputs, account, cubes, records, then the SHA-256 of all that
 * as 64 hex digits. */
static int encode(bm__run *r, const bm__hour_build *hb, int64_t h, const bm_strlist *inputs,
                  const hour_counts *d, const bm_cube *all, const bm_cube *joined, bm_buf *out)
{
    bm_buf cube;
    bm_buf_init(&cube, PARTIAL_MAX);
    int rc = bm_buf_append(out, PARTIAL_MAGIC, 8) || bm__put_u32(out, PARTIAL_VERSION) ||
             bm_buf_append(out, r->cfg_hex, 64) || bm__put_u64(out, (uint64_t)h) ||
             bm__put_u64(out, (uint64_t)hb->tmin) || bm__put_u64(out, (uint64_t)hb->tmax) ||
             bm__put_u64(out, d->files) || bm__put_u64(out, d->records) ||
             bm__put_u64(out, d->in_window) || bm__put_u64(out, d->outside) ||
             bm__put_u64(out, d->malformed) || bm__put_u64(out, d->malformed_in_window) ||
             bm__put_u32(out, (uint32_t)inputs->n);
    for (size_t k = 0; !rc && k < inputs->n; k++)
        rc = bm__put_bytes(out, inputs->v[k], strlen(inputs->v[k]));
    if (!rc) rc = bm__put_u32(out, (uint32_t)hb->nproblems);
    for (size_t k = 0; !rc && k < hb->nproblems; k++)
        rc = put_problem(out, &hb->problems[k]);
    if (!rc) rc = bm__put_u32(out, (uint32_t)hb->have_win);
    if (!rc && hb->have_win) rc = put_problem(out, &hb->win);
    if (!rc) rc = bm_cube_write(all, &cube);
    if (!rc) rc = bm__put_bytes(out, cube.data ? cube.data : "", cube.len);
    bm_buf_reset(&cube);
    if (!rc) rc = bm_cube_write(joined, &cube);
    if (!rc) rc = bm__put_bytes(out, cube.data ? cube.data : "", cube.len);
    bm_buf_release(&cube);
    if (!rc) rc = bm__put_u64(out, hb->nrecs);
    if (!rc) rc = bm__put_bytes(out, hb->recs.data ? hb->recs.data : "", hb->recs.len);
    if (!rc) {
        char sum[65];
        bm_sigv4_sha256_hex(out->data, out->len, sum);
        rc = bm_buf_append(out, sum, 64);
    }
    return rc ? (rc == BM_ENOMEM ? BM_ENOMEM : BM_ELIMIT) : BM_OK;
}

/* A partial read back and checked, its parts pointing into the text. */
typedef struct decoded {
    int64_t hour, tmin, tmax;
    hour_counts d;
    bm__problem problems[MAX_FIRST];
    size_t nproblems;
    int have_win;
    bm__problem win;
    bm_slice all, joined, recs;
    uint64_t nrecs;
} decoded;

/* Checks text as the partial of hour h for this run's config and these inputs; "" when it is,
 * else why not in why. */
static void decode(bm__run *r, const char *text, size_t n, int64_t h, const bm_strlist *inputs,
                   decoded *o, char *why, size_t whyn)
{
    why[0] = 0;
    if (n < 8 + 4 + 64 + 64 || memcmp(text, PARTIAL_MAGIC, 8)) {
        snprintf(why, whyn, "not a biasmon hour partial (%zu bytes)", n);
        return;
    }
    char sum[65];
    bm_sigv4_sha256_hex(text, n - 64, sum);
    if (memcmp(sum, text + n - 64, 64)) {
        snprintf(why, whyn, "checksum mismatch (corrupt or truncated, %zu bytes)", n);
        return;
    }
    bm__cursor c = {(const unsigned char *)text + 8, (const unsigned char *)text + n - 64, 0};
    uint32_t version = bm__get_u32(&c);
    if (version != PARTIAL_VERSION) {
        snprintf(why, whyn, "format version %u, not %u", version, PARTIAL_VERSION);
        return;
    }
    if (memcmp(c.p, r->cfg_hex, 64)) {
        snprintf(why, whyn, "built for another analysis config or job input");
        return;
    }
    c.p += 64;
    o->hour = (int64_t)bm__get_u64(&c);
    o->tmin = (int64_t)bm__get_u64(&c);
    o->tmax = (int64_t)bm__get_u64(&c);
    o->d.files = bm__get_u64(&c);
    o->d.records = bm__get_u64(&c);
    o->d.in_window = bm__get_u64(&c);
    o->d.outside = bm__get_u64(&c);
    o->d.malformed = bm__get_u64(&c);
    o->d.malformed_in_window = bm__get_u64(&c);
    uint32_t ninputs = bm__get_u32(&c);
    if (!c.bad && o->hour != h) {
        snprintf(why, whyn, "built for another hour");
        return;
    }
    if (!c.bad && ninputs != inputs->n) {
        snprintf(why, whyn, "the hour had %u capture objects, it has %zu now", ninputs, inputs->n);
        return;
    }
    for (size_t k = 0; !c.bad && k < ninputs; k++) {
        bm_slice s = bm__get_bytes(&c);
        if (!c.bad && (s.n != strlen(inputs->v[k]) || memcmp(s.p, inputs->v[k], s.n))) {
            snprintf(why, whyn, "a capture object of the hour changed (%.300s)", inputs->v[k]);
            return;
        }
    }
    o->nproblems = bm__get_u32(&c);
    if (o->nproblems > MAX_FIRST) c.bad = 1;
    for (size_t k = 0; !c.bad && k < o->nproblems; k++)
        get_problem(&c, &o->problems[k]);
    o->have_win = (int)bm__get_u32(&c);
    if (o->have_win) get_problem(&c, &o->win);
    o->all = bm__get_bytes(&c);
    o->joined = bm__get_bytes(&c);
    o->nrecs = bm__get_u64(&c);
    o->recs = bm__get_bytes(&c);
    if (!c.bad && c.p != c.e) c.bad = 1;
    /* a record takes at least 20 bytes: a count beyond that is not believed (nor allocated for) */
    if (!c.bad && o->nrecs > o->recs.n / 20) c.bad = 1;
    if (c.bad) snprintf(why, whyn, "malformed content (its checksum matched)");
}

/* ==================================================================== reuse */

typedef struct undo {
    bm__gt_entry *e;
    uint32_t matched, tag;
} undo;

/* Joins the partial's records with this run's ground truth as bm__take_rows would: BM_OK when
 * each one joins as it did when the partial was built (the run's account then has them), else
 * BM_EDATA with everything undone (why says which record differs); BM_ENOMEM. */
static int replay(bm__run *r, const decoded *o, char *why, size_t whyn)
{
    undo *log = NULL;
    size_t nlog = 0;
    if (o->nrecs && !(log = bm_calloc((size_t)o->nrecs, sizeof(undo)))) return BM_ENOMEM;
    uint64_t joined = 0, rows = 0, unjoined = 0, dup = 0, bad = 0;
    char first_unjoined[sizeof(r->first_unmatched_capture)];
    snprintf(first_unjoined, sizeof(first_unjoined), "%s", r->first_unmatched_capture);
    bm__cursor c = {(const unsigned char *)o->recs.p, (const unsigned char *)o->recs.p + o->recs.n,
                    0};
    int rc = BM_OK;
    /* records are read RING - 1 ahead of their lookup, whose index slot is loaded meanwhile */
    enum { RING = 16 };
    struct replayed {
        bm_slice key;
        uint64_t h, print;
        uint32_t w, nrows;
    } ring[RING];
    uint64_t ahead = 0;
    for (uint64_t k = 0; k < o->nrecs && !rc; k++) {
        for (; ahead < o->nrecs && ahead < k + RING; ahead++) {
            struct replayed *a = &ring[ahead % RING];
            a->key = bm__get_bytes(&c);
            a->w = bm__get_u32(&c);
            a->nrows = bm__get_u32(&c);
            a->print = bm__get_u64(&c);
            if (c.bad) break;
            a->h = bm__gt_hash(a->key);
            bm__gt_prefetch(&r->gt, a->h);
        }
        if (c.bad) {
            snprintf(why, whyn, "malformed records (its checksum matched)");
            rc = BM_EDATA;
            break;
        }
        bm_slice key = ring[k % RING].key;
        uint32_t w = ring[k % RING].w, nrows = ring[k % RING].nrows;
        uint64_t print = ring[k % RING].print;
        uint32_t tag = w & ((1u << 27) - 1);
        int was = (int)(w >> 28), now;
        bm__gt_entry *gt = bm__gt_find(&r->gt, key, ring[k % RING].h);
        if (!gt)
            now = JOIN_NONE;
        else if (gt->matched && gt->event_tag == tag)
            now = JOIN_DUP;
        else if (label_print(&r->gt, gt) == print)
            now = was; /* the same label: it extracts as it did */
        else
            now = -1;
        if (now != was) {
            snprintf(why, whyn, "ground truth for id %.*s changed since it was built",
                     (int)(key.n > 100 ? 100 : key.n), key.p);
            rc = BM_EDATA;
            break;
        }
        switch (now) {
        case JOIN_NONE:
            unjoined++;
            if (!first_unjoined[0])
                snprintf(first_unjoined, sizeof(first_unjoined), "%.*s",
                         (int)(key.n > 200 ? 200 : key.n), key.p);
            break;
        case JOIN_DUP:
            dup++;
            break;
        case JOIN_BAD_LABEL:
            bad++;
            break;
        default:
            log[nlog++] = (undo){gt, gt->matched, gt->event_tag};
            if (!gt->matched) gt->event_tag = tag;
            gt->matched = 1;
            joined++;
            rows += nrows;
        }
    }
    if (!rc && c.p != c.e) {
        snprintf(why, whyn, "malformed records (its checksum matched)");
        rc = BM_EDATA;
    }
    if (rc) {
        while (nlog--) {
            log[nlog].e->matched = log[nlog].matched;
            log[nlog].e->event_tag = log[nlog].tag;
        }
    } else {
        r->joined_records += joined;
        r->rows += rows;
        r->unjoined_capture += unjoined;
        r->duplicate_capture += dup;
        r->malformed_gt += bad;
        memcpy(r->first_unmatched_capture, first_unjoined, sizeof(first_unjoined));
    }
    bm_free(log);
    return rc;
}

/* ==================================================================== the run's side */

int bm__partials_setup(bm__run *r, const char *config_text, size_t config_len, bm_error *err)
{
    const bm_job_definition *jd = r->jd;
    const bm_job_input *in = &jd->input;
    r->partials = 0;
    /* the job's own switch, for executions the service runs: BIASMON_PARTIALS "on" or "off" */
    json_t *sw = json_object_get(jd->environment, "BIASMON_PARTIALS");
    const char *swv = json_string_value(sw);
    if (sw && (!swv || (strcmp(swv, "on") && strcmp(swv, "off")))) {
        bm__fail_run(r, "$.ModelBiasAppSpecification.Environment.BIASMON_PARTIALS must be \"on\" "
                        "(the default) or \"off\" (docs/partials.md)");
        return BM_OK;
    }
    if ((swv && !strcmp(swv, "off")) || r->p->no_partials || r->nshards > 1 || in->batch ||
        !jd->output_uri || !jd->output_uri[0] || !in->endpoint_name || bm_plan_wants_ft(r->plan))
        return BM_OK;
    /* what the reduction of an hour depends on besides its capture */
    bm_buf m;
    bm_buf_init(&m, (32u << 20));
    char thr[64];
    snprintf(thr, sizeof(thr), "%d:%.17g", in->has_probability_threshold,
             in->has_probability_threshold ? in->probability_threshold : 0.5);
    const char *parts[] = {"biasmon hour partial 1\n",
                           r->p->capture_uri ? r->p->capture_uri : "",
                           in->endpoint_name,
                           in->features_attribute ? in->features_attribute : "\x01",
                           in->inference_attribute ? in->inference_attribute : "\x01",
                           in->probability_attribute ? in->probability_attribute : "\x01",
                           in->exclude_features_attribute ? in->exclude_features_attribute : "\x01",
                           thr};
    int rc = BM_OK;
    for (size_t k = 0; !rc && k < sizeof(parts) / sizeof(parts[0]); k++)
        rc = bm_buf_puts(&m, parts[k]) || bm_buf_putc(&m, 0) ? BM_ENOMEM : BM_OK;
    if (!rc) rc = bm_buf_append(&m, config_text, config_len) ? BM_ENOMEM : BM_OK;
    if (rc) {
        bm_buf_release(&m);
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    bm_sigv4_sha256_hex(m.data, m.len, r->cfg_hex);
    bm_buf_release(&m);
    char base[4096], key[64];
    snprintf(key, sizeof(key), "_partials/%.16s", r->cfg_hex);
    if (bm_uri_join(jd->output_uri, in->endpoint_name, base, sizeof(base)) ||
        bm_uri_join(base, key, r->partials_root, sizeof(r->partials_root) - 32))
        return BM_OK; /* too long to name: executions rescan */
    r->partials = 1;
    return BM_OK;
}

static void partial_note(bm__run *r, int64_t h, const char *why)
{
    if (r->npartial_notes >= MAX_FIRST) return;
    char label[32];
    bm__hour_label(h, label, sizeof(label));
    (void)bm_fmt_fit(r->partial_notes[r->npartial_notes++], sizeof(r->partial_notes[0]), "%s: %s",
                     label, why);
}

/* Checks text as the partial of h for these inputs (and, when window, that its records lie in
 * the run's window), then joins its records with the run's ground truth and merges its cubes and
 * account into the run: *used = 1. *used = 0 with why ("" never) when it cannot be used, the run
 * as it was. BM_OK, or BM_ENOMEM (err set; the run ends). */
int bm__partial_apply(bm__run *r, const char *text, size_t n, int64_t h, const bm_strlist *inputs,
                      int window, char *why, size_t whyn, int *used_out, bm_error *err)
{
    decoded o;
    memset(&o, 0, sizeof(o));
    bm_cube *all = NULL, *joined = NULL;
    int used = 0, status = BM_OK, rc;
    bm_error e;
    why[0] = 0;
    decode(r, text, n, h, inputs, &o, why, whyn);
    if (why[0]) goto out;
    if (window && o.tmin <= o.tmax && (o.tmin < r->ws || o.tmax >= r->we)) {
        snprintf(why, whyn, "its records reach outside this window");
        goto out;
    }
    bm_error_clear(&e);
    if ((rc = bm_cube_read(r->plan, o.all.p, o.all.n, &all, &e)) ||
        (rc = bm_cube_read(r->plan, o.joined.p, o.joined.n, &joined, &e))) {
        if (rc == BM_ENOMEM) {
            status = bm_error_set(err, BM_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(why, whyn, "its cubes do not read: %s", e.msg);
        goto out;
    }
    if ((rc = replay(r, &o, why, whyn)) == BM_ENOMEM) {
        status = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    if (rc) goto out;
    /* the hour as its rescan would have left the run */
    if ((rc = bm_cube_merge(r->all, all, err)) || (rc = bm_cube_merge(r->joined, joined, err))) {
        status = rc; /* the merged cubes would be neither: out of memory, the run ends */
        goto out;
    }
    r->capture_files += o.d.files;
    r->capture_records += o.d.records;
    r->in_window += o.d.in_window;
    r->outside_window += o.d.outside;
    r->malformed_capture += o.d.malformed;
    if (o.have_win && !r->malformed_in_window) r->first_in_window = o.win;
    r->malformed_in_window += o.d.malformed_in_window;
    for (size_t k = 0; k < o.nproblems; k++)
        bm__note_problem(r, o.problems[k].file, o.problems[k].line, "%s", o.problems[k].reason);
    used = 1;
out:
    bm_cube_free(all);
    bm_cube_free(joined);
    *used_out = used;
    return status;
}

bm__hour_build *bm__hour_build_new(void)
{
    bm__hour_build *hb = bm_calloc(1, sizeof(*hb));
    if (!hb) return NULL;
    bm_buf_init(&hb->recs, PARTIAL_MAX / 2);
    hb->tmin = INT64_MAX;
    hb->tmax = INT64_MIN;
    return hb;
}

void bm__hour_build_free(bm__hour_build *hb)
{
    if (!hb) return;
    bm_buf_release(&hb->recs);
    bm_free(hb);
}

int bm__partial_encode_run(bm__run *r, const bm__hour_build *hb, int64_t h,
                           const bm_strlist *inputs, bm_buf *out)
{
    if (hb->unsaveable || inputs->n > UINT32_MAX) return BM_ELIMIT;
    hour_counts d = counts_of(r);
    return encode(r, hb, h, inputs, &d, r->all, r->joined, out);
}

/* Tries the hour's partial: *used = 1 when it was used (the run's account and cubes have the
 * hour), 0 when the hour must be read (why says why, "" when there was no partial). BM_OK, or
 * BM_ENOMEM (the run ends). */
static int try_partial(bm__run *r, int64_t h, const char *uri, const bm_strlist *inputs,
                       bm_buf *read, int read_rc, const bm_error *read_err, char *why, size_t whyn,
                       int *used_out, bm_error *err)
{
    bm_buf text = *read; /* the partial as the prefetch read it (up to PREFETCH_MAX bytes) */
    bm_buf_init(read, PARTIAL_MAX);
    bm_error e = *read_err;
    int used = 0, status = BM_OK;
    why[0] = 0;
    int rc = read_rc;
    if (rc == BM_ELIMIT) { /* larger than a prefetch holds: read now, up to a partial's bound */
        bm_buf_release(&text);
        bm_buf_init(&text, PARTIAL_MAX);
        bm_error_clear(&e);
        rc = bm_store_read(uri, PARTIAL_MAX, &text, &e);
    }
    if (rc == BM_ENOMEM) {
        status = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    if (rc) {
        if (rc != BM_ENOTFOUND) snprintf(why, whyn, "cannot read it: %s", e.msg);
        goto out;
    }
    status = bm__partial_apply(r, text.data ? text.data : "", text.len, h, inputs, 1, why, whyn,
                               &used, err);
out:
    bm_buf_release(&text);
    *used_out = used;
    return status;
}

/* Reads hour h from its capture into the run, through cubes of its own merged into the run's,
 * and saves its partial when the whole hour was read and lies in the window. */
static int build_hour(bm__run *r, const char *root, const bm_strlist *variants, int64_t h,
                      const char *uri, const bm_strlist *inputs, bm_error *err)
{
    bm__hour_build hb;
    memset(&hb, 0, sizeof(hb));
    bm_buf_init(&hb.recs, PARTIAL_MAX / 2);
    hb.tmin = INT64_MAX;
    hb.tmax = INT64_MIN;
    bm_cube *tot_all = r->all, *tot_joined = r->joined;
    bm_cube *all = bm_cube_new(r->plan), *joined = bm_cube_new(r->plan);
    bm_buf out;
    bm_buf_init(&out, PARTIAL_MAX);
    int rc = BM_OK;
    if (!all || !joined) {
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    hour_counts before = counts_of(r);
    int64_t one = h;
    bm__hours hs = {&one, 1, 1};
    bm__folder_walk w = {.root = root, .variants = variants, .hs = &hs};
    r->all = all;
    r->joined = joined;
    r->hb = &hb;
    rc = bm__read_walk(r, &w, bm__read_capture_file, err);
    r->hb = NULL;
    r->all = tot_all;
    r->joined = tot_joined;
    if (rc) goto out;
    if ((rc = bm_cube_merge(tot_all, all, err)) || (rc = bm_cube_merge(tot_joined, joined, err)))
        goto out;
    hour_counts after = counts_of(r), d = {
                                          after.files - before.files,
                                          after.records - before.records,
                                          after.in_window - before.in_window,
                                          after.outside - before.outside,
                                          after.malformed - before.malformed,
                                          after.malformed_in_window - before.malformed_in_window,
                                      };
    if (hb.unsaveable || d.outside || d.files != inputs->n || r->res->status == BM_EXEC_FAILED) {
        r->partials_unsaved++;
        goto out;
    }
    int erc = encode(r, &hb, h, inputs, &d, all, joined, &out);
    if (erc == BM_ENOMEM) {
        rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        goto out;
    }
    bm_error e;
    bm_error_clear(&e);
    if (erc || bm_store_write(uri, out.data, out.len, &e)) {
        /* a partial not saved costs the next execution a rescan of the hour, nothing else */
        partial_note(r, h, erc ? "too large to save" : e.msg);
        r->partials_unsaved++;
        goto out;
    }
    r->partials_built++;
out:
    r->hb = NULL;
    r->all = tot_all;
    r->joined = tot_joined;
    bm_cube_free(all);
    bm_cube_free(joined);
    bm_buf_release(&hb.recs);
    bm_buf_release(&out);
    return rc;
}

/* ==================================================================== reading ahead */

/* What an hour needs before the run can use or rebuild its partial: the listing of its capture
 * objects and the partial itself. Over S3 each is a request; made one hour after the other on
 * the run's thread they were most of a reused execution's time (two round trips an hour), so
 * the next hours' are made on threads while the run takes the current one's. */
#define PREFETCH_HOURS 4u       /* hours fetched at once; two such batches at most */
#define PREFETCH_MAX (8u << 20) /* bytes of a partial read ahead; a larger one later */

typedef struct hour_ahead {
    /* in */
    const char *root, *proot;
    const bm_strlist *variants;
    int64_t h;
    /* out */
    int list_rc; /* BM_OK, BM_ELIMIT (more objects than a partial records) or the error */
    bm_error list_err;
    bm_strlist inputs; /* "VARIANT/NAME\tSIZE\tSTAMP" */
    int read_rc;       /* the partial's read (when inputs.n): BM_ELIMIT past PREFETCH_MAX */
    bm_error read_err;
    bm_buf text;
    char uri[4200];
    pthread_t th;
    int threaded; /* a thread fetches it */
    int fetched;
} hour_ahead;

/* Lists hour a->h's capture objects and reads its partial; touches nothing but *a. */
static void *fetch_hour(void *arg)
{
    hour_ahead *a = arg;
    char key[32], dir[4200];
    bm_strlist one = {0};
    bm__hour_key(a->h, key, sizeof(key));
    bm_error_clear(&a->list_err);
    bm_error_clear(&a->read_err);
    a->list_rc = a->read_rc = BM_OK;
    for (size_t v = 0; !a->list_rc && v < a->variants->n; v++) {
        char vdir[4096];
        bm_strlist_release(&one);
        if (bm_uri_join(a->root, a->variants->v[v], vdir, sizeof(vdir)) ||
            bm_uri_join(vdir, key, dir, sizeof(dir))) {
            a->list_rc = bm_error_set(&a->list_err, BM_ELIMIT,
                                      "the hour folder %s of variant %s has a URI longer than "
                                      "%zu bytes",
                                      key, a->variants->v[v], sizeof(vdir) - 1);
            break;
        }
        if ((a->list_rc = bm_store_list_stamped(dir, PARTIAL_INPUTS, &one, &a->list_err))) break;
        for (size_t k = 0; !a->list_rc && k < one.n; k++) {
            char entry[8400];
            int n = snprintf(entry, sizeof(entry), "%s/%s", a->variants->v[v], one.v[k]);
            if (n < 0 || (size_t)n >= sizeof(entry) ||
                bm_strlist_push(&a->inputs, entry, (size_t)n))
                a->list_rc = bm_error_set(&a->list_err, BM_ENOMEM, "out of memory");
        }
    }
    bm_strlist_release(&one);
    snprintf(a->uri, sizeof(a->uri), "%s/%s.bmp", a->proot, key);
    if (!a->list_rc && a->inputs.n)
        a->read_rc = bm_store_read(a->uri, PREFETCH_MAX, &a->text, &a->read_err);
    return NULL;
}

/* Starts hours [from, from + PREFETCH_HOURS) of hs into batch b: on threads when ahead, else
 * (local files, or a thread that cannot start) in fetch_wait, on the run's thread. */
static void fetch_start(hour_ahead *b, size_t from, const bm__hours *hs, const char *root,
                        const char *proot, const bm_strlist *variants, int ahead)
{
    for (size_t k = 0; k < PREFETCH_HOURS; k++) {
        hour_ahead *a = &b[k];
        memset(a, 0, sizeof(*a));
        if (from + k >= hs->n) continue;
        a->root = root;
        a->proot = proot;
        a->variants = variants;
        a->h = hs->v[from + k];
        bm_buf_init(&a->text, PREFETCH_MAX);
        a->threaded = ahead && !pthread_create(&a->th, NULL, fetch_hour, a);
    }
}

/* Hour a's listing and partial, fetched (waiting for its thread, or here). */
static void fetch_wait(hour_ahead *a)
{
    if (a->threaded)
        pthread_join(a->th, NULL);
    else if (a->root && !a->fetched)
        fetch_hour(a);
    a->threaded = 0;
    a->fetched = 1;
}

/* Frees what hour a holds, its thread ended first; an hour not fetched is not fetched now. */
static void fetch_release(hour_ahead *a)
{
    if (a->threaded) pthread_join(a->th, NULL);
    a->threaded = 0;
    bm_strlist_release(&a->inputs);
    bm_buf_release(&a->text);
    a->root = NULL;
}

int bm__read_capture_hours(bm__run *r, const char *root, const bm_strlist *variants,
                           const bm__hours *hs, bm_error *err)
{
    int rc = BM_OK;
    /* local files are listed and read on this thread as they come, as before */
    int ahead = !bm_store_is_local(root) || !bm_store_is_local(r->partials_root);
    hour_ahead *batch[2] = {NULL, NULL};
    if (!(batch[0] = bm_calloc(2 * PREFETCH_HOURS, sizeof(hour_ahead))))
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    batch[1] = batch[0] + PREFETCH_HOURS;
    size_t nb = (hs->n + PREFETCH_HOURS - 1) / PREFETCH_HOURS;
    if (nb && ahead) fetch_start(batch[0], 0, hs, root, r->partials_root, variants, 1);
    for (size_t b = 0; b < nb; b++) {
        hour_ahead *cur = batch[b & 1];
        if (!ahead) fetch_start(cur, b * PREFETCH_HOURS, hs, root, r->partials_root, variants, 0);
        /* the batch after this one is fetched while this one is taken */
        if (ahead && b + 1 < nb && !rc && r->res->status != BM_EXEC_FAILED) {
            for (size_t k = 0; k < PREFETCH_HOURS; k++)
                fetch_wait(&cur[k]);
            fetch_start(batch[(b + 1) & 1], (b + 1) * PREFETCH_HOURS, hs, root, r->partials_root,
                        variants, 1);
        }
        for (size_t k = 0; k < PREFETCH_HOURS; k++) {
            hour_ahead *a = &cur[k];
            if (!a->root) continue;
            if (rc || r->res->status == BM_EXEC_FAILED) {
                fetch_release(a);
                continue;
            }
            fetch_wait(a);
            int64_t h = a->h;
            if (a->list_rc ==
                BM_ELIMIT) { /* more objects than a partial records: read it as before */
                bm__hours single = {&a->h, 1, 1};
                bm__folder_walk w = {.root = root, .variants = variants, .hs = &single};
                rc = bm__read_walk(r, &w, bm__read_capture_file, err);
                fetch_release(a);
                continue;
            }
            if (a->list_rc) {
                *err = a->list_err;
                rc = a->list_rc;
                fetch_release(a);
                continue;
            }
            if (!a->inputs.n) { /* nothing captured in the hour: nothing to read */
                fetch_release(a);
                continue;
            }
            char why[600];
            int used = 0;
            rc = try_partial(r, h, a->uri, &a->inputs, &a->text, a->read_rc, &a->read_err, why,
                             sizeof(why), &used, err);
            if (!rc && used) r->partials_reused++;
            if (!rc && !used) {
                if (why[0]) {
                    r->partials_rejected++;
                    partial_note(r, h, why);
                }
                rc = build_hour(r, root, variants, h, a->uri, &a->inputs, err);
            }
            fetch_release(a);
        }
    }
    /* a batch started and not taken (the run ended early) */
    for (size_t k = 0; k < 2 * PREFETCH_HOURS; k++)
        fetch_release(&batch[0][k]);
    bm_free(batch[0]);
    return rc;
}
