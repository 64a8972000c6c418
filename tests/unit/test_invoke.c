/* Tests for the invocation engine (lib/serve/invoke.c): admission against the global and
 * per-key bounds (checked against a model over random admits and releases in a small table,
 * so keys collide and are deleted), and real calls on loopback: an answer from biasmon's own
 * HTTP server, a closed port, a server that never answers (timeout), and stopping with a call
 * in flight. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "biasmon/http.h"
#include "serve/invoke.h"

/* ==================================================================== admission */

static void test_admission_model(void **state)
{
    (void)state;
    enum { KEYS = 40, MAX = 8, PER_KEY = 2, OPS = 20000 };
    bm__invoker_opts o = {.max_inflight = MAX,
                          .max_per_key = PER_KEY,
                          .timeout_s = 5,
                          .connect_timeout = 1,
                          .max_response = 1024};
    bm_error err;
    bm_error_clear(&err);
    bm__invoker *v = bm__invoker_start(&o, &err);
    assert_non_null(v);
    unsigned model[KEYS] = {0}, total = 0;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned k = (unsigned)(x % KEYS);
        char key[16];
        snprintf(key, sizeof(key), "ep-%u", k);
        if ((x >> 32) & 1 && model[k]) {
            bm__invoker_release(v, key);
            model[k]--;
            total--;
        } else {
            int want = total >= MAX ? BM_EBUSY : model[k] >= PER_KEY ? BM_ELIMIT : BM_OK;
            int got = bm__invoker_admit(v, key);
            if (got != want) fail_msg("op %d: admit %s gave %d, wanted %d", op, key, got, want);
            if (got == BM_OK) {
                model[k]++;
                total++;
            }
        }
        assert_int_equal(bm__invoker_inflight(v), total);
    }
    for (unsigned k = 0; k < KEYS; k++) {
        char key[16];
        snprintf(key, sizeof(key), "ep-%u", k);
        while (model[k]--)
            bm__invoker_release(v, key);
    }
    assert_int_equal(bm__invoker_inflight(v), 0);
    bm__invoker_stop(v, 0);
    assert_int_equal(bm__invoker_admit(v, "ep-1"), BM_EINVAL); /* stopped */
    bm__invoker_free(v);
}

/* ==================================================================== calls */

struct result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

struct tcall {
    bm__upcall c; /* first */
    struct result *r;
};

static void on_done(bm__upcall *c)
{
    struct tcall *t = (struct tcall *)(void *)c;
    pthread_mutex_lock(&t->r->mu);
    t->r->done++;
    pthread_cond_broadcast(&t->r->cv);
    pthread_mutex_unlock(&t->r->mu);
}

static void result_init(struct result *r)
{
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->done = 0;
}

