/*
 * test_descset.c - unit tests of the FileDescriptorSet index behind
 * reflection (common/descset.c).
 *
 * Most cases build a small set by hand with protobuf-c, so imports,
 * nesting, extensions and broken inputs can be shaped at will:
 *
 *   c.proto  package p: message C { message Inner { enum Color { RED } } }
 *                       enum Mode { MODE_A }
 *   b.proto  package p, imports c.proto: service S { rpc M }
 *   a.proto  package q, imports b.proto and c.proto: message A,
 *            extend p.C { int32 ext_a = 100 }
 *
 * One case also opens the set the server embeds. One tcase per behaviour;
 * failures assert the exact error code.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ins_descset.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "ins_error.h"

extern const unsigned char ins_descriptor_set[];
extern const size_t ins_descriptor_set_len;

/* ---- building test sets ------------------------------------------------ */

typedef Google__Protobuf__FileDescriptorProto file_proto;

/* Static storage for the hand-built set; rebuilt by build_set(). */
static Google__Protobuf__EnumValueDescriptorProto v_red, v_mode_a;
static Google__Protobuf__EnumValueDescriptorProto *color_values[1], *mode_values[1];
static Google__Protobuf__EnumDescriptorProto e_color, e_mode;
static Google__Protobuf__EnumDescriptorProto *inner_enums[1], *c_enums[1];
static Google__Protobuf__DescriptorProto m_inner, m_c, m_a;
static Google__Protobuf__DescriptorProto *c_nested[1], *c_msgs[1], *a_msgs[1];
static Google__Protobuf__FieldDescriptorProto f_ext;
static Google__Protobuf__FieldDescriptorProto *a_exts[1];
static Google__Protobuf__MethodDescriptorProto meth_m;
static Google__Protobuf__MethodDescriptorProto *s_methods[1];
static Google__Protobuf__ServiceDescriptorProto svc_s;
static Google__Protobuf__ServiceDescriptorProto *b_services[1];
static char *b_deps[1] = {"c.proto"};
static char *a_deps[2] = {"b.proto", "c.proto"};
static file_proto f_a, f_b, f_c;

static void build_files(void)
{
    google__protobuf__enum_value_descriptor_proto__init(&v_red);
    v_red.name = "RED";
    google__protobuf__enum_value_descriptor_proto__init(&v_mode_a);
    v_mode_a.name = "MODE_A";
    color_values[0] = &v_red;
    mode_values[0] = &v_mode_a;

    google__protobuf__enum_descriptor_proto__init(&e_color);
    e_color.name = "Color";
    e_color.n_value = 1;
    e_color.value = color_values;
    google__protobuf__enum_descriptor_proto__init(&e_mode);
    e_mode.name = "Mode";
    e_mode.n_value = 1;
    e_mode.value = mode_values;
    inner_enums[0] = &e_color;
    c_enums[0] = &e_mode;

    google__protobuf__descriptor_proto__init(&m_inner);
    m_inner.name = "Inner";
    m_inner.n_enum_type = 1;
    m_inner.enum_type = inner_enums;
    c_nested[0] = &m_inner;
    google__protobuf__descriptor_proto__init(&m_c);
    m_c.name = "C";
    m_c.n_nested_type = 1;
    m_c.nested_type = c_nested;
    c_msgs[0] = &m_c;
    google__protobuf__descriptor_proto__init(&m_a);
    m_a.name = "A";
    a_msgs[0] = &m_a;

    google__protobuf__field_descriptor_proto__init(&f_ext);
    f_ext.name = "ext_a";
    f_ext.has_number = 1;
    f_ext.number = 100;
    f_ext.extendee = ".p.C";
    a_exts[0] = &f_ext;

    google__protobuf__method_descriptor_proto__init(&meth_m);
    meth_m.name = "M";
    meth_m.input_type = ".p.C";
    meth_m.output_type = ".p.C";
    s_methods[0] = &meth_m;
    google__protobuf__service_descriptor_proto__init(&svc_s);
    svc_s.name = "S";
    svc_s.n_method = 1;
    svc_s.method = s_methods;
    b_services[0] = &svc_s;

    google__protobuf__file_descriptor_proto__init(&f_c);
    f_c.name = "c.proto";
    f_c.package = "p";
    f_c.n_message_type = 1;
    f_c.message_type = c_msgs;
    f_c.n_enum_type = 1;
    f_c.enum_type = c_enums;

    google__protobuf__file_descriptor_proto__init(&f_b);
    f_b.name = "b.proto";
    f_b.package = "p";
    f_b.n_dependency = 1;
    f_b.dependency = b_deps;
    f_b.n_service = 1;
    f_b.service = b_services;

    google__protobuf__file_descriptor_proto__init(&f_a);
    f_a.name = "a.proto";
    f_a.package = "q";
    f_a.n_dependency = 2;
    f_a.dependency = a_deps;
    f_a.n_message_type = 1;
    f_a.message_type = a_msgs;
    f_a.n_extension = 1;
    f_a.extension = a_exts;
}

