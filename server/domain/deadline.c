/*
 * deadline.c - statutory limits in working days turned into instants.
 *
 * All arithmetic is on day numbers and whole seconds: no floating point, no
 * time zone database, no dependence on the host's TZ. The 75 % mark is
 * computed in quarter days (3N / 4 working days), which is exact.
 */
#include "deadline.h"

#include "ins_error.h"

#define DAY_S INT64_C(86400)

int64_t ins_deadline_day_start(ins_date date, int32_t utc_offset_s)
{
    return (int64_t)date * DAY_S - utc_offset_s;
}

int ins_deadline_compute(const ins_workcal *cal, int64_t start_unix, int32_t utc_offset_s,
                         unsigned limit_working_days, ins_deadline *out)
{
    if (limit_working_days == 0)
        return INS_EINVAL;
    if (start_unix < ins_deadline_day_start(INS_DATE_MIN, utc_offset_s) ||
        start_unix >= ins_deadline_day_start(INS_DATE_MAX, utc_offset_s) + DAY_S)
        return INS_EINVAL;

    ins_date start = ins_date_from_unix(start_unix, utc_offset_s);
    ins_date deadline = ins_workcal_add_working_days(cal, start, limit_working_days);

    /* 0.75 N working days = whole + quarters / 4. */
    uint64_t three_n = 3u * (uint64_t)limit_working_days;
    unsigned whole = (unsigned)(three_n / 4), quarters = (unsigned)(three_n % 4);
    int64_t warning;
    if (quarters == 0) {
        /* end of working day `whole` (whole >= 3 here, since N >= 4) */
        warning =
            ins_deadline_day_start(ins_workcal_add_working_days(cal, start, whole), utc_offset_s) +
            DAY_S;
    } else {
        /* inside working day whole + 1, after `quarters` quarter days */
        warning = ins_deadline_day_start(ins_workcal_add_working_days(cal, start, whole + 1),
                                         utc_offset_s) +
                  (int64_t)quarters * (DAY_S / 4);
    }

    out->start_date = start;
    out->deadline_date = deadline;
    out->deadline_unix = ins_deadline_day_start(deadline, utc_offset_s) + DAY_S;
    out->warning_unix = warning;
    return 0;
}

ins_deadline_level ins_deadline_state(int64_t now, int64_t warning_unix, int64_t deadline_unix)
{
    if (now >= deadline_unix)
        return INS_DEADLINE_OVERDUE;
    if (now >= warning_unix)
        return INS_DEADLINE_WARNING;
    return INS_DEADLINE_NONE;
}
