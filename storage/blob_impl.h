/*
 * blob_impl.h - what the files of the blob store share (storage/blob*.c; the
 * public API is ins_blob.h, the stripes themselves are in store_impl.h).
 *
 * Every blob operation is a blob_op run as a mutation on its stripe's writer:
 * blob.c holds the records, the stripes, the dispatch (ins__blob_apply) and
 * the synchronous submit; blob_hash.c the running SHA-256 of each upload;
 * blob_chunk.c how chunk bytes reach the data file; blob_stage.c staging,
 * appends and abort; blob_finish.c hashing and filing content; blob_read.c
 * reads and references from meta; blob_sweep.c TTL collection. Nothing here
 * is for use outside storage/blob*.c.
 */
#ifndef INS_BLOB_IMPL_H
#define INS_BLOB_IMPL_H

#include "store_impl.h"
#include "ins_blob.h"
#include "ins_key.h"

#define HS_BUCKETS 256

/* Running SHA-256 of one upload; opaque outside blob_hash.c. */
typedef struct hs_entry hs_entry;

/* The table behind ins_bstripe.hs, made at open by ins__blob_load. */
struct ins_blob_hs {
    pthread_mutex_t mu; /* bucket chains and n */
    hs_entry *bucket[HS_BUCKETS];
    size_t n;
    uint64_t gen_next; /* writer only */
    /* chunk writes (writer only) */
    int fd;
    size_t psize;
    const uint8_t *map; /* verified map base, NULL until known */
    int direct;         /* 0: write chunks through the map (layout not recognised) */
};

enum { OP_BEGIN, OP_APPEND, OP_FINISH, OP_ABORT, OP_RELEASE, OP_SWEEP, OP_EVICT };

typedef struct blob_op {
    ins_mutation m;
    ins_store *s;
    int kind;
    const char *id;
    uint64_t size, offset;
    uint8_t sha[32];
    const void *data;
    size_t len;
    uint64_t hs_gen; /* append: hash run it was hashed under (0: not hashed) */
    /* finish: the hash computed by the caller (have_hash) of `object` */
    int have_hash, corrupt;
    uint64_t object;
    ins_bstripe *stripe; /* where the op runs */
    int existing_only;   /* begin outside the id's home stripe: don't create */
    /* results */
    int status;    /* an error decided and committed by apply (drop on mismatch) */
    int need_hash; /* finish: no trusted running hash; caller hashes `object` */
    uint64_t committed;
    /* completion */
    ins_blob_done_fn cb;
    void *cb_arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished, err;
} blob_op;

/* ---- blob.c: records, dispatch, stripes ---- */

/* The stripe whose environment t writes. Can't fail. */
ins_bstripe *ins__blob_stripe_of(ins_wtxn *t);
/* The _stage key of upload `id`. Errors: INS_EINVAL (ins_upload_id_check). */
int ins__blob_stage_key(const char *id, ins_key *k);
/* The _chunk key of byte `off` of object `obj`. Can't fail. */
void ins__blob_chunk_key(uint8_t k[16], uint64_t obj, uint64_t off);
/* Reads and unpacks a staging. *out, when not NULL (even after an error),
 * is the caller's to free with inspect__storage__staging__free_unpacked.
 * Errors: INS_ENOTFOUND, INS_ECORRUPT, LMDB errors. */
int ins__blob_get_stage(MDB_txn *txn, ins_bstripe *b, const ins_key *k,
                        Inspect__Storage__Staging **out);
/* Packs msg and stores it under k in dbi. Errors: ENOMEM, ins__put's. */
int ins__blob_put_msg(ins_wtxn *t, MDB_dbi dbi, const void *k, size_t kl,
                      const ProtobufCMessage *msg);
