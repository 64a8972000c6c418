/* Open-loop load at a fixed request rate against biasmon serve's API, for latency at a given
 * throughput (wrk is closed-loop: it measures latency at whatever rate the server sustains with N
 * connections, and wrk2, the open-loop fork, is not packaged by Debian).
 *
 * usage: serve_rate --port PORT [options]   (--help lists them)
 *
 * Request i is due at t0 + i / RATE. When it is due it goes out on an idle keep-alive connection
 * (--connections of them, one request in flight on each, no pipelining); when none is idle it
 * waits in a queue and goes out as soon as one frees. Two latencies are recorded per request:
 *   - from the time it was due to the end of its response ("corrected", as wrk2 reports it: a
 *     slow response delays the requests behind it, and they count that delay), and
 *   - from the time it was written to the end of its response ("service").
 * Requests due during the first --warmup seconds are sent but not counted. The bodies cycle
 * over --cycle values: body i is --body-fmt with i % CYCLE for its one %d conversion.
 * With --sign DIR every request is signed (SigV4, bm_sigv4_sign, DIR/credentials) before the
 * run starts, with the start time as X-Amz-Date, so signing costs the client nothing during it.
 * Every response must be HTTP 200 (or --ok-status), or it counts as an error.
 *
 * Loopback only by intent (--host defaults to 127.0.0.1); the run is bounded by --duration plus
 * --drain seconds. Prints a report and one machine-readable line:
 *   RESULT sent=... ok=... errors=... rate=... p50_ms=... p90_ms=... p99_ms=... p999_ms=...
 *          max_ms=... svc_p50_ms=... svc_p99_ms=... late_ms_max=...
 * Exit status 0 when every counted request got the expected status, 1 otherwise, 2 for a bad
 * command line. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/sigv4.h"

#define MAX_CONN 256

typedef struct req {
    char *data; /* the whole HTTP request */
    size_t len;
    double due, sent, done;
    int status; /* HTTP status, 0: none */
} req;

typedef struct conn {
    int fd;
    long cur; /* request in flight, -1: idle */
    size_t wpos;
    char *rbuf;
    size_t rlen, rcap;
} conn;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[n] by the nearest-rank method. */
static double quantile(const double *v, size_t n, double q)
{
    if (!n) return 0;
    size_t k = (size_t)(q * (double)n + 0.999999);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

static int usage(FILE *out, int rc)
{
    fputs("usage: serve_rate --port PORT [options]\n"
          "  --host ADDR          IPv4 address of biasmon serve (default 127.0.0.1)\n"
          "  --rate R             requests per second (default 1000)\n"
          "  --duration S         seconds of counted load (default 10)\n"
          "  --warmup S           seconds of load before it, not counted (default 1)\n"
          "  --connections C      keep-alive connections (default 8, at most 256)\n"
          "  --target T           X-Amz-Target (default SageMaker.DescribeMonitoringSchedule)\n"
          "  --body-fmt F         request body with one %d (default "
          "{\"MonitoringScheduleName\":\"bench-%04d\"})\n"
          "  --cycle N            the %d runs over 0..N-1 (default 1000)\n"
          "  --sign DIR           sign every request with DIR/credentials (default: unsigned)\n"
          "  --region R           region for --sign (default us-east-1)\n"
          "  --drain S            seconds to wait for the last responses (default 10)\n"
          "  --ok-status N        the HTTP status every response must have (default 200; e.g. 400 "
          "with an\n"
          "                       unknown --target, to time requests that never touch the state)\n"
          "  --path P             POST P with --content-type and the body, no X-Amz-Target: "
          "InvokeEndpoint\n"
          "                       (/endpoints/NAME/invocations, signed with --sign) or a model "
          "server\n"
          "  --content-type CT    the Content-Type with --path (default text/csv)\n",
          out);
    return rc;
}

static int connect_one(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Length of a complete response at the start of b, 0 when incomplete, -1 when unparseable. */
static long response_len(const char *b, size_t n, int *status)
{
    const char *end = NULL;
    for (size_t k = 3; k < n; k++)
        if (b[k - 3] == '\r' && b[k - 2] == '\n' && b[k - 1] == '\r' && b[k] == '\n') {
            end = b + k + 1;
            break;
        }
    if (!end) return 0;
    if (n < 12 || strncmp(b, "HTTP/1.", 7)) return -1;
    *status = (int)strtol(b + 9, NULL, 10); /* three digits after "HTTP/1.x " */
    long clen = -1;
    for (const char *p = b; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) break;
        if ((size_t)(eol - p) > 15 && !strncasecmp(p, "Content-Length:", 15))
            clen = strtol(p + 15, NULL, 10);
        p = eol + 1;
    }
    if (clen < 0) return -1; /* biasmon serve always sends Content-Length */
    long total = (long)(end - b) + clen;
    return (size_t)total <= n ? total : 0;
}

/* An option's number: the whole text, or bad set (then the value checks below refuse it). */
static int opt_int(const char *v, int *bad)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < INT_MIN || x > INT_MAX) *bad = 1;
    return (int)x;
}

