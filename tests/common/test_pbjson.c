/*
 * test_pbjson.c - unit tests of the descriptor-driven protobuf-c <-> JSON
 * converter (common/pbjson.c) on the inspect.v1 Directory and Licensing
 * messages.
 *
 * Round trips go JSON -> message -> wire bytes -> message -> JSON, so the
 * parsed message is checked by protobuf-c's own encoder too. Every failure
 * path asserts the exact `why` text a person would see.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "ins_pbjson.h"

/* Parses `text` as `d`; fails the test with the reason when it does not parse. */
static ProtobufCMessage *parse_ok(const ProtobufCMessageDescriptor *d, const char *text)
{
    json_object *in = json_tokener_parse(text);
    ck_assert_msg(in != NULL, "test JSON does not parse: %s", text);
    ProtobufCMessage *m = NULL;
    char why[512];
    int rc = ins_pbjson_parse(d, in, &m, why, sizeof why);
    json_object_put(in);
    ck_assert_msg(rc == 0, "parse failed: %s", why);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* Parses `text` as `d` expecting failure; returns the reason (static). */
static const char *parse_err(const ProtobufCMessageDescriptor *d, const char *text)
{
    static char why[512];
    json_object *in = json_tokener_parse(text);
    ck_assert_msg(in != NULL, "test JSON does not parse: %s", text);
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    int rc = ins_pbjson_parse(d, in, &m, why, sizeof why);
    json_object_put(in);
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(m);
    return why;
}

/* Message -> wire -> message: the copy, freed by the caller. */
static ProtobufCMessage *wire_copy(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *out = protobuf_c_message_unpack(m->descriptor, NULL, n, buf);
    free(buf);
    ck_assert_ptr_nonnull(out);
    return out;
}

/* JSON `in` -> message -> wire -> message -> JSON equals `expect`. */
static void round_trip(const ProtobufCMessageDescriptor *d, const char *in, const char *expect)
{
    ProtobufCMessage *m = parse_ok(d, in);
    ProtobufCMessage *w = wire_copy(m);
    json_object *printed = ins_pbjson_print(w);
    ck_assert_ptr_nonnull(printed);
    /* compare as text read back: json-c tells 20 (int) from 20.0 (double) */
    json_object *out =
        json_tokener_parse(json_object_to_json_string_ext(printed, JSON_C_TO_STRING_PLAIN));
    json_object_put(printed);
    ck_assert_ptr_nonnull(out);
    json_object *want = json_tokener_parse(expect);
    ck_assert_msg(want != NULL, "expected JSON does not parse: %s", expect);
    ck_assert_msg(json_object_equal(out, want), "printed %s\nexpected %s",
                  json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN),
                  json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN));
    json_object_put(out);
    json_object_put(want);
    protobuf_c_message_free_unpacked(w, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
}

static const char APPLICATION[] =
    "{\"id\":\"XD-2026-000001\",\"service_item\":\"food-business\","
    "\"applicant_name\":\"成都市新都区蜀香餐饮店\","
    "\"applicant_credit_code\":\"92510114MA6CXXXX1X\","
    "\"site_address\":\"新都区新都街道桂湖中路88号\",\"town\":\"新都街道\","
    "\"latitude\":30.82,\"longitude\":104.16,"
    "\"declared_facts\":[{\"key\":\"floor_area_m2\",\"value\":{\"number\":120.5,\"unit\":\"m2\"}},"
    "{\"key\":\"has_kitchen\",\"value\":{\"flag\":false}},"
    "{\"key\":\"category\",\"value\":{\"text\":\"\"}}],"
    "\"stage\":\"STAGE_REVIEW\",\"version\":\"3\",\"created_unix\":\"1767225600\"}";

START_TEST(test_pbjson_application_round_trip)
{
    /* the oneof members survive even when they hold their default (false, "") */
    round_trip(&inspect__v1__application__descriptor, APPLICATION, APPLICATION);
}
END_TEST

