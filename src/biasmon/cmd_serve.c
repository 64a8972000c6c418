/* biasmon serve: the daemon. One settings table drives parsing, --help, --check-config and
 * docs/settings.md (--print-settings-markdown). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/http.h"
#include "biasmon/isotime.h"
#include "biasmon/service.h"
#include "biasmon/store.h"
#include "cli.h"

typedef struct serve_settings {
    char data_dir[1024];
    char listen[256];
    int auth;
    int allow_unauthenticated_remote;
    int workers;
    double time_scale;
    char time_start[64];
    char region[32];
    char account[16];
    int http_threads;
    int max_body;
    int max_body_memory;
    int max_connections;
    int max_connections_per_address;
    int idle_timeout;
    int request_timeout;
    int poll_ms;
    int capture_max_bytes;
    int capture_flush;
    int invoke_max_inflight;
    int invoke_max_inflight_per_endpoint;
    int invoke_timeout;
    char log_level[16];
    int shutdown_grace;
    char allow_root[4096];
    char webhook_url[2048];
    char webhook_format[16];
    char webhook_on[64];
    char webhook_allow[4096];
    char model_allow[4096];
    int webhook_queue;
    int webhook_attempts;
    double webhook_retry_base;
    int webhook_timeout;
} serve_settings;

/* T_PATHS: a list of paths, ':'-separated in the environment; each command-line occurrence adds one
 * T_SECRET: a string --check-config does not print (a webhook URL may hold a token) */
typedef enum { T_STR, T_INT, T_DOUBLE, T_BOOL, T_PATHS, T_SECRET } stype;

typedef struct setting {
    const char *name;
    stype type;
    const char *def;
    double min, max;
    size_t off, size;
    const char *help;
} setting;