/* Packs the given files into a FileDescriptorSet; the caller frees *buf. */
static void pack_set(file_proto **files, size_t n, unsigned char **buf, size_t *len)
{
    Google__Protobuf__FileDescriptorSet fds = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_SET__INIT;
    fds.n_file = n;
    fds.file = files;
    *len = google__protobuf__file_descriptor_set__get_packed_size(&fds);
    *buf = malloc(*len ? *len : 1);
    ck_assert_ptr_nonnull(*buf);
    google__protobuf__file_descriptor_set__pack(&fds, *buf);
}

/* Opens a set of `files`; asserts that ins_descset_open returns `want`. */
static ins_descset *open_files(file_proto **files, size_t n, int want)
{
    unsigned char *buf;
    size_t len;
    ins_descset *set = (ins_descset *)1;
    pack_set(files, n, &buf, &len);
    ck_assert_int_eq(ins_descset_open(buf, len, &set), want);
    free(buf);
    if (want != 0)
        ck_assert_ptr_null(set);
    return set;
}

/* The a/b/c set, in an order where a file precedes its imports. */
static ins_descset *open_abc(void)
{
    build_files();
    file_proto *files[] = {&f_a, &f_b, &f_c};
    ins_descset *set = open_files(files, 3, 0);
    ck_assert_ptr_nonnull(set);
    return set;
}

static void assert_symbol(const ins_descset *set, const char *sym, const char *file,
                          ins_descset_kind kind)
{
    const char *got = NULL;
    ins_descset_kind k = 0;
    ck_assert_int_eq(ins_descset_file_for_symbol(set, sym, &got, &k), 0);
    ck_assert_str_eq(got, file);
    ck_assert_int_eq(k, kind);
}

/* Records the walk of ins_descset_files_with_deps. */
struct walk {
    const char *names[16];
    size_t n;
    int stop_at; /* 1-based call that returns 42; 0: never */
};

static int record(void *arg, const char *name, const unsigned char *bytes, size_t len)
{
    struct walk *w = arg;
    ck_assert_uint_lt(w->n, 16);
    ck_assert_ptr_nonnull(bytes);
    /* The bytes are a FileDescriptorProto of that very file. */
    file_proto *fp = google__protobuf__file_descriptor_proto__unpack(NULL, len, bytes);
    ck_assert_ptr_nonnull(fp);
    ck_assert_str_eq(fp->name, name);
    google__protobuf__file_descriptor_proto__free_unpacked(fp, NULL);
    w->names[w->n++] = name;
    return (w->stop_at && (int)w->n == w->stop_at) ? 42 : 0;
}

/* ---- lookups ----------------------------------------------------------- */

