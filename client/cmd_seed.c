/*
 * cmd_seed.c - `inspectctl seed check|load DIR` (see cmd_seed.h): reading
 * the seed files, `load`, and the group's dispatch. The offline
 * cross-checks of `check` are in cmd_seed_check.c; what the two files share
 * (the kinds of record, the parsed set) is in cmd_seed_impl.h.
 *
 * Both subcommands start the same way: every seed file is read with json-c
 * and every element parsed with pbjson into its inspect.v1 message, so a
 * typo in a seed file is reported with its file, index and field path
 * before anything is sent. `check` then cross-checks the set; `load` sends
 * it through the public API in dependency order.
 *
 * Idempotency: each request's id is derived from the request itself (its
 * wire bytes with an empty request_id), so loading the same files twice
 * sends the same ids and the server replays its first answers. Creating an
 * application that exists answers ALREADY_EXISTS: counted as "already
 * there". Stage moves have ids derived from (application, target stage).
 */
#include "cmd_seed.h"
#include "cmd_seed_impl.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cliutil.h"
#include "cmd_token.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "ins_pbjson.h"

#include "ins_token.h"
#include "ins_error.h"
#include "ins_principal.h"

#define GRPC_NOT_FOUND      5
#define GRPC_ALREADY_EXISTS 6

const kind_def ins__seed_kinds[K_COUNT] = {
    [K_DEPARTMENTS] = {"departments.json", 0, "departments", &inspect__v1__department__descriptor,
                       "/inspect.v1.Directory/UpsertDepartment",
                       &inspect__v1__upsert_department_request__descriptor, "department",
                       &inspect__v1__upsert_department_response__descriptor},
    [K_TEMPLATES] = {"templates.json", 0, "templates", &inspect__v1__template__descriptor,
                     "/inspect.v1.Directory/PublishTemplate",
                     &inspect__v1__publish_template_request__descriptor, "template",
                     &inspect__v1__publish_template_response__descriptor},
    [K_ITEMS] = {"service_items.json", 0, "service items", &inspect__v1__service_item__descriptor,
                 "/inspect.v1.Directory/UpsertServiceItem",
                 &inspect__v1__upsert_service_item_request__descriptor, "item",
                 &inspect__v1__upsert_service_item_response__descriptor},
    [K_CALENDARS] = {"calendar-", 1, "calendars", &inspect__v1__calendar__descriptor,
                     "/inspect.v1.Directory/PutCalendar",
                     &inspect__v1__put_calendar_request__descriptor, "calendar",
                     &inspect__v1__put_calendar_response__descriptor},
    [K_INSPECTORS] = {"inspectors.json", 0, "inspectors", &inspect__v1__inspector__descriptor,
                      "/inspect.v1.Directory/UpsertInspector",
                      &inspect__v1__upsert_inspector_request__descriptor, "inspector",
                      &inspect__v1__upsert_inspector_response__descriptor},
    [K_APPLICATIONS] = {"applications.json", 0, "applications",
                        &inspect__v1__application__descriptor,
                        "/inspect.v1.Licensing/UpsertApplication",
                        &inspect__v1__upsert_application_request__descriptor, "application",
                        &inspect__v1__upsert_application_response__descriptor},
};

void ins__seed_free(seed_set *s)
{
    for (int k = 0; k < K_COUNT; k++) {
        for (size_t i = 0; i < s->n[k]; i++) {
            json_object_put(s->recs[k][i].json);
            if (s->recs[k][i].m != NULL)
                protobuf_c_message_free_unpacked(s->recs[k][i].m, NULL);
        }
        free(s->recs[k]);
    }
    memset(s, 0, sizeof *s);
}

/* Reads one file of kind `k`, appending its records. Returns the number of
 * errors printed. */
