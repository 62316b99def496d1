/*
 * test_disk.c - a full store, a full disk and failing disk writes (issue 15,
 * section 4): space and I/O failures are ordinary errors, reads go on, writes
 * come back by themselves once space returns, nothing acknowledged is lost
 * and the store opens cleanly afterwards.
 *
 * Faults are injected by interposing on the calls LMDB and the blob writer
 * make (msync, pwrite, pwritev, writev, fdatasync, fsync): this executable's
 * definitions take precedence over libc's for liblmdb too, and pass through
 * to the next definition (dlsym RTLD_NEXT) when no fault is armed. Check
 * forks each test, so the armed fault is the test's own. The full-disk test
 * mounts a small tmpfs (root only; skipped with a message otherwise).
 */
#include "ins_sha256.h"
#include "helpers.h"
#include "ins_audit.h"
#include "ins_blob.h"
#include "store_impl.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* ---- the fault shim ---- */

enum fault_site {
    F_NONE,
    F_DATA_WRITE, /* pwrite of pages or chunk bodies, writev, pwritev */
    F_META_WRITE, /* LMDB's pwrite of a meta page (meta, not WRITEMAP) */
    F_DATASYNC,   /* fdatasync, fsync (meta's commit sync) */
    F_MAP_SYNC,   /* msync(MS_SYNC) of a whole map (a stripe's commit) */
    F_MAP_META,   /* msync(MS_SYNC) of one page: a stripe's meta page */
};
static atomic_int fault_site, fault_errno, fault_left, fault_hits;

static void arm(int site, int err, int times)
{
    atomic_store(&fault_errno, err);
    atomic_store(&fault_left, times);
    atomic_store(&fault_hits, 0);
    atomic_store(&fault_site, site);
}

static void disarm(void)
{
    atomic_store(&fault_site, F_NONE);
}

/* Should this call at `site` fail? Sets errno when it should. */
static int fault(int site)
{
    if (atomic_load(&fault_site) != site)
        return 0;
    if (atomic_fetch_sub(&fault_left, 1) <= 0)
        return 0;
    atomic_fetch_add(&fault_hits, 1);
    errno = atomic_load(&fault_errno);
    return 1;
}

#define REAL(name)                                                                                 \
    static __typeof__(&name) real_##name;                                                          \
    if (!real_##name)                                                                              \
        real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name);

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(pwrite)
    if (fault(n < 512 ? F_META_WRITE : F_DATA_WRITE))
        return -1;
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    REAL(writev)
    if (fault(F_DATA_WRITE))
        return -1;
    return real_writev(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    REAL(pwritev)
    if (fault(F_DATA_WRITE))
        return -1;
    return real_pwritev(fd, iov, n, off);
}

int fdatasync(int fd)
{
    REAL(fdatasync)
    if (fault(F_DATASYNC))
        return -1;
    return real_fdatasync(fd);
}

int fsync(int fd)
{
    REAL(fsync)
    if (fault(F_DATASYNC))
        return -1;
    return real_fsync(fd);
}

int msync(void *addr, size_t len, int flags)
{
    REAL(msync)
    if ((flags & MS_SYNC) && fault(len <= 4096 ? F_MAP_META : F_MAP_SYNC))
        return -1;
    return real_msync(addr, len, flags);
}

/* ---- helpers ---- */

static int put_rec(ins_store *s, const char *key)
{
    kv p = {key, "value"};
    return ins_store_exec(s, put_apply, &p);
}

/* Uploads `len` bytes of `seed` as upload `id`; 0 or the first error.
 * sha (optional) receives the content's hash. */
static int upload(ins_store *s, const char *id, size_t len, int seed, uint8_t sha[32])
{
    uint8_t *buf = malloc(len), h[32];
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 31 + (size_t)seed);
    ins_sha256(buf, len, h);
    uint64_t off = 0;
    int rc = ins_blob_stage_begin(s, id, len, h, &off);
    while (rc == 0 && off < len) {
        size_t n = len - off < 65536 ? len - off : 65536;
        rc = ins_blob_append(s, id, off, buf + off, n, &off);
    }
    if (rc == 0)
        rc = ins_blob_finish(s, id, NULL);
    if (sha)
        memcpy(sha, h, 32);
    free(buf);
    return rc;
}

