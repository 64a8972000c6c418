/* The HTTP server under biasmon serve: libmicrohttpd with a thread pool, whole requests in. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "biasmon/http.h"
#include "biasmon/random.h"

#define DEFAULT_MAX_BODY ((size_t)8 << 20)
#define DEFAULT_BODY_MEMORY ((size_t)256 << 20)
/* The first bytes of every body are not charged to body_memory: connections are bounded, and
 * almost every API request is smaller, so filling the budget blocks large requests only. */
#define FREE_BODY ((size_t)64 << 10)
#define DEFAULT_THREADS 4u
#define DEFAULT_MAX_CONNECTIONS 4096u
#define DEFAULT_PER_ADDRESS 64u
#define DEFAULT_TIMEOUT_S 10u
#define DEFAULT_REQUEST_TIMEOUT_S 30u
#define MAX_THREADS 1024u
#define MAX_CONNECTIONS 65536u
#define MAX_TIMEOUT_S 86400u
/* File descriptors kept for everything but connections (state, logs, workers' pipes, libcurl). */
#define FD_RESERVE 256u
/* More request headers than this are answered 431 without calling the handler. */
#define MAX_HEADERS 100
/* Bytes read per connection for the request line and headers (and the read buffer). */
#define CONNECTION_MEMORY ((size_t)64 << 10)
/* A body over max_body is read and dropped (never buffered) up to this many extra bytes so that
 * the 413 reaches the client on a clean connection; beyond it the connection is cut. */
#define DISCARD_MAX ((size_t)4 << 20)
/* Largest response body a handler may build. */
#define MAX_RESPONSE ((size_t)256 << 20)

#define AWS_JSON "application/x-amz-json-1.1"

/* One connection, from accept to close (libmicrohttpd's socket context). While it waits for a
 * request (from its accept, or from its previous response on) it is on the server's waiting
 * list, oldest first; the reaper cuts it once request_timeout has passed, however many bytes
 * it trickles meanwhile (libmicrohttpd's own timeout restarts with each byte). */
struct conn {
    struct conn *prev, *next; /* the waiting list (cmu) */
    uint64_t since;           /* monotonic ns: when it started waiting (cmu) */
    int fd;
    int waiting; /* on the list (cmu) */
};

struct bm_http_server {
    struct MHD_Daemon *daemon;
    bm_http_handler handler;
    void *ctx;
    size_t max_body;
    size_t body_memory;
    atomic_size_t body_used; /* charged to body_memory by requests receiving large bodies */
    unsigned timeout_s;
    int port;
    atomic_int stopping;    /* new requests get 503; responses close their connection */
    atomic_int log_capture; /* libmicrohttpd messages are kept only while starting */
    pthread_mutex_t mu;
    pthread_cond_t drained;
    size_t inflight; /* requests between their request line and their completion (mu) */
    char log[256];   /* libmicrohttpd's last message while starting (mu) */

    /* The request deadline: connections waiting for a whole request, oldest first. cmu is taken
     * by libmicrohttpd's threads (accept, request done, close) and by the reaper thread. */
    pthread_mutex_t cmu;
    pthread_cond_t cwake;
    struct conn *head, *tail;
    uint64_t request_timeout_ns;
    int reaper_stop; /* (cmu) */
    atomic_uint_fast64_t open_conns, deadline_closed, body_memory_refused;
    int reaper_running;
    pthread_t reaper;
};

/* A request answered later (bm_http_defer): its connection is suspended from the handler's
 * return until bm_http_deferred_finish has built the response and resumed it; the server thread
 * then queues `ready`. */
struct bm_http_deferred {
    struct MHD_Connection *conn;
    bm_http_response res;       /* what the owner fills */
    struct MHD_Response *ready; /* built by finish, queued on the server thread */
    unsigned status;
};

/* One request: created when the request line arrives, freed when MHD reports it completed. */
struct request {
    bm_http_server *srv;
    char *target;      /* the raw request-target, split at '?' in place */
    const char *path;  /* into target */
    const char *query; /* into target, or "" */
    struct conn *conn; /* its connection's state, or NULL when that could not be allocated */
    bm_buf body;
    size_t dropped;       /* body bytes past max_body, read and thrown away */
    unsigned started : 1; /* the access handler has seen the headers */
    unsigned too_large : 1;
    unsigned oom : 1;
    unsigned no_memory : 1; /* body_memory is spent: 503 */
    unsigned deferred : 1;  /* answered later: d */
    struct bm_http_deferred d;
    size_t charged; /* bytes charged to body_memory */
    char request_id[40];
    char remote[INET6_ADDRSTRLEN + 8];
};

