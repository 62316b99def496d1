/*
 * cmd_session.c - `inspectctl whoami` and `inspectctl status`: the
 * inspect.v1.Session service, used to check a token or a client certificate
 * and to watch a running node.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "cliutil.h"
#include "ins_district.h"
#include "inspect/v1/session.pb-c.h"

#define WHOAMI_METHOD "/inspect.v1.Session/WhoAmI"
#define STATUS_METHOD "/inspect.v1.Session/ServerStatus"

/* "ROLE_INSPECTOR" -> "inspector", into `buf`. */
static const char *role_name(int role, char *buf, size_t len)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&inspect__v1__role__descriptor, role);
    const char *name = v != NULL ? v->name : "ROLE_UNSPECIFIED";
    if (strncmp(name, "ROLE_", 5) == 0)
        name += 5;
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < len; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[i] = '\0';
    return buf;
}

/* Parses the command's own arguments: only global options and --help. */
static int parse_no_args(ins_cli *cli, int argc, char **argv, void (*help)(void))
{
    int npos;
    return ins_cu_args(cli, argc, argv, 1, NULL, NULL, 0, 0, &npos, help, argv[0]);
}

/* One unary Session call; prints the failure. Returns the response or NULL. */
static ProtobufCMessage *call(const ins_cli *cli, const char *what, const char *method,
                              const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *resp_desc)
{
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return NULL;
    ProtobufCMessage *resp = NULL;
    char *details = NULL;
    int code = ins_client_unary(c, method, req, resp_desc, INS_TIMEOUT_DEFAULT, &resp, &details);
    if (code != 0)
        ins_cli_fail(what, code, details);
    free(details);
    ins_client_close(c);
    return resp;
}

static void whoami_help(void)
{
    printf("usage: inspectctl whoami\n\n"
           "Prints the principal, role and department the server takes the caller\n"
           "to be (from --token / $INSPECT_TOKEN or the client certificate).\n\n%s",
           ins_cli_global_help);
}

int ins_cmd_whoami(ins_cli *cli, int argc, char **argv)
{
    int rc = parse_no_args(cli, argc, argv, whoami_help);
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    Inspect__V1__WhoAmIRequest req = INSPECT__V1__WHO_AM_IREQUEST__INIT;
    Inspect__V1__WhoAmIResponse *r = (Inspect__V1__WhoAmIResponse *)call(
        cli, "whoami", WHOAMI_METHOD, &req.base, &inspect__v1__who_am_iresponse__descriptor);
    if (r == NULL)
        return INS_EXIT_FAIL;
    char role[32];
    role_name(r->role, role, sizeof role);
    if (cli->json) {
        ins_cu_print_json(&r->base);
    } else {
        printf("principal:  %s\nrole:       %s\ndepartment: %s\nauth:       %s\n", r->principal,
               role, r->department, r->auth_method);
        char when[40];
        if (r->expires_unix != 0)
            printf("expires:    %s\n", ins_cu_fmt_time(r->expires_unix, when, sizeof when));
        printf("districts:  %s\nnode:       district %s\n", ins_district_list_text(r->districts),
               r->node_district);
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return INS_EXIT_OK;
}

static void status_help(void)
{
    printf("usage: inspectctl status\n\n"
           "Prints the runtime counters of the server: version, start time, worker\n"
           "threads, calls started and active, draining. Roles: admin, auditor.\n\n%s",
           ins_cli_global_help);
}

int ins_cmd_status(ins_cli *cli, int argc, char **argv)
{
    int rc = parse_no_args(cli, argc, argv, status_help);
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    Inspect__V1__ServerStatusRequest req = INSPECT__V1__SERVER_STATUS_REQUEST__INIT;
    Inspect__V1__ServerStatusResponse *r = (Inspect__V1__ServerStatusResponse *)call(
        cli, "status", STATUS_METHOD, &req.base, &inspect__v1__server_status_response__descriptor);
    if (r == NULL)
        return INS_EXIT_FAIL;
    if (cli->json) {
        ins_cu_print_json(&r->base);
    } else {
        char started[40];
        printf("version:        %s\nstarted:        %s\nworker_threads: %" PRIu32
               "\ncalls_started:  %" PRIu64 "\ncalls_active:   %" PRIu64 "\ndraining:       %s\n",
               r->version, ins_cu_fmt_time(r->started_unix, started, sizeof started),
               r->worker_threads, r->calls_started, r->calls_active, r->draining ? "yes" : "no");
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return INS_EXIT_OK;
}
