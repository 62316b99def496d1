/*
 * backup.c - hot backup and restore (see ins_backup.h).
 *
 * The copy is made by LMDB itself (mdb_env_copy2 with MDB_CP_COMPACT) from a
 * read snapshot, so a running server is not disturbed. The blob stripes
 * (`blobs`, `blobs-1`, ...) are copied before `meta`; afterwards every blob
 * the copied meta references is looked up in the copied stripes, and they are
 * copied again if one finished between the copies. A store from before the
 * stripes has `blobs` only; so may its backups.
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

static void stripe_name(char out[24], unsigned i)
{
    if (i == 0)
        snprintf(out, 24, "blobs");
    else
        snprintf(out, 24, "blobs-%u", i);
}

/* Does dir hold stripe i (its data file)? */
static int has_stripe(const char *dir, unsigned i)
{
    char name[24], p[4096];
    stripe_name(name, i);
    return path_of(p, sizeof(p), dir, name, "data.mdb") == 0 && access(p, R_OK) == 0;
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

/* The photo tier's part of a backup: the list, beside the copy, of the
 * referenced blobs it does not hold because they live in the object store
 * (meta/_tier of the copy). A store without a tier writes none. */
#define REMOTE_LIST "remote-photos.txt"

/* Opens the copy's _tier (*dbi) if it has one. 0: yes, MDB_NOTFOUND: none. */
static int remote_table(MDB_txn *mt, MDB_dbi *dbi)
{
    return mdb_dbi_open(mt, "_tier", 0, dbi);
}

/* Notes blob k, missing from the copied stripes, in the list when the copy
 * records it as remote. 0 when noted, INS_ENOTFOUND when it is just missing. */
static int note_remote(MDB_txn *mt, MDB_dbi tier, int has_tier, const MDB_val *k, FILE **list,
                       const char *to_dir)
{
    MDB_val v;
    char p[4096];
    if (!has_tier || k->mv_size != 32 || mdb_get(mt, tier, (MDB_val *)k, &v) != 0)
        return INS_ENOTFOUND;
    if (!*list) {
        if (path_of(p, sizeof p, to_dir, REMOTE_LIST, NULL) != 0 || !(*list = fopen(p, "w")))
            return errno ? errno : EIO;
        fputs("# photos this backup does not hold: they live in the object store of\n"
              "# --blob-store (key PREFIX/ab/<sha256>); restore needs that store too\n",
              *list);
    }
    for (size_t i = 0; i < 32; i++)
        fprintf(*list, "%02x", ((const unsigned char *)k->mv_data)[i]);
    fputc('\n', *list);
    return 0;
}

/* Returns 0 when every referenced blob is in the copy or listed as remote,
 * INS_ENOTFOUND if not. */
static int refs_present(const char *to_dir)
{
    FILE *list = NULL;
    MDB_dbi tier;
    int has_tier = 0;
    char lp[4096];
    if (path_of(lp, sizeof lp, to_dir, REMOTE_LIST, NULL) == 0)
        unlink(lp); /* from an earlier pass */
    MDB_env *menv = NULL, *benv[INS_BLOB_STRIPES] = {NULL};
    MDB_txn *mt = NULL, *bt[INS_BLOB_STRIPES] = {NULL};
    MDB_dbi refs, content[INS_BLOB_STRIPES];
    MDB_cursor *c = NULL;
    MDB_val k, v, cv;
    char name[24];
    int rc = open_copy(to_dir, "meta", &menv);
    if (rc == 0)
        rc = mdb_txn_begin(menv, NULL, MDB_RDONLY, &mt);
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        if (i > 0 && !has_stripe(to_dir, i))
            continue;
        stripe_name(name, i);
        if ((rc = open_copy(to_dir, name, &benv[i])) == 0 &&
            (rc = mdb_txn_begin(benv[i], NULL, MDB_RDONLY, &bt[i])) == 0)
            rc = mdb_dbi_open(bt[i], "_content", 0, &content[i]);
    }
    if (rc == 0)
        has_tier = remote_table(mt, &tier) == 0;
    if (rc == 0 && (rc = mdb_dbi_open(mt, "_blobref", 0, &refs)) == 0)
        rc = mdb_cursor_open(mt, refs, &c);
    for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
        if ((rc = mdb_cursor_get(c, &k, &v, op)) != 0)
            break;
        Inspect__Storage__BlobRef *r =
            inspect__storage__blob_ref__unpack(NULL, v.mv_size, v.mv_data);
        if (r && r->count > 0) {
            int found = 0;
            for (unsigned i = 0; i < INS_BLOB_STRIPES && !found; i++)
                found = bt[i] && mdb_get(bt[i], content[i], &k, &cv) == 0;
            if (!found)
                rc = note_remote(mt, tier, has_tier, &k, &list, to_dir);
        }
        if (r)
            inspect__storage__blob_ref__free_unpacked(r, NULL);
    }
    if (c)
        mdb_cursor_close(c);
    if (list && fclose(list) != 0 && (rc == 0 || rc == MDB_NOTFOUND))
        rc = errno;
    if (mt)
        mdb_txn_abort(mt);
    if (menv)
        mdb_env_close(menv);
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++) {
        if (bt[i])
            mdb_txn_abort(bt[i]);
        if (benv[i])
            mdb_env_close(benv[i]);
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Copies every stripe data_dir has (removing an older copy first if `again`). */
static int copy_stripes(const char *data_dir, const char *to_dir, int again)
{
    char name[24], p[4096];
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        if (i > 0 && !has_stripe(data_dir, i))
            continue;
        stripe_name(name, i);
        if (again) {
            if ((rc = path_of(p, sizeof(p), to_dir, name, "data.mdb")) != 0)
                break;
            unlink(p);
        }
        rc = copy_env(data_dir, to_dir, name);
    }
    return rc;
}

