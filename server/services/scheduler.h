/*
 * scheduler.h - the deadline scheduler: raises each task's WARNING (75 % of
 * its statutory limit) and OVERDUE alerts exactly once, also across
 * restarts.
 *
 * It sleeps until the earliest instant in the task-timer index (ordered by
 * instant, so it never scans every task), fires what is due in one write
 * transaction (alert, raised bits and the next timer together), and is
 * woken early by commits that may have moved a timer.
 */
#ifndef INS_SCHEDULER_H
#define INS_SCHEDULER_H

#include "ctx.h"

/* Starts the scheduler thread for `ctx` (store open). Returns 0 or errno. */
int ins_scheduler_start(ins_ctx *ctx);

/* Wakes the scheduler to look at the earliest timer again. Any thread. */
void ins_scheduler_kick(ins_ctx *ctx);

/* Stops and joins the thread; before the store closes. NULL-safe. */
void ins_scheduler_stop(ins_ctx *ctx);

/*
 * Fires every timer due at `now_unix` (at most `max`), inside one write
 * transaction. Returns 0 or a storage error; *fired counts the alerts
 * raised. Exposed for tests and tools.
 */
int ins_scheduler_fire(ins_ctx *ctx, int64_t now_unix, size_t max, size_t *fired);

#endif /* INS_SCHEDULER_H */
