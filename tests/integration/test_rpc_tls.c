/*
 * test_rpc_tls.c - TLS and mutual TLS handshakes against a real inspectd,
 * with the test PKI of certs.sh (made once per test in the server's folder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <grpc/status.h>

#include "grpc/health/v1/health.pb-c.h"
#include "harness.h"
#include "inspect/v1/session.pb-c.h"

#define HEALTH_CHECK "/grpc.health.v1.Health/Check"
#define WHOAMI       "/inspect.v1.Session/WhoAmI"

typedef struct pki {
    char dir[INS_TS_PATH_MAX];
    char ca[INS_TS_PATH_MAX + 16], server_pem[INS_TS_PATH_MAX + 16],
        server_key[INS_TS_PATH_MAX + 16];
    char client_pem[INS_TS_PATH_MAX + 16], client_key[INS_TS_PATH_MAX + 16];
    char rogue_pem[INS_TS_PATH_MAX + 16], rogue_key[INS_TS_PATH_MAX + 16];
    char admin_pem[INS_TS_PATH_MAX + 16], admin_key[INS_TS_PATH_MAX + 16];
} pki;

/* Sets up `ts` (not started) with certificates in ts->dir/certs. */
static void make_pki(ins_ts *ts, pki *p)
{
    ck_assert_int_eq(ins_ts_init(ts), 0);
    snprintf(p->dir, sizeof p->dir, "%s/certs", ts->dir);
    ins_ts_make_certs(p->dir);
    snprintf(p->ca, sizeof p->ca, "%s/ca.pem", p->dir);
    snprintf(p->server_pem, sizeof p->server_pem, "%s/server.pem", p->dir);
    snprintf(p->server_key, sizeof p->server_key, "%s/server.key", p->dir);
    snprintf(p->client_pem, sizeof p->client_pem, "%s/client.pem", p->dir);
    snprintf(p->client_key, sizeof p->client_key, "%s/client.key", p->dir);
    snprintf(p->rogue_pem, sizeof p->rogue_pem, "%s/rogue.pem", p->dir);
    snprintf(p->rogue_key, sizeof p->rogue_key, "%s/rogue.key", p->dir);
    snprintf(p->admin_pem, sizeof p->admin_pem, "%s/admin.pem", p->dir);
    snprintf(p->admin_key, sizeof p->admin_key, "%s/admin.key", p->dir);
}

static ins_client *tls_client(const ins_ts *ts, const pki *p, const char *cert, const char *key)
{
    ins_client_opts o = {
        .target = ts->addr,
        .ca_file = p->ca,
        .cert_file = cert,
        .key_file = key,
        .target_name_override = "localhost",
        .timeout_ms = 10000,
    };
    ins_client *c;
    char *details;
    int rc = ins_client_open(&o, &c, &details);
    ck_assert_msg(rc == 0, "ins_client_open: %s", details ? details : "");
    free(details);
    return c;
}

