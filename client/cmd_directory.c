/*
 * cmd_directory.c - `inspectctl departments|inspectors|items|templates|
 * calendar`: every method of inspect.v1.Directory (see cmd_directory.h).
 *
 * Reads go straight to a table (or, with --json, the response as proto3
 * JSON); writes read the entity from a JSON file through pbjson and go
 * through ins_cu_upsert_file(), so every group writes the same way.
 */
#include "cmd_directory.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cliutil.h"
#include "inspect/v1/directory.pb-c.h"
#include "ins_pbjson.h"

#define DIR_METHOD(m) "/inspect.v1.Directory/" m

/* ---- departments ------------------------------------------------------- */

static void departments_list_help(void)
{
    printf("usage: inspectctl departments list\n\n"
           "Lists every department: code, kind (bureau or industry), name, version.\n"
           "Roles: all.\n\n%s",
           ins_cli_global_help);
}

static int departments_list(ins_cli *cli, int argc, char **argv)
{
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, NULL, 0, 0, &npos, departments_list_help,
                         "departments list");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__ListDepartmentsRequest req = INSPECT__V1__LIST_DEPARTMENTS_REQUEST__INIT;
    ProtobufCMessage *resp;
    if (ins_cu_call(c, "departments list", DIR_METHOD("ListDepartments"), &req.base,
                    &inspect__v1__list_departments_response__descriptor, &resp) != 0) {
        ins_client_close(c);
        return INS_EXIT_FAIL;
    }
    ins_client_close(c);
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else {
        Inspect__V1__ListDepartmentsResponse *r = (Inspect__V1__ListDepartmentsResponse *)resp;
        static const char *const heads[] = {"CODE", "KIND", "VERSION", "NAME"};
        ins_cu_table *t = ins_cu_table_new(4, heads);
        for (size_t i = 0; i < r->n_departments; i++) {
            Inspect__V1__Department *d = r->departments[i];
            char ver[24];
            snprintf(ver, sizeof ver, "%" PRId64, d->version);
            const char *row[] = {d->code,
                                 ins_cu_enum(&inspect__v1__department_kind__descriptor, d->kind),
                                 ver, d->name};
            ins_cu_table_row(t, row);
        }
        ins_cu_table_print(t);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* Shared by every `upsert FILE` subcommand of this file. */
typedef struct upsert_spec {
    const char *what;   /* "departments upsert" */
    const char *method; /* full path */
    const ProtobufCMessageDescriptor *req;
    const char *field; /* the entity field of the request */
    const ProtobufCMessageDescriptor *resp;
    int has_expected; /* takes --expected-version */
    void (*help)(void);
} upsert_spec;

static int run_upsert(ins_cli *cli, int argc, char **argv, const upsert_spec *s)
{
    const char *rid = NULL, *expected = NULL;
    ins_cu_opt opts[3] = {{"--request-id", &rid, NULL}, {NULL, NULL, NULL}, {NULL, NULL, NULL}};
    if (s->has_expected)
        opts[1] = (ins_cu_opt){"--expected-version", &expected, NULL};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, s->help, s->what);
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (expected != NULL) {
        uint64_t v;
        if (ins_cu_parse_u64("--expected-version", expected, INT64_MAX, &v) != 0)
            return INS_EXIT_USAGE;
    }
    if (rid != NULL && rid[0] == '\0')
        return ins_cli_usage_error("%s: --request-id must not be empty", s->what);
    return ins_cu_upsert_file(cli, s->what, s->method, s->req, s->field, s->resp, pos[0], rid,
                              expected);
}

static void departments_upsert_help(void)
{
    printf("usage: inspectctl departments upsert FILE.json [--request-id ID]\n\n"
           "Creates or replaces the department(s) in FILE.json (\"-\": standard input):\n"
           "a Department object such as\n"
           "  {\"code\": \"fire\", \"name\": \"新都区消防救援大队\", \"kind\": \"INDUSTRY\"}\n"
           "or an array of them. Role: admin.\n"
           "  --request-id ID   idempotency key (default: random); resending the same\n"
           "                    request with the same id returns the first answer\n\n%s",
           ins_cli_global_help);
}

static int departments_upsert(ins_cli *cli, int argc, char **argv)
{
    static const upsert_spec s = {"departments upsert",
                                  DIR_METHOD("UpsertDepartment"),
                                  &inspect__v1__upsert_department_request__descriptor,
                                  "department",
                                  &inspect__v1__upsert_department_response__descriptor,
                                  0,
                                  departments_upsert_help};
    return run_upsert(cli, argc, argv, &s);
}

