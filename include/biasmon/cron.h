/* SageMaker Model Monitor schedule expressions: the cron sub-grammar and NOW, and their ticks. */
#ifndef BIASMON_CRON_H
#define BIASMON_CRON_H

#include <stddef.h>
#include <stdint.h>
#include "biasmon/common.h"

/* A parsed ScheduleExpression (spec §4.1). All times are UTC; ticks are whole hours.
 *
 *   cron(0 * ? * * *)    every hour:            start_hour 0, step_hours 1
 *   cron(0 H ? * * *)    daily at H:00:         start_hour H, step_hours 24
 *   cron(0 H/N ? * * *)  every N hours from H:  start_hour H, step_hours N
 *   NOW                  once, immediately:     now 1 (no ticks)
 *
 * H/N fires at H, H+N, H+2N, ... while the hour is below 24, every UTC day afresh (standard cron
 * step semantics), so when N does not divide 24 or H >= N the gaps are uneven:
 *   cron(0 0/2 ? * * *)   00, 02, ..., 22 (every 2 h)
 *   cron(0 0/10 ? * * *)  00, 10, 20 (gaps 10 h, 10 h, 4 h)
 *   cron(0 17/12 ? * * *) 17 only (29 is past the day), i.e. daily at 17:00
 *   cron(0 5/6 ? * * *)   05, 11, 17, 23 (gaps 6 h)
 *   cron(0 12/6 ? * * *)  12, 18 (gaps 6 h, 18 h)
 *   cron(0 H/24 ? * * *)  H only, the same as cron(0 H ? * * *) */
typedef struct bm_schedule_expr {
    int now;        /* 1 for NOW: a one-time run, no recurrence */
    int start_hour; /* 0-23 */
    int step_hours; /* 1-24 */
} bm_schedule_expr;

/* Parses exactly the sub-grammar of spec §4.1 from s[0..n) (never reads past n):
 *   "NOW" | "cron(0 " hours " ? * * *)"   with hours "*" | H | H "/" N,
 *   H 0-23 in 1-2 digits ("00".."23" allowed), N 1-24 in 1-2 digits, single spaces between
 *   the six fields, no other spacing, lower-case "cron", upper-case "NOW".
 * Everything else (sub-hour minutes, ranges, lists, "*" steps, "rate(...)", other day, month or
 * year fields) is BM_EPARSE with err->col at the offending character and a message that lists
 * what is accepted. *out is written only on success. err may be NULL. */
int bm_schedule_parse(const char *s, size_t n, bm_schedule_expr *out, bm_error *err) BM_MUST_CHECK;

/* The first tick strictly after `after` (epoch seconds, UTC). -1 for NOW, for an expression
 * outside the ranges above, and when `after` is beyond +-2^53 s (ticks are whole hours, so -1
 * is never a tick). A schedule created at 19:38 with cron(0 * ? * * *) first fires at 20:00. */
int64_t bm_schedule_next(const bm_schedule_expr *e, int64_t after);

/* The latest tick at or before at_or_before; -1 as for bm_schedule_next. For a tick T,
 * bm_schedule_prev(e, T - 1) is the tick before it. */
int64_t bm_schedule_prev(const bm_schedule_expr *e, int64_t at_or_before);

/* The nominal period in seconds, for the default analysis window [T - period, T) (spec §4.3):
 * 3600 * N when the ticks are evenly spaced (hourly: 3600, daily: 86400, 0/6: 21600), else the
 * smallest gap between consecutive ticks (0/10: 4 h, 12/6: 6 h); a single tick a day is 86400.
 * With uneven gaps the window [T - period, T) does not cover every hour; a caller that wants
 * full coverage uses [bm_schedule_prev(e, T - 1), T) instead. 0 for NOW (no recurrence) and for
 * an expression outside the ranges above. */
int64_t bm_schedule_period(const bm_schedule_expr *e);

#endif