START_TEST(test_pbjson_application_fields)
{
    Inspect__V1__Application *a =
        (Inspect__V1__Application *)parse_ok(&inspect__v1__application__descriptor, APPLICATION);
    ck_assert_str_eq(a->applicant_name, "成都市新都区蜀香餐饮店");
    ck_assert_int_eq(a->stage, INSPECT__V1__STAGE__STAGE_REVIEW);
    ck_assert_int_eq(a->version, 3);
    ck_assert_double_eq(a->latitude, 30.82);
    ck_assert_uint_eq(a->n_declared_facts, 3);
    ck_assert_int_eq(a->declared_facts[0]->value->value_case,
                     INSPECT__V1__FACT_VALUE__VALUE_NUMBER);
    ck_assert_double_eq(a->declared_facts[0]->value->number, 120.5);
    ck_assert_int_eq(a->declared_facts[1]->value->value_case, INSPECT__V1__FACT_VALUE__VALUE_FLAG);
    ck_assert_int_eq(a->declared_facts[2]->value->value_case, INSPECT__V1__FACT_VALUE__VALUE_TEXT);
    ck_assert_str_eq(a->declared_facts[2]->value->text, "");
    protobuf_c_message_free_unpacked(&a->base, NULL);
}
END_TEST

START_TEST(test_pbjson_template_round_trip)
{
    static const char in[] =
        "{\"id\":\"fire-venue\",\"department\":\"fire\",\"name\":\"公众聚集场所消防检查\","
        "\"version\":2,\"items\":["
        "{\"code\":\"exits\",\"text\":\"安全出口数量\",\"kind\":\"NUMBER\",\"required\":true,"
        "\"severity\":\"critical\",\"unit\":\"个\",\"min\":0,\"max\":20,"
        "\"verifies_fact\":\"fire_exits\",\"tolerance\":{\"absolute\":0}},"
        "{\"code\":\"area\",\"kind\":2,\"unit\":\"m2\",\"min\":0.5,\"max\":1e5,"
        "\"verifies_fact\":\"floor_area_m2\",\"tolerance\":{\"relative\":0.05}},"
        "{\"code\":\"layout\",\"kind\":\"ITEM_KIND_CHOICE\",\"choices\":[\"合格\",\"不合格\"]},"
        "{\"code\":\"photo\",\"kind\":\"photo\",\"minPhotos\":3,\"severity\":\"SEVERITY_MINOR\"},"
        "{\"code\":\"flammables\",\"kind\":\"Bool\",\"fail_when_true\":true}],"
        "\"published_unix\":1767225600}";
    static const char out[] =
        "{\"id\":\"fire-venue\",\"department\":\"fire\",\"name\":\"公众聚集场所消防检查\","
        "\"version\":2,\"items\":["
        "{\"code\":\"exits\",\"text\":\"安全出口数量\",\"kind\":\"ITEM_KIND_NUMBER\","
        "\"required\":true,\"severity\":\"SEVERITY_CRITICAL\",\"unit\":\"个\",\"max\":20,"
        "\"verifies_fact\":\"fire_exits\",\"tolerance\":{\"absolute\":0}},"
        "{\"code\":\"area\",\"kind\":\"ITEM_KIND_NUMBER\",\"unit\":\"m2\",\"min\":0.5,"
        "\"max\":100000,\"verifies_fact\":\"floor_area_m2\",\"tolerance\":{\"relative\":0.05}},"
        "{\"code\":\"layout\",\"kind\":\"ITEM_KIND_CHOICE\",\"choices\":[\"合格\",\"不合格\"]},"
        "{\"code\":\"photo\",\"kind\":\"ITEM_KIND_PHOTO\",\"min_photos\":3,"
        "\"severity\":\"SEVERITY_MINOR\"},"
        "{\"code\":\"flammables\",\"kind\":\"ITEM_KIND_BOOL\",\"fail_when_true\":true}],"
        "\"published_unix\":\"1767225600\"}";
    round_trip(&inspect__v1__template__descriptor, in, out);
}
END_TEST

