/* Unit tests for the kd-tree kNN classifier: exact agreement with a brute-force reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/knn.h"

/* Internal to lib/bias/knn.c (it has no private header): the k nearest rows of every query,
 * nearest first in (squared distance, row) order; and a switch to the SSE2 loops. */
int bm__knn_neighbors(const double *train, size_t n_train, size_t dim, const double *query,
                      size_t n_query, int k, int nthreads, size_t *nbr);
void bm__knn_no_avx(int on);

/* ---- data generation ---- */

static uint64_t rng_state;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next_u64() >> 11) * 0x1.0p-53;
}

static size_t below(size_t n)
{
    return (size_t)(next_u64() % n);
}

enum kind { UNIFORM, GRID, DUPLICATES, IDENTICAL, SCALED };

/* Fills rows x dim values of the given kind. GRID: integers 0..3 (huge numbers of exact
 * ties); DUPLICATES: every row copies one of a few earlier rows; IDENTICAL: one point;
 * SCALED: uniform with wildly different ranges per dimension. */
static void fill(double *v, size_t rows, size_t dim, enum kind kind)
{
    for (size_t i = 0; i < rows; i++) {
        if (kind == DUPLICATES && i >= 8) {
            memcpy(&v[i * dim], &v[below(8) * dim], dim * sizeof(double));
            continue;
        }
        for (size_t j = 0; j < dim; j++) {
            double *x = &v[i * dim + j];
            switch (kind) {
            case UNIFORM:
            case DUPLICATES:
                *x = uniform();
                break;
            case GRID:
                *x = (double)below(4);
                break;
            case IDENTICAL:
                *x = 0.25;
                break;
            case SCALED:
                *x = (uniform() - 0.5) * pow(10.0, (double)(j % 5) * 3 - 6);
                break;
            }
        }
    }
}

/* ---- the reference ---- */

static double sqdist(const double *a, const double *b, size_t dim)
{
    double d2 = 0;
    for (size_t j = 0; j < dim; j++) {
        double diff = a[j] - b[j];
        double sq = diff * diff; /* not fused into an FMA, as in the library */
        d2 = d2 + sq;
    }
    return d2;
}

/* The k nearest rows of q by brute force, nearest first in (d2, row) order. */
static void brute_neighbors(const double *train, size_t n, size_t dim, const double *q, int k,
                            size_t *nbr, double *d2buf)
{
    for (size_t i = 0; i < n; i++)
        d2buf[i] = sqdist(q, &train[i * dim], dim);
    for (int m = 0; m < k; m++) { /* selection: the m-th smallest not yet taken */
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            if (isnan(d2buf[i])) continue; /* taken */
            if (best == SIZE_MAX || d2buf[i] < d2buf[best]) best = i;
        }
        nbr[m] = best;
        d2buf[best] = NAN;
    }
}

static uint8_t vote(const size_t *nbr, int k, const uint8_t *labels)
{
    int ones = 0;
    for (int i = 0; i < k; i++)
        ones += labels[nbr[i]];
    return 2 * ones > k ? 1 : 0;
}

/* Runs both entry points on one data set and compares them with the reference. */
static void check_case(size_t n_train, size_t n_query, size_t dim, int k, enum kind tkind,
                       enum kind qkind, int nthreads, uint64_t seed)
{
    rng_state = seed;
    double *train = malloc(n_train * dim * sizeof(double));
    double *query = malloc(n_query * dim * sizeof(double));
    uint8_t *labels = malloc(n_train);
    uint8_t *out = malloc(n_query);
    size_t *nbr = malloc(n_query * (size_t)k * sizeof(size_t));
    size_t *ref = malloc((size_t)k * sizeof(size_t));
    double *d2buf = malloc(n_train * sizeof(double));
    assert_non_null(train);
    assert_non_null(query);
    assert_non_null(labels);
    assert_non_null(out);
    assert_non_null(nbr);
    assert_non_null(ref);
    assert_non_null(d2buf);

    fill(train, n_train, dim, tkind);
    fill(query, n_query, dim, qkind);
    for (size_t i = 0; i < n_train; i++)
        labels[i] = (uint8_t)(next_u64() & 1);
    memset(out, 0xee, n_query);

    assert_int_equal(bm_knn_classify(train, labels, n_train, dim, query, n_query, k, nthreads, out),
                     BM_OK);
    assert_int_equal(bm__knn_neighbors(train, n_train, dim, query, n_query, k, nthreads, nbr),
                     BM_OK);
    for (size_t q = 0; q < n_query; q++) {
        brute_neighbors(train, n_train, dim, &query[q * dim], k, ref, d2buf);
        for (int m = 0; m < k; m++) {
            if (nbr[q * (size_t)k + (size_t)m] != ref[m])
                fail_msg("n_train=%zu dim=%zu k=%d kind=%d/%d query %zu neighbour %d: got row "
                         "%zu, want row %zu",
                         n_train, dim, k, (int)tkind, (int)qkind, q, m,
                         nbr[q * (size_t)k + (size_t)m], ref[m]);
        }
        assert_int_equal(out[q], vote(ref, k, labels));
    }

