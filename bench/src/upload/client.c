/*
 * bench_upload_client - the load client of bench/upload, on libinspect-client.
 *
 *   bench_upload_client setup ADDR TOKEN APPLICATION
 *       As a dispatcher (TOKEN): Dispatch.CreateTask on APPLICATION (in
 *       review), then Dispatch.AssignTeam (automatic). Prints one line
 *       "TASK <id> INSPECTOR <member id> DEPARTMENT <dept>": an industry
 *       member of the team (the lead if there is none), who may upload.
 *
 *   bench_upload_client run ADDR TOKEN TASK [--uploads N] [--mib M]
 *                       [--chunk BYTES] [--conns C] [--seed S] [--label L] [--sink]
 *       N (16) concurrent Field.UploadPhoto calls of M (32) MiB each in
 *       chunks of BYTES (65536), one thread per upload, uploads spread over C
 *       (N) connections. Each upload: its header (size, SHA-256), then the
 *       chunks, each sent once gRPC has taken the previous one, then
 *       half-close and the answer. Bytes (upload_data.h, seeded by S) and
 *       their SHA-256 are made before the clock starts; the clock runs from
 *       the moment all threads are released to the last answer.
 *       Checks every answer: photo id = the SHA-256 and size = M MiB, not a
 *       duplicate; with --sink (the bare sink) only status OK and a size of at
 *       least M MiB (the sink answers the payload bytes it counted).
 *       Prints a summary and last "UPLOAD_MBS <MB/s>" (MB = 10^6 bytes);
 *       exits 1 if any upload failed.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "ins_client.h"
#include "ins_hex.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "upload_data.h"

typedef struct upload {
    int index;
    ins_client *client;
    const char *task;
    uint8_t *data;
    size_t size;
    size_t chunk;
    uint8_t sha[32];
    char sha_hex[65];
    char upload_id[64];
    int sink;
    /* results */
    double end;
    int ok;
    char why[512];
} upload;

static pthread_barrier_t start_line;
static double t0;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static ins_client *open_client(const char *addr, const char *token, int private_connection)
{
    ins_client_opts o = {.target = addr,
                         .token = token,
                         .timeout_ms = 120000,
                         .private_connection = private_connection};
    ins_client *c = NULL;
    char *details = NULL;
    if (ins_client_open(&o, &c, &details) != 0) {
        fprintf(stderr, "bench_upload_client: cannot open %s: %s\n", addr, details ? details : "?");
        free(details);
        return NULL;
    }
    free(details);
    return c;
}

/* ---- setup ---------------------------------------------------------------- */

static int unary(ins_client *c, const char *method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp)
{
    char *details = NULL;
    int rc = ins_client_unary(c, method, req, desc, INS_TIMEOUT_DEFAULT, resp, &details);
    if (rc != 0)
        fprintf(stderr, "bench_upload_client: %s: %s: %s\n", method, ins_client_status_name(rc),
                details ? details : "");
    free(details);
    return rc;
}

static int setup(const char *addr, const char *token, const char *app)
{
    ins_client *c = open_client(addr, token, 0);
    if (!c)
        return 1;
    char rid[64];
    snprintf(rid, sizeof rid, "bench-upload-%ld-%ld", (long)time(NULL), (long)clock());
    Inspect__V1__CreateTaskRequest creq = INSPECT__V1__CREATE_TASK_REQUEST__INIT;
    creq.request_id = rid;
    creq.application_id = (char *)app;
    Inspect__V1__CreateTaskResponse *cresp = NULL;
    int rc = unary(c, "/inspect.v1.Dispatch/CreateTask", &creq.base,
                   &inspect__v1__create_task_response__descriptor, (ProtobufCMessage **)&cresp);
    Inspect__V1__AssignTeamResponse *aresp = NULL;
    if (rc == 0) {
        char rid2[80];
        snprintf(rid2, sizeof rid2, "%s-assign", rid);
        Inspect__V1__AssignTeamRequest areq = INSPECT__V1__ASSIGN_TEAM_REQUEST__INIT;
        areq.request_id = rid2;
        areq.task_id = cresp->task->id;
        rc = unary(c, "/inspect.v1.Dispatch/AssignTeam", &areq.base,
                   &inspect__v1__assign_team_response__descriptor, (ProtobufCMessage **)&aresp);
    }
    if (rc == 0) {
        const Inspect__V1__Task *t = aresp->task;
        const Inspect__V1__TeamMember *m = NULL;
        for (size_t i = 0; i < t->n_team; i++)
            if (!m || t->team[i]->role == INSPECT__V1__MEMBER_ROLE__MEMBER_ROLE_MEMBER)
                m = t->team[i];
        if (!m) {
            fprintf(stderr, "bench_upload_client: task %s has no team\n", t->id);
            rc = 1;
        } else {
            printf("TASK %s INSPECTOR %s DEPARTMENT %s\n", t->id, m->inspector_id, m->department);
        }
    }
    if (cresp)
        protobuf_c_message_free_unpacked(&cresp->base, NULL);
    if (aresp)
        protobuf_c_message_free_unpacked(&aresp->base, NULL);
    ins_client_close(c);
    return rc ? 1 : 0;
}