int ins_cmd_departments(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"list", "list every department", departments_list},
        {"upsert", "create or replace departments from a JSON file (admin)", departments_upsert},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl departments COMMAND [options]\n\n"
                        "The bureau and the industry departments (inspect.v1.Directory).\n",
                        subs, sizeof subs / sizeof subs[0]);
}

/* ---- inspectors -------------------------------------------------------- */

static void join_strings(char *const *v, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        int k = snprintf(buf + o, len - o, "%s%s", i > 0 ? "," : "", v[i]);
        if (k < 0)
            break;
        o += (size_t)k < len - o ? (size_t)k : len - o - 1;
    }
}

static void today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* "fire-safety-inspection(2027-06-30),..."; lapsed ones marked. */
static void qual_list(const Inspect__V1__Inspector *p, char *buf, size_t len)
{
    char now[11];
    today(now);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n_qualifications && o + 1 < len; i++) {
        const Inspect__V1__Qualification *q = p->qualifications[i];
        int lapsed = q->expires[0] != '\0' && strcmp(q->expires, now) < 0;
        int k = snprintf(buf + o, len - o, "%s%s(%s%s)", i > 0 ? "," : "", q->code,
                         lapsed ? "lapsed " : "", q->expires);
        if (k < 0)
            break;
        o += (size_t)k < len - o ? (size_t)k : len - o - 1;
    }
}

static void inspectors_list_help(void)
{
    printf("usage: inspectctl inspectors list [--department D] [--town T]\n"
           "                                 [--page-size N] [--page-token T] [--all]\n\n"
           "Lists inspectors ordered by id. Roles: admin, dispatcher.\n"
           "  --department D   only inspectors of department D\n"
           "  --town T         only inspectors serving town T\n"
           "  --page-size N    inspectors per page (server default 100, at most 1000)\n"
           "  --page-token T   continue from a previous page\n"
           "  --all            fetch every page\n\n%s",
           ins_cli_global_help);
}

/* One row of `inspectors list` into the table `arg` (NULL: out of memory). */
static void inspector_row(void *arg, const ProtobufCMessage *item)
{
    const Inspect__V1__Inspector *p = (const Inspect__V1__Inspector *)item;
    if (arg == NULL)
        return;
    char max[16], towns[512], quals[512];
    snprintf(max, sizeof max, "%" PRIu32, p->max_open_tasks);
    join_strings(p->towns, p->n_towns, towns, sizeof towns);
    qual_list(p, quals, sizeof quals);
    const char *row[] = {p->id, p->name, p->department, p->active ? "yes" : "no",
                         max,   towns,   quals};
    ins_cu_table_row(arg, row);
}

static int inspectors_list(ins_cli *cli, int argc, char **argv)
{
    const char *dept = NULL, *town = NULL, *size = NULL, *token = NULL;
    int all = 0;
    ins_cu_opt opts[] = {
        {"--department", &dept, NULL},  {"--town", &town, NULL}, {"--page-size", &size, NULL},
        {"--page-token", &token, NULL}, {"--all", NULL, &all},   {NULL, NULL, NULL},
    };
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, inspectors_list_help,
                         "inspectors list");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    uint64_t page_size = 0;
    if (size != NULL && ins_cu_parse_u64("--page-size", size, UINT32_MAX, &page_size) != 0)
        return INS_EXIT_USAGE;

    static const char *const heads[] = {"ID",       "NAME",  "DEPARTMENT",    "ACTIVE",
                                        "MAX_OPEN", "TOWNS", "QUALIFICATIONS"};
    ins_cu_table *t = cli->json ? NULL : ins_cu_table_new(7, heads);
    Inspect__V1__ListInspectorsRequest req = INSPECT__V1__LIST_INSPECTORS_REQUEST__INIT;
    req.department = (char *)(dept != NULL ? dept : "");
    req.town = (char *)(town != NULL ? town : "");
    req.page_size = (uint32_t)page_size;
    ins_cu_pager pg = {
        .what = "inspectors list",
        .method = DIR_METHOD("ListInspectors"),
        .req = &req.base,
        .resp_desc = &inspect__v1__list_inspectors_response__descriptor,
        .items_field = "inspectors",
        .page_token = token,
        .all = all,
        .row = inspector_row,
        .arg = t,
    };
    size_t count;
    char *next;
    rc = ins_cu_page(cli, &pg, &count, &next);
    if (t != NULL && rc != INS_EXIT_OK) {
        ins_cu_table_free(t);
    } else if (t != NULL) {
        ins_cu_table_print(t);
        if (rc == INS_EXIT_OK && next != NULL)
            printf("(more: --page-token %s, or --all)\n", next);
    }
    free(next);
    return rc;
}

