/*
 * test_task_state.c - the task state machine (server/domain/task_state.c):
 * every (state, action) pair is allowed or refused with INS_ESTATE and the
 * sentence Dispatch and Field answer with; every event moves each state to
 * the state the case flow expects; the predicates agree with the table.
 */
#include <check.h>
#include <string.h>

#include "inspect/v1/dispatch.pb-c.h"
#include "ins_error.h"
#include "task_state.h"

enum {
    UNSPEC = INSPECT__V1__TASK_STATE__TASK_STATE_UNSPECIFIED,
    PENDING = INSPECT__V1__TASK_STATE__TASK_STATE_PENDING,
    ASSIGNED = INSPECT__V1__TASK_STATE__TASK_STATE_ASSIGNED,
    ACCEPTED = INSPECT__V1__TASK_STATE__TASK_STATE_ACCEPTED,
    ON_SITE = INSPECT__V1__TASK_STATE__TASK_STATE_ON_SITE,
    SUBMITTED = INSPECT__V1__TASK_STATE__TASK_STATE_SUBMITTED,
    RECONCILED = INSPECT__V1__TASK_STATE__TASK_STATE_RECONCILED,
    CLOSED = INSPECT__V1__TASK_STATE__TASK_STATE_CLOSED,
    CANCELLED = INSPECT__V1__TASK_STATE__TASK_STATE_CANCELLED,
};

#define NSTATES 9 /* UNSPEC .. CANCELLED */

/* For each action, the sentence for each state ("" = allowed), T-1 the task. */
static const struct {
    ins_task_act act;
    const char *name;
    const char *why[NSTATES];
} GATES[] = {
    {INS_TASK_ACT_ASSIGN_TEAM,
     "assign team",
     {[UNSPEC] = "A",
      [ASSIGNED] = "A",
      [ACCEPTED] = "A",
      [ON_SITE] = "A",
      [SUBMITTED] = "A",
      [RECONCILED] = "A",
      [CLOSED] = "A",
      [CANCELLED] = "A"}},
    {INS_TASK_ACT_REPLACE_MEMBER,
     "replace member",
     {[UNSPEC] = "R", [SUBMITTED] = "R", [RECONCILED] = "R", [CLOSED] = "R", [CANCELLED] = "R"}},
    {INS_TASK_ACT_RESPOND,
     "respond",
     {[UNSPEC] = "P", [SUBMITTED] = "P", [RECONCILED] = "P", [CLOSED] = "P", [CANCELLED] = "P"}},
    {INS_TASK_ACT_CHECK_IN,
     "check in",
     {[UNSPEC] = "C", [SUBMITTED] = "C", [RECONCILED] = "C", [CLOSED] = "C", [CANCELLED] = "C"}},
    {INS_TASK_ACT_SUBMIT_FINDINGS,
     "submit findings",
     {[PENDING] = "N", [RECONCILED] = "F", [CLOSED] = "F", [CANCELLED] = "N"}},
    {INS_TASK_ACT_CANCEL, "cancel", {[RECONCILED] = "D", [CLOSED] = "D", [CANCELLED] = "X"}},
};

/* The sentences behind the one-letter codes of GATES. */
static const char *sentence(const char *code)
{
    switch (code[0]) {
    case 'A':
        return "task T-1 already has a team or is over; change members with ReplaceMember";
    case 'R':
        return "task T-1 is past the field work; its team is fixed";
    case 'P':
        return "task T-1 is past the field work; nothing to respond to";
    case 'C':
        return "task T-1 is past the field work";
    case 'F':
        return "task T-1 is already reconciled; findings can no longer change";
    case 'N':
        return "task T-1 takes no findings in its state";
    case 'D':
        return "task T-1 is already finished";
    case 'X':
        return "task T-1 is already cancelled";
    default:
        return "?";
    }
}

START_TEST(test_task_state_gates_every_state_and_action)
{
    for (size_t g = 0; g < sizeof GATES / sizeof GATES[0]; g++)
        for (int s = 0; s < NSTATES; s++) {
            char why[256] = "stale";
            const char *want = GATES[g].why[s];
            int rc = ins_task_state_check(s, GATES[g].act, "T-1", why, sizeof why);
            if (!want) {
                ck_assert_msg(rc == 0, "%s in %s: refused (%s)", GATES[g].name,
                              ins_task_state_name(s), why);
                ck_assert_str_eq(why, "");
            } else {
                ck_assert_msg(rc == INS_ESTATE, "%s in %s: %d", GATES[g].name,
                              ins_task_state_name(s), rc);
                ck_assert_str_eq(why, sentence(want));
            }
        }
}
END_TEST

START_TEST(test_task_state_check_without_buffer_or_id)
{
    ck_assert_int_eq(ins_task_state_check(CLOSED, INS_TASK_ACT_CANCEL, "T-1", NULL, 0), INS_ESTATE);
    char why[64];
    ck_assert_int_eq(ins_task_state_check(CLOSED, INS_TASK_ACT_CHECK_IN, NULL, why, sizeof why),
                     INS_ESTATE);
    ck_assert_str_eq(why, "task ? is past the field work");
    /* a short buffer is cut, never overrun */
    char tiny[8];
    ck_assert_int_eq(ins_task_state_check(CLOSED, INS_TASK_ACT_CHECK_IN, "T-1", tiny, sizeof tiny),
                     INS_ESTATE);
    ck_assert_uint_eq(strlen(tiny), sizeof tiny - 1);
}
END_TEST

START_TEST(test_task_state_unknown_action_is_invalid)
{
    char why[128];
    ck_assert_int_eq(ins_task_state_check(PENDING, (ins_task_act)0, "T-1", why, sizeof why),
                     INS_EINVAL);
    ck_assert_int_eq(ins_task_state_check(PENDING, (ins_task_act)99, "T-1", why, sizeof why),
                     INS_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "99"));
}
END_TEST

