/* UTC calendar arithmetic, ISO-8601 durations and times, without the C library's time functions. */
#include <stdio.h>
#include "biasmon/isotime.h"

#define SECS_PER_DAY 86400
#define MAX_DURATION_LEN 15 /* MonitoringTimeOffsetString */
#define MAX_DURATION_DIGITS 9
#define MAX_FRACTION_DIGITS 9
#define EPOCH_MAX 253402300799 /* 9999-12-31T23:59:59Z, the last time bm_time_parse accepts */
/* bm_time_civil clamps epochs to +-CIVIL_LIMIT seconds (about 317 million years) so that the year
 * fits an int and no intermediate value can overflow. */
#define CIVIL_LIMIT 10000000000000000

/* ==================================================================================== */
/* Calendar arithmetic                                                                  */
/* ==================================================================================== */

/* Both directions count years from March 1, so that February, the only month of varying
 * length, is the last month of the counted year; a 400-year era of the Gregorian calendar has
 * exactly 146097 days and 1970-01-01 is day 719468 after 0000-03-01. */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1-12, d 1-31). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    if (m <= 2) y -= 1;                  /* January and February end the previous year */
    int64_t era = floor_div(y, 400);     /* 400-year cycles since 0000-03-01 */
    int64_t year_of_era = y - era * 400; /* 0-399 */
    int64_t month_from_march = m > 2 ? m - 3 : m + 9;               /* 0-11 */
    int64_t day_of_year = (153 * month_from_march + 2) / 5 + d - 1; /* 0-365 */
    int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year; /* 0-146096 */
    return era * 146097 + day_of_era - 719468;
}

/* The inverse: the date of day number z (days since 1970-01-01). */
static void civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t day_of_era = z - era * 146097; /* 0-146096 */
    /* Remove the leap days before day_of_era (one every 4 years, except one per 100 years, plus
     * one per 400 years; the last day of the era is the 400-year leap day) to divide by 365. */
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153; /* 0-11 */
    int64_t d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    int64_t m = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    int64_t y = year_of_era + era * 400 + (m <= 2);
    *year = (int)y;
    *month = (int)m;
    *day = (int)d;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

void bm_time_civil(int64_t epoch, bm_civil *out)
{
    if (epoch > CIVIL_LIMIT) epoch = CIVIL_LIMIT;
    if (epoch < -CIVIL_LIMIT) epoch = -CIVIL_LIMIT;
    int64_t days = floor_div(epoch, SECS_PER_DAY);
    int64_t secs = epoch - days * SECS_PER_DAY; /* 0-86399 */
    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
}

int64_t bm_time_from_civil(const bm_civil *c)
{
    /* int64_t throughout: any int fields give a defined (if meaningless) result. */
    return days_from_civil(c->year, c->month, c->day) * SECS_PER_DAY + (int64_t)c->hour * 3600 +
           (int64_t)c->minute * 60 + c->second;
}

int64_t bm_time_hour_floor(int64_t epoch)
{
    int64_t r = epoch % 3600;
    if (r < 0) {
        if (epoch < INT64_MIN + 3600) return epoch - r; /* the floor is not representable */
        r += 3600;
    }
    return epoch - r;
}

/* ==================================================================================== */
/* Formatting                                                                           */
/* ==================================================================================== */

