/*
 * test_rpc_streams.c - many concurrent streams on the default thread count:
 * 2,000 Health/Watch streams over 20 connections (100 each, the default
 * --max-streams-per-connection) are held open at once, all get their first
 * message, ServerStatus counts them, then all are cancelled and the server
 * frees every call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <grpc/status.h>

#include "grpc/health/v1/health.pb-c.h"
#include "harness.h"
#include "inspect/v1/session.pb-c.h"

#define HEALTH_WATCH  "/grpc.health.v1.Health/Watch"
#define SERVER_STATUS "/inspect.v1.Session/ServerStatus"
#define N_STREAMS     2000
#define N_CHANNELS    20 /* N_STREAMS / the default stream limit per connection */

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

START_TEST(test_watch_2000_concurrent_streams_held_open)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL); /* default --threads: the number of cores */
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_ADMIN, "root", 3600, tok);
    ins_client *admin = ins_ts_client(&ts, tok);
    uint64_t baseline = calls_active(admin);

    ins_client *ch[N_CHANNELS];
    for (int i = 0; i < N_CHANNELS; i++) {
        ins_client_opts o = {.target = ts.addr, .timeout_ms = 0, .private_connection = 1};
        ck_assert_int_eq(ins_client_open(&o, &ch[i], NULL), 0);
    }

    double t0 = ins_now_s();
    ins_stream **s = calloc(N_STREAMS, sizeof *s);
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    for (int i = 0; i < N_STREAMS; i++) {
        char *details;
        int code = ins_client_server_stream(ch[i % N_CHANNELS], HEALTH_WATCH, &req.base,
                                            &grpc__health__v1__health_check_response__descriptor,
                                            INS_TIMEOUT_NONE, &s[i], &details);
        ck_assert_msg(code == GRPC_STATUS_OK, "stream %d: %s: %s", i, ins_client_status_name(code),
                      details ? details : "");
        free(details);
    }
    double t_open = ins_now_s();
    for (int i = 0; i < N_STREAMS; i++) {
        ProtobufCMessage *m;
        int r = ins_stream_recv(s[i], 30000, &m);
        ck_assert_msg(r == 1, "stream %d got no first message (%d)", i, r);
        ck_assert_int_eq(((Grpc__Health__V1__HealthCheckResponse *)m)->status,
                         GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    double t_first = ins_now_s();

    uint64_t active = calls_active(admin);
    ck_assert_msg(active >= baseline + N_STREAMS, "calls_active %llu with %d streams open",
                  (unsigned long long)active, N_STREAMS);

    for (int i = 0; i < N_STREAMS; i++)
        ins_stream_cancel(s[i]);
    for (int i = 0; i < N_STREAMS; i++) {
        char *details;
        int code = ins_stream_finish(s[i], &details);
        ck_assert_msg(code == GRPC_STATUS_CANCELLED, "stream %d ended %s: %s", i,
                      ins_client_status_name(code), details ? details : "");
        free(details);
    }
    free(s);
    double t_done = ins_now_s();

    uint64_t now = 0;
    for (int i = 0; i < 1000 && (now = calls_active(admin)) != baseline; i++) {
        struct timespec t = {0, 10 * 1000000L};
        nanosleep(&t, NULL);
    }
    ck_assert_uint_eq(now, baseline);
    fprintf(stderr, "%d streams: opened in %.2f s, first messages in %.2f s, cancelled in %.2f s\n",
            N_STREAMS, t_open - t0, t_first - t_open, t_done - t_first);

    for (int i = 0; i < N_CHANNELS; i++)
        ins_client_close(ch[i]);
    ins_client_close(admin);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rpc_streams");
    TCase *tc = tcase_create("streams");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_watch_2000_concurrent_streams_held_open);
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
