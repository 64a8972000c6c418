/* Webhook notifications of finished executions (docs/serve.md, "Webhooks"): a bounded queue the
 * scheduler fills without waiting and one sender thread that posts HMAC-signed JSON or Slack
 * bodies with curl, retrying with exponential backoff and jitter. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "biasmon/execution.h"
#include "biasmon/file.h"
#include "biasmon/isotime.h"
#include "biasmon/jsonw.h"
#include "biasmon/random.h"
#include "biasmon/sagemaker.h"
#include "biasmon/store.h"
#include "serve/internal.h"

#define SECRET_HEX 64            /* 32 random bytes, hex */
#define MAX_URL 2048             /* a destination, bytes */
#define MAX_BODY (256u << 10)    /* a notification body */
#define MAX_LISTED 50            /* violations listed in a body (the others are counted) */
#define MAX_SLACK_LISTED 10      /* ... in a Slack body */
#define MAX_FILE (16u << 20)     /* constraint_violations.json, analysis.json, the baseline */
#define MAX_RETRY_AFTER_S 3600.0 /* a Retry-After longer than this is cut to it */
#define MAX_REPLY (64u << 10)    /* bytes of a receiver's reply read (then ignored) */

enum { EV_VIOLATIONS = 1, EV_FAILED = 2, EV_COMPLETED = 4, EV_RECOVERED = 8 };

/* The /metrics outcomes of a notification, in the order they are exported. */
enum { O_DELIVERED, O_REJECTED, O_GAVE_UP, O_QUEUE_FULL, O_REFUSED, O_SHUTDOWN, O_N };
static const char *const outcome_names[O_N] = {"delivered",  "rejected", "gave_up",
                                               "queue_full", "refused",  "shutdown"};

typedef struct delivery {
    int used, inflight;
    double due; /* CLOCK_MONOTONIC seconds of the next attempt */
    int attempts;
    int slack;
    const char *event;
    char id[40]; /* the delivery id: the same on every attempt */
    char url[MAX_URL];
    bm_exec_record e;
    char *body; /* built on the first attempt, then kept */
    size_t body_len;
} delivery;

struct bm__webhooks {
    bm_service *s;
    char secret[SECRET_HEX + 1];
    int events; /* global EV_* */
    int slack;  /* global format */
    char url[MAX_URL];
    char allow[4096]; /* ','-separated prefixes per-schedule URLs may start with */
    unsigned attempts, timeout_s;
    double retry_base;
    pthread_t thread;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int stopping;
    atomic_int abort_transfer;
    size_t nslots;
    delivery *slots;
    /* schedules whose latest finished execution (since start) was not Completed: a Completed one
     * after it is a recovery. At most one entry per schedule; guarded by mu. */
    json_t *unwell;
    atomic_uint_least64_t outcomes[O_N], retries;
};

/* ==================================================================== settings */

/* A destination: http:// or https://, a host, no blank or control character; NULL when fine, else
 * why (which never quotes the URL: it may hold a token, as Slack's do). */
static const char *url_problem(const char *u)
{
    size_t n = strlen(u);
    if (n >= MAX_URL) return "longer than 2047 bytes";
    const char *h = !strncmp(u, "https://", 8) ? u + 8 : !strncmp(u, "http://", 7) ? u + 7 : NULL;
    if (!h) return "not an http:// or https:// URL";
    if (!*h || *h == '/' || *h == '?' || *h == '#') return "has no host";
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) return "holds a blank or control character";
    return NULL;
}

