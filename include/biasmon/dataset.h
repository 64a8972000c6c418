/* Reading a dataset (CSV or JSON Lines, as the analysis config says) into a count cube: the first
 * stage of the analyze run (lib/monitor/dataset.c), over lib/table/'s row sources. */
#ifndef BIASMON_DATASET_H
#define BIASMON_DATASET_H

#include "biasmon/bias.h"
#include "biasmon/config.h"

/* The result of reading a dataset: the plan its columns gave, and the cube of its rows. */
typedef struct bm_dataset_result {
    bm_plan *plan;
    bm_cube *cube;
    bm_analysis_config view; /* the config as the plan sees it (JSON Lines: columns renamed) */
    char **owned;            /* strings the view points to */
    size_t nowned;
} bm_dataset_result;

/* Reads path and fills out. CSV: RFC 4180; the first record is the header row unless the config
 * has `headers` (then a first record equal to them is skipped as a header, otherwise every
 * record is data); a record with more fields than columns is an error, fewer fields are
 * missing values (as pandas reads them). JSON Lines: one object per line; `features` must
 * yield a list with one value per header but the last, `label` the label (the last header),
 * `predicted_label` the prediction. CSV files are read by nthreads threads in byte ranges whose
 * cubes are merged, which gives the same result as one pass; nthreads <= 0 means one per CPU
 * for files larger than 16 MiB and one otherwise. Errors name the file, line and column. cfg must
 * outlive out. */
int bm_dataset_read(const bm_analysis_config *cfg, const char *path, int nthreads,
                    bm_dataset_result *out, bm_error *err) BM_MUST_CHECK;
/* The same, from a local file the caller has already resolved and checked (a confined reader
 * passes /proc/self/fd/N of a descriptor it opened beneath its root); errors name `shown` (the
 * URI the user gave) instead of local_path. */
int bm_dataset_read_local(const bm_analysis_config *cfg, const char *local_path, const char *shown,
                          int nthreads, bm_dataset_result *out, bm_error *err) BM_MUST_CHECK;
void bm_dataset_result_release(bm_dataset_result *r);

#endif
