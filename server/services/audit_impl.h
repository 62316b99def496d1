/*
 * audit_impl.h - what audit.c (ListEvents, VerifyChain) and dossier.c
 * (ExportDossier) share: reading audit entries by sequence and recomputing an
 * entry's hash. The index rows by entity and by actor are
 * records/rec_audit.h.
 */
#ifndef INS_AUDIT_IMPL_H
#define INS_AUDIT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "ins_audit.h"
#include "ins_store.h"

/* An audit entry copied out of a snapshot: it owns its texts. */
typedef struct ins_aud_entry {
    uint64_t seq;
    uint64_t time_ns;
    char *actor;  /* malloc'd, NUL-terminated */
    char *action; /* malloc'd */
    char *entity; /* malloc'd: the entity key as text, "kind/id" */
    uint8_t record_sha256[32];
    uint8_t prev_hash[32];
    uint8_t hash[32];
} ins_aud_entry;

/* Copies `e` into `out`. Returns 0 or ENOMEM (then `out` holds nothing). */
int ins_aud_copy(const ins_audit_entry *e, ins_aud_entry *out);
/* Frees the texts of `e`. NULL is fine. */
void ins_aud_clear(ins_aud_entry *e);

/*
 * Reads entry `seq` of the snapshot into `out` (ins_aud_clear it).
 * Returns 0, INS_ENOTFOUND (no such entry), INS_ECORRUPT, ENOMEM, LMDB errors.
 */
int ins_aud_get(ins_rtxn *r, uint64_t seq, ins_aud_entry *out);

/* The chain hash of an entry from its fields, by ins_chain_hash()
 * (common/ins_chain.h has the rule). All zero when that fails (out of
 * memory, a text longer than 65535 bytes): no stored hash is. */
void ins_aud_hash(const ins_aud_entry *e, uint8_t out[32]);

/* The last entry of the snapshot (seq 0 when the chain is empty).
 * Returns 0 or the errors of ins_aud_get. */
int ins_aud_head(ins_store *s, ins_rtxn *r, ins_aud_entry *out);

/* ExportDossier's callbacks (dossier.c). */
extern const ins_method_ops ins_aud_export_ops;

#endif /* INS_AUDIT_IMPL_H */
