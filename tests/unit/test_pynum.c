/* Unit tests for Python's number text (lib/util/pynum.c): repr(float) against python3 itself on
 * hard cases and many random doubles, and against fixed values where python3 is absent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "biasmon/pynum.h"

#define PYTHON "/usr/bin/python3"

/* The next number of a xorshift64 sequence (test data only). */
static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ==================================================================== fixed cases */

/* repr(x) printed by python3 3.11 for each value (x given by its exact hex form). */
static const struct {
    double x;
    const char *repr;
} repr_cases[] = {
    {0x1.999999999999ap-4, "0.1"},
    {0x1.4f8b588e368f1p-17, "1e-05"},
    {0x1.1c37937e08000p+53, "1e+16"},
    {0x1.18b54f22aeb00p+50, "1234567890123456.0"},
    {0x1.0000000000000p+1, "2.0"},
    {-0.0, "-0.0"},
    {0.0, "0.0"},
    {0x1.3333333333334p-2, "0.30000000000000004"},
    {0x0.0000000000001p-1022, "5e-324"},
    {0x0.0000000000003p-1022, "1.5e-323"},
    {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
    {0x1.bc00000000000p+5, "55.5"},
    {0x1.288f5c28f5c29p+6, "74.14"},
    {0x1.9000000000000p+6, "100.0"},
    {0x1.0f0cf064dd592p+73, "1e+22"},
    {0x1.52d02c7e14af6p+76, "1e+23"},
    {0x1.a36e2eb1c432dp-14, "0.0001"},
    {0x1.a36371ea531a8p-14, "9.999e-05"},
    {0x1.e240c9fbe76c9p+16, "123456.789"},
    {0x1.0000000000000p-1022, "2.2250738585072014e-308"},
    {0x1.5555555555555p-2, "0.3333333333333333"},
    {0x1.0000000000000p+53, "9007199254740992.0"},
    {0x1.c6bf526340000p+49, "1000000000000000.0"},
    {0x1.56a95319d63e1p+63, "1.2345678901234567e+19"},
    {0x1.0000000000000p+60, "1.152921504606847e+18"},
    {-0x1.421f5f40d8376p-23, "-1.5e-07"},
    {0x1.1666666666666p+2, "4.35"},
    {0x1.5666666666666p+1, "2.675"},
    {0x1.ddd4baa009303p+999, "1e+301"},
    {0x1.0000000000000p-1, "0.5"},
    {INFINITY, "inf"},
    {-INFINITY, "-inf"},
};

static void test_float_repr(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(repr_cases) / sizeof(repr_cases[0]); k++) {
        char out[64];
        memset(out, 'x', sizeof(out));
        size_t n = bm_py_float_repr(repr_cases[k].x, out, sizeof(out));
        if (strcmp(out, repr_cases[k].repr) != 0)
            fail_msg("repr(%a): got \"%s\", Python gives \"%s\"", repr_cases[k].x, out,
                     repr_cases[k].repr);
        assert_int_equal(n, strlen(repr_cases[k].repr));
    }
    char out[64];
    bm_py_float_repr(NAN, out, sizeof(out));
    assert_string_equal(out, "nan");
}

/* Exact powers of two sit at a binade boundary: the rounding interval below them is half the
 * one above, and Python's shortest repr may then use one digit less than the correctly
 * rounded form at 17 digits. Values from python3 3.11. */
static const struct {
    double x;
    const char *repr;
} repr_pow2_cases[] = {
    {0x1p-24, "5.960464477539063e-08"},  {0x1p-44, "5.684341886080802e-14"},
    {0x1p-77, "6.617444900424222e-24"},  {0x1p+89, "6.189700196426902e+26"},
    {0x1p+122, "5.316911983139664e+36"},
};