static void inspectors_get_help(void)
{
    printf("usage: inspectctl inspectors get ID\n\n"
           "Shows one inspector: department, qualifications and their expiry, towns\n"
           "served, open-task limit, conflicts of interest. Roles: admin, dispatcher.\n\n%s",
           ins_cli_global_help);
}

static int inspectors_get(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, inspectors_get_help,
                         "inspectors get");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__GetInspectorRequest req = INSPECT__V1__GET_INSPECTOR_REQUEST__INIT;
    req.id = (char *)pos[0];
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "inspectors get", DIR_METHOD("GetInspector"), &req.base,
                           &inspect__v1__inspector__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else {
        Inspect__V1__Inspector *p = (Inspect__V1__Inspector *)resp;
        char towns[1024], conflicts[1024];
        join_strings(p->towns, p->n_towns, towns, sizeof towns);
        join_strings(p->conflicts, p->n_conflicts, conflicts, sizeof conflicts);
        printf("id:             %s\nname:           %s\ndepartment:     %s\nactive:         %s\n"
               "max_open_tasks: %" PRIu32 "\ntowns:          %s\nbase:           %s, %s\n"
               "conflicts:      %s\npublic_key:     %s\nversion:        %" PRId64 "\n",
               p->id, p->name, p->department, p->active ? "yes" : "no", p->max_open_tasks, towns,
               ins_cu_num(p->base_latitude), ins_cu_num(p->base_longitude),
               p->n_conflicts ? conflicts : "-",
               p->public_key.len == 32 ? "Ed25519 (32 bytes)"
               : p->public_key.len     ? "invalid"
                                       : "-",
               p->version);
        char now[11];
        today(now);
        static const char *const heads[] = {"QUALIFICATION", "EXPIRES", "STATUS"};
        ins_cu_table *t = ins_cu_table_new(3, heads);
        for (size_t i = 0; i < p->n_qualifications; i++) {
            const Inspect__V1__Qualification *q = p->qualifications[i];
            const char *row[] = {q->code, q->expires,
                                 strcmp(q->expires, now) < 0 ? "lapsed" : "valid"};
            ins_cu_table_row(t, row);
        }
        putchar('\n');
        ins_cu_table_print(t);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static void inspectors_upsert_help(void)
{
    printf("usage: inspectctl inspectors upsert FILE.json [--expected-version N]\n"
           "                                   [--request-id ID]\n\n"
           "Creates or replaces the inspector(s) in FILE.json (\"-\": standard input):\n"
           "an Inspector object, e.g.\n"
           "  {\"id\": \"fire-003\", \"name\": \"张伟\", \"department\": \"fire\",\n"
           "   \"qualifications\": [{\"code\": \"fire-safety-inspection\",\n"
           "                       \"expires\": \"2027-06-30\"}],\n"
           "   \"towns\": [\"大丰街道\"], \"max_open_tasks\": 5, \"active\": true}\n"
           "or an array of them. Roles: admin, dispatcher.\n"
           "  --expected-version N   refuse (FAILED_PRECONDITION) unless the stored\n"
           "                         version is N; 0 or absent: create or overwrite\n"
           "  --request-id ID        idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static int inspectors_upsert(ins_cli *cli, int argc, char **argv)
{
    static const upsert_spec s = {"inspectors upsert",
                                  DIR_METHOD("UpsertInspector"),
                                  &inspect__v1__upsert_inspector_request__descriptor,
                                  "inspector",
                                  &inspect__v1__upsert_inspector_response__descriptor,
                                  1,
                                  inspectors_upsert_help};
    return run_upsert(cli, argc, argv, &s);
}

int ins_cmd_inspectors(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"list", "list inspectors, by department or town", inspectors_list},
        {"get", "show one inspector", inspectors_get},
        {"upsert", "create or replace inspectors from a JSON file", inspectors_upsert},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl inspectors COMMAND [options]\n\n"
                        "Inspectors, their qualifications and towns (inspect.v1.Directory).\n",
                        subs, sizeof subs / sizeof subs[0]);
}

/* ---- service items ----------------------------------------------------- */

static void items_list_help(void)
{
    printf("usage: inspectctl items list\n\n"
           "Lists the service items (审批事项): code, statutory inspection limit in\n"
           "working days, name, and per required department the qualification its\n"
           "inspector needs and the template it fills. Roles: all.\n\n%s",
           ins_cli_global_help);
}

static int items_list(ins_cli *cli, int argc, char **argv)
{
    int npos;
    int rc =
        ins_cu_args(cli, argc, argv, 1, NULL, NULL, 0, 0, &npos, items_list_help, "items list");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__ListServiceItemsRequest req = INSPECT__V1__LIST_SERVICE_ITEMS_REQUEST__INIT;
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "items list", DIR_METHOD("ListServiceItems"), &req.base,
                           &inspect__v1__list_service_items_response__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else {
        Inspect__V1__ListServiceItemsResponse *r = (Inspect__V1__ListServiceItemsResponse *)resp;
        static const char *const heads[] = {"CODE", "DAYS", "VERSION", "NAME",
                                            "DEPARTMENTS (qualification/template)"};
        ins_cu_table *t = ins_cu_table_new(5, heads);
        for (size_t i = 0; i < r->n_items; i++) {
            Inspect__V1__ServiceItem *it = r->items[i];
            char days[16], ver[24], deps[1024];
            snprintf(days, sizeof days, "%" PRIu32, it->limit_working_days);
            snprintf(ver, sizeof ver, "%" PRId64, it->version);
            size_t o = 0;
            deps[0] = '\0';
            for (size_t k = 0; k < it->n_departments && o + 1 < sizeof deps; k++) {
                Inspect__V1__RequiredDepartment *d = it->departments[k];
                int n = snprintf(deps + o, sizeof deps - o, "%s%s(%s/%s)", k > 0 ? " " : "",
                                 d->department, d->qualification, d->template_id);
                if (n < 0)
                    break;
                o += (size_t)n < sizeof deps - o ? (size_t)n : sizeof deps - o - 1;
            }
            const char *row[] = {it->code, days, ver, it->name, deps};
            ins_cu_table_row(t, row);
        }
        ins_cu_table_print(t);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static void items_upsert_help(void)
{
    printf("usage: inspectctl items upsert FILE.json [--request-id ID]\n\n"
           "Creates or replaces the service item(s) in FILE.json (\"-\": standard\n"
           "input): a ServiceItem object, e.g.\n"
           "  {\"code\": \"food-business\", \"name\": \"食品经营许可\",\n"
           "   \"departments\": [{\"department\": \"market\",\n"
           "                    \"qualification\": \"food-safety-inspection\",\n"
           "                    \"template_id\": \"market-food\"}],\n"
           "   \"limit_working_days\": 10}\n"
           "or an array of them. The departments and templates must exist. Role: admin.\n"
           "  --request-id ID   idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static int items_upsert(ins_cli *cli, int argc, char **argv)
{
    static const upsert_spec s = {"items upsert",
                                  DIR_METHOD("UpsertServiceItem"),
                                  &inspect__v1__upsert_service_item_request__descriptor,
                                  "item",
                                  &inspect__v1__upsert_service_item_response__descriptor,
                                  0,
                                  items_upsert_help};
    return run_upsert(cli, argc, argv, &s);
}

int ins_cmd_items(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"list", "list the service items", items_list},
        {"upsert", "create or replace service items from a JSON file (admin)", items_upsert},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl items COMMAND [options]\n\n"
                        "Service items (审批事项) and what their inspection needs\n"
                        "(inspect.v1.Directory).\n",
                        subs, sizeof subs / sizeof subs[0]);
}

/* ---- templates --------------------------------------------------------- */

/* "m2 0..500", "合格|不合格", "" for the item's kind. */
static void item_spec(const Inspect__V1__TemplateItem *it, char *buf, size_t len)
{
    buf[0] = '\0';
    if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER) {
        snprintf(buf, len, "%s %s..%s", it->unit, ins_cu_num(it->min), ins_cu_num(it->max));
    } else if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE) {
        size_t o = 0;
        for (size_t i = 0; i < it->n_choices && o + 1 < len; i++) {
            int n = snprintf(buf + o, len - o, "%s%s", i > 0 ? "|" : "", it->choices[i]);
            if (n < 0)
                break;
            o += (size_t)n < len - o ? (size_t)n : len - o - 1;
        }
    } else if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO) {
        snprintf(buf, len, ">= %" PRIu32 " photos", it->min_photos);
    } else if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL && it->fail_when_true) {
        snprintf(buf, len, "fails when yes");
    }
    if (it->min_photos > 0 && it->kind != INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO) {
        size_t o = strlen(buf);
        snprintf(buf + o, len - o, "%s+%" PRIu32 " photos", o ? " " : "", it->min_photos);
    }
}

