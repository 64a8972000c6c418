/* ScheduleExpression parsing (the Model Monitor cron sub-grammar and NOW) and tick arithmetic. */
#include <stdio.h>
#include <string.h>
#include "biasmon/cron.h"

#define HOUR 3600
#define DAY 86400
#define TICK_LIMIT ((int64_t)1 << 53) /* next/prev refuse arguments beyond +-this */

static const char accepted[] = "supported: cron(0 * ? * * *), cron(0 H ? * * *), "
                               "cron(0 H/N ? * * *) with H 0-23 and N 1-24, or NOW";

/* ==================================================================================== */
/* Parsing                                                                              */
/* ==================================================================================== */

/* Fails at 0-based position pos: "column N: <what>; supported: ...". */
static int fail_at(bm_error *err, size_t pos, const char *what)
{
    bm_error_set(err, BM_EPARSE, "column %zu: %s; %s", pos + 1, what, accepted);
    if (err) err->col = (long)pos + 1;
    return BM_EPARSE;
}

/* Fails on s[pos] (or the end when pos == n): "found 'x' where <wanted>". */
static int fail_found(bm_error *err, const char *s, size_t n, size_t pos, const char *wanted)
{
    char what[160];
    if (pos >= n)
        snprintf(what, sizeof(what), "found the end where %s", wanted);
    else if (s[pos] >= 0x20 && s[pos] < 0x7f)
        snprintf(what, sizeof(what), "found '%c' where %s", s[pos], wanted);
    else
        snprintf(what, sizeof(what), "found byte 0x%02x where %s", (unsigned)(unsigned char)s[pos],
                 wanted);
    return fail_at(err, pos, what);
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Reads a 1-2 digit number at s[*i] with lo <= v <= hi. */
static int small_number(const char *s, size_t n, size_t *i, int lo, int hi, int *v,
                        const char *name, bm_error *err)
{
    char what[96];
    size_t at = *i, k = *i;
    int x = 0;
    while (k < n && is_digit(s[k])) {
        if (k - at == 2) {
            snprintf(what, sizeof(what), "%s longer than 2 digits", name);
            return fail_at(err, at, what);
        }
        x = x * 10 + (s[k++] - '0');
    }
    if (k == at) {
        snprintf(what, sizeof(what), "the %s should be", name);
        return fail_found(err, s, n, at, what);
    }
    if (x < lo || x > hi) {
        snprintf(what, sizeof(what), "%s %d out of range %d-%d", name, x, lo, hi);
        return fail_at(err, at, what);
    }
    *i = k;
    *v = x;
    return BM_OK;
}

/* The six fields after "cron(": name, the only text allowed (NULL for hours), and why. */
static const struct {
    const char *name;
    const char *only;
    const char *why;
} fields[6] = {
    {"minutes", "0", "minutes must be 0 (schedules run on whole hours)"},
    {"hours", NULL, NULL},
    {"day-of-month", "?", "day-of-month must be ? (schedules run every day)"},
    {"month", "*", "month must be * (schedules run every month)"},
    {"day-of-week", "*", "day-of-week must be * (schedules run every day)"},
    {"year", "*", "year must be * (schedules run every year)"},
};

int bm_schedule_parse(const char *s, size_t n, bm_schedule_expr *out, bm_error *err)
{
    bm_schedule_expr e = {0, 0, 1};
    size_t i = 0;
    int r;
    if (!s) n = 0;

    if (n > 0 && s[0] == 'N') {
        static const char now[] = "NOW";
        for (; i < 3; i++)
            if (i >= n || s[i] != now[i]) return fail_found(err, s, n, i, "NOW should be");
        if (n > 3) return fail_found(err, s, n, 3, "the expression should end after NOW");
        e.now = 1;
        e.step_hours = 0;
        *out = e;
        return BM_OK;
    }
    static const char open[] = "cron(";
    for (; i < 5; i++)
        if (i >= n || s[i] != open[i])
            return fail_found(err, s, n, i, i ? "cron( should be" : "cron( or NOW should be");

    for (int f = 0; f < 6; f++) {
        char wanted[96];
        size_t at = i;
        if (f == 1) {
            if (i < n && s[i] == '*') {
                if (i + 1 < n && s[i + 1] == '/')
                    return fail_at(err, i, "*/N is not supported (write 0/N)");
                i++;
            } else {
                int h, step = 24;
                if (i >= n || !is_digit(s[i]))
                    return fail_found(err, s, n, i, "the hours (*, H or H/N) should be");
                if ((r = small_number(s, n, &i, 0, 23, &h, "hour", err)) != BM_OK) return r;
                if (i < n && s[i] == '/') {
                    i++;
                    r = small_number(s, n, &i, 1, 24, &step, "hour step", err);
                    if (r != BM_OK) return r;
                }
                e.start_hour = h;
                e.step_hours = step;
            }
        } else {
            /* The token is everything up to the next space or ')': compare it whole so that
             * "00" or "*" in the minutes gets the field's message, not a stray-character one. */
            size_t end = i;
            while (end < n && s[end] != ' ' && s[end] != ')')
                end++;
            size_t len = strlen(fields[f].only);
            if (end == i) {
                snprintf(wanted, sizeof(wanted), "the %s field (%s) should be", fields[f].name,
                         fields[f].only);
                return fail_found(err, s, n, i, wanted);
            }
            if (end - i != len || memcmp(s + i, fields[f].only, len) != 0)
                return fail_at(err, at, fields[f].why);
            i = end;
        }
        if (f < 5) {
            snprintf(wanted, sizeof(wanted), "a single space should follow the %s", fields[f].name);
            if (i >= n || s[i] != ' ') {
                if (i < n && s[i] == ')') {
                    snprintf(wanted, sizeof(wanted), "the %s should follow (6 fields)",
                             fields[f + 1].name);
                    return fail_found(err, s, n, i, wanted);
                }
                return fail_found(err, s, n, i, wanted);
            }
            i++;
            if (i < n && s[i] == ' ') return fail_found(err, s, n, i, wanted);
        }
    }
    if (i >= n || s[i] != ')') return fail_found(err, s, n, i, "')' should follow the year");
    if (i + 1 < n) return fail_found(err, s, n, i + 1, "the expression should end after ')'");
    *out = e;
    return BM_OK;
}

/* ==================================================================================== */
/* Ticks                                                                                */
/* ==================================================================================== */

/* Bit h set when the schedule fires at hour h of every UTC day; 0 when e is not a valid
 * recurring expression. */
static uint32_t hour_mask(const bm_schedule_expr *e)
{
    if (!e || e->now || e->start_hour < 0 || e->start_hour > 23 || e->step_hours < 1 ||
        e->step_hours > 24)
        return 0;
    uint32_t m = 0;
    for (int h = e->start_hour; h < 24; h += e->step_hours)
        m |= (uint32_t)1 << h;
    return m;
}

/* The hour of the UTC day (0-23) of t, a whole hour. */
static int hour_of_day(int64_t t)
{
    int64_t r = t % DAY;
    if (r < 0) r += DAY;
    return (int)(r / HOUR);
}

static int64_t floor_hour(int64_t t)
{
    int64_t r = t % HOUR;
    if (r < 0) r += HOUR;
    return t - r;
}

int64_t bm_schedule_next(const bm_schedule_expr *e, int64_t after)
{
    uint32_t m = hour_mask(e);
    if (!m || after > TICK_LIMIT || after < -TICK_LIMIT) return -1;
    /* Every day has a tick, so one is found within 24 hours. */
    for (int64_t t = floor_hour(after) + HOUR;; t += HOUR)
        if (m >> hour_of_day(t) & 1) return t;
}

int64_t bm_schedule_prev(const bm_schedule_expr *e, int64_t at_or_before)
{
    uint32_t m = hour_mask(e);
    if (!m || at_or_before > TICK_LIMIT || at_or_before < -TICK_LIMIT) return -1;
    for (int64_t t = floor_hour(at_or_before);; t -= HOUR)
        if (m >> hour_of_day(t) & 1) return t;
}

int64_t bm_schedule_period(const bm_schedule_expr *e)
{
    uint32_t m = hour_mask(e);
    if (!m) return 0;
    /* The smallest gap between consecutive set bits, counting the wrap into the next day. */
    int first = -1, last = -1, gap = 24;
    for (int h = 0; h < 24; h++) {
        if (!(m >> h & 1)) continue;
        if (last >= 0 && h - last < gap) gap = h - last;
        if (first < 0) first = h;
        last = h;
    }
    if (first + 24 - last < gap) gap = first + 24 - last;
    return (int64_t)gap * HOUR;
}
