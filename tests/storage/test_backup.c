/*
 * test_backup.c - complete backups and their manifest (storage/ins_backup.h):
 * what a backup lists, what a restore refuses before it replaces anything,
 * and the restored audit chain check, including a sabotaged chain that the
 * check must catch (so the check is shown able to fail).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "helpers.h"
#include "backup_impl.h"
#include "ins_audit.h"
#include "ins_backup.h"
#include "ins_token.h"
#include "store_impl.h"

static int audit_apply(ins_wtxn *t, void *arg)
{
    const char *key = arg;
    int rc = ins_wtxn_put(t, T_REC, key, strlen(key), "v", 1, 0);
    return rc ? rc : ins_wtxn_audit(t, "tester", "put", key, strlen(key), "v", 1, NULL);
}

static void write_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
}

/* A store in dir with `n` audited records and the token keys of a rotated
 * node (token.key, token-keys/0.key and 1.key); closed again. */
static void make_node(const char *dir, int n)
{
    ins_store *s = open_store(dir);
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(ins_store_exec(s, audit_apply, key), 0);
    }
    ins_store_close(s);
    ins_token_key k;
    ck_assert_int_eq(ins_token_key_load(dir, &k), 0);
    uint32_t id;
    ck_assert_int_eq(ins_token_keyring_rotate(dir, &id), 0);
    ck_assert_uint_eq(id, 1);
}

static char *path_in(const char *dir, const char *rel)
{
    char *p = malloc(strlen(dir) + strlen(rel) + 2);
    sprintf(p, "%s/%s", dir, rel);
    return p;
}

/* The bytes of a file (malloc'd, *n set). */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*n + 1);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    b[*n] = '\0';
    fclose(f);
    return b;
}

