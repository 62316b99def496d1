/*
 * blob.c - the photo blob store in the `blobs` environment.
 *
 * Tables: _stage (lp(upload id) -> Staging), _chunk ((object, offset) ->
 * bytes), _content (sha256 -> Content), _meta ("obj_next"). An upload gets a
 * fresh object number when staged; its chunks are written under that number,
 * and finishing files the same object under its hash (or drops it when the
 * hash is already stored), so no byte is copied twice. Every operation is a
 * mutation on the blob writer, so concurrent uploads share durable commits.
 * The writer keeps the running SHA-256 of uploads it has seen from their
 * start; after a restart, or after a commit failed, finish re-hashes the
 * stored chunks instead. Operations validate before they write (no nested
 * transactions under MDB_WRITEMAP).
 */
#include "store_impl.h"
#include "ins_blob.h"
#include "ins_key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HS_MAX    1024 /* in-memory hash states kept */
#define SWEEP_MAX 256  /* stagings or blobs collected per transaction */

struct ins_blob_hs {
    struct ins_blob_hs *next;
    char id[INS_UPLOAD_ID_MAX + 1];
    uint64_t offset;
    EVP_MD_CTX *ctx;
};

enum { OP_BEGIN, OP_APPEND, OP_FINISH, OP_ABORT, OP_SWEEP };

typedef struct blob_op {
    ins_mutation m;
    int kind;
    const char *id;
    uint64_t size, offset;
    uint8_t sha[32];
    const void *data;
    size_t len;
    /* results */
    int status; /* an error decided and committed by apply (drop on mismatch) */
    uint64_t committed;
    /* completion */
    ins_blob_done_fn cb;
    void *cb_arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished, err;
} blob_op;

/* ---- hash states (blob writer thread only) ---- */

static struct ins_blob_hs **hs_find(ins_store *s, const char *id)
{
    struct ins_blob_hs **p = &s->hs;
    while (*p && strcmp((*p)->id, id) != 0)
        p = &(*p)->next;
    return p;
}

static void hs_drop(ins_store *s, const char *id)
{
    struct ins_blob_hs **p = hs_find(s, id), *h = *p;
    if (!h)
        return;
    *p = h->next;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

static void hs_start(ins_store *s, const char *id)
{
    size_t n = 0;
    hs_drop(s, id);
    for (struct ins_blob_hs **p = &s->hs; *p; p = &(*p)->next)
        if (++n >= HS_MAX) { /* forget the oldest; finish re-hashes them */
            while (*p) {
                struct ins_blob_hs *h = *p;
                *p = h->next;
                EVP_MD_CTX_free(h->ctx);
                free(h);
            }
            break;
        }
    struct ins_blob_hs *h = calloc(1, sizeof(*h));
    if (!h)
        return;
    if (!(h->ctx = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return;
    }
    snprintf(h->id, sizeof(h->id), "%s", id);
    h->next = s->hs;
    s->hs = h;
}

void ins__blob_free_hs(ins_store *s)
{
    while (s->hs) {
        struct ins_blob_hs *h = s->hs;
        s->hs = h->next;
        EVP_MD_CTX_free(h->ctx);
        free(h);
    }
}

/* ---- records ---- */

static int stage_key(const char *id, ins_key *k)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > INS_UPLOAD_ID_MAX)
        return INS_EINVAL;
    ins_key_init(k);
    ins_key_str(k, id);
    return ins_key_err(k);
}

static void chunk_key(uint8_t k[16], uint64_t obj, uint64_t off)
{
    ins_be64_put(k, obj);
    ins_be64_put(k + 8, off);
}

static int get_stage(MDB_txn *txn, ins_store *s, const ins_key *k, Inspect__Storage__Staging **out)
{
    ins_val v;
    int rc = ins__get(txn, s->bdbi[BT_STAGE], k->buf, k->len, &v);
    if (rc)
        return rc;
    *out = inspect__storage__staging__unpack(NULL, v.len, v.data);
    if (!*out || (*out)->sha256.len != 32)
        return INS_ECORRUPT;
    return 0;
}

static int put_msg(ins_wtxn *t, MDB_dbi dbi, const void *k, size_t kl, const ProtobufCMessage *msg)
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

