/*
 * blob.c - the photo blob store, in each blob stripe (`blobs`, `blobs-1`, ...).
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
 * little per byte as it can:
 *  - SHA-256 runs on the submitting threads. Each upload staged since the
 *    store opened has a running hash state; an append that continues it is
 *    hashed before it is queued. The writer only checks that every append it
 *    commits was hashed in order under the staging's current state and that
 *    none that was hashed failed; anything else makes the state invalid, and
 *    finish then re-hashes the stored chunks on the caller's thread (after a
 *    restart, after a failed commit, after out-of-order appends).
 *  - Chunk bytes go into the data file with pwrite at the place LMDB reserved
 *    for them (MDB_RESERVE) instead of memcpy through the writable map: no
 *    page fault, zero-fill and page_mkwrite per 4 KiB page. The map and the
 *    page cache are the same pages, and the commit's msync flushes the whole
 *    file range, so durability is LMDB's own.
 */
#include "store_impl.h"
#include "ins_blob.h"
#include "ins_key.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HS_MAX     1024 /* in-memory hash states kept */
#define HS_BUCKETS 256
#define SWEEP_MAX  256 /* stagings or blobs collected per transaction */

/* LMDB 0.9 page header (on-disk format): pgno, pad, flags, overflow pages. */
#define LMDB_PAGEHDRSZ  16
#define LMDB_P_OVERFLOW 0x04
#define LMDB_P_TYPES    0x6f /* branch, leaf, overflow, meta, leaf2, subpage */
#define LMDB_P_META     0x08
#define LMDB_MAGIC      0xBEEFC0DEu

/* Running SHA-256 of one upload. */
typedef struct hs_entry {
    struct hs_entry *next; /* bucket chain: written by the writer under tab->mu */
    pthread_mutex_t mu;    /* ctx, undo, offset; gen/object/total change under it */
    char id[INS_UPLOAD_ID_MAX + 1];
    uint64_t gen;     /* hash run, new at each fresh staging (writer) */
    uint64_t object;  /* staging object it hashes (writer) */
    uint64_t total;   /* declared size */
    uint64_t offset;  /* bytes hashed */
    atomic_int valid; /* cleared by the writer when the hash can't be trusted */
    EVP_MD_CTX *ctx, *undo;
} hs_entry;

/* The table behind ins_store.hs, made at open by ins__blob_load. */
struct ins_blob_hs {
    pthread_mutex_t mu; /* bucket chains and n */
    hs_entry *bucket[HS_BUCKETS];
    size_t n;
    uint64_t gen_next; /* writer only */
    /* chunk writes (writer only) */
    int fd;
    size_t psize;
    const uint8_t *map; /* verified map base, NULL until known */
    int direct;         /* 0: write chunks through the map (layout not recognised) */
};

enum { OP_BEGIN, OP_APPEND, OP_FINISH, OP_ABORT, OP_SWEEP };

typedef struct blob_op {
    ins_mutation m;
    ins_store *s;
    int kind;
    const char *id;
    uint64_t size, offset;
    uint8_t sha[32];
    const void *data;
    size_t len;
    uint64_t hs_gen; /* append: hash run it was hashed under (0: not hashed) */
    /* finish: the hash computed by the caller (have_hash) of `object` */
    int have_hash, corrupt;
    uint64_t object;
    ins_bstripe *stripe; /* where the op runs */
    int existing_only;   /* begin outside the id's home stripe: don't create */
    /* results */
    int status;    /* an error decided and committed by apply (drop on mismatch) */
    int need_hash; /* finish: no trusted running hash; caller hashes `object` */
    uint64_t committed;
    /* completion */
    ins_blob_done_fn cb;
    void *cb_arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished, err;
} blob_op;

/* ---- hash states ---- */

static unsigned hs_bucket(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return h % HS_BUCKETS;
}

/* Writer thread: the writer is the only thread that changes the chains. */
static hs_entry *hs_find(ins_bstripe *b, const char *id)
{
    hs_entry *h = b->hs ? b->hs->bucket[hs_bucket(id)] : NULL;
    while (h && strcmp(h->id, id) != 0)
        h = h->next;
    return h;
}

