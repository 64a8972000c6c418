/* Tests for ISO-8601 durations and UTC times: accepted and refused texts with their error columns,
 * calendar arithmetic against a table computed with Python's datetime, and bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "biasmon/isotime.h"

#define DURATION_HELP                                                                              \
    "expected a duration like -PT1H, -P1D or -P1DT6H; years and months are not supported"
#define TIME_HELP "expected a UTC time like 2026-11-24T10:00:00Z"

/* The parsers get an exact-size heap copy without a terminating NUL, so that AddressSanitizer
 * catches any read past n. */
static int duration(const char *s, size_t n, int64_t *v, bm_error *err)
{
    char *copy = bm_malloc(n);
    assert_non_null(copy);
    memcpy(copy, s, n);
    int r = bm_duration_parse(copy, n, v, err);
    bm_free(copy);
    return r;
}

static int timeparse(const char *s, size_t n, int64_t *v, bm_error *err)
{
    char *copy = bm_malloc(n);
    assert_non_null(copy);
    memcpy(copy, s, n);
    int r = bm_time_parse(copy, n, v, err);
    bm_free(copy);
    return r;
}

/* ==================================================================================== */
/* Durations                                                                            */
/* ==================================================================================== */

static const struct {
    const char *s;
    int64_t seconds;
} good_durations[] = {
    /* every example in the spec */
    {"-PT1H", -3600},
    {"-P1D", -86400},
    {"-P1DT6H", -108000},
    {"-PT30M", -1800},
    {"-PT0H", 0},
    {"-PT6H", -21600},
    {"-P8D", -8 * 86400},
    {"PT0H", 0},
    {"P1W", 604800},
    {"-PT90S", -90},
    /* more */
    {"+PT1H", 3600},
    {"PT1M", 60},
    {"PT1H30M", 5400},
    {"PT1H1S", 3601},
    {"PT1M1S", 61},
    {"P1DT1S", 86401},
    {"P1DT1H1M1S", 90061},
    {"P1WT1H", 608400},
    {"P0D", 0},
    {"-PT24H", -86400},
    {"PT000000001H", 3600},
    {"-PT999999999S", -999999999},
    {"P999999999W", (int64_t)999999999 * 604800},
    {"-P999999999D", -(int64_t)999999999 * 86400},
    {"PT999999999H", (int64_t)999999999 * 3600},
    {"-P10DT23H59M59S", -(10 * 86400 + 23 * 3600 + 59 * 60 + 59)}, /* 15 characters */
};

static void test_duration_accepts(void **state)
{
    for (size_t k = 0; k < sizeof(good_durations) / sizeof(good_durations[0]); k++) {
        bm_error err;
        bm_error_clear(&err);
        int64_t v = 12345;
        int r = duration(good_durations[k].s, strlen(good_durations[k].s), &v, &err);
        if (r != BM_OK) fprintf(stderr, "%s: %s\n", good_durations[k].s, err.msg);
        assert_int_equal(r, BM_OK);
        assert_int_equal(v, good_durations[k].seconds);
    }
}

