/*
 * ready.h - readiness: the checks /readyz runs, registered by whatever the
 * server depends on (the store, draining; an object-store tier, a backup
 * scheduler).
 *
 * A check answers "ready" or "not ready, because ..." in one sentence. The
 * server is ready when every check is. Checks run on the HTTP listener's
 * thread at each probe, under the registry's lock: quick (no network round
 * trip longer than a probe's timeout; cache what is slow), thread-safe, and
 * never calling back into this registry.
 */
#ifndef INS_READY_H
#define INS_READY_H

#include <stddef.h>

/*
 * A readiness check: returns 0 when ready; otherwise non-zero with a
 * sentence a person can act on in `why` (`whylen` bytes, NUL-terminated).
 */
typedef int (*ins_ready_fn)(void *arg, char *why, size_t whylen);

/*
 * Registers check `name` (short, e.g. "store", "objectstore", "backup";
 * copied). Returns 0; INS_EINVAL for an empty name or NULL fn; INS_EEXIST
 * when a check of that name exists; ENOMEM.
 */
int ins_ready_register(const char *name, ins_ready_fn fn, void *arg);

/* Removes every check registered with `arg`; a probe in progress ends
 * first, so `arg` may be freed afterwards. */
void ins_ready_unregister(void *arg);

/*
 * Runs every check and writes one line per check into `out` (`outlen`
 * bytes, always NUL-terminated; cut if too small): "ok NAME" or
 * "fail NAME: WHY". Returns 1 when every check passed (ready), else 0.
 */
int ins_ready_report(char *out, size_t outlen);

#endif /* INS_READY_H */
