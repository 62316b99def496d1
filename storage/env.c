/*
 * env.c - one LMDB environment with a self-growing map, within the store's
 * one space budget, that never meets a full disk through its map.
 *
 * LMDB cannot remap while any transaction of this process uses the map, so
 * every transaction holds the environment's resize lock on the read side and
 * the writer takes it on the write side, between transactions, to grow the
 * map when a write met MDB_MAP_FULL. Every map of a store draws on one budget
 * (ins_space, --max-store-bytes): a grow takes what it adds from it and
 * fails with INS_EFULL once it is spent.
 *
 * A blob stripe is opened with MDB_WRITEMAP: LMDB writes its pages through
 * the map into a file it has only ftruncate'd, and a page of a sparse file
 * that the filesystem cannot back is a SIGBUS, not an error (on tmpfs even a
 * read of a hole allocates). So every data file is reserved with
 * posix_fallocate to the full size of its map before any transaction writes
 * it: at open, and at every grow before the map is enlarged. Meta (pwrite,
 * no WRITEMAP) is reserved too: a full disk there shows as a short write,
 * which LMDB reports as EIO. A reservation that fails (ENOSPC) leaves the
 * map as it was and the write that needed room fails with ENOSPC; the next
 * one tries again, so writes resume by themselves once space returns, and
 * no write inside a map ever meets a full disk.
 */
#include "store_impl.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int ins__env_io_err(int rc)
{
    if (rc == EDQUOT)
        return ENOSPC;
    if (rc == MDB_MAP_FULL)
        return INS_EFULL;
    return rc;
}

static size_t page_size(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    return pg > 0 ? (size_t)pg : 4096;
}

/* Reserves bytes [from, to) of the data file. 0 or errno; on failure the
 * file keeps the size it had (a partial reservation is released). */
static int reserve(ins_env *e, size_t from, size_t to)
{
    struct stat st;
    int fd, rc;
    if (to <= from)
        return 0;
    if ((rc = mdb_env_get_fd(e->env, &fd)) != 0)
        return rc;
    if (fstat(fd, &st) != 0)
        return errno;
    do
        rc = posix_fallocate(fd, (off_t)from, (off_t)(to - from));
    while (rc == EINTR);
    if (rc == EOPNOTSUPP || rc == EINVAL)
        return 0; /* no fallocate here: LMDB's sparse file, as before */
    if (rc && ftruncate(fd, st.st_size) != 0) {
        /* still larger: harmless, nothing past the map is ever used */
    }
    return ins__env_io_err(rc);
}

/* LMDB's lock file is a shared map too (the reader table): it is reserved
 * before LMDB opens it, as it keeps a larger file and its reader slots. This
 * runs before LMDB holds any lock on it, so closing our descriptor drops
 * none of LMDB's fcntl locks. 0 or errno (ENOSPC). */
#define LOCK_FILE_BYTES 16384 /* >= LMDB's 126 default reader slots */
static int reserve_lock_file(const char *dir)
{
    char p[4096];
    int fd, rc;
    if ((size_t)snprintf(p, sizeof(p), "%s/lock.mdb", dir) >= sizeof(p))
        return ENAMETOOLONG;
    if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
        return errno;
    do
        rc = posix_fallocate(fd, 0, LOCK_FILE_BYTES);
    while (rc == EINTR);
    close(fd);
    return rc == EOPNOTSUPP || rc == EINVAL ? 0 : ins__env_io_err(rc);
}

/* After mdb_env_open: reserves the map, or shrinks it to what can be
 * reserved (halving, down to the pages in use) when the disk is full. */
static int reserve_at_open(ins_env *e, size_t page)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(e->env, &info);
    mdb_env_stat(e->env, &st);
    size_t used = ((size_t)info.me_last_pgno + 1) * st.ms_psize;
    size_t size = info.me_mapsize;
    int rc;
    for (;;) {
        if ((rc = reserve(e, 0, size)) != ENOSPC || size <= used)
            break;
        size = (size / 2 < used ? used : size / 2 + page - 1) / page * page;
        if ((rc = mdb_env_set_mapsize(e->env, size)) != 0)
            break;
    }
    mdb_env_info(e->env, &info);
    e->mapsize = info.me_mapsize;
    return rc;
}