START_TEST(test_pbjson_inspector_bytes_and_camel_case)
{
    /* 32 bytes 0x00..0x1f, URL-safe alphabet and no padding accepted */
    static const char in[] =
        "{\"id\":\"fire-003\",\"name\":\"张伟\",\"department\":\"fire\","
        "\"qualifications\":[{\"code\":\"fire-safety-inspection\",\"expires\":\"2027-06-30\"}],"
        "\"towns\":[\"大丰街道\",\"三河街道\"],\"maxOpenTasks\":\"5\",\"active\":true,"
        "\"publicKey\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\","
        "\"baseLatitude\":30.8,\"base_longitude\":104.2,\"conflicts\":[]}";
    static const char out[] =
        "{\"id\":\"fire-003\",\"name\":\"张伟\",\"department\":\"fire\","
        "\"qualifications\":[{\"code\":\"fire-safety-inspection\",\"expires\":\"2027-06-30\"}],"
        "\"towns\":[\"大丰街道\",\"三河街道\"],\"max_open_tasks\":5,"
        "\"public_key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"active\":true,"
        "\"base_latitude\":30.8,\"base_longitude\":104.2}";
    round_trip(&inspect__v1__inspector__descriptor, in, out);
    Inspect__V1__Inspector *i =
        (Inspect__V1__Inspector *)parse_ok(&inspect__v1__inspector__descriptor, in);
    ck_assert_uint_eq(i->public_key.len, 32);
    ck_assert_uint_eq(i->public_key.data[31], 0x1f);
    protobuf_c_message_free_unpacked(&i->base, NULL);
}
END_TEST

START_TEST(test_pbjson_calendar_and_requests)
{
    round_trip(&inspect__v1__put_calendar_request__descriptor,
               "{\"request_id\":\"r1\",\"calendar\":{\"year\":2026,\"days\":["
               "{\"date\":\"2026-01-01\",\"kind\":\"HOLIDAY\",\"name\":\"元旦\"},"
               "{\"date\":\"2026-01-04\",\"kind\":\"makeup-workday\",\"name\":\"元旦调休\"}]}}",
               "{\"request_id\":\"r1\",\"calendar\":{\"year\":2026,\"days\":["
               "{\"date\":\"2026-01-01\",\"kind\":\"DAY_KIND_HOLIDAY\",\"name\":\"元旦\"},"
               "{\"date\":\"2026-01-04\",\"kind\":\"DAY_KIND_MAKEUP_WORKDAY\","
               "\"name\":\"元旦调休\"}]}}");
    round_trip(&inspect__v1__list_applications_request__descriptor,
               "{\"stage\":\"intake\",\"page_size\":500,\"page_token\":null}",
               "{\"stage\":\"STAGE_INTAKE\",\"page_size\":500}");
}
END_TEST

START_TEST(test_pbjson_defaults_skipped)
{
    round_trip(&inspect__v1__department__descriptor,
               "{\"code\":\"\",\"name\":\"\",\"kind\":\"DEPARTMENT_KIND_UNSPECIFIED\","
               "\"version\":0}",
               "{}");
    round_trip(&inspect__v1__service_item__descriptor,
               "{\"code\":\"x\",\"departments\":[{}],\"limit_working_days\":0}",
               "{\"code\":\"x\",\"departments\":[{}]}");
}
END_TEST

START_TEST(test_pbjson_double_shortest)
{
    Inspect__V1__Application a = INSPECT__V1__APPLICATION__INIT;
    a.latitude = 30.82;
    a.longitude = 0.1 + 0.2;
    json_object *o = ins_pbjson_print(&a.base);
    ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                     "{\"latitude\":30.82,\"longitude\":0.30000000000000004}");
    json_object_put(o);
}
END_TEST

