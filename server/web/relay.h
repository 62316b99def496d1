/*
 * relay.h - one gRPC-Web call relayed into the server over the in-process
 * channel (rpc/inproc.h): the request message and metadata go in as a
 * client call of the same method, and its messages and final status come
 * back out one at a time, for the HTTP response to frame.
 *
 * Not thread-safe: one call is driven by one thread (the HTTP connection's),
 * which blocks in ins_relay_next while it waits for the server.
 */
#ifndef INS_RELAY_H
#define INS_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

typedef struct ins_relay ins_relay;

/* Asked while waiting: non-zero when the browser has gone (or the listener
 * stops), which cancels the call. */
typedef int (*ins_relay_gone_fn)(void *arg);

/*
 * Starts the call of `path` ("/pkg.Service/Method") on `channel` with the
 * request message `msg` (`len` bytes, copied) and the metadata `md` (`n_md`
 * entries, keys lower-case; copied), due by `deadline`. Returns the relay,
 * or NULL when memory runs out. A call the server refuses still returns a
 * relay: its status comes out of ins_relay_next.
 */
ins_relay *ins_relay_start(grpc_channel *channel, const char *path, const grpc_metadata *md,
                           size_t n_md, gpr_timespec deadline, const uint8_t *msg, size_t len);

/*
 * Waits for what the server sends next. Returns 1 with a message in `*out`
 * (a slice that is the caller's to unref); 0 when the call is over, with its
 * status in `*code` and its message in `*details` (valid until
 * ins_relay_destroy). `gone` is polled about every 200 ms while waiting;
 * when it answers non-zero the call is cancelled and ends with CANCELLED.
 */
int ins_relay_next(ins_relay *r, ins_relay_gone_fn gone, void *arg, grpc_slice *out,
                   grpc_status_code *code, const char **details);

/* Cancels the call if it still runs, waits for its operations and frees
 * everything. NULL is fine. */
void ins_relay_destroy(ins_relay *r);

#endif /* INS_RELAY_H */
