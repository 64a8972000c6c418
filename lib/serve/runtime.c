/* InvokeEndpoint (the SageMaker runtime protocol): POST /endpoints/{name}/invocations is sent on
 * to the model server of one of the endpoint's production variants through the invocation engine
 * (invoke.c: the HTTP thread is let go while the model server works), and captured as SageMaker
 * captures it (spec §5.1, §5.2) through the capture writer, never waiting for its storage. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include "biasmon/awsjson.h"
#include "biasmon/capture_writer.h"
#include "biasmon/isotime.h"
#include "biasmon/jsonw.h"
#include "biasmon/random.h"
#include "biasmon/store.h"
#include "serve/internal.h"
#include "serve/invoke.h"
#include "serve/runtime.h"

#define MAX_MODEL_RESPONSE (6u << 20) /* SageMaker's limit on an invocation's response */
#define MODEL_TIMEOUT_S 60            /* SageMaker's limit on a container's answer (default) */
#define MODEL_CONNECT_TIMEOUT_S 5
#define MAX_INFLIGHT 512              /* invocations in flight, all endpoints (default) */
#define MAX_INFLIGHT_PER_ENDPOINT 128 /* (default) */

struct bm__runtime {
    bm_service *s;
    bm_capture_writer *cw;
    bm__invoker *inv;
    unsigned max_inflight, max_per_endpoint;
    atomic_uint_least64_t generation, invocations, oks, model_errors, client_errors, refused,
        sampled_out, not_captured_encoding;
};

/* ==================================================================== set-up */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;
static void curl_init_once(void)
{
    curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static void capture_failed(void *ctx, const char *prefix, size_t records, const bm_error *e)
{
    bm__runtime *rt = ctx;
    bm__log(rt->s, BM_LOG_ERROR, "capture_failed", "prefix=\"%s\" records=%zu reason=\"%s\"",
            prefix, records, e->msg);
}

bm__runtime *bm__runtime_new(bm_service *s, bm_error *err)
{
    pthread_once(&curl_once, curl_init_once);
    if (!curl_ok) {
        bm_error_set(err, BM_EIO, "libcurl cannot be initialised");
        return NULL;
    }
    bm__runtime *rt = bm_calloc(1, sizeof(*rt));
    if (!rt) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    rt->s = s;
    rt->max_inflight = s->cfg.invoke_max_inflight ? s->cfg.invoke_max_inflight : MAX_INFLIGHT;
    rt->max_per_endpoint = s->cfg.invoke_max_inflight_per_endpoint
                               ? s->cfg.invoke_max_inflight_per_endpoint
                               : MAX_INFLIGHT_PER_ENDPOINT;
    if (rt->max_per_endpoint > rt->max_inflight) rt->max_per_endpoint = rt->max_inflight;
    bm__invoker_opts io = {
        .max_inflight = rt->max_inflight,
        .max_per_key = rt->max_per_endpoint,
        .timeout_s = s->cfg.invoke_timeout_s ? s->cfg.invoke_timeout_s : MODEL_TIMEOUT_S,
        .connect_timeout = MODEL_CONNECT_TIMEOUT_S,
        .max_response = MAX_MODEL_RESPONSE,
    };
    bm_capture_writer_opts o = {
        .max_queued_bytes = s->cfg.capture_max_bytes,
        .flush_s = s->cfg.capture_flush_s,
        .on_fail = capture_failed,
        .ctx = rt,
    };
    if (!(rt->cw = bm_capture_writer_new(&o, err)) || !(rt->inv = bm__invoker_start(&io, err))) {
        bm__runtime_free(rt);
        return NULL;
    }
    return rt;
}

void bm__runtime_stop_invocations(bm__runtime *rt, unsigned grace_s)
{
    if (rt) bm__invoker_stop(rt->inv, grace_s);
}

void bm__runtime_free(bm__runtime *rt)
{
    if (!rt) return;
    bm__invoker_free(rt->inv);      /* every invocation answered (their captures queued) */
    bm_capture_writer_free(rt->cw); /* writes out what is queued */
    bm_free(rt);
}

void bm__runtime_flush(bm__runtime *rt)
{
    if (rt) bm_capture_writer_flush(rt->cw);
}

/* ==================================================================== errors */

/* An error as the runtime answers it (rest-json): x-amzn-ErrorType and a JSON body. */
static void runtime_error(bm_http_response *res, int status, const char *type, const char *msg,
                          json_t *extra)
{
    json_t *b = extra ? json_incref(extra) : json_object();
    res->status = status;
    res->content_type = "application/json";
    bm_buf_reset(&res->body);
    if (!b || json_object_set_new(b, "ErrorCode", json_string(type)) ||
        json_object_set_new(b, "Message", json_string(msg)) || bm_json_write(b, 0, &res->body)) {
        bm_buf_reset(&res->body);
        if (bm_buf_puts(&res->body, "{\"ErrorCode\":\"InternalFailure\"}")) res->body.len = 0;
    }
    json_decref(b);
    if (res->nextra < sizeof(res->extra) / sizeof(res->extra[0])) {
        res->extra[res->nextra].name = "x-amzn-ErrorType";
        res->extra[res->nextra].value = type; /* static strings only */
        res->nextra++;
    }
}

static void validation(bm_http_response *res, const char *fmt, ...) BM_PRINTF(2, 3);
static void validation(bm_http_response *res, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    runtime_error(res, 400, "ValidationError", msg, NULL);
}

/* ==================================================================== requests */

static int name_ok(const char *s, size_t n)
{
    if (!n || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (size_t k = 0; k < n; k++)
        if (!isalnum((unsigned char)s[k]) && s[k] != '-') return 0;
    return 1;
}

/* InferenceId: 1-64 characters, the first not white space, all printable. */
static int inference_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 64 || isspace((unsigned char)s[0])) return 0;
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f) return 0;
    return 1;
}