/* Submitting threads: the entry of `id`, locked, or NULL. */
static hs_entry *hs_lock(ins_bstripe *b, const char *id)
{
    struct ins_blob_hs *tab = b->hs;
    if (!tab)
        return NULL;
    pthread_mutex_lock(&tab->mu);
    hs_entry *h = tab->bucket[hs_bucket(id)];
    while (h && strcmp(h->id, id) != 0)
        h = h->next;
    if (h)
        pthread_mutex_lock(&h->mu); /* before tab->mu goes: the writer frees under both */
    pthread_mutex_unlock(&tab->mu);
    return h;
}

static void hs_free(hs_entry *h)
{
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_CTX_free(h->undo);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* Writer: unlinks and frees h, waiting for a submitter hashing into it. */
static void hs_remove(ins_bstripe *b, hs_entry *h)
{
    struct ins_blob_hs *tab = b->hs;
    pthread_mutex_lock(&tab->mu);
    for (hs_entry **p = &tab->bucket[hs_bucket(h->id)]; *p; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            tab->n--;
            break;
        }
    pthread_mutex_lock(&h->mu);
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_unlock(&tab->mu);
    hs_free(h);
}

static void hs_drop(ins_bstripe *b, const char *id)
{
    hs_entry *h = hs_find(b, id);
    if (h)
        hs_remove(b, h);
}

/* Writer: a fresh hash run for a new staging of `id` (object, total). Without
 * memory the upload simply has no running hash and finish re-hashes it. */
static void hs_start(ins_bstripe *b, const char *id, uint64_t object, uint64_t total)
{
    struct ins_blob_hs *tab = b->hs;
    hs_entry *h = hs_find(b, id);
    if (!tab)
        return;
    if (!h) {
        if (tab->n >= HS_MAX) { /* forget the oldest run; its finish re-hashes */
            hs_entry *old = NULL;
            for (size_t i = 0; i < HS_BUCKETS; i++)
                for (hs_entry *e = tab->bucket[i]; e; e = e->next)
                    if (!old || e->gen < old->gen)
                        old = e;
            if (old)
                hs_remove(b, old);
        }
        if (!(h = calloc(1, sizeof(*h))))
            return;
        pthread_mutex_init(&h->mu, NULL);
        h->ctx = EVP_MD_CTX_new();
        h->undo = EVP_MD_CTX_new();
        snprintf(h->id, sizeof(h->id), "%s", id);
        if (!h->ctx || !h->undo) {
            hs_free(h);
            return;
        }
        pthread_mutex_lock(&tab->mu);
        unsigned i = hs_bucket(id);
        h->next = tab->bucket[i];
        tab->bucket[i] = h;
        tab->n++;
        pthread_mutex_unlock(&tab->mu);
    }
    pthread_mutex_lock(&h->mu);
    h->gen = ++tab->gen_next;
    h->object = object;
    h->total = total;
    h->offset = 0;
    atomic_store(&h->valid, EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) == 1);
    pthread_mutex_unlock(&h->mu);
}

/* Writer: an append of `op` to staging `object` committed in this
 * transaction (ok) or failed. The running hash stays trusted only if every
 * append that lands was hashed in order under this run and every hashed
 * append lands. No lock: only the writer changes gen and object. */
static void hs_note_append(ins_bstripe *b, const blob_op *op, uint64_t object, int ok)
{
    hs_entry *h = hs_find(b, op->id);
    if (!h)
        return;
    int ours = op->hs_gen != 0 && op->hs_gen == h->gen && h->object == object;
    if (ok ? !ours : op->hs_gen == h->gen)
        atomic_store(&h->valid, 0);
}