static int read_file(seed_set *s, int k, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_object *arr = ins_cu_read_json(path);
    if (arr == NULL)
        return 1;
    s->files[k]++;
    if (!json_object_is_type(arr, json_type_array)) {
        fprintf(stderr, "inspectctl: %s: expected an array of %s objects\n", path,
                ins__seed_kinds[k].entity->name);
        json_object_put(arr);
        return 1;
    }
    size_t n = json_object_array_length(arr);
    record *r = realloc(s->recs[k], (s->n[k] + n) * sizeof *r);
    if (r == NULL && n > 0) {
        json_object_put(arr);
        fprintf(stderr, "inspectctl: out of memory\n");
        return 1;
    }
    s->recs[k] = r;
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        record *rec = &s->recs[k][s->n[k]++];
        snprintf(rec->where, sizeof rec->where, "%s[%zu]", name, i);
        rec->json = json_object_get(json_object_array_get_idx(arr, i));
        rec->m = ins_cu_parse(ins__seed_kinds[k].entity, rec->json, rec->where);
        if (rec->m == NULL)
            errors++;
    }
    json_object_put(arr);
    return errors;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every seed file of DIR. Returns the number of errors printed. */
int ins__seed_read(seed_set *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    int errors = 0;
    for (int k = 0; k < K_COUNT; k++) {
        if (!ins__seed_kinds[k].many_files) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, ins__seed_kinds[k].file);
            FILE *f = fopen(path, "r");
            if (f == NULL)
                continue; /* a kind may be absent */
            fclose(f);
            errors += read_file(s, k, dir, ins__seed_kinds[k].file);
            continue;
        }
        DIR *d = opendir(dir);
        if (d == NULL) {
            fprintf(stderr, "inspectctl: %s: cannot open the folder\n", dir);
            return errors + 1;
        }
        char *names[64];
        size_t nn = 0;
        struct dirent *e;
        size_t plen = strlen(ins__seed_kinds[k].file);
        while ((e = readdir(d)) != NULL && nn < 64) {
            size_t l = strlen(e->d_name);
            if (strncmp(e->d_name, ins__seed_kinds[k].file, plen) == 0 && l > 5 &&
                strcmp(e->d_name + l - 5, ".json") == 0)
                names[nn++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, nn, sizeof names[0], name_cmp);
        for (size_t i = 0; i < nn; i++) {
            if (names[i] != NULL)
                errors += read_file(s, k, dir, names[i]);
            free(names[i]);
        }
    }
    if (s->files[K_DEPARTMENTS] == 0 && errors == 0) {
        fprintf(stderr, "inspectctl: %s: no seed files (departments.json, ...) found\n", dir);
        errors++;
    }
    return errors;
}

/* ---- load -------------------------------------------------------------- */

typedef struct loader {
    ins_client *c;
    const char *admin_token;
    const char *dispatcher_token;
    const char *current; /* token set on the client */
    size_t loaded[K_COUNT], already[K_COUNT];
    size_t moves, moves_already;
} loader;

static int use_token(loader *l, const char *token)
{
    if (l->current == token)
        return 0;
    if (ins_client_set_token(l->c, token) != 0) {
        fputs("inspectctl: seed load: out of memory\n", stderr);
        return -1;
    }
    l->current = token;
    return 0;
}

/* Sets the request id of `req` from its content. -1 when out of memory. */
static int derive_request_id(ProtobufCMessage *req, const char *tag)
{
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(n + 1);
    if (buf == NULL)
        return -1;
    protobuf_c_message_pack(req, buf);
    char id[INS_CU_REQUEST_ID_LEN + 8];
    memcpy(id, "seed-", 5);
    ins_cu_derived_request_id(tag, buf, n, id + 5);
    free(buf);
    return ins_cu_set_string(req, "request_id", id);
}

/* One call; returns the status code, details in *details (caller frees). */
static int call(loader *l, const char *method, ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                char **details)
{
    return ins_client_unary(l->c, method, req, resp_desc, INS_TIMEOUT_DEFAULT, resp, details);
}

static int fail_at(const char *where, const char *method, int code, const char *details)
{
    char what[512];
    const char *m = strrchr(method, '/');
    snprintf(what, sizeof what, "seed load: %s: %s", where, m != NULL ? m + 1 : method);
    return ins_cli_fail(what, code, details);
}

/* 1 when a and b have the same wire bytes. */
static int same_bytes(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t na = protobuf_c_message_get_packed_size(a);
    size_t nb = protobuf_c_message_get_packed_size(b);
    if (na != nb)
        return 0;
    uint8_t *ba = malloc(na + 1), *bb = malloc(nb + 1);
    int same = 0;
    if (ba != NULL && bb != NULL) {
        protobuf_c_message_pack(a, ba);
        protobuf_c_message_pack(b, bb);
        same = memcmp(ba, bb, na) == 0;
    }
    free(ba);
    free(bb);
    return same;
}