START_TEST(test_task_state_events_move_each_state)
{
    static const struct {
        ins_task_event ev;
        int to[NSTATES]; /* 0 = stays where it is */
    } MOVES[] = {
        {INS_TASK_EV_TEAM_ASSIGNED,
         {ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED,
          ASSIGNED}},
        {INS_TASK_EV_ALL_ACCEPTED, {[ASSIGNED] = ACCEPTED}},
        {INS_TASK_EV_MEMBER_REPLACED, {[ACCEPTED] = ASSIGNED}},
        {INS_TASK_EV_DECLINE_FILLED,
         {ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED, ASSIGNED,
          ASSIGNED}},
        {INS_TASK_EV_DECLINE_EMPTY,
         {PENDING, PENDING, PENDING, PENDING, PENDING, PENDING, PENDING, PENDING, PENDING}},
        {INS_TASK_EV_CHECKED_IN,
         {ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE}},
        {INS_TASK_EV_PHOTOS_AWAITED,
         {ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE, ON_SITE}},
        {INS_TASK_EV_ALL_IN,
         {SUBMITTED, SUBMITTED, SUBMITTED, SUBMITTED, SUBMITTED, SUBMITTED, SUBMITTED, SUBMITTED,
          SUBMITTED}},
        {INS_TASK_EV_REPORT_WRITTEN,
         {RECONCILED, RECONCILED, RECONCILED, RECONCILED, RECONCILED, RECONCILED, RECONCILED,
          RECONCILED, RECONCILED}},
        {INS_TASK_EV_DECIDED,
         {CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED}},
        {INS_TASK_EV_CANCELLED,
         {CANCELLED, CANCELLED, CANCELLED, CANCELLED, CANCELLED, CANCELLED, CANCELLED, CANCELLED,
          CANCELLED}},
    };
    for (size_t m = 0; m < sizeof MOVES / sizeof MOVES[0]; m++)
        for (int s = 0; s < NSTATES; s++) {
            int want = MOVES[m].to[s] ? MOVES[m].to[s] : s;
            ck_assert_msg(ins_task_state_after(s, MOVES[m].ev) == want, "event %d from %s: %s",
                          (int)MOVES[m].ev, ins_task_state_name(s),
                          ins_task_state_name(ins_task_state_after(s, MOVES[m].ev)));
        }
    ck_assert_int_eq(ins_task_state_after(ON_SITE, (ins_task_event)0), ON_SITE);
    ck_assert_int_eq(ins_task_state_after(ON_SITE, (ins_task_event)99), ON_SITE);
}
END_TEST

START_TEST(test_task_state_case_flow_in_order)
{
    int s = PENDING;
    s = ins_task_state_after(s, INS_TASK_EV_TEAM_ASSIGNED);
    ck_assert_int_eq(s, ASSIGNED);
    s = ins_task_state_after(s, INS_TASK_EV_ALL_ACCEPTED);
    ck_assert_int_eq(s, ACCEPTED);
    s = ins_task_state_after(s, INS_TASK_EV_CHECKED_IN);
    ck_assert_int_eq(s, ON_SITE);
    ck_assert_int_eq(ins_task_state_check(s, INS_TASK_ACT_SUBMIT_FINDINGS, "T", NULL, 0), 0);
    s = ins_task_state_after(s, INS_TASK_EV_ALL_IN);
    ck_assert_int_eq(s, SUBMITTED);
    s = ins_task_state_after(s, INS_TASK_EV_REPORT_WRITTEN);
    ck_assert_int_eq(s, RECONCILED);
    s = ins_task_state_after(s, INS_TASK_EV_DECIDED);
    ck_assert_int_eq(s, CLOSED);
    ck_assert(ins_task_state_finished(s));
}
END_TEST

START_TEST(test_task_state_predicates)
{
    static const struct {
        int state, open, finished, on_tablet;
    } P[] = {
        {UNSPEC, 0, 0, 0},    {PENDING, 1, 0, 0},   {ASSIGNED, 1, 0, 1},   {ACCEPTED, 1, 0, 1},
        {ON_SITE, 1, 0, 1},   {SUBMITTED, 0, 0, 1}, {RECONCILED, 0, 1, 1}, {CLOSED, 0, 1, 0},
        {CANCELLED, 0, 1, 0}, {99, 0, 0, 0},        {-1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof P / sizeof P[0]; i++) {
        ck_assert_int_eq(!!ins_task_state_open(P[i].state), P[i].open);
        ck_assert_int_eq(!!ins_task_state_finished(P[i].state), P[i].finished);
        ck_assert_int_eq(!!ins_task_state_on_tablet(P[i].state), P[i].on_tablet);
    }
}
END_TEST

START_TEST(test_task_state_names)
{
    ck_assert_str_eq(ins_task_state_name(UNSPEC), "unspecified");
    ck_assert_str_eq(ins_task_state_name(PENDING), "pending");
    ck_assert_str_eq(ins_task_state_name(ON_SITE), "on site");
    ck_assert_str_eq(ins_task_state_name(CANCELLED), "cancelled");
    ck_assert_str_eq(ins_task_state_name(9), "unknown");
    ck_assert_str_eq(ins_task_state_name(-1), "unknown");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("task_state");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_task_state_gates_every_state_and_action);
    tcase_add_test(tc, test_task_state_check_without_buffer_or_id);
    tcase_add_test(tc, test_task_state_unknown_action_is_invalid);
    tcase_add_test(tc, test_task_state_events_move_each_state);
    tcase_add_test(tc, test_task_state_case_flow_in_order);
    tcase_add_test(tc, test_task_state_predicates);
    tcase_add_test(tc, test_task_state_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
