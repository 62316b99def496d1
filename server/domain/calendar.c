/*
 * calendar.c - day numbers, calendar validation and working-day arithmetic.
 *
 * Day numbers use Howard Hinnant's days_from_civil / civil_from_days
 * algorithms (exact for the whole proleptic Gregorian calendar, no tables).
 * Working days: W(x) below counts the Monday–Friday days up to x in closed
 * form; a loaded year is a 366-bit map of its working days, and the count
 * over a span is W's difference corrected, year by year, by the popcount of
 * the loaded years' bits. Adding working days is a binary search on that
 * count, so neither operation walks day by day.
 */
#include "calendar.h"

#include <stdio.h>
#include <string.h>

#include "ins_error.h"
#include "ins_limits.h"
#include "text_rules.h"

#define NYEARS (INS_CALENDAR_YEAR_MAX - INS_CALENDAR_YEAR_MIN + 1)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int MD[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : MD[m - 1];
}

int ins_date_from_ymd(int y, int m, int d, ins_date *out)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return INS_EINVAL;
    *out = (ins_date)days_from_civil(y, m, d);
    return 0;
}

void ins_date_to_ymd(ins_date date, int *y, int *m, int *d)
{
    int64_t z = (int64_t)date + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = mm;
    *d = dd;
}

int ins_date_parse(const char *s, ins_date *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return INS_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return INS_EINVAL;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    return ins_date_from_ymd(y, m, d, out);
}

