/*
 * ins_store.h - the inspectd storage engine: opening a store, the one
 * writer with group commit, write transactions for mutations, and pooled
 * read transactions.
 *
 * A store is a data folder holding five LMDB environments, each with its own
 * writer thread: `meta` (records, indexes, change feed, audit chain,
 * idempotency results) and four blob stripes `blobs`, `blobs-1` .. `blobs-3`
 * (photo bytes, see ins_blob.h; a photo lives in the stripe its id hashes
 * to, so one stripe copies while another syncs). Upper layers declare their
 * own named tables in `meta` when they open the store and address them by
 * index (ins_table).
 *
 * Writing. Every change is an ins_mutation submitted to the store. The meta
 * writer thread drains the queue and applies every waiting mutation inside
 * one write transaction, each in its own nested transaction so that a
 * mutation that fails is rolled back alone. The transaction is then committed durably and
 * only after that is each mutation's `done` called. Nothing is acknowledged
 * before it is on disk.
 *
 * Reading. ins_store_read_begin hands out a read-only snapshot from a pool of
 * reset LMDB transactions (MDB_NOTLS, renewed on reuse). Hold it for one
 * request only, never across a network wait, and never while waiting for the
 * writer (ins_store_exec, blocking blob calls): the writer may need every
 * reader gone to grow the map.
 *
 * Errors are ins_error.h codes, LMDB codes, or positive errno values.
 * Space and I/O failures of a commit (see ins_store_space): INS_EFULL at
 * max_store_bytes, ENOSPC on a full filesystem, EIO when a write or sync of
 * the data failed (the batch is not acknowledged; the next batch retries, as
 * LMDB never overwrites committed pages). When the meta page itself cannot
 * be written LMDB stops the environment (MDB_PANIC): its writes then fail
 * with MDB_PANIC until the store is opened again, which recovers the last
 * durable commit.
 * Thread safety: every function here is thread-safe unless it says otherwise;
 * an ins_rtxn or ins_wtxn is used by one thread at a time.
 */
#ifndef INS_STORE_H
#define INS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ins_error.h"

typedef struct ins_store ins_store;
typedef struct ins_wtxn ins_wtxn;
typedef struct ins_rtxn ins_rtxn;

/* Index into ins_store_options.tables. */
typedef unsigned ins_table;

/* A borrowed byte range. */
typedef struct ins_val {
    const void *data;
    size_t len;
} ins_val;

/*
 * A schema migration of the upper layers' tables, run inside the write
 * transaction that opens an older store. `to_version` is the schema version
 * the store has once `fn` returns 0. Returning non-zero aborts the open with
 * that error and leaves the store as it was.
 */
typedef struct ins_migration {
    uint32_t to_version;
    int (*fn)(ins_wtxn *t, void *arg);
    void *arg;
} ins_migration;

typedef struct ins_store_options {
    const char *data_dir;      /* required; created if missing */
    size_t initial_map_bytes;  /* first map of meta, at most 1/8 of the limit; 0 = 16 MiB */
    size_t max_store_bytes;    /* the whole data folder: every map together; 0 = 64 GiB */
    unsigned idempotency_days; /* 0 = 30 */
    uint64_t upload_ttl_s;     /* staged uploads, unreferenced blobs; 0 = 86400 */
    size_t queue_capacity;     /* pending mutations per writer; 0 = 4096 */
    unsigned sweep_interval_s; /* background sweeps; 0 = 600; UINT32_MAX = never */
    /* NULL-terminated table names; names starting with '_' are reserved. */
    const char *const *tables;
    /* Schema of the upper layers' tables: a new store is stamped with
     * `schema_version`; an older one runs the migrations whose to_version
     * lies above its stamp, in ascending order, in one transaction. */
    uint32_t schema_version;
    /* The district the store belongs to (a code of ins_district.h), stamped
     * in meta/_schema "district" at the first open that names one; an open
     * naming another is refused with INS_ESTATE (see err_detail). NULL: not
     * checked (offline tools, tests). */
    const char *district;
    const ins_migration *migrations;
    size_t n_migrations;
    /* Wall clock in ns since the epoch; NULL = CLOCK_REALTIME. Tests pass a
     * fake clock to exercise expiry. Called from any thread. */
    uint64_t (*clock_ns)(void *arg);
    void *clock_arg;
    /* Optional buffer that receives a sentence explaining a failed open
     * (e.g. which schema version is newer). */
    char *err_detail;
    size_t err_detail_len;
} ins_store_options;

/*
 * Opens (creating if needed) the store in opt->data_dir and starts its writer
 * threads and the background sweep. Clears stale reader slots left by dead
 * processes (mdb_reader_check). The caller owns *out and frees it with
 * ins_store_close. Open a data folder once per process.
 * Errors: INS_EINVAL (missing data_dir, reserved or too many table names),
 * INS_ESCHEMA (written by a newer inspectd; see err_detail), INS_ESTATE
 * (the store belongs to another district than opt->district), errors of a
 * migration, LMDB errors (MDB_INVALID, MDB_VERSION_MISMATCH, ...), errno
 * (EACCES, ENOSPC, ENOMEM, ...). On error *out is NULL and nothing is left
 * running.
 */
