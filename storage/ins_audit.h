/*
 * ins_audit.h - the audit chain.
 *
 * Each mutation appends, in its own transaction, an entry with sequence,
 * time, actor, action, entity key, SHA-256 of the new record bytes, the
 * previous entry's hash and its own hash:
 *   hash = SHA-256(prev_hash || canonical entry)
 * where the canonical entry is seq and time as u64 big-endian, actor, action
 * and entity key as 16-bit-length-prefixed bytes, then the 32-byte record
 * hash. The first entry's prev_hash is 32 zero bytes. Rewriting any entry
 * breaks every later link, which ins_audit_verify detects.
 */
#ifndef INS_AUDIT_H
#define INS_AUDIT_H

#include "ins_store.h"

typedef struct ins_audit_entry {
    uint64_t seq;
    uint64_t time_ns;
    const char *actor;
    const char *action;
    const void *entity_key;
    size_t entity_key_len;
    uint8_t record_sha256[32]; /* all zero when no record (a deletion) */
    uint8_t prev_hash[32];
    uint8_t hash[32];
} ins_audit_entry;

/*
 * Appends an audit entry inside apply. `record` (may be NULL, rlen 0) is the
 * new record's stored bytes. *seq (optional) receives the entry's sequence.
 * Errors: INS_EINVAL (NULL actor or action), ENOMEM, MDB_MAP_FULL, LMDB
 * errors.
 */
int ins_wtxn_audit(ins_wtxn *t, const char *actor, const char *action, const void *entity_key,
                   size_t klen, const void *record, size_t rlen, uint64_t *seq);

/*
 * Recomputes the chain from `from` to `to` (inclusive; to = 0 means the
 * last entry) in one snapshot: every entry decodes, carries its own sequence,
 * links to its predecessor's hash and hashes to its stored hash.
 * Returns 0 when intact, INS_ECORRUPT with *first_bad set to the first bad
 * sequence (an entry missing in the range counts as bad), or LMDB errors.
 * *first_bad is 0 unless INS_ECORRUPT is returned.
 */
int ins_audit_verify(ins_store *s, uint64_t from, uint64_t to, uint64_t *first_bad);

/*
 * Calls cb for entries from..to (to = 0: the last) in order until cb returns
 * non-zero (returned). Pointers in the entry are valid during the callback.
 * Errors: INS_ECORRUPT (an entry does not decode), LMDB errors.
 */
typedef int (*ins_audit_fn)(void *arg, const ins_audit_entry *e);
int ins_audit_scan(ins_rtxn *r, uint64_t from, uint64_t to, ins_audit_fn cb, void *arg);

/* Last committed audit sequence (0 when empty). Can't fail. */
uint64_t ins_audit_last(ins_store *s);

#endif /* INS_AUDIT_H */
