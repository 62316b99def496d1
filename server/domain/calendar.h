/*
 * calendar.h - dates, the yearly holiday calendar and working-day arithmetic.
 *
 * A date is a day number (days since 1970-01-01, proleptic Gregorian), so
 * comparing and subtracting dates is integer arithmetic. A working day is
 * Monday to Friday, except that a loaded year's calendar (inspect.v1.Calendar)
 * turns weekday public holidays into days off and make-up workdays (调休) on
 * weekends into working days. Statutory deadlines count working days on it.
 *
 * The date functions and ins_calendar_validate are pure and thread-safe. An
 * ins_workcal is a plain value (no heap): reading it from many threads is
 * safe while nobody writes it; to change the calendar of a running server,
 * build a new one and swap it in.
 */
#ifndef INS_CALENDAR_H
#define INS_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/v1/directory.pb-c.h"

/* Days since 1970-01-01 (negative before). */
typedef int32_t ins_date;

#define INS_DATE_MIN (-719162) /* 0001-01-01 */
#define INS_DATE_MAX 2932896   /* 9999-12-31 */

/* Years a Calendar may describe. */
#define INS_CALENDAR_YEAR_MIN 2000
#define INS_CALENDAR_YEAR_MAX 2100

/* Buffer size for ins_date_format: "YYYY-MM-DD" and the NUL. */
#define INS_DATE_STRLEN 11

/*
 * Parses a strict "YYYY-MM-DD" (exactly 10 characters, digits and two
 * dashes, a real day of the Gregorian calendar, year 0001..9999) into *out.
 * Returns 0, or INS_EINVAL (and *out is untouched) for anything else:
 * "2026-2-3", "2026-02-30", " 2026-02-03", NULL.
 */
int ins_date_parse(const char *s, ins_date *out);

/*
 * Day number of year y, month m (1-12), day d (1-31). Returns 0, or
 * INS_EINVAL when the day does not exist or y is outside 1..9999.
 */
int ins_date_from_ymd(int y, int m, int d, ins_date *out);

/* Splits a day number into year, month (1-12) and day (1-31). Can't fail. */
void ins_date_to_ymd(ins_date date, int *y, int *m, int *d);

/*
 * Writes "YYYY-MM-DD" and a NUL into out[0..INS_DATE_STRLEN) and returns
 * `out`. Meant for INS_DATE_MIN..INS_DATE_MAX; outside it the year is
 * clamped to 0000 or 9999 so the result always fits. Can't fail.
 */
char *ins_date_format(ins_date date, char out[INS_DATE_STRLEN]);

/* ISO weekday: 1 Monday .. 7 Sunday. */
int ins_date_weekday(ins_date date);

/* English weekday name, "Monday" .. "Sunday" (static). */
const char *ins_date_weekday_name(ins_date date);

/*
 * The local calendar date of the instant `unix_s` (seconds since the epoch)
 * at `utc_offset_s` seconds east of UTC (28800 for China Standard Time).
 */
ins_date ins_date_from_unix(int64_t unix_s, int32_t utc_offset_s);

/*
 * Checks one year's calendar: year in 2000..2100; every day a strict
 * YYYY-MM-DD inside that year, listed once, with a kind; a HOLIDAY falls on
 * a weekday (a weekend is off anyway) and a MAKEUP_WORKDAY on a Saturday or
 * Sunday (a weekday is worked anyway); names at most 64 bytes of UTF-8.
 * Returns 0, or INS_EINVAL with a message such as "2026-10-01 is listed
 * twice" or "2026-10-03 is a Saturday: a HOLIDAY must fall on a weekday ...".
 */
int ins_calendar_validate(const Inspect__V1__Calendar *c, char *why, size_t whylen);

/*
 * Working days over any number of loaded years; days outside them follow
 * Monday–Friday. ~5 KiB, no pointers: copy it with memcpy / assignment.
 * The fields are private.
 */
typedef struct ins_workcal {
    uint8_t loaded[INS_CALENDAR_YEAR_MAX - INS_CALENDAR_YEAR_MIN + 1];
    /* bit (day of year) set = working day, per loaded year */
    uint64_t work[INS_CALENDAR_YEAR_MAX - INS_CALENDAR_YEAR_MIN + 1][6];
} ins_workcal;

/* Empties `cal`: every day follows Monday–Friday. Can't fail. */
void ins_workcal_init(ins_workcal *cal);

/*
 * Loads (or replaces) the year `c` describes. The calendar must pass
 * ins_calendar_validate (call it first for a message): otherwise INS_EINVAL
 * is returned and `cal` is unchanged. Returns 0 on success. `c` is only
 * read; nothing is kept from it.
 */
int ins_workcal_add_year(ins_workcal *cal, const Inspect__V1__Calendar *c);

/* Non-zero when `date` is a working day. */
int ins_workcal_is_working(const ins_workcal *cal, ins_date date);

/*
 * The deadline: the n-th working day after `start` (counting from the day
 * after start, whether start itself is a working day or not). n == 0 returns
 * `start`. Inverse of ins_workcal_working_days_between:
 * between(start, add(start, n)) == n, and add() is the first such day.
 * Dates past INS_DATE_MAX are not represented: if the n-th working day would
 * lie beyond it, INS_DATE_MAX is returned. `start` must be within
 * INS_DATE_MIN..INS_DATE_MAX. Runs in O(log n) steps, not one per day.
 */
ins_date ins_workcal_add_working_days(const ins_workcal *cal, ins_date start, unsigned n);

/*
 * The number of working days d with a < d <= b (0 when b <= a): the working
 * days elapsed from a task created on `a` up to and including `b`. Cost is
 * independent of the span (a closed form, corrected per loaded year).
 */
unsigned ins_workcal_working_days_between(const ins_workcal *cal, ins_date a, ins_date b);

#endif /* INS_CALENDAR_H */
