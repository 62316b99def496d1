/*
 * cmd_licensing.c - `inspectctl applications` (see cmd_licensing.h).
 *
 * The list pages through ListApplications; with --all it follows the page
 * tokens to the end and, with --json, prints one object holding every
 * application, so a script never has to loop itself.
 */
#include "cmd_licensing.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cliutil.h"
#include "inspect/v1/licensing.pb-c.h"
#include "ins_pbjson.h"

#define LIC_METHOD(m) "/inspect.v1.Licensing/" m

static const char STAGES_HELP[] =
    "Stages: intake (接件预审), review (后台审批), inspection (现场踏勘),\n"
    "decision (审批决定), certified (制证发证), archived (档案管理).\n";

static int parse_stage(const char *opt, const char *text, int *out)
{
    if (ins_pbjson_enum_parse(&inspect__v1__stage__descriptor, text, out) != 0 || *out == 0) {
        ins_cli_usage_error("%s: '%s' is not a stage (intake, review, inspection, decision, "
                            "certified, archived)",
                            opt, text);
        return -1;
    }
    return 0;
}

/* ---- list -------------------------------------------------------------- */

static void list_help(void)
{
    printf("usage: inspectctl applications list [--stage S] [--town T] [--item I]\n"
           "                                   [--page-size N] [--page-token T] [--all]\n\n"
           "Lists applications ordered by id. Roles: dispatcher, admin, auditor.\n"
           "  --stage S        only applications in stage S\n"
           "  --town T         only applications whose site is in town T\n"
           "  --item I         only applications for service item I\n"
           "  --page-size N    applications per page (server default 50, at most 500)\n"
           "  --page-token T   continue from a previous page\n"
           "  --all            fetch every page\n"
           "%s\n%s",
           STAGES_HELP, ins_cli_global_help);
}

/* One row of `applications list` into the table `arg` (NULL: out of memory). */
static void application_row(void *arg, const ProtobufCMessage *item)
{
    const Inspect__V1__Application *a = (const Inspect__V1__Application *)item;
    if (arg == NULL)
        return;
    char ver[24];
    snprintf(ver, sizeof ver, "%" PRId64, a->version);
    const char *row[] = {a->id,
                         ins_cu_enum(&inspect__v1__stage__descriptor, a->stage),
                         a->service_item,
                         a->town,
                         a->outcome ? ins_cu_enum(&inspect__v1__outcome__descriptor, a->outcome)
                                    : "-",
                         ver,
                         a->applicant_name};
    ins_cu_table_row(arg, row);
}

static int list(ins_cli *cli, int argc, char **argv)
{
    const char *stage = NULL, *town = NULL, *item = NULL, *size = NULL, *token = NULL;
    int all = 0;
    ins_cu_opt opts[] = {
        {"--stage", &stage, NULL},    {"--town", &town, NULL},        {"--item", &item, NULL},
        {"--page-size", &size, NULL}, {"--page-token", &token, NULL}, {"--all", NULL, &all},
        {NULL, NULL, NULL},
    };
    int npos;
    int rc =
        ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, list_help, "applications list");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    int st = 0;
    if (stage != NULL && parse_stage("--stage", stage, &st) != 0)
        return INS_EXIT_USAGE;
    uint64_t page_size = 0;
    if (size != NULL && ins_cu_parse_u64("--page-size", size, UINT32_MAX, &page_size) != 0)
        return INS_EXIT_USAGE;

    static const char *const heads[] = {"ID",      "STAGE", "ITEM",     "TOWN",
                                        "OUTCOME", "VER",   "APPLICANT"};
    ins_cu_table *t = cli->json ? NULL : ins_cu_table_new(7, heads);
    Inspect__V1__ListApplicationsRequest req = INSPECT__V1__LIST_APPLICATIONS_REQUEST__INIT;
    req.stage = (Inspect__V1__Stage)st;
    req.town = (char *)(town != NULL ? town : "");
    req.service_item = (char *)(item != NULL ? item : "");
    req.page_size = (uint32_t)page_size;
    ins_cu_pager pg = {
        .what = "applications list",
        .method = LIC_METHOD("ListApplications"),
        .req = &req.base,
        .resp_desc = &inspect__v1__list_applications_response__descriptor,
        .items_field = "applications",
        .page_token = token,
        .all = all,
        .row = application_row,
        .arg = t,
    };
    size_t count;
    char *next;
    rc = ins_cu_page(cli, &pg, &count, &next);
    if (t != NULL && rc != INS_EXIT_OK) {
        ins_cu_table_free(t);
    } else if (t != NULL) {
        ins_cu_table_print(t);
        if (next != NULL)
            printf("(%zu shown; more: --page-token %s, or --all)\n", count, next);
        else
            printf("(%zu application%s)\n", count, count == 1 ? "" : "s");
    }
    free(next);
    return rc;
}

