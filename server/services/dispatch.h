/*
 * dispatch.h - inspect.v1.Dispatch: tasks, teams, deadlines and alerts.
 *
 * Besides the service, what other services may ask of Dispatch: choosing a
 * team member (Field, when a member declines), opening a task (the
 * reconciliation step, for a re-inspection) and whether a principal may see
 * a task (Departments). Everything else of Dispatch is internal
 * (dispatch_impl.h, included by dispatch*.c only).
 */
#ifndef INS_DISPATCH_H
#define INS_DISPATCH_H

#include <stddef.h>

#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "ins_store.h"
#include "mutate.h"
#include "ins_principal.h"
#include "server.h"

extern const ins_service_def ins_dispatch_service;

/*
 * Chooses a member of `department` for `task` automatically (needing
 * `qualification`, "" for none), excluding the current team and
 * `also_excluded` (may be NULL). On success fills *member (strings are
 * malloc'd: free with ins_dsp_member_free) and returns 0; INS_ESTATE with
 * the reason in `why` when nobody qualifies; a storage error otherwise.
 */
int ins_dsp_choose_member(ins_wtxn *t, const Inspect__V1__Task *task,
                          const Inspect__V1__Application *app, const char *department,
                          const char *qualification, const char *also_excluded,
                          Inspect__V1__TeamMember *member, char *why, size_t whylen);
void ins_dsp_member_free(Inspect__V1__TeamMember *m);

/*
 * Opens a task inside the write transaction as CreateTask does (checks,
 * deadline, pinned templates, the application moved to inspection). With a
 * mutation `mu` failures carry its message and the response is stored;
 * with mu NULL (reconciliation opening a re-inspection) failures are plain
 * codes. `id_out` (optional, 32 bytes) receives the new id.
 */
int ins_dsp_open_task(ins_wtxn *t, ins_mut *mu, const char *actor,
                      const Inspect__V1__CreateTaskRequest *req, char *id_out);

/* Non-zero when `p` may see `task` (a department: only its own tasks). */
int ins_dsp_may_see(const ins_principal *p, const Inspect__V1__Task *task);

#endif /* INS_DISPATCH_H */
