/*
 * bench_feed - Departments.PullChanges throughput.
 *
 *   bench_feed fill DIR N
 *       Creates department "bench" (admission checks that the pulling
 *       account's department exists), then writes N change-feed entries ("inspector/B-<n>"
 * "updated", visible to department "bench", plus one in 16 visible only to "other") into a fresh
 * store in DIR with the services' tables, in big ins_store_exec batches, then times the baseline:
 * ins_feed_read of the whole feed in-process with the same visibility test PullChanges applies.
 *       Prints "BASELINE feed_read changes_per_s=<x>".
 *   bench_feed pull HOST:PORT TOKEN N
 *       PullChanges(cursor 0, no follow) with a department token for "bench";
 *       checks that exactly N changes arrive with strictly increasing seqs,
 *       every batch's cursor its last seq. Prints "PULL changes=<n>
 *       batches=<b> seconds=<s> changes_per_s=<x>".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "rec_directory.h"
#include "tables.h"
#include "ins_client.h"
#include "ins_feed.h"
#include "ins_store.h"
#include "inspect/v1/departments.pb-c.h"

#define FILL_BATCH  50000u
#define OTHER_EVERY 16u /* one entry in 16 is not the bench department's */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct fill_ctx {
    uint64_t first, n, total;
} fill_ctx;

