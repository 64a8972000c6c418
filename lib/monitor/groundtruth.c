/* Ground truth: the hour folders of [window start, T] read into the join table (T the current
 * execution's when a later one revisits the window). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "biasmon/isotime.h"
#include "biasmon/store.h"
#include "internal.h"

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

/* bm__gt_put's failure rc as the run's error. */
static int put_failed(const bm__run *r, int rc, bm_error *err)
{
    if (rc == BM_ELIMIT)
        return bm_error_set(err, BM_ELIMIT,
                            "more ground truth than biasmon holds at once (%zu ids or 4 GiB of "
                            "labels): shorten the window so that fewer hours of ground truth "
                            "are read",
                            r->gt.max);
    return bm_error_set(err, rc, "out of memory");
}

static int gt_line(bm__run *r, const char *uri, bm__staged *s, bm_error *err)
{
    int ok = bm__scanned_record(r, uri, s, &r->malformed_gt, err);
    if (ok <= 0) return ok < 0 ? BM_ENOMEM : BM_OK;
    const bm_capture_record *rec = &s->rec;
    long lineno = s->lineno;
    if (!rec->ground_truth.present || !rec->event_id.n) {
        r->malformed_gt++;
        bm__note_problem(r, uri, lineno, "%s",
                         !rec->ground_truth.present
                             ? "ground-truth record without groundTruthData"
                             : "ground-truth record without eventMetadata.eventId");
        return BM_OK;
    }
    int enc = encoding_code(rec->ground_truth.encoding);
    if (enc == BM__ENC_OTHER) {
        r->malformed_gt++;
        bm__note_problem(r, uri, lineno, "%s",
                         "groundTruthData.encoding must be CSV, JSON or BASE64");
        return BM_OK;
    }
    r->gt_records++;
    int json = enc == BM__ENC_JSON || content_is_json(rec->ground_truth.content_type);
    int rc = bm__gt_put(&r->gt, rec->event_id, rec->ground_truth.data, enc, json);
    if (rc) return put_failed(r, rc, err);
    bm__gtc_record(r, rec->event_id, rec->ground_truth.data, enc, json);
    return BM_OK;
}

static int read_gt_file(bm__run *r, bm_store_item *it, bm_error *err)
{
    /* size the join table from the object (a record is rarely under 100 bytes) instead of
     * growing it */
    uint64_t size;
    if (it->reader && !bm_store_reader_size(it->reader, &size) && size > 0) {
        r->gt_bytes_seen += size;
        int rc = bm__gt_reserve(&r->gt, (size_t)(r->gt_bytes_seen / 100),
                                (size_t)(r->gt_bytes_seen / 3));
        if (rc) return bm_error_set(err, rc, "out of memory");
    }
    /* an unchanged file whose summary is beside the partials: its puts without its JSON */
    int took = bm__gtc_take(r, it, err);
    if (took > 0) return BM_OK;
    if (took < 0) return -took == BM_ENOMEM ? BM_ENOMEM : put_failed(r, -took, err);
    uint64_t malformed = r->malformed_gt, files = r->gt_files;
    bm__gtc_begin(r, it->uri);
    int rc = bm__each_item_line(r, it, &r->gt_files, NULL, &r->malformed_gt, NULL, gt_line, err);
    bm__gtc_end(r, it->uri, malformed, files, rc);
    return rc;
}

int bm__read_ground_truth(bm__run *r, bm_error *err)
{
    const char *root = r->jd->ground_truth_uri;
    snprintf(r->gt_root, sizeof(r->gt_root), "%s", root);
    bm__hours hs = {0};
    int rc = bm__walk_hours(root, bm_time_hour_floor(r->ws),
                            bm_time_hour_floor(r->gt_end ? r->gt_end : r->T), &hs, err);
    bm__folder_walk w = {.root = root, .hs = &hs};
    if (!rc) rc = bm__read_walk(r, &w, read_gt_file, err);
    bm__hours_release(&hs);
    if (rc == BM_ENOMEM) return rc;
    if (rc) {
        char msg[1200];
        bm_error_format(err, msg, sizeof(msg));
        bm__fail_run(r, "cannot read ground truth: %s", msg);
        return BM_OK;
    }
    if (bm__gt_index(&r->gt)) return bm_error_set(err, BM_ENOMEM, "out of memory");
    return BM_OK;
}

/* Counts the ground truth no capture record joined, and keeps the first such id. */
void bm__count_unmatched_gt(bm__run *r)
{
    for (size_t k = 0; k < r->gt.n; k++)
        if (!r->gt.ents[k].matched && !r->gt.ents[k].superseded) {
            if (!r->gt_unmatched++) {
                bm_slice id = bm__gt_id(&r->gt, &r->gt.ents[k]);
                snprintf(r->first_unmatched_gt, sizeof(r->first_unmatched_gt), "%.*s",
                         (int)(id.n > 200 ? 200 : id.n), id.p);
            }
        }
}
