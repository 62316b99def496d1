/*
 * blob_ops.c - the `lmdb` blob store (blobstore/ins_bstore.h) over the blob
 * stripes of a data folder: what the photo tier moves from. get and head are
 * the local copy (ins_blob_read, ins__blob_local_stat); put lands content
 * like an upload does (staged under "tier/<hex>", appended, finished with its
 * hash checked, released); list walks every stripe's content; del frees a
 * local copy (ins__blob_evict), which only the tier does, and only for
 * content recorded as remote.
 */
#include "blob_impl.h"
#include "tier_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ins_hex.h"

#define PUT_STEP (1u << 20)

static int lmdb_get(void *impl, const uint8_t sha256[32], uint64_t off, void *buf, size_t len,
                    size_t *n)
{
    return ins_blob_read(impl, sha256, off, buf, len, n);
}

static int lmdb_get_stream(void *impl, const uint8_t sha256[32], uint64_t off,
                           ins_bstore_sink_fn sink, void *arg)
{
    uint8_t *buf = malloc(PUT_STEP);
    int rc = buf ? 0 : ENOMEM;
    for (size_t n = 1; rc == 0 && n > 0; off += n) {
        if ((rc = ins_blob_read(impl, sha256, off, buf, PUT_STEP, &n)) == 0 && n)
            rc = sink(arg, buf, n);
    }
    free(buf);
    return rc;
}

static int lmdb_head(void *impl, const uint8_t sha256[32], uint64_t *size)
{
    return ins__blob_local_stat(impl, sha256, size);
}

static int lmdb_put(void *impl, const uint8_t sha256[32], uint64_t size, const uint8_t md5[16],
                    ins_bstore_src_fn src, void *arg)
{
    ins_store *s = impl;
    char id[70] = "tier/";
    uint8_t got[32], *buf = malloc(PUT_STEP);
    uint64_t off = 0;
    (void)md5; /* the SHA-256 is checked at the finish */
    if (!buf)
        return ENOMEM;
    ins_hex_encode(sha256, 32, id + 5);
    int rc = ins_blob_stage_begin(s, id, size, sha256, &off);
    while (rc == 0 && off < size) {
        size_t n = 0;
        uint64_t left = size - off;
        rc = src(arg, off, buf, left < PUT_STEP ? (size_t)left : PUT_STEP, &n);
        if (rc == 0 && n == 0)
            rc = INS_ECORRUPT;
        if (rc == 0)
            rc = ins_blob_append(s, id, off, buf, n, &off);
    }
    if (rc == 0)
        rc = ins_blob_finish(s, id, got);
    if (rc == 0)
        rc = ins_blob_release(s, id);
    else if (rc != INS_EDATALOSS)
        (void)ins_blob_abort(s, id);
    free(buf);
    return rc;
}

static int lmdb_list(void *impl, ins_bstore_list_fn fn, void *arg)
{
    ins_store *s = impl;
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        ins_bstripe *b = &s->bs[i];
        MDB_txn *txn;
        MDB_cursor *c;
        MDB_val k, v;
        if ((rc = ins__env_rd_begin(&b->env, &txn)) != 0)
            break;
        if ((rc = mdb_cursor_open(txn, b->dbi[BT_CONTENT], &c)) == 0) {
            for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
                 rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                Inspect__Storage__Content *ct =
                    inspect__storage__content__unpack(NULL, v.mv_size, v.mv_data);
                if (ct && k.mv_size == 32)
                    rc = fn(arg, k.mv_data, ct->size);
                if (ct)
                    inspect__storage__content__free_unpacked(ct, NULL);
                if (rc)
                    break;
            }
            mdb_cursor_close(c);
        }
        ins__env_rd_end(&b->env, txn);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    return rc;
}

static int lmdb_del(void *impl, const uint8_t sha256[32])
{
    return ins__blob_evict(impl, sha256);
}

static void lmdb_close(void *impl)
{
    (void)impl; /* the store is its owner's to close */
}

static const ins_bstore_ops lmdb_ops = {
    .name = "lmdb",
    .put = lmdb_put,
    .get = lmdb_get,
    .get_stream = lmdb_get_stream,
    .head = lmdb_head,
    .list = lmdb_list,
    .del = lmdb_del,
    .close = lmdb_close,
};

void ins_blob_store_lmdb(ins_store *s, ins_bstore *out)
{
    *out = (ins_bstore){.ops = &lmdb_ops, .impl = s, .last_error = NULL};
}
