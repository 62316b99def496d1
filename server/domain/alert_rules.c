/*
 * alert_rules.c - deadline alert thresholds, raised exactly once each.
 *
 * ins_alerts_due and ins_alerts_next_wakeup are written from the same two
 * conditions so that they agree: next_wakeup(b) is the least t with
 * due(t, b) != 0.
 */
#include "alert_rules.h"

unsigned ins_alerts_due(int64_t now, int64_t warning_unix, int64_t deadline_unix,
                        unsigned already_raised)
{
    unsigned due = 0;
    if (!(already_raised & INS_ALERT_OVERDUE)) {
        if (now >= deadline_unix)
            due |= INS_ALERT_OVERDUE;
        if (!(already_raised & INS_ALERT_WARNING) && now >= warning_unix)
            due |= INS_ALERT_WARNING;
    }
    return due;
}

int64_t ins_alerts_next_wakeup(int64_t warning_unix, int64_t deadline_unix, unsigned already_raised)
{
    if (already_raised & INS_ALERT_OVERDUE)
        return INT64_MAX;
    if (already_raised & INS_ALERT_WARNING)
        return deadline_unix;
    return warning_unix < deadline_unix ? warning_unix : deadline_unix;
}
