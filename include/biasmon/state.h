/* biasmon serve's state in SQLite: resources (endpoint configs, endpoints, job definitions,
 * monitoring schedules), executions and tags. */
#ifndef BIASMON_STATE_H
#define BIASMON_STATE_H

#include <stdint.h>
#include <jansson.h>
#include "biasmon/common.h"

typedef struct bm_state bm_state;

/* Opens (creating when missing) the database at path: WAL journal, synchronous=NORMAL, a busy
 * timeout, foreign keys on, the schema created or migrated (a schema_version table). One
 * connection guarded by a mutex: every call below is safe from any thread. */
int bm_state_open(const char *path, bm_state **out, bm_error *err) BM_MUST_CHECK;
void bm_state_close(bm_state *s);

/* ---- resources: one row per (kind, name); the document is the resource as the API describes it
 * ---- */
#define BM_RES_ENDPOINT_CONFIG "EndpointConfig"
#define BM_RES_ENDPOINT "Endpoint"
#define BM_RES_JOB_DEFINITION "ModelBiasJobDefinition"
#define BM_RES_SCHEDULE "MonitoringSchedule"

typedef struct bm_resource {
    char kind[32];
    char name[64];
    char arn[256];
    double created; /* epoch seconds (fractional) */
    double modified;
    char status[32];   /* e.g. "Scheduled", "InService"; "" when the kind has none */
    char endpoint[64]; /* the endpoint a job definition or schedule monitors, "" for none */
    char ref[64]; /* a referenced resource: an endpoint's config, a schedule's job definition */
    int64_t next_tick; /* schedules: the next tick to run (epoch seconds), -1 for none */
    json_t *doc;       /* owned reference */
} bm_resource;

void bm_resource_release(bm_resource *r); /* decrefs doc; the struct itself is the caller's */

/* BM_EEXISTS when (kind, name) exists (names compare case-insensitively, as SageMaker does). */
int bm_state_resource_create(bm_state *s, const bm_resource *r, bm_error *err) BM_MUST_CHECK;
/* Replaces every column of an existing row; BM_ENOTFOUND when missing. */
int bm_state_resource_update(bm_state *s, const bm_resource *r, bm_error *err) BM_MUST_CHECK;
/* BM_ENOTFOUND when missing; out is filled with a new doc reference. */
int bm_state_resource_get(bm_state *s, const char *kind, const char *name, bm_resource *out,
                          bm_error *err) BM_MUST_CHECK;
/* BM_ENOTFOUND when missing. Also deletes the resource's tags. */
int bm_state_resource_delete(bm_state *s, const char *kind, const char *name,
                             bm_error *err) BM_MUST_CHECK;
/* Every resource of a kind ordered by created then name; *out is an array the caller frees with
 * bm_resources_free. */
int bm_state_resource_list(bm_state *s, const char *kind, bm_resource **out, size_t *n,
                           bm_error *err) BM_MUST_CHECK;
void bm_resources_free(bm_resource *v, size_t n);
/* How many resources of kind have ref == name (e.g. schedules using a job definition). */
int bm_state_resource_count_ref(bm_state *s, const char *kind, const char *ref, size_t *count,
                                bm_error *err) BM_MUST_CHECK;

/* ---- executions ---- */
typedef struct bm_exec_record {
    int64_t id;
    char schedule[64];
    int64_t scheduled_time;
    double created, modified;
    char status[32]; /* Pending, InProgress, Completed, CompletedWithViolations, Failed, Stopped */
    char failure_reason[1024];
    char job_name[64]; /* the processing job's name ("" until started) */
    char endpoint[64];
    char job_definition[64];
    char output_uri[4096]; /* an execution's output folder: BM_EXECUTION_OUTPUT_MAX */
    int64_t violations;
    double started, ended; /* 0 when not yet */
} bm_exec_record;

/* Inserts a new execution and sets rec->id. BM_EEXISTS when the schedule already has one for
 * that scheduled time (so a tick can never run twice). */
int bm_state_exec_insert(bm_state *s, bm_exec_record *rec, bm_error *err) BM_MUST_CHECK;
int bm_state_exec_update(bm_state *s, const bm_exec_record *rec, bm_error *err) BM_MUST_CHECK;
int bm_state_exec_get(bm_state *s, int64_t id, bm_exec_record *out, bm_error *err) BM_MUST_CHECK;
/* The execution of a schedule (any spelling) at one scheduled time; BM_ENOTFOUND when none. Found
 * through the UNIQUE (schedule, scheduled_time) index. */
int bm_state_exec_at(bm_state *s, const char *schedule, int64_t scheduled_time, bm_exec_record *out,
                     bm_error *err) BM_MUST_CHECK;
/* The execution whose processing job is job_name (compared without ASCII case), the earliest
 * scheduled (then lowest id) when several; BM_ENOTFOUND when none, BM_EINVAL when job_name is
 * NULL or longer than bm_exec_record.job_name holds. Found through an index on job_name. */