static const struct {
    const char *s;
    long col;
    const char *words; /* a part of the message */
} bad_durations[] = {
    {"", 1, "empty"},
    {"P", 2, "found the end where a number should follow P"},
    {"PT", 3, "found the end where a number should follow T"},
    {"-P", 3, "found the end"},
    {"-PT", 4, "found the end"},
    {"-P1M", 4, "found M (months"},
    {"P1M", 3, "months"},
    {"P1Y", 3, "found Y (years)"},
    {"-P1Y2M", 4, "years"},
    {"P1Y2M3DT4H", 3, "years"},
    {"P1H", 3, "hours are written PT<n>H"},
    {"P1S", 3, "seconds are written PT<n>S"},
    {"PT1.5H", 4, "fraction"},
    {"PT1,5H", 4, "fraction"},
    {"P0.5D", 3, "fraction"},
    {"-P1DT", 6, "a number should follow T"},
    {"P1W1D", 4, "T or the end should follow W or D"},
    {"P1D1W", 4, "T or the end"},
    {"P1D2D", 4, "T or the end"},
    {"PT1H1H", 6, "found 'H' where M or S should follow"},
    {"PT1M1H", 6, "found 'H' where S should follow"},
    {"PT1S1M", 5, "should end after S"},
    {"PT1H2", 6, "found the end where M or S"},
    {"PT1HT", 5, "found 'T'"},
    {"PTH", 3, "found 'H' where a number should follow T"},
    {"P1", 3, "found the end where W or D"},
    {"P1DX", 4, "found 'X'"},
    {"PX", 2, "found 'X' where a number or T should follow P"},
    {"pt1h", 1, "found 'p' where a sign or P should be"},
    {"-pT1H", 2, "found 'p' where P should follow the sign"},
    {"-PT1h", 5, "found 'h'"},
    {"P-1D", 2, "found '-'"},
    {"P+1D", 2, "found '+'"},
    {"--PT1H", 2, "found '-'"},
    {"1D", 1, "found '1'"},
    {"T1H", 1, "found 'T'"},
    {" -PT1H", 1, "found ' '"},
    {"-PT1H ", 6, "found ' '"},
    {"P T1H", 2, "found ' '"},
    {"P1DT1H1M1S1", 11, "should end after S"},
    {"-PT1H\x80", 6, "byte 0x80"},
    /* more than 9 digits: the 10th digit is the offending character */
    {"PT0000000000H", 12, "longer than 9 digits"},
    {"-PT9999999999S", 13, "longer than 9 digits"},
    {"P1000000000D", 11, "longer than 9 digits"},
    /* more than 15 characters: column 16 */
    {"-P10DT23H59M590S", 16, "longer than 15 characters"},
    {"PT1H..........................", 16, "longer than 15 characters"},
};

static void test_duration_refuses(void **state)
{
    for (size_t k = 0; k < sizeof(bad_durations) / sizeof(bad_durations[0]); k++) {
        bm_error err;
        bm_error_clear(&err);
        int64_t v = 12345;
        const char *s = bad_durations[k].s;
        int r = duration(s, strlen(s), &v, &err);
        if (r != BM_EPARSE || err.col != bad_durations[k].col ||
            !strstr(err.msg, bad_durations[k].words))
            fprintf(stderr, "\"%s\": r %d col %ld: %s\n", s, r, err.col, err.msg);
        assert_int_equal(r, BM_EPARSE);
        assert_int_equal(err.code, BM_EPARSE);
        assert_int_equal(err.col, bad_durations[k].col);
        assert_non_null(strstr(err.msg, bad_durations[k].words));
        assert_non_null(strstr(err.msg, DURATION_HELP));
        assert_int_equal(v, 12345); /* untouched on failure */
    }
}

/* Replacing any one character of a valid duration with junk is reported at that character;
 * any proper prefix is either valid or reported at its end. */
static void test_duration_junk_everywhere(void **state)
{
    static const char *const valid[] = {"-P1DT6H", "+P2WT3H4M5S", "PT12H30M15S", "-PT90S"};
    for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        size_t n = strlen(valid[v]);
        for (size_t k = 0; k < n; k++) {
            char buf[32];
            memcpy(buf, valid[v], n);
            buf[k] = '#';
            bm_error err;
            int64_t out;
            bm_error_clear(&err);
            assert_int_equal(duration(buf, n, &out, &err), BM_EPARSE);
            assert_int_equal(err.col, (long)k + 1);

            bm_error_clear(&err);
            int r = duration(valid[v], k, &out, &err);
            if (r != BM_OK) assert_int_equal(err.col, (long)k + 1);
        }
    }
}

