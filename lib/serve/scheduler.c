/* The scheduler of biasmon serve: ticks on the service clock, executions in worker processes
 * (`biasmon execute`) with bounded concurrency, never two for one schedule, recovery at start. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/cron.h"
#include "biasmon/execution.h"
#include "biasmon/isotime.h"
#include "biasmon/jsonw.h"
#include "biasmon/store.h"
#include "biasmon/sagemaker.h"
#include "serve/internal.h"

#define MAX_TICKS_PER_PASS 10000

static double svc_now(bm_service *s)
{
    return floor(bm_clock_now(&s->clock) * 1000) / 1000;
}

int64_t bm__schedule_next_tick(json_t *doc, int64_t after)
{
    const char *e =
        bm_json_string(doc, "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression");
    bm_schedule_expr x;
    if (!e || bm_schedule_parse(e, strlen(e), &x, NULL)) return -1;
    if (x.now) return -1;
    return bm_schedule_next(&x, after);
}

/* The seconds between a schedule's executions (its cron's period), or 0 when it has none. */
static int64_t schedule_period(json_t *doc)
{
    const char *e =
        bm_json_string(doc, "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression");
    bm_schedule_expr x;
    if (!e || bm_schedule_parse(e, strlen(e), &x, NULL) || x.now) return 0;
    return bm_schedule_period(&x);
}

/* The processing job's name: model-bias-monitoring-{YYYYMMDDHH}00-{24 hex}. */
static void job_name(const char *schedule, int64_t T, char *out, size_t n)
{
    bm_civil c;
    bm_time_civil(T, &c);
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = schedule; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h ^= (uint64_t)T * 0x9e3779b97f4a7c15ULL;
    uint64_t h2 = h * 0xff51afd7ed558ccdULL ^ (h >> 29);
    snprintf(out, n, "model-bias-monitoring-%04d%02d%02d%02d%02d-%016llx%08x", c.year, c.month,
             c.day, c.hour, c.minute, (unsigned long long)h, (unsigned)(h2 & 0xffffffffu));
}

static int insert_execution(bm_service *s, const bm_resource *sched, int64_t T, int64_t *id,
                            bm_error *err)
{
    bm_exec_record e;
    memset(&e, 0, sizeof(e));
    snprintf(e.schedule, sizeof(e.schedule), "%s", sched->name);
    e.scheduled_time = T;
    e.created = e.modified = svc_now(s);
    snprintf(e.status, sizeof(e.status), "Pending");
    snprintf(e.endpoint, sizeof(e.endpoint), "%s", sched->endpoint);
    snprintf(e.job_definition, sizeof(e.job_definition), "%s", sched->ref);
    int rc = bm_state_exec_insert(s->db, &e, err);
    if (!rc && id) *id = e.id;
    return rc;
}

int bm__scheduler_run(bm_service *s, const char *schedule, int64_t T, int64_t *exec_id,
                      bm_error *err)
{
    bm_resource r;
    int rc = bm_state_resource_get(s->db, BM_RES_SCHEDULE, schedule, &r, err);
    if (rc) return rc;
    rc = insert_execution(s, &r, T, exec_id, err);
    bm_resource_release(&r);
    if (rc == BM_EEXISTS) {
        /* a tick that failed or was stopped (say, interrupted by a restart) may run again: its
         * record goes back to Pending; a tick that completed or is running may not */
        bm_exec_record *e = bm_malloc(sizeof(*e));
        if (!e) return bm_error_set(err, BM_ENOMEM, "scheduler: out of memory");
        bm_error lerr; /* err keeps the insert's "already has an execution" */
        bm_error_clear(&lerr);
        int lrc = bm_state_exec_at(s->db, schedule, T, e, &lerr);
        rc = BM_EEXISTS;
        if (lrc && lrc != BM_ENOTFOUND) {
            rc = lrc;
            *err = lerr;
        } else if (!lrc && (!strcmp(e->status, "Failed") || !strcmp(e->status, "Stopped"))) {
            snprintf(e->status, sizeof(e->status), "Pending");
            e->failure_reason[0] = 0;
            e->job_name[0] = 0;
            e->violations = 0;
            e->started = e->ended = 0;
            e->modified = svc_now(s);
            rc = bm_state_exec_update(s->db, e, err);
            if (!rc) *exec_id = e->id;
        }
        bm_free(e);
    }
    if (!rc) {
        bm__log(s, BM_LOG_INFO, "execution_queued",
                "schedule=%s scheduled_time=%lld id=%lld on_demand=1", schedule, (long long)T,
                (long long)*exec_id);
        bm__scheduler_wake(s);
    }
    return rc;
}

