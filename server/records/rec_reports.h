/*
 * rec_reports.h - reconciliation reports in the store: the record (one per
 * reconciled task, id "R-<task id>"), read and written with its audit and
 * feed entries. Made and followed up by services/reconciliation.c.
 *
 * Errors and ownership as in rec_directory.h.
 */
#ifndef INS_REC_REPORTS_H
#define INS_REC_REPORTS_H

#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "ins_store.h"

/* Report id of a task: "R-<task id>" into out[0..64). Can't fail. */
void ins_report_id(const char *task_id, char *out);

/* Reads report `id` (caller frees). 0, INS_ENOTFOUND or a storage error. */
int ins_report_get(ins_rtxn *r, const char *id, Inspect__V1__Report **out);
int ins_report_wget(ins_wtxn *t, const char *id, Inspect__V1__Report **out);

/* The stored record bytes of report `id`, borrowed from the snapshot: valid
 * until ins_rtxn_end(r). Returns 0, INS_ENOTFOUND or an LMDB error. */
int ins_report_raw(ins_rtxn *r, const char *id, ins_val *out);

/* Stores `rep` with audit entry "report.<change>" and a feed entry visible
 * to the bureau and every department `task` requires. Returns 0 or a
 * storage error. */
int ins_report_store(ins_wtxn *t, const Inspect__V1__Report *rep, const char *actor,
                     const char *change, const Inspect__V1__Task *task);

#endif /* INS_REC_REPORTS_H */
