/*
 * reports.h - reconciliation reports in the store: made when a task's
 * findings and photos are all in, written back to the application, and
 * followed up (a re-inspection for RECTIFY, an alert for ESCALATE); the
 * departments' opinions and the joint decision that move the application
 * to the decision stage.
 */
#ifndef INS_REPORTS_H
#define INS_REPORTS_H

#include "field_impl.h"
#include "inspect/v1/departments.pb-c.h"

/* Report id of a task: "R-<task id>" into out[0..64). */
void ins_report_id(const char *task_id, char *out);

/* Reads report `id` (caller frees). 0, INS_ENOTFOUND or a storage error. */
int ins_report_get(ins_rtxn *r, const char *id, Inspect__V1__Report **out);
int ins_report_wget(ins_wtxn *t, const char *id, Inspect__V1__Report **out);

/*
 * Reconciles `task` (just SUBMITTED; its record is current) inside the
 * write transaction: builds the report from the pinned templates and every
 * department's findings (domain/reconcile.c), stores it, moves the task to
 * RECONCILED, writes the outcome back to the application and follows up.
 * Returns 0 or an error.
 */
int ins_report_reconcile(ins_wtxn *t, Inspect__V1__Task *task, const char *actor);

/*
 * Stores `report` (replacing `old`), and moves the application to the
 * decision stage when every required department approved a PASS, or a
 * joint decision approved. `change` names the change ("opinion", ...).
 */
int ins_report_update(ins_wtxn *t, Inspect__V1__Report *report, const char *actor,
                      const char *change, Inspect__V1__Application **app_out);

#endif /* INS_REPORTS_H */
