/*
 * test_calendar.c - dates, calendar validation and working-day arithmetic.
 *
 * The holiday cases use China's official 2026 schedule (国务院办公厅关于2026年
 * 部分节假日安排的通知, 2025-11-04): National Day 10-01..10-07 off with make-up
 * workdays on Sunday 09-20 and Saturday 10-10, Spring Festival 02-15..02-23
 * with make-up Saturdays 02-14 and 02-28, and the rest. The arithmetic is
 * also checked against a naive day-by-day model on random calendars.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "ins_error.h"

#define HOL INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY
#define MUW INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY

static ins_date D(const char *s)
{
    ins_date d = 0;
    ck_assert_msg(ins_date_parse(s, &d) == 0, "bad date in test: %s", s);
    return d;
}

/* ---- a Calendar message built on the stack ---- */

#define CAL_MAX 64
typedef struct {
    Inspect__V1__Calendar c;
    Inspect__V1__CalendarDay days[CAL_MAX];
    Inspect__V1__CalendarDay *ptrs[CAL_MAX];
    char dates[CAL_MAX][INS_DATE_STRLEN];
} cal_fx;

static void cal_init(cal_fx *f, int year)
{
    static const Inspect__V1__Calendar C0 = INSPECT__V1__CALENDAR__INIT;
    memset(f, 0, sizeof(*f));
    f->c = C0;
    f->c.year = year;
    f->c.days = f->ptrs;
}

static void cal_add(cal_fx *f, const char *date, int kind, const char *name)
{
    static const Inspect__V1__CalendarDay D0 = INSPECT__V1__CALENDAR_DAY__INIT;
    size_t i = f->c.n_days++;
    ck_assert_uint_lt(i, CAL_MAX);
    f->days[i] = D0;
    snprintf(f->dates[i], sizeof(f->dates[i]), "%s", date);
    f->days[i].date = f->dates[i];
    f->days[i].kind = (Inspect__V1__DayKind)kind;
    f->days[i].name = (char *)name;
    f->ptrs[i] = &f->days[i];
}

/* The official 2026 schedule: weekday holidays and weekend make-up workdays. */
static void cal_2026(cal_fx *f)
{
    static const char *const HOLIDAYS[][2] = {
        {"2026-01-01", "元旦"},   {"2026-01-02", "元旦"},   {"2026-02-16", "春节"},
        {"2026-02-17", "春节"},   {"2026-02-18", "春节"},   {"2026-02-19", "春节"},
        {"2026-02-20", "春节"},   {"2026-02-23", "春节"},   {"2026-04-06", "清明节"},
        {"2026-05-01", "劳动节"}, {"2026-05-04", "劳动节"}, {"2026-05-05", "劳动节"},
        {"2026-06-19", "端午节"}, {"2026-09-25", "中秋节"}, {"2026-10-01", "国庆节"},
        {"2026-10-02", "国庆节"}, {"2026-10-05", "国庆节"}, {"2026-10-06", "国庆节"},
        {"2026-10-07", "国庆节"},
    };
    static const char *const MAKEUP[] = {"2026-01-04", "2026-02-14", "2026-02-28",
                                         "2026-05-09", "2026-09-20", "2026-10-10"};
    cal_init(f, 2026);
    for (size_t i = 0; i < sizeof(HOLIDAYS) / sizeof(HOLIDAYS[0]); i++)
        cal_add(f, HOLIDAYS[i][0], HOL, HOLIDAYS[i][1]);
    for (size_t i = 0; i < sizeof(MAKEUP) / sizeof(MAKEUP[0]); i++)
        cal_add(f, MAKEUP[i], MUW, "调休上班");
}

/* ---- dates ---- */

