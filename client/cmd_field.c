/*
 * cmd_field.c - `inspectctl field` (see cmd_field.h).
 *
 * `upload` is the part with moving pieces. Every attempt starts by asking
 * GetUploadStatus where the server stands (nothing yet, committed up to N,
 * or complete), then streams the header and the chunks from there. A lost
 * connection (UNAVAILABLE), a deadline, a cancelled call or a chunk the
 * server no longer expects (FAILED_PRECONDITION naming the offset) ends the
 * attempt; the next one waits (backoff doubling from 250 ms to 8 s, with
 * jitter) and asks again. --retries bounds the attempts in a row that make
 * no progress. A watchdog thread cancels a call that has moved no byte for
 * --stall (a link that went silent without a reset), which the loop then
 * treats like any other dropped connection.
 */
#include "cmd_field.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <grpc/status.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cliutil.h"
#include "inspect/v1/field.pb-c.h"
#include "pbjson.h"

#define FLD_METHOD(m) "/inspect.v1.Field/" m

#define CHUNK_DEFAULT (64u * 1024)
#define CHUNK_MAX     (1u << 20) /* the server's limit per chunk */
#define RETRIES       8
#define STALL_MS      30000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int parse_double(const char *opt, const char *text, double lo, double hi, double *out)
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

static void hexify(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
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
    if (lat == NULL || lon == NULL)
        return ins_cli_usage_error("field checkin: --lat and --lon are required");
    double la, lo;
    if (parse_double("--lat", lat, -90, 90, &la) != 0 ||
        parse_double("--lon", lon, -180, 180, &lo) != 0)
        return INS_EXIT_USAGE;
    if (rid != NULL && rid[0] == '\0')
        return ins_cli_usage_error("field checkin: --request-id must not be empty");
    char id[INS_CU_REQUEST_ID_LEN];
    ins_cu_random_request_id(id);
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__CheckInRequest req = INSPECT__V1__CHECK_IN_REQUEST__INIT;
    req.request_id = (char *)(rid != NULL ? rid : id);
    req.task_id = (char *)pos[0];
    req.latitude = la;
    req.longitude = lo;
    req.device_unix = (int64_t)time(NULL);
    req.reason = (char *)(reason != NULL ? reason : "");
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
    printf(
        "usage: inspectctl field submit FILE.json [--sign-key KEY.pem]\n"
        "                              [--request-id ID]\n\n"
        "Submits one department's findings for a task. FILE.json (\"-\": standard\n"
        "input) holds a FindingsBody, e.g.\n"
        "  {\"task_id\": \"T-000012\", \"department\": \"market\",\n"
        "   \"inspector_id\": \"market-005\", \"template_version\": 1,\n"
        "   \"answers\": [{\"item_code\": \"seats\", \"number\": 40},\n"
        "               {\"item_code\": \"kitchen_photo\", \"photo_ids\": [\"<sha256 hex>\"]}],\n"
        "   \"notes\": \"...\"}\n"
        "or a whole SubmitFindingsRequest ({\"request_id\", \"findings\", \"signature\"}).\n"
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
        ok = EVP_Digest(buf, len, digest, &dlen, EVP_sha256(), NULL) == 1 &&
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

/* ---- upload: progress ---------------------------------------------------- */

typedef struct progress {
    int tty;   /* stderr is a terminal: one bar redrawn in place */
    int drawn; /* a bar is on the current line */
    uint64_t total;
    uint64_t shown; /* bytes at the last plain line */
    double last;    /* time of the last output */
    double t0;      /* start of this attempt, for the rate */
    uint64_t b0;    /* bytes at t0 */
} progress;

static const char *human(double bytes, char *buf, size_t len)
{
    if (bytes >= 1 << 20)
        snprintf(buf, len, "%.1f MiB", bytes / (1 << 20));
    else if (bytes >= 1 << 10)
        snprintf(buf, len, "%.1f KiB", bytes / (1 << 10));
    else
        snprintf(buf, len, "%.0f B", bytes);
    return buf;
}

static void progress_show(progress *p, uint64_t done, int final)
{
    double t = now_s();
    int pct = p->total ? (int)(done * 100 / p->total) : 100;
    if (p->tty) {
        if (!final && t - p->last < 0.1)
            return;
        enum { WIDTH = 30 };
        char bar[WIDTH + 1], a[32], b[32], r[32];
        int fill = p->total ? (int)(done * WIDTH / p->total) : WIDTH;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(WIDTH - fill));
        bar[WIDTH] = '\0';
        double rate = t > p->t0 ? (double)(done - p->b0) / (t - p->t0) : 0;
        fprintf(stderr, "\r[%s] %3d%%  %s / %s  %s/s   ", bar, pct,
                human((double)done, a, sizeof a), human((double)p->total, b, sizeof b),
                human(rate, r, sizeof r));
        p->drawn = 1;
        if (final) {
            fputc('\n', stderr);
            p->drawn = 0;
        }
    } else {
        if (!final && t - p->last < 5.0 && done - p->shown < p->total / 10)
            return;
        if (final && done == p->shown)
            return;
        fprintf(stderr, "inspectctl: field upload: %" PRIu64 " of %" PRIu64 " bytes sent (%d%%)\n",
                done, p->total, pct);
        p->shown = done;
    }
    fflush(stderr);
    p->last = t;
}

/* Ends a bar drawn in place so that a message can follow on its own line. */
static void progress_break(progress *p)
{
    if (p->drawn) {
        fputc('\n', stderr);
        p->drawn = 0;
    }
}

/* ---- upload: stall watchdog ---------------------------------------------- */

typedef struct watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ins_stream *s; /* the call being watched, or NULL */
    double last;   /* time of its last progress */
    double stall;  /* seconds without progress before cancelling */
    int stop;
    int fired;
} watchdog;

