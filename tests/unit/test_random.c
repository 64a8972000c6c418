/* Unit tests for bm_random_bytes (lib/util/random.c). The checks are loose enough that a true
 * random source fails them with a probability far below 2^-100. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include "biasmon/random.h"

static void test_fills_and_differs(void **state)
{
    (void)state;
    unsigned char a[32], b[32], zero[32] = {0};
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(bm_random_bytes(a, sizeof(a)), BM_OK);
    assert_int_equal(bm_random_bytes(b, sizeof(b)), BM_OK);
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(bm_random_bytes(a, 0), BM_OK);
}

/* 1 MiB: every byte value appears (expected 4,096 times each; missing one has probability
 * about 256 * e^-4096) and no value appears more than twice as often as expected. */
static void test_every_byte_value(void **state)
{
    (void)state;
    size_t n = 1u << 20;
    unsigned char *p = malloc(n);
    assert_non_null(p);
    assert_int_equal(bm_random_bytes(p, n), BM_OK);
    size_t count[256] = {0};
    for (size_t k = 0; k < n; k++)
        count[p[k]]++;
    for (int v = 0; v < 256; v++) {
        assert_true(count[v] > 0);
        assert_true(count[v] < 2 * n / 256);
    }
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fills_and_differs),
        cmocka_unit_test(test_every_byte_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