START_TEST(test_date_parse_and_format)
{
    ins_date d = 123;
    char buf[INS_DATE_STRLEN];
    ck_assert_int_eq(ins_date_parse("1970-01-01", &d), 0);
    ck_assert_int_eq(d, 0);
    ck_assert_int_eq(ins_date_parse("2026-10-01", &d), 0);
    ck_assert_int_eq(d, 20727);
    ck_assert_str_eq(ins_date_format(d, buf), "2026-10-01");
    ck_assert_int_eq(ins_date_parse("0001-01-01", &d), 0);
    ck_assert_int_eq(d, INS_DATE_MIN);
    ck_assert_int_eq(ins_date_parse("9999-12-31", &d), 0);
    ck_assert_int_eq(d, INS_DATE_MAX);
    ck_assert_int_eq(ins_date_parse("2000-02-29", &d), 0);
    ck_assert_int_eq(ins_date_parse("2024-02-29", &d), 0);

    static const char *const BAD[] = {
        "2026-02-29", "2100-02-29", "2026-02-30", "2026-04-31",    "2026-13-01",  "2026-00-10",
        "2026-01-00", "0000-01-01", "2026-2-3",   "26-02-03",      " 2026-02-03", "2026-02-03 ",
        "2026/02/03", "2026-02-3x", "",           "２０２６-02-03"};
    d = 77;
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++)
        ck_assert_msg(ins_date_parse(BAD[i], &d) == INS_EINVAL, "accepted %s", BAD[i]);
    ck_assert_int_eq(ins_date_parse(NULL, &d), INS_EINVAL);
    ck_assert_int_eq(d, 77);
}
END_TEST

