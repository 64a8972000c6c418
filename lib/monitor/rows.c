/* One invocation's extracted rows joined with its ground truth, into the cubes. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/bias.h"
#include "internal.h"

/* Row `row` of the record into cube c, with its label (NULL: none). A row of text values (CSV
 * payloads and labels) goes through the cube's memoized CSV path, which types a text it has seen
 * in the column before without parsing it again; a row with a JSON value goes as typed cells.
 * Both give the same cube. */
static int add_row(bm__run *r, bm_cube *c, size_t row, const bm__xval *label, bm_error *err)
{
    const bm__extractor *x = &r->x;
    const bm__xval *feat = &x->features.v[row * r->nfeat], *pred = &x->preds.v[row];
    int text = !pred->json && !(label && label->json);
    for (size_t k = 0; text && k < r->nfeat; k++)
        text = !feat[k].json;
    if (text) {
        for (size_t k = 0; k < r->nfeat; k++)
            r->fields[k] = bm__xval_text(x, &feat[k]);
        r->fields[r->nfeat] =
            label ? bm__xval_text(x, label) : (bm_slice){"", 0}; /* "" is missing */
        r->fields[r->nfeat + 1] = bm__xval_text(x, pred);
        return bm_cube_add_csv(c, r->fields, r->ncols, err);
    }
    for (size_t k = 0; k < r->nfeat; k++)
        bm__xval_cell(x, &feat[k], &r->cells[k]);
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
int bm__take_rows(bm__run *r, bm_slice key, uint64_t key_hash, bm_slice event, bm_error *err)
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
            if (r->hb) bm__hour_join(r, key, tag, x->nfeat_rows, 1, gt);
            return BM_OK;
        }
    }
    if (gt) {
        if ((rc = bm__extract_labels(x, bm__gt_data(&r->gt, gt), gt->encoding, gt->json)) ==
            BM_ENOMEM)
            return bm_error_set(err, rc, "out of memory");
        if (!rc && x->labels.n != x->nfeat_rows) {
            snprintf(x->why, sizeof(x->why),
                     "the invocation has %zu records but its ground truth has %zu labels",
                     x->nfeat_rows, x->labels.n);
            rc = BM_EDATA;
        }
        if (rc) {
            r->malformed_gt++;
            char where[600];
            snprintf(where, sizeof(where), "ground truth for id %.*s",
                     (int)(key.n > 100 ? 100 : key.n), key.p);
            bm__note_problem(r, where, 0, "%s", x->why);
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
    if (r->hb) bm__hour_join(r, key, tag, x->nfeat_rows, !gt ? 0 : labelled ? 2 : 3, gt);
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
