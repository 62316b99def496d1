/*
 * ins_histo.h - a fixed-bucket histogram that many threads may feed at once
 * without a lock, read whole when metrics are scraped.
 *
 * Values are whole numbers in the unit the owner chooses (nanoseconds for a
 * latency, items for a batch size); `bounds` are the inclusive upper edges
 * of the buckets in that unit, ascending, at most INS_HISTO_MAX of them,
 * plus the implicit +Inf bucket. Counts are per bucket (not cumulative);
 * the exposition writer adds them up. The bounds array is borrowed and must
 * outlive the histogram (a static table).
 *
 * Observing is one relaxed atomic add on the bucket and one on the sum: no
 * lock, no allocation. A reader may see a count and a sum from slightly
 * different instants, as Prometheus clients do.
 */
#ifndef INS_HISTO_H
#define INS_HISTO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define INS_HISTO_MAX 16

typedef struct ins_histo {
    const uint64_t *bounds; /* borrowed, n_bounds ascending upper edges */
    size_t n_bounds;
    atomic_uint_fast64_t count[INS_HISTO_MAX + 1]; /* last one: above every bound */
    atomic_uint_fast64_t sum;
} ins_histo;

/* Latency buckets in nanoseconds: 0.5 ms .. 10 s, the grpc-prometheus range. */
extern const uint64_t ins_histo_latency_ns[];
extern const size_t ins_histo_latency_n;

/* Sets every count to zero and adopts `bounds` (n <= INS_HISTO_MAX; more are
 * ignored). Not thread-safe: before the histogram is shared. Can't fail. */
void ins_histo_init(ins_histo *h, const uint64_t *bounds, size_t n);

/* Counts one observation of `v`. Any thread. Can't fail. */
void ins_histo_observe(ins_histo *h, uint64_t v);

/* Adds the counts and sum of `from` into `into`, which must have the same
 * bounds (merging per-worker histograms on scrape). Can't fail. */
void ins_histo_merge(ins_histo *into, const ins_histo *from);

#endif /* INS_HISTO_H */