/* "scheme://host[:port]" of a URL, for logs (the path may hold a token). */
static void url_origin(const char *u, char *out, size_t n)
{
    const char *sep = strstr(u, "://");
    const char *h = sep ? sep + 3 : u;
    size_t k = strcspn(h, "/?#");
    const char *at = memchr(h, '@', k); /* user:password@ is left out too */
    if (at) {
        k -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    snprintf(out, n, "%.*s%.*s", (int)(h == u ? 0 : (sep + 3 - u)), u, (int)k, h);
}

static int parse_events(const char *v, int *out)
{
    int ev = 0;
    const char *p = v;
    while (*p) {
        size_t k = strcspn(p, ",");
        if (k == 10 && !strncmp(p, "violations", k))
            ev |= EV_VIOLATIONS;
        else if (k == 6 && !strncmp(p, "failed", k))
            ev |= EV_FAILED;
        else if (k == 9 && !strncmp(p, "completed", k))
            ev |= EV_COMPLETED;
        else if (k == 9 && !strncmp(p, "recovered", k))
            ev |= EV_RECOVERED;
        else
            return BM_EINVAL;
        p += k;
        if (*p == ',') p++;
    }
    *out = ev;
    return BM_OK;
}

static int parse_format(const char *v, int *slack)
{
    if (!v || !*v || !strcmp(v, "json")) return *slack = 0, BM_OK;
    if (!strcmp(v, "slack")) return *slack = 1, BM_OK;
    return BM_EINVAL;
}

/* Whether url starts with one of the allow-list's prefixes. Each prefix has a path (checked at
 * start), so a match fixes the scheme, the host and the port. */
static int allowed(const struct bm__webhooks *w, const char *url)
{
    const char *p = w->allow;
    while (*p) {
        size_t k = strcspn(p, ",");
        if (k && !strncmp(url, p, k)) return 1;
        p += k;
        if (*p == ',') p++;
    }
    return 0;
}

static int check_allow_list(const char *list, bm_error *err)
{
    const char *p = list;
    for (size_t nth = 1; *p; nth++) {
        size_t k = strcspn(p, ",");
        char one[MAX_URL];
        if (k >= sizeof(one))
            return bm_error_set(err, BM_EINVAL,
                                "--webhook-allow: a prefix is longer than %zu bytes",
                                sizeof(one) - 1);
        memcpy(one, p, k);
        one[k] = 0;
        const char *why = url_problem(one);
        const char *h = strstr(one, "://");
        if (!why && !strchr(h + 3, '/'))
            why = "has no path: end the host with a / so that the prefix fixes the host";
        if (why) return bm_error_set(err, BM_EINVAL, "--webhook-allow: prefix %zu %s", nth, why);
        p += k;
        if (*p == ',') p++;
    }
    return BM_OK;
}

/* DATA_DIR/webhook-secret: read, or created (0600) with 32 random bytes in hex. */
static int load_secret(bm_service *s, char *out, bm_error *err)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/webhook-secret", s->data_dir);
    int fd = -1, r = BM_EIO;
    for (int attempt = 0; attempt < 3; attempt++) {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd >= 0) {
            char b[SECRET_HEX + 2];
            ssize_t n = read(fd, b, sizeof(b));
            close(fd);
            while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
                n--;
            size_t hex = 0; /* b is not a string: its bytes past n were never written */
            while (n == SECRET_HEX && hex < SECRET_HEX && b[hex] &&
                   strchr("0123456789abcdef", b[hex]))
                hex++;
            if (n != SECRET_HEX || hex < SECRET_HEX) {
                OPENSSL_cleanse(b, sizeof(b));
                return bm_error_set(err, BM_ECONFIG,
                                    "%s: not a webhook secret (%d hex digits on one line); remove "
                                    "it and a new one is made",
                                    path, SECRET_HEX);
            }
            memcpy(out, b, SECRET_HEX);
            out[SECRET_HEX] = 0;
            OPENSSL_cleanse(b, sizeof(b));
            return BM_OK;
        }
        if (errno != ENOENT) return bm_error_set(err, BM_EIO, "%s: %s", path, strerror(errno));
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            if (errno == EEXIST) continue; /* made meanwhile: read it */
            return bm_error_set(err, BM_EIO, "%s: %s", path, strerror(errno));
        }
        unsigned char raw[SECRET_HEX / 2];
        char line[SECRET_HEX + 2];
        r = bm_random_bytes(raw, sizeof(raw));
        for (size_t k = 0; !r && k < sizeof(raw); k++)
            snprintf(line + 2 * k, 3, "%02x", raw[k]);
        line[SECRET_HEX] = '\n';
        if (!r && (write(fd, line, SECRET_HEX + 1) != SECRET_HEX + 1 || fsync(fd)))
            r = bm_error_set(err, BM_EIO, "%s: %s", path, strerror(errno));
        else if (r)
            bm_error_set(err, r, "no random bytes for the webhook secret");
        close(fd);
        if (!r) {
            memcpy(out, line, SECRET_HEX);
            out[SECRET_HEX] = 0;
        } else {
            unlink(path);
        }
        OPENSSL_cleanse(raw, sizeof(raw));
        OPENSSL_cleanse(line, sizeof(line));
        return r;
    }
    return bm_error_set(err, BM_EIO, "%s: could not be read or created", path);
}

/* ==================================================================== the body */

static int json_set(json_t *o, const char *k, json_t *v)
{
    return !v || json_object_set_new(o, k, v) ? BM_ENOMEM : BM_OK;
}

/* The analysis.json metric value of facet = value, metric, in stage pre- or post-training. */
static json_t *metric_value(json_t *a, const char *facet, const char *value, const char *metric)
{
    static const char *const stages[] = {"post_training_bias_metrics", "pre_training_bias_metrics"};
    for (int st = 0; a && st < 2; st++) {
        size_t i, j;
        json_t *en, *m;
        json_array_foreach(
            json_object_get(json_object_get(json_object_get(a, stages[st]), "facets"), facet), i,
            en)
        {
            const char *fv = json_string_value(json_object_get(en, "value_or_threshold"));
            if (!fv || strcmp(fv, value)) continue;
            json_array_foreach(json_object_get(en, "metrics"), j, m)
            {
                const char *n = json_string_value(json_object_get(m, "name"));
                if (n && !strcmp(n, metric)) return json_object_get(m, "value");
            }
        }
    }
    return NULL;
}

