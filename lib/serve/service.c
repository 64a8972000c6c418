/* biasmon serve: the service object, the clock, logging, and the HTTP entry point (auth,
 * AWS JSON 1.1 framing, dispatch to operations, errors in AWS's shape). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/awsjson.h"
#include "biasmon/sigv4.h"
#include "biasmon/store.h"
#include "biasmon/sagemaker.h"
#include "serve/internal.h"
#include "serve/runtime.h"

/* bm_http_opts's default idle timeout: what requests in flight get at shutdown */
#define DEFAULT_IDLE_S 10

/* ==================================================================== clock */

static double real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void bm_clock_init(bm_clock *c, double scale, int64_t start)
{
    c->scale = scale > 0 ? scale : 1;
    c->real_start = real_now();
    c->start = start > 0 ? (double)start : c->real_start;
}

double bm_clock_now(const bm_clock *c)
{
    return c->start + (real_now() - c->real_start) * c->scale;
}

/* ==================================================================== HTTP */

/* Best-effort text for error bodies: the buffer's limit is far above these. */
static void put_text(bm_buf *b, const char *t)
{
    if (bm_buf_puts(b, t)) b->len = 0;
}

static int authenticate(bm_service *s, const bm_http_request *req, bm_http_response *res)
{
    if (!s->cfg.auth) return 1;
    bm_sigv4_request sr = {req->method,   req->path, req->query,   req->headers,
                           req->nheaders, req->body, req->body_len};
    bm_sigv4_key key = {s->key_id, s->key_secret};
    size_t idx;
    char why[512];
    bm_sigv4_result r = bm_sigv4_verify(&sr, &key, 1, s->region, "sagemaker", (int64_t)real_now(),
                                        900, &idx, why, sizeof(why));
    if (r == BM_SIGV4_OK) return 1;
    const char *type = bm_awsjson_auth_error(res, r, why);
    bm__log(s, BM_LOG_WARN, "auth_refused", "remote=%s reason=%s", req->remote ? req->remote : "?",
            type);
    return 0;
}

static void handle(void *ctx, const bm_http_request *req, bm_http_response *res)
{
    bm_service *s = ctx;
    if (bm__ui_handle(s, req, res)) return;
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/metrics")) {
        res->status = 200;
        res->content_type = "text/plain; version=0.0.4; charset=utf-8";
        bm_http_stats hs;
        bm_http_stats_get(req->server, &hs);
        if (bm__metrics_render(s, req->server ? &hs : NULL, &res->body)) {
            bm_buf_reset(&res->body);
            res->status = 500;
            put_text(&res->body, "# error rendering metrics\n");
        }
        return;
    }
    if (!strcmp(req->method, "GET") &&
        (!strcmp(req->path, "/health") || !strcmp(req->path, "/ping"))) {
        res->status = 200;
        res->content_type = "text/plain";
        put_text(&res->body, "ok\n");
        return;
    }
    if (!strcmp(req->method, "POST") && !strncmp(req->path, "/endpoints/", 11)) {
        if (authenticate(s, req, res)) bm__runtime_invoke(s, req, res);
        return;
    }
    if (strcmp(req->method, "POST") || strcmp(req->path, "/")) {
        bm_awsjson_error(res, 404, "UnknownOperationException",
                         "biasmon serves POST / (AWS JSON 1.1), POST "
                         "/endpoints/{name}/invocations, GET /metrics, GET /health and GET /ui");
        return;
    }
    if (!authenticate(s, req, res)) return;
    const char *target = bm_http_header_value(req, "X-Amz-Target");
    const bm__op *op = target ? bm__find_op(target) : NULL;
    if (!op) {
        char msg[300];
        snprintf(msg, sizeof(msg), "Unknown operation %s",
                 target ? target : "(no X-Amz-Target header)");
        bm_awsjson_error(res, 400, "UnknownOperationException", msg);
        return;
    }
    json_t *body;
    if (bm_awsjson_body(req, &body, res)) return;
    bm_error err;
    bm_error_clear(&err);
    json_t *resp = NULL;
    const bm_shape *shape = bm_sagemaker_request_shape(op->name);
    int r = shape ? bm_shape_validate(shape, body, "$", &err)
                  : bm_error_set(
                        &err, BM_EINTERNAL,
                        "%s has no request shape in the service model (lib/aws/sagemaker_model.c)",
                        op->name);
    if (!r) r = op->fn(s, body, &resp, &err);
    if (r) {
        bm__log(s, r == BM_ENOMEM || r == BM_EINTERNAL || r == BM_EIO ? BM_LOG_ERROR : BM_LOG_INFO,
                "api_error", "op=%s code=%d path=%s msg=\"%s\"", op->name, r, err.path, err.msg);
        if (!err.code) err.code = r;
        bm_awsjson_error_from(res, &err);
    } else {
        bm__log(s, BM_LOG_DEBUG, "api", "op=%s", op->name);
        if (!strstr(op->name, ".Describe") && !strstr(op->name, ".List")) bm__runtime_changed(s);
        bm_awsjson_reply(res, 200, resp);
    }
    json_decref(resp);
    json_decref(body);
}

