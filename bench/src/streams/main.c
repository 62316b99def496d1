/*
 * bench_streams - many idle follow-mode streams, then one commit all must see.
 *
 *   bench_streams HOST:PORT STREAM_TOKEN ADMIN_TOKEN CONNS PER_CONN SERVER_PID
 *
 * 1. Learns the feed head with one PullChanges(cursor 0, no follow) and
 *    times UNARY_CALLS Session.WhoAmI calls (the server warmed up), then
 *    reads the server's idle RSS and thread count from /proc/SERVER_PID.
 * 2. Opens CONNS channels, each on its own connection (a local subchannel
 *    pool), and PER_CONN Departments.PullChanges(cursor head, follow) calls on
 *    each, all on one completion queue, each with a RECV_MESSAGE armed; waits
 *    until the server's RSS has settled (no growth of more than 1 % in 1 s).
 * 3. Prints the server's RSS per open stream and the threads it added.
 * 4. Times UNARY_CALLS Session.WhoAmI calls one after another on a channel of
 *    its own while the streams are open: p50 and p99.
 * 5. Commits one change the department sees (Directory.UpsertInspector of
 *    one of its inspectors, with the admin token) and waits until every
 *    stream has received a batch holding it: the time from the start of the
 *    commit call to the last stream's batch.
 * Last line: RESULT streams rss_kib_per_stream=<x> extra_threads=<n>
 *            last_seen_s=<s> unary_p99_ms=<ms>
 * Exits 1, saying why, when a stream ends early or a batch is not the change.
 */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ins_client.h"
#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/session.pb-c.h"

#define PULL_METHOD "/inspect.v1.Departments/PullChanges"
#define UNARY_CALLS 2000
#define SETTLE_S    60 /* give up waiting for the streams after this long */

/* One follow stream: its call and the one receive kept armed. */
typedef struct stream {
    grpc_call *call;
    grpc_byte_buffer *recv;
    grpc_metadata_array md;
    grpc_status_code status;
    grpc_slice status_details;
    grpc_metadata_array trailers;
    double seen_s; /* when the change arrived; 0 before */
    int ended;
} stream;

/* Completion-queue tags: the stream's address, with the low bit set for its
 * status batch (stream structs are at least 8-byte aligned). */
#define TAG_RECV(s)   ((void *)(s))
#define TAG_STATUS(s) ((void *)((uintptr_t)(s) | 1u))

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One "Key: value kB" field of /proc/PID/status, or -1. */
static long proc_status(long pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = strtol(line + kl + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Prints the names of the server's threads on one line after `label`. */
static void print_threads(long pid, const char *label)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    printf("%s:", label);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char cpath[600], name[64] = "";
        snprintf(cpath, sizeof(cpath), "%s/%s/comm", path, de->d_name);
        FILE *f = fopen(cpath, "r");
        if (f && fgets(name, sizeof(name), f))
            name[strcspn(name, "\n")] = 0;
        if (f)
            fclose(f);
        printf(" %s", name);
    }
    closedir(d);
    printf("\n");
}