/* A JSON document by URI (through the store and its confinement), or by path in the data
 * directory (local: the store's roots do not include it). NULL when it cannot be read. */
static json_t *read_json(const char *uri, int local)
{
    bm_buf b;
    bm_error err;
    bm_error_clear(&err);
    bm_buf_init(&b, MAX_FILE);
    json_t *v = NULL;
    if (!(local ? bm_file_read(uri, MAX_FILE, &b, &err) : bm_store_read(uri, MAX_FILE, &b, &err)))
        v = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    bm_buf_release(&b);
    return v;
}

/* The violations of an execution with its values and the baseline's: a new array, or NULL when
 * its constraint_violations.json cannot be read. */
static json_t *violations_of(struct bm__webhooks *w, const bm_exec_record *e, size_t *total)
{
    char uri[BM_EXECUTION_OUTPUT_MAX + 64];
    *total = 0;
    if (bm_uri_join(e->output_uri, "constraint_violations.json", uri, sizeof(uri))) return NULL;
    json_t *cv = read_json(uri, 0);
    if (!cv) return NULL;
    json_t *a = NULL, *base = NULL, *jd = NULL;
    if (!bm_uri_join(e->output_uri, "analysis.json", uri, sizeof(uri))) a = read_json(uri, 0);
    /* the baseline the worker was given (a baselining job's is resolved in its copy) */
    char jd_path[1400];
    snprintf(jd_path, sizeof(jd_path), "%s/executions/%lld/job_definition.json", w->s->data_dir,
             (long long)e->id);
    if ((jd = read_json(jd_path, 1))) {
        const char *b = bm_json_string(jd, "ModelBiasBaselineConfig.ConstraintsResource.S3Uri");
        if (b) base = read_json(b, 0);
    }
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cv, "violations"), i, v)
    {
        (*total)++;
        if (!out || json_array_size(out) >= MAX_LISTED) continue;
        const char *f = json_string_value(json_object_get(v, "facet"));
        const char *fv = json_string_value(json_object_get(v, "facet_value"));
        const char *m = json_string_value(json_object_get(v, "metric_name"));
        json_t *x = f && fv && m ? metric_value(a, f, fv, m) : NULL;
        json_t *bx = f && fv && m ? metric_value(base, f, fv, m) : NULL;
        json_t *o =
            json_pack("{s:s?,s:s?,s:s?,s:O?,s:O?,s:O?,s:O?}", "metric", m, "facet", f,
                      "facet_value", fv, "value", x ? x : json_null(), "baseline",
                      bx ? bx : json_null(), "description", json_object_get(v, "description"),
                      "constraint_check_type", json_object_get(v, "constraint_check_type"));
        if (!o || json_array_append_new(out, o)) {
            json_decref(out);
            out = NULL;
        }
    }
    json_decref(cv);
    json_decref(a);
    json_decref(base);
    json_decref(jd);
    return out;
}

/* Slack's mrkdwn: &, < and > escaped. */
static int mrkdwn(bm_buf *b, const char *t)
{
    int r = BM_OK;
    for (; !r && t && *t; t++)
        r = *t == '&'   ? bm_buf_puts(b, "&amp;")
            : *t == '<' ? bm_buf_puts(b, "&lt;")
            : *t == '>' ? bm_buf_puts(b, "&gt;")
                        : bm_buf_putc(b, *t);
    return r;
}

static void value_text(json_t *v, char *out, size_t n)
{
    if (json_is_number(v))
        snprintf(out, n, "%.4g", json_number_value(v));
    else if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else
        snprintf(out, n, "n/a");
}

