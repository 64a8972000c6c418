/* What an honest client of biasmon serve experiences while an attacker holds connections:
 * slowloris connections (a request line, then one header line every --interval seconds, never
 * the end of the headers) and silent ones (connect, send nothing), each reopened as soon as the
 * server closes it, while one honest client on 127.0.0.1 sends signed ListMonitoringSchedules
 * requests and GET /metrics, one at a time, each on a new connection (as the aws CLI does).
 *
 * usage: serve_dos --port PORT --sign DIR [options]   (--help lists them)
 *
 * The attacker's connections come from other loopback addresses (127.1.x.y for slowloris,
 * 127.2.x.y for silent ones, --per-address to an address), so a per-address limit on the server
 * does not simply refuse them: the figure is the latency of a client on an address the attacker
 * does not use. Latency runs from connect() to the last byte of the response; a request not
 * answered within --timeout counts as an error (and as --timeout in the percentiles, which are
 * then lower bounds). The run is bounded by --duration seconds of honest requests (and
 * --requests pairs, --pace-ms apart).
 * Prints a report and one machine-readable line:
 *   RESULT slowloris=N idle=N held_min=... reopened=... api_ok=... api_err=... api_p50_ms=...
 *          api_p99_ms=... api_max_ms=... metrics_ok=... metrics_err=... metrics_p50_ms=...
 *          metrics_p99_ms=... metrics_max_ms=...
 * Exit status 0 when every honest request was answered 200, 1 otherwise, 2 for a bad command
 * line, 3 for a setup failure. Loopback only. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "biasmon/sigv4.h"

#define MAX_ATTACK 60000
#define MAX_SAMPLES 100000

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int port;

/* ==================================================================================== */
/* The attacker                                                                         */
/* ==================================================================================== */

struct attacker {
    int nslow, nidle, per_address;
    double interval;
    int *fd;       /* per slot, -1 when closed */
    char *pending; /* per slowloris slot: the request line waits for the connect to finish */
    int ep;
    atomic_int stop;
    atomic_int open_now;  /* slots with a connection */
    atomic_long reopened; /* connections the server closed and the attacker reopened */
    atomic_int ready;     /* the first round of connects is done */
};

static void slot_addr(const struct attacker *a, int slot, struct sockaddr_in *sa)
{
    int slow = slot < a->nslow;
    int k = (slow ? slot : slot - a->nslow) / a->per_address;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    /* 127.1.x.y slowloris, 127.2.x.y silent; y in 1..250 */
    sa->sin_addr.s_addr = htonl((127u << 24) | ((slow ? 1u : 2u) << 16) |
                                ((unsigned)(k / 250) << 8) | (unsigned)(k % 250 + 1));
}

static void slot_open(struct attacker *a, int slot)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    struct sockaddr_in me, to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    slot_addr(a, slot, &me);
    if (bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
        (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return;
    }
    /* a slowloris connection sends its request line once connected (EPOLLOUT) */
    a->pending[slot] = slot < a->nslow;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (a->pending[slot] ? EPOLLOUT : 0),
                             .data.u32 = (uint32_t)slot};
    if (epoll_ctl(a->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        return;
    }
    a->fd[slot] = fd;
    atomic_fetch_add(&a->open_now, 1);
}

static void slot_close(struct attacker *a, int slot)
{
    if (a->fd[slot] < 0) return;
    (void)epoll_ctl(a->ep, EPOLL_CTL_DEL, a->fd[slot], NULL);
    close(a->fd[slot]);
    a->fd[slot] = -1;
    atomic_fetch_sub(&a->open_now, 1);
}