#define F(field) offsetof(serve_settings, field), sizeof(((serve_settings *)0)->field)
static const setting settings[] = {
    {"data-dir", T_STR, "./biasmon-data", 0, 0, F(data_dir),
     "Directory of the state (state.db, SQLite in WAL mode), the access keys (credentials, mode "
     "0600, "
     "created on first start), serve.json (the address clients use) and executions/ (job "
     "definitions and "
     "logs of each execution)."},
    {"listen", T_STR, "127.0.0.1:8080", 0, 0, F(listen),
     "Address and port of the API and /metrics; port 0 picks a free port (serve.json says which). "
     "Loopback by default."},
    {"auth", T_BOOL, "on", 0, 1, F(auth),
     "Require AWS Signature Version 4 on every API request, with the keys in the data directory. "
     "\"off\" is for local experiments only: anyone who can reach the port can then change "
     "schedules. "
     "Refused on an address other than loopback unless --allow-unauthenticated-remote is on."},
    {"allow-unauthenticated-remote", T_BOOL, "off", 0, 1, F(allow_unauthenticated_remote),
     "Let --auth off serve an address other than loopback (127.0.0.0/8, ::1), such as 0.0.0.0: "
     "anyone on the network can then create, change and delete schedules. Without it, serve "
     "refuses to start with that combination."},
    {"workers", T_INT, "2", 1, 64, F(workers),
     "Executions that may run at once (worker processes)."},
    {"time-scale", T_DOUBLE, "1", 0.001, 1e7, F(time_scale),
     "Speed of the service clock that schedules tick on: 3600 makes an hour pass in a second "
     "(tests, demos)."},
    {"time-start", T_STR, "", 0, 0, F(time_start),
     "Service time at start-up (e.g. 2026-11-24T00:00:00Z); empty for the current time."},
    {"region", T_STR, "us-east-1", 0, 0, F(region),
     "Region in ARNs and in the signatures clients send (a request signed for another region is "
     "refused)."},
    {"account", T_STR, "123456789012", 0, 0, F(account), "12-digit account id in ARNs."},
    {"http-threads", T_INT, "4", 1, 64, F(http_threads), "Threads answering API requests."},
    {"max-body", T_INT, "8388608", 1024, 268435456, F(max_body),
     "Largest request body in bytes (413 beyond)."},
    {"max-body-memory", T_INT, "268435456", 1048576, 2147483647, F(max_body_memory),
     "Bytes of request bodies all connections together may hold while they arrive, not counting "
     "the "
     "first 64 KiB of each (a body is read whole before its signature can be checked, so this "
     "bounds "
     "what unauthenticated clients can make the service hold). A request that would exceed it gets "
     "503 ServiceUnavailable (clients retry). At least --max-body."},
    {"max-connections", T_INT, "4096", 16, 65536, F(max_connections),
     "Open connections the API and /metrics accept at once (each costs a file descriptor and 64 "
     "KiB, "
     "not a thread; the soft limit on open files is raised to this plus 256, within the hard limit "
     "ulimit -Hn). Beyond it new connections wait in the kernel's queue."},
    {"max-connections-per-address", T_INT, "64", 1, 65536, F(max_connections_per_address),
     "Open connections from one client address (an IPv4 address or a whole IPv6 address); more are "
     "closed as soon as they are accepted. At most --max-connections. Clients behind one proxy or "
     "NAT "
     "share it."},
    {"idle-timeout", T_INT, "10", 1, 3600, F(idle_timeout),
     "Seconds a connection may stay silent (nothing received or sent) before it is closed: idle "
     "keep-alive connections, clients that stop sending or stop reading their response."},
    {"request-timeout", T_INT, "30", 1, 3600, F(request_timeout),
     "Seconds a client has to send a whole request (request line, headers and body), counted from "
     "its "
     "connection's accept or its previous response; then the connection is closed, however slowly "
     "it "
     "keeps sending (slowloris)."},
    {"poll-ms", T_INT, "200", 5, 60000, F(poll_ms),
     "How often the scheduler looks for due ticks and finished workers (real milliseconds)."},
    {"capture-max-bytes", T_INT, "67108864", 65536, 2147483647, F(capture_max_bytes),
     "Bytes of data capture records (InvokeEndpoint) waiting to be written, at most; beyond it "
     "records are "
     "dropped (the invocation still succeeds) and counted in /metrics as "
     "biasmon_capture_records_total{result=\"dropped_queue_full\"}."},
    {"capture-flush", T_INT, "10", 1, 3600, F(capture_flush),
     "Seconds after its first record a capture file is written (whole, under its final name); what "
     "a "
     "kill -9 may lose. A file is also written when it reaches 4 MiB, and every file at shutdown."},
    {"invoke-max-inflight", T_INT, "512", 1, 65536, F(invoke_max_inflight),
     "InvokeEndpoint requests waiting for their model server at once, all endpoints together; "
     "beyond it an invocation is answered 503 ServiceUnavailable at once (clients retry). The "
     "waiting costs no HTTP thread: each holds its connection, a connection to its model server "
     "(the soft limit on open files is raised by this much) and its response (up to 6 MiB)."},
    {"invoke-max-inflight-per-endpoint", T_INT, "128", 1, 65536,
     F(invoke_max_inflight_per_endpoint),
     "InvokeEndpoint requests waiting for the model servers of one endpoint at once; beyond it an "
     "invocation of that endpoint is answered 429 ThrottlingException at once, so that one slow "
     "model cannot take every place of --invoke-max-inflight. At most --invoke-max-inflight."},
    {"invoke-timeout", T_INT, "60", 1, 3600, F(invoke_timeout),
     "Seconds a model server has to answer an invocation (connecting included, at most 5 s of "
     "it); then the caller gets ModelError (424)."},
    {"model-allow", T_STR, "127.0.0.1,::1,localhost", 0, 0, F(model_allow),
     "Hosts, ','-separated, that a model's BIASMON_MODEL_URL may name (\"*\": any). CreateModel "
     "refuses another host, and invocations and baselines check it again before each call, since "
     "API clients would otherwise make the service post to any address it can reach. Loopback "
     "only by default."},
    {"log-level", T_STR, "info", 0, 0, F(log_level), "error, warn, info or debug."},
    {"shutdown-grace", T_INT, "30", 0, 3600, F(shutdown_grace),
     "Seconds running executions get to finish after SIGTERM/SIGINT; then they are stopped and "
     "recorded as Failed."},
    {"allow-root", T_PATHS, "", 0, 0, F(allow_root),
     "A folder (absolute path) whose files API requests may name as file:// URIs, besides "
     "DATA_DIR/files: "
     "analysis configs, baselines, capture and ground truth, outputs. Repeat it for several "
     "folders (at most 15; "
     "':'-separated in the environment). It may not contain the data directory (its state and "
     "access keys). "
     "Every other path in a request is refused (docs/serve.md: where the service may touch the "
     "file system)."},
    {"webhook-url", T_SECRET, "", 0, 0, F(webhook_url),
     "An http:// or https:// URL that is sent a notification (an HMAC-signed POST) when an "
     "execution of any schedule ends as --webhook-on says; empty for none. A job definition's "
     "Environment BIASMON_WEBHOOK_URL replaces it for its schedules. --check-config does not print "
     "it (docs/serve.md, \"Webhooks\")."},
    {"webhook-format", T_STR, "json", 0, 0, F(webhook_format),
     "Body of --webhook-url's notifications: json (biasmon's) or slack (a Slack incoming webhook's "
     "text and blocks). A job definition's BIASMON_WEBHOOK_FORMAT replaces it."},
    {"webhook-on", T_STR, "violations,failed", 0, 0, F(webhook_on),
     "Which executions are notified, ','-separated: violations (CompletedWithViolations), failed "
     "(Failed, Stopped), completed (Completed), recovered (Completed after an execution of its "
     "schedule that was not, since the service started). A job definition's BIASMON_WEBHOOK_ON "
     "replaces it."},
    {"webhook-allow", T_STR, "", 0, 0, F(webhook_allow),
     "URL prefixes, ','-separated, each with a path after its host (https://hooks.slack.com/), "
     "that a job definition's BIASMON_WEBHOOK_URL may start with. Empty: job definitions may not "
     "name a URL (CreateModelBiasJobDefinition refuses it), since API clients would otherwise make "
     "the service post to any address it can reach."},
    {"webhook-queue", T_INT, "1000", 1, 100000, F(webhook_queue),
     "Notifications waiting to be sent or retried, at most; beyond it they are dropped, logged and "
     "counted in /metrics as biasmon_webhook_deliveries_total{outcome=\"queue_full\"}."},
    {"webhook-attempts", T_INT, "6", 1, 20, F(webhook_attempts),
     "Attempts per notification: connection errors, timeouts, 429 and 5xx are retried, other "
     "answers are not."},
    {"webhook-retry-base", T_DOUBLE, "20", 0.01, 3600, F(webhook_retry_base),
     "Seconds before the first retry; each next one waits twice as long, times a random factor in "
     "[0.5, 1.5), and at least what a Retry-After header asks (up to an hour). 20 with 6 attempts "
     "spreads them over about 10 minutes."},
    {"webhook-timeout", T_INT, "10", 1, 300, F(webhook_timeout),
     "Seconds one attempt may take (connecting, sending, the answer)."},
};
#define NSET (sizeof(settings) / sizeof(settings[0]))