int ins__env_open(ins_env *e, const char *path, unsigned flags, size_t init, ins_space *space,
                  unsigned maxdbs)
{
    size_t page = page_size();
    int rc;

    e->env = NULL;
    e->space = space;
    e->failed = 0;
    e->nested = !(flags & MDB_WRITEMAP);
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return errno;
    if ((rc = reserve_lock_file(path)) != 0)
        return rc;
    /* A file reserved to a larger map by an earlier run keeps that size on
     * disk: open with it, so the budget charges what the disk holds (LMDB
     * would take only max(init, the pages in use)). */
    char data[PATH_MAX];
    struct stat fst;
    if (snprintf(data, sizeof data, "%s/data.mdb", path) < (int)sizeof data &&
        stat(data, &fst) == 0 && (size_t)fst.st_size > init)
        init = (size_t)fst.st_size;
    init = (init + page - 1) / page * page;
    if ((rc = pthread_rwlock_init(&e->resize, NULL)) != 0)
        return rc;
    if ((rc = mdb_env_create(&e->env)) != 0)
        goto fail;
    if ((rc = mdb_env_set_maxdbs(e->env, maxdbs)) != 0)
        goto fail;
    if ((rc = mdb_env_set_mapsize(e->env, init)) != 0)
        goto fail;
    if ((rc = mdb_env_open(e->env, path, flags | MDB_NOTLS, 0640)) != 0)
        goto fail;
    int dead = 0;
    if ((rc = mdb_reader_check(e->env, &dead)) != 0)
        goto fail;
    if ((rc = reserve_at_open(e, page)) != 0)
        goto fail;
    pthread_mutex_lock(&space->mu);
    space->reserved += e->mapsize;
    pthread_mutex_unlock(&space->mu);
    return 0;
fail:
    if (e->env)
        mdb_env_close(e->env);
    e->env = NULL;
    pthread_rwlock_destroy(&e->resize);
    return ins__env_io_err(rc);
}

void ins__env_close(ins_env *e)
{
    if (!e->env)
        return;
    mdb_env_close(e->env);
    e->env = NULL;
    pthread_mutex_lock(&e->space->mu);
    e->space->reserved -= e->space->reserved < e->mapsize ? e->space->reserved : e->mapsize;
    pthread_mutex_unlock(&e->space->mu);
    pthread_rwlock_destroy(&e->resize);
}

int ins__env_grow(ins_env *e)
{
    ins_space *sp = e->space;
    size_t page = page_size(), step;
    int rc;

    pthread_mutex_lock(&sp->mu); /* claim the step from the budget */
    step = sp->limit > sp->reserved ? sp->limit - sp->reserved : 0;
    if (step > e->mapsize)
        step = e->mapsize;
    step = step / page * page;
    sp->reserved += step;
    pthread_mutex_unlock(&sp->mu);
    if (step == 0)
        return INS_EFULL;

    pthread_rwlock_wrlock(&e->resize);
    size_t next = e->mapsize + step;
    rc = reserve(e, e->mapsize, next);
    if (rc == 0 && (rc = mdb_env_set_mapsize(e->env, next)) == 0)
        e->mapsize = next;
    pthread_rwlock_unlock(&e->resize);
    if (rc) {
        pthread_mutex_lock(&sp->mu);
        sp->reserved -= step;
        pthread_mutex_unlock(&sp->mu);
    }
    return rc;
}

int ins__env_rd_begin(ins_env *e, MDB_txn **txn)
{
    pthread_rwlock_rdlock(&e->resize);
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, txn);
    if (rc)
        pthread_rwlock_unlock(&e->resize);
    return rc;
}

void ins__env_rd_end(ins_env *e, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&e->resize);
}
