/*
 * test_blob.c - the blob store: resume from the committed offset (also across
 * a restart), wrong offsets, dedup, hash mismatch, TTL collection of stagings
 * and unreferenced content, concurrent async appends, map growth.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "ins_sha256.h"
#include "helpers.h"
#include "ins_blob.h"
#include "ins_backup.h"
#include "store_impl.h"

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

/* Entries of blob table `bt` over all stripes. */
static size_t count_table(ins_store *s, int bt)
{
    size_t n = 0;
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++) {
        MDB_txn *txn;
        MDB_stat st;
        ck_assert_int_eq(ins__env_rd_begin(&s->bs[i].env, &txn), 0);
        ck_assert_int_eq(mdb_stat(txn, s->bs[i].dbi[bt], &st), 0);
        ins__env_rd_end(&s->bs[i].env, txn);
        n += st.ms_entries;
    }
    return n;
}

START_TEST(test_blob_resume_from_committed_offset)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    static uint8_t data[300000], back[300000];
    uint8_t sha[32], got[32];
    uint64_t off = 99, total;
    fill(data, sizeof(data), 1);
    ins_sha256(data, sizeof(data), sha);
    ck_assert_int_eq(ins_blob_stage_begin(s, "up-1", sizeof(data), sha, &off), 0);
    ck_assert_uint_eq(off, 0);
    ck_assert_int_eq(ins_blob_append(s, "up-1", 0, data, 100000, &off), 0);
    ck_assert_uint_eq(off, 100000);
    ck_assert_int_eq(ins_blob_append(s, "up-1", 100000, data + 100000, 50000, &off), 0);
    ins_store_close(s); /* disconnect + restart */
    s = open_store(dir);
    ck_assert_int_eq(ins_blob_status(s, "up-1", &off, &total), 0);
    ck_assert_uint_eq(off, 150000);
    ck_assert_uint_eq(total, sizeof(data));
    ck_assert_int_eq(ins_blob_stage_begin(s, "up-1", sizeof(data), sha, &off), 0);
    ck_assert_uint_eq(off, 150000);
    ck_assert_int_eq(ins_blob_append(s, "up-1", 100000, data + 100000, 10, &off), INS_EOFFSET);
    ck_assert_uint_eq(off, 150000);
    ck_assert_int_eq(ins_blob_finish(s, "up-1", got), INS_ESTATE);
    ck_assert_int_eq(ins_blob_append(s, "up-1", 150000, data + 150000, 150001, &off), INS_ETOOBIG);
    ck_assert_int_eq(ins_blob_append(s, "up-1", 150000, data + 150000, 150000, &off), 0);
    ck_assert_int_eq(ins_blob_finish(s, "up-1", got), 0); /* re-hashed from disk */
    ck_assert_int_eq(memcmp(got, sha, 32), 0);
    ck_assert_int_eq(ins_blob_status(s, "up-1", &off, NULL), INS_ENOTFOUND);
    size_t n;
    ck_assert_int_eq(ins_blob_read(s, sha, 0, back, sizeof(back), &n), 0);
    ck_assert_uint_eq(n, sizeof(data));
    ck_assert_int_eq(memcmp(back, data, n), 0);
    ck_assert_int_eq(ins_blob_read(s, sha, 123457, back, 1000, &n), 0); /* mid-chunk */
    ck_assert_uint_eq(n, 1000);
    ck_assert_int_eq(memcmp(back, data + 123457, n), 0);
    ck_assert_int_eq(ins_blob_read(s, sha, sizeof(data) - 5, back, 1000, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(ins_blob_append(s, "nope", 0, data, 1, NULL), INS_ENOTFOUND);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

static void upload(ins_store *s, const char *id, const uint8_t *d, size_t n, size_t chunk,
                   uint8_t sha[32])
{
    uint64_t off;
    ins_sha256(d, n, sha);
    ck_assert_int_eq(ins_blob_stage_begin(s, id, n, sha, &off), 0);
    for (; off < n; off += chunk) {
        size_t l = n - off < chunk ? n - off : chunk;
        ck_assert_int_eq(ins_blob_append(s, id, off, d + off, l, NULL), 0);
    }
    uint8_t got[32];
    ck_assert_int_eq(ins_blob_finish(s, id, got), 0);
    ck_assert_int_eq(memcmp(got, sha, 32), 0);
}

START_TEST(test_blob_upload_id_check_limits)
{
    char id[INS_UPLOAD_ID_MAX + 2];
    memset(id, 'a', sizeof id - 1);
    id[INS_UPLOAD_ID_MAX] = '\0';
    ck_assert_int_eq(ins_upload_id_check(id, 0), 0);
    ck_assert_int_eq(ins_upload_id_check(id, 1), INS_EINVAL);
    ck_assert_int_eq(ins_upload_id_check(id + 10, 10), 0);
    ck_assert_int_eq(ins_upload_id_check(id + 10, 11), INS_EINVAL);
    ck_assert_int_eq(ins_upload_id_check("x", INS_UPLOAD_ID_MAX), INS_EINVAL);
    ck_assert_int_eq(ins_upload_id_check("x", (size_t)-1), INS_EINVAL);
    ck_assert_int_eq(ins_upload_id_check("", 0), INS_EINVAL);
    ck_assert_int_eq(ins_upload_id_check(NULL, 0), INS_EINVAL);
    id[INS_UPLOAD_ID_MAX] = 'a';
    id[INS_UPLOAD_ID_MAX + 1] = '\0';
    ck_assert_int_eq(ins_upload_id_check(id, 0), INS_EINVAL);
    /* the store refuses what the check refuses */
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint8_t sha[32] = {0};
    ck_assert_int_eq(ins_blob_stage_begin(s, id, 10, sha, NULL), INS_EINVAL);
    ck_assert_int_eq(ins_blob_status(s, "", NULL, NULL), INS_EINVAL);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_blob_chunk_fits_declared_size)
{
    ck_assert_int_eq(ins_blob_chunk_fits(100, 0, 100), 0);
    ck_assert_int_eq(ins_blob_chunk_fits(100, 40, 60), 0);
    ck_assert_int_eq(ins_blob_chunk_fits(100, 40, 61), INS_ETOOBIG);
    ck_assert_int_eq(ins_blob_chunk_fits(100, 101, 0), INS_ETOOBIG);
    ck_assert_int_eq(ins_blob_chunk_fits(100, 1, UINT64_MAX), INS_ETOOBIG); /* no wrap-around */
    ck_assert_int_eq(ins_blob_chunk_fits(UINT64_MAX, UINT64_MAX, 1), INS_ETOOBIG);
}
END_TEST

START_TEST(test_blob_same_content_stored_once)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    static uint8_t data[200000];
    uint8_t a[32], b[32];
    fill(data, sizeof(data), 2);
    upload(s, "first", data, sizeof(data), 65536, a);
    size_t chunks = count_table(s, BT_CHUNK);
    upload(s, "second", data, sizeof(data), 30000, b);
    ck_assert_int_eq(memcmp(a, b, 32), 0);
    ck_assert_uint_eq(count_table(s, BT_CONTENT), 1);
    ck_assert_uint_eq(count_table(s, BT_CHUNK), chunks);
    ck_assert_uint_eq(count_table(s, BT_STAGE), 0);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_blob_hash_mismatch_is_data_loss)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint8_t data[5000], sha[32];
    fill(data, sizeof(data), 3);
    ins_sha256(data, sizeof(data), sha);
    sha[0] ^= 1;
    ck_assert_int_eq(ins_blob_stage_begin(s, "bad", sizeof(data), sha, NULL), 0);
    ck_assert_int_eq(ins_blob_append(s, "bad", 0, data, sizeof(data), NULL), 0);
    ck_assert_int_eq(ins_blob_finish(s, "bad", NULL), INS_EDATALOSS);
    ck_assert_int_eq(ins_blob_status(s, "bad", NULL, NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins_blob_stat(s, sha, NULL), INS_ENOTFOUND);
    ck_assert_uint_eq(count_table(s, BT_CHUNK), 0);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_blob_stage_reuse_with_other_params_refused)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint8_t sha[32] = {1};
    ck_assert_int_eq(ins_blob_stage_begin(s, "u", 10, sha, NULL), 0);
    ck_assert_int_eq(ins_blob_stage_begin(s, "u", 11, sha, NULL), INS_EREUSED);
    sha[1] = 1;
    ck_assert_int_eq(ins_blob_stage_begin(s, "u", 10, sha, NULL), INS_EREUSED);
    ck_assert_int_eq(ins_blob_stage_begin(s, "", 10, sha, NULL), INS_EINVAL);
    ck_assert_int_eq(ins_blob_abort(s, "u"), 0);
    ck_assert_int_eq(ins_blob_abort(s, "u"), INS_ENOTFOUND);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

static _Atomic uint64_t fake_now = 1700000000ULL * 1000000000ULL;
static uint64_t fake_clock(void *arg)
{
    return atomic_load(&fake_now);
}

static int ref_apply(ins_wtxn *t, void *arg)
{
    return ins_wtxn_blob_ref(t, arg);
}

static int unref_apply(ins_wtxn *t, void *arg)
{
    return ins_wtxn_blob_unref(t, arg);
}

START_TEST(test_blob_ttl_collects_stale_and_unreferenced)
{
    char *dir = tmp_dir();
    ins_store_options o = test_options(dir);
    o.clock_ns = fake_clock;
    o.upload_ttl_s = 3600;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    uint8_t d1[1000], d2[2000], h1[32], h2[32], hs[32] = {9};
    fill(d1, sizeof(d1), 4);
    fill(d2, sizeof(d2), 5);
    upload(s, "a", d1, sizeof(d1), 300, h1);
    upload(s, "b", d2, sizeof(d2), 300, h2);
    ck_assert_int_eq(ins_store_exec(s, ref_apply, h1), 0);
    ck_assert_int_eq(ins_store_exec(s, ref_apply, hs), INS_ENOTFOUND); /* must exist */
    ck_assert_int_eq(ins_blob_stage_begin(s, "stale", 100, hs, NULL), 0);
    ck_assert_int_eq(ins_blob_append(s, "stale", 0, d1, 50, NULL), 0);
    ck_assert_int_eq(ins_store_sweep(s), 0); /* nothing old enough */
    ck_assert_int_eq(ins_blob_status(s, "stale", NULL, NULL), 0);
    ck_assert_int_eq(ins_blob_stat(s, h2, NULL), 0);
    atomic_fetch_add(&fake_now, 3601ULL * 1000000000ULL);
    ck_assert_int_eq(ins_store_sweep(s), 0);
    ck_assert_int_eq(ins_blob_status(s, "stale", NULL, NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins_blob_stat(s, h2, NULL), INS_ENOTFOUND); /* unreferenced */
    ck_assert_int_eq(ins_blob_stat(s, h1, NULL), 0);             /* referenced */
    ck_assert_int_eq(ins_store_exec(s, unref_apply, h1), 0);
    ck_assert_int_eq(ins_store_exec(s, unref_apply, h1), INS_ENOTFOUND);
    ck_assert_int_eq(ins_store_sweep(s), 0); /* zero only just now */
    ck_assert_int_eq(ins_blob_stat(s, h1, NULL), 0);
    atomic_fetch_add(&fake_now, 3601ULL * 1000000000ULL);
    ck_assert_int_eq(ins_store_sweep(s), 0);
    ck_assert_int_eq(ins_blob_stat(s, h1, NULL), INS_ENOTFOUND);
    ck_assert_uint_eq(count_table(s, BT_CHUNK), 0);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

#define UPLOADS 8
#define CHUNK   65536
#define CHUNKS  12

typedef struct async_up {
    ins_store *s;
    char id[16];
    uint8_t *data;
    uint8_t sha[32];
    sem_t done;
    int err;
    uint64_t committed;
} async_up;

static void async_cb(void *arg, int err, uint64_t committed)
{
    async_up *u = arg;
    u->err = err;
    u->committed = committed;
    sem_post(&u->done);
}

static void *async_thread(void *arg)
{
    async_up *u = arg;
    for (uint64_t off = 0; off < CHUNK * CHUNKS; off += CHUNK) {
        int rc;
        while ((rc = ins_blob_append_async(u->s, u->id, off, u->data + off, CHUNK, async_cb, u)) ==
               INS_EBUSY)
            usleep(100);
        ck_assert_int_eq(rc, 0);
        sem_wait(&u->done);
        ck_assert_int_eq(u->err, 0);
        ck_assert_uint_eq(u->committed, off + CHUNK);
    }
    return NULL;
}

/* Opens a store whose first map is 256 KiB and runs UPLOADS uploads of
 * CHUNKS chunks each through async appends, one thread each, which makes the
 * blob maps grow under them. The uploads are staged, not finished. */
static ins_store *async_uploads_grow_map(const char *dir, async_up *u)
{
    ins_store_options o = test_options(dir);
    o.initial_map_bytes = 256 << 10;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    pthread_t th[UPLOADS];
    for (int i = 0; i < UPLOADS; i++) {
        u[i].s = s;
        snprintf(u[i].id, sizeof(u[i].id), "async-%d", i);
        u[i].data = malloc(CHUNK * CHUNKS);
        fill(u[i].data, CHUNK * CHUNKS, 10 + (unsigned)i);
        ins_sha256(u[i].data, CHUNK * CHUNKS, u[i].sha);
        sem_init(&u[i].done, 0, 0);
        ck_assert_int_eq(ins_blob_stage_begin(s, u[i].id, CHUNK * CHUNKS, u[i].sha, NULL), 0);
    }
    for (int i = 0; i < UPLOADS; i++)
        pthread_create(&th[i], NULL, async_thread, &u[i]);
    for (int i = 0; i < UPLOADS; i++)
        pthread_join(th[i], NULL);
    size_t blobs;
    ins_store_map_sizes(s, NULL, &blobs);
    ck_assert_uint_gt(blobs, 256 << 10);
    return s;
}

/* Finishes upload u and checks the hash it answers. */
static void finish_async_upload(ins_store *s, async_up *u)
{
    uint8_t got[32];
    ck_assert_int_eq(ins_blob_finish(s, u->id, got), 0);
    ck_assert_int_eq(memcmp(got, u->sha, 32), 0);
    free(u->data);
}

START_TEST(test_blob_concurrent_async_appends_grow_map)
{
    char *dir = tmp_dir();
    static async_up u[UPLOADS];
    ins_store *s = async_uploads_grow_map(dir, u);
    for (int i = 0; i < UPLOADS; i++)
        finish_async_upload(s, &u[i]);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* An append that meets MDB_MAP_FULL is redone by the writer after the map
 * grows: it has not failed, so the upload's running hash stays trusted and
 * no finish re-hashes. A restart (no running hash) does re-hash, which shows
 * the count can move. */
START_TEST(test_blob_grow_during_upload_keeps_running_hash)
{
    char *dir = tmp_dir();
    static async_up u[UPLOADS];
    ins_store *s = async_uploads_grow_map(dir, u);
    for (int i = 0; i < UPLOADS - 1; i++)
        finish_async_upload(s, &u[i]);
    ck_assert_uint_eq(ins_blob_rehashes(s), 0);
    ins_store_close(s);
    s = open_store(dir);
    finish_async_upload(s, &u[UPLOADS - 1]);
    ck_assert_uint_eq(ins_blob_rehashes(s), 1);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* Chunks of many sizes (each stored as a page-aligned body plus a small
 * tail, written straight into the data file) read back byte for byte, before
 * and after a restart, including reads across body/tail boundaries; a retried
 * append after a wrong offset keeps the running hash usable. */
START_TEST(test_blob_chunk_sizes_read_back_across_restart)
{
    static const size_t sizes[] = {65536, 1, 3000, 4080, 4096, 8191, 70000, 65520, 131072, 5};
    enum { N = sizeof(sizes) / sizeof(sizes[0]) };
    size_t total = 0;
    for (int i = 0; i < N; i++)
        total += sizes[i];
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint8_t *data = malloc(total), *back = malloc(total), sha[32], got[32];
    uint64_t off = 0;
    size_t n;
    fill(data, total, 77);
    ins_sha256(data, total, sha);
    ck_assert_int_eq(ins_blob_stage_begin(s, "sizes", total, sha, &off), 0);
    for (int i = 0; i < N; i++) {
        uint64_t at = off;
        ck_assert_int_eq(ins_blob_append(s, "sizes", at, data + at, sizes[i], &off), 0);
        ck_assert_uint_eq(off, at + sizes[i]);
        if (i == 3) { /* a stale retry of the chunk just committed */
            ck_assert_int_eq(ins_blob_append(s, "sizes", at, data + at, sizes[i], &off),
                             INS_EOFFSET);
            ck_assert_uint_eq(off, at + sizes[i]);
        }
    }
    ck_assert_int_eq(ins_blob_finish(s, "sizes", got), 0);
    ck_assert_int_eq(memcmp(got, sha, 32), 0);
    for (int round = 0; round < 2; round++) {
        memset(back, 0, total);
        ck_assert_int_eq(ins_blob_read(s, sha, 0, back, total, &n), 0);
        ck_assert_uint_eq(n, total);
        ck_assert_int_eq(memcmp(back, data, total), 0);
        for (size_t at = 65500; at < total; at += 4093) { /* straddles chunk parts */
            size_t want = total - at < 100 ? total - at : 100;
            ck_assert_int_eq(ins_blob_read(s, sha, at, back, 100, &n), 0);
            ck_assert_uint_eq(n, want);
            ck_assert_int_eq(memcmp(back, data + at, n), 0);
        }
        ins_store_close(s);
        s = open_store(dir);
    }
    ins_store_close(s);
    free(data);
    free(back);
    rm_dir(dir);
}
END_TEST

/* Stagings of stripe i (0 when the stripe is missing). */
static size_t stagings_in(ins_store *s, unsigned i)
{
    MDB_txn *txn;
    MDB_stat st;
    ck_assert_int_eq(ins__env_rd_begin(&s->bs[i].env, &txn), 0);
    ck_assert_int_eq(mdb_stat(txn, s->bs[i].dbi[BT_STAGE], &st), 0);
    ins__env_rd_end(&s->bs[i].env, txn);
    return st.ms_entries;
}

static void swap_dirs(const char *dir, const char *a, const char *b)
{
    char pa[600], pb[600], pt[600];
    snprintf(pa, sizeof(pa), "%s/%s", dir, a);
    snprintf(pb, sizeof(pb), "%s/%s", dir, b);
    snprintf(pt, sizeof(pt), "%s/swap-tmp", dir);
    ck_assert_int_eq(rename(pa, pt), 0);
    ck_assert_int_eq(rename(pb, pa), 0);
    ck_assert_int_eq(rename(pt, pb), 0);
}

/* Uploads spread over the blob stripes, each staging in one stripe with its
 * chunks. Stagings and content found outside their home stripe (a store made
 * with fewer stripes; here the stripe folders are swapped) resume from their
 * committed offset, are re-staged idempotently where they are (never a second
 * staging in the home stripe), finish, read back, and survive backup and
 * restore, which copy every stripe. */
START_TEST(test_blob_stripes_resume_outside_home_stripe)
{
    enum { U = 24, SZ = 40000 };
    char *dir = tmp_dir(), *bak = tmp_dir(), *dst = tmp_dir(), id[32], path[600];
    ins_store *s = open_store(dir);
    static uint8_t data[U][SZ], back[SZ];
    uint8_t sha[U][32], got[32];
    uint64_t off;
    size_t n;
    for (int u = 0; u < U; u++) {
        fill(data[u], SZ, 100 + (unsigned)u);
        ins_sha256(data[u], SZ, sha[u]);
        snprintf(id, sizeof(id), "stripe-%d", u);
        ck_assert_int_eq(ins_blob_stage_begin(s, id, SZ, sha[u], &off), 0);
        ck_assert_int_eq(ins_blob_append(s, id, 0, data[u], 10000 + 1000 * (size_t)u, &off), 0);
        if (u < 2) { /* finished before the swap */
            ck_assert_int_eq(ins_blob_append(s, id, off, data[u] + off, SZ - off, &off), 0);
            ck_assert_int_eq(ins_blob_finish(s, id, got), 0);
        }
    }
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++)
        ck_assert_uint_gt(stagings_in(s, i), 0); /* every writer had work */
    ck_assert_uint_eq(count_table(s, BT_STAGE), U - 2);
    ins_store_close(s);
    swap_dirs(dir, "blobs", "blobs-1");
    s = open_store(dir);
    for (int u = 2; u < U; u++) {
        uint64_t total, want = 10000 + 1000 * (uint64_t)u;
        snprintf(id, sizeof(id), "stripe-%d", u);
        ck_assert_int_eq(ins_blob_status(s, id, &off, &total), 0);
        ck_assert_uint_eq(off, want);
        ck_assert_uint_eq(total, SZ);
        ck_assert_int_eq(ins_blob_stage_begin(s, id, SZ, sha[u], &off), 0);
        ck_assert_uint_eq(off, want);
        ck_assert_int_eq(ins_blob_append(s, id, 0, data[u], 5, &off), INS_EOFFSET);
        ck_assert_uint_eq(off, want);
        ck_assert_int_eq(ins_blob_append(s, id, off, data[u] + off, SZ - off, &off), 0);
    }
    ck_assert_uint_eq(count_table(s, BT_STAGE), U - 2);
    for (int u = 2; u < U; u++) {
        snprintf(id, sizeof(id), "stripe-%d", u);
        ck_assert_int_eq(ins_blob_finish(s, id, got), 0);
        ck_assert_int_eq(memcmp(got, sha[u], 32), 0);
    }
    ck_assert_uint_eq(count_table(s, BT_STAGE), 0);
    ck_assert_uint_eq(count_table(s, BT_CONTENT), U);
    for (int u = 0; u < U; u++)
        ck_assert_int_eq(ins_store_exec(s, ref_apply, sha[u]), 0);
    ins_store_close(s);
    snprintf(path, sizeof(path), "%s/copy", bak);
    ck_assert_int_eq(ins_store_backup(dir, path, NULL), 0);
    ck_assert_int_eq(ins_store_restore(path, dst, NULL), 0);
    s = open_store(dst);
    for (int u = 0; u < U; u++) {
        ck_assert_int_eq(ins_blob_read(s, sha[u], 0, back, SZ, &n), 0);
        ck_assert_uint_eq(n, SZ);
        ck_assert_int_eq(memcmp(back, data[u], SZ), 0);
    }
    ins_store_close(s);
    rm_dir(dir);
    rm_dir(bak);
    rm_dir(dst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blob");
    ADD_TEST(s, test_blob_resume_from_committed_offset);
    ADD_TEST(s, test_blob_upload_id_check_limits);
    ADD_TEST(s, test_blob_chunk_fits_declared_size);
    ADD_TEST(s, test_blob_same_content_stored_once);
    ADD_TEST(s, test_blob_hash_mismatch_is_data_loss);
    ADD_TEST(s, test_blob_stage_reuse_with_other_params_refused);
    ADD_TEST(s, test_blob_ttl_collects_stale_and_unreferenced);
    ADD_TEST(s, test_blob_concurrent_async_appends_grow_map);
    ADD_TEST(s, test_blob_grow_during_upload_keeps_running_hash);
    ADD_TEST(s, test_blob_chunk_sizes_read_back_across_restart);
    ADD_TEST(s, test_blob_stripes_resume_outside_home_stripe);
    return run_suite(s);
}
