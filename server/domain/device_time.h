/*
 * device_time.h - the one rule for times a device reports (a check-in's
 * device_unix, a photo's capture_unix, the findings' device_unix).
 *
 * A tablet's clock is not trusted: a time further ahead of the server's
 * clock than the allowed skew (--max-clock-skew), or earlier than the task
 * it belongs to was created by more than that skew (a slow clock within the
 * skew is not "before the task"), is refused; 0 means the device gave none and is
 * accepted as such. The server keeps its own receive time beside every
 * device time (CheckIn.server_unix, Photo.uploaded_unix,
 * Findings.received_unix). Pure function, thread-safe.
 */
#ifndef INS_DEVICE_TIME_H
#define INS_DEVICE_TIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Checks `device` (seconds since the epoch, the request field `field`)
 * against the server's time `now`, the allowed `skew` in seconds and the
 * creation time `task_created` of task `task_id` (0: unknown, not checked).
 * Returns 0, or INS_EINVAL with `why` (`whylen` bytes) saying which limit
 * was passed and the server's time, e.g. "capture_unix 1796170000 is 3600 s
 * ahead of the server's clock (server time 1796166400,
 * 2026-12-01T23:06:40Z; allowed skew 600 s): set the tablet's clock".
 */
int ins_device_time_check(const char *field, int64_t device, int64_t now, int64_t skew,
                          int64_t task_created, const char *task_id, char *why, size_t whylen);

#endif /* INS_DEVICE_TIME_H */
