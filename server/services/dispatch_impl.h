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
#include "dispatch.h"
#include "mutate.h"

extern const ins_method_ops ins_dsp_assign_team_ops;
extern const ins_method_ops ins_dsp_replace_member_ops;
extern const ins_method_ops ins_dsp_watch_alerts_ops;
extern const ins_method_ops ins_dsp_ack_alert_ops;
extern const ins_method_ops ins_dsp_joint_decision_ops;

/* Loads the working-day calendar around the year of `unix_s` into *cal. */
int ins_dsp_load_workcal(ins_wtxn *t, int64_t unix_s, struct ins_workcal *cal);

#endif /* INS_DISPATCH_IMPL_H */
