/*
 * ins_chain.h - the hash of one audit-chain entry, the one definition.
 *
 * Every mutation appends an audit entry (storage/ins_audit.h); each entry's
 * hash covers its predecessor's hash and its own canonical bytes:
 *   hash = SHA-256(prev_hash || be64 seq || be64 time_ns ||
 *                  be16 len || actor || be16 len || action ||
 *                  be16 len || entity || record_sha256)
 * The first entry's prev_hash is 32 zero bytes; record_sha256 is all zero
 * when the entry records no record (a deletion). The storage engine computes
 * it on append and on verify, the Audit service for its answers, and
 * `inspectctl dossier verify` offline from audit.json: all three call this
 * function, so they cannot drift apart.
 *
 * No global state: thread-safe.
 */
#ifndef INS_CHAIN_H
#define INS_CHAIN_H

#include <stddef.h>
#include <stdint.h>

/* The rule above in words, as the dossier's audit.json states it. */
#define INS_CHAIN_HASH_RULE                                                                        \
    "SHA-256(prev_hash || be64 seq || be64 time_ns || be16 len || actor || be16 len || action "    \
    "|| be16 len || entity || record_sha256)"

/* One entry's fields as they are hashed. The pointers are only read. */
typedef struct ins_chain_entry {
    uint64_t seq;
    uint64_t time_ns;
    const char *actor;  /* NUL-terminated */
    const char *action; /* NUL-terminated */
    const void *entity; /* entity key bytes, `entity_len` of them (no NUL needed) */
    size_t entity_len;
    const uint8_t *record_sha256; /* 32 bytes */
    const uint8_t *prev_hash;     /* 32 bytes */
} ins_chain_entry;

/*
 * Computes the hash of `e` into `out` (32 bytes).
 * Returns 0; INS_EINVAL when actor, action or entity is longer than 65535
 * bytes (its length does not fit the 16-bit prefix) or a pointer is NULL;
 * ENOMEM when OpenSSL cannot allocate a digest context. On error `out` is
 * all zero.
 */
int ins_chain_hash(const ins_chain_entry *e, uint8_t out[32]);

#endif /* INS_CHAIN_H */
