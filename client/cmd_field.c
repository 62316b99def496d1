/*
 * cmd_field.c - `inspectctl field` (see cmd_field.h): sync, respond,
 * checkin, submit, status and the group's dispatch.
 *
 * The resumable photo upload, with its progress display, stall watchdog and
 * retries, is in cmd_field_upload.c; what the two files share (the method
 * prefix, number parsing and the upload command) is in cmd_field_impl.h.
 */
#include "cmd_field.h"
#include "cmd_field_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "ins_sha256.h"
#include <openssl/pem.h>

#include "cliutil.h"
#include "inspect/v1/field.pb-c.h"
#include "ins_outbox.h"
#include "ins_pbjson.h"

int ins__field_parse_double(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
        ins_cli_usage_error("%s: '%s' is not a number in %g..%g", opt, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static const char *state_name(int state)
{
    return ins_cu_enum(&inspect__v1__task_state__descriptor, state);
}

/* ---- sync ---------------------------------------------------------------- */

static void sync_help(void)
{
    printf("usage: inspectctl field sync [--cursor C] [--page-size N]\n\n"
           "Everything the caller's tablet needs offline for his tasks changed since\n"
           "the cursor (all of them without one): each task with its site, the\n"
           "declared facts to verify and the exact template versions; tasks taken\n"
           "from him (reassigned, cancelled) as removals. Follows the pages to the\n"
           "end and prints the cursor to pass next time. Role: inspector.\n"
           "  --cursor C      from a previous sync\n"
           "  --page-size N   tasks per call (server default 20, at most 100)\n\n%s",
           ins_cli_global_help);
}

static int sync_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *cursor = NULL, *size = NULL;
    ins_cu_opt opts[] = {
        {"--cursor", &cursor, NULL},
        {"--page-size", &size, NULL},
        {NULL, NULL, NULL},
    };
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, sync_help, "field sync");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    uint64_t page = 0;
    if (size != NULL && ins_cu_parse_u64("--page-size", size, 100, &page) != 0)
        return INS_EXIT_USAGE;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    static const char *const heads[] = {"TASK", "STATE", "ITEM", "TOWN", "DEADLINE", "SITE"};
    ins_cu_table *t = cli->json ? NULL : ins_cu_table_new(6, heads);
    json_object *tasks = cli->json ? json_object_new_array() : NULL;
    json_object *removed = cli->json ? json_object_new_array() : NULL;
    char *next = strdup(cursor != NULL ? cursor : "");
    size_t n_tasks = 0, n_removed = 0;
    rc = next != NULL ? INS_EXIT_OK : INS_EXIT_FAIL;
    while (rc == INS_EXIT_OK) {
        Inspect__V1__SyncTasksRequest req = INSPECT__V1__SYNC_TASKS_REQUEST__INIT;
        req.cursor = next;
        req.page_size = (uint32_t)page;
        ProtobufCMessage *resp;
        if (ins_cu_call(c, "field sync", FLD_METHOD("SyncTasks"), &req.base,
                        &inspect__v1__sync_tasks_response__descriptor, &resp) != 0) {
            rc = INS_EXIT_FAIL;
            break;
        }
        Inspect__V1__SyncTasksResponse *r = (Inspect__V1__SyncTasksResponse *)resp;
        for (size_t i = 0; i < r->n_tasks; i++) {
            const Inspect__V1__TaskPackage *p = r->tasks[i];
            if (tasks != NULL) {
                json_object_array_add(tasks, ins_pbjson_print(&p->base));
            } else if (t != NULL && p->task != NULL) {
                const char *row[] = {p->task->id,
                                     state_name(p->task->state),
                                     p->task->service_item,
                                     p->task->town,
                                     p->task->deadline_date,
                                     p->site != NULL ? p->site->address : ""};
                ins_cu_table_row(t, row);
            }
        }
        for (size_t i = 0; i < r->n_removed_task_ids; i++)
            if (removed != NULL)
                json_object_array_add(removed, json_object_new_string(r->removed_task_ids[i]));
        if (removed == NULL)
            for (size_t i = 0; i < r->n_removed_task_ids; i++)
                n_removed++, printf("removed: %s\n", r->removed_task_ids[i]);
        else
            n_removed += r->n_removed_task_ids;
        n_tasks += r->n_tasks;
        free(next);
        next = strdup(r->cursor);
        int more = r->more;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (next == NULL)
            rc = INS_EXIT_FAIL;
        if (!more)
            break;
    }
    ins_client_close(c);
    if (rc == INS_EXIT_OK && cli->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "tasks", tasks);
        json_object_object_add(o, "removed_task_ids", removed);
        json_object_object_add(o, "cursor", json_object_new_string(next));
        tasks = removed = NULL;
        rc = ins_cu_print_json_object(o);
        json_object_put(o);
    } else if (rc == INS_EXIT_OK && t != NULL) {
        ins_cu_table_print(t);
        t = NULL;
        printf("(%zu task%s, %zu removed)\ncursor: %s\n", n_tasks, n_tasks == 1 ? "" : "s",
               n_removed, next);
    }
    ins_cu_table_free(t);
    json_object_put(tasks);
    json_object_put(removed);
    free(next);
    return rc;
}

