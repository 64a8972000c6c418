/* Unit tests for the ground-truth join table (lib/capture/join.c): lookups after indexing, later
 * uploads replacing earlier ones, incremental indexing and growth, limits, allocation failure,
 * and a randomized comparison with a plain reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/capture_join.h"

static bm_slice S(const char *s)
{
    bm_slice v = {s, strlen(s)};
    return v;
}

static bm__gt_entry *get(bm__gt_table *t, const char *id)
{
    return bm__gt_find(t, S(id), bm__gt_hash(S(id)));
}

static void assert_label(bm__gt_table *t, const char *id, const char *label)
{
    bm__gt_entry *e = get(t, id);
    assert_non_null(e);
    bm_slice d = bm__gt_data(t, e), k = bm__gt_id(t, e);
    assert_int_equal(d.n, strlen(label));
    assert_memory_equal(d.p, label, d.n);
    assert_int_equal(k.n, strlen(id));
    assert_memory_equal(k.p, id, k.n);
}

static void test_put_index_find(void **state)
{
    (void)state;
    bm__gt_table t;
    bm__gt_init(&t, 100);
    assert_null(get(&t, "a")); /* empty, no index yet */
    assert_int_equal(bm__gt_put(&t, S("req-1"), S("1"), BM__ENC_CSV, 0), BM_OK);
    assert_int_equal(bm__gt_put(&t, S("req-2"), S("{\"label\":0}"), BM__ENC_JSON, 1), BM_OK);
    assert_int_equal(bm__gt_put(&t, S(""), S("0"), BM__ENC_CSV, 0),
                     BM_OK);       /* an empty id is still a key */
    assert_null(get(&t, "req-1")); /* not indexed yet */
    assert_int_equal(bm__gt_index(&t), BM_OK);
    assert_label(&t, "req-1", "1");
    assert_label(&t, "req-2", "{\"label\":0}");
    assert_label(&t, "", "0");
    assert_int_equal(get(&t, "req-2")->encoding, BM__ENC_JSON);
    assert_int_equal(get(&t, "req-2")->json, 1);
    assert_null(get(&t, "req-3"));
    assert_null(get(&t, "req-")); /* a prefix is not the id */
    assert_null(get(&t, "req-11"));
    assert_int_equal(t.duplicates, 0);
    bm__gt_release(&t);
}

/* A later upload of an id wins, within one batch and across batches; the earlier entry is
 * superseded (not pending) and counted once. */
static void test_later_upload_wins(void **state)
{
    (void)state;
    bm__gt_table t;
    bm__gt_init(&t, 100);
    assert_int_equal(bm__gt_put(&t, S("x"), S("0"), BM__ENC_CSV, 0), BM_OK);
    assert_int_equal(bm__gt_put(&t, S("y"), S("0"), BM__ENC_CSV, 0), BM_OK);
    assert_int_equal(bm__gt_put(&t, S("x"), S("1"), BM__ENC_CSV, 0), BM_OK);
    assert_int_equal(bm__gt_index(&t), BM_OK);
    assert_label(&t, "x", "1");
    assert_int_equal(t.duplicates, 1);
    assert_true(t.ents[0].superseded);
    assert_false(t.ents[2].superseded);
    /* a second batch replaces an indexed entry */
    assert_int_equal(bm__gt_put(&t, S("y"), S("\"yes\""), BM__ENC_JSON, 1), BM_OK);
    assert_int_equal(bm__gt_put(&t, S("x"), S("0"), BM__ENC_CSV, 0), BM_OK);
    assert_label(&t, "x", "1"); /* until indexed */
    assert_int_equal(bm__gt_index(&t), BM_OK);
    assert_label(&t, "x", "0");
    assert_label(&t, "y", "\"yes\"");
    assert_int_equal(t.duplicates, 3);
    size_t live = 0;
    for (size_t k = 0; k < t.n; k++)
        live += !t.ents[k].superseded;
    assert_int_equal(live, 2);
    /* indexing again with nothing new changes nothing */
    assert_int_equal(bm__gt_index(&t), BM_OK);
    assert_int_equal(t.duplicates, 3);
    assert_label(&t, "x", "0");
    bm__gt_release(&t);
}

