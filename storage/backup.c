/*
 * backup.c - hot backup and restore (see ins_backup.h).
 *
 * The copy is made by LMDB itself (mdb_env_copy2 with MDB_CP_COMPACT) from a
 * read snapshot, so a running server is not disturbed. `blobs` is copied
 * before `meta`; afterwards every blob the copied meta references is looked
 * up in the copied blobs, and blobs is copied again if one finished between
 * the two copies.
 */
#include "store_impl.h"
#include "ins_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_TRIES 3

static int path_of(char *out, size_t n, const char *dir, const char *env, const char *file)
{
    int w =
        file ? snprintf(out, n, "%s/%s/%s", dir, env, file) : snprintf(out, n, "%s/%s", dir, env);
    return w < 0 || (size_t)w >= n ? ENAMETOOLONG : 0;
}

/* Copies environment `name` of data_dir into to_dir/name. */
static int copy_env(const char *data_dir, const char *to_dir, const char *name)
{
    char src[4096], dst[4096], file[4096];
    MDB_env *env = NULL;
    int rc;

    if ((rc = path_of(src, sizeof(src), data_dir, name, NULL)) != 0 ||
        (rc = path_of(dst, sizeof(dst), to_dir, name, NULL)) != 0 ||
        (rc = path_of(file, sizeof(file), src, "data.mdb", NULL)) != 0)
        return rc;
    if (access(file, R_OK) != 0)
        return errno;
    if (mkdir(dst, 0750) != 0 && errno != EEXIST)
        return errno;
    if ((rc = mdb_env_create(&env)) != 0)
        return rc;
    mdb_env_set_maxdbs(env, 16);
    rc = mdb_env_open(env, src, MDB_RDONLY | MDB_NOTLS, 0640);
    for (int i = 0; rc == 0 && i < COPY_TRIES; i++) {
        rc = mdb_env_copy2(env, dst, MDB_CP_COMPACT);
        if (rc != MDB_MAP_RESIZED)
            break;
        rc = mdb_env_set_mapsize(env, 0); /* adopt the server's larger map */
    }
    mdb_env_close(env);
    return rc == EEXIST ? INS_EEXIST : rc;
}

static int open_copy(const char *dir, const char *name, MDB_env **env)
{
    char p[4096];
    int rc = path_of(p, sizeof(p), dir, name, NULL);
    if (rc || (rc = mdb_env_create(env)) != 0)
        return rc;
    mdb_env_set_maxdbs(*env, 16);
    rc = mdb_env_open(*env, p, MDB_RDONLY | MDB_NOLOCK, 0640);
    if (rc) {
        mdb_env_close(*env);
        *env = NULL;
    }
    return rc;
}

/* Returns 0 when every referenced blob is in the copy, INS_ENOTFOUND if not. */
static int refs_present(const char *to_dir)
{
    MDB_env *menv = NULL, *benv = NULL;
    MDB_txn *mt = NULL, *bt = NULL;
    MDB_dbi refs, content;
    MDB_cursor *c = NULL;
    MDB_val k, v, cv;
    int rc = open_copy(to_dir, "meta", &menv);
    if (rc == 0)
        rc = open_copy(to_dir, "blobs", &benv);
    if (rc == 0)
        rc = mdb_txn_begin(menv, NULL, MDB_RDONLY, &mt);
    if (rc == 0)
        rc = mdb_txn_begin(benv, NULL, MDB_RDONLY, &bt);
    if (rc == 0 && (rc = mdb_dbi_open(mt, "_blobref", 0, &refs)) == 0 &&
        (rc = mdb_dbi_open(bt, "_content", 0, &content)) == 0)
        rc = mdb_cursor_open(mt, refs, &c);
    for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
        if ((rc = mdb_cursor_get(c, &k, &v, op)) != 0)
            break;
        Inspect__Storage__BlobRef *r =
            inspect__storage__blob_ref__unpack(NULL, v.mv_size, v.mv_data);
        if (r && r->count > 0 && mdb_get(bt, content, &k, &cv) == MDB_NOTFOUND)
            rc = INS_ENOTFOUND;
        if (r)
            inspect__storage__blob_ref__free_unpacked(r, NULL);
    }
    if (c)
        mdb_cursor_close(c);
    if (mt)
        mdb_txn_abort(mt);
    if (bt)
        mdb_txn_abort(bt);
    if (menv)
        mdb_env_close(menv);
    if (benv)
        mdb_env_close(benv);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int ins_store_backup(const char *data_dir, const char *to_dir)
{
    char p[4096];
    int rc;

    if (!data_dir || !to_dir)
        return INS_EINVAL;
    if (mkdir(to_dir, 0750) != 0 && errno != EEXIST)
        return errno;
    if ((rc = copy_env(data_dir, to_dir, "blobs")) != 0 ||
        (rc = copy_env(data_dir, to_dir, "meta")) != 0)
        return rc;
    for (int i = 0; (rc = refs_present(to_dir)) == INS_ENOTFOUND && i < COPY_TRIES; i++) {
        if ((rc = path_of(p, sizeof(p), to_dir, "blobs", "data.mdb")) != 0)
            return rc;
        unlink(p);
        if ((rc = copy_env(data_dir, to_dir, "blobs")) != 0)
            return rc;
    }
    return rc == INS_ENOTFOUND ? INS_ECORRUPT : rc;
}

/* Copies a file durably: to `dst`.tmp, fsync, rename over `dst`. */
static int copy_file(const char *src, const char *dst)
{
    char tmp[4096], buf[1 << 16];
    int in, out, rc = 0;
    ssize_t n;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp))
        return ENAMETOOLONG;
    if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
        return errno;
    if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
        rc = errno;
        close(in);
        return rc;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) {
            rc = errno ? errno : EIO;
            break;
        }
    if (n < 0)
        rc = errno;
    if (rc == 0 && fsync(out) != 0)
        rc = errno;
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = errno;
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = errno;
    if (rc)
        unlink(tmp);
    return rc;
}

int ins_store_restore(const char *from_dir, const char *data_dir)
{
    static const char *const envs[2] = {"blobs", "meta"};
    char src[4096], dst[4096];
    int fd, rc;

    if (!from_dir || !data_dir)
        return INS_EINVAL;
    for (int i = 0; i < 2; i++) {
        if ((rc = path_of(src, sizeof(src), from_dir, envs[i], "data.mdb")) != 0)
            return rc;
        if (access(src, R_OK) != 0)
            return errno;
    }
    if ((rc = ins_store_lock_dir(data_dir, &fd)) != 0)
        return rc;
    for (int i = 0; i < 2 && rc == 0; i++) {
        if ((rc = path_of(dst, sizeof(dst), data_dir, envs[i], NULL)) != 0)
            break;
        if (mkdir(dst, 0750) != 0 && errno != EEXIST) {
            rc = errno;
            break;
        }
        path_of(src, sizeof(src), from_dir, envs[i], "data.mdb");
        path_of(dst, sizeof(dst), data_dir, envs[i], "data.mdb");
        if ((rc = copy_file(src, dst)) != 0)
            break;
        path_of(dst, sizeof(dst), data_dir, envs[i], "lock.mdb");
        if (unlink(dst) != 0 && errno != ENOENT)
            rc = errno;
    }
    ins_store_unlock_dir(fd);
    return rc;
}
