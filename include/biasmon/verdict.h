/* The statistical alarm rule: changes of bias metrics from the baseline, judged with their
 * sampling error, pooled over recent windows, within a false-alarm budget (docs/alarms.md). */
#ifndef BIASMON_VERDICT_H
#define BIASMON_VERDICT_H

#include <stddef.h>
#include <jansson.h>
#include "biasmon/common.h"

/* The job definition's rule: ModelBiasAppSpecification.Environment.BIASMON_ALARM_RULE. */
typedef enum bm_alarm_rule {
    BM_RULE_SAGEMAKER = 0,  /* absent or "sagemaker": farther from neutral than the baseline */
    BM_RULE_STATISTICAL = 1 /* "statistical": this header */
} bm_alarm_rule;

#define BM_ALARM_DEFAULT_BUDGET 0.01 /* probability of a schedule-day with any false alarm */
#define BM_ALARM_NLENGTHS 4          /* windows pooled: the latest 2, 3, 5, 8 */
#define BM_ALARM_MAX_WINDOWS 8
#define BM_ALARM_MIN_EXPECTED 5.0 /* expected count each side of a proportion, else untested */

typedef struct bm_alarm_settings {
    bm_alarm_rule rule;
    double budget;        /* (0, 0.5]; BIASMON_ALARM_BUDGET, default BM_ALARM_DEFAULT_BUDGET */
    double looks_per_day; /* executions a day (>= 1): the caller sets it from the window length */
    double min_coverage; /* [0, 1]; BIASMON_ALARM_MIN_COVERAGE, default BM_ALARM_DEFAULT_COVERAGE */
    /* [0, BM_ALARM_MAX_REVISIT]; BIASMON_ALARM_REVISIT, default BM_ALARM_DEFAULT_REVISIT: how
     * many later periods may re-evaluate a window whose labels were incomplete */
    int revisit;
    /* >= 1: the looks the judged window may get (1 + revisit when its labels are incomplete,
     * else 1); the caller sets it */
    double looks_per_window;
} bm_alarm_settings;
#define BM_ALARM_DEFAULT_REVISIT 7
#define BM_ALARM_MAX_REVISIT 24
/* a revision is recorded when the verdict changed or a group's labelled share rose by this much
 * (or reached every row) since the window's latest record */
#define BM_ALARM_REVISION_MARGIN 0.1
#define BM_ALARM_DEFAULT_COVERAGE                                                                  \
    0.5 /* labelled share of each facet group's rows to judge a window */

/* Reads BIASMON_ALARM_RULE ("sagemaker" or "statistical"), BIASMON_ALARM_BUDGET (a number in
 * (0, 0.5], as text), BIASMON_ALARM_MIN_COVERAGE (a number in [0, 1], as text) and
 * BIASMON_ALARM_REVISIT (an integer 0 to BM_ALARM_MAX_REVISIT, as text) from env (an Environment
 * object, or NULL: the defaults). Other values are BM_ECONFIG with err->path
 * "$.ModelBiasAppSpecification.Environment.<key>" and a message naming the allowed values.
 * s->looks_per_day is set to 24, s->looks_per_window to 1. */
int bm_alarm_settings_from_env(const json_t *env, bm_alarm_settings *s,
                               bm_error *err) BM_MUST_CHECK;

/* The metrics the rule can test (post-training): DPPL, DI, AD, RD, SD, DAR, DRR, TE. 1 when name
 * is one of them. The others (CDDPL, DCA, DCR, FT, GE, every pre-training metric) never alarm. */
int bm_alarm_testable(const char *name);

/* The confusion counts of one facet entry: n[0] the other rows (a), n[1] the facet's rows (d);
 * each {tn, fp, fn, tp}. */
typedef struct bm_alarm_cells {
    double n[2][4];
} bm_alarm_cells;
enum { BM_TN = 0, BM_FP = 1, BM_FN = 2, BM_TP = 3 };

/* One test: a metric of a (pooled) window against the baseline. */
typedef struct bm_alarm_test {
    int tested; /* 0: not decidable; why says so */
    char why[200];
    double window, baseline; /* the metric (NaN when undefined) */
    double change, se;       /* window - baseline, and its standard error under no change */
    double estimate;         /* the change as the test measures it: the variance-stabilised
                              * change in the metric's units (see docs/alarms.md) */
    double z;                /* estimate / se */
    double lo, hi;           /* estimate +- threshold * se: holds 0 exactly when no alarm */
    int alarm;               /* |z| > threshold */
} bm_alarm_test;

/* Tests metric `name` (bm_alarm_testable) of window w against baseline b with two-sided
 * threshold zcrit. Always fills *t; never allocates. */
