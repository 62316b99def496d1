/*
 * rec_tasks.h - tasks and teams in the store: id counters, the task record
 * with its indexes (by application, by team member, former members), the
 * open-task load of each inspector, deadline timers and the threshold-alert
 * bits. Writes run inside apply functions on the writer thread; shared by
 * Dispatch, Field, the reconciliation step and the deadline scheduler.
 * Alerts are in rec_alerts.h.
 */
#ifndef INS_REC_TASKS_H
#define INS_REC_TASKS_H

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

/* The stored record bytes of task `id`, borrowed from the snapshot: valid
 * until ins_rtxn_end(r). Returns 0, INS_ENOTFOUND or an LMDB error. */
int ins_task_raw(ins_rtxn *r, const char *id, ins_val *out);

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

/* The INS_ALERT_* bits of the threshold alerts `task_id` has raised (0
 * when none or unreadable). Can't fail. */
uint32_t ins_task_alerts_raised(ins_wtxn *t, const char *task_id);

/* Calls `fn` with the id of every task of application `app_id` (inside a
 * write transaction). Returns what `fn` stopped with, 0, INS_ECORRUPT or an
 * LMDB error. */
int ins_task_wscan_app(ins_wtxn *t, const char *app_id, ins_id_fn fn, void *arg);
/* Calls `fn` with the id of every task on whose team `inspector` is now,
 * inside a write transaction; returns as ins_task_wscan_app. `fn` must not
 * change those tasks: collect the ids, then write. */
int ins_task_wscan_inspector(ins_wtxn *t, const char *inspector, ins_id_fn fn, void *arg);
/* The same on a snapshot. */
int ins_task_scan_app(ins_rtxn *r, const char *app_id, ins_id_fn fn, void *arg);

/* Calls `fn` with task ids in order from `from` (included; NULL: the
 * first): every task, or with `inspector` non-NULL the tasks on whose team
 * he is now. Returns as ins_task_wscan_app. */
int ins_task_scan(ins_rtxn *r, const char *inspector, const char *from, ins_id_fn fn, void *arg);

/* Non-zero when `inspector` was taken off the team of `task_id`. Can't
 * fail: a read error counts as "no". */
int ins_task_was_member(ins_rtxn *r, const char *inspector, const char *task_id);

/* Drops the timer row (`when`, `task_id`); a missing row is fine. Returns 0
 * or an LMDB error. */
int ins_task_timer_drop(ins_wtxn *t, int64_t when, const char *task_id);

/* Called with each timer row in order of instant; non-zero stops. */
typedef int (*ins_timer_fn)(void *arg, int64_t when, const char *task_id);
/* Walks the deadline timers in order of instant, inside a write
 * transaction or on a snapshot. Returns what `fn` stopped with, 0,
 * INS_ECORRUPT or an LMDB error. */
int ins_task_timers_wscan(ins_wtxn *t, ins_timer_fn fn, void *arg);
int ins_task_timers_scan(ins_rtxn *r, ins_timer_fn fn, void *arg);

/* Counts every task by state: counts[state] for state < n (zeroed first;
 * states >= n are not counted). Reads every task: for metrics at scrape,
 * not for a call path. Returns 0, INS_ECORRUPT or a storage error. */
int ins_task_count_by_state(ins_rtxn *r, uint64_t *counts, size_t n);

#endif /* INS_REC_TASKS_H */
