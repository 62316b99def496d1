/*
 * ins_bstore.h - a blob store: content objects named by their SHA-256, as
 * one small ops table with two implementations, `lmdb` (the blob stripes of
 * the data folder, storage/blob_ops.c) and `s3` (an S3-compatible object
 * store over HTTP, s3.c). The photo tier (storage/ins_tier.h) moves content
 * from the one to the other and reads from either.
 *
 * Content is immutable and content addressed: putting the same SHA-256
 * twice is harmless, and what `get` returns is checked against the name by
 * the caller (the tier's reader), never trusted.
 *
 * Errors are the project's one space (common/ins_error.h): INS_ENOTFOUND
 * (no such object, or no such bucket), INS_EAUTH (credentials refused),
 * INS_EUNREACH (the store could not be reached or answered 5xx: retry
 * later), INS_EDATALOSS (the store refused the bytes as not matching the
 * integrity header sent with them), INS_EINVAL, ENOMEM. The s3 store keeps
 * the sentence of its last failure (ins_bstore_last_error).
 *
 * Every slot is thread-safe unless it says otherwise.
 */
#ifndef INS_BSTORE_H
#define INS_BSTORE_H

#include <stddef.h>
#include <stdint.h>

/* Where a put reads its bytes: fills buf[0..len) from byte `off` of the
 * content, *n the count (0 only at the end). Returns 0 or an error, which
 * aborts the put with that error. */
typedef int (*ins_bstore_src_fn)(void *arg, uint64_t off, void *buf, size_t len, size_t *n);

/* Where a streamed get hands its bytes as they arrive; it may block (the
 * stream waits). Return 0 to go on, or an error to stop the stream with it. */
typedef int (*ins_bstore_sink_fn)(void *arg, const void *data, size_t n);

/* One object of a listing: its name and size. Return non-zero to stop the
 * listing (the list slot then returns that value). */
typedef int (*ins_bstore_list_fn)(void *arg, const uint8_t sha256[32], uint64_t size);

typedef struct ins_bstore_ops {
    const char *name; /* "lmdb", "s3" */
    /* Stores `size` bytes pulled from src under `sha256`, with `md5` (their
     * MD5) for the store to verify. Returns once the store has them
     * durably. Errors: as above, and src's. */
    int (*put)(void *impl, const uint8_t sha256[32], uint64_t size, const uint8_t md5[16],
               ins_bstore_src_fn src, void *arg);
    /* Copies up to `len` bytes from byte `off` into buf; *n the count (less
     * than len only at the end, 0 at or past it). Errors: as above. */
    int (*get)(void *impl, const uint8_t sha256[32], uint64_t off, void *buf, size_t len,
               size_t *n);
    /* Streams the bytes from `off` to the end into sink, in one request,
     * as they arrive. Returns once all came (0), or with an error (the
     * sink's own when it stopped the stream). Errors: as above. */
    int (*get_stream)(void *impl, const uint8_t sha256[32], uint64_t off, ins_bstore_sink_fn sink,
                      void *arg);
    /* The size of an object. Errors: INS_ENOTFOUND, as above. */
    int (*head)(void *impl, const uint8_t sha256[32], uint64_t *size);
    /* Calls fn for every object, in no promised order. Errors: as above,
     * or what fn stopped with. */
    int (*list)(void *impl, ins_bstore_list_fn fn, void *arg);
    /* Removes an object (gone already is success). Errors: as above. */
    int (*del)(void *impl, const uint8_t sha256[32]);
    /* Frees the implementation. NULL-safe; not concurrent with other slots. */
    void (*close)(void *impl);
} ins_bstore_ops;

/* A blob store: its ops and their state. */
typedef struct ins_bstore {
    const ins_bstore_ops *ops;
    void *impl;
    /* Optional: the sentence of the last failure into buf (s3; "" when none). */
    void (*last_error)(void *impl, char *buf, size_t n);
} ins_bstore;

/* The sentence of bs's last failure, or "" (always NUL-terminated). */
void ins_bstore_last_error(const ins_bstore *bs, char *buf, size_t n);

#endif /* INS_BSTORE_H */
