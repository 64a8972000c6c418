/* Unit tests for cell typing (pandas read_csv rules) and Python int()/float(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/cell.h"

static bm_slice sl(const char *s)
{
    bm_slice r = {s, strlen(s)};
    return r;
}

/* ==================================================================== bm_cell_from_csv */

/* What pandas.read_csv makes of a column holding only this field: int64, float64, bool,
 * object, or NaN. Values are written out by hand from pandas' documented rules. */
static const struct {
    const char *field;
    int kind;
    int64_t i; /* BM_CELL_INT */
    double f;  /* BM_CELL_INT and BM_CELL_FLOAT */
    int b;     /* BM_CELL_BOOL */
} csv_cases[] = {
    {"12", BM_CELL_INT, 12, 12.0, 0},
    {"0", BM_CELL_INT, 0, 0.0, 0},
    {"-7", BM_CELL_INT, -7, -7.0, 0},
    {"+5", BM_CELL_INT, 5, 5.0, 0},
    {"007", BM_CELL_INT, 7, 7.0, 0},
    {" 12 ", BM_CELL_INT, 12, 12.0, 0},
    {"\t-3", BM_CELL_INT, -3, -3.0, 0},
    {"123456789012345678", BM_CELL_INT, 123456789012345678LL, 123456789012345678.0, 0},
    {"9223372036854775807", BM_CELL_INT, INT64_MAX, 9223372036854775807.0, 0},
    {"-9223372036854775808", BM_CELL_INT, INT64_MIN, -9223372036854775808.0, 0},
    /* out of int64: a float (the contract of cell.h) */
    {"9223372036854775808", BM_CELL_FLOAT, 0, 9223372036854775808.0, 0},
    {"-9223372036854775809", BM_CELL_FLOAT, 0, -9223372036854775809.0, 0},
    {"1.5", BM_CELL_FLOAT, 0, 1.5, 0},
    {"-0.25", BM_CELL_FLOAT, 0, -0.25, 0},
    {"1e5", BM_CELL_FLOAT, 0, 100000.0, 0},
    {"1E-3", BM_CELL_FLOAT, 0, 0.001, 0},
    {"-2.5e+2", BM_CELL_FLOAT, 0, -250.0, 0},
    {"1.", BM_CELL_FLOAT, 0, 1.0, 0},
    {".5", BM_CELL_FLOAT, 0, 0.5, 0},
    {" 2.5 ", BM_CELL_FLOAT, 0, 2.5, 0},
    {"inf", BM_CELL_FLOAT, 0, INFINITY, 0},
    {"INF", BM_CELL_FLOAT, 0, INFINITY, 0},
    {"-inf", BM_CELL_FLOAT, 0, -INFINITY, 0},
    {"-Infinity", BM_CELL_FLOAT, 0, -INFINITY, 0},
    {"+infinity", BM_CELL_FLOAT, 0, INFINITY, 0},
    {"True", BM_CELL_BOOL, 0, 0, 1},
    {"TRUE", BM_CELL_BOOL, 0, 0, 1},
    {"true", BM_CELL_BOOL, 0, 0, 1},
    {"False", BM_CELL_BOOL, 0, 0, 0},
    {"FALSE", BM_CELL_BOOL, 0, 0, 0},
    {"false", BM_CELL_BOOL, 0, 0, 0},
    {"", BM_CELL_MISSING, 0, 0, 0},
    {"NA", BM_CELL_MISSING, 0, 0, 0},
    {"N/A", BM_CELL_MISSING, 0, 0, 0},
    {"n/a", BM_CELL_MISSING, 0, 0, 0},
    {"#N/A", BM_CELL_MISSING, 0, 0, 0},
    {"#N/A N/A", BM_CELL_MISSING, 0, 0, 0},
    {"#NA", BM_CELL_MISSING, 0, 0, 0},
    {"-1.#IND", BM_CELL_MISSING, 0, 0, 0},
    {"1.#QNAN", BM_CELL_MISSING, 0, 0, 0},
    {"<NA>", BM_CELL_MISSING, 0, 0, 0},
    {"null", BM_CELL_MISSING, 0, 0, 0},
    {"NULL", BM_CELL_MISSING, 0, 0, 0},
    {"nan", BM_CELL_MISSING, 0, 0, 0},
    {"NaN", BM_CELL_MISSING, 0, 0, 0},
    {"-nan", BM_CELL_MISSING, 0, 0, 0},
    {"-NaN", BM_CELL_MISSING, 0, 0, 0},
    {"None", BM_CELL_MISSING, 0, 0, 0},
    {"yes", BM_CELL_STR, 0, 0, 0},
    {"no", BM_CELL_STR, 0, 0, 0},
    {"tRUE", BM_CELL_STR, 0, 0, 0},
    {" True", BM_CELL_STR, 0, 0, 0},
    {"1_000", BM_CELL_STR, 0, 0, 0},
    {"abc", BM_CELL_STR, 0, 0, 0},
    {"1e", BM_CELL_STR, 0, 0, 0},
    {"1.2.3", BM_CELL_STR, 0, 0, 0},
    {"--1", BM_CELL_STR, 0, 0, 0},
    {"-", BM_CELL_STR, 0, 0, 0},
    {"+", BM_CELL_STR, 0, 0, 0},
    {".", BM_CELL_STR, 0, 0, 0},
    {"0x10", BM_CELL_STR, 0, 0, 0},
    {"1 2", BM_CELL_STR, 0, 0, 0},
    {"12abc", BM_CELL_STR, 0, 0, 0},
    {"infinit", BM_CELL_STR, 0, 0, 0},
    {"NA ", BM_CELL_STR, 0, 0, 0},
    {"1,5", BM_CELL_STR, 0, 0, 0},
};

