/*
 * test_rec_towns.c - the inspectors' town index on a real store: it follows
 * every change of an inspector's towns and department, and the migration to
 * schema 2 builds it for a store written before the index existed.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ins_error.h"
#include "ins_key.h"
#include "ins_store.h"
#include "rec_directory.h"
#include "tables.h"

static char dir[64];
static ins_store *store;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Opens the store in `dir` at `schema`, with the record layer's migrations. */
static void open_at(uint32_t schema)
{
    ins_store_options so = {
        .data_dir = dir,
        .tables = ins_rec_table_names,
        .schema_version = schema,
        .migrations = ins_rec_migrations,
        .n_migrations = ins_rec_n_migrations,
        .sweep_interval_s = UINT32_MAX,
    };
    ck_assert_int_eq(ins_store_open(&so, &store), 0);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/ins-rect-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    open_at(INS_REC_SCHEMA);
}

static void teardown(void)
{
    ins_store_close(store);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* An inspector write: `old` (may be NULL) replaced by `in`. */
typedef struct put {
    Inspect__V1__Inspector in, old;
    int has_old;
} put;

static void inspector(Inspect__V1__Inspector *in, const char *id, const char *dept, char **towns,
                      size_t n)
{
    inspect__v1__inspector__init(in);
    in->id = (char *)id;
    in->name = (char *)id;
    in->department = (char *)dept;
    in->towns = towns;
    in->n_towns = n;
    in->max_open_tasks = 1;
    in->active = 1;
}

static int put_apply(ins_wtxn *t, void *arg)
{
    put *p = arg;
    return ins_inspector_put(t, &p->in, p->has_old ? &p->old : NULL, "test", "updated");
}

/* The ids the town index lists for (dept, town), joined by ','. */
typedef struct listing {
    const char *dept, *town;
    char ids[256];
} listing;

static int list_one(void *arg, const char *id)
{
    listing *l = arg;
    size_t n = strlen(l->ids);
    snprintf(l->ids + n, sizeof l->ids - n, "%s%s", n ? "," : "", id);
    return 0;
}

static int list_apply(ins_wtxn *t, void *arg)
{
    listing *l = arg;
    l->ids[0] = 0;
    return ins_inspector_wscan_town(t, l->dept, l->town, list_one, l);
}

static const char *listed(const char *dept, const char *town)
{
    static listing l;
    l.dept = dept;
    l.town = town;
    ck_assert_int_eq(ins_store_exec(store, list_apply, &l), 0);
    return l.ids;
}

START_TEST(index_follows_towns_and_department)
{
    char *ab[] = {"大丰街道", "桂湖街道"}, *b[] = {"桂湖街道"};
    put p = {0};
    inspector(&p.in, "fire-001", "fire", ab, 2);
    ck_assert_int_eq(ins_store_exec(store, put_apply, &p), 0);
    inspector(&p.in, "fire-002", "fire", b, 1);
    ck_assert_int_eq(ins_store_exec(store, put_apply, &p), 0);
    ck_assert_str_eq(listed("fire", "大丰街道"), "fire-001");
    ck_assert_str_eq(listed("fire", "桂湖街道"), "fire-001,fire-002");
    ck_assert_str_eq(listed("market", "桂湖街道"), "");

    /* fire-001 gives up 大丰 */
    inspector(&p.old, "fire-001", "fire", ab, 2);
    inspector(&p.in, "fire-001", "fire", b, 1);
    p.has_old = 1;
    ck_assert_int_eq(ins_store_exec(store, put_apply, &p), 0);
    ck_assert_str_eq(listed("fire", "大丰街道"), "");
    ck_assert_str_eq(listed("fire", "桂湖街道"), "fire-001,fire-002");

    /* fire-002 moves to market */
    inspector(&p.old, "fire-002", "fire", b, 1);
    inspector(&p.in, "fire-002", "market", b, 1);
    ck_assert_int_eq(ins_store_exec(store, put_apply, &p), 0);
    ck_assert_str_eq(listed("fire", "桂湖街道"), "fire-001");
    ck_assert_str_eq(listed("market", "桂湖街道"), "fire-002");
}
END_TEST

/* What a schema-1 store held: the inspector, no town index row. */
static int drop_row(ins_wtxn *t, void *arg)
{
    (void)arg;
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, "health");
    ins_key_text(&k, "三河街道");
    ins_key_text(&k, "health-007");
    return ins_wtxn_del(t, T_INSPECTORS_BY_TOWN, k.buf, k.len);
}

START_TEST(migration_builds_the_index)
{
    teardown(); /* a store of its own, made at schema 1 */
    snprintf(dir, sizeof dir, "/tmp/ins-rect-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    open_at(1);
    char *a[] = {"三河街道"};
    put p = {0};
    inspector(&p.in, "health-007", "health", a, 1);
    ck_assert_int_eq(ins_store_exec(store, put_apply, &p), 0);
    ck_assert_int_eq(ins_store_exec(store, drop_row, NULL), 0); /* as an older build left it */
    ck_assert_str_eq(listed("health", "三河街道"), "");
    ins_store_close(store);

    open_at(INS_REC_SCHEMA);
    ck_assert_str_eq(listed("health", "三河街道"), "health-007");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rec_towns");
    TCase *tc = tcase_create("towns");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, index_follows_towns_and_department);
    tcase_add_test(tc, migration_builds_the_index);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