int bm_state_exec_by_job(bm_state *s, const char *job_name, bm_exec_record *out,
                         bm_error *err) BM_MUST_CHECK;
/* Executions filtered by schedule and/or status (NULL: any), ordered by scheduled_time then id;
 * at most max rows (0: no limit). The caller frees *out with bm_free. */
int bm_state_exec_list(bm_state *s, const char *schedule, const char *status, size_t max,
                       bm_exec_record **out, size_t *n, bm_error *err) BM_MUST_CHECK;
/* The executions of a schedule scheduled before `before` (epoch seconds; INT64_MAX: all), newest
 * scheduled first, at most max (>= 1) of them: a page of a schedule's history, found through the
 * (schedule, scheduled_time) index. The caller frees *out with bm_free. */
int bm_state_exec_recent(bm_state *s, const char *schedule, int64_t before, size_t max,
                         bm_exec_record **out, size_t *n, bm_error *err) BM_MUST_CHECK;
/* A filtered, sorted page of executions (ListMonitoringExecutions). NULL fields match anything;
 * the time bounds are exclusive (before: t < bound, after: t > bound). */
enum { BM_EXEC_BY_CREATED, BM_EXEC_BY_SCHEDULED, BM_EXEC_BY_STATUS };
typedef struct bm_exec_filter {
    const char *schedule;       /* any spelling */
    const char *status;         /* exactly */
    const char *endpoint;       /* without ASCII case */
    const char *job_definition; /* without ASCII case */
    const double *scheduled_before, *scheduled_after, *created_before, *created_after,
        *modified_before, *modified_after;
    int sort;       /* BM_EXEC_BY_CREATED: created, then schedule name (exact bytes);
                       BM_EXEC_BY_SCHEDULED: scheduled_time, then schedule name;
                       BM_EXEC_BY_STATUS: status without ASCII case, then created */
    int descending; /* reverses those keys; rows equal in them stay in (scheduled_time, id) order */
    size_t offset, limit; /* the page: rows offset .. offset + limit - 1 of the sorted whole */
} bm_exec_filter;
/* The page in *out (the caller frees it with bm_free; NULL when empty), its length in *n and the
 * number of matching executions in *total. Memory grows with the page, not with the state. */
int bm_state_exec_page(bm_state *s, const bm_exec_filter *f, bm_exec_record **out, size_t *n,
                       size_t *total, bm_error *err) BM_MUST_CHECK;
/* The execution with the latest created time of a schedule; BM_ENOTFOUND when none. */
int bm_state_exec_latest(bm_state *s, const char *schedule, bm_exec_record *out,
                         bm_error *err) BM_MUST_CHECK;
/* Per-schedule figures of the executions, computed in SQL without loading the records. */
#define BM_EXEC_STATUS_COUNT 6
/* The statuses by_status counts, in its order: Pending, InProgress, Completed,
 * CompletedWithViolations, Failed, Stopped. */
extern const char *const bm_exec_status_names[BM_EXEC_STATUS_COUNT];
typedef struct bm_exec_stats {
    char schedule[64]; /* names compare exactly here: "a" and "A" are two entries */
    char endpoint[64]; /* the endpoint of its execution with the latest scheduled time */
    uint64_t by_status[BM_EXEC_STATUS_COUNT];
    double duration_sum; /* the sum of (ended - started) / scale over executions with both set,
                            added in (scheduled_time, id) order */
    uint64_t duration_count;
    int64_t latest_finished; /* the id of its Completed or CompletedWithViolations execution with
                                the latest scheduled time; 0 for none */
} bm_exec_stats;
/* One entry per schedule that has executions, ordered by the scheduled time (then id) of each
 * schedule's first execution: the order in which the schedules first appear in
 * bm_state_exec_list(s, NULL, NULL, 0, ...). scale (> 0) divides every duration. Memory grows
 * with the number of schedules, not executions. The caller frees *out with bm_free; on failure
 * *out is NULL and *n 0. */
int bm_state_exec_stats(bm_state *s, double scale, bm_exec_stats **out, size_t *n,
                        bm_error *err) BM_MUST_CHECK;
/* Startup recovery: every InProgress execution becomes Failed with reason (Pending ones, which
 * never started, stay queued); *count receives how many. */
int bm_state_exec_fail_unfinished(bm_state *s, const char *reason, double now, size_t *count,
                                  bm_error *err) BM_MUST_CHECK;

/* ---- tags, by resource ARN ---- */
/* Adds or replaces tags (a JSON array of {"Key","Value"}); BM_ELIMIT beyond 50 tags in all. */
int bm_state_tags_add(bm_state *s, const char *arn, json_t *tags, bm_error *err) BM_MUST_CHECK;
/* Removes the keys (a JSON array of strings); absent keys are ignored. */
int bm_state_tags_delete(bm_state *s, const char *arn, json_t *keys, bm_error *err) BM_MUST_CHECK;
/* A new JSON array of {"Key","Value"} ordered by key. */
int bm_state_tags_list(bm_state *s, const char *arn, json_t **out, bm_error *err) BM_MUST_CHECK;

#endif