/* ==================================================================================== */
/* Request ids                                                                          */
/* ==================================================================================== */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Random bytes from OpenSSL; should it fail, a clock-and-counter mix that is still unique within
 * the process (ids must be unique, not secret). */
static void random_bytes(unsigned char *p, size_t n)
{
    if (bm_random_bytes(p, n) == BM_OK) return;
    static _Atomic uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
                    (atomic_fetch_add(&counter, 1) << 40);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = splitmix64(&seed);
        for (size_t j = 0; j < 8 && i + j < n; j++)
            p[i + j] = (unsigned char)(v >> (8 * j));
    }
}

/* A UUID version 4 in its 36-character lower-case form. */
static void make_request_id(char out[40])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char u[16];
    random_bytes(u, sizeof(u));
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
        out[k++] = hex[u[i] >> 4];
        out[k++] = hex[u[i] & 15];
    }
    out[k] = 0;
}

/* ==================================================================================== */
/* The request deadline                                                                 */
/* ==================================================================================== */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void list_remove(bm_http_server *s, struct conn *c)
{
    if (!c->waiting) return;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->tail = c->prev;
    c->prev = c->next = NULL;
    c->waiting = 0;
}

/* The connection starts waiting for a request now: to the tail (the list stays in `since`
 * order because the clock is read under the lock). */
static void conn_wait(bm_http_server *s, struct conn *c)
{
    if (!c) return;
    pthread_mutex_lock(&s->cmu);
    list_remove(s, c);
    c->since = mono_ns();
    c->prev = s->tail;
    if (s->tail)
        s->tail->next = c;
    else
        s->head = c;
    s->tail = c;
    c->waiting = 1;
    if (s->head == c) pthread_cond_signal(&s->cwake);
    pthread_mutex_unlock(&s->cmu);
}

/* The whole request is in (or refused): no deadline until its response has been sent. */
static void conn_busy(bm_http_server *s, struct conn *c)
{
    if (!c) return;
    pthread_mutex_lock(&s->cmu);
    list_remove(s, c);
    pthread_mutex_unlock(&s->cmu);
}

/* MHD_OPTION_NOTIFY_CONNECTION: accepted, or about to be closed. libmicrohttpd reports the
 * close before it closes the descriptor, so a connection on the list always has an open one. */
static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    bm_http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn *c = bm_calloc(1, sizeof(*c));
        if (!c) {
            /* Untracked it would escape the deadline: refuse it (libmicrohttpd sees the end of
             * the stream and closes it). */
            if (ci) (void)shutdown(ci->connect_fd, SHUT_RDWR);
            *socket_context = NULL;
            return;
        }
        c->fd = ci ? ci->connect_fd : -1;
        *socket_context = c;
        atomic_fetch_add(&s->open_conns, 1);
        if (c->fd >= 0) conn_wait(s, c);
        return;
    }
    struct conn *c = *socket_context;
    *socket_context = NULL;
    if (!c) return;
    conn_busy(s, c);
    atomic_fetch_sub(&s->open_conns, 1);
    bm_free(c);
}

/* The reaper thread: cuts each connection whose request has not fully arrived within
 * request_timeout of it starting to wait. shutdown() under cmu, so the descriptor is still the
 * connection's; libmicrohttpd then reads the end of the stream and closes it on its own thread. */
