/*
 * test_rpc_basic.c - the server's answers to single calls, each against its
 * own inspectd process: health, reflection, unknown methods, authentication
 * and roles, message size and deadlines. Every failure path asserts the
 * exact gRPC status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <grpc/status.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "harness.h"
#include "inspect/v1/session.pb-c.h"

#define HEALTH_CHECK  "/grpc.health.v1.Health/Check"
#define HEALTH_WATCH  "/grpc.health.v1.Health/Watch"
#define REFLECTION    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
#define WHOAMI        "/inspect.v1.Session/WhoAmI"
#define SERVER_STATUS "/inspect.v1.Session/ServerStatus"

typedef Grpc__Health__V1__HealthCheckResponse HealthResp;
typedef Grpc__Reflection__V1alpha__ServerReflectionRequest ReflReq;
typedef Grpc__Reflection__V1alpha__ServerReflectionResponse ReflResp;

/* Health/Check of `service`; returns the call status, the serving status in *st. */
static int health_check(ins_client *c, const char *service, int *st, char **details)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    ProtobufCMessage *resp = NULL;
    int code = ins_client_unary(c, HEALTH_CHECK, &req.base,
                                &grpc__health__v1__health_check_response__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, details);
    *st = resp != NULL ? (int)((HealthResp *)resp)->status : -1;
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

/* WhoAmI with `token`; returns the status, the response in *out (or NULL). */
static int whoami(const ins_ts *ts, const char *token, Inspect__V1__WhoAmIResponse **out,
                  char **details)
{
    ins_client *c = ins_ts_client(ts, token);
    Inspect__V1__WhoAmIRequest req = INSPECT__V1__WHO_AM_IREQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int code = ins_client_unary(c, WHOAMI, &req.base, &inspect__v1__who_am_iresponse__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, details);
    ins_client_close(c);
    if (out != NULL)
        *out = (Inspect__V1__WhoAmIResponse *)resp;
    else if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    return code;
}

static int server_status(const ins_ts *ts, const char *token, char **details)
{
    ins_client *c = ins_ts_client(ts, token);
    Inspect__V1__ServerStatusRequest req = INSPECT__V1__SERVER_STATUS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    int code = ins_client_unary(c, SERVER_STATUS, &req.base,
                                &inspect__v1__server_status_response__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, details);
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    ins_client_close(c);
    return code;
}

/* ---- health ---------------------------------------------------------- */

