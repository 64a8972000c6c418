/* Tests for ScheduleExpression: the accepted sub-grammar, refusals with their columns, and ticks
 * (next, prev, period) against the documented examples and a brute-force reference. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/cron.h"

#define SUPPORTED                                                                                  \
    "supported: cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N ? * * *) with H 0-23 and N "      \
    "1-24, or NOW"

#define H 3600
#define D 86400
/* 2024-01-19T00:00:00Z (from Python: datetime(2024, 1, 19, tzinfo=timezone.utc).timestamp()) */
#define JAN19 1705622400
/* 2024-12-31T00:00:00Z and 2024-02-28T00:00:00Z, likewise */
#define DEC31 1735603200
#define FEB28 1709078400

/* An exact-size heap copy without a NUL, so that AddressSanitizer catches reads past n. */
static int parse(const char *s, size_t n, bm_schedule_expr *e, bm_error *err)
{
    char *copy = bm_malloc(n);
    assert_non_null(copy);
    memcpy(copy, s, n);
    int r = bm_schedule_parse(copy, n, e, err);
    bm_free(copy);
    return r;
}

/* ==================================================================================== */
/* Parsing                                                                              */
/* ==================================================================================== */

static const struct {
    const char *s;
    bm_schedule_expr e;
} good[] = {
    /* the documented examples (spec §4.1) and CronExpressionGenerator's strings (§2.12) */
    {"cron(0 * ? * * *)", {0, 0, 1}},
    {"cron(0 12 ? * * *)", {0, 12, 24}},
    {"cron(0 0 ? * * *)", {0, 0, 24}},
    {"cron(0 17/12 ? * * *)", {0, 17, 12}},
    {"cron(0 0/2 ? * * *)", {0, 0, 2}},
    {"cron(0 17 ? * * *)", {0, 17, 24}},
    {"NOW", {1, 0, 0}},
    /* bounds and zero-padding */
    {"cron(0 00 ? * * *)", {0, 0, 24}},
    {"cron(0 05 ? * * *)", {0, 5, 24}},
    {"cron(0 23 ? * * *)", {0, 23, 24}},
    {"cron(0 0/1 ? * * *)", {0, 0, 1}},
    {"cron(0 09/01 ? * * *)", {0, 9, 1}},
    {"cron(0 0/10 ? * * *)", {0, 0, 10}},
    {"cron(0 0/24 ? * * *)", {0, 0, 24}},
    {"cron(0 23/24 ? * * *)", {0, 23, 24}},
    {"cron(0 23/1 ? * * *)", {0, 23, 1}},
};

static void test_parse_accepts(void **state)
{
    for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
        bm_schedule_expr e = {-1, -1, -1};
        bm_error err;
        bm_error_clear(&err);
        int r = parse(good[k].s, strlen(good[k].s), &e, &err);
        if (r != BM_OK) fprintf(stderr, "%s: %s\n", good[k].s, err.msg);
        assert_int_equal(r, BM_OK);
        assert_int_equal(e.now, good[k].e.now);
        assert_int_equal(e.start_hour, good[k].e.start_hour);
        assert_int_equal(e.step_hours, good[k].e.step_hours);
    }
}

