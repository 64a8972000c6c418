/* The invocation engine: every call to a model server runs on one thread driving a libcurl multi
 * handle (connections to each model server reused, a timeout per call), admitted against a global
 * and a per-endpoint bound, so that a slow model server holds connections, never HTTP threads. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "serve/invoke.h"

/* Easy handles kept for reuse (their settings are reset; connections live in the multi handle). */
#define MAX_SPARE 64
/* The engine looks at its stop flag at least this often (milliseconds). */
#define POLL_MS 1000

/* The admissions of one key (linear probing; n == 0 is an empty slot). */
typedef struct keyslot {
    char key[64];
    unsigned n;
} keyslot;

struct bm__invoker {
    bm__invoker_opts o;
    CURLM *multi;
    pthread_t thread;
    int thread_running;
    pthread_mutex_t mu;
    /* (mu) */
    bm__upcall *incoming; /* submitted, not yet seen by the engine (newest first) */
    unsigned admitted;    /* admitted, not yet done */
    int stopping;         /* no new admissions */
    int stop;             /* the engine's thread is asked to end, by `deadline` */
    struct timespec deadline;
    keyslot *keys;
    size_t mask;
    /* the engine thread's own */
    bm__upcall *active; /* added to the multi handle */
    CURL *spare[MAX_SPARE];
    size_t nspare;
};

/* ==================================================================== the keys */

static size_t key_hash(const char *k)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211u;
    return (size_t)(h ^ (h >> 29));
}

/* The slot of key, or the empty slot where it goes; NO_SLOT when neither is found (cannot happen:
 * the table is never more than half full, but the probe is bounded all the same). */
#define NO_SLOT SIZE_MAX
static size_t key_slot(bm__invoker *v, const char *key)
{
    size_t i = key_hash(key) & v->mask;
    for (size_t probes = 0; probes <= v->mask; probes++) {
        if (!v->keys[i].n || !strcmp(v->keys[i].key, key)) return i;
        i = (i + 1) & v->mask;
    }
    return NO_SLOT;
}

/* Empties slot i, moving later entries of its run back so that every key stays reachable. */
static void key_delete(bm__invoker *v, size_t i)
{
    size_t j = i;
    for (size_t probes = 0; probes < v->mask; probes++) {
        j = (j + 1) & v->mask;
        if (!v->keys[j].n) break;
        size_t k = key_hash(v->keys[j].key) & v->mask;
        /* entry j may move to i when its home k is not cyclically within (i, j] */
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            v->keys[i] = v->keys[j];
            i = j;
        }
    }
    v->keys[i].n = 0;
    v->keys[i].key[0] = 0;
}

int bm__invoker_admit(bm__invoker *v, const char *key)
{
    int r = BM_OK;
    pthread_mutex_lock(&v->mu);
    if (v->stopping) {
        r = BM_EINVAL;
    } else if (v->admitted >= v->o.max_inflight) {
        r = BM_EBUSY;
    } else {
        size_t i = key_slot(v, key);
        if (i == NO_SLOT) {
            r = BM_EBUSY;
        } else if (v->keys[i].n >= v->o.max_per_key) {
            r = BM_ELIMIT;
        } else {
            if (!v->keys[i].n) snprintf(v->keys[i].key, sizeof(v->keys[i].key), "%s", key);
            v->keys[i].n++;
            v->admitted++;
        }
    }
    pthread_mutex_unlock(&v->mu);
    return r;
}

void bm__invoker_release(bm__invoker *v, const char *key)
{
    pthread_mutex_lock(&v->mu);
    size_t i = key_slot(v, key);
    if (i != NO_SLOT && v->keys[i].n && --v->keys[i].n == 0) key_delete(v, i);
    if (v->admitted) v->admitted--;
    pthread_mutex_unlock(&v->mu);
}

unsigned bm__invoker_inflight(bm__invoker *v)
{
    pthread_mutex_lock(&v->mu);
    unsigned n = v->admitted;
    pthread_mutex_unlock(&v->mu);
    return n;
}

/* ==================================================================== one call */

static size_t on_body(char *p, size_t sz, size_t n, void *u)
{
    bm__upcall *c = u;
    if (bm_buf_append(&c->body_out, p, sz * n)) {
        c->too_big = 1;
        return 0;
    }
    return sz * n;
}