static int health_check(ins_client *c, char **details)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int code = ins_client_unary(c, HEALTH_CHECK, &req.base,
                                &grpc__health__v1__health_check_response__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, details);
    if (resp != NULL) {
        ck_assert_int_eq(((Grpc__Health__V1__HealthCheckResponse *)resp)->status,
                         GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    return code;
}

START_TEST(test_tls_handshake_health_serving)
{
    ins_ts ts;
    pki p;
    make_pki(&ts, &p);
    const char *args[] = {"--tls-cert", p.server_pem, "--tls-key", p.server_key, NULL};
    ins_ts_start_prepared(&ts, args);

    ins_client *c = tls_client(&ts, &p, NULL, NULL);
    char *details;
    int code = health_check(c, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    ins_client_close(c);

    /* A plaintext client cannot talk to the TLS port. */
    c = ins_ts_client(&ts, NULL);
    code = health_check(c, &details);
    ins_assert_status(code, GRPC_STATUS_UNAVAILABLE, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_tls_any_address_with_certificate_starts)
{
    ins_ts ts;
    pki p;
    make_pki(&ts, &p);
    const char *args[] = {"--listen",  "0.0.0.0:0",  "--tls-cert", p.server_pem,
                          "--tls-key", p.server_key, NULL};
    ins_ts_start_prepared(&ts, args);
    ins_client *c = tls_client(&ts, &p, NULL, NULL); /* port file's port, via 127.0.0.1 */
    char *details;
    int code = health_check(c, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

static void start_mtls(ins_ts *ts, pki *p)
{
    make_pki(ts, p);
    const char *args[] = {"--tls-cert",      p->server_pem, "--tls-key", p->server_key,
                          "--tls-client-ca", p->ca,         NULL};
    ins_ts_start_prepared(ts, args);
}

START_TEST(test_mtls_client_cert_names_principal)
{
    ins_ts ts;
    pki p;
    start_mtls(&ts, &p);
    ins_client *admin = tls_client(&ts, &p, p.admin_pem, p.admin_key);
    ins_ts_directory_add(admin, "fire", "insp-001"); /* the server checks the directory */
    ins_client_close(admin);
    ins_client *c = tls_client(&ts, &p, p.client_pem, p.client_key);
    Inspect__V1__WhoAmIRequest req = INSPECT__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char *details;
    int code = ins_client_unary(c, WHOAMI, &req.base, &inspect__v1__who_am_iresponse__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    Inspect__V1__WhoAmIResponse *r = (Inspect__V1__WhoAmIResponse *)resp;
    ck_assert_str_eq(r->principal, "insp-001");
    ck_assert_int_eq(r->role, INSPECT__V1__ROLE__ROLE_INSPECTOR);
    ck_assert_str_eq(r->department, "fire");
    ck_assert_str_eq(r->auth_method, "mtls");
    protobuf_c_message_free_unpacked(resp, NULL);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_mtls_rogue_cert_unavailable)
{
    ins_ts ts;
    pki p;
    start_mtls(&ts, &p);
    ins_client *c = tls_client(&ts, &p, p.rogue_pem, p.rogue_key);
    char *details;
    int code = health_check(c, &details);
    ins_assert_status(code, GRPC_STATUS_UNAVAILABLE, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_mtls_no_client_cert_unavailable)
{
    ins_ts ts;
    pki p;
    start_mtls(&ts, &p);
    ins_client *c = tls_client(&ts, &p, NULL, NULL);
    char *details;
    int code = health_check(c, &details);
    ins_assert_status(code, GRPC_STATUS_UNAVAILABLE, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/*
 * The client certificate policy (auth_peer.c, on top of what TLS verifies).
 * pki_cert() names NAME.pem / NAME.key of certs.sh; whoami() calls WhoAmI
 * with that certificate and returns the status, details in `*details`.
 */
static void pki_cert(const pki *p, const char *name, char *pem, char *key, size_t len)
{
    snprintf(pem, len, "%s/%s.pem", p->dir, name);
    snprintf(key, len, "%s/%s.key", p->dir, name);
}

static int whoami(const ins_ts *ts, const pki *p, const char *name, char **details)
{
    char pem[INS_TS_PATH_MAX + 32], key[INS_TS_PATH_MAX + 32];
    pki_cert(p, name, pem, key, sizeof pem);
    ins_client *c = tls_client(ts, p, pem, key);
    Inspect__V1__WhoAmIRequest req = INSPECT__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int code = ins_client_unary(c, WHOAMI, &req.base, &inspect__v1__who_am_iresponse__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, details);
    if (resp != NULL) {
        ck_assert_str_eq(((Inspect__V1__WhoAmIResponse *)resp)->principal, "insp-001");
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    ins_client_close(c);
    return code;
}

/* Asserts WhoAmI with certificate `name` fails `want`, details containing
 * `text` (NULL: any). */
static void assert_whoami(const ins_ts *ts, const pki *p, const char *name, int want,
                          const char *text)
{
    char *details = NULL;
    int code = whoami(ts, p, name, &details);
    ins_assert_status(code, want, details);
    if (text != NULL)
        ck_assert_msg(details != NULL && strstr(details, text) != NULL,
                      "%s: details '%s' lack '%s'", name, details ? details : "", text);
    free(details);
}

static void start_mtls_with_inspector(ins_ts *ts, pki *p)
{
    start_mtls(ts, p);
    ins_client *admin = tls_client(ts, p, p->admin_pem, p->admin_key);
    ins_ts_directory_add(admin, "fire", "insp-001");
    ins_client_close(admin);
}

/* One server with insp-001 in its directory, one WhoAmI with certificate
 * `name`, as assert_whoami(). */
static void mtls_whoami_case(const char *name, int want, const char *text)
{
    ins_ts ts;
    pki p;
    start_mtls_with_inspector(&ts, &p);
    assert_whoami(&ts, &p, name, want, text);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}

START_TEST(test_mtls_cert_strong_keys_accepted)
{
    ins_ts ts;
    pki p;
    start_mtls_with_inspector(&ts, &p);
    assert_whoami(&ts, &p, "rsa2048", GRPC_STATUS_OK, NULL);
    assert_whoami(&ts, &p, "p384", GRPC_STATUS_OK, NULL);
    assert_whoami(&ts, &p, "ed25519", GRPC_STATUS_OK, NULL);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/*
 * Debian's OpenSSL runs at security level 2: the gRPC client will not even
 * load an RSA-1024 certificate ("Invalid cert chain file"), and the server's
 * handshake refuses one ("EE certificate key too weak"). To reach the
 * server, this client lowers its own level through OPENSSL_CONF, set after
 * the server started (the server keeps level 2) and before this process
 * first uses OpenSSL (Check runs each test in a fresh fork).
 */
START_TEST(test_mtls_cert_rsa1024_unavailable)
{
    ins_ts ts;
    pki p;
    start_mtls(&ts, &p);
    char conf[INS_TS_PATH_MAX + 32];
    snprintf(conf, sizeof conf, "%s/seclevel0.cnf", p.dir);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = sys\n"
          "[sys]\nCipherString = DEFAULT@SECLEVEL=0\n",
          f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(setenv("OPENSSL_CONF", conf, 1), 0);
    assert_whoami(&ts, &p, "rsa1024", GRPC_STATUS_UNAVAILABLE, NULL);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_mtls_cert_p521_unauthenticated)
{
    mtls_whoami_case("p521", GRPC_STATUS_UNAUTHENTICATED,
                     "client certificate key is EC P-521; RSA of 2048 bits or more, EC P-256 or "
                     "P-384, or Ed25519 needed");
}
END_TEST

/* A bearer token names the principal, but the certificate the connection
 * presents must still meet the policy. */
START_TEST(test_mtls_cert_p521_with_token_unauthenticated)
{
    ins_ts ts;
    pki p;
    start_mtls_with_inspector(&ts, &p);
    char pem[INS_TS_PATH_MAX + 32], key[INS_TS_PATH_MAX + 32], tok[INS_TOKEN_MAX];
    pki_cert(&p, "p521", pem, key, sizeof pem);
    ins_ts_token(&ts, INS_ROLE_AUDITOR, "audit-tls", 3600, tok);
    ins_client *c = tls_client(&ts, &p, pem, key);
    ck_assert_int_eq(ins_client_set_token(c, tok), 0);
    Inspect__V1__WhoAmIRequest req = INSPECT__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char *details = NULL;
    int code = ins_client_unary(c, WHOAMI, &req.base, &inspect__v1__who_am_iresponse__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, &details);
    ins_assert_status(code, GRPC_STATUS_UNAUTHENTICATED, details);
    ck_assert_msg(details != NULL && strstr(details, "client certificate key is EC P-521") != NULL,
                  "%s", details ? details : "");
    free(details);
    /* the same token on a connection with a strong certificate works */
    ins_client_close(c);
    pki_cert(&p, "p384", pem, key, sizeof pem);
    c = tls_client(&ts, &p, pem, key);
    ck_assert_int_eq(ins_client_set_token(c, tok), 0);
    details = NULL;
    code = ins_client_unary(c, WHOAMI, &req.base, &inspect__v1__who_am_iresponse__descriptor,
                            INS_TIMEOUT_DEFAULT, &resp, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    ck_assert_str_eq(((Inspect__V1__WhoAmIResponse *)resp)->principal, "audit-tls");
    protobuf_c_message_free_unpacked(resp, NULL);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/* TLS 1.3 has no DSA signature: the client sends no certificate and the
 * handshake fails. (Over TLS 1.2 the handshake takes a DSA certificate;
 * auth_peer.c refuses it then, see test_auth_peer.) */
START_TEST(test_mtls_cert_dsa_unavailable)
{
    mtls_whoami_case("dsa", GRPC_STATUS_UNAVAILABLE, NULL);
}
END_TEST

/* OpenSSL checks the dates at the handshake ("certificate verify failed"
 * in the server's log); auth_peer.c checks them again on every call. */
START_TEST(test_mtls_cert_expired_unavailable)
{
    mtls_whoami_case("expired", GRPC_STATUS_UNAVAILABLE, NULL);
}
END_TEST

START_TEST(test_mtls_cert_not_yet_valid_unavailable)
{
    mtls_whoami_case("future", GRPC_STATUS_UNAVAILABLE, NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rpc_tls");
    TCase *tc = tcase_create("tls");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tls_handshake_health_serving);
    tcase_add_test(tc, test_tls_any_address_with_certificate_starts);
    tcase_add_test(tc, test_mtls_client_cert_names_principal);
    tcase_add_test(tc, test_mtls_rogue_cert_unavailable);
    tcase_add_test(tc, test_mtls_no_client_cert_unavailable);
    tcase_add_test(tc, test_mtls_cert_strong_keys_accepted);
    tcase_add_test(tc, test_mtls_cert_rsa1024_unavailable);
    tcase_add_test(tc, test_mtls_cert_p521_unauthenticated);
    tcase_add_test(tc, test_mtls_cert_p521_with_token_unauthenticated);
    tcase_add_test(tc, test_mtls_cert_dsa_unavailable);
    tcase_add_test(tc, test_mtls_cert_expired_unavailable);
    tcase_add_test(tc, test_mtls_cert_not_yet_valid_unavailable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
