/*
 * ins_photo_upload.h - libinspect-client: one attempt of Field.UploadPhoto
 * from a file, the tablet's half of the resume protocol (field.proto,
 * "Resuming an upload"), shared by `inspectctl field upload` and the outbox.
 *
 * An attempt opens the stream, sends the header and learns the committed
 * offset from the call's initial metadata (INS_UPLOAD_OFFSET_MD) instead of
 * asking GetUploadStatus first: no round trip of its own. What to do after a
 * failed attempt (back off, try again from the offset it reported) is the
 * caller's: see ins_upload_retryable().
 *
 * Not thread-safe per attempt; attempts on one client may run in parallel.
 */
#ifndef INS_PHOTO_UPLOAD_H
#define INS_PHOTO_UPLOAD_H

#include <stdint.h>

#include "ins_client.h"
#include "inspect/v1/field.pb-c.h"

/* The most bytes one chunk may hold (the server's limit). */
#define INS_UPLOAD_CHUNK_MAX (1u << 20)

/* What an attempt tells its caller while it runs. Every slot may be NULL. */
typedef struct ins_upload_hooks {
    /* The attempt's stream, right after it started, and NULL just before it
     * is finished: a watchdog may ins_stream_cancel() it in between. */
    void (*stream)(void *arg, ins_stream *s);
    /* `sent` bytes of the photo have been handed to gRPC. */
    void (*progress)(void *arg, uint64_t sent);
    /* The server's committed offset, as soon as the header was staged. */
    void (*committed)(void *arg, uint64_t offset);
    void *arg;
} ins_upload_hooks;

/* One attempt's input. Strings and the header stay the caller's. */
typedef struct ins_upload_req {
    int fd;                               /* the photo, open for reading */
    const Inspect__V1__UploadHeader *hdr; /* total_size and sha256 set */
    size_t chunk;                         /* bytes per chunk, 1..INS_UPLOAD_CHUNK_MAX */
    int64_t timeout_ms;                   /* the call's deadline (ins_client.h values) */
    /* Where the caller believes the server stands. With `wait` 0 chunks go
     * out from there at once, and the server skips (after checking) any it
     * has already; with `wait` 1 the first chunk waits for the server's
     * offset (up to 2 s, then as with 0): what a resume after a drop should
     * do, so that nothing is sent twice. */
    uint64_t from;
    int wait;
} ins_upload_req;

/*
 * Runs one UploadPhoto call: the header, the chunks from the server's
 * committed offset, the half-close, the answer. `buf` holds req->chunk
 * bytes (the caller's).
 *
 * Returns the call's gRPC status: OK with the answer in `*resp` (caller
 * frees with protobuf_c_message_free_unpacked); any other status with
 * `*resp` NULL. Returns -1 when the photo could not be read (`*read_err`
 * holds the errno; the call was cancelled). `*details` receives the status
 * message, malloc'd (caller frees), whatever the result.
 */
int ins_upload_attempt(ins_client *c, const ins_upload_req *req, uint8_t *buf,
                       const ins_upload_hooks *hooks, Inspect__V1__UploadPhotoResponse **resp,
                       char **details, int *read_err);

/*
 * Whether a failed attempt is worth another one from the committed offset:
 * a lost link (ins_client_link_lost), a deadline, a cancel, a busy writer,
 * a chunk the server no longer expects. A full store or disk, a refusal of the photo or the
 * caller is final. Pure.
 */
int ins_upload_retryable(int code, const char *details);

/*
 * SHA-256 of the first `total` bytes of `fd`, read through `buf` of `len`
 * bytes. Returns 0, or -1 with `*read_err` the errno of a failed read (EIO:
 * the file is shorter) or 0 when hashing failed.
 */
int ins_upload_hash_file(int fd, uint64_t total, uint8_t *buf, size_t len, uint8_t sha[32],
                         int *read_err);

#endif /* INS_PHOTO_UPLOAD_H */