    free(train);
    free(query);
    free(labels);
    free(out);
    free(nbr);
    free(ref);
    free(d2buf);
}

/* ---- tests ---- */

static void test_uniform_random(void **state)
{
    (void)state;
    static const struct {
        size_t n_train, n_query, dim;
        int k;
    } cases[] = {
        {1, 7, 1, 1},      {2, 9, 3, 2},       {5, 20, 2, 1},      {20, 50, 2, 3},
        {24, 40, 4, 24},   {25, 40, 4, 5},     {100, 200, 7, 5},   {257, 100, 1, 1},
        {1000, 500, 3, 7}, {3000, 1000, 7, 5}, {2000, 300, 16, 4}, {1500, 300, 1, 2},
        {4000, 400, 2, 1}, {800, 200, 7, 64},  {50, 50, 30, 9},    {5000, 2000, 7, 5},
        {33, 60, 3, 5},    {65, 60, 5, 3}, /* just above the leaf size (32) */
        {50, 70000, 2, 3},                 /* more queries than one chunk (65536) */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(cases[i].n_train, cases[i].n_query, cases[i].dim, cases[i].k, UNIFORM, UNIFORM,
                   2, 1000 + i);
}

/* The same checks through the SSE2 loops (the default on an AVX machine is AVX). */
static void test_sse2_loops(void **state)
{
    (void)state;
    bm__knn_no_avx(1); /* reset by the teardown, also after a failure */
    check_case(3000, 1000, 7, 5, UNIFORM, UNIFORM, 2, 400);
    check_case(2000, 300, 3, 5, GRID, GRID, 2, 401);
    check_case(500, 300, 11, 3, UNIFORM, UNIFORM, 2, 402);
    check_case(1000, 200, 3, 4, DUPLICATES, UNIFORM, 2, 403);
    check_case(5000, 300, 3, 5, IDENTICAL, UNIFORM, 2, 404);
}

/* Trees large enough to be built by several threads (subtrees of 2^15 points and more). */
static void test_parallel_build(void **state)
{
    (void)state;
    check_case(70000, 100, 3, 5, UNIFORM, UNIFORM, 4, 500);
    check_case(66000, 100, 2, 7, GRID, GRID, 3, 501);
    check_case(40000, 100, 8, 1, UNIFORM, UNIFORM, 2, 502);
}

static void test_scaled_dimensions(void **state)
{
    (void)state;
    check_case(3000, 500, 7, 5, SCALED, SCALED, 2, 7);
    check_case(3000, 500, 5, 1, SCALED, UNIFORM, 2, 8);
}

/* Integer features: most queries have many neighbours at exactly the k-th distance, so
 * only the row-order tie rule decides, across leaves and subtrees. */
static void test_grid_ties(void **state)
{
    (void)state;
    static const int ks[] = {1, 2, 3, 5, 8, 13};
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        check_case(600, 300, 2, ks[i], GRID, GRID, 2, 50 + i);
        check_case(2000, 300, 3, ks[i], GRID, GRID, 2, 60 + i);
        check_case(2000, 300, 4, ks[i], GRID, UNIFORM, 2, 70 + i);
    }
}

static void test_duplicate_points(void **state)
{
    (void)state;
    check_case(1000, 200, 3, 1, DUPLICATES, DUPLICATES, 2, 80);
    check_case(1000, 200, 3, 5, DUPLICATES, UNIFORM, 2, 81);
    check_case(3000, 200, 7, 200, DUPLICATES, DUPLICATES, 2, 82);
}

static void test_identical_points(void **state)
{
    (void)state;
    check_case(1, 3, 2, 1, IDENTICAL, UNIFORM, 1, 90);
    check_case(10, 30, 2, 3, IDENTICAL, IDENTICAL, 1, 91);
    check_case(5000, 300, 3, 5, IDENTICAL, UNIFORM, 2, 92);
    check_case(5000, 300, 3, 4, IDENTICAL, IDENTICAL, 2, 93);
}

/* One dimension, the values 0..n-1 in shuffled row order, queries at the half-integers:
 * every query has exactly two nearest points at the same distance, 0.25, and the answer
 * must be the one with the smaller row, wherever the two sit in the tree. */