/* Writer: the final hash of staging `object` of `total` bytes, if trusted. */
static int hs_final(ins_bstripe *b, const char *id, uint64_t object, uint64_t total,
                    uint8_t out[32])
{
    hs_entry *h = hs_find(b, id);
    unsigned int hl = 32;
    int ok = 0;
    if (!h)
        return 0;
    pthread_mutex_lock(&h->mu);
    if (atomic_load(&h->valid) && h->object == object && h->offset == total) {
        EVP_MD_CTX *copy = EVP_MD_CTX_new(); /* keep h usable if the batch is redone */
        ok = copy && EVP_MD_CTX_copy_ex(copy, h->ctx) && EVP_DigestFinal_ex(copy, out, &hl);
        EVP_MD_CTX_free(copy);
    }
    pthread_mutex_unlock(&h->mu);
    return ok;
}

/* Submitting thread, h locked: hashes op's bytes if they continue the run. */
static void hs_update(hs_entry *h, blob_op *op)
{
    op->hs_gen = 0;
    if (!atomic_load(&h->valid) || h->offset != op->offset || op->len > h->total - h->offset)
        return;
    if (!EVP_MD_CTX_copy_ex(h->undo, h->ctx) || !EVP_DigestUpdate(h->ctx, op->data, op->len)) {
        atomic_store(&h->valid, 0);
        return;
    }
    h->offset += op->len;
    op->hs_gen = h->gen;
}

/* Submitting thread, h locked: op was hashed but not queued. */
static void hs_undo(hs_entry *h, blob_op *op)
{
    if (!op->hs_gen)
        return;
    if (op->hs_gen == h->gen && EVP_MD_CTX_copy_ex(h->ctx, h->undo))
        h->offset -= op->len;
    else
        atomic_store(&h->valid, 0);
    op->hs_gen = 0;
}

void ins__blob_free_hs(ins_bstripe *b)
{
    struct ins_blob_hs *tab = b->hs;
    if (!tab)
        return;
    for (size_t i = 0; i < HS_BUCKETS; i++)
        while (tab->bucket[i]) {
            hs_entry *h = tab->bucket[i];
            tab->bucket[i] = h->next;
            hs_free(h);
        }
    pthread_mutex_destroy(&tab->mu);
    free(tab);
    b->hs = NULL;
}

/* The stripe whose environment t writes. */
static ins_bstripe *stripe_of(ins_wtxn *t)
{
    return (ins_bstripe *)(void *)((char *)t->env - offsetof(ins_bstripe, env));
}

/* ---- chunk bytes ---- */

/* Is `base` the start of the blobs map? Probes that the two meta pages are
 * mapped (msync fails with ENOMEM otherwise) before reading them. */
static int is_map_base(const uint8_t *base, size_t psize)
{
    uint16_t flags;
    uint32_t magic;
    if ((uintptr_t)base % psize != 0 || msync((void *)base, 2 * psize, MS_ASYNC) != 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        memcpy(&flags, base + i * psize + 10, 2);
        memcpy(&magic, base + i * psize + LMDB_PAGEHDRSZ, 4);
        if (!(flags & LMDB_P_META) || magic != LMDB_MAGIC)
            return 0;
    }
    return 1;
}

/* Where in the data file does `dst`, a value LMDB reserved on its own
 * overflow pages, start? -1 when the layout isn't the one expected. */
static off_t chunk_file_offset(struct ins_blob_hs *tab, ins_env *e, const uint8_t *dst, size_t len)
{
    const uint8_t *pg = dst - LMDB_PAGEHDRSZ;
    uint64_t pgno;
    uint16_t flags;
    uint32_t pages;
    if (!tab->direct || (uintptr_t)pg % tab->psize != 0)
        return -1;
    memcpy(&pgno, pg, 8);
    memcpy(&flags, pg + 10, 2);
    memcpy(&pages, pg + 12, 4);
    if ((flags & LMDB_P_TYPES) != LMDB_P_OVERFLOW ||
        pages != (len + LMDB_PAGEHDRSZ + tab->psize - 1) / tab->psize ||
        pgno + pages > e->mapsize / tab->psize)
        return -1;
    const uint8_t *base = pg - pgno * tab->psize;
    if (base != tab->map) { /* first chunk, or the map moved when it grew */
        if (!is_map_base(base, tab->psize)) {
            tab->direct = 0; /* not LMDB 0.9's layout: keep to memcpy */
            return -1;
        }
        tab->map = base;
    }
    return (off_t)(pgno * tab->psize + LMDB_PAGEHDRSZ);
}