static void *reaper_main(void *arg)
{
    bm_http_server *s = arg;
    pthread_mutex_lock(&s->cmu);
    while (!s->reaper_stop) {
        uint64_t now = mono_ns();
        /* bounded: each turn takes one connection off a list of at most max_connections */
        while (s->head && now - s->head->since >= s->request_timeout_ns) {
            struct conn *c = s->head;
            list_remove(s, c);
            (void)shutdown(c->fd, SHUT_RDWR);
            atomic_fetch_add(&s->deadline_closed, 1);
        }
        uint64_t wake = s->head ? s->head->since + s->request_timeout_ns : now + 1000000000u;
        struct timespec ts = {(time_t)(wake / 1000000000u), (long)(wake % 1000000000u)};
        (void)pthread_cond_timedwait(&s->cwake, &s->cmu, &ts);
    }
    pthread_mutex_unlock(&s->cmu);
    return NULL;
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* ==================================================================================== */
/* Responses                                                                            */
/* ==================================================================================== */

/* Builds a response (on any thread: it is not yet tied to a connection); takes `data` (freed
 * with bm_free, also on failure). NULL when out of memory. */
static struct MHD_Response *build_response(struct request *rq, const char *content_type, char *data,
                                           size_t len, const bm_http_header *extra, size_t nextra)
{
    struct MHD_Response *resp;
    if (data)
        resp = MHD_create_response_from_buffer_with_free_callback(len, data, bm_free);
    else
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        bm_free(data);
        return NULL;
    }
    for (size_t i = 0; i < nextra; i++) {
        /* libmicrohttpd refuses Content-Length and malformed headers; those are skipped. */
        if (extra[i].name && extra[i].value)
            (void)MHD_add_response_header(resp, extra[i].name, extra[i].value);
    }
    if (content_type)
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    else if (len)
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                      "application/octet-stream");
    (void)MHD_add_response_header(resp, "x-amzn-RequestId", rq->request_id);
    if (atomic_load(&rq->srv->stopping))
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    return resp;
}

/* Queues a response; takes `data` (freed with bm_free, also on failure). */
static enum MHD_Result send_response(struct MHD_Connection *conn, struct request *rq, int status,
                                     const char *content_type, char *data, size_t len,
                                     const bm_http_header *extra, size_t nextra)
{
    conn_busy(rq->srv, rq->conn);
    struct MHD_Response *resp = build_response(rq, content_type, data, len, extra, nextra);
    if (!resp) return MHD_NO;
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* An AWS JSON 1.1 error: {"__type": ..., "message": ...} and x-amzn-ErrorType. The texts need no
 * escaping. */
static enum MHD_Result send_error(struct MHD_Connection *conn, struct request *rq, int status,
                                  const char *type, const char *fmt, ...) BM_PRINTF(5, 6);

static enum MHD_Result send_error(struct MHD_Connection *conn, struct request *rq, int status,
                                  const char *type, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bm_buf b;
    bm_buf_init(&b, 512);
    if (bm_buf_printf(&b, "{\"__type\": \"%s\", \"message\": \"%s\"}", type, msg) != BM_OK) {
        bm_buf_release(&b);
        return send_response(conn, rq, status, NULL, NULL, 0, NULL, 0);
    }
    size_t len;
    char *data = bm_buf_take(&b, &len);
    bm_http_header et = {"x-amzn-ErrorType", type};
    return send_response(conn, rq, status, AWS_JSON, data, len, &et, 1);
}

/* ==================================================================================== */
/* Request lifecycle                                                                    */
/* ==================================================================================== */

/* Charges the request up to `total` body bytes (the first FREE_BODY are free); 0 when the
 * budget cannot take it. */
static int body_charge(struct request *rq, uint64_t total)
{
    bm_http_server *s = rq->srv;
    if (total <= FREE_BODY) return 1;
    uint64_t want = total - FREE_BODY;
    if (want <= rq->charged) return 1;
    size_t more = (size_t)(want - rq->charged);
    size_t used = atomic_load(&s->body_used);
    do {
        if (used > s->body_memory || more > s->body_memory - used) return 0;
    } while (!atomic_compare_exchange_weak(&s->body_used, &used, used + more));
    rq->charged += more;
    return 1;
}

static void request_free(struct request *rq)
{
    if (!rq) return;
    if (rq->deferred) {
        bm_buf_release(&rq->d.res.body);
        if (rq->d.ready) MHD_destroy_response(rq->d.ready);
    }
    if (rq->charged) atomic_fetch_sub(&rq->srv->body_used, rq->charged);
    bm_buf_release(&rq->body);
    bm_free(rq->target);
    bm_free(rq);
}

/* MHD_OPTION_URI_LOG_CALLBACK: called with the raw request-target before libmicrohttpd splits
 * and percent-decodes it; the result becomes the access handler's *con_cls. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    bm_http_server *srv = cls;
    struct request *rq = bm_calloc(1, sizeof(*rq));
    if (!rq) return NULL;
    rq->srv = srv;
    rq->conn = conn_of(conn);
    rq->target = bm_strdup(uri ? uri : "");
    if (!rq->target) {
        bm_free(rq);
        return NULL;
    }
    char *q = strchr(rq->target, '?');
    if (q) *q++ = 0;
    rq->path = rq->target;
    rq->query = q ? q : "";
    bm_buf_init(&rq->body, srv->max_body);
    make_request_id(rq->request_id);
    pthread_mutex_lock(&srv->mu);
    srv->inflight++;
    pthread_mutex_unlock(&srv->mu);
    return rq;
}

/* MHD_OPTION_NOTIFY_COMPLETED: the response was sent, or the connection went away. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    bm_http_server *srv = cls;
    struct request *rq = *con_cls;
    *con_cls = NULL;
    /* A response sent in full: the connection waits for its next request, under the deadline. */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) conn_wait(srv, conn_of(conn));
    if (!rq) return;
    request_free(rq);
    pthread_mutex_lock(&srv->mu);
    if (--srv->inflight == 0) pthread_cond_broadcast(&srv->drained);
    pthread_mutex_unlock(&srv->mu);
}

