/* Tests for the HTTP server: a real server on 127.0.0.1 port 0, libcurl and raw sockets as
 * clients (echo, limits, concurrency, request ids, disconnects, stopping). Every wait is bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <curl/curl.h>
#include <jansson.h>
#include "biasmon/http.h"

/* ==================================================================================== */
/* The handler                                                                          */
/* ==================================================================================== */

#define MAX_SLEEPERS 16

struct hctx {
    atomic_int calls;
    atomic_int active;
    atomic_int started[MAX_SLEEPERS]; /* /sleep?ms=..&id=i sets started[i] */
};

static long query_param(const char *query, const char *name, long dflt)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p;) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') return strtol(p + n + 1, NULL, 10);
        p = strchr(p, '&');
        if (p) p++;
    }
    return dflt;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void put_json(bm_http_response *res, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    if (s && bm_buf_puts(&res->body, s) == BM_OK) res->status = 200;
    free(s);
    json_decref(j);
    res->content_type = "application/json";
}

/* Deferred responses: /defer hands its request to the test (start stores d here), /defer-now
 * answers from within start. */
struct deferred_slot {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bm_http_deferred *d;
    const char *body; /* the request's body, read after the handler returned */
    size_t body_len;
};
static struct deferred_slot dslot = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
                                     NULL, 0};

static void defer_start(void *arg, bm_http_deferred *d)
{
    struct deferred_slot *sl = arg;
    pthread_mutex_lock(&sl->mu);
    sl->d = d;
    pthread_cond_broadcast(&sl->cv);
    pthread_mutex_unlock(&sl->mu);
}

static void defer_now(void *arg, bm_http_deferred *d)
{
    (void)arg;
    bm_http_response *res = bm_http_deferred_response(d);
    res->status = 202;
    res->content_type = "text/plain";
    if (bm_buf_puts(&res->body, "now") != BM_OK) res->status = 500;
    bm_http_deferred_finish(d);
}

static void handler(void *ctx, const bm_http_request *req, bm_http_response *res)
{
    struct hctx *h = ctx;
    atomic_fetch_add(&h->calls, 1);
    atomic_fetch_add(&h->active, 1);
    if (strcmp(req->path, "/echo") == 0) {
        json_t *hs = json_array();
        for (size_t i = 0; i < req->nheaders; i++)
            json_array_append_new(hs,
                                  json_pack("[ss]", req->headers[i].name, req->headers[i].value));
        put_json(res, json_pack("{ss ss ss so ss# sI ss}", "method", req->method, "path", req->path,
                                "query", req->query, "headers", hs, "body", req->body,
                                (int)req->body_len, "body_len", (json_int_t)req->body_len, "remote",
                                req->remote));
    } else if (strcmp(req->path, "/raw") == 0) {
        if (bm_buf_append(&res->body, req->body, req->body_len) == BM_OK) res->status = 200;
        res->content_type = "application/octet-stream";
    } else if (strcmp(req->path, "/sleep") == 0) {
        long id = query_param(req->query, "id", -1);
        if (id >= 0 && id < MAX_SLEEPERS) atomic_store(&h->started[id], 1);
        sleep_ms(query_param(req->query, "ms", 100));
        if (bm_buf_puts(&res->body, "slept") == BM_OK) res->status = 200;
        res->content_type = "text/plain";
    } else if (strcmp(req->path, "/custom") == 0) {
        res->status = 404;
        res->content_type = "text/plain";
        res->extra[0] = (bm_http_header){"X-One", "1"};
        res->extra[1] = (bm_http_header){"X-Two", "two"};
        res->extra[2] = (bm_http_header){"Content-Length", "999"}; /* refused by the server */
        res->nextra = 3;
        if (bm_buf_puts(&res->body, "nope") != BM_OK) res->status = 500;
    } else if (strcmp(req->path, "/id") == 0) {
        if (bm_buf_puts(&res->body, res->request_id) == BM_OK) res->status = 200;
        res->content_type = "text/plain";
    } else if (strcmp(req->path, "/badstatus") == 0) {
        res->status = 42;
        if (bm_buf_puts(&res->body, "dropped") != BM_OK) res->status = 500;
    } else if (strcmp(req->path, "/defer") == 0) {
        dslot.body = req->body;
        dslot.body_len = req->body_len;
        bm_http_defer(res, defer_start, &dslot);
    } else if (strcmp(req->path, "/defer-now") == 0) {
        bm_http_defer(res, defer_now, NULL);
    } else if (strcmp(req->path, "/nostatus") == 0) {
        /* leaves the preset status */
    } else {
        res->status = 404;
        res->content_type = "text/plain";
        if (bm_buf_puts(&res->body, req->path) != BM_OK) res->status = 500;
    }
    atomic_fetch_sub(&h->active, 1);
}

/* ==================================================================================== */
/* Server and client helpers                                                            */
/* ==================================================================================== */

static struct hctx hc;

static bm_http_server *start(size_t max_body, unsigned threads, unsigned timeout_s)
{
    memset(&hc, 0, sizeof(hc));
    bm_http_opts o = {.host = "127.0.0.1",
                      .port = 0,
                      .max_body = max_body,
                      .threads = threads,
                      .timeout_s = timeout_s};
    bm_error err;
    bm_error_clear(&err);
    bm_http_server *s = bm_http_start(&o, handler, &hc, &err);
    if (!s) print_error("bm_http_start: %s\n", err.msg);
    assert_non_null(s);
    assert_true(bm_http_port(s) > 0);
    return s;
}