static int ascii_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) return 0;
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] > 0x7f) return 0;
    return 1;
}

/* A per-thread random number in [0, 1): the choice of variant and sampling. */
static double rnd(void)
{
    static __thread uint64_t x;
    if (!x) {
        if (bm_random_bytes(&x, sizeof(x)) != BM_OK || !x) x = (uint64_t)(uintptr_t)&x | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (double)(x >> 11) / 9007199254740992.0;
}

/* ---- the variant ---- */

typedef struct target {
    char variant[64];
    char model[64];
    char url[1025];
    json_t *capture; /* the endpoint config's DataCaptureConfig (borrowed from cfg), or NULL */
} target;

/* The weight of variant v (a member of the config's ProductionVariants): the endpoint's
 * CurrentWeight when UpdateEndpointWeightsAndCapacities set one, else InitialVariantWeight, else 1.
 */
static double weight_of(json_t *ep_doc, json_t *v)
{
    const char *name = json_string_value(json_object_get(v, "VariantName"));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(ep_doc, "ProductionVariants"), i, e)
    {
        json_t *w = json_object_get(e, "CurrentWeight");
        if (w && name && !strcmp(json_string_value(json_object_get(e, "VariantName")) ?: "", name))
            return json_number_value(w);
    }
    json_t *w = json_object_get(v, "InitialVariantWeight");
    return w ? json_number_value(w) : 1.0;
}

/* What an invocation needs from the state (the endpoint, its config, its variants' model URLs),
 * kept per HTTP thread until any API call changes something (rt->generation): an invocation then
 * reads no database row. Each thread's entries are its own (jansson's values are not shared
 * between threads) and freed when the thread ends. */
#define CACHE_ENTRIES 8

typedef struct cache_ent {
    const bm__runtime *rt;
    uint64_t gen;
    char name[64];
    bm_resource ep, cfg;
    json_t *urls; /* {ModelName: URL or null when the model does not exist} */
} cache_ent;

typedef struct tcache {
    cache_ent e[CACHE_ENTRIES];
    size_t n, next;
} tcache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;

static void ent_release(cache_ent *c)
{
    bm_resource_release(&c->ep);
    bm_resource_release(&c->cfg);
    json_decref(c->urls);
    memset(c, 0, sizeof(*c));
}

static void tcache_free(void *p)
{
    tcache *t = p;
    for (size_t k = 0; k < t->n; k++)
        ent_release(&t->e[k]);
    bm_free(t);
}

static void cache_init_once(void)
{
    cache_key_ok = pthread_key_create(&cache_key, tcache_free) == 0;
}

void bm__runtime_changed(bm_service *s)
{
    if (s->runtime) atomic_fetch_add(&s->runtime->generation, 1);
}

/* The entry of endpoint, fetched from the state when this thread has none that is current.
 * Answers the error itself and returns NULL when it cannot. */
