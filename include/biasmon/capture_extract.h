/* Turning one invocation's payloads into rows: features, predictions and labels.
 * Part of the capture row source's interface to lib/monitor/, which runs it (and to the tests);
 * the bm__ names mark it as not meant for programs using the library. Not thread-safe: one
 * object per thread. */
#ifndef BIASMON_CAPTURE_EXTRACT_H
#define BIASMON_CAPTURE_EXTRACT_H

#include <jansson.h>
#include "biasmon/capture.h"
#include "biasmon/cell.h"
#include "biasmon/jmespath.h"

/* A value taken from a payload: text kept in the extractor's arena (typed later, as CSV text),
 * or a JSON scalar (typed as JSON). */
typedef struct bm__xval {
    int json;
    size_t off, len; /* arena text when !json */
    json_t *v;       /* borrowed from a document the extractor holds when json */
} bm__xval;

typedef struct bm__xlist {
    bm__xval *v;
    size_t n, cap;
} bm__xlist;

typedef struct bm__extractor {
    bm_buf arena;     /* decoded payloads and field texts */
    bm_buf copy;      /* a decoded payload being split */
    bm_slice *fields; /* one split CSV record */
    size_t fcap;
    json_t **docs; /* parsed JSON documents, released by reset */
    size_t ndocs, docs_cap;
    bm__xlist features; /* nrows * nfeat values, row-major */
    bm__xlist preds;
    bm__xlist labels;
    size_t nfeat_rows;
    /* settings */
    size_t nfeat;    /* features per row after exclusions */
    size_t *exclude; /* 0-based positions dropped from captured features */
    size_t nexclude;
    bm_jmespath *features_expr;  /* JSON features (FeaturesAttribute), or NULL */
    bm_jmespath *inference_expr; /* JSON predicted label (InferenceAttribute) */
    bm_jmespath *probability_expr;
    long inference_index;    /* CSV column of the predicted label, -1 */
    long probability_index;  /* CSV column of the score, -1 */
    double threshold;        /* score > threshold is 1 */
    bm_jmespath *label_expr; /* JSON ground truth (the analysis config's label), or NULL */
    struct bm__ctype {       /* content types seen last and what they say (a record */
        char text[64];       /* has two, the same on every record) */
        size_t n;
        unsigned char json, jsonl, csv;
    } ctypes[2];
    unsigned nctypes, ctype_next;
    char why[300]; /* why the last extraction failed */
    const char
        *why_setting; /* the job setting that failure points at ("InferenceAttribute"), or NULL */
} bm__extractor;

void bm__extractor_reset(bm__extractor *x);
void bm__extractor_release(bm__extractor *x);

/* Each returns BM_OK, BM_EDATA (x->why says what is wrong with the record) or BM_ENOMEM. */
int bm__extract_features(bm__extractor *x, const bm_capture_payload *p) BM_MUST_CHECK;
int bm__extract_predictions(bm__extractor *x, const bm_capture_payload *p) BM_MUST_CHECK;
int bm__extract_labels(bm__extractor *x, bm_slice data, int encoding, int json_type) BM_MUST_CHECK;

/* One batch-transform output record: CSV fields without the inference id and time columns (the
 * prediction is the InferenceAttribute / ProbabilityAttribute column, else the last one; the
 * other columns are the features), or a JSON record (features and prediction by attribute). */
int bm__extract_batch_csv(bm__extractor *x, const bm_slice *fields, size_t n) BM_MUST_CHECK;
int bm__extract_batch_json(bm__extractor *x, json_t *rec) BM_MUST_CHECK;

/* Cell of a value (text must not move afterwards: call after all extraction of the record). */
void bm__xval_cell(const bm__extractor *x, const bm__xval *v, bm_cell *c);
/* The text of a text value (!v->json), under the same condition. */
static inline bm_slice bm__xval_text(const bm__extractor *x, const bm__xval *v)
{
    bm_slice s = {x->arena.data ? x->arena.data + v->off : "", v->len};
    return s;
}

#endif
