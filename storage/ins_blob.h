/*
 * ins_blob.h - the photo blob store (the blob stripes `blobs`, `blobs-1`, ...:
 * environments with a writer each; an upload lives in one of them, see
 * store_impl.h).
 *
 * An upload is staged under its upload id with its declared size and
 * SHA-256. Chunks are appended strictly in order; each append is committed
 * durably (many concurrent appends share one commit, see the writers in
 * writer.c) and the committed offset is what a client resumes from after a
 * disconnect or a restart. Finishing checks the size and the SHA-256 and files
 * the content under its hash, stored once however often it is uploaded; a
 * mismatch is INS_EDATALOSS and drops the staging.
 *
 * Records in `meta` reference content with ins_wtxn_blob_ref/unref, in the
 * same transaction as the record. Content that nothing references for the
 * upload TTL is collected by the sweep, and so are staged uploads untouched
 * for the upload TTL. A blob is therefore written (finished) before the record
 * that references it.
 *
 * All functions are thread-safe. The blocking ones wait for a durable commit:
 * do not call them while holding an ins_rtxn or on a writer thread.
 *
 * Where the CPU goes: an append hashes its bytes into the upload's running
 * SHA-256 on the calling thread (about 40 us per 64 KiB) before queueing, so
 * the blob writers only copy bytes and commit. Appends of one upload
 * should come from one stream, in order; others still work but make finish
 * re-hash. Finish re-hashes the stored chunks on the calling thread (about
 * 20 ms per 32 MiB) when no running hash can be trusted: after a restart, a
 * failed commit or out-of-order appends.
 */
#ifndef INS_BLOB_H
#define INS_BLOB_H

#include "ins_store.h"
#include "ins_upload.h" /* INS_UPLOAD_ID_MAX, ins_upload_id_check */

/*
 * The one rule for a chunk past the declared size: `len` bytes at `offset`
 * must end within the `total_size` bytes an upload declared. Appends refuse
 * with it (ins_blob_append), and a caller may check a chunk with it before
 * queueing one. Pure and thread-safe.
 * Returns 0, or INS_ETOOBIG (the chunk ends past the declared size).
 */
int ins_blob_chunk_fits(uint64_t total_size, uint64_t offset, uint64_t len);

/*
 * Stages upload `upload_id` (see ins_upload_id_check) of `total_size`
 * bytes whose SHA-256 is `sha256`. Idempotent: the same id with the same size
 * and hash returns the committed offset of the existing staging (and refreshes
 * its TTL). *offset (optional) receives the committed offset.
 * Errors: INS_EINVAL (bad id, total_size 0), INS_EREUSED (the id is staged
 * with another size or hash), INS_EFULL, INS_ESHUTDOWN, LMDB errors.
 */
int ins_blob_stage_begin(ins_store *s, const char *upload_id, uint64_t total_size,
                         const uint8_t sha256[32], uint64_t *offset);

/*
 * Appends `len` (> 0) bytes at `offset`, which must equal the committed
 * offset. Returns once the chunk is durable. *committed (optional) receives
 * the committed offset afterwards, or the expected offset on INS_EOFFSET.
 * Errors: INS_ENOTFOUND (no such staging), INS_EOFFSET (wrong offset),
 * INS_ETOOBIG (past the declared size, ins_blob_chunk_fits), INS_EINVAL, INS_EFULL,
 * INS_ESHUTDOWN, LMDB errors.
 */
int ins_blob_append(ins_store *s, const char *upload_id, uint64_t offset, const void *data,
                    size_t len, uint64_t *committed);

/*
 * Non-blocking form of ins_blob_append: queues the append and returns.
 * cb(arg, err, committed) runs on the blob writer thread after the durable
 * commit or the failure, with the errors of ins_blob_append. `upload_id` and
 * `data` must stay valid until cb has run.
 * Returns 0 (cb will run once), INS_EBUSY (queue full; cb will not run),
 * INS_ESHUTDOWN, INS_EINVAL.
 */
typedef void (*ins_blob_done_fn)(void *arg, int err, uint64_t committed);
int ins_blob_append_async(ins_store *s, const char *upload_id, uint64_t offset, const void *data,
                          size_t len, ins_blob_done_fn cb, void *arg);

/*
 * Reports the committed offset and declared size of a staging.
 * Errors: INS_ENOTFOUND, INS_EINVAL, LMDB errors.
 */
int ins_blob_status(ins_store *s, const char *upload_id, uint64_t *offset, uint64_t *total);

/*
 * Copies `len` bytes at `offset` of the committed prefix of staging
 * `upload_id` into `buf`: what a resent chunk is checked against before it
 * is skipped. The range must lie within the committed offset.
 * Errors: INS_ENOTFOUND (no such staging), INS_ERANGE (the range reaches
 * past the committed offset), INS_EINVAL (bad id), INS_ECORRUPT (a chunk is
 * missing), LMDB errors. Reads in its own read transaction.
 */
int ins_blob_stage_read(ins_store *s, const char *upload_id, uint64_t offset, void *buf,
                        size_t len);