static const struct {
    const char *s;
    long col;
    const char *words;
} bad[] = {
    {"", 1, "found the end where cron( or NOW"},
    {"now", 1, "found 'n'"},
    {"Now", 2, "found 'o' where NOW"},
    {"NO", 3, "found the end where NOW"},
    {"NOW ", 4, "should end after NOW"},
    {"NOWW", 4, "should end after NOW"},
    {" NOW", 1, "found ' '"},
    {"CRON(0 * ? * * *)", 1, "found 'C'"},
    {"cron (0 * ? * * *)", 5, "found ' ' where cron("},
    {"rate(1 hour)", 1, "found 'r'"},
    {"cron(", 6, "found the end where the minutes field"},
    {"cron(5 * ? * * *)", 6, "minutes must be 0"},
    {"cron(00 * ? * * *)", 6, "minutes must be 0"},
    {"cron(*/5 * ? * * *)", 6, "minutes must be 0"},
    {"cron(0,30 * ? * * *)", 6, "minutes must be 0"},
    {"cron( 0 * ? * * *)", 6, "found ' ' where the minutes field"},
    {"cron(0  * ? * * *)", 8, "a single space should follow the minutes"},
    {"cron(0\t* ? * * *)", 6, "minutes must be 0"},
    {"cron(0 24 ? * * *)", 8, "hour 24 out of range 0-23"},
    {"cron(0 99 ? * * *)", 8, "hour 99"},
    {"cron(0 100 ? * * *)", 8, "hour longer than 2 digits"},
    {"cron(0 007 ? * * *)", 8, "hour longer than 2 digits"},
    {"cron(0 -1 ? * * *)", 8, "found '-' where the hours"},
    {"cron(0 L ? * * *)", 8, "found 'L' where the hours"},
    {"cron(0 / ? * * *)", 8, "found '/' where the hours"},
    {"cron(0 ? ? * * *)", 8, "found '?' where the hours"},
    {"cron(0 0/0 ? * * *)", 10, "hour step 0 out of range 1-24"},
    {"cron(0 0/25 ? * * *)", 10, "hour step 25"},
    {"cron(0 0/100 ? * * *)", 10, "hour step longer than 2 digits"},
    {"cron(0 0/ ? * * *)", 10, "found ' ' where the hour step"},
    {"cron(0 12/ ? * * *)", 11, "found ' ' where the hour step"},
    {"cron(0 0/2/3 ? * * *)", 11, "found '/' where a single space should follow the hours"},
    {"cron(0 */2 ? * * *)", 8, "*/N is not supported (write 0/N)"},
    {"cron(0 *2 ? * * *)", 9, "found '2' where a single space should follow the hours"},
    {"cron(0 1-5 ? * * *)", 9, "found '-'"},
    {"cron(0 1,5 ? * * *)", 9, "found ','"},
    {"cron(0 *  ? * * *)", 10, "a single space should follow the hours"},
    {"cron(0 * * * * *)", 10, "day-of-month must be ?"},
    {"cron(0 * 1 * * *)", 10, "day-of-month must be ?"},
    {"cron(0 * ?? * * *)", 10, "day-of-month must be ?"},
    {"cron(0 * ? JAN * *)", 12, "month must be *"},
    {"cron(0 * ? 1-12 * *)", 12, "month must be *"},
    {"cron(0 * ? * ? *)", 14, "day-of-week must be *"},
    {"cron(0 * ? * MON-FRI *)", 14, "day-of-week must be *"},
    {"cron(0 * ? * * 2024)", 16, "year must be *"},
    {"cron(0 * ? * *)", 15, "found ')' where the year should follow (6 fields)"},
    {"cron(0 *)", 9, "found ')' where the day-of-month should follow"},
    {"cron(0)", 7, "found ')' where the hours should follow"},
    {"cron(0 * ? * * * *)", 17, "found ' ' where ')' should follow the year"},
    {"cron(0 * ? * * *", 17, "found the end where ')' should follow the year"},
    {"cron(0 * ? * * *) ", 18, "should end after ')'"},
    {"cron(0 * ? * * *))", 18, "should end after ')'"},
    {"cron(0 * ? * * *)\n", 18, "byte 0x0a"},
    {"cron(0 \x80 ? * * *)", 8, "byte 0x80"},
    {"cron(0 * ? * * \xff)", 16, "year must be *"},
    {"cron(0 1/5 ? * * *)x", 20, "found 'x'"},
};

static void test_parse_refuses(void **state)
{
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        bm_schedule_expr e = {7, 7, 7};
        bm_error err;
        bm_error_clear(&err);
        const char *s = bad[k].s;
        int r = parse(s, strlen(s), &e, &err);
        if (r != BM_EPARSE || err.col != bad[k].col || !strstr(err.msg, bad[k].words))
            fprintf(stderr, "\"%s\": r %d col %ld: %s\n", s, r, err.col, err.msg);
        assert_int_equal(r, BM_EPARSE);
        assert_int_equal(err.code, BM_EPARSE);
        assert_int_equal(err.col, bad[k].col);
        assert_non_null(strstr(err.msg, bad[k].words));
        assert_non_null(strstr(err.msg, SUPPORTED));
        assert_int_equal(e.now, 7); /* untouched on failure */
        assert_int_equal(e.start_hour, 7);
        assert_int_equal(e.step_hours, 7);
    }
}

