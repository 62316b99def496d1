/*
 * bench_commit - durable commits per second through the storage writer:
 * one submitter (one mutation per transaction), then 64 and 256 concurrent
 * submitters sharing commits (group commit). Each mutation writes a record,
 * a feed entry and an audit entry, as a service call would.
 * Usage: bench_commit DIR [seconds-per-phase]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ins_audit.h"
#include "ins_feed.h"
#include "ins_store.h"

static const char *const tables[] = {"rec", NULL};
static atomic_ulong next_id;
static atomic_int stop;
static ins_store *store;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int apply(ins_wtxn *t, void *arg)
{
    unsigned long id = *(unsigned long *)arg;
    char key[24], val[96];
    int kl = snprintf(key, sizeof(key), "app-%012lu", id);
    int vl = snprintf(val, sizeof(val), "{\"id\":%lu,\"stage\":\"review\",\"town\":\"xindu\"}", id);
    static const char *const deps[] = {"fire"};
    int rc = ins_wtxn_put(t, 0, key, (size_t)kl, val, (size_t)vl, 0);
    if (rc == 0)
        rc = ins_wtxn_feed(t, "application", key, (size_t)kl, "updated", deps, 1, NULL);
    if (rc == 0)
        rc =
            ins_wtxn_audit(t, "bench", "UpsertApplication", key, (size_t)kl, val, (size_t)vl, NULL);
    return rc;
}

static void *submitter(void *arg)
{
    unsigned long *count = arg;
    while (!atomic_load(&stop)) {
        unsigned long id = atomic_fetch_add(&next_id, 1);
        if (ins_store_exec(store, apply, &id) != 0) {
            fprintf(stderr, "commit failed\n");
            exit(1);
        }
        (*count)++;
    }
    return NULL;
}

static double phase(int threads, double seconds)
{
    pthread_t *th = calloc((size_t)threads, sizeof(*th));
    unsigned long *counts = calloc((size_t)threads, sizeof(*counts));
    atomic_store(&stop, 0);
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, submitter, &counts[i]);
    struct timespec d = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store(&stop, 1);
    unsigned long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += counts[i];
    }
    double rate = (double)total / (now_s() - t0);
    free(th);
    free(counts);
    return rate;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_commit DIR [seconds]\n");
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 3.0;
    ins_store_options o = {.data_dir = argv[1],
                           .tables = tables,
                           .schema_version = 1,
                           .initial_map_bytes = (size_t)256 << 20,
                           .sweep_interval_s = UINT32_MAX};
    int rc = ins_store_open(&o, &store);
    if (rc) {
        fprintf(stderr, "open %s: %s\n", argv[1], ins_strerror(rc));
        return 1;
    }
    double single = phase(1, secs);
    printf("single submitter      : %10.0f commits/s (one mutation per transaction)\n", single);
    double g64 = phase(64, secs);
    printf("64 submitters (group) : %10.0f mutations/s durable\n", g64);
    double g256 = phase(256, secs);
    printf("256 submitters (group): %10.0f mutations/s durable\n", g256);
    uint64_t bad = 0;
    rc = ins_audit_verify(store, 0, 0, &bad);
    printf("audit chain           : %s, %llu entries\n", rc ? "BROKEN" : "verified",
           (unsigned long long)ins_audit_last(store));
    ins_store_close(store);
    printf("RESULT commit ratio=%.1f group256_per_s=%.0f\n", g256 / single, g256);
    return rc ? 1 : 0;
}