static void test_duration_bounds(void **state)
{
    bm_error err;
    int64_t v = 7;
    /* only n bytes are read */
    assert_int_equal(bm_duration_parse("-PT1HXYZ", 5, &v, &err), BM_OK);
    assert_int_equal(v, -3600);
    assert_int_equal(bm_duration_parse("-PT1H", 4, &v, &err), BM_EPARSE);
    assert_int_equal(err.col, 5);
    /* NULL with n 0 and a NULL err are allowed */
    assert_int_equal(bm_duration_parse(NULL, 0, &v, NULL), BM_EPARSE);
    assert_int_equal(bm_duration_parse("P1M", 3, &v, NULL), BM_EPARSE);
    /* an embedded NUL is a character like any other */
    bm_error_clear(&err);
    assert_int_equal(bm_duration_parse("PT1H\0", 5, &v, &err), BM_EPARSE);
    assert_int_equal(err.col, 5);
    assert_non_null(strstr(err.msg, "byte 0x00"));
    /* the error keeps the caller's file and path */
    bm_error_clear(&err);
    bm_error_at(&err, "job.json", 3, 0, "$.EndpointInput.StartTimeOffset");
    assert_int_equal(bm_duration_parse("-P1M", 4, &v, &err), BM_EPARSE);
    assert_string_equal(err.file, "job.json");
    assert_string_equal(err.path, "$.EndpointInput.StartTimeOffset");
    assert_int_equal(err.col, 4);
}

/* ==================================================================================== */
/* Times                                                                                */
/* ==================================================================================== */

/* Epochs from Python: int(datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()). */
static const struct {
    const char *s;
    int64_t epoch;
} good_times[] = {
    {"2026-11-24T10:00:00Z", 1795514400},
    {"2026-11-24", 1795478400},
    {"2026-11-24T00:00:00+00:00", 1795478400},
    {"2026-11-24T00:00:00-00:00", 1795478400},
    {"2024-02-29T23:59:59.999+05:30", 1709231399},
    {"2024-02-29", 1709164800},
    {"2024-02-29T00:00:00Z", 1709164800},
    {"2000-02-29T00:00:00Z", 951782400},
    {"2021-05-06T22:00:00-05:30", 1620358200},
    {"2021-05-06T23:00:00Z", 1620342000},
    {"2020-01-09T13:00:00Z", 1578574800},
    {"1970-01-01T05:30:00+05:30", 0},
    {"1970-01-01", 0},
    {"1970-01-01T00:00:00Z", 0},
    {"9999-12-31T23:59:59Z", 253402300799},
    {"9999-12-31T18:59:59-05:00", 253402300799},
    {"2026-11-24T10:00:00.5Z", 1795514400},
    {"2026-11-24T10:00:00.123456789Z", 1795514400},
    {"2026-11-24T10:00:00.999999999+00:00", 1795514400},
    {"2024-01-19T20:06:08Z", 1705694768},
    {"2026-11-24T10:00:00+23:59", 1795514400 - 23 * 3600 - 59 * 60},
};

static void test_time_accepts(void **state)
{
    for (size_t k = 0; k < sizeof(good_times) / sizeof(good_times[0]); k++) {
        bm_error err;
        bm_error_clear(&err);
        int64_t v = -5;
        int r = timeparse(good_times[k].s, strlen(good_times[k].s), &v, &err);
        if (r != BM_OK) fprintf(stderr, "%s: %s\n", good_times[k].s, err.msg);
        assert_int_equal(r, BM_OK);
        assert_int_equal(v, good_times[k].epoch);
    }
}