static cache_ent *fetch(bm_service *s, const char *endpoint, bm_http_response *res)
{
    bm__runtime *rt = s->runtime;
    pthread_once(&cache_once, cache_init_once);
    uint64_t gen = atomic_load(&rt->generation);
    tcache *t = cache_key_ok ? pthread_getspecific(cache_key) : NULL;
    if (!t && cache_key_ok && (t = bm_calloc(1, sizeof(*t))) && pthread_setspecific(cache_key, t)) {
        bm_free(t);
        t = NULL;
    }
    for (size_t k = 0; t && k < t->n; k++)
        if (t->e[k].rt == rt && t->e[k].gen == gen && !strcasecmp(t->e[k].name, endpoint))
            return &t->e[k];
    static __thread cache_ent own; /* no cache (out of memory): one entry, refetched each time */
    cache_ent *c = &own;
    if (t) {
        c = t->n < CACHE_ENTRIES ? &t->e[t->n++] : &t->e[t->next++ % CACHE_ENTRIES];
    }
    ent_release(c);
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_state_resource_get(s->db, BM_RES_ENDPOINT, endpoint, &c->ep, &e);
    if (rc == BM_ENOTFOUND) {
        validation(res, "Endpoint %s of account %s not found.", endpoint, s->account);
        return NULL;
    }
    if (rc) {
        runtime_error(res, 500, "InternalFailure", "the state cannot be read", NULL);
        return NULL;
    }
    /* the endpoint's own copy of its config and models (bm__deployment_new), so that deleting
     * them leaves it serving; an endpoint made before biasmon kept one reads its config */
    json_t *dep = json_object_get(c->ep.doc, BM_DEPLOYMENT_KEY);
    json_t *deployed = json_object_get(dep, "ModelUrls");
    if (dep)
        c->cfg.doc = json_incref(dep);
    else if (bm_state_resource_get(s->db, BM_RES_ENDPOINT_CONFIG, c->ep.ref, &c->cfg, &e)) {
        validation(res, "The endpoint configuration %s of endpoint %s does not exist.", c->ep.ref,
                   endpoint);
        ent_release(c);
        return NULL;
    }
    if (!(c->urls = json_object())) goto nomem;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(c->cfg.doc, "ProductionVariants"), i, v)
    {
        const char *mn = json_string_value(json_object_get(v, "ModelName"));
        if (!mn || json_object_get(c->urls, mn)) continue;
        bm_resource m;
        json_t *u = json_null();
        json_t *copy = json_object_get(deployed, mn);
        if (copy)
            u = json_incref(copy);
        else if (!bm_state_resource_get(s->db, BM_RES_MODEL, mn, &m, &e)) {
            const char *url = bm__model_url(m.doc);
            u = url ? json_string(url) : json_null();
            bm_resource_release(&m);
        }
        if (!u || json_object_set_new(c->urls, mn, u)) goto nomem;
    }
    snprintf(c->name, sizeof(c->name), "%s", endpoint);
    c->rt = rt;
    c->gen = gen;
    return c;
nomem:
    ent_release(c);
    runtime_error(res, 500, "InternalFailure", "out of memory", NULL);
    return NULL;
}

/* Chooses the endpoint's variant (wanted, or one drawn by weight) and its model server's URL.
 * Answers the error itself and returns 0 when it cannot. */
static int resolve(bm_service *s, const char *endpoint, const char *wanted, cache_ent *c, target *t,
                   bm_http_response *res)
{
    json_t *vs = json_object_get(c->cfg.doc, "ProductionVariants"), *v, *chosen = NULL;
    size_t i;
    if (wanted) {
        json_array_foreach(vs, i, v)
        {
            if (!strcmp(json_string_value(json_object_get(v, "VariantName")) ?: "", wanted))
                chosen = v;
        }
        if (!chosen) {
            validation(res, "Variant %s not found for endpoint %s.", wanted, endpoint);
            return 0;
        }
    } else {
        double total = 0;
        json_array_foreach(vs, i, v) total += fmax(0, weight_of(c->ep.doc, v));
        double pick = rnd() * total;
        json_array_foreach(vs, i, v)
        {
            double w = fmax(0, weight_of(c->ep.doc, v));
            if (w <= 0) continue;
            chosen = v;
            if (pick < w) break;
            pick -= w;
        }
        if (!chosen) {
            validation(res, "Endpoint %s has no variant with a weight above 0.", endpoint);
            return 0;
        }
    }
    snprintf(t->variant, sizeof(t->variant), "%s",
             json_string_value(json_object_get(chosen, "VariantName")) ?: "");
    snprintf(t->model, sizeof(t->model), "%s",
             json_string_value(json_object_get(chosen, "ModelName")) ?: "");
    json_t *dc = json_object_get(c->cfg.doc, "DataCaptureConfig");
    json_t *on = json_object_get(dc, "EnableCapture");
    t->capture = dc && (!on || json_is_true(on)) ? dc : NULL;
    const char *url = t->model[0] ? json_string_value(json_object_get(c->urls, t->model)) : NULL;
    if (!url) {
        validation(res, "The model %s of variant %s of endpoint %s does not exist (CreateModel).",
                   t->model[0] ? t->model : "(none)", t->variant, endpoint);
        return 0;
    }
    char why[400];
    if (!bm__model_url_allowed(s, url, why, sizeof(why))) {
        validation(res, "The model %s of variant %s of endpoint %s cannot be called: %s.", t->model,
                   t->variant, endpoint, why);
        return 0;
    }
    snprintf(t->url, sizeof(t->url), "%s", url);
    return 1;
}

