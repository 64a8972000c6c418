/* The bias engine: binarization plan, the mergeable count cube, and Clarify's metrics. */
#ifndef BIASMON_BIAS_H
#define BIASMON_BIAS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "biasmon/cell.h"
#include "biasmon/common.h"
#include "biasmon/config.h"

/* Limits that keep the cube's memory independent of the row count. */
#define BM_MAX_FACET_VALUES 65536        /* distinct values of a one-vs-all facet */
#define BM_MAX_GROUP_VALUES 65536        /* distinct values of group_variable */
#define BM_MAX_DISTINCT_TRACK (1u << 20) /* distinct integers tracked per column for typing */

/* Contracts common to this header:
 * - Errors: functions returning int return BM_OK or a bm_status and fill err (which may be NULL)
 *   with a message naming the config path or column; they never print. Out-parameters are NULL
 *   on failure.
 * - Threads: a plan is immutable once built and may be shared by any number of threads. A cube
 *   belongs to one thread at a time while rows are added or merged into it; the usual pattern is
 *   one cube per thread from one plan, merged at the end (bm_cube_merge). Functions taking a
 *   const cube only read it, so several threads may analyze or write one cube at once. There is
 *   no global state.
 * - Lifetimes: a plan must outlive every cube made from it, and the config it was built from
 *   must outlive the plan. */

/* A plan: an analysis config resolved against a dataset's column names. */
typedef struct bm_plan bm_plan;

/* Builds a plan into *out (the caller's, freed with bm_plan_free). colnames: the dataset's
 * columns in order (ncols >= 1), copied. Columns named in the config must exist (BM_ECONFIG
 * naming the config path and listing the columns otherwise); BM_ENOMEM. */
int bm_plan_new(const bm_analysis_config *cfg, const char *const *colnames, size_t ncols,
                bm_plan **out, bm_error *err) BM_MUST_CHECK;
/* Frees a plan; NULL is a no-op. Every cube made from it must be freed first. */
void bm_plan_free(bm_plan *p);

/* The columns bm_cube_add reads (others may be left unparsed); sorted, no duplicates. *cols
 * points into the plan (valid until bm_plan_free); returns their count. */
size_t bm_plan_used_columns(const bm_plan *p, const size_t **cols);
/* The number of dataset columns the plan was built for. */
size_t bm_plan_ncols(const bm_plan *p);
/* 1 when the flip test is requested: cubes then keep a feature row per data row. */
int bm_plan_wants_ft(const bm_plan *p);

/* The count cube: sufficient statistics of all rows added so far (per facet: counts by facet
 * class, group, label class and prediction class; per column: the facts pandas' typing needs),
 * plus the flip test's feature rows when the plan wants FT. Memory grows with the number of
 * distinct classes and groups, never with rows (except the FT rows). */
typedef struct bm_cube bm_cube;

/* An empty cube for plan p (borrowed: p must outlive it), freed with bm_cube_free; NULL when out
 * of memory. */
bm_cube *bm_cube_new(const bm_plan *p);
/* Frees a cube; NULL is a no-op. */
void bm_cube_free(bm_cube *c);

/* Adds one row. cells is indexed by column (bm_plan_ncols entries; borrowed, copied as needed);
 * only the used columns are read. Returns BM_OK, BM_ENOMEM, or BM_ELIMIT (a bound above was
 * exceeded; err says which column and bound). After a failure the row may be partly counted:
 * the cube may only be freed. */
int bm_cube_add(bm_cube *c, const bm_cell *cells, bm_error *err) BM_MUST_CHECK;

/* Adds one CSV record: fields indexed by column (missing trailing fields are empty; borrowed),
 * typed as bm_cell_from_csv does. Same result and errors as bm_cube_add on those cells; faster,
 * because a field's text seen before in the same column is not parsed or classified again (the
 * memo lives in the cube, which is why a cube is one thread's at a time). */
int bm_cube_add_csv(bm_cube *c, const bm_slice *fields, size_t nfields,
                    bm_error *err) BM_MUST_CHECK;

/* Adds every row of `from` (only read) into `into`, as if they had been added after into's rows.
 * Both must come from the same plan (BM_EINVAL otherwise); BM_ELIMIT when the union exceeds a
 * bound above, BM_ENOMEM. After a failure `into` may be partly merged: it may only be freed. */
int bm_cube_merge(bm_cube *into, const bm_cube *from, bm_error *err) BM_MUST_CHECK;

/* The number of rows added (and merged) so far. */
uint64_t bm_cube_rows(const bm_cube *c);

/* Serializes a cube as JSON text, appended to out (BM_ELIMIT when out's maximum is reached,
 * BM_ENOMEM; out may then hold part of the text: reset it). bm_cube_read restores it exactly
 * into *out, a new cube of plan p (p must have the columns the cube was written with), or
 * returns BM_EPARSE with a message on malformed input or other columns, BM_ENOMEM;
 * text is borrowed and need not be NUL-terminated. */
int bm_cube_write(const bm_cube *c, bm_buf *out) BM_MUST_CHECK;
int bm_cube_read(const bm_plan *p, const char *text, size_t len, bm_cube **out,
                 bm_error *err) BM_MUST_CHECK;

/* Computes the analysis (Clarify's analysis.json layout: version, pre_training_bias_metrics,
 * post_training_bias_metrics, key order as Clarify writes it). Metric-level failures are
 * recorded in the JSON ("value": null, "error": ...); a facet whose binarization fails is
 * {"error": ...}: bad data is never an error of the call. Returns BM_OK with a new reference in
 * *out (the caller json_decref's it), or BM_ENOMEM / BM_EINTERNAL with *out NULL.
 * nthreads is used by the flip test (<= 0: one per CPU); the threads end before it returns. */
int bm_cube_analyze(const bm_cube *c, int nthreads, json_t **out, bm_error *err) BM_MUST_CHECK;

/* The counts behind the post-training metrics, for the statistical alarm rule (verdict.h): a new
 * reference in *out to {"version": "1.0", "rows", "label", "facets": {name: [{"value_or_threshold",
 * "a": {"tn", "fp", "fn", "tp"}, "d": {...}}] or {"error": ...}}, "label_value_or_threshold"},
 * with the binarization bm_cube_analyze uses (d: the facet's values, a: the other rows). An
 * empty object but "version" and "rows" when the plan has no predicted label. BM_OK or BM_ENOMEM.
 */
int bm_cube_counts(const bm_cube *c, json_t **out, bm_error *err) BM_MUST_CHECK;

/* Rows per facet group: for each facet, {"value_or_threshold", "rows" (in d), "other_rows" (in
 * a)} per entry, with the same binarization bm_cube_analyze uses, or {"error": ...} when the
 * facet cannot be binarized. Labels and predictions are not needed. *out is a new reference the
 * caller json_decref's (NULL on failure: BM_ENOMEM). */
int bm_cube_facet_groups(const bm_cube *c, json_t **out, bm_error *err) BM_MUST_CHECK;

#endif