/* Waits until n calls are done, at most max_s seconds; how many are. */
static int wait_done(struct result *r, int n, int max_s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += max_s;
    pthread_mutex_lock(&r->mu);
    while (r->done < n)
        if (pthread_cond_timedwait(&r->cv, &r->mu, &deadline) == ETIMEDOUT) break;
    int d = r->done;
    pthread_mutex_unlock(&r->mu);
    return d;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bm__invoker *start(unsigned timeout_s)
{
    bm__invoker_opts o = {.max_inflight = 16,
                          .max_per_key = 16,
                          .timeout_s = timeout_s,
                          .connect_timeout = 2,
                          .max_response = 1 << 20};
    bm_error err;
    bm_error_clear(&err);
    bm__invoker *v = bm__invoker_start(&o, &err);
    assert_non_null(v);
    return v;
}

static void call_init(struct tcall *t, struct result *r, const char *url, const char *body)
{
    memset(t, 0, sizeof(*t));
    t->r = r;
    t->c.url = url;
    t->c.body = body;
    t->c.body_len = strlen(body);
    t->c.done = on_done;
    snprintf(t->c.key, sizeof(t->c.key), "ep");
    t->c.headers = curl_slist_append(NULL, "Content-Type: text/csv");
    assert_non_null(t->c.headers);
}

static void call_release(struct tcall *t)
{
    curl_slist_free_all(t->c.headers);
    bm_buf_release(&t->c.body_out);
}

/* The model server: biasmon's own HTTP server answering "echo:" and the body. */
static void echo(void *ctx, const bm_http_request *req, bm_http_response *res)
{
    (void)ctx;
    res->status = 200;
    res->content_type = "text/csv";
    res->extra[0] = (bm_http_header){"X-Amzn-SageMaker-Custom-Attributes", "seen=1"};
    res->nextra = 1;
    if (bm_buf_puts(&res->body, "echo:") || bm_buf_append(&res->body, req->body, req->body_len))
        res->status = 500;
}

static void test_call_answered(void **state)
{
    (void)state;
    bm_error err;
    bm_error_clear(&err);
    bm_http_opts ho = {.host = "127.0.0.1", .port = 0, .threads = 1};
    bm_http_server *srv = bm_http_start(&ho, echo, NULL, &err);
    assert_non_null(srv);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/invocations", bm_http_port(srv));
    bm__invoker *v = start(10);
    static struct result r;
    result_init(&r);
    enum { N = 8 };
    static struct tcall t[N];
    char bodies[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(bodies[i], sizeof(bodies[i]), "%d,x", i);
        call_init(&t[i], &r, url, bodies[i]);
        assert_int_equal(bm__invoker_admit(v, "ep"), BM_OK);
        bm__invoker_submit(v, &t[i].c);
    }
    assert_int_equal(wait_done(&r, N, 20), N);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof(want), "echo:%d,x", i);
        assert_int_equal(t[i].c.status, 200);
        assert_int_equal(t[i].c.cancelled, 0);
        assert_int_equal(t[i].c.body_out.len, strlen(want));
        assert_memory_equal(t[i].c.body_out.data, want, strlen(want));
        assert_string_equal(t[i].c.content_type, "text/csv");
        assert_string_equal(t[i].c.custom, "seen=1");
        call_release(&t[i]);
    }
    assert_int_equal(bm__invoker_inflight(v), 0); /* each admission given back */
    bm__invoker_free(v);
    bm_http_stop(srv);
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t n = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A socket that accepts connections (the kernel's backlog) and never answers; its fd. */
static int silent_server(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t n = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_call_refused(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", closed_port());
    bm__invoker *v = start(30);
    static struct result r;
    result_init(&r);
    static struct tcall t;
    call_init(&t, &r, url, "1");
    assert_int_equal(bm__invoker_admit(v, "ep"), BM_OK);
    double t0 = mono();
    bm__invoker_submit(v, &t.c);
    assert_int_equal(wait_done(&r, 1, 20), 1);
    assert_true(mono() - t0 < 10); /* a bound, not a timing claim: the timeout is 30 s */
    assert_int_equal(t.c.status, 0);
    assert_non_null(strstr(t.c.why, "cannot be reached"));
    assert_int_equal(bm__invoker_inflight(v), 0);
    call_release(&t);
    bm__invoker_free(v);
}

static void test_call_timeout(void **state)
{
    (void)state;
    int port;
    int fd = silent_server(&port);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    bm__invoker *v = start(1);
    static struct result r;
    result_init(&r);
    static struct tcall t;
    call_init(&t, &r, url, "1");
    assert_int_equal(bm__invoker_admit(v, "ep"), BM_OK);
    bm__invoker_submit(v, &t.c);
    assert_int_equal(wait_done(&r, 1, 20), 1);
    assert_int_equal(t.c.status, 0);
    assert_int_equal(t.c.cancelled, 0);
    assert_non_null(strstr(t.c.why, "timed out"));
    call_release(&t);
    bm__invoker_free(v);
    close(fd);
}

static void test_stop_cancels(void **state)
{
    (void)state;
    int port;
    int fd = silent_server(&port);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    bm__invoker *v = start(60);
    static struct result r;
    result_init(&r);
    static struct tcall t[3];
    for (int i = 0; i < 2; i++) {
        call_init(&t[i], &r, url, "1");
        assert_int_equal(bm__invoker_admit(v, "ep"), BM_OK);
        bm__invoker_submit(v, &t[i].c);
    }
    /* admitted before the stop, submitted after it: answered at once on this thread */
    call_init(&t[2], &r, url, "1");
    assert_int_equal(bm__invoker_admit(v, "ep"), BM_OK);
    bm__invoker_stop(v, 0); /* returns once every call is done */
    assert_int_equal(wait_done(&r, 2, 0), 2);
    bm__invoker_submit(v, &t[2].c);
    assert_int_equal(wait_done(&r, 3, 0), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t[i].c.cancelled, 1);
        assert_int_equal(t[i].c.status, 0);
        call_release(&t[i]);
    }
    assert_int_equal(bm__invoker_inflight(v), 0);
    assert_int_equal(bm__invoker_admit(v, "ep"), BM_EINVAL);
    bm__invoker_free(v);
    close(fd);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admission_model), cmocka_unit_test(test_call_answered),
        cmocka_unit_test(test_call_refused),    cmocka_unit_test(test_call_timeout),
        cmocka_unit_test(test_stop_cancels),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