/* ==================================================================== an invocation */

/* One invocation from its admission to its answer: made on an HTTP thread, handed to the
 * invocation engine once its connection is suspended, answered and freed on the engine's thread.
 * The request body is the HTTP server's, valid until the answer is sent. */
typedef struct job {
    bm__upcall call; /* first: the engine's done gives it back */
    bm__runtime *rt;
    bm_http_deferred *d;
    target t;          /* t.capture holds a reference of its own */
    char endpoint[64]; /* as the endpoint's document spells it */
    char ctype[1025], custom[1025], iid[65];
    int has_custom, has_iid;
    const char *body;
    size_t body_len;
} job;

static void job_free(job *j)
{
    json_decref(j->t.capture);
    curl_slist_free_all(j->call.headers);
    bm_buf_release(&j->call.body_out);
    bm_free(j);
}

/* ==================================================================== capture */

/* 1 when content type ct (parameters ignored) is one of the listed ones. */
static int listed(json_t *list, const char *ct, const char *dflt)
{
    size_t n = strcspn(ct, ";");
    while (n && ct[n - 1] == ' ')
        n--;
    if (!list) return strlen(dflt) == n && !strncasecmp(ct, dflt, n);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *x = json_string_value(v);
        if (x && strlen(x) == n && !strncasecmp(ct, x, n)) return 1;
    }
    return 0;
}

/* {"observedContentType", "mode", "data", "encoding"} for one side; NULL when out of memory. */
static json_t *capture_side(json_t *dc, const char *mode, const char *ct, const char *data,
                            size_t len)
{
    json_t *types = json_object_get(dc, "CaptureContentTypeHeader");
    const char *enc = listed(json_object_get(types, "CsvContentTypes"), ct, "text/csv") ? "CSV"
                      : listed(json_object_get(types, "JsonContentTypes"), ct, "application/json")
                          ? "JSON"
                          : "BASE64";
    json_t *text =
        strcmp(enc, "BASE64") ? json_stringn(data, len) : NULL; /* NULL too when not UTF-8 */
    if (!text) {
        enc = "BASE64";
        if (len > (SIZE_MAX - 1) / 4 * 3 - 3) return NULL;
        char *b = bm_malloc(4 * ((len + 2) / 3) + 1);
        if (!b) return NULL;
        EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)data, (int)len);
        text = json_string(b);
        bm_free(b);
        if (!text) return NULL;
    }
    return json_pack("{s:s,s:s,s:o,s:s}", "observedContentType", ct, "mode", mode, "data", text,
                     "encoding", enc);
}

static int wants(json_t *dc, const char *mode)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(dc, "CaptureOptions"), i, o)
    {
        const char *m = json_string_value(json_object_get(o, "CaptureMode"));
        if (m && (!strcmp(m, mode) || !strcmp(m, "InputAndOutput"))) return 1;
    }
    return 0;
}