static void test_csv_typing(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(csv_cases) / sizeof(csv_cases[0]); k++) {
        bm_cell c;
        memset(&c, 0x5a, sizeof(c)); /* every field must be written */
        bm_slice f = sl(csv_cases[k].field);
        bm_cell_from_csv(f, &c);
        if (c.kind != csv_cases[k].kind)
            fail_msg("\"%s\": kind %d, expected %d", csv_cases[k].field, c.kind, csv_cases[k].kind);
        assert_int_equal(c.textual, 1);
        assert_ptr_equal(c.text.p, f.p);
        assert_int_equal(c.text.n, f.n);
        switch (c.kind) {
        case BM_CELL_INT:
            if (c.i != csv_cases[k].i || c.f != csv_cases[k].f)
                fail_msg("\"%s\": i=%lld f=%.17g", csv_cases[k].field, (long long)c.i, c.f);
            break;
        case BM_CELL_FLOAT:
            if (c.f != csv_cases[k].f) fail_msg("\"%s\": f=%.17g", csv_cases[k].field, c.f);
            break;
        case BM_CELL_BOOL:
            if (c.b != csv_cases[k].b) fail_msg("\"%s\": b=%d", csv_cases[k].field, c.b);
            break;
        case BM_CELL_MISSING:
            if (!isnan(c.f)) fail_msg("\"%s\": a missing cell has f=%g", csv_cases[k].field, c.f);
            break;
        default:
            break;
        }
    }
}

/* The cell must only look at its n bytes: a field cut out of a longer line. */
static void test_csv_typing_slice_bounds(void **state)
{
    (void)state;
    const char *line = "12,3.5,NA,true,xyz";
    bm_cell c;
    bm_slice f = {line, 2};
    bm_cell_from_csv(f, &c);
    assert_int_equal(c.kind, BM_CELL_INT);
    assert_int_equal(c.i, 12);
    f.p = line + 3;
    f.n = 3;
    bm_cell_from_csv(f, &c);
    assert_int_equal(c.kind, BM_CELL_FLOAT);
    assert_true(c.f == 3.5);
    f.p = line + 7;
    f.n = 2;
    bm_cell_from_csv(f, &c);
    assert_int_equal(c.kind, BM_CELL_MISSING);
    f.p = line + 10;
    f.n = 4;
    bm_cell_from_csv(f, &c);
    assert_int_equal(c.kind, BM_CELL_BOOL);
    assert_int_equal(c.b, 1);
    f.p = line + 15;
    f.n = 1; /* "x" */
    bm_cell_from_csv(f, &c);
    assert_int_equal(c.kind, BM_CELL_STR);
    f.p = line;
    f.n = 1; /* "1" of "12" */
    bm_cell_from_csv(f, &c);
    assert_int_equal(c.kind, BM_CELL_INT);
    assert_int_equal(c.i, 1);
}

/* ==================================================================== bm_cell_from_json */