START_TEST(test_descset_message)
{
    ins_descset *set = open_abc();
    assert_symbol(set, "p.C", "c.proto", INS_DESCSET_MESSAGE);
    assert_symbol(set, "q.A", "a.proto", INS_DESCSET_MESSAGE);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_nested_message)
{
    ins_descset *set = open_abc();
    assert_symbol(set, "p.C.Inner", "c.proto", INS_DESCSET_MESSAGE);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_enum)
{
    ins_descset *set = open_abc();
    assert_symbol(set, "p.Mode", "c.proto", INS_DESCSET_ENUM);
    assert_symbol(set, "p.C.Inner.Color", "c.proto", INS_DESCSET_ENUM);
    /* Enum values live in the scope that encloses their enum. */
    assert_symbol(set, "p.MODE_A", "c.proto", INS_DESCSET_ENUM_VALUE);
    assert_symbol(set, "p.C.Inner.RED", "c.proto", INS_DESCSET_ENUM_VALUE);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_service_and_method)
{
    ins_descset *set = open_abc();
    assert_symbol(set, "p.S", "b.proto", INS_DESCSET_SERVICE);
    assert_symbol(set, "p.S.M", "b.proto", INS_DESCSET_METHOD);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_leading_dot)
{
    ins_descset *set = open_abc();
    assert_symbol(set, ".p.S", "b.proto", INS_DESCSET_SERVICE);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_unknown_symbol)
{
    ins_descset *set = open_abc();
    const char *file = "untouched";
    ck_assert_int_eq(ins_descset_file_for_symbol(set, "p.Nope", &file, NULL), INS_ENOTFOUND);
    ck_assert_str_eq(file, "untouched");
    ck_assert_int_eq(ins_descset_file_for_symbol(set, "p.S.Nope", NULL, NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins_descset_file_for_symbol(set, "C", NULL, NULL), INS_ENOTFOUND);
    /* A package is not a symbol; neither is the empty name. */
    ck_assert_int_eq(ins_descset_file_for_symbol(set, "p", NULL, NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins_descset_file_for_symbol(set, "", NULL, NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins_descset_file_for_symbol(set, ".", NULL, NULL), INS_ENOTFOUND);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_file_by_name)
{
    ins_descset *set = open_abc();
    const unsigned char *bytes = NULL;
    size_t len = 0;
    ck_assert_uint_eq(ins_descset_file_count(set), 3);
    ck_assert_int_eq(ins_descset_file(set, "b.proto", &bytes, &len), 0);
    file_proto *fp = google__protobuf__file_descriptor_proto__unpack(NULL, len, bytes);
    ck_assert_ptr_nonnull(fp);
    ck_assert_str_eq(fp->name, "b.proto");
    ck_assert_uint_eq(fp->n_service, 1);
    ck_assert_str_eq(fp->service[0]->name, "S");
    google__protobuf__file_descriptor_proto__free_unpacked(fp, NULL);
    ck_assert_int_eq(ins_descset_file(set, "nope.proto", &bytes, &len), INS_ENOTFOUND);
    ck_assert_int_eq(ins_descset_file(set, "", NULL, NULL), INS_ENOTFOUND);
    ins_descset_free(set);
}
END_TEST

/* ---- dependencies ------------------------------------------------------ */

START_TEST(test_descset_deps_transitive_each_once)
{
    ins_descset *set = open_abc();
    struct walk w = {0};
    /* a imports b and c; b imports c again: c must come once. */
    ck_assert_int_eq(ins_descset_files_with_deps(set, "a.proto", record, &w), 0);
    ck_assert_uint_eq(w.n, 3);
    ck_assert_str_eq(w.names[0], "a.proto");
    ck_assert_str_eq(w.names[1], "b.proto");
    ck_assert_str_eq(w.names[2], "c.proto");

    struct walk wb = {0};
    ck_assert_int_eq(ins_descset_files_with_deps(set, "b.proto", record, &wb), 0);
    ck_assert_uint_eq(wb.n, 2);
    ck_assert_str_eq(wb.names[0], "b.proto");
    ck_assert_str_eq(wb.names[1], "c.proto");

    struct walk wc = {0};
    ck_assert_int_eq(ins_descset_files_with_deps(set, "c.proto", record, &wc), 0);
    ck_assert_uint_eq(wc.n, 1);
    ck_assert_str_eq(wc.names[0], "c.proto");
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_deps_import_cycle)
{
    /* protoc refuses cycles, but a hand-made set must not loop forever. */
    build_files();
    static char *c_deps[1] = {"a.proto"};
    f_c.n_dependency = 1;
    f_c.dependency = c_deps;
    file_proto *files[] = {&f_c, &f_b, &f_a};
    ins_descset *set = open_files(files, 3, 0);
    struct walk w = {0};
    ck_assert_int_eq(ins_descset_files_with_deps(set, "b.proto", record, &w), 0);
    ck_assert_uint_eq(w.n, 3);
    ck_assert_str_eq(w.names[0], "b.proto");
    ck_assert_str_eq(w.names[1], "c.proto");
    ck_assert_str_eq(w.names[2], "a.proto");
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_deps_unknown_file)
{
    ins_descset *set = open_abc();
    struct walk w = {0};
    ck_assert_int_eq(ins_descset_files_with_deps(set, "nope.proto", record, &w), INS_ENOTFOUND);
    ck_assert_uint_eq(w.n, 0);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_deps_callback_stops_walk)
{
    ins_descset *set = open_abc();
    struct walk w = {.stop_at = 2};
    ck_assert_int_eq(ins_descset_files_with_deps(set, "a.proto", record, &w), 42);
    ck_assert_uint_eq(w.n, 2);
    ins_descset_free(set);
}
END_TEST

/* ---- extensions -------------------------------------------------------- */

START_TEST(test_descset_extension_lookup)
{
    ins_descset *set = open_abc();
    const char *file = NULL;
    ck_assert_int_eq(ins_descset_file_for_extension(set, "p.C", 100, &file), 0);
    ck_assert_str_eq(file, "a.proto");
    ck_assert_int_eq(ins_descset_file_for_extension(set, ".p.C", 100, NULL), 0);
    ck_assert_int_eq(ins_descset_file_for_extension(set, "p.C", 101, NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins_descset_file_for_extension(set, "q.A", 100, NULL), INS_ENOTFOUND);
    /* The extension is also a symbol of the scope that declares it. */
    assert_symbol(set, "q.ext_a", "a.proto", INS_DESCSET_FIELD);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_extension_numbers)
{
    ins_descset *set = open_abc();
    int32_t *nums = (int32_t *)1;
    size_t n = 99;
    ck_assert_int_eq(ins_descset_extension_numbers(set, "p.C", &nums, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(nums[0], 100);
    free(nums);
    /* A message without extensions: success, none. */
    ck_assert_int_eq(ins_descset_extension_numbers(set, "q.A", &nums, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(nums);
    /* Not a message type. */
    ck_assert_int_eq(ins_descset_extension_numbers(set, "p.Mode", &nums, &n), INS_ENOTFOUND);
    ck_assert_int_eq(ins_descset_extension_numbers(set, "p.Nope", &nums, &n), INS_ENOTFOUND);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(nums);
    ins_descset_free(set);
}
END_TEST

/* ---- bad input --------------------------------------------------------- */

START_TEST(test_descset_open_garbage)
{
    static const unsigned char junk[] = {0x0a, 0xff, 0xff, 0x01, 0x02};
    ins_descset *set = (ins_descset *)1;
    ck_assert_int_eq(ins_descset_open(junk, sizeof(junk), &set), INS_EINVAL);
    ck_assert_ptr_null(set);
}
END_TEST

START_TEST(test_descset_open_missing_import)
{
    build_files();
    file_proto *files[] = {&f_a, &f_b}; /* c.proto left out */
    open_files(files, 2, INS_EINVAL);
}
END_TEST

START_TEST(test_descset_open_duplicate_file)
{
    build_files();
    file_proto *files[] = {&f_c, &f_c};
    open_files(files, 2, INS_EINVAL);
}
END_TEST

START_TEST(test_descset_open_duplicate_symbol)
{
    build_files();
    file_proto dup;
    google__protobuf__file_descriptor_proto__init(&dup);
    dup.name = "dup.proto";
    dup.package = "p";
    dup.n_message_type = 1;
    dup.message_type = c_msgs; /* declares p.C again */
    file_proto *files[] = {&f_c, &dup};
    open_files(files, 2, INS_EINVAL);
}
END_TEST

START_TEST(test_descset_open_nameless_file)
{
    build_files();
    f_c.name = NULL;
    file_proto *files[] = {&f_c};
    open_files(files, 1, INS_EINVAL);
}
END_TEST

START_TEST(test_descset_open_empty_set)
{
    ins_descset *set = NULL;
    ck_assert_int_eq(ins_descset_open((const unsigned char *)"", 0, &set), 0);
    ck_assert_ptr_nonnull(set);
    ck_assert_uint_eq(ins_descset_file_count(set), 0);
    ck_assert_int_eq(ins_descset_file_for_symbol(set, "p.C", NULL, NULL), INS_ENOTFOUND);
    ins_descset_free(set);
}
END_TEST

START_TEST(test_descset_free_null)
{
    ins_descset_free(NULL);
}
END_TEST

/* ---- the embedded set ---------------------------------------------------- */

START_TEST(test_descset_embedded_set)
{
    ins_descset *set = NULL;
    ck_assert_int_eq(ins_descset_open(ins_descriptor_set, ins_descriptor_set_len, &set), 0);
    assert_symbol(set, "grpc.health.v1.Health", "grpc/health/v1/health.proto", INS_DESCSET_SERVICE);
    assert_symbol(set, "grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto",
                  INS_DESCSET_METHOD);
    assert_symbol(set, "grpc.health.v1.HealthCheckResponse.ServingStatus",
                  "grpc/health/v1/health.proto", INS_DESCSET_ENUM);
    assert_symbol(set, "grpc.reflection.v1alpha.ServerReflection",
                  "grpc/reflection/v1alpha/reflection.proto", INS_DESCSET_SERVICE);
    assert_symbol(set, "grpc.reflection.v1alpha.ServerReflectionRequest",
                  "grpc/reflection/v1alpha/reflection.proto", INS_DESCSET_MESSAGE);
    struct walk w = {0};
    ck_assert_int_eq(ins_descset_files_with_deps(set, "grpc/health/v1/health.proto", record, &w),
                     0);
    ck_assert_uint_ge(w.n, 1);
    ck_assert_str_eq(w.names[0], "grpc/health/v1/health.proto");
    ins_descset_free(set);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

#define ADD(s, fn)                                                                                 \
    do {                                                                                           \
        TCase *tc = tcase_create(#fn);                                                             \
        tcase_add_test(tc, fn);                                                                    \
        suite_add_tcase(s, tc);                                                                    \
    } while (0)

int main(void)
{
    Suite *s = suite_create("descset");
    ADD(s, test_descset_message);
    ADD(s, test_descset_nested_message);
    ADD(s, test_descset_enum);
    ADD(s, test_descset_service_and_method);
    ADD(s, test_descset_leading_dot);
    ADD(s, test_descset_unknown_symbol);
    ADD(s, test_descset_file_by_name);
    ADD(s, test_descset_deps_transitive_each_once);
    ADD(s, test_descset_deps_import_cycle);
    ADD(s, test_descset_deps_unknown_file);
    ADD(s, test_descset_deps_callback_stops_walk);
    ADD(s, test_descset_extension_lookup);
    ADD(s, test_descset_extension_numbers);
    ADD(s, test_descset_open_garbage);
    ADD(s, test_descset_open_missing_import);
    ADD(s, test_descset_open_duplicate_file);
    ADD(s, test_descset_open_duplicate_symbol);
    ADD(s, test_descset_open_nameless_file);
    ADD(s, test_descset_open_empty_set);
    ADD(s, test_descset_free_null);
    ADD(s, test_descset_embedded_set);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
