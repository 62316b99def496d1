/*
 * upload_data.h - the bytes of bench/upload's photos, shared by the load
 * client and the store-only ingest so both write exactly the same bytes.
 *
 * Upload i of a run with seed S is splitmix64 output seeded by (S, i):
 * incompressible and distinct per upload (nothing dedups), and a new seed per
 * run keeps a rerun from finding its photos already stored.
 */
#ifndef BENCH_UPLOAD_DATA_H
#define BENCH_UPLOAD_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define UPLOAD_CHUNK_DEFAULT 65536

static inline uint64_t upload_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The state starts at a scrambled point per (seed, upload), so two uploads'
 * streams are not shifted copies of each other. */
static inline void upload_fill(uint8_t *p, size_t n, uint64_t seed, int i)
{
    uint64_t x = upload_mix(upload_mix(seed ^ 0x5851F42D4C957F2DULL) +
                            0x9E3779B97F4A7C15ULL * ((uint64_t)i + 1));
    for (size_t j = 0; j < n; j += 8) {
        uint64_t z = upload_mix(x += 0x9E3779B97F4A7C15ULL);
        memcpy(p + j, &z, n - j < 8 ? n - j : 8);
    }
}

#endif /* BENCH_UPLOAD_DATA_H */
