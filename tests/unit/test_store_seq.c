/* Unit tests for a sequence of store objects opened ahead (bm_store_seq, lib/store/seq.c): objects
 * come out in the generator's order with their own contents, whether opened ahead on threads or
 * one by one; a missing object in the middle is handed out in its place with its error and the
 * sequence goes on; a generator error in the middle comes after every object before it and ends
 * the sequence; no more than `ahead` objects are ever held ahead; stopping early and running out
 * of memory leak nothing (ASan). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/store.h"

#define NOBJ 23

static char dir[64];

/* The generator: names obj-0 .. obj-(n-1) in dir; missing_at names a file that does not exist;
 * fail_at returns BM_EIO instead of that name. */
typedef struct gen {
    int n, missing_at, fail_at;
    atomic_int produced;
} gen;

static int gen_next(void *ctx, char *uri, size_t cap, bm_error *err)
{
    gen *g = ctx;
    int i = atomic_load(&g->produced);
    if (i == g->fail_at) return bm_error_set(err, BM_EIO, "listing of hour %d failed", i);
    if (i >= g->n) {
        uri[0] = 0;
        return BM_OK;
    }
    snprintf(uri, cap, "%s/%s-%d", dir, i == g->missing_at ? "missing" : "obj", i);
    atomic_fetch_add(&g->produced, 1);
    return BM_OK;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/bm-test-seq-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (int i = 0; i < NOBJ; i++) {
        char p[128];
        snprintf(p, sizeof(p), "%s/obj-%d", dir, i);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        for (int k = 0; k <= i * 100; k++)
            fprintf(f, "object %d line %d\n", i, k); /* sizes differ */
        fclose(f);
    }
    alarm(120); /* a sequence that never ends fails the test instead of hanging it */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    alarm(0);
    return 0;
}

/* Reads the whole object and checks it is obj-i's. */
static void expect_object(bm_store_reader *r, int i)
{
    static char buf[1 << 20];
    size_t len = 0;
    bm_error e;
    bm_error_clear(&e);
    for (int guard = 0; guard < 100000; guard++) {
        long n = bm_store_reader_read(r, buf + len, sizeof(buf) - 1 - len, &e);
        assert_true(n >= 0);
        if (n == 0) break;
        len += (size_t)n;
    }
    buf[len] = 0;
    char want[64];
    snprintf(want, sizeof(want), "object %d line %d\n", i, i * 100);
    assert_int_equal(strncmp(buf, want, strlen("object ")), 0);
    assert_true(len >= strlen(want));
    assert_string_equal(buf + len - strlen(want), want);
    bm_store_reader_close(r);
}

/* Runs a sequence over g with `ahead`; writes what came out ("0 1 !2 3 ... $" with '!' for an
 * object that could not be opened, '$' for the end, 'E' for the generator's error). */
static void run(gen *g, unsigned ahead, char *out, size_t outn, bm_error *gen_err)
{
    bm_error e;
    bm_error_clear(&e);
    bm_store_seq *s = bm_store_seq_new(gen_next, g, ahead, &e);
    assert_non_null(s);
    size_t o = 0;
    out[0] = 0;
    unsigned cap = ahead > BM_STORE_SEQ_MAX_AHEAD ? BM_STORE_SEQ_MAX_AHEAD : ahead;
    for (int k = 0; k < 1000; k++) {
        bm_store_item it;
        int done = 0;
        bm_error_clear(&e);
        int rc = bm_store_seq_next(s, &it, &done, &e);
        if (rc) {
            *gen_err = e;
            o += (size_t)snprintf(out + o, outn - o, "E");
            /* the sequence stays ended with the same error */
            bm_error e2;
            bm_error_clear(&e2);
            assert_int_equal(bm_store_seq_next(s, &it, &done, &e2), rc);
            assert_string_equal(e2.msg, e.msg);
            break;
        }
        if (done) {
            o += (size_t)snprintf(out + o, outn - o, "$");
            assert_int_equal(bm_store_seq_next(s, &it, &done, &e), BM_OK);
            assert_int_equal(done, 1);
            break;
        }
        /* never more than `ahead` objects named beyond the ones handed out (none when ahead is 0)
         */
        assert_true(atomic_load(&g->produced) <= k + 1 + (int)cap);
        int i = -1;
        const char *base = strrchr(it.uri, '/');
        assert_non_null(base);
        assert_int_equal(sscanf(base + 1, "%*[a-z]-%d", &i), 1);
        if (it.reader) {
            expect_object(it.reader, i);
            o += (size_t)snprintf(out + o, outn - o, "%d ", i);
        } else {
            assert_int_equal(it.error.code, BM_ENOTFOUND);
            o += (size_t)snprintf(out + o, outn - o, "!%d ", i);
        }
        assert_true(o < outn);
    }
    bm_store_seq_free(s);
}