static const struct {
    const char *s;
    long col;
    const char *words;
} bad_times[] = {
    {"", 1, "empty"},
    {"2023-02-29", 9, "day 29 out of range 01-28 for 2023-02"},
    {"2100-02-29", 9, "day 29 out of range 01-28"},
    {"2023-02-29T00:00:00Z", 9, "day 29"},
    {"2026-04-31", 9, "day 31 out of range 01-30"},
    {"2026-01-32", 9, "day 32"},
    {"2026-01-00", 9, "day 00"},
    {"2026-13-01", 6, "month 13 out of range 01-12"},
    {"2026-00-01", 6, "month 00"},
    {"1969-12-31T23:59:59Z", 1, "year 1969 out of range 1970-9999"},
    {"0000-01-01", 1, "year 0000"},
    {"1900-02-29", 1, "year 1900"},
    {"2026-11-24T24:00:00Z", 12, "hour 24 out of range 00-23"},
    {"2026-11-24T10:60:00Z", 15, "minute 60"},
    {"2026-11-24T10:00:60Z", 18, "leap second"},
    {"2026-11-24T10:00:61Z", 18, "second 61"},
    {"2026-11-24T10:00:00", 20, "found the end where Z or an offset"},
    {"2026-11-24T10:00:00.Z", 21, "digits should follow '.'"},
    {"2026-11-24T10:00:00.1234567890Z", 30, "longer than 9 digits"},
    {"2026-11-24T10:00Z", 17, "found 'Z' where ':' should follow the minute"},
    {"2026-11-24T10Z", 14, "':' should follow the hour"},
    {"2026-11-24 10:00:00Z", 11, "found ' ' where T"},
    {"2026-11-24t10:00:00z", 11, "found 't'"},
    {"2026-11-24T10:00:00z", 20, "found 'z'"},
    {"2026-11-24T10:00:00+0530", 23, "':' should separate"},
    {"2026-11-24T10:00:00+24:00", 21, "offset hour 24"},
    {"2026-11-24T10:00:00+05:60", 24, "offset minute 60"},
    {"2026-11-24T10:00:00+5:30", 22, "2-digit offset hour"},
    {"2026-11-24T10:00:00ZZ", 21, "should end"},
    {"2026-11-24T10:00:00Z ", 21, "found ' '"},
    {"2026-11-24T10:00:00.123+05", 27, "found the end"},
    {"1970-01-01T00:00:00+00:01", 20, "before 1970-01-01T00:00:00Z"},
    {"1970-01-01T00:59:59+01:00", 20, "before"},
    {"9999-12-31T23:59:59-00:01", 20, "after 9999-12-31T23:59:59Z"},
    {"10000-01-01", 5, "found '0' where '-' should follow the year"},
    {"26-11-24", 3, "found '-' where a 4-digit year"},
    {"2026/11/24", 5, "found '/'"},
    {"2026-1-24", 7, "found '-' where a 2-digit month"},
    {"2026-11-4", 10, "found the end where a 2-digit day"},
    {"2026-11-24T", 12, "found the end where a 2-digit hour"},
    {"2026-11-24Z", 11, "found 'Z' where T"},
    {"+2026-11-24", 1, "found '+'"},
    {" 2026-11-24", 1, "found ' '"},
    {"2026-11-24\n", 11, "byte 0x0a"},
    {"2026-11-24T10:00:00Z\xff", 21, "byte 0xff"},
};

static void test_time_refuses(void **state)
{
    for (size_t k = 0; k < sizeof(bad_times) / sizeof(bad_times[0]); k++) {
        bm_error err;
        bm_error_clear(&err);
        int64_t v = -5;
        const char *s = bad_times[k].s;
        int r = timeparse(s, strlen(s), &v, &err);
        if (r != BM_EPARSE || err.col != bad_times[k].col || !strstr(err.msg, bad_times[k].words))
            fprintf(stderr, "\"%s\": r %d col %ld: %s\n", s, r, err.col, err.msg);
        assert_int_equal(r, BM_EPARSE);
        assert_int_equal(err.col, bad_times[k].col);
        assert_non_null(strstr(err.msg, bad_times[k].words));
        assert_non_null(strstr(err.msg, TIME_HELP));
        assert_int_equal(v, -5);
    }
}

