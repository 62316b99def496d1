/*
 * store_impl.h - internals shared by the storage engine's files. Not a public
 * header: only the storage .c files and the storage tests include it.
 *
 * Lock order: writer queue mutex, then nothing; an environment's resize
 * rwlock is held (read side) for the life of every transaction on it and
 * taken on the write side only by that environment's own writer, with no
 * transaction open, to grow the map. `done` callbacks and the commit hook run
 * with no lock held.
 */
#ifndef INS_STORE_IMPL_H
#define INS_STORE_IMPL_H

#include <lmdb.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>

#include "ins_histo.h"
#include "ins_store.h"
#include "records.pb-c.h"

#define INS_ENGINE_FORMAT 1   /* layout of the engine's own tables */
#define INS_RECORD_FORMAT 1   /* `format` of records.proto messages */
#define INS_KEY_LIMIT     511 /* LMDB default maximum key size */

/*
 * The one space budget of a data folder (--max-store-bytes): the sum of the
 * map sizes of meta and every blob stripe may not pass `limit`. A map's size
 * is what its environment may take on disk (blob stripes reserve all of it,
 * see env.c), so the sum is the store's footprint.
 */
typedef struct ins_space {
    pthread_mutex_t mu;
    size_t limit;    /* bytes; fixed at open */
    size_t reserved; /* sum of the maps' sizes, under mu */
} ins_space;

/* An LMDB environment and the lock that lets its writer remap it. */
typedef struct ins_env {
    MDB_env *env;
    pthread_rwlock_t resize;
    size_t mapsize;
    ins_space *space; /* the store's budget, shared by its environments */
    int nested;       /* nested transactions available (not with MDB_WRITEMAP) */
    int failed;       /* LMDB's meta write failed (MDB_PANIC): writer only */
    const char *name;
} ins_env;

/* One writer thread with its bounded queue. */
typedef struct ins_writer {
    ins_store *s;
    ins_env *env;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* queue became non-empty or stopping */
    pthread_cond_t space; /* queue drained */
    ins_mutation *head, *tail;
    size_t n, cap;
    int stopping;
    int started;
    int is_meta;
    pthread_t th;
    ins_histo commit_ns;  /* one batch: first attempt to durable commit, ns */
    ins_histo batch_size; /* mutations per batch */
} ins_writer;

enum { MT_SCHEMA, MT_FEED, MT_AUDIT, MT_IDEM, MT_IDEM_EXP, MT_BLOBREF, MT_TIERQ, MT_TIER, MT_N };
enum { BT_META, BT_STAGE, BT_CONTENT, BT_CHUNK, BT_N };

struct ins_blob_hs; /* in-memory hash states of uploads, blob.c */

/*
 * Blob stripes: the blob store is INS_BLOB_STRIPES LMDB environments
 * ("blobs", "blobs-1", ...), each a complete blob store of its own (stagings,
 * chunks, content) with its own writer thread and group commit. An upload
 * lives in one stripe from stage to finish (its staging and its chunks commit
 * in the same transaction, as with one environment), so while one stripe's
 * writer waits in its synced commit, another copies its batch. A new upload
 * goes to the stripe its id hashes to; stagings found elsewhere (a store made
 * with fewer stripes) stay where they are. Content is looked up in every
 * stripe. Four stripes measured best on two cores (bench/blobs ratio
 * 0.68-0.74 against 0.62-0.74 with two).
 */
#define INS_BLOB_STRIPES 4

typedef struct ins_bstripe {
    ins_env env;
    ins_writer w;
    MDB_dbi dbi[BT_N];
    uint64_t obj_next;      /* writer only */
    struct ins_blob_hs *hs; /* running hashes and chunk-write state */
    unsigned idx;
    char name[24];
} ins_bstripe;

struct ins_store {
    char *dir;
    ins_store_options opt; /* copy; tables/migrations borrowed for open only */
    ins_space space;       /* --max-store-bytes, shared by meta and the stripes */
    ins_env meta;
    ins_bstripe bs[INS_BLOB_STRIPES];
    MDB_dbi *udbi;
    size_t n_udbi;
    MDB_dbi mdbi[MT_N];
    ins_writer mw;

    /* Meta writer thread state: next sequences and the chain head. */
    uint64_t feed_next, audit_next;
    uint8_t audit_hash[32];

    /* Committed state, under feed_mu. */
    pthread_mutex_t feed_mu;
    pthread_cond_t feed_cv;
    uint64_t feed_committed, audit_committed;
    int closing;
    void (*on_commit)(void *arg, uint64_t last_seq);
    void *on_commit_arg;

    /* Pool of reset read transactions on meta. */
    pthread_mutex_t pool_mu;
    ins_rtxn *pool;

