/* biasmon serve internals shared by its files. They call each other in one direction, from the
 * top: service.c (HTTP entry, lifecycle) -> ui.c (the dashboard) -> series.c (its index) -> ops.c
 * (the API operations) -> scheduler.c (ticks, executions) -> processing.c (Clarify processing jobs)
 * -> workers.c (the process pool) -> metrics.c -> webhooks.c (notifications) -> runtime.c
 * (InvokeEndpoint, capture) -> invoke.c (the invocation engine) -> models.c -> client.c -> base.c
 * (logging, ARNs, the scheduler's doorbell, URI checks).
 * scripts/check-serve-layers.sh holds the order (docs/design.md). */
#ifndef BIASMON_SERVE_INTERNAL_H
#define BIASMON_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <jansson.h>
#include "biasmon/http.h"
#include "biasmon/service.h"
#include "biasmon/state.h"

#define BM__MAX_WORKERS 64
#define BM__UI_TOKEN_MAX 128

typedef struct bm__worker {
    pid_t pid;       /* 0: free slot */
    int64_t exec_id; /* a monitoring execution's id, or 0 for a processing job */
    char job[64];    /* a processing job's name ("" for an execution) */
    char schedule[64];
    double started_real; /* CLOCK_MONOTONIC seconds */
    int max_runtime;     /* real seconds, 0 = none */
    int killed; /* after SIGKILL: 1 the runtime was exceeded, 2 shutdown, 3 StopProcessingJob */
} bm__worker;

struct bm_service {
    bm_service_config cfg;
    char data_dir[1024];
    int lock_fd; /* data_dir/serve.lock, flock()ed exclusively for the service's life; -1 when none
                  */
    char region[32], account[16];
    char worker_exe[1024];
    /* the folders requests may point into (bm_store_confine): DATA_DIR/files, then --allow-root */
    char roots[BM_SERVICE_MAX_ALLOW_ROOTS + 1][1024];
    size_t nroots;
    bm_clock clock;
    bm_state *db;
    bm_http_server *http;
    char key_id[64], key_secret[128];
    /* scheduler */
    pthread_t sched_thread;
    int sched_running;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    /* held over every read-modify-write of a schedule (the scheduler's pass, Update, Start, Stop,
     * Delete), so none of them overwrites another's change */
    pthread_mutex_t sched_mu;
    /* the earliest next tick of any schedule (guarded by sched_mu): passes before it skip the
     * schedules; any change to a schedule sets sched_dirty, which forces a full pass */
    int64_t next_due;
    atomic_int sched_dirty;
    int stopping;
    bm__worker workers[BM__MAX_WORKERS];
    /* processing jobs: pj_mu is held over every read-modify-write of one (the API's Create and
     * Stop, the scheduler's start and reap); pj_dirty asks the scheduler for a pass over them */
    pthread_mutex_t pj_mu;
    atomic_int pj_dirty;
    /* /metrics cache: the latest analysis per schedule */
    pthread_mutex_t metrics_mu;
    json_t *metrics_cache; /* {schedule: {"exec": id, "text": "..."}} */
    /* InvokeEndpoint and data capture (runtime.c) */
    struct bm__runtime *runtime;
    /* webhook notifications of finished executions (webhooks.c) */
    struct bm__webhooks *webhooks;
    /* the dashboard (ui.c): its token (DATA_DIR/ui-token), needed when the service listens
     * beyond loopback, and the cookie that carries it; series_mu: one sync of the index at once */
    int ui_token_required;
    char ui_token[BM__UI_TOKEN_MAX + 1];
    char ui_cookie[BM__UI_TOKEN_MAX + 64];
    pthread_mutex_t series_mu;
};

/* ---- base.c ---- */

/* Logging through the configured callback, key=value fields. */
void bm__log(bm_service *s, bm_log_level lvl, const char *event, const char *fmt, ...)
    BM_PRINTF(4, 5);
/* ARNs. kind: "monitoring-schedule", "model-bias-job-definition", "endpoint", "endpoint-config",
 * "processing-job". Names appear lower-cased, as SageMaker writes them. */
void bm__arn(const bm_service *s, const char *kind, const char *name, char *out, size_t n);
/* The scheduler's doorbell: asks its thread for a full pass now (any change to a schedule, a
 * processing job queued or to stop). Safe from any thread; never blocks for long. */
void bm__scheduler_wake(bm_service *s);
/* CLOCK_MONOTONIC in seconds (workers' runtimes, shutdown's grace). */
double bm__mono(void);
/* The URI members of a job definition document ("ModelBiasAppSpecification.ConfigUri", ...),
 * NULL-terminated, and of an endpoint configuration. */
