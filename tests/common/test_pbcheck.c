/*
 * test_pbcheck.c - the wire boundary's generic check (ins_pbcheck.h): every
 * string at any depth is valid UTF-8, named by its path; oneof members only
 * when set; nesting bounded; lengths and counts within the one table of
 * ins_limits.h, exactly at the limit accepted, one over refused with the
 * field's path and the limit.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "ins_error.h"
#include "ins_limits.h"
#include "ins_pbcheck.h"
#include "inspect/v1/audit.pb-c.h"
#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "inspect/v1/session.pb-c.h"

static char bad[] = "ok\xff";

START_TEST(test_pbcheck_valid_message_passes)
{
    Inspect__V1__Answer a = INSPECT__V1__ANSWER__INIT;
    a.item_code = "消防-01";
    a.value_case = INSPECT__V1__ANSWER__VALUE_TEXT;
    a.text = "通道畅通";
    char why[256] = "x";
    ck_assert_int_eq(ins_pb_check(&a.base, why, sizeof why), 0);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(ins_pb_check(NULL, why, sizeof why), 0);
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
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), INS_EINVAL);
    ck_assert_msg(
        strncmp(why, "findings.answers[1].text is not valid UTF-8 (bad byte at offset 2)", 66) == 0,
        "%s", why);
    /* the same bytes in an unset oneof member are not read */
    a1.value_case = INSPECT__V1__ANSWER__VALUE_CHOICE;
    a1.choice = "yes";
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), 0);
    /* a repeated string is named by its index */
    char *ids[] = {"p0", bad};
    a0.n_photo_ids = 2;
    a0.photo_ids = ids;
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), INS_EINVAL);
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
    ck_assert_int_eq(ins_pb_check(m, why, sizeof why), INS_EINVAL);
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
    ck_assert_int_eq(ins_pb_check(&d[0].base, why, sizeof why), INS_EINVAL);
    ck_assert_msg(strstr(why, "more than 32 deep") != NULL, "%s", why);
    d[20].n_nested_type = 0; /* 21 levels are fine */
    ck_assert_int_eq(ins_pb_check(&d[0].base, why, sizeof why), 0);
}
END_TEST

/* A string of `n` bytes of 'a' (caller frees). */
static char *filled(size_t n)
{
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, 'a', n);
    s[n] = '\0';
    return s;
}

START_TEST(test_pbcheck_string_one_over_limit_refused)
{
    Inspect__V1__FindingsBody body = INSPECT__V1__FINDINGS_BODY__INIT;
    Inspect__V1__SubmitFindingsRequest req = INSPECT__V1__SUBMIT_FINDINGS_REQUEST__INIT;
    req.findings = &body;
    char why[256];
    char *at = filled(INS_FINDINGS_NOTES_MAX), *over = filled(INS_FINDINGS_NOTES_MAX + 1);
    body.notes = at;
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), 0);
    body.notes = over;
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "findings.notes is 8,001 bytes; at most 8,000");
    /* the same length in a field with a looser row is fine */
    body.notes = "";
    req.request_id = "r-1";
    Inspect__V1__UpsertApplicationRequest up = INSPECT__V1__UPSERT_APPLICATION_REQUEST__INIT;
    Inspect__V1__Application app = INSPECT__V1__APPLICATION__INIT;
    up.application = &app;
    app.site_address = filled(INS_ADDRESS_MAX + 1);
    ck_assert_int_eq(ins_pb_check(&up.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "application.site_address is 501 bytes; at most 500");
    free(app.site_address);
    free(at);
    free(over);
}
END_TEST