int ins_store_open(const ins_store_options *opt, ins_store **out);

/*
 * Stops accepting mutations, lets every writer (meta and the blob stripes)
 * drain and complete what is queued, stops the sweep, and frees the store.
 * Every ins_rtxn must have been ended. NULL is a no-op. Can't fail.
 */
void ins_store_close(ins_store *s);

/* Result handed to `done`. `data` is valid only during the callback. */
typedef struct ins_result {
    const void *data; /* bytes set by ins_wtxn_set_result, or replayed */
    size_t len;
    int replayed;      /* 1: the request id was seen; apply did not run */
    uint64_t feed_seq; /* last feed sequence committed with this batch */
} ins_result;

/*
 * A mutation. The caller owns the struct and everything it points to until
 * `done` has returned; it may embed it in a larger struct.
 */
typedef struct ins_mutation {
    /* Runs on the writer thread inside a nested write transaction. Return 0
     * to keep its changes, or an error to roll back its changes alone (the
     * error reaches `done`). It may run more than once (the batch is redone
     * after the map grows), so it must have no effect outside `t`. It must not
     * block or call back into the store except through `t`. */
    int (*apply)(ins_wtxn *t, void *arg);
    /* Runs on the writer thread once the batch has committed durably (err 0)
     * or the mutation failed. No storage lock is held; it may do brief work
     * (e.g. start a gRPC batch) but must not wait for the writer. May be NULL. */
    void (*done)(void *arg, int err, const ins_result *r);
    void *arg;
    /* Optional idempotency key. When request_id is non-NULL, the engine looks
     * up (principal, request_id): found with the same digest, apply is not
     * run and `done` gets the stored result with replayed=1; found with a
     * different digest, done gets INS_EREUSED; not found, apply runs and its
     * result is stored with the digest in the same transaction. Only
     * successful mutations are remembered. */
    const char *principal;
    const char *request_id;
    uint8_t digest[32]; /* e.g. SHA-256 of the request message */

    /* Engine-private from here on; zero-initialise. */
    struct ins_mutation *next_;
    int err_;
    int replayed_;
    void *result_;
    size_t result_len_;
    int skip_;
} ins_mutation;

/*
 * Queues `m` for the writer. Does not block.
 * Returns 0 (done will be called exactly once), INS_EBUSY when the bounded
 * queue is full (push back; done is not called), INS_ESHUTDOWN when the store
 * is closing, INS_EINVAL when apply is NULL.
 */
int ins_store_submit(ins_store *s, ins_mutation *m);

/*
 * Blocking convenience for tools and tests: submits a mutation without
 * idempotency key, waiting while the queue is full, and returns its error
 * after the durable commit. Must not be called on the writer thread or while
 * holding an ins_rtxn.
 */
int ins_store_exec(ins_store *s, int (*apply)(ins_wtxn *t, void *arg), void *arg);

/*
 * Registers the commit hook: after each committed batch that advanced the
 * change feed, `cb(arg, last_seq)` runs on the writer thread with no storage
 * lock held (the server wakes following streams from it). Replaces any
 * earlier hook; NULL removes it. Call it before traffic starts.
 */
void ins_store_on_commit(ins_store *s, void (*cb)(void *arg, uint64_t last_seq), void *arg);

/*
 * Runs every background sweep now and waits for it: expired idempotency
 * entries, staged uploads untouched for the upload TTL, unreferenced blobs.
 * Returns 0 or the first error met.
 */
int ins_store_sweep(ins_store *s);

/* Current wall clock of the store (its clock_ns option). Can't fail. */
uint64_t ins_store_now(ins_store *s);

/* Bytes of the meta and blobs maps as currently sized. Can't fail. */
void ins_store_map_sizes(ins_store *s, size_t *meta, size_t *blobs);

/*
 * Space. max_store_bytes bounds the sum of the maps of meta and every blob
 * stripe; *used (optional) receives that sum, *limit (optional) the bound.
 * A write that needs a map to grow past the bound fails with INS_EFULL; one
 * that meets a full filesystem fails with ENOSPC and changes nothing (every
 * data file is reserved before it is written, through the map or not, so a
 * full disk is never a crash). Neither stops reads, and writes succeed again by
 * themselves once space returns. Can't fail.
 */
void ins_store_space(ins_store *s, size_t *used, size_t *limit);

/* ---- figures for metrics (stats.c) ----------------------------------- */

/* One environment's figures. Pointers stay valid until ins_store_close. */
typedef struct ins_store_env_stats {
    const char *name;                   /* "meta", "blobs", "blobs-1", ... */
    size_t map_bytes;                   /* the map as sized now (charged to max_store_bytes) */
    size_t used_bytes;                  /* pages in use (last page number + 1) x page size */
    size_t queue_depth;                 /* mutations waiting for its writer */
    const struct ins_histo *commit_ns;  /* per batch: start to durable commit, ns */
    const struct ins_histo *batch_size; /* mutations per committed batch */
} ins_store_env_stats;