static json_t *slack_body(const json_t *g)
{
    bm_buf t, d;
    bm_buf_init(&t, 4096);
    bm_buf_init(&d, 64u << 10);
    json_t *ex = json_object_get(g, "execution");
    const char *status = json_string_value(json_object_get(ex, "status"));
    const char *sched = json_string_value(json_object_get(g, "schedule"));
    const char *when = json_string_value(json_object_get(ex, "scheduled_time"));
    json_int_t nv = json_integer_value(json_object_get(ex, "violations"));
    int r = bm_buf_puts(&t, "biasmon: schedule ");
    if (!r) r = mrkdwn(&t, sched);
    if (!r) r = bm_buf_printf(&t, " at %s: %s", when ? when : "", status ? status : "");
    if (!r && nv) r = bm_buf_printf(&t, " (%lld violation%s)", (long long)nv, nv == 1 ? "" : "s");
    const char *emoji = !strcmp(status ? status : "", "Completed") ? ":white_check_mark:"
                        : !strcmp(status ? status : "", "CompletedWithViolations") ? ":warning:"
                                                                                   : ":x:";
    if (!r) r = bm_buf_printf(&d, "%s *", emoji);
    if (!r) r = mrkdwn(&d, sched);
    if (!r) r = bm_buf_printf(&d, "* at %s: *%s*", when ? when : "", status ? status : "");
    const char *reason = json_string_value(json_object_get(ex, "failure_reason"));
    if (!r && reason && *reason) r = bm_buf_puts(&d, "\n>");
    if (!r && reason && *reason) r = mrkdwn(&d, reason);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(g, "violations"), i, v)
    {
        if (r || i >= MAX_SLACK_LISTED) break;
        char x[64], b[64];
        value_text(json_object_get(v, "value"), x, sizeof(x));
        value_text(json_object_get(v, "baseline"), b, sizeof(b));
        r = bm_buf_puts(&d, "\n• `");
        if (!r) r = mrkdwn(&d, json_string_value(json_object_get(v, "metric")));
        if (!r) r = bm_buf_puts(&d, "` ");
        if (!r) r = mrkdwn(&d, json_string_value(json_object_get(v, "facet")));
        if (!r) r = bm_buf_puts(&d, " = ");
        if (!r) r = mrkdwn(&d, json_string_value(json_object_get(v, "facet_value")));
        if (!r) r = bm_buf_printf(&d, ": %s (baseline %s)", x, b);
    }
    if (!r && nv > MAX_SLACK_LISTED)
        r = bm_buf_printf(&d, "\n… and %lld more", (long long)(nv - MAX_SLACK_LISTED));
    json_t *out = NULL;
    if (!r) {
        json_t *blocks = json_pack("[{s:s,s:{s:s,s:s}}]", "type", "section", "text", "type",
                                   "mrkdwn", "text", d.data ? d.data : "");
        const char *report = json_string_value(json_object_get(ex, "report"));
        if (blocks && report) {
            json_t *ctx = json_pack("{s:s,s:[{s:s,s:s+}]}", "type", "context", "elements", "type",
                                    "mrkdwn", "text", "report: ", report);
            if (!ctx || json_array_append_new(blocks, ctx)) {
                json_decref(blocks);
                blocks = NULL;
            }
        }
        if (blocks) out = json_pack("{s:s,s:o}", "text", t.data ? t.data : "", "blocks", blocks);
    }
    bm_buf_release(&t);
    bm_buf_release(&d);
    return out;
}

/* The body of d (its generic JSON, or the Slack form of it). */
static int build_body(struct bm__webhooks *w, delivery *d)
{
    const bm_exec_record *e = &d->e;
    char when[32], ended[40], arn[300];
    bm_time_format(e->scheduled_time, when, sizeof(when));
    bm_time_format((int64_t)e->ended, ended, sizeof(ended));
    bm__arn(w->s, "monitoring-schedule", e->schedule, arn, sizeof(arn));
    int r = BM_ENOMEM;
    json_t *g = json_object(), *ex = json_object(), *vl = NULL;
    if (!g || !ex) goto out;
    if (json_set(g, "delivery_id", json_string(d->id)) ||
        json_set(g, "event", json_string(d->event)) ||
        json_set(g, "schedule", json_string(e->schedule)) ||
        json_set(g, "schedule_arn", json_string(arn)) ||
        json_set(g, "endpoint", e->endpoint[0] ? json_string(e->endpoint) : json_null()) ||
        json_set(g, "job_definition", json_string(e->job_definition)))
        goto out;
    if (json_set(ex, "id", json_integer(e->id)) ||
        json_set(ex, "processing_job_name", json_string(e->job_name)) ||
        json_set(ex, "scheduled_time", json_string(when)) ||
        json_set(ex, "ended", json_string(ended)) ||
        json_set(ex, "status", json_string(e->status)) ||
        json_set(ex, "failure_reason",
                 e->failure_reason[0] ? json_string(e->failure_reason) : json_null()) ||
        json_set(ex, "violations", json_integer(e->violations)) ||
        json_set(ex, "output", e->output_uri[0] ? json_string(e->output_uri) : json_null()))
        goto out;
    if (strcmp(e->status, "Failed") && strcmp(e->status, "Stopped") && e->output_uri[0]) {
        char rep[BM_EXECUTION_OUTPUT_MAX + 32];
        if (!bm_uri_join(e->output_uri, "report.html", rep, sizeof(rep)) &&
            json_set(ex, "report", json_string(rep)))
            goto out;
    }
    if (json_object_set(g, "execution", ex)) goto out;
    size_t total = 0;
    if (e->violations > 0) vl = violations_of(w, e, &total);
    if (json_set(g, "violations", vl ? json_incref(vl) : json_array()) ||
        json_set(g, "violations_listed_all",
                 json_boolean(!e->violations || (vl && json_array_size(vl) == total))))
        goto out;
    json_t *body = g;
    if (d->slack && !(body = slack_body(g))) goto out;
    bm_buf b;
    bm_buf_init(&b, MAX_BODY);
    r = bm_json_write(body, 0, &b);
    if (body != g) json_decref(body);
    if (!r) d->body = bm_buf_take(&b, &d->body_len);
    bm_buf_release(&b);
out:
    json_decref(g);
    json_decref(ex);
    json_decref(vl);
    return r;
}

