/*
 * test_rec_findings.c - the findings record module on a real store: a
 * resubmission keeps the earlier version in the history, a photo's arrival
 * clears it from the findings waiting for it, and the missing photos of a
 * body are each named once.
 */
#include <check.h>
#include <openssl/sha.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entities.pb-c.h"
#include "ins_error.h"
#include "ins_store.h"
#include "rec_findings.h"
#include "rec_photos.h"
#include "ins_blob.h"
#include "ins_hex.h"
#include "records.h"
#include "tables.h"

#define PHOTO_A "AB00000000000000000000000000000000000000000000000000000000000000"
#define PHOTO_B "cd00000000000000000000000000000000000000000000000000000000000000"

static char dir[64];
static ins_store *store;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/ins-recf-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ins_store_options so = {
        .data_dir = dir,
        .tables = ins_rec_table_names,
        .schema_version = INS_REC_SCHEMA,
        .sweep_interval_s = UINT32_MAX,
    };
    ck_assert_int_eq(ins_store_open(&so, &store), 0);
}

static void teardown(void)
{
    ins_store_close(store);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Findings of department "market" for task T-1, answering item "fire"
 * with photos `photos`, received at `when`. */
typedef struct submit {
    int64_t when;
    char **photos;
    size_t n_photos;
    uint32_t version; /* set by ins_findings_store */
    size_t missing;   /* what ins_findings_missing_photos counted */
} submit;

static int submit_apply(ins_wtxn *t, void *arg)
{
    submit *s = arg;
    Inspect__V1__Answer a = INSPECT__V1__ANSWER__INIT;
    Inspect__V1__Answer *ap = &a;
    a.item_code = "fire";
    a.photo_ids = s->photos;
    a.n_photo_ids = s->n_photos;
    Inspect__V1__FindingsBody b = INSPECT__V1__FINDINGS_BODY__INIT;
    b.task_id = "T-1";
    b.department = "market";
    b.inspector_id = "I-1";
    b.answers = &ap;
    b.n_answers = 1;
    char *missing[8];
    Inspect__V1__Findings f = INSPECT__V1__FINDINGS__INIT;
    f.body = &b;
    f.received_unix = s->when;
    f.missing_photos = missing;
    f.n_missing_photos = s->missing = ins_findings_missing_photos(t, &b, missing, 8);
    int rc = ins_findings_store(t, &f, "I-1");
    s->version = f.version;
    return rc;
}

static int arrive_apply(ins_wtxn *t, void *arg)
{
    char *depts[] = {"bureau", "market"};
    Inspect__V1__Task task = INSPECT__V1__TASK__INIT;
    task.id = "T-1";
    task.required_departments = depts;
    task.n_required_departments = 2;
    return ins_findings_photo_arrived(t, &task, arg, "I-1");
}

typedef struct read_back {
    Inspect__V1__Findings *f;
} read_back;

static int read_apply(ins_wtxn *t, void *arg)
{
    read_back *rb = arg;
    return ins_findings_wget(t, "T-1", "market", &rb->f);
}

static Inspect__V1__Findings *current(void)
{
    read_back rb = {0};
    ck_assert_int_eq(ins_store_exec(store, read_apply, &rb), 0);
    return rb.f;
}

typedef struct seen {
    size_t n;
    char dept[4][64];
    uint32_t version[4];
} seen;

static int see(void *arg, const char *department, uint32_t version)
{
    seen *s = arg;
    ck_assert_uint_lt(s->n, 4);
    snprintf(s->dept[s->n], sizeof s->dept[0], "%s", department);
    s->version[s->n++] = version;
    return 0;
}

START_TEST(test_rec_findings_resubmission_keeps_history)
{
    submit s1 = {.when = 100}, s2 = {.when = 200};
    ck_assert_int_eq(ins_store_exec(store, submit_apply, &s1), 0);
    ck_assert_int_eq(ins_store_exec(store, submit_apply, &s2), 0);
    ck_assert_uint_eq(s1.version, 1);
    ck_assert_uint_eq(s2.version, 2);

    Inspect__V1__Findings *f = current();
    ck_assert_uint_eq(f->version, 2);
    ck_assert_int_eq(f->received_unix, 200);
    protobuf_c_message_free_unpacked(&f->base, NULL);

    ins_rtxn *r = NULL;
    ck_assert_int_eq(ins_store_read_begin(store, &r), 0);
    seen now = {0}, hist = {0};
    ck_assert_int_eq(ins_findings_scan(r, "T-1", 0, see, &now), 0);
    ck_assert_int_eq(ins_findings_scan(r, "T-1", 1, see, &hist), 0);
    ck_assert_uint_eq(now.n, 1);
    ck_assert_str_eq(now.dept[0], "market");
    ck_assert_uint_eq(now.version[0], 0);
    ck_assert_uint_eq(hist.n, 1);
    ck_assert_str_eq(hist.dept[0], "market");
    ck_assert_uint_eq(hist.version[0], 1);
    ins_val v;
    ck_assert_int_eq(ins_findings_raw(r, "T-1", "market", 1, &v), 0);
    ck_assert_int_eq(ins_rec_decode(v.data, v.len, &inspect__rec__findings__descriptor,
                                    &inspect__v1__findings__descriptor, (ProtobufCMessage **)&f),
                     0);
    ck_assert_uint_eq(f->version, 1);
    ck_assert_int_eq(f->received_unix, 100);
    protobuf_c_message_free_unpacked(&f->base, NULL);
    ck_assert_int_eq(ins_findings_raw(r, "T-1", "market", 2, &v), INS_ENOTFOUND);
    ck_assert_int_eq(ins_findings_raw(r, "T-1", "bureau", 0, &v), INS_ENOTFOUND);
    ins_rtxn_end(r);
}
END_TEST

START_TEST(test_rec_findings_missing_photos_named_once)
{
    char *photos[] = {PHOTO_A, PHOTO_B,
                      "ab00000000000000000000000000000000000000000000000000000000000000"};
    submit s = {.when = 100, .photos = photos, .n_photos = 3};
    ck_assert_int_eq(ins_store_exec(store, submit_apply, &s), 0);
    ck_assert_uint_eq(s.missing, 2); /* A named twice, in two cases */
    Inspect__V1__Findings *f = current();
    ck_assert_uint_eq(f->n_missing_photos, 2);
    ck_assert_str_eq(f->missing_photos[0], PHOTO_A);
    ck_assert_str_eq(f->missing_photos[1], PHOTO_B);
    protobuf_c_message_free_unpacked(&f->base, NULL);
}
END_TEST

START_TEST(test_rec_findings_photo_arrival_stops_the_wait)
{
    char *photos[] = {PHOTO_A, PHOTO_B};
    submit s = {.when = 100, .photos = photos, .n_photos = 2};
    ck_assert_int_eq(ins_store_exec(store, submit_apply, &s), 0);
    /* lower case, as photos are stored; "bureau" has no findings: passed over */
    ck_assert_int_eq(
        ins_store_exec(store, arrive_apply,
                       "ab00000000000000000000000000000000000000000000000000000000000000"),
        0);
    Inspect__V1__Findings *f = current();
    ck_assert_uint_eq(f->n_missing_photos, 1);
    ck_assert_str_eq(f->missing_photos[0], PHOTO_B);
    ck_assert_uint_eq(f->version, 1); /* not a new version */
    protobuf_c_message_free_unpacked(&f->base, NULL);
    ck_assert_int_eq(ins_store_exec(store, arrive_apply, PHOTO_B), 0);
    f = current();
    ck_assert_uint_eq(f->n_missing_photos, 0);
    protobuf_c_message_free_unpacked(&f->base, NULL);
}
END_TEST

/* A photo stored in the blob store for real, filed for task `task`. */
typedef struct filed {
    const char *task;
    uint8_t sha[32];
    char id[65];
} filed;

static int file_apply(ins_wtxn *t, void *arg)
{
    filed *f = arg;
    Inspect__V1__Photo p = INSPECT__V1__PHOTO__INIT;
    p.photo_id = f->id;
    p.task_id = (char *)f->task;
    p.item_code = "fire";
    p.uploaded_by = "I-1";
    char upload[64];
    snprintf(upload, sizeof upload, "I-1/u-%s", f->task);
    int dup = 0;
    return ins_photo_file(t, &p, f->sha, upload, &dup);
}

/* Stores `data` as a blob and returns its id (lower-case hex) in f->id. */
static void store_blob(filed *f, const char *data)
{
    size_t len = strlen(data);
    SHA256((const unsigned char *)data, len, f->sha);
    ins_hex_encode(f->sha, 32, f->id);
    ck_assert_int_eq(ins_blob_stage_begin(store, "I-1/blob", len, f->sha, NULL), 0);
    ck_assert_int_eq(ins_blob_append(store, "I-1/blob", 0, data, len, NULL), 0);
    ck_assert_int_eq(ins_blob_finish(store, "I-1/blob", NULL), 0);
}

START_TEST(test_rec_findings_photo_of_another_task_does_not_count)
{
    filed other = {.task = "T-2"}, own = {.task = "T-1"};
    store_blob(&other, "the fire exit of another site");
    memcpy(&own, &other, sizeof own);
    own.task = "T-1";
    char *photos[] = {other.id};
    submit s = {.when = 100, .photos = photos, .n_photos = 1};
    ck_assert_int_eq(ins_store_exec(store, file_apply, &other), 0);
    ck_assert_int_eq(ins_store_exec(store, submit_apply, &s), 0);
    ck_assert_uint_eq(s.missing, 1); /* stored, but for T-2: still missing for T-1 */
    ck_assert_int_eq(ins_store_exec(store, file_apply, &own), 0);
    ck_assert_int_eq(ins_store_exec(store, submit_apply, &s), 0);
    ck_assert_uint_eq(s.missing, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rec_findings");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rec_findings_resubmission_keeps_history);
    tcase_add_test(tc, test_rec_findings_missing_photos_named_once);
    tcase_add_test(tc, test_rec_findings_photo_arrival_stops_the_wait);
    tcase_add_test(tc, test_rec_findings_photo_of_another_task_does_not_count);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