/* Day numbers against a naive walk: every day from 1600 to 2400 follows the previous one. */
START_TEST(test_date_round_trip_against_walk)
{
    int y = 1600, m = 1, dd = 1;
    ins_date d0;
    ck_assert_int_eq(ins_date_from_ymd(1600, 1, 1, &d0), 0);
    static const int MD[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (ins_date d = d0; y < 2400; d++) {
        int gy, gm, gd;
        ins_date back = 0;
        ins_date_to_ymd(d, &gy, &gm, &gd);
        /* plain ifs: a ck_assert per day would cost a pipe write each (1 s+) */
        if (gy != y || gm != m || gd != dd)
            ck_abort_msg("%d: %d-%d-%d vs %d-%d-%d", d, gy, gm, gd, y, m, dd);
        if (ins_date_from_ymd(y, m, dd, &back) != 0 || back != d)
            ck_abort_msg("%d-%d-%d: got %d, want %d", y, m, dd, back, d);
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        int len = m == 2 && leap ? 29 : MD[m - 1];
        if (++dd > len) {
            dd = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}
END_TEST

START_TEST(test_date_weekday_and_unix)
{
    ck_assert_int_eq(ins_date_weekday(D("1970-01-01")), 4);
    ck_assert_int_eq(ins_date_weekday(D("1969-12-31")), 3);
    ck_assert_int_eq(ins_date_weekday(D("2000-01-01")), 6);
    ck_assert_int_eq(ins_date_weekday(D("2026-10-01")), 4);
    ck_assert_int_eq(ins_date_weekday(D("2026-10-04")), 7);
    ck_assert_int_eq(ins_date_weekday(D("0001-01-01")), 1);
    ck_assert_str_eq(ins_date_weekday_name(D("2026-10-10")), "Saturday");
    /* 1700000000 is 2023-11-14 22:13:20 UTC, 2023-11-15 in China */
    ck_assert_int_eq(ins_date_from_unix(1700000000, 0), D("2023-11-14"));
    ck_assert_int_eq(ins_date_from_unix(1700000000, 8 * 3600), D("2023-11-15"));
    ck_assert_int_eq(ins_date_from_unix(-1, 0), D("1969-12-31"));
    ck_assert_int_eq(ins_date_from_unix(0, 0), 0);
}
END_TEST

/* ---- calendar validation ---- */

START_TEST(test_calendar_official_2026_is_valid)
{
    cal_fx f;
    char why[256] = "";
    cal_2026(&f);
    ck_assert_msg(ins_calendar_validate(&f.c, why, sizeof(why)) == 0, "%s", why);
    cal_init(&f, 2030); /* no exceptions at all */
    ck_assert_int_eq(ins_calendar_validate(&f.c, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_calendar_bad_input_refused)
{
    static const struct {
        int year;
        const char *date;
        int kind;
        const char *why;
    } CASES[] = {
        {2026, "2026-10-01", HOL, "2026-10-01 is listed twice"},
        {2026, "2026-10-03", HOL,
         "2026-10-03 is a Saturday: a HOLIDAY must fall on a weekday (weekends are off anyway); "
         "leave it out"},
        {2026, "2026-10-09", MUW,
         "2026-10-09 is a Friday: a MAKEUP_WORKDAY must fall on a Saturday or Sunday (weekdays "
         "are worked anyway)"},
        {2026, "2025-12-31", HOL, "2025-12-31 is not in the calendar's year 2026"},
        {2026, "2026-02-30", HOL,
         "calendar day 2: date 2026-02-30 is not a real date written YYYY-MM-DD"},
        {2026, "2026-10-1", HOL,
         "calendar day 2: date 2026-10-1 is not a real date written YYYY-MM-DD"},
        {2026, "", HOL, "calendar day 2 has no date"},
        {2026, "2026-10-08", 0, "2026-10-08 has no kind; set HOLIDAY or MAKEUP_WORKDAY"},
        {2026, "2026-10-08", 7, "2026-10-08 has kind 7; it must be HOLIDAY or MAKEUP_WORKDAY"},
        {1999, NULL, 0, "calendar year 1999 is outside 2000..2100"},
        {2101, NULL, 0, "calendar year 2101 is outside 2000..2100"},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        cal_fx f;
        char why[256] = "";
        cal_init(&f, CASES[i].year);
        if (CASES[i].date) {
            cal_add(&f, "2026-10-01", HOL, "国庆节");
            cal_add(&f, CASES[i].date, CASES[i].kind, "");
        }
        ck_assert_msg(ins_calendar_validate(&f.c, why, sizeof(why)) == INS_EINVAL,
                      "case %zu passed", i);
        ck_assert_str_eq(why, CASES[i].why);
    }
    cal_fx f;
    char why[256];
    cal_2026(&f);
    f.days[3].name = "春\x01节";
    ck_assert_int_eq(ins_calendar_validate(&f.c, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "name of 2026-02-17 contains a control character (0x01) at byte 4");
    ck_assert_int_eq(ins_calendar_validate(NULL, why, sizeof(why)), INS_EINVAL);
}
END_TEST

/* ---- working days ---- */

START_TEST(test_workcal_2026_is_working)
{
    static ins_workcal cal;
    cal_fx f;
    cal_2026(&f);
    ins_workcal_init(&cal);
    ck_assert_int_eq(ins_workcal_add_year(&cal, &f.c), 0);
    ck_assert(!ins_workcal_is_working(&cal, D("2026-10-01"))); /* Thursday, National Day */
    ck_assert(!ins_workcal_is_working(&cal, D("2026-10-03"))); /* Saturday */
    ck_assert(ins_workcal_is_working(&cal, D("2026-10-08")));
    ck_assert(ins_workcal_is_working(&cal, D("2026-10-10")));  /* make-up Saturday */
    ck_assert(!ins_workcal_is_working(&cal, D("2026-10-11"))); /* Sunday */
    ck_assert(ins_workcal_is_working(&cal, D("2026-09-20")));  /* make-up Sunday */
    ck_assert(ins_workcal_is_working(&cal, D("2026-12-31")));
    /* 2027 is not loaded: Monday–Friday, even on New Year's Day */
    ck_assert(ins_workcal_is_working(&cal, D("2027-01-01")));
    ck_assert(!ins_workcal_is_working(&cal, D("2027-01-02")));
    /* 261 weekdays - 19 weekday holidays + 6 make-up days */
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, D("2025-12-31"), D("2026-12-31")),
                      248);
}
END_TEST

START_TEST(test_workcal_deadline_across_national_day)
{
    static ins_workcal cal, plain;
    cal_fx f;
    cal_2026(&f);
    ins_workcal_init(&cal);
    ins_workcal_init(&plain);
    ck_assert_int_eq(ins_workcal_add_year(&cal, &f.c), 0);
    char buf[INS_DATE_STRLEN];

    /* created Tue 09-29, 5 working days: 09-30, 10-08, 10-09, 10-10 (Sat), 10-12 */
    ins_date start = D("2026-09-29");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, start, 1), buf),
                     "2026-09-30");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, start, 2), buf),
                     "2026-10-08");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, start, 4), buf),
                     "2026-10-10");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, start, 5), buf),
                     "2026-10-12");
    /* without the calendar the same deadline falls in the holiday */
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&plain, start, 5), buf),
                     "2026-10-06");
    /* the whole Golden Week counts nothing */
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, D("2026-09-30"), D("2026-10-07")), 0);
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, start, D("2026-10-12")), 5);
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, start, D("2026-10-11")), 4);
    /* 20 working days from 09-15: 75 % (15 days) reached on 10-12, due on 10-19 */
    start = D("2026-09-15");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, start, 15), buf),
                     "2026-10-12");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, start, 20), buf),
                     "2026-10-19");
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, start, D("2026-10-09")), 13);
}
END_TEST

