/*
 * test_rpc_lifecycle.c - the life of calls and of the server process:
 * a client cancelling mid-stream, SIGTERM with a stream open, and a listen
 * address the server must refuse. Each test runs its own inspectd; the
 * server's exit status is asserted, so an ASan leak report at exit fails.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <grpc/status.h>

#include "grpc/health/v1/health.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "harness.h"
#include "inspect/v1/session.pb-c.h"

#define HEALTH_WATCH  "/grpc.health.v1.Health/Watch"
#define SERVER_STATUS "/inspect.v1.Session/ServerStatus"

typedef Grpc__Health__V1__HealthCheckResponse HealthResp;

static void sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* calls_active as ServerStatus reports it (the ServerStatus call included). */
static uint64_t calls_active(ins_client *admin)
{
    Inspect__V1__ServerStatusRequest req = INSPECT__V1__SERVER_STATUS_REQUEST__INIT;
    ProtobufCMessage *resp = NULL;
    char *details;
    int code = ins_client_unary(admin, SERVER_STATUS, &req.base,
                                &inspect__v1__server_status_response__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    uint64_t n = ((Inspect__V1__ServerStatusResponse *)resp)->calls_active;
    protobuf_c_message_free_unpacked(resp, NULL);
    return n;
}

/* Opens a Health/Watch on "" and reads its first status (SERVING). */
static ins_stream *open_watch(ins_client *c)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    ins_stream *s;
    char *details;
    int code = ins_client_server_stream(c, HEALTH_WATCH, &req.base,
                                        &grpc__health__v1__health_check_response__descriptor,
                                        INS_TIMEOUT_NONE, &s, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    free(details);
    ProtobufCMessage *m;
    ck_assert_int_eq(ins_stream_recv(s, 10000, &m), 1);
    ck_assert_int_eq(((HealthResp *)m)->status,
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    protobuf_c_message_free_unpacked(m, NULL);
    return s;
}

START_TEST(test_watch_client_cancel_frees_call)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_ADMIN, "root", 3600, tok);
    ins_client *admin = ins_ts_client(&ts, tok);
    ins_client *c = ins_ts_client(&ts, NULL);

    uint64_t baseline = calls_active(admin);
    ins_stream *s = open_watch(c);
    ck_assert_uint_eq(calls_active(admin), baseline + 1);

    /* A receive is pending on the server's next message when we cancel. */
    ProtobufCMessage *m;
    ck_assert_int_eq(ins_stream_recv(s, 50, &m), -1);
    ins_stream_cancel(s);
    ck_assert_int_eq(ins_stream_recv(s, 10000, &m), 0);
    char *details;
    int code = ins_stream_finish(s, &details);
    ins_assert_status(code, GRPC_STATUS_CANCELLED, details);
    free(details);

    /* The server notices the cancel and frees the call. */
    uint64_t now = 0;
    for (int i = 0; i < 500 && (now = calls_active(admin)) != baseline; i++)
        sleep_ms(10);
    ck_assert_uint_eq(now, baseline);

    /* ... and keeps serving. */
    s = open_watch(c);
    ins_stream_cancel(s);
    code = ins_stream_finish(s, &details);
    ins_assert_status(code, GRPC_STATUS_CANCELLED, details);
    free(details);

    ins_client_close(c);
    ins_client_close(admin);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_sigterm_with_watch_open_exits_within_grace)
{
    ins_ts ts;
    const char *args[] = {"--grace", "2", NULL};
    ins_ts_start(&ts, args);
    ins_client *c = ins_ts_client(&ts, NULL);
    ins_stream *s = open_watch(c);

    ck_assert_int_eq(kill(ts.pid, SIGTERM), 0);
    double elapsed;
    int rc = ins_ts_wait_exit(&ts, 2 + 1, &elapsed);
    ck_assert_msg(rc >= 0, "inspectd still running %.1f s after SIGTERM (grace 2 s)", elapsed);
    ck_assert_msg(rc == 0, "inspectd exited with %d after SIGTERM", rc);

    /* The watcher heard NOT_SERVING, then the stream ended UNAVAILABLE. */
    ProtobufCMessage *m;
    ck_assert_int_eq(ins_stream_recv(s, 5000, &m), 1);
    ck_assert_int_eq(((HealthResp *)m)->status,
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
    protobuf_c_message_free_unpacked(m, NULL);
    ck_assert_int_eq(ins_stream_recv(s, 5000, &m), 0);
    char *details;
    int code = ins_stream_finish(s, &details);
    ins_assert_status(code, GRPC_STATUS_UNAVAILABLE, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_sigterm_with_reflection_open_cancels_after_grace)
{
    /* An idle bidi stream does not end by itself: the server waits for the
     * grace period, then cancels it, and still exits 0 in time. */
    ins_ts ts;
    const char *args[] = {"--grace", "2", NULL};
    ins_ts_start(&ts, args);
    ins_client *c = ins_ts_client(&ts, NULL);
    ins_stream *s;
    ck_assert_int_eq(
        ins_stream_start(c, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                         &grpc__reflection__v1alpha__server_reflection_response__descriptor,
                         INS_TIMEOUT_NONE, &s),
        0);
    Grpc__Reflection__V1alpha__ServerReflectionRequest req =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    req.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
    req.list_services = "";
    ck_assert_int_eq(ins_stream_send(s, &req.base), 0);
    ProtobufCMessage *m;
    ck_assert_int_eq(ins_stream_recv(s, 10000, &m), 1);
    protobuf_c_message_free_unpacked(m, NULL);

    ck_assert_int_eq(kill(ts.pid, SIGTERM), 0);
    double elapsed;
    int rc = ins_ts_wait_exit(&ts, 2 + 1, &elapsed);
    ck_assert_msg(rc >= 0, "inspectd still running %.1f s after SIGTERM (grace 2 s)", elapsed);
    ck_assert_msg(rc == 0, "inspectd exited with %d after SIGTERM", rc);
    ck_assert_msg(elapsed >= 1.5, "the open stream was not given its grace (%.2f s)", elapsed);

    ck_assert_int_eq(ins_stream_recv(s, 5000, &m), 0);
    char *details;
    int code = ins_stream_finish(s, &details);
    ins_assert_status(code, GRPC_STATUS_UNAVAILABLE, details);
    free(details);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_sigint_idle_exits_zero)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    ck_assert_int_eq(kill(ts.pid, SIGINT), 0);
    double elapsed;
    int rc = ins_ts_wait_exit(&ts, 5, &elapsed);
    ck_assert_msg(rc == 0, "inspectd exited with %d after SIGINT (%.1f s)", rc, elapsed);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_listen_any_without_tls_refused)
{
    ins_ts ts;
    const char *args[] = {"--listen", "0.0.0.0:0", NULL};
    ck_assert_int_eq(ins_ts_spawn(&ts, args), 0);
    double elapsed;
    int rc = ins_ts_wait_exit(&ts, 10, &elapsed);
    ck_assert_msg(rc > 0, "inspectd did not refuse --listen 0.0.0.0:0 without TLS (rc %d)", rc);
    ck_assert_msg(elapsed < 5, "refusing took %.1f s", elapsed);
    ck_assert_msg(ins_ts_stderr_contains(&ts, "TLS"), "the refusal does not mention TLS");
    ck_assert_int_eq(ins_ts_stop(&ts), rc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rpc_lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_watch_client_cancel_frees_call);
    tcase_add_test(tc, test_sigterm_with_watch_open_exits_within_grace);
    tcase_add_test(tc, test_sigterm_with_reflection_open_cancels_after_grace);
    tcase_add_test(tc, test_sigint_idle_exits_zero);
    tcase_add_test(tc, test_listen_any_without_tls_refused);
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
