/*
 * ins_tier.h - the photo tier: content beyond the local disk, in a second
 * blob store (an `s3` one, blobstore/ins_s3.h), with the blob stripes as the
 * landing zone and a local read cache.
 *
 * Uploads land in the blob stripes exactly as without a tier (ins_blob.h).
 * The first reference a record in `meta` takes on a content
 * (ins_wtxn_blob_ref) also queues it for the remote store, in the same
 * transaction (meta/_tierq: sha256 -> TierEntry). Mover threads PUT each
 * queued content under its hash (with Content-MD5 and its SHA-256, which the
 * store verifies), HEAD it to confirm the size, record in meta that it lives
 * remotely (meta/_tier: sha256 -> TierEntry) while dropping the queue row in
 * that same commit, and only then free the local copy, keeping the most
 * recently moved ones up to cache_bytes. Every step can be cut by a crash:
 * a queue row is moved again (a second PUT of the same content is
 * harmless), a local copy of remote content is freed at the next start.
 * Failures back off (1 s doubling to retry_max_s) and are reported by
 * ins_tier_status; the queue drains by itself once the store answers again.
 *
 * Reads go through ins_blob_open (ins_blob.h), which takes the local copy
 * when there is one and streams ranges from the remote store otherwise,
 * verifying the SHA-256 before the last byte is handed out.
 *
 * Thread-safety: every function may be called from any thread once
 * ins_tier_start has returned and until ins_tier_stop is called.
 */
#ifndef INS_TIER_H
#define INS_TIER_H

#include <stdint.h>

#include "ins_bstore.h"
#include "ins_store.h"

typedef struct ins_tier_options {
    ins_bstore remote;      /* the object store; ins_tier_start takes it over */
    uint64_t cache_bytes;   /* local copies of moved content kept; 0: none */
    uint64_t landing_bytes; /* backlog at which uploads are refused; 0: no limit */
    unsigned movers;        /* mover threads; 0 = 2 */
    unsigned retry_max_s;   /* longest wait between failed attempts; 0 = 30 */
    const char *describe;   /* e.g. "s3://bucket/prefix at http://host" (copied) */
} ins_tier_options;

/*
 * Attaches the tier to an open store and starts its movers. Local copies of
 * content already recorded as remote beyond cache_bytes are freed first.
 * On error nothing is attached and the remote store is closed.
 * Errors: INS_EEXIST (a tier is attached), ENOMEM, errno from
 * pthread_create, LMDB errors.
 */
int ins_tier_start(ins_store *s, const ins_tier_options *o);

/* Stops the movers (a move in flight finishes or is abandoned, to be done
 * again), closes the remote store. ins_store_close calls it first; a
 * caller may stop the tier earlier. NULL-safe, and a no-op without a tier. */
void ins_tier_stop(ins_store *s);

/* Non-zero when a tier is attached. Can't fail. */
int ins_tier_enabled(ins_store *s);

typedef struct ins_tier_status {
    int enabled;
    char store[600];      /* what options.describe said */
    uint64_t local_bytes; /* photo content held in the blob stripes */
    uint64_t local_count;
    uint64_t backlog_count; /* queued, not yet in the remote store */
    uint64_t backlog_bytes;
    int64_t oldest_waiting_unix;    /* queued time of the oldest; 0: none */
    uint64_t remote_count;          /* recorded as in the remote store */
    uint64_t cached_bytes;          /* local copies of remote content */
    uint64_t moved;                 /* moves since start */
    uint64_t data_loss;             /* remote reads that failed their SHA-256 */
    int64_t unreachable_since_unix; /* 0: the last attempt reached it */
    int64_t last_error_unix;
    char last_error[1200];  /* "" if none since start */
    uint64_t landing_bytes; /* the option */
} ins_tier_status;

/* Fills *st (st->enabled 0 and counts of the stripes only without a tier).
 * Errors: LMDB errors. */
int ins_tier_status_get(ins_store *s, ins_tier_status *st);

/*
 * Queues every referenced content that is neither queued nor remote: moves
 * a store that had no tier into the object store. *queued (optional)
 * receives how many were queued. Errors: INS_ESTATE (no tier), INS_EFULL,
 * LMDB errors.
 */
int ins_tier_migrate(ins_store *s, uint64_t *queued);

/*
 * The collector's view of the object store: calls fn for every object under
 * the prefix that meta neither records as remote nor has queued (left by a
 * store restored from an older backup, or written by hand). They are only
 * listed, never deleted here: whether to keep them is the operator's call.
 * Errors: INS_ESTATE (no tier), the remote store's list errors, LMDB errors,
 * or what fn stopped with.
 */
int ins_tier_orphans(ins_store *s, ins_bstore_list_fn fn, void *arg);

/*
 * Admission of a new upload of `size` bytes: with a landing limit, refuses
 * (INS_EFULL, a sentence starting with INS_MSG_STORE_FULL in why, saying
 * since when the object store is unreachable) once the backlog would pass
 * it. Returns 0 (always without a tier or limit) or INS_EFULL.
 */
int ins_tier_admit(ins_store *s, uint64_t size, char *why, size_t whylen);

#endif /* INS_TIER_H */