static const char *sources[NSET];

static int set_value(serve_settings *ss, const setting *st, const char *v, char *why, size_t wl)
{
    char *p = (char *)ss + st->off;
    switch (st->type) {
    case T_STR:
    case T_SECRET:
        if (strlen(v) >= st->size)
            return snprintf(why, wl, "--%s: longer than %zu characters", st->name, st->size - 1), 1;
        memcpy(p, v, strlen(v) + 1);
        return 0;
    case T_BOOL:
        if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
            *(int *)p = 1;
        else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
            *(int *)p = 0;
        else
            return snprintf(why, wl, "--%s: expected on or off, got \"%s\"", st->name, v), 1;
        return 0;
    case T_PATHS: {
        size_t have = strlen(p);
        if (have + 1 + strlen(v) >= st->size)
            return snprintf(why, wl, "--%s: too many folders", st->name), 1;
        snprintf(p + have, st->size - have, "%s%s", have ? ":" : "", v);
        return 0;
    }
    case T_INT:
    case T_DOUBLE: {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(d) || d < st->min || d > st->max ||
            (st->type == T_INT && d != floor(d)))
            return snprintf(why, wl, "--%s: expected %s from %g to %g, got \"%s\"", st->name,
                            st->type == T_INT ? "an integer" : "a number", st->min, st->max, v),
                   1;
        if (st->type == T_INT)
            *(int *)p = (int)d;
        else
            *(double *)p = d;
        return 0;
    }
    }
    return 1;
}