START_TEST(test_workcal_makeup_days_and_spring_festival)
{
    static ins_workcal cal;
    cal_fx f;
    cal_2026(&f);
    ins_workcal_init(&cal);
    ck_assert_int_eq(ins_workcal_add_year(&cal, &f.c), 0);
    char buf[INS_DATE_STRLEN];
    /* Friday 09-18 + 1 is the make-up Sunday 09-20 */
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, D("2026-09-18"), 1), buf),
                     "2026-09-20");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, D("2026-09-18"), 2), buf),
                     "2026-09-21");
    /* start on a non-working day counts from the next day */
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, D("2026-09-19"), 1), buf),
                     "2026-09-20");
    /* Friday 02-13 + 1 is Saturday 02-14 (make-up), + 2 jumps the festival to 02-24 */
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, D("2026-02-13"), 1), buf),
                     "2026-02-14");
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, D("2026-02-13"), 2), buf),
                     "2026-02-24");
    /* n == 0 is the start itself; b <= a counts nothing */
    ck_assert_int_eq(ins_workcal_add_working_days(&cal, D("2026-10-01"), 0), D("2026-10-01"));
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, D("2026-10-12"), D("2026-09-29")), 0);
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, D("2026-10-12"), D("2026-10-12")), 0);
    /* across into an unloaded year: Wed 12-30 + 3 = 12-31, 2027-01-01, 2027-01-04 */
    ck_assert_str_eq(ins_date_format(ins_workcal_add_working_days(&cal, D("2026-12-30"), 3), buf),
                     "2027-01-04");
}
END_TEST

START_TEST(test_workcal_replace_year_and_refuse_invalid)
{
    static ins_workcal cal;
    cal_fx f, empty, bad;
    cal_2026(&f);
    cal_init(&empty, 2026);
    cal_init(&bad, 2026);
    cal_add(&bad, "2026-10-03", HOL, "");
    ins_workcal_init(&cal);
    ck_assert_int_eq(ins_workcal_add_year(&cal, &f.c), 0);
    ck_assert_int_eq(ins_workcal_add_year(&cal, &bad.c), INS_EINVAL);
    ck_assert(!ins_workcal_is_working(&cal, D("2026-10-01"))); /* unchanged */
    ck_assert_int_eq(ins_workcal_add_year(&cal, &empty.c), 0);
    ck_assert(ins_workcal_is_working(&cal, D("2026-10-01")));
    ck_assert(!ins_workcal_is_working(&cal, D("2026-10-10")));
}
END_TEST

START_TEST(test_workcal_extremes)
{
    static ins_workcal cal;
    ins_workcal_init(&cal);
    /* 5 working days per week without calendars */
    ck_assert_uint_eq(
        ins_workcal_working_days_between(&cal, D("2026-01-04"), D("2026-01-04") + 7000), 5000);
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, INS_DATE_MIN, INS_DATE_MAX), 2608614u);
    /* past the last representable day */
    ck_assert_int_eq(ins_workcal_add_working_days(&cal, D("9999-12-01"), 100), INS_DATE_MAX);
    ck_assert_int_eq(ins_workcal_add_working_days(&cal, D("2026-01-01"), 4000000000u),
                     INS_DATE_MAX);
    ins_date far = ins_workcal_add_working_days(&cal, D("2026-01-01"), 1000000);
    ck_assert_uint_eq(ins_workcal_working_days_between(&cal, D("2026-01-01"), far), 1000000);
    ck_assert(ins_workcal_is_working(&cal, far));
}
END_TEST

/* ---- against a naive model on random calendars ---- */

#define M_FIRST 2024
#define M_LAST  2029

static unsigned rnd_state = 20261001u;
static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) % n;
}

