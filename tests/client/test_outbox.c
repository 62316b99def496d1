/*
 * test_outbox.c - the tablet's outbox (client/ins_outbox.h) without a
 * server: items come back in order and whole after a reopen, ids are fixed
 * when added, bad items are refused with EINVAL and change nothing, a drain
 * against a link that stays down gives up with EAGAIN and keeps every item,
 * and a second drain of the same folder is EBUSY.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ins_outbox.h"
#include "inspect/v1/field.pb-c.h"

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/test-outbox-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static ins_outbox *open_box(void)
{
    ins_outbox *ob = NULL;
    char *details = NULL;
    ck_assert_int_eq(ins_outbox_open(dir, &ob, &details), 0);
    ck_assert_ptr_null(details);
    return ob;
}

/* A check-in, findings and an upload, in that order. */
static void add_three(ins_outbox *ob)
{
    Inspect__V1__CheckInRequest ci = INSPECT__V1__CHECK_IN_REQUEST__INIT;
    ci.request_id = "ci-1";
    ci.task_id = "T-000001";
    ci.latitude = 30.5;
    Inspect__V1__FindingsBody body = INSPECT__V1__FINDINGS_BODY__INIT;
    body.task_id = "T-000001";
    body.department = "market";
    Inspect__V1__SubmitFindingsRequest sf = INSPECT__V1__SUBMIT_FINDINGS_REQUEST__INIT;
    sf.request_id = "sf-1";
    sf.findings = &body;
    uint8_t sha[32] = {1, 2, 3};
    Inspect__V1__UploadHeader up = INSPECT__V1__UPLOAD_HEADER__INIT;
    up.upload_id = "up-1";
    up.task_id = "T-000001";
    up.item_code = "kitchen_photo";
    up.total_size = 1000;
    up.sha256.data = sha;
    up.sha256.len = 32;
    uint64_t seq = 0;
    ck_assert_int_eq(ins_outbox_add(ob, INS_OB_CHECKIN, &ci.base, NULL, &seq), 0);
    ck_assert_uint_eq(seq, 1);
    ck_assert_int_eq(ins_outbox_add(ob, INS_OB_FINDINGS, &sf.base, NULL, &seq), 0);
    ck_assert_uint_eq(seq, 2);
    ck_assert_int_eq(ins_outbox_add(ob, INS_OB_UPLOAD, &up.base, "/photos/k.jpg", &seq), 0);
    ck_assert_uint_eq(seq, 3);
}

START_TEST(test_outbox_items_survive_reopen_in_order)
{
    ins_outbox *ob = open_box();
    add_three(ob);
    ins_outbox_close(ob);
    ob = open_box();
    ins_ob_item *it = NULL;
    size_t n = 0;
    ck_assert_int_eq(ins_outbox_list(ob, &it, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(it[0].kind, INS_OB_CHECKIN);
    ck_assert_str_eq(((Inspect__V1__CheckInRequest *)it[0].req)->request_id, "ci-1");
    ck_assert_double_eq(((Inspect__V1__CheckInRequest *)it[0].req)->latitude, 30.5);
    ck_assert_int_eq(it[1].kind, INS_OB_FINDINGS);
    ck_assert_str_eq(((Inspect__V1__SubmitFindingsRequest *)it[1].req)->findings->department,
                     "market");
    ck_assert_int_eq(it[2].kind, INS_OB_UPLOAD);
    ck_assert_str_eq(it[2].path, "/photos/k.jpg");
    ck_assert_uint_eq(((Inspect__V1__UploadHeader *)it[2].req)->total_size, 1000);
    ck_assert_uint_eq(it[2].offset, 0);
    ck_assert_int_eq(it[2].refused, 0);
    ck_assert_uint_eq(it[2].seq, 3);
    ins_outbox_items_free(it, n);
    ins_outbox_close(ob);
}
END_TEST

START_TEST(test_outbox_refuses_items_without_id_or_path)
{
    ins_outbox *ob = open_box();
    Inspect__V1__CheckInRequest ci = INSPECT__V1__CHECK_IN_REQUEST__INIT;
    ci.task_id = "T-000001"; /* request_id "" */
    ck_assert_int_eq(ins_outbox_add(ob, INS_OB_CHECKIN, &ci.base, NULL, NULL), EINVAL);
    ci.request_id = "ci-2";
    /* the wrong message for the kind, a path on a check-in */
    ck_assert_int_eq(ins_outbox_add(ob, INS_OB_FINDINGS, &ci.base, NULL, NULL), EINVAL);
    ck_assert_int_eq(ins_outbox_add(ob, INS_OB_CHECKIN, &ci.base, "/x.jpg", NULL), EINVAL);
    Inspect__V1__UploadHeader up = INSPECT__V1__UPLOAD_HEADER__INIT;
    up.upload_id = "up-2";
    ck_assert_int_eq(ins_outbox_add(ob, INS_OB_UPLOAD, &up.base, NULL, NULL), EINVAL);
    ins_ob_item *it = NULL;
    size_t n = 9;
    ck_assert_int_eq(ins_outbox_list(ob, &it, &n), 0);
    ck_assert_uint_eq(n, 0);
    ins_outbox_items_free(it, n);
    ins_outbox_close(ob);
}
END_TEST

/* A channel to a port nothing listens on: every attempt is UNAVAILABLE. */
static ins_client *dead_link(void)
{
    ins_client_opts o = {.target = "127.0.0.1:1", .timeout_ms = 2000, .reconnect_ms = 50};
    ins_client *c = NULL;
    char *details = NULL;
    ck_assert_int_eq(ins_client_open(&o, &c, &details), 0);
    free(details);
    return c;
}

START_TEST(test_outbox_drain_on_a_dead_link_keeps_everything)
{
    ins_outbox *ob = open_box();
    add_three(ob);
    ins_client *c = dead_link();
    ins_outbox_stats st = {0};
    ins_outbox_drain_opts o = {.retries = 1, .stats = &st};
    ck_assert_int_eq(ins_outbox_drain(ob, c, &o), EAGAIN);
    ck_assert_uint_eq(st.drops, 2); /* the first item, twice */
    ck_assert_uint_eq(st.items, 0);
    ins_ob_item *it = NULL;
    size_t n = 0;
    ck_assert_int_eq(ins_outbox_list(ob, &it, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(it[0].refused, 0);
    ins_outbox_items_free(it, n);
    ins_client_close(c);
    ins_outbox_close(ob);
}
END_TEST

START_TEST(test_outbox_second_drain_is_busy)
{
    ins_outbox *ob = open_box();
    add_three(ob);
    char lock[96];
    snprintf(lock, sizeof lock, "%s/drain.lock", dir);
    int fd = open(lock, O_RDWR | O_CREAT, 0600); /* what a running drain holds */
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    ins_client *c = dead_link();
    ck_assert_int_eq(ins_outbox_drain(ob, c, NULL), EBUSY);
    close(fd);
    ins_client_close(c);
    ins_outbox_close(ob);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("outbox");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_outbox_items_survive_reopen_in_order);
    tcase_add_test(tc, test_outbox_refuses_items_without_id_or_path);
    tcase_add_test(tc, test_outbox_drain_on_a_dead_link_keeps_everything);
    tcase_add_test(tc, test_outbox_second_drain_is_busy);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