void bm_alarm_test_metric(const char *name, const bm_alarm_cells *b, const bm_alarm_cells *w,
                          double zcrit, bm_alarm_test *t);

/* The upper alpha/2 quantile of the standard normal: P(|Z| > z) = alpha; alpha in (0, 1). */
double bm_alarm_zcrit(double alpha);

/* The rule on counts documents (bm_cube_counts): baseline (the baseline's bias_counts.json, or
 * NULL: then the rule fails with BM_EDATA naming the missing file), windows[0] the current
 * window's, windows[k] the one k periods earlier or NULL when missing (nwindows <=
 * BM_ALARM_MAX_WINDOWS), analysis the window's analysis.json (the post-training metrics it has
 * are the ones tested, when testable). Fills *violations ({"version": "1.0", "violations": [...]},
 * SageMaker's members plus "reason", "z", "threshold", "windows"), *nviolations and *evidence
 * (every test: docs/alarms.md "Evidence"); new references. BM_OK, BM_ENOMEM, or BM_EDATA when a
 * counts document is malformed (err->path the JSON path). */
int bm_alarm_evaluate(const json_t *baseline, const json_t *const *windows, size_t nwindows,
                      const json_t *analysis, const bm_alarm_settings *s, json_t **violations,
                      size_t *nviolations, json_t **evidence, bm_error *err) BM_MUST_CHECK;

/* Label coverage: all and labelled are bm_cube_facet_groups of every in-window row and of the
 * rows with a label. *coverage receives [{"facet", "value_or_threshold", "rows", "labelled_rows",
 * "other_rows", "other_labelled_rows"}] (new reference). Returns 1 when every group (the facet's
 * rows and the others, of every entry) has at least min of its rows labelled, else 0 with why
 * one sentence naming the first group short of it; -1 when out of memory. */
int bm_alarm_coverage(const json_t *all, const json_t *labelled, double min, json_t **coverage,
                      char *why, size_t whylen);

/* 1 when every group of a coverage array (bm_alarm_coverage) has all its rows labelled. */
int bm_alarm_coverage_complete(const json_t *coverage);

/* Re-evaluation of a past window whose labels were incomplete (docs/alarms.md "Late labels").
 * windows[0] are the past window's counts re-joined with the ground truth there is now,
 * windows[k] the counts of the window k periods before it (the latest revision's, else its
 * bias_counts.json; NULL when missing); coverage and decidable (bm_alarm_coverage of the
 * re-joined rows, why its sentence when not decidable); previous the window's latest record (its
 * bias_evidence.json, or the latest entry of its bias_revisions.json). s->looks_per_window is
 * the window's share of looks (1 + s->revisit). When the verdict changed (decidable, or the set of
 * alarms) or a group's labelled share rose by BM_ALARM_REVISION_MARGIN or to every row,
 * *revision is the record (new reference: "decidable", "why", "coverage", "alarms" [{facet,
 * facet_value, metric_name}], "previous" {the same of previous}, "verdict" {"old", "new"},
 * "evidence" the tests, "reason" one sentence) and *new_alarms the violations (SageMaker's
 * members, as bm_alarm_evaluate's) that the previous record did not have; otherwise both are
 * NULL and note (n bytes) says why nothing was recorded. BM_OK, BM_ENOMEM, or bm_alarm_evaluate's
 * BM_EDATA. */
int bm_alarm_revise(const json_t *baseline, const json_t *const *windows, size_t nwindows,
                    const json_t *analysis, const bm_alarm_settings *s, const json_t *previous,
                    json_t *coverage, int decidable, const char *why, json_t **revision,
                    json_t **new_alarms, char *note, size_t n, bm_error *err) BM_MUST_CHECK;

/* The name of a schedule's (or a baseline's) counts document, beside its analysis.json. */
#define BM_COUNTS_NAME "bias_counts.json"
#define BM_EVIDENCE_NAME "bias_evidence.json"
/* beside a past window's analysis.json: its revisions, append-only (docs/alarms.md) */
#define BM_REVISIONS_NAME "bias_revisions.json"

/* Reads a counts document from a store URI: *out a new reference, or NULL when the object does
 * not exist (BM_OK). BM_EDATA (naming the URI, not quoting it) when it is not a counts document;
 * the store's error otherwise. */
int bm_alarm_counts_read(const char *uri, json_t **out, bm_error *err) BM_MUST_CHECK;

/* out = uri with its last path segment replaced by name. BM_OK or BM_ELIMIT (n too small). */
int bm_alarm_sibling_uri(const char *uri, const char *name, char *out, size_t n) BM_MUST_CHECK;

#endif