static void format_remote(struct MHD_Connection *conn, char *out, size_t outlen)
{
    snprintf(out, outlen, "-");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return;
    char host[INET6_ADDRSTRLEN];
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        if (inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host)))
            snprintf(out, outlen, "%s:%u", host, (unsigned)ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host)))
            snprintf(out, outlen, "[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
    }
}

/* Parses a Content-Length value; 0 when absent or not a plain decimal (MHD validates it). */
static int content_length(const char *s, uint64_t *out)
{
    if (!s || !*s) return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return 0;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

struct header_list {
    bm_http_header *h;
    size_t n, cap;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct header_list *l = cls;
    if (l->n >= l->cap) return MHD_NO;
    l->h[l->n].name = key;
    l->h[l->n].value = value ? value : "";
    l->n++;
    return MHD_YES;
}

static enum MHD_Result body_memory_spent(struct MHD_Connection *conn, struct request *rq)
{
    atomic_fetch_add(&rq->srv->body_memory_refused, 1);
    return send_error(conn, rq, 503, "ServiceUnavailable",
                      "too many large request bodies are being received; retry later");
}

/* The first call, once the headers are in: refuse early what can be refused early. */
static enum MHD_Result on_headers(struct MHD_Connection *conn, struct request *rq)
{
    bm_http_server *srv = rq->srv;
    rq->started = 1;
    format_remote(conn, rq->remote, sizeof(rq->remote));
    if (atomic_load(&srv->stopping))
        return send_error(conn, rq, 503, "ServiceUnavailable", "the server is shutting down");
    int nh = MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL);
    if (nh > MAX_HEADERS)
        return send_error(conn, rq, 431, "ValidationException", "more than %d request headers",
                          MAX_HEADERS);
    uint64_t declared = 0;
    if (content_length(
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH),
            &declared) &&
        declared > srv->max_body) {
        const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Expect");
        int waiting = expect && strcasecmp(expect, "100-continue") == 0;
        /* A client waiting for "100 Continue" has sent no body: answer now. A client already
         * sending gets its answer after the body is drained, unless draining is too much. */
        if (waiting || declared - srv->max_body > DISCARD_MAX)
            return send_error(conn, rq, 413, "ValidationException",
                              "request body larger than %zu bytes", srv->max_body);
    } else if (declared > FREE_BODY && !body_charge(rq, declared)) {
        return body_memory_spent(conn, rq);
    }
    return MHD_YES;
}

/* A chunk of the body: kept up to max_body, dropped after. */
static enum MHD_Result on_body(struct request *rq, const char *data, size_t n)
{
    if (!rq->too_large && !rq->oom && !rq->no_memory &&
        !body_charge(rq, (uint64_t)rq->body.len + n)) {
        rq->no_memory = 1; /* a body without Content-Length outgrew the budget */
        rq->dropped = rq->body.len;
        bm_buf_release(&rq->body);
    }
    if (!rq->too_large && !rq->oom && !rq->no_memory) {
        int r = bm_buf_append(&rq->body, data, n);
        if (r == BM_OK) return MHD_YES;
        if (r == BM_ELIMIT) {
            rq->too_large = 1;
            rq->dropped = rq->body.len + n - rq->srv->max_body;
        } else {
            rq->oom = 1;
        }
        bm_buf_release(&rq->body);
        return MHD_YES;
    }
    if (rq->too_large || rq->no_memory) {
        rq->dropped += n;
        if (rq->dropped > DISCARD_MAX) return MHD_NO; /* cut the connection */
    }
    return MHD_YES;
}

