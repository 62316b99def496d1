/*
 * test_checkin_rules.c - the cap on check-ins per inspector per task
 * (domain/checkin_rules.h).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "checkin_rules.h"
#include "ins_error.h"

START_TEST(test_checkin_rules_cap_per_inspector)
{
    enum { N = INS_CHECKINS_PER_INSPECTOR + 5 };
    Inspect__V1__CheckIn ci[N], *cis[N];
    for (int i = 0; i < N; i++) {
        ci[i] = (Inspect__V1__CheckIn)INSPECT__V1__CHECK_IN__INIT;
        ci[i].inspector_id = i < INS_CHECKINS_PER_INSPECTOR - 1 ? "I-1" : "I-2";
        cis[i] = &ci[i];
    }
    Inspect__V1__Task task = INSPECT__V1__TASK__INIT;
    task.id = "T-7";
    task.checkins = cis;
    task.n_checkins = INS_CHECKINS_PER_INSPECTOR - 1;
    char why[256] = "";
    ck_assert_int_eq(ins_checkin_allowed(&task, "I-1", why, sizeof why), 0); /* one left */
    ci[INS_CHECKINS_PER_INSPECTOR - 1].inspector_id = "I-1";
    task.n_checkins = N;
    ck_assert_int_eq(ins_checkin_allowed(&task, "I-1", why, sizeof why), INS_ETOOBIG);
    ck_assert_str_eq(why, "inspector I-1 has checked in 20 times on task T-7; a task keeps at "
                          "most 20 check-ins per inspector");
    /* the colleague's own count is what counts for him */
    ck_assert_int_eq(ins_checkin_allowed(&task, "I-2", NULL, 0), 0);
    ck_assert_int_eq(ins_checkin_allowed(&task, "I-3", NULL, 0), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checkin_rules");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_checkin_rules_cap_per_inspector);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