static grpc_byte_buffer *pack(const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    grpc_slice s = grpc_slice_malloc(n);
    protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* The ChangeBatch in bb (consumed), or NULL. */
static Inspect__V1__ChangeBatch *unpack_batch(grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb)) {
        grpc_byte_buffer_destroy(bb);
        return NULL;
    }
    grpc_slice all = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    grpc_byte_buffer_destroy(bb);
    Inspect__V1__ChangeBatch *b =
        inspect__v1__change_batch__unpack(NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A client of the library for the set-up and unary calls, or NULL (said). */
static ins_client *open_client(const char *addr, const char *token)
{
    ins_client_opts o = {.target = addr, .token = token, .timeout_ms = 60000};
    ins_client *c = NULL;
    char *details = NULL;
    if (ins_client_open(&o, &c, &details) != 0) {
        fprintf(stderr, "bench_streams: %s\n", details);
        free(details);
        return NULL;
    }
    return c;
}

/* The feed head as a department sees it: the last cursor of a plain pull. */
static int feed_head(const char *addr, const char *token, uint64_t *head)
{
    ins_client *c = open_client(addr, token);
    char *details = NULL;
    if (!c)
        return 1;
    Inspect__V1__PullChangesRequest req = INSPECT__V1__PULL_CHANGES_REQUEST__INIT;
    ins_stream *st = NULL;
    int rc =
        ins_client_server_stream(c, PULL_METHOD, &req.base, &inspect__v1__change_batch__descriptor,
                                 INS_TIMEOUT_DEFAULT, &st, &details);
    ProtobufCMessage *m = NULL;
    *head = 0;
    while (rc == 0 && ins_stream_recv(st, INS_TIMEOUT_NONE, &m) == 1) {
        *head = ((Inspect__V1__ChangeBatch *)m)->cursor;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    if (rc == 0)
        rc = ins_stream_finish(st, &details);
    if (rc)
        fprintf(stderr, "bench_streams: PullChanges: %s: %s\n", ins_client_status_name(rc),
                details ? details : "");
    free(details);
    ins_client_close(c);
    return rc != 0;
}

/* Starts one follow stream from `cursor` on ch; 0 or 1 on a failed start. */
static int stream_start(stream *s, grpc_channel *ch, grpc_completion_queue *cq, const char *auth,
                        uint64_t cursor)
{
    grpc_slice method = grpc_slice_from_static_string(PULL_METHOD);
    s->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL,
                                       gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_metadata md = {.key = grpc_slice_from_static_string("authorization"),
                        .value = grpc_slice_from_static_string(auth)};
    Inspect__V1__PullChangesRequest req = INSPECT__V1__PULL_CHANGES_REQUEST__INIT;
    req.cursor = cursor;
    req.follow = 1;
    grpc_byte_buffer *bb = pack(&req.base);
    grpc_metadata_array_init(&s->md);
    grpc_metadata_array_init(&s->trailers);
    grpc_op ops[5];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = 1;
    ops[0].data.send_initial_metadata.metadata = &md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = bb;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &s->md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &s->recv;
    grpc_call_error e = grpc_call_start_batch(s->call, ops, 5, TAG_RECV(s), NULL);
    grpc_byte_buffer_destroy(bb);
    if (e != GRPC_CALL_OK)
        return 1;
    grpc_op st = {.op = GRPC_OP_RECV_STATUS_ON_CLIENT};
    st.data.recv_status_on_client.trailing_metadata = &s->trailers;
    st.data.recv_status_on_client.status = &s->status;
    st.data.recv_status_on_client.status_details = &s->status_details;
    return grpc_call_start_batch(s->call, &st, 1, TAG_STATUS(s), NULL) != GRPC_CALL_OK;
}

/* Waits until the server's RSS grows less than 1 % in a second; its RSS. */
static long settle_rss(long pid)
{
    long prev = proc_status(pid, "VmRSS");
    for (int i = 0; i < SETTLE_S; i++) {
        sleep(1);
        long cur = proc_status(pid, "VmRSS");
        if (cur >= 0 && cur - prev < prev / 100)
            return cur;
        prev = cur;
    }
    return prev;
}

/* WhoAmI latencies, one call after another: p50 and p99 in ms. */
static int unary_latency(const char *addr, const char *token, double *p50, double *p99)
{
    ins_client *c = open_client(addr, token);
    char *details = NULL;
    if (!c)
        return 1;
    static double lat[UNARY_CALLS];
    for (int i = 0; i < UNARY_CALLS; i++) {
        Inspect__V1__WhoAmIRequest req = INSPECT__V1__WHO_AM_IREQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        double t0 = now_s();
        int rc = ins_client_unary(c, "/inspect.v1.Session/WhoAmI", &req.base,
                                  &inspect__v1__who_am_iresponse__descriptor, INS_TIMEOUT_DEFAULT,
                                  &resp, &details);
        lat[i] = (now_s() - t0) * 1e3;
        if (rc) {
            fprintf(stderr, "bench_streams: WhoAmI: %s: %s\n", ins_client_status_name(rc),
                    details ? details : "");
            free(details);
            ins_client_close(c);
            return 1;
        }
        protobuf_c_message_free_unpacked(resp, NULL);
    }
    ins_client_close(c);
    qsort(lat, UNARY_CALLS, sizeof(lat[0]), cmp_double);
    *p50 = lat[UNARY_CALLS / 2];
    *p99 = lat[UNARY_CALLS * 99 / 100];
    return 0;
}

/* The one commit every stream must see. */
static int commit_change(const char *addr, const char *token)
{
    ins_client *c = open_client(addr, token);
    char *details = NULL;
    if (!c)
        return 1;
    char id[32], rid[48];
    snprintf(id, sizeof(id), "bench-%ld", (long)getpid() % 100000);
    snprintf(rid, sizeof(rid), "bench-streams-%ld-%ld", (long)getpid(), (long)time(NULL));
    char *towns[] = {"bench-town"};
    Inspect__V1__Inspector in = INSPECT__V1__INSPECTOR__INIT;
    in.id = id;
    in.name = "bench streams inspector";
    in.department = "bench";
    in.towns = towns;
    in.n_towns = 1;
    in.max_open_tasks = 1;
    in.active = 1;
    Inspect__V1__UpsertInspectorRequest req = INSPECT__V1__UPSERT_INSPECTOR_REQUEST__INIT;
    req.request_id = rid;
    req.inspector = &in;
    ProtobufCMessage *resp = NULL;
    int rc = ins_client_unary(c, "/inspect.v1.Directory/UpsertInspector", &req.base,
                              &inspect__v1__upsert_inspector_response__descriptor,
                              INS_TIMEOUT_DEFAULT, &resp, &details);
    if (rc)
        fprintf(stderr, "bench_streams: UpsertInspector: %s: %s\n", ins_client_status_name(rc),
                details ? details : "");
    else
        protobuf_c_message_free_unpacked(resp, NULL);
    free(details);
    ins_client_close(c);
    return rc != 0;
}

/* What the poller thread shares with main. */
typedef struct poller {
    grpc_completion_queue *cq;
    double t0;         /* when the commit call began; 0 before */
    atomic_int seen;   /* streams that have the change */
    atomic_int failed; /* streams that ended or got something else */
    atomic_int ended;  /* status batches completed */
    atomic_int stop;   /* set by main once every stream is cancelled */
    double last;       /* the latest arrival, s after t0 (poller only) */
} poller;

/* Drives every stream's completions: a batch must be the commit's change.
 * Runs until `stop` is set and the queue has nothing more for 1 s. */
static void *poll_main(void *arg)
{
    poller *p = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(
            p->cq,
            gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(200, GPR_TIMESPAN)),
            NULL);
        if (ev.type == GRPC_QUEUE_TIMEOUT) {
            if (atomic_load(&p->stop))
                return NULL;
            continue;
        }
        if (ev.type != GRPC_OP_COMPLETE)
            return NULL;
        stream *s = (stream *)((uintptr_t)ev.tag & ~(uintptr_t)1);
        if ((uintptr_t)ev.tag & 1u) {
            s->ended = 1;
            atomic_fetch_add(&p->ended, 1);
            if (!atomic_load(&p->stop) && !s->seen_s)
                atomic_fetch_add(&p->failed, 1);
            continue;
        }
        if (!s->recv)
            continue; /* cancelled before anything arrived */
        Inspect__V1__ChangeBatch *b = unpack_batch(s->recv);
        s->recv = NULL;
        int ok = b && b->n_changes > 0 && strcmp(b->changes[0]->entity_kind, "inspector") == 0;
        if (b)
            inspect__v1__change_batch__free_unpacked(b, NULL);
        if (!ok) {
            atomic_fetch_add(&p->failed, 1);
            continue;
        }
        s->seen_s = now_s() - p->t0;
        if (s->seen_s > p->last)
            p->last = s->seen_s;
        atomic_fetch_add(&p->seen, 1);
    }
}