static void test_half_integer_ties(void **state)
{
    (void)state;
    enum { N = 3000 };
    double *train = malloc(N * sizeof(double));
    double *query = malloc((N - 1) * sizeof(double));
    uint8_t *labels = malloc(N);
    uint8_t *out = malloc(N - 1);
    size_t *nbr = malloc(2 * (N - 1) * sizeof(size_t));
    size_t *row_of = malloc(N * sizeof(size_t));
    assert_true(train && query && labels && out && nbr && row_of);
    rng_state = 5;
    for (size_t i = 0; i < N; i++)
        train[i] = (double)i;
    for (size_t i = N - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = below(i + 1);
        double x = train[i];
        train[i] = train[j];
        train[j] = x;
    }
    for (size_t i = 0; i < N; i++) {
        row_of[(size_t)train[i]] = i;
        labels[i] = (uint8_t)(i & 1);
    }
    for (size_t m = 0; m + 1 < N; m++)
        query[m] = (double)m + 0.5;

    assert_int_equal(bm__knn_neighbors(train, N, 1, query, N - 1, 1, 2, nbr), BM_OK);
    assert_int_equal(bm_knn_classify(train, labels, N, 1, query, N - 1, 1, 2, out), BM_OK);
    for (size_t m = 0; m + 1 < N; m++) {
        size_t a = row_of[m], b = row_of[m + 1];
        size_t want = a < b ? a : b;
        assert_int_equal(nbr[m], want);
        assert_int_equal(out[m], labels[want]);
    }
    /* k = 2: both tied points, smaller row first */
    assert_int_equal(bm__knn_neighbors(train, N, 1, query, N - 1, 2, 2, nbr), BM_OK);
    for (size_t m = 0; m + 1 < N; m++) {
        size_t a = row_of[m], b = row_of[m + 1];
        assert_int_equal(nbr[2 * m], a < b ? a : b);
        assert_int_equal(nbr[2 * m + 1], a < b ? b : a);
    }
    free(train);
    free(query);
    free(labels);
    free(out);
    free(nbr);
    free(row_of);
}

static void test_vote_rules(void **state)
{
    (void)state;
    /* dim 1: rows at 0, 1, 2, 3; the query at 0 has neighbours in row order 0, 1, 2, 3 */
    const double train[] = {0, 1, 2, 3};
    const double query[] = {0};
    uint8_t out[1];
    const uint8_t l10[] = {1, 0, 1, 1}, l11[] = {1, 1, 0, 0}, l01[] = {0, 1, 1, 0};
    assert_int_equal(bm_knn_classify(train, l10, 4, 1, query, 1, 2, 1, out), BM_OK);
    assert_int_equal(out[0], 0); /* 1 vs 1: a tie goes to 0 */
    assert_int_equal(bm_knn_classify(train, l11, 4, 1, query, 1, 2, 1, out), BM_OK);
    assert_int_equal(out[0], 1);
    assert_int_equal(bm_knn_classify(train, l01, 4, 1, query, 1, 3, 1, out), BM_OK);
    assert_int_equal(out[0], 1); /* 2 of 3 */
    assert_int_equal(bm_knn_classify(train, l01, 4, 1, query, 1, 4, 1, out), BM_OK);
    assert_int_equal(out[0], 0); /* 2 of 4 */
    assert_int_equal(bm_knn_classify(train, l01, 4, 1, query, 1, 1, 1, out), BM_OK);
    assert_int_equal(out[0], 0);
}

/* The answer does not depend on the number of threads. */
static void test_thread_counts(void **state)
{
    (void)state;
    enum { NT = 4000, NQ = 3000, D = 5 };
    double *train = malloc(NT * D * sizeof(double));
    double *query = malloc(NQ * D * sizeof(double));
    uint8_t *labels = malloc(NT);
    uint8_t *out1 = malloc(NQ), *out = malloc(NQ);
    assert_true(train && query && labels && out1 && out);
    rng_state = 11;
    fill(train, NT, D, GRID);
    fill(query, NQ, D, UNIFORM);
    for (size_t i = 0; i < NT; i++)
        labels[i] = (uint8_t)(next_u64() & 1);
    assert_int_equal(bm_knn_classify(train, labels, NT, D, query, NQ, 5, 1, out1), BM_OK);
    static const int threads[] = {0, -3, 2, 3, 7, 1000};
    for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
        memset(out, 0xee, NQ);
        assert_int_equal(bm_knn_classify(train, labels, NT, D, query, NQ, 5, threads[i], out),
                         BM_OK);
        assert_memory_equal(out, out1, NQ);
    }
    free(train);
    free(query);
    free(labels);
    free(out1);
    free(out);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    double train[] = {0, 0, 1, 1, 2, 2};
    double query[] = {0.5, 0.5, 1.5, 1.5};
    uint8_t labels[] = {0, 1, 1};
    uint8_t out[2] = {0, 0};
    size_t nbr[6];

    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 0, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, -1, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 4, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, labels, 0, 2, query, 2, 1, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, labels, 3, 0, query, 2, 1, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(NULL, labels, 3, 2, query, 2, 1, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, NULL, 3, 2, query, 2, 1, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, NULL, 2, 1, 1, out), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 1, 1, NULL), BM_EINVAL);
    assert_int_equal(bm_knn_classify(train, labels, SIZE_MAX / 4, 2, query, 2, 1, 1, out),
                     BM_EINVAL);
    labels[1] = 2;
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 1, 1, out), BM_EINVAL);
    labels[1] = 1;

    train[3] = NAN;
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 1, 1, out), BM_EINVAL);
    assert_int_equal(bm__knn_neighbors(train, 3, 2, query, 2, 1, 1, nbr), BM_EINVAL);
    train[3] = INFINITY;
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 1, 1, out), BM_EINVAL);
    train[3] = 1;
    query[2] = -INFINITY;
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 1, 1, out), BM_EINVAL);
    query[2] = NAN;
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 1, 1, out), BM_EINVAL);
    query[2] = 1.5;

    /* no queries: nothing to do, and out may be NULL */
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, NULL, 0, 1, 1, NULL), BM_OK);
    assert_int_equal(bm_knn_classify(train, labels, 3, 2, query, 2, 3, 1, out), BM_OK);
    assert_int_equal(out[0], 1); /* labels 0, 1, 1 */
    assert_int_equal(out[1], 1);
}

