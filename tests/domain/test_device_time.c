/*
 * test_device_time.c - the rule for device times (server/domain/device_time.c):
 * up to the skew ahead is fine, further is refused with the server's time;
 * before the task existed is refused; 0 is "none given".
 */
#include <check.h>
#include <string.h>

#include "device_time.h"
#include "ins_error.h"

#define NOW     1796166400 /* 2026-12-01T23:06:40Z */
#define CREATED 1796160000

START_TEST(test_device_time_within_skew_ok)
{
    char why[300] = "";
    ck_assert_int_eq(
        ins_device_time_check("device_unix", NOW + 600, NOW, 600, CREATED, "T-1", why, sizeof why),
        0);
    ck_assert_int_eq(
        ins_device_time_check("device_unix", CREATED, NOW, 600, CREATED, "T-1", why, sizeof why),
        0);
    ck_assert_int_eq(
        ins_device_time_check("device_unix", 0, NOW, 600, CREATED, "T-1", why, sizeof why), 0);
}
END_TEST

START_TEST(test_device_time_future_refused_with_server_time)
{
    char why[300];
    ck_assert_int_eq(
        ins_device_time_check("capture_unix", NOW + 601, NOW, 600, CREATED, "T-1", why, sizeof why),
        INS_EINVAL);
    ck_assert_str_eq(why, "capture_unix 1796167001 is 601 s ahead of the server's clock (server "
                          "time 1796166400, 2026-12-01T23:06:40Z; allowed skew 600 s): set the "
                          "tablet's clock");
    ck_assert_int_eq(
        ins_device_time_check("capture_unix", INT64_MAX, NOW, 600, CREATED, "T-1", why, sizeof why),
        INS_EINVAL);
}
END_TEST

START_TEST(test_device_time_before_task_refused)
{
    char why[300];
    /* a tablet clock slow by less than the skew is not "before the task" */
    ck_assert_int_eq(ins_device_time_check("device_unix", CREATED - 600, NOW, 600, CREATED, "T-1",
                                           why, sizeof why),
                     0);
    ck_assert_int_eq(ins_device_time_check("device_unix", CREATED - 601, NOW, 600, CREATED, "T-1",
                                           why, sizeof why),
                     INS_EINVAL);
    ck_assert_msg(strstr(why, "device_unix 1796159399 is before task T-1 existed (created "
                              "1796160000") != NULL,
                  "%s", why);
    ck_assert_msg(strstr(why, "server time 1796166400, 2026-12-01T23:06:40Z") != NULL, "%s", why);
    ck_assert_int_eq(
        ins_device_time_check("device_unix", -5, NOW, 600, CREATED, "T-1", why, sizeof why),
        INS_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("device_time");
    TCase *tc = tcase_create("device_time");
    tcase_add_test(tc, test_device_time_within_skew_ok);
    tcase_add_test(tc, test_device_time_future_refused_with_server_time);
    tcase_add_test(tc, test_device_time_before_task_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