START_TEST(test_pbcheck_repeated_one_over_limit_refused)
{
    Inspect__V1__DeclaredFact fact = INSPECT__V1__DECLARED_FACT__INIT;
    fact.key = "floor_area_m2";
    Inspect__V1__DeclaredFact *facts[INS_FACTS_MAX + 1];
    for (size_t i = 0; i < INS_FACTS_MAX + 1; i++)
        facts[i] = &fact;
    Inspect__V1__Application app = INSPECT__V1__APPLICATION__INIT;
    app.declared_facts = facts;
    app.n_declared_facts = INS_FACTS_MAX;
    Inspect__V1__UpsertApplicationRequest up = INSPECT__V1__UPSERT_APPLICATION_REQUEST__INIT;
    up.application = &app;
    char why[256];
    ck_assert_int_eq(ins_pb_check(&up.base, why, sizeof why), 0);
    app.n_declared_facts = INS_FACTS_MAX + 1;
    ck_assert_int_eq(ins_pb_check(&up.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "application.declared_facts has 201 entries; at most 200");
}
END_TEST

/* A limit four levels down, on an entry of a repeated string, and on the
 * field a row names for one message only (Answer.text, not TemplateItem's). */
START_TEST(test_pbcheck_nested_limit_named_by_path)
{
    char *id_at = filled(INS_ID_MAX), *id_over = filled(INS_ID_MAX + 1);
    char *ids[] = {id_at, id_over};
    Inspect__V1__Answer a0 = INSPECT__V1__ANSWER__INIT, a1 = INSPECT__V1__ANSWER__INIT;
    a0.item_code = "a0";
    a1.item_code = "a1";
    a1.photo_ids = ids;
    a1.n_photo_ids = 1;
    Inspect__V1__Answer *answers[] = {&a0, &a1};
    Inspect__V1__FindingsBody body = INSPECT__V1__FINDINGS_BODY__INIT;
    body.answers = answers;
    body.n_answers = 2;
    Inspect__V1__SubmitFindingsRequest req = INSPECT__V1__SUBMIT_FINDINGS_REQUEST__INIT;
    req.findings = &body;
    char why[256];
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), 0);
    a1.n_photo_ids = 2;
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "findings.answers[1].photo_ids[1] is 65 bytes; at most 64");
    a1.n_photo_ids = 1;
    char *text = filled(INS_ANSWER_TEXT_MAX + 1);
    a0.value_case = INSPECT__V1__ANSWER__VALUE_TEXT;
    a0.text = text;
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "findings.answers[0].text is 4,001 bytes; at most 4,000");
    /* the same text as a template question: that row is 1,000 */
    a0.value_case = INSPECT__V1__ANSWER__VALUE__NOT_SET;
    Inspect__V1__TemplateItem item = INSPECT__V1__TEMPLATE_ITEM__INIT;
    Inspect__V1__TemplateItem *items[] = {&item};
    item.text = text;
    Inspect__V1__Template t = INSPECT__V1__TEMPLATE__INIT;
    t.items = items;
    t.n_items = 1;
    Inspect__V1__PublishTemplateRequest pub = INSPECT__V1__PUBLISH_TEMPLATE_REQUEST__INIT;
    pub.template_ = &t;
    ck_assert_int_eq(ins_pb_check(&pub.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "template.items[0].text is 4,001 bytes; at most 1,000");
    free(text);
    free(id_at);
    free(id_over);
}
END_TEST

/* Fields the table does not name get the defaults; bytes fields too, and
 * an upload chunk its own row. */