static char *put2(char *p, int v)
{
    *p++ = (char)('0' + v / 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

size_t bm_time_format(int64_t epoch, char *out, size_t outlen)
{
    bm_civil c;
    if (!out || outlen == 0) return 0;
    out[0] = 0;
    if (outlen < 21) return 0;
    bm_time_civil(epoch, &c);
    if (c.year < 0 || c.year > 9999) return 0;
    char *p = out;
    p = put2(p, c.year / 100);
    p = put2(p, c.year % 100);
    *p++ = '-';
    p = put2(p, c.month);
    *p++ = '-';
    p = put2(p, c.day);
    *p++ = 'T';
    p = put2(p, c.hour);
    *p++ = ':';
    p = put2(p, c.minute);
    *p++ = ':';
    p = put2(p, c.second);
    *p++ = 'Z';
    *p = 0;
    return (size_t)(p - out);
}

/* ==================================================================================== */
/* Parsing                                                                              */
/* ==================================================================================== */

/* A bounded cursor over the input: every access checks i < n. */
typedef struct cursor {
    const char *s;
    size_t n;
    size_t i;
    bm_error *err;
    const char *expected; /* what the input should look like, ends every message */
} cursor;

static int at_end(const cursor *c)
{
    return c->i >= c->n;
}

static int peek(const cursor *c)
{
    return c->i < c->n ? (unsigned char)c->s[c->i] : -1;
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

/* Fails at 0-based position pos with "column N: <what>; <expected>". */
static int fail_at(cursor *c, size_t pos, const char *what)
{
    bm_error_set(c->err, BM_EPARSE, "column %zu: %s; %s", pos + 1, what, c->expected);
    if (c->err) c->err->col = (long)pos + 1;
    return BM_EPARSE;
}

/* Fails on the character under the cursor (or the end of the input): "found 'x' where
 * <wanted>". Only printable ASCII is quoted back: messages end up in JSON error bodies. */
static int fail_here(cursor *c, const char *wanted)
{
    char what[128];
    int ch = peek(c);
    if (ch < 0)
        snprintf(what, sizeof(what), "found the end where %s", wanted);
    else if (ch >= 0x20 && ch < 0x7f)
        snprintf(what, sizeof(what), "found '%c' where %s", ch, wanted);
    else
        snprintf(what, sizeof(what), "found byte 0x%02x where %s", (unsigned)ch, wanted);
    return fail_at(c, c->i, what);
}

static int expect_char(cursor *c, char want, const char *wanted)
{
    if (peek(c) != (unsigned char)want) return fail_here(c, wanted);
    c->i++;
    return BM_OK;
}

/* Reads exactly k digits into *v. */
static int fixed_digits(cursor *c, int k, int *v, const char *wanted)
{
    int x = 0;
    for (int j = 0; j < k; j++) {
        if (!is_digit(peek(c))) return fail_here(c, wanted);
        x = x * 10 + (c->s[c->i++] - '0');
    }
    *v = x;
    return BM_OK;
}

/* ---- durations ---- */

static const char duration_expected[] =
    "expected a duration like -PT1H, -P1D or -P1DT6H; years and months are not supported";

/* Reads 1-9 digits; the cursor is on a digit. */
static int duration_number(cursor *c, int64_t *v)
{
    int64_t x = 0;
    for (int k = 0; is_digit(peek(c)); k++) {
        if (k == MAX_DURATION_DIGITS) return fail_at(c, c->i, "a number longer than 9 digits");
        x = x * 10 + (c->s[c->i++] - '0');
    }
    *v = x;
    return BM_OK;
}

/* A designator that cannot follow a number: a specific message for the likely mistakes. */
static int bad_designator(cursor *c, const char *wanted)
{
    switch (peek(c)) {
    case 'Y':
        return fail_at(c, c->i, "found Y (years)");
    case 'M':
        return fail_at(c, c->i, "found M (months; minutes are written PT<n>M)");
    case '.':
    case ',':
        return fail_at(c, c->i, "found a fraction (not supported: use a smaller unit)");
    }
    return fail_here(c, wanted);
}

int bm_duration_parse(const char *s, size_t n, int64_t *seconds, bm_error *err)
{
    static const struct {
        char unit;
        int64_t secs;
        const char *wanted; /* when a number is followed by something else */
    } time_units[] = {
        {'H', 3600, "H, M or S should follow the number"},
        {'M', 60, "M or S should follow the number"},
        {'S', 1, "S should follow the number"},
    };
    cursor c = {s, s ? n : 0, 0, err, duration_expected};
    int64_t total = 0, v;
    int r, negative = 0, date_unit = 0, time_numbers = 0;

    if (c.n == 0) return fail_at(&c, 0, "an empty duration");
    if (c.n > MAX_DURATION_LEN)
        return fail_at(&c, MAX_DURATION_LEN, "a duration longer than 15 characters");
    if (peek(&c) == '-' || peek(&c) == '+') negative = c.s[c.i++] == '-';
    r = expect_char(&c, 'P', c.i ? "P should follow the sign" : "a sign or P should be");
    if (r != BM_OK) return r;

    /* Date part: one nW or one nD. */
    if (is_digit(peek(&c))) {
        if ((r = duration_number(&c, &v)) != BM_OK) return r;
        date_unit = peek(&c);
        if (date_unit == 'H' || date_unit == 'S')
            return fail_at(&c, c.i,
                           date_unit == 'H' ? "found H (hours are written PT<n>H)"
                                            : "found S (seconds are written PT<n>S)");
        if (date_unit != 'W' && date_unit != 'D')
            return bad_designator(&c, "W or D should follow the number");
        total = v * (date_unit == 'W' ? 7 * SECS_PER_DAY : SECS_PER_DAY);
        c.i++;
    }
    /* Time part: T, then nH, nM, nS, each at most once and in this order. */
    if (peek(&c) == 'T') {
        c.i++;
        size_t next_unit = 0; /* index of the first unit still allowed */
        do {
            if (next_unit == 3) return fail_here(&c, "the duration should end after S");
            if (!is_digit(peek(&c)))
                return fail_here(&c, time_numbers ? "a number or the end should follow the unit"
                                                  : "a number should follow T");
            if ((r = duration_number(&c, &v)) != BM_OK) return r;
            size_t u = next_unit;
            while (u < 3 && time_units[u].unit != peek(&c))
                u++;
            if (u == 3) {
                if (peek(&c) == '.' || peek(&c) == ',')
                    return fail_at(&c, c.i, "found a fraction (not supported: use a smaller unit)");
                return fail_here(&c, time_units[next_unit].wanted);
            }
            total += v * time_units[u].secs;
            next_unit = u + 1;
            c.i++;
            time_numbers++;
        } while (!at_end(&c));
    }
    if (!at_end(&c)) {
        if (date_unit) return fail_here(&c, "T or the end should follow W or D");
        return fail_here(&c, "a number or T should follow P");
    }
    if (!date_unit && !time_numbers) return fail_here(&c, "a number should follow P");
    /* At most 15 characters and 9 digits per number: |total| < 10^9 weeks + 10^9 hours. */
    *seconds = negative ? -total : total;
    return BM_OK;
}

/* ---- times ---- */

static const char time_expected[] =
    "expected a UTC time like 2026-11-24T10:00:00Z (optionally with .fraction, or a +hh:mm "
    "offset instead of Z) or a date like 2026-11-24";

/* Reads a 2-digit field named name at the cursor and checks lo <= v <= hi. */
static int ranged2(cursor *c, int lo, int hi, int *v, const char *name)
{
    char msg[96];
    size_t at = c->i;
    snprintf(msg, sizeof(msg), "a 2-digit %s should be", name);
    int r = fixed_digits(c, 2, v, msg);
    if (r != BM_OK) return r;
    if (*v < lo || *v > hi) {
        snprintf(msg, sizeof(msg), "%s %02d out of range %02d-%02d", name, *v, lo, hi);
        return fail_at(c, at, msg);
    }
    return BM_OK;
}

/* The common form "YYYY-MM-DDTHH:MM:SSZ", valid, without building messages: 1 when parsed. */
static int fast_time(const char *s, size_t n, int64_t *epoch)
{
    static const signed char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!s || n != 20) return 0;
    int v[20];
    for (size_t k = 0; k < 20; k++) {
        if (shape[k] == 'd') {
            if (s[k] < '0' || s[k] > '9') return 0;
            v[k] = s[k] - '0';
        } else if (s[k] != shape[k]) {
            return 0;
        }
    }
    bm_civil c;
    c.year = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    c.month = v[5] * 10 + v[6];
    c.day = v[8] * 10 + v[9];
    c.hour = v[11] * 10 + v[12];
    c.minute = v[14] * 10 + v[15];
    c.second = v[17] * 10 + v[18];
    if (c.year < 1970 || c.month < 1 || c.month > 12 || c.day < 1 ||
        c.day > days_in_month(c.year, c.month) || c.hour > 23 || c.minute > 59 || c.second > 59)
        return 0; /* the full parser says what is wrong */
    *epoch = bm_time_from_civil(&c);
    return 1;
}

int bm_time_parse(const char *s, size_t n, int64_t *epoch, bm_error *err)
{
    if (fast_time(s, n, epoch)) return BM_OK;
    cursor c = {s, s ? n : 0, 0, err, time_expected};
    char msg[128];
    int r, year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int64_t offset = 0;

    if (c.n == 0) return fail_at(&c, 0, "an empty time");
    if ((r = fixed_digits(&c, 4, &year, "a 4-digit year should be")) != BM_OK) return r;
    if ((r = expect_char(&c, '-', "'-' should follow the year")) != BM_OK) return r;
    if (year < 1970) {
        snprintf(msg, sizeof(msg), "year %04d out of range 1970-9999", year);
        return fail_at(&c, 0, msg);
    }
    if ((r = ranged2(&c, 1, 12, &month, "month")) != BM_OK) return r;
    if ((r = expect_char(&c, '-', "'-' should follow the month")) != BM_OK) return r;
    size_t day_at = c.i;
    if ((r = fixed_digits(&c, 2, &day, "a 2-digit day should be")) != BM_OK) return r;
    if (day < 1 || day > days_in_month(year, month)) {
        snprintf(msg, sizeof(msg), "day %02d out of range 01-%02d for %04d-%02d", day,
                 days_in_month(year, month), year, month);
        return fail_at(&c, day_at, msg);
    }
    size_t zone_at = c.i;
    if (!at_end(&c)) {
        r = expect_char(&c, 'T', "T and a time (or the end) should follow the date");
        if (r != BM_OK) return r;
        if ((r = ranged2(&c, 0, 23, &hour, "hour")) != BM_OK) return r;
        if ((r = expect_char(&c, ':', "':' should follow the hour")) != BM_OK) return r;
        if ((r = ranged2(&c, 0, 59, &minute, "minute")) != BM_OK) return r;
        if ((r = expect_char(&c, ':', "':' should follow the minute")) != BM_OK) return r;
        if (c.i + 1 < c.n && c.s[c.i] == '6' && c.s[c.i + 1] == '0')
            return fail_at(&c, c.i, "second 60 (leap seconds are not supported)");
        if ((r = ranged2(&c, 0, 59, &second, "second")) != BM_OK) return r;
        if (peek(&c) == '.') {
            c.i++;
            if (!is_digit(peek(&c))) return fail_here(&c, "digits should follow '.'");
            for (int k = 0; is_digit(peek(&c)); k++, c.i++)
                if (k == MAX_FRACTION_DIGITS)
                    return fail_at(&c, c.i, "fractional seconds longer than 9 digits");
        }
        zone_at = c.i;
        int sign = peek(&c);
        if (sign == 'Z') {
            c.i++;
        } else if (sign == '+' || sign == '-') {
            int oh = 0, om = 0;
            c.i++;
            if ((r = ranged2(&c, 0, 23, &oh, "offset hour")) != BM_OK) return r;
            r = expect_char(&c, ':', "':' should separate the offset's hours and minutes");
            if (r != BM_OK) return r;
            if ((r = ranged2(&c, 0, 59, &om, "offset minute")) != BM_OK) return r;
            offset = (sign == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
        } else {
            return fail_here(&c, "Z or an offset like +00:00 should follow the time");
        }
        if (!at_end(&c)) return fail_here(&c, "the text should end after the time zone");
    }
    bm_civil civ = {year, month, day, hour, minute, second};
    int64_t t = bm_time_from_civil(&civ) - offset; /* local time = UTC + offset */
    if (t < 0) return fail_at(&c, zone_at, "a time before 1970-01-01T00:00:00Z");
    if (t > EPOCH_MAX) return fail_at(&c, zone_at, "a time after 9999-12-31T23:59:59Z");
    *epoch = t;
    return BM_OK;
}
