/*
 * rec_audit.h - the audit trail's two indexes in the store: by entity
 * ("kind/id") and by actor, each row in order of sequence, so one case's
 * trail or one person's is read without walking the chain. recio.c writes
 * both rows with every audit entry; Audit.ListEvents and the dossier export
 * read them. The chain itself is storage's (ins_audit.h); the functions
 * here are named ins_audit_index_* to keep them apart from it.
 */
#ifndef INS_REC_AUDIT_H
#define INS_REC_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "ins_store.h"

/* Which index. */
typedef enum ins_audit_index {
    INS_AUDIT_BY_ENTITY, /* entity ("kind/id"), seq */
    INS_AUDIT_BY_ACTOR,  /* actor (principal), seq */
} ins_audit_index;

/* Writes the index rows of audit entry `seq` of `entity` by `actor` (NULL:
 * ""). Returns 0 or a storage error (the mutation then fails). */
int ins_audit_index_put(ins_wtxn *t, const char *entity, const char *actor, uint64_t seq);

/*
 * Appends to `*seqs` (growable with realloc, `*n` used of `*cap`; the
 * caller frees it, also on error) the sequences of index `by` under `name`
 * after `after`, in order, at most `max` of them (0: all). Returns 0,
 * INS_EINVAL (a name too long for a key), INS_ECORRUPT (a row that does not
 * decode), ENOMEM or an LMDB error.
 */
int ins_audit_index_scan(ins_rtxn *r, ins_audit_index by, const char *name, uint64_t after,
                         size_t max, uint64_t **seqs, size_t *n, size_t *cap);

#endif /* INS_REC_AUDIT_H */