START_TEST(test_pbcheck_defaults_bound_every_field)
{
    char why[256];
    static uint8_t big[INS_CHUNK_MAX + 1];
    Inspect__V1__SubmitFindingsRequest req = INSPECT__V1__SUBMIT_FINDINGS_REQUEST__INIT;
    req.signature.data = big;
    req.signature.len = INS_WIRE_STRING_MAX;
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), 0);
    req.signature.len = INS_WIRE_STRING_MAX + 1;
    ck_assert_int_eq(ins_pb_check(&req.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "signature is 65,537 bytes; at most 65,536");

    Inspect__V1__UploadChunk chunk = INSPECT__V1__UPLOAD_CHUNK__INIT;
    chunk.data.data = big;
    chunk.data.len = INS_CHUNK_MAX;
    Inspect__V1__UploadPhotoRequest up = INSPECT__V1__UPLOAD_PHOTO_REQUEST__INIT;
    up.part_case = INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_CHUNK;
    up.chunk = &chunk;
    ck_assert_int_eq(ins_pb_check(&up.base, why, sizeof why), 0);
    chunk.data.len = INS_CHUNK_MAX + 1;
    ck_assert_int_eq(ins_pb_check(&up.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "chunk.data is 1,048,577 bytes; at most 1,048,576");

    enum { N = INS_WIRE_REPEATED_MAX + 1 };
    static char *conflicts[N];
    for (size_t i = 0; i < N; i++)
        conflicts[i] = "91510114MA6CGXYZ1K";
    Inspect__V1__Inspector in = INSPECT__V1__INSPECTOR__INIT;
    in.conflicts = conflicts;
    in.n_conflicts = N - 1;
    Inspect__V1__UpsertInspectorRequest ui = INSPECT__V1__UPSERT_INSPECTOR_REQUEST__INIT;
    ui.inspector = &in;
    ck_assert_int_eq(ins_pb_check(&ui.base, why, sizeof why), 0);
    in.n_conflicts = N;
    ck_assert_int_eq(ins_pb_check(&ui.base, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "inspector.conflicts has 1,001 entries; at most 1,000");
}
END_TEST

/* Collects into seen[] every message reachable from a request of `svc`. */
static void reach(const ProtobufCMessageDescriptor *d, const ProtobufCMessageDescriptor **seen,
                  size_t *n, size_t cap)
{
    for (size_t i = 0; i < *n; i++)
        if (seen[i] == d)
            return;
    ck_assert_uint_lt(*n, cap);
    seen[(*n)++] = d;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
            reach(d->fields[i].descriptor, seen, n, cap);
}

/* Every row of the table limits a field some request can carry, with the
 * kind of limit that field can have (a name-anywhere row may also match a
 * message field of that name, which its length does not concern): a
 * misspelt or stale row fails here. */
START_TEST(test_limits_table_rows_name_request_fields)
{
    const ProtobufCServiceDescriptor *svcs[] = {
        &inspect__v1__audit__descriptor,     &inspect__v1__departments__descriptor,
        &inspect__v1__directory__descriptor, &inspect__v1__dispatch__descriptor,
        &inspect__v1__field__descriptor,     &inspect__v1__licensing__descriptor,
        &inspect__v1__session__descriptor,
    };
    const ProtobufCMessageDescriptor *seen[256];
    size_t n_seen = 0;
    for (size_t s = 0; s < sizeof svcs / sizeof svcs[0]; s++)
        for (unsigned m = 0; m < svcs[s]->n_methods; m++)
            reach(svcs[s]->methods[m].input, seen, &n_seen, 256);
    size_t n;
    const ins_limit *rows = ins_limit_table(&n);
    for (size_t r = 0; r < n; r++) {
        int sized = 0, repeated = 0;
        for (size_t i = 0; i < n_seen; i++) {
            if (rows[r].message && strcmp(rows[r].message, seen[i]->name) != 0)
                continue;
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field_by_name(seen[i], rows[r].field);
            if (!f)
                continue;
            sized |= f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES;
            repeated |= f->label == PROTOBUF_C_LABEL_REPEATED;
        }
        const char *m = rows[r].message ? rows[r].message : "*";
        ck_assert_msg(rows[r].len || rows[r].count, "row %s.%s limits nothing", m, rows[r].field);
        ck_assert_msg(!rows[r].len || sized, "row %s.%s: no such string or bytes field", m,
                      rows[r].field);
        ck_assert_msg(!rows[r].count || repeated, "row %s.%s: no such repeated field", m,
                      rows[r].field);
        ck_assert_msg(rows[r].count <= INS_WIRE_REPEATED_MAX, "row %s.%s", m, rows[r].field);
    }
}
END_TEST

START_TEST(test_pbcheck_nul_in_string_refused)
{
    /* SubmitFindingsRequest { findings (2) { notes (6): "a\0b" } } */
    static const uint8_t nul[] = {0x12, 0x05, 0x32, 0x03, 'a', 0x00, 'b'};
    static const uint8_t good[] = {0x12, 0x05, 0x32, 0x03, 'a', 'c', 'b'};
    char why[256];
    ck_assert_int_eq(ins_pb_check_nul(&inspect__v1__submit_findings_request__descriptor, nul,
                                      sizeof nul, why, sizeof why),
                     INS_EINVAL);
    ck_assert_msg(strstr(why, "findings.notes holds a NUL byte") == why, "%s", why);
    ck_assert_int_eq(ins_pb_check_nul(&inspect__v1__submit_findings_request__descriptor, good,
                                      sizeof good, why, sizeof why),
                     0);
    /* bytes fields may hold NUL: SubmitFindingsRequest.signature (3) */
    static const uint8_t sig[] = {0x1a, 0x02, 0x00, 0x00};
    ck_assert_int_eq(ins_pb_check_nul(&inspect__v1__submit_findings_request__descriptor, sig,
                                      sizeof sig, NULL, 0),
                     0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pbcheck");
    TCase *tc = tcase_create("pbcheck");
    tcase_add_test(tc, test_pbcheck_valid_message_passes);
    tcase_add_test(tc, test_pbcheck_nested_repeated_oneof_named);
    tcase_add_test(tc, test_pbcheck_depth_bounded);
    tcase_add_test(tc, test_pbcheck_nul_in_string_refused);
    tcase_add_test(tc, test_pbcheck_field_number_zero_refused);
    tcase_add_test(tc, test_pbcheck_string_one_over_limit_refused);
    tcase_add_test(tc, test_pbcheck_repeated_one_over_limit_refused);
    tcase_add_test(tc, test_pbcheck_nested_limit_named_by_path);
    tcase_add_test(tc, test_pbcheck_defaults_bound_every_field);
    tcase_add_test(tc, test_limits_table_rows_name_request_fields);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