static void test_json_typing(void **state)
{
    (void)state;
    json_t *v;
    bm_cell c;

    v = json_null();
    assert_int_equal(bm_cell_from_json(v, &c), BM_OK);
    assert_int_equal(c.kind, BM_CELL_MISSING);
    assert_int_equal(c.textual, 0);
    json_decref(v);

    v = json_true();
    assert_int_equal(bm_cell_from_json(v, &c), BM_OK);
    assert_int_equal(c.kind, BM_CELL_BOOL);
    assert_int_equal(c.b, 1);
    json_decref(v);

    v = json_integer(-42);
    assert_int_equal(bm_cell_from_json(v, &c), BM_OK);
    assert_int_equal(c.kind, BM_CELL_INT);
    assert_int_equal(c.i, -42);
    assert_true(c.f == -42.0);
    assert_int_equal(c.textual, 0);
    json_decref(v);

    v = json_real(2.5);
    assert_int_equal(bm_cell_from_json(v, &c), BM_OK);
    assert_int_equal(c.kind, BM_CELL_FLOAT);
    assert_true(c.f == 2.5);
    json_decref(v);

    /* a JSON string stays a string even when it looks like a number */
    v = json_string("12");
    assert_int_equal(bm_cell_from_json(v, &c), BM_OK);
    assert_int_equal(c.kind, BM_CELL_STR);
    assert_int_equal(c.text.n, 2);
    assert_memory_equal(c.text.p, "12", 2);
    json_decref(v);

    v = json_array();
    assert_int_equal(bm_cell_from_json(v, &c), BM_EDATA);
    json_decref(v);
    v = json_object();
    assert_int_equal(bm_cell_from_json(v, &c), BM_EDATA);
    json_decref(v);
}

/* ==================================================================== Python int() / float() */

/* Expected results from python3 3.11: int(s) / float(s). */
static const struct {
    const char *s;
    int ok;
    int64_t v;
} int_cases[] = {
    {"12", 1, 12},
    {" 12 ", 1, 12},
    {"\t5\n", 1, 5},
    {"+7", 1, 7},
    {"-1_0", 1, -10},
    {"1_000", 1, 1000},
    {"1_0_0", 1, 100},
    {"007", 1, 7},
    {"-9223372036854775808", 1, INT64_MIN},
    {"9223372036854775807", 1, INT64_MAX},
    {"9223372036854775808", 0, 0}, /* Python accepts it, but it does not fit int64 */
    {"1__0", 0, 0},
    {"_1", 0, 0},
    {"1_", 0, 0},
    {"1.0", 0, 0},
    {"1e3", 0, 0},
    {"0x10", 0, 0},
    {"", 0, 0},
    {"  ", 0, 0},
    {"-", 0, 0},
    {"+-1", 0, 0},
    {"1 2", 0, 0},
    {"abc", 0, 0},
};

static void test_py_parse_int(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(int_cases) / sizeof(int_cases[0]); k++) {
        int64_t v = 12345;
        int ok = bm_py_parse_int(sl(int_cases[k].s), &v);
        if (ok != int_cases[k].ok) fail_msg("int(\"%s\"): ok=%d", int_cases[k].s, ok);
        if (ok && v != int_cases[k].v)
            fail_msg("int(\"%s\") = %lld, expected %lld", int_cases[k].s, (long long)v,
                     (long long)int_cases[k].v);
    }
}

static const struct {
    const char *s;
    int ok;
    double v; /* NAN: the result must be a NaN */
} float_cases[] = {
    {"1.5", 1, 1.5},
    {" 1.5 ", 1, 1.5},
    {"\t2.5\n", 1, 2.5},
    {"1_000.5", 1, 1000.5},
    {"1e1_0", 1, 10000000000.0},
    {"1_0e1_0", 1, 100000000000.0},
    {"inf", 1, INFINITY},
    {"INF", 1, INFINITY},
    {"iNfInItY", 1, INFINITY},
    {"-Infinity", 1, -INFINITY},
    {"nan", 1, NAN},
    {"-NaN", 1, NAN},
    {"+nan", 1, NAN},
    {"1.", 1, 1.0},
    {".5", 1, 0.5},
    {"+.5e+2", 1, 50.0},
    {"1e-3", 1, 0.001},
    {"42", 1, 42.0},
    {"-0", 1, -0.0},
    {"", 0, 0},
    {".", 0, 0},
    {"e5", 0, 0},
    {"1e", 0, 0},
    {"1_e5", 0, 0},
    {"1._5", 0, 0},
    {"1_.5", 0, 0},
    {"in_f", 0, 0},
    {"0x10", 0, 0},
    {"1.5.2", 0, 0},
    {"--1", 0, 0},
    {"infinit", 0, 0},
    {"abc", 0, 0},
};

