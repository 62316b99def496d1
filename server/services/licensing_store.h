/*
 * licensing_store.h - applications in the store: their keys, their indexes
 * (by stage, town and service item) and writing one with its audit and feed
 * entries. Shared by Licensing and, later, Dispatch (which moves stages).
 */
#ifndef INS_LICENSING_STORE_H
#define INS_LICENSING_STORE_H

#include "ctx.h"
#include "inspect/v1/licensing.pb-c.h"
#include "recio.h"

/* Key of application `id` in T_APPLICATIONS. */
void ins_app_key(ins_key *k, const char *id);

/* Reads application `id` inside a write transaction (caller frees *out).
 * Returns 0, INS_ENOTFOUND, INS_ECORRUPT or a storage error. */
int ins_app_wget(ins_wtxn *t, const char *id, Inspect__V1__Application **out);

/*
 * Writes `a` (its version already set by the caller), replacing `old` (NULL
 * when new): the record, the three indexes, the audit entry and a feed entry
 * visible to the departments its service item requires. Returns 0 or a
 * storage error.
 */
int ins_app_write(ins_wtxn *t, const Inspect__V1__Application *a,
                  const Inspect__V1__Application *old, const char *actor, const char *change);

#endif /* INS_LICENSING_STORE_H */