static void test_limit(void **state)
{
    (void)state;
    bm__gt_table t;
    bm__gt_init(&t, 2);
    assert_int_equal(bm__gt_put(&t, S("a"), S("1"), BM__ENC_CSV, 0), BM_OK);
    assert_int_equal(bm__gt_put(&t, S("b"), S("1"), BM__ENC_CSV, 0), BM_OK);
    assert_int_equal(bm__gt_put(&t, S("c"), S("1"), BM__ENC_CSV, 0), BM_ELIMIT);
    assert_int_equal(bm__gt_index(&t), BM_OK);
    assert_label(&t, "b", "1");
    assert_null(get(&t, "c"));
    bm__gt_release(&t);
}

/* Every allocation failure is reported and leaves what was indexed findable. */
static void test_alloc_failure(void **state)
{
    (void)state;
    for (long fail = 1; fail < 40; fail++) {
        bm__gt_table t;
        bm__gt_init(&t, 1u << 20);
        char id[32];
        int failed = 0;
        size_t indexed = 0;
        for (int round = 0; round < 4 && !failed; round++) {
            if (round == 1) bm_alloc_fail_after(fail);
            for (int k = 0; k < 3000 && !failed; k++) {
                snprintf(id, sizeof(id), "id-%d-%d", round, k);
                int rc = bm__gt_put(&t, S(id), S("1"), BM__ENC_CSV, 0);
                if (rc) {
                    assert_int_equal(rc, BM_ENOMEM);
                    failed = 1;
                }
            }
            if (!failed) {
                int rc = bm__gt_index(&t);
                if (rc) {
                    assert_int_equal(rc, BM_ENOMEM);
                    failed = 1;
                } else {
                    indexed = t.n;
                }
            }
        }
        bm_alloc_fail_after(0);
        for (size_t k = 0; k < indexed; k++) {
            bm_slice kid = bm__gt_id(&t, &t.ents[k]);
            assert_ptr_equal(bm__gt_find(&t, kid, bm__gt_hash(kid)), &t.ents[k]);
        }
        bm__gt_release(&t);
    }
}

static uint64_t rng = 0x1234567;
static uint64_t next_rand(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Random ids (many repeated) in random batches against an array that keeps the last label. */
static void test_random_against_reference(void **state)
{
    (void)state;
    enum { IDS = 5000, PUTS = 40000 };
    int *last = malloc(IDS * sizeof(int)); /* index of the last label put, -1 none */
    int *pending = malloc(IDS * sizeof(int));
    assert_non_null(last);
    assert_non_null(pending);
    for (int k = 0; k < IDS; k++)
        last[k] = pending[k] = -1;
    bm__gt_table t;
    bm__gt_init(&t, PUTS);
    uint64_t dups = 0;
    for (int p = 0; p < PUTS; p++) {
        int k = (int)(next_rand() % IDS);
        char id[48], label[16];
        /* ids of varied length, some sharing long prefixes */
        snprintf(id, sizeof(id), "%.*s%d", (int)(k % 7) * 5,
                 "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", k);
        snprintf(label, sizeof(label), "%d", p);
        assert_int_equal(bm__gt_put(&t, S(id), S(label), BM__ENC_CSV, 0), BM_OK);
        if (pending[k] >= 0 || last[k] >= 0) dups++;
        pending[k] = p;
        if (next_rand() % 500 == 0 || p == PUTS - 1) {
            assert_int_equal(bm__gt_index(&t), BM_OK);
            for (int j = 0; j < IDS; j++)
                if (pending[j] >= 0) {
                    last[j] = pending[j];
                    pending[j] = -1;
                }
            for (int j = 0; j < IDS; j += 37) {
                snprintf(id, sizeof(id), "%.*s%d", (int)(j % 7) * 5,
                         "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", j);
                bm__gt_entry *e = get(&t, id);
                if (last[j] < 0) {
                    assert_null(e);
                } else {
                    snprintf(label, sizeof(label), "%d", last[j]);
                    assert_label(&t, id, label);
                }
            }
        }
    }
    assert_int_equal(t.duplicates, dups);
    size_t live = 0, present = 0;
    for (size_t k = 0; k < t.n; k++)
        live += !t.ents[k].superseded;
    for (int j = 0; j < IDS; j++)
        present += last[j] >= 0;
    assert_int_equal(live, present);
    assert_true(t.nslots >= 2 * present);
    bm__gt_release(&t);
    free(last);
    free(pending);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_index_find),
        cmocka_unit_test(test_later_upload_wins),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
