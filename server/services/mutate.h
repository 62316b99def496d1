/*
 * mutate.h - one gRPC mutation through the storage writer, from request to
 * reply: idempotency by request id, group commit, the reply sent on the
 * call's own worker once the commit is durable.
 *
 * A handler validates its request (answering bad input at once, nothing
 * stored), then calls ins_mut_submit with an apply function. apply runs on
 * the writer thread inside the write transaction and either stores the
 * response bytes with ins_mut_reply (the result kept for replays of the same
 * request id) or fails with ins_mut_fail. The method's ops must use
 * ins_mut_on_wake and ins_mut_cleanup (INS_MUT_OPS does it).
 */
#ifndef INS_MUTATE_H
#define INS_MUTATE_H

#include "ctx.h"
#include "call.h"
#include "ins_store.h"

typedef struct ins_mut ins_mut;

typedef int (*ins_mut_apply_fn)(ins_wtxn *t, ins_mut *mu);

/*
 * Submits a mutation for `call`. `req` is the decoded request: it is copied
 * (the copy is ins_mut_request) and hashed, with `request_id`, for
 * idempotency under the caller's principal. `request_id` must be non-empty.
 * On return the call is either queued (the reply follows the commit) or
 * already failed: RESOURCE_EXHAUSTED when the writer queue is full,
 * UNAVAILABLE when the store is closing. Call it from the call's `start`.
 */
void ins_mut_submit(ins_call *call, const ProtobufCMessage *req, const char *request_id,
                    ins_mut_apply_fn apply);

/* The request copy (valid during apply). */
const ProtobufCMessage *ins_mut_request(const ins_mut *mu);
/* The app of the mutation's call (configuration, store). */
ins_ctx *ins_mut_ctx(const ins_mut *mu);
/* The principal's department ("" when none). */
const char *ins_mut_department(const ins_mut *mu);
/* The principal's name, for audit entries. */
const char *ins_mut_actor(const ins_mut *mu);

/*
 * In apply: records `resp` as the answer (stored with the request id, sent
 * once committed). Returns 0 or ENOMEM; return its value from apply.
 */
int ins_mut_reply(ins_wtxn *t, ins_mut *mu, const ProtobufCMessage *resp);

/*
 * In apply: refuses the request with `err` and a message, yet keeps what
 * apply wrote (an alert raised because the request could not be met, say).
 * The refusal is the stored result: the same request id gets it again.
 * Returns 0 or ENOMEM; return its value from apply.
 */
int ins_mut_refuse(ins_wtxn *t, ins_mut *mu, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * In apply: sets the message sent with a failure (`mu` may be NULL: then
 * only `err` is returned), and returns `err` so apply
 * can `return ins_mut_fail(mu, INS_ENOTFOUND, "...", ...)`.
 */
int ins_mut_fail(ins_mut *mu, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The sentence for a write refused for space or a failed disk write, with
 * the figures of `store`: INS_EFULL (the store is full: used and
 * --max-store-bytes), ENOSPC (the disk is full), EIO, MDB_PANIC. Writes it
 * into buf (len bytes) and returns buf; returns NULL, buf untouched, for any
 * other `err`. The one place these messages are made: uploads use it too.
 * The INS_EFULL and ENOSPC texts begin with INS_MSG_STORE_FULL and
 * INS_MSG_DISK_FULL (ins_error.h), and callers put them first in the call's
 * message: that is how a client tells them from a busy writer.
 */
const char *ins_mut_space_why(ins_store *store, int err, char *buf, size_t len);

void ins_mut_on_wake(ins_call *call);
void ins_mut_cleanup(ins_call *call);

/* The ops of a unary mutating method whose start is `start_fn`. */
#define INS_MUT_OPS(start_fn)                                                                      \
    {                                                                                              \
        .start = (start_fn), .on_wake = ins_mut_on_wake, .cleanup = ins_mut_cleanup                \
    }

#endif /* INS_MUTATE_H */