/* ---- run ------------------------------------------------------------------ */

static void fail(upload *u, const char *what, int rc, const char *details)
{
    u->ok = 0;
    snprintf(u->why, sizeof u->why, "%s: %s %s", what, ins_client_status_name(rc),
             details ? details : "");
}

/* The checklist item the photos belong to (an item of the uploader's
 * department's template for the task). */
static const char *item_code = "kitchen_photo";

static void *upload_main(void *arg)
{
    upload *u = arg;
    ins_stream *s = NULL;
    char *details = NULL;
    int rc;

    pthread_barrier_wait(&start_line);
    u->ok = 1;
    rc = ins_stream_start(u->client, "/inspect.v1.Field/UploadPhoto",
                          &inspect__v1__upload_photo_response__descriptor, INS_TIMEOUT_NONE, &s);
    if (rc != 0) {
        fail(u, "start", rc, NULL);
        u->end = now_s();
        return NULL;
    }
    Inspect__V1__UploadHeader h = INSPECT__V1__UPLOAD_HEADER__INIT;
    h.upload_id = u->upload_id;
    h.task_id = (char *)u->task;
    h.item_code = (char *)item_code;
    h.total_size = u->size;
    h.sha256.data = u->sha;
    h.sha256.len = 32;
    h.media_type = "image/jpeg";
    h.capture_unix = (int64_t)time(NULL);
    h.latitude = 30.82;
    h.longitude = 104.16;
    Inspect__V1__UploadPhotoRequest req = INSPECT__V1__UPLOAD_PHOTO_REQUEST__INIT;
    req.part_case = INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_HEADER;
    req.header = &h;
    int sent = ins_stream_send(s, &req.base) == 0;
    Inspect__V1__UploadChunk ch = INSPECT__V1__UPLOAD_CHUNK__INIT;
    req.part_case = INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_CHUNK;
    req.chunk = &ch;
    for (size_t off = 0; sent && off < u->size; off += u->chunk) {
        ch.offset = off;
        ch.data.data = u->data + off;
        ch.data.len = u->size - off < u->chunk ? u->size - off : u->chunk;
        sent = ins_stream_send(s, &req.base) == 0;
    }
    if (sent)
        ins_stream_close_send(s);
    Inspect__V1__UploadPhotoResponse *resp = NULL;
    int got = ins_stream_recv(s, INS_TIMEOUT_NONE, (ProtobufCMessage **)&resp);
    rc = ins_stream_finish(s, &details);
    u->end = now_s();
    if (rc != 0 || got != 1) {
        fail(u, "UploadPhoto", rc, details);
    } else if (u->sink) {
        if (resp->size < u->size) {
            u->ok = 0;
            snprintf(u->why, sizeof u->why, "sink counted %" PRIu64 " bytes of %zu", resp->size,
                     u->size);
        }
    } else if (strcmp(resp->photo_id, u->sha_hex) != 0 || resp->size != u->size ||
               resp->duplicate) {
        u->ok = 0;
        snprintf(u->why, sizeof u->why, "answer photo %s size %" PRIu64 " duplicate %d",
                 resp->photo_id, resp->size, (int)resp->duplicate);
    }
    if (resp)
        protobuf_c_message_free_unpacked(&resp->base, NULL);
    free(details);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(int argc, char **argv)
{
    const char *addr = argv[0], *token = argv[1], *task = argv[2];
    int n = 16, conns = -1, sink = 0;
    size_t mib = 32, chunk = UPLOAD_CHUNK_DEFAULT;
    uint64_t seed = 1;
    const char *label = "inspectd";
    for (int i = 3; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--sink") == 0) {
            sink = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_upload_client: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--item") == 0)
            item_code = v;
        else if (strcmp(argv[i], "--uploads") == 0)
            n = atoi(v);
        else if (strcmp(argv[i], "--mib") == 0)
            mib = (size_t)atol(v);
        else if (strcmp(argv[i], "--chunk") == 0)
            chunk = (size_t)atol(v);
        else if (strcmp(argv[i], "--conns") == 0)
            conns = atoi(v);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--label") == 0)
            label = v;
        else {
            fprintf(stderr, "bench_upload_client: unknown option %s\n", argv[i]);
            return 2;
        }
        i++;
    }
    if (conns < 0)
        conns = n;
    if (n < 1 || n > 1024 || mib < 1 || chunk < 1 || chunk > (1u << 20) || conns < 1 || conns > n) {
        fprintf(stderr, "bench_upload_client: bad --uploads/--mib/--chunk/--conns\n");
        return 2;
    }
    ins_client **clients = calloc((size_t)conns, sizeof *clients);
    upload *ups = calloc((size_t)n, sizeof *ups);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    if (!clients || !ups || !th)
        return 1;
    for (int i = 0; i < conns; i++)
        if (!(clients[i] = open_client(addr, token, 1)))
            return 1;
    for (int i = 0; i < n; i++) {
        upload *u = &ups[i];
        u->index = i;
        u->client = clients[i % conns];
        u->task = task;
        u->size = mib << 20;
        u->chunk = chunk;
        u->sink = sink;
        snprintf(u->upload_id, sizeof u->upload_id, "bench-%" PRIu64 "-%d", seed, i);
        if (!(u->data = malloc(u->size))) {
            fprintf(stderr, "bench_upload_client: out of memory\n");
            return 1;
        }
        upload_fill(u->data, u->size, seed, i);
        unsigned int hl = 32;
        EVP_Digest(u->data, u->size, u->sha, &hl, EVP_sha256(), NULL);
        ins_hex_encode(u->sha, 32, u->sha_hex);
    }
    pthread_barrier_init(&start_line, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, upload_main, &ups[i]);
    t0 = now_s();
    pthread_barrier_wait(&start_line);
    int failed = 0;
    double *secs = calloc((size_t)n, sizeof *secs);
    double last = t0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (!ups[i].ok) {
            failed++;
            fprintf(stderr, "bench_upload_client: %s upload %d: %s\n", label, i, ups[i].why);
        }
        secs[i] = ups[i].end - t0;
        if (ups[i].end > last)
            last = ups[i].end;
    }
    double wall = last - t0;
    double bytes = (double)n * (double)(mib << 20);
    double mbs = bytes / wall / 1e6;
    qsort(secs, (size_t)n, sizeof *secs, cmp_double);
    printf("  %s: %d uploads x %zu MiB in %zu KiB chunks over %d connection%s: %.2f s, "
           "%.0f MB/s; per upload %.2f / %.2f / %.2f s (first / median / last)%s\n",
           label, n, mib, chunk >> 10, conns, conns == 1 ? "" : "s", wall, mbs, secs[0],
           secs[n / 2], secs[n - 1], failed ? "  ** FAILED UPLOADS **" : "");
    for (int i = 0; i < conns; i++)
        ins_client_close(clients[i]);
    for (int i = 0; i < n; i++)
        free(ups[i].data);
    free(secs);
    free(ups);
    free(th);
    free(clients);
    printf("UPLOAD_MBS %.1f\n", failed ? 0.0 : mbs);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "setup") == 0)
        return setup(argv[2], argv[3], argv[4]);
    if (argc >= 5 && strcmp(argv[1], "run") == 0)
        return run(argc - 2, argv + 2);
    fprintf(stderr, "usage: bench_upload_client setup ADDR TOKEN APPLICATION\n"
                    "       bench_upload_client run ADDR TOKEN TASK [--uploads N] [--mib M]\n"
                    "           [--chunk BYTES] [--conns C] [--seed S] [--label L] [--sink]\n");
    return 2;
}