static int fill_apply(ins_wtxn *t, void *arg)
{
    const fill_ctx *f = arg;
    static const char *const bench[] = {"bench"};
    static const char *const other[] = {"other"};
    for (uint64_t i = f->first; i < f->first + f->n; i++) {
        char key[48];
        int kl = snprintf(key, sizeof key, "inspector/B-%07" PRIu64, i % 100000u);
        int vis = i % OTHER_EVERY != OTHER_EVERY - 1;
        int rc =
            ins_wtxn_feed(t, "inspector", key, (size_t)kl, "updated", vis ? bench : other, 1, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct read_ctx {
    uint64_t seen, last;
} read_ctx;

/* What PullChanges' pull_pick does before building the message. */
static int on_entry(void *arg, const ins_feed_entry *e)
{
    read_ctx *r = arg;
    int vis = 0;
    for (size_t i = 0; i < e->n_departments && !vis; i++)
        vis = strcmp(e->departments[i], "bench") == 0;
    if (vis) {
        r->seen++;
        r->last = e->seq;
    }
    return 0;
}

static int put_department(ins_wtxn *t, void *arg)
{
    (void)arg;
    Inspect__V1__Department d = INSPECT__V1__DEPARTMENT__INIT;
    d.code = "bench";
    d.name = "bench department";
    d.kind = INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_INDUSTRY;
    return ins_department_put(t, &d, "bench", "created");
}

static int cmd_fill(const char *dir, uint64_t n)
{
    ins_store *s = NULL;
    ins_store_options so = {
        .data_dir = dir,
        .tables = ins_rec_table_names,
        .schema_version = INS_REC_SCHEMA,
        .initial_map_bytes = (size_t)1 << 30,
        .sweep_interval_s = UINT32_MAX,
    };
    int rc = ins_store_open(&so, &s);
    if (rc) {
        fprintf(stderr, "bench_feed: open %s: %s\n", dir, ins_strerror(rc));
        return 1;
    }
    /* The department the pulling account names must exist (admission
     * checks it); its record's feed entry names no department, so the bench
     * department does not see it. */
    rc = ins_store_exec(s, put_department, NULL);
    if (rc) {
        fprintf(stderr, "bench_feed: department: %s\n", ins_strerror(rc));
        ins_store_close(s);
        return 1;
    }
    /* n visible ones: write n + n/15 so that `n` belong to "bench" */
    uint64_t total = n + n / (OTHER_EVERY - 1);
    double t0 = now_s();
    for (uint64_t first = 0; rc == 0 && first < total; first += FILL_BATCH) {
        fill_ctx f = {first, total - first < FILL_BATCH ? total - first : FILL_BATCH, total};
        rc = ins_store_exec(s, fill_apply, &f);
    }
    double t1 = now_s();
    if (rc) {
        fprintf(stderr, "bench_feed: fill: %s\n", ins_strerror(rc));
        ins_store_close(s);
        return 1;
    }
    printf("fill: %" PRIu64 " feed entries (%" PRIu64 " for department bench) in %.2f s\n", total,
           n, t1 - t0);
    /* baseline: the raw feed read, best of 3 */
    double best = 0;
    read_ctx r = {0, 0};
    for (int round = 0; round < 3; round++) {
        r = (read_ctx){0, 0};
        uint64_t cursor = 0, next = 0;
        double a = now_s();
        for (;;) {
            ins_rtxn *rt = NULL;
            rc = ins_store_read_begin(s, &rt);
            if (rc == 0)
                rc = ins_feed_read(rt, cursor, 256, on_entry, &r, &next);
            ins_rtxn_end(rt);
            if (rc || next == cursor)
                break;
            cursor = next;
        }
        double rate = (double)r.seen / (now_s() - a);
        if (rate > best)
            best = rate;
    }
    ins_store_close(s);
    if (rc || r.seen != n) {
        fprintf(stderr, "bench_feed: baseline read %" PRIu64 " of %" PRIu64 ": %s\n", r.seen, n,
                ins_strerror(rc));
        return 1;
    }
    printf("BASELINE feed_read changes_per_s=%.0f (ins_feed_read, 256 per read transaction, "
           "best of 3)\n",
           best);
    return 0;
}

static int cmd_pull(const char *addr, const char *token, uint64_t n)
{
    ins_client_opts o = {
        .target = addr, .token = token, .timeout_ms = 170000, .max_receive_bytes = -1};
    ins_client *c = NULL;
    char *details = NULL;
    if (ins_client_open(&o, &c, &details) != 0) {
        fprintf(stderr, "bench_feed: %s\n", details);
        free(details);
        return 1;
    }
    Inspect__V1__PullChangesRequest req = INSPECT__V1__PULL_CHANGES_REQUEST__INIT;
    ins_stream *st = NULL;
    double t0 = now_s();
    int rc = ins_client_server_stream(c, "/inspect.v1.Departments/PullChanges", &req.base,
                                      &inspect__v1__change_batch__descriptor, INS_TIMEOUT_DEFAULT,
                                      &st, &details);
    if (rc) {
        fprintf(stderr, "bench_feed: PullChanges: %s: %s\n", ins_client_status_name(rc), details);
        free(details);
        ins_client_close(c);
        return 1;
    }
    uint64_t got = 0, batches = 0, last = 0, bad = 0;
    ProtobufCMessage *m = NULL;
    while (ins_stream_recv(st, INS_TIMEOUT_NONE, &m) == 1) {
        Inspect__V1__ChangeBatch *b = (Inspect__V1__ChangeBatch *)m;
        for (size_t i = 0; i < b->n_changes; i++) {
            bad += b->changes[i]->seq <= last;
            last = b->changes[i]->seq;
        }
        bad += b->n_changes == 0 || b->cursor != last;
        got += b->n_changes;
        batches++;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    double secs = now_s() - t0;
    rc = ins_stream_finish(st, &details);
    ins_client_close(c);
    if (rc || got != n || bad) {
        fprintf(stderr,
                "bench_feed: PullChanges ended %s (%s) after %" PRIu64 " of %" PRIu64
                " changes, %" PRIu64 " out of order\n",
                ins_client_status_name(rc), details ? details : "", got, n, bad);
        free(details);
        return 1;
    }
    free(details);
    printf("PULL changes=%" PRIu64 " batches=%" PRIu64 " seconds=%.3f changes_per_s=%.0f\n", got,
           batches, secs, (double)got / secs);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "fill") == 0)
        return cmd_fill(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "pull") == 0)
        return cmd_pull(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    fprintf(stderr, "usage: bench_feed fill DIR N | bench_feed pull HOST:PORT TOKEN N\n");
    return 2;
}