/* ==================================================================== sending */

typedef struct reply {
    double retry_after; /* seconds, -1 when none */
    size_t bytes;
} reply;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    reply *rp = ud;
    (void)p;
    rp->bytes += size * n;
    return rp->bytes > MAX_REPLY ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    reply *rp = ud;
    size_t len = size * n;
    if (len > 12 && !strncasecmp(p, "retry-after:", 12)) {
        char v[32];
        size_t k = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
        memcpy(v, p + 12, k);
        v[k] = 0;
        char *end;
        errno = 0;
        double sec = strtod(v, &end);
        while (*end == ' ' || *end == '\r' || *end == '\n' || *end == '\t')
            end++;
        if (end != v && !*end && !errno && isfinite(sec) && sec >= 0)
            rp->retry_after = sec > MAX_RETRY_AFTER_S ? MAX_RETRY_AFTER_S : sec;
        /* an HTTP date is not honoured: the backoff stands */
    }
    return len;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct bm__webhooks *w = ud;
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&w->abort_transfer) ? 1 : 0;
}

/* The signature header: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">. */
static void sign(const struct bm__webhooks *w, const char *body, size_t len, char *out, size_t n)
{
    long long t = (long long)time(NULL);
    char ts[32];
    int tl = snprintf(ts, sizeof(ts), "%lld.", t);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    /* HMAC() needs one buffer; a MAC context streams the timestamp then the body */
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mc = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t outl = 0;
    if (mc && EVP_MAC_init(mc, (const unsigned char *)w->secret, SECRET_HEX, params) &&
        EVP_MAC_update(mc, (const unsigned char *)ts, (size_t)tl) &&
        EVP_MAC_update(mc, (const unsigned char *)body, len) &&
        EVP_MAC_final(mc, mac, &outl, sizeof(mac)))
        ml = (unsigned)outl;
    EVP_MAC_CTX_free(mc);
    EVP_MAC_free(m);
    int k = snprintf(out, n, "X-Biasmon-Signature: t=%lld,v1=", t);
    for (unsigned i = 0; i < ml && k > 0 && (size_t)k + 3 <= n; i++)
        k += snprintf(out + k, n - (size_t)k, "%02x", mac[i]);
}

/* One attempt: 0 delivered, 1 retry (connection error, 429, 5xx), 2 rejected (other answers). */
static int attempt(struct bm__webhooks *w, delivery *d, long *status, double *retry_after,
                   char *why, size_t whyn)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hl = NULL, *t;
    char sig[200], idh[80], evh[80], ath[64];
    reply rp = {-1, 0};
    int out = 1;
    *status = 0;
    if (!h) {
        snprintf(why, whyn, "out of memory");
        return 1;
    }
    sign(w, d->body, d->body_len, sig, sizeof(sig));
    snprintf(idh, sizeof(idh), "X-Biasmon-Delivery: %s", d->id);
    snprintf(evh, sizeof(evh), "X-Biasmon-Event: %s", d->event);
    snprintf(ath, sizeof(ath), "X-Biasmon-Attempt: %d", d->attempts);
    const char *lines[] = {"Content-Type: application/json",
                           "User-Agent: biasmon-webhook/1",
                           "Expect:",
                           sig,
                           idh,
                           evh,
                           ath};
    for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
        if (!(t = curl_slist_append(hl, lines[k]))) {
            snprintf(why, whyn, "out of memory");
            goto done;
        }
        hl = t;
    }
    curl_easy_setopt(h, CURLOPT_URL, d->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect is an answer, not a hop */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->body_len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &rp);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &rp);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)(w->timeout_s < 10 ? w->timeout_s : 10));
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)w->timeout_s);
    CURLcode c = curl_easy_perform(h);
    if (c == CURLE_OK || c == CURLE_WRITE_ERROR) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        if (*status >= 200 && *status < 300)
            out = 0;
        else if (*status == 429 || *status >= 500)
            snprintf(why, whyn, "HTTP %ld", *status);
        else {
            snprintf(why, whyn, "HTTP %ld", *status);
            out = 2;
        }
    } else {
        snprintf(why, whyn, "%s", curl_easy_strerror(c));
    }
    *retry_after = rp.retry_after;
