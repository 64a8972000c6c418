/* One monitoring execution: captured traffic in a window, joined with ground truth, analysed,
 * checked against a baseline, with every output written and an account of what was seen. */
#ifndef BIASMON_EXECUTION_H
#define BIASMON_EXECUTION_H

#include <stdint.h>
#include <jansson.h>
#include "biasmon/common.h"
#include "biasmon/jobdef.h"

typedef enum bm_exec_status {
    BM_EXEC_COMPLETED = 0,
    BM_EXEC_COMPLETED_WITH_VIOLATIONS = 1,
    BM_EXEC_FAILED = 2
} bm_exec_status;

/* "Completed", "CompletedWithViolations", "Failed" (SageMaker's ExecutionStatus values). */
const char *bm_exec_status_name(bm_exec_status s);

typedef struct bm_execution_params {
    const bm_job_definition *job;  /* validated job definition */
    int64_t scheduled_time;        /* T, epoch seconds */
    const char *schedule_name;     /* output folder name; NULL: the job definition's name */
    const char *capture_uri;       /* endpoint input: DataCaptureConfig.DestinationS3Uri */
    int64_t default_period;        /* window when the job has no offsets: [T - period, T); 0 = 1 h */
    const char *window_start;      /* ScheduleConfig.DataAnalysisStartTime (overrides), or NULL */
    const char *window_end;        /* ScheduleConfig.DataAnalysisEndTime (overrides), or NULL */
    size_t max_pending_ids;        /* bound on ground-truth ids held at once; 0 = 50,000,000 */
} bm_execution_params;

typedef struct bm_execution_result {
    bm_exec_status status;
    char failure_reason[1024];     /* "" unless Failed */
    char output_uri[4096];         /* the execution's output folder */
    int64_t window_start, window_end;
    size_t violations;
    size_t baseline_unchecked;     /* metrics not compared: the baseline has no value for them */
    json_t *account;               /* execution.json as written (new reference), or NULL */
} bm_execution_result;

/* The rule for a scheduled time given by hand (biasmon execute, the service's run request on a
 * cron schedule): T must be on the hour, since an execution's outputs go to the folder of its
 * hour and a time within an hour would overwrite that hour's execution. BM_OK, or BM_ECONFIG with
 * err->msg "<T> is not on the hour: an execution's outputs go to the folder of its hour". */
int bm_execution_time_check(int64_t scheduled_time, bm_error *err) BM_MUST_CHECK;

/* Runs one execution and writes, under the execution's output folder
 * ({S3Uri}/{EndpointName}/{schedule}/yyyy/mm/dd/HH/, batch without the endpoint folder):
 * analysis.json, constraint_violations.json (when a baseline is configured),
 * cloudwatch_metrics.jsonl (unless Environment.publish_cloudwatch_metrics is "Disabled") and
 * execution.json, each through a temporary name renamed into place. Malformed records are
 * counted and skipped; the execution fails only when nothing usable is left, with a reason that
 * says exactly what was missing. Returns BM_OK whenever an outcome was reached (result->status
 * says which, execution.json was written when the output folder was known); an error status
 * only for failures of biasmon itself (BM_ENOMEM) or an output that cannot be written (BM_EIO).
 * result->account must be released with json_decref. */
int bm_execute(const bm_execution_params *p, bm_execution_result *result, bm_error *err) BM_MUST_CHECK;

#endif