struct stopper {
    bm_http_server *s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void *stop_thread(void *arg)
{
    struct stopper *st = arg;
    bm_http_stop(st->s);
    pthread_mutex_lock(&st->mu);
    st->done = 1;
    pthread_cond_signal(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* Starts bm_http_stop on another thread. */
static void stop_begin(struct stopper *st, bm_http_server *s)
{
    st->s = s;
    st->done = 0;
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    assert_int_equal(pthread_create(&st->thread, NULL, stop_thread, st), 0);
}

/* Fails the test if bm_http_stop has not returned within max_s seconds. */
static void stop_end(struct stopper *st, int max_s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += max_s;
    pthread_mutex_lock(&st->mu);
    while (!st->done)
        if (pthread_cond_timedwait(&st->cv, &st->mu, &deadline) == ETIMEDOUT) break;
    int done = st->done;
    pthread_mutex_unlock(&st->mu);
    if (!done) fail_msg("bm_http_stop did not return within %d s", max_s);
    pthread_join(st->thread, NULL);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
}

static void stop_bounded(bm_http_server *s, int max_s)
{
    static struct stopper st; /* outlives a failed test whose stopper thread still runs */
    stop_begin(&st, s);
    stop_end(&st, max_s);
}

#define MAX_REPLY_HEADERS 32

struct reply {
    long status;
    bm_buf body;
    int nheaders;
    char names[MAX_REPLY_HEADERS][64];
    char values[MAX_REPLY_HEADERS][128];
};

static size_t on_body_data(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    return bm_buf_append(&r->body, p, size * n) == BM_OK ? size * n : 0;
}

static size_t on_header_line(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) r->nheaders = 0; /* a new response (after 100) */
    const char *colon = memchr(p, ':', len);
    if (!colon || r->nheaders >= MAX_REPLY_HEADERS) return len;
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1;
    while (v < p + len && *v == ' ')
        v++;
    size_t vl = (size_t)(p + len - v);
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    snprintf(r->names[r->nheaders], sizeof(r->names[0]), "%.*s", (int)nl, p);
    snprintf(r->values[r->nheaders], sizeof(r->values[0]), "%.*s", (int)vl, v);
    r->nheaders++;
    return len;
}

/* The value of a response header (first occurrence), NULL when absent; *count occurrences. */
static const char *reply_header(const struct reply *r, const char *name, int *count)
{
    const char *v = NULL;
    int c = 0;
    for (int i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->names[i], name) != 0) continue;
        if (!v) v = r->values[i];
        c++;
    }
    if (count) *count = c;
    return v;
}

static void reply_init(struct reply *r)
{
    memset(r, 0, sizeof(*r));
    bm_buf_init(&r->body, (size_t)64 << 20);
}

/* One request on handle c (kept for connection reuse). body may be NULL (no body). */
static CURLcode request(CURL *c, int port, const char *method, const char *target, const void *body,
                        size_t len, struct curl_slist *hdrs, struct reply *r)
{
    char url[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, target);
    bm_buf_reset(&r->body);
    r->nheaders = 0;
    r->status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header_line);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    return rc;
}

/* A request on a fresh handle; the status, or -1 when the transfer failed. */
static long simple(int port, const char *method, const char *target, const void *body, size_t len,
                   struct curl_slist *hdrs, struct reply *r)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    CURLcode rc = request(c, port, method, target, body, len, hdrs, r);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? r->status : -1;
}

static int is_uuid4(const char *s)
{
    if (!s || strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!strchr("0123456789abcdef", s[i])) {
            return 0;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

/* A raw loopback connection with 5 s send/receive timeouts; -1 on failure. */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    for (int iter = 0; n > 0 && iter < 100000; iter++) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return n == 0 ? 0 : -1;
}

/* Reads until the server closes, the buffer is full, or 5 s pass without data. */
static size_t recv_all(int fd, char *out, size_t cap)
{
    size_t got = 0;
    for (int iter = 0; got + 1 < cap && iter < 10000; iter++) {
        ssize_t k = recv(fd, out + got, cap - 1 - got, 0);
        if (k <= 0) break;
        got += (size_t)k;
    }
    out[got] = 0;
    return got;
}

/* Sends a whole raw request and returns the HTTP status of the answer (0 when none). */
static int raw_exchange(int port, const char *req, size_t len, char *out, size_t cap)
{
    int fd = raw_connect(port);
    assert_true(fd >= 0);
    int status = 0;
    if (send_all(fd, req, len) == 0) {
        size_t n = recv_all(fd, out, cap);
        if (n >= 12 && memcmp(out, "HTTP/1.", 7) == 0) status = (int)strtol(out + 9, NULL, 10);
    }
    close(fd);
    return status;
}

/* ==================================================================================== */
/* Requests and responses                                                               */
/* ==================================================================================== */

static void test_post_echo(void **state)
{
    bm_http_server *s = start(0, 2, 5);
    struct reply r;
    reply_init(&r);
    struct curl_slist *h = curl_slist_append(NULL, "X-Custom-Header: Some Value");
    h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.1");
    h = curl_slist_append(h, "X-Amz-Target: SageMaker.ListMonitoringSchedules");
    const char *body = "{\"MaxResults\": 10}";
    assert_int_equal(
        simple(bm_http_port(s), "POST", "/echo?b=2&a=1%20x+y&flag", body, strlen(body), h, &r),
        200);
    curl_slist_free_all(h);

    int n = 0;
    assert_string_equal(reply_header(&r, "Content-Type", NULL), "application/json");
    assert_true(is_uuid4(reply_header(&r, "x-amzn-RequestId", &n)));
    assert_int_equal(n, 1);

    json_error_t je;
    json_t *j = json_loads(r.body.data, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/echo");
    assert_string_equal(json_string_value(json_object_get(j, "query")), "b=2&a=1%20x+y&flag");
    assert_string_equal(json_string_value(json_object_get(j, "body")), body);
    assert_int_equal(json_integer_value(json_object_get(j, "body_len")), strlen(body));
    assert_true(strncmp(json_string_value(json_object_get(j, "remote")), "127.0.0.1:", 10) == 0);
    /* Every header, with its name as the client spelled it. */
    json_t *hs = json_object_get(j, "headers");
    int seen = 0;
    for (size_t i = 0; i < json_array_size(hs); i++) {
        const char *name = json_string_value(json_array_get(json_array_get(hs, i), 0));
        const char *value = json_string_value(json_array_get(json_array_get(hs, i), 1));
        if (strcmp(name, "X-Custom-Header") == 0 && strcmp(value, "Some Value") == 0) seen |= 1;
        if (strcmp(name, "X-Amz-Target") == 0 &&
            strcmp(value, "SageMaker.ListMonitoringSchedules") == 0)
            seen |= 2;
        if (strcmp(name, "Content-Length") == 0 && strcmp(value, "18") == 0) seen |= 4;
        if (strcmp(name, "Host") == 0) seen |= 8;
    }
    assert_int_equal(seen, 15);
    json_decref(j);
    bm_buf_release(&r.body);
    assert_int_equal(atomic_load(&hc.calls), 1);
    stop_bounded(s, 30);
}

static void test_get_and_raw_path(void **state)
{
    bm_http_server *s = start(0, 2, 5);
    int port = bm_http_port(s);
    struct reply r;
    reply_init(&r);
    assert_int_equal(simple(port, "GET", "/echo", NULL, 0, NULL, &r), 200);
    json_t *j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(j, "query")), "");
    assert_int_equal(json_integer_value(json_object_get(j, "body_len")), 0);
    json_decref(j);

    /* The path is passed as on the request line (what SigV4 signs), not percent-decoded; a
     * path other than the handler's gets what the handler says. */
    assert_int_equal(simple(port, "GET", "/a%2Fb/c%20d?x=%2F", NULL, 0, NULL, &r), 404);
    assert_string_equal(r.body.data, "/a%2Fb/c%20d");
    assert_int_equal(simple(port, "DELETE", "/echo?q", NULL, 0, NULL, &r), 200);
    j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "DELETE");
    assert_string_equal(json_string_value(json_object_get(j, "query")), "q");
    json_decref(j);

    char buf[4096];
    const char *raw = "GET /echo%2Fx/%7Ey?k=%41 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(raw_exchange(port, raw, strlen(raw), buf, sizeof(buf)), 404);
    assert_non_null(strstr(buf, "\r\n\r\n/echo%2Fx/%7Ey"));
    raw = "GET /echo?k=%41&k=b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(raw_exchange(port, raw, strlen(raw), buf, sizeof(buf)), 200);
    assert_non_null(strstr(buf, "\"query\":\"k=%41&k=b\""));
    assert_non_null(strstr(buf, "\"path\":\"/echo\""));

    /* HEAD: headers only. */
    raw = "HEAD /id HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(raw_exchange(port, raw, strlen(raw), buf, sizeof(buf)), 200);
    assert_non_null(strstr(buf, "\r\n\r\n"));
    assert_string_equal(strstr(buf, "\r\n\r\n"), "\r\n\r\n");
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

