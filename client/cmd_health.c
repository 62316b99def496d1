/*
 * cmd_health.c - `inspectctl health`: the standard grpc.health.v1 check.
 *
 * Without --watch, one Check call: prints the serving status and exits 0
 * only when it is SERVING, so the command works as a probe. With --watch,
 * prints every status the server streams until the stream ends, with no
 * deadline unless --timeout is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "cliutil.h"
#include "grpc/health/v1/health.pb-c.h"

#define CHECK_METHOD "/grpc.health.v1.Health/Check"
#define WATCH_METHOD "/grpc.health.v1.Health/Watch"

static const char *serving_name(int status)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &grpc__health__v1__health_check_response__serving_status__descriptor, status);
    return v != NULL ? v->name : "UNKNOWN";
}

static void print_status(const ins_cli *cli, const char *service, int status)
{
    if (cli->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "service", json_object_new_string(service));
        json_object_object_add(o, "status", json_object_new_string(serving_name(status)));
        ins_cu_print_json_object(o);
        json_object_put(o);
    } else {
        puts(serving_name(status));
    }
    fflush(stdout);
}

static void help(void)
{
    printf("usage: inspectctl health [--service NAME] [--watch]\n\n"
           "Asks grpc.health.v1.Health for the status of the whole server (\"\")\n"
           "or of one service, e.g. inspect.v1.Session. Exit 0 only when SERVING.\n"
           "  --service NAME   the service to check (default: the whole server)\n"
           "  --watch          stream every change until the stream ends or\n"
           "                   --timeout passes (no deadline by default)\n\n%s",
           ins_cli_global_help);
}

int ins_cmd_health(ins_cli *cli, int argc, char **argv)
{
    const char *service = "";
    int watch = 0;
    ins_cu_opt opts[] = {
        {"--service", &service, NULL},
        {"--watch", NULL, &watch},
        {NULL, NULL, NULL},
    };
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, help, "health");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;

    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;

    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    char *details = NULL;
    rc = INS_EXIT_FAIL;

    if (!watch) {
        ProtobufCMessage *resp = NULL;
        int code = ins_client_unary(c, CHECK_METHOD, &req.base,
                                    &grpc__health__v1__health_check_response__descriptor,
                                    INS_TIMEOUT_DEFAULT, &resp, &details);
        if (code != 0) {
            ins_cli_fail("health", code, details);
        } else {
            int st = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status;
            print_status(cli, service, st);
            rc = st == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                     ? INS_EXIT_OK
                     : INS_EXIT_FAIL;
            protobuf_c_message_free_unpacked(resp, NULL);
        }
        goto done;
    }

    ins_stream *s;
    int code = ins_client_server_stream(
        c, WATCH_METHOD, &req.base, &grpc__health__v1__health_check_response__descriptor,
        cli->timeout_set ? INS_TIMEOUT_DEFAULT : INS_TIMEOUT_NONE, &s, &details);
    if (code != 0) {
        ins_cli_fail("health --watch", code, details);
        goto done;
    }
    ProtobufCMessage *m;
    int last = -1;
    while (ins_stream_recv(s, INS_TIMEOUT_NONE, &m) == 1) {
        last = ((Grpc__Health__V1__HealthCheckResponse *)m)->status;
        print_status(cli, service, last);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    code = ins_stream_finish(s, &details);
    if (code != 0)
        ins_cli_fail("health --watch", code, details);
    else
        rc = last == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                 ? INS_EXIT_OK
                 : INS_EXIT_FAIL;
done:
    free(details);
    ins_client_close(c);
    return rc;
}