/* Creates the executions of every due tick. */
static void tick_locked(bm_service *s);

static void tick(bm_service *s)
{
    pthread_mutex_lock(&s->sched_mu);
    tick_locked(s);
    pthread_mutex_unlock(&s->sched_mu);
}

static void tick_locked(bm_service *s)
{
    bm_resource *v;
    size_t n;
    bm_error err;
    int64_t t = (int64_t)floor(svc_now(s));
    /* nothing is due before next_due unless a schedule changed: skip reading them all */
    if (!atomic_exchange(&s->sched_dirty, 0) && t < s->next_due) return;
    bm_error_clear(&err);
    if (bm_state_resource_list(s->db, BM_RES_SCHEDULE, &v, &n, &err)) {
        bm__log(s, BM_LOG_ERROR, "scheduler_error", "msg=\"%s\"", err.msg);
        atomic_store(&s->sched_dirty, 1);
        return;
    }
    int64_t due = INT64_MAX;
    for (size_t k = 0; k < n; k++) {
        bm_resource *r = &v[k];
        if (!strcmp(r->status, "Scheduled") && r->next_tick >= 0 && r->next_tick > t &&
            r->next_tick < due)
            due = r->next_tick;
        if (strcmp(r->status, "Scheduled") || r->next_tick < 0 || r->next_tick > t) continue;
        int count = 0;
        while (r->next_tick >= 0 && r->next_tick <= t && count++ < MAX_TICKS_PER_PASS) {
            int64_t id = 0;
            int rc = insert_execution(s, r, r->next_tick, &id, &err);
            if (rc && rc != BM_EEXISTS) {
                bm__log(s, BM_LOG_ERROR, "scheduler_error", "schedule=%s msg=\"%s\"", r->name,
                        err.msg);
                break;
            }
            if (!rc)
                bm__log(s, BM_LOG_INFO, "execution_queued",
                        "schedule=%s scheduled_time=%lld id=%lld", r->name, (long long)r->next_tick,
                        (long long)id);
            r->next_tick =
                bm__schedule_next_tick(r->doc, r->next_tick); /* -1 after a NOW schedule ran */
        }
        if (bm_state_resource_update(s->db, r, &err)) {
            bm__log(s, BM_LOG_ERROR, "scheduler_error", "schedule=%s msg=\"%s\"", r->name, err.msg);
            atomic_store(&s->sched_dirty, 1);
        }
        if (r->next_tick >= 0 && r->next_tick < due) due = r->next_tick;
    }
    s->next_due = due;
    bm_resources_free(v, n);
}

/* ---- workers ---- */

static int running_for(bm_service *s, const char *schedule)
{
    for (int k = 0; k < BM__MAX_WORKERS; k++)
        if (s->workers[k].pid && !strcmp(s->workers[k].schedule, schedule)) return 1;
    return 0;
}

static void finish_record(bm_service *s, bm_exec_record *e, const char *status, const char *reason)
{
    bm_error err;
    bm_error_clear(&err);
    snprintf(e->status, sizeof(e->status), "%s", status);
    snprintf(e->failure_reason, sizeof(e->failure_reason), "%s", reason ? reason : "");
    e->modified = e->ended = svc_now(s);
    if (bm_state_exec_update(s->db, e, &err))
        bm__log(s, BM_LOG_ERROR, "state_error", "execution=%lld msg=\"%s\"", (long long)e->id,
                err.msg);
    bm__log(s, BM_LOG_INFO, "execution_finished", "schedule=%s id=%lld status=%s reason=\"%s\"",
            e->schedule, (long long)e->id, status, reason ? reason : "");
    /* the notification: queued, never sent from this thread (webhooks.c) */
    bm_resource jd;
    bm_error_clear(&err);
    int have_jd =
        !bm_state_resource_get(s->db, BM_RES_JOB_DEFINITION, e->job_definition, &jd, &err);
    bm__webhook_notify(
        s, e, have_jd ? bm_json_get(jd.doc, "ModelBiasAppSpecification.Environment") : NULL);
    if (have_jd) bm_resource_release(&jd);
}