static void env_name(const char *name, char *out, size_t n)
{
    size_t o = (size_t)snprintf(out, n, "BIASMON_");
    for (; *name && o + 1 < n; name++)
        out[o++] = *name == '-' ? '_' : (char)(*name >= 'a' && *name <= 'z' ? *name - 32 : *name);
    out[o] = 0;
}

static void print_help(FILE *out)
{
    fputs(
        "usage: biasmon serve [--SETTING VALUE]... [--check-config] [--print-settings-markdown]\n\n"
        "Runs the SageMaker-compatible model bias monitoring service: the API (AWS JSON 1.1, "
        "SigV4),\n"
        "the scheduler and GET /metrics. Every setting can also come from the environment\n"
        "(BIASMON_DATA_DIR, ...); the command line wins. SIGTERM or SIGINT stops it "
        "gracefully.\n\nsettings:\n",
        out);
    for (size_t k = 0; k < NSET; k++) {
        char env[64];
        env_name(settings[k].name, env, sizeof(env));
        fprintf(out, "  --%-16s default \"%s\" (%s)\n      %s\n", settings[k].name, settings[k].def,
                env, settings[k].help);
    }
}

static void print_markdown(FILE *out)
{
    fputs("# biasmon serve settings\n\n"
          "Generated by `biasmon serve --print-settings-markdown` from the settings table in "
          "src/biasmon/cmd_serve.c; tests/cli/settings_doc.sh keeps it in step.\n\n"
          "| setting | environment | default | meaning |\n|---|---|---|---|\n",
          out);
    for (size_t k = 0; k < NSET; k++) {
        char env[64];
        env_name(settings[k].name, env, sizeof(env));
        if (settings[k].def[0])
            fprintf(out, "| `--%s` | `%s` | `%s` | %s |\n", settings[k].name, env, settings[k].def,
                    settings[k].help);
        else
            fprintf(out, "| `--%s` | `%s` | (empty) | %s |\n", settings[k].name, env,
                    settings[k].help);
    }
}

/* ---- logging: logfmt lines on stderr ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_line(void *ctx, bm_log_level lvl, const char *event, const char *fields)
{
    (void)ctx;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char t[32];
    bm_time_format(ts.tv_sec, t, sizeof(t));
    pthread_mutex_lock(&log_mu);
    fprintf(stderr, "ts=%s level=%s event=%s %s\n", t, names[lvl], event, fields);
    fflush(stderr);
    pthread_mutex_unlock(&log_mu);
}

/* --webhook-on: violations, failed, completed and recovered, ','-separated (the service checks it
 * again) */
