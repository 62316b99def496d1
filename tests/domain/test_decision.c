/*
 * test_decision.c - the application's next step after its report
 * (server/domain/decision.c): the departments' opinions, a joint review
 * approving or refusing, and the stage the application is in.
 */
#include <check.h>

#include "decision.h"
#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"

enum {
    PASS = INSPECT__V1__OUTCOME__OUTCOME_PASS,
    RECTIFY = INSPECT__V1__OUTCOME__OUTCOME_RECTIFY,
    FAIL = INSPECT__V1__OUTCOME__OUTCOME_FAIL,
    ESCALATE = INSPECT__V1__OUTCOME__OUTCOME_ESCALATE,
    INSPECTION = INSPECT__V1__STAGE__STAGE_INSPECTION,
    DECISION = INSPECT__V1__STAGE__STAGE_DECISION,
    REVIEW = INSPECT__V1__STAGE__STAGE_REVIEW,
};

static char *REQUIRED[] = {"fire", "market"};

/* A report with outcome `outcome` and opinions: fire approves `fire`, market `market`
 * (-1: no opinion from that department). */
typedef struct fixture {
    Inspect__V1__Report rep;
    Inspect__V1__Opinion op[2];
    Inspect__V1__Opinion *ops[2];
    Inspect__V1__JointDecision jd;
} fixture;

static void make(fixture *f, int outcome, int fire, int market)
{
    *f = (fixture){.rep = INSPECT__V1__REPORT__INIT};
    f->rep.outcome = outcome;
    f->rep.opinions = f->ops;
    const int say[2] = {fire, market};
    for (int i = 0; i < 2; i++) {
        if (say[i] < 0)
            continue;
        f->op[i] = (Inspect__V1__Opinion)INSPECT__V1__OPINION__INIT;
        f->op[i].department = REQUIRED[i];
        f->op[i].approve = say[i];
        f->ops[f->rep.n_opinions++] = &f->op[i];
    }
}

static void joint(fixture *f, int approve)
{
    f->jd = (Inspect__V1__JointDecision)INSPECT__V1__JOINT_DECISION__INIT;
    f->jd.approve = approve;
    f->rep.joint_decision = &f->jd;
}

START_TEST(test_decision_all_approved)
{
    fixture f;
    make(&f, PASS, 1, 1);
    ck_assert(ins_decision_all_approved(&f.rep, REQUIRED, 2));
    make(&f, PASS, 1, 0);
    ck_assert(!ins_decision_all_approved(&f.rep, REQUIRED, 2));
    make(&f, PASS, 1, -1);
    ck_assert(!ins_decision_all_approved(&f.rep, REQUIRED, 2));
    ck_assert(ins_decision_all_approved(&f.rep, REQUIRED, 1)); /* only fire required */
    make(&f, PASS, -1, -1);
    ck_assert(ins_decision_all_approved(&f.rep, REQUIRED, 0));
}
END_TEST

START_TEST(test_decision_pass_approved_by_all_moves_on)
{
    fixture f;
    ins_decision d;
    make(&f, PASS, 1, 1);
    ins_decide(&f.rep, REQUIRED, 2, PASS, INSPECTION, &d);
    ck_assert_int_eq(d.stage, DECISION);
    ck_assert_int_eq(d.outcome, 0); /* the outcome is PASS already */
    ck_assert_int_eq(d.close_task, 1);
}
END_TEST

START_TEST(test_decision_waits_for_every_department)
{
    fixture f;
    ins_decision d;
    make(&f, PASS, 1, -1);
    ins_decide(&f.rep, REQUIRED, 2, PASS, INSPECTION, &d);
    ck_assert_int_eq(d.stage, 0);
    ck_assert_int_eq(d.outcome, 0);
    ck_assert_int_eq(d.close_task, 0);
    make(&f, PASS, 1, 0); /* a rejection: still nothing moves without a joint review */
    ins_decide(&f.rep, REQUIRED, 2, PASS, INSPECTION, &d);
    ck_assert_int_eq(d.stage + d.outcome + d.close_task, 0);
}
END_TEST

START_TEST(test_decision_other_outcomes_need_a_joint_review)
{
    static const int OUT[] = {RECTIFY, FAIL, ESCALATE};
    for (size_t i = 0; i < 3; i++) {
        fixture f;
        ins_decision d;
        make(&f, OUT[i], 1, 1);
        ins_decide(&f.rep, REQUIRED, 2, OUT[i], INSPECTION, &d);
        ck_assert_int_eq(d.stage + d.outcome + d.close_task, 0);
    }
}
END_TEST

START_TEST(test_decision_joint_approval_passes)
{
    fixture f;
    ins_decision d;
    make(&f, ESCALATE, 0, -1);
    joint(&f, 1);
    ins_decide(&f.rep, REQUIRED, 2, ESCALATE, INSPECTION, &d);
    ck_assert_int_eq(d.stage, DECISION);
    ck_assert_int_eq(d.outcome, PASS);
    ck_assert_int_eq(d.close_task, 1);
}
END_TEST

START_TEST(test_decision_joint_refusal_fails_once)
{
    fixture f;
    ins_decision d;
    make(&f, PASS, 1, 1); /* the joint review overrides even approvals */
    joint(&f, 0);
    ins_decide(&f.rep, REQUIRED, 2, ESCALATE, INSPECTION, &d);
    ck_assert_int_eq(d.outcome, FAIL);
    ck_assert_int_eq(d.stage, 0);
    ck_assert_int_eq(d.close_task, 0);
    ins_decide(&f.rep, REQUIRED, 2, FAIL, INSPECTION, &d); /* already FAIL: nothing */
    ck_assert_int_eq(d.stage + d.outcome + d.close_task, 0);
}
END_TEST

START_TEST(test_decision_moves_only_from_inspection)
{
    fixture f;
    ins_decision d;
    make(&f, PASS, 1, 1);
    ins_decide(&f.rep, REQUIRED, 2, PASS, DECISION, &d);
    ck_assert_int_eq(d.stage + d.outcome + d.close_task, 0);
    joint(&f, 1);
    ins_decide(&f.rep, REQUIRED, 2, ESCALATE, REVIEW, &d);
    ck_assert_int_eq(d.stage + d.outcome + d.close_task, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("decision");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_decision_all_approved);
    tcase_add_test(tc, test_decision_pass_approved_by_all_moves_on);
    tcase_add_test(tc, test_decision_waits_for_every_department);
    tcase_add_test(tc, test_decision_other_outcomes_need_a_joint_review);
    tcase_add_test(tc, test_decision_joint_approval_passes);
    tcase_add_test(tc, test_decision_joint_refusal_fails_once);
    tcase_add_test(tc, test_decision_moves_only_from_inspection);
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
