/*
 * blob_read.c - reading the blob store: the status and committed bytes of a
 * staging, the size and bytes of content, and the reference counts that records in `meta` hold on
 * content (kept in meta's _blobref table, changed in the record's own
 * transaction).
 *
 * Reads run in their own read transactions, on the calling thread. Content is
 * looked for in every stripe: identical content finished in two stripes at
 * once may be stored in both, and either copy serves. ins_blob_stat also
 * knows content that lives in the photo tier's remote store (meta/_tier);
 * ins_blob_read is the local copy only (ins_blob_open reads either).
 */
#include "blob_impl.h"
#include "tier_impl.h"

#include <string.h>

int ins_blob_status(ins_store *s, const char *upload_id, uint64_t *offset, uint64_t *total)
{
    Inspect__Storage__Staging *st = NULL;
    ins_bstripe *b;
    MDB_txn *txn;
    ins_key k;
    int rc = ins__blob_stage_key(upload_id, &k);
    if (rc || (rc = ins__blob_locate(s, upload_id, &b)) != 0 ||
        (rc = ins__env_rd_begin(&b->env, &txn)) != 0)
        return rc;
    rc = ins__blob_get_stage(txn, b, &k, &st);
    if (rc == 0) {
        if (offset)
            *offset = st->offset;
        if (total)
            *total = st->total_size;
    }
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    ins__env_rd_end(&b->env, txn);
    return rc;
}

/* Finds content `sha` in the stripes. On 0, *txn is a read transaction on
 * *b's environment (end it with ins__env_rd_end) and *out the record. */
static int find_content(ins_store *s, const uint8_t sha[32], ins_bstripe **b, MDB_txn **txn,
                        Inspect__Storage__Content **out)
{
    int rc = INS_ENOTFOUND;
    *out = NULL;
    for (unsigned i = 0; i < INS_BLOB_STRIPES && rc == INS_ENOTFOUND; i++) {
        ins_val v;
        *b = &s->bs[i];
        if ((rc = ins__env_rd_begin(&(*b)->env, txn)) != 0)
            return rc;
        rc = ins__get(*txn, (*b)->dbi[BT_CONTENT], sha, 32, &v);
        if (rc == 0 && !(*out = inspect__storage__content__unpack(NULL, v.len, v.data)))
            rc = INS_ECORRUPT;
        if (rc)
            ins__env_rd_end(&(*b)->env, *txn);
    }
    return rc;
}

int ins__blob_local_stat(ins_store *s, const uint8_t sha256[32], uint64_t *size)
{
    Inspect__Storage__Content *c = NULL;
    ins_bstripe *b;
    MDB_txn *txn;
    int rc = find_content(s, sha256, &b, &txn, &c);
    if (rc)
        return rc;
    if (size)
        *size = c->size;
    inspect__storage__content__free_unpacked(c, NULL);
    ins__env_rd_end(&b->env, txn);
    return 0;
}

int ins_blob_stat(ins_store *s, const uint8_t sha256[32], uint64_t *size)
{
    int rc = ins__blob_local_stat(s, sha256, size);
    return rc == INS_ENOTFOUND ? ins__tier_remote(s, sha256, size) : rc;
}