static void header_value(const char *p, size_t n, size_t name_len, char *out, size_t outn)
{
    const char *val = p + name_len, *end = p + n;
    while (val < end && (*val == ' ' || *val == '\t'))
        val++;
    while (end > val && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t len = (size_t)(end - val) < outn - 1 ? (size_t)(end - val) : outn - 1;
    memcpy(out, val, len);
    out[len] = 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *u)
{
    bm__upcall *c = u;
    size_t len = sz * n;
    static const char ct[] = "content-type:", ca[] = "x-amzn-sagemaker-custom-attributes:";
    if (len > sizeof(ct) - 1 && !strncasecmp(p, ct, sizeof(ct) - 1))
        header_value(p, len, sizeof(ct) - 1, c->content_type, sizeof(c->content_type));
    else if (len > sizeof(ca) - 1 && !strncasecmp(p, ca, sizeof(ca) - 1))
        header_value(p, len, sizeof(ca) - 1, c->custom, sizeof(c->custom));
    else if (len >= 5 && !strncmp(p, "HTTP/", 5)) /* a new response (after 100 Continue) */
        c->content_type[0] = c->custom[0] = 0;
    return len;
}

/* The call is over: its admission is given back, then done owns it. */
static void complete(bm__invoker *v, bm__upcall *c)
{
    if (c->h) {
        if (v->nspare < MAX_SPARE)
            v->spare[v->nspare++] = c->h;
        else
            curl_easy_cleanup(c->h);
        c->h = NULL;
    }
    bm__invoker_release(v, c->key);
    c->done(c);
}

/* Takes c off the multi handle and the active list (engine thread). */
static void detach(bm__invoker *v, bm__upcall *c)
{
    curl_multi_remove_handle(v->multi, c->h);
    if (c->prev)
        c->prev->next = c->next;
    else
        v->active = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* Adds a submitted call to the multi handle; completes it at once when that fails. */
static void begin(bm__invoker *v, bm__upcall *c)
{
    CURL *h = v->nspare ? v->spare[--v->nspare] : curl_easy_init();
    if (!h) {
        snprintf(c->why, sizeof(c->why), "out of memory");
        complete(v, c);
        return;
    }
    curl_easy_reset(h); /* a spare keeps nothing of its previous call but libcurl's caches */
    c->h = h;
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(h, CURLOPT_PRIVATE, c);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)v->o.connect_timeout);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)v->o.timeout_s);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    if (curl_multi_add_handle(v->multi, h) != CURLM_OK) {
        snprintf(c->why, sizeof(c->why), "the call cannot be started (out of memory)");
        complete(v, c);
        return;
    }
    c->prev = NULL;
    c->next = v->active;
    if (v->active) v->active->prev = c;
    v->active = c;
}

/* libcurl finished c with result r. */
static void finished(bm__invoker *v, bm__upcall *c, CURLcode r)
{
    detach(v, c);
    if (r == CURLE_OK)
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
    else if (c->too_big)
        snprintf(c->why, sizeof(c->why), "the model's response is larger than %zu MiB",
                 v->o.max_response >> 20);
    else if (r == CURLE_OPERATION_TIMEDOUT)
        snprintf(c->why, sizeof(c->why),
                 "Your invocation timed out while waiting for a response from the model server "
                 "(%u s).",
                 v->o.timeout_s);
    else
        snprintf(c->why, sizeof(c->why), "the model server cannot be reached: %s",
                 curl_easy_strerror(r));
    if (r != CURLE_OK) c->status = 0;
    complete(v, c);
}

static void cancel(bm__invoker *v, bm__upcall *c)
{
    c->cancelled = 1;
    c->status = 0;
    snprintf(c->why, sizeof(c->why), "the service is shutting down");
    complete(v, c);
}

/* ==================================================================== the engine */