/* ==================================================================== lifecycle */

/* Takes the data directory's exclusive lock (flock on serve.lock, closed on exec so workers do
 * not inherit it) and writes this process's pid in the file. When another process holds it,
 * fails with BM_EBUSY naming that process, having touched nothing else. */
static int lock_data_dir(bm_service *s, bm_error *err)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/serve.lock", s->data_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot open the data directory's lock file: %s",
                            strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char holder[32] = "";
        ssize_t n = e == EWOULDBLOCK ? pread(fd, holder, sizeof(holder) - 1, 0) : -1;
        long pid = n > 0 ? strtol(holder, NULL, 10) : 0;
        close(fd);
        bm_error_at(err, path, 0, 0, NULL);
        if (e != EWOULDBLOCK)
            return bm_error_set(err, BM_EIO, "cannot lock the data directory: %s", strerror(e));
        if (pid > 0)
            return bm_error_set(
                err, BM_EBUSY,
                "the data directory %s is in use by another biasmon serve (pid %ld); stop "
                "it first or give this one another --data-dir",
                s->data_dir, pid);
        return bm_error_set(
            err, BM_EBUSY,
            "the data directory %s is in use by another biasmon serve; stop it first or "
            "give this one another --data-dir",
            s->data_dir);
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        bm_error_at(err, path, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot write the data directory's lock file: %s",
                            strerror(e));
    }
    s->lock_fd = fd;
    return BM_OK;
}

/* The folders requests may point into: DATA_DIR/files and the configured ones, none of which may
 * reach the data directory's own files; then the store of this process is confined to them. */
