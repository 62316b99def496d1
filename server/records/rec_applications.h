/*
 * rec_applications.h - applications in the store: the record and its
 * indexes (by stage, town and service item), read, listed and written with
 * their audit and feed entries. Used by Licensing, Dispatch (which moves
 * stages) and the reconciliation step (which writes outcomes back).
 *
 * Errors, ownership and the get/wget forms as in rec_directory.h.
 */
#ifndef INS_REC_APPLICATIONS_H
#define INS_REC_APPLICATIONS_H

#include "inspect/v1/licensing.pb-c.h"
#include "ins_store.h"
#include "recio.h"

/* Reads application `id` (caller frees *out). Returns 0, INS_ENOTFOUND,
 * INS_ECORRUPT, ENOMEM or an LMDB error. */
int ins_app_get(ins_rtxn *r, const char *id, Inspect__V1__Application **out);
int ins_app_wget(ins_wtxn *t, const char *id, Inspect__V1__Application **out);

/* The stored record bytes of application `id`, borrowed from the snapshot:
 * valid until ins_rtxn_end(r). Returns 0, INS_ENOTFOUND or an LMDB error. */
int ins_app_raw(ins_rtxn *r, const char *id, ins_val *out);

/*
 * Calls `fn` with application ids in order from `from` (included; NULL:
 * the first), through the index that fits the filter: by service item when
 * `service_item` is non-empty, else by stage when `stage` is non-zero, else
 * by town when `town` is non-empty, else every application. The ids passed
 * match that one filter only: the caller checks the others on the record.
 * Returns what `fn` stopped with, 0 at the end, INS_EINVAL (a filter too
 * long for a key), INS_ECORRUPT (a key that does not decode) or an LMDB
 * error.
 */
int ins_app_scan(ins_rtxn *r, const char *service_item, int stage, const char *town,
                 const char *from, ins_id_fn fn, void *arg);

/*
 * Writes `a` (its version already set by the caller), replacing `old` (NULL
 * when new): the record, the three indexes, the audit entry and a feed entry
 * visible to the departments its service item requires. Returns 0 or a
 * storage error.
 */
int ins_app_write(ins_wtxn *t, const Inspect__V1__Application *a,
                  const Inspect__V1__Application *old, const char *actor, const char *change);

#endif /* INS_REC_APPLICATIONS_H */