static void *watchdog_run(void *arg)
{
    watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        if (w->s != NULL && now_s() - w->last > w->stall) {
            ins_stream_cancel(w->s);
            w->fired = 1;
            w->s = NULL;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Watches `s` from now on (NULL: stop watching, before finishing it).
 * Returns whether the watchdog cancelled the call watched until now. */
static int watchdog_set(watchdog *w, ins_stream *s)
{
    pthread_mutex_lock(&w->mu);
    int fired = w->fired;
    w->s = s;
    w->last = now_s();
    w->fired = 0;
    pthread_mutex_unlock(&w->mu);
    return fired;
}

static void watchdog_touch(watchdog *w)
{
    pthread_mutex_lock(&w->mu);
    w->last = now_s();
    pthread_mutex_unlock(&w->mu);
}

/* ---- upload -------------------------------------------------------------- */

typedef struct upload {
    int fd;
    uint64_t total;
    size_t chunk;
    uint8_t *buf;
    char sha_hex[65];
    Inspect__V1__UploadHeader hdr;
    int64_t timeout_ms;
    progress prog;
    watchdog wd;
    int read_err; /* errno of a failed read of the photo */
} upload;

static void upload_help(void)
{
    printf("usage: inspectctl field upload PHOTO --task T --item I [--upload-id ID]\n"
           "                              [--chunk-bytes N] [--media-type M]\n"
           "                              [--lat X --lon Y] [--retries N] [--stall D]\n\n"
           "Uploads a photo of a checklist item in chunks, each committed by the server\n"
           "as it arrives, and prints its photo id (the SHA-256 in hex). Progress shows\n"
           "on stderr: a bar on a terminal, a line every 10 %% otherwise. After a\n"
           "dropped connection it asks the server for the committed offset and goes on\n"
           "from there by itself. Role: inspector (a team member).\n"
           "  --task T           the task the photo belongs to\n"
           "  --item I           the template item it documents\n"
           "  --upload-id ID     1..128 bytes; default: derived from task, item and the\n"
           "                     photo's hash, so the same command resumes the same upload\n"
           "  --chunk-bytes N    bytes per chunk (default 65536, at most 1048576)\n"
           "  --media-type M     default from the file name (image/jpeg, image/png, ...)\n"
           "  --lat X, --lon Y   where the photo was taken\n"
           "  --retries N        attempts in a row without progress before giving up\n"
           "                     (default %d)\n"
           "  --stall D          cancel and resume a call that moved nothing for D\n"
           "                     (default 30s)\n"
           "The deadline of each attempt is --timeout when given, else none.\n\n%s",
           RETRIES, ins_cli_global_help);
}

static const char *media_type_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".heic", "image/heic"}, {".webp", "image/webp"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO; /* EIO: the file shrank */
        buf += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return 0;
}

/* SHA-256 of the whole file. */
static int hash_file(upload *u, uint8_t sha[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    for (uint64_t off = 0; ok && off < u->total; off += u->chunk) {
        size_t n = u->total - off < u->chunk ? (size_t)(u->total - off) : u->chunk;
        if ((u->read_err = read_at(u->fd, u->buf, n, off)) != 0)
            ok = 0;
        else
            ok = EVP_DigestUpdate(ctx, u->buf, n) == 1;
    }
    unsigned len = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, sha, &len) == 1 && len == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* Worth another attempt after asking where the upload stands. */
static int retryable(int code, const char *details)
{
    switch (code) {
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
    case GRPC_STATUS_CANCELLED:
    case GRPC_STATUS_ABORTED:
        return 1;
    case GRPC_STATUS_RESOURCE_EXHAUSTED: /* the server's writer is busy */
        return details != NULL && strstr(details, "busy") != NULL;
    case GRPC_STATUS_FAILED_PRECONDITION: /* a chunk the server no longer expects */
        return details != NULL && strstr(details, "offset") != NULL;
    default:
        return 0;
    }
}

/*
 * One UploadPhoto call from `from`: the header, the chunks, the answer.
 * Returns the call's status (*resp set on OK), or -1 when the photo could
 * not be read (u->read_err).
 */
static int upload_attempt(ins_client *c, upload *u, uint64_t from,
                          Inspect__V1__UploadPhotoResponse **resp, char **details)
{
    *resp = NULL;
    *details = NULL;
    ins_stream *s = NULL;
    int code = ins_stream_start(c, FLD_METHOD("UploadPhoto"),
                                &inspect__v1__upload_photo_response__descriptor, u->timeout_ms, &s);
    if (code != 0) {
        *details = strdup("gRPC refused to start the call");
        return code;
    }
    watchdog_set(&u->wd, s);
    u->prog.t0 = now_s();
    u->prog.b0 = from;
    Inspect__V1__UploadPhotoRequest req = INSPECT__V1__UPLOAD_PHOTO_REQUEST__INIT;
    Inspect__V1__UploadChunk chunk = INSPECT__V1__UPLOAD_CHUNK__INIT;
    req.part_case = INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_HEADER;
    req.header = &u->hdr;
    int ok = ins_stream_send(s, &req.base) == 0;
    req.part_case = INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_CHUNK;
    req.chunk = &chunk;
    for (uint64_t off = from; ok && off < u->total;) {
        size_t n = u->total - off < u->chunk ? (size_t)(u->total - off) : u->chunk;
        if ((u->read_err = read_at(u->fd, u->buf, n, off)) != 0) {
            ins_stream_cancel(s);
            ok = 0;
            break;
        }
        chunk.offset = off;
        chunk.data.data = u->buf;
        chunk.data.len = n;
        ok = ins_stream_send(s, &req.base) == 0;
        if (ok) {
            off += n;
            watchdog_touch(&u->wd);
            progress_show(&u->prog, off, 0);
        }
    }
    if (ok)
        ok = ins_stream_close_send(s) == 0;
    ProtobufCMessage *m = NULL;
    if (ok) {
        watchdog_touch(&u->wd);
        ins_stream_recv(s, INS_TIMEOUT_NONE, &m);
    }
    int stalled = watchdog_set(&u->wd, NULL);
    if (!ok) {
        /* A send failed: the call is over, and the server's status (if it
         * ended the call) is on its way; give it a moment. Then cancel:
         * after a connection reset gRPC core (1.51) may otherwise never
         * complete the status, and a cancel after the status changes
         * nothing. */
        if (ins_stream_recv(s, 2000, &m) == 1) {
            protobuf_c_message_free_unpacked(m, NULL);
            m = NULL;
        }
        ins_stream_cancel(s);
    }
    code = ins_stream_finish(s, details);
    if (u->read_err != 0) {
        if (m != NULL)
            protobuf_c_message_free_unpacked(m, NULL);
        return -1;
    }
    if (code == 0 && m == NULL) {
        free(*details);
        *details = strdup("the server finished the upload without an answer");
        code = GRPC_STATUS_INTERNAL;
    }
    if (code == 0)
        *resp = (Inspect__V1__UploadPhotoResponse *)m;
    else if (m != NULL)
        protobuf_c_message_free_unpacked(m, NULL);
    if (code == GRPC_STATUS_CANCELLED && stalled) {
        free(*details);
        char msg[96];
        snprintf(msg, sizeof msg, "nothing moved for %.0f s; the call was cancelled", u->wd.stall);
        *details = strdup(msg);
    }
    return code;
}

/* Prints the answer; checks it names our bytes. */
static int upload_done(ins_cli *cli, upload *u, Inspect__V1__UploadPhotoResponse *r)
{
    progress_show(&u->prog, u->total, 1);
    progress_break(&u->prog);
    if (strcasecmp(r->photo_id, u->sha_hex) != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "the server stored photo %s, but the file hashes to %s",
                 r->photo_id, u->sha_hex);
        return ins_cli_fail("field upload", GRPC_STATUS_DATA_LOSS, msg);
    }
    if (cli->json)
        return ins_cu_print_json(&r->base);
    printf("photo %s (%" PRIu64 " bytes%s)\n", r->photo_id, r->size,
           r->duplicate ? ", already stored" : "");
    return INS_EXIT_OK;
}

static int upload_run(ins_cli *cli, ins_client *c, upload *u, unsigned retries)
{
    unsigned failures = 0;
    double backoff = 0.25;
    uint64_t best = 0;
    int code = 0, attempts = 0;
    char *details = NULL;
    for (;;) {
        /* Where does the server stand? */
        Inspect__V1__GetUploadStatusRequest sreq = INSPECT__V1__GET_UPLOAD_STATUS_REQUEST__INIT;
        sreq.upload_id = u->hdr.upload_id;
        ProtobufCMessage *m = NULL;
        free(details);
        details = NULL;
        code = ins_client_unary(c, FLD_METHOD("GetUploadStatus"), &sreq.base,
                                &inspect__v1__get_upload_status_response__descriptor,
                                INS_TIMEOUT_DEFAULT, &m, &details);
        uint64_t from = 0;
        int ask_again = 0;
        if (code == 0) {
            Inspect__V1__GetUploadStatusResponse *st = (Inspect__V1__GetUploadStatusResponse *)m;
            if (st->state == INSPECT__V1__UPLOAD_STATE__UPLOAD_STATE_COMPLETE) {
                Inspect__V1__UploadPhotoResponse r = INSPECT__V1__UPLOAD_PHOTO_RESPONSE__INIT;
                r.photo_id = st->photo_id;
                r.size = u->total;
                r.duplicate = 1;
                int rc = upload_done(cli, u, &r);
                protobuf_c_message_free_unpacked(m, NULL);
                free(details);
                return rc;
            }
            from = st->committed_offset;
            uint64_t declared = st->total_size;
            protobuf_c_message_free_unpacked(m, NULL);
            if (declared != u->total || from > u->total) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "upload %s was started with %" PRIu64 " bytes, this photo has %" PRIu64
                         "; choose another --upload-id",
                         u->hdr.upload_id, declared, u->total);
                free(details);
                return ins_cli_fail("field upload", GRPC_STATUS_ALREADY_EXISTS, msg);
            }
        } else if (code != GRPC_STATUS_NOT_FOUND) {
            if (!retryable(code, details)) {
                progress_break(&u->prog);
                int rc = ins_cli_fail("field upload", code, details);
                free(details);
                return rc;
            }
            ask_again = 1;
        }
        if (!ask_again) {
            if (from > best || attempts == 0) {
                failures = 0;
                backoff = 0.25;
            }
            if (from > best)
                best = from;
            if (attempts > 0 || from > 0) {
                progress_break(&u->prog);
                fprintf(stderr,
                        "inspectctl: field upload: resuming %s at offset %" PRIu64 " of %" PRIu64
                        " (%d%%)\n",
                        u->hdr.upload_id, from, u->total,
                        u->total ? (int)(from * 100 / u->total) : 0);
            }
            attempts++;
            Inspect__V1__UploadPhotoResponse *r = NULL;
            free(details);
            code = upload_attempt(c, u, from, &r, &details);
            if (code == 0) {
                int rc = upload_done(cli, u, r);
                protobuf_c_message_free_unpacked(&r->base, NULL);
                free(details);
                return rc;
            }
            if (code < 0) {
                progress_break(&u->prog);
                fprintf(stderr, "inspectctl: field upload: reading the photo: %s\n",
                        strerror(u->read_err));
                free(details);
                return INS_EXIT_FAIL;
            }
            if (!retryable(code, details)) {
                progress_break(&u->prog);
                int rc = ins_cli_fail("field upload", code, details);
                free(details);
                return rc;
            }
        }
        if (++failures > retries) {
            progress_break(&u->prog);
            fprintf(stderr,
                    "inspectctl: field upload: giving up after %u attempts without "
                    "progress; run the same command again to resume\n",
                    retries);
            int rc = ins_cli_fail("field upload", code, details);
            free(details);
            return rc;
        }
        double wait = backoff * (0.75 + 0.5 * (double)rand() / RAND_MAX);
        progress_break(&u->prog);
        fprintf(stderr, "inspectctl: field upload: %s%s%s; retrying in %.1f s (%u of %u)\n",
                ins_client_status_name(code), details && details[0] ? ": " : "",
                details ? details : "", wait, failures, retries);
        sleep_s(wait);
        backoff = backoff * 2 > 8 ? 8 : backoff * 2;
    }
}