static int set_roots(bm_service *s, bm_error *err)
{
    char data[PATH_MAX];
    if (!realpath(s->data_dir, data) || strlen(data) + 7 > sizeof(s->roots[0])) {
        bm_error_at(err, s->data_dir, 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot resolve the data directory: %s", strerror(errno));
    }
    memcpy(s->roots[0], data, strlen(data)); /* fits: checked above */
    memcpy(s->roots[0] + strlen(data), "/files", sizeof("/files"));
    if (mkdir(s->roots[0], 0755) != 0 && errno != EEXIST) {
        bm_error_at(err, s->roots[0], 0, 0, NULL);
        return bm_error_set(err, BM_EIO, "cannot create: %s", strerror(errno));
    }
    s->nroots = 1;
    size_t dl = strlen(data);
    for (size_t k = 0; k < s->cfg.nallow_roots && k < BM_SERVICE_MAX_ALLOW_ROOTS; k++) {
        const char *given = s->cfg.allow_roots[k];
        char real[PATH_MAX];
        struct stat st;
        bm_error_at(err, given, 0, 0, NULL);
        if (given[0] != '/')
            return bm_error_set(err, BM_EINVAL, "--allow-root must be an absolute path");
        if (!realpath(given, real) || stat(real, &st) != 0)
            return bm_error_set(err, BM_EINVAL, "--allow-root: cannot use this folder: %s",
                                strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return bm_error_set(err, BM_EINVAL, "--allow-root: not a directory");
        size_t rl = strlen(real);
        while (rl > 1 && real[rl - 1] == '/')
            real[--rl] = 0;
        if (rl >= sizeof(s->roots[0]))
            return bm_error_set(err, BM_EINVAL, "--allow-root: path too long");
        int holds_data =
            rl == 1 || (!strncmp(data, real, rl) && (data[rl] == '/' || data[rl] == 0));
        int in_data = !strncmp(real, data, dl) && real[dl] == '/' &&
                      strncmp(real, s->roots[0], strlen(s->roots[0])) != 0;
        if (holds_data || in_data)
            return bm_error_set(
                err, BM_EINVAL,
                "--allow-root %s the data directory %s, whose state and access keys requests may "
                "never reach: name a folder beside it (or use %s)",
                holds_data ? "contains" : "lies in", data, s->roots[0]);
        memcpy(s->roots[s->nroots++], real, rl + 1); /* fits: checked above */
    }
    const char *v[BM_SERVICE_MAX_ALLOW_ROOTS + 1];
    for (size_t k = 0; k < s->nroots; k++)
        v[k] = s->roots[k];
    bm_error_clear(err);
    return bm_store_confine(v, s->nroots, err);
}

bm_service *bm_service_start(const bm_service_config *cfg, bm_error *err)
{
    bm_service *s = bm_calloc(1, sizeof(*s));
    if (!s) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->lock_fd = -1;
    snprintf(s->data_dir, sizeof(s->data_dir), "%s", cfg->data_dir);
    snprintf(s->region, sizeof(s->region), "%s", cfg->region ? cfg->region : "us-east-1");
    snprintf(s->account, sizeof(s->account), "%s", cfg->account ? cfg->account : "123456789012");
    snprintf(s->worker_exe, sizeof(s->worker_exe), "%s",
             cfg->worker_exe ? cfg->worker_exe : "/proc/self/exe");
    s->cfg.data_dir = s->data_dir;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->sched_mu, NULL);
    pthread_mutex_init(&s->pj_mu, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_mutex_init(&s->metrics_mu, NULL);
    pthread_mutex_init(&s->series_mu, NULL);
    bm_clock_init(&s->clock, cfg->time_scale, cfg->time_start);
    char path[1200];
    if (bm_mkdirs(s->data_dir, err)) goto fail;
    if (lock_data_dir(s, err)) goto fail; /* before anything reads or changes the state */
    chmod(s->data_dir, 0700);
    if (set_roots(s, err)) goto fail;
    if (bm_credentials_load(s->data_dir, s->key_id, sizeof(s->key_id), s->key_secret,
                            sizeof(s->key_secret), err))
        goto fail;
    if (bm__ui_start(s, err)) goto fail;
    snprintf(path, sizeof(path), "%s/state.db", s->data_dir);
    if (bm_state_open(path, &s->db, err)) goto fail;
    if (!(s->metrics_cache = json_object())) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        goto fail;
    }
    if (!(s->runtime = bm__runtime_new(s, err))) goto fail;
    if (!(s->webhooks = bm__webhooks_new(s, err))) goto fail;
    if (bm__scheduler_start(s, err)) goto fail;
    bm_http_opts ho = {
        .host = cfg->host,
        .port = cfg->port,
        .max_body = cfg->max_body,
        .threads = cfg->http_threads,
        .body_memory = cfg->max_body_memory,
        .max_connections = cfg->max_connections,
        .per_address = cfg->max_connections_per_address,
        .timeout_s = cfg->idle_timeout_s,
        .request_timeout_s = cfg->request_timeout_s,
        /* every invocation in flight holds a connection to its model server */
        .extra_files = cfg->invoke_max_inflight ? cfg->invoke_max_inflight : 512,
    };
    if (!(s->http = bm_http_start(&ho, handle, s, err))) goto fail;
    char roots[1200];
    bm_store_roots(roots, sizeof(roots));
    bm__log(s, BM_LOG_INFO, "listening",
            "host=%s port=%d auth=%s ui_token=%s data_dir=%s time_scale=%g roots=\"%s\"",
            cfg->host ? cfg->host : "127.0.0.1", bm_http_port(s->http), cfg->auth ? "sigv4" : "off",
            s->ui_token_required ? "required" : "off", s->data_dir, s->clock.scale, roots);
    return s;
fail:
    bm_service_stop(s, 0);
    return NULL;
}

int bm_service_port(const bm_service *s)
{
    return s->http ? bm_http_port(s->http) : -1;
}

void bm_service_stop(bm_service *s, int grace_s)
{
    if (!s) return;
    /* invocations first: each suspended connection is answered before the server stops */
    bm__runtime_stop_invocations(s->runtime,
                                 s->cfg.idle_timeout_s ? s->cfg.idle_timeout_s : DEFAULT_IDLE_S);
    bm_http_stop(s->http);
    s->http = NULL;
    bm__runtime_free(s->runtime); /* no request runs now: writes out the capture still queued */
    s->runtime = NULL;
    bm__scheduler_stop(s, grace_s);
    bm__webhooks_free(s->webhooks); /* after the scheduler: its last executions were queued */
    s->webhooks = NULL;
    bm_state_close(s->db);
    json_decref(s->metrics_cache);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->sched_mu);
    pthread_mutex_destroy(&s->pj_mu);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->metrics_mu);
    pthread_mutex_destroy(&s->series_mu);
    memset(s->key_secret, 0, sizeof(s->key_secret));
    if (s->lock_fd >= 0) close(s->lock_fd); /* the last thing: releases the data directory */
    bm__log(s, BM_LOG_INFO, "stopped", "data_dir=%s", s->data_dir);
    bm_free(s);
}