static enum MHD_Result on_complete(struct MHD_Connection *conn, const char *method,
                                   struct request *rq)
{
    bm_http_server *srv = rq->srv;
    conn_busy(srv, rq->conn); /* the handler may take its time */
    if (rq->too_large)
        return send_error(conn, rq, 413, "ValidationException",
                          "request body larger than %zu bytes", srv->max_body);
    if (rq->oom) return send_error(conn, rq, 500, "InternalFailure", "out of memory");
    if (rq->no_memory) return body_memory_spent(conn, rq);

    bm_http_header headers[MAX_HEADERS];
    struct header_list hl = {headers, 0, MAX_HEADERS};
    (void)MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &hl);

    bm_http_request req = {
        .method = method,
        .path = rq->path,
        .query = rq->query,
        .headers = headers,
        .nheaders = hl.n,
        .body = rq->body.data ? rq->body.data : "",
        .body_len = rq->body.len,
        .remote = rq->remote,
        .server = srv,
    };
    bm_http_response res;
    memset(&res, 0, sizeof(res));
    res.status = 500;
    bm_buf_init(&res.body, MAX_RESPONSE);
    memcpy(res.request_id, rq->request_id, sizeof(res.request_id));

    srv->handler(srv->ctx, &req, &res);

    if (res.defer_start) {
        /* answered later: suspended before start runs, so its finish always finds it suspended */
        bm_buf_release(&res.body);
        rq->deferred = 1;
        rq->d.conn = conn;
        rq->d.res.status = 500;
        bm_buf_init(&rq->d.res.body, MAX_RESPONSE);
        memcpy(rq->d.res.request_id, rq->request_id, sizeof(rq->d.res.request_id));
        MHD_suspend_connection(conn);
        res.defer_start(res.defer_arg, &rq->d);
        return MHD_YES;
    }

    int status = res.status;
    if (status < 200 || status > 599) {
        status = 500;
        bm_buf_release(&res.body);
    }
    size_t nextra = res.nextra < 8 ? res.nextra : 8;
    size_t len;
    char *data = bm_buf_take(&res.body, &len);
    return send_response(conn, rq, status, res.content_type, data, len, res.extra, nextra);
}

/* ==================================================================================== */
/* Answering later                                                                      */
/* ==================================================================================== */

void bm_http_defer(bm_http_response *res, bm_http_start_fn start, void *arg)
{
    res->defer_start = start;
    res->defer_arg = arg;
}

bm_http_response *bm_http_deferred_response(bm_http_deferred *d)
{
    return &d->res;
}

void bm_http_deferred_finish(bm_http_deferred *d)
{
    struct request *rq = (struct request *)(void *)((char *)d - offsetof(struct request, d));
    bm_http_response *res = &d->res;
    int status = res->status;
    if (status < 200 || status > 599) {
        status = 500;
        bm_buf_release(&res->body);
    }
    size_t nextra = res->nextra < 8 ? res->nextra : 8;
    size_t len;
    char *data = bm_buf_take(&res->body, &len);
    d->status = (unsigned)status;
    d->ready = build_response(rq, res->content_type, data, len, res->extra, nextra);
    /* the server thread sees `ready` through libmicrohttpd's lock around the resumption */
    MHD_resume_connection(d->conn);
}

/* The access handler's call after the resumption: the response finish built, or none (the
 * connection is then closed). */
static enum MHD_Result send_deferred(struct MHD_Connection *conn, struct request *rq)
{
    struct MHD_Response *resp = rq->d.ready;
    rq->d.ready = NULL;
    if (!resp) return MHD_NO;
    enum MHD_Result r = MHD_queue_response(conn, rq->d.status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct request *rq = *con_cls;
    if (!rq) return MHD_NO; /* out of memory at the request line: drop the connection */
    if (rq->deferred) return send_deferred(conn, rq);
    if (!rq->started) return on_headers(conn, rq);
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return on_body(rq, upload_data, n);
    }
    return on_complete(conn, method, rq);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    bm_http_server *srv = cls;
    if (!atomic_load(&srv->log_capture)) return;
    pthread_mutex_lock(&srv->mu);
    vsnprintf(srv->log, sizeof(srv->log), fmt, ap);
    size_t n = strlen(srv->log);
    while (n && (srv->log[n - 1] == '\n' || srv->log[n - 1] == '.'))
        srv->log[--n] = 0;
    pthread_mutex_unlock(&srv->mu);
}

