/*
 * deadline.h - a task's statutory limit in working days, as instants.
 *
 * A task created at instant `start_unix` with a limit of N working days:
 *   - start date: the local date of start_unix (the district's time, UTC+8);
 *   - deadline date: the N-th working day after the start date
 *     (ins_workcal_add_working_days: holidays skipped, make-up days counted);
 *   - deadline_unix: the end of the deadline date, local 24:00; the task is
 *     overdue from that instant on;
 *   - warning_unix: the first instant at which 75 % of the limit has been
 *     used. Working time is measured in working days after the start date:
 *     each one counts as 24 hours (local 00:00-24:00), other days count
 *     nothing, and the rest of the start date counts nothing. 0.75 N working
 *     days = W whole days and r quarter days (3N = 4W + r, r in 0..3):
 *       r == 0: warning at the end of working day W (local 24:00);
 *       r  > 0: warning at local 00:00 of working day W+1, plus r x 6 hours.
 *     So the warning always falls strictly before the deadline, within the
 *     working day in which the 75 % mark lies, never on a day off.
 *
 * Example (2026: 1-7 October off, Saturday 10 October a make-up working
 * day), a task created Monday 2026-09-28 10:00 +08:
 *   working days after the start: 29 Sep (1), 30 Sep (2), 8 Oct (3),
 *   9 Oct (4), Sat 10 Oct (5), 12 Oct (6), 13 Oct (7), 14 Oct (8).
 *   N = 8: deadline date 2026-10-14, deadline_unix 2026-10-15 00:00 +08;
 *          6 working days = 75 %: warning at the end of 12 Oct, i.e.
 *          2026-10-13 00:00 +08.
 *   N = 5: deadline date 2026-10-10 (the Saturday), deadline_unix
 *          2026-10-11 00:00 +08; 3.75 working days: warning on working day
 *          4 (9 Oct) at 18:00 +08.
 *   N = 1: deadline date 2026-09-29, warning 2026-09-29 18:00 +08.
 *
 * Pure functions, deterministic, thread-safe (the calendar is only read).
 */
#ifndef INS_DEADLINE_H
#define INS_DEADLINE_H

#include <stdint.h>

#include "calendar.h"

/* The district's offset from UTC: China Standard Time, UTC+8. */
#define INS_DISTRICT_UTC_OFFSET_S 28800

typedef struct ins_deadline {
    ins_date start_date;    /* local date of the start instant */
    ins_date deadline_date; /* the N-th working day after start_date */
    int64_t warning_unix;   /* 75 % of the limit used (see above) */
    int64_t deadline_unix;  /* local 24:00 of deadline_date: overdue from here */
} ins_deadline;

/*
 * Computes the deadline of a task created at `start_unix` with a limit of
 * `limit_working_days` working days on calendar `cal`, in local time at
 * `utc_offset_s` seconds east of UTC (INS_DISTRICT_UTC_OFFSET_S).
 * Returns 0 and fills *out, or INS_EINVAL (`out` untouched) when the limit
 * is 0 or the start lies outside years 0001..9999. A deadline that would
 * fall after 9999-12-31 is clamped to that day.
 */
int ins_deadline_compute(const ins_workcal *cal, int64_t start_unix, int32_t utc_offset_s,
                         unsigned limit_working_days, ins_deadline *out);

/* Local 00:00 of `date` as unix seconds, at `utc_offset_s` east of UTC. */
int64_t ins_deadline_day_start(ins_date date, int32_t utc_offset_s);

typedef enum ins_deadline_level {
    INS_DEADLINE_NONE = 0,    /* less than 75 % used */
    INS_DEADLINE_WARNING = 1, /* now >= warning_unix, now < deadline_unix */
    INS_DEADLINE_OVERDUE = 2, /* now >= deadline_unix */
} ins_deadline_level;

/*
 * Where `now` stands against a task's thresholds. Both bounds are inclusive
 * of the instant itself: at warning_unix the task is in WARNING, at
 * deadline_unix it is OVERDUE. This function can't fail.
 */
ins_deadline_level ins_deadline_state(int64_t now, int64_t warning_unix, int64_t deadline_unix);

#endif /* INS_DEADLINE_H */
