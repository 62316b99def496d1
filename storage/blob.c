/*
 * blob.c - the photo blob store, in each blob stripe (`blobs`, `blobs-1`, ...):
 * its records, its stripes and how an operation runs on a stripe's writer.
 *
 * Tables: _stage (lp(upload id) -> Staging), _chunk ((object, offset) ->
 * bytes), _content (sha256 -> Content), _meta ("obj_next"). An upload gets a
 * fresh object number when staged; its chunks are written under that number,
 * and finishing files the same object under its hash (or drops it when the
 * hash is already stored), so no byte is copied twice. Every operation is a
 * mutation on its stripe's writer, so concurrent uploads share durable commits.
 * Operations validate before they write (no nested transactions under
 * MDB_WRITEMAP).
 *
 * A stripe's blob writer is the one thread its bytes go through, so it does as
 * little per byte as it can: SHA-256 runs on the submitting threads
 * (blob_hash.c) and chunk bytes are pwritten where LMDB reserved them
 * (blob_chunk.c). The operations themselves are in blob_stage.c,
 * blob_finish.c, blob_read.c and blob_sweep.c; blob_impl.h is what they share.
 */
#include "blob_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- records ---- */

/* The stripe whose environment t writes. */
ins_bstripe *ins__blob_stripe_of(ins_wtxn *t)
{
    return (ins_bstripe *)(void *)((char *)t->env - offsetof(ins_bstripe, env));
}

int ins_blob_chunk_fits(uint64_t total_size, uint64_t offset, uint64_t len)
{
    return offset <= total_size && len <= total_size - offset ? 0 : INS_ETOOBIG;
}

int ins__blob_stage_key(const char *id, ins_key *k)
{
    int rc = ins_upload_id_check(id, 0);
    if (rc)
        return rc;
    ins_key_init(k);
    ins_key_str(k, id);
    return ins_key_err(k);
}

void ins__blob_chunk_key(uint8_t k[16], uint64_t obj, uint64_t off)
{
    ins_be64_put(k, obj);
    ins_be64_put(k + 8, off);
}

int ins__blob_get_stage(MDB_txn *txn, ins_bstripe *b, const ins_key *k,
                        Inspect__Storage__Staging **out)
{
    ins_val v;
    int rc = ins__get(txn, b->dbi[BT_STAGE], k->buf, k->len, &v);
    if (rc)
        return rc;
    *out = inspect__storage__staging__unpack(NULL, v.len, v.data);
    if (!*out || (*out)->sha256.len != 32)
        return INS_ECORRUPT;
    return 0;
}

int ins__blob_put_msg(ins_wtxn *t, MDB_dbi dbi, const void *k, size_t kl,
                      const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ENOMEM;
    protobuf_c_message_pack(msg, buf);
    int rc = ins__put(t, dbi, k, kl, buf, len, 0);
    free(buf);
    return rc;
}

int ins__blob_put_stage(ins_wtxn *t, const ins_key *k, Inspect__Storage__Staging *st)
{
    st->updated_ns = ins_store_now(t->s);
    return ins__blob_put_msg(t, ins__blob_stripe_of(t)->dbi[BT_STAGE], k->buf, k->len, &st->base);
}

/* Deletes every chunk of `obj`. */
int ins__blob_drop_chunks(ins_wtxn *t, uint64_t obj)
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[16];
    int rc = mdb_cursor_open(t->txn, ins__blob_stripe_of(t)->dbi[BT_CHUNK], &c);
    if (rc)
        return rc;
    ins__blob_chunk_key(k, obj, 0);
    key.mv_data = k;
    key.mv_size = 16;
    for (;;) { /* re-seek after each delete: the cursor may be left unpositioned */
        key.mv_data = k;
        key.mv_size = 16;
        if ((rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE)) != 0)
            break;
        if (key.mv_size != 16 || ins_be64_get(key.mv_data) != obj)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
        t->dirty = 1;
    }
    mdb_cursor_close(c);
    if (rc == MDB_MAP_FULL)
        t->map_full = 1;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int ins__blob_drop_stage(ins_wtxn *t, const ins_key *k, const Inspect__Storage__Staging *st)
{
    int rc = st->filed ? 0 : ins__blob_drop_chunks(t, st->object);
    if (rc == 0)
        rc = ins__del(t, ins__blob_stripe_of(t)->dbi[BT_STAGE], k->buf, k->len);
    return rc;
}

/* ---- opening a stripe ---- */

