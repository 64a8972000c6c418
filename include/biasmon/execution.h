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

/* The processes of one sharded execution (an MPI job: `mpirun -np N biasmon execute ...`), as
 * bm_execute sees them; docs/shards.md. Every process runs bm_execute with the same parameters;
 * each reads a disjoint part of the window's capture objects, rank 0 merges the parts in order
 * and alone writes the outputs. */
typedef struct bm_shard_comm {
    int rank; /* 0 .. size - 1 */
    int size; /* processes, 1 .. BM_SHARDS_MAX */
    /* Called exactly once by every process of the execution, with its part's bytes (data, len:
     * at most BM_SHARD_PART_MAX). On rank 0 it appends each rank's bytes, in rank order, to
     * parts[0 .. size - 1] (bm_buf_init'ed by the caller); elsewhere parts is NULL. BM_OK, or
     * an error with err set (bm_execute then fails the execution with it on rank 0). It must
     * not return on one rank and wait forever on another: a transport that can fail on one rank
     * only aborts every process instead (MPI_Abort). */
    int (*gather)(void *ctx, const void *data, size_t len, bm_buf *parts, bm_error *err);
    void *ctx;
} bm_shard_comm;

/* Workers of one execution at most (threads of --shards, or MPI ranks). */
#define BM_SHARDS_MAX 1024
/* Bytes of one worker's part handed to rank 0 (its cubes and its records' join keys); a larger
 * part is not sent: rank 0 reads that worker's objects itself. */
#define BM_SHARD_PART_MAX (512u << 20)

typedef struct bm_execution_params {
    const bm_job_definition *job; /* validated job definition */
    int64_t scheduled_time;       /* T, epoch seconds */
    const char *schedule_name;    /* output folder name; NULL: the job definition's name */
    const char *capture_uri;      /* endpoint input: DataCaptureConfig.DestinationS3Uri */
    int64_t default_period;       /* window when the job has no offsets: [T - period, T); 0 = 1 h */
    const char *window_start;     /* ScheduleConfig.DataAnalysisStartTime (overrides), or NULL */
    const char *window_end;       /* ScheduleConfig.DataAnalysisEndTime (overrides), or NULL */
    size_t max_pending_ids;       /* bound on ground-truth ids held at once; 0 = 50,000,000 */
    int looks_per_day; /* executions a day of the schedule (from its cron), for the statistical
                        * rule's budget; 0 = from the window length alone (docs/alarms.md) */
    int no_partials;   /* 1: read every capture hour, neither using nor saving hour partials
                        * (docs/partials.md) */
    int shards;        /* threads that each read a disjoint part of the window's capture objects,
                        * merged exactly (docs/shards.md); 0 or 1: one. Hour partials are then
                        * neither used nor saved. */
    const bm_shard_comm *comm; /* this process's place in a sharded execution over processes,
                                * or NULL (then shards applies) */
} bm_execution_params;

/* The longest output folder, with its terminating NUL (bm_execution_output_folder). */
#define BM_EXECUTION_OUTPUT_MAX 4096

typedef struct bm_execution_result {
    bm_exec_status status;
    char failure_reason[1024];                /* "" unless Failed */
    char output_uri[BM_EXECUTION_OUTPUT_MAX]; /* the execution's output folder */
    int64_t window_start, window_end;
    size_t violations;
    size_t baseline_unchecked; /* metrics not compared: the baseline has no value for them */
    json_t *account;           /* execution.json as written (new reference), or NULL */
} bm_execution_result;

/* The rule for a scheduled time given by hand (biasmon execute, the service's run request on a
 * cron schedule): T must be on the hour, since an execution's outputs go to the folder of its
 * hour and a time within an hour would overwrite that hour's execution. BM_OK, or BM_ECONFIG with
 * err->msg "<T> is not on the hour: an execution's outputs go to the folder of its hour". */
int bm_execution_time_check(int64_t scheduled_time, bm_error *err) BM_MUST_CHECK;

/* The output folder of an execution, the one rule that the worker (bm_execute) and the daemon's
 * scheduler both use: {s3_uri}/{endpoint}/{schedule}/yyyy/mm/dd/HH of the scheduled time T (UTC),
 * or {s3_uri}/{schedule}/yyyy/mm/dd/HH for batch transform input (endpoint NULL or ""). s3_uri is
 * MonitoringOutputs[0].S3Output.S3Uri (NULL is taken as ""). Writes into out (n bytes) and
 * returns BM_OK; a folder that does not fit is never cut: BM_ELIMIT, out is "" and err says which
 * setting to shorten. Thread-safe. */
int bm_execution_output_folder(const char *s3_uri, const char *endpoint, const char *schedule,
                               int64_t T, char *out, size_t n, bm_error *err) BM_MUST_CHECK;

/* The channel by which a worker process hands its outcome to the process that started it (biasmon
 * serve's scheduler passes biasmon execute --result FILE, a file in the execution's own folder of
 * the data directory, and reads it when the worker has exited), so that the scheduler neither
 * recomputes where the outputs went nor reads them back. The file is one JSON object:
 *   {"Status": "Completed" | "CompletedWithViolations" | "Failed", "FailureReason": "...",
 *    "Violations": n, "OutputUri": "the output folder"}
 * bm_execution_result_write writes it atomically (complete or absent) from res; BM_OK, or an
 * error from writing (err says which file and why). bm_execution_result_read fills res's status,
 * failure_reason, violations and output_uri from it (the rest zero, account NULL); BM_OK, the
 * store's error when it cannot be read (BM_ENOTFOUND when the worker left none), BM_EDATA when it
 * is not such an object (err names the member at fault). Neither keeps any state; both are
 * thread-safe. */
int bm_execution_result_write(const bm_execution_result *res, const char *path,
                              bm_error *err) BM_MUST_CHECK;
int bm_execution_result_read(const char *path, bm_execution_result *res,
                             bm_error *err) BM_MUST_CHECK;

/* Runs one execution and writes, under the execution's output folder
 * ({S3Uri}/{EndpointName}/{schedule}/yyyy/mm/dd/HH/, batch without the endpoint folder):
 * analysis.json, constraint_violations.json (when a baseline is configured),
 * cloudwatch_metrics.jsonl (unless Environment.publish_cloudwatch_metrics is "Disabled"),
 * report.html (bm_report_html: the analysis against the baseline, for people) and
 * execution.json, each through a temporary name renamed into place. The outputs are complete or
 * absent together: all are rendered before any is written, an earlier run's execution.json and
 * the outputs this run does not produce are removed first, execution.json is written last, and
 * when a write fails (a full disk) the outputs written are removed and the execution is Failed
 * with the write's error (a Failed execution writes execution.json alone). Malformed records are
 * counted and skipped; the execution fails only when nothing usable is left, with a reason that
 * says exactly what was missing; a bound the data goes beyond (docs/design.md "Limits") fails it
 * with the bound and what to change. Returns BM_OK whenever an outcome was reached
 * (result->status says which, execution.json was written); an error status only when biasmon
 * ran out of memory (BM_ENOMEM) or execution.json itself cannot be written or the folder cleared
 * (BM_EIO, BM_EACCESS; BM_ELIMIT when the folder's URI is too long to name) — then no output is
 * left in the folder and err says why. result->account must be released with json_decref.
 * With p->comm, a process of rank other than 0 reads its part, hands it to rank 0 and writes
 * nothing (result->status says whether its part was read, failure_reason why not). */
int bm_execute(const bm_execution_params *p, bm_execution_result *result,
               bm_error *err) BM_MUST_CHECK;

#endif