static void capture(const job *j)
{
    bm__runtime *rt = j->rt;
    const char *endpoint = j->endpoint, *ctype = j->ctype;
    const target *t = &j->t;
    const bm__upcall *up = &j->call;
    const char *inference_id = j->has_iid ? j->iid : NULL,
               *custom = j->has_custom ? j->custom : NULL;
    json_t *dc = t->capture;
    json_t *pct = json_object_get(dc, "InitialSamplingPercentage");
    double p = pct ? json_number_value(pct) : 100;
    if (!(p >= 100 || rnd() * 100 < p)) {
        atomic_fetch_add(&rt->sampled_out, 1);
        return;
    }
    double now = bm_clock_now(&rt->s->clock);
    int64_t ms = (int64_t)floor(now * 1000), sec = ms / 1000;
    char when[32], id[40], prefix[1200];
    bm_time_format(sec, when, sizeof(when));
    bm_civil c;
    bm_time_civil(sec, &c);
    const char *dest = json_string_value(json_object_get(dc, "DestinationS3Uri"));
    json_t *cd = json_object(), *rec = NULL;
    int ok = dest && cd && !bm_uuid4(id, sizeof(id));
    if (ok && wants(dc, "Input")) {
        json_t *in = capture_side(dc, "INPUT", ctype, j->body, j->body_len);
        ok = in && !json_object_set_new(cd, "endpointInput", in);
    }
    if (ok && wants(dc, "Output")) {
        const char *oct = up->content_type[0] ? up->content_type : "application/octet-stream";
        json_t *out = capture_side(dc, "OUTPUT", oct, up->body_out.data ? up->body_out.data : "",
                                   up->body_out.len);
        ok = out && !json_object_set_new(cd, "endpointOutput", out);
    }
    json_t *meta = ok ? json_pack("{s:s}", "eventId", id) : NULL;
    ok = meta &&
         (!inference_id || !json_object_set_new(meta, "inferenceId", json_string(inference_id))) &&
         !json_object_set_new(meta, "inferenceTime", json_string(when)) &&
         (!custom || !json_object_set_new(meta, "customAttributes", json_string(custom)));
    if (ok) {
        rec = json_pack("{s:O,s:O,s:s}", "captureData", cd, "eventMetadata", meta, "eventVersion",
                        "0");
        ok = rec != NULL;
    }
    char sub[200];
    snprintf(sub, sizeof(sub), "%s/%s/%04d/%02d/%02d/%02d", endpoint, t->variant, c.year, c.month,
             c.day, c.hour);
    ok = ok && !bm_uri_join(dest, sub, prefix, sizeof(prefix));
    char *text = ok ? json_dumps(rec, JSON_COMPACT) : NULL;
    int rc = text ? bm_capture_writer_put(rt->cw, prefix, ms, text, strlen(text)) : BM_ENOMEM;
    if (!text) atomic_fetch_add(&rt->not_captured_encoding, 1);
    if (rc) {
        /* counted by the writer (dropped or failed) or above; logged at most once a second */
        static _Atomic int64_t last;
        int64_t s = (int64_t)time(NULL);
        if (atomic_exchange(&last, s) != s)
            bm__log(rt->s, BM_LOG_WARN, "capture_dropped", "endpoint=%s variant=%s reason=\"%s\"",
                    endpoint, t->variant,
                    rc == BM_ELIMIT ? "the capture queue is full" : bm_strerror(rc));
    }
    free(text);
    json_decref(rec);
    json_decref(meta);
    json_decref(cd);
}

/* ==================================================================== InvokeEndpoint */

/* The answer of a finished call (engine thread): the model's response and its capture, or the
 * error. */
