/*
 * backup.c - complete hot backups and restore (see ins_backup.h).
 *
 * The copy of each environment is made by LMDB itself (mdb_env_copy2 with
 * MDB_CP_COMPACT) from a read snapshot, so a running server is not
 * disturbed. The environments come from one of two sources: opened
 * read-only from a data folder (another process: inspectctl backup), or the
 * open store's own handles (the server's scheduled backups, as LMDB forbids
 * a second open in one process). The blob stripes (`blobs`, `blobs-1`, ...)
 * are copied before `meta`; afterwards every blob the copied meta references
 * is looked up in the copied stripes, and they are copied again if one
 * finished between the copies. A store from before the stripes has `blobs`
 * only; so may its backups. The token keys are copied last, and the
 * manifest (backup_manifest.c) is written once everything else is on disk.
 */
#include "store_impl.h"
#include "backup_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ins_token.h"

#define COPY_TRIES 3

/* Where the environments are copied from: a data folder, or an open store. */
typedef struct bk_src {
    const char *data_dir; /* the folder (both cases: the keys are read here) */
    ins_store *s;         /* NULL: open each environment read-only */
} bk_src;

static void stripe_name(char out[24], unsigned i)
{
    if (i == 0)
        snprintf(out, 24, "blobs");
    else
        snprintf(out, 24, "blobs-%u", i);
}

static int env_file(char *out, size_t n, const char *dir, const char *env, const char *file)
{
    int w = snprintf(out, n, "%s/%s/%s", dir, env, file);
    return w < 0 || (size_t)w >= n ? ENAMETOOLONG : 0;
}

/* Does dir hold stripe i (its data file)? */
static int has_stripe(const char *dir, unsigned i)
{
    char name[24], p[4096];
    stripe_name(name, i);
    return env_file(p, sizeof(p), dir, name, "data.mdb") == 0 && access(p, R_OK) == 0;
}

/* The open store's environment called `name`, or NULL. */
static ins_env *store_env(ins_store *s, const char *name)
{
    if (strcmp(name, "meta") == 0)
        return &s->meta;
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++)
        if (s->bs[i].env.env != NULL && strcmp(s->bs[i].name, name) == 0)
            return &s->bs[i].env;
    return NULL;
}

/* mdb_env_copy2 of `env` into `dst`, adopting a larger map if it grew. */
static int copy_handle(MDB_env *env, const char *dst)
{
    int rc = 0;
    for (int i = 0; i < COPY_TRIES; i++) {
        rc = mdb_env_copy2(env, dst, MDB_CP_COMPACT);
        if (rc != MDB_MAP_RESIZED)
            break;
        rc = mdb_env_set_mapsize(env, 0); /* adopt the server's larger map */
    }
    return rc;
}

/* Copies environment `name` of the source into to_dir/name. */
static int copy_env(const bk_src *src, const char *to_dir, const char *name)
{
    char dir[4096], dst[4096], file[4096];
    MDB_env *env = NULL;
    int rc;

    if ((rc = ins__bk_join(dir, sizeof(dir), src->data_dir, name)) != 0 ||
        (rc = ins__bk_join(dst, sizeof(dst), to_dir, name)) != 0 ||
        (rc = ins__bk_join(file, sizeof(file), dir, "data.mdb")) != 0)
        return rc;
    if (src->s == NULL && access(file, R_OK) != 0)
        return errno;
    if (mkdir(dst, 0700) != 0 && errno != EEXIST)
        return errno;
    if (src->s != NULL) {
        ins_env *e = store_env(src->s, name);
        if (e == NULL)
            return ENOENT;
        /* The read side keeps the writer from remapping during the copy. */
        pthread_rwlock_rdlock(&e->resize);
        rc = mdb_env_copy2(e->env, dst, MDB_CP_COMPACT);
        pthread_rwlock_unlock(&e->resize);
        return rc == EEXIST ? INS_EEXIST : rc;
    }
    if ((rc = mdb_env_create(&env)) != 0)
        return rc;
    mdb_env_set_maxdbs(env, 16);
    rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0640);
    if (rc == 0)
        rc = copy_handle(env, dst);
    mdb_env_close(env);
    return rc == EEXIST ? INS_EEXIST : rc;
}

