/*
 * device_time.c - the rule for times a device reports (see device_time.h).
 */
#include "device_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "ins_error.h"

/* "2026-12-01T10:00:00Z" for `t`, or "?" when it does not convert. */
static void utc(int64_t t, char *out, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, len, "?");
}

int ins_device_time_check(const char *field, int64_t device, int64_t now, int64_t skew,
                          int64_t task_created, const char *task_id, char *why, size_t whylen)
{
    if (device == 0)
        return 0; /* the device gave none */
    char at[32];
    utc(now, at, sizeof at);
    if (device > now && device - now > skew) {
        snprintf(why, whylen,
                 "%s %" PRId64 " is %" PRId64 " s ahead of the server's clock (server time %" PRId64
                 ", %s; allowed skew %" PRId64 " s): set the tablet's clock",
                 field, device, device - now, now, at, skew);
        return INS_EINVAL;
    }
    if (task_created > 0 && device < task_created - skew) { /* a slow clock within the skew */
        char made[32];
        utc(task_created, made, sizeof made);
        snprintf(why, whylen,
                 "%s %" PRId64 " is before task %s existed (created %" PRId64
                 ", %s; server time %" PRId64 ", %s): set the tablet's clock",
                 field, device, task_id, task_created, made, now, at);
        return INS_EINVAL;
    }
    return 0;
}
