/*
 * checkin_rules.h - how many check-ins a task keeps.
 *
 * Every check-in is kept on the task record, and the task record travels in
 * answers and sync packages, so it must not grow without bound: a tablet
 * stuck in a retry loop or a hostile client could otherwise make one task
 * megabytes long. Each inspector may check in on one task at most
 * INS_CHECKINS_PER_INSPECTOR times (arriving, leaving for lunch and coming
 * back, a second visit: far fewer in practice).
 *
 * Pure: no allocation, no global state, thread-safe.
 */
#ifndef INS_CHECKIN_RULES_H
#define INS_CHECKIN_RULES_H

#include <stddef.h>

#include "inspect/v1/dispatch.pb-c.h"

#define INS_CHECKINS_PER_INSPECTOR 20

/*
 * Whether `inspector` may check in once more on `task`. Returns 0, or
 * INS_ETOOBIG (RESOURCE_EXHAUSTED) with a sentence in why[0..whylen) such as
 * "inspector I-1 has checked in 20 times on task T-7; a task keeps at most
 * 20 check-ins per inspector". `why` may be NULL.
 */
int ins_checkin_allowed(const Inspect__V1__Task *task, const char *inspector, char *why,
                        size_t whylen);

#endif /* INS_CHECKIN_RULES_H */
