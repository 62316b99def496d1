/*
 * alert_rules.h - which deadline alerts a task needs, each exactly once.
 *
 * A task has two thresholds (deadline.h): WARNING at warning_unix (75 % of
 * its statutory limit used) and OVERDUE at deadline_unix. The scheduler
 * stores with each task the bits of the alerts already raised, in the same
 * transaction that stores the alerts, so a restart neither repeats nor loses
 * one. From those bits and the clock these functions say what to raise now
 * and when to look again; the scheduler keeps its tasks in an index ordered
 * by ins_alerts_next_wakeup and sleeps until the first one.
 *
 * A WARNING that was never raised is not raised once OVERDUE has been (it
 * would be stale); when both thresholds have passed and neither was raised
 * (the server was down, or the limit is short), both are raised at once.
 * Only open tasks get threshold alerts (ins_task_state_open).
 *
 * Pure functions, thread-safe.
 */
#ifndef INS_ALERT_RULES_H
#define INS_ALERT_RULES_H

#include <stdint.h>

#include "task_state.h" /* ins_task_state_open */

/* Bits of the threshold alerts a task has raised / must raise. */
#define INS_ALERT_WARNING 1u /* inspect.v1.ALERT_KIND_WARNING */
#define INS_ALERT_OVERDUE 2u /* inspect.v1.ALERT_KIND_OVERDUE */
#define INS_ALERTS_ALL    (INS_ALERT_WARNING | INS_ALERT_OVERDUE)

/*
 * The bits to raise at `now` for a task with thresholds warning_unix and
 * deadline_unix that has already raised `already_raised` (bits outside
 * INS_ALERTS_ALL are ignored):
 *   OVERDUE when now >= deadline_unix and it was not raised;
 *   WARNING when now >= warning_unix and neither it nor OVERDUE was raised.
 * 0 when nothing is due. The caller raises them and adds them to its bits;
 * asked again with the new bits, the answer is 0. This function can't fail.
 */
unsigned ins_alerts_due(int64_t now, int64_t warning_unix, int64_t deadline_unix,
                        unsigned already_raised);

/*
 * The earliest instant at which ins_alerts_due gives a non-zero answer for
 * these bits, or INT64_MAX when nothing will ever be due (both raised, or
 * OVERDUE raised). It does not depend on the clock: the result may be in the
 * past, meaning "due now", and it is a stable key for the scheduler's index
 * (it changes only when the bits or the thresholds do). This function can't
 * fail.
 */
int64_t ins_alerts_next_wakeup(int64_t warning_unix, int64_t deadline_unix,
                               unsigned already_raised);

#endif /* INS_ALERT_RULES_H */