static void *attacker_main(void *arg)
{
    struct attacker *a = arg;
    int n = a->nslow + a->nidle;
    for (int i = 0; i < n; i++)
        slot_open(a, i);
    atomic_store(&a->ready, 1);
    double next_line = mono() + a->interval;
    long line_no = 0;
    struct epoll_event evs[256];
    while (!atomic_load(&a->stop)) { /* bounded by the main thread's --duration */
        int k = epoll_wait(a->ep, evs, 256, 100);
        for (int i = 0; i < k; i++) {
            int slot = (int)evs[i].data.u32;
            if (slot >= n || a->fd[slot] < 0) continue;
            if ((evs[i].events & EPOLLOUT) && a->pending[slot]) {
                static const char line[] = "POST / HTTP/1.1\r\nHost: x\r\n";
                (void)send(a->fd[slot], line, sizeof(line) - 1, MSG_NOSIGNAL);
                a->pending[slot] = 0;
                struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                                         .data.u32 = (uint32_t)slot};
                (void)epoll_ctl(a->ep, EPOLL_CTL_MOD, a->fd[slot], &ev);
                if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) continue;
            }
            char buf[512];
            ssize_t r = recv(a->fd[slot], buf, sizeof(buf), 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
                (evs[i].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
                slot_close(a, slot);
                slot_open(a, slot);
                atomic_fetch_add(&a->reopened, 1);
            }
        }
        for (int i = 0; i < n; i++) /* slots that could not be reopened: try again */
            if (a->fd[i] < 0) slot_open(a, i);
        if (mono() >= next_line) {
            next_line += a->interval;
            line_no++;
            char h[64];
            int hl = snprintf(h, sizeof(h), "X-Slow-%ld: %ld\r\n", line_no, line_no);
            for (int i = 0; i < a->nslow; i++)
                if (a->fd[i] >= 0 && !a->pending[i])
                    (void)send(a->fd[i], h, (size_t)hl, MSG_NOSIGNAL);
        }
    }
    for (int i = 0; i < n; i++)
        slot_close(a, i);
    return NULL;
}

/* ==================================================================================== */
/* The honest client                                                                    */
/* ==================================================================================== */

/* One request on a new connection; the latency in seconds, or -1 when it was not answered 200
 * within timeout seconds. */
static double honest(const char *req, size_t len, double timeout)
{
    double t0 = mono(), end = t0 + timeout;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = 0;
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS) goto out;
    size_t sent = 0;
    char resp[1 << 16];
    size_t got = 0;
    long need = -1; /* header bytes + Content-Length, once known */
    for (int iter = 0; iter < 1000000; iter++) {
        double left = end - mono();
        if (left <= 0) goto out;
        struct pollfd p = {fd, (short)(sent < len ? POLLOUT : POLLIN), 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno != EINTR) goto out;
        if (r <= 0) continue;
        if (sent < len) {
            ssize_t k = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
            if (k < 0 && errno != EAGAIN) goto out;
            if (k > 0) sent += (size_t)k;
            continue;
        }
        ssize_t k = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
        if (k == 0) break;
        if (k < 0) {
            if (errno == EAGAIN) continue;
            goto out;
        }
        got += (size_t)k;
        resp[got] = 0;
        if (need < 0) {
            char *eoh = strstr(resp, "\r\n\r\n");
            if (eoh) {
                char *cl = strcasestr(resp, "\r\nContent-Length:");
                need = (long)(eoh + 4 - resp) + (cl && cl < eoh ? strtol(cl + 17, NULL, 10) : 0);
            }
        }
        if (need >= 0 && (long)got >= need) break;
        if (got + 1 >= sizeof(resp)) break;
    }
    ok = got >= 12 && memcmp(resp, "HTTP/1.1 200", 12) == 0 && need >= 0 && (long)got >= need;
out:
    close(fd);
    return ok ? mono() - t0 : -1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
    if (n == 0) return 0;
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

struct series {
    double *lat;
    int n, ok, err;
};

static void record(struct series *s, double lat, double timeout)
{
    if (s->n >= MAX_SAMPLES) return;
    if (lat < 0) {
        s->err++;
        s->lat[s->n++] = timeout;
    } else {
        s->ok++;
        s->lat[s->n++] = lat;
    }
}

static int usage(int rc)
{
    fputs(
        "usage: serve_dos --port PORT --sign DIR [options]\n"
        "  --port PORT          biasmon serve's port on 127.0.0.1\n"
        "  --sign DIR           sign the API requests with DIR/credentials (the data directory)\n"
        "  --region R           region for the signature (default us-east-1)\n"
        "  --slowloris N        slowloris connections held (default 1000)\n"
        "  --idle N             silent connections held (default 1000)\n"
        "  --per-address K      attacker connections per source address (default 50)\n"
        "  --interval S         seconds between a slowloris connection's header lines (default 5)\n"
        "  --settle S           seconds between opening the attack and the first request (default "
        "2)\n"
        "  --requests N         honest API requests, and as many GET /metrics (default 500)\n"
        "  --duration S         stop the honest requests after S seconds (default 60)\n"
        "  --pace-ms MS         pause between two honest pairs of requests (default 0)\n"
        "  --timeout S          an honest request unanswered after S seconds is an error (default "
        "5)\n",
        rc ? stderr : stdout);
    return rc;
}