static void verifies(const Inspect__V1__TemplateItem *it, char *buf, size_t len)
{
    buf[0] = '\0';
    if (it->verifies_fact[0] == '\0')
        return;
    const Inspect__V1__Tolerance *t = it->tolerance;
    if (t != NULL && t->bound_case == INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE)
        snprintf(buf, len, "%s ±%s", it->verifies_fact, ins_cu_num(t->absolute));
    else if (t != NULL && t->bound_case == INSPECT__V1__TOLERANCE__BOUND_RELATIVE)
        snprintf(buf, len, "%s ±%s%%", it->verifies_fact, ins_cu_num(t->relative * 100));
    else
        snprintf(buf, len, "%s", it->verifies_fact);
}

static void templates_get_help(void)
{
    printf("usage: inspectctl templates get ID [--version N]\n\n"
           "Shows a checklist template (踏勘标准) and its items: kind, required,\n"
           "severity, unit and range / choices / photos, the declared fact an item\n"
           "verifies and its tolerance. Roles: all.\n"
           "  --version N   that version (default: the latest)\n\n%s",
           ins_cli_global_help);
}

static int templates_get(ins_cli *cli, int argc, char **argv)
{
    const char *version = NULL;
    ins_cu_opt opts[] = {{"--version", &version, NULL}, {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, templates_get_help,
                         "templates get");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    uint64_t v = 0;
    if (version != NULL && ins_cu_parse_u64("--version", version, UINT32_MAX, &v) != 0)
        return INS_EXIT_USAGE;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__GetTemplateRequest req = INSPECT__V1__GET_TEMPLATE_REQUEST__INIT;
    req.id = (char *)pos[0];
    req.version = (uint32_t)v;
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "templates get", DIR_METHOD("GetTemplate"), &req.base,
                           &inspect__v1__template__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else {
        Inspect__V1__Template *tp = (Inspect__V1__Template *)resp;
        char when[40];
        printf("template:   %s (version %" PRIu32 ")\nname:       %s\ndepartment: %s\n"
               "published:  %s\n\n",
               tp->id, tp->version, tp->name, tp->department,
               ins_cu_fmt_time(tp->published_unix, when, sizeof when));
        static const char *const heads[] = {"CODE", "KIND",     "REQ", "SEVERITY",
                                            "SPEC", "VERIFIES", "TEXT"};
        ins_cu_table *t = ins_cu_table_new(7, heads);
        for (size_t i = 0; i < tp->n_items; i++) {
            const Inspect__V1__TemplateItem *it = tp->items[i];
            char spec[512], ver[160];
            item_spec(it, spec, sizeof spec);
            verifies(it, ver, sizeof ver);
            const char *row[] = {it->code,
                                 ins_cu_enum(&inspect__v1__item_kind__descriptor, it->kind),
                                 it->required ? "yes" : "no",
                                 ins_cu_enum(&inspect__v1__severity__descriptor, it->severity),
                                 spec,
                                 ver,
                                 it->text};
            ins_cu_table_row(t, row);
        }
        ins_cu_table_print(t);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static void templates_publish_help(void)
{
    printf("usage: inspectctl templates publish FILE.json [--request-id ID]\n\n"
           "Publishes the template(s) in FILE.json (\"-\": standard input) as new\n"
           "immutable versions: a Template object (version 0 or absent: the next\n"
           "version), e.g.\n"
           "  {\"id\": \"fire-venue\", \"department\": \"fire\", \"name\": \"...\",\n"
           "   \"items\": [{\"code\": \"fire_exits\", \"text\": \"安全出口数量\",\n"
           "              \"kind\": \"NUMBER\", \"unit\": \"个\", \"min\": 0, \"max\": 100,\n"
           "              \"severity\": \"CRITICAL\", \"verifies_fact\": \"fire_exits\",\n"
           "              \"tolerance\": {\"absolute\": 0}}]}\n"
           "or an array of them. Role: admin.\n"
           "  --request-id ID   idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static int templates_publish(ins_cli *cli, int argc, char **argv)
{
    static const upsert_spec s = {"templates publish",
                                  DIR_METHOD("PublishTemplate"),
                                  &inspect__v1__publish_template_request__descriptor,
                                  "template",
                                  &inspect__v1__publish_template_response__descriptor,
                                  0,
                                  templates_publish_help};
    return run_upsert(cli, argc, argv, &s);
}

int ins_cmd_templates(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"get", "show a template version (default: the latest)", templates_get},
        {"publish", "publish new template versions from a JSON file (admin)", templates_publish},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl templates COMMAND [options]\n\n"
                        "Checklist templates (踏勘标准), immutable once published\n"
                        "(inspect.v1.Directory).\n",
                        subs, sizeof subs / sizeof subs[0]);
}

/* ---- calendar ---------------------------------------------------------- */

static void calendar_get_help(void)
{
    printf("usage: inspectctl calendar get YEAR\n\n"
           "Shows a year's exceptions to the Monday-Friday week: public holidays on\n"
           "weekdays and weekend days worked (调休). Roles: all.\n\n%s",
           ins_cli_global_help);
}

static const char *weekday(const char *date)
{
    static const char *const names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strptime(date, "%Y-%m-%d", &tm) == NULL)
        return "";
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    struct tm out;
    gmtime_r(&t, &out);
    return names[out.tm_wday];
}

static int calendar_get(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc =
        ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, calendar_get_help, "calendar get");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    uint64_t year;
    if (ins_cu_parse_u64("YEAR", pos[0], 9999, &year) != 0)
        return INS_EXIT_USAGE;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__GetCalendarRequest req = INSPECT__V1__GET_CALENDAR_REQUEST__INIT;
    req.year = (int32_t)year;
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "calendar get", DIR_METHOD("GetCalendar"), &req.base,
                           &inspect__v1__calendar__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else {
        Inspect__V1__Calendar *cal = (Inspect__V1__Calendar *)resp;
        if (cal->n_days == 0) {
            printf("no calendar for %" PRIu64 ": Monday to Friday are working days\n", year);
        } else {
            static const char *const heads[] = {"DATE", "DAY", "KIND", "NAME"};
            ins_cu_table *t = ins_cu_table_new(4, heads);
            for (size_t i = 0; i < cal->n_days; i++) {
                const Inspect__V1__CalendarDay *d = cal->days[i];
                const char *row[] = {d->date, weekday(d->date),
                                     ins_cu_enum(&inspect__v1__day_kind__descriptor, d->kind),
                                     d->name};
                ins_cu_table_row(t, row);
            }
            ins_cu_table_print(t);
        }
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static void calendar_put_help(void)
{
    printf("usage: inspectctl calendar put FILE.json [--request-id ID]\n\n"
           "Replaces a year's calendar with the Calendar in FILE.json (\"-\": standard\n"
           "input), e.g.\n"
           "  {\"year\": 2026, \"days\": [\n"
           "    {\"date\": \"2026-01-01\", \"kind\": \"HOLIDAY\", \"name\": \"元旦\"},\n"
           "    {\"date\": \"2026-01-04\", \"kind\": \"MAKEUP_WORKDAY\", \"name\": "
           "\"元旦调休上班\"}]}\n"
           "or an array of calendars. Role: admin.\n"
           "  --request-id ID   idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static int calendar_put(ins_cli *cli, int argc, char **argv)
{
    static const upsert_spec s = {"calendar put",
                                  DIR_METHOD("PutCalendar"),
                                  &inspect__v1__put_calendar_request__descriptor,
                                  "calendar",
                                  &inspect__v1__put_calendar_response__descriptor,
                                  0,
                                  calendar_put_help};
    return run_upsert(cli, argc, argv, &s);
}

int ins_cmd_calendar(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"get", "show a year's holidays and make-up working days", calendar_get},
        {"put", "replace a year's calendar from a JSON file (admin)", calendar_put},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl calendar COMMAND [options]\n\n"
                        "The working-day calendar that deadlines count against\n"
                        "(inspect.v1.Directory).\n",
                        subs, sizeof subs / sizeof subs[0]);
}