extern const char *const bm__job_definition_uris[];
extern const char *const bm__endpoint_config_uris[];
/* Checks each present URI member of doc against the store's confinement (bm_store_check): on
 * failure err->path is "$.<member>" and the code BM_EINVAL (ValidationException) or BM_EACCESS
 * (AccessDeniedException). */
int bm__check_uris(json_t *doc, const char *const *members, bm_error *err);

/* ---- ui.c ---- */

/* Reads DATA_DIR/ui-token (letters and digits, 32-128 of them; refused when group or others may
 * read it), or creates it with 32 random bytes in hex, mode 0600; decides whether the dashboard
 * needs it (the listen address is not loopback). BM_EINVAL / BM_EIO with err naming the file. */
int bm__ui_start(bm_service *s, bm_error *err) BM_MUST_CHECK;
/* Answers GET /ui and the paths below it (the overview, /ui/schedules/NAME, an execution's
 * report.html and analysis.json, /ui/login?token=...): returns 1 when req was the dashboard's,
 * 0 (res untouched) otherwise. Read-only; security headers on every answer. */
int bm__ui_handle(bm_service *s, const bm_http_request *req, bm_http_response *res);

/* ---- series.c ---- */

/* DATA_DIR/series/<schedule, lower-cased>.jsonl; BM_EINVAL for a name that is not a schedule's,
 * BM_ELIMIT when out is too small. */
int bm__series_path(const char *data_dir, const char *schedule, char *out, size_t n) BM_MUST_CHECK;
/* The latest max executions of a schedule, oldest first, as a new JSON array of objects: id, t
 * (the scheduled time), st (status), v (violations) and, for a completed execution whose
 * analysis.json could be read, end (its end time) and m: one array per metric of each facet
 * entry, [stage (0 pre-training, 1 post-training), facet, facet value, metric, value (as in
 * analysis.json), the baseline's value or null, the statistical rule's interval low and high (the
 * baseline +- threshold x SE of its first test) or null, violated]. The values of completed
 * executions come from the schedule's index file; those missing from it (or whose end time
 * changed: a re-run) are read from their outputs and the file is rewritten atomically with the
 * executions of this window only. A file that cannot be written is logged, not an error. */
int bm__series_load(bm_service *s, const char *schedule, size_t max, json_t **out,
                    bm_error *err) BM_MUST_CHECK;
/* Appends lines (objects as above) to out as the index file's text: one compact JSON line each.
 * BM_OK, or BM_ELIMIT / BM_ENOMEM. */
int bm__series_encode(json_t *lines, bm_buf *out) BM_MUST_CHECK;
/* Writes lines (objects as above) as the schedule's index file in data_dir (whose series/
 * folder must exist), replacing it whole. */
int bm__series_save(const char *data_dir, const char *schedule, json_t *lines,
                    bm_error *err) BM_MUST_CHECK;

/* ---- ops.c ---- */

/* An API operation: request in (already validated against its shape in SageMaker's service
 * model, bm_sagemaker_request_shape(name)), response object out, or an error (err->code decides
 * the AWS error: BM_ECONFIG ValidationException, BM_ENOTFOUND ResourceNotFound, BM_EEXISTS and
 * BM_EBUSY ResourceInUse, BM_ELIMIT ResourceLimitExceeded, others InternalFailure). */
typedef int (*bm__op_fn)(bm_service *s, json_t *req, json_t **resp, bm_error *err);
typedef struct bm__op {
    const char *name; /* the X-Amz-Target, "SageMaker.CreateEndpoint" */
    bm__op_fn fn;
} bm__op;
const bm__op *bm__find_op(const char *target);
/* The i-th operation served (from 0; ops.c's, then models.c's), NULL past the last: every one has
 * a request shape in SageMaker's service model (tests/unit/test_serve_ops.c). */
const bm__op *bm__op_at(size_t i);
/* Describe/summary helpers. */
json_t *bm__execution_summary(bm_service *s, const bm_exec_record *e);

/* ---- scheduler.c ---- */

int bm__scheduler_start(bm_service *s, bm_error *err);
void bm__scheduler_stop(bm_service *s, int grace_s);
/* Queues an execution of schedule at tick T now (biasmon run); BM_EEXISTS when that tick has one.
 */
int bm__scheduler_run(bm_service *s, const char *schedule, int64_t T, int64_t *exec_id,
                      bm_error *err);
