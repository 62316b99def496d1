/*
 * test_auth_peer.c - unit tests of the client-certificate subject parser
 * (server/rpc/auth_peer.c). The subjects are spelled the way gRPC core 1.51
 * reports them in "x509_subject" (OpenSSL XN_FLAG_RFC2253, most specific
 * attribute first), e.g. "CN=insp-001,OU=inspector,O=fire" for the client
 * certificate that tests/integration/certs.sh makes. The gRPC half,
 * ins_auth_peer_principal(), needs a live TLS call: the integration tests
 * cover it. The certificate policy, ins_auth_cert_check(), is tried on the
 * certificates of certs.sh, made once in a temporary folder by main().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The folder certs.sh filled, set by main() before the tests fork. */
static char certs_dir[] = "/tmp/test_auth_peer.XXXXXX";

/* 2020-06-01T00:00:00Z, inside the validity of certs.sh's "expired". */
#define T_2020_06 1590969600
/* 2100-01-01T00:00:00Z, after every other certificate of certs.sh. */
#define T_2100 4102444800

/* ins_auth_cert_check() on certs.sh's NAME.pem at `now`, reason in `why`. */
static int check_cert(const char *name, int64_t now, char *why, size_t whylen)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.pem", certs_dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s", path);
    static char pem[16384];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    why[0] = '\0';
    return ins_auth_cert_check(pem, now, why, whylen);
}

static void expect_cert_ok(const char *name, int64_t now)
{
    char why[256];
    int rc = check_cert(name, now, why, sizeof why);
    ck_assert_msg(rc == 0, "%s: %d, '%s'", name, rc, why);
}

static void expect_cert_refused(const char *name, int64_t now, const char *want)
{
    char why[256];
    ck_assert_int_eq(check_cert(name, now, why, sizeof why), INS_EAUTH);
    ck_assert_msg(strcmp(why, want) == 0, "%s: why '%s', want '%s'", name, why, want);
}

#define KEYS_NEEDED "RSA of 2048 bits or more, EC P-256 or P-384, or Ed25519 needed"

START_TEST(test_cert_policy_strong_keys)
{
    int64_t now = (int64_t)time(NULL);
    expect_cert_ok("client", now); /* EC P-256 */
    expect_cert_ok("p384", now);
    expect_cert_ok("rsa2048", now);
    expect_cert_ok("ed25519", now);
}
END_TEST

START_TEST(test_cert_policy_rsa1024)
{
    expect_cert_refused("rsa1024", (int64_t)time(NULL),
                        "client certificate key is RSA 1024 bits; at least 2048 needed");
}
END_TEST

START_TEST(test_cert_policy_dsa)
{
    expect_cert_refused("dsa", (int64_t)time(NULL), "client certificate key is DSA; " KEYS_NEEDED);
}
END_TEST

START_TEST(test_cert_policy_other_curve)
{
    expect_cert_refused("p521", (int64_t)time(NULL),
                        "client certificate key is EC P-521; " KEYS_NEEDED);
}
END_TEST

START_TEST(test_cert_policy_expired)
{
    expect_cert_refused("expired", 1700000000,
                        "client certificate expired at 2021-01-01T00:00:00Z "
                        "(server time 2023-11-14T22:13:20Z)");
    expect_cert_ok("expired", T_2020_06);
    /* A certificate that expires while its connection stays open. */
    char why[256];
    ck_assert_int_eq(check_cert("client", T_2100, why, sizeof why), INS_EAUTH);
    ck_assert_msg(strstr(why, "client certificate expired at ") == why, "%s", why);
}
END_TEST

START_TEST(test_cert_policy_not_yet_valid)
{
    expect_cert_refused("future", 1700000000,
                        "client certificate is not valid before 2045-01-01T00:00:00Z "
                        "(server time 2023-11-14T22:13:20Z)");
}
END_TEST

START_TEST(test_cert_policy_unparsable)
{
    char why[128];
    ck_assert_int_eq(ins_auth_cert_check("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                         "-----END CERTIFICATE-----\n",
                                         0, why, sizeof why),
                     INS_EAUTH);
    ck_assert_str_eq(why, "client certificate cannot be parsed");
    ck_assert_int_eq(ins_auth_cert_check("", 0, why, sizeof why), INS_EAUTH);
    ck_assert_str_eq(why, "client certificate is not readable (no PEM in the auth context)");
}
END_TEST

/* L attributes name the districts held, in order; none: no claim. */
START_TEST(test_subject_districts)
{
    ins_principal p;
    const char *why = NULL;
    ck_assert_int_eq(
        ins_auth_subject_principal("CN=city-fire,OU=department,O=fire,L=c,L=a", &p, &why), 0);
    ck_assert_str_eq(p.districts, "c,a");
    ck_assert_int_eq(ins_auth_subject_principal("CN=p,OU=department,L=*", &p, &why), 0);
    ck_assert_str_eq(p.districts, "*");
    ck_assert_int_eq(ins_auth_subject_principal("CN=insp-001,OU=inspector,O=fire", &p, &why), 0);
    ck_assert_str_eq(p.districts, "");
}
END_TEST

START_TEST(test_subject_bad_districts)
{
    static const char *const want =
        "client certificate L (district) is not a district code list such as 'a' or '*' (each L "
        "one code, or '*')";
    expect_reject("CN=p,OU=department,L=Chengdu", want);
    expect_reject("CN=p,OU=department,L=a\\,b", want);
    expect_reject("CN=p,OU=department,L=a,L=a", want);
    expect_reject("CN=p,OU=department,L=*,L=a", want);
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
    ADD(s, test_subject_districts);
    ADD(s, test_subject_bad_districts);
    ADD(s, test_cert_policy_strong_keys);
    ADD(s, test_cert_policy_rsa1024);
    ADD(s, test_cert_policy_dsa);
    ADD(s, test_cert_policy_other_curve);
    ADD(s, test_cert_policy_expired);
    ADD(s, test_cert_policy_not_yet_valid);
    ADD(s, test_cert_policy_unparsable);

    if (mkdtemp(certs_dir) == NULL) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "bash '%s' '%s' >/dev/null 2>&1", CERTS_SH, certs_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s %s failed\n", CERTS_SH, certs_dir);
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", certs_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", certs_dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
