/*
 * tier_impl.h - what the files of the photo tier share (storage/tier*.c,
 * and the hooks blob_read.c, blob_finish.c and blob_reader.c call; the
 * public API is ins_tier.h). tier.c holds the state, the two meta tables
 * and the status; tier_mover.c the mover threads and the local cache.
 *
 * Lock rules: `mu` guards every field marked so; never wait for a writer or
 * the remote store while holding it.
 */
#ifndef INS_TIER_IMPL_H
#define INS_TIER_IMPL_H

#include "ins_tier.h"
#include "store_impl.h"

#define TIER_MOVERS_MAX 8

/* A local copy of remote content, in the cache (oldest first). */
typedef struct tier_cached {
    uint8_t sha[32];
    uint64_t size;
} tier_cached;

struct ins_tier;

/* What a mover thread is given: its tier and its slot. */
typedef struct tier_mover {
    struct ins_tier *tr;
    unsigned idx;
} tier_mover;

typedef struct ins_tier {
    ins_store *s;
    ins_tier_options o;
    ins_bstore local; /* the `lmdb` store over the stripes: what is moved from */
    char describe[600];
    pthread_t th[TIER_MOVERS_MAX];
    tier_mover mv[TIER_MOVERS_MAX];
    unsigned n_th;

    pthread_mutex_t mu;
    pthread_cond_t cv; /* mu: stop, a kick, a claim released */
    int stop;          /* mu */
    int kicked;        /* mu: something was queued */
    /* mu: what each mover is moving (claimed[i] valid when busy[i]) */
    uint8_t claimed[TIER_MOVERS_MAX][32];
    int busy[TIER_MOVERS_MAX];
    /* mu: failures */
    uint64_t unreachable_since_ns, last_error_ns, next_try_ns;
    unsigned backoff_s;
    char last_error[1200];
    /* mu: the local cache of moved content, a FIFO */
    tier_cached *cache;
    size_t n_cache, cap_cache;
    uint64_t cached_bytes;

    atomic_uint_fast64_t moved, data_loss;
} ins_tier;

/* ---- tier.c ---- */

/* The TierEntry of `sha` in meta table `which` (MT_TIER or MT_TIERQ) in
 * the snapshot txn. Returns 0 (fills size/queued/moved, each optional),
 * INS_ENOTFOUND, INS_ECORRUPT, LMDB errors. */
int ins__tier_entry(MDB_txn *txn, ins_store *s, int which, const uint8_t sha[32], uint64_t *size,
                    uint64_t *queued_ns, uint64_t *moved_ns);
/* Is `sha` recorded as remote (whether a tier is attached now or not)? A
 * read of meta of its own. 0: yes (size optional), INS_ENOTFOUND, LMDB errors. */
int ins__tier_remote(ins_store *s, const uint8_t sha[32], uint64_t *size);
/* Inside apply on meta, with a tier: queues `sha` unless it is remote or
 * queued; *queued (optional) says whether it did. Returns 0 or an LMDB error. */
int ins__tier_enqueue(ins_wtxn *t, const uint8_t sha[32], uint64_t size, int *queued);
/* One row of the queue: its content and entry. Return non-zero to stop. */
typedef int (*tier_queue_fn)(void *arg, const uint8_t sha[32],
                             const Inspect__Storage__TierEntry *e);
/* Walks the queue in a snapshot of its own, calling fn for every row (rows
 * that do not decode are skipped), and adds up *count, *bytes and the
 * oldest queued time (*oldest_ns, 0 if none). Errors: LMDB errors, or what
 * fn stopped with. */
int ins__tier_queue_walk(ins_store *s, tier_queue_fn fn, void *arg, uint64_t *count,
                         uint64_t *bytes, uint64_t *oldest_ns);
/* Records a failure (rc, its sentence) for the status; INS_EUNREACH starts
 * the "unreachable since" clock. Takes mu. */
void ins__tier_failed(ins_tier *tr, int rc, const char *msg);
/* The remote store answered: stops that clock. Takes mu. */
void ins__tier_reached(ins_tier *tr);
/* Stores a TierEntry under sha in meta table `which`. Errors: ins__put's. */
int ins__tier_put(ins_wtxn *t, int which, const uint8_t sha[32], uint64_t size, uint64_t queued_ns,
                  uint64_t moved_ns);

/* ---- tier_mover.c ---- */

/* Starts the movers. Errors: errno from pthread_create (then none runs). */
int ins__tier_movers_start(ins_tier *tr);
/* Frees local copies of remote content beyond the cache, filling the cache
 * with the rest (at start). Errors: LMDB errors. */
int ins__tier_cache_load(ins_tier *tr);

/* ---- blob_sweep.c ---- */

/* Frees the local copy of content `sha` in every stripe (its remote copy is
 * recorded). Gone already is success. Errors: INS_ESHUTDOWN, LMDB errors. */
int ins__blob_evict(ins_store *s, const uint8_t sha[32]);

#endif /* INS_TIER_IMPL_H */