static int webhook_events_ok(const char *v)
{
    for (const char *p = v; *p;) {
        size_t k = strcspn(p, ",");
        if (!((k == 10 && !strncmp(p, "violations", k)) || (k == 6 && !strncmp(p, "failed", k)) ||
              (k == 9 && !strncmp(p, "completed", k)) || (k == 9 && !strncmp(p, "recovered", k))))
            return 0;
        p += k;
        if (*p == ',') p++;
    }
    return 1;
}

static int parse_level(const char *s)
{
    if (!strcmp(s, "error")) return BM_LOG_ERROR;
    if (!strcmp(s, "warn")) return BM_LOG_WARN;
    if (!strcmp(s, "info")) return BM_LOG_INFO;
    if (!strcmp(s, "debug")) return BM_LOG_DEBUG;
    return -1;
}

int bm_cmd_serve(int argc, char **argv)
{
    serve_settings ss;
    memset(&ss, 0, sizeof(ss));
    char why[512];
    int check = 0;
    for (size_t k = 0; k < NSET; k++) {
        if (set_value(&ss, &settings[k], settings[k].def, why, sizeof(why))) {
            fprintf(stderr, "biasmon serve: bad default: %s\n", why);
            return BM_EXIT_INTERNAL;
        }
        sources[k] = "default";
        char env[64];
        env_name(settings[k].name, env, sizeof(env));
        const char *v = getenv(env);
        if (v) {
            if (set_value(&ss, &settings[k], v, why, sizeof(why))) {
                fprintf(stderr, "biasmon serve: %s (from %s)\n", why, env);
                return BM_EXIT_USAGE;
            }
            sources[k] = "environment";
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_help(stdout);
            return BM_EXIT_OK;
        }
        if (!strcmp(a, "--check-config")) {
            check = 1;
            continue;
        }
        if (!strcmp(a, "--print-settings-markdown")) {
            print_markdown(stdout);
            return BM_EXIT_OK;
        }
        if (!strcmp(a, "--no-auth")) a = "--auth=off";
        if (strncmp(a, "--", 2)) {
            fprintf(stderr, "biasmon serve: unexpected argument \"%s\" (see --help)\n", a);
            return BM_EXIT_USAGE;
        }
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const setting *st = NULL;
        size_t idx = 0;
        for (size_t k = 0; k < NSET; k++)
            if (strlen(settings[k].name) == nl && !strncmp(settings[k].name, a + 2, nl))
                st = &settings[k], idx = k;
        if (!st) {
            fprintf(stderr, "biasmon serve: unknown setting \"%s\" (see --help)\n", a);
            return BM_EXIT_USAGE;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            fprintf(stderr, "biasmon serve: --%s needs a value\n", st->name);
            return BM_EXIT_USAGE;
        }
        if (st->type == T_PATHS && strchr(v, ':')) {
            fprintf(stderr, "biasmon serve: --%s: one folder per --%s (got \"%s\")\n", st->name,
                    st->name, v);
            return BM_EXIT_USAGE;
        }
        if (st->type == T_PATHS &&
            strcmp(sources[idx], "command line")) /* the command line replaces the environment */
            ((char *)&ss + st->off)[0] = 0;
        if (set_value(&ss, st, v, why, sizeof(why))) {
            fprintf(stderr, "biasmon serve: %s\n", why);
            return BM_EXIT_USAGE;
        }
        sources[idx] = "command line";
    }
    /* cross-field checks */
    int level = parse_level(ss.log_level);
    char host[200];
    int port = -1;
    const char *colon = strrchr(ss.listen, ':');
    if (colon && colon != ss.listen) {
        size_t hl = (size_t)(colon - ss.listen);
        if (hl < sizeof(host)) {
            memcpy(host, ss.listen, hl);
            host[hl] = 0;
            if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
                memmove(host, host + 1, hl - 2);
                host[hl - 2] = 0;
            }
            char *end;
            long p = strtol(colon + 1, &end, 10);
            if (!*end && end != colon + 1 && p >= 0 && p <= 65535) port = (int)p;
        }
    }
    int64_t start = 0;
    bm_error err;
    bm_error_clear(&err);
    const char *problem = NULL;
    if (level < 0)
        problem = "--log-level must be error, warn, info or debug";
    else if (port < 0)
        problem = "--listen must be HOST:PORT (e.g. 127.0.0.1:8080, [::1]:0)";
    else if (ss.time_start[0] && bm_time_parse(ss.time_start, strlen(ss.time_start), &start, &err))
        problem = "--time-start must be a UTC time such as 2026-11-24T00:00:00Z";
    else if (strlen(ss.account) != 12 || strspn(ss.account, "0123456789") != 12)
        problem = "--account must be 12 digits";
    else if (ss.max_body_memory < ss.max_body)
        problem = "--max-body-memory must be at least --max-body";
    else if (ss.max_connections_per_address > ss.max_connections)
        problem = "--max-connections-per-address may not exceed --max-connections";
    else if (ss.invoke_max_inflight_per_endpoint > ss.invoke_max_inflight)
        problem = "--invoke-max-inflight-per-endpoint may not exceed --invoke-max-inflight";
    else if (ss.http_threads > ss.max_connections)
        problem = "--max-connections must be at least --http-threads (each thread takes a share)";
    else if (strcmp(ss.webhook_format, "json") && strcmp(ss.webhook_format, "slack"))
        problem = "--webhook-format must be json or slack";
    else if (ss.webhook_url[0] && strncmp(ss.webhook_url, "http://", 7) &&
             strncmp(ss.webhook_url, "https://", 8))
        problem = "--webhook-url must be an http:// or https:// URL";
    else if (!webhook_events_ok(ss.webhook_on))
        problem = "--webhook-on must be a ','-separated list of violations, failed, completed and "
                  "recovered";
    else if (!ss.auth && !bm_http_host_is_loopback(host) && !ss.allow_unauthenticated_remote)
        problem =
            "--auth off on an address other than loopback would let anyone on the network change "
            "schedules; listen on 127.0.0.1, keep --auth on, or add --allow-unauthenticated-remote "
            "on";
    /* the allowed roots: absolute paths, at most BM_SERVICE_MAX_ALLOW_ROOTS */
    const char *roots[BM_SERVICE_MAX_ALLOW_ROOTS];
    size_t nroots = 0;
    char rootbuf[sizeof(ss.allow_root)];
    memcpy(rootbuf, ss.allow_root, sizeof(rootbuf));
    for (char *p = rootbuf, *e; !problem && p && *p; p = e) {
        if ((e = strchr(p, ':'))) *e++ = 0;
        if (!*p) continue;
        if (*p != '/')
            problem = "--allow-root must be an absolute path";
        else if (nroots == BM_SERVICE_MAX_ALLOW_ROOTS)
            problem = "--allow-root: at most 15 folders";
        else
            roots[nroots++] = p;
    }
    if (check || problem) {
        FILE *out = problem ? stderr : stdout;
        for (size_t k = 0; k < NSET; k++) {
            char val[1100];
            const char *p = (const char *)&ss + settings[k].off;
            switch (settings[k].type) {
            case T_STR:
            case T_PATHS:
                snprintf(val, sizeof(val), "%s", p);
                break;
            case T_SECRET:
                snprintf(val, sizeof(val), "%s", *p ? "(set, not shown)" : "");
                break;
            case T_BOOL:
                snprintf(val, sizeof(val), "%s", *(const int *)p ? "on" : "off");
                break;
            case T_INT:
                snprintf(val, sizeof(val), "%d", *(const int *)p);
                break;
            case T_DOUBLE:
                snprintf(val, sizeof(val), "%g", *(const double *)p);
                break;
            }
            fprintf(out, "%-16s %-40s (%s)\n", settings[k].name, val, sources[k]);
        }
        if (problem) {
            fprintf(stderr, "biasmon serve: %s\n", problem);
            return BM_EXIT_USAGE;
        }
        fprintf(out, "configuration ok\n");
        return BM_EXIT_OK;
    }

    /* signals are taken by this thread only */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    char exe[1024];
    ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (el <= 0) {
        fprintf(stderr, "biasmon serve: cannot find its own executable\n");
        return BM_EXIT_INTERNAL;
    }
    exe[el] = 0;
    bm_service_config cfg = {
        .data_dir = ss.data_dir,
        .host = host,
        .port = port,
        .auth = ss.auth,
        .workers = ss.workers,
        .time_scale = ss.time_scale,
        .time_start = start,
        .region = ss.region,
        .account = ss.account,
        .http_threads = (unsigned)ss.http_threads,
        .max_body = (size_t)ss.max_body,
        .poll_ms = ss.poll_ms,
        .max_connections = (unsigned)ss.max_connections,
        .max_body_memory = (size_t)ss.max_body_memory,
        .max_connections_per_address = (unsigned)ss.max_connections_per_address,
        .idle_timeout_s = (unsigned)ss.idle_timeout,
        .request_timeout_s = (unsigned)ss.request_timeout,
        .worker_exe = exe,
        .log = log_line,
        .log_ctx = NULL,
        .log_level = (bm_log_level)level,
        .allow_roots = roots,
        .nallow_roots = nroots,
        .capture_max_bytes = (size_t)ss.capture_max_bytes,
        .capture_flush_s = (unsigned)ss.capture_flush,
        .webhook_url = ss.webhook_url,
        .webhook_format = ss.webhook_format,
        .webhook_on = ss.webhook_on,
        .webhook_allow = ss.webhook_allow,
        .model_allow = ss.model_allow,
        .webhook_queue = (unsigned)ss.webhook_queue,
        .webhook_attempts = (unsigned)ss.webhook_attempts,
        .webhook_retry_base_s = ss.webhook_retry_base,
        .webhook_timeout_s = (unsigned)ss.webhook_timeout,
        .invoke_max_inflight = (unsigned)ss.invoke_max_inflight,
        .invoke_max_inflight_per_endpoint = (unsigned)ss.invoke_max_inflight_per_endpoint,
        .invoke_timeout_s = (unsigned)ss.invoke_timeout,
    };
    bm_service *s = bm_service_start(&cfg, &err);
    if (!s) {
        bm_cli_error(&err);
        return err.code == BM_EBUSY ? BM_EXIT_INPUT : BM_EXIT_INTERNAL;
    }
    /* serve.json tells local clients (biasmon run, tests) where the service listens */
    char path[1200], body[512];
    snprintf(path, sizeof(path), "%s/serve.json", ss.data_dir);
    int n = snprintf(body, sizeof(body),
                     "{\"pid\": %ld, \"host\": \"%s\", \"port\": %d, \"endpoint_url\": "
                     "\"http://%s%s%s:%d\", \"region\": \"%s\"}\n",
                     (long)getpid(), host, bm_service_port(s), strchr(host, ':') ? "[" : "", host,
                     strchr(host, ':') ? "]" : "", bm_service_port(s), ss.region);
    if (bm_write_file_atomic(path, body, (size_t)n, &err)) bm_cli_error(&err);
    if (!ss.auth && !bm_http_host_is_loopback(host) && level >= BM_LOG_WARN) {
        char fields[300];
        snprintf(fields, sizeof(fields),
                 "host=%s msg=\"--auth off on a non-loopback address: anyone who can reach the "
                 "port can change schedules\"",
                 host);
        log_line(NULL, BM_LOG_WARN, "unauthenticated_remote", fields);
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    log_line(NULL, BM_LOG_INFO, "stopping", sig == SIGTERM ? "signal=SIGTERM" : "signal=SIGINT");
    unlink(path); /* while the data directory's lock is still held: a successor writes its own */
    bm_service_stop(s, ss.shutdown_grace);
    return BM_EXIT_OK;
}