static int put_stage(ins_wtxn *t, const ins_key *k, Inspect__Storage__Staging *st)
{
    st->updated_ns = ins_store_now(t->s);
    return put_msg(t, t->s->bdbi[BT_STAGE], k->buf, k->len, &st->base);
}

/* Deletes every chunk of `obj`. */
static int drop_chunks(ins_wtxn *t, uint64_t obj)
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[16];
    int rc = mdb_cursor_open(t->txn, t->s->bdbi[BT_CHUNK], &c);
    if (rc)
        return rc;
    chunk_key(k, obj, 0);
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

static int drop_stage(ins_wtxn *t, const ins_key *k, const Inspect__Storage__Staging *st)
{
    int rc = drop_chunks(t, st->object);
    if (rc == 0)
        rc = ins__del(t, t->s->bdbi[BT_STAGE], k->buf, k->len);
    return rc;
}

/* Hashes the stored chunks of obj; they must cover exactly 0..size. */
static int rehash(MDB_txn *txn, ins_store *s, uint64_t obj, uint64_t size, uint8_t out[32])
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[16];
    uint64_t at = 0;
    unsigned int hl = 32;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx ? mdb_cursor_open(txn, s->bdbi[BT_CHUNK], &c) : ENOMEM;
    if (rc) {
        EVP_MD_CTX_free(ctx);
        return rc;
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    chunk_key(k, obj, 0);
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

int ins__blob_load(ins_store *s, MDB_txn *txn)
{
    ins_val v;
    int rc = ins__get(txn, s->bdbi[BT_META], "obj_next", 8, &v);
    s->obj_next = 1;
    if (rc == INS_ENOTFOUND)
        return 0;
    if (rc == 0 && v.len == 8)
        s->obj_next = ins_be64_get(v.data);
    return rc ? rc : v.len == 8 ? 0 : INS_ECORRUPT;
}

/* ---- operations, run on the blob writer ---- */

static int op_begin(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_store *s = t->s;
    Inspect__Storage__Staging *old = NULL;
    int rc = get_stage(t->txn, s, k, &old);
    if (rc == 0) {
        if (old->total_size != op->size || memcmp(old->sha256.data, op->sha, 32) != 0) {
            rc = INS_EREUSED;
        } else {
            op->committed = old->offset;
            rc = put_stage(t, k, old); /* refreshes the TTL */
        }
        inspect__storage__staging__free_unpacked(old, NULL);
        return rc;
    }
    if (old)
        inspect__storage__staging__free_unpacked(old, NULL);
    if (rc != INS_ENOTFOUND)
        return rc;
    Inspect__Storage__Staging st = INSPECT__STORAGE__STAGING__INIT;
    uint8_t next[8];
    st.format = INS_RECORD_FORMAT;
    st.total_size = op->size;
    st.sha256.data = op->sha;
    st.sha256.len = 32;
    st.object = s->obj_next;
    ins_be64_put(next, s->obj_next + 1);
    if ((rc = put_stage(t, k, &st)) != 0 ||
        (rc = ins__put(t, s->bdbi[BT_META], "obj_next", 8, next, 8, 0)) != 0)
        return rc;
    s->obj_next++;
    op->committed = 0;
    hs_start(s, op->id);
    return 0;
}

static int op_append(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_store *s = t->s;
    Inspect__Storage__Staging *st = NULL;
    uint8_t ck[16];
    int rc = get_stage(t->txn, s, k, &st);
    if (rc)
        goto out;
    op->committed = st->offset;
    if (op->offset != st->offset) {
        rc = INS_EOFFSET;
    } else if (op->len > st->total_size - st->offset) {
        rc = INS_ETOOBIG;
    } else {
        chunk_key(ck, st->object, st->offset);
        rc = ins__put(t, s->bdbi[BT_CHUNK], ck, 16, op->data, op->len, MDB_APPEND);
        if (rc == MDB_KEYEXIST || rc == INS_EEXIST) /* another object sorts after: no append */
            rc = ins__put(t, s->bdbi[BT_CHUNK], ck, 16, op->data, op->len, 0);
        st->offset += op->len;
        if (rc == 0 && (rc = put_stage(t, k, st)) == 0) {
            op->committed = st->offset;
            struct ins_blob_hs *h = *hs_find(s, op->id);
            if (h && h->offset == op->offset) {
                EVP_DigestUpdate(h->ctx, op->data, op->len);
                h->offset += op->len;
            } else if (h) {
                hs_drop(s, op->id);
            }
        }
    }
out:
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

static int file_content(ins_wtxn *t, const Inspect__Storage__Staging *st)
{
    ins_store *s = t->s;
    ins_val v;
    int rc = ins__get(t->txn, s->bdbi[BT_CONTENT], st->sha256.data, 32, &v);
    if (rc == 0) /* already stored: keep one copy */
        return drop_chunks(t, st->object);
    if (rc != INS_ENOTFOUND)
        return rc;
    Inspect__Storage__Content c = INSPECT__STORAGE__CONTENT__INIT;
    c.format = INS_RECORD_FORMAT;
    c.object = st->object;
    c.size = st->total_size;
    c.created_ns = ins_store_now(s);
    return put_msg(t, s->bdbi[BT_CONTENT], st->sha256.data, 32, &c.base);
}

static int op_finish(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_store *s = t->s;
    Inspect__Storage__Staging *st = NULL;
    uint8_t got[32];
    int rc = get_stage(t->txn, s, k, &st);
    if (rc)
        goto out;
    if (st->offset != st->total_size) {
        rc = INS_ESTATE;
        goto out;
    }
    struct ins_blob_hs *h = *hs_find(s, op->id);
    unsigned int hl = 32;
    if (h && h->offset == st->offset) {
        EVP_MD_CTX *copy = EVP_MD_CTX_new(); /* keep h usable if the batch is redone */
        rc = copy && EVP_MD_CTX_copy_ex(copy, h->ctx) && EVP_DigestFinal_ex(copy, got, &hl)
                 ? 0
                 : ENOMEM;
        EVP_MD_CTX_free(copy);
    } else {
        rc = rehash(t->txn, s, st->object, st->total_size, got);
    }
    if (rc == 0 && memcmp(got, st->sha256.data, 32) != 0)
        rc = INS_EDATALOSS;
    if (rc == INS_EDATALOSS || rc == INS_ECORRUPT) {
        op->status = INS_EDATALOSS; /* committed: the staging is dropped */
        rc = drop_stage(t, k, st);
    } else if (rc == 0 && (rc = file_content(t, st)) == 0) {
        memcpy(op->sha, got, 32);
        rc = ins__del(t, s->bdbi[BT_STAGE], k->buf, k->len);
    }
    if (rc == 0)
        hs_drop(s, op->id);
out:
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

static int op_abort(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    Inspect__Storage__Staging *st = NULL;
    int rc = get_stage(t->txn, t->s, k, &st);
    if (rc == 0 && (rc = drop_stage(t, k, st)) == 0)
        hs_drop(t->s, op->id);
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

/* Drops stagings untouched since before the cutoff. */
static int op_sweep(ins_wtxn *t, blob_op *op)
{
    ins_store *s = t->s;
    uint64_t ttl = s->opt.upload_ttl_s * 1000000000ULL, now = ins_store_now(s);
    uint64_t cutoff = now > ttl ? now - ttl : 0;
    MDB_cursor *c;
    MDB_val key, val;
    size_t n = 0;
    int rc = mdb_cursor_open(t->txn, s->bdbi[BT_STAGE], &c);
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
                hs_drop(s, buf);
            }
            rc = drop_chunks(t, st->object);
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

static int blob_apply(ins_wtxn *t, void *arg)
{
    blob_op *op = arg;
    ins_key k;
    int rc = 0;
    op->status = 0;
    if (op->kind != OP_SWEEP && (rc = stage_key(op->id, &k)) != 0)
        return rc;
    switch (op->kind) {
    case OP_BEGIN:
        return op_begin(t, op, &k);
    case OP_APPEND:
        return op_append(t, op, &k);
    case OP_FINISH:
        return op_finish(t, op, &k);
    case OP_ABORT:
        return op_abort(t, op, &k);
    default:
        return op_sweep(t, op);
    }
}

/* ---- submitting ---- */

static void sync_done(void *arg, int err, const ins_result *r)
{
    blob_op *op = arg;
    pthread_mutex_lock(&op->mu);
    op->err = err ? err : op->status;
    op->finished = 1;
    pthread_cond_signal(&op->cv);
    pthread_mutex_unlock(&op->mu);
}

static int run_sync(ins_store *s, blob_op *op)
{
    op->m.apply = blob_apply;
    op->m.done = sync_done;
    op->m.arg = op;
    pthread_mutex_init(&op->mu, NULL);
    pthread_cond_init(&op->cv, NULL);
    int rc = ins__writer_submit(&s->bw, &op->m, 1);
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

int ins_blob_stage_begin(ins_store *s, const char *upload_id, uint64_t total_size,
                         const uint8_t sha256[32], uint64_t *offset)
{
    blob_op op = {.kind = OP_BEGIN, .id = upload_id, .size = total_size};
    if (!sha256 || total_size == 0)
        return INS_EINVAL;
    memcpy(op.sha, sha256, 32);
    int rc = run_sync(s, &op);
    if (rc == 0 && offset)
        *offset = op.committed;
    return rc;
}

int ins_blob_append(ins_store *s, const char *upload_id, uint64_t offset, const void *data,
                    size_t len, uint64_t *committed)
{
    blob_op op = {.kind = OP_APPEND, .id = upload_id, .offset = offset, .data = data, .len = len};
    if (!data || len == 0)
        return INS_EINVAL;
    int rc = run_sync(s, &op);
    if (committed)
        *committed = op.committed;
    return rc;
}

static void async_done(void *arg, int err, const ins_result *r)
{
    blob_op *op = arg;
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
    op->m.apply = blob_apply;
    op->m.done = async_done;
    op->m.arg = op;
    int rc = ins__writer_submit(&s->bw, &op->m, 0);
    if (rc)
        free(op);
    return rc;
}

int ins_blob_finish(ins_store *s, const char *upload_id, uint8_t sha_out[32])
{
    blob_op op = {.kind = OP_FINISH, .id = upload_id};
    int rc = run_sync(s, &op);
    if (rc == 0 && sha_out)
        memcpy(sha_out, op.sha, 32);
    return rc;
}

int ins_blob_abort(ins_store *s, const char *upload_id)
{
    blob_op op = {.kind = OP_ABORT, .id = upload_id};
    return run_sync(s, &op);
}

/* ---- reading ---- */

int ins_blob_status(ins_store *s, const char *upload_id, uint64_t *offset, uint64_t *total)
{
    Inspect__Storage__Staging *st = NULL;
    MDB_txn *txn;
    ins_key k;
    int rc = stage_key(upload_id, &k);
    if (rc || (rc = ins__env_rd_begin(&s->blobs, &txn)) != 0)
        return rc;
    rc = get_stage(txn, s, &k, &st);
    if (rc == 0) {
        if (offset)
            *offset = st->offset;
        if (total)
            *total = st->total_size;
    }
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    ins__env_rd_end(&s->blobs, txn);
    return rc;
}

static int get_content(MDB_txn *txn, ins_store *s, const uint8_t sha[32],
                       Inspect__Storage__Content **out)
{
    ins_val v;
    int rc = ins__get(txn, s->bdbi[BT_CONTENT], sha, 32, &v);
    if (rc)
        return rc;
    *out = inspect__storage__content__unpack(NULL, v.len, v.data);
    return *out ? 0 : INS_ECORRUPT;
}

int ins_blob_stat(ins_store *s, const uint8_t sha256[32], uint64_t *size)
{
    Inspect__Storage__Content *c = NULL;
    MDB_txn *txn;
    int rc = ins__env_rd_begin(&s->blobs, &txn);
    if (rc)
        return rc;
    rc = get_content(txn, s, sha256, &c);
    if (rc == 0 && size)
        *size = c->size;
    if (c)
        inspect__storage__content__free_unpacked(c, NULL);
    ins__env_rd_end(&s->blobs, txn);
    return rc;
}

/* Copies from the chunks of obj, starting at offset, into buf. */
static int copy_out(MDB_txn *txn, ins_store *s, uint64_t obj, uint64_t offset, uint8_t *buf,
                    size_t len, size_t *nread)
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[16];
    size_t got = 0;
    int rc = mdb_cursor_open(txn, s->bdbi[BT_CHUNK], &c);
    if (rc)
        return rc;
    chunk_key(k, obj, offset);
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

int ins_blob_read(ins_store *s, const uint8_t sha256[32], uint64_t offset, void *buf, size_t len,
                  size_t *nread)
{
    Inspect__Storage__Content *c = NULL;
    MDB_txn *txn;
    *nread = 0;
    int rc = ins__env_rd_begin(&s->blobs, &txn);
    if (rc)
        return rc;
    rc = get_content(txn, s, sha256, &c);
    if (rc == 0 && offset < c->size) {
        if (len > c->size - offset)
            len = (size_t)(c->size - offset);
        rc = copy_out(txn, s, c->object, offset, buf, len, nread);
        if (rc == 0 && *nread != len)
            rc = INS_ECORRUPT;
    }
    if (c)
        inspect__storage__content__free_unpacked(c, NULL);
    ins__env_rd_end(&s->blobs, txn);
    return rc;
}

/* ---- references from meta ---- */

static int get_ref(MDB_txn *txn, ins_store *s, const uint8_t sha[32], uint64_t *count,
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
    return put_msg(t, t->s->mdbi[MT_BLOBREF], sha, 32, &r.base);
}

int ins_wtxn_blob_ref(ins_wtxn *t, const uint8_t sha256[32])
{
    uint64_t count;
    if (t->env != &t->s->meta)
        return INS_EINVAL;
    int rc = ins_blob_stat(t->s, sha256, NULL);
    if (rc)
        return rc;
    rc = get_ref(t->txn, t->s, sha256, &count, NULL);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    return put_ref(t, sha256, count + 1);
}

int ins_wtxn_blob_unref(ins_wtxn *t, const uint8_t sha256[32])
{
    uint64_t count;
    if (t->env != &t->s->meta)
        return INS_EINVAL;
    int rc = get_ref(t->txn, t->s, sha256, &count, NULL);
    if (rc == 0 && count == 0)
        rc = INS_ENOTFOUND;
    return rc ? rc : put_ref(t, sha256, count - 1);
}

int ins_rtxn_blob_refs(ins_rtxn *r, const uint8_t sha256[32], uint64_t *count)
{
    int rc = get_ref(r->txn, r->s, sha256, count, NULL);
    return rc == INS_ENOTFOUND ? 0 : rc;
}

/* ---- collection ---- */

typedef struct gc_arg {
    uint64_t cutoff;
    size_t collected;
} gc_arg;

/* Is content `sha`, created at `created`, collectable in meta's view? */
static int collectable(ins_wtxn *t, const uint8_t *sha, uint64_t created, uint64_t cutoff)
{
    uint64_t count, zero_since;
    if (created >= cutoff)
        return 0;
    int rc = get_ref(t->txn, t->s, sha, &count, &zero_since);
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
    ins_wtxn b = {.s = s, .env = &s->blobs};
    MDB_cursor *c;
    MDB_val key, val;
    int rc;
    pthread_rwlock_rdlock(&s->blobs.resize);
    if ((rc = mdb_txn_begin(s->blobs.env, NULL, 0, &b.txn)) != 0)
        goto unlock;
    a->collected = 0;
    if ((rc = mdb_cursor_open(b.txn, s->bdbi[BT_CONTENT], &c)) != 0)
        goto abort;
    for (rc = mdb_cursor_get(c, &key, &val, MDB_FIRST); rc == 0 && a->collected < SWEEP_MAX;
         rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
        Inspect__Storage__Content *ct =
            inspect__storage__content__unpack(NULL, val.mv_size, val.mv_data);
        if (ct && key.mv_size == 32 && collectable(t, key.mv_data, ct->created_ns, a->cutoff)) {
            rc = ins__del(t, s->mdbi[MT_BLOBREF], key.mv_data, 32);
            if (rc == 0 || rc == INS_ENOTFOUND)
                rc = drop_chunks(&b, ct->object);
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
    pthread_rwlock_unlock(&s->blobs.resize);
    return rc == MDB_MAP_FULL ? 0 : rc; /* no room to delete: next sweep */
}

int ins__blob_sweep(ins_store *s)
{
    uint64_t ttl = s->opt.upload_ttl_s * 1000000000ULL, now = ins_store_now(s);
    gc_arg a = {.cutoff = now > ttl ? now - ttl : 0};
    blob_op op;
    int rc;
    do {
        op = (blob_op){.kind = OP_SWEEP};
        rc = run_sync(s, &op);
    } while (rc == 0 && op.committed == SWEEP_MAX);
    do {
        rc = rc ? rc : ins__writer_exec(&s->mw, gc_apply, &a);
    } while (rc == 0 && a.collected == SWEEP_MAX);
    return rc;
}