int main(int argc, char **argv)
{
    const char *sign_dir = NULL, *region = "us-east-1";
    int nslow = 1000, nidle = 1000, per = 50, requests = 500;
    double interval = 5, settle = 2, duration = 60, timeout = 5, pace_ms = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) return usage(0);
        if (i + 1 >= argc) return usage(2);
        const char *v = argv[++i];
        char *end = NULL;
        double d = strtod(v, &end);
        int num = end && end != v && !*end && d >= 0 && d <= 1e6;
        if (!strcmp(a, "--sign"))
            sign_dir = v;
        else if (!strcmp(a, "--region"))
            region = v;
        else if (!num)
            return usage(2);
        else if (!strcmp(a, "--port"))
            port = (int)d;
        else if (!strcmp(a, "--slowloris"))
            nslow = (int)d;
        else if (!strcmp(a, "--idle"))
            nidle = (int)d;
        else if (!strcmp(a, "--per-address"))
            per = (int)d;
        else if (!strcmp(a, "--interval"))
            interval = d;
        else if (!strcmp(a, "--settle"))
            settle = d;
        else if (!strcmp(a, "--requests"))
            requests = (int)d;
        else if (!strcmp(a, "--duration"))
            duration = d;
        else if (!strcmp(a, "--timeout"))
            timeout = d;
        else if (!strcmp(a, "--pace-ms"))
            pace_ms = d;
        else
            return usage(2);
    }
    if (!sign_dir || port <= 0 || port > 65535 || per < 1 || interval <= 0 || timeout <= 0 ||
        nslow + nidle > MAX_ATTACK || requests < 1 || requests > MAX_SAMPLES ||
        (nslow + per - 1) / per > 250 * 250 || (nidle + per - 1) / per > 250 * 250)
        return usage(2);

    /* the attacker's descriptors, within the hard limit */
    struct rlimit rl;
    rlim_t need = (rlim_t)(nslow + nidle) + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
            fprintf(stderr, "serve_dos: %d connections need %lu open files; ulimit -Hn is %lu\n",
                    nslow + nidle, (unsigned long)need, (unsigned long)rl.rlim_max);
            return 3;
        }
        rl.rlim_cur = need;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            perror("serve_dos: setrlimit");
            return 3;
        }
    }

    /* the honest requests, built (and signed) before the clock starts */
    char id[160], secret[160], hostport[32];
    bm_error err;
    bm_error_clear(&err);
    if (bm_credentials_load(sign_dir, id, sizeof(id), secret, sizeof(secret), &err)) {
        fprintf(stderr, "serve_dos: %s\n", err.msg);
        return 3;
    }
    snprintf(hostport, sizeof(hostport), "127.0.0.1:%d", port);
    const char *body = "{}", *target = "SageMaker.ListMonitoringSchedules";
    bm_http_header hs[3] = {{"host", hostport},
                            {"content-type", "application/x-amz-json-1.1"},
                            {"x-amz-target", target}};
    bm_sigv4_request sr = {"POST", "/", "", hs, 3, body, strlen(body)};
    bm_sigv4_key key = {id, secret};
    char date[32], auth[1024];
    if (bm_sigv4_sign(&sr, &key, region, "sagemaker", (int64_t)time(NULL), date, sizeof(date), auth,
                      sizeof(auth))) {
        fprintf(stderr, "serve_dos: cannot sign\n");
        return 3;
    }
    memset(secret, 0, sizeof(secret));
    char api[2048], metrics[256];
    int api_len =
        snprintf(api, sizeof(api),
                 "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"
                 "X-Amz-Target: %s\r\nX-Amz-Date: %s\r\nAuthorization: %s\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 hostport, target, date, auth, strlen(body), body);
    int metrics_len =
        snprintf(metrics, sizeof(metrics),
                 "GET /metrics HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", hostport);
    if (api_len <= 0 || (size_t)api_len >= sizeof(api) || metrics_len <= 0) return 3;

    /* a baseline check: the server answers before the attack */
    if (honest(api, (size_t)api_len, timeout) < 0) {
        fprintf(stderr, "serve_dos: the server does not answer a signed ListMonitoringSchedules "
                        "before the attack (wrong --port or --sign?)\n");
        return 3;
    }

    struct attacker a = {.nslow = nslow, .nidle = nidle, .per_address = per, .interval = interval};
    a.fd = malloc(sizeof(int) * (size_t)(nslow + nidle + 1));
    a.pending = calloc((size_t)(nslow + nidle + 1), 1);
    a.ep = epoll_create1(EPOLL_CLOEXEC);
    if (!a.fd || !a.pending || a.ep < 0) return 3;
    for (int i = 0; i < nslow + nidle; i++)
        a.fd[i] = -1;
    pthread_t th;
    double t_attack = mono();
    if (pthread_create(&th, NULL, attacker_main, &a) != 0) return 3;
    for (int i = 0; i < 600 && !atomic_load(&a.ready); i++) { /* at most 60 s */
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    double opened = mono() - t_attack;
    struct timespec st = {(time_t)settle, (long)((settle - (double)(time_t)settle) * 1e9)};
    nanosleep(&st, NULL);

    struct series sa = {calloc(MAX_SAMPLES, sizeof(double)), 0, 0, 0};
    struct series sm = {calloc(MAX_SAMPLES, sizeof(double)), 0, 0, 0};
    if (!sa.lat || !sm.lat) return 3;
    int held_min = atomic_load(&a.open_now);
    double t0 = mono();
    for (int i = 0; i < requests && mono() - t0 < duration; i++) {
        record(&sa, honest(api, (size_t)api_len, timeout), timeout);
        record(&sm, honest(metrics, (size_t)metrics_len, timeout), timeout);
        int h = atomic_load(&a.open_now);
        if (h < held_min) held_min = h;
        if (pace_ms > 0) {
            struct timespec ps = {
                (time_t)(pace_ms / 1000),
                (long)((pace_ms - 1000.0 * (double)(time_t)(pace_ms / 1000)) * 1e6)};
            nanosleep(&ps, NULL);
        }
    }
    double took = mono() - t0;
    atomic_store(&a.stop, 1);
    pthread_join(th, NULL);

    qsort(sa.lat, (size_t)sa.n, sizeof(double), cmp_d);
    qsort(sm.lat, (size_t)sm.n, sizeof(double), cmp_d);
    printf("attack: %d slowloris (a header line every %gs) + %d silent connections, %d per address,"
           " opened in %.1fs; at least %d held during the run; %ld closed by the server and "
           "reopened\n",
           nslow, interval, nidle, per, opened, held_min, atomic_load(&a.reopened));
    printf("honest client (127.0.0.1, a new connection per request, timeout %gs), %.1fs:\n",
           timeout, took);
    printf("  ListMonitoringSchedules (SigV4): %d ok, %d errors; p50 %.1f ms, p99 %.1f ms, max "
           "%.1f ms\n",
           sa.ok, sa.err, pct(sa.lat, sa.n, 0.5) * 1e3, pct(sa.lat, sa.n, 0.99) * 1e3,
           sa.n ? sa.lat[sa.n - 1] * 1e3 : 0);
    printf("  GET /metrics:                    %d ok, %d errors; p50 %.1f ms, p99 %.1f ms, max "
           "%.1f ms\n",
           sm.ok, sm.err, pct(sm.lat, sm.n, 0.5) * 1e3, pct(sm.lat, sm.n, 0.99) * 1e3,
           sm.n ? sm.lat[sm.n - 1] * 1e3 : 0);
    printf(
        "RESULT slowloris=%d idle=%d held_min=%d reopened=%ld api_ok=%d api_err=%d api_p50_ms=%.1f "
        "api_p99_ms=%.1f api_max_ms=%.1f metrics_ok=%d metrics_err=%d metrics_p50_ms=%.1f "
        "metrics_p99_ms=%.1f metrics_max_ms=%.1f\n",
        nslow, nidle, held_min, atomic_load(&a.reopened), sa.ok, sa.err,
        pct(sa.lat, sa.n, 0.5) * 1e3, pct(sa.lat, sa.n, 0.99) * 1e3,
        sa.n ? sa.lat[sa.n - 1] * 1e3 : 0, sm.ok, sm.err, pct(sm.lat, sm.n, 0.5) * 1e3,
        pct(sm.lat, sm.n, 0.99) * 1e3, sm.n ? sm.lat[sm.n - 1] * 1e3 : 0);
    int rc = sa.err || sm.err ? 1 : 0;
    free(sa.lat);
    free(sm.lat);
    free(a.fd);
    free(a.pending);
    close(a.ep);
    return rc;
}