static void test_time_junk_everywhere(void **state)
{
    static const char *const valid[] = {"2024-02-29T23:59:59.999+05:30", "2026-11-24T10:00:00Z",
                                        "2026-11-24"};
    for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        size_t n = strlen(valid[v]);
        for (size_t k = 0; k < n; k++) {
            char buf[64];
            memcpy(buf, valid[v], n);
            buf[k] = 'x';
            bm_error err;
            int64_t out;
            bm_error_clear(&err);
            assert_int_equal(timeparse(buf, n, &out, &err), BM_EPARSE);
            assert_int_equal(err.col, (long)k + 1);

            bm_error_clear(&err);
            int r = timeparse(valid[v], k, &out, &err);
            if (r != BM_OK)
                assert_int_equal(err.col, (long)k + 1);
            else
                assert_int_equal(k, 10); /* the date alone */
        }
    }
}

static void test_time_leap_days(void **state)
{
    /* every Feb 29 from 1970 to 2400: accepted exactly in leap years, the day after is Mar 1 */
    for (int y = 1970; y <= 2400; y++) {
        char buf[16];
        int64_t feb29, mar1, feb28;
        bm_error err;
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        snprintf(buf, sizeof(buf), "%04d-02-29", y);
        assert_int_equal(bm_time_parse(buf, 10, &feb29, &err), leap ? BM_OK : BM_EPARSE);
        snprintf(buf, sizeof(buf), "%04d-03-01", y);
        assert_int_equal(bm_time_parse(buf, 10, &mar1, &err), BM_OK);
        snprintf(buf, sizeof(buf), "%04d-02-28", y);
        assert_int_equal(bm_time_parse(buf, 10, &feb28, &err), BM_OK);
        assert_int_equal(mar1 - feb28, leap ? 2 * 86400 : 86400);
        if (leap) assert_int_equal(feb29 - feb28, 86400);
    }
}

/* ==================================================================================== */
/* Calendar arithmetic and formatting                                                   */
/* ==================================================================================== */

/* From Python: datetime.fromtimestamp(e, tz=timezone.utc), and strftime('%Y-%m-%dT%H:%M:%SZ'). */
static const struct {
    int64_t epoch;
    bm_civil civil;
    const char *text;
} python_table[] = {
    {0LL, {1970, 1, 1, 0, 0, 0}, "1970-01-01T00:00:00Z"},
    {1LL, {1970, 1, 1, 0, 0, 1}, "1970-01-01T00:00:01Z"},
    {86399LL, {1970, 1, 1, 23, 59, 59}, "1970-01-01T23:59:59Z"},
    {86400LL, {1970, 1, 2, 0, 0, 0}, "1970-01-02T00:00:00Z"},
    {68256000LL, {1972, 3, 1, 0, 0, 0}, "1972-03-01T00:00:00Z"},
    {951782399LL, {2000, 2, 28, 23, 59, 59}, "2000-02-28T23:59:59Z"},
    {951782400LL, {2000, 2, 29, 0, 0, 0}, "2000-02-29T00:00:00Z"},
    {951868800LL, {2000, 3, 1, 0, 0, 0}, "2000-03-01T00:00:00Z"},
    {1078012800LL, {2004, 2, 29, 0, 0, 0}, "2004-02-29T00:00:00Z"},
    {1234567890LL, {2009, 2, 13, 23, 31, 30}, "2009-02-13T23:31:30Z"},
    {1705694400LL, {2024, 1, 19, 20, 0, 0}, "2024-01-19T20:00:00Z"},
    {1709211661LL, {2024, 2, 29, 13, 1, 1}, "2024-02-29T13:01:01Z"},
    {1709251199LL, {2024, 2, 29, 23, 59, 59}, "2024-02-29T23:59:59Z"},
    {1735689599LL, {2024, 12, 31, 23, 59, 59}, "2024-12-31T23:59:59Z"},
    {1735689600LL, {2025, 1, 1, 0, 0, 0}, "2025-01-01T00:00:00Z"},
    {2147483647LL, {2038, 1, 19, 3, 14, 7}, "2038-01-19T03:14:07Z"},
    {2147483648LL, {2038, 1, 19, 3, 14, 8}, "2038-01-19T03:14:08Z"},
    {4102444800LL, {2100, 1, 1, 0, 0, 0}, "2100-01-01T00:00:00Z"},
    {4107542399LL, {2100, 2, 28, 23, 59, 59}, "2100-02-28T23:59:59Z"},
    {253402300799LL, {9999, 12, 31, 23, 59, 59}, "9999-12-31T23:59:59Z"},
    /* before the epoch: datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=e) */
    {-1LL, {1969, 12, 31, 23, 59, 59}, "1969-12-31T23:59:59Z"},
    {-86400LL, {1969, 12, 31, 0, 0, 0}, "1969-12-31T00:00:00Z"},
    {-86401LL, {1969, 12, 30, 23, 59, 59}, "1969-12-30T23:59:59Z"},
    {-62135596800LL, {1, 1, 1, 0, 0, 0}, "0001-01-01T00:00:00Z"},
};

