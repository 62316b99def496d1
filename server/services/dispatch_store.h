/*
 * dispatch_store.h - tasks and alerts in the store: ids, the task record
 * with its indexes (by application, by team member), the open-task load of
 * each inspector, deadline timers, and raising alerts. Used inside apply
 * functions on the writer thread; shared by Dispatch, Field and the
 * deadline scheduler.
 */
#ifndef INS_DISPATCH_STORE_H
#define INS_DISPATCH_STORE_H

#include "ctx.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "recio.h"

/* Non-zero for the states in which a task counts against its members'
 * maximum of open tasks (pending .. on site). */
int ins_task_counts_as_open(int state);

/*
 * Next value of the named sequence (1, 2, ...). Returns 0 and sets *out, or a
 * storage error.
 */
int ins_counter_next(ins_wtxn *t, const char *name, uint64_t *out);

/* Reads task `id` (caller frees). 0, INS_ENOTFOUND or a storage error. */
int ins_task_wget(ins_wtxn *t, const char *id, Inspect__V1__Task **out);
int ins_task_get(ins_rtxn *r, const char *id, Inspect__V1__Task **out);

/*
 * Writes `task` replacing `old` (NULL when new): the record, the index rows
 * by application and by team member, the load of every inspector whose
 * membership of an open task changed, the deadline timer, the audit entry
 * and the feed entry (visible to the task's departments). `task->version`
 * and `updated_unix` are set here. Returns 0 or a storage error.
 */
int ins_task_write(ins_wtxn *t, Inspect__V1__Task *task, const Inspect__V1__Task *old,
                   const char *actor, const char *change);

/*
 * Records which threshold alerts `task` has raised (INS_ALERT_* bits of alert_rules.h)
 * and moves its deadline timer to the next one due. Returns 0 or a storage
 * error.
 */
int ins_task_set_alerts_raised(ins_wtxn *t, const Inspect__V1__Task *task, uint32_t raised);

/* Moves the timer row of `task` from instant `from` to `to` (0: none). */
int ins_task_timer_move(ins_wtxn *t, const Inspect__V1__Task *task, int64_t from, int64_t to);

/* Open tasks of inspector `id` (0 when none). */
int ins_inspector_load(ins_wtxn *t, const char *id, uint32_t *out);

/*
 * Raises an alert: a new id, the record, the open-alert row, the audit entry
 * and a feed entry visible to the bureau and `department` (or, when it is
 * empty, every department of `task`). A standing alert (NO_QUALIFIED,
 * ESCALATED) still open for the same task and department is not raised
 * again: *out_id gets the open one. `*out_id`
 * (optional, 32 bytes) receives the id. Returns 0 or a storage error.
 */
int ins_alert_raise(ins_wtxn *t, Inspect__V1__AlertKind kind, const Inspect__V1__Task *task,
                    const char *department, const char *message, char *out_id);

/* Key of the open standing alert (NO_QUALIFIED, ESCALATED) of a kind for a
 * task and department: such an alert is raised once until acknowledged. */
void ins_alert_dedup_key(ins_key *k, int kind, const char *task_id, const char *department);

/* Seconds since the epoch on the store's clock. */
int64_t ins_wtxn_unix(ins_wtxn *t);

#endif /* INS_DISPATCH_STORE_H */
