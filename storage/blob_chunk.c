/*
 * blob_chunk.c - how chunk bytes reach a blob stripe's data file.
 *
 * Chunk bytes go into the data file with pwrite at the place LMDB reserved
 * for them (MDB_RESERVE) instead of memcpy through the writable map: no page
 * fault, zero-fill and page_mkwrite per 4 KiB page. The map and the page
 * cache are the same pages, and the commit's msync flushes the whole file
 * range, so durability is LMDB's own. Where the on-disk layout is not the
 * LMDB 0.9 one recognised here, the bytes are copied through the map.
 * Writer thread only.
 */
#include "blob_impl.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* LMDB 0.9 page header (on-disk format): pgno, pad, flags, overflow pages. */
#define LMDB_PAGEHDRSZ  16
#define LMDB_P_OVERFLOW 0x04
#define LMDB_P_TYPES    0x6f /* branch, leaf, overflow, meta, leaf2, subpage */
#define LMDB_P_META     0x08
#define LMDB_MAGIC      0xBEEFC0DEu

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
    ins_bstripe *b = ins__blob_stripe_of(t);
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

/*
 * Stores `len` bytes at `off` of object `obj`. A value on overflow pages
 * takes a 16-byte page header, so a 64 KiB chunk would take 17 pages, the
 * last holding 16 bytes. The chunk is stored as a body that ends exactly on a
 * page boundary and the few remaining bytes as a small value of their own
 * (inline in a leaf): 6% fewer bytes to write and sync. Readers walk chunks by
 * offset, so any split reads back the same.
 */
int ins__blob_put_chunk(ins_wtxn *t, uint64_t obj, uint64_t off, const uint8_t *data, size_t len)
{
    struct ins_blob_hs *tab = ins__blob_stripe_of(t)->hs;
    size_t psize = tab ? tab->psize : 4096;
    size_t body = (len + LMDB_PAGEHDRSZ) / psize * psize - LMDB_PAGEHDRSZ;
    unsigned flags = MDB_APPEND;
    uint8_t ck[16];
    int rc = 0;
    if (len < psize || body > len)
        body = len;
    for (size_t at = 0, n = body; at < len && rc == 0; at += n, n = len - at) {
        ins__blob_chunk_key(ck, obj, off + at);
        rc = put_value(t, ck, data + at, n, flags);
        if (rc == INS_EEXIST && flags) { /* another object sorts after: no append */
            flags = 0;
            rc = put_value(t, ck, data + at, n, flags);
        }
    }
    return rc;
}