static void test_py_parse_float(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(float_cases) / sizeof(float_cases[0]); k++) {
        double v = 12345;
        int ok = bm_py_parse_float(sl(float_cases[k].s), &v);
        if (ok != float_cases[k].ok) fail_msg("float(\"%s\"): ok=%d", float_cases[k].s, ok);
        if (!ok) continue;
        if (isnan(float_cases[k].v)) {
            if (!isnan(v)) fail_msg("float(\"%s\") = %.17g, expected nan", float_cases[k].s, v);
        } else if (v != float_cases[k].v || signbit(v) != signbit(float_cases[k].v)) {
            fail_msg("float(\"%s\") = %.17g, expected %.17g", float_cases[k].s, v,
                     float_cases[k].v);
        }
    }
}

/* Both parsers read only the n bytes of the slice, whatever follows in memory. */
static void test_py_parse_slice_bounds(void **state)
{
    (void)state;
    const char *text = "1_5 2.5e3";
    bm_slice s = {text, 2}; /* "1_": a trailing underscore, although a digit follows */
    int64_t iv;
    double fv;
    assert_int_equal(bm_py_parse_int(s, &iv), 0);
    assert_int_equal(bm_py_parse_float(s, &fv), 0);
    s.n = 3;
    assert_int_equal(bm_py_parse_int(s, &iv), 1);
    assert_int_equal(iv, 15);
    s.p = text + 4;
    s.n = 4; /* "2.5e" */
    assert_int_equal(bm_py_parse_float(s, &fv), 0);
    s.n = 3; /* "2.5" */
    assert_int_equal(bm_py_parse_float(s, &fv), 1);
    assert_true(fv == 2.5);
    s.p = text;
    s.n = 1;
    assert_int_equal(bm_py_parse_int(s, &iv), 1);
    assert_int_equal(iv, 1);
}

/* The next number of a xorshift64 sequence (test data only). */
static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Plain decimals of every length up to 21 digits, with the dot anywhere: the parsers' fast
 * paths must give exactly what strtod gives (and then so must the CSV typing). */
static void test_plain_decimals_match_strtod(void **state)
{
    (void)state;
    uint64_t seq = 0x9e3779b97f4a7c15ULL;
    for (int k = 0; k < 300000; k++) {
        uint64_t s = xorshift(&seq);
        char text[40];
        size_t n = 0, ndig = 1 + (size_t)(s % 21), dot = (size_t)((s >> 8) % (ndig + 1));
        uint64_t d = s >> 16;
        if ((s >> 5) & 1) text[n++] = '-';
        for (size_t j = 0; j < ndig; j++) {
            if (j == dot) text[n++] = '.';
            text[n++] =
                (char)('0' +
                       (j == 0 && (s >> 6) % 4 == 0 ? 0 : (d + j * 7 + (d >> (j % 40))) % 10));
        }
        if (dot == ndig) text[n++] = '.';
        text[n] = 0;
        double want = strtod(text, NULL), got = 12345;
        if (!bm_py_parse_float(sl(text), &got) || memcmp(&got, &want, sizeof(got)) != 0)
            fail_msg("float(\"%s\") = %a, strtod gives %a", text, got, want);
        bm_cell c;
        bm_cell_from_csv(sl(text), &c);
        if (c.kind != BM_CELL_FLOAT || memcmp(&c.f, &want, sizeof(want)) != 0)
            fail_msg("CSV cell \"%s\": kind %d, %a; strtod gives %a", text, (int)c.kind, c.f, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_typing),
        cmocka_unit_test(test_csv_typing_slice_bounds),
        cmocka_unit_test(test_json_typing),
        cmocka_unit_test(test_py_parse_int),
        cmocka_unit_test(test_py_parse_float),
        cmocka_unit_test(test_plain_decimals_match_strtod),
        cmocka_unit_test(test_py_parse_slice_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
