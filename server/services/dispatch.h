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

/* Called by ins_dsp_member_leave with the task as written and the member
 * who took the place (NULL when nobody qualified), to store the reply. */
typedef int (*ins_dsp_leave_reply)(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *task,
                                   Inspect__V1__TeamMember *replacement);

/*
 * Member `idx` of `old` leaves the team, as a decline does: the best
 * qualified colleague takes the place (task ASSIGNED), or the slot stays
 * empty (task PENDING, an ALERT_KIND_NO_QUALIFIED alert); either way the
 * bureau gets an ALERT_KIND_MEMBER_DECLINED alert saying "task <id>:
 * <member> <what>; <who takes the place>". Written by ins_mut_actor(mu).
 * `reply` (may be NULL) stores the mutation's reply. Returns 0 or a
 * storage error. Inside the writer's transaction.
 */
int ins_dsp_member_leave(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *old, size_t idx,
                         const char *what, ins_dsp_leave_reply reply);

/*
 * Takes inspector `id` off the team of every open task he is on (each as
 * ins_dsp_member_leave, `what` e.g. "was deactivated by admin-1"): what
 * deactivating an inspector does. Returns 0 or a storage error.
 */
int ins_dsp_inspector_leave_all(ins_wtxn *t, ins_mut *mu, const char *id, const char *what);

/* Non-zero when `p` may see `task` (a department: only its own tasks). */
int ins_dsp_may_see(const ins_principal *p, const Inspect__V1__Task *task);

#endif /* INS_DISPATCH_H */