static int is_root_tmpfs(const char *dir, const char *size)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_disk: not root, the full-disk test is skipped\n");
        return 0;
    }
    char opts[64];
    snprintf(opts, sizeof(opts), "size=%s", size);
    /* in a mount namespace of this (forked) test: gone when it exits */
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        fprintf(stderr, "test_disk: no mount namespace (%s), skipped\n", strerror(errno));
        return 0;
    }
    if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0) {
        fprintf(stderr, "test_disk: cannot mount a tmpfs (%s), skipped\n", strerror(errno));
        return 0;
    }
    return 1;
}

/* ---- a full tmpfs under concurrent uploads and writes ---- */

typedef struct worker {
    ins_store *s;
    int idx, ok, err, bad;
    pthread_t th;
} worker;

static int space_err(int rc)
{
    return rc == ENOSPC || rc == INS_EFULL;
}

/* Counts one write of `w`: acknowledged, refused for space, or anything
 * else (a failure of the test). Returns `rc`. */
static int tally(worker *w, int rc)
{
    if (rc == 0)
        w->ok++;
    else if (space_err(rc))
        w->err = rc;
    else
        w->bad = rc;
    return rc;
}

static void *uploader(void *arg)
{
    worker *w = arg;
    char id[32];
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof(id), "u%d-%d", w->idx, i);
        int rc = upload(w->s, id, 512 << 10, w->idx * 1000 + i, NULL);
        if (tally(w, rc) != 0)
            break;
    }
    return NULL;
}

static void *recorder(void *arg)
{
    worker *w = arg;
    char key[32], val[2048];
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof(key), "r%d-%06d", w->idx, i);
        kv p = {key, val};
        int rc = ins_store_exec(w->s, put_apply, &p);
        if (tally(w, rc) != 0)
            break;
    }
    return NULL;
}

START_TEST(test_disk_full_tmpfs_errors_then_recovers)
{
    char *dir = tmp_dir(), path[512], filler[512], buf[16];
    if (!is_root_tmpfs(dir, "24m")) {
        rm_dir(dir);
        return;
    }
    /* room the test frees later */
    snprintf(filler, sizeof(filler), "%s/filler", dir);
    int fd = open(filler, O_CREAT | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(posix_fallocate(fd, 0, 6 << 20), 0);
    close(fd);
    snprintf(path, sizeof(path), "%s/data", dir);
    ins_store_options o = test_options(path);
    o.max_store_bytes = 0; /* the default 64 GiB: only the disk limits */
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ck_assert_int_eq(put_rec(s, "first"), 0);
    uint8_t sha[32];
    ck_assert_int_eq(upload(s, "first", 100000, 7, sha), 0);

    worker w[6] = {{0}};
    for (int i = 0; i < 6; i++) {
        w[i].s = s;
        w[i].idx = i;
        ck_assert_int_eq(pthread_create(&w[i].th, NULL, i < 4 ? uploader : recorder, &w[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(w[i].th, NULL);
        ck_assert_msg(w[i].bad == 0, "worker %d: %s", i, ins_strerror(w[i].bad));
        ck_assert_msg(w[i].err == ENOSPC, "worker %d ended with %s", i, ins_strerror(w[i].err));
    }
    /* the disk is full: writes fail as errors, reads are served */
    worker more = {.s = s, .idx = 9};
    recorder(&more); /* what room the maps still had is used up */
    ck_assert_int_eq(more.bad, 0);
    ck_assert_int_eq(more.err, ENOSPC);
    ck_assert_int_eq(read_rec(s, "first", buf, sizeof(buf)), 0);
    size_t n = 0;
    ck_assert_int_eq(ins_blob_read(s, sha, 0, buf, sizeof(buf), &n), 0);
    ck_assert_uint_eq(n, sizeof(buf));

    /* space returns: writes come back without a restart */
    ck_assert_int_eq(unlink(filler), 0);
    ck_assert_int_eq(put_rec(s, "after"), 0);
    ck_assert_int_eq(upload(s, "after", 1 << 20, 9, NULL), 0);
    ins_store_close(s);

    /* and the store opens cleanly with everything acknowledged */
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ck_assert_int_eq(read_rec(s, "first", buf, sizeof(buf)), 0);
    ck_assert_int_eq(read_rec(s, "after", buf, sizeof(buf)), 0);
    ck_assert_int_eq(read_rec(s, "r4-000000", buf, sizeof(buf)), w[4].ok ? 0 : INS_ENOTFOUND);
    uint64_t bad;
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ins_store_close(s);
    ck_assert_int_eq(umount(dir), 0);
    rm_dir(dir);
}
END_TEST

/* ---- one --max-store-bytes for the whole data folder ---- */

static void *limit_uploader(void *arg)
{
    worker *w = arg;
    char id[32];
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "p%d-%d", w->idx, i);
        int rc = upload(w->s, id, 256 << 10, w->idx * 100 + i, NULL);
        if (rc == 0)
            w->ok++;
        else if (rc == INS_EFULL)
            w->err = rc;
        else
            w->bad = rc;
        if (rc && w->err && i > 0 && w->ok + 3 < i)
            break; /* a few refusals in a row: the store is full */
        if (w->bad)
            break;
    }
    return NULL;
}

/* The five data files of `dir` together: their allocated bytes on disk, or
 * (`apparent`) their sizes. */
static size_t files_bytes(const char *dir, int apparent)
{
    static const char *const envs[] = {"meta", "blobs", "blobs-1", "blobs-2", "blobs-3"};
    size_t sum = 0;
    char p[512];
    struct stat st;
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof(p), "%s/%s/data.mdb", dir, envs[i]);
        if (stat(p, &st) == 0)
            sum += apparent ? (size_t)st.st_size : (size_t)st.st_blocks * 512;
    }
    return sum;
}