START_TEST(test_backup_lists_store_and_keys)
{
    char *dir = tmp_dir(), *bak = tmp_dir();
    make_node(dir, 3);
    char *to = path_in(bak, "b");
    ins_backup_report rep;
    ck_assert_int_eq(ins_store_backup(dir, to, &rep), 0);
    ck_assert_uint_ge(rep.files, 5);
    char *mf = path_in(to, INS_BACKUP_MANIFEST);
    size_t n;
    char *text = slurp(mf, &n);
    ck_assert_msg(strncmp(text, "inspectd-backup 1\ncreated ", 26) == 0, "%s", text);
    static const char *const want[] = {" meta/data.mdb\n", " blobs/data.mdb\n", " token.key\n",
                                       " token-keys/0.key\n", " token-keys/1.key\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(text, want[i]) != NULL, "%s not in\n%s", want[i], text);
    struct stat st;
    ck_assert_int_eq(stat(to, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(ins_store_backup(dir, to, &rep), INS_EEXIST);
    ck_assert_int_eq(ins_backup_verify(to, &rep), 0);
    free(text);
    free(mf);
    free(to);
    rm_dir(dir);
    rm_dir(bak);
}
END_TEST

/* Restores into a folder holding another node, then checks its files are
 * byte for byte as before. */
static void assert_refused_untouched(const char *from, const char *target, const char *why)
{
    char *meta = path_in(target, "meta/data.mdb"), *key = path_in(target, "token.key");
    size_t n1, n2;
    char *m1 = slurp(meta, &n1), *k1 = slurp(key, &n2);
    ins_backup_report rep;
    ck_assert_int_eq(ins_store_restore(from, target, &rep), INS_ECORRUPT);
    ck_assert_msg(strstr(rep.detail, why) != NULL, "detail: %s", rep.detail);
    ck_assert_int_eq(rep.replaced, 0);
    size_t n3, n4;
    char *m2 = slurp(meta, &n3), *k2 = slurp(key, &n4);
    ck_assert(n1 == n3 && memcmp(m1, m2, n1) == 0);
    ck_assert(n2 == n4 && memcmp(k1, k2, n2) == 0);
    free(m1);
    free(m2);
    free(k1);
    free(k2);
    free(meta);
    free(key);
}

START_TEST(test_backup_restore_refuses_damage_before_replacing)
{
    char *dir = tmp_dir(), *other = tmp_dir(), *bak = tmp_dir();
    make_node(dir, 2);
    make_node(other, 1);
    char *to = path_in(bak, "b");
    ck_assert_int_eq(ins_store_backup(dir, to, NULL), 0);

    /* one flipped byte in the store copy */
    char *meta = path_in(to, "meta/data.mdb");
    int fd = open(meta, O_RDWR);
    ck_assert_int_ge(fd, 0);
    unsigned char b;
    ck_assert_int_eq(pread(fd, &b, 1, 100), 1);
    b ^= 0xFF;
    ck_assert_int_eq(pwrite(fd, &b, 1, 100), 1);
    assert_refused_untouched(to, other, "meta/data.mdb does not match its SHA-256");
    b ^= 0xFF;
    ck_assert_int_eq(pwrite(fd, &b, 1, 100), 1);
    close(fd);

    /* a key file gone */
    char *key = path_in(to, "token-keys/1.key");
    size_t kn;
    char *kb = slurp(key, &kn);
    ck_assert_int_eq(unlink(key), 0);
    assert_refused_untouched(to, other, "token-keys/1.key is missing from the backup");
    write_file(key, kb, kn);

    /* a kind of entry this tool does not know, and a path that escapes */
    char *mf = path_in(to, INS_BACKUP_MANIFEST);
    size_t mn;
    char *good = slurp(mf, &mn);
    FILE *f = fopen(mf, "a");
    fputs("object 00 0 photos/x\n", f);
    fclose(f);
    assert_refused_untouched(to, other, "unknown entry 'object'");
    write_file(mf, good, mn);
    f = fopen(mf, "a");
    fprintf(f, "file %064d 0 ../escape\n", 0);
    fclose(f);
    assert_refused_untouched(to, other, "malformed file entry");
    write_file(mf, good, mn);

    /* intact again: the restore replaces the other node's store and keys */
    ins_backup_report rep;
    ck_assert_int_eq(ins_store_restore(to, other, &rep), 0);
    ck_assert_uint_eq(rep.audit_last, 2);
    char *k1 = path_in(other, "token-keys/1.key");
    size_t n;
    char *got = slurp(k1, &n);
    ck_assert(n == kn && memcmp(got, kb, n) == 0);
    free(got);
    free(k1);
    free(good);
    free(mf);
    free(kb);
    free(key);
    free(meta);
    free(to);
    rm_dir(dir);
    rm_dir(other);
    rm_dir(bak);
}
END_TEST

/* Sabotage: entry 2 of the backup's chain replaced by entry 1 and the
 * manifest rewritten to match. The manifest then holds, and the chain check
 * after the copy must name entry 2. */
START_TEST(test_backup_restore_catches_a_broken_chain)
{
    char *dir = tmp_dir(), *bak = tmp_dir(), *dst = tmp_dir();
    make_node(dir, 3);
    char *to = path_in(bak, "b");
    ck_assert_int_eq(ins_store_backup(dir, to, NULL), 0);
    char *meta = path_in(to, "meta");
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    ck_assert_int_eq(mdb_env_open(env, meta, MDB_NOLOCK, 0640), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, "_audit", 0, &dbi), 0);
    uint8_t k1[8] = {0, 0, 0, 0, 0, 0, 0, 1}, k2[8] = {0, 0, 0, 0, 0, 0, 0, 2};
    MDB_val key = {8, k1}, val;
    ck_assert_int_eq(mdb_get(txn, dbi, &key, &val), 0);
    key.mv_data = k2;
    ck_assert_int_eq(mdb_put(txn, dbi, &key, &val, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    ins__bk_list files = {0};
    ins_backup_report rep;
    ck_assert_int_eq(ins__bk_manifest_check(to, &files, &rep), INS_ECORRUPT); /* changed */
    ins__bk_list_free(&files);
    char *mf = path_in(to, INS_BACKUP_MANIFEST), *lock = path_in(to, "meta/lock.mdb");
    unlink(lock);
    ck_assert_int_eq(unlink(mf), 0);
    /* the files of the original manifest, hashed again */
    static const char *const rels[] = {"meta/data.mdb",    "blobs/data.mdb",   "token.key",
                                       "token-keys/0.key", "token-keys/1.key", NULL};
    for (int i = 0; rels[i] != NULL; i++)
        ck_assert_int_eq(ins__bk_list_add(&files, rels[i]), 0);
    for (unsigned i = 1; i < INS_BLOB_STRIPES; i++) {
        char rel[32], *p;
        snprintf(rel, sizeof rel, "blobs-%u/data.mdb", i);
        p = path_in(to, rel);
        if (access(p, F_OK) == 0)
            ck_assert_int_eq(ins__bk_list_add(&files, rel), 0);
        free(p);
    }
    ck_assert_int_eq(ins__bk_manifest_write(to, &files, &rep), 0);
    ins__bk_list_free(&files);
    ck_assert_int_eq(ins_backup_verify(to, &rep), 0);
    ck_assert_int_eq(ins_store_restore(to, dst, &rep), INS_ECORRUPT);
    ck_assert_uint_eq(rep.first_bad, 2);
    ck_assert_int_eq(rep.replaced, 1);
    ck_assert_msg(strstr(rep.detail, "audit chain is broken at entry 2") != NULL, "%s", rep.detail);
    free(lock);
    free(mf);
    free(meta);
    free(to);
    rm_dir(dir);
    rm_dir(bak);
    rm_dir(dst);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("backup");
    TCase *tc = tcase_create("backup");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_backup_lists_store_and_keys);
    tcase_add_test(tc, test_backup_restore_refuses_damage_before_replacing);
    tcase_add_test(tc, test_backup_restore_catches_a_broken_chain);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