/* Every H and H/N is accepted exactly in range; every proper prefix and every one-character
 * corruption of an accepted expression is refused no later than where it goes wrong. */
static void test_parse_exhaustive(void **state)
{
    for (int h = -1; h <= 100; h++) {
        for (int n = -1; n <= 100; n++) {
            char s[64];
            bm_schedule_expr e;
            bm_error err;
            int len = n < 0 ? snprintf(s, sizeof(s), "cron(0 %d ? * * *)", h)
                            : snprintf(s, sizeof(s), "cron(0 %d/%d ? * * *)", h, n);
            int ok = h >= 0 && h <= 23 && (n < 0 || (n >= 1 && n <= 24));
            int r = parse(s, (size_t)len, &e, &err);
            assert_int_equal(r, ok ? BM_OK : BM_EPARSE);
            if (!ok) continue;
            assert_int_equal(e.start_hour, h);
            assert_int_equal(e.step_hours, n < 0 ? 24 : n);
            for (int k = 0; k < len; k++) {
                char c[64];
                bm_error_clear(&err);
                assert_int_equal(parse(s, (size_t)k, &e, &err), BM_EPARSE);
                assert_true(err.col >= 1 && err.col <= k + 1);
                memcpy(c, s, (size_t)len);
                c[k] = '#';
                bm_error_clear(&err);
                assert_int_equal(parse(c, (size_t)len, &e, &err), BM_EPARSE);
                assert_true(err.col >= 1 && err.col <= k + 1);
            }
        }
    }
}

static void test_parse_bounds(void **state)
{
    bm_schedule_expr e;
    bm_error err;
    /* only n bytes are read */
    assert_int_equal(bm_schedule_parse("NOWHERE", 3, &e, &err), BM_OK);
    assert_int_equal(e.now, 1);
    assert_int_equal(bm_schedule_parse("cron(0 * ? * * *)junk", 17, &e, &err), BM_OK);
    assert_int_equal(e.step_hours, 1);
    assert_int_equal(bm_schedule_parse("cron(0 12 ? * * *)", 9, &e, &err), BM_EPARSE);
    assert_int_equal(err.col, 10);
    assert_int_equal(bm_schedule_parse(NULL, 0, &e, NULL), BM_EPARSE);
    assert_int_equal(bm_schedule_parse("cron(1 * ? * * *)", 17, &e, NULL), BM_EPARSE);
}

/* ==================================================================================== */
/* Ticks                                                                                */
/* ==================================================================================== */

static bm_schedule_expr expr(const char *s)
{
    bm_schedule_expr e;
    bm_error err;
    int r = bm_schedule_parse(s, strlen(s), &e, &err);
    if (r != BM_OK) fail_msg("%s: %s", s, err.msg);
    return e;
}