static void answer(job *j, bm_http_response *res)
{
    bm__runtime *rt = j->rt;
    bm__upcall *up = &j->call;
    long status = up->status;
    if (up->cancelled) {
        atomic_fetch_add(&rt->refused, 1);
        runtime_error(res, 503, "ServiceUnavailable",
                      "The service is shutting down; the invocation was not answered by the model. "
                      "Try your call again.",
                      NULL);
    } else if (status >= 200 && status < 300) {
        if (j->t.capture) capture(j);
        atomic_fetch_add(&rt->oks, 1);
        res->status = 200;
        res->content_type = up->content_type[0] ? up->content_type : "application/octet-stream";
        bm_buf_release(&res->body);
        res->body = up->body_out; /* handed over whole */
        bm_buf_init(&up->body_out, 0);
        res->extra[res->nextra].name = "X-Amzn-Invoked-Production-Variant";
        res->extra[res->nextra++].value = j->t.variant;
        if (up->custom[0]) {
            res->extra[res->nextra].name = "X-Amzn-SageMaker-Custom-Attributes";
            res->extra[res->nextra++].value = up->custom;
        }
    } else {
        atomic_fetch_add(&rt->model_errors, 1);
        char msg[1400];
        json_t *extra = json_object();
        if (status) {
            /* the model's own words, as text; bytes that are not UTF-8 are left out */
            json_t *orig = json_stringn(up->body_out.data ? up->body_out.data : "",
                                        up->body_out.len < 4096 ? up->body_out.len : 4096);
            snprintf(msg, sizeof(msg), "Received %s error (%ld) from %s with message \"%.*s\".",
                     status >= 500 ? "server" : "client", status, j->t.variant, orig ? 1000 : 0,
                     orig ? json_string_value(orig) : "");
            if (extra) {
                json_object_set_new(extra, "OriginalStatusCode", json_integer(status));
                json_object_set_new(extra, "OriginalMessage", orig ? orig : json_string(""));
            } else
                json_decref(orig);
        } else
            snprintf(msg, sizeof(msg), "%s (variant %s)", up->why, j->t.variant);
        bm__log(rt->s, BM_LOG_INFO, "model_error",
                "endpoint=%s variant=%s status=%ld reason=\"%s\"", j->endpoint, j->t.variant,
                status, status ? "error status" : up->why);
        runtime_error(res, 424, "ModelError", msg, extra);
        json_decref(extra);
    }
}

/* The engine is done with the call (its thread, or the submitting one when it has stopped). */
static void job_done(bm__upcall *c)
{
    job *j = (job *)(void *)c;
    answer(j, bm_http_deferred_response(j->d));
    bm_http_deferred_finish(j->d); /* copies the response's headers */
    job_free(j);
}

/* The connection is suspended: the call may start. */
static void job_start(void *arg, bm_http_deferred *d)
{
    job *j = arg;
    j->d = d;
    bm__invoker_submit(j->rt->inv, &j->call);
}

/* The request headers for the model server; 0 when out of memory. */
static int job_headers(job *j, const char *accept)
{
    struct curl_slist *hl = NULL, *t;
    char line[1200];
    int ok = 1;
#define ADD(fmt, v)                                                                                \
    do {                                                                                           \
        snprintf(line, sizeof(line), fmt, v);                                                      \
        if (ok && !(t = curl_slist_append(hl, line)))                                              \
            ok = 0;                                                                                \
        else if (ok)                                                                               \
            hl = t;                                                                                \
    } while (0)
    ADD("Content-Type: %s", j->ctype);
    if (accept) ADD("Accept: %s", accept);
    if (j->has_custom) ADD("X-Amzn-SageMaker-Custom-Attributes: %s", j->custom);
    if (j->has_iid) ADD("X-Amzn-SageMaker-Inference-Id: %s", j->iid);
    ADD("%s", "Expect:");
#undef ADD
    j->call.headers = hl;
    return ok;
}

/* ==================================================================== InvokeEndpoint */

