/*
 * blob_sweep.c - collecting what the upload TTL has run out on: stagings
 * untouched for the TTL (on each stripe's writer) and content no record has
 * referenced for the TTL (on the meta writer, so that no reference can be
 * added between the decision and the deletion). Each transaction collects at
 * most SWEEP_MAX; ins__blob_sweep repeats until a stripe has no more.
 */
#include "blob_impl.h"
#include "tier_impl.h"

#include <string.h>

#define SWEEP_MAX 256 /* stagings or blobs collected per transaction */

/* ---- stagings ---- */

/* Drops stagings untouched since before the cutoff. */
int ins__blob_op_sweep(ins_wtxn *t, blob_op *op)
{
    ins_store *s = t->s;
    uint64_t ttl = s->opt.upload_ttl_s * 1000000000ULL, now = ins_store_now(s);
    uint64_t cutoff = now > ttl ? now - ttl : 0;
    ins_bstripe *b = ins__blob_stripe_of(t);
    MDB_cursor *c;
    MDB_val key, val;
    size_t n = 0;
    int rc = mdb_cursor_open(t->txn, b->dbi[BT_STAGE], &c);
    if (rc)
        return rc;
    op->committed = 0;
    for (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST); rc == 0 && n < SWEEP_MAX;
         rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
        Inspect__Storage__Staging *st =
            inspect__storage__staging__unpack(NULL, val.mv_size, val.mv_data);
        if (st && st->updated_ns < cutoff) {
            ins_key_reader r;
            const void *id;
            size_t idl;
            ins_keyr_init(&r, key.mv_data, key.mv_size);
            if (ins_keyr_bytes(&r, &id, &idl) == 0 && idl <= INS_UPLOAD_ID_MAX) {
                char buf[INS_UPLOAD_ID_MAX + 1];
                memcpy(buf, id, idl);
                buf[idl] = '\0';
                ins__blob_hs_drop(b, buf);
            }
            rc = st->filed ? 0 : ins__blob_drop_chunks(t, st->object);
            if (rc == 0 && (rc = mdb_cursor_del(c, 0)) == 0)
                n++;
        }
        if (st)
            inspect__storage__staging__free_unpacked(st, NULL);
        if (rc)
            break;
    }
    mdb_cursor_close(c);
    if (rc == MDB_MAP_FULL)
        t->map_full = 1;
    op->committed = n;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- local copies of remote content (the photo tier) ---- */

/* Drops content op->sha from this stripe, if it is here. */
int ins__blob_op_evict(ins_wtxn *t, blob_op *op)
{
    ins_bstripe *b = ins__blob_stripe_of(t);
    ins_val v;
    int rc = ins__get(t->txn, b->dbi[BT_CONTENT], op->sha, 32, &v);
    if (rc)
        return rc == INS_ENOTFOUND ? 0 : rc;
    Inspect__Storage__Content *ct = inspect__storage__content__unpack(NULL, v.len, v.data);
    if (!ct)
        return INS_ECORRUPT;
    rc = ins__blob_drop_chunks(t, ct->object);
    inspect__storage__content__free_unpacked(ct, NULL);
    return rc ? rc : ins__del(t, b->dbi[BT_CONTENT], op->sha, 32);
}

/* Does stripe b hold content sha? 0, INS_ENOTFOUND or an LMDB error. */
static int holds(ins_bstripe *b, const uint8_t sha[32])
{
    MDB_txn *txn;
    ins_val v;
    int rc = ins__env_rd_begin(&b->env, &txn);
    if (rc)
        return rc;
    rc = ins__get(txn, b->dbi[BT_CONTENT], sha, 32, &v);
    ins__env_rd_end(&b->env, txn);
    return rc;
}

int ins__blob_evict(ins_store *s, const uint8_t sha[32])
{
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        blob_op op = {.kind = OP_EVICT};
        memcpy(op.sha, sha, 32);
        if ((rc = holds(&s->bs[i], sha)) == 0) /* one commit where it is, none elsewhere */
            rc = ins__blob_run_sync(s, &s->bs[i], &op);
        else if (rc == INS_ENOTFOUND)
            rc = 0;
    }
    return rc;
}

/* ---- content nothing references ---- */

typedef struct gc_arg {
    ins_bstripe *stripe;
    uint64_t cutoff;
    size_t collected;
} gc_arg;

/* Is content `sha`, created at `created`, collectable in meta's view? */
static int collectable(ins_wtxn *t, const uint8_t *sha, uint64_t created, uint64_t cutoff)
{
    uint64_t count, zero_since;
    if (created >= cutoff)
        return 0;
    int rc = ins__blob_get_ref(t->txn, t->s, sha, &count, &zero_since);
    return rc == INS_ENOTFOUND || (rc == 0 && count == 0 && zero_since < cutoff);
}

/*
 * Runs on the meta writer, so no reference can be added between the decision
 * and the deletion: the blobs transaction commits before the next mutation's
 * ins_wtxn_blob_ref looks the content up.
 */
static int gc_apply(ins_wtxn *t, void *arg)
{
    gc_arg *a = arg;
    ins_store *s = t->s;
    ins_env *e = &a->stripe->env;
    ins_wtxn b = {.s = s, .env = e};
    MDB_cursor *c;
    MDB_val key, val;
    int rc;
    pthread_rwlock_rdlock(&e->resize);
    if ((rc = mdb_txn_begin(e->env, NULL, 0, &b.txn)) != 0)
        goto unlock;
    a->collected = 0;
    if ((rc = mdb_cursor_open(b.txn, a->stripe->dbi[BT_CONTENT], &c)) != 0)
        goto abort;
    for (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST); rc == 0 && a->collected < SWEEP_MAX;
         rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
        Inspect__Storage__Content *ct =
            inspect__storage__content__unpack(NULL, val.mv_size, val.mv_data);
        if (ct && key.mv_size == 32 && collectable(t, key.mv_data, ct->created_ns, a->cutoff)) {
            rc = ins__del(t, s->mdbi[MT_BLOBREF], key.mv_data, 32);
            if (rc == 0 || rc == INS_ENOTFOUND)
                rc = ins__blob_drop_chunks(&b, ct->object);
            if (rc == 0 && (rc = mdb_cursor_del(c, 0)) == 0)
                a->collected++;
        }
        if (ct)
            inspect__storage__content__free_unpacked(ct, NULL);
        if (rc)
            break;
    }
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND)
        rc = 0;
abort:
    if (rc == 0)
        rc = mdb_txn_commit(b.txn);
    else
        mdb_txn_abort(b.txn);
unlock:
    pthread_rwlock_unlock(&e->resize);
    return rc == MDB_MAP_FULL ? 0 : rc; /* no room to delete: next sweep */
}

int ins__blob_sweep(ins_store *s)
{
    uint64_t ttl = s->opt.upload_ttl_s * 1000000000ULL, now = ins_store_now(s);
    gc_arg a = {.cutoff = now > ttl ? now - ttl : 0};
    blob_op op;
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++)
        do {
            op = (blob_op){.kind = OP_SWEEP};
            rc = ins__blob_run_sync(s, &s->bs[i], &op);
        } while (rc == 0 && op.committed == SWEEP_MAX);
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        a.stripe = &s->bs[i];
        do {
            rc = ins__writer_exec(&s->mw, gc_apply, &a);
        } while (rc == 0 && a.collected == SWEEP_MAX);
    }
    return rc;
}