/* ==================================================================================== */
/* Start and stop                                                                       */
/* ==================================================================================== */

static void server_free(bm_http_server *s)
{
    pthread_cond_destroy(&s->cwake);
    pthread_mutex_destroy(&s->cmu);
    pthread_cond_destroy(&s->drained);
    pthread_mutex_destroy(&s->mu);
    bm_free(s);
}

/* Fills addr from an IPv4 or IPv6 literal ("::1" or "[::1]"). */
static int parse_host(const char *host, int port, struct sockaddr_storage *addr, int *v6)
{
    memset(addr, 0, sizeof(*addr));
    struct sockaddr_in *s4 = (struct sockaddr_in *)addr;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        *v6 = 0;
        return BM_OK;
    }
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = 0;
        host = buf;
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        return BM_OK;
    }
    return BM_EINVAL;
}

/* Each connection holds a file descriptor: raises the soft limit on open files to what
 * max_conn connections, the caller's extra descriptors and the rest of the process need, within
 * the hard limit. */
static int ensure_files(unsigned max_conn, unsigned extra, bm_error *err)
{
    rlim_t need = (rlim_t)max_conn + FD_RESERVE + extra;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return BM_OK; /* nothing to learn: MHD will say */
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) return BM_OK;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        bm_error_set(err, BM_EINVAL,
                     "%u connections need %" PRIu64 " open files, but this process may open at "
                     "most %" PRIu64
                     " (ulimit -Hn): lower the connection limit (--max-connections%s) "
                     "or raise that limit",
                     max_conn, (uint64_t)need, (uint64_t)rl.rlim_max,
                     extra ? ", --invoke-max-inflight" : "");
        return BM_EINVAL;
    }
    rl.rlim_cur = need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        bm_error_set(err, BM_EIO, "cannot allow %" PRIu64 " open files for %u connections: %s",
                     (uint64_t)need, max_conn, strerror(errno));
        return BM_EIO;
    }
    return BM_OK;
}