/* ---- get --------------------------------------------------------------- */

static void get_help(void)
{
    printf("usage: inspectctl applications get ID\n\n"
           "Shows one application: service item, applicant and credit code, site,\n"
           "stage, outcome, version and the declared facts.\n"
           "Roles: dispatcher, admin, auditor, department.\n\n%s",
           ins_cli_global_help);
}

static void print_application(const Inspect__V1__Application *a)
{
    char c1[32], c2[32];
    printf("id:           %s\nservice_item: %s\napplicant:    %s\ncredit_code:  %s\n"
           "site:         %s\ntown:         %s\nposition:     %s, %s\nstage:        %s\n"
           "outcome:      %s\nversion:      %" PRId64 "\ncreated:      %s\nupdated:      %s\n",
           a->id, a->service_item, a->applicant_name, a->applicant_credit_code, a->site_address,
           a->town, ins_cu_num(a->latitude), ins_cu_num(a->longitude),
           ins_cu_enum(&inspect__v1__stage__descriptor, a->stage),
           a->outcome ? ins_cu_enum(&inspect__v1__outcome__descriptor, a->outcome) : "-",
           a->version, ins_cu_fmt_time(a->created_unix, c1, sizeof c1),
           ins_cu_fmt_time(a->updated_unix, c2, sizeof c2));
    if (a->n_declared_facts == 0)
        return;
    putchar('\n');
    static const char *const heads[] = {"FACT", "VALUE", "UNIT"};
    ins_cu_table *t = ins_cu_table_new(3, heads);
    for (size_t i = 0; i < a->n_declared_facts; i++) {
        const Inspect__V1__DeclaredFact *f = a->declared_facts[i];
        const Inspect__V1__FactValue *v = f->value;
        const char *val = "-", *unit = "";
        if (v != NULL) {
            unit = v->unit;
            if (v->value_case == INSPECT__V1__FACT_VALUE__VALUE_NUMBER)
                val = ins_cu_num(v->number);
            else if (v->value_case == INSPECT__V1__FACT_VALUE__VALUE_FLAG)
                val = v->flag ? "yes" : "no";
            else if (v->value_case == INSPECT__V1__FACT_VALUE__VALUE_TEXT)
                val = v->text;
        }
        const char *row[] = {f->key, val, unit};
        ins_cu_table_row(t, row);
    }
    ins_cu_table_print(t);
}

static int get(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, get_help, "applications get");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__GetApplicationRequest req = INSPECT__V1__GET_APPLICATION_REQUEST__INIT;
    req.id = (char *)pos[0];
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "applications get", LIC_METHOD("GetApplication"), &req.base,
                           &inspect__v1__application__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    if (cli->json)
        rc = ins_cu_print_json(resp);
    else
        print_application((Inspect__V1__Application *)resp);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* ---- upsert ------------------------------------------------------------ */