START_TEST(test_pbjson_enum_helpers)
{
    int v = -1;
    ck_assert_int_eq(ins_pbjson_enum_parse(&inspect__v1__stage__descriptor, "archived", &v), 0);
    ck_assert_int_eq(v, INSPECT__V1__STAGE__STAGE_ARCHIVED);
    ck_assert_int_eq(ins_pbjson_enum_parse(&inspect__v1__stage__descriptor, "stage_decision", &v),
                     0);
    ck_assert_int_eq(v, INSPECT__V1__STAGE__STAGE_DECISION);
    ck_assert_int_eq(ins_pbjson_enum_parse(&inspect__v1__stage__descriptor, "5", &v), 0);
    ck_assert_int_eq(v, INSPECT__V1__STAGE__STAGE_CERTIFIED);
    ck_assert_int_eq(ins_pbjson_enum_parse(&inspect__v1__stage__descriptor, "7", &v), -1);
    ck_assert_int_eq(ins_pbjson_enum_parse(&inspect__v1__stage__descriptor, "STAGE_", &v), -1);
    char buf[32];
    ck_assert_str_eq(ins_pbjson_enum_short(&inspect__v1__day_kind__descriptor,
                                           INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY, buf,
                                           sizeof buf),
                     "makeup_workday");
    ck_assert_str_eq(ins_pbjson_enum_short(&inspect__v1__stage__descriptor, 42, buf, sizeof buf),
                     "42");
}
END_TEST

START_TEST(test_pbjson_unknown_field_has_path)
{
    ck_assert_str_eq(
        parse_err(&inspect__v1__upsert_service_item_request__descriptor,
                  "{\"item\":{\"code\":\"food\",\"departments\":[{\"department\":\"market\"},"
                  "{\"department\":\"fire\",\"qualificaton\":\"fire-safety\"}]}}"),
        "item.departments[1].qualificaton: unknown field of inspect.v1.RequiredDepartment");
    ck_assert_str_eq(parse_err(&inspect__v1__department__descriptor, "{\"Code\":\"x\"}"),
                     "Code: unknown field of inspect.v1.Department");
}
END_TEST

START_TEST(test_pbjson_bad_enum)
{
    ck_assert_str_eq(parse_err(&inspect__v1__template__descriptor,
                               "{\"items\":[{\"code\":\"a\",\"kind\":\"BOOLEAN\"}]}"),
                     "items[0].kind: \"BOOLEAN\" is not a inspect.v1.ItemKind (one of "
                     "UNSPECIFIED, BOOL, NUMBER, CHOICE, TEXT, PHOTO)");
    ck_assert_str_eq(parse_err(&inspect__v1__set_stage_request__descriptor, "{\"stage\":9}"),
                     "stage: 9 is not a inspect.v1.Stage (one of UNSPECIFIED, INTAKE, REVIEW, "
                     "INSPECTION, DECISION, CERTIFIED, ARCHIVED)");
    ck_assert_str_eq(parse_err(&inspect__v1__set_stage_request__descriptor, "{\"stage\":true}"),
                     "stage: expected an enum name (string) or number, got a boolean");
}
END_TEST