done:
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    return out;
}

/* The delay before attempt k + 1 (k >= 1 attempts made): retry_base * 2^(k-1), times a jitter in
 * [0.5, 1.5), at least Retry-After. */
static double backoff(const struct bm__webhooks *w, int k, double retry_after)
{
    uint32_t r = 0;
    if (bm_random_bytes(&r, sizeof(r))) r = 0x80000000u;
    double d = w->retry_base * ldexp(1.0, k - 1 < 30 ? k - 1 : 30) * (0.5 + r / 4294967296.0);
    return retry_after > d ? retry_after : d;
}

static void finish(struct bm__webhooks *w, delivery *d, int outcome)
{
    atomic_fetch_add(&w->outcomes[outcome], 1);
    bm_free(d->body);
    memset(d, 0, sizeof(*d));
}

static void *sender_main(void *arg)
{
    struct bm__webhooks *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        delivery *next = NULL;
        for (size_t k = 0; k < w->nslots; k++)
            if (w->slots[k].used && (!next || w->slots[k].due < next->due)) next = &w->slots[k];
        double now = bm__mono();
        if (!next || next->due > now) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            double wait = next ? next->due - now : 3600;
            if (wait > 3600) wait = 3600;
            ts.tv_sec += (time_t)wait;
            ts.tv_nsec += (long)((wait - floor(wait)) * 1e9);
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
            continue;
        }
        next->inflight = 1;
        pthread_mutex_unlock(&w->mu);
        /* outside the lock: the scheduler may queue more meanwhile */
        char origin[300], why[256] = "";
        url_origin(next->url, origin, sizeof(origin));
        int rc = 1, brc = BM_OK;
        long status = 0;
        double ra = -1;
        if (!next->body) brc = build_body(w, next);
        if (brc) {
            snprintf(why, sizeof(why), "cannot build the body: %s", bm_strerror(brc));
            rc = 2;
        } else {
            next->attempts++;
            rc = attempt(w, next, &status, &ra, why, sizeof(why));
        }
        pthread_mutex_lock(&w->mu);
        next->inflight = 0;
        if (atomic_load(&w->abort_transfer)) break; /* stopping: counted below */
        if (rc == 0) {
            bm__log(w->s, BM_LOG_INFO, "webhook_delivered",
                    "delivery=%s schedule=%s execution=%lld event=%s to=%s status=%ld attempts=%d",
                    next->id, next->e.schedule, (long long)next->e.id, next->event, origin, status,
                    next->attempts);
            finish(w, next, O_DELIVERED);
        } else if (rc == 2) {
            bm__log(w->s, BM_LOG_WARN, "webhook_rejected",
                    "delivery=%s schedule=%s execution=%lld to=%s attempts=%d reason=\"%s\"",
                    next->id, next->e.schedule, (long long)next->e.id, origin, next->attempts, why);
            finish(w, next, O_REJECTED);
        } else if ((unsigned)next->attempts >= w->attempts) {
            bm__log(w->s, BM_LOG_WARN, "webhook_gave_up",
                    "delivery=%s schedule=%s execution=%lld to=%s attempts=%d reason=\"%s\"",
                    next->id, next->e.schedule, (long long)next->e.id, origin, next->attempts, why);
            finish(w, next, O_GAVE_UP);
        } else {
            double delay = backoff(w, next->attempts, ra);
            next->due = bm__mono() + delay;
            atomic_fetch_add(&w->retries, 1);
            bm__log(w->s, BM_LOG_INFO, "webhook_retry",
                    "delivery=%s schedule=%s execution=%lld to=%s attempts=%d reason=\"%s\" "
                    "retry_in=%.3f",
                    next->id, next->e.schedule, (long long)next->e.id, origin, next->attempts, why,
                    delay);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ==================================================================== the interface */

struct bm__webhooks *bm__webhooks_new(bm_service *s, bm_error *err)
{
    const bm_service_config *c = &s->cfg;
    struct bm__webhooks *w = bm_calloc(1, sizeof(*w));
    if (!w) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    w->s = s;
    w->attempts = c->webhook_attempts ? c->webhook_attempts : 6;
    w->timeout_s = c->webhook_timeout_s ? c->webhook_timeout_s : 10;
    w->retry_base = c->webhook_retry_base_s > 0 ? c->webhook_retry_base_s : 20;
    w->nslots = c->webhook_queue ? c->webhook_queue : 1000;
    const char *why;
    if (c->webhook_url && *c->webhook_url && (why = url_problem(c->webhook_url))) {
        bm_error_set(err, BM_EINVAL, "--webhook-url: %s", why);
        goto fail;
    }
    snprintf(w->url, sizeof(w->url), "%s", c->webhook_url ? c->webhook_url : "");
    if (parse_format(c->webhook_format, &w->slack)) {
        bm_error_set(err, BM_EINVAL, "--webhook-format: expected json or slack");
        goto fail;
    }
    if (parse_events(c->webhook_on ? c->webhook_on : "violations,failed", &w->events)) {
        bm_error_set(err, BM_EINVAL,
                     "--webhook-on: expected a ','-separated list of violations, failed, "
                     "completed and recovered");
        goto fail;
    }
    if (c->webhook_allow && strlen(c->webhook_allow) >= sizeof(w->allow)) {
        bm_error_set(err, BM_EINVAL, "--webhook-allow: longer than %zu bytes",
                     sizeof(w->allow) - 1);
        goto fail;
    }
    snprintf(w->allow, sizeof(w->allow), "%s", c->webhook_allow ? c->webhook_allow : "");
    if (check_allow_list(w->allow, err)) goto fail;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        bm_error_set(err, BM_EIO, "libcurl cannot be initialised");
        goto fail;
    }
    if (load_secret(s, w->secret, err)) goto fail;
    if (!(w->slots = bm_calloc(w->nslots, sizeof(*w->slots))) || !(w->unwell = json_object())) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        goto fail;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, sender_main, w)) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        bm_error_set(err, BM_EINTERNAL, "cannot start the webhook sender thread");
        goto fail;
    }
    w->running = 1;
    return w;
