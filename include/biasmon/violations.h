/* Comparing an analysis with its baseline (SageMaker's bias drift check) and metric records. */
#ifndef BIASMON_VIOLATIONS_H
#define BIASMON_VIOLATIONS_H

#include <jansson.h>
#include "biasmon/common.h"
#include "biasmon/config.h"

/* A baseline ("constraints file") is a Clarify analysis.json: an object with
 * pre_training_bias_metrics and/or post_training_bias_metrics, each with a facets object. A
 * baseline that is anything else (an analysis config, {}) or that cannot constrain what the
 * analysis computes would otherwise turn alerting off without a word, so both calls below refuse
 * it with BM_EDATA, err->path the JSON path in the baseline, and a message that says what is
 * missing ("the baseline has no facet sex = F; it covers race = 1, race = 2"). Messages show at
 * most 5 of the baseline's facet entries, each name and value cut to 40 bytes; nothing else of
 * the file. */

/* Checks a baseline before any data is read (biasmon serve, at CreateModelBiasJobDefinition):
 * its shape, and when cfg is not NULL, that it has every stage cfg requests, every facet cfg
 * names (by name, or by index with headers) and, for each, a value for at least one requested
 * metric. Facet values are not checked here: their texts depend on the data (thresholds, column
 * types); bm_violations_check checks them. Returns BM_OK or BM_EDATA. */
int bm_baseline_validate(json_t *baseline, const bm_analysis_config *cfg,
                         bm_error *err) BM_MUST_CHECK;

/* Builds SageMaker's constraint_violations.json ({"version": "1.0", "violations": [...]}) from the
 * current analysis and the baseline analysis (both in Clarify's analysis.json layout). Metrics are
 * matched by (stage, facet, value_or_threshold, metric name). A metric violates when it is
 * farther from its neutral value than the baseline is: |x| for every metric, |x - 1| for DI;
 * "Infinity"/"-Infinity" are farther than any number; equal distances, errors, nulls and NaN
 * never violate. The description is "Metric value {current} doesn't meet the baseline constraint
 * requirement {baseline}" with Python's number formatting. *nviolations receives the count.
 * Coverage: the baseline must have every stage and every (facet, value_or_threshold) entry of the
 * current analysis, and for each entry a value for at least one of its metrics; else BM_EDATA as
 * above. A metric the current analysis has a value for and the baseline has none for (absent, or
 * null with an error: a baseline made with other methods, or hand-edited) is not compared, as
 * SageMaker does, but named: *unchecked receives [{"stage", "facet", "facet_value", "metrics":
 * [names]}] (new reference, [] when every metric was compared) and *nunchecked the number of
 * metrics in it. Returns BM_OK, BM_EDATA, or BM_ENOMEM; on error *out and *unchecked are NULL. */
int bm_violations_check(json_t *current, json_t *baseline, json_t **out, size_t *nviolations,
                        json_t **unchecked, size_t *nunchecked, bm_error *err) BM_MUST_CHECK;

/* Appends CloudWatch-style metric records (one JSON object per line, PutMetricData fields:
 * MetricName "bias_metric_<CODE>", Timestamp, Dimensions Endpoint (when endpoint is not NULL),
 * MonitoringSchedule, BiasStage ("Pre-training" / "Post-Training"), Label, LabelValue, Facet,
 * FacetValue; Value with +-infinity as +-2.348543e108; Unit "None") for every metric of
 * analysis that has a value. Errored metrics are skipped. */
int bm_cloudwatch_records(json_t *analysis, const char *endpoint, const char *schedule,
                          const char *timestamp, bm_buf *out, size_t *count) BM_MUST_CHECK;

#endif