bm_http_server *bm_http_start(const bm_http_opts *opts, bm_http_handler handler, void *ctx,
                              bm_error *err)
{
    bm_http_opts o = {0};
    if (opts) o = *opts;
    const char *host = o.host && *o.host ? o.host : "127.0.0.1";
    size_t max_body = o.max_body ? o.max_body : DEFAULT_MAX_BODY;
    size_t body_memory = o.body_memory ? o.body_memory : DEFAULT_BODY_MEMORY;
    unsigned threads = o.threads ? o.threads : DEFAULT_THREADS;
    unsigned max_conn = o.max_connections ? o.max_connections : DEFAULT_MAX_CONNECTIONS;
    unsigned timeout_s = o.timeout_s ? o.timeout_s : DEFAULT_TIMEOUT_S;
    unsigned per_address = o.per_address ? o.per_address : DEFAULT_PER_ADDRESS;
    unsigned request_timeout_s =
        o.request_timeout_s ? o.request_timeout_s : DEFAULT_REQUEST_TIMEOUT_S;

    if (!handler) {
        bm_error_set(err, BM_EINVAL, "no request handler");
        return NULL;
    }
    if (o.port < 0 || o.port > 65535) {
        bm_error_set(err, BM_EINVAL, "port %d is not in 0-65535", o.port);
        return NULL;
    }
    if (threads > MAX_THREADS || max_conn > MAX_CONNECTIONS || timeout_s > MAX_TIMEOUT_S ||
        request_timeout_s > MAX_TIMEOUT_S || per_address > max_conn || max_body > SIZE_MAX / 2 ||
        body_memory < max_body || body_memory > SIZE_MAX / 2) {
        bm_error_set(err, BM_EINVAL,
                     "HTTP limits out of range (threads <= %u, connections <= %u, connections per "
                     "address <= connections, timeouts <= %u s, body memory >= max body)",
                     MAX_THREADS, MAX_CONNECTIONS, MAX_TIMEOUT_S);
        return NULL;
    }
    /* libmicrohttpd splits the connection limit among the pool threads. */
    if (max_conn < threads) {
        bm_error_set(err, BM_EINVAL, "%u connections cannot be shared by %u threads", max_conn,
                     threads);
        return NULL;
    }
    struct sockaddr_storage addr;
    int v6 = 0;
    if (parse_host(host, o.port, &addr, &v6) != BM_OK) {
        bm_error_set(err, BM_EINVAL, "listen address '%s' is not an IPv4 or IPv6 literal", host);
        return NULL;
    }
    if (o.extra_files > MAX_CONNECTIONS) {
        bm_error_set(err, BM_EINVAL, "%u extra files is more than %u", o.extra_files,
                     MAX_CONNECTIONS);
        return NULL;
    }
    if (ensure_files(max_conn, o.extra_files, err) != BM_OK) return NULL;

    bm_http_server *s = bm_calloc(1, sizeof(*s));
    if (!s) {
        bm_error_set(err, BM_ENOMEM, "out of memory");
        return NULL;
    }
    s->handler = handler;
    s->ctx = ctx;
    s->max_body = max_body;
    s->body_memory = body_memory;
    s->timeout_s = timeout_s;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->drained, &ca);
    pthread_mutex_init(&s->cmu, NULL);
    pthread_cond_init(&s->cwake, &ca);
    pthread_condattr_destroy(&ca);
    s->request_timeout_ns = (uint64_t)request_timeout_s * 1000000000u;
    atomic_store(&s->log_capture, 1);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
        flags |= MHD_USE_EPOLL;
    else if (MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES)
        flags |= MHD_USE_POLL;
    if (v6) flags |= MHD_USE_IPv6;

    /* One option per line (the pairs are easier to check that way). */
    /* clang-format off */
    s->daemon = MHD_start_daemon(flags, (uint16_t)o.port, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, max_conn,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_address,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY,
        MHD_OPTION_STRICT_FOR_CLIENT, 1, /* HTTP/1.1 needs Host; no spaces in the target */
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_END);
    /* clang-format on */
    int saved_errno = errno;
    atomic_store(&s->log_capture, 0);
    if (!s->daemon) {
        pthread_mutex_lock(&s->mu);
        if (s->log[0])
            bm_error_set(err, BM_EIO, "cannot listen on %s port %d: %s", host, o.port, s->log);
        else
            bm_error_set(err, BM_EIO, "cannot listen on %s port %d: %s", host, o.port,
                         saved_errno ? strerror(saved_errno) : "libmicrohttpd refused to start");
        pthread_mutex_unlock(&s->mu);
        server_free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? (int)di->port : o.port;
    if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
        bm_error_set(err, BM_ENOMEM, "cannot start the HTTP request-deadline thread");
        MHD_stop_daemon(s->daemon);
        server_free(s);
        return NULL;
    }
    s->reaper_running = 1;
    return s;
}

int bm_http_port(const bm_http_server *s)
{
    return s ? s->port : 0;
}

void bm_http_stats_get(const bm_http_server *s, bm_http_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!s) return;
    /* the counters are atomics; the cast drops const for atomic_load's older prototypes */
    bm_http_server *m = (bm_http_server *)s;
    out->open = atomic_load(&m->open_conns);
    out->deadline_closed = atomic_load(&m->deadline_closed);
    out->body_memory_refused = atomic_load(&m->body_memory_refused);
}

void bm_http_stop(bm_http_server *s)
{
    if (!s) return;
    /* Refuse new requests and let those in flight finish, for at most the idle timeout (a
     * stalled client is cut by libmicrohttpd by then anyway); then stop the threads. */
    atomic_store(&s->stopping, 1);
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)s->timeout_s + 1;
    pthread_mutex_lock(&s->mu);
    while (s->inflight > 0) {
        if (pthread_cond_timedwait(&s->drained, &s->mu, &deadline) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&s->mu);
    if (s->reaper_running) {
        pthread_mutex_lock(&s->cmu);
        s->reaper_stop = 1;
        pthread_cond_signal(&s->cwake);
        pthread_mutex_unlock(&s->cmu);
        pthread_join(s->reaper, NULL);
    }
    MHD_stop_daemon(s->daemon);
    server_free(s);
}

int bm_http_host_is_loopback(const char *host)
{
    char h[64];
    size_t n = host ? strlen(host) : 0;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') host++, n -= 2;
    if (!n || n >= sizeof(h)) return 0;
    memcpy(h, host, n);
    h[n] = 0;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, h, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, h, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6)) return 1;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return 0;
}