static int past(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *engine_main(void *arg)
{
    bm__invoker *v = arg;
    for (;;) {
        pthread_mutex_lock(&v->mu);
        bm__upcall *in = v->incoming;
        v->incoming = NULL;
        int stop = v->stop, cut = stop && past(&v->deadline);
        pthread_mutex_unlock(&v->mu);
        /* oldest first */
        bm__upcall *fifo = NULL;
        while (in) {
            bm__upcall *next = in->next;
            in->next = fifo;
            fifo = in;
            in = next;
        }
        while (fifo) {
            bm__upcall *c = fifo;
            fifo = c->next;
            c->next = NULL;
            if (cut)
                cancel(v, c);
            else
                begin(v, c);
        }
        if (cut) {
            while (v->active) {
                bm__upcall *c = v->active;
                detach(v, c);
                cancel(v, c);
            }
        }
        int running = 0;
        curl_multi_perform(v->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(v->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            bm__upcall *c = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            if (c) finished(v, c, m->data.result);
        }
        if (stop && !v->active) {
            pthread_mutex_lock(&v->mu);
            int idle = !v->incoming;
            pthread_mutex_unlock(&v->mu);
            if (idle) break;
        }
        curl_multi_poll(v->multi, NULL, 0, stop ? 100 : POLL_MS, NULL);
    }
    return NULL;
}

void bm__invoker_submit(bm__invoker *v, bm__upcall *c)
{
    c->status = 0;
    c->cancelled = 0;
    c->why[0] = c->content_type[0] = c->custom[0] = 0;
    c->too_big = 0;
    c->h = NULL;
    c->prev = NULL;
    bm_buf_init(&c->body_out, v->o.max_response);
    pthread_mutex_lock(&v->mu);
    int running = v->thread_running && !v->stop;
    if (running) {
        c->next = v->incoming;
        v->incoming = c;
    }
    pthread_mutex_unlock(&v->mu);
    if (!running) {
        /* the engine ended (it was admitted before the stop): answered here */
        c->next = NULL;
        cancel(v, c);
        return;
    }
    curl_multi_wakeup(v->multi);
}

bm__invoker *bm__invoker_start(const bm__invoker_opts *o, bm_error *err)
{
    bm__invoker *v = bm_calloc(1, sizeof(*v));
    if (!v) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    v->o = *o;
    if (!v->o.max_inflight) v->o.max_inflight = 1;
    if (!v->o.max_per_key) v->o.max_per_key = 1;
    if (!v->o.timeout_s) v->o.timeout_s = 1;
    if (!v->o.connect_timeout) v->o.connect_timeout = 1;
    pthread_mutex_init(&v->mu, NULL);
    size_t cap = 16;
    while (cap < 2 * (size_t)v->o.max_inflight)
        cap *= 2;
    v->mask = cap - 1;
    if (!(v->keys = bm_calloc(cap, sizeof(*v->keys))) || !(v->multi = curl_multi_init())) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        goto fail;
    }
    /* idle connections kept for reuse, at most one per call that may be in flight */
    curl_multi_setopt(v->multi, CURLMOPT_MAXCONNECTS, (long)v->o.max_inflight);
    if (pthread_create(&v->thread, NULL, engine_main, v) != 0) {
        bm_error_set(err, BM_ENOMEM, "cannot start the invocation thread");
        goto fail;
    }
    v->thread_running = 1;
    return v;
fail:
    bm__invoker_free(v);
    return NULL;
}

void bm__invoker_stop(bm__invoker *v, unsigned grace_s)
{
    if (!v) return;
    pthread_mutex_lock(&v->mu);
    v->stopping = 1;
    int join = v->thread_running && !v->stop;
    if (join) {
        v->stop = 1;
        clock_gettime(CLOCK_MONOTONIC, &v->deadline);
        v->deadline.tv_sec += (time_t)grace_s;
    }
    pthread_mutex_unlock(&v->mu);
    if (!join) return;
    curl_multi_wakeup(v->multi);
    pthread_join(v->thread, NULL);
    pthread_mutex_lock(&v->mu);
    v->thread_running = 0;
    pthread_mutex_unlock(&v->mu);
}

void bm__invoker_free(bm__invoker *v)
{
    if (!v) return;
    bm__invoker_stop(v, 0);
    for (size_t k = 0; k < v->nspare; k++)
        curl_easy_cleanup(v->spare[k]);
    if (v->multi) curl_multi_cleanup(v->multi);
    bm_free(v->keys);
    pthread_mutex_destroy(&v->mu);
    bm_free(v);
}
