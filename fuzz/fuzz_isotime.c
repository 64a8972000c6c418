/* Fuzz target for durations, UTC times and schedule expressions: every input goes to all three
 * parsers; successes must round-trip and tick arithmetic must be consistent, failures must point
 * inside the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "biasmon/isotime.h"
#include "biasmon/cron.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) abort();                                                                      \
    } while (0)

#define LAST_EPOCH 253402300799 /* 9999-12-31T23:59:59Z */

/* A failure is BM_EPARSE at a column inside the input or just after it, with a message. */
static void check_failure(int r, const bm_error *err, size_t size, const char *help)
{
    CHECK(r == BM_EPARSE && err->code == BM_EPARSE);
    CHECK(err->col >= 1 && (size_t)err->col <= size + 1);
    CHECK(strstr(err->msg, help) != NULL);
}

/* The input followed by one more byte: a success must turn into a failure at that byte. */
static int parse_with_junk(const char *s, size_t size, int which, bm_error *err)
{
    char *copy = bm_malloc(size + 1);
    CHECK(copy != NULL);
    if (size) memcpy(copy, s, size);
    copy[size] = 'X';
    int64_t v;
    bm_schedule_expr e;
    int r = which == 0   ? bm_duration_parse(copy, size + 1, &v, err)
            : which == 1 ? bm_time_parse(copy, size + 1, &v, err)
                         : bm_schedule_parse(copy, size + 1, &e, err);
    bm_free(copy);
    return r;
}

static void fuzz_duration(const char *s, size_t size)
{
    static const char help[] = "expected a duration like -PT1H, -P1D or -P1DT6H";
    bm_error err;
    int64_t v = 0;
    bm_error_clear(&err);
    int r = bm_duration_parse(s, size, &v, &err);
    if (r != BM_OK) {
        check_failure(r, &err, size, help);
        return;
    }
    const int64_t bound = (int64_t)1000000000 * (604800 + 3600 + 60 + 1);
    CHECK(size >= 3 && size <= 15 && v > -bound && v < bound);
    CHECK(parse_with_junk(s, size, 0, &err) == BM_EPARSE && (size_t)err.col == size + 1);
}

static void fuzz_time(const char *s, size_t size)
{
    static const char help[] = "expected a UTC time like 2026-11-24T10:00:00Z";
    bm_error err;
    int64_t t = -1, back = -1;
    char text[32];
    bm_civil c;
    bm_error_clear(&err);
    int r = bm_time_parse(s, size, &t, &err);
    if (r != BM_OK) {
        check_failure(r, &err, size, help);
        return;
    }
    CHECK(t >= 0 && t <= LAST_EPOCH);
    /* format(parse(s)) is canonical and parses back to the same epoch */
    CHECK(bm_time_format(t, text, sizeof(text)) == 20);
    CHECK(bm_time_parse(text, 20, &back, &err) == BM_OK && back == t);
    if (size == 20 && s[19] == 'Z') CHECK(memcmp(s, text, 20) == 0);
    if (size == 10) CHECK(t % 86400 == 0 && memcmp(s, text, 10) == 0);
    /* calendar fields round-trip and are in range */
    bm_time_civil(t, &c);
    CHECK(bm_time_from_civil(&c) == t);
    CHECK(c.year >= 1969 && c.year <= 9999 && c.month >= 1 && c.month <= 12);
    CHECK(c.day >= 1 && c.day <= 31 && c.hour >= 0 && c.hour <= 23);
    CHECK(c.minute >= 0 && c.minute <= 59 && c.second >= 0 && c.second <= 59);
    int64_t h = bm_time_hour_floor(t);
    CHECK(h <= t && t - h < 3600 && h % 3600 == 0);
    CHECK(parse_with_junk(s, size, 1, &err) == BM_EPARSE && (size_t)err.col == size + 1);
}

/* The tick invariants around t. */
static void check_ticks(const bm_schedule_expr *e, int64_t t)
{
    int64_t period = bm_schedule_period(e);
    int64_t p = bm_schedule_prev(e, t), n = bm_schedule_next(e, t);
    CHECK(p <= t && t < n);
    CHECK(p % 3600 == 0 && n % 3600 == 0);
    CHECK(n - p >= period && n - p <= 86400);
    CHECK(bm_schedule_next(e, p) == n); /* no tick in (p, n) */
    CHECK(bm_schedule_prev(e, n - 1) == p);
    CHECK(bm_schedule_prev(e, n) == n);
    CHECK(bm_schedule_next(e, n - 1) == n);
    CHECK(bm_schedule_prev(e, p - 1) < p && bm_schedule_next(e, bm_schedule_prev(e, p - 1)) == p);
}

static void fuzz_schedule(const char *s, size_t size, uint64_t hash)
{
    static const char help[] = "supported: cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N";
    bm_error err;
    bm_schedule_expr e, again;
    bm_error_clear(&err);
    int r = bm_schedule_parse(s, size, &e, &err);
    if (r != BM_OK) {
        check_failure(r, &err, size, help);
        return;
    }
    CHECK(parse_with_junk(s, size, 2, &err) == BM_EPARSE && (size_t)err.col == size + 1);
    if (e.now) {
        CHECK(size == 3 && e.step_hours == 0);
        CHECK(bm_schedule_next(&e, 0) == -1 && bm_schedule_prev(&e, 0) == -1);
        CHECK(bm_schedule_period(&e) == 0);
        return;
    }
    CHECK(size <= 21 && e.start_hour >= 0 && e.start_hour <= 23);
    CHECK(e.step_hours >= 1 && e.step_hours <= 24);
    int64_t period = bm_schedule_period(&e);
    CHECK(period >= 3600 && period <= 86400 && period % 3600 == 0);
    if (24 % e.step_hours == 0 && e.start_hour < e.step_hours) CHECK(period == 3600 * e.step_hours);

    /* the canonical text parses to the same expression */
    char text[32];
    int len = e.step_hours == 24 ? snprintf(text, sizeof(text), "cron(0 %d ? * * *)", e.start_hour)
                                 : snprintf(text, sizeof(text), "cron(0 %d/%d ? * * *)",
                                            e.start_hour, e.step_hours);
    CHECK(bm_schedule_parse(text, (size_t)len, &again, &err) == BM_OK);
    CHECK(again.now == 0 && again.start_hour == e.start_hour);
    CHECK(again.step_hours == e.step_hours);

    /* ticks around times derived from the input, and fixed ones */
    const int64_t probes[] = {
        0,
        -1,
        1705693133, /* 2024-01-19T19:38:53Z */
        LAST_EPOCH,
        (int64_t)(hash % (uint64_t)LAST_EPOCH),
        -(int64_t)(hash % ((uint64_t)1 << 40)),
        (int64_t)(hash % 86400) + 1735603200, /* during 2024-12-31 */
    };
    for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++)
        check_ticks(&e, probes[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    uint64_t hash = 14695981039346656037u; /* FNV-1a */
    for (size_t k = 0; k < size; k++)
        hash = (hash ^ data[k]) * 1099511628211u;
    fuzz_duration(s, size);
    fuzz_time(s, size);
    fuzz_schedule(s, size, hash);
    return 0;
}