static void test_civil_python_table(void **state)
{
    for (size_t k = 0; k < sizeof(python_table) / sizeof(python_table[0]); k++) {
        bm_civil c;
        char buf[32];
        const bm_civil *want = &python_table[k].civil;
        bm_time_civil(python_table[k].epoch, &c);
        assert_int_equal(c.year, want->year);
        assert_int_equal(c.month, want->month);
        assert_int_equal(c.day, want->day);
        assert_int_equal(c.hour, want->hour);
        assert_int_equal(c.minute, want->minute);
        assert_int_equal(c.second, want->second);
        assert_int_equal(bm_time_from_civil(want), python_table[k].epoch);
        assert_int_equal(bm_time_format(python_table[k].epoch, buf, 21), 20);
        assert_string_equal(buf, python_table[k].text);
        if (python_table[k].epoch >= 0) {
            int64_t back;
            bm_error err;
            assert_int_equal(bm_time_parse(buf, 20, &back, &err), BM_OK);
            assert_int_equal(back, python_table[k].epoch);
        }
    }
}

/* Every hour from 1969 to 2101, checked against a counter that advances the calendar by hand. */
static void test_civil_every_hour(void **state)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 1969, m = 1, d = 1, h = 0;
    int64_t t = -365 * 86400;
    for (; y < 2101; t += 3600) {
        bm_civil c;
        bm_time_civil(t, &c);
        if (c.year != y || c.month != m || c.day != d || c.hour != h)
            fail_msg("%lld: got %d-%d-%d %d, want %d-%d-%d %d", (long long)t, c.year, c.month,
                     c.day, c.hour, y, m, d, h);
        assert_int_equal(c.minute, 0);
        assert_int_equal(c.second, 0);
        assert_int_equal(bm_time_from_civil(&c), t);
        assert_int_equal(bm_time_hour_floor(t), t);
        assert_int_equal(bm_time_hour_floor(t + 1), t);
        assert_int_equal(bm_time_hour_floor(t + 3599), t);
        if (++h == 24) {
            h = 0;
            int len = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
            if (++d > len) {
                d = 1;
                if (++m > 12) m = 1, y++;
            }
        }
    }
    assert_int_equal(t, 4133980800); /* 2101-01-01T00:00:00Z */
}

