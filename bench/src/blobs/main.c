/*
 * bench_blobs - durable ingest of 64 KiB chunks into the blob store: N
 * concurrent uploads append chunks, up to WINDOW in flight per upload as a
 * client stream delivers them (each acknowledged only once durable; queued
 * appends share commits), then finish (size and SHA-256 check).
 * Prints MB/s of the ingest phase on the last line as "STORE_MBS <value>".
 *
 * The upload bytes come from a fixed pseudo-random generator (incompressible,
 * the same in every run); `--write-input FILE` writes exactly those bytes, in
 * upload order, so bench/blobs can give dd the same bytes to write.
 *
 * Usage: bench_blobs DIR TOTAL_MIB [uploads]
 *        bench_blobs --write-input FILE TOTAL_MIB [uploads]
 */
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

#define CHUNK  65536
#define WINDOW 8

static ins_store *store;
static size_t per_upload;

typedef struct up {
    char id[32];
    uint8_t *data;
    uint8_t sha[32];
} up;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Upload i's bytes: splitmix64 seeded by i. */
static void fill(uint8_t *p, size_t n, int i)
{
    uint64_t x = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
    for (size_t j = 0; j < n; j += 8) {
        uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        memcpy(p + j, &z, n - j < 8 ? n - j : 8);
    }
}

typedef struct inflight {
    sem_t slots;
    int err;
} inflight;

static void append_done(void *arg, int err, uint64_t committed)
{
    inflight *f = arg;
    (void)committed;
    if (err)
        f->err = err;
    sem_post(&f->slots);
}

/* One upload as a gRPC client stream delivers it: chunks keep arriving while
 * earlier ones commit, so up to WINDOW appends of the upload are queued. */
static void *ingest(void *arg)
{
    up *u = arg;
    inflight f = {.err = 0};
    sem_init(&f.slots, 0, WINDOW);
    for (size_t off = 0; off < per_upload; off += CHUNK) {
        sem_wait(&f.slots);
        int rc;
        while ((rc = ins_blob_append_async(store, u->id, off, u->data + off, CHUNK, append_done,
                                           &f)) == INS_EBUSY)
            sched_yield();
        if (rc || f.err) {
            fprintf(stderr, "append %s@%zu: %s\n", u->id, off, ins_strerror(rc ? rc : f.err));
            exit(1);
        }
    }
    for (int i = 0; i < WINDOW; i++)
        sem_wait(&f.slots);
    if (f.err) {
        fprintf(stderr, "append %s: %s\n", u->id, ins_strerror(f.err));
        exit(1);
    }
    return NULL;
}

static int write_input(const char *path, int n)
{
    FILE *f = fopen(path, "wb");
    uint8_t *buf = malloc(per_upload);
    if (!f || !buf) {
        perror(path);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        fill(buf, per_upload, i);
        if (fwrite(buf, 1, per_upload, f) != per_upload) {
            perror(path);
            return 1;
        }
    }
    free(buf);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    int gen = argc > 1 && strcmp(argv[1], "--write-input") == 0;
    if (argc < 3 + gen) {
        fprintf(stderr, "usage: bench_blobs [--write-input FILE | DIR] TOTAL_MIB [uploads]\n");
        return 2;
    }
    argv += gen;
    argc -= gen;
    size_t total = (size_t)atol(argv[2]) << 20;
    int n = argc > 3 ? atoi(argv[3]) : 16;
    if (n < 1 || total / (size_t)n < CHUNK) {
        fprintf(stderr, "need at least one 64 KiB chunk per upload\n");
        return 2;
    }
    per_upload = total / (size_t)n / CHUNK * CHUNK;
    if (gen)
        return write_input(argv[1], n);
    ins_store_options o = {.data_dir = argv[1],
                           .schema_version = 1,
                           .initial_map_bytes = total + total / 4,
                           .max_store_bytes = (size_t)16 << 30,
                           .queue_capacity = 4096,
                           .sweep_interval_s = UINT32_MAX};
    int rc = ins_store_open(&o, &store);
    if (rc) {
        fprintf(stderr, "open: %s\n", ins_strerror(rc));
        return 1;
    }
    up *u = calloc((size_t)n, sizeof(*u));
    pthread_t *th = calloc((size_t)n, sizeof(*th));
    for (int i = 0; i < n; i++) {
        snprintf(u[i].id, sizeof(u[i].id), "bench-%d", i);
        u[i].data = malloc(per_upload);
        fill(u[i].data, per_upload, i);
        unsigned int hl = 32;
        EVP_Digest(u[i].data, per_upload, u[i].sha, &hl, EVP_sha256(), NULL);
        if ((rc = ins_blob_stage_begin(store, u[i].id, per_upload, u[i].sha, NULL)) != 0) {
            fprintf(stderr, "stage: %s\n", ins_strerror(rc));
            return 1;
        }
    }
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, ingest, &u[i]);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    double t1 = now_s();
    for (int i = 0; i < n; i++) {
        uint8_t got[32];
        if ((rc = ins_blob_finish(store, u[i].id, got)) != 0 || memcmp(got, u[i].sha, 32)) {
            fprintf(stderr, "finish: %s\n", ins_strerror(rc));
            return 1;
        }
        free(u[i].data);
    }
    double fin = now_s() - t1;
    double bytes = (double)(per_upload * (size_t)n);
    double mbs = bytes / secs / 1e6;
    printf("  store: %d uploads x %zu KiB in 64 KiB chunks, %.2f s, %.0f MB/s durable; "
           "finish (size + SHA-256 check) of all %.3f s, %.0f MB/s with finish; "
           "%llu of %d re-hashed\n",
           n, per_upload >> 10, secs, mbs, fin, bytes / (secs + fin) / 1e6,
           (unsigned long long)ins_blob_rehashes(store), n);
    ins_store_close(store);
    free(u);
    free(th);
    printf("STORE_MBS %.1f\n", mbs);
    return 0;
}