/* Number of environments (meta and every blob stripe). Can't fail. */
size_t ins_store_env_count(const ins_store *s);

/* Figures of environment `i` (0 = meta). Returns 0, INS_EINVAL for an index
 * out of range, or an LMDB error from reading its page count. */
int ins_store_env_stats_get(ins_store *s, size_t i, ins_store_env_stats *out);

/* Entries in the engine's own tables: idempotency results kept, uploads
 * staged and not finished (every stripe), blobs stored. Returns 0 or an
 * LMDB error. */
typedef struct ins_store_counts {
    uint64_t idem_entries;
    uint64_t uploads_staged;
    uint64_t blobs_stored;
} ins_store_counts;
int ins_store_counts_get(ins_store *s, ins_store_counts *out);

/*
 * Takes the data folder's lock: creates `data_dir/inspectd.pid`, locks it
 * (flock, exclusive, non-blocking) and writes the pid. A running server holds
 * it for its whole life; ins_store_restore refuses while it is held.
 * On success *fd is the lock's descriptor: release it with
 * ins_store_unlock_dir. Errors: INS_EBUSY (held by another process or
 * descriptor), errno.
 */
int ins_store_lock_dir(const char *data_dir, int *fd);
/* Releases a lock taken by ins_store_lock_dir. fd < 0 is a no-op. */
void ins_store_unlock_dir(int fd);

/* ---- write transactions: only inside apply, on the writer thread ---- */

#define INS_PUT_NOOVERWRITE 0x1 /* fail with INS_EEXIST if the key exists */

/*
 * Stores `val` under `key` in `table`. Errors: INS_EEXIST (NOOVERWRITE and
 * the key exists), INS_EINVAL (unknown table, empty or too long key),
 * MDB_MAP_FULL (the engine grows the map and redoes the batch itself; at the
 * maximum the mutation fails with INS_EFULL), other LMDB errors.
 */
int ins_wtxn_put(ins_wtxn *t, ins_table table, const void *key, size_t klen, const void *val,
                 size_t vlen, unsigned flags);
/*
 * Looks `key` up, seeing this transaction's own changes. out->data points
 * into the map and stays valid until the next write through `t` or the end
 * of apply. Errors: INS_ENOTFOUND, INS_EINVAL, LMDB errors.
 */
int ins_wtxn_get(ins_wtxn *t, ins_table table, const void *key, size_t klen, ins_val *out);
/* Deletes `key`. Errors: INS_ENOTFOUND, INS_EINVAL, MDB_MAP_FULL, LMDB errors. */
int ins_wtxn_del(ins_wtxn *t, ins_table table, const void *key, size_t klen);

/*
 * Calls cb(arg, key, val) for each key of `table` that starts with
 * `prefix` and is >= `start` (start NULL: from the prefix), in key order,
 * until cb returns non-zero, which stops the walk and is returned. key/val
 * are valid during the callback only; cb must not write through `t`.
 * Errors: INS_EINVAL, LMDB errors, or cb's value.
 */
typedef int (*ins_scan_fn)(void *arg, const ins_val *key, const ins_val *val);
int ins_wtxn_scan(ins_wtxn *t, ins_table table, const void *prefix, size_t plen, const void *start,
                  size_t slen, ins_scan_fn cb, void *arg);

/*
 * Sets the result bytes stored for this mutation's request id and passed to
 * done (copied; the last call wins). Errors: ENOMEM.
 */
int ins_wtxn_set_result(ins_wtxn *t, const void *data, size_t len);

/* The store's clock, for timestamps written by apply. Can't fail. */
uint64_t ins_wtxn_now(ins_wtxn *t);

/* ---- read transactions ---- */

/*
 * Begins a read-only snapshot of `meta`, reusing a pooled transaction
 * (mdb_txn_renew) when one is free. Release it with ins_rtxn_end; do not hold
 * it across a network wait or while waiting on the writer.
 * Errors: MDB_READERS_FULL, ENOMEM, other LMDB errors.
 */
int ins_store_read_begin(ins_store *s, ins_rtxn **out);
/* Ends the snapshot and returns the transaction to the pool (mdb_txn_reset).
 * Pointers obtained through `r` become invalid. NULL is a no-op. */
void ins_rtxn_end(ins_rtxn *r);
/* As ins_wtxn_get; out->data stays valid until ins_rtxn_end. */
int ins_rtxn_get(ins_rtxn *r, ins_table table, const void *key, size_t klen, ins_val *out);
/* As ins_wtxn_scan. */
/* Entries in `table` in the snapshot (constant time: LMDB keeps the count).
 * Returns 0, INS_EINVAL for an unknown table, or an LMDB error. */
int ins_rtxn_count(ins_rtxn *r, ins_table table, uint64_t *n);

int ins_rtxn_scan(ins_rtxn *r, ins_table table, const void *prefix, size_t plen, const void *start,
                  size_t slen, ins_scan_fn cb, void *arg);

#endif /* INS_STORE_H */