/* Every day of years 0000-9999 (and around the clamp) round-trips. */
static void test_civil_every_day(void **state)
{
    bm_civil c;
    int64_t first = -62167219200; /* 0000-01-01 */
    bm_time_civil(first, &c);
    assert_int_equal(c.year, 0);
    assert_int_equal(c.month, 1);
    assert_int_equal(c.day, 1);
    int prev_day = 31;
    for (int64_t t = first; t <= 253402300799; t += 86400) {
        bm_time_civil(t + 86399, &c);
        assert_int_equal(c.hour, 23);
        assert_int_equal(c.second, 59);
        assert_int_equal(bm_time_from_civil(&c), t + 86399);
        assert_true(c.day == prev_day + 1 || (c.day == 1 && prev_day >= 28));
        prev_day = c.day;
    }
    /* far epochs: no overflow, clamped, consistent */
    bm_time_civil(INT64_MAX, &c);
    assert_true(c.year > 300000000);
    assert_int_equal(bm_time_from_civil(&c), 10000000000000000);
    bm_time_civil(INT64_MIN, &c);
    assert_true(c.year < -300000000);
    assert_int_equal(bm_time_from_civil(&c), -10000000000000000);
    /* nonsense fields: defined, no overflow (UBSan watches) */
    bm_civil huge = {INT_MAX, INT_MAX, INT_MAX, INT_MAX, INT_MAX, INT_MAX};
    bm_civil tiny = {INT_MIN, INT_MIN, INT_MIN, INT_MIN, INT_MIN, INT_MIN};
    (void)bm_time_from_civil(&huge);
    (void)bm_time_from_civil(&tiny);
}

static void test_format_and_floor(void **state)
{
    char buf[32];
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(bm_time_format(1795514400, buf, sizeof(buf)), 20);
    assert_string_equal(buf, "2026-11-24T10:00:00Z");
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(bm_time_format(1795514400, buf, 20), 0);
    assert_string_equal(buf, "");
    assert_int_equal(bm_time_format(1795514400, buf, 0), 0);
    assert_int_equal(bm_time_format(1795514400, NULL, 0), 0);
    assert_int_equal(bm_time_format(253402300800, buf, sizeof(buf)), 0); /* year 10000 */
    assert_string_equal(buf, "");
    assert_int_equal(bm_time_format(-62167219201, buf, sizeof(buf)), 0); /* year -1 */
    assert_int_equal(bm_time_format(-62167219200, buf, sizeof(buf)), 20);
    assert_string_equal(buf, "0000-01-01T00:00:00Z");

    assert_int_equal(bm_time_hour_floor(1705693133), 1705690800); /* 19:38:53 -> 19:00 */
    assert_int_equal(bm_time_hour_floor(0), 0);
    assert_int_equal(bm_time_hour_floor(-1), -3600);
    assert_int_equal(bm_time_hour_floor(-3600), -3600);
    assert_int_equal(bm_time_hour_floor(-3601), -7200);
    int64_t lo = bm_time_hour_floor(INT64_MIN); /* not representable: no overflow */
    assert_true(lo <= INT64_MIN + 3600);
    assert_int_equal(bm_time_hour_floor(INT64_MAX), INT64_MAX - INT64_MAX % 3600);
}

/* The window example of spec §4.3: offsets -P8D/-P1D, execution at 2020-01-09T13:00. */
static void test_window_example(void **state)
{
    bm_error err;
    int64_t t, start, end;
    char buf[32];
    assert_int_equal(bm_time_parse("2020-01-09T13:00:00Z", 20, &t, &err), BM_OK);
    assert_int_equal(bm_duration_parse("-P8D", 4, &start, &err), BM_OK);
    assert_int_equal(bm_duration_parse("-P1D", 4, &end, &err), BM_OK);
    bm_time_format(t + start, buf, sizeof(buf));
    assert_string_equal(buf, "2020-01-01T13:00:00Z");
    bm_time_format(t + end, buf, sizeof(buf));
    assert_string_equal(buf, "2020-01-08T13:00:00Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_accepts),
        cmocka_unit_test(test_duration_refuses),
        cmocka_unit_test(test_duration_junk_everywhere),
        cmocka_unit_test(test_duration_bounds),
        cmocka_unit_test(test_time_accepts),
        cmocka_unit_test(test_time_refuses),
        cmocka_unit_test(test_time_junk_everywhere),
        cmocka_unit_test(test_time_leap_days),
        cmocka_unit_test(test_civil_python_table),
        cmocka_unit_test(test_civil_every_hour),
        cmocka_unit_test(test_civil_every_day),
        cmocka_unit_test(test_format_and_floor),
        cmocka_unit_test(test_window_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