/* Opens dir/name read-only without a lock file (a copy nobody else uses). */
static int open_copy(const char *dir, const char *name, MDB_env **env)
{
    char p[4096];
    int rc = ins__bk_join(p, sizeof(p), dir, name);
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
                rc = INS_ENOTFOUND;
        }
        if (r)
            inspect__storage__blob_ref__free_unpacked(r, NULL);
    }
    if (c)
        mdb_cursor_close(c);
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

/* Copies environment `name` and lists its data file. */
static int copy_listed(const bk_src *src, const char *to_dir, const char *name, ins__bk_list *l)
{
    char rel[64];
    int rc = copy_env(src, to_dir, name);
    snprintf(rel, sizeof rel, "%s/data.mdb", name);
    if (rc == 0 && !ins__bk_list_has(l, rel))
        rc = ins__bk_list_add(l, rel);
    return rc;
}

/* Copies every stripe the source has (removing an older copy first if
 * `again`). */
static int copy_stripes(const bk_src *src, const char *to_dir, int again, ins__bk_list *l)
{
    char name[24], p[4096];
    int rc = 0;
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        if (i > 0 && !has_stripe(src->data_dir, i))
            continue;
        stripe_name(name, i);
        if (again) {
            if ((rc = env_file(p, sizeof(p), to_dir, name, "data.mdb")) != 0)
                break;
            unlink(p);
        }
        rc = copy_listed(src, to_dir, name, l);
    }
    return rc;
}

/* Copies data_dir/rel to to_dir/rel (mode 0600) and lists it; a missing
 * source is skipped. */
static int copy_key_file(const char *data_dir, const char *to_dir, const char *rel, ins__bk_list *l)
{
    char src[4096], dst[4096];
    int rc;
    if ((rc = ins__bk_join(src, sizeof src, data_dir, rel)) != 0 ||
        (rc = ins__bk_join(dst, sizeof dst, to_dir, rel)) != 0)
        return rc;
    rc = ins__bk_copy_file(src, dst, 0600);
    if (rc == ENOENT && access(src, F_OK) != 0)
        return 0; /* retired in between, or no such file */
    return rc ? rc : ins__bk_list_add(l, rel);
}

/* Is `name` a key file of the key folder ("<digits>.key")? */
static int is_key_name(const char *name)
{
    size_t n = strspn(name, "0123456789");
    return n > 0 && strcmp(name + n, ".key") == 0;
}

/* Copies token.key and token-keys/<id>.key of data_dir into to_dir. */
static int copy_keys(const char *data_dir, const char *to_dir, ins__bk_list *l)
{
    char dir[4096], rel[512];
    int rc = copy_key_file(data_dir, to_dir, INS_TOKEN_KEY_FILE, l);
    if (rc != 0 || (rc = ins__bk_join(dir, sizeof dir, data_dir, INS_TOKEN_KEYS_DIR)) != 0)
        return rc;
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : errno;
    if ((rc = ins__bk_join(rel, sizeof rel, to_dir, INS_TOKEN_KEYS_DIR)) == 0 &&
        mkdir(rel, 0700) != 0 && errno != EEXIST)
        rc = errno;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!is_key_name(e->d_name))
            continue;
        snprintf(rel, sizeof rel, "%s/%s", INS_TOKEN_KEYS_DIR, e->d_name);
        rc = copy_key_file(data_dir, to_dir, rel, l);
    }
    closedir(d);
    return rc;
}

/* mkdir -p with mode 0700 for every folder it creates. Returns 0 or errno. */
static int mkdir_p(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ENAMETOOLONG;
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    return mkdir(buf, 0700) != 0 && errno != EEXIST ? errno : 0;
}

