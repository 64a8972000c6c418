/* UTC times and ISO-8601 durations as SageMaker's monitoring schedules use them. */
#ifndef BIASMON_ISOTIME_H
#define BIASMON_ISOTIME_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

/* Parses an ISO-8601 duration such as "-PT1H", "-P1D", "-P1DT6H", "-PT30M", "PT0H", "P1W",
 * "-PT90S" (optional sign, then P, [nW | nD] [T [nH] [nM] [nS]]; at least one number; each
 * number at most 9 digits; the whole text at most 15 characters, SageMaker's limit).
 * Years and months are refused (their length varies): BM_EPARSE with a message saying what
 * is accepted and err->col at the offending character. *seconds receives the signed length
 * (only on success); err may be NULL. */
int bm_duration_parse(const char *s, size_t n, int64_t *seconds, bm_error *err) BM_MUST_CHECK;

/* Parses a UTC time: "2026-11-24T10:00:00Z", with optional fractional seconds (dropped:
 * second precision), "+00:00"/"-05:30" offsets instead of Z, or a date alone ("2026-11-24",
 * midnight UTC). Validates calendar ranges (leap years, day of month, 00-23 hours, 00-59 minutes
 * and seconds; a leap second 60 is refused). *epoch receives seconds since 1970-01-01T00:00:00Z.
 * Years 1970-9999 only, and the UTC result must lie in 1970-01-01T00:00:00Z..
 * 9999-12-31T23:59:59Z; a time without Z or an offset is refused. BM_EPARSE with err->col on
 * failure; *epoch is written only on success and err may be NULL. */
int bm_time_parse(const char *s, size_t n, int64_t *epoch, bm_error *err) BM_MUST_CHECK;

/* Formats epoch as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes); returns the length.
 * Writes "" and returns 0 when outlen < 21 or the year is outside 0000-9999. */
size_t bm_time_format(int64_t epoch, char *out, size_t outlen);

/* Civil UTC fields of epoch, without gmtime (days-from-civil arithmetic), proleptic Gregorian.
 * Epochs beyond +-10^16 s (about 317 million years) are clamped to that bound. */
typedef struct bm_civil {
    int year, month, day, hour, minute, second; /* month 1-12, day 1-31 */
} bm_civil;
void bm_time_civil(int64_t epoch, bm_civil *out);
/* The inverse of bm_time_civil for valid fields. */
int64_t bm_time_from_civil(const bm_civil *c);

/* The start of the UTC hour containing epoch. */
int64_t bm_time_hour_floor(int64_t epoch);

#endif
