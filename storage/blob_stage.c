/*
 * blob_stage.c - staging an upload, appending its chunks in order, aborting it.
 *
 * An upload is staged in its id's home stripe (an older layout may have put
 * it in another; ins__blob_locate finds it). Appends continue the upload's
 * running hash on the calling thread before they are queued (blob_hash.c),
 * so the blob writer only stores bytes and commits; the synchronous calls
 * wait for the durable commit, ins_blob_append_async reports it through its
 * callback on the writer thread.
 */
#include "blob_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- on the blob writer ---- */

int ins__blob_op_begin(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_bstripe *b = ins__blob_stripe_of(t);
    Inspect__Storage__Staging *old = NULL;
    int rc = ins__blob_get_stage(t->txn, b, k, &old);
    if (rc == 0) {
        if (old->total_size != op->size || memcmp(old->sha256.data, op->sha, 32) != 0) {
            rc = INS_EREUSED;
        } else {
            op->committed = old->offset;
            rc = ins__blob_put_stage(t, k, old); /* refreshes the TTL */
        }
        inspect__storage__staging__free_unpacked(old, NULL);
        return rc;
    }
    if (old)
        inspect__storage__staging__free_unpacked(old, NULL);
    if (rc != INS_ENOTFOUND)
        return rc;
    if (op->existing_only) { /* not the id's home stripe: new stagings go there */
        op->status = INS_ENOTFOUND;
        return 0;
    }
    Inspect__Storage__Staging st = INSPECT__STORAGE__STAGING__INIT;
    uint8_t next[8];
    st.format = INS_RECORD_FORMAT;
    st.total_size = op->size;
    st.sha256.data = op->sha;
    st.sha256.len = 32;
    st.object = b->obj_next;
    ins_be64_put(next, b->obj_next + 1);
    if ((rc = ins__blob_put_stage(t, k, &st)) != 0 ||
        (rc = ins__put(t, b->dbi[BT_META], "obj_next", 8, next, 8, 0)) != 0)
        return rc;
    b->obj_next++;
    op->committed = 0;
    ins__blob_hs_start(b, op->id, st.object, st.total_size);
    return 0;
}