    /* Background sweep. */
    pthread_t sweeper;
    int sweeper_started;
    pthread_mutex_t sw_mu;
    pthread_cond_t sw_cv;
    int sw_stop;

    /* Finishes that re-hashed the stored chunks (ins_blob_rehashes). */
    atomic_uint_fast64_t rehashes;

    /* The photo tier (ins_tier.h), NULL without one; set before and cleared
     * after every thread that reads it (tier.c). */
    struct ins_tier *tier;
};

struct ins_wtxn {
    ins_store *s;
    ins_env *env;
    MDB_txn *txn;
    int map_full; /* an LMDB call returned MDB_MAP_FULL */
    int dirty;    /* something was written */
    void *result;
    size_t result_len;
};

struct ins_rtxn {
    ins_store *s;
    MDB_txn *txn;
    ins_rtxn *next;
};

/* env.c */
/* Opens the environment at `path` with a map of `init` bytes (or what its
 * data needs), charged to `space`. Its data file is reserved to the map's
 * size (posix_fallocate) before anything is written to it; on a full disk the map is shrunk to what
 * is reserved, down to the pages in use, and grows once space returns. Errors: errno (EACCES,
 * ENOSPC, ...), LMDB errors. */
int ins__env_open(ins_env *e, const char *path, unsigned flags, size_t init, ins_space *space,
                  unsigned maxdbs);
void ins__env_close(ins_env *e);
/* Grows the map (doubling, within what is left of the store's budget),
 * reserving the file's new space first. The
 * caller holds no transaction on it. Returns 0, INS_EFULL (the budget is
 * spent), ENOSPC (the filesystem is full: nothing changed, a later call may
 * succeed), other errno or LMDB errors. */
int ins__env_grow(ins_env *e);
/* Maps a failed write, sync or commit to the error callers see: ENOSPC for
 * ENOSPC and EDQUOT, MDB_MAP_FULL to INS_EFULL, others unchanged. Can't fail. */
int ins__env_io_err(int rc);
/* Read transaction with the resize lock held; end with ins__env_rd_end. */
int ins__env_rd_begin(ins_env *e, MDB_txn **txn);
void ins__env_rd_end(ins_env *e, MDB_txn *txn);

/* writer.c */
int ins__writer_init(ins_writer *w, ins_store *s, ins_env *env, size_t cap, int is_meta);
int ins__writer_start(ins_writer *w);
void ins__writer_stop(ins_writer *w); /* drains, joins, destroys */
int ins__writer_submit(ins_writer *w, ins_mutation *m, int block);
/* Mutations waiting in the queue now. */
size_t ins__writer_depth(ins_writer *w);
/* Submits and waits; returns the mutation's error. */
int ins__writer_exec(ins_writer *w, int (*apply)(ins_wtxn *, void *), void *arg);

/* txn.c: raw access to any dbi through a write transaction. */
int ins__put(ins_wtxn *t, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl,
             unsigned mdb_flags);
int ins__del(ins_wtxn *t, MDB_dbi dbi, const void *k, size_t kl);
int ins__get(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, ins_val *out);
int ins__scan(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen, const void *start,
              size_t slen, ins_scan_fn cb, void *arg);
/* Last key of dbi as u64 BE (0 if empty). */
int ins__last_u64(MDB_txn *txn, MDB_dbi dbi, uint64_t *out);

/*
 * ins_audit_verify on a transaction of meta and its `_audit` table (the
 * store's, or a restored copy's opened raw by backup.c). Sets *last_out
 * (optional) to the last sequence. Errors as ins_audit_verify.
 */
int ins__audit_verify_txn(MDB_txn *txn, MDB_dbi dbi, uint64_t from, uint64_t to,
                          uint64_t *first_bad, uint64_t *last_out);
int ins__map_err(int rc); /* MDB_NOTFOUND -> INS_ENOTFOUND, MAP_FULL -> INS_EFULL, ... */

/* feed.c / audit.c / idem.c: state loaded at open, published after commit. */
int ins__feed_load(ins_store *s, MDB_txn *txn);
int ins__audit_load(ins_store *s, MDB_txn *txn);
void ins__feed_publish(ins_store *s, uint64_t *last_seq, int *advanced);
int ins__idem_lookup(ins_wtxn *t, ins_mutation *m);
int ins__idem_store(ins_wtxn *t, ins_mutation *m);
int ins__idem_sweep(ins_store *s);

/* blob.c */
int ins__blob_load(ins_store *s, ins_bstripe *b, MDB_txn *txn);
void ins__blob_free_hs(ins_bstripe *b);
int ins__blob_sweep(ins_store *s);

/* sweep.c */
int ins__sweeper_start(ins_store *s);
void ins__sweeper_stop(ins_store *s);

#endif /* INS_STORE_IMPL_H */