/* Copies from the chunks of obj, starting at offset, into buf. */
static int copy_out(MDB_txn *txn, ins_bstripe *b, uint64_t obj, uint64_t offset, uint8_t *buf,
                    size_t len, size_t *nread)
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[16];
    size_t got = 0;
    int rc = mdb_cursor_open(txn, b->dbi[BT_CHUNK], &c);
    if (rc)
        return rc;
    ins__blob_chunk_key(k, obj, offset);
    key.mv_data = k;
    key.mv_size = 16;
    rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND || (rc == 0 && memcmp(key.mv_data, k, 16) != 0))
        rc = mdb_cursor_get(c, &key, &val, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
    while (rc == 0 && got < len) {
        if (key.mv_size != 16 || ins_be64_get(key.mv_data) != obj)
            break;
        uint64_t at = ins_be64_get((const uint8_t *)key.mv_data + 8);
        uint64_t want = offset + got;
        if (at > want || at + val.mv_size <= want) {
            rc = INS_ECORRUPT;
            break;
        }
        size_t skip = (size_t)(want - at), n = val.mv_size - skip;
        if (n > len - got)
            n = len - got;
        memcpy(buf + got, (const uint8_t *)val.mv_data + skip, n);
        got += n;
        if (got < len)
            rc = mdb_cursor_get(c, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(c);
    *nread = got;
    if (rc == MDB_NOTFOUND)
        rc = got < len ? INS_ECORRUPT : 0;
    return rc;
}

int ins_blob_stage_read(ins_store *s, const char *upload_id, uint64_t offset, void *buf, size_t len)
{
    Inspect__Storage__Staging *st = NULL;
    ins_bstripe *b;
    MDB_txn *txn;
    ins_key k;
    size_t got = 0;
    int rc = ins__blob_stage_key(upload_id, &k);
    if (rc || (rc = ins__blob_locate(s, upload_id, &b)) != 0 ||
        (rc = ins__env_rd_begin(&b->env, &txn)) != 0)
        return rc;
    rc = ins__blob_get_stage(txn, b, &k, &st);
    if (rc == 0 && (offset > st->offset || len > st->offset - offset))
        rc = INS_ERANGE; /* only the committed prefix is read */
    if (rc == 0 && len > 0 && (rc = copy_out(txn, b, st->object, offset, buf, len, &got)) == 0 &&
        got != len)
        rc = INS_ECORRUPT;
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    ins__env_rd_end(&b->env, txn);
    return rc;
}

int ins_blob_read(ins_store *s, const uint8_t sha256[32], uint64_t offset, void *buf, size_t len,
                  size_t *nread)
{
    Inspect__Storage__Content *c = NULL;
    ins_bstripe *b;
    MDB_txn *txn;
    *nread = 0;
    int rc = find_content(s, sha256, &b, &txn, &c);
    if (rc)
        return rc;
    if (offset < c->size) {
        if (len > c->size - offset)
            len = (size_t)(c->size - offset);
        rc = copy_out(txn, b, c->object, offset, buf, len, nread);
        if (rc == 0 && *nread != len)
            rc = INS_ECORRUPT;
    }
    inspect__storage__content__free_unpacked(c, NULL);
    ins__env_rd_end(&b->env, txn);
    return rc;
}

/* ---- references from meta ---- */

int ins__blob_get_ref(MDB_txn *txn, ins_store *s, const uint8_t sha[32], uint64_t *count,
                      uint64_t *zero_since)
{
    ins_val v;
    int rc = ins__get(txn, s->mdbi[MT_BLOBREF], sha, 32, &v);
    *count = 0;
    if (zero_since)
        *zero_since = 0;
    if (rc)
        return rc;
    Inspect__Storage__BlobRef *r = inspect__storage__blob_ref__unpack(NULL, v.len, v.data);
    if (!r)
        return INS_ECORRUPT;
    *count = r->count;
    if (zero_since)
        *zero_since = r->zero_since_ns;
    inspect__storage__blob_ref__free_unpacked(r, NULL);
    return 0;
}

static int put_ref(ins_wtxn *t, const uint8_t sha[32], uint64_t count)
{
    Inspect__Storage__BlobRef r = INSPECT__STORAGE__BLOB_REF__INIT;
    r.format = INS_RECORD_FORMAT;
    r.count = count;
    r.zero_since_ns = count ? 0 : ins_store_now(t->s);
    return ins__blob_put_msg(t, t->s->mdbi[MT_BLOBREF], sha, 32, &r.base);
}

int ins_wtxn_blob_ref(ins_wtxn *t, const uint8_t sha256[32])
{
    uint64_t count, size = 0;
    if (t->env != &t->s->meta)
        return INS_EINVAL;
    int rc = ins_blob_stat(t->s, sha256, &size);
    if (rc)
        return rc;
    rc = ins__blob_get_ref(t->txn, t->s, sha256, &count, NULL);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    /* With a tier, the first reference queues the content for the remote
     * store in this same commit: nothing referenced is left unqueued. */
    if (count == 0 && t->s->tier && (rc = ins__tier_enqueue(t, sha256, size, NULL)) != 0)
        return rc;
    return put_ref(t, sha256, count + 1);
}

int ins_wtxn_blob_unref(ins_wtxn *t, const uint8_t sha256[32])
{
    uint64_t count;
    if (t->env != &t->s->meta)
        return INS_EINVAL;
    int rc = ins__blob_get_ref(t->txn, t->s, sha256, &count, NULL);
    if (rc == 0 && count == 0)
        rc = INS_ENOTFOUND;
    return rc ? rc : put_ref(t, sha256, count - 1);
}

int ins_rtxn_blob_refs(ins_rtxn *r, const uint8_t sha256[32], uint64_t *count)
{
    int rc = ins__blob_get_ref(r->txn, r->s, sha256, count, NULL);
    return rc == INS_ENOTFOUND ? 0 : rc;
}