/* The ticks after `from` of each documented example, over day boundaries. */
static void test_documented_examples(void **state)
{
    static const struct {
        const char *s;
        int64_t from;
        int64_t ticks[6];
        int64_t period;
    } cases[] = {
        /* created at 19:38:53 with an hourly schedule: first tick 20:00 (spec §4.2) */
        {"cron(0 * ? * * *)",
         JAN19 + 19 * H + 38 * 60 + 53,
         {JAN19 + 20 * H, JAN19 + 21 * H, JAN19 + 22 * H, JAN19 + 23 * H, JAN19 + D, JAN19 + D + H},
         H},
        {"cron(0 12 ? * * *)",
         JAN19 + 12 * H,
         {JAN19 + D + 12 * H, JAN19 + 2 * D + 12 * H, JAN19 + 3 * D + 12 * H,
          JAN19 + 4 * D + 12 * H, JAN19 + 5 * D + 12 * H, JAN19 + 6 * D + 12 * H},
         D},
        /* daily at midnight across the year boundary */
        {"cron(0 0 ? * * *)",
         DEC31 + 23 * H + 3599,
         {DEC31 + D, DEC31 + 2 * D, DEC31 + 3 * D, DEC31 + 4 * D, DEC31 + 5 * D, DEC31 + 6 * D},
         D},
        /* 17/12 fires at 17 only: 29 is past the day */
        {"cron(0 17/12 ? * * *)",
         JAN19,
         {JAN19 + 17 * H, JAN19 + D + 17 * H, JAN19 + 2 * D + 17 * H, JAN19 + 3 * D + 17 * H,
          JAN19 + 4 * D + 17 * H, JAN19 + 5 * D + 17 * H},
         D},
        {"cron(0 0/2 ? * * *)",
         JAN19 + 19 * H,
         {JAN19 + 20 * H, JAN19 + 22 * H, JAN19 + D, JAN19 + D + 2 * H, JAN19 + D + 4 * H,
          JAN19 + D + 6 * H},
         2 * H},
        /* the §4.1 firing-rule example: 00, 10, 20 */
        {"cron(0 0/10 ? * * *)",
         JAN19 - 1,
         {JAN19, JAN19 + 10 * H, JAN19 + 20 * H, JAN19 + D, JAN19 + D + 10 * H, JAN19 + D + 20 * H},
         4 * H},
        {"cron(0 5/6 ? * * *)",
         JAN19,
         {JAN19 + 5 * H, JAN19 + 11 * H, JAN19 + 17 * H, JAN19 + 23 * H, JAN19 + D + 5 * H,
          JAN19 + D + 11 * H},
         6 * H},
        {"cron(0 12/6 ? * * *)",
         JAN19,
         {JAN19 + 12 * H, JAN19 + 18 * H, JAN19 + D + 12 * H, JAN19 + D + 18 * H,
          JAN19 + 2 * D + 12 * H, JAN19 + 2 * D + 18 * H},
         6 * H},
        /* daily at noon over Feb 29 of a leap year */
        {"cron(0 12/24 ? * * *)",
         FEB28,
         {FEB28 + 12 * H, FEB28 + D + 12 * H, FEB28 + 2 * D + 12 * H, FEB28 + 3 * D + 12 * H,
          FEB28 + 4 * D + 12 * H, FEB28 + 5 * D + 12 * H},
         D},
        {"cron(0 23/1 ? * * *)",
         JAN19,
         {JAN19 + 23 * H, JAN19 + D + 23 * H, JAN19 + 2 * D + 23 * H, JAN19 + 3 * D + 23 * H,
          JAN19 + 4 * D + 23 * H, JAN19 + 5 * D + 23 * H},
         D},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        bm_schedule_expr e = expr(cases[k].s);
        int64_t t = cases[k].from;
        assert_int_equal(bm_schedule_period(&e), cases[k].period);
        for (int j = 0; j < 6; j++) {
            int64_t next = bm_schedule_next(&e, t);
            if (next != cases[k].ticks[j])
                fail_msg("%s: tick %d after %lld is %lld, want %lld", cases[k].s, j, (long long)t,
                         (long long)next, (long long)cases[k].ticks[j]);
            /* prev: the tick itself, and just before it the previous tick */
            assert_int_equal(bm_schedule_prev(&e, next), next);
            assert_int_equal(bm_schedule_prev(&e, next + 59 * 60), next);
            if (j > 0) {
                assert_int_equal(bm_schedule_prev(&e, next - 1), cases[k].ticks[j - 1]);
                assert_int_equal(bm_schedule_next(&e, next - 1), next);
            }
            t = next;
        }
    }
}

/* The hourly default window for an execution at 23:00 is 22:00-23:00 (spec §4.3). */
static void test_default_window(void **state)
{
    bm_schedule_expr e = expr("cron(0 * ? * * *)");
    int64_t t = 1620342000; /* 2021-05-06T23:00:00Z */
    assert_int_equal(bm_schedule_prev(&e, t), t);
    assert_int_equal(t - bm_schedule_period(&e), 1620338400); /* 2021-05-06T22:00:00Z */
    /* uneven gaps: the period is the smallest gap, prev(T - 1) is the tick before */
    e = expr("cron(0 0/10 ? * * *)");
    assert_int_equal(bm_schedule_prev(&e, JAN19 + 10 * H - 1), JAN19);
    assert_int_equal(bm_schedule_prev(&e, JAN19 - 1), JAN19 - 4 * H);
}

