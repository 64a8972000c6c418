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
#define BM_MAX_FACET_VALUES 65536  /* distinct values of a one-vs-all facet */
#define BM_MAX_GROUP_VALUES 65536  /* distinct values of group_variable */
#define BM_MAX_DISTINCT_TRACK (1u << 20) /* distinct integers tracked per column for typing */

/* A plan: an analysis config resolved against a dataset's column names. Immutable once built,
 * so several threads may fill cubes from one plan. */
typedef struct bm_plan bm_plan;

/* Builds a plan. colnames: the dataset's columns in order (ncols >= 1). Columns named in the
 * config must exist (BM_ECONFIG naming the config path and listing the columns otherwise).
 * The config must outlive the plan. */
int bm_plan_new(const bm_analysis_config *cfg, const char *const *colnames, size_t ncols,
                bm_plan **out, bm_error *err) BM_MUST_CHECK;
void bm_plan_free(bm_plan *p);

/* The columns bm_cube_add reads (others may be left unparsed); sorted, no duplicates. */
size_t bm_plan_used_columns(const bm_plan *p, const size_t **cols);
size_t bm_plan_ncols(const bm_plan *p);
/* 1 when the flip test is requested: cubes then keep a feature row per data row. */
int bm_plan_wants_ft(const bm_plan *p);

/* The count cube: sufficient statistics of all rows added so far (per facet: counts by facet
 * class, group, label class and prediction class; per column: the facts pandas' typing needs),
 * plus the flip test's feature rows when the plan wants FT. Memory grows with the number of
 * distinct classes and groups, never with rows (except the FT rows). */
typedef struct bm_cube bm_cube;

bm_cube *bm_cube_new(const bm_plan *p); /* NULL when out of memory */
void bm_cube_free(bm_cube *c);

/* Adds one row. cells is indexed by column (bm_plan_ncols entries); only the used columns are
 * read. Returns BM_OK, BM_ENOMEM, or BM_ELIMIT (a bound above was exceeded; err says which). */
int bm_cube_add(bm_cube *c, const bm_cell *cells, bm_error *err) BM_MUST_CHECK;

/* Adds one CSV record: fields indexed by column (missing trailing fields are empty), typed as
 * bm_cell_from_csv does. Same result as bm_cube_add on those cells; faster, because a field's
 * text seen before in the same column is not parsed or classified again. */
int bm_cube_add_csv(bm_cube *c, const bm_slice *fields, size_t nfields, bm_error *err) BM_MUST_CHECK;

/* Adds every row of `from` into `into`, as if they had been added after into's rows.
 * Both must come from the same plan. */
int bm_cube_merge(bm_cube *into, const bm_cube *from, bm_error *err) BM_MUST_CHECK;

uint64_t bm_cube_rows(const bm_cube *c);

/* Serializes a cube as JSON text into out; bm_cube_read restores it exactly (BM_EPARSE with a
 * message on malformed or inconsistent input). */
int bm_cube_write(const bm_cube *c, bm_buf *out) BM_MUST_CHECK;
int bm_cube_read(const bm_plan *p, const char *text, size_t len, bm_cube **out,
                 bm_error *err) BM_MUST_CHECK;

/* Computes the analysis (Clarify's analysis.json layout: version, pre_training_bias_metrics,
 * post_training_bias_metrics, key order as Clarify writes it). Metric-level failures are
 * recorded in the JSON ("value": null, "error": ...); a facet whose binarization fails is
 * {"error": ...}. Returns BM_OK with a new reference in *out, or BM_ENOMEM / BM_EINTERNAL.
 * nthreads is used by the flip test (<= 0: one per CPU). */
int bm_cube_analyze(const bm_cube *c, int nthreads, json_t **out, bm_error *err) BM_MUST_CHECK;

/* The counts behind the post-training metrics, for the statistical alarm rule (verdict.h): a new
 * reference in *out to {"version": "1.0", "rows", "label", "facets": {name: [{"value_or_threshold",
 * "a": {"tn", "fp", "fn", "tp"}, "d": {...}}] or {"error": ...}}, "label_value_or_threshold"},
 * with the binarization bm_cube_analyze uses (d: the facet's values, a: the other rows). An
 * empty object but "version" and "rows" when the plan has no predicted label. BM_OK or BM_ENOMEM. */
int bm_cube_counts(const bm_cube *c, json_t **out, bm_error *err) BM_MUST_CHECK;

/* Rows per facet group: for each facet, {"value_or_threshold", "rows" (in d), "other_rows" (in
 * a)} per entry, with the same binarization bm_cube_analyze uses, or {"error": ...} when the
 * facet cannot be binarized. Labels and predictions are not needed. */
int bm_cube_facet_groups(const bm_cube *c, json_t **out, bm_error *err) BM_MUST_CHECK;

#endif
