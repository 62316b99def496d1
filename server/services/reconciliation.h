/*
 * reconciliation.h - what follows when a task's field work is in: the task
 * moves to SUBMITTED, its findings are reconciled into a report (stored in
 * rec_reports), the outcome is written back to the application, and the
 * case moves on (a re-inspection task for RECTIFY, through Dispatch's public
 * API; an alert for ESCALATE). Also the departments' opinions and the joint
 * decision that move the application to the decision stage.
 *
 * Called inside apply functions (services/mutate.h) by Field (findings and
 * photo uploads), Departments (opinions) and Dispatch (joint decisions).
 * Depends on record modules, domain/ and dispatch.h only.
 */
#ifndef INS_RECONCILIATION_H
#define INS_RECONCILIATION_H

#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "ins_store.h"
#include "rec_reports.h"

/*
 * Moves `task` to SUBMITTED when every required department's findings are
 * stored with no photo missing, then reconciles it in the same
 * transaction; does nothing otherwise. `task` is the current record (its
 * version is bumped when it moves). *moved (optional) tells. Returns 0 or
 * an error (storage errors; the codes of ins_dsp_open_task when the
 * re-inspection cannot open).
 */
int ins_recon_check_submitted(ins_wtxn *t, Inspect__V1__Task *task, const char *actor, int *moved);

/*
 * Stores `report` (replacing `old`), and moves the application to the
 * decision stage when every required department approved a PASS, or a
 * joint decision approved. `change` names the change ("opinion", ...).
 * On success with `app_out` non-NULL, *app_out is the application as now
 * stored (caller frees). Returns 0 or a storage error.
 */
int ins_report_update(ins_wtxn *t, Inspect__V1__Report *report, const char *actor,
                      const char *change, Inspect__V1__Application **app_out);

#endif /* INS_RECONCILIATION_H */
