/*
 * env.c - one LMDB environment with a self-growing map.
 *
 * LMDB cannot remap while any transaction of this process uses the map, so
 * every transaction holds the environment's resize lock on the read side and
 * the writer takes it on the write side, between transactions, to double the
 * map (up to the configured maximum) when a write met MDB_MAP_FULL.
 */
#include "store_impl.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int ins__env_open(ins_env *e, const char *path, unsigned flags, size_t init, size_t max,
                  unsigned maxdbs)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    int rc;

    e->env = NULL;
    e->nested = !(flags & MDB_WRITEMAP);
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return errno;
    init = (init + page - 1) / page * page;
    max = max / page * page;
    if (max < init)
        max = init;
    e->maxsize = max;
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
    MDB_envinfo info;
    mdb_env_info(e->env, &info);
    e->mapsize = info.me_mapsize;
    if (e->maxsize < e->mapsize)
        e->maxsize = e->mapsize;
    return 0;
fail:
    if (e->env)
        mdb_env_close(e->env);
    e->env = NULL;
    pthread_rwlock_destroy(&e->resize);
    return rc;
}

void ins__env_close(ins_env *e)
{
    if (!e->env)
        return;
    mdb_env_close(e->env);
    e->env = NULL;
    pthread_rwlock_destroy(&e->resize);
}

int ins__env_grow(ins_env *e)
{
    int rc = 0;
    pthread_rwlock_wrlock(&e->resize);
    if (e->mapsize >= e->maxsize) {
        rc = INS_EFULL;
    } else {
        size_t next = e->mapsize > e->maxsize / 2 ? e->maxsize : e->mapsize * 2;
        rc = mdb_env_set_mapsize(e->env, next);
        if (rc == 0)
            e->mapsize = next;
    }
    pthread_rwlock_unlock(&e->resize);
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
