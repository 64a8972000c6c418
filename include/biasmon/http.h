/* The HTTP server under biasmon serve (libmicrohttpd): whole requests in, whole responses out. */
#ifndef BIASMON_HTTP_H
#define BIASMON_HTTP_H

#include <stddef.h>
#include "biasmon/common.h"
#include "biasmon/sigv4.h"

/* A complete request. Every pointer is valid only during the handler call. */
typedef struct bm_http_request {
    const char *method;
    const char *path;  /* without the query; as on the request line, not percent-decoded */
    const char *query; /* raw, "" when none */
    const bm_http_header *headers;
    size_t nheaders;
    const char *body; /* NUL-terminated for convenience; body_len bytes */
    size_t body_len;
    const char *remote; /* client address, for logs: "127.0.0.1:5555", "[::1]:5555" */
    const struct bm_http_server *server; /* the server answering (bm_http_stats) */
} bm_http_request;

/* A request answered later (bm_http_defer, below). */
typedef struct bm_http_deferred bm_http_deferred;
typedef void (*bm_http_start_fn)(void *arg, bm_http_deferred *d);

/* The server presets status 500 (so a handler that forgets to answer is visible), content_type
 * NULL (sent as application/octet-stream when there is a body) and a body capped at 256 MiB.
 * A status outside 200-599 is sent as 500 without the body. Extra headers that libmicrohttpd
 * refuses (Content-Length, CR/LF in a value) are dropped. */
typedef struct bm_http_response {
    int status;
    const char *content_type; /* static string (deferred: valid until finish returns) */
    bm_buf body;              /* the handler appends; the server frees */
    bm_http_header extra[8];  /* extra headers (static or handler-owned strings valid until sent) */
    size_t nextra;
    char request_id[40]; /* x-amzn-RequestId, filled by the server before the handler runs */
    /* set by bm_http_defer (the server's, not the handler's) */
    bm_http_start_fn defer_start;
    void *defer_arg;
} bm_http_response;

/* Called once per complete request, on a server thread; several may run at once. A handler that
 * must wait for something slow answers later instead (bm_http_defer). Never called
 * for requests the server refuses itself: body over max_body (413), more than 100 headers (431),
 * while stopping (503), body_memory spent (503), all with an AWS JSON error body and
 * x-amzn-RequestId. */
typedef void (*bm_http_handler)(void *ctx, const bm_http_request *req, bm_http_response *res);

typedef struct bm_http_opts {
    const char *host;           /* listen address, default "127.0.0.1" */
    int port;                   /* 0 = an ephemeral port (see bm_http_port) */
    size_t max_body;            /* requests with larger bodies get 413; default 8 MiB */
    size_t body_memory;         /* bytes of request bodies beyond their first 64 KiB that all
                                 * connections together may hold while receiving (bodies are whole
                                 * before SigV4 can be checked); a request that would exceed it gets
                                 * 503 ServiceUnavailable. At least max_body; default 256 MiB */
    unsigned threads;           /* worker threads; default 4 */
    unsigned max_connections;   /* open connections at once, at most 65536; default 4096 */
    unsigned per_address;       /* open connections from one client address (IPv4, or whole IPv6
                                 * address), at most max_connections; more are closed at accept;
                                 * default 64 */
    unsigned timeout_s;         /* idle timeout: a connection on which nothing is received or sent
                                 * for this long is closed; default 10 */
    unsigned extra_files;       /* file descriptors the caller keeps open beyond the server's and a
                                 * reserve of 256 (its own outgoing connections): counted when the
                                 * open-files limit is raised; default 0 */
    unsigned request_timeout_s; /* request deadline: a connection that has not delivered a whole
                                 * request (request line, headers, body) within this many seconds of
                                 * its accept or of its previous response is closed, however slowly
                                 * it keeps sending; default 30 */
} bm_http_opts;

typedef struct bm_http_server bm_http_server;

/* Starts listening; requests are served on the server's own threads until bm_http_stop.
 * Connections are event-driven (epoll): a connection costs a descriptor and a 64 KiB buffer,
 * not a thread. opts may be NULL (all defaults); zero fields take their defaults. host must be
 * an IPv4 or IPv6 literal ("::1" or "[::1]"). Raises the process's soft limit on open files to
 * max_connections + 256 + extra_files when it is lower (within the hard limit). Returns NULL and
 * fills err (may be NULL) on failure: BM_EINVAL for bad options (also threads > max_connections,
 * per_address > max_connections, or a hard limit on open files below max_connections + 256 +
 * extra_files), BM_EIO when the address cannot be bound (with the reason), BM_ENOMEM. */
bm_http_server *bm_http_start(const bm_http_opts *opts, bm_http_handler handler, void *ctx,
                              bm_error *err);
/* The port actually bound (useful with port 0). */
int bm_http_port(const bm_http_server *s);

/* What the connection limits have done so far (counters since start; `open` is a gauge). */
typedef struct bm_http_stats {
    uint64_t open;                /* connections open now (accepted, not yet closed) */
    uint64_t deadline_closed;     /* closed because a whole request had not arrived in time */
    uint64_t body_memory_refused; /* requests answered 503 because body_memory was spent */
} bm_http_stats;
/* Fills *out (zeros when s is NULL). Safe from any thread, also from a handler. */
void bm_http_stats_get(const bm_http_server *s, bm_http_stats *out);
/* ---- Answering later ----
 * A handler that would wait for something slow (InvokeEndpoint's model server) leaves the server
 * thread free instead: it calls bm_http_defer(res, start, arg) and returns without filling res.
 * The server then suspends the connection (nothing is read from it or sent on it, and no timeout
 * runs: the owner bounds the wait) and calls start(arg, d) on the same thread. From then on the
 * request's body bytes (req->body, req->body_len) stay valid until d is finished; the other
 * pointers of req do not outlive the handler. The owner of d fills bm_http_deferred_response(d)
 * (preset as for a handler: status 500, request_id filled) and calls bm_http_deferred_finish(d)
 * exactly once, from any thread, possibly within start; the response is then sent on a server
 * thread. Every deferred request must be finished before bm_http_stop is called. */
/* Within a handler only: answer this request later (res is then ignored). start is called exactly
 * once, after the handler returned. */
void bm_http_defer(bm_http_response *res, bm_http_start_fn start, void *arg);
/* The response to fill (valid until bm_http_deferred_finish). */
bm_http_response *bm_http_deferred_response(bm_http_deferred *d);
/* Sends the filled response (its extra headers and content type are copied here, so they need
 * only live until this returns) and resumes the connection; d is invalid afterwards. Safe from
 * any thread. When the response cannot be built (out of memory) the connection is closed. */
void bm_http_deferred_finish(bm_http_deferred *d);

/* 1 when host is a loopback literal: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z (brackets allowed).
 * Anything else, wildcards (0.0.0.0, ::) and NULL included, reaches beyond this machine: 0. */
int bm_http_host_is_loopback(const char *host);
/* Stops accepting, finishes requests in flight, frees the server. NULL is a no-op.
 * Requests arriving meanwhile get 503 with Connection: close; requests in flight get up to
 * timeout_s + 1 seconds to complete before their connections are closed. */
void bm_http_stop(bm_http_server *s);

#endif