fail:
    bm_free(w->slots);
    json_decref(w->unwell);
    OPENSSL_cleanse(w->secret, sizeof(w->secret));
    bm_free(w);
    return NULL;
}

void bm__webhooks_free(struct bm__webhooks *w)
{
    if (!w) return;
    if (w->running) {
        pthread_mutex_lock(&w->mu);
        w->stopping = 1;
        atomic_store(&w->abort_transfer, 1);
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
    }
    size_t lost = 0;
    for (size_t k = 0; w->slots && k < w->nslots; k++)
        if (w->slots[k].used) {
            lost++;
            finish(w, &w->slots[k], O_SHUTDOWN);
        }
    if (lost)
        bm__log(w->s, BM_LOG_WARN, "webhook_lost",
                "deliveries=%zu reason=\"biasmon serve stopped before they were delivered\"", lost);
    bm_free(w->slots);
    json_decref(w->unwell);
    OPENSSL_cleanse(w->secret, sizeof(w->secret));
    bm_free(w);
}

int bm__webhook_check_env(bm_service *s, json_t *env, bm_error *err)
{
    const struct bm__webhooks *w = s->webhooks;
    json_t *u = json_object_get(env, BM_WEBHOOK_URL_KEY);
    json_t *f = json_object_get(env, BM_WEBHOOK_FORMAT_KEY);
    json_t *o = json_object_get(env, BM_WEBHOOK_ON_KEY);
    int x;
    const char *key = NULL, *why = NULL;
    if (u) {
        const char *v = json_string_value(u);
        key = BM_WEBHOOK_URL_KEY;
        if (!v || (why = url_problem(v)))
            ;
        else if (!w || !w->allow[0])
            why = "per-schedule webhook URLs are refused: the operator allows them by prefix "
                  "with biasmon serve --webhook-allow (docs/serve.md, \"Webhooks\")";
        else if (!allowed(w, v))
            why = "the URL does not start with a prefix biasmon serve --webhook-allow names";
        if (!v) why = "must be a string";
        if (why) goto bad;
    }
    if (f && parse_format(json_string_value(f), &x)) {
        key = BM_WEBHOOK_FORMAT_KEY;
        why = "must be \"json\" (the default) or \"slack\"";
        goto bad;
    }
    if (o && (!json_string_value(o) || parse_events(json_string_value(o), &x))) {
        key = BM_WEBHOOK_ON_KEY;
        why = "must be a ','-separated list of violations, failed, completed and recovered";
        goto bad;
    }
    return BM_OK;
bad:
    bm_error_set(err, BM_ECONFIG, "%s: %s", key, why);
    bm_error_at(err, NULL, 0, 0, "");
    snprintf(err->path, sizeof(err->path), "$.ModelBiasAppSpecification.Environment.%s", key);
    return BM_ECONFIG;
}

