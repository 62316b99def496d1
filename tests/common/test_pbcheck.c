/*
 * test_pbcheck.c - the wire boundary's generic check (ins_pbcheck.h): every
 * string at any depth is valid UTF-8, named by its path; oneof members only
 * when set; nesting bounded.
 */
#include <check.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "ins_error.h"
#include "ins_pbcheck.h"
#include "inspect/v1/field.pb-c.h"

static char bad[] = "ok\xff";

START_TEST(test_pbcheck_valid_message_passes)
{
    Inspect__V1__Answer a = INSPECT__V1__ANSWER__INIT;
    a.item_code = "消防-01";
    a.value_case = INSPECT__V1__ANSWER__VALUE_TEXT;
    a.text = "通道畅通";
    char why[256] = "x";
    ck_assert_int_eq(ins_pb_check_utf8(&a.base, why, sizeof why), 0);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(ins_pb_check_utf8(NULL, why, sizeof why), 0);
}
END_TEST

START_TEST(test_pbcheck_nested_repeated_oneof_named)
{
    Inspect__V1__Answer a0 = INSPECT__V1__ANSWER__INIT, a1 = INSPECT__V1__ANSWER__INIT;
    a0.item_code = "a0";
    a1.item_code = "a1";
    a1.value_case = INSPECT__V1__ANSWER__VALUE_TEXT;
    a1.text = bad;
    Inspect__V1__Answer *answers[] = {&a0, &a1};
    Inspect__V1__FindingsBody body = INSPECT__V1__FINDINGS_BODY__INIT;
    body.n_answers = 2;
    body.answers = answers;
    Inspect__V1__SubmitFindingsRequest req = INSPECT__V1__SUBMIT_FINDINGS_REQUEST__INIT;
    req.findings = &body;
    char why[256];
    ck_assert_int_eq(ins_pb_check_utf8(&req.base, why, sizeof why), INS_EINVAL);
    ck_assert_msg(
        strncmp(why, "findings.answers[1].text is not valid UTF-8 (bad byte at offset 2)", 66) == 0,
        "%s", why);
    /* the same bytes in an unset oneof member are not read */
    a1.value_case = INSPECT__V1__ANSWER__VALUE_CHOICE;
    a1.choice = "yes";
    ck_assert_int_eq(ins_pb_check_utf8(&req.base, why, sizeof why), 0);
    /* a repeated string is named by its index */
    char *ids[] = {"p0", bad};
    a0.n_photo_ids = 2;
    a0.photo_ids = ids;
    ck_assert_int_eq(ins_pb_check_utf8(&req.base, why, sizeof why), INS_EINVAL);
    ck_assert_msg(strstr(why, "findings.answers[0].photo_ids[1]") == why, "%s", why);
}
END_TEST

/* Found by tests/fuzz/fuzz_records: protobuf-c keeps a nested field
 * numbered 0 as an unknown field whose re-encoding does not decode. */
START_TEST(test_pbcheck_field_number_zero_refused)
{
    /* SubmitFindingsRequest.findings (field 2, 3 bytes) holding field 0:
     * tag 0x80 0x00 (field 0, varint), value 0. */
    static const uint8_t bytes[] = {0x12, 0x03, 0x80, 0x00, 0x00};
    ProtobufCMessage *m = protobuf_c_message_unpack(
        &inspect__v1__submit_findings_request__descriptor, NULL, sizeof bytes, bytes);
    ck_assert_ptr_nonnull(m);
    char why[256];
    ck_assert_int_eq(ins_pb_check_utf8(m, why, sizeof why), INS_EINVAL);
    ck_assert_msg(strstr(why, "numbered 0") != NULL, "%s", why);
    protobuf_c_message_free_unpacked(m, NULL);
}
END_TEST

START_TEST(test_pbcheck_depth_bounded)
{
    enum { DEEP = 40 };
    Google__Protobuf__DescriptorProto d[DEEP];
    Google__Protobuf__DescriptorProto *child[DEEP];
    for (int i = 0; i < DEEP; i++) {
        google__protobuf__descriptor_proto__init(&d[i]);
        d[i].name = "n";
        child[i] = &d[i];
    }
    for (int i = 0; i + 1 < DEEP; i++) {
        d[i].n_nested_type = 1;
        d[i].nested_type = &child[i + 1];
    }
    char why[256];
    ck_assert_int_eq(ins_pb_check_utf8(&d[0].base, why, sizeof why), INS_EINVAL);
    ck_assert_msg(strstr(why, "more than 32 deep") != NULL, "%s", why);
    d[20].n_nested_type = 0; /* 21 levels are fine */
    ck_assert_int_eq(ins_pb_check_utf8(&d[0].base, why, sizeof why), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pbcheck");
    TCase *tc = tcase_create("pbcheck");
    tcase_add_test(tc, test_pbcheck_valid_message_passes);
    tcase_add_test(tc, test_pbcheck_nested_repeated_oneof_named);
    tcase_add_test(tc, test_pbcheck_depth_bounded);
    tcase_add_test(tc, test_pbcheck_field_number_zero_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