/* Stores one value under ck: reserves it in the B-tree, then fills it. */
static int put_value(ins_wtxn *t, const uint8_t ck[16], const void *data, size_t len,
                     unsigned flags)
{
    ins_bstripe *b = stripe_of(t);
    MDB_val key = {16, (void *)ck}, val = {len, NULL};
    int rc = mdb_put(t->txn, b->dbi[BT_CHUNK], &key, &val, flags | MDB_RESERVE);
    if (rc == MDB_MAP_FULL)
        t->map_full = 1;
    if (rc)
        return ins__map_err(rc);
    t->dirty = 1;
    off_t at = b->hs ? chunk_file_offset(b->hs, t->env, val.mv_data, len) : -1;
    if (at < 0) {
        memcpy(val.mv_data, data, len);
        return 0;
    }
    for (size_t done = 0; done < len;) {
        ssize_t n = pwrite(b->hs->fd, (const uint8_t *)data + done, len - done, at + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        done += (size_t)n;
    }
    return 0;
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

/*
 * Stores `len` bytes at `off` of object `obj`. A value on overflow pages
 * takes a 16-byte page header, so a 64 KiB chunk would take 17 pages, the
 * last holding 16 bytes. The chunk is stored as a body that ends exactly on a
 * page boundary and the few remaining bytes as a small value of their own
 * (inline in a leaf): 6% fewer bytes to write and sync. Readers walk chunks by
 * offset, so any split reads back the same.
 */
static int put_chunk(ins_wtxn *t, uint64_t obj, uint64_t off, const uint8_t *data, size_t len)
{
    struct ins_blob_hs *tab = stripe_of(t)->hs;
    size_t psize = tab ? tab->psize : 4096;
    size_t body = (len + LMDB_PAGEHDRSZ) / psize * psize - LMDB_PAGEHDRSZ;
    unsigned flags = MDB_APPEND;
    uint8_t ck[16];
    int rc = 0;
    if (len < psize || body > len)
        body = len;
    for (size_t at = 0, n = body; at < len && rc == 0; at += n, n = len - at) {
        chunk_key(ck, obj, off + at);
        rc = put_value(t, ck, data + at, n, flags);
        if (rc == INS_EEXIST && flags) { /* another object sorts after: no append */
            flags = 0;
            rc = put_value(t, ck, data + at, n, flags);
        }
    }
    return rc;
}

static int get_stage(MDB_txn *txn, ins_bstripe *b, const ins_key *k,
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
    return put_msg(t, stripe_of(t)->dbi[BT_STAGE], k->buf, k->len, &st->base);
}

/* Deletes every chunk of `obj`. */
static int drop_chunks(ins_wtxn *t, uint64_t obj)
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[16];
    int rc = mdb_cursor_open(t->txn, stripe_of(t)->dbi[BT_CHUNK], &c);
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
        rc = ins__del(t, stripe_of(t)->dbi[BT_STAGE], k->buf, k->len);
    return rc;
}

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

/* ---- operations, run on the blob writer ---- */

static int op_begin(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_bstripe *b = stripe_of(t);
    Inspect__Storage__Staging *old = NULL;
    int rc = get_stage(t->txn, b, k, &old);
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
    if ((rc = put_stage(t, k, &st)) != 0 ||
        (rc = ins__put(t, b->dbi[BT_META], "obj_next", 8, next, 8, 0)) != 0)
        return rc;
    b->obj_next++;
    op->committed = 0;
    hs_start(b, op->id, st.object, st.total_size);
    return 0;
}

static int op_append(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_bstripe *b = stripe_of(t);
    Inspect__Storage__Staging *st = NULL;
    int rc = get_stage(t->txn, b, k, &st);
    if (rc)
        goto out;
    op->committed = st->offset;
    if (op->offset != st->offset) {
        rc = INS_EOFFSET;
    } else if (op->len > st->total_size - st->offset) {
        rc = INS_ETOOBIG;
    } else {
        rc = put_chunk(t, st->object, st->offset, op->data, op->len);
        st->offset += op->len;
        if (rc == 0 && (rc = put_stage(t, k, st)) == 0)
            op->committed = st->offset;
    }
    hs_note_append(b, op, st->object, rc == 0);
out:
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
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
    ins_bstripe *b = stripe_of(t);
    ins_val v;
    int rc = ins__get(t->txn, b->dbi[BT_CONTENT], st->sha256.data, 32, &v);
    if (rc == INS_ENOTFOUND)
        rc = content_elsewhere(s, b, st->sha256.data);
    if (rc == 0) /* already stored: keep one copy */
        return drop_chunks(t, st->object);
    if (rc != INS_ENOTFOUND)
        return rc;
    Inspect__Storage__Content c = INSPECT__STORAGE__CONTENT__INIT;
    c.format = INS_RECORD_FORMAT;
    c.object = st->object;
    c.size = st->total_size;
    c.created_ns = ins_store_now(s);
    return put_msg(t, b->dbi[BT_CONTENT], st->sha256.data, 32, &c.base);
}

/*
 * Files a fully received staging under its hash. The hash is the running one
 * when it can be trusted, else the one the caller computed from the stored
 * chunks of `op->object` (have_hash); without either, apply changes nothing
 * and asks the caller to hash (need_hash), off the writer thread.
 */
static int op_finish(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    ins_bstripe *b = stripe_of(t);
    Inspect__Storage__Staging *st = NULL;
    uint8_t got[32];
    int rc = get_stage(t->txn, b, k, &st);
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
    } else if (!hs_final(b, op->id, st->object, st->total_size, got)) {
        op->need_hash = 1;
        op->object = st->object;
        op->size = st->total_size;
        goto out;
    }
    if (rc == 0 && memcmp(got, st->sha256.data, 32) != 0)
        rc = INS_EDATALOSS;
    if (rc == INS_EDATALOSS || rc == INS_ECORRUPT) {
        op->status = INS_EDATALOSS; /* committed: the staging is dropped */
        rc = drop_stage(t, k, st);
    } else if (rc == 0 && (rc = file_content(t, st)) == 0) {
        memcpy(op->sha, got, 32);
        rc = ins__del(t, b->dbi[BT_STAGE], k->buf, k->len);
    }
    if (rc == 0)
        hs_drop(b, op->id);
out:
    if (st)
        inspect__storage__staging__free_unpacked(st, NULL);
    return rc;
}

