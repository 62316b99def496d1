/*
 * dispatch_impl.h - the handlers of inspect.v1.Dispatch, split by subject
 * over dispatch*.c (dispatch_alerts.c: WatchAlerts, AckAlert); dispatch.c holds the method table.
 */
#ifndef INS_DISPATCH_IMPL_H
#define INS_DISPATCH_IMPL_H

#include "calendar.h"
#include "rec_alerts.h"
#include "rec_tasks.h"
#include "inspect/v1/licensing.pb-c.h"
#include "mutate.h"

extern const ins_method_ops ins_dsp_assign_team_ops;
extern const ins_method_ops ins_dsp_replace_member_ops;
extern const ins_method_ops ins_dsp_watch_alerts_ops;
extern const ins_method_ops ins_dsp_ack_alert_ops;
extern const ins_method_ops ins_dsp_joint_decision_ops;

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

/* Loads the working-day calendar around the year of `unix_s` into *cal. */
int ins_dsp_load_workcal(ins_wtxn *t, int64_t unix_s, struct ins_workcal *cal);

#endif /* INS_DISPATCH_IMPL_H */
