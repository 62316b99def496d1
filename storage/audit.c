/*
 * audit.c - the hash-chained audit trail in meta/_audit.
 *
 * Entries are appended in the mutation's transaction; the writer keeps the
 * chain head (next sequence, last hash) in memory and restores it when a
 * mutation or batch rolls back. verify() recomputes every hash from the
 * canonical bytes (the rule is common/ins_chain.h, shared with the Audit
 * service and `inspectctl dossier verify`), so any changed byte in a stored entry
 * breaks the entry's own hash or fails to decode.
 */
#include "store_impl.h"
#include "ins_audit.h"
#include "ins_chain.h"
#include "ins_sha256.h"
#include "ins_key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The entry hash (the rule is common/ins_chain.h). Returns 0, INS_EINVAL, ENOMEM. */
static int chain_hash(uint64_t seq, uint64_t time_ns, const char *actor, const char *action,
                      const void *key, size_t klen, const uint8_t rsha[32], const uint8_t prev[32],
                      uint8_t out[32])
{
    ins_chain_entry e = {seq, time_ns, actor, action, key, klen, rsha, prev};
    return ins_chain_hash(&e, out);
}

int ins__audit_load(ins_store *s, MDB_txn *txn)
{
    uint64_t last = 0;
    ins_val v;
    uint8_t k[8];
    int rc = ins__last_u64(txn, s->mdbi[MT_AUDIT], &last);
    if (rc)
        return rc;
    s->audit_next = last + 1;
    s->audit_committed = last;
    memset(s->audit_hash, 0, 32);
    if (last == 0)
        return 0;
    ins_be64_put(k, last);
    if ((rc = ins__get(txn, s->mdbi[MT_AUDIT], k, 8, &v)) != 0)
        return rc;
    Inspect__Storage__AuditEntry *e = inspect__storage__audit_entry__unpack(NULL, v.len, v.data);
    if (!e || e->hash.len != 32) {
        /* A broken head still lets the store open; verify names it. */
        if (e)
            inspect__storage__audit_entry__free_unpacked(e, NULL);
        return 0;
    }
    memcpy(s->audit_hash, e->hash.data, 32);
    inspect__storage__audit_entry__free_unpacked(e, NULL);
    return 0;
}

int ins_wtxn_audit(ins_wtxn *t, const char *actor, const char *action, const void *entity_key,
                   size_t klen, const void *record, size_t rlen, uint64_t *seq)
{
    ins_store *s = t->s;
    Inspect__Storage__AuditEntry e = INSPECT__STORAGE__AUDIT_ENTRY__INIT;
    uint8_t rsha[32] = {0}, hash[32], k[8];
    int rc;

    if (!actor || !action || t->env != &s->meta || (klen && !entity_key))
        return INS_EINVAL;
    if (record)
        ins_sha256(record, rlen, rsha);
    e.format = INS_RECORD_FORMAT;
    e.seq = s->audit_next;
    e.time_ns = ins_store_now(s);
    rc = chain_hash(e.seq, e.time_ns, actor, action, entity_key, klen, rsha, s->audit_hash, hash);
    if (rc)
        return rc;
    e.actor = (char *)actor;
    e.action = (char *)action;
    e.entity_key.data = (uint8_t *)entity_key;
    e.entity_key.len = klen;
    e.record_sha256.data = rsha;
    e.record_sha256.len = 32;
    e.prev_hash.data = s->audit_hash;
    e.prev_hash.len = 32;
    e.hash.data = hash;
    e.hash.len = 32;
    size_t len = inspect__storage__audit_entry__get_packed_size(&e);
    uint8_t *buf = malloc(len);
    if (!buf)
        return ENOMEM;
    inspect__storage__audit_entry__pack(&e, buf);
    ins_be64_put(k, e.seq);
    rc = ins__put(t, s->mdbi[MT_AUDIT], k, 8, buf, len, MDB_APPEND);
    free(buf);
    if (rc)
        return rc;
    memcpy(s->audit_hash, hash, 32);
    s->audit_next++;
    if (seq)
        *seq = e.seq;
    return 0;
}

uint64_t ins_audit_last(ins_store *s)
{
    pthread_mutex_lock(&s->feed_mu);
    uint64_t v = s->audit_committed;
    pthread_mutex_unlock(&s->feed_mu);
    return v;
}

/* Decodes one stored entry into `out` (pointers into *keep, freed by caller). */
static int decode(const MDB_val *val, Inspect__Storage__AuditEntry **keep, ins_audit_entry *out)
{
    Inspect__Storage__AuditEntry *e =
        inspect__storage__audit_entry__unpack(NULL, val->mv_size, val->mv_data);
    *keep = e;
    if (!e || e->record_sha256.len != 32 || e->prev_hash.len != 32 || e->hash.len != 32 ||
        e->format != INS_RECORD_FORMAT)
        return INS_ECORRUPT;
    out->seq = e->seq;
    out->time_ns = e->time_ns;
    out->actor = e->actor;
    out->action = e->action;
    out->entity_key = e->entity_key.data;
    out->entity_key_len = e->entity_key.len;
    memcpy(out->record_sha256, e->record_sha256.data, 32);
    memcpy(out->prev_hash, e->prev_hash.data, 32);
    memcpy(out->hash, e->hash.data, 32);
    return 0;
}