/* Starts execution e in a worker process. */
static void spawn(bm_service *s, bm_exec_record *e)
{
    bm_error err;
    bm_error_clear(&err);
    char why[1024] = "";
    bm_resource sched, jd, ep;
    int have_sched = 0, have_jd = 0, have_ep = 0;
    char dir[1300], jd_path[1400], log_path[1400], result_path[1400], when[32], capture[1100] = "";
    if (bm_state_resource_get(s->db, BM_RES_SCHEDULE, e->schedule, &sched, &err)) {
        snprintf(why, sizeof(why), "the monitoring schedule no longer exists");
        goto fail;
    }
    have_sched = 1;
    if (bm_state_resource_get(s->db, BM_RES_JOB_DEFINITION, e->job_definition, &jd, &err)) {
        snprintf(why, sizeof(why), "job definition \"%s\" no longer exists", e->job_definition);
        goto fail;
    }
    have_jd = 1;
    if (e->endpoint[0]) {
        if (bm_state_resource_get(s->db, BM_RES_ENDPOINT, e->endpoint, &ep, &err)) {
            snprintf(why, sizeof(why), "endpoint \"%s\" no longer exists", e->endpoint);
            goto fail;
        }
        have_ep = 1;
        const char *d = bm_json_string(ep.doc, "DataCaptureConfig.DestinationS3Uri");
        if (!d) {
            snprintf(why, sizeof(why), "endpoint \"%s\" has no data capture destination",
                     e->endpoint);
            goto fail;
        }
        snprintf(capture, sizeof(capture), "%s", d);
    }
    /* the roots may have changed since the job definition was created, and a link may have been
     * planted since: check again (the worker checks once more as it opens each file) */
    if (bm__check_uris(jd.doc, bm__job_definition_uris, &err) ||
        (have_ep && bm__check_uris(ep.doc, bm__endpoint_config_uris, &err))) {
        snprintf(why, sizeof(why), "%s: %s", err.path, err.msg);
        goto fail;
    }
    snprintf(dir, sizeof(dir), "%s/executions/%lld", s->data_dir, (long long)e->id);
    snprintf(jd_path, sizeof(jd_path), "%s/job_definition.json", dir);
    snprintf(log_path, sizeof(log_path), "%s/log.txt", dir);
    /* a baseline named by its baselining job is that job's analysis.json, once it has Completed */
    char baseline[1100] = "";
    const char *bjn = bm_json_string(jd.doc, "ModelBiasBaselineConfig.BaseliningJobName");
    if (bjn && !bm_json_string(jd.doc, "ModelBiasBaselineConfig.ConstraintsResource.S3Uri") &&
        bm__processing_baseline(s, bjn, baseline, sizeof(baseline), &err)) {
        snprintf(why, sizeof(why), "ModelBiasBaselineConfig.BaseliningJobName: %s", err.msg);
        goto fail;
    }
    json_t *req = json_deep_copy(jd.doc);
    bm_buf b;
    bm_buf_init(&b, 16u << 20);
    int wrc = BM_ENOMEM;
    if (req) {
        json_object_del(req, "JobDefinitionArn");
        json_object_del(req, "CreationTime");
        json_t *bc = json_object_get(req, "ModelBiasBaselineConfig");
        wrc = baseline[0] && bc &&
                      json_object_set_new(bc, "ConstraintsResource",
                                          json_pack("{s:s}", "S3Uri", baseline))
                  ? BM_ENOMEM
                  : bm_json_write(req, 2, &b);
        if (!wrc) wrc = bm_write_file_atomic(jd_path, b.data, b.len, &err);
    }
    json_decref(req);
    bm_buf_release(&b);
    if (wrc) {
        snprintf(why, sizeof(why), "cannot prepare the execution: %s",
                 err.msg[0] ? err.msg : "out of memory");
        goto fail;
    }
    /* the output folder, by the rule the worker follows (the worker's result names it again) */
    const char *out =
        bm_json_string(jd.doc, "ModelBiasJobOutputConfig.MonitoringOutputs[0].S3Output.S3Uri");
    if (bm_execution_output_folder(out, e->endpoint[0] ? e->endpoint : NULL, e->schedule,
                                   e->scheduled_time, e->output_uri, sizeof(e->output_uri), &err)) {
        snprintf(why, sizeof(why), "%s", err.msg);
        goto fail;
    }
    /* the worker's outcome comes back in this file; one left by an earlier run is not this one's */
    if (snprintf(result_path, sizeof(result_path), "%s/result.json", dir) >=
            (int)sizeof(result_path) ||
        (unlink(result_path) && errno != ENOENT)) {
        snprintf(why, sizeof(why), "cannot prepare the execution: cannot clear its result file: %s",
                 strerror(errno));
        goto fail;
    }
    bm_time_format(e->scheduled_time, when, sizeof(when));
    job_name(e->schedule, e->scheduled_time, e->job_name, sizeof(e->job_name));
    { /* a re-run must not be judged by the account its failed predecessor left behind */
        char acc[BM_EXECUTION_OUTPUT_MAX + 32];
        bm_error e2;
        bm_error_clear(&e2);
        if (!bm_uri_join(e->output_uri, "execution.json", acc, sizeof(acc)) &&
            bm_store_remove(acc, &e2))
            bm__log(s, BM_LOG_WARN, "stale_account", "execution=%lld msg=\"%s\"", (long long)e->id,
                    e2.msg);
    }
    const char *ws =
        bm_json_string(sched.doc, "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime");
    const char *we =
        bm_json_string(sched.doc, "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisEndTime");
    json_t *mrt = bm_json_get(jd.doc, "StoppingCondition.MaxRuntimeInSeconds");
    char *argv[20 + 2 * (BM_SERVICE_MAX_ALLOW_ROOTS + 1)];
    int a = 0;
    argv[a++] = s->worker_exe;
    argv[a++] = "execute";
    argv[a++] = "--job-definition";
    argv[a++] = jd_path;
    argv[a++] = "--scheduled-time";
    argv[a++] = when;
    argv[a++] = "--schedule-name";
    argv[a++] = e->schedule;
    argv[a++] = "--result";
    argv[a++] = result_path;
    /* the statistical rule splits its false-alarm budget over the schedule's executions a day */
    char looks[16];
    int64_t period = schedule_period(sched.doc);
    if (period > 0) {
        int64_t n = period >= 86400 ? 1 : (86400 + period - 1) / period;
        snprintf(looks, sizeof(looks), "%d", (int)(n > 1440 ? 1440 : n));
        argv[a++] = "--looks-per-day";
        argv[a++] = looks;
    }
    if (capture[0]) {
        argv[a++] = "--capture-uri";
        argv[a++] = capture;
    }
    char wsb[32], web[32];
    if (ws && we) {
        snprintf(wsb, sizeof(wsb), "%s", ws);
        snprintf(web, sizeof(web), "%s", we);
        argv[a++] = "--data-analysis-start-time";
        argv[a++] = wsb;
        argv[a++] = "--data-analysis-end-time";
        argv[a++] = web;
    }
    for (size_t k = 0; k < s->nroots; k++) { /* the worker is confined as this process is */
        argv[a++] = "--confine";
        argv[a++] = s->roots[k];
    }
    argv[a] = NULL;
    bm__worker *w = bm__worker_start(s, argv, log_path, why, sizeof(why));
    if (!w) goto fail;
    w->exec_id = e->id;
    snprintf(w->schedule, sizeof(w->schedule), "%s", e->schedule);
    w->started_real = bm__mono();
    w->max_runtime = mrt ? (int)json_integer_value(mrt) : 0;
    w->killed = 0;
    snprintf(e->status, sizeof(e->status), "InProgress");
    e->started = e->modified = svc_now(s);
    if (bm_state_exec_update(s->db, e, &err))
        bm__log(s, BM_LOG_ERROR, "state_error", "execution=%lld msg=\"%s\"", (long long)e->id,
                err.msg);
    bm__log(s, BM_LOG_INFO, "execution_started",
            "schedule=%s id=%lld scheduled_time=%s pid=%d job=%s", e->schedule, (long long)e->id,
            when, (int)w->pid, e->job_name);
    goto out;
fail:
    finish_record(s, e, "Failed", why);
out:
    if (have_sched) bm_resource_release(&sched);
    if (have_jd) bm_resource_release(&jd);
    if (have_ep) bm_resource_release(&ep);
}