void bm__webhook_notify(bm_service *s, const bm_exec_record *e, json_t *env)
{
    struct bm__webhooks *w = s->webhooks;
    if (!w) return;
    const char *url = w->url, *event;
    int events = w->events, slack = w->slack;
    const char *eu = json_string_value(json_object_get(env, BM_WEBHOOK_URL_KEY));
    const char *ef = json_string_value(json_object_get(env, BM_WEBHOOK_FORMAT_KEY));
    const char *eo = json_string_value(json_object_get(env, BM_WEBHOOK_ON_KEY));
    if (eo && parse_events(eo, &events)) events = w->events;
    if (ef && parse_format(ef, &slack)) slack = w->slack;
    if (!strcmp(e->status, "CompletedWithViolations"))
        event = (events & EV_VIOLATIONS) ? "execution.violations" : NULL;
    else if (!strcmp(e->status, "Failed") || !strcmp(e->status, "Stopped"))
        event = (events & EV_FAILED) ? "execution.failed" : NULL;
    else if (!strcmp(e->status, "Completed"))
        event = (events & EV_COMPLETED) ? "execution.completed" : NULL;
    else
        event = NULL;
    /* a recovery: Completed after an execution that was not (seen since this service started) */
    pthread_mutex_lock(&w->mu);
    int was_unwell = json_object_get(w->unwell, e->schedule) != NULL;
    if (!strcmp(e->status, "Completed"))
        json_object_del(w->unwell, e->schedule);
    else if (json_object_set_new(w->unwell, e->schedule, json_true())) {
        /* out of memory: this schedule's next recovery goes unannounced */
    }
    pthread_mutex_unlock(&w->mu);
    if (!strcmp(e->status, "Completed") && was_unwell && (events & EV_RECOVERED))
        event = "execution.recovered";
    if (!event) return;
    if (eu) {
        /* checked at create; the allow-list may have changed since */
        if (url_problem(eu) || !w->allow[0] || !allowed(w, eu)) {
            atomic_fetch_add(&w->outcomes[O_REFUSED], 1);
            bm__log(s, BM_LOG_WARN, "webhook_refused",
                    "schedule=%s execution=%lld reason=\"the job definition's %s is not allowed "
                    "by --webhook-allow\"",
                    e->schedule, (long long)e->id, BM_WEBHOOK_URL_KEY);
            return;
        }
        url = eu;
    }
    if (!*url) return;
    unsigned char raw[16];
    char id[40];
    if (bm_random_bytes(raw, sizeof(raw))) memset(raw, 0, sizeof(raw));
    for (size_t k = 0; k < sizeof(raw); k++)
        snprintf(id + 2 * k, 3, "%02x", raw[k]);
    pthread_mutex_lock(&w->mu);
    delivery *d = NULL;
    for (size_t k = 0; k < w->nslots && !d; k++)
        if (!w->slots[k].used) d = &w->slots[k];
    if (d) {
        d->used = 1;
        d->due = bm__mono();
        d->slack = slack;
        d->event = event;
        snprintf(d->id, sizeof(d->id), "%s", id);
        snprintf(d->url, sizeof(d->url), "%s", url);
        d->e = *e;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (!d) {
        atomic_fetch_add(&w->outcomes[O_QUEUE_FULL], 1);
        bm__log(s, BM_LOG_WARN, "webhook_dropped",
                "schedule=%s execution=%lld reason=\"the queue of %zu deliveries is full\"",
                e->schedule, (long long)e->id, w->nslots);
    } else {
        bm__log(s, BM_LOG_DEBUG, "webhook_queued",
                "delivery=%s schedule=%s execution=%lld event=%s", id, e->schedule,
                (long long)e->id, event);
    }
}

int bm__webhook_metrics(bm_service *s, bm_buf *b)
{
    struct bm__webhooks *w = s->webhooks;
    if (!w) return BM_OK;
    size_t queued = 0;
    pthread_mutex_lock(&w->mu);
    for (size_t k = 0; k < w->nslots; k++)
        queued += w->slots[k].used != 0;
    pthread_mutex_unlock(&w->mu);
    int r =
        bm_buf_puts(b, "# HELP biasmon_webhook_deliveries_total Webhook notifications by "
                       "outcome: delivered (2xx), rejected (another answer), gave_up (retries "
                       "spent), queue_full, refused (URL not allowed), shutdown (lost at stop).\n"
                       "# TYPE biasmon_webhook_deliveries_total counter\n");
    for (int k = 0; !r && k < O_N; k++)
        r = bm_buf_printf(b, "biasmon_webhook_deliveries_total{outcome=\"%s\"} %llu\n",
                          outcome_names[k], (unsigned long long)atomic_load(&w->outcomes[k]));
    if (!r)
        r = bm_buf_printf(b,
                          "# HELP biasmon_webhook_retries_total Webhook attempts that failed and "
                          "were retried (connection errors, 429, 5xx).\n"
                          "# TYPE biasmon_webhook_retries_total counter\n"
                          "biasmon_webhook_retries_total %llu\n"
                          "# HELP biasmon_webhook_queued Webhook notifications waiting or being "
                          "sent.\n"
                          "# TYPE biasmon_webhook_queued gauge\n"
                          "biasmon_webhook_queued %zu\n",
                          (unsigned long long)atomic_load(&w->retries), queued);
    return r;
}
