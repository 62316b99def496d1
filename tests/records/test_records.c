/*
 * test_records.c - the on-disk records (inspect.rec) mirror their wire
 * messages (inspect.v1) field for field, and convert both ways.
 *
 * records.c converts by re-encoding while the mirror holds; this test is
 * what says it still does. When a wire message changes shape, it fails
 * here first, and records.c gets an explicit conversion.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "entities.pb-c.h"
#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "ins_error.h"
#include "records.h"

static const struct {
    const ProtobufCMessageDescriptor *wire, *rec;
} pairs[] = {
    {&inspect__v1__department__descriptor, &inspect__rec__department__descriptor},
    {&inspect__v1__inspector__descriptor, &inspect__rec__inspector__descriptor},
    {&inspect__v1__service_item__descriptor, &inspect__rec__service_item__descriptor},
    {&inspect__v1__template__descriptor, &inspect__rec__template__descriptor},
    {&inspect__v1__calendar__descriptor, &inspect__rec__calendar__descriptor},
    {&inspect__v1__application__descriptor, &inspect__rec__application__descriptor},
    {&inspect__v1__task__descriptor, &inspect__rec__task__descriptor},
    {&inspect__v1__alert__descriptor, &inspect__rec__alert__descriptor},
    {&inspect__v1__findings__descriptor, &inspect__rec__findings__descriptor},
    {&inspect__v1__photo__descriptor, &inspect__rec__photo__descriptor},
    {&inspect__v1__report__descriptor, &inspect__rec__report__descriptor},
    {&inspect__v1__token_revocation__descriptor, &inspect__rec__token_revocation__descriptor},
};

START_TEST(test_records_mirror_their_wire_messages)
{
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char why[256] = "";
        ck_assert_msg(ins_rec_mirrors(pairs[i].wire, pairs[i].rec, why, sizeof why), "%s", why);
        ck_assert_msg(ins_rec_mirrors(pairs[i].rec, pairs[i].wire, why, sizeof why), "%s", why);
    }
}
END_TEST

START_TEST(test_records_mirror_check_can_fail)
{
    char why[256] = "";
    ck_assert(!ins_rec_mirrors(&inspect__v1__department__descriptor,
                               &inspect__rec__inspector__descriptor, why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "no twin"));
}
END_TEST

START_TEST(test_records_round_trip)
{
    Inspect__V1__Application a = INSPECT__V1__APPLICATION__INIT;
    Inspect__V1__FactValue v = INSPECT__V1__FACT_VALUE__INIT;
    Inspect__V1__DeclaredFact f = INSPECT__V1__DECLARED_FACT__INIT;
    Inspect__V1__DeclaredFact *fs[] = {&f};
    a.id = "XD-1";
    a.applicant_name = "成都市新都区某某餐饮店";
    a.stage = INSPECT__V1__STAGE__STAGE_REVIEW;
    a.version = 7;
    v.value_case = INSPECT__V1__FACT_VALUE__VALUE_NUMBER;
    v.number = 120.5;
    v.unit = "m2";
    f.key = "floor_area_m2";
    f.value = &v;
    a.declared_facts = fs;
    a.n_declared_facts = 1;
    uint8_t *bytes = NULL;
    size_t len = 0;
    ck_assert_int_eq(ins_rec_encode(&a.base, &inspect__rec__application__descriptor, &bytes, &len),
                     0);
    Inspect__Rec__Application *rec = inspect__rec__application__unpack(NULL, len, bytes);
    ck_assert_ptr_nonnull(rec);
    ck_assert_uint_eq(rec->format, INS_REC_FORMAT);
    inspect__rec__application__free_unpacked(rec, NULL);
    ProtobufCMessage *back = NULL;
    ck_assert_int_eq(ins_rec_decode(bytes, len, &inspect__rec__application__descriptor,
                                    &inspect__v1__application__descriptor, &back),
                     0);
    Inspect__V1__Application *b = (Inspect__V1__Application *)back;
    ck_assert_str_eq(b->applicant_name, a.applicant_name);
    ck_assert_int_eq(b->stage, a.stage);
    ck_assert_int_eq(b->version, 7);
    ck_assert_double_eq(b->declared_facts[0]->value->number, 120.5);
    ck_assert_uint_eq(back->n_unknown_fields, 0); /* the format stays on disk */
    protobuf_c_message_free_unpacked(back, NULL);
    free(bytes);
}
END_TEST

START_TEST(test_records_refuse_newer_or_missing_format)
{
    Inspect__V1__Department d = INSPECT__V1__DEPARTMENT__INIT;
    d.code = "fire";
    uint8_t buf[64];
    size_t n = protobuf_c_message_pack(&d.base, buf); /* no format field */
    ProtobufCMessage *out = NULL;
    ck_assert_int_eq(ins_rec_decode(buf, n, &inspect__rec__department__descriptor,
                                    &inspect__v1__department__descriptor, &out),
                     INS_ECORRUPT);
    buf[n] = 0xa0; /* field 100 ... */
    buf[n + 1] = 0x06;
    buf[n + 2] = INS_REC_FORMAT + 1; /* ... from a newer build */
    ck_assert_int_eq(ins_rec_decode(buf, n + 3, &inspect__rec__department__descriptor,
                                    &inspect__v1__department__descriptor, &out),
                     INS_ECORRUPT);
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    ck_assert_int_eq(ins_rec_decode(junk, sizeof junk, &inspect__rec__department__descriptor,
                                    &inspect__v1__department__descriptor, &out),
                     INS_ECORRUPT);
    ck_assert_ptr_null(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("records");
    TCase *tc = tcase_create("records");
    tcase_add_test(tc, test_records_mirror_their_wire_messages);
    tcase_add_test(tc, test_records_mirror_check_can_fail);
    tcase_add_test(tc, test_records_round_trip);
    tcase_add_test(tc, test_records_refuse_newer_or_missing_format);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