START_TEST(test_pbjson_wrong_types)
{
    const ProtobufCMessageDescriptor *a = &inspect__v1__application__descriptor;
    const ProtobufCMessageDescriptor *i = &inspect__v1__inspector__descriptor;
    ck_assert_str_eq(parse_err(a, "{\"latitude\":\"north\"}"),
                     "latitude: \"north\" is not a number");
    ck_assert_str_eq(parse_err(a, "{\"latitude\":[1]}"),
                     "latitude: expected a number, got an array");
    ck_assert_str_eq(parse_err(a, "{\"id\":7}"), "id: expected a string, got a number");
    ck_assert_str_eq(parse_err(a, "{\"version\":1.5}"), "version: 1.5 is not an integer");
    ck_assert_str_eq(parse_err(a, "{\"version\":\"12a\"}"), "version: \"12a\" is not an integer");
    ck_assert_str_eq(parse_err(a, "{\"declared_facts\":{\"key\":\"x\"}}"),
                     "declared_facts: expected an array, got an object");
    ck_assert_str_eq(parse_err(a, "{\"declared_facts\":[null]}"),
                     "declared_facts[0]: null is not allowed in an array");
    ck_assert_str_eq(parse_err(a, "{\"declared_facts\":[{\"key\":\"x\",\"value\":3}]}"),
                     "declared_facts[0].value: expected an object (inspect.v1.FactValue), got a "
                     "number");
    ck_assert_str_eq(parse_err(i, "{\"max_open_tasks\":-1}"),
                     "max_open_tasks: -1 is out of range (must not be negative)");
    ck_assert_str_eq(parse_err(i, "{\"max_open_tasks\":4294967296}"),
                     "max_open_tasks: 4294967296 is out of range");
    ck_assert_str_eq(parse_err(i, "{\"active\":\"yes\"}"),
                     "active: expected true or false, got a string");
    ck_assert_str_eq(parse_err(i, "{\"public_key\":\"!!!\"}"), "public_key: not valid base64");
    ck_assert_str_eq(parse_err(&inspect__v1__calendar__descriptor, "{\"year\":3000000000}"),
                     "year: 3000000000 is out of range");
    ck_assert_str_eq(parse_err(a, "[1,2]"),
                     "expected an object (inspect.v1.Application), got an array");
}
END_TEST

START_TEST(test_pbjson_oneof_twice)
{
    ck_assert_str_eq(
        parse_err(&inspect__v1__fact_value__descriptor, "{\"number\":1,\"text\":\"one\"}"),
        "text: only one of a oneof may be set, and number is set already");
    ck_assert_str_eq(
        parse_err(&inspect__v1__tolerance__descriptor, "{\"absolute\":1,\"relative\":\"x\"}"),
        "relative: only one of a oneof may be set, and absolute is set already");
}
END_TEST

START_TEST(test_pbjson_error_frees_partial)
{
    /* under ASan, a leak or double free of the half-built message fails */
    parse_err(&inspect__v1__application__descriptor,
              "{\"id\":\"a\",\"declared_facts\":[{\"key\":\"k\",\"value\":{\"text\":\"t\"}},"
              "{\"key\":\"k2\",\"value\":{\"text\":5}}],\"town\":\"x\"}");
    parse_err(&inspect__v1__inspector__descriptor,
              "{\"towns\":[\"a\",\"b\",3],\"public_key\":\"AAAA\"}");
}
END_TEST

START_TEST(test_pbjson_why_truncated)
{
    json_object *in = json_tokener_parse("{\"unknown_field_name\":1}");
    ProtobufCMessage *m;
    char why[8];
    ck_assert_int_eq(
        ins_pbjson_parse(&inspect__v1__department__descriptor, in, &m, why, sizeof why), -1);
    ck_assert_str_eq(why, "unknown");
    ck_assert_int_eq(ins_pbjson_parse(&inspect__v1__department__descriptor, in, &m, NULL, 0), -1);
    json_object_put(in);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pbjson");
    struct {
        const char *name;
        const TTest *fn;
    } cases[] = {
        {"application_round_trip", test_pbjson_application_round_trip},
        {"application_fields", test_pbjson_application_fields},
        {"template_round_trip", test_pbjson_template_round_trip},
        {"inspector_bytes_and_camel_case", test_pbjson_inspector_bytes_and_camel_case},
        {"calendar_and_requests", test_pbjson_calendar_and_requests},
        {"defaults_skipped", test_pbjson_defaults_skipped},
        {"double_shortest", test_pbjson_double_shortest},
        {"enum_helpers", test_pbjson_enum_helpers},
        {"unknown_field_has_path", test_pbjson_unknown_field_has_path},
        {"bad_enum", test_pbjson_bad_enum},
        {"wrong_types", test_pbjson_wrong_types},
        {"oneof_twice", test_pbjson_oneof_twice},
        {"error_frees_partial", test_pbjson_error_frees_partial},
        {"why_truncated", test_pbjson_why_truncated},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        TCase *tc = tcase_create(cases[k].name);
        tcase_add_test(tc, cases[k].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