static double opt_double(const char *v, int *bad)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end) *bad = 1;
    return x;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *target = "SageMaker.DescribeMonitoringSchedule";
    const char *fmt = "{\"MonitoringScheduleName\":\"bench-%04d\"}", *sign_dir = NULL,
               *region = "us-east-1";
    const char *path = NULL,
               *ctype = "text/csv"; /* --path: a plain POST (InvokeEndpoint, a model server) */
    int port = 0, nconn = 8, cycle = 1000, ok_status = 200;
    double rate = 1000, duration = 10, warmup = 1, drain = 10;
    int bad_opt = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) return usage(stdout, 0);
        if (i + 1 >= argc) return usage(stderr, 2);
        const char *v = argv[++i];
        if (!strcmp(a, "--host"))
            host = v;
        else if (!strcmp(a, "--port"))
            port = opt_int(v, &bad_opt);
        else if (!strcmp(a, "--rate"))
            rate = opt_double(v, &bad_opt);
        else if (!strcmp(a, "--duration"))
            duration = opt_double(v, &bad_opt);
        else if (!strcmp(a, "--warmup"))
            warmup = opt_double(v, &bad_opt);
        else if (!strcmp(a, "--connections"))
            nconn = opt_int(v, &bad_opt);
        else if (!strcmp(a, "--target"))
            target = v;
        else if (!strcmp(a, "--body-fmt"))
            fmt = v;
        else if (!strcmp(a, "--cycle"))
            cycle = opt_int(v, &bad_opt);
        else if (!strcmp(a, "--sign"))
            sign_dir = v;
        else if (!strcmp(a, "--region"))
            region = v;
        else if (!strcmp(a, "--drain"))
            drain = opt_double(v, &bad_opt);
        else if (!strcmp(a, "--ok-status"))
            ok_status = opt_int(v, &bad_opt);
        else if (!strcmp(a, "--path"))
            path = v;
        else if (!strcmp(a, "--content-type"))
            ctype = v;
        else
            return usage(stderr, 2);
    }
    const char *pct = strchr(fmt, '%');
    if (bad_opt || port <= 0 || port > 65535 || rate <= 0 || rate > 1e6 || duration <= 0 ||
        duration > 3600 || warmup < 0 || warmup > 600 || nconn < 1 || nconn > MAX_CONN ||
        cycle < 1 || drain < 0 || drain > 600 || !pct || strchr(pct + 1, '%') ||
        !strchr(pct, 'd')) {
        fprintf(stderr,
                "serve_rate: bad option value (--body-fmt needs exactly one %%d conversion)\n");
        return usage(stderr, 2);
    }

    /* ---- every request, built (and signed) before the clock starts ---- */
    size_t total = (size_t)((warmup + duration) * rate + 0.5),
           counted_from = (size_t)(warmup * rate + 0.5);
    req *rq = calloc(total ? total : 1, sizeof(req));
    if (!rq) return 1;
    char hosthdr[300];
    snprintf(hosthdr, sizeof(hosthdr), "%s:%d", host, port);
    char id[160] = "", secret[160] = "";
    if (sign_dir) {
        bm_error err;
        bm_error_clear(&err);
        if (bm_credentials_load(sign_dir, id, sizeof(id), secret, sizeof(secret), &err)) {
            fprintf(stderr, "serve_rate: %s\n", err.msg);
            return 1;
        }
    }
    bm_sigv4_key key = {id, secret};
    int64_t sign_time = (int64_t)time(NULL);
    char body[4096], head[2048];
    for (size_t i = 0; i < total; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        int bl = snprintf(body, sizeof(body), fmt, (int)(i % (size_t)cycle));
#pragma GCC diagnostic pop
        if (bl < 0 || (size_t)bl >= sizeof(body)) return 1;
        int hl;
        if (path && sign_dir) {
            bm_http_header hs[2] = {{"host", hosthdr}, {"content-type", ctype}};
            bm_sigv4_request sr = {"POST", path, "", hs, 2, body, (size_t)bl};
            char date[32], auth[1024];
            if (bm_sigv4_sign(&sr, &key, region, "sagemaker", sign_time, date, sizeof(date), auth,
                              sizeof(auth))) {
                fprintf(stderr, "serve_rate: cannot sign\n");
                return 1;
            }
            hl = snprintf(head, sizeof(head),
                          "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nX-Amz-Date: "
                          "%s\r\nAuthorization: %s\r\n"
                          "Content-Length: %d\r\n\r\n",
                          path, hosthdr, ctype, date, auth, bl);
        } else if (path) {
            hl = snprintf(
                head, sizeof(head),
                "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
                path, hosthdr, ctype, bl);
        } else if (sign_dir) {
            bm_http_header hs[3] = {{"host", hosthdr},
                                    {"content-type", "application/x-amz-json-1.1"},
                                    {"x-amz-target", target}};
            bm_sigv4_request sr = {"POST", "/", "", hs, 3, body, (size_t)bl};
            char date[32], auth[1024];
            if (bm_sigv4_sign(&sr, &key, region, "sagemaker", sign_time, date, sizeof(date), auth,
                              sizeof(auth))) {
                fprintf(stderr, "serve_rate: cannot sign\n");
                return 1;
            }
            hl = snprintf(
                head, sizeof(head),
                "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"
                "X-Amz-Target: %s\r\nX-Amz-Date: %s\r\nAuthorization: %s\r\nContent-Length: "
                "%d\r\n\r\n",
                hosthdr, target, date, auth, bl);
        } else {
            hl = snprintf(
                head, sizeof(head),
                "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"
                "X-Amz-Target: %s\r\nContent-Length: %d\r\n\r\n",
                hosthdr, target, bl);
        }
        if (hl < 0 || (size_t)hl >= sizeof(head)) return 1;
        rq[i].len = (size_t)hl + (size_t)bl;
        if (!(rq[i].data = malloc(rq[i].len))) return 1;
        memcpy(rq[i].data, head, (size_t)hl);
        memcpy(rq[i].data + hl, body, (size_t)bl);
    }
    memset(secret, 0, sizeof(secret));

    /* ---- connections ---- */
    int ep = epoll_create1(EPOLL_CLOEXEC),
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ep < 0 || tfd < 0) return 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)MAX_CONN};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    conn cs[MAX_CONN];
    for (int c = 0; c < nconn; c++) {
        cs[c] = (conn){.fd = connect_one(host, port), .cur = -1, .rcap = 1 << 16};
        cs[c].rbuf = malloc(cs[c].rcap);
        if (cs[c].fd < 0 || !cs[c].rbuf) {
            fprintf(stderr, "serve_rate: cannot connect to %s:%d: %s\n", host, port,
                    strerror(errno));
            return 1;
        }
        ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = (uint64_t)c};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[c].fd, &ev);
    }

    /* ---- the run ---- */
    long *queue = malloc((total ? total : 1) * sizeof(long));
    if (!queue) return 1;
    size_t qh = 0, qt = 0, next = 0, finished = 0;
    long reconnects = 0, transport_errors = 0;
    double t0 = mono() + 0.05, late_max = 0;
    double deadline = t0 + warmup + duration + drain;
    while (finished < total) {
        double now = mono();
        if (now > deadline) break;
        while (next < total && t0 + (double)next / rate <= now) {
            rq[next].due = t0 + (double)next / rate;
            queue[qt++] = (long)next++;
        }
        for (int c = 0; c < nconn && qh < qt; c++) {
            if (cs[c].cur >= 0) continue;
            long i = queue[qh++];
            cs[c].cur = i;
            cs[c].wpos = 0;
            rq[i].sent = mono();
            if (rq[i].sent - rq[i].due > late_max && (size_t)i >= counted_from)
                late_max = rq[i].sent - rq[i].due;
            ssize_t w = write(cs[c].fd, rq[i].data, rq[i].len);
            if (w > 0) cs[c].wpos = (size_t)w;
            if (cs[c].wpos < rq[i].len) { /* rare on loopback: finish it when writable */
                ev = (struct epoll_event){.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)c};
                epoll_ctl(ep, EPOLL_CTL_MOD, cs[c].fd, &ev);
            }
        }
        /* sleep until the next request is due or a response arrives */
        if (next < total) {
            double due = t0 + (double)next / rate;
            struct itimerspec its = {{0, 0},
                                     {(time_t)due, (long)((due - (double)(time_t)due) * 1e9)}};
            if (its.it_value.tv_nsec <= 0 && its.it_value.tv_sec <= 0) its.it_value.tv_nsec = 1;
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        }
        struct epoll_event evs[MAX_CONN + 1];
        int ne = epoll_wait(ep, evs, MAX_CONN + 1, next < total ? -1 : 100);
        for (int k = 0; k < ne; k++) {
            uint64_t c = evs[k].data.u64;
            if (c == MAX_CONN) {
                uint64_t x;
                if (read(tfd, &x, sizeof(x)) < 0) { /* spurious: nothing to do */
                }
                continue;
            }
            conn *cn = &cs[c];
            if ((evs[k].events & EPOLLOUT) && cn->cur >= 0) {
                req *r = &rq[cn->cur];
                ssize_t w = write(cn->fd, r->data + cn->wpos, r->len - cn->wpos);
                if (w > 0) cn->wpos += (size_t)w;
                if (cn->wpos == r->len) {
                    ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, cn->fd, &ev);
                }
            }
            if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                if (cn->rlen == cn->rcap) {
                    char *nb = realloc(cn->rbuf, cn->rcap * 2);
                    if (!nb) return 1;
                    cn->rbuf = nb;
                    cn->rcap *= 2;
                }
                ssize_t got = read(cn->fd, cn->rbuf + cn->rlen, cn->rcap - cn->rlen);
                if (got > 0) {
                    cn->rlen += (size_t)got;
                    continue;
                }
                if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                /* closed or failed: the request in flight is an error; reconnect */
                if (cn->cur >= 0) {
                    rq[cn->cur].done = mono();
                    rq[cn->cur].status = -1;
                    finished++;
                    transport_errors++;
                }
                epoll_ctl(ep, EPOLL_CTL_DEL, cn->fd, NULL);
                close(cn->fd);
                cn->fd = connect_one(host, port);
                cn->cur = -1;
                cn->rlen = 0;
                reconnects++;
                if (cn->fd < 0) {
                    fprintf(stderr, "serve_rate: cannot reconnect: %s\n", strerror(errno));
                    return 1;
                }
                ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, cn->fd, &ev);
                break;
            }
            int status = 0;
            long len;
            while (cn->fd >= 0 && cn->rlen &&
                   (len = response_len(cn->rbuf, cn->rlen, &status)) != 0) {
                if (len < 0 || cn->cur < 0) {
                    fprintf(stderr, "serve_rate: unparseable or unexpected response\n");
                    return 1;
                }
                rq[cn->cur].done = mono();
                rq[cn->cur].status = status;
                finished++;
                cn->cur = -1;
                memmove(cn->rbuf, cn->rbuf + len, cn->rlen - (size_t)len);
                cn->rlen -= (size_t)len;
            }
        }
    }
    double t_end = mono();

    /* ---- report ---- */
    size_t n = total > counted_from ? total - counted_from : 0, ok = 0, bad = 0, missing = 0;
    double *lat = malloc((n ? n : 1) * sizeof(double)), *svc = malloc((n ? n : 1) * sizeof(double));
    if (!lat || !svc) return 1;
    int first_bad = 0;
    for (size_t i = counted_from; i < total; i++) {
        if (!rq[i].done) {
            missing++;
            continue;
        }
        if (rq[i].status != ok_status) {
            if (!first_bad) first_bad = rq[i].status;
            bad++;
            continue;
        }
        lat[ok] = (rq[i].done - rq[i].due) * 1e3;
        svc[ok] = (rq[i].done - rq[i].sent) * 1e3;
        ok++;
    }
    qsort(lat, ok, sizeof(double), cmp_d);
    qsort(svc, ok, sizeof(double), cmp_d);
    double span = 0;
    if (n) {
        double first = rq[counted_from].due, last = 0;
        for (size_t i = counted_from; i < total; i++)
            if (rq[i].done > last) last = rq[i].done;
        span = last - first;
    }
    printf("serve_rate: %s at %.0f req/s for %.1f s (+%.1f s warm-up), %d connections%s\n", target,
           rate, duration, warmup, nconn, sign_dir ? ", SigV4-signed" : "");
    printf("  counted %zu: %zu HTTP %d, %zu other (first status %d), %zu unanswered; %ld transport "
           "errors, %ld reconnects\n",
           n, ok, ok_status, bad, first_bad, missing, transport_errors, reconnects);
    printf("  achieved %.1f responses/s over %.3f s (whole run %.3f s)\n",
           span > 0 ? (double)ok / span : 0, span, t_end - t0);
    printf("  latency from due time (ms):  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
           quantile(lat, ok, .5), quantile(lat, ok, .9), quantile(lat, ok, .99),
           quantile(lat, ok, .999), ok ? lat[ok - 1] : 0);
    printf("  latency from write (ms):     p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
           quantile(svc, ok, .5), quantile(svc, ok, .9), quantile(svc, ok, .99),
           quantile(svc, ok, .999), ok ? svc[ok - 1] : 0);
    printf("  latest send after its due time: %.3f ms\n", late_max * 1e3);
    printf("RESULT sent=%zu ok=%zu errors=%zu rate=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
           "p999_ms=%.3f max_ms=%.3f "
           "svc_p50_ms=%.3f svc_p99_ms=%.3f late_ms_max=%.3f\n",
           n, ok, bad + missing, span > 0 ? (double)ok / span : 0, quantile(lat, ok, .5),
           quantile(lat, ok, .9), quantile(lat, ok, .99), quantile(lat, ok, .999),
           ok ? lat[ok - 1] : 0, quantile(svc, ok, .5), quantile(svc, ok, .99), late_max * 1e3);
    for (int c = 0; c < nconn; c++) {
        if (cs[c].fd >= 0) close(cs[c].fd);
        free(cs[c].rbuf);
    }
    for (size_t i = 0; i < total; i++)
        free(rq[i].data);
    free(rq);
    free(queue);
    free(lat);
    free(svc);
    return ok == n ? 0 : 1;
}