/* Cancels every stream, waits for their status batches, frees them. */
static void teardown(poller *p, stream *ss, int n)
{
    for (int i = 0; i < n; i++)
        if (ss[i].call)
            grpc_call_cancel(ss[i].call, NULL);
    for (int i = 0; i < 1000 && atomic_load(&p->ended) < n; i++)
        usleep(10000);
    atomic_store(&p->stop, 1);
}

static void free_streams(stream *ss, int n)
{
    for (int i = 0; i < n; i++) {
        if (!ss[i].call)
            continue;
        if (ss[i].recv)
            grpc_byte_buffer_destroy(ss[i].recv);
        grpc_metadata_array_destroy(&ss[i].md);
        grpc_metadata_array_destroy(&ss[i].trailers);
        grpc_slice_unref(ss[i].status_details);
        grpc_call_unref(ss[i].call);
    }
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr,
                "usage: bench_streams HOST:PORT STREAM_TOKEN ADMIN_TOKEN CONNS PER_CONN PID\n");
        return 2;
    }
    const char *addr = argv[1], *tok = argv[2], *admin = argv[3];
    int conns = atoi(argv[4]), per = atoi(argv[5]);
    long pid = atol(argv[6]);
    int n = conns * per;
    grpc_init();
    /* The idle baseline is read after some work, so that what gRPC core
     * starts on its first calls (a second timer thread) counts as idle. */
    uint64_t head = 0;
    double p50 = 0, p99 = 0;
    if (feed_head(addr, tok, &head) || unary_latency(addr, tok, &p50, &p99))
        return 1;
    printf("Session.WhoAmI without the streams: p50 %.2f ms, p99 %.2f ms (%d calls)\n", p50, p99,
           UNARY_CALLS);
    sleep(1);
    long rss0 = proc_status(pid, "VmRSS"), thr0 = proc_status(pid, "Threads");
    print_threads(pid, "server threads idle");
    char auth[4096];
    snprintf(auth, sizeof(auth), "Bearer %s", tok);

    grpc_completion_queue *cq = grpc_completion_queue_create_for_next(NULL);
    grpc_channel **chs = calloc((size_t)conns, sizeof(*chs));
    stream *ss = calloc((size_t)n, sizeof(*ss));
    grpc_arg a = {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL};
    a.value.integer = 1;
    grpc_channel_args args = {.num_args = 1, .args = &a};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    double t_open = now_s();
    for (int c = 0; c < conns; c++) {
        chs[c] = grpc_channel_create(addr, creds, &args);
        for (int i = 0; i < per; i++)
            if (stream_start(&ss[c * per + i], chs[c], cq, auth, head)) {
                fprintf(stderr, "bench_streams: could not start stream %d\n", c * per + i);
                return 1;
            }
    }
    poller p = {.cq = cq};
    pthread_t poll_thread;
    pthread_create(&poll_thread, NULL, poll_main, &p);
    long rss1 = settle_rss(pid), thr1 = proc_status(pid, "Threads");
    printf("opened %d follow streams over %d connections in %.1f s (settled)\n", n, conns,
           now_s() - t_open);
    print_threads(pid, "server threads with the streams open");
    double per_kib = (double)(rss1 - rss0) / n;
    printf("server RSS idle %ld KiB, with streams %ld KiB: %.1f KiB per stream; threads %ld -> "
           "%ld\n",
           rss0, rss1, per_kib, thr0, thr1);

    if (unary_latency(addr, tok, &p50, &p99))
        return 1;
    printf("Session.WhoAmI with the streams open: p50 %.2f ms, p99 %.2f ms (%d calls)\n", p50, p99,
           UNARY_CALLS);

    if (atomic_load(&p.failed)) {
        fprintf(stderr, "bench_streams: %d streams ended before the commit\n",
                atomic_load(&p.failed));
        return 1;
    }
    p.t0 = now_s();
    if (commit_change(addr, admin))
        return 1;
    while (atomic_load(&p.seen) + atomic_load(&p.failed) < n && now_s() - p.t0 < 30)
        usleep(1000);
    int seen = atomic_load(&p.seen), failed = atomic_load(&p.failed);
    teardown(&p, ss, n);
    pthread_join(poll_thread, NULL);
    double last = p.last;
    if (seen < n) {
        fprintf(stderr, "bench_streams: %d of %d streams saw the change within 30 s (%d failed)\n",
                seen, n, failed);
        return 1;
    }
    printf("one commit: the last of %d streams had it %.3f s after the call began\n", n, last);
    free_streams(ss, n);
    for (int c = 0; c < conns; c++)
        grpc_channel_destroy(chs[c]);
    grpc_channel_credentials_release(creds);
    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(cq);
    free(ss);
    free(chs);
    grpc_shutdown();
    printf("RESULT streams rss_kib_per_stream=%.1f extra_threads=%ld last_seen_s=%.3f "
           "unary_p99_ms=%.2f\n",
           per_kib, thr1 - thr0, last, p99);
    return 0;
}
