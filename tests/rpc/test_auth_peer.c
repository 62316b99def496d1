/*
 * test_auth_peer.c - unit tests of the client-certificate subject parser
 * (server/rpc/auth_peer.c). The subjects are spelled the way gRPC core 1.51
 * reports them in "x509_subject" (OpenSSL XN_FLAG_RFC2253, most specific
 * attribute first), e.g. "CN=insp-001,OU=inspector,O=fire" for the client
 * certificate that tests/integration/certs.sh makes. The gRPC half,
 * ins_auth_peer_principal(), needs a live TLS call: the integration tests
 * cover it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "auth_peer.h"
#include "ins_error.h"

static void expect_reject(const char *subject, const char *want_why)
{
    ins_principal p;
    memset(&p, 0x5a, sizeof(p));
    const char *why = NULL;
    ck_assert_int_eq(ins_auth_subject_principal(subject, &p, &why), INS_EAUTH);
    ck_assert_msg(why != NULL && strstr(why, want_why) != NULL, "subject \"%s\": why \"%s\"",
                  subject ? subject : "(null)", why ? why : "(null)");
    ck_assert_int_eq(p.name[0], 0x5a); /* untouched on error */
}

START_TEST(test_subject_full)
{
    ins_principal p;
    const char *why = "unset";
    ck_assert_int_eq(ins_auth_subject_principal("CN=insp-001,OU=inspector,O=fire", &p, &why), 0);
    ck_assert_ptr_null(why);
    ck_assert_str_eq(p.name, "insp-001");
    ck_assert_str_eq(p.department, "fire");
    ck_assert_int_eq(p.role, INS_ROLE_INSPECTOR);
    ck_assert_int_eq(p.expires_unix, 0);
    ck_assert_int_eq(p.method, INS_AUTH_MTLS);
}
END_TEST

START_TEST(test_subject_without_department)
{
    ins_principal p;
    ck_assert_int_eq(ins_auth_subject_principal("CN=ops,OU=admin,C=CN", &p, NULL), 0);
    ck_assert_str_eq(p.name, "ops");
    ck_assert_str_eq(p.department, "");
    ck_assert_int_eq(p.role, INS_ROLE_ADMIN);
}
END_TEST

START_TEST(test_subject_escapes)
{
    ins_principal p;
    ck_assert_int_eq(
        ins_auth_subject_principal("CN=Smith\\, J.+OU=auditor,O=Caf\\C3\\A9 \\+ Bar", &p, NULL), 0);
    ck_assert_str_eq(p.name, "Smith, J.");
    ck_assert_str_eq(p.department, "Caf\xc3\xa9 + Bar");
    ck_assert_int_eq(p.role, INS_ROLE_AUDITOR);
}
END_TEST

START_TEST(test_subject_missing_cn)
{
    expect_reject("OU=inspector,O=fire", "no CN");
}
END_TEST

START_TEST(test_subject_missing_ou)
{
    expect_reject("CN=insp-001,O=fire", "no OU");
}
END_TEST

START_TEST(test_subject_unknown_role)
{
    expect_reject("CN=insp-001,OU=wizard,O=fire", "not a role");
    expect_reject("CN=insp-001,OU=Inspector,O=fire", "not a role");
    expect_reject("CN=insp-001,OU=none,O=fire", "not a role");
}
END_TEST

START_TEST(test_subject_duplicates)
{
    expect_reject("CN=a,CN=b,OU=inspector", "more than one");
    expect_reject("CN=a,OU=inspector,OU=admin", "more than one");
    expect_reject("CN=a,OU=inspector,O=x,O=y", "more than one");
}
END_TEST

START_TEST(test_subject_bad_values)
{
    expect_reject("CN=a\\0Ab,OU=inspector", "control characters");
    expect_reject("CN=a\\00b,OU=inspector", "cannot be parsed");
    expect_reject("CN=#0403616263,OU=inspector", "cannot be parsed");
    expect_reject("CN=a\\q,OU=inspector", "cannot be parsed");
    expect_reject("CN,OU=inspector", "cannot be parsed");
    expect_reject("", "no readable subject");
    expect_reject(NULL, "no readable subject");
    char longcn[300];
    memset(longcn, 0, sizeof(longcn));
    strcpy(longcn, "OU=admin,CN=");
    memset(longcn + strlen(longcn), 'x', INS_PRINCIPAL_MAX);
    expect_reject(longcn, "too long");
}
END_TEST

#define ADD(s, fn)                                                                                 \
    do {                                                                                           \
        TCase *tc = tcase_create(#fn);                                                             \
        tcase_add_test(tc, fn);                                                                    \
        suite_add_tcase(s, tc);                                                                    \
    } while (0)

int main(void)
{
    Suite *s = suite_create("auth_peer");
    ADD(s, test_subject_full);
    ADD(s, test_subject_without_department);
    ADD(s, test_subject_escapes);
    ADD(s, test_subject_missing_cn);
    ADD(s, test_subject_missing_ou);
    ADD(s, test_subject_unknown_role);
    ADD(s, test_subject_duplicates);
    ADD(s, test_subject_bad_values);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
