/*
 * call.h - the handler's view of one gRPC call.
 *
 * Every call is a small state machine driven by typed tags on the completion
 * queue of one worker thread. Handlers are tables of callbacks
 * (ins_method_ops); the runtime decodes requests, checks credentials and
 * roles, and calls them.
 *
 * Threading rule: every callback of a call runs on that call's worker thread,
 * one at a time, so a handler needs no lock for its own call state. Only
 * ins_call_ref(), ins_call_unref() and ins_call_wake() may be used from other
 * threads (the storage writer, a feed notifier). Everything else is for the
 * call's own callbacks.
 *
 * Lifetime: the runtime owns the call. It stays valid during every callback
 * and while someone holds a reference taken with ins_call_ref(). When the call
 * is over (status sent or cancelled) and no reference is left, `cleanup` runs
 * once and the call is freed.
 */
#ifndef INS_CALL_H
#define INS_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ins_principal.h"

typedef struct ins_call ins_call;
typedef struct ins_server ins_server;

typedef enum ins_method_kind {
    INS_UNARY = 0,
    INS_SERVER_STREAM = 1,
    INS_CLIENT_STREAM = 2,
    INS_BIDI_STREAM = 3,
} ins_method_kind;

/*
 * Callbacks of a method. Unused slots may be NULL. `msg` arguments belong to
 * the runtime and are freed when the callback returns: copy what you keep.
 */
typedef struct ins_method_ops {
    /* The call is authorised and begins. Unary and server-streaming methods
     * get their decoded request; client-streaming and bidi get NULL and call
     * ins_call_read() for messages. Required. */
    void (*start)(ins_call *call, const ProtobufCMessage *req);
    /* A message asked for with ins_call_read() arrived, or NULL: the client
     * half-closed (end of its stream, not an error). */
    void (*on_read)(ins_call *call, const ProtobufCMessage *msg);
    /* The message of the last ins_call_send() left (ok = 1) or the peer is
     * gone (ok = 0); the next one may be sent now. */
    void (*on_sent)(ins_call *call, int ok);
    /* Someone called ins_call_wake(). Wakes are coalesced: several wakes
     * before the callback runs give one callback. */
    void (*on_wake)(ins_call *call);
    /* The call was cancelled: client cancel, deadline, or server shutdown.
     * Stop the work; no reply can be sent any more. Runs at most once. */
    void (*on_cancel)(ins_call *call);
    /* Release the handler state (ins_call_data). Runs once, last. */
    void (*cleanup)(ins_call *call);
} ins_method_ops;

/* ---- identity and context ------------------------------------------- */

/*
 * The effective peer of the call (peer.h): the transport's peer, or, when
 * that is a --trusted-proxy, the client the proxy names in x-forwarded-for,
 * as "ipv4:203.0.113.7 via ipv4:127.0.0.1:40312". Writes into `out`
 * (`outlen` bytes, truncated; 160 hold any). The one answer to "who
 * called": the call log uses it. While the call is alive. Can't fail.
 */
void ins_call_peer(const ins_call *call, char *out, size_t outlen);

/* The authenticated caller; anonymous (role INS_ROLE_NONE) on open methods
 * called without credentials. Valid as long as the call. */
const ins_principal *ins_call_principal(const ins_call *call);

/* Full method path, "/package.Service/Method". Valid as long as the call. */
const char *ins_call_method(const ins_call *call);

/* The server, for ins_server_ctx(). */
ins_server *ins_call_server(const ins_call *call);

/* Handler state: an opaque pointer the handler owns and frees in `cleanup`. */
void *ins_call_data(const ins_call *call);
void ins_call_set_data(ins_call *call, void *data);

/* Non-zero once the call was cancelled (see on_cancel) or its status sent. */
int ins_call_done(const ins_call *call);

/* Milliseconds left before the client's deadline; INT64_MAX when none. */
int64_t ins_call_deadline_left_ms(const ins_call *call);

/* ---- replying (call's own thread only) -------------------------------- */

/*
 * Unary and client-streaming: sends `resp` and status OK, ending the call.
 * `resp` stays the caller's; it is serialized before return. A second reply
 * or a reply after cancellation or a failure is ignored; if a send is in
 * flight (ins_call_send_headers) the reply follows it.
 */
void ins_call_reply(ins_call *call, const ProtobufCMessage *resp);

/*
 * As ins_call_reply, with the response already encoded: `len` bytes of the
 * method's output message (a stored idempotent result, say). Copied.
 */
void ins_call_reply_bytes(ins_call *call, const void *data, size_t len);

/*
 * Ends the call with the gRPC status that `err` maps to (ins_error.h table)
 * and a message: printf-style `fmt`, or the table's text when `fmt` is NULL.
 * Works for every kind; if a streamed message is still in flight the status
 * follows it. Ignored after the call is done.
 */
void ins_call_fail(ins_call *call, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Puts a retry delay of `ms` milliseconds (at least 1) in the trailing
 * metadata of the call's failure status (`retry-after-ms` and
 * `grpc-retry-pushback-ms`), for RESOURCE_EXHAUSTED "the server is busy"
 * answers. Call before ins_call_fail; ignored on an OK status.
 */
void ins_call_set_retry_ms(ins_call *call, int64_t ms);

/*
 * Streaming: sends one message. At most one send is in flight: wait for
 * on_sent before the next. Returns 0; INS_EBUSY when a send is still in
 * flight; INS_ECANCELLED when the call is done. `msg` stays the caller's.
 */
int ins_call_send(ins_call *call, const ProtobufCMessage *msg);

/*
 * Sends the response headers (initial metadata) now, before any message,
 * as a send of its own (on_sent follows), with one entry `key: value` when
 * `key` is not NULL (`key` lowercase ASCII, `value` printable ASCII; both
 * copied). A server stream with nothing to say yet does so, so that a proxy
 * in between sees the response begin: nginx applies grpc_read_timeout to
 * the wait for the headers, which keepalive pings do not cover. An upload
 * tells the tablet where to resume with it, before any chunk. Works for
 * every kind: a reply or a failure asked for meanwhile follows once it left. Returns 0; INS_EEXIST
 * when the headers are out already; INS_EBUSY, INS_ECANCELLED as
 * ins_call_send.
 */
int ins_call_send_headers(ins_call *call, const char *key, const char *value);

/* Streaming: ends the call with status OK after any message in flight. */
void ins_call_finish(ins_call *call);

/*
 * Client-streaming and bidi: asks for the next client message, delivered to
 * on_read. At most one read in flight. Returns 0, INS_EBUSY or
 * INS_ECANCELLED as ins_call_send().
 */
int ins_call_read(ins_call *call);

/* ---- from any thread -------------------------------------------------- */

/* Takes a reference that keeps the call (not the RPC) alive. */
void ins_call_ref(ins_call *call);
/* Drops a reference; the last one frees the call. */
void ins_call_unref(ins_call *call);
/*
 * Schedules on_wake on the call's worker thread. Safe from any thread while
 * the caller holds a reference. Does nothing useful after the call is done
 * (on_wake still runs; check ins_call_done()).
 */
void ins_call_wake(ins_call *call);

#endif /* INS_CALL_H */