/* The next tick after `after` for a schedule document (-1: none). */
int64_t bm__schedule_next_tick(json_t *schedule_doc, int64_t after);

/* ---- workers.c ---- */

/* Forks argv[0] with stdout and stderr appended to log_path into a free slot (the caller fills
 * the slot's other fields); NULL with why set when none is free or the fork failed. How many
 * more may start, against the --workers limit. */
bm__worker *bm__worker_start(bm_service *s, char *const argv[], const char *log_path, char *why,
                             size_t n);
int bm__workers_free(bm_service *s);
/* How many workers run now. */
int bm__workers_running(bm_service *s);
/* A worker's last "biasmon: ..." line in its log (its own words: they name files, never quote
 * them), without the prefix and with control characters replaced; "" when there is none. */
void bm__worker_last_word(const char *log_path, char *out, size_t n);

/* ---- processing.c ---- */

/* Clarify processing jobs: BM_RES_PROCESSING_JOB resources whose status is Pending (queued;
 * described as InProgress), InProgress, Stopping, Completed, Failed or Stopped. */
#define BM_RES_PROCESSING_JOB "ProcessingJob"
int bm__processing_create(bm_service *s, json_t *req, json_t **resp, bm_error *err);
int bm__processing_stop(bm_service *s, const char *name, bm_error *err);
/* The scheduler's pass: starts queued jobs while workers are free, stops those asked to stop. */
void bm__processing_dispatch(bm_service *s);
/* A processing job's worker ended (wstatus from waitpid). */
void bm__processing_reap(bm_service *s, bm__worker *w, int wstatus);
/* At start-up: jobs left running by a previous instance are Failed (queued ones stay queued). */
int bm__processing_recover(bm_service *s, bm_error *err);
/* DescribeProcessingJob's document of a processing job; BM_ENOTFOUND when there is none. */
int bm__processing_describe(bm_service *s, const char *name, json_t **out, bm_error *err);
/* The baseline a job definition's ModelBiasBaselineConfig.BaseliningJobName names: the job's
 * analysis.json (its analysis_result output). BM_ENOTFOUND when there is no such job, BM_EBUSY
 * while it has not Completed; err says which. */
int bm__processing_baseline(bm_service *s, const char *name, char *out, size_t n, bm_error *err);
/* Summaries (ListProcessingJobs) of every processing job, appended to arr. */
int bm__processing_summaries(bm_service *s, json_t *arr, bm_error *err);

/* GET /metrics (metrics.c): appends the Prometheus text exposition. */
/* http: what the HTTP server's connection limits have done (NULL: those metrics are left out). */
int bm__metrics_render(bm_service *s, const bm_http_stats *http, bm_buf *out);

/* ---- webhooks.c (docs/serve.md, "Webhooks") ---- */

/* A job definition's ModelBiasAppSpecification.Environment keys of its schedules' webhook. */
#define BM_WEBHOOK_URL_KEY "BIASMON_WEBHOOK_URL"
#define BM_WEBHOOK_FORMAT_KEY "BIASMON_WEBHOOK_FORMAT"
#define BM_WEBHOOK_ON_KEY "BIASMON_WEBHOOK_ON"
/* Checks the settings (s->cfg.webhook_*), reads or creates DATA_DIR/webhook-secret (0600) and
 * starts the sender thread. NULL with err set (BM_EINVAL: a setting, naming it; BM_EIO, BM_ECONFIG:
 * the secret file) on failure. */
struct bm__webhooks *bm__webhooks_new(bm_service *s, bm_error *err);
/* Stops the sender (a transfer in flight is abandoned); deliveries not made are counted as
 * outcome "shutdown" and logged. NULL is a no-op. */
void bm__webhooks_free(struct bm__webhooks *w);
/* Checks the webhook keys of a job definition's Environment (env may be NULL): a URL must be
 * http(s), and is refused unless --webhook-allow names a prefix of it; BM_ECONFIG with err->path
 * "$.ModelBiasAppSpecification.Environment.<key>" and a message that never quotes the value. */
int bm__webhook_check_env(bm_service *s, json_t *env, bm_error *err);
/* Queues the notification of execution e, which ended, when the global settings or env (its job
 * definition's Environment, or NULL) ask for one. Never blocks on the network: a full queue
 * drops it (counted). Safe from any thread. */
void bm__webhook_notify(bm_service *s, const bm_exec_record *e, json_t *env);
/* Appends the webhook counters to /metrics; nothing when webhooks are not running. */
int bm__webhook_metrics(bm_service *s, bm_buf *b);

#endif
