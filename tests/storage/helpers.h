/*
 * helpers.h - shared fixtures of the storage tests: a private data folder per
 * test, a store with two user tables, and small apply functions.
 */
#ifndef STORAGE_TEST_HELPERS_H
#define STORAGE_TEST_HELPERS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ins_store.h"

enum { T_REC, T_IDX };
static const char *const test_tables[] = {"rec", "idx", NULL};

/* mkdtemp under TMPDIR or /tmp; the caller frees and removes it. */
static inline char *tmp_dir(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *p = malloc(strlen(base) + 32);
    sprintf(p, "%s/ins-storage-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(p));
    return p;
}

static inline void rm_dir(char *p)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
    ck_assert_int_eq(system(cmd), 0);
    free(p);
}

static inline ins_store_options test_options(const char *dir)
{
    ins_store_options o;
    memset(&o, 0, sizeof(o));
    o.data_dir = dir;
    o.tables = test_tables;
    o.schema_version = 1;
    o.initial_map_bytes = 1 << 20;
    o.max_store_bytes = (size_t)1 << 30;
    o.sweep_interval_s = UINT32_MAX;
    return o;
}

static inline ins_store *open_store(const char *dir)
{
    ins_store_options o = test_options(dir);
    ins_store *s = NULL;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    return s;
}

/* A put of one record: key and value as C strings. */
typedef struct kv {
    const char *key, *val;
} kv;

static inline int put_apply(ins_wtxn *t, void *arg)
{
    kv *p = arg;
    return ins_wtxn_put(t, T_REC, p->key, strlen(p->key), p->val, strlen(p->val), 0);
}

static inline int fail_apply(ins_wtxn *t, void *arg)
{
    int rc = put_apply(t, arg);
    return rc ? rc : INS_ECONFLICT; /* wrote, then failed: must roll back */
}

/* Reads key from T_REC into buf (NUL-terminated); returns the error. */
static inline int read_rec(ins_store *s, const char *key, char *buf, size_t n)
{
    ins_rtxn *r;
    ins_val v;
    int rc = ins_store_read_begin(s, &r);
    ck_assert_int_eq(rc, 0);
    rc = ins_rtxn_get(r, T_REC, key, strlen(key), &v);
    if (rc == 0) {
        size_t l = v.len < n - 1 ? v.len : n - 1;
        memcpy(buf, v.data, l);
        buf[l] = '\0';
    }
    ins_rtxn_end(r);
    return rc;
}

#endif

/* Each test in its own tcase, named after the test function. */
#define ADD_TEST(suite, fn)                                                                        \
    do {                                                                                           \
        TCase *tc_ = tcase_create(#fn);                                                            \
        tcase_set_timeout(tc_, 120);                                                               \
        tcase_add_test(tc_, fn);                                                                   \
        suite_add_tcase(suite, tc_);                                                               \
    } while (0)

static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