/* ---- respond ------------------------------------------------------------- */

static void respond_help(void)
{
    printf("usage: inspectctl field respond TASK --accept | --decline REASON\n"
           "                               [--request-id ID]\n\n"
           "Accepts or declines a task the caller is a member of. A decline needs a\n"
           "reason; the best qualified colleague takes the place (or nobody, and the\n"
           "bureau is alerted). Role: inspector.\n"
           "  --request-id ID   idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static int respond_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *reason = NULL, *rid = NULL;
    int accept = 0;
    ins_cu_opt opts[] = {
        {"--accept", NULL, &accept},
        {"--decline", &reason, NULL},
        {"--request-id", &rid, NULL},
        {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, respond_help, "field respond");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (accept == (reason != NULL))
        return ins_cli_usage_error("field respond: give either --accept or --decline REASON");
    if (reason != NULL && reason[0] == '\0')
        return ins_cli_usage_error("field respond: --decline needs a reason");
    if (rid != NULL && rid[0] == '\0')
        return ins_cli_usage_error("field respond: --request-id must not be empty");
    char id[INS_CU_REQUEST_ID_LEN];
    ins_cu_random_request_id(id);
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__RespondTaskRequest req = INSPECT__V1__RESPOND_TASK_REQUEST__INIT;
    req.request_id = (char *)(rid != NULL ? rid : id);
    req.task_id = (char *)pos[0];
    req.accept = accept;
    req.reason = (char *)(reason != NULL ? reason : "");
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "field respond", FLD_METHOD("RespondTask"), &req.base,
                           &inspect__v1__respond_task_response__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    const Inspect__V1__RespondTaskResponse *r = (const Inspect__V1__RespondTaskResponse *)resp;
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else {
        printf("task %s: %s, state %s\n", pos[0], accept ? "accepted" : "declined",
               r->task != NULL ? state_name(r->task->state) : "-");
        if (!accept)
            printf("replacement: %s\n", r->replacement != NULL && r->replacement->inspector_id[0]
                                            ? r->replacement->inspector_id
                                            : "nobody qualifies; the bureau is alerted");
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* ---- checkin ------------------------------------------------------------- */

static void checkin_help(void)
{
    printf("usage: inspectctl field checkin TASK --lat X --lon Y [--reason R]\n"
           "                               [--request-id ID]\n\n"
           "Checks in on the site of a task: the server records its own time and the\n"
           "distance from the site. Farther than the server's check-in radius (default\n"
           "300 m) is refused with FAILED_PRECONDITION unless a reason is given, which\n"
           "then shows in the report. Role: inspector.\n"
           "  --lat X, --lon Y   position in degrees (WGS-84)\n"
           "  --reason R         why the check-in is far from the site\n"
           "  --request-id ID    idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static int checkin_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *lat = NULL, *lon = NULL, *reason = NULL, *rid = NULL;
    ins_cu_opt opts[] = {
        {"--lat", &lat, NULL},        {"--lon", &lon, NULL}, {"--reason", &reason, NULL},
        {"--request-id", &rid, NULL}, {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, checkin_help, "field checkin");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("field checkin", "--lat", lat) != INS_EXIT_OK ||
        ins_cu_require("field checkin", "--lon", lon) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    double la, lo;
    if (ins__field_parse_double("--lat", lat, -90, 90, &la) != 0 ||
        ins__field_parse_double("--lon", lon, -180, 180, &lo) != 0)
        return INS_EXIT_USAGE;
    if (rid != NULL && rid[0] == '\0')
        return ins_cli_usage_error("field checkin: --request-id must not be empty");
    char id[INS_CU_REQUEST_ID_LEN];
    ins_cu_random_request_id(id);
    Inspect__V1__CheckInRequest req = INSPECT__V1__CHECK_IN_REQUEST__INIT;
    req.request_id = (char *)(rid != NULL ? rid : id);
    req.task_id = (char *)pos[0];
    req.latitude = la;
    req.longitude = lo;
    req.device_unix = (int64_t)time(NULL);
    req.reason = (char *)(reason != NULL ? reason : "");
    if (cli->outbox != NULL)
        return ins__field_enqueue(cli, INS_OB_CHECKIN, &req.base, NULL);
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "field checkin", FLD_METHOD("CheckIn"), &req.base,
                           &inspect__v1__check_in_response__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    const Inspect__V1__CheckInResponse *r = (const Inspect__V1__CheckInResponse *)resp;
    if (cli->json) {
        rc = ins_cu_print_json(resp);
    } else if (r->checkin != NULL) {
        printf("checked in on task %s: %.0f m from the site%s%s; task %s\n", pos[0],
               r->checkin->distance_m, r->checkin->reason[0] ? ", reason: " : "",
               r->checkin->reason, r->task != NULL ? state_name(r->task->state) : "-");
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* ---- submit -------------------------------------------------------------- */

static void submit_help(void)
{
    printf("usage: inspectctl field submit FILE.json [--sign-key KEY.pem]\n"
           "                              [--request-id ID]\n\n"
           "Submits one department's findings for a task. FILE.json (\"-\": standard\n"
           "input) holds a FindingsBody, e.g. (seeds/examples/findings-market.json,\n"
           "shortened)\n"
           "  {\"task_id\": \"T-000001\", \"department\": \"market\",\n"
           "   \"inspector_id\": \"market-007\", \"template_version\": 1,\n"
           "   \"answers\": [{\"item_code\": \"seats\", \"number\": 40},\n"
           "               {\"item_code\": \"kitchen_photo\", \"photo_ids\": [\"7e475ca2...\"]}],\n"
           "   \"notes\": \"后厨布局合理，设施齐全\"}\n"
           "or a whole SubmitFindingsRequest ({\"request_id\", \"findings\", \"signature\"}).\n"
           "Every required item of the pinned template needs an answer; photo ids are\n"
           "the SHA-256 of the files 'field upload' sends (it prints them).\n"
           "Photos may be uploaded before or after. Role: inspector (a team member of\n"
           "that department).\n"
           "  --sign-key KEY.pem   sign SHA-256 of the FindingsBody with this Ed25519\n"
           "                       private key (needed when the inspector has a\n"
           "                       registered public key)\n"
           "  --request-id ID      idempotency key (default: derived from the findings,\n"
           "                       so sending the same file again returns the first\n"
           "                       answer and stores nothing new)\n\n%s",
           ins_cli_global_help);
}

/* Signs SHA-256 of the packed body with the Ed25519 key in `pem`. */
static int sign_body(const Inspect__V1__FindingsBody *b, const char *pem, uint8_t sig[64])
{
    FILE *f = fopen(pem, "r");
    if (f == NULL) {
        fprintf(stderr, "inspectctl: %s: %s\n", pem, strerror(errno));
        return -1;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (key == NULL || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
        fprintf(stderr, "inspectctl: %s: not an Ed25519 private key (PEM)\n", pem);
        EVP_PKEY_free(key);
        return -1;
    }
    size_t len = protobuf_c_message_get_packed_size(&b->base);
    uint8_t *buf = malloc(len ? len : 1);
    uint8_t digest[32];
    unsigned dlen = 0;
    size_t siglen = 64;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = buf != NULL && ctx != NULL;
    if (ok) {
        protobuf_c_message_pack(&b->base, buf);
        ok = EVP_Digest(buf, len, digest, &dlen, ins_sha256_md(), NULL) == 1 &&
             EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestSign(ctx, sig, &siglen, digest, sizeof digest) == 1 && siglen == 64;
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    free(buf);
    if (!ok)
        fprintf(stderr, "inspectctl: %s: signing failed\n", pem);
    return ok ? 0 : -1;
}

static int submit_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *key = NULL, *rid = NULL;
    ins_cu_opt opts[] = {
        {"--sign-key", &key, NULL},
        {"--request-id", &rid, NULL},
        {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, submit_help, "field submit");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (rid != NULL && rid[0] == '\0')
        return ins_cli_usage_error("field submit: --request-id must not be empty");
    json_object *in = ins_cu_read_json(pos[0]);
    if (in == NULL)
        return INS_EXIT_FAIL;
    Inspect__V1__SubmitFindingsRequest *req = NULL;
    if (json_object_is_type(in, json_type_object) &&
        json_object_object_get_ex(in, "findings", NULL))
        req = (Inspect__V1__SubmitFindingsRequest *)ins_cu_parse(
            &inspect__v1__submit_findings_request__descriptor, in, pos[0]);
    else {
        Inspect__V1__FindingsBody *b = (Inspect__V1__FindingsBody *)ins_cu_parse(
            &inspect__v1__findings_body__descriptor, in, pos[0]);
        if (b != NULL && (req = malloc(sizeof *req)) != NULL) {
            inspect__v1__submit_findings_request__init(req);
            req->findings = b;
        } else if (b != NULL) {
            protobuf_c_message_free_unpacked(&b->base, NULL);
        }
    }
    json_object_put(in);
    if (req == NULL)
        return INS_EXIT_FAIL;
    rc = INS_EXIT_OK;
    if (req->findings == NULL) {
        fprintf(stderr, "inspectctl: %s: no findings\n", pos[0]);
        rc = INS_EXIT_FAIL;
    }
    uint8_t sig[64];
    if (rc == INS_EXIT_OK && key != NULL) {
        if (sign_body(req->findings, key, sig) != 0) {
            rc = INS_EXIT_FAIL;
        } else {
            free(req->signature.data);
            req->signature.data = malloc(64);
            if (req->signature.data == NULL)
                rc = INS_EXIT_FAIL;
            else
                memcpy(req->signature.data, sig, 64), req->signature.len = 64;
        }
    }
    char id[INS_CU_REQUEST_ID_LEN];
    if (rc == INS_EXIT_OK && (rid != NULL || !req->request_id || !req->request_id[0])) {
        if (rid == NULL) { /* derived from what is sent: a resend is a retry */
            size_t len = protobuf_c_message_get_packed_size(&req->findings->base);
            uint8_t *buf = malloc(len + req->signature.len + 1);
            if (buf != NULL) {
                protobuf_c_message_pack(&req->findings->base, buf);
                if (req->signature.len)
                    memcpy(buf + len, req->signature.data, req->signature.len);
                ins_cu_derived_request_id("field submit", buf, len + req->signature.len, id);
                free(buf);
            } else {
                ins_cu_random_request_id(id);
            }
        }
        if (ins_cu_set_string(&req->base, "request_id", rid != NULL ? rid : id) != 0)
            rc = INS_EXIT_FAIL;
    }
    if (rc == INS_EXIT_OK && cli->outbox != NULL) {
        rc = ins__field_enqueue(cli, INS_OB_FINDINGS, &req->base, NULL);
        protobuf_c_message_free_unpacked(&req->base, NULL);
        return rc;
    }
    ins_client *c = NULL;
    if (rc == INS_EXIT_OK && ins_cli_connect(cli, &c) != INS_EXIT_OK)
        rc = INS_EXIT_FAIL;
    ProtobufCMessage *resp = NULL;
    if (rc == INS_EXIT_OK &&
        ins_cu_call(c, "field submit", FLD_METHOD("SubmitFindings"), &req->base,
                    &inspect__v1__submit_findings_response__descriptor, &resp) != 0)
        rc = INS_EXIT_FAIL;
    ins_client_close(c);
    if (rc == INS_EXIT_OK && cli->json) {
        rc = ins_cu_print_json(resp);
    } else if (rc == INS_EXIT_OK) {
        const Inspect__V1__SubmitFindingsResponse *r =
            (const Inspect__V1__SubmitFindingsResponse *)resp;
        const Inspect__V1__Findings *f = r->findings;
        if (f != NULL && f->body != NULL)
            printf("findings of %s for task %s: version %" PRId64 "%s; task %s\n",
                   f->body->department, f->body->task_id, f->version,
                   f->signature.len ? ", signed" : "",
                   r->task != NULL ? state_name(r->task->state) : "-");
        if (f != NULL && f->n_missing_photos) {
            printf("waiting for %zu photo%s:\n", f->n_missing_photos,
                   f->n_missing_photos == 1 ? "" : "s");
            for (size_t i = 0; i < f->n_missing_photos; i++)
                printf("  %s\n", f->missing_photos[i]);
        }
    }
    if (resp != NULL)
        protobuf_c_message_free_unpacked(resp, NULL);
    protobuf_c_message_free_unpacked(&req->base, NULL);
    return rc;
}

/* ---- status -------------------------------------------------------------- */

static void status_help(void)
{
    printf("usage: inspectctl field status UPLOAD_ID\n\n"
           "Where an upload stands: the committed offset to resume from, or the photo\n"
           "id once complete. NOT_FOUND when nothing is staged under the id. Role:\n"
           "inspector.\n\n%s",
           ins_cli_global_help);
}

static int status_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, status_help, "field status");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__GetUploadStatusRequest req = INSPECT__V1__GET_UPLOAD_STATUS_REQUEST__INIT;
    req.upload_id = (char *)pos[0];
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, "field status", FLD_METHOD("GetUploadStatus"), &req.base,
                           &inspect__v1__get_upload_status_response__descriptor, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    const Inspect__V1__GetUploadStatusResponse *r =
        (const Inspect__V1__GetUploadStatusResponse *)resp;
    if (cli->json)
        rc = ins_cu_print_json(resp);
    else if (r->state == INSPECT__V1__UPLOAD_STATE__UPLOAD_STATE_COMPLETE)
        printf("upload %s: complete, photo %s\n", pos[0], r->photo_id);
    else
        printf("upload %s: staging, %" PRIu64 " of %" PRIu64 " bytes committed\n", pos[0],
               r->committed_offset, r->total_size);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* ---- the group ----------------------------------------------------------- */

int ins_cmd_field(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"sync", "the caller's tasks with all they need offline, since a cursor", sync_cmd},
        {"respond", "accept or decline a task", respond_cmd},
        {"checkin", "check in on a task's site", checkin_cmd},
        {"submit", "submit a department's findings from a JSON file", submit_cmd},
        {"upload", "upload a photo in chunks; resumes by itself after a dropped link",
         ins__field_upload_cmd},
        {"status", "where an upload stands (committed offset or photo id)", status_cmd},
        {"outbox", "the tablet's outbox: queue offline, drain when the link is up",
         ins__field_outbox_cmd},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl field COMMAND [options]\n\n"
                        "What an inspector's tablet does (inspect.v1.Field), for support staff\n"
                        "and scripts. The token must be an inspector's whose principal is his\n"
                        "inspector id.\n",
                        subs, sizeof subs / sizeof subs[0]);
}
