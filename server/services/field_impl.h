/*
 * field_impl.h - what the files of inspect.v1.Field share: their method
 * tables and finding the caller on a task's team. The check that
 * makes a task SUBMITTED is services/reconciliation.h.
 */
#ifndef INS_FIELD_IMPL_H
#define INS_FIELD_IMPL_H

#include "dispatch.h"
#include "mutate.h"
#include "rec_alerts.h"
#include "rec_findings.h"
#include "rec_tasks.h"
#include "inspect/v1/field.pb-c.h"

extern const ins_method_ops ins_fld_sync_ops;
extern const ins_method_ops ins_fld_submit_ops;
extern const ins_method_ops ins_fld_upload_ops;
extern const ins_method_ops ins_fld_upload_status_ops;

/*
 * Loads task `id` and finds the caller (`inspector`) on its team: *idx is
 * his index. Fails the mutation with NOT_FOUND (no task) or
 * PERMISSION_DENIED (not on the team) and returns that error; on success
 * the caller frees *task.
 */
int ins_fld_member_task(ins_wtxn *t, ins_mut *mu, const char *id, const char *inspector,
                        Inspect__V1__Task **task, size_t *idx);

#endif /* INS_FIELD_IMPL_H */
