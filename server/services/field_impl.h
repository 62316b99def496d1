/*
 * field_impl.h - what the files of inspect.v1.Field share: finding the
 * caller on a task's team, findings and photos in the store, and the check
 * that makes a task SUBMITTED.
 */
#ifndef INS_FIELD_IMPL_H
#define INS_FIELD_IMPL_H

#include "dispatch_impl.h"
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

/* Key of a department's current findings for a task. */
void ins_fld_key_findings(ins_key *k, const char *task_id, const char *department);

/* Non-zero when photo `id` (hex SHA-256) is stored. */
int ins_fld_photo_stored(ins_wtxn *t, const char *id);

/*
 * Moves `task` to SUBMITTED when every required department's findings are
 * stored with no photo missing; does nothing otherwise. `task` is the
 * current record (its version is bumped when it moves). *moved (optional)
 * tells. Returns 0 or a storage error.
 */
int ins_fld_check_submitted(ins_wtxn *t, Inspect__V1__Task *task, const char *actor, int *moved);

#endif /* INS_FIELD_IMPL_H */