int ins_store_backup(const char *data_dir, const char *to_dir)
{
    int rc;

    if (!data_dir || !to_dir)
        return INS_EINVAL;
    if (mkdir(to_dir, 0750) != 0 && errno != EEXIST)
        return errno;
    if ((rc = copy_stripes(data_dir, to_dir, 0)) != 0 ||
        (rc = copy_env(data_dir, to_dir, "meta")) != 0)
        return rc;
    for (int i = 0; (rc = refs_present(to_dir)) == INS_ENOTFOUND && i < COPY_TRIES; i++)
        if ((rc = copy_stripes(data_dir, to_dir, 1)) != 0)
            return rc;
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

/* Restores stripe or meta `name` into data_dir; a stripe the backup lacks
 * (one made before the stripes) is emptied. */
static int restore_env(const char *from_dir, const char *data_dir, const char *name, int present)
{
    char src[4096], dst[4096];
    int rc;
    if ((rc = path_of(dst, sizeof(dst), data_dir, name, NULL)) != 0)
        return rc;
    if (!present) {
        path_of(dst, sizeof(dst), data_dir, name, "data.mdb");
        if (unlink(dst) != 0 && errno != ENOENT)
            return errno;
    } else {
        if (mkdir(dst, 0750) != 0 && errno != EEXIST)
            return errno;
        path_of(src, sizeof(src), from_dir, name, "data.mdb");
        path_of(dst, sizeof(dst), data_dir, name, "data.mdb");
        if ((rc = copy_file(src, dst)) != 0)
            return rc;
    }
    path_of(dst, sizeof(dst), data_dir, name, "lock.mdb");
    if (unlink(dst) != 0 && errno != ENOENT)
        return errno;
    return 0;
}

int ins_store_restore(const char *from_dir, const char *data_dir)
{
    char src[4096], name[24];
    int fd, rc;

    if (!from_dir || !data_dir)
        return INS_EINVAL;
    static const char *const need[2] = {"blobs", "meta"};
    for (int i = 0; i < 2; i++) {
        if ((rc = path_of(src, sizeof(src), from_dir, need[i], "data.mdb")) != 0)
            return rc;
        if (access(src, R_OK) != 0)
            return errno;
    }
    if ((rc = ins_store_lock_dir(data_dir, &fd)) != 0)
        return rc;
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        stripe_name(name, i);
        rc = restore_env(from_dir, data_dir, name, i == 0 || has_stripe(from_dir, i));
    }
    if (rc == 0)
        rc = restore_env(from_dir, data_dir, "meta", 1);
    ins_store_unlock_dir(fd);
    return rc;
}