static void upsert_help(void)
{
    printf("usage: inspectctl applications upsert FILE.json [--expected-version N]\n"
           "                                     [--request-id ID]\n\n"
           "Creates or updates the application(s) in FILE.json (\"-\": standard input):\n"
           "an Application object, e.g. (seeds/examples/application.json)\n"
           "  {\"id\": \"XD-2026-000123\", \"service_item\": \"food-business\",\n"
           "   \"applicant_name\": \"成都市新都区某某餐饮店\",\n"
           "   \"applicant_credit_code\": \"92510114MA6C5Q0L9G\",\n"
           "   \"site_address\": \"新都区桂湖中路88号\", \"town\": \"桂湖街道\",\n"
           "   \"latitude\": 30.8236, \"longitude\": 104.1588,\n"
           "   \"declared_facts\": [{\"key\": \"floor_area_m2\",\n"
           "                       \"value\": {\"number\": 120, \"unit\": \"m2\"}}]}\n"
           "or an array of them. Roles: dispatcher, admin.\n"
           "  --expected-version N   0 or absent: create (ALREADY_EXISTS if the id is\n"
           "                         taken); else the version last read: a stale one\n"
           "                         is refused with FAILED_PRECONDITION\n"
           "  --request-id ID        idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static int upsert(ins_cli *cli, int argc, char **argv)
{
    const char *rid = NULL, *expected = NULL;
    ins_cu_opt opts[] = {
        {"--request-id", &rid, NULL},
        {"--expected-version", &expected, NULL},
        {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc =
        ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, upsert_help, "applications upsert");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    uint64_t v;
    if (expected != NULL && ins_cu_parse_u64("--expected-version", expected, INT64_MAX, &v) != 0)
        return INS_EXIT_USAGE;
    if (rid != NULL && rid[0] == '\0')
        return ins_cli_usage_error("applications upsert: --request-id must not be empty");
    return ins_cu_upsert_file(cli, "applications upsert", LIC_METHOD("UpsertApplication"),
                              &inspect__v1__upsert_application_request__descriptor, "application",
                              &inspect__v1__upsert_application_response__descriptor, pos[0], rid,
                              expected);
}

/* ---- stage ------------------------------------------------------------- */

static void stage_help(void)
{
    printf("usage: inspectctl applications stage ID STAGE [--reason R]\n"
           "                                    [--expected-version N] [--request-id ID]\n\n"
           "Moves an application one step along the approval flow; a refused move\n"
           "(FAILED_PRECONDITION) names the move that is allowed. Role: dispatcher.\n"
           "  --reason R             why, kept in the audit trail\n"
           "  --expected-version N   refuse unless the stored version is N\n"
           "  --request-id ID        idempotency key (default: random)\n"
           "%s\n%s",
           STAGES_HELP, ins_cli_global_help);
}

static int stage(ins_cli *cli, int argc, char **argv)
{
    const char *rid = NULL, *expected = NULL, *reason = NULL;
    ins_cu_opt opts[] = {
        {"--request-id", &rid, NULL},
        {"--expected-version", &expected, NULL},
        {"--reason", &reason, NULL},
        {NULL, NULL, NULL},
    };
    const char *pos[2];
    int npos;
    int rc =
        ins_cu_args(cli, argc, argv, 1, opts, pos, 2, 2, &npos, stage_help, "applications stage");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    int st;
    if (parse_stage("STAGE", pos[1], &st) != 0)
        return INS_EXIT_USAGE;
    uint64_t v = 0;
    if (expected != NULL && ins_cu_parse_u64("--expected-version", expected, INT64_MAX, &v) != 0)
        return INS_EXIT_USAGE;
    char id[INS_CU_REQUEST_ID_LEN];
    if (rid == NULL)
        ins_cu_random_request_id(id);
    else if (rid[0] == '\0')
        return ins_cli_usage_error("applications stage: --request-id must not be empty");

    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__SetStageRequest req = INSPECT__V1__SET_STAGE_REQUEST__INIT;
    req.request_id = (char *)(rid != NULL ? rid : id);
    req.id = (char *)pos[0];
    req.stage = (Inspect__V1__Stage)st;
    req.expected_version = (int64_t)v;
    req.reason = (char *)(reason != NULL ? reason : "");
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "applications stage", LIC_METHOD("SetStage"), &req.base,
                           &inspect__v1__set_stage_response__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else {
        const Inspect__V1__Application *a = ((Inspect__V1__SetStageResponse *)resp)->application;
        if (a != NULL)
            printf("application %s: stage %s, version %" PRId64 "\n", a->id,
                   ins_cu_enum(&inspect__v1__stage__descriptor, a->stage), a->version);
        else
            puts("ok");
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

int ins_cmd_applications(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"list", "list applications by stage, town or service item", list},
        {"get", "show one application and its declared facts", get},
        {"upsert", "create or update applications from a JSON file", upsert},
        {"stage", "move an application to the next stage of the flow", stage},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl applications COMMAND [options]\n\n"
                        "The licensing record (办件): applications, their declared facts and\n"
                        "their stage in the approval flow (inspect.v1.Licensing).\n",
                        subs, sizeof subs / sizeof subs[0]);
}