char *ins_date_format(ins_date date, char out[INS_DATE_STRLEN])
{
    int y, m, d;
    ins_date_to_ymd(date, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999; /* keep the buffer bound; such dates are out of range */
    snprintf(out, INS_DATE_STRLEN, "%04d-%02d-%02d", y, m, d);
    return out;
}

int ins_date_weekday(ins_date date)
{
    /* 1970-01-01 was a Thursday (ISO 4). */
    int64_t r = ((int64_t)date + 3) % 7;
    if (r < 0)
        r += 7;
    return (int)r + 1;
}

const char *ins_date_weekday_name(ins_date date)
{
    static const char *const N[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                    "Friday", "Saturday", "Sunday"};
    return N[ins_date_weekday(date) - 1];
}

ins_date ins_date_from_unix(int64_t unix_s, int32_t utc_offset_s)
{
    return (ins_date)floor_div(unix_s + utc_offset_s, 86400);
}

/* ---- calendar validation ---- */

static ins_date year_start(int y)
{
    return (ins_date)days_from_civil(y, 1, 1);
}

int ins_calendar_validate(const Inspect__V1__Calendar *c, char *why, size_t whylen)
{
    if (!c)
        return ins_whyf(INS_EINVAL, why, whylen, "calendar is missing");
    if (c->year < INS_CALENDAR_YEAR_MIN || c->year > INS_CALENDAR_YEAR_MAX)
        return ins_whyf(INS_EINVAL, why, whylen, "calendar year %d is outside %d..%d", c->year,
                        INS_CALENDAR_YEAR_MIN, INS_CALENDAR_YEAR_MAX);
    uint64_t seen[6] = {0};
    ins_date first = year_start(c->year);
    for (size_t i = 0; i < c->n_days; i++) {
        const Inspect__V1__CalendarDay *day = c->days[i];
        char shown[INS_SHOW_MAX + 4];
        ins_date d;
        if (!day || !day->date || !*day->date)
            return ins_whyf(INS_EINVAL, why, whylen, "calendar day %zu has no date", i + 1);
        if (ins_date_parse(day->date, &d) != 0)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "calendar day %zu: date %s is not a real date written YYYY-MM-DD",
                            i + 1, ins_show(day->date, shown, sizeof(shown)));
        const char *ds = day->date; /* exactly 10 valid characters now */
        if (d < first || d >= year_start(c->year + 1))
            return ins_whyf(INS_EINVAL, why, whylen, "%s is not in the calendar's year %d", ds,
                            c->year);
        unsigned doy = (unsigned)(d - first);
        if (seen[doy / 64] & (UINT64_C(1) << (doy % 64)))
            return ins_whyf(INS_EINVAL, why, whylen, "%s is listed twice", ds);
        seen[doy / 64] |= UINT64_C(1) << (doy % 64);
        int wd = ins_date_weekday(d);
        switch (day->kind) {
        case INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY:
            if (wd >= 6)
                return ins_whyf(INS_EINVAL, why, whylen,
                                "%s is a %s: a HOLIDAY must fall on a weekday (weekends are off "
                                "anyway); leave it out",
                                ds, ins_date_weekday_name(d));
            break;
        case INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY:
            if (wd <= 5)
                return ins_whyf(INS_EINVAL, why, whylen,
                                "%s is a %s: a MAKEUP_WORKDAY must fall on a Saturday or Sunday "
                                "(weekdays are worked anyway)",
                                ds, ins_date_weekday_name(d));
            break;
        case INSPECT__V1__DAY_KIND__DAY_KIND_UNSPECIFIED:
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s has no kind; set HOLIDAY or MAKEUP_WORKDAY", ds);
        default:
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s has kind %d; it must be HOLIDAY or MAKEUP_WORKDAY", ds,
                            (int)day->kind);
        }
        char field[64];
        snprintf(field, sizeof(field), "name of %s", ds);
        int rc = ins_text_check(field, day->name, INS_CALENDAR_NAME_MAX, 0, why, whylen);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- working days ---- */

/* Monday 1970-01-05 is day 4. W(x) - W(x-1) == 1 exactly when x is Monday–Friday. */
static int64_t weekdays_upto(int64_t x)
{
    int64_t t = x - 4;
    int64_t weeks = floor_div(t, 7);
    int64_t r = t - weeks * 7; /* 0 Monday .. 6 Sunday */
    return weeks * 5 + (r + 1 < 5 ? r + 1 : 5);
}

static int bit_get(const uint64_t *bits, unsigned i)
{
    return (int)((bits[i / 64] >> (i % 64)) & 1);
}

static void bit_put(uint64_t *bits, unsigned i, int on)
{
    if (on)
        bits[i / 64] |= UINT64_C(1) << (i % 64);
    else
        bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/* Number of set bits in bits[lo..hi], inclusive. */
static int64_t bits_count(const uint64_t *bits, unsigned lo, unsigned hi)
{
    int64_t n = 0;
    for (unsigned w = lo / 64; w <= hi / 64; w++) {
        uint64_t v = bits[w];
        unsigned from = w == lo / 64 ? lo % 64 : 0;
        unsigned to = w == hi / 64 ? hi % 64 : 63;
        v >>= from;
        if (to - from < 63)
            v &= (UINT64_C(1) << (to - from + 1)) - 1;
        n += __builtin_popcountll(v);
    }
    return n;
}

void ins_workcal_init(ins_workcal *cal)
{
    memset(cal, 0, sizeof(*cal));
}

int ins_workcal_add_year(ins_workcal *cal, const Inspect__V1__Calendar *c)
{
    if (ins_calendar_validate(c, NULL, 0) != 0)
        return INS_EINVAL;
    ins_date first = year_start(c->year), end = year_start(c->year + 1);
    uint64_t bits[6] = {0};
    for (ins_date d = first; d < end; d++)
        bit_put(bits, (unsigned)(d - first), ins_date_weekday(d) <= 5);
    for (size_t i = 0; i < c->n_days; i++) {
        ins_date d;
        ins_date_parse(c->days[i]->date, &d);
        bit_put(bits, (unsigned)(d - first),
                c->days[i]->kind == INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY);
    }
    int idx = c->year - INS_CALENDAR_YEAR_MIN;
    memcpy(cal->work[idx], bits, sizeof(bits));
    cal->loaded[idx] = 1;
    return 0;
}

int ins_workcal_is_working(const ins_workcal *cal, ins_date date)
{
    int y, m, d;
    ins_date_to_ymd(date, &y, &m, &d);
    if (y >= INS_CALENDAR_YEAR_MIN && y <= INS_CALENDAR_YEAR_MAX &&
        cal->loaded[y - INS_CALENDAR_YEAR_MIN])
        return bit_get(cal->work[y - INS_CALENDAR_YEAR_MIN], (unsigned)(date - year_start(y)));
    return ins_date_weekday(date) <= 5;
}

/* Working days in (a, b], for any a <= b (64-bit, no clamping). */
static int64_t count_between(const ins_workcal *cal, int64_t a, int64_t b)
{
    if (b <= a)
        return 0;
    int64_t n = weekdays_upto(b) - weekdays_upto(a);
    for (int i = 0; i < NYEARS; i++) {
        if (!cal->loaded[i])
            continue;
        int64_t ys = year_start(INS_CALENDAR_YEAR_MIN + i);
        int64_t ye = year_start(INS_CALENDAR_YEAR_MIN + i + 1) - 1;
        int64_t lo = a + 1 > ys ? a + 1 : ys;
        int64_t hi = b < ye ? b : ye;
        if (lo > hi)
            continue;
        n += bits_count(cal->work[i], (unsigned)(lo - ys), (unsigned)(hi - ys)) -
             (weekdays_upto(hi) - weekdays_upto(lo - 1));
    }
    return n;
}

unsigned ins_workcal_working_days_between(const ins_workcal *cal, ins_date a, ins_date b)
{
    return (unsigned)count_between(cal, a, b);
}

ins_date ins_workcal_add_working_days(const ins_workcal *cal, ins_date start, unsigned n)
{
    if (n == 0)
        return start;
    /* Monday–Friday needs at most 7 days per 5 working days; loaded years may need more. */
    int64_t hi = (int64_t)start + ((int64_t)n + 4) / 5 * 7 + 7;
    for (;;) {
        if (hi >= INS_DATE_MAX) {
            hi = INS_DATE_MAX;
            if (count_between(cal, start, hi) < (int64_t)n)
                return INS_DATE_MAX;
            break;
        }
        if (count_between(cal, start, hi) >= (int64_t)n)
            break;
        hi = start + 2 * (hi - start);
    }
    int64_t lo = (int64_t)start + 1; /* the answer is in [lo, hi] */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (count_between(cal, start, mid) >= (int64_t)n)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (ins_date)lo;
}
