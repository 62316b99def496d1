/*
 * rec_findings.h - the departments' findings in the store: the current
 * findings of a task per department (with their missing photos) and, from
 * field_findings.c, the history of earlier versions.
 *
 * Errors and ownership as in rec_directory.h.
 */
#ifndef INS_REC_FINDINGS_H
#define INS_REC_FINDINGS_H

#include "inspect/v1/field.pb-c.h"
#include "ins_key.h"
#include "ins_store.h"

/* Key of a department's current findings for a task (task id, department).
 * Transitional: Field's writes still use it with recio.h. */
void ins_findings_key(ins_key *k, const char *task_id, const char *department);

/* Reads the current findings of `department` for `task_id` (caller frees).
 * Returns 0, INS_ENOTFOUND, INS_ECORRUPT, ENOMEM or an LMDB error. */
int ins_findings_wget(ins_wtxn *t, const char *task_id, const char *department,
                      Inspect__V1__Findings **out);

#endif /* INS_REC_FINDINGS_H */