void bm__runtime_invoke(bm_service *s, const bm_http_request *req, bm_http_response *res)
{
    bm__runtime *rt = s->runtime;
    const char *p = req->path + strlen("/endpoints/");
    const char *slash = strchr(p, '/');
    if (!slash || strcmp(slash, "/invocations")) {
        runtime_error(res, 404, "UnknownOperationException",
                      "biasmon serves POST /endpoints/{EndpointName}/invocations", NULL);
        return;
    }
    char endpoint[64];
    size_t n = (size_t)(slash - p);
    if (!name_ok(p, n)) {
        validation(res, "1 validation error detected: Value at 'endpointName' failed to satisfy "
                        "constraint: Member must "
                        "satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*");
        return;
    }
    memcpy(endpoint, p, n);
    endpoint[n] = 0;
    atomic_fetch_add(&rt->invocations, 1);
    const char *ctype = bm_http_header_value(req, "Content-Type"),
               *accept = bm_http_header_value(req, "Accept");
    const char *custom = bm_http_header_value(req, "X-Amzn-SageMaker-Custom-Attributes");
    const char *iid = bm_http_header_value(req, "X-Amzn-SageMaker-Inference-Id");
    const char *tv = bm_http_header_value(req, "X-Amzn-SageMaker-Target-Variant");
    if (!ctype || !*ctype) ctype = "application/octet-stream";
    if (!ascii_ok(ctype, 1024) || (accept && !ascii_ok(accept, 1024))) {
        atomic_fetch_add(&rt->client_errors, 1);
        validation(res, "Content-Type and Accept must be at most 1024 ASCII characters.");
        return;
    }
    if (custom && !ascii_ok(custom, 1024)) {
        atomic_fetch_add(&rt->client_errors, 1);
        validation(res, "CustomAttributes must be at most 1024 ASCII characters.");
        return;
    }
    if (iid && !inference_id_ok(iid)) {
        atomic_fetch_add(&rt->client_errors, 1);
        validation(res,
                   "InferenceId must be 1 to 64 printable characters, the first not white space.");
        return;
    }
    if (tv && !name_ok(tv, strlen(tv))) {
        atomic_fetch_add(&rt->client_errors, 1);
        validation(res, "TargetVariant must satisfy the pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9])*");
        return;
    }
    target t;
    memset(&t, 0, sizeof(t));
    cache_ent *ce = fetch(s, endpoint, res);
    if (!ce || !resolve(s, endpoint, tv, ce, &t, res)) {
        atomic_fetch_add(&rt->client_errors, 1);
        return;
    }
    const char *name = json_string_value(json_object_get(ce->ep.doc, "EndpointName")) ?: endpoint;
    /* bounded: beyond the caps the caller is told to come back, nothing waits here */
    int r = bm__invoker_admit(rt->inv, name);
    if (r) {
        atomic_fetch_add(&rt->refused, 1);
        char msg[300];
        if (r == BM_ELIMIT) {
            snprintf(msg, sizeof(msg),
                     "Endpoint %s has %u invocations in flight, its limit "
                     "(--invoke-max-inflight-per-endpoint). Try your call again later.",
                     name, rt->max_per_endpoint);
            runtime_error(res, 429, "ThrottlingException", msg, NULL);
        } else if (r == BM_EBUSY) {
            snprintf(msg, sizeof(msg),
                     "The service has %u invocations in flight, its limit "
                     "(--invoke-max-inflight). Try your call again later.",
                     rt->max_inflight);
            runtime_error(res, 503, "ServiceUnavailable", msg, NULL);
        } else {
            runtime_error(res, 503, "ServiceUnavailable",
                          "The service is shutting down. Try your call again.", NULL);
        }
        return;
    }
    job *j = bm_calloc(1, sizeof(*j));
    if (!j) {
        bm__invoker_release(rt->inv, name);
        runtime_error(res, 500, "InternalFailure", "out of memory", NULL);
        return;
    }
    j->rt = rt;
    j->t = t;
    json_incref(t.capture); /* the thread's cache entry may go before the call ends */
    snprintf(j->endpoint, sizeof(j->endpoint), "%s", name);
    snprintf(j->ctype, sizeof(j->ctype), "%s", ctype); /* at most 1024: checked above */
    if (custom) {
        j->has_custom = 1;
        snprintf(j->custom, sizeof(j->custom), "%s", custom);
    }
    if (iid) {
        j->has_iid = 1;
        snprintf(j->iid, sizeof(j->iid), "%s", iid);
    }
    j->body = req->body;
    j->body_len = req->body_len;
    snprintf(j->call.key, sizeof(j->call.key), "%s", name);
    j->call.url = j->t.url;
    j->call.body = req->body;
    j->call.body_len = req->body_len;
    j->call.done = job_done;
    if (!job_headers(j, accept)) {
        bm__invoker_release(rt->inv, name);
        job_free(j);
        runtime_error(res, 500, "InternalFailure", "out of memory", NULL);
        return;
    }
    bm_http_defer(res, job_start, j);
}

/* ==================================================================== ground truth by id */