static size_t disk_bytes(const char *dir)
{
    return files_bytes(dir, 0);
}

START_TEST(test_disk_one_limit_across_environments)
{
    char *dir = tmp_dir();
    ins_store_options o = test_options(dir);
    o.max_store_bytes = 8 << 20;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    worker w[4] = {{0}};
    for (int i = 0; i < 4; i++) {
        w[i].s = s;
        w[i].idx = i;
        ck_assert_int_eq(pthread_create(&w[i].th, NULL, limit_uploader, &w[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(w[i].th, NULL);
        ck_assert_msg(w[i].bad == 0, "uploader %d: %s", i, ins_strerror(w[i].bad));
        ck_assert_int_eq(w[i].err, INS_EFULL);
        ok += w[i].ok;
    }
    size_t used, limit;
    ins_store_space(s, &used, &limit);
    ck_assert_uint_eq(limit, 8 << 20);
    ck_assert_uint_le(used, 8 << 20);
    ck_assert_uint_le(disk_bytes(dir), 8 << 20); /* on disk, all five together */
    ck_assert_uint_le((size_t)ok * (256 << 10), 8 << 20);
    ck_assert_int_gt(ok, 8);                     /* and most of it usable */
    ck_assert_int_eq(put_rec(s, "meta-too"), 0); /* meta kept its own map */
    ins_store_close(s);
    /* reopened, the budget charges what the files hold, not the pages used */
    size_t files = files_bytes(dir, 1);
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ins_store_space(s, &used, &limit);
    ck_assert_uint_ge(used, files);
    ck_assert_uint_le(used, 8 << 20);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* ---- injected write and sync failures ---- */

/* Arms `site` to fail with `err` (`times` calls), then: the write answers
 * `err`, reads go on, the next write succeeds, and after a reopen the
 * acknowledged records are there and the failed one is not. */
static void check_batch_fails_alone(int site, int err, int times)
{
    char *dir = tmp_dir(), buf[16];
    ins_store *s = open_store(dir);
    ck_assert_int_eq(put_rec(s, "a"), 0);
    arm(site, err, times);
    ck_assert_int_eq(put_rec(s, "b"), err);
    ck_assert_int_gt(atomic_load(&fault_hits), 0);
    ck_assert_int_eq(read_rec(s, "a", buf, sizeof(buf)), 0);
    disarm();
    ck_assert_int_eq(put_rec(s, "c"), 0); /* the next batch retries */
    ins_store_close(s);
    s = open_store(dir);
    ck_assert_int_eq(read_rec(s, "a", buf, sizeof(buf)), 0);
    ck_assert_int_eq(read_rec(s, "b", buf, sizeof(buf)), INS_ENOTFOUND);
    ck_assert_int_eq(read_rec(s, "c", buf, sizeof(buf)), 0);
    uint64_t bad;
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ins_store_close(s);
    rm_dir(dir);
}

START_TEST(test_disk_meta_write_enospc_then_recovers)
{
    check_batch_fails_alone(F_DATA_WRITE, ENOSPC, 1000);
}
END_TEST

START_TEST(test_disk_meta_sync_eio_fails_batch_only)
{
    check_batch_fails_alone(F_DATASYNC, EIO, 1);
}
END_TEST

START_TEST(test_disk_meta_page_eio_stops_writes_until_reopen)
{
    char *dir = tmp_dir(), buf[16];
    ins_store *s = open_store(dir);
    ck_assert_int_eq(put_rec(s, "a"), 0);
    arm(F_META_WRITE, EIO, 1);
    ck_assert_int_eq(put_rec(s, "b"), EIO);
    disarm();
    ck_assert_int_eq(put_rec(s, "c"), MDB_PANIC); /* refused, never half-done */
    ck_assert_int_eq(put_rec(s, "d"), MDB_PANIC);
    ins_store_close(s);
    s = open_store(dir);
    ck_assert_int_eq(read_rec(s, "a", buf, sizeof(buf)), 0);
    ck_assert_int_eq(read_rec(s, "c", buf, sizeof(buf)), INS_ENOTFOUND);
    ck_assert_int_eq(put_rec(s, "e"), 0);
    uint64_t bad;
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_disk_blob_chunk_write_eio_then_resume)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint8_t data[200000], sha[32], got[32];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    ins_sha256(data, sizeof(data), sha);
    uint64_t off = 0, committed = 0;
    ck_assert_int_eq(ins_blob_stage_begin(s, "x", sizeof(data), sha, &off), 0);
    ck_assert_int_eq(ins_blob_append(s, "x", 0, data, 65536, &committed), 0);
    arm(F_DATA_WRITE, EIO, 1);
    ck_assert_int_eq(ins_blob_append(s, "x", 65536, data + 65536, 65536, &committed), EIO);
    ck_assert_int_eq(atomic_load(&fault_hits), 1);
    uint64_t total;
    ck_assert_int_eq(ins_blob_status(s, "x", &off, &total), 0);
    ck_assert_uint_eq(off, 65536); /* the status tells the truth */
    ck_assert_int_eq(ins_blob_append(s, "x", 65536, data + 65536, sizeof(data) - 65536, &off), 0);
    ck_assert_int_eq(ins_blob_finish(s, "x", got), 0);
    ck_assert_mem_eq(got, sha, 32);
    ins_store_close(s);
    s = open_store(dir);
    uint8_t back[1000];
    size_t n;
    ck_assert_int_eq(ins_blob_read(s, sha, 100000, back, sizeof(back), &n), 0);
    ck_assert_mem_eq(back, data + 100000, sizeof(back));
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_disk_blob_map_sync_enospc_then_resume)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint8_t data[131072], sha[32];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13);
    ins_sha256(data, sizeof(data), sha);
    uint64_t off = 0;
    ck_assert_int_eq(ins_blob_stage_begin(s, "y", sizeof(data), sha, &off), 0);
    arm(F_MAP_SYNC, ENOSPC, 1);
    ck_assert_int_eq(ins_blob_append(s, "y", 0, data, 65536, &off), ENOSPC);
    ck_assert_int_eq(ins_blob_append(s, "y", 0, data, sizeof(data), &off), 0);
    ck_assert_int_eq(ins_blob_finish(s, "y", NULL), 0);
    ins_store_close(s);
    s = open_store(dir);
    ck_assert_int_eq(ins_blob_stat(s, sha, NULL), 0);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_disk_blob_meta_page_eio_stops_stripe_until_reopen)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint8_t sha[32];
    ck_assert_int_eq(upload(s, "z0", 70000, 1, sha), 0);
    arm(F_MAP_META, EIO, 1);
    uint8_t data[1000] = {1}, h[32];
    ins_sha256(data, sizeof(data), h);
    ck_assert_int_eq(ins_blob_stage_begin(s, "z0", 70000, sha, NULL), EIO);
    disarm();
    ins_store_close(s);
    s = open_store(dir);
    ck_assert_int_eq(ins_blob_stat(s, sha, NULL), 0); /* acknowledged: still there */
    ck_assert_int_eq(upload(s, "z1", 70000, 2, NULL), 0);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *su = suite_create("disk");
    TCase *tc = tcase_create("disk");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_disk_full_tmpfs_errors_then_recovers);
    tcase_add_test(tc, test_disk_one_limit_across_environments);
    tcase_add_test(tc, test_disk_meta_write_enospc_then_recovers);
    tcase_add_test(tc, test_disk_meta_sync_eio_fails_batch_only);
    tcase_add_test(tc, test_disk_meta_page_eio_stops_writes_until_reopen);
    tcase_add_test(tc, test_disk_blob_chunk_write_eio_then_resume);
    tcase_add_test(tc, test_disk_blob_map_sync_enospc_then_resume);
    tcase_add_test(tc, test_disk_blob_meta_page_eio_stops_stripe_until_reopen);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