static int op_abort(ins_wtxn *t, blob_op *op, const ins_key *k)
{
    Inspect__Storage__Staging *st = NULL;
    int rc = get_stage(t->txn, stripe_of(t), k, &st);
    if (rc == 0 && (rc = drop_stage(t, k, st)) == 0)
        hs_drop(stripe_of(t), op->id);
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
    ins_bstripe *b = stripe_of(t);
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
                hs_drop(b, buf);
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

/* ---- stripes ---- */

/* The stripe new stagings of `id` go to: FNV-1a, mixed (murmur3 fmix32). */
static ins_bstripe *home_of(ins_store *s, const char *id)
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
 * only ever created in its home stripe (op_begin elsewhere is existing_only),
 * so it is never in two stripes: one found outside home predates this layout
 * and once gone does not come back there.
 */
static int locate(ins_store *s, const char *id, ins_bstripe **out)
{
    ins_bstripe *home = home_of(s, id);
    ins_key k;
    int rc = stage_key(id, &k);
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

/* ---- submitting ---- */

/* Writer thread, after the commit: a hashed append whose batch failed to
 * commit did not land, so its run can't be trusted any more. */
static void note_failed(blob_op *op, int err)
{
    hs_entry *h;
    if (err && op->kind == OP_APPEND && op->hs_gen && (h = hs_find(op->stripe, op->id)) != NULL &&
        h->gen == op->hs_gen)
        atomic_store(&h->valid, 0);
}

static void sync_done(void *arg, int err, const ins_result *r)
{
    blob_op *op = arg;
    (void)r;
    note_failed(op, err);
    pthread_mutex_lock(&op->mu);
    op->err = err ? err : op->status;
    op->finished = 1;
    pthread_cond_signal(&op->cv);
    pthread_mutex_unlock(&op->mu);
}

/*
 * Queues an append, hashing it first on this thread when it continues its
 * upload's running hash (under the run's lock, so the run's order is the
 * queue's order). Never waits for queue space holding that lock: with a full
 * queue a blocking caller queues the append unhashed, and finish re-hashes.
 */
static int submit_append(ins_store *s, blob_op *op, int block)
{
    ins_bstripe *b = home_of(s, op->id);
    hs_entry *h = hs_lock(b, op->id); /* a running hash: staged in its home stripe */
    int rc;
    op->s = s;
    op->hs_gen = 0;
    if (!h) {
        if ((rc = locate(s, op->id, &b)) != 0)
            return rc;
        if (b != home_of(s, op->id))
            h = hs_lock(b, op->id);
    }
    op->stripe = b;
    if (!h)
        return ins__writer_submit(&b->w, &op->m, block);
    hs_update(h, op);
    rc = ins__writer_submit(&b->w, &op->m, 0); /* once queued, op may be gone */
    if (rc)
        hs_undo(h, op);
    pthread_mutex_unlock(&h->mu);
    if (rc == INS_EBUSY && block)
        rc = ins__writer_submit(&b->w, &op->m, 1);
    return rc;
}

static void sync_init(ins_store *s, blob_op *op)
{
    op->s = s;
    op->m.apply = blob_apply;
    op->m.done = sync_done;
    op->m.arg = op;
    pthread_mutex_init(&op->mu, NULL);
    pthread_cond_init(&op->cv, NULL);
}

static int sync_wait(blob_op *op, int rc)
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
static int run_sync(ins_store *s, ins_bstripe *b, blob_op *op)
{
    int rc = b ? 0 : locate(s, op->id, &b);
    if (rc)
        return rc;
    op->stripe = b;
    sync_init(s, op);
    return sync_wait(op, ins__writer_submit(&b->w, &op->m, 1));
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
        if ((rc = locate(s, upload_id, &b)) != 0)
            break;
        op.existing_only = b != home_of(s, upload_id);
        op.status = 0;
        rc = run_sync(s, b, &op);
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
    sync_init(s, &op);
    int rc = sync_wait(&op, submit_append(s, &op, 1));
    if (committed)
        *committed = op.committed;
    return rc;
}

static void async_done(void *arg, int err, const ins_result *r)
{
    blob_op *op = arg;
    (void)r;
    note_failed(op, err);
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
    int rc = submit_append(s, op, 0);
    if (rc)
        free(op);
    return rc;
}

int ins_blob_finish(ins_store *s, const char *upload_id, uint8_t sha_out[32])
{
    blob_op op = {.kind = OP_FINISH, .id = upload_id};
    int rc;
    for (int tries = 0;; tries++) {
        if ((rc = run_sync(s, NULL, &op)) != 0 || !op.need_hash)
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

int ins_blob_abort(ins_store *s, const char *upload_id)
{
    blob_op op = {.kind = OP_ABORT, .id = upload_id};
    return run_sync(s, NULL, &op);
}

/* ---- reading ---- */

int ins_blob_status(ins_store *s, const char *upload_id, uint64_t *offset, uint64_t *total)
{
    Inspect__Storage__Staging *st = NULL;
    ins_bstripe *b;
    MDB_txn *txn;
    ins_key k;
    int rc = stage_key(upload_id, &k);
    if (rc || (rc = locate(s, upload_id, &b)) != 0 || (rc = ins__env_rd_begin(&b->env, &txn)) != 0)
        return rc;
    rc = get_stage(txn, b, &k, &st);
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

int ins_blob_stat(ins_store *s, const uint8_t sha256[32], uint64_t *size)
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
            rc = run_sync(s, &s->bs[i], &op);
        } while (rc == 0 && op.committed == SWEEP_MAX);
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        a.stripe = &s->bs[i];
        do {
            rc = ins__writer_exec(&s->mw, gc_apply, &a);
        } while (rc == 0 && a.collected == SWEEP_MAX);
    }
    return rc;
}
