/*
 * task_state.h - the life of an inspection task (inspect.v1.TaskState):
 *
 *   pending → assigned → accepted → on site → submitted → reconciled → closed
 *      ↑          ↓ (a decline nobody fills)                  any open state → cancelled
 *      └──────────┘
 *
 * One place says which state a task moves to on each event of the case flow
 * (ins_task_state_after) and whether a task in a given state may take an
 * action (ins_task_state_check, with the sentence the caller answers with).
 * Dispatch and Field call these instead of comparing states themselves.
 *
 * States are the values of inspect.v1.TaskState
 * (INSPECT__V1__TASK_STATE__TASK_STATE_*), passed as int so callers need not
 * include the generated header. Pure functions, thread-safe.
 */
#ifndef INS_TASK_STATE_H
#define INS_TASK_STATE_H

#include <stddef.h>

/* What a caller wants to do with a task; each is gated on the task's state. */
typedef enum ins_task_act {
    INS_TASK_ACT_ASSIGN_TEAM = 1, /* Dispatch.AssignTeam: only a pending task */
    INS_TASK_ACT_REPLACE_MEMBER,  /* Dispatch.ReplaceMember: an open task */
    INS_TASK_ACT_RESPOND,         /* Field.RespondTask (accept or decline): an open task */
    INS_TASK_ACT_CHECK_IN,        /* Field.CheckIn: an open task */
    INS_TASK_ACT_SUBMIT_FINDINGS, /* Field.SubmitFindings: assigned up to submitted */
    INS_TASK_ACT_CANCEL,          /* Dispatch.CancelTask: a task not yet finished */
} ins_task_act;

/* What happened to a task; each moves it to the state ins_task_state_after says. */
typedef enum ins_task_event {
    INS_TASK_EV_TEAM_ASSIGNED = 1, /* AssignTeam named the team: assigned */
    INS_TASK_EV_ALL_ACCEPTED,      /* the last member accepted: assigned → accepted */
    INS_TASK_EV_MEMBER_REPLACED,   /* a new member must still accept: accepted → assigned */
    INS_TASK_EV_DECLINE_FILLED,    /* a decline, a colleague took the place: assigned */
    INS_TASK_EV_DECLINE_EMPTY,     /* a decline nobody could fill: back to pending */
    INS_TASK_EV_CHECKED_IN,        /* a member checked in on site: on site */
    INS_TASK_EV_ALL_IN,            /* every findings and photo stored: submitted */
    INS_TASK_EV_PHOTOS_AWAITED,    /* a resubmission names a photo not yet stored: on site */
    INS_TASK_EV_REPORT_WRITTEN,    /* the reconciliation report exists: reconciled */
    INS_TASK_EV_DECIDED,           /* the application moved on to its decision: closed */
    INS_TASK_EV_CANCELLED,         /* CancelTask: cancelled */
} ins_task_event;

/*
 * Checks whether a task in `state` may take action `act`. Returns 0 when it
 * may; otherwise INS_ESTATE with the sentence to answer with in
 * why[0..whylen), naming `task_id` (which may be NULL: "?" is shown), e.g.
 * "task T-1 is past the field work; nothing to respond to" or
 * "task T-1 is already reconciled; findings can no longer change".
 * INS_EINVAL for an `act` that is not an ins_task_act. `why` may be NULL.
 * This function has no other failure.
 */
int ins_task_state_check(int state, ins_task_act act, const char *task_id, char *why,
                         size_t whylen);

/*
 * The state a task in `state` moves to on event `ev`. Events that only apply
 * to some states leave the others as they are (ALL_ACCEPTED moves only an
 * assigned task, MEMBER_REPLACED only an accepted one); an `ev` that is not
 * an ins_task_event leaves `state` unchanged. This function can't fail.
 */
int ins_task_state_after(int state, ins_task_event ev);

/*
 * Non-zero for the states of a task still in the field: PENDING, ASSIGNED,
 * ACCEPTED, ON_SITE. Only these get threshold alerts (alert_rules.h), count
 * as an inspector's open tasks, and may change their team or take check-ins.
 * SUBMITTED, RECONCILED, CLOSED, CANCELLED and values that are not states
 * give 0.
 */
int ins_task_state_open(int state);

/*
 * Non-zero for the states of a task that is over: RECONCILED (its report
 * exists), CLOSED and CANCELLED. An application with a task that is not
 * finished cannot get another one.
 */
int ins_task_state_finished(int state);

/*
 * Non-zero for the states in which a team member's tablet holds the task:
 * ASSIGNED up to RECONCILED.
 */
int ins_task_state_on_tablet(int state);

/*
 * Short lowercase name of a state: "pending", "assigned", "accepted",
 * "on site", "submitted", "reconciled", "closed", "cancelled"; "unspecified"
 * for 0 and "unknown" for other values. The string is static.
 */
const char *ins_task_state_name(int state);

#endif /* INS_TASK_STATE_H */
