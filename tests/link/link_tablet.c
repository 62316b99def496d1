/*
 * link_tablet.c - one tablet as the field link sees it, for the `link` test
 * and bench/link: the outbox in --outbox DIR drained on one channel
 * (ins_outbox_drain) while SyncTasks runs on the same channel every
 * --every-ms, after --alone SyncTasks on the idle link for the baseline;
 * uploads in --chunk bytes (default: the outbox's).
 *
 * A SyncTasks that fails on a dropped link (UNAVAILABLE) is sent again
 * after 100 ms, as a tablet would; its time is until the answer. Prints one
 * line of figures:
 *   alone_n= alone_p50_s= alone_p99_s= during_n= during_p50_s= during_p99_s=
 *   during_max_s= sync_retries= drain_s= items= drops= sent_bytes=
 *   need_bytes= resent_per_drop_kb=
 * Exits 0 when the outbox drained (and every SyncTasks was answered), 1
 * otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/status.h>

#include "ins_client.h"
#include "ins_outbox.h"
#include "inspect/v1/field.pb-c.h"

#define MAX_SAMPLES 4096

typedef struct samples {
    double v[MAX_SAMPLES];
    size_t n;
} samples;

typedef struct run {
    ins_client *c;
    ins_outbox *ob;
    ins_outbox_stats st;
    size_t chunk; /* upload chunk bytes (0: the outbox's default) */
    atomic_int done;
    int rc;
} run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(samples *s, double q)
{
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof s->v[0], cmp);
    size_t i = (size_t)ceil(q * (double)s->n);
    return s->v[i ? i - 1 : 0];
}

/* One SyncTasks until answered; adds its time to `s`. Returns 0 or -1. */
static int sync_once(ins_client *c, samples *s, unsigned *retries)
{
    Inspect__V1__SyncTasksRequest req = INSPECT__V1__SYNC_TASKS_REQUEST__INIT;
    double t0 = now_s();
    for (int i = 0; i < 100; i++) {
        ProtobufCMessage *resp = NULL;
        char *details = NULL;
        int code = ins_client_unary(c, "/inspect.v1.Field/SyncTasks", &req.base,
                                    &inspect__v1__sync_tasks_response__descriptor,
                                    INS_TIMEOUT_DEFAULT, &resp, &details);
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        if (code == 0) {
            free(details);
            if (s->n < MAX_SAMPLES)
                s->v[s->n++] = now_s() - t0;
            return 0;
        }
        if (code != GRPC_STATUS_UNAVAILABLE && code != GRPC_STATUS_DEADLINE_EXCEEDED) {
            fprintf(stderr, "link_tablet: SyncTasks: %s: %s\n", ins_client_status_name(code),
                    details ? details : "");
            free(details);
            return -1;
        }
        free(details);
        (*retries)++;
        sleep_ms(100);
    }
    return -1;
}

static void *drain_main(void *arg)
{
    run *r = arg;
    ins_outbox_drain_opts o = {.retries = 50, .chunk = r->chunk, .stats = &r->st};
    r->rc = ins_outbox_drain(r->ob, r->c, &o);
    atomic_store(&r->done, 1);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *token = NULL, *dir = NULL;
    int alone = 5;
    long every = 500;
    size_t chunk = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--server"))
            server = argv[i + 1];
        else if (!strcmp(argv[i], "--token"))
            token = argv[i + 1];
        else if (!strcmp(argv[i], "--outbox"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--alone"))
            alone = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--every-ms"))
            every = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--chunk"))
            chunk = (size_t)atol(argv[i + 1]);
    }
    if (!server || !token || !dir) {
        fprintf(stderr, "usage: link_tablet --server ADDR --token T --outbox DIR [--alone N]\n"
                        "                   [--every-ms MS] [--chunk BYTES]\n");
        return 2;
    }
    /* What field.proto recommends for a weak link. */
    ins_client_opts o = {.target = server,
                         .token = token,
                         .timeout_ms = 20000,
                         .keepalive_ms = 10000,
                         .reconnect_ms = 250};
    run r = {.chunk = chunk};
    char *details = NULL;
    if (ins_client_open(&o, &r.c, &details) != 0 || ins_outbox_open(dir, &r.ob, &details) != 0) {
        fprintf(stderr, "link_tablet: %s\n", details ? details : "cannot start");
        return 1;
    }
    static samples before, during;
    unsigned retries = 0;
    int bad = 0;
    for (int i = 0; i < alone && !bad; i++)
        bad = sync_once(r.c, &before, &retries) != 0;
    retries = 0;
    pthread_t th;
    double t0 = now_s();
    int started = !bad && pthread_create(&th, NULL, drain_main, &r) == 0;
    bad = bad || !started;
    while (!bad && !atomic_load(&r.done)) {
        sleep_ms(every);
        if (!atomic_load(&r.done))
            bad = sync_once(r.c, &during, &retries) != 0;
    }
    if (started)
        pthread_join(th, NULL); /* a drain ends by itself: done or out of retries */
    double secs = now_s() - t0;
    double resent = r.st.drops && r.st.sent_bytes > r.st.need_bytes
                        ? (double)(r.st.sent_bytes - r.st.need_bytes) / r.st.drops / 1000.0
                        : 0;
    printf("alone_n=%zu alone_p50_s=%.3f alone_p99_s=%.3f during_n=%zu during_p50_s=%.3f "
           "during_p99_s=%.3f during_max_s=%.3f sync_retries=%u drain_s=%.2f items=%" PRIu64
           " drops=%" PRIu64 " sent_bytes=%" PRIu64 " need_bytes=%" PRIu64
           " resent_per_drop_kb=%.1f\n",
           before.n, pct(&before, 0.5), pct(&before, 0.99), during.n, pct(&during, 0.5),
           pct(&during, 0.99), pct(&during, 1.0), retries, secs, r.st.items, r.st.drops,
           r.st.sent_bytes, r.st.need_bytes, resent);
    ins_outbox_close(r.ob);
    ins_client_close(r.c);
    if (r.rc != 0)
        fprintf(stderr, "link_tablet: the drain ended with %s\n", strerror(r.rc));
    return bad || r.rc != 0 ? 1 : 0;
}
