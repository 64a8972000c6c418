/* A model's predictions for a dataset that has none: what Clarify does with the analysis config's
 * `predictor` (lib/monitor/predict.c), before the dataset is analysed as one that had them. */
#ifndef BIASMON_PREDICT_H
#define BIASMON_PREDICT_H

#include "biasmon/config.h"

#define BM_PREDICT_BATCH_ROWS 100         /* rows in one request at most */
#define BM_PREDICT_BATCH_BYTES (1u << 20) /* a request's body is closed past this size */
#define BM_PREDICT_IN_FLIGHT 4            /* requests at once at most */
#define BM_PREDICT_ATTEMPTS 5             /* tries of one request at most */
#define BM_PREDICT_MAX_ANSWER (16u << 20) /* bytes of one answer at most */
#define BM_PREDICT_TIMEOUT_S 60           /* one request, connecting included */
#define BM_PREDICT_EXCERPT 120            /* bytes of an answer quoted in an error at most */

typedef struct bm_predict_opts {
    const char *model_url; /* http:// or https:// URL the requests are POSTed to; required */
    size_t batch_rows;     /* 0: BM_PREDICT_BATCH_ROWS */
    double backoff_s;      /* the wait before the first retry, doubled for each next one;
                              0: 0.5 s */
} bm_predict_opts;

typedef struct bm_predict_stats {
    unsigned long long rows;     /* data rows predicted */
    unsigned long long requests; /* requests sent, retries included */
    unsigned long long retries;
} bm_predict_stats;

/* Reads the CSV dataset at the local path `local` as cfg says (its header row, or cfg's headers),
 * sends each row's features (every column but the label and the excluded ones, in order) to the
 * model in batches (at most BM_PREDICT_BATCH_ROWS rows or about BM_PREDICT_BATCH_BYTES each, at
 * most BM_PREDICT_IN_FLIGHT requests at once, each retried up to BM_PREDICT_ATTEMPTS times in all
 * with doubling waits on a 5xx or 429 answer, a timeout or a lost connection), encoded as
 * cfg->predictor's content_type says, reads each row's prediction from the answer by its
 * accept_type, label, probability and label_headers, and writes to out_fd (a file the caller
 * opened for writing, positioned at its start) the same CSV with one more column holding the
 * predictions: every record as read (quoted fields quoted again), padded to the header's width.
 * Then updates cfg to read that file: predicted_label names the new column (headers, when cfg
 * has them, get it too), and when the predictions are scores (probability without label) and cfg
 * has no probability_threshold, it gets Clarify's default 0.5.
 * Errors name the dataset as `shown`: BM_ECONFIG for a predictor that cannot be used (err->path),
 * BM_EDATA when the model fails (the message names the rows, their lines, the HTTP status or the
 * connection error, and at most BM_PREDICT_EXCERPT bytes of the answer, made printable), the
 * CSV reader's errors with line and field, BM_EIO when out_fd cannot be written, BM_ENOMEM.
 * A JSON Lines dataset (cfg's features, headers) sends each record's features less the excluded
 * ones, and writes each record back with the prediction as its first member, named
 * "__biasmon_prediction", which predicted_label then names (a record that has it is BM_EDATA).
 * stats may be NULL. */
int bm_predict_dataset(bm_analysis_config *cfg, const char *local, const char *shown,
                       const bm_predict_opts *opts, int out_fd, bm_predict_stats *stats,
                       bm_error *err) BM_MUST_CHECK;

#endif