static void test_status_and_headers(void **state)
{
    bm_http_server *s = start(0, 2, 5);
    int port = bm_http_port(s);
    struct reply r;
    reply_init(&r);
    int n = 0;

    assert_int_equal(simple(port, "GET", "/custom", NULL, 0, NULL, &r), 404);
    assert_string_equal(r.body.data, "nope");
    assert_string_equal(reply_header(&r, "Content-Type", NULL), "text/plain");
    assert_string_equal(reply_header(&r, "X-One", NULL), "1");
    assert_string_equal(reply_header(&r, "X-Two", NULL), "two");
    assert_string_equal(reply_header(&r, "Content-Length", &n), "4");
    assert_int_equal(n, 1);
    assert_true(is_uuid4(reply_header(&r, "x-amzn-RequestId", &n)));
    assert_int_equal(n, 1);

    /* The id the handler sees is the id the client gets. */
    assert_int_equal(simple(port, "GET", "/id", NULL, 0, NULL, &r), 200);
    assert_string_equal(r.body.data, reply_header(&r, "x-amzn-RequestId", NULL));

    /* A status outside 200-599 becomes a 500 without the body; so does a forgotten one. */
    assert_int_equal(simple(port, "GET", "/badstatus", NULL, 0, NULL, &r), 500);
    assert_int_equal(r.body.len, 0);
    assert_int_equal(simple(port, "GET", "/nostatus", NULL, 0, NULL, &r), 500);
    assert_true(is_uuid4(reply_header(&r, "x-amzn-RequestId", NULL)));
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

/* ==================================================================================== */
/* Limits                                                                               */
/* ==================================================================================== */

struct chunk_src {
    size_t left;
};

static size_t read_chunks(char *out, size_t size, size_t n, void *arg)
{
    struct chunk_src *src = arg;
    size_t k = size * n < src->left ? size * n : src->left;
    if (k > 700) k = 700;
    memset(out, 'c', k);
    src->left -= k;
    return k;
}

static void check_413(const struct reply *r, const char *limit)
{
    assert_int_equal(r->status, 413);
    json_t *j = json_loads(r->body.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "__type")), "ValidationException");
    char msg[128];
    snprintf(msg, sizeof(msg), "request body larger than %s bytes", limit);
    assert_string_equal(json_string_value(json_object_get(j, "message")), msg);
    json_decref(j);
    assert_true(is_uuid4(reply_header(r, "x-amzn-RequestId", NULL)));
    assert_string_equal(reply_header(r, "x-amzn-ErrorType", NULL), "ValidationException");
}