static void check_serving(const char *service)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ins_client *c = ins_ts_client(&ts, NULL);
    int st;
    char *details;
    int code = health_check(c, service, &st, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    ck_assert_int_eq(st, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}

START_TEST(test_health_check_whole_server_serving)
{
    check_serving("");
}
END_TEST

START_TEST(test_health_check_session_serving)
{
    check_serving("inspect.v1.Session");
}
END_TEST

START_TEST(test_health_check_unknown_service_not_found)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ins_client *c = ins_ts_client(&ts, NULL);
    int st;
    char *details;
    int code = health_check(c, "no.such.Service", &st, &details);
    ins_assert_status(code, GRPC_STATUS_NOT_FOUND, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/* ---- reflection ------------------------------------------------------ */

/* One request/response exchange on an open reflection stream. */
static ReflResp *reflect(ins_stream *s, ReflReq *req)
{
    ck_assert_int_eq(ins_stream_send(s, &req->base), 0);
    ProtobufCMessage *m = NULL;
    int r = ins_stream_recv(s, 10000, &m);
    ck_assert_msg(r == 1, "no reflection response (recv %d)", r);
    return (ReflResp *)m;
}

static void finish_ok(ins_stream *s)
{
    ck_assert_int_eq(ins_stream_close_send(s), 0);
    ProtobufCMessage *m = NULL;
    ck_assert_int_eq(ins_stream_recv(s, 10000, &m), 0);
    char *details;
    int code = ins_stream_finish(s, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
}

START_TEST(test_reflection_list_services_includes_session)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ins_client *c = ins_ts_client(&ts, NULL);
    ins_stream *s;
    ck_assert_int_eq(
        ins_stream_start(c, REFLECTION,
                         &grpc__reflection__v1alpha__server_reflection_response__descriptor,
                         INS_TIMEOUT_DEFAULT, &s),
        0);
    ReflReq req = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
    req.list_services = "*";
    ReflResp *resp = reflect(s, &req);
    ck_assert_int_eq(
        resp->message_response_case,
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
    int session = 0, health = 0, refl = 0;
    for (size_t i = 0; i < resp->list_services_response->n_service; i++) {
        const char *name = resp->list_services_response->service[i]->name;
        session += strcmp(name, "inspect.v1.Session") == 0;
        health += strcmp(name, "grpc.health.v1.Health") == 0;
        refl += strcmp(name, "grpc.reflection.v1alpha.ServerReflection") == 0;
    }
    ck_assert_int_eq(session, 1);
    ck_assert_int_eq(health, 1);
    ck_assert_int_eq(refl, 1);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    finish_ok(s);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_reflection_file_containing_symbol_describes_session)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ins_client *c = ins_ts_client(&ts, NULL);
    ins_stream *s;
    ck_assert_int_eq(
        ins_stream_start(c, REFLECTION,
                         &grpc__reflection__v1alpha__server_reflection_response__descriptor,
                         INS_TIMEOUT_DEFAULT, &s),
        0);
    ReflReq req = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    req.file_containing_symbol = "inspect.v1.Session";
    ReflResp *resp = reflect(s, &req);
    ck_assert_int_eq(
        resp->message_response_case,
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
    Grpc__Reflection__V1alpha__FileDescriptorResponse *fdr = resp->file_descriptor_response;
    ck_assert_uint_ge(fdr->n_file_descriptor_proto, 1);

    int found = 0;
    for (size_t i = 0; i < fdr->n_file_descriptor_proto; i++) {
        Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(
            NULL, fdr->file_descriptor_proto[i].len, fdr->file_descriptor_proto[i].data);
        ck_assert_msg(fd != NULL, "file_descriptor_proto[%zu] does not decode", i);
        for (size_t k = 0; k < fd->n_service; k++) {
            if (strcmp(fd->service[k]->name, "Session") != 0)
                continue;
            ck_assert_str_eq(fd->package, "inspect.v1");
            ck_assert_str_eq(fd->name, "inspect/v1/session.proto");
            int who = 0, status = 0;
            for (size_t m = 0; m < fd->service[k]->n_method; m++) {
                Google__Protobuf__MethodDescriptorProto *md = fd->service[k]->method[m];
                if (strcmp(md->name, "WhoAmI") == 0) {
                    who = 1;
                    ck_assert_str_eq(md->input_type, ".inspect.v1.WhoAmIRequest");
                    ck_assert_str_eq(md->output_type, ".inspect.v1.WhoAmIResponse");
                }
                status += strcmp(md->name, "ServerStatus") == 0;
            }
            ck_assert_int_eq(who, 1);
            ck_assert_int_eq(status, 1);
            found = 1;
        }
        google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    }
    ck_assert_msg(found, "no descriptor of service inspect.v1.Session in the response");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    finish_ok(s);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/* ---- unknown method -------------------------------------------------- */

START_TEST(test_unknown_method_unimplemented)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ins_client *c = ins_ts_client(&ts, NULL);
    Inspect__V1__WhoAmIRequest req = INSPECT__V1__WHO_AM_IREQUEST__INIT;
    char *details;
    int code = ins_client_unary(c, "/inspect.v1.Session/NoSuchMethod", &req.base,
                                &inspect__v1__who_am_iresponse__descriptor, 5000, NULL, &details);
    ins_assert_status(code, GRPC_STATUS_UNIMPLEMENTED, details);
    free(details);
    code = ins_client_unary(c, "/no.such.Service/Method", &req.base,
                            &inspect__v1__who_am_iresponse__descriptor, 5000, NULL, &details);
    ins_assert_status(code, GRPC_STATUS_UNIMPLEMENTED, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/* ---- authentication and roles ---------------------------------------- */

/* Puts `dept` (and `inspector`) into the directory with an admin token. */
static void add_directory(const ins_ts *ts, const char *dept, const char *inspector)
{
    char admin[INS_TOKEN_MAX];
    ins_ts_token(ts, INS_ROLE_ADMIN, "root", 3600, admin);
    ins_client *c = ins_ts_client(ts, admin);
    ins_ts_directory_add(c, dept, inspector);
    ins_client_close(c);
}

START_TEST(test_whoami_valid_token_ok)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char tok[INS_TOKEN_MAX];
    add_directory(&ts, "fire", NULL);
    ins_ts_token_for(ts.data_dir, INS_ROLE_DEPARTMENT, "dept-fire-01", "fire", 3600, tok);
    Inspect__V1__WhoAmIResponse *r;
    char *details;
    int code = whoami(&ts, tok, &r, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    ck_assert_str_eq(r->principal, "dept-fire-01");
    ck_assert_int_eq(r->role, INSPECT__V1__ROLE__ROLE_DEPARTMENT);
    ck_assert_str_eq(r->department, "fire");
    ck_assert_str_eq(r->auth_method, "bearer");
    ck_assert_int_gt(r->expires_unix, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_whoami_no_token_unauthenticated)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char *details;
    int code = whoami(&ts, NULL, NULL, &details);
    ins_assert_status(code, GRPC_STATUS_UNAUTHENTICATED, details);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_whoami_tampered_token_unauthenticated)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_INSPECTOR, "insp-001", 3600, tok);
    /* Flip one character of the payload (before the '.'), keeping base64url. */
    char *p = tok + 3;
    *p = *p == 'A' ? 'B' : 'A';
    char *details;
    int code = whoami(&ts, tok, NULL, &details);
    ins_assert_status(code, GRPC_STATUS_UNAUTHENTICATED, details);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_whoami_expired_token_unauthenticated)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_INSPECTOR, "insp-001", -60, tok);
    char *details;
    int code = whoami(&ts, tok, NULL, &details);
    ins_assert_status(code, GRPC_STATUS_UNAUTHENTICATED, details);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_whoami_token_from_other_key_unauthenticated)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char other[INS_TS_PATH_MAX + 16];
    snprintf(other, sizeof other, "%s/other-node", ts.dir);
    char tok[INS_TOKEN_MAX];
    ins_ts_token_for(other, INS_ROLE_ADMIN, "root", NULL, 3600, tok);
    char *details;
    int code = whoami(&ts, tok, NULL, &details);
    ins_assert_status(code, GRPC_STATUS_UNAUTHENTICATED, details);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_server_status_inspector_permission_denied)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_INSPECTOR, "insp-001", 3600, tok);
    char *details;
    int code = server_status(&ts, tok, &details);
    ins_assert_status(code, GRPC_STATUS_PERMISSION_DENIED, details);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_server_status_admin_ok)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_ADMIN, "root", 3600, tok);
    char *details;
    int code = server_status(&ts, tok, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    ins_ts_token(&ts, INS_ROLE_AUDITOR, "audit-1", 3600, tok);
    code = server_status(&ts, tok, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_server_status_no_token_unauthenticated)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char *details;
    int code = server_status(&ts, NULL, &details);
    ins_assert_status(code, GRPC_STATUS_UNAUTHENTICATED, details);
    free(details);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

START_TEST(test_health_oversize_message_resource_exhausted)
{
    ins_ts ts;
    const char *args[] = {"--max-message-bytes", "1024", NULL};
    ins_ts_start(&ts, args);
    ins_client *c = ins_ts_client(&ts, NULL);
    char *big = malloc(4097);
    memset(big, 'x', 4096);
    big[4096] = '\0';
    int st;
    char *details;
    int code = health_check(c, big, &st, &details);
    ins_assert_status(code, GRPC_STATUS_RESOURCE_EXHAUSTED, details);
    free(details);
    /* The server still answers a message within the limit. */
    code = health_check(c, "", &st, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    free(big);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_health_watch_deadline_exceeded)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ins_client *c = ins_ts_client(&ts, NULL);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ins_stream *s;
    char *details;
    double t0 = ins_now_s();
    int code = ins_client_server_stream(c, HEALTH_WATCH, &req.base,
                                        &grpc__health__v1__health_check_response__descriptor, 500,
                                        &s, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    ProtobufCMessage *m;
    ck_assert_int_eq(ins_stream_recv(s, INS_TIMEOUT_NONE, &m), 1);
    ck_assert_int_eq(((HealthResp *)m)->status,
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    protobuf_c_message_free_unpacked(m, NULL);
    ck_assert_int_eq(ins_stream_recv(s, INS_TIMEOUT_NONE, &m), 0);
    code = ins_stream_finish(s, &details);
    ins_assert_status(code, GRPC_STATUS_DEADLINE_EXCEEDED, details);
    free(details);
    double took = ins_now_s() - t0;
    ck_assert_msg(took >= 0.4 && took < 5, "deadline of 0.5 s ended the call after %.2f s", took);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_unary_deadline_unreachable_server_unavailable)
{
    /* A port nobody listens on: the call fails fast with UNAVAILABLE. */
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ck_assert_int_eq(ins_ts_stop(&ts), 0); /* the port is free again */
    ins_client_opts o = {.target = ts.addr, .timeout_ms = 5000};
    ins_client *c;
    ck_assert_int_eq(ins_client_open(&o, &c, NULL), 0);
    int st;
    char *details;
    int code = health_check(c, "", &st, &details);
    ins_assert_status(code, GRPC_STATUS_UNAVAILABLE, details);
    free(details);
    ins_client_close(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rpc_basic");
    TCase *tc = tcase_create("calls");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_health_check_whole_server_serving);
    tcase_add_test(tc, test_health_check_session_serving);
    tcase_add_test(tc, test_health_check_unknown_service_not_found);
    tcase_add_test(tc, test_reflection_list_services_includes_session);
    tcase_add_test(tc, test_reflection_file_containing_symbol_describes_session);
    tcase_add_test(tc, test_unknown_method_unimplemented);
    tcase_add_test(tc, test_whoami_valid_token_ok);
    tcase_add_test(tc, test_whoami_no_token_unauthenticated);
    tcase_add_test(tc, test_whoami_tampered_token_unauthenticated);
    tcase_add_test(tc, test_whoami_expired_token_unauthenticated);
    tcase_add_test(tc, test_whoami_token_from_other_key_unauthenticated);
    tcase_add_test(tc, test_server_status_inspector_permission_denied);
    tcase_add_test(tc, test_server_status_admin_ok);
    tcase_add_test(tc, test_server_status_no_token_unauthenticated);
    tcase_add_test(tc, test_health_oversize_message_resource_exhausted);
    tcase_add_test(tc, test_health_watch_deadline_exceeded);
    tcase_add_test(tc, test_unary_deadline_unreachable_server_unavailable);
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