static int backup_run(const bk_src *src, const char *to_dir, ins_backup_report *rep)
{
    ins_backup_report local;
    char p[4096];
    int rc;

    if (rep == NULL)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!src->data_dir || !to_dir)
        return INS_EINVAL;
    if ((rc = mkdir_p(to_dir)) != 0)
        return ins__bk_fail(rep, rc, "cannot create %s: %s", to_dir, strerror(rc));
    if ((rc = ins__bk_join(p, sizeof p, to_dir, INS_BACKUP_MANIFEST)) != 0)
        return ins__bk_fail(rep, rc, "%s: path too long", to_dir);
    if (access(p, F_OK) == 0)
        return ins__bk_fail(rep, INS_EEXIST, "%s already holds a backup", to_dir);
    ins__bk_list files = {0};
    if ((rc = copy_stripes(src, to_dir, 0, &files)) != 0 ||
        (rc = copy_listed(src, to_dir, "meta", &files)) != 0) {
        ins__bk_fail(rep, rc, "copying the store of %s into %s: %s", src->data_dir, to_dir,
                     rc == INS_EEXIST ? "it already holds a copy" : ins_strerror(rc));
        goto done;
    }
    for (int i = 0; (rc = refs_present(to_dir)) == INS_ENOTFOUND && i < COPY_TRIES; i++)
        if ((rc = copy_stripes(src, to_dir, 1, &files)) != 0)
            break;
    if (rc == INS_ENOTFOUND)
        rc = INS_ECORRUPT;
    if (rc != 0) {
        ins__bk_fail(rep, rc, "checking the photos the copy references: %s", ins_strerror(rc));
        goto done;
    }
    if ((rc = copy_keys(src->data_dir, to_dir, &files)) != 0) {
        ins__bk_fail(rep, rc, "copying the token keys of %s: %s", src->data_dir, ins_strerror(rc));
        goto done;
    }
    rc = ins__bk_manifest_write(to_dir, &files, rep);
done:
    ins__bk_list_free(&files);
    return rc;
}

int ins_store_backup(const char *data_dir, const char *to_dir, ins_backup_report *rep)
{
    bk_src src = {.data_dir = data_dir};
    return backup_run(&src, to_dir, rep);
}

int ins_store_backup_live(ins_store *s, const char *to_dir, ins_backup_report *rep)
{
    if (s == NULL)
        return INS_EINVAL;
    bk_src src = {.data_dir = s->dir, .s = s};
    return backup_run(&src, to_dir, rep);
}

/* ---- restore ------------------------------------------------------------ */

/* Restores stripe or meta `name` into data_dir; one the backup lacks (a
 * stripe of a store made before the stripes) is emptied. */
static int restore_env(const char *from_dir, const char *data_dir, const char *name, int present)
{
    char src[4096], dst[4096];
    int rc;
    if ((rc = ins__bk_join(dst, sizeof(dst), data_dir, name)) != 0)
        return rc;
    if (present && mkdir(dst, 0750) != 0 && errno != EEXIST)
        return errno;
    if ((rc = env_file(dst, sizeof(dst), data_dir, name, "data.mdb")) != 0 ||
        (rc = env_file(src, sizeof(src), from_dir, name, "data.mdb")) != 0)
        return rc;
    if (!present) {
        if (unlink(dst) != 0 && errno != ENOENT)
            return errno;
    } else if ((rc = ins__bk_copy_file(src, dst, 0640)) != 0) {
        return rc;
    }
    env_file(dst, sizeof(dst), data_dir, name, "lock.mdb");
    if (unlink(dst) != 0 && errno != ENOENT)
        return errno;
    return 0;
}

/* Makes data_dir's token keys those of the backup: token.key when listed,
 * and token-keys/ exactly the listed keys (removed when none is). */