/*
 * Templates are immutable versions: publishing the same content again
 * would make a new, identical version once the server has forgotten the
 * request id. So a template whose latest version has the seed's content
 * (name, department, items) is "already there". Returns 1 (already there),
 * 0 (publish it), or -1 after printing a failed GetTemplate.
 */
static int template_current(loader *l, const record *rec)
{
    const Inspect__V1__Template *want = (const Inspect__V1__Template *)rec->m;
    Inspect__V1__GetTemplateRequest g = INSPECT__V1__GET_TEMPLATE_REQUEST__INIT;
    g.id = want->id;
    ProtobufCMessage *resp = NULL;
    char *details = NULL;
    int code = call(l, "/inspect.v1.Directory/GetTemplate", &g.base,
                    &inspect__v1__template__descriptor, &resp, &details);
    if (code == GRPC_NOT_FOUND) {
        free(details);
        return 0;
    }
    if (code != 0) {
        fail_at(rec->where, "GetTemplate", code, details);
        free(details);
        return -1;
    }
    free(details);
    Inspect__V1__Template a = *want, b = *(Inspect__V1__Template *)resp;
    a.version = b.version = 0;
    a.published_unix = b.published_unix = 0;
    int same = same_bytes(&a.base, &b.base);
    protobuf_c_message_free_unpacked(resp, NULL);
    return same;
}

/* Sends every record of kind `k` with its upsert method. */
static int load_kind(loader *l, const seed_set *s, int k)
{
    const kind_def *kd = &ins__seed_kinds[k];
    for (size_t i = 0; i < s->n[k]; i++) {
        const record *rec = &s->recs[k][i];
        json_object *elem = rec->json;
        if (k == K_TEMPLATES && ((const Inspect__V1__Template *)rec->m)->version == 0) {
            int cur = template_current(l, rec);
            if (cur < 0)
                return INS_EXIT_FAIL;
            if (cur > 0) {
                l->already[k]++;
                continue;
            }
        }
        json_object *copy = NULL;
        if (k == K_APPLICATIONS) {
            /* server-set fields stay out of the create request */
            if (json_object_deep_copy(elem, &copy, NULL) != 0) {
                fputs("inspectctl: seed load: out of memory\n", stderr);
                return INS_EXIT_FAIL;
            }
            static const char *const server_set[] = {"stage",        "outcome",      "version",
                                                     "created_unix", "updated_unix", "createdUnix",
                                                     "updatedUnix"};
            for (size_t f = 0; f < sizeof server_set / sizeof server_set[0]; f++)
                json_object_object_del(copy, server_set[f]);
            elem = copy;
        }
        ProtobufCMessage *req =
            ins_cu_build_request(kd->req, kd->field, elem, NULL, NULL, rec->where);
        json_object_put(copy);
        if (req == NULL)
            return INS_EXIT_FAIL;
        if (derive_request_id(req, kd->method) != 0) {
            protobuf_c_message_free_unpacked(req, NULL);
            fputs("inspectctl: seed load: out of memory\n", stderr);
            return INS_EXIT_FAIL;
        }
        ProtobufCMessage *resp = NULL;
        char *details = NULL;
        int code = call(l, kd->method, req, kd->resp, &resp, &details);
        protobuf_c_message_free_unpacked(req, NULL);
        if (code == 0)
            l->loaded[k]++;
        else if (code == GRPC_ALREADY_EXISTS)
            l->already[k]++;
        else {
            fail_at(rec->where, kd->method, code, details);
            free(details);
            return INS_EXIT_FAIL;
        }
        free(details);
        if (resp != NULL)
            protobuf_c_message_free_unpacked(resp, NULL);
    }
    return INS_EXIT_OK;
}

