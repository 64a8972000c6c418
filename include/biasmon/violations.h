/* Comparing an analysis with its baseline (SageMaker's bias drift check) and metric records. */
#ifndef BIASMON_VIOLATIONS_H
#define BIASMON_VIOLATIONS_H

#include <jansson.h>
#include "biasmon/common.h"

/* Builds SageMaker's constraint_violations.json ({"version": "1.0", "violations": [...]}) from the
 * current analysis and the baseline analysis (both in Clarify's analysis.json layout). Metrics are
 * matched by (stage, facet, value_or_threshold, metric name). A metric violates when it is
 * farther from its neutral value than the baseline is: |x| for every metric, |x - 1| for DI;
 * "Infinity"/"-Infinity" are farther than any number; equal distances, errors, nulls and NaN
 * never violate; metrics missing from the baseline are not checked. The description is
 * "Metric value {current} doesn't meet the baseline constraint requirement {baseline}" with
 * Python's number formatting. *nviolations receives the count. Returns BM_OK or BM_ENOMEM;
 * a baseline without the expected layout is BM_EDATA naming the JSON path. */
int bm_violations_check(json_t *current, json_t *baseline, json_t **out, size_t *nviolations,
                        bm_error *err) BM_MUST_CHECK;

/* Appends CloudWatch-style metric records (one JSON object per line, PutMetricData fields:
 * MetricName "bias_metric_<CODE>", Timestamp, Dimensions Endpoint (when endpoint is not NULL),
 * MonitoringSchedule, BiasStage ("Pre-training" / "Post-Training"), Label, LabelValue, Facet,
 * FacetValue; Value with +-infinity as +-2.348543e108; Unit "None") for every metric of
 * analysis that has a value. Errored metrics are skipped. */
int bm_cloudwatch_records(json_t *analysis, const char *endpoint, const char *schedule,
                          const char *timestamp, bm_buf *out, size_t *count) BM_MUST_CHECK;

#endif