static void test_body_limit(void **state)
{
    bm_http_server *s = start(1024, 2, 5);
    int port = bm_http_port(s);
    size_t big = (size_t)8 << 20;
    char *body = malloc(big);
    assert_non_null(body);
    memset(body, 'x', big);
    struct reply r;
    reply_init(&r);
    CURL *c = curl_easy_init();
    assert_non_null(c);

    /* Exactly the limit passes; one byte more is refused, and the connection stays usable. */
    assert_int_equal(request(c, port, "POST", "/raw", body, 1024, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 1024);
    assert_int_equal(request(c, port, "POST", "/raw", body, 1025, NULL, &r), CURLE_OK);
    check_413(&r, "1024");
    assert_int_equal(request(c, port, "POST", "/raw", body, 10, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    long connects = -1;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    assert_int_equal(connects, 0); /* reused */

    /* 8 MiB: curl asks "Expect: 100-continue"; the 413 comes before any body is sent. */
    assert_int_equal(request(c, port, "POST", "/raw", body, big, NULL, &r), CURLE_OK);
    check_413(&r, "1024");

    /* 2 MiB sent without asking: drained and refused on a clean connection. */
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    assert_int_equal(request(c, port, "POST", "/raw", body, (size_t)2 << 20, h, &r), CURLE_OK);
    check_413(&r, "1024");
    curl_slist_free_all(h);

    /* A chunked body that grows past the limit. */
    h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    struct chunk_src src = {5000};
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunks);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/raw", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    bm_buf_reset(&r.body);
    r.nheaders = 0;
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    check_413(&r, "1024");
    assert_int_equal(src.left, 0);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);

    /* A declared 100 MiB body without Expect: refused as soon as the headers are in. */
    char buf[4096];
    const char *raw = "POST /raw HTTP/1.1\r\nHost: t\r\nContent-Length: 104857600\r\n\r\n";
    assert_int_equal(raw_exchange(port, raw, strlen(raw), buf, sizeof(buf)), 413);
    assert_non_null(strstr(buf, "request body larger than 1024 bytes"));

    /* None of these reached the handler. */
    assert_int_equal(atomic_load(&hc.calls), 2);
    free(body);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

static void test_header_limit(void **state)
{
    bm_http_server *s = start(0, 2, 5);
    int port = bm_http_port(s);
    bm_buf req;
    bm_buf_init(&req, 1 << 20);
    char buf[65536];

    /* 100 headers (Host, Connection and 98 more) are accepted and all reach the handler. */
    assert_int_equal(bm_buf_puts(&req, "GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"),
                     BM_OK);
    for (int i = 0; i < 98; i++)
        assert_int_equal(bm_buf_printf(&req, "X-H%d: %d\r\n", i, i), 0);
    assert_int_equal(bm_buf_puts(&req, "\r\n"), BM_OK);
    assert_int_equal(raw_exchange(port, req.data, req.len, buf, sizeof(buf)), 200);
    const char *json = strstr(buf, "\r\n\r\n");
    assert_non_null(json);
    json_t *j = json_loads(json + 4, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "headers")), 100);
    json_decref(j);

    /* 101 are refused. */
    bm_buf_reset(&req);
    assert_int_equal(bm_buf_puts(&req, "GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"),
                     BM_OK);
    for (int i = 0; i < 99; i++)
        assert_int_equal(bm_buf_printf(&req, "X-H%d: %d\r\n", i, i), 0);
    assert_int_equal(bm_buf_puts(&req, "\r\n"), BM_OK);
    assert_int_equal(raw_exchange(port, req.data, req.len, buf, sizeof(buf)), 431);
    assert_non_null(strstr(buf, "more than 100 request headers"));
    assert_non_null(strstr(buf, "x-amzn-RequestId: "));

    /* Headers larger than the connection's memory are refused by libmicrohttpd itself. */
    bm_buf_reset(&req);
    assert_int_equal(bm_buf_puts(&req, "GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: "), BM_OK);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(bm_buf_putc(&req, 'b'), BM_OK);
    assert_int_equal(bm_buf_puts(&req, "\r\n\r\n"), BM_OK);
    int st = raw_exchange(port, req.data, req.len, buf, sizeof(buf));
    assert_true(st == 0 || (st >= 400 && st < 500));

    assert_int_equal(atomic_load(&hc.calls), 1);
    bm_buf_release(&req);
    stop_bounded(s, 30);
}

/* ==================================================================================== */
/* Concurrency                                                                          */
/* ==================================================================================== */

#define CLIENTS 64
#define PER_CLIENT 50

static char ids[CLIENTS * PER_CLIENT][40];

struct client {
    int port;
    int index;
    int ok;
    int failures;
    char first_error[160];
};