static void expected(char *out, size_t n, int missing_at, int fail_at)
{
    size_t o = 0;
    for (int i = 0; i < NOBJ && i != fail_at; i++)
        o += (size_t)snprintf(out + o, n - o, i == missing_at ? "!%d " : "%d ", i);
    snprintf(out + o, n - o, "%s", fail_at >= 0 ? "E" : "$");
}

static void test_order(void **state)
{
    (void)state;
    static const unsigned aheads[] = {0, 1, 2, BM_STORE_SEQ_AHEAD, 100};
    char want[512], got[512];
    expected(want, sizeof(want), -1, -1);
    for (size_t a = 0; a < sizeof(aheads) / sizeof(aheads[0]); a++) {
        for (int rep = 0; rep < 5; rep++) {
            gen g = {.n = NOBJ, .missing_at = -1, .fail_at = -1};
            bm_error ge;
            bm_error_clear(&ge);
            run(&g, aheads[a], got, sizeof(got), &ge);
            assert_string_equal(got, want);
        }
    }
}

static void test_missing_object_in_the_middle(void **state)
{
    (void)state;
    static const unsigned aheads[] = {0, BM_STORE_SEQ_AHEAD};
    char want[512], got[512];
    for (size_t a = 0; a < 2; a++) {
        for (int at = 0; at < NOBJ; at += 5) {
            gen g = {.n = NOBJ, .missing_at = at, .fail_at = -1};
            bm_error ge;
            bm_error_clear(&ge);
            expected(want, sizeof(want), at, -1);
            run(&g, aheads[a], got, sizeof(got), &ge);
            assert_string_equal(got, want);
        }
    }
}

static void test_generator_error_in_the_middle(void **state)
{
    (void)state;
    static const unsigned aheads[] = {0, 1, BM_STORE_SEQ_AHEAD};
    char want[512], got[512];
    for (size_t a = 0; a < 3; a++) {
        for (int at = 0; at <= NOBJ; at += 4) {
            gen g = {.n = NOBJ, .missing_at = 2, .fail_at = at};
            bm_error ge;
            bm_error_clear(&ge);
            expected(want, sizeof(want), 2, at);
            run(&g, aheads[a], got, sizeof(got), &ge);
            assert_string_equal(got, want);
            char msg[64];
            snprintf(msg, sizeof(msg), "listing of hour %d failed", at);
            assert_int_equal(ge.code, BM_EIO);
            assert_string_equal(ge.msg, msg);
        }
    }
}

/* Freed after a few objects, with others opened ahead and not handed out: ASan finds no leak. */
static void test_stop_early(void **state)
{
    (void)state;
    for (int stop = 0; stop < 6; stop++) {
        gen g = {.n = NOBJ, .missing_at = 3, .fail_at = -1};
        bm_error e;
        bm_error_clear(&e);
        bm_store_seq *s = bm_store_seq_new(gen_next, &g, BM_STORE_SEQ_AHEAD, &e);
        assert_non_null(s);
        for (int k = 0; k < stop; k++) {
            bm_store_item it;
            int done = 0;
            assert_int_equal(bm_store_seq_next(s, &it, &done, &e), BM_OK);
            assert_int_equal(done, 0);
            bm_store_reader_close(it.reader);
        }
        bm_store_seq_free(s);
    }
    bm_store_seq_free(NULL);
}

/* Every allocation failing in turn: the sequence says BM_ENOMEM (from new, or as an object's
 * error) or completes; nothing leaks or crashes. */
static void test_out_of_memory(void **state)
{
    (void)state;
    static const unsigned aheads[] = {0, BM_STORE_SEQ_AHEAD};
    for (size_t a = 0; a < 2; a++) {
        for (long n = 1; n < 60; n++) {
            gen g = {.n = 6, .missing_at = -1, .fail_at = -1};
            bm_error e;
            bm_error_clear(&e);
            bm_alloc_fail_after(n);
            bm_store_seq *s = bm_store_seq_new(gen_next, &g, aheads[a], &e);
            if (!s) {
                bm_alloc_fail_after(0);
                assert_int_equal(e.code, BM_ENOMEM);
                continue;
            }
            int done = 0, got = 0;
            for (int k = 0; k < 20 && !done; k++) {
                bm_store_item it;
                assert_int_equal(bm_store_seq_next(s, &it, &done, &e), BM_OK);
                if (done) break;
                if (it.reader)
                    bm_store_reader_close(it.reader);
                else
                    assert_int_equal(it.error.code, BM_ENOMEM);
                got++;
            }
            bm_alloc_fail_after(0);
            assert_int_equal(done, 1);
            assert_int_equal(got, 6);
            bm_store_seq_free(s);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_object_in_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generator_error_in_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