/* Records how a worker ended: the result it handed back (bm_execution_result_read, the file spawn
 * named with --result) says the status, the reason, the violations and the output folder. */
static void reap(bm_service *s, bm__worker *w, int wstatus)
{
    bm_exec_record e;
    bm_error err;
    bm_error_clear(&err);
    if (bm_state_exec_get(s->db, w->exec_id, &e, &err)) {
        bm__log(s, BM_LOG_ERROR, "state_error", "execution=%lld msg=\"%s\"", (long long)w->exec_id,
                err.msg);
        return;
    }
    char why[1024] = "", status_buf[32] = "Failed";
    const char *status = status_buf;
    if (w->killed == 1) {
        status = "Stopped";
        snprintf(why, sizeof(why), "MaxRuntimeInSeconds (%d s) exceeded: the execution was stopped",
                 w->max_runtime);
    } else if (w->killed == 2) {
        snprintf(why, sizeof(why), "biasmon serve stopped during the execution");
    } else {
        bm_execution_result res;
        char result_path[1400];
        snprintf(result_path, sizeof(result_path), "%s/executions/%lld/result.json", s->data_dir,
                 (long long)e.id);
        int rrc = bm_execution_result_read(result_path, &res, &err);
        if (rrc && rrc != BM_ENOTFOUND)
            bm__log(s, BM_LOG_WARN, "worker_result", "execution=%lld msg=\"%s\"", (long long)e.id,
                    err.msg);
        if (!rrc) {
            snprintf(status_buf, sizeof(status_buf), "%s", bm_exec_status_name(res.status));
            snprintf(why, sizeof(why), "%s", res.failure_reason);
            e.violations = (int64_t)res.violations;
            snprintf(e.output_uri, sizeof(e.output_uri), "%s", res.output_uri);
        } else if (WIFEXITED(wstatus)) {
            char last[600], log_path[1300];
            snprintf(log_path, sizeof(log_path), "%s/executions/%lld/log.txt", s->data_dir,
                     (long long)e.id);
            bm__worker_last_word(log_path, last, sizeof(last));
            /* the API's reason is the worker's own words; where its log lives is for the
             * operator's log, never for an API caller */
            snprintf(why, sizeof(why),
                     "the worker exited with status %d without an account of the execution%s%s",
                     WEXITSTATUS(wstatus), last[0] ? ": " : "", last);
            bm__log(s, BM_LOG_WARN, "worker_without_account", "execution=%lld status=%d log=%s",
                    (long long)e.id, WEXITSTATUS(wstatus), log_path);
        } else {
            snprintf(why, sizeof(why), "the worker was killed by signal %d",
                     WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
            bm__log(s, BM_LOG_WARN, "worker_killed",
                    "execution=%lld signal=%d log=%s/executions/%lld/log.txt", (long long)e.id,
                    WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0, s->data_dir, (long long)e.id);
        }
        if (!strcmp(status, "Failed") && !why[0])
            snprintf(why, sizeof(why), "the execution failed");
    }
    finish_record(s, &e, status, why);
}

static void reap_all(bm_service *s)
{
    for (int k = 0; k < BM__MAX_WORKERS; k++) {
        bm__worker *w = &s->workers[k];
        if (!w->pid) continue;
        int st;
        pid_t p = waitpid(w->pid, &st, WNOHANG);
        if (p == w->pid) {
            if (w->job[0])
                bm__processing_reap(s, w, st);
            else
                reap(s, w, st);
            w->pid = 0;
            atomic_store(&s->pj_dirty, 1); /* a slot is free for a queued processing job */
        } else if (w->max_runtime > 0 && !w->killed &&
                   bm__mono() - w->started_real > w->max_runtime) {
            kill(w->pid, SIGKILL);
            w->killed = 1;
        }
    }
}

static void dispatch(bm_service *s)
{
    bm__processing_dispatch(s); /* a user waits on these: they go first */
    if (!bm__workers_free(s)) return;
    bm_exec_record *v = NULL;
    size_t n = 0;
    bm_error err;
    bm_error_clear(&err);
    if (bm_state_exec_list(s->db, NULL, "Pending", 1000, &v, &n, &err)) {
        bm__log(s, BM_LOG_ERROR, "scheduler_error", "msg=\"%s\"", err.msg);
        return;
    }
    for (size_t k = 0; k < n && bm__workers_free(s) && !s->stopping; k++) {
        if (running_for(s, v[k].schedule)) continue; /* one at a time per schedule */
        spawn(s, &v[k]);
    }
    bm_free(v);
}

static void *sched_main(void *arg)
{
    bm_service *s = arg;
    int poll = s->cfg.poll_ms > 0 ? s->cfg.poll_ms : 200;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        if (!s->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)poll * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&s->wake, &s->mu, &ts);
        }
        int stopping = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stopping) break;
        reap_all(s);
        tick(s);
        dispatch(s);
    }
    return NULL;
}