typedef int (*entry_fn)(void *arg, uint64_t key_seq, int decoded, const ins_audit_entry *e);

/* Walks from..to (to 0: last) handing every entry, decoded or not, to fn. */
static int walk(MDB_txn *txn, MDB_dbi dbi, uint64_t from, uint64_t to, entry_fn fn, void *arg)
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[8];
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    ins_be64_put(k, from);
    key.mv_data = k;
    key.mv_size = 8;
    for (rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
        uint64_t seq = key.mv_size == 8 ? ins_be64_get(key.mv_data) : 0;
        if (to && seq > to)
            break;
        Inspect__Storage__AuditEntry *keep = NULL;
        ins_audit_entry e;
        int bad = decode(&val, &keep, &e);
        rc = fn(arg, seq, bad == 0, &e);
        if (keep)
            inspect__storage__audit_entry__free_unpacked(keep, NULL);
        if (rc)
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

typedef struct verify_state {
    uint64_t expect;
    uint8_t prev[32];
    uint64_t first_bad;
} verify_state;

static int verify_one(void *arg, uint64_t seq, int decoded, const ins_audit_entry *e)
{
    verify_state *v = arg;
    uint8_t h[32];
    if (seq != v->expect || !decoded || e->seq != seq || memcmp(e->prev_hash, v->prev, 32) != 0 ||
        chain_hash(e->seq, e->time_ns, e->actor, e->action, e->entity_key, e->entity_key_len,
                   e->record_sha256, e->prev_hash, h) != 0 ||
        memcmp(h, e->hash, 32) != 0) {
        v->first_bad = seq != v->expect ? v->expect : seq;
        return INS_ECORRUPT;
    }
    memcpy(v->prev, e->hash, 32);
    v->expect++;
    return 0;
}

static int prev_hash_of(MDB_txn *txn, MDB_dbi dbi, uint64_t seq, uint8_t out[32])
{
    uint8_t k[8];
    ins_val v;
    memset(out, 0, 32);
    if (seq == 0)
        return 0;
    ins_be64_put(k, seq);
    int rc = ins__get(txn, dbi, k, 8, &v);
    if (rc)
        return rc == INS_ENOTFOUND ? INS_ECORRUPT : rc;
    MDB_val val = {v.len, (void *)v.data};
    Inspect__Storage__AuditEntry *keep = NULL;
    ins_audit_entry e;
    rc = decode(&val, &keep, &e);
    if (rc == 0)
        memcpy(out, e.hash, 32);
    if (keep)
        inspect__storage__audit_entry__free_unpacked(keep, NULL);
    return rc;
}

int ins__audit_verify_txn(MDB_txn *txn, MDB_dbi dbi, uint64_t from, uint64_t to,
                          uint64_t *first_bad, uint64_t *last_out)
{
    verify_state v = {.expect = from ? from : 1};
    uint64_t last;
    int rc;

    *first_bad = 0;
    if ((rc = ins__last_u64(txn, dbi, &last)) != 0)
        return rc;
    if (last_out != NULL)
        *last_out = last;
    if (!to || to > last)
        to = last;
    rc = prev_hash_of(txn, dbi, v.expect - 1, v.prev);
    if (rc == INS_ECORRUPT)
        v.first_bad = v.expect;
    if (rc == 0)
        rc = walk(txn, dbi, v.expect, to, verify_one, &v);
    if (rc == 0 && v.expect <= to) { /* entries missing at the end */
        v.first_bad = v.expect;
        rc = INS_ECORRUPT;
    }
    if (rc == INS_ECORRUPT)
        *first_bad = v.first_bad;
    return rc;
}

int ins_audit_verify(ins_store *s, uint64_t from, uint64_t to, uint64_t *first_bad)
{
    ins_rtxn *r;
    int rc;

    *first_bad = 0;
    if ((rc = ins_store_read_begin(s, &r)) != 0)
        return rc;
    rc = ins__audit_verify_txn(r->txn, s->mdbi[MT_AUDIT], from, to, first_bad, NULL);
    ins_rtxn_end(r);
    return rc;
}

typedef struct scan_state {
    ins_audit_fn cb;
    void *arg;
} scan_state;

static int scan_one(void *arg, uint64_t seq, int decoded, const ins_audit_entry *e)
{
    scan_state *st = arg;
    return decoded ? st->cb(st->arg, e) : INS_ECORRUPT;
}

int ins_audit_scan(ins_rtxn *r, uint64_t from, uint64_t to, ins_audit_fn cb, void *arg)
{
    scan_state st = {cb, arg};
    return walk(r->txn, r->s->mdbi[MT_AUDIT], from ? from : 1, to, scan_one, &st);
}
