/*
 * test_proto_roles.c - the .proto comments say who may call each method, and
 * say it truly: for every method of every service the server registers, the
 * comment in the embedded descriptor set (built with source info, what
 * reflection serves to `grpcurl describe`) names exactly the roles of the
 * method table. "Role: x" / "Roles: x, y" lists roles, "Any role." is every
 * role, "Open:" no credentials at all.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "departments.h"
#include "directory.h"
#include "dispatch.h"
#include "field.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "health.h"
#include "ins_principal.h"
#include "licensing.h"
#include "reflection.h"
#include "session.h"

extern const unsigned char ins_descriptor_set[];
extern const size_t ins_descriptor_set_len;

static const ins_service_def *const services[] = {
    &ins_health_service,   &ins_reflection_service, &ins_reflection_v1_service,
    &ins_session_service,  &ins_directory_service,  &ins_licensing_service,
    &ins_dispatch_service, &ins_field_service,      &ins_departments_service,
    &ins_audit_service,
};

/*
 * The role mask a comment states; -1 when it states none. Roles are the
 * words after "Role:" or "Roles:" up to the first '.', remarks in
 * parentheses skipped.
 */
static long comment_roles(const char *c)
{
    if (strstr(c, "Any role"))
        return INS_ROLES_ANY;
    if (strstr(c, "Open:"))
        return 0;
    const char *p = strstr(c, "Roles:");
    p = p ? p + 6 : strstr(c, "Role:");
    if (!p)
        return -1;
    if (p[0] == 'R')
        p += 5;
    long mask = 0;
    char word[32];
    while (*p && *p != '.') {
        if (*p == '(') {
            const char *close = strchr(p, ')');
            if (!close)
                return -1;
            p = close + 1;
            continue;
        }
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz");
        if (n == 0) {
            p++;
            continue;
        }
        if (n >= sizeof word)
            return -1;
        memcpy(word, p, n);
        word[n] = '\0';
        ins_role r = ins_role_parse(word);
        if (r == INS_ROLE_NONE)
            return -1;
        mask |= (long)INS_ROLE_BIT(r);
        p += n;
    }
    return mask;
}

/* The leading comment of method `m` of service `s` in `fd`, or NULL. */
static const char *method_comment(const Google__Protobuf__FileDescriptorProto *fd, size_t s,
                                  size_t m)
{
    const Google__Protobuf__SourceCodeInfo *sci = fd->source_code_info;
    for (size_t i = 0; sci && i < sci->n_location; i++) {
        const Google__Protobuf__SourceCodeInfo__Location *l = sci->location[i];
        if (l->n_path == 4 && l->path[0] == 6 && (size_t)l->path[1] == s && l->path[2] == 2 &&
            (size_t)l->path[3] == m)
            return l->leading_comments;
    }
    return NULL;
}

/* The service definition the server registers under `name`, or NULL. */
static const ins_service_def *def_of(const char *name)
{
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcmp(services[i]->descriptor->name, name) == 0)
            return services[i];
    return NULL;
}

static unsigned def_roles(const ins_service_def *svc, const char *method)
{
    for (size_t i = 0; i < svc->n_methods; i++)
        if (strcmp(svc->methods[i].name, method) == 0)
            return svc->methods[i].roles;
    ck_abort_msg("%s has no definition of %s", svc->descriptor->name, method);
    return 0;
}

START_TEST(test_proto_roles_comment_every_method_truly)
{
    Google__Protobuf__FileDescriptorSet *set = google__protobuf__file_descriptor_set__unpack(
        NULL, ins_descriptor_set_len, ins_descriptor_set);
    ck_assert_ptr_nonnull(set);
    size_t checked = 0;
    for (size_t f = 0; f < set->n_file; f++) {
        const Google__Protobuf__FileDescriptorProto *fd = set->file[f];
        for (size_t s = 0; s < fd->n_service; s++) {
            char full[160];
            snprintf(full, sizeof full, "%s.%s", fd->package, fd->service[s]->name);
            const ins_service_def *svc = def_of(full);
            if (!svc)
                continue; /* described but not served (none today) */
            for (size_t m = 0; m < fd->service[s]->n_method; m++) {
                const char *name = fd->service[s]->method[m]->name;
                const char *c = method_comment(fd, s, m);
                ck_assert_msg(c != NULL, "%s.%s has no comment", full, name);
                long want = comment_roles(c);
                ck_assert_msg(want >= 0, "%s.%s: the comment names no roles: %s", full, name, c);
                ck_assert_msg((unsigned)want == def_roles(svc, name),
                              "%s.%s: the comment says roles 0x%lx, the method table 0x%x", full,
                              name, want, def_roles(svc, name));
                checked++;
            }
        }
    }
    ck_assert_uint_ge(checked, 40);
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
}
END_TEST

START_TEST(test_proto_roles_parser_can_fail)
{
    /* The comparison above can fail: the parser tells roles apart. */
    ck_assert_int_eq(comment_roles("Roles: dispatcher, admin."),
                     (long)(INS_ROLE_BIT(INS_ROLE_DISPATCHER) | INS_ROLE_BIT(INS_ROLE_ADMIN)));
    ck_assert_int_eq(comment_roles(" Role: inspector (a team member)."),
                     (long)INS_ROLE_BIT(INS_ROLE_INSPECTOR));
    ck_assert_int_eq(comment_roles("Roles: department (its own), auditor."),
                     (long)(INS_ROLE_BIT(INS_ROLE_DEPARTMENT) | INS_ROLE_BIT(INS_ROLE_AUDITOR)));
    ck_assert_int_eq(comment_roles("Who the server takes the caller to be. Any role."),
                     (long)INS_ROLES_ANY);
    ck_assert_int_eq(comment_roles("Open: any caller."), 0);
    ck_assert_int_eq(comment_roles("Roles: dispatcher, janitor."), -1);
    ck_assert_int_eq(comment_roles("Creates an application."), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("proto_roles");
    TCase *tc = tcase_create("roles");
    tcase_add_test(tc, test_proto_roles_comment_every_method_truly);
    tcase_add_test(tc, test_proto_roles_parser_can_fail);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