/* Recovery after a crash: executions left running are Failed; ticks missed while down are not
 * backfilled (each schedule runs its latest missed tick once, then continues). */
static int recover(bm_service *s, bm_error *err)
{
    size_t n = 0;
    int rc = bm_state_exec_fail_unfinished(
        s->db,
        "interrupted by restart: biasmon serve stopped during the execution; "
        "run it again with biasmon run",
        svc_now(s), &n, err);
    if (rc) return rc;
    if (n) bm__log(s, BM_LOG_WARN, "recovered", "interrupted_executions=%zu", n);
    if ((rc = bm__processing_recover(s, err))) return rc;
    bm_resource *v;
    size_t m;
    if ((rc = bm_state_resource_list(s->db, BM_RES_SCHEDULE, &v, &m, err))) return rc;
    int64_t t = (int64_t)floor(svc_now(s));
    for (size_t k = 0; k < m; k++) {
        bm_resource *r = &v[k];
        if (strcmp(r->status, "Scheduled") || r->next_tick < 0 || r->next_tick > t) continue;
        const char *e =
            bm_json_string(r->doc, "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression");
        bm_schedule_expr x;
        if (!e || bm_schedule_parse(e, strlen(e), &x, NULL) || x.now) continue;
        int64_t latest = bm_schedule_prev(&x, t);
        if (latest > r->next_tick) {
            bm__log(s, BM_LOG_WARN, "missed_ticks", "schedule=%s from=%lld skipped_to=%lld",
                    r->name, (long long)r->next_tick, (long long)latest);
            r->next_tick = latest;
            if ((rc = bm_state_resource_update(s->db, r, err))) break;
        }
    }
    bm_resources_free(v, m);
    return rc;
}