static void test_now_and_invalid(void **state)
{
    bm_schedule_expr now = expr("NOW");
    assert_int_equal(bm_schedule_next(&now, JAN19), -1);
    assert_int_equal(bm_schedule_prev(&now, JAN19), -1);
    assert_int_equal(bm_schedule_period(&now), 0);
    static const bm_schedule_expr invalid[] = {
        {0, 24, 1}, {0, -1, 1}, {0, 0, 0}, {0, 0, 25}, {0, 0, -3}, {2, 0, 1},
    };
    for (size_t k = 0; k < sizeof(invalid) / sizeof(invalid[0]); k++) {
        assert_int_equal(bm_schedule_next(&invalid[k], JAN19), -1);
        assert_int_equal(bm_schedule_prev(&invalid[k], JAN19), -1);
        assert_int_equal(bm_schedule_period(&invalid[k]), 0);
    }
    assert_int_equal(bm_schedule_next(NULL, JAN19), -1);
    assert_int_equal(bm_schedule_prev(NULL, JAN19), -1);
    assert_int_equal(bm_schedule_period(NULL), 0);
}

static void test_extremes(void **state)
{
    bm_schedule_expr e = expr("cron(0 * ? * * *)");
    bm_schedule_expr daily = expr("cron(0 0 ? * * *)");
    /* before 1970: whole hours still, never -1 */
    assert_int_equal(bm_schedule_prev(&e, -1), -H);
    assert_int_equal(bm_schedule_next(&e, -H), 0);
    assert_int_equal(bm_schedule_next(&e, -H - 1), -H);
    assert_int_equal(bm_schedule_prev(&daily, -1), -D);
    assert_int_equal(bm_schedule_next(&daily, -D), 0);
    /* out of range: -1, no overflow */
    assert_int_equal(bm_schedule_next(&e, INT64_MAX), -1);
    assert_int_equal(bm_schedule_prev(&e, INT64_MIN), -1);
    assert_int_equal(bm_schedule_next(&daily, INT64_MIN), -1);
    int64_t lim = (int64_t)1 << 53;
    assert_int_equal(bm_schedule_next(&daily, lim + 1), -1);
    assert_true(bm_schedule_next(&daily, lim) > lim);
    assert_true(bm_schedule_prev(&daily, -lim) < -lim);
}

/* A reference by brute force: hour h of the day fires iff h >= H and (h - H) % N == 0. */
static int fires(int start, int step, int64_t t)
{
    int64_t r = t % D;
    if (r < 0) r += D;
    if (r % H) return 0;
    int h = (int)(r / H);
    return h >= start && (h - start) % step == 0;
}

static void test_against_reference(void **state)
{
    const int64_t base = DEC31 - 2 * D; /* over the 2024-2025 year boundary */
    for (int start = 0; start < 24; start++) {
        for (int step = 1; step <= 24; step++) {
            bm_schedule_expr e = {0, start, step};
            int64_t min_gap = 48 * H, last = -1;
            for (int64_t t = base; t < base + 5 * D; t += 1800) {
                int64_t want_next = (t / H + 1) * H, want_prev = t / H * H; /* t > 0 */
                while (!fires(start, step, want_next))
                    want_next += H;
                while (!fires(start, step, want_prev))
                    want_prev -= H;
                assert_int_equal(bm_schedule_next(&e, t), want_next);
                assert_int_equal(bm_schedule_prev(&e, t), want_prev);
                if (fires(start, step, t)) {
                    if (last >= 0 && t - last < min_gap) min_gap = t - last;
                    last = t;
                }
            }
            assert_int_equal(bm_schedule_period(&e), min_gap);
            if (24 % step == 0 && start < step) assert_int_equal(min_gap, step * H);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),       cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_parse_exhaustive),    cmocka_unit_test(test_parse_bounds),
        cmocka_unit_test(test_documented_examples), cmocka_unit_test(test_default_window),
        cmocka_unit_test(test_now_and_invalid),     cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
