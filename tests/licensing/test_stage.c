/*
 * test_stage.c - the approval flow: every (from, to) pair of stages is
 * either the one allowed step forward or refused with INS_ESTATE and a
 * message naming the allowed move; names parse and print both ways.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "inspect/v1/licensing.pb-c.h"
#include "ins_error.h"
#include "stage.h"

enum {
    INTAKE = INSPECT__V1__STAGE__STAGE_INTAKE,
    REVIEW = INSPECT__V1__STAGE__STAGE_REVIEW,
    INSPECTION = INSPECT__V1__STAGE__STAGE_INSPECTION,
    DECISION = INSPECT__V1__STAGE__STAGE_DECISION,
    CERTIFIED = INSPECT__V1__STAGE__STAGE_CERTIFIED,
    ARCHIVED = INSPECT__V1__STAGE__STAGE_ARCHIVED,
};

START_TEST(test_stage_allowed_moves)
{
    static const int MOVES[][2] = {{INTAKE, REVIEW},
                                   {REVIEW, INSPECTION},
                                   {INSPECTION, DECISION},
                                   {DECISION, CERTIFIED},
                                   {CERTIFIED, ARCHIVED}};
    char why[256] = "";
    for (size_t i = 0; i < 5; i++)
        ck_assert_msg(ins_stage_check_move(MOVES[i][0], MOVES[i][1], why, sizeof(why)) == 0,
                      "%d->%d: %s", MOVES[i][0], MOVES[i][1], why);
}
END_TEST

START_TEST(test_stage_every_other_move_refused_naming_next)
{
    static const char *const NAME[] = {"",         "intake",    "review",  "inspection",
                                       "decision", "certified", "archived"};
    char why[256], want[256];
    int refused = 0;
    for (int from = INTAKE; from <= ARCHIVED; from++) {
        for (int to = INTAKE; to <= ARCHIVED; to++) {
            if (to == from + 1)
                continue;
            why[0] = '\0';
            ck_assert_int_eq(ins_stage_check_move(from, to, why, sizeof(why)), INS_ESTATE);
            if (from == ARCHIVED)
                snprintf(want, sizeof(want),
                         "application is in stage archived; no further move is allowed");
            else
                snprintf(want, sizeof(want),
                         "application is in stage %s; the next allowed move is to %s, not to %s",
                         NAME[from], NAME[from + 1], NAME[to]);
            ck_assert_str_eq(why, want);
            refused++;
        }
    }
    ck_assert_int_eq(refused, 36 - 5);
}
END_TEST

START_TEST(test_stage_skip_and_back_messages)
{
    char why[256];
    ck_assert_int_eq(ins_stage_check_move(REVIEW, DECISION, why, sizeof(why)), INS_ESTATE);
    ck_assert_str_eq(why, "application is in stage review; the next allowed move is to "
                          "inspection, not to decision");
    ck_assert_int_eq(ins_stage_check_move(DECISION, REVIEW, why, sizeof(why)), INS_ESTATE);
    ck_assert_str_eq(why, "application is in stage decision; the next allowed move is to "
                          "certified, not to review");
    ck_assert_int_eq(ins_stage_check_move(REVIEW, REVIEW, why, sizeof(why)), INS_ESTATE);
}
END_TEST

START_TEST(test_stage_not_a_stage_is_invalid)
{
    char why[256];
    ck_assert_int_eq(ins_stage_check_move(REVIEW, 0, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "stage 0 (unspecified) is not a stage to move to; the stages are "
                          "intake, review, inspection, decision, certified, archived");
    ck_assert_int_eq(ins_stage_check_move(REVIEW, 7, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "stage 7 (unknown) is not a stage to move to; the stages are "
                          "intake, review, inspection, decision, certified, archived");
    ck_assert_int_eq(ins_stage_check_move(-1, REVIEW, why, sizeof(why)), INS_EINVAL);
    ck_assert_int_eq(ins_stage_check_move(0, INTAKE, why, sizeof(why)), INS_EINVAL);
    ck_assert_int_eq(ins_stage_check_move(0, INTAKE, NULL, 0), INS_EINVAL);
}
END_TEST

START_TEST(test_stage_next)
{
    ck_assert_int_eq(ins_stage_next(INTAKE), REVIEW);
    ck_assert_int_eq(ins_stage_next(REVIEW), INSPECTION);
    ck_assert_int_eq(ins_stage_next(CERTIFIED), ARCHIVED);
    ck_assert_int_eq(ins_stage_next(ARCHIVED), 0);
    ck_assert_int_eq(ins_stage_next(0), 0);
    ck_assert_int_eq(ins_stage_next(42), 0);
}
END_TEST

START_TEST(test_stage_dispatch_move)
{
    ck_assert(ins_stage_move_is_dispatch(REVIEW, INSPECTION));
    for (int from = 0; from <= ARCHIVED; from++)
        for (int to = 0; to <= ARCHIVED; to++)
            if (!(from == REVIEW && to == INSPECTION))
                ck_assert(!ins_stage_move_is_dispatch(from, to));
}
END_TEST

START_TEST(test_stage_names_round_trip)
{
    for (int s = INTAKE; s <= ARCHIVED; s++) {
        int got = -1;
        ck_assert_int_eq(ins_stage_parse(ins_stage_name(s), &got), 0);
        ck_assert_int_eq(got, s);
    }
    /* names match the .proto enum suffixes */
    for (int s = INTAKE; s <= ARCHIVED; s++) {
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(&inspect__v1__stage__descriptor, s);
        ck_assert_ptr_nonnull(v);
        int got = -1;
        ck_assert_int_eq(ins_stage_parse(v->name, &got), 0);
        ck_assert_int_eq(got, s);
    }
    ck_assert_str_eq(ins_stage_name(REVIEW), "review");
    ck_assert_str_eq(ins_stage_name(0), "unspecified");
    ck_assert_str_eq(ins_stage_name(99), "unknown");
    ck_assert_str_eq(ins_stage_name(-3), "unknown");
}
END_TEST

START_TEST(test_stage_parse_variants)
{
    int s = -1;
    ck_assert_int_eq(ins_stage_parse("Inspection", &s), 0);
    ck_assert_int_eq(s, INSPECTION);
    ck_assert_int_eq(ins_stage_parse("stage_archived", &s), 0);
    ck_assert_int_eq(s, ARCHIVED);
    s = -1;
    ck_assert_int_eq(ins_stage_parse("unspecified", &s), INS_EINVAL);
    ck_assert_int_eq(ins_stage_parse("STAGE_UNSPECIFIED", &s), INS_EINVAL);
    ck_assert_int_eq(ins_stage_parse("", &s), INS_EINVAL);
    ck_assert_int_eq(ins_stage_parse("revie", &s), INS_EINVAL);
    ck_assert_int_eq(ins_stage_parse("review ", &s), INS_EINVAL);
    ck_assert_int_eq(ins_stage_parse(NULL, &s), INS_EINVAL);
    ck_assert_int_eq(s, -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("stage");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_stage_allowed_moves);
    tcase_add_test(tc, test_stage_every_other_move_refused_naming_next);
    tcase_add_test(tc, test_stage_skip_and_back_messages);
    tcase_add_test(tc, test_stage_not_a_stage_is_invalid);
    tcase_add_test(tc, test_stage_next);
    tcase_add_test(tc, test_stage_dispatch_move);
    tcase_add_test(tc, test_stage_names_round_trip);
    tcase_add_test(tc, test_stage_parse_variants);
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