static void *client_main(void *arg)
{
    struct client *cl = arg;
    CURL *c = curl_easy_init();
    struct reply *r = malloc(sizeof(*r));
    char body[3000];
    if (!c || !r) {
        cl->failures = PER_CLIENT;
        free(r);
        if (c) curl_easy_cleanup(c);
        return NULL;
    }
    reply_init(r);
    for (int i = 0; i < PER_CLIENT; i++) {
        /* sizes vary from a few bytes to ~3000 */
        int n = snprintf(body, sizeof(body), "client %d request %d:", cl->index, i);
        size_t len = (size_t)n + (size_t)((cl->index * 131 + i * 977) % 2900);
        for (size_t k = (size_t)n; k < len; k++)
            body[k] = (char)('a' + (k + (size_t)i) % 26);
        CURLcode rc = request(c, cl->port, "POST", "/raw", body, len, NULL, r);
        const char *id = reply_header(r, "x-amzn-RequestId", NULL);
        if (rc == CURLE_OK && r->status == 200 && r->body.len == len &&
            memcmp(r->body.data, body, len) == 0 && id) {
            snprintf(ids[cl->index * PER_CLIENT + i], sizeof(ids[0]), "%s", id);
            cl->ok++;
        } else {
            if (!cl->failures)
                snprintf(cl->first_error, sizeof(cl->first_error), "request %d: %s, status %ld", i,
                         curl_easy_strerror(rc), r->status);
            cl->failures++;
        }
    }
    bm_buf_release(&r->body);
    free(r);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_concurrent_clients(void **state)
{
    bm_http_server *s = start(0, 4, 10);
    memset(ids, 0, sizeof(ids));
    static struct client cl[CLIENTS];
    pthread_t t[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        cl[i] = (struct client){.port = bm_http_port(s), .index = i};
        assert_int_equal(pthread_create(&t[i], NULL, client_main, &cl[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        if (cl[i].failures) print_error("client %d: %s\n", i, cl[i].first_error);
        ok += cl[i].ok;
    }
    assert_int_equal(ok, CLIENTS * PER_CLIENT);
    assert_int_equal(atomic_load(&hc.calls), CLIENTS * PER_CLIENT);

    /* Request ids: all well formed, all different. */
    qsort(ids, CLIENTS * PER_CLIENT, sizeof(ids[0]), cmp_id);
    for (int i = 0; i < CLIENTS * PER_CLIENT; i++) {
        assert_true(is_uuid4(ids[i]));
        if (i) assert_true(strcmp(ids[i - 1], ids[i]) != 0);
    }
    stop_bounded(s, 30);
}

/* ==================================================================================== */
/* Answering later                                                                      */
/* ==================================================================================== */

struct deferred_client {
    int port;
    long status;
    struct reply r;
};

static void *deferred_client_main(void *arg)
{
    struct deferred_client *c = arg;
    c->status = simple(c->port, "POST", "/defer", "hello", 5, NULL, &c->r);
    return NULL;
}

/* A deferred request leaves its (only) server thread free: another request is answered while it
 * waits; its response, given later from another thread, arrives whole with the request's body
 * still readable and the extra headers copied at finish. */
static void test_deferred(void **state)
{
    (void)state;
    bm_http_server *s = start(0, 1, 10);
    pthread_mutex_lock(&dslot.mu);
    dslot.d = NULL;
    pthread_mutex_unlock(&dslot.mu);
    static struct deferred_client c;
    memset(&c, 0, sizeof(c));
    c.port = bm_http_port(s);
    reply_init(&c.r);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, deferred_client_main, &c), 0);

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&dslot.mu);
    while (!dslot.d)
        if (pthread_cond_timedwait(&dslot.cv, &dslot.mu, &deadline) == ETIMEDOUT) break;
    bm_http_deferred *d = dslot.d;
    pthread_mutex_unlock(&dslot.mu);
    assert_non_null(d);

    /* the one thread is free: another request is answered meanwhile */
    struct reply r;
    reply_init(&r);
    assert_int_equal(simple(c.port, "POST", "/raw", "abc", 3, NULL, &r), 200);
    assert_int_equal(r.body.len, 3);
    assert_int_equal(simple(c.port, "GET", "/defer-now", NULL, 0, NULL, &r), 202);
    assert_string_equal(r.body.data, "now");

    /* the answer, from this thread; its header value lives only until finish returns */
    bm_http_response *res = bm_http_deferred_response(d);
    assert_int_equal(res->status, 500); /* preset */
    assert_true(is_uuid4(res->request_id));
    char value[32];
    snprintf(value, sizeof(value), "later-%d", 7);
    res->status = 201;
    res->content_type = "text/x-later";
    assert_int_equal(bm_buf_puts(&res->body, "later:"), BM_OK);
    assert_int_equal(bm_buf_append(&res->body, dslot.body, dslot.body_len), BM_OK);
    res->extra[0] = (bm_http_header){"X-Later", value};
    res->nextra = 1;
    bm_http_deferred_finish(d);
    memset(value, 'x', sizeof(value) - 1); /* copied by finish */

    pthread_join(t, NULL);
    assert_int_equal(c.status, 201);
    assert_int_equal(c.r.body.len, 11);
    assert_memory_equal(c.r.body.data, "later:hello", 11);
    assert_string_equal(reply_header(&c.r, "X-Later", NULL), "later-7");
    assert_string_equal(reply_header(&c.r, "Content-Type", NULL), "text/x-later");
    assert_true(is_uuid4(reply_header(&c.r, "x-amzn-RequestId", NULL)));
    bm_buf_release(&c.r.body);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

/* ==================================================================================== */
/* Misbehaving clients                                                                  */
/* ==================================================================================== */

static void test_client_disconnects(void **state)
{
    bm_http_server *s = start(0, 2, 3);
    int port = bm_http_port(s);
    char buf[4096];

    /* Half a body, then close; the same with a reset; half the headers; garbage. */
    const char *head = "POST /raw HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n";
    for (int mode = 0; mode < 2; mode++) {
        int fd = raw_connect(port);
        assert_true(fd >= 0);
        assert_int_equal(send_all(fd, head, strlen(head)), 0);
        memset(buf, 'h', 500);
        assert_int_equal(send_all(fd, buf, 500), 0);
        if (mode == 1) {
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        close(fd);
    }
    int fd = raw_connect(port);
    assert_true(fd >= 0);
    assert_int_equal(send_all(fd, "POST /raw HTTP/1.1\r\nHo", 22), 0);
    close(fd);
    const char *junk = "\x01\x02 garbage \xff\r\n\r\n";
    int st = raw_exchange(port, junk, strlen(junk), buf, sizeof(buf));
    assert_true(st == 0 || st == 400 || st == 505);
    /* Strict parsing: HTTP/1.1 needs Host; no spaces in the target. */
    const char *nohost = "GET /id HTTP/1.1\r\nConnection: close\r\n\r\n";
    assert_int_equal(raw_exchange(port, nohost, strlen(nohost), buf, sizeof(buf)), 400);
    const char *space = "GET /a b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    st = raw_exchange(port, space, strlen(space), buf, sizeof(buf));
    assert_true(st == 0 || st == 400);

    /* A client that leaves while its handler runs. */
    fd = raw_connect(port);
    assert_true(fd >= 0);
    const char *slow = "GET /sleep?ms=200 HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_int_equal(send_all(fd, slow, strlen(slow)), 0);
    close(fd);

    /* A client that sends half a body and stays: cut after the idle timeout, others served. */
    int stalled = raw_connect(port);
    assert_true(stalled >= 0);
    assert_int_equal(send_all(stalled, head, strlen(head)), 0);
    assert_int_equal(send_all(stalled, "abc", 3), 0);

    struct reply r;
    reply_init(&r);
    for (int i = 0; i < 20; i++)
        assert_int_equal(simple(port, "POST", "/raw", "fine", 4, NULL, &r), 200);
    assert_string_equal(r.body.data, "fine");
    /* The stalled one: the server closes it within the 3 s timeout (recv_all waits up to 5 s). */
    size_t n = recv_all(stalled, buf, sizeof(buf));
    assert_int_equal(n, 0);
    close(stalled);
    assert_int_equal(simple(port, "GET", "/id", NULL, 0, NULL, &r), 200);

    /* The aborted requests never reached the handler; the sleeper did. */
    int calls = atomic_load(&hc.calls);
    assert_int_equal(calls, 1 + 20 + 1);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

/* ==================================================================================== */
/* Hostile clients: the request deadline, the per-address limit, many connections         */
/* ==================================================================================== */

static bm_http_server *start_opts(bm_http_opts o)
{
    memset(&hc, 0, sizeof(hc));
    o.host = "127.0.0.1";
    o.port = 0;
    bm_error err;
    bm_error_clear(&err);
    bm_http_server *s = bm_http_start(&o, handler, &hc, &err);
    if (!s) print_error("bm_http_start: %s\n", err.msg);
    assert_non_null(s);
    return s;
}

/* A raw connection from a given loopback address (127.0.0.0/8 is all local), with the receive
 * timeout given; -1 on failure. */
static int raw_connect_from(int port, const char *from, int rcv_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {rcv_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct timeval stv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &stv, sizeof(stv));
    struct sockaddr_in me = {.sin_family = AF_INET};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (inet_pton(AF_INET, from, &me.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when the server has closed fd: a read sees the end of the stream or a reset. */
static int closed_by_server(int fd)
{
    char b[256];
    for (int i = 0; i < 64; i++) {
        ssize_t k = recv(fd, b, sizeof(b), 0);
        if (k == 0) return 1;
        if (k < 0) return errno == ECONNRESET || errno == EPIPE;
    }
    return 0;
}

/* A client that trickles a header line every 100 ms keeps libmicrohttpd's idle timer fresh; the
 * request deadline cuts it anyway, never before the deadline, and its request never reaches the
 * handler. Meanwhile others are served; a handler slower than the deadline still answers; an
 * idle keep-alive connection is closed once the deadline has passed since its last response. */
static void test_request_deadline(void **state)
{
    bm_http_server *s =
        start_opts((bm_http_opts){.threads = 2, .timeout_s = 60, .request_timeout_s = 2});
    int port = bm_http_port(s);
    double t0 = now_s();
    int fd = raw_connect_from(port, "127.0.0.1", 5);
    assert_true(fd >= 0);
    const char *line = "GET /id HTTP/1.1\r\nHost: t\r\n";
    assert_int_equal(send_all(fd, line, strlen(line)), 0);
    int cut = 0, sent = 0;
    /* bounded: 600 lines, 60 s, far past the 2 s deadline */
    for (int i = 0; i < 600 && !cut; i++) {
        char h[64];
        int n = snprintf(h, sizeof(h), "X-Trickle-%d: %d\r\n", i, i);
        if (send(fd, h, (size_t)n, MSG_NOSIGNAL) != n) {
            cut = 1;
            break;
        }
        sent++;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        char b[16];
        ssize_t k = recv(fd, b, sizeof(b), MSG_DONTWAIT);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) cut = 1;
    }
    double took = now_s() - t0;
    close(fd);
    print_message("trickler: %s after %.1f s, %d header lines\n", cut ? "cut" : "still open", took,
                  sent);
    assert_true(cut);
    assert_true(took >= 1.9); /* the deadline is 2 s from the accept: never earlier */
    assert_int_equal(atomic_load(&hc.calls), 0);
    bm_http_stats hs;
    bm_http_stats_get(s, &hs);
    assert_int_equal(hs.deadline_closed, 1);

    /* A handler slower than the deadline: the deadline covers receiving, not answering. */
    struct reply r;
    reply_init(&r);
    assert_int_equal(simple(port, "GET", "/sleep?ms=3000", NULL, 0, NULL, &r), 200);
    assert_string_equal(r.body.data, "slept");

    /* Keep-alive: served, then closed once idle past the deadline. */
    fd = raw_connect_from(port, "127.0.0.1", 30);
    assert_true(fd >= 0);
    const char *get = "GET /id HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_int_equal(send_all(fd, get, strlen(get)), 0);
    char buf[4096];
    ssize_t k = recv(fd, buf, sizeof(buf) - 1, 0);
    assert_true(k > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0);
    assert_true(closed_by_server(fd)); /* within the 30 s receive timeout */
    close(fd);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

/* More connections than the per-address limit from one address are closed at once; another
 * address is served meanwhile; a freed slot can be used again. */
static void test_per_address_limit(void **state)
{
    bm_http_server *s = start_opts((bm_http_opts){.threads = 2, .per_address = 4, .timeout_s = 60});
    int port = bm_http_port(s);
    int held[4];
    for (int i = 0; i < 4; i++) {
        held[i] = raw_connect_from(port, "127.0.0.2", 30);
        assert_true(held[i] >= 0);
    }
    /* The fifth from 127.0.0.2 is accepted by the kernel and closed by the server. */
    int extra = raw_connect_from(port, "127.0.0.2", 30);
    assert_true(extra >= 0);
    assert_true(closed_by_server(extra));
    close(extra);
    /* Another address is served. */
    int other = raw_connect_from(port, "127.0.0.3", 30);
    assert_true(other >= 0);
    char buf[4096];
    const char *get = "GET /id HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    assert_int_equal(send_all(other, get, strlen(get)), 0);
    ssize_t k = recv(other, buf, sizeof(buf) - 1, 0);
    assert_true(k > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0);
    close(other);
    /* A held one closes: 127.0.0.2 gets a slot back (libmicrohttpd frees it on its own thread,
     * so poll: at most 100 tries). */
    close(held[0]);
    int served = 0;
    for (int i = 0; i < 100 && !served; i++) {
        int fd = raw_connect_from(port, "127.0.0.2", 30);
        assert_true(fd >= 0);
        if (send_all(fd, get, strlen(get)) == 0) {
            k = recv(fd, buf, sizeof(buf) - 1, 0);
            served = k > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0;
        }
        close(fd);
        if (!served) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(served);
    for (int i = 1; i < 4; i++)
        close(held[i]);
    stop_bounded(s, 30);
}

/* Large bodies being received share one memory budget: a request that would exceed it gets
 * 503 at once, small requests are never charged, and the budget comes back when a body is done. */
static void test_body_memory(void **state)
{
    const size_t mib = (size_t)1 << 20;
    bm_http_server *s =
        start_opts((bm_http_opts){.threads = 2, .max_body = mib, .body_memory = mib});
    int port = bm_http_port(s);
    /* A: a 1 MiB body, half sent, held (it has 30 s before the deadline). */
    int a = raw_connect_from(port, "127.0.0.1", 30);
    assert_true(a >= 0);
    char head[200];
    int hl = snprintf(head, sizeof(head),
                      "POST /raw HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", mib);
    assert_int_equal(send_all(a, head, (size_t)hl), 0);
    char *chunk = malloc(mib);
    assert_non_null(chunk);
    memset(chunk, 'a', mib);
    assert_int_equal(send_all(a, chunk, mib / 2), 0);
    /* B: 512 KiB more would exceed the budget: 503 (polled: A's reservation is made when its
     * headers are read, on the server's thread). */
    struct reply r;
    reply_init(&r);
    long st = 0;
    for (int i = 0; i < 100 && st != 503; i++) {
        st = simple(port, "POST", "/raw", chunk, mib / 2, NULL, &r);
        if (st != 503) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(st, 503);
    assert_non_null(strstr(r.body.data, "ServiceUnavailable"));
    bm_http_stats hs;
    bm_http_stats_get(s, &hs);
    assert_true(hs.body_memory_refused >= 1);
    /* Small bodies are not charged. */
    assert_int_equal(simple(port, "POST", "/raw", chunk, 1000, NULL, &r), 200);
    /* A finishes and is answered in full; then B fits. */
    assert_int_equal(send_all(a, chunk, mib / 2), 0);
    char buf[256];
    ssize_t k = recv(a, buf, sizeof(buf) - 1, 0);
    assert_true(k > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0);
    close(a);
    st = 0;
    for (int i = 0; i < 100 && st != 200;
         i++) { /* A's completion is reported on the server's thread */
        st = simple(port, "POST", "/raw", chunk, mib / 2, NULL, &r);
        if (st != 200) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(st, 200);
    assert_int_equal(r.body.len, mib / 2);
    free(chunk);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

/* Hundreds of silent connections (more than the old limit of 256), spread over addresses as
 * the per-address limit asks, leave room for a real client. */
#define SILENT 600
static void test_many_connections(void **state)
{
    bm_http_server *s = start_opts((bm_http_opts){.threads = 2, .timeout_s = 60});
    int port = bm_http_port(s);
    static int fds[SILENT];
    int n = 0;
    for (; n < SILENT; n++) {
        char from[32];
        snprintf(from, sizeof(from), "127.0.1.%d", 1 + n / 50);
        fds[n] = raw_connect_from(port, from, 30);
        if (fds[n] < 0) break;
    }
    assert_int_equal(n, SILENT);
    /* Every silent one is accepted by the server (one request on each of a sample proves it is
     * being read, not waiting in the kernel's queue), and a new client is served too. */
    const char *get = "GET /id HTTP/1.1\r\nHost: t\r\n\r\n";
    char buf[4096];
    for (int i = 0; i < SILENT; i += 97) {
        assert_int_equal(send_all(fds[i], get, strlen(get)), 0);
        ssize_t k = recv(fds[i], buf, sizeof(buf) - 1, 0);
        assert_true(k > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0);
    }
    struct reply r;
    reply_init(&r);
    assert_int_equal(simple(port, "GET", "/id", NULL, 0, NULL, &r), 200);
    bm_http_stats hs;
    bm_http_stats_get(s, &hs);
    assert_true(hs.open >= SILENT);
    for (int i = 0; i < SILENT; i++)
        close(fds[i]);
    /* all closed: the gauge comes back to 0 (closes are seen on the server's threads: poll) */
    for (int i = 0; i < 200 && hs.open > 0; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        bm_http_stats_get(s, &hs);
    }
    assert_int_equal(hs.open, 0);
    bm_http_stats_get(NULL, &hs);
    assert_int_equal(hs.open, 0);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

/* ==================================================================================== */
/* Starting and stopping                                                                */
/* ==================================================================================== */

static void test_stop_idle(void **state)
{
    /* Straight after start. */
    bm_http_server *s = start(0, 4, 5);
    stop_bounded(s, 30);
    bm_http_stop(NULL);

    /* With idle keep-alive connections open. */
    s = start(0, 4, 30);
    int port = bm_http_port(s);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct reply r;
    reply_init(&r);
    assert_int_equal(request(c, port, "GET", "/id", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    int fd = raw_connect(port); /* connected, silent */
    assert_true(fd >= 0);
    stop_bounded(s, 10);
    close(fd);

    /* The port no longer answers. */
    assert_int_equal(simple(port, "GET", "/id", NULL, 0, NULL, &r), -1);
    curl_easy_cleanup(c);
    bm_buf_release(&r.body);
}

struct sleeper {
    int port;
    int id;
    long ms;
    long status;
    CURLcode rc;
    char body[16];
};

static void *sleeper_main(void *arg)
{
    struct sleeper *sl = arg;
    struct reply *r = malloc(sizeof(*r));
    if (!r) return NULL;
    reply_init(r);
    char target[64];
    snprintf(target, sizeof(target), "/sleep?ms=%ld&id=%d", sl->ms ? sl->ms : 400, sl->id);
    CURL *c = curl_easy_init();
    if (c) {
        sl->rc = request(c, sl->port, "GET", target, NULL, 0, NULL, r);
        sl->status = r->status;
        snprintf(sl->body, sizeof(sl->body), "%s", r->body.data ? r->body.data : "");
        curl_easy_cleanup(c);
    }
    bm_buf_release(&r->body);
    free(r);
    return NULL;
}

static void test_stop_in_flight(void **state)
{
    bm_http_server *s = start(0, 8, 5);
    enum { N = 6 };
    struct sleeper sl[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        sl[i] = (struct sleeper){.port = bm_http_port(s), .id = i, .rc = CURLE_FAILED_INIT};
        assert_int_equal(pthread_create(&t[i], NULL, sleeper_main, &sl[i]), 0);
    }
    /* Wait (at most 5 s) until a handler runs. */
    for (int i = 0; i < 500 && atomic_load(&hc.active) == 0; i++)
        sleep_ms(10);
    assert_true(atomic_load(&hc.active) > 0);
    int started[N];
    for (int i = 0; i < N; i++)
        started[i] = atomic_load(&hc.started[i]);
    stop_bounded(s, 30);
    assert_int_equal(atomic_load(&hc.active), 0);
    int served = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        /* A request whose handler had begun is answered in full. */
        if (started[i]) {
            assert_int_equal(sl[i].rc, CURLE_OK);
            assert_int_equal(sl[i].status, 200);
            assert_string_equal(sl[i].body, "slept");
            served++;
        } else if (sl[i].rc == CURLE_OK) {
            assert_true(sl[i].status == 200 || sl[i].status == 503);
        }
    }
    assert_true(served > 0);
}

static void test_stop_refuses_new(void **state)
{
    bm_http_server *s = start(0, 8, 5);
    struct sleeper sl = {.port = bm_http_port(s), .id = 0, .rc = CURLE_FAILED_INIT, .ms = 1000};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, sleeper_main, &sl), 0);
    for (int i = 0; i < 500 && atomic_load(&hc.active) == 0; i++)
        sleep_ms(10);
    assert_true(atomic_load(&hc.active) > 0);
    static struct stopper st;
    stop_begin(&st, s);
    sleep_ms(50);

    /* While the sleeper drains, new requests are refused (or, on the busy worker, cut). */
    struct reply r;
    reply_init(&r);
    int refused = 0;
    for (int i = 0; i < 3; i++) {
        long status = simple(sl.port, "GET", "/id", NULL, 0, NULL, &r);
        assert_true(status == 503 || status == -1);
        if (status != 503) continue;
        refused++;
        assert_string_equal(reply_header(&r, "Connection", NULL), "close");
        assert_true(is_uuid4(reply_header(&r, "x-amzn-RequestId", NULL)));
        assert_non_null(strstr(r.body.data, "\"ServiceUnavailable\""));
    }
    print_message("%d of 3 late requests answered 503\n", refused);
    stop_end(&st, 30);
    pthread_join(t, NULL);
    assert_int_equal(sl.rc, CURLE_OK);
    assert_int_equal(sl.status, 200);
    assert_int_equal(atomic_load(&hc.calls), 1);
    bm_buf_release(&r.body);
}

/* Allocation failures at every step of a request: an error answer or a dropped connection,
 * never a crash or a leak; the server is fine afterwards. */
static void test_out_of_memory(void **state)
{
    bm_http_server *s = start(0, 1, 5);
    int port = bm_http_port(s);
    struct reply r;
    reply_init(&r);
    for (int i = 0; i < 4096 / 8; i++)
        assert_int_equal(bm_buf_puts(&r.body, "prealloc"), BM_OK);
    int outcomes[3] = {0, 0, 0}; /* dropped, 500, 200 */
    for (long n = 1; n <= 8; n++) {
        bm_alloc_fail_after(n);
        long status = simple(port, "POST", "/raw", "abc", 3, NULL, &r);
        bm_alloc_fail_after(0);
        assert_true(status == -1 || status == 500 || status == 200);
        outcomes[status == -1 ? 0 : status == 500 ? 1 : 2]++;
        assert_int_equal(simple(port, "POST", "/raw", "fine", 4, NULL, &r), 200);
        assert_string_equal(r.body.data, "fine");
    }
    print_message("dropped %d, 500 %d, 200 %d\n", outcomes[0], outcomes[1], outcomes[2]);
    assert_true(outcomes[0] > 0 && outcomes[1] > 0 && outcomes[2] > 0);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

static void test_start_errors(void **state)
{
    bm_error err;
    bm_http_opts o = {.host = "localhost"};
    assert_null(bm_http_start(&o, handler, &hc, &err));
    assert_int_equal(err.code, BM_EINVAL);
    assert_non_null(strstr(err.msg, "localhost"));
    o = (bm_http_opts){.port = 70000};
    assert_null(bm_http_start(&o, handler, &hc, &err));
    assert_int_equal(err.code, BM_EINVAL);
    o = (bm_http_opts){.threads = 8, .max_connections = 4};
    assert_null(bm_http_start(&o, handler, &hc, &err));
    assert_int_equal(err.code, BM_EINVAL);
    assert_null(bm_http_start(NULL, NULL, &hc, &err));
    assert_int_equal(err.code, BM_EINVAL);

    /* A port in use: the reason is reported. */
    bm_http_server *s = start(0, 1, 5);
    o = (bm_http_opts){.host = "127.0.0.1", .port = bm_http_port(s)};
    bm_error_clear(&err);
    assert_null(bm_http_start(&o, handler, &hc, &err));
    assert_int_equal(err.code, BM_EIO);
    assert_true(strlen(err.msg) > 0);
    print_message("port in use: %s\n", err.msg);
    stop_bounded(s, 30);
}

static void test_ipv6(void **state)
{
    bm_http_opts o = {.host = "[::1]", .threads = 2};
    bm_error err;
    bm_http_server *s = bm_http_start(&o, handler, &hc, &err);
    if (!s) {
        print_message("no IPv6 loopback here: %s\n", err.msg);
        skip();
    }
    char target[64];
    snprintf(target, sizeof(target), "http://[::1]:%d/echo", bm_http_port(s));
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct reply r;
    reply_init(&r);
    curl_easy_setopt(c, CURLOPT_URL, target);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    json_t *j = json_loads(r.body.data, 0, NULL);
    assert_non_null(j);
    assert_true(strncmp(json_string_value(json_object_get(j, "remote")), "[::1]:", 6) == 0);
    json_decref(j);
    curl_easy_cleanup(c);
    bm_buf_release(&r.body);
    stop_bounded(s, 30);
}

static int global_setup(void **state)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int global_teardown(void **state)
{
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_echo),          cmocka_unit_test(test_get_and_raw_path),
        cmocka_unit_test(test_status_and_headers), cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_header_limit),       cmocka_unit_test(test_concurrent_clients),
        cmocka_unit_test(test_deferred),           cmocka_unit_test(test_client_disconnects),
        cmocka_unit_test(test_request_deadline),   cmocka_unit_test(test_per_address_limit),
        cmocka_unit_test(test_many_connections),   cmocka_unit_test(test_body_memory),
        cmocka_unit_test(test_stop_idle),          cmocka_unit_test(test_stop_in_flight),
        cmocka_unit_test(test_stop_refuses_new),   cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_start_errors),       cmocka_unit_test(test_ipv6),
    };
    return cmocka_run_group_tests(tests, global_setup, global_teardown);
}