/* Moves every application from its current stage to its seeded one. */
static int load_stages(loader *l, const seed_set *s)
{
    for (size_t i = 0; i < s->n[K_APPLICATIONS]; i++) {
        const record *rec = &s->recs[K_APPLICATIONS][i];
        const Inspect__V1__Application *want = (const Inspect__V1__Application *)rec->m;
        if (want->stage <= INSPECT__V1__STAGE__STAGE_INTAKE)
            continue;
        Inspect__V1__GetApplicationRequest g = INSPECT__V1__GET_APPLICATION_REQUEST__INIT;
        g.id = want->id;
        ProtobufCMessage *resp = NULL;
        char *details = NULL;
        int code = call(l, "/inspect.v1.Licensing/GetApplication", &g.base,
                        &inspect__v1__application__descriptor, &resp, &details);
        if (code != 0) {
            fail_at(rec->where, "GetApplication", code, details);
            free(details);
            return INS_EXIT_FAIL;
        }
        free(details);
        int cur = ((Inspect__V1__Application *)resp)->stage;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (cur >= (int)want->stage) {
            l->moves_already += (size_t)(want->stage - INSPECT__V1__STAGE__STAGE_INTAKE);
            continue;
        }
        l->moves_already += (size_t)(cur - INSPECT__V1__STAGE__STAGE_INTAKE);
        for (int st = cur + 1; st <= (int)want->stage; st++) {
            Inspect__V1__SetStageRequest r = INSPECT__V1__SET_STAGE_REQUEST__INIT;
            r.id = want->id;
            r.stage = (Inspect__V1__Stage)st;
            r.reason = "示范数据导入 (seed load)";
            /* the id depends on (application, target stage) only */
            char id[INS_CU_REQUEST_ID_LEN + 8];
            char key[256];
            int n = snprintf(key, sizeof key, "%s\n%d", want->id, st);
            memcpy(id, "seed-", 5);
            ins_cu_derived_request_id("SetStage", key, n > 0 ? (size_t)n : 0, id + 5);
            r.request_id = id;
            resp = NULL;
            details = NULL;
            code = call(l, "/inspect.v1.Licensing/SetStage", &r.base,
                        &inspect__v1__set_stage_response__descriptor, &resp, &details);
            if (code != 0) {
                char where[400];
                snprintf(where, sizeof where, "%s (%s to %s)", rec->where, want->id,
                         ins_cu_enum(&inspect__v1__stage__descriptor, st));
                fail_at(where, "SetStage", code, details);
                free(details);
                return INS_EXIT_FAIL;
            }
            free(details);
            protobuf_c_message_free_unpacked(resp, NULL);
            l->moves++;
        }
    }
    return INS_EXIT_OK;
}

static void load_help(void)
{
    printf("usage: inspectctl seed load DIR [--data-dir D]\n"
           "                      [--admin-token T] [--dispatcher-token T]\n\n"
           "Loads the seed files of DIR into the server through its public API, in\n"
           "dependency order: departments, templates, service items, calendars,\n"
           "inspectors, applications, then SetStage moves up to each application's\n"
           "seeded stage. Request ids are derived from the content: loading twice\n"
           "changes nothing: the server replays its first answers (counted as sent),\n"
           "ALREADY_EXISTS and templates whose latest version has the same content\n"
           "count as already there.\n"
           "Stops at the first other error (exit 1).\n\n"
           "Credentials: the Directory needs an admin, SetStage a dispatcher.\n"
           "  --data-dir D           mint both tokens (1 h) from D/token.key, the\n"
           "                         server's data folder (run on the server host),\n"
           "                         valid in the district of --district when given\n"
           "  --admin-token T        admin token (default: --token / $INSPECT_TOKEN)\n"
           "  --dispatcher-token T   dispatcher token (default: --token)\n\n%s",
           ins_cli_global_help);
}

static int mint(const ins_cli *cli, const char *data_dir, ins_role role, const char *name,
                char *out, size_t len)
{
    ins_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    if (cli->district != NULL && ins_district_code_ok(cli->district))
        snprintf(p.districts, sizeof p.districts, "%s", cli->district);
    p.role = role;
    p.expires_unix = (int64_t)time(NULL) + 3600;
    int rc = ins_token_issue(data_dir, &p, out, len);
    if (rc != 0) {
        ins_token_issue_failed("seed load", data_dir, rc);
        return -1;
    }
    return 0;
}