static int restore_keys(const char *from_dir, const char *data_dir, const ins__bk_list *files)
{
    char dir[4096], src[4096], dst[4096];
    size_t plen = strlen(INS_TOKEN_KEYS_DIR);
    int rc = 0, any = 0;
    for (size_t i = 0; rc == 0 && i < files->n; i++) {
        const char *rel = files->paths[i];
        int is_ring = strncmp(rel, INS_TOKEN_KEYS_DIR "/", plen + 1) == 0;
        any |= is_ring;
        if (!is_ring && strcmp(rel, INS_TOKEN_KEY_FILE) != 0)
            continue;
        if (is_ring && (rc = ins__bk_join(dir, sizeof dir, data_dir, INS_TOKEN_KEYS_DIR)) == 0 &&
            mkdir(dir, 0700) != 0 && errno != EEXIST)
            rc = errno;
        if (rc == 0 && (rc = ins__bk_join(src, sizeof src, from_dir, rel)) == 0 &&
            (rc = ins__bk_join(dst, sizeof dst, data_dir, rel)) == 0)
            rc = ins__bk_copy_file(src, dst, 0600);
    }
    if (rc != 0 || (rc = ins__bk_join(dir, sizeof dir, data_dir, INS_TOKEN_KEYS_DIR)) != 0)
        return rc;
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : errno;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char rel[512];
        snprintf(rel, sizeof rel, "%s/%s", INS_TOKEN_KEYS_DIR, e->d_name);
        if (!is_key_name(e->d_name) || ins__bk_list_has(files, rel))
            continue;
        if (ins__bk_join(dst, sizeof dst, data_dir, rel) == 0 && unlink(dst) != 0)
            rc = errno;
    }
    closedir(d);
    if (rc == 0 && !any && rmdir(dir) != 0 && errno != ENOENT)
        rc = errno;
    return rc;
}

/* Verifies the audit chain of data_dir/meta from its first entry. */
static int verify_chain(const char *data_dir, ins_backup_report *rep)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    int rc = open_copy(data_dir, "meta", &env);
    if (rc == 0)
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "_audit", 0, &dbi);
    if (rc == 0)
        rc = ins__audit_verify_txn(txn, dbi, 1, 0, &rep->first_bad, &rep->audit_last);
    if (txn)
        mdb_txn_abort(txn);
    if (env)
        mdb_env_close(env);
    if (rc == INS_ECORRUPT)
        return ins__bk_fail(rep, rc, "the restored audit chain is broken at entry %llu",
                            (unsigned long long)rep->first_bad);
    if (rc != 0)
        return ins__bk_fail(rep, rc, "reading the restored audit chain: %s", ins_strerror(rc));
    return 0;
}

int ins_store_restore(const char *from_dir, const char *data_dir, ins_backup_report *rep)
{
    ins_backup_report local;
    char name[24], rel[64];
    int fd, rc;

    if (rep == NULL)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!from_dir || !data_dir)
        return INS_EINVAL;
    ins__bk_list files = {0};
    if ((rc = ins__bk_manifest_check(from_dir, &files, rep)) != 0)
        goto done;
    if ((rc = ins_store_lock_dir(data_dir, &fd)) != 0) {
        ins__bk_fail(rep, rc,
                     rc == INS_EBUSY ? "%s is in use by a running inspectd; stop it first"
                                     : "cannot lock %s",
                     data_dir);
        goto done;
    }
    rep->replaced = 1;
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        stripe_name(name, i);
        snprintf(rel, sizeof rel, "%s/data.mdb", name);
        rc = restore_env(from_dir, data_dir, name, ins__bk_list_has(&files, rel));
    }
    if (rc == 0)
        rc = restore_env(from_dir, data_dir, "meta", 1);
    if (rc == 0)
        rc = restore_keys(from_dir, data_dir, &files);
    if (rc != 0)
        ins__bk_fail(rep, rc, "copying into %s: %s", data_dir, ins_strerror(rc));
    else
        rc = verify_chain(data_dir, rep);
    ins_store_unlock_dir(fd);
done:
    ins__bk_list_free(&files);
    return rc;
}