static void test_float_repr_powers_of_two(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t k = 0; k < sizeof(repr_pow2_cases) / sizeof(repr_pow2_cases[0]); k++) {
        char out[64];
        bm_py_float_repr(repr_pow2_cases[k].x, out, sizeof(out));
        if (strcmp(out, repr_pow2_cases[k].repr) != 0) {
            print_error("repr(%a): got \"%s\", Python gives \"%s\"\n", repr_pow2_cases[k].x, out,
                        repr_pow2_cases[k].repr);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* Every repr must read back as the same double (the round-trip half of the contract). */
static void test_float_repr_round_trips(void **state)
{
    (void)state;
    uint64_t seq = 0x243f6a8885a308d3ULL;
    for (int k = 0; k < 200000; k++) {
        uint64_t s = xorshift(&seq);
        double x;
        memcpy(&x, &s, sizeof(x));
        if (!isfinite(x)) continue;
        char out[64];
        bm_py_float_repr(x, out, sizeof(out));
        double back = strtod(out, NULL);
        if (memcmp(&back, &x, sizeof(x)) != 0)
            fail_msg("repr(%a) = \"%s\" does not read back", x, out);
    }
}

/* ==================================================================== against python3 */

/* The hard cases of the brief and of float formatting at large: integers at and beyond 2^53,
 * the fixed/scientific switch at 1e16 and 1e-4, the extremes, sums that do not round trip
 * through fewer digits, exact powers of two and of ten. */
static const double hard[] = {
    1e16,
    1e16 - 2,
    1e15,
    9999999999999998.0,
    0.1 + 0.2,
    5e-324,
    -0.0,
    0.0,
    1e22,
    1e23,
    123456789012345680.0,
    0.0001,
    0.00009999999999999999,
    1e-5,
    2.0,
    1.7976931348623157e308,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    4.35,
    2.675,
    1.0 / 3,
    2.0 / 3,
    100.0,
    9007199254740993.0,
    1e21,
    1e-7,
    0.5,
    1.5e-323,
    123456.789,
    0.3,
    1e300 * 10,
    4.9406564584124654e-324,
    0.1 * 3,
    1.1 * 1.1,
    1e-310,
    8.41e21,
    5e-310,
    1e100,
    3.14159265358979,
    299792458.0,
};

/* Writes each value as an exact hex float, one a line, runs python3 on the file and compares
 * its repr() with ours line by line. Returns how many differ (printing the first few). */
static int compare_with_python(const double *xs, size_t n)
{
    char path[] = "/tmp/bm_pynum_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (size_t k = 0; k < n; k++)
        fprintf(f, "%a\n", xs[k]);
    assert_int_equal(fclose(f), 0);
    char cmd[256];
    snprintf(cmd, sizeof(cmd),
             PYTHON
             " -c 'import sys\nfor l in open(sys.argv[1]): print(repr(float.fromhex(l)))' %s",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int bad = 0;
    size_t k = 0;
    char line[128];
    while (k < n && fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = 0;
        char ours[64];
        size_t len = bm_py_float_repr(xs[k], ours, sizeof(ours));
        if (strcmp(ours, line) != 0 || len != strlen(line)) {
            if (bad < 10) print_error("repr(%a): ours \"%s\", python3 \"%s\"\n", xs[k], ours, line);
            bad++;
        }
        k++;
    }
    int st = pclose(p);
    unlink(path);
    assert_int_equal(st, 0);
    assert_int_equal(k, n); /* python3 answered every line */
    return bad;
}

static void test_hard_cases_against_python(void **state)
{
    (void)state;
    if (access(PYTHON, X_OK) != 0) skip();
    double xs[2 * sizeof(hard) / sizeof(hard[0])];
    size_t n = 0;
    for (size_t k = 0; k < sizeof(hard) / sizeof(hard[0]); k++) {
        xs[n++] = hard[k];
        xs[n++] = -hard[k];
    }
    assert_int_equal(compare_with_python(xs, n), 0);
}

/* Random bit patterns (every exponent), every power of two, and short decimals k / 10^j (the
 * values data files hold), 60,000 in all, from fixed seeds. */
static void test_many_against_python(void **state)
{
    (void)state;
    if (access(PYTHON, X_OK) != 0) skip();
    enum { N = 60000 };
    double *xs = malloc(N * sizeof(*xs));
    assert_non_null(xs);
    size_t n = 0;
    uint64_t seq = 0x6a09e667f3bcc909ULL;
    for (int e = -1074; e <= 1023; e++)
        xs[n++] = ldexp(1.0, e);
    while (n < N / 2) {
        uint64_t s = xorshift(&seq);
        double x;
        memcpy(&x, &s, sizeof(x));
        if (isfinite(x)) xs[n++] = x;
    }
    while (n < N) {
        uint64_t s = xorshift(&seq);
        double x = (double)(s % 100000000) / pow(10, (double)((s >> 40) % 12));
        xs[n++] = (s >> 60) & 1 ? -x : x;
    }
    int bad = compare_with_python(xs, n);
    free(xs);
    assert_int_equal(bad, 0);
}

static void test_bool_str(void **state)
{
    (void)state;
    assert_string_equal(bm_py_bool_str(1), "True");
    assert_string_equal(bm_py_bool_str(0), "False");
}

/* A short buffer gets a truncated, terminated text and the whole length (snprintf's contract). */
static void test_truncation(void **state)
{
    (void)state;
    char out[5];
    memset(out, 'x', sizeof(out));
    assert_int_equal(bm_py_float_repr(0.30000000000000004, out, sizeof(out)), 19);
    assert_string_equal(out, "0.30");
    char big[25];
    assert_int_equal(bm_py_float_repr(-2.2250738585072014e-308, big, sizeof(big)), 24);
    assert_string_equal(big, "-2.2250738585072014e-308");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_repr),
        cmocka_unit_test(test_float_repr_powers_of_two),
        cmocka_unit_test(test_float_repr_round_trips),
        cmocka_unit_test(test_hard_cases_against_python),
        cmocka_unit_test(test_many_against_python),
        cmocka_unit_test(test_bool_str),
        cmocka_unit_test(test_truncation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