int bm__scheduler_start(bm_service *s, bm_error *err)
{
    char dir[1200];
    snprintf(dir, sizeof(dir), "%s/executions", s->data_dir);
    atomic_store(&s->sched_dirty, 1);
    s->next_due = INT64_MIN;
    int rc = bm_mkdirs(dir, err);
    if (!rc) rc = recover(s, err);
    if (rc) return rc;
    if (pthread_create(&s->sched_thread, NULL, sched_main, s) != 0)
        return bm_error_set(err, BM_EINTERNAL, "cannot start the scheduler thread");
    s->sched_running = 1;
    return BM_OK;
}

void bm__scheduler_stop(bm_service *s, int grace_s)
{
    if (!s->sched_running) return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->sched_thread, NULL);
    s->sched_running = 0;
    /* let running executions finish for grace_s seconds, then stop them */
    double deadline = bm__mono() + (grace_s > 0 ? grace_s : 0);
    for (int round = 0; round < 100000; round++) {
        reap_all(s);
        if (!bm__workers_running(s) || bm__mono() >= deadline) break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int k = 0; k < BM__MAX_WORKERS; k++) {
        bm__worker *w = &s->workers[k];
        if (!w->pid) continue;
        kill(w->pid, SIGKILL);
        w->killed = 2;
        int st;
        waitpid(w->pid, &st, 0);
        if (w->job[0])
            bm__processing_reap(s, w, st);
        else
            reap(s, w, st);
        w->pid = 0;
    }
}