int bm__runtime_put_ground_truth(bm_service *s, json_t *req, json_t **resp, bm_error *err)
{
    bm__runtime *rt = s->runtime;
    const char *uri = json_string_value(json_object_get(req, "GroundTruthS3Uri"));
    bm_error e;
    bm_error_clear(&e);
    int rc = bm_store_check(uri, &e);
    if (rc) {
        err->code = rc == BM_ENOTFOUND ? BM_EINVAL : rc;
        snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
        snprintf(err->path, sizeof(err->path), "$.GroundTruthS3Uri");
        return err->code;
    }
    int64_t ms = (int64_t)floor(bm_clock_now(&s->clock) * 1000), sec = ms / 1000;
    bm_civil c;
    bm_time_civil(sec, &c);
    char sub[32], prefix[1200];
    snprintf(sub, sizeof(sub), "%04d/%02d/%02d/%02d", c.year, c.month, c.day, c.hour);
    if (bm_uri_join(uri, sub, prefix, sizeof(prefix)))
        return bm_error_set(err, BM_ECONFIG, "$.GroundTruthS3Uri is too long");
    json_t *dropped = json_array();
    if (!dropped) return bm_error_set(err, BM_ENOMEM, "out of memory");
    size_t i, accepted = 0;
    json_t *l;
    json_array_foreach(json_object_get(req, "Labels"), i, l)
    {
        const char *id = json_string_value(json_object_get(l, "InferenceId"));
        const char *enc = json_string_value(json_object_get(l, "Encoding"));
        json_t *rec = json_pack("{s:{s:O,s:s},s:{s:s},s:s}", "groundTruthData", "data",
                                json_object_get(l, "Data"), "encoding", enc ? enc : "CSV",
                                "eventMetadata", "eventId", id, "eventVersion", "0");
        char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        json_decref(rec);
        int r = text ? bm_capture_writer_put(rt->cw, prefix, ms, text, strlen(text)) : BM_ENOMEM;
        free(text);
        if (!r)
            accepted++;
        else if (json_array_append_new(dropped, json_string(id))) {
            json_decref(dropped);
            return bm_error_set(err, BM_ENOMEM, "out of memory");
        }
    }
    if (json_array_size(dropped))
        bm__log(s, BM_LOG_WARN, "labels_dropped",
                "uri=\"%s\" dropped=%zu reason=\"the capture queue is full\"", uri,
                json_array_size(dropped));
    *resp = json_pack("{s:I}", "Accepted", (json_int_t)accepted);
    if (!*resp || (json_array_size(dropped) && json_object_set(*resp, "Dropped", dropped))) {
        json_decref(dropped);
        return bm_error_set(err, BM_ENOMEM, "out of memory");
    }
    json_decref(dropped);
    return BM_OK;
}

/* ==================================================================== /metrics */

int bm__runtime_metrics(bm_service *s, bm_buf *b)
{
    bm__runtime *rt = s->runtime;
    if (!rt) return BM_OK;
    bm_capture_stats st;
    bm_capture_writer_stats(rt->cw, &st);
    uint64_t enc = atomic_load(&rt->not_captured_encoding);
    return bm_buf_printf(
        b,
        "# HELP biasmon_invocations_total InvokeEndpoint requests, by outcome.\n"
        "# TYPE biasmon_invocations_total counter\n"
        "biasmon_invocations_total{outcome=\"ok\"} %llu\n"
        "biasmon_invocations_total{outcome=\"model_error\"} %llu\n"
        "biasmon_invocations_total{outcome=\"client_error\"} %llu\n"
        "biasmon_invocations_total{outcome=\"refused\"} %llu\n"
        "# HELP biasmon_invocations_in_flight InvokeEndpoint requests waiting for their model "
        "server now.\n"
        "# TYPE biasmon_invocations_in_flight gauge\n"
        "biasmon_invocations_in_flight %u\n"
        "# HELP biasmon_capture_records_total Capture records of successful invocations, by what "
        "became of them.\n"
        "# TYPE biasmon_capture_records_total counter\n"
        "biasmon_capture_records_total{result=\"written\"} %llu\n"
        "biasmon_capture_records_total{result=\"sampled_out\"} %llu\n"
        "biasmon_capture_records_total{result=\"dropped_queue_full\"} %llu\n"
        "biasmon_capture_records_total{result=\"failed\"} %llu\n"
        "# HELP biasmon_capture_files_total Capture files written out.\n"
        "# TYPE biasmon_capture_files_total counter\n"
        "biasmon_capture_files_total %llu\n"
        "# HELP biasmon_capture_queued_bytes Capture records waiting to be written out.\n"
        "# TYPE biasmon_capture_queued_bytes gauge\n"
        "biasmon_capture_queued_bytes %llu\n",
        (unsigned long long)atomic_load(&rt->oks),
        (unsigned long long)atomic_load(&rt->model_errors),
        (unsigned long long)atomic_load(&rt->client_errors),
        (unsigned long long)atomic_load(&rt->refused), bm__invoker_inflight(rt->inv),
        (unsigned long long)st.written, (unsigned long long)atomic_load(&rt->sampled_out),
        (unsigned long long)st.dropped_full, (unsigned long long)(st.failed + enc),
        (unsigned long long)st.files, (unsigned long long)st.queued_bytes);
}
