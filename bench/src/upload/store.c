/*
 * bench_upload_store - the blob store's own durable ingest of bench/upload's
 * photos, without gRPC: the storage limit inspectd's UploadPhoto sits under.
 *
 *   bench_upload_store DIR [--uploads N] [--mib M] [--chunk BYTES]
 *                      [--window W] [--seed S]
 *
 * Opens a fresh store in DIR with the options inspectd opens it with (the map
 * starts small and grows), makes the same N (16) uploads of M (32) MiB as
 * bench_upload_client with the same seed (upload_data.h: the same bytes) and
 * their SHA-256 before the clock starts, then releases N threads at once;
 * each does what UploadPhoto does to the store: ins_blob_stage_begin,
 * ins_blob_append_async of every chunk in order with up to W (8) appends in
 * flight (as a client stream delivers them; each acknowledged once durable,
 * queued appends share commits), then ins_blob_finish (size and SHA-256
 * check, content filed under its hash). The clock stops at the last finish.
 * Prints a summary and last "STORE_MBS <MB/s>" (MB = 10^6 bytes).
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "ins_blob.h"
#include "ins_store.h"
#include "upload_data.h"

typedef struct up {
    char id[64];
    uint8_t *data;
    uint8_t sha[32];
    double end;
    int err;
    const char *what;
} up;

typedef struct inflight {
    sem_t slots;
    int err;
} inflight;

static ins_store *store;
static size_t size, chunk;
static int window = 8;
static pthread_barrier_t start_line;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void append_done(void *arg, int err, uint64_t committed)
{
    inflight *f = arg;
    (void)committed;
    if (err)
        f->err = err;
    sem_post(&f->slots);
}

static void *ingest(void *arg)
{
    up *u = arg;
    inflight f = {.err = 0};
    int rc;
    sem_init(&f.slots, 0, (unsigned)window);
    pthread_barrier_wait(&start_line);
    if ((rc = ins_blob_stage_begin(store, u->id, size, u->sha, NULL)) != 0) {
        u->what = "stage";
        goto out;
    }
    for (size_t off = 0; off < size && !f.err; off += chunk) {
        size_t len = size - off < chunk ? size - off : chunk;
        sem_wait(&f.slots);
        while ((rc = ins_blob_append_async(store, u->id, off, u->data + off, len, append_done,
                                           &f)) == INS_EBUSY)
            sched_yield();
        if (rc) {
            sem_post(&f.slots);
            u->what = "append";
            break;
        }
    }
    for (int i = 0; i < window; i++)
        sem_wait(&f.slots);
    if (!rc && f.err) {
        rc = f.err;
        u->what = "append";
    }
    if (!rc) {
        uint8_t got[32];
        rc = ins_blob_finish(store, u->id, got);
        if (!rc && memcmp(got, u->sha, 32) != 0)
            rc = INS_EDATALOSS;
        u->what = "finish";
    }
out:
    u->err = rc;
    u->end = now_s();
    sem_destroy(&f.slots);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = 16;
    size_t mib = 32;
    uint64_t seed = 1;
    chunk = UPLOAD_CHUNK_DEFAULT;
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: bench_upload_store DIR [--uploads N] [--mib M] [--chunk BYTES] "
                        "[--window W] [--seed S]\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *v = argv[i + 1];
        if (strcmp(argv[i], "--uploads") == 0)
            n = atoi(v);
        else if (strcmp(argv[i], "--mib") == 0)
            mib = (size_t)atol(v);
        else if (strcmp(argv[i], "--chunk") == 0)
            chunk = (size_t)atol(v);
        else if (strcmp(argv[i], "--window") == 0)
            window = atoi(v);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "bench_upload_store: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (n < 1 || n > 1024 || mib < 1 || chunk < 1 || chunk > (1u << 20) || window < 1 ||
        window > 1024) {
        fprintf(stderr, "bench_upload_store: bad --uploads/--mib/--chunk/--window\n");
        return 2;
    }
    size = mib << 20;
    /* As inspectd opens it (server/main.c), but no sweep during the run. */
    ins_store_options o = {
        .data_dir = argv[1], .schema_version = 1, .sweep_interval_s = UINT32_MAX};
    int rc = ins_store_open(&o, &store);
    if (rc) {
        fprintf(stderr, "bench_upload_store: open %s: %s\n", argv[1], ins_strerror(rc));
        return 1;
    }
    up *u = calloc((size_t)n, sizeof *u);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    for (int i = 0; i < n; i++) {
        snprintf(u[i].id, sizeof u[i].id, "bench-%" PRIu64 "-%d", seed, i);
        if (!(u[i].data = malloc(size))) {
            fprintf(stderr, "bench_upload_store: out of memory\n");
            return 1;
        }
        upload_fill(u[i].data, size, seed, i);
        unsigned int hl = 32;
        EVP_Digest(u[i].data, size, u[i].sha, &hl, EVP_sha256(), NULL);
    }
    pthread_barrier_init(&start_line, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, ingest, &u[i]);
    double t0 = now_s();
    pthread_barrier_wait(&start_line);
    double last = t0;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (u[i].err) {
            failed++;
            fprintf(stderr, "bench_upload_store: upload %d: %s: %s\n", i, u[i].what,
                    ins_strerror(u[i].err));
        }
        if (u[i].end > last)
            last = u[i].end;
        free(u[i].data);
    }
    double secs = last - t0;
    double mbs = (double)n * (double)size / secs / 1e6;
    printf("  store: %d uploads x %zu MiB in %zu KiB chunks, %d appends in flight each, "
           "stage + appends + finish: %.2f s, %.0f MB/s durable, %llu re-hashed at finish%s\n",
           n, mib, chunk >> 10, window, secs, mbs, (unsigned long long)ins_blob_rehashes(store),
           failed ? "  ** FAILED UPLOADS **" : "");
    ins_store_close(store);
    free(u);
    free(th);
    printf("STORE_MBS %.1f\n", failed ? 0.0 : mbs);
    return failed ? 1 : 0;
}
