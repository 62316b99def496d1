/*
 * ins_outbox.h - libinspect-client: the tablet's outbox, a durable queue of
 * what an inspector did while the link was down (check-ins, findings, photo
 * uploads), drained in order when the link is up.
 *
 * The queue is an LMDB environment in a folder the app chooses. Each item
 * holds its whole request as it will be sent, request id included (fixed
 * when the item is added), and for an upload the path of the photo and the
 * offset the server last said it had committed. So a drain that is killed
 * at any moment and started again sends nothing twice under a new id: a
 * mutation that reached the server is answered again from its request id,
 * an upload finished before is answered as a duplicate, and an upload
 * resumes from the committed offset (ins_photo_upload.h). An item leaves
 * the queue only after the server's answer.
 *
 * A refused item (a final status, such as PERMISSION_DENIED or a photo that
 * changed on disk) stays in the queue marked refused with the server's
 * message, for support staff to see; the drain goes on with the next.
 *
 * Threads: one handle per thread. Several processes may open the same
 * folder; only one drains it at a time (a lock in the folder).
 */
#ifndef INS_OUTBOX_H
#define INS_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ins_client.h"

typedef struct ins_outbox ins_outbox;

/* What an item sends; the request message type in brackets. */
typedef enum ins_ob_kind {
    INS_OB_CHECKIN = 1,  /* Field.CheckIn (CheckInRequest) */
    INS_OB_FINDINGS = 2, /* Field.SubmitFindings (SubmitFindingsRequest) */
    INS_OB_UPLOAD = 3,   /* Field.UploadPhoto (UploadHeader, bytes from `path`) */
} ins_ob_kind;

/* One queued item, as ins_outbox_list() reports it. */
typedef struct ins_ob_item {
    uint64_t seq; /* position in the queue, from 1, never reused */
    ins_ob_kind kind;
    ProtobufCMessage *req; /* the request (for an upload its header) */
    char *path;            /* uploads: the photo; otherwise NULL */
    uint64_t offset;       /* uploads: the server's committed offset, as last reported */
    int refused;           /* the server refused it for good */
    int code;              /* when refused: the gRPC status */
    char *message;         /* when refused: the server's message; otherwise NULL */
} ins_ob_item;

/*
 * Opens (creating when needed) the outbox in folder `dir`, which must exist.
 * On success returns 0 and the handle in `*out` (close with
 * ins_outbox_close). On error returns an errno or LMDB code with a malloc'd
 * explanation in `*details` (caller frees) and `*out` NULL.
 */
int ins_outbox_open(const char *dir, ins_outbox **out, char **details);

/* Closes the outbox. Accepts NULL. This function can't fail. */
void ins_outbox_close(ins_outbox *ob);

/*
 * Adds an item at the end of the queue, durably (committed before return).
 * `req` is the request message of `kind` (copied); `path` the photo of an
 * upload (copied; NULL otherwise). The request id or upload id must be set
 * already: it is the item's identity for ever.
 * Returns 0 with the item's seq in `*seq` (when not NULL); EINVAL (wrong
 * message type, an upload without a path, an empty id), or an LMDB error.
 */
int ins_outbox_add(ins_outbox *ob, ins_ob_kind kind, const ProtobufCMessage *req, const char *path,
                   uint64_t *seq);

/*
 * Lists the queue in order. `*items` (an array of `*n`) is the caller's, to
 * free with ins_outbox_items_free. Returns 0, ENOMEM, EBADMSG (an item does
 * not decode), or an LMDB error.
 */
int ins_outbox_list(ins_outbox *ob, ins_ob_item **items, size_t *n);

/* Frees what ins_outbox_list handed out. Accepts NULL. */
void ins_outbox_items_free(ins_ob_item *items, size_t n);

/* What a drain did, for benchmarks and support: counted as it goes. */
typedef struct ins_outbox_stats {
    uint64_t items;      /* items answered (sent or refused) */
    uint64_t drops;      /* attempts that ended in a retryable failure */
    uint64_t sent_bytes; /* photo bytes handed to gRPC, every attempt */
    uint64_t need_bytes; /* photo bytes the server lacked when each upload began */
} ins_outbox_stats;

/* How a drain goes; zero for the defaults. */
typedef struct ins_outbox_drain_opts {
    unsigned retries;   /* attempts in a row without progress before giving up (0: 8) */
    size_t chunk;       /* upload chunk bytes (0: 64 KiB) */
    int64_t timeout_ms; /* deadline of a check-in or findings call (0: 30 s) */
    /* Called after each item leaves the queue or is marked refused (NULL: quiet). */
    void (*done)(void *arg, const ins_ob_item *item, int code, const char *details);
    void *arg;
    ins_outbox_stats *stats; /* when not NULL: added to as the drain goes */
} ins_outbox_drain_opts;

/*
 * Sends the queue's pending items in order over `c`, each until the server
 * answers it: after a retryable failure (ins_upload_retryable) the same item
 * is tried again, at once when the attempt moved the upload on (the link was
 * up a moment ago), else after a backoff from 250 ms to 8 s with jitter; a
 * final failure marks it refused. Refused
 * items are skipped.
 * items are skipped. A photo that can no longer be read is refused the
 * same way (NOT_FOUND or DATA_LOSS, with the reason).
 * Returns 0 when no pending item is left; EAGAIN when it gave up after
 * `retries` attempts in a row without progress (the link is still down;
 * the queue is intact); EBUSY when another process is draining the folder;
 * an LMDB error when the queue cannot be read or updated.
 */
int ins_outbox_drain(ins_outbox *ob, ins_client *c, const ins_outbox_drain_opts *opts);

#endif /* INS_OUTBOX_H */