/* Stores a staging, stamping its updated time (the TTL). Errors: as put_msg. */
int ins__blob_put_stage(ins_wtxn *t, const ins_key *k, Inspect__Storage__Staging *st);
/* Deletes every chunk of object `obj`. Errors: LMDB errors. */
int ins__blob_drop_chunks(ins_wtxn *t, uint64_t obj);
/* Deletes a staging and, unless it is filed, its chunks. Errors: LMDB errors. */
int ins__blob_drop_stage(ins_wtxn *t, const ins_key *k, const Inspect__Storage__Staging *st);
/* The writer's apply for every blob_op: dispatches on op->kind. */
int ins__blob_apply(ins_wtxn *t, void *arg);
/* The stripe new stagings of `id` go to. Can't fail. */
ins_bstripe *ins__blob_home_of(ins_store *s, const char *id);
/* The stripe that holds (or would hold) the staging of `id` into *out.
 * Errors: INS_EINVAL (bad id), LMDB errors. */
int ins__blob_locate(ins_store *s, const char *id, ins_bstripe **out);
/* Prepares op for a blocking submit; ins__blob_sync_wait must follow. */
void ins__blob_sync_init(ins_store *s, blob_op *op);
/* Waits for op when the submit returned rc == 0, then releases what
 * ins__blob_sync_init made. Returns rc, or the op's error. */
int ins__blob_sync_wait(blob_op *op, int rc);
/* Runs op on stripe b (NULL: the stripe of op->id's staging) and waits.
 * Errors: the op's, INS_ESHUTDOWN, INS_EINVAL, LMDB errors. */
int ins__blob_run_sync(ins_store *s, ins_bstripe *b, blob_op *op);

/* ---- blob_hash.c: running hashes (see there for who may call what) ---- */

hs_entry *ins__blob_hs_lock(ins_bstripe *b, const char *id);
void ins__blob_hs_unlock(hs_entry *h);
void ins__blob_hs_update(hs_entry *h, blob_op *op);
void ins__blob_hs_undo(hs_entry *h, blob_op *op);
void ins__blob_hs_start(ins_bstripe *b, const char *id, uint64_t object, uint64_t total);
void ins__blob_hs_note_append(ins_bstripe *b, const blob_op *op, uint64_t object, int ok);
void ins__blob_hs_note_failed(blob_op *op, int err);
int ins__blob_hs_final(ins_bstripe *b, const char *id, uint64_t object, uint64_t total,
                       uint8_t out[32]);
void ins__blob_hs_drop(ins_bstripe *b, const char *id);

/* ---- blob_chunk.c ---- */

/* Stores `len` bytes at `off` of object `obj`. Errors: MDB_MAP_FULL (with
 * t->map_full set), an errno from pwrite, LMDB errors (through ins__map_err). */
int ins__blob_put_chunk(ins_wtxn *t, uint64_t obj, uint64_t off, const uint8_t *data, size_t len);

/* ---- the operations, run on the blob writer by ins__blob_apply ---- */

int ins__blob_op_begin(ins_wtxn *t, blob_op *op, const ins_key *k);   /* blob_stage.c */
int ins__blob_op_append(ins_wtxn *t, blob_op *op, const ins_key *k);  /* blob_stage.c */
int ins__blob_op_abort(ins_wtxn *t, blob_op *op, const ins_key *k);   /* blob_stage.c */
int ins__blob_op_release(ins_wtxn *t, blob_op *op, const ins_key *k); /* blob_stage.c */
int ins__blob_op_finish(ins_wtxn *t, blob_op *op, const ins_key *k);  /* blob_finish.c */
int ins__blob_op_sweep(ins_wtxn *t, blob_op *op);                     /* blob_sweep.c */
int ins__blob_op_evict(ins_wtxn *t, blob_op *op);                     /* blob_sweep.c */

/* ---- blob_read.c ---- */

/* ins_blob_stat of the stripes alone (not the tier's remote store). */
int ins__blob_local_stat(ins_store *s, const uint8_t sha256[32], uint64_t *size);

/* The reference count of `sha` in meta and (optional) since when it is 0.
 * Errors: INS_ENOTFOUND (no record; *count is 0), INS_ECORRUPT, LMDB errors. */
int ins__blob_get_ref(MDB_txn *txn, ins_store *s, const uint8_t sha[32], uint64_t *count,
                      uint64_t *zero_since);

#endif /* INS_BLOB_IMPL_H */