int ins__blob_op_append(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_bstripe *b = ins__blob_stripe_of(t);
    Inspect__Storage__Staging *st = NULL;
    int rc = ins__blob_get_stage(t->txn, b, k, &st);
    if (rc)
        goto out;
    op->committed = st->offset;
    if (op->offset != st->offset)
        rc = INS_EOFFSET;
    else
        rc = ins_blob_chunk_fits(st->total_size, st->offset, op->len);
    if (rc == 0) {
        rc = ins__blob_put_chunk(t, st->object, st->offset, op->data, op->len);
        st->offset += op->len;
        if (rc == 0 && (rc = ins__blob_put_stage(t, k, st)) == 0)
            op->committed = st->offset;
    }
    /* MDB_MAP_FULL has not landed the append yet: the writer grows the map
     * and redoes it, or fails it for good and its completion then drops the
     * run (ins__blob_hs_note_failed). Marking it failed here would make
     * finish re-hash an upload whose running hash is still right. */
    if (rc != MDB_MAP_FULL && !t->map_full)
        ins__blob_hs_note_append(b, op, st->object, rc == 0);
out:
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

int ins__blob_op_abort(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    Inspect__Storage__Staging *st = NULL;
    int rc = ins__blob_get_stage(t->txn, ins__blob_stripe_of(t), k, &st);
    if (rc == 0 && (rc = ins__blob_drop_stage(t, k, st)) == 0)
        ins__blob_hs_drop(ins__blob_stripe_of(t), op->id);
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

/* Drops a filed staging (its chunks are the content's now); one still
 * receiving bytes is left alone (INS_ESTATE). */
int ins__blob_op_release(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    Inspect__Storage__Staging *st = NULL;
    int rc = ins__blob_get_stage(t->txn, ins__blob_stripe_of(t), k, &st);
    (void)op;
    if (rc == 0)
        rc = st->filed ? ins__blob_drop_stage(t, k, st) : INS_ESTATE;
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

/* ---- submitting ---- */

/*
 * Queues an append, hashing it first on this thread when it continues its
 * upload's running hash (under the run's lock, so the run's order is the
 * queue's order). Never waits for queue space holding that lock: with a full
 * queue a blocking caller queues the append unhashed, and finish re-hashes.
 */
static int submit_append(ins_store *s, blob_op *op, int block)
{
    ins_bstripe *b = ins__blob_home_of(s, op->id);
    hs_entry *h = ins__blob_hs_lock(b, op->id); /* a running hash: staged in its home stripe */
    int rc;
    op->s = s;
    op->hs_gen = 0;
    if (!h) {
        if ((rc = ins__blob_locate(s, op->id, &b)) != 0)
            return rc;
        if (b != ins__blob_home_of(s, op->id))
            h = ins__blob_hs_lock(b, op->id);
    }
    op->stripe = b;
    if (!h)
        return ins__writer_submit(&b->w, &op->m, block);
    ins__blob_hs_update(h, op);
    rc = ins__writer_submit(&b->w, &op->m, 0); /* once queued, op may be gone */
    if (rc)
        ins__blob_hs_undo(h, op);
    ins__blob_hs_unlock(h);
    if (rc == INS_EBUSY && block)
        rc = ins__writer_submit(&b->w, &op->m, 1);
    return rc;
}

int ins_blob_stage_begin(ins_store *s, const char *upload_id, uint64_t total_size,
                         const uint8_t sha256[32], uint64_t *offset)
{
    blob_op op = {.kind = OP_BEGIN, .id = upload_id, .size = total_size};
    if (!sha256 || total_size == 0)
        return INS_EINVAL;
    memcpy(op.sha, sha256, 32);
    int rc;
    for (int tries = 0;; tries++) {
        ins_bstripe *b;
        if ((rc = ins__blob_locate(s, upload_id, &b)) != 0)
            break;
        op.existing_only = b != ins__blob_home_of(s, upload_id);
        op.status = 0;
        rc = ins__blob_run_sync(s, b, &op);
        if (rc != INS_ENOTFOUND || !op.existing_only || tries == 3)
            break; /* an older staging outside home went meanwhile: stage at home */
    }
    if (rc == 0 && offset)
        *offset = op.committed;
    return rc;
}

int ins_blob_append(ins_store *s, const char *upload_id, uint64_t offset, const void *data,
                    size_t len, uint64_t *committed)
{
    blob_op op = {.kind = OP_APPEND, .id = upload_id, .offset = offset, .data = data, .len = len};
    if (!data || len == 0 || !upload_id)
        return INS_EINVAL;
    ins__blob_sync_init(s, &op);
    int rc = ins__blob_sync_wait(&op, submit_append(s, &op, 1));
    if (committed)
        *committed = op.committed;
    return rc;
}

static void async_done(void *arg, int err, const ins_result *r)
{
    blob_op *op = arg;
    (void)r;
    ins__blob_hs_note_failed(op, err);
    op->cb(op->cb_arg, err ? err : op->status, op->committed);
    free(op);
}

int ins_blob_append_async(ins_store *s, const char *upload_id, uint64_t offset, const void *data,
                          size_t len, ins_blob_done_fn cb, void *arg)
{
    if (!data || len == 0 || !cb || !upload_id)
        return INS_EINVAL;
    blob_op *op = calloc(1, sizeof(*op));
    if (!op)
        return ENOMEM;
    *op = (blob_op){.kind = OP_APPEND,
                    .id = upload_id,
                    .offset = offset,
                    .data = data,
                    .len = len,
                    .cb = cb,
                    .cb_arg = arg};
    op->m.apply = ins__blob_apply;
    op->m.done = async_done;
    op->m.arg = op;
    int rc = submit_append(s, op, 0);
    if (rc)
        free(op);
    return rc;
}

int ins_blob_abort(ins_store *s, const char *upload_id)
{
    blob_op op = {.kind = OP_ABORT, .id = upload_id};
    return ins__blob_run_sync(s, NULL, &op);
}

int ins_blob_release(ins_store *s, const char *upload_id)
{
    blob_op op = {.kind = OP_RELEASE, .id = upload_id};
    return ins__blob_run_sync(s, NULL, &op);
}
