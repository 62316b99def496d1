/*
 * idem.c - idempotency results: (principal, request id) -> digest of the
 * request and the result bytes, in meta/_idem, written in the transaction of
 * the change itself, so a retry after a lost reply never applies twice.
 * meta/_idem_exp indexes the entries by creation time for the expiry sweep.
 */
#include "store_impl.h"
#include "ins_key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int idem_key(const ins_mutation *m, ins_key *k)
{
    ins_key_init(k);
    ins_key_str(k, m->principal ? m->principal : "");
    ins_key_str(k, m->request_id);
    return ins_key_err(k);
}

int ins__idem_lookup(ins_wtxn *t, ins_mutation *m)
{
    ins_key k;
    ins_val v;
    int rc = idem_key(m, &k);
    if (rc)
        return rc;
    if ((rc = ins__get(t->txn, t->s->mdbi[MT_IDEM], k.buf, k.len, &v)) != 0)
        return rc;
    Inspect__Storage__IdemEntry *e = inspect__storage__idem_entry__unpack(NULL, v.len, v.data);
    if (!e)
        return INS_ECORRUPT;
    if (e->digest.len != 32 || memcmp(e->digest.data, m->digest, 32) != 0) {
        rc = INS_EREUSED;
    } else {
        m->replayed_ = 1;
        m->result_ = malloc(e->result.len ? e->result.len : 1);
        if (!m->result_) {
            rc = ENOMEM;
            m->replayed_ = 0;
        } else {
            if (e->result.len)
                memcpy(m->result_, e->result.data, e->result.len);
            m->result_len_ = e->result.len;
        }
    }
    inspect__storage__idem_entry__free_unpacked(e, NULL);
    return rc;
}

int ins__idem_store(ins_wtxn *t, ins_mutation *m)
{
    Inspect__Storage__IdemEntry e = INSPECT__STORAGE__IDEM_ENTRY__INIT;
    ins_key k, x;
    int rc = idem_key(m, &k);
    if (rc)
        return rc;
    e.format = INS_RECORD_FORMAT;
    e.digest.data = m->digest;
    e.digest.len = 32;
    e.result.data = t->result;
    e.result.len = t->result ? t->result_len : 0;
    e.created_ns = ins_store_now(t->s);
    size_t len = inspect__storage__idem_entry__get_packed_size(&e);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ENOMEM;
    inspect__storage__idem_entry__pack(&e, buf);
    rc = ins__put(t, t->s->mdbi[MT_IDEM], k.buf, k.len, buf, len, 0);
    free(buf);
    if (rc)
        return rc;
    ins_key_init(&x);
    ins_key_u64(&x, e.created_ns);
    ins_key_raw(&x, k.buf, k.len);
    if ((rc = ins_key_err(&x)) != 0)
        return rc;
    return ins__put(t, t->s->mdbi[MT_IDEM_EXP], x.buf, x.len, "", 0, 0);
}

#define SWEEP_BATCH 4096

typedef struct sweep_arg {
    uint64_t cutoff;
    size_t deleted;
} sweep_arg;

/* Deletes up to SWEEP_BATCH entries created before the cutoff. */
static int sweep_apply(ins_wtxn *t, void *arg)
{
    sweep_arg *a = arg;
    MDB_cursor *c;
    MDB_val key, val;
    int rc = mdb_cursor_open(t->txn, t->s->mdbi[MT_IDEM_EXP], &c);
    if (rc)
        return rc;
    a->deleted = 0;
    while (a->deleted < SWEEP_BATCH && (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST)) == 0) {
        if (key.mv_size < 8 || ins_be64_get(key.mv_data) >= a->cutoff)
            break;
        rc = ins__del(t, t->s->mdbi[MT_IDEM], (const uint8_t *)key.mv_data + 8, key.mv_size - 8);
        if (rc && rc != INS_ENOTFOUND)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
        t->dirty = 1;
        a->deleted++;
    }
    mdb_cursor_close(c);
    if (rc == MDB_MAP_FULL)
        t->map_full = 1;
    return rc == MDB_NOTFOUND || rc == INS_ENOTFOUND ? 0 : rc;
}

int ins__idem_sweep(ins_store *s)
{
    uint64_t keep = (uint64_t)s->opt.idempotency_days * 86400ULL * 1000000000ULL;
    uint64_t now = ins_store_now(s);
    sweep_arg a = {.cutoff = now > keep ? now - keep : 0};
    int rc;
    do {
        rc = ins__writer_exec(&s->mw, sweep_apply, &a);
    } while (rc == 0 && a.deleted == SWEEP_BATCH);
    return rc;
}