static int seed_load(ins_cli *cli, int argc, char **argv)
{
    const char *data_dir = NULL, *admin = NULL, *dispatcher = NULL;
    ins_cu_opt opts[] = {
        {"--data-dir", &data_dir, NULL},
        {"--admin-token", &admin, NULL},
        {"--dispatcher-token", &dispatcher, NULL},
        {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, load_help, "seed load");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    static char admin_buf[INS_TOKEN_MAX], disp_buf[INS_TOKEN_MAX];
    if (data_dir != NULL) {
        if (admin == NULL) {
            if (mint(cli, data_dir, INS_ROLE_ADMIN, "seed-admin", admin_buf, sizeof admin_buf) != 0)
                return INS_EXIT_FAIL;
            admin = admin_buf;
        }
        if (dispatcher == NULL) {
            if (mint(cli, data_dir, INS_ROLE_DISPATCHER, "seed-dispatcher", disp_buf,
                     sizeof disp_buf) != 0)
                return INS_EXIT_FAIL;
            dispatcher = disp_buf;
        }
    }
    if (admin == NULL)
        admin = cli->token;
    if (dispatcher == NULL)
        dispatcher = cli->token;
    if (admin == NULL || dispatcher == NULL)
        return ins_cli_usage_error("seed load: needs --data-dir, or --admin-token and "
                                   "--dispatcher-token (or --token)");

    seed_set s;
    if (ins__seed_read(&s, pos[0]) != 0) {
        ins__seed_free(&s);
        return INS_EXIT_FAIL;
    }
    loader l;
    memset(&l, 0, sizeof l);
    l.admin_token = admin;
    l.dispatcher_token = dispatcher;
    if (ins_cli_connect(cli, &l.c) != INS_EXIT_OK) {
        ins__seed_free(&s);
        return INS_EXIT_FAIL;
    }
    l.current = cli->token;
    rc = INS_EXIT_OK;
    for (int k = 0; k < K_COUNT && rc == INS_EXIT_OK; k++) {
        const char *tok = k == K_APPLICATIONS ? l.dispatcher_token : l.admin_token;
        if (use_token(&l, tok) != 0)
            rc = INS_EXIT_FAIL;
        else
            rc = load_kind(&l, &s, k);
    }
    if (rc == INS_EXIT_OK)
        rc = load_stages(&l, &s);
    ins_client_close(l.c);

    if (cli->json) {
        json_object *o = json_object_new_object();
        for (int k = 0; k < K_COUNT; k++) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "sent", json_object_new_int64((int64_t)l.loaded[k]));
            json_object_object_add(e, "already", json_object_new_int64((int64_t)l.already[k]));
            char key[32];
            snprintf(key, sizeof key, "%s", ins__seed_kinds[k].label);
            for (char *p = key; *p != '\0'; p++)
                if (*p == ' ')
                    *p = '_';
            json_object_object_add(o, key, e);
        }
        json_object *m = json_object_new_object();
        json_object_object_add(m, "sent", json_object_new_int64((int64_t)l.moves));
        json_object_object_add(m, "already", json_object_new_int64((int64_t)l.moves_already));
        json_object_object_add(o, "stage_moves", m);
        json_object_object_add(o, "ok", json_object_new_boolean(rc == INS_EXIT_OK));
        ins_cu_print_json_object(o);
        json_object_put(o);
    } else {
        static const char *const heads[] = {"KIND", "SENT", "ALREADY THERE"};
        ins_cu_table *t = ins_cu_table_new(3, heads);
        for (int k = 0; k < K_COUNT; k++) {
            char a[24], b[24];
            snprintf(a, sizeof a, "%zu", l.loaded[k]);
            snprintf(b, sizeof b, "%zu", l.already[k]);
            const char *row[] = {ins__seed_kinds[k].label, a, b};
            ins_cu_table_row(t, row);
        }
        char a[24], b[24];
        snprintf(a, sizeof a, "%zu", l.moves);
        snprintf(b, sizeof b, "%zu", l.moves_already);
        const char *row[] = {"stage moves", a, b};
        ins_cu_table_row(t, row);
        ins_cu_table_print(t);
        puts(rc == INS_EXIT_OK ? "seed load: done" : "seed load: stopped at the error above");
    }
    ins__seed_free(&s);
    return rc;
}

int ins_cmd_seed(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"check", "parse and cross-check seed files (offline)", ins__seed_check},
        {"load", "load seed files through the API, idempotently", seed_load},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl seed COMMAND DIR [options]\n\n"
                        "The demo district's seed files (seeds/ in the source tree).\n",
                        subs, sizeof subs / sizeof subs[0]);
}