int ins__blob_load(ins_store *s, ins_bstripe *b, MDB_txn *txn)
{
    ins_val v;
    MDB_stat st;
    int rc;
    (void)s;
    if (!b->hs) {
        struct ins_blob_hs *tab = calloc(1, sizeof(*tab));
        if (!tab)
            return ENOMEM;
        pthread_mutex_init(&tab->mu, NULL);
        b->hs = tab;
        tab->direct = mdb_env_get_fd(b->env.env, &tab->fd) == 0 &&
                      mdb_env_stat(b->env.env, &st) == 0 && st.ms_psize >= 512;
        tab->psize = tab->direct ? st.ms_psize : 4096;
    }
    rc = ins__get(txn, b->dbi[BT_META], "obj_next", 8, &v);
    b->obj_next = 1;
    if (rc == INS_ENOTFOUND)
        return 0;
    if (rc == 0 && v.len == 8)
        b->obj_next = ins_be64_get(v.data);
    return rc ? rc : v.len == 8 ? 0 : INS_ECORRUPT;
}

/* ---- running an operation ---- */

int ins__blob_apply(ins_wtxn *t, void *arg)
{
    blob_op *op = arg;
    ins_key k;
    int rc = 0;
    op->status = 0;
    if (op->kind != OP_SWEEP && op->kind != OP_EVICT && (rc = ins__blob_stage_key(op->id, &k)) != 0)
        return rc;
    switch (op->kind) {
    case OP_BEGIN:
        return ins__blob_op_begin(t, op, &k);
    case OP_APPEND:
        return ins__blob_op_append(t, op, &k);
    case OP_FINISH:
        return ins__blob_op_finish(t, op, &k);
    case OP_ABORT:
        return ins__blob_op_abort(t, op, &k);
    case OP_RELEASE:
        return ins__blob_op_release(t, op, &k);
    case OP_EVICT:
        return ins__blob_op_evict(t, op);
    default:
        return ins__blob_op_sweep(t, op);
    }
}

static void sync_done(void *arg, int err, const ins_result *r)
{
    blob_op *op = arg;
    (void)r;
    ins__blob_hs_note_failed(op, err);
    pthread_mutex_lock(&op->mu);
    op->err = err ? err : op->status;
    op->finished = 1;
    pthread_cond_signal(&op->cv);
    pthread_mutex_unlock(&op->mu);
}

void ins__blob_sync_init(ins_store *s, blob_op *op)
{
    op->s = s;
    op->m.apply = ins__blob_apply;
    op->m.done = sync_done;
    op->m.arg = op;
    pthread_mutex_init(&op->mu, NULL);
    pthread_cond_init(&op->cv, NULL);
}

int ins__blob_sync_wait(blob_op *op, int rc)
{
    if (rc == 0) {
        pthread_mutex_lock(&op->mu);
        while (!op->finished)
            pthread_cond_wait(&op->cv, &op->mu);
        pthread_mutex_unlock(&op->mu);
        rc = op->err;
    }
    pthread_mutex_destroy(&op->mu);
    pthread_cond_destroy(&op->cv);
    return rc;
}

/* Runs op on stripe b, or on the stripe of op->id's staging (b NULL). */
int ins__blob_run_sync(ins_store *s, ins_bstripe *b, blob_op *op)
{
    int rc = b ? 0 : ins__blob_locate(s, op->id, &b);
    if (rc)
        return rc;
    op->stripe = b;
    ins__blob_sync_init(s, op);
    return ins__blob_sync_wait(op, ins__writer_submit(&b->w, &op->m, 1));
}

/* ---- stripes ---- */

/* The stripe new stagings of `id` go to: FNV-1a, mixed (murmur3 fmix32). */
ins_bstripe *ins__blob_home_of(ins_store *s, const char *id)
{
    uint32_t h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return &s->bs[h % INS_BLOB_STRIPES];
}

/* Does stripe b hold a staging under key k? 0, INS_ENOTFOUND or an error. */
static int stage_in(ins_bstripe *b, const ins_key *k)
{
    MDB_txn *txn;
    ins_val v;
    int rc = ins__env_rd_begin(&b->env, &txn);
    if (rc)
        return rc;
    rc = ins__get(txn, b->dbi[BT_STAGE], k->buf, k->len, &v);
    ins__env_rd_end(&b->env, txn);
    return rc;
}

/*
 * The stripe that holds the staging of `id`: its home stripe, or another one
 * where an older layout put it, or (none yet) its home stripe. A staging is
 * only ever created in its home stripe (ins__blob_op_begin elsewhere is existing_only),
 * so it is never in two stripes: one found outside home predates this layout
 * and once gone does not come back there.
 */
int ins__blob_locate(ins_store *s, const char *id, ins_bstripe **out)
{
    ins_bstripe *home = ins__blob_home_of(s, id);
    ins_key k;
    int rc = ins__blob_stage_key(id, &k);
    *out = home;
    if (rc || INS_BLOB_STRIPES == 1 || (rc = stage_in(home, &k)) != INS_ENOTFOUND)
        return rc == INS_ENOTFOUND ? 0 : rc;
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++) {
        if (&s->bs[i] == home)
            continue;
        if ((rc = stage_in(&s->bs[i], &k)) == 0) {
            *out = &s->bs[i];
            return 0;
        }
        if (rc != INS_ENOTFOUND)
            return rc;
    }
    return 0;
}