/*
 * Completes an upload: the committed size must equal the declared size and
 * the bytes must hash to the declared SHA-256. On success the content exists
 * under its hash (copied to sha_out if non-NULL) and the staging stays,
 * marked filed, still reporting every byte committed (ins_blob_status), until
 * ins_blob_release: a crash before the caller has recorded the upload
 * elsewhere forgets nothing, and finishing a filed staging again succeeds
 * with the same hash. Errors: INS_ENOTFOUND, INS_ESTATE (not all bytes
 * received), INS_EDATALOSS (hash mismatch; the staging is dropped),
 * INS_EFULL, INS_ESHUTDOWN, LMDB errors.
 */
int ins_blob_finish(ins_store *s, const char *upload_id, uint8_t sha_out[32]);

/*
 * Drops the staging of a finished upload once the caller has durably
 * recorded it (in `meta`, after ins_blob_finish). The content stays.
 * Errors: INS_ENOTFOUND (no staging), INS_ESTATE (not finished: the
 * staging stays), INS_ESHUTDOWN, LMDB errors.
 */
int ins_blob_release(ins_store *s, const char *upload_id);

/* Drops a staging and its chunks (a filed staging: the record alone; the
 * content stays). Errors: INS_ENOTFOUND, INS_ESHUTDOWN, LMDB errors. */
int ins_blob_abort(ins_store *s, const char *upload_id);

/*
 * How many finishes since the store opened found no trusted running hash and
 * re-hashed the stored chunks (see "Where the CPU goes" above): for tests and
 * benchmarks. Thread-safe; can't fail.
 */
uint64_t ins_blob_rehashes(ins_store *s);

/* Reports whether content `sha256` exists and its size (optional).
 * Errors: INS_ENOTFOUND, LMDB errors. */
int ins_blob_stat(ins_store *s, const uint8_t sha256[32], uint64_t *size);

/*
 * Copies up to `len` bytes of content `sha256` starting at `offset` into
 * `buf`; *nread receives the count (0 at or past the end).
 * Errors: INS_ENOTFOUND, INS_ECORRUPT (a chunk is missing), LMDB errors.
 */
int ins_blob_read(ins_store *s, const uint8_t sha256[32], uint64_t offset, void *buf, size_t len,
                  size_t *nread);

/*
 * The blob stripes as the `lmdb` blob store (blobstore/ins_bstore.h), for
 * the photo tier: *out borrows s (its close does nothing). Can't fail.
 */
struct ins_bstore;
void ins_blob_store_lmdb(ins_store *s, struct ins_bstore *out);

/*
 * A sequential reader of one content, wherever it lives: the local copy when
 * there is one, else the photo tier's remote store (ins_tier.h), streamed
 * by a thread of the reader's own at most 1 MiB ahead of it, never the whole
 * content in memory. With a
 * tier every byte is hashed, and the read that would hand out the last byte
 * checks the SHA-256 first: on a mismatch it fails with INS_EDATALOSS and
 * gives nothing, counts it (ins_tier_status.data_loss) and says so on
 * stderr. Not thread-safe: one reader per stream.
 */
typedef struct ins_blob_reader ins_blob_reader;

/*
 * Opens a reader of content `sha256`; *size (optional) receives its size.
 * *out is the caller's, for ins_blob_reader_close.
 * Errors: INS_ENOTFOUND, ENOMEM, LMDB errors.
 */
int ins_blob_open(ins_store *s, const uint8_t sha256[32], ins_blob_reader **out, uint64_t *size);

/*
 * Copies the next `len` bytes into buf (fewer only at the end); *n
 * receives the count (0 at the end). Errors: INS_EDATALOSS (the bytes do not hash to the name, or
 * the remote copy is missing or short), INS_EUNREACH (the remote store does not answer, or no tier
 * is configured for content that lives there), INS_EAUTH, INS_ECORRUPT, LMDB errors. After an error
 * the reader only closes.
 */
int ins_blob_reader_read(ins_blob_reader *rd, void *buf, size_t len, size_t *n);

/* Non-zero when the next read of `len` bytes may wait for the remote store
 * (the caller then reads off its event thread); zero when the bytes are
 * local or already streamed in. Can't fail. */
int ins_blob_reader_remote(const ins_blob_reader *rd, size_t len);

/* Frees a reader. NULL-safe. */
void ins_blob_reader_close(ins_blob_reader *rd);

/*
 * Inside apply: records one more reference from `meta` to content `sha256`
 * (it must exist). Errors: INS_ENOTFOUND, MDB_MAP_FULL, LMDB errors.
 */
int ins_wtxn_blob_ref(ins_wtxn *t, const uint8_t sha256[32]);
/* Inside apply: drops one reference; at zero the content becomes collectable
 * after the upload TTL. Errors: INS_ENOTFOUND (no reference), LMDB errors. */
int ins_wtxn_blob_unref(ins_wtxn *t, const uint8_t sha256[32]);
/* Reference count of `sha256` in the snapshot (0 if none). */
int ins_rtxn_blob_refs(ins_rtxn *r, const uint8_t sha256[32], uint64_t *count);

#endif /* INS_BLOB_H */
