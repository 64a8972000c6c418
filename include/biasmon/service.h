/* biasmon serve: the SageMaker-compatible API, the scheduler and /metrics over one data directory.
 */
#ifndef BIASMON_SERVICE_H
#define BIASMON_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

/* The service clock: wall time, or an accelerated clock for tests and demos
 * (now = start + (real now - real start) * scale). Schedules tick on this clock. */
typedef struct bm_clock {
    double scale;      /* 1 = real time */
    double start;      /* service epoch seconds at real_start */
    double real_start; /* CLOCK_REALTIME seconds when the clock was set */
} bm_clock;
void bm_clock_init(bm_clock *c, double scale, int64_t start); /* start 0: now */
double bm_clock_now(const bm_clock *c);

typedef enum { BM_LOG_ERROR, BM_LOG_WARN, BM_LOG_INFO, BM_LOG_DEBUG } bm_log_level;
/* The library logs only through this callback: one event with key=value fields. */
typedef void (*bm_log_fn)(void *ctx, bm_log_level level, const char *event, const char *fields);

typedef struct bm_service_config {
    const char *data_dir; /* state.db, credentials, executions/ (created when missing) */
    const char *host;     /* listen address */
    int port;             /* 0: ephemeral */
    int auth;             /* 1: every API request must be SigV4-signed with the data dir's keys */
    int workers;          /* executions running at once */
    double time_scale;    /* clock speed (1 = real time) */
    int64_t time_start;   /* clock start (epoch seconds); 0 = now */
    const char *region;   /* for ARNs and SigV4 scopes, e.g. "us-east-1" */
    const char *account;  /* 12 digits, for ARNs */
    unsigned http_threads;
    size_t max_body;
    /* Connection limits (docs/serve.md, "Connections"); 0 takes bm_http_opts's default. */
    unsigned max_connections;             /* open connections at once */
    size_t max_body_memory;               /* request bodies being received, beyond 64 KiB each */
    unsigned max_connections_per_address; /* from one client address */
    unsigned idle_timeout_s;              /* nothing received or sent for this long: closed */
    unsigned request_timeout_s;           /* a whole request within this of accept/last response */
    int poll_ms;                          /* scheduler period in real milliseconds */
    const char *worker_exe; /* the biasmon binary run as `biasmon execute` for each execution */
    bm_log_fn log;
    void *log_ctx;
    bm_log_level log_level;
    /* Where requests may point (docs/serve.md): DATA_DIR/files (created) and these absolute
     * folders, which must exist and may not contain the data directory nor lie in it outside
     * files/. The service confines its own store calls and its workers to them (bm_store_confine);
     * a URI elsewhere is refused at create time (AccessDeniedException, ValidationException for
     * a relative path, "." or "..", another scheme) and again by the worker. */
    /* Data capture of InvokeEndpoint (docs/serve.md, "Endpoints that serve"); 0 takes the default.
     */
    size_t capture_max_bytes; /* records waiting to be written, at most (64 MiB) */
    unsigned capture_flush_s; /* a capture file is written at most this long after its first record
                                 (10) */
    /* InvokeEndpoint's calls to model servers (docs/serve.md); 0 takes the default. */
    unsigned invoke_max_inflight;              /* in flight at once, all endpoints (512) */
    unsigned invoke_max_inflight_per_endpoint; /* in flight at once, one endpoint (128) */
    unsigned invoke_timeout_s;                 /* a model server's whole answer (60) */
    const char *model_allow; /* ','-separated hosts model server URLs may name; NULL/"": loopback
                                (127.0.0.1,::1,localhost); "*": any (docs/serve.md) */
    const char *const *allow_roots;
    size_t nallow_roots; /* at most BM_SERVICE_MAX_ALLOW_ROOTS */
    /* Webhook notifications of finished executions (docs/serve.md, "Webhooks"); NULL and 0 take
     * the defaults. bm_service_start fails naming the setting when one is not valid. */
    const char *webhook_url;    /* where every schedule's notifications go; NULL/"": none */
    const char *webhook_format; /* "json" (default) or "slack" */
    const char *webhook_on;     /* ','-separated: violations, failed, completed,
                                      recovered ("violations,failed") */
    const char *webhook_allow;  /* ','-separated URL prefixes (each with a path) that a job
                                   definition's BIASMON_WEBHOOK_URL may start with; NULL/"": none */
    unsigned webhook_queue;     /* notifications waiting at most (1000); beyond: dropped, counted */
    unsigned webhook_attempts;  /* attempts per notification (6) */
    double webhook_retry_base_s; /* the first retry's delay before jitter (20 s), doubling */
    unsigned webhook_timeout_s;  /* one attempt, at most (10 s) */
} bm_service_config;
#define BM_SERVICE_MAX_ALLOW_ROOTS 15

typedef struct bm_service bm_service;

/* Opens the state, recovers from a previous crash (executions left running are marked Failed,
 * missed ticks handled as docs/serve.md says), starts the HTTP server and the scheduler. */
bm_service *bm_service_start(const bm_service_config *cfg, bm_error *err);
int bm_service_port(const bm_service *s);
/* Answers every InvokeEndpoint waiting for its model server (given the idle timeout to finish,
 * then 503 ServiceUnavailable), stops accepting requests and ticks, waits for running executions
 * (up to grace_s real seconds, then kills them; they are then recorded as Failed), closes
 * everything. NULL is a no-op. */
void bm_service_stop(bm_service *s, int grace_s);

#endif