START_TEST(test_workcal_matches_naive_model)
{
    static ins_workcal cal;
    static cal_fx fx[M_LAST - M_FIRST + 1];
    ins_date lo = D("2024-01-01"), hi = D("2029-12-31");
    static unsigned char model[3000];
    ck_assert_int_le(hi - lo + 1, (int)sizeof(model));

    for (int round = 0; round < 20; round++) {
        ins_workcal_init(&cal);
        for (ins_date d = lo; d <= hi; d++)
            model[d - lo] = ins_date_weekday(d) <= 5;
        /* load some years (not all), each with random holidays and make-up days */
        for (int y = M_FIRST; y <= M_LAST; y++) {
            if (rnd(3) == 0)
                continue;
            cal_fx *f = &fx[y - M_FIRST];
            cal_init(f, y);
            ins_date ys, ye;
            ins_date_from_ymd(y, 1, 1, &ys);
            ins_date_from_ymd(y, 12, 31, &ye);
            unsigned want = rnd(CAL_MAX);
            unsigned char used[366] = {0};
            while (f->c.n_days < want) {
                ins_date d = ys + (ins_date)rnd((unsigned)(ye - ys + 1));
                if (used[d - ys])
                    continue;
                used[d - ys] = 1;
                char buf[INS_DATE_STRLEN];
                int weekend = ins_date_weekday(d) >= 6;
                cal_add(f, ins_date_format(d, buf), weekend ? MUW : HOL, "");
                model[d - lo] = (unsigned char)weekend;
            }
            char why[256] = "";
            ck_assert_msg(ins_calendar_validate(&f->c, why, sizeof(why)) == 0, "%s", why);
            ck_assert_int_eq(ins_workcal_add_year(&cal, &f->c), 0);
        }
        for (ins_date d = lo; d <= hi; d++)
            ck_assert_int_eq(!!ins_workcal_is_working(&cal, d), model[d - lo]);
        for (int q = 0; q < 300; q++) {
            ins_date a = lo + (ins_date)rnd((unsigned)(hi - lo - 400));
            ins_date b = a + (ins_date)rnd(400);
            unsigned n = 0;
            for (ins_date d = a + 1; d <= b; d++)
                n += model[d - lo];
            ck_assert_uint_eq(ins_workcal_working_days_between(&cal, a, b), n);
            unsigned k = rnd(200);
            ins_date want = a, d = a;
            for (unsigned c = 0; c < k;) {
                d++;
                if (model[d - lo]) {
                    c++;
                    want = d;
                }
            }
            ck_assert_int_eq(ins_workcal_add_working_days(&cal, a, k), want);
        }
    }
}
END_TEST

/* The model test can fail: one wrong bit in the calendar is noticed. */
START_TEST(test_workcal_model_detects_a_wrong_day)
{
    static ins_workcal cal;
    cal_fx f;
    cal_2026(&f);
    ins_workcal_init(&cal);
    ck_assert_int_eq(ins_workcal_add_year(&cal, &f.c), 0);
    unsigned before = ins_workcal_working_days_between(&cal, D("2026-09-01"), D("2026-10-31"));
    f.days[14].kind = MUW; /* 10-01 no longer a holiday: invalid (a Thursday) */
    ck_assert_int_eq(ins_workcal_add_year(&cal, &f.c), INS_EINVAL);
    /* drop the National Day holidays (entries 14..18), keep the make-up days */
    f.days[14].kind = HOL;
    memmove(&f.ptrs[14], &f.ptrs[19], (f.c.n_days - 19) * sizeof(f.ptrs[0]));
    f.c.n_days -= 5;
    ck_assert_int_eq(ins_workcal_add_year(&cal, &f.c), 0);
    unsigned after = ins_workcal_working_days_between(&cal, D("2026-09-01"), D("2026-10-31"));
    ck_assert_uint_eq(before, 39);
    ck_assert_uint_eq(after, before + 5); /* five weekdays back */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("calendar");
    TCase *tc = tcase_create("date");
    tcase_add_test(tc, test_date_parse_and_format);
    tcase_add_test(tc, test_date_round_trip_against_walk);
    tcase_add_test(tc, test_date_weekday_and_unix);
    suite_add_tcase(s, tc);
    tc = tcase_create("calendar");
    tcase_add_test(tc, test_calendar_official_2026_is_valid);
    tcase_add_test(tc, test_calendar_bad_input_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("workcal");
    tcase_add_test(tc, test_workcal_2026_is_working);
    tcase_add_test(tc, test_workcal_deadline_across_national_day);
    tcase_add_test(tc, test_workcal_makeup_days_and_spring_festival);
    tcase_add_test(tc, test_workcal_replace_year_and_refuse_invalid);
    tcase_add_test(tc, test_workcal_extremes);
    tcase_add_test(tc, test_workcal_matches_naive_model);
    tcase_add_test(tc, test_workcal_model_detects_a_wrong_day);
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
