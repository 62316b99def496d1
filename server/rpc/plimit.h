/*
 * plimit.h - per-principal limits: a call rate (token bucket) and a number
 * of open streaming calls, checked at call admission after the principal
 * is authenticated and admitted.
 *
 * State is one small record per principal seen, in a table of
 * PLIMIT_SHARDS shards each under its own mutex, so two workers contend
 * only when their principals hash alike. Principals come from verified
 * credentials, so the table grows with the real users, not with an
 * attacker's guesses. Thread-safe.
 */
#ifndef INS_PLIMIT_H
#define INS_PLIMIT_H

#include <stdint.h>

typedef struct ins_plimits ins_plimits;

/*
 * Creates the limits: `rate` calls a second with bursts of `burst` (rate 0:
 * no rate limit; burst 0: the rate rounded up, at least 1), and at most
 * `max_streams` open streaming calls per principal (0: no limit).
 * Returns 0 and *out, or ENOMEM.
 */
int ins_plimits_create(double rate, unsigned burst, unsigned max_streams, ins_plimits **out);

/* Frees. NULL is fine. */
void ins_plimits_destroy(ins_plimits *l);

/*
 * Takes one call of `principal` at monotonic time `now_ns`; `stream` non-zero
 * for a streaming call, which also takes an open-stream slot (give it back
 * with ins_plimits_stream_closed). Returns 0 when admitted; INS_EBUSY when a
 * limit is reached, with the wait before a retry can succeed in *retry_ms
 * and which limit in *what ("rate" or "streams"). ENOMEM leaves the call
 * admitted (a limit never fails a call for its own bookkeeping).
 */
int ins_plimits_take(ins_plimits *l, const char *principal, int stream, int64_t now_ns,
                     int64_t *retry_ms, const char **what);

/* Gives back the open-stream slot of a streaming call admitted by take. */
void ins_plimits_stream_closed(ins_plimits *l, const char *principal);

/* The configured limits, for messages. */
double ins_plimits_rate(const ins_plimits *l);
unsigned ins_plimits_burst(const ins_plimits *l);
unsigned ins_plimits_max_streams(const ins_plimits *l);

#endif /* INS_PLIMIT_H */