/* Huge but finite values: distances overflow to infinity and must still be ordered by row. */
static void test_huge_values(void **state)
{
    (void)state;
    const double train[] = {-1e300, 1e300, 1e300, -1e300, 0};
    const double query[] = {1e300, -1e300, 0};
    size_t nbr[3 * 5];
    assert_int_equal(bm__knn_neighbors(train, 5, 1, query, 3, 5, 2, nbr), BM_OK);
    const size_t want[] = {1, 2, 0, 3, 4, 0, 3, 1, 2, 4, 4, 0, 1, 2, 3};
    for (size_t i = 0; i < 15; i++)
        assert_int_equal(nbr[i], want[i]);
}

/* Every allocation in turn fails: the call reports BM_ENOMEM (or succeeds when it needs
 * fewer allocations) and leaks nothing (ASan checks at exit). */
static void test_allocation_failure(void **state)
{
    (void)state;
    enum { NT = 500, NQ = 2000, D = 3 };
    double *train = malloc(NT * D * sizeof(double));
    double *query = malloc(NQ * D * sizeof(double));
    uint8_t *labels = malloc(NT);
    uint8_t *want = malloc(NQ), *out = malloc(NQ);
    size_t *nbr = malloc(NQ * 3 * sizeof(size_t));
    assert_true(train && query && labels && want && out && nbr);
    rng_state = 3;
    fill(train, NT, D, UNIFORM);
    fill(query, NQ, D, UNIFORM);
    for (size_t i = 0; i < NT; i++)
        labels[i] = (uint8_t)(next_u64() & 1);
    assert_int_equal(bm_knn_classify(train, labels, NT, D, query, NQ, 3, 2, want), BM_OK);

    int failures = 0;
    for (long n = 1; n <= 20; n++) {
        bm_alloc_fail_after(n); /* the teardown resets it after a failure */
        int r = bm_knn_classify(train, labels, NT, D, query, NQ, 3, 2, out);
        bm_alloc_fail_after(n);
        int r2 = bm__knn_neighbors(train, NT, D, query, NQ, 3, 2, nbr);
        bm_alloc_fail_after(0);
        assert_true(r == BM_OK || r == BM_ENOMEM);
        assert_true(r2 == BM_OK || r2 == BM_ENOMEM);
        if (r == BM_OK)
            assert_memory_equal(out, want, NQ);
        else
            failures++;
    }
    /* at least the copy, rows, labels, nodes and scratch fail; the last n all succeed */
    assert_true(failures >= 5 && failures < 20);
    free(train);
    free(query);
    free(labels);
    free(want);
    free(out);
    free(nbr);
}

/* Teardowns: restore the global test switches even when a test failed halfway. */
static int restore_avx(void **state)
{
    (void)state;
    bm__knn_no_avx(0);
    return 0;
}

static int restore_alloc(void **state)
{
    (void)state;
    bm_alloc_fail_after(0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_random),
        cmocka_unit_test(test_scaled_dimensions),
        cmocka_unit_test(test_grid_ties),
        cmocka_unit_test(test_duplicate_points),
        cmocka_unit_test(test_identical_points),
        cmocka_unit_test(test_half_integer_ties),
        cmocka_unit_test(test_vote_rules),
        cmocka_unit_test(test_thread_counts),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_huge_values),
        cmocka_unit_test_teardown(test_allocation_failure, restore_alloc),
        cmocka_unit_test_teardown(test_sse2_loops, restore_avx),
        cmocka_unit_test(test_parallel_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
