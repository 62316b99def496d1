/*
 * histo.c - lock-free fixed-bucket histograms (see ins_histo.h).
 */
#include "ins_histo.h"

const uint64_t ins_histo_latency_ns[] = {
    500000,    1000000,   2500000,   5000000,    10000000,   25000000,   50000000,
    100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
const size_t ins_histo_latency_n = sizeof ins_histo_latency_ns / sizeof ins_histo_latency_ns[0];

void ins_histo_init(ins_histo *h, const uint64_t *bounds, size_t n)
{
    h->bounds = bounds;
    h->n_bounds = n < INS_HISTO_MAX ? n : INS_HISTO_MAX;
    for (size_t i = 0; i <= INS_HISTO_MAX; i++)
        atomic_init(&h->count[i], 0);
    atomic_init(&h->sum, 0);
}

void ins_histo_observe(ins_histo *h, uint64_t v)
{
    size_t i = 0;
    while (i < h->n_bounds && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->count[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
}

void ins_histo_merge(ins_histo *into, const ins_histo *from)
{
    for (size_t i = 0; i <= from->n_bounds && i <= INS_HISTO_MAX; i++)
        atomic_fetch_add_explicit(&into->count[i],
                                  atomic_load_explicit(&from->count[i], memory_order_relaxed),
                                  memory_order_relaxed);
    atomic_fetch_add_explicit(&into->sum, atomic_load_explicit(&from->sum, memory_order_relaxed),
                              memory_order_relaxed);
}
