/*
 * task_state.c - the states of an inspection task, their moves and the gates
 * on what a task may do in each (see task_state.h).
 *
 * The refusal sentences are the ones Dispatch and Field have always answered
 * with; they say what is wrong in the dispatcher's or inspector's words
 * ("past the field work"), not in state names.
 */
#include "task_state.h"

#include "inspect/v1/dispatch.pb-c.h"
#include "ins_error.h"
#include "text_rules.h"

#define S(x) INSPECT__V1__TASK_STATE__TASK_STATE_##x

static const char *const NAMES[] = {
    [S(UNSPECIFIED)] = "unspecified", [S(PENDING)] = "pending", [S(ASSIGNED)] = "assigned",
    [S(ACCEPTED)] = "accepted",       [S(ON_SITE)] = "on site", [S(SUBMITTED)] = "submitted",
    [S(RECONCILED)] = "reconciled",   [S(CLOSED)] = "closed",   [S(CANCELLED)] = "cancelled",
};

const char *ins_task_state_name(int state)
{
    if (state >= 0 && state <= S(CANCELLED))
        return NAMES[state];
    return "unknown";
}

int ins_task_state_open(int state)
{
    switch (state) {
    case S(PENDING):
    case S(ASSIGNED):
    case S(ACCEPTED):
    case S(ON_SITE):
        return 1;
    default:
        return 0;
    }
}

int ins_task_state_finished(int state)
{
    return state == S(RECONCILED) || state == S(CLOSED) || state == S(CANCELLED);
}

int ins_task_state_on_tablet(int state)
{
    return state >= S(ASSIGNED) && state <= S(RECONCILED);
}

int ins_task_state_check(int state, ins_task_act act, const char *task_id, char *why, size_t whylen)
{
    const char *id = task_id ? task_id : "?";
    if (why && whylen)
        why[0] = '\0';
    switch (act) {
    case INS_TASK_ACT_ASSIGN_TEAM:
        if (state != S(PENDING))
            return ins_whyf(INS_ESTATE, why, whylen,
                            "task %s already has a team or is over; change members with "
                            "ReplaceMember",
                            id);
        return 0;
    case INS_TASK_ACT_REPLACE_MEMBER:
        if (!ins_task_state_open(state))
            return ins_whyf(INS_ESTATE, why, whylen,
                            "task %s is past the field work; its team is fixed", id);
        return 0;
    case INS_TASK_ACT_RESPOND:
        if (!ins_task_state_open(state))
            return ins_whyf(INS_ESTATE, why, whylen,
                            "task %s is past the field work; nothing to respond to", id);
        return 0;
    case INS_TASK_ACT_CHECK_IN:
        if (!ins_task_state_open(state))
            return ins_whyf(INS_ESTATE, why, whylen, "task %s is past the field work", id);
        return 0;
    case INS_TASK_ACT_SUBMIT_FINDINGS:
        if (state == S(RECONCILED) || state == S(CLOSED))
            return ins_whyf(INS_ESTATE, why, whylen,
                            "task %s is already reconciled; findings can no longer change", id);
        if (state == S(CANCELLED) || state == S(PENDING))
            return ins_whyf(INS_ESTATE, why, whylen, "task %s takes no findings in its state", id);
        return 0;
    case INS_TASK_ACT_CANCEL:
        if (ins_task_state_finished(state))
            return ins_whyf(INS_ESTATE, why, whylen, "task %s is already %s", id,
                            state == S(CANCELLED) ? "cancelled" : "finished");
        return 0;
    }
    return ins_whyf(INS_EINVAL, why, whylen, "action %d is not an action on a task", (int)act);
}

int ins_task_state_after(int state, ins_task_event ev)
{
    switch (ev) {
    case INS_TASK_EV_TEAM_ASSIGNED:
    case INS_TASK_EV_DECLINE_FILLED:
        return S(ASSIGNED);
    case INS_TASK_EV_ALL_ACCEPTED:
        return state == S(ASSIGNED) ? S(ACCEPTED) : state;
    case INS_TASK_EV_MEMBER_REPLACED:
        return state == S(ACCEPTED) ? S(ASSIGNED) : state;
    case INS_TASK_EV_DECLINE_EMPTY:
        return S(PENDING);
    case INS_TASK_EV_CHECKED_IN:
    case INS_TASK_EV_PHOTOS_AWAITED:
        return S(ON_SITE);
    case INS_TASK_EV_ALL_IN:
        return S(SUBMITTED);
    case INS_TASK_EV_REPORT_WRITTEN:
        return S(RECONCILED);
    case INS_TASK_EV_DECIDED:
        return S(CLOSED);
    case INS_TASK_EV_CANCELLED:
        return S(CANCELLED);
    }
    return state;
}
