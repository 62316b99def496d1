/*
 * blob_finish.c - finishing an upload: checking its hash and filing its
 * object as content under that hash, once however often it is uploaded.
 *
 * The hash is the upload's running one when it can be trusted (blob_hash.c);
 * otherwise the writer declines (need_hash) and ins_blob_finish hashes the
 * stored chunks on the caller's thread, then retries with that hash. A
 * mismatch drops the staging (INS_EDATALOSS). Identical content already
 * stored in any stripe makes the new copy's chunks go.
 */
#include "blob_impl.h"
#include "ins_sha256.h"

#include <errno.h>
#include <string.h>

/* Hashes the stored chunks of obj; they must cover exactly 0..size. */
static int rehash(MDB_txn *txn, ins_bstripe *b, uint64_t obj, uint64_t size, uint8_t out[32])
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[16];
    uint64_t at = 0;
    unsigned int hl = 32;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx ? mdb_cursor_open(txn, b->dbi[BT_CHUNK], &c) : ENOMEM;
    if (rc) {
        EVP_MD_CTX_free(ctx);
        return rc;
    }
    EVP_DigestInit_ex(ctx, ins_sha256_md(), NULL);
    ins__blob_chunk_key(k, obj, 0);
    key.mv_data = k;
    key.mv_size = 16;
    for (rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
        if (key.mv_size != 16 || ins_be64_get(key.mv_data) != obj)
            break;
        if (ins_be64_get((const uint8_t *)key.mv_data + 8) != at) {
            rc = INS_ECORRUPT;
            break;
        }
        EVP_DigestUpdate(ctx, val.mv_data, val.mv_size);
        at += val.mv_size;
    }
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (rc == 0 && at != size)
        rc = INS_ECORRUPT;
    EVP_DigestFinal_ex(ctx, out, &hl);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Is content `sha` stored in a stripe other than `self`? (0: yes) */
static int content_elsewhere(ins_store *s, const ins_bstripe *self, const uint8_t sha[32])
{
    int rc = INS_ENOTFOUND;
    for (unsigned i = 0; i < INS_BLOB_STRIPES && rc == INS_ENOTFOUND; i++) {
        ins_bstripe *b = &s->bs[i];
        MDB_txn *txn;
        ins_val v;
        if (b == self)
            continue;
        if ((rc = ins__env_rd_begin(&b->env, &txn)) != 0)
            break;
        rc = ins__get(txn, b->dbi[BT_CONTENT], sha, 32, &v);
        ins__env_rd_end(&b->env, txn);
    }
    return rc;
}

/* Files the staging's object as content. Identical content finished at the
 * same moment in two stripes can be stored twice (both copies are read and
 * collected alike); otherwise a content is stored once. */
static int file_content(ins_wtxn *t, const Inspect__Storage__Staging *st)
{
    ins_store *s = t->s;
    ins_bstripe *b = ins__blob_stripe_of(t);
    ins_val v;
    int rc = ins__get(t->txn, b->dbi[BT_CONTENT], st->sha256.data, 32, &v);
    if (rc == INS_ENOTFOUND)
        rc = content_elsewhere(s, b, st->sha256.data);
    if (rc == 0) /* already stored: keep one copy */
        return ins__blob_drop_chunks(t, st->object);
    if (rc != INS_ENOTFOUND)
        return rc;
    Inspect__Storage__Content c = INSPECT__STORAGE__CONTENT__INIT;
    c.format = INS_RECORD_FORMAT;
    c.object = st->object;
    c.size = st->total_size;
    c.created_ns = ins_store_now(s);
    return ins__blob_put_msg(t, b->dbi[BT_CONTENT], st->sha256.data, 32, &c.base);
}

/*
 * Files a fully received staging under its hash. The hash is the running one
 * when it can be trusted, else the one the caller computed from the stored
 * chunks of `op->object` (have_hash); without either, apply changes nothing
 * and asks the caller to hash (need_hash), off the writer thread.
 */
int ins__blob_op_finish(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_bstripe *b = ins__blob_stripe_of(t);
    Inspect__Storage__Staging *st = NULL;
    uint8_t got[32];
    int rc = ins__blob_get_stage(t->txn, b, k, &st);
    op->need_hash = 0;
    if (rc)
        goto out;
    if (st->offset != st->total_size) {
        rc = INS_ESTATE;
        goto out;
    }
    if (op->have_hash && op->object == st->object) {
        memcpy(got, op->sha, 32);
        rc = op->corrupt ? INS_ECORRUPT : 0;
    } else if (!ins__blob_hs_final(b, op->id, st->object, st->total_size, got)) {
        op->need_hash = 1;
        op->object = st->object;
        op->size = st->total_size;
        goto out;
    }
    if (rc == 0 && memcmp(got, st->sha256.data, 32) != 0)
        rc = INS_EDATALOSS;
    if (rc == INS_EDATALOSS || rc == INS_ECORRUPT) {
        op->status = INS_EDATALOSS; /* committed: the staging is dropped */
        rc = ins__blob_drop_stage(t, k, st);
    } else if (rc == 0 && (rc = file_content(t, st)) == 0) {
        memcpy(op->sha, got, 32);
        rc = ins__del(t, b->dbi[BT_STAGE], k->buf, k->len);
    }
    if (rc == 0)
        ins__blob_hs_drop(b, op->id);
out:
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

int ins_blob_finish(ins_store *s, const char *upload_id, uint8_t sha_out[32])
{
    blob_op op = {.kind = OP_FINISH, .id = upload_id};
    int rc;
    for (int tries = 0;; tries++) {
        if ((rc = ins__blob_run_sync(s, NULL, &op)) != 0 || !op.need_hash)
            break;
        if (tries == 3) { /* the staging was replaced under us again and again */
            rc = INS_ESTATE;
            break;
        }
        /* No trusted running hash (restart, failed commit, out-of-order
         * appends): hash the stored chunks here, not on the writer, then
         * finish with that hash if the staging still holds the same object. */
        uint64_t object = op.object, size = op.size;
        ins_bstripe *b = op.stripe;
        uint8_t got[32];
        MDB_txn *txn;
        if ((rc = ins__env_rd_begin(&b->env, &txn)) != 0)
            break;
        rc = rehash(txn, b, object, size, got);
        ins__env_rd_end(&b->env, txn);
        atomic_fetch_add(&s->rehashes, 1);
        if (rc && rc != INS_ECORRUPT)
            break;
        op = (blob_op){.kind = OP_FINISH,
                       .id = upload_id,
                       .have_hash = 1,
                       .corrupt = rc == INS_ECORRUPT,
                       .object = object};
        memcpy(op.sha, got, 32);
    }
    if (rc == 0 && sha_out)
        memcpy(sha_out, op.sha, 32);
    return rc;
}

uint64_t ins_blob_rehashes(ins_store *s)
{
    return atomic_load(&s->rehashes);
}