static int upload_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *task = NULL, *item = NULL, *uid = NULL, *chunk = NULL, *media = NULL;
    const char *lat = NULL, *lon = NULL, *retries_s = NULL, *stall_s = NULL;
    ins_cu_opt opts[] = {
        {"--task", &task, NULL},        {"--item", &item, NULL},
        {"--upload-id", &uid, NULL},    {"--chunk-bytes", &chunk, NULL},
        {"--media-type", &media, NULL}, {"--lat", &lat, NULL},
        {"--lon", &lon, NULL},          {"--retries", &retries_s, NULL},
        {"--stall", &stall_s, NULL},    {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, upload_help, "field upload");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (task == NULL || item == NULL || !task[0] || !item[0])
        return ins_cli_usage_error("field upload: --task and --item are required");
    if (uid != NULL && (uid[0] == '\0' || strlen(uid) > 128))
        return ins_cli_usage_error("field upload: --upload-id must have 1..128 bytes");
    uint64_t chunk_bytes = CHUNK_DEFAULT, retries = RETRIES;
    if (chunk != NULL && (ins_cu_parse_u64("--chunk-bytes", chunk, CHUNK_MAX, &chunk_bytes) != 0))
        return INS_EXIT_USAGE;
    if (chunk_bytes == 0)
        return ins_cli_usage_error("field upload: --chunk-bytes must be at least 1");
    if (retries_s != NULL && ins_cu_parse_u64("--retries", retries_s, 1000, &retries) != 0)
        return INS_EXIT_USAGE;
    int64_t stall_ms = STALL_MS;
    if (stall_s != NULL && (ins_cli_parse_duration_ms(stall_s, &stall_ms) != 0 || stall_ms == 0))
        return ins_cli_usage_error("field upload: --stall: '%s' is not a duration such as 30s",
                                   stall_s);
    double la = 0, lo = 0;
    if ((lat != NULL) != (lon != NULL))
        return ins_cli_usage_error("field upload: give both --lat and --lon, or neither");
    if (lat != NULL && (parse_double("--lat", lat, -90, 90, &la) != 0 ||
                        parse_double("--lon", lon, -180, 180, &lo) != 0))
        return INS_EXIT_USAGE;

    upload u;
    memset(&u, 0, sizeof u);
    u.fd = open(pos[0], O_RDONLY | O_CLOEXEC);
    struct stat stt;
    if (u.fd < 0 || fstat(u.fd, &stt) != 0) {
        fprintf(stderr, "inspectctl: %s: %s\n", pos[0], strerror(errno));
        if (u.fd >= 0)
            close(u.fd);
        return INS_EXIT_FAIL;
    }
    if (!S_ISREG(stt.st_mode) || stt.st_size == 0) {
        fprintf(stderr, "inspectctl: %s: not a regular, non-empty file\n", pos[0]);
        close(u.fd);
        return INS_EXIT_FAIL;
    }
    u.total = (uint64_t)stt.st_size;
    u.chunk = (size_t)chunk_bytes;
    u.buf = malloc(u.chunk > (1u << 20) ? u.chunk : (1u << 20));
    uint8_t sha[32];
    if (u.buf == NULL || hash_file(&u, sha) != 0) {
        fprintf(stderr, "inspectctl: %s: %s\n", pos[0],
                u.read_err ? strerror(u.read_err) : "cannot hash it");
        free(u.buf);
        close(u.fd);
        return INS_EXIT_FAIL;
    }
    hexify(sha, 32, u.sha_hex);
    char derived[INS_CU_REQUEST_ID_LEN + 8];
    if (uid == NULL) {
        char key[600];
        int n = snprintf(key, sizeof key, "%s%c%s%c%s", task, 0, item, 0, u.sha_hex);
        char id[INS_CU_REQUEST_ID_LEN];
        ins_cu_derived_request_id("field upload", key, (size_t)n, id);
        snprintf(derived, sizeof derived, "up-%s", id);
        uid = derived;
    }
    inspect__v1__upload_header__init(&u.hdr);
    u.hdr.upload_id = (char *)uid;
    u.hdr.task_id = (char *)task;
    u.hdr.item_code = (char *)item;
    u.hdr.total_size = u.total;
    u.hdr.sha256.data = sha;
    u.hdr.sha256.len = 32;
    u.hdr.media_type = (char *)(media != NULL ? media : media_type_of(pos[0]));
    u.hdr.capture_unix = (int64_t)stt.st_mtime;
    u.hdr.latitude = la;
    u.hdr.longitude = lo;
    u.timeout_ms = cli->timeout_set ? cli->timeout_ms : INS_TIMEOUT_NONE;
    u.prog.tty = isatty(STDERR_FILENO);
    u.prog.total = u.total;
    u.wd.stall = (double)stall_ms / 1000.0;
    srand((unsigned)(time(NULL) ^ getpid()));
    if (!cli->json)
        fprintf(stderr,
                "inspectctl: field upload: %s, %" PRIu64 " bytes, sha256 %s, upload id %s\n",
                pos[0], u.total, u.sha_hex, uid);

    ins_client *c = NULL;
    pthread_t th;
    int have_thread = 0;
    rc = ins_cli_connect(cli, &c);
    if (rc == INS_EXIT_OK) {
        pthread_mutex_init(&u.wd.mu, NULL);
        pthread_cond_init(&u.wd.cv, NULL);
        have_thread = pthread_create(&th, NULL, watchdog_run, &u.wd) == 0;
        if (!have_thread) {
            fputs("inspectctl: field upload: cannot start the stall watchdog\n", stderr);
            rc = INS_EXIT_FAIL;
        }
    }
    if (rc == INS_EXIT_OK)
        rc = upload_run(cli, c, &u, (unsigned)retries);
    if (have_thread) {
        pthread_mutex_lock(&u.wd.mu);
        u.wd.stop = 1;
        pthread_cond_signal(&u.wd.cv);
        pthread_mutex_unlock(&u.wd.mu);
        pthread_join(th, NULL);
    }
    if (c != NULL) {
        pthread_mutex_destroy(&u.wd.mu);
        pthread_cond_destroy(&u.wd.cv);
    }
    ins_client_close(c);
    free(u.buf);
    close(u.fd);
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
        {"upload", "upload a photo in chunks; resumes by itself after a dropped link", upload_cmd},
        {"status", "where an upload stands (committed offset or photo id)", status_cmd},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl field COMMAND [options]\n\n"
                        "What an inspector's tablet does (inspect.v1.Field), for support staff\n"
                        "and scripts. The token must be an inspector's whose principal is his\n"
                        "inspector id.\n",
                        subs, sizeof subs / sizeof subs[0]);
}
