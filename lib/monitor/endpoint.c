/* Endpoint capture: the variants' hour folders, each in-window record's rows joined and counted. */
#include <stdio.h>
#include <string.h>
#include "biasmon/isotime.h"
#include "biasmon/store.h"
#include "internal.h"

bm_slice bm__join_key(const bm_capture_record *rec)
{
    return rec->inference_id.n ? rec->inference_id : rec->event_id;
}

/* One in-window endpoint capture record. */
static int take_record(bm__run *r, const char *uri, long line, const bm_capture_record *rec,
                       uint64_t key_hash, bm_error *err)
{
    bm__extractor *x = &r->x;
    bm__extractor_reset(x);
    int rc = bm__extract_features(x, &rec->input);
    if (!rc) rc = bm__extract_predictions(x, &rec->output);
    if (!rc)
        rc = bm__take_rows(r, bm__join_key(rec), key_hash,
                           rec->event_id.n ? rec->event_id : bm__join_key(rec), err);
    if (rc == BM_ENOMEM) return bm_error_set(err, rc, "out of memory");
    if (rc == BM_EDATA) {
        bm__in_window_problem(r, uri, line);
        return BM_OK;
    }
    return rc;
}

/* Stage one of a capture line: scan it, hash its join key and start loading the key's slot. */
static void capture_scan(bm__run *r, bm__staged *s, int slot)
{
    bm__scan_record(r, s, slot);
    if (s->rc) return;
    bm_slice key = bm__join_key(&s->rec);
    if (!key.n) return;
    s->key_hash = bm__gt_hash(key);
    bm__gt_prefetch(&r->gt, s->key_hash);
}

static int capture_line(bm__run *r, const char *uri, bm__staged *s, bm_error *err)
{
    r->capture_records++;
    int ok = bm__scanned_record(r, uri, s, &r->malformed_capture, err);
    if (ok <= 0) return ok < 0 ? BM_ENOMEM : BM_OK;
    const bm_capture_record *rec = &s->rec;
    long lineno = s->lineno;
    int64_t t;
    bm_error e;
    e.code = 0;
    if (!rec->inference_time.n ||
        bm_time_parse(rec->inference_time.p, rec->inference_time.n, &t, &e)) {
        r->malformed_capture++;
        bm__note_problem(r, uri, lineno, "%s",
                         rec->inference_time.n ? "eventMetadata.inferenceTime is not a UTC time"
                                               : "no eventMetadata.inferenceTime");
        return BM_OK;
    }
    if (r->hb) bm__hour_time(r->hb, t);
    if (t < r->ws || t >= r->we) {
        r->outside_window++;
        return BM_OK;
    }
    if (!rec->event_id.n && !rec->inference_id.n) {
        r->malformed_capture++;
        bm__note_problem(r, uri, lineno, "%s",
                         "no eventMetadata.eventId or inferenceId to join ground truth on");
        return BM_OK;
    }
    r->in_window++;
    return take_record(r, uri, lineno, rec, s->key_hash, err);
}

int bm__read_capture_file(bm__run *r, bm_store_item *it, bm_error *err)
{
    return bm__each_item_line(r, it, &r->capture_files, &r->capture_records, &r->malformed_capture,
                              capture_scan, capture_line, err);
}

int bm__read_capture(bm__run *r, bm_error *err)
{
    const bm_job_input *in = &r->jd->input;
    if (!r->p->capture_uri) {
        bm__fail_run(r, "the endpoint's capture destination is unknown: pass the endpoint's "
                        "DataCaptureConfig.DestinationS3Uri (biasmon execute --capture-uri URI)");
        return BM_OK;
    }
    char root[4096];
    if (bm_uri_join(r->p->capture_uri, in->endpoint_name, root, sizeof(root))) {
        bm__fail_run(r,
                     "the capture URI (%zu bytes) with the endpoint name is longer than %zu bytes: "
                     "use a shorter "
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
        bm__fail_run(r, "cannot list capture variants under %s: %s", root, err->msg);
        return BM_OK;
    }
    /* the hours that exist for any variant, read hour by hour across the variants */
    bm__hours hs = {0};
    for (size_t v = 0; !rc && v < variants.n; v++) {
        char vdir[4096];
        bm__hours one = {0};
        if (bm_uri_join(root, variants.v[v], vdir, sizeof(vdir)))
            rc = bm_error_set(err, BM_ELIMIT,
                              "the variant folder %s under %s has a URI longer than %zu bytes",
                              variants.v[v], root, sizeof(vdir) - 1);
        else if (!(rc = bm__existing_hours(vdir, bm_time_hour_floor(r->ws),
                                           bm_time_hour_floor(r->we - 1), &one, err)) &&
                 bm__hours_merge(&hs, &one))
            rc = bm_error_set(err, BM_ENOMEM, "out of memory");
        bm__hours_release(&one);
    }
    bm__folder_walk w = {.root = root, .variants = &variants, .hs = &hs};
    if (!rc)
        rc = r->nshards > 1 ? bm__read_capture_shards(r, root, &variants, &hs, err)
             : r->partials  ? bm__read_capture_hours(r, root, &variants, &hs, err)
                            : bm__read_walk(r, &w, bm__read_capture_file, err);
    bm__hours_release(&hs);
    bm_strlist_release(&variants);
    if (rc == BM_ENOMEM) return rc;
    if (rc) bm__capture_failure(r, rc, err);
    return BM_OK;
}

void bm__capture_failure(bm__run *r, int rc, const bm_error *err)
{
    char msg[1200];
    bm_error_format(err, msg, sizeof(msg));
    bm__fail_run(r, "%s: %s",
                 rc == BM_ELIMIT ? "the capture data goes beyond a bound of biasmon"
                                 : "cannot read capture data",
                 msg);
}
