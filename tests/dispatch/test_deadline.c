/*
 * test_deadline.c - statutory deadlines in working days (deadline.c) and the
 * alert thresholds raised exactly once (alert_rules.c).
 *
 * The calendar is the 2026 one of the seeds for the weeks that matter: the
 * Spring Festival (16-23 February off, Saturdays 14 and 28 February worked)
 * and National Day (25 September and 1-7 October off, Sunday 20 September
 * and Saturday 10 October worked). Expected instants were computed by hand
 * and, for a few, checked against absolute unix times from another tool.
 * A brute-force reference walks the clock in 6-hour steps to check the 75 %
 * rule for every limit and start date.
 */
#include <check.h>
#include <stdint.h>

#include "alert_rules.h"
#include "calendar.h"
#include "deadline.h"
#include "ins_error.h"
#include "inspect/v1/dispatch.pb-c.h"

#define TZ INS_DISTRICT_UTC_OFFSET_S

static ins_workcal CAL;

static void load_calendar(void)
{
    static const struct {
        const char *date;
        Inspect__V1__DayKind kind;
    } DAYS[] = {
        {"2026-02-14", INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY},
        {"2026-02-16", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-02-17", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-02-18", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-02-19", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-02-20", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-02-23", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-02-28", INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY},
        {"2026-09-20", INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY},
        {"2026-09-25", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-10-01", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-10-02", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-10-05", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-10-06", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-10-07", INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY},
        {"2026-10-10", INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY},
    };
    enum { N = sizeof(DAYS) / sizeof(DAYS[0]) };
    Inspect__V1__CalendarDay days[N], *pdays[N];
    Inspect__V1__Calendar cal = INSPECT__V1__CALENDAR__INIT;
    for (size_t i = 0; i < N; i++) {
        inspect__v1__calendar_day__init(&days[i]);
        days[i].date = (char *)DAYS[i].date;
        days[i].kind = DAYS[i].kind;
        days[i].name = (char *)"";
        pdays[i] = &days[i];
    }
    cal.year = 2026;
    cal.n_days = N;
    cal.days = pdays;
    ins_workcal_init(&CAL);
    char why[256] = "";
    ck_assert_msg(ins_calendar_validate(&cal, why, sizeof(why)) == 0, "%s", why);
    ck_assert_int_eq(ins_workcal_add_year(&CAL, &cal), 0);
}

static ins_date D(const char *s)
{
    ins_date d = 0;
    ck_assert_int_eq(ins_date_parse(s, &d), 0);
    return d;
}

/* Local (UTC+8) instant of date s at hh:mm. */
static int64_t AT(const char *s, int hh, int mm)
{
    return ins_deadline_day_start(D(s), TZ) + hh * 3600 + mm * 60;
}

static ins_deadline compute(int64_t start, unsigned n)
{
    ins_deadline dl;
    ck_assert_int_eq(ins_deadline_compute(&CAL, start, TZ, n, &dl), 0);
    return dl;
}

/* ---- deadlines ---- */

START_TEST(test_deadline_national_day_eight_days)
{
    /* header example: Monday 2026-09-28 10:00 +08, 8 working days */
    int64_t start = AT("2026-09-28", 10, 0);
    ck_assert_int_eq(start, 1790560800); /* independently computed */
    ins_deadline dl = compute(start, 8);
    ck_assert_int_eq(dl.start_date, D("2026-09-28"));
    ck_assert_int_eq(dl.deadline_date, D("2026-10-14"));
    ck_assert_int_eq(dl.deadline_unix, 1791993600); /* 2026-10-15 00:00 +08 */
    ck_assert_int_eq(dl.warning_unix, 1791820800);  /* 2026-10-13 00:00 +08: end of 12 Oct */
}
END_TEST

START_TEST(test_deadline_ends_on_a_makeup_saturday)
{
    ins_deadline dl = compute(AT("2026-09-28", 10, 0), 5);
    ck_assert_int_eq(dl.deadline_date, D("2026-10-10")); /* Saturday, worked */
    ck_assert_int_eq(dl.deadline_unix, AT("2026-10-11", 0, 0));
    ck_assert_int_eq(dl.warning_unix, 1791540000); /* 3.75 days: 2026-10-09 18:00 +08 */
}
END_TEST

START_TEST(test_deadline_one_day_warns_at_three_quarters_of_it)
{
    ins_deadline dl = compute(AT("2026-09-28", 10, 0), 1);
    ck_assert_int_eq(dl.deadline_date, D("2026-09-29"));
    ck_assert_int_eq(dl.warning_unix, AT("2026-09-29", 18, 0));
    ck_assert_int_eq(dl.deadline_unix, AT("2026-09-30", 0, 0));
    /* two days: 1.5 -> noon of the second; three: 2.25 -> 06:00 of the third,
     * which is after the holiday week */
    dl = compute(AT("2026-09-28", 10, 0), 2);
    ck_assert_int_eq(dl.warning_unix, AT("2026-09-30", 12, 0));
    dl = compute(AT("2026-09-28", 10, 0), 3);
    ck_assert_int_eq(dl.deadline_date, D("2026-10-08"));
    ck_assert_int_eq(dl.warning_unix, AT("2026-10-08", 6, 0));
}
END_TEST

START_TEST(test_deadline_starting_on_a_holiday)
{
    /* created on Saturday 3 October (inside the holiday) at 23:30 */
    ins_deadline dl = compute(AT("2026-10-03", 23, 30), 3);
    ck_assert_int_eq(dl.start_date, D("2026-10-03"));
    /* 8 Oct (1), 9 Oct (2), Saturday 10 Oct (3) */
    ck_assert_int_eq(dl.deadline_date, D("2026-10-10"));
    ck_assert_int_eq(dl.warning_unix, AT("2026-10-10", 6, 0));
}
END_TEST

START_TEST(test_deadline_start_date_is_the_local_date)
{
    /* 2026-09-29 17:30 UTC is already 30 September 01:30 in the district */
    ins_deadline dl = compute(1790703000, 2);
    ck_assert_int_eq(dl.start_date, D("2026-09-30"));
    ck_assert_int_eq(dl.deadline_date, D("2026-10-09")); /* 8 Oct, 9 Oct */
    /* one second before local midnight is still 29 September */
    dl = compute(AT("2026-09-30", 0, 0) - 1, 2);
    ck_assert_int_eq(dl.start_date, D("2026-09-29"));
    ck_assert_int_eq(dl.deadline_date, D("2026-10-08")); /* 30 Sep, 8 Oct */
}
END_TEST

START_TEST(test_deadline_spring_festival_makeup_and_holidays)
{
    /* Friday 13 Feb: Sat 14 Feb worked (1), 16-20 and 23 off, 24 (2), 25 (3),
     * 26 (4) */
    ins_deadline dl = compute(AT("2026-02-13", 9, 0), 4);
    ck_assert_int_eq(dl.deadline_date, D("2026-02-26"));
    ck_assert_int_eq(dl.warning_unix, AT("2026-02-26", 0, 0)); /* end of 25 Feb */
    ck_assert_int_eq(dl.deadline_unix, AT("2026-02-27", 0, 0));

    /* the same start on a plain Monday-Friday calendar ends much earlier */
    ins_workcal plain;
    ins_workcal_init(&plain);
    ins_deadline p;
    ck_assert_int_eq(ins_deadline_compute(&plain, AT("2026-02-13", 9, 0), TZ, 4, &p), 0);
    ck_assert_int_eq(p.deadline_date, D("2026-02-19"));
}
END_TEST

START_TEST(test_deadline_refuses_a_zero_limit)
{
    ins_deadline dl = {.start_date = 7, .deadline_date = 7, .warning_unix = 7, .deadline_unix = 7};
    ck_assert_int_eq(ins_deadline_compute(&CAL, AT("2026-09-28", 10, 0), TZ, 0, &dl), INS_EINVAL);
    ck_assert_int_eq(dl.start_date, 7);
    ck_assert_int_eq(dl.warning_unix, 7);
    ck_assert_int_eq(ins_deadline_compute(&CAL, INT64_MAX, TZ, 3, &dl), INS_EINVAL);
    ck_assert_int_eq(ins_deadline_compute(&CAL, INT64_MIN, TZ, 3, &dl), INS_EINVAL);
    ck_assert_int_eq(dl.deadline_unix, 7);
}
END_TEST

/*
 * Reference model: walk from the local midnight after the start in 6-hour
 * steps; a step inside a working day adds one quarter day. The warning is
 * the first step end with at least 3N quarters, the deadline the first
 * with 4N.
 */
static void reference(int64_t start, unsigned n, int64_t *warning, int64_t *deadline)
{
    ins_date day = ins_date_from_unix(start, TZ) + 1;
    uint64_t quarters = 0;
    *warning = -1;
    for (;; day++) {
        if (!ins_workcal_is_working(&CAL, day))
            continue;
        for (int q = 1; q <= 4; q++) {
            quarters++;
            int64_t t = ins_deadline_day_start(day, TZ) + q * 6 * 3600;
            if (*warning < 0 && quarters >= 3 * (uint64_t)n)
                *warning = t;
            if (quarters >= 4 * (uint64_t)n) {
                *deadline = t;
                return;
            }
        }
    }
}

START_TEST(test_deadline_matches_the_reference_through_2026)
{
    for (ins_date d = D("2026-01-01"); d <= D("2026-12-31"); d++) {
        for (unsigned n = 1; n <= 25; n++) {
            int64_t start = ins_deadline_day_start(d, TZ) + 9 * 3600 + 17;
            ins_deadline dl = compute(start, n);
            int64_t w, dd;
            reference(start, n, &w, &dd);
            ck_assert_int_eq(dl.deadline_unix, dd);
            ck_assert_int_eq(dl.warning_unix, w);
            ck_assert_int_lt(dl.warning_unix, dl.deadline_unix);
            /* the warning lies inside a working day (or at its end) */
            ck_assert(ins_workcal_is_working(&CAL, ins_date_from_unix(dl.warning_unix - 1, TZ)));
            ck_assert(ins_workcal_is_working(&CAL, dl.deadline_date));
            ck_assert_uint_eq(
                ins_workcal_working_days_between(&CAL, dl.start_date, dl.deadline_date), n);
        }
    }
}
END_TEST

START_TEST(test_deadline_state_boundaries)
{
    ins_deadline dl = compute(AT("2026-09-28", 10, 0), 8);
    ck_assert_int_eq(ins_deadline_state(AT("2026-09-28", 10, 0), dl.warning_unix, dl.deadline_unix),
                     INS_DEADLINE_NONE);
    ck_assert_int_eq(ins_deadline_state(dl.warning_unix - 1, dl.warning_unix, dl.deadline_unix),
                     INS_DEADLINE_NONE);
    ck_assert_int_eq(ins_deadline_state(dl.warning_unix, dl.warning_unix, dl.deadline_unix),
                     INS_DEADLINE_WARNING);
    ck_assert_int_eq(ins_deadline_state(dl.deadline_unix - 1, dl.warning_unix, dl.deadline_unix),
                     INS_DEADLINE_WARNING);
    ck_assert_int_eq(ins_deadline_state(dl.deadline_unix, dl.warning_unix, dl.deadline_unix),
                     INS_DEADLINE_OVERDUE);
}
END_TEST

/* ---- alerts ---- */

START_TEST(test_alerts_each_raised_exactly_once)
{
    ins_deadline dl = compute(AT("2026-09-28", 10, 0), 8);
    unsigned raised = 0;
    int warnings = 0, overdues = 0;
    int64_t warned_at = 0, overdue_at = 0;
    for (int64_t t = AT("2026-09-28", 10, 0); t <= dl.deadline_unix + 3 * 86400; t += 600) {
        unsigned due = ins_alerts_due(t, dl.warning_unix, dl.deadline_unix, raised);
        ck_assert_uint_eq(due & raised, 0);
        if (due & INS_ALERT_WARNING) {
            warnings++;
            warned_at = t;
        }
        if (due & INS_ALERT_OVERDUE) {
            overdues++;
            overdue_at = t;
        }
        raised |= due;
    }
    ck_assert_int_eq(warnings, 1);
    ck_assert_int_eq(overdues, 1);
    ck_assert_int_eq(warned_at, dl.warning_unix);
    ck_assert_int_eq(overdue_at, dl.deadline_unix);
}
END_TEST

START_TEST(test_alerts_both_at_once_after_downtime)
{
    /* the scheduler was down across both thresholds */
    ck_assert_uint_eq(ins_alerts_due(2000, 1000, 1500, 0), INS_ALERT_WARNING | INS_ALERT_OVERDUE);
    ck_assert_uint_eq(ins_alerts_due(1500, 1000, 1500, 0), INS_ALERT_WARNING | INS_ALERT_OVERDUE);
    ck_assert_uint_eq(ins_alerts_due(1499, 1000, 1500, 0), INS_ALERT_WARNING);
    ck_assert_uint_eq(ins_alerts_due(999, 1000, 1500, 0), 0);
}
END_TEST

START_TEST(test_alerts_already_raised_masks_across_a_restart)
{
    /* before the restart: the warning was raised and stored */
    unsigned raised = ins_alerts_due(1200, 1000, 1500, 0);
    ck_assert_uint_eq(raised, INS_ALERT_WARNING);
    /* after the restart, from the stored bits: nothing new before the
     * deadline, only OVERDUE after it, then nothing */
    ck_assert_uint_eq(ins_alerts_due(1300, 1000, 1500, raised), 0);
    ck_assert_uint_eq(ins_alerts_due(1600, 1000, 1500, raised), INS_ALERT_OVERDUE);
    raised |= INS_ALERT_OVERDUE;
    ck_assert_uint_eq(ins_alerts_due(99999, 1000, 1500, raised), 0);
    /* OVERDUE raised: a late WARNING would be stale */
    ck_assert_uint_eq(ins_alerts_due(99999, 1000, 1500, INS_ALERT_OVERDUE), 0);
    /* bits that are not thresholds are ignored */
    ck_assert_uint_eq(ins_alerts_due(1200, 1000, 1500, 0x10u), INS_ALERT_WARNING);
}
END_TEST

START_TEST(test_alerts_next_wakeup)
{
    ck_assert_int_eq(ins_alerts_next_wakeup(1000, 1500, 0), 1000);
    ck_assert_int_eq(ins_alerts_next_wakeup(1000, 1500, INS_ALERT_WARNING), 1500);
    ck_assert_int_eq(ins_alerts_next_wakeup(1000, 1500, INS_ALERT_OVERDUE), INT64_MAX);
    ck_assert_int_eq(ins_alerts_next_wakeup(1000, 1500, INS_ALERTS_ALL), INT64_MAX);
    /* agrees with ins_alerts_due: nothing due just before, something at it */
    static const int64_t W[] = {1000, 1500, 2000};
    for (unsigned bits = 0; bits <= INS_ALERTS_ALL; bits++) {
        for (size_t i = 0; i < 3; i++) {
            int64_t next = ins_alerts_next_wakeup(W[i], 1500, bits);
            if (next == INT64_MAX) {
                ck_assert_uint_eq(ins_alerts_due(INT64_MAX - 1, W[i], 1500, bits), 0);
                continue;
            }
            ck_assert_uint_eq(ins_alerts_due(next - 1, W[i], 1500, bits), 0);
            ck_assert_uint_ne(ins_alerts_due(next, W[i], 1500, bits), 0);
        }
    }
}
END_TEST

START_TEST(test_alerts_only_open_tasks)
{
    ck_assert(!ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_UNSPECIFIED));
    ck_assert(ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_PENDING));
    ck_assert(ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_ASSIGNED));
    ck_assert(ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_ACCEPTED));
    ck_assert(ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_ON_SITE));
    ck_assert(!ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_SUBMITTED));
    ck_assert(!ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_RECONCILED));
    ck_assert(!ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_CLOSED));
    ck_assert(!ins_task_state_open(INSPECT__V1__TASK_STATE__TASK_STATE_CANCELLED));
    ck_assert(!ins_task_state_open(99));
    ck_assert(!ins_task_state_open(-1));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deadline");
    TCase *tc = tcase_create("deadline");
    tcase_add_checked_fixture(tc, load_calendar, NULL);
    tcase_add_test(tc, test_deadline_national_day_eight_days);
    tcase_add_test(tc, test_deadline_ends_on_a_makeup_saturday);
    tcase_add_test(tc, test_deadline_one_day_warns_at_three_quarters_of_it);
    tcase_add_test(tc, test_deadline_starting_on_a_holiday);
    tcase_add_test(tc, test_deadline_start_date_is_the_local_date);
    tcase_add_test(tc, test_deadline_spring_festival_makeup_and_holidays);
    tcase_add_test(tc, test_deadline_refuses_a_zero_limit);
    tcase_add_test(tc, test_deadline_matches_the_reference_through_2026);
    tcase_add_test(tc, test_deadline_state_boundaries);
    tcase_add_test(tc, test_alerts_each_raised_exactly_once);
    suite_add_tcase(s, tc);

    TCase *ta = tcase_create("alerts");
    tcase_add_test(ta, test_alerts_both_at_once_after_downtime);
    tcase_add_test(ta, test_alerts_already_raised_masks_across_a_restart);
    tcase_add_test(ta, test_alerts_next_wakeup);
    tcase_add_test(ta, test_alerts_only_open_tasks);
    suite_add_tcase(s, ta);
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
