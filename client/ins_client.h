/*
 * ins_client.h - libinspect-client: a thin C client for inspectd on gRPC core.
 *
 * Two kinds of object. A client (ins_client) is a long-lived handle: one
 * channel (one HTTP/2 connection, plaintext or TLS), the bearer token sent
 * with every call, and a default deadline. A stream (ins_stream) is one call
 * in progress; every call kind goes through it, and ins_client_unary() is
 * the one-shot shortcut for unary methods.
 *
 * Methods are named by path ("/inspect.v1.Session/WhoAmI"); requests and
 * responses are protobuf-c messages, so the library needs no generated stub
 * per service: the caller passes the response descriptor.
 *
 * Results. Calls return a gRPC status code (grpc_status_code values as int:
 * 0 = OK). Failures the library detects itself before or without the server
 * (a file that cannot be read, a request that cannot be encoded, a response
 * that does not decode) are reported the same way with the code gRPC would
 * use (INVALID_ARGUMENT, INTERNAL) and a details text saying so, so a caller
 * has one error path. ins_client_status_name() names any code.
 *
 * Threads. A client may be shared by threads: every call has its own
 * completion queue, plucked only by the thread driving that call. A stream
 * is not thread-safe, except ins_stream_cancel(), which may be called from
 * any thread while another thread is blocked in the same stream.
 *
 * Lifetime. Every stream must be finished (ins_stream_finish()) before its
 * client is closed. The library calls grpc_init() in ins_client_open() and
 * grpc_shutdown() in ins_client_close(), so it needs no set-up of its own.
 */
#ifndef INS_CLIENT_H
#define INS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct ins_client ins_client;
typedef struct ins_stream ins_stream;

/* Timeout value meaning "the client's default" (ins_client_opts.timeout_ms). */
#define INS_TIMEOUT_DEFAULT (-1)
/* Timeout value meaning "no deadline". */
#define INS_TIMEOUT_NONE 0

/*
 * How to reach the server. Only `target` is required; zero every other field
 * for a plaintext channel with no token and no deadline. Strings are copied
 * (or their files read) by ins_client_open(): they need not outlive the call.
 */
typedef struct ins_client_opts {
    const char *target;               /* "host:port", as gRPC resolves it */
    const char *ca_file;              /* PEM roots: TLS when set, plaintext when NULL */
    const char *cert_file;            /* client certificate (PEM) for mutual TLS, or NULL */
    const char *key_file;             /* its private key (PEM); set with cert_file */
    const char *target_name_override; /* TLS: host name to verify instead of target's */
    const char *token;                /* bearer token, sent as "authorization: Bearer <token>" */
    const char *district;             /* district code sent as "x-district" with every call
                                         (a province router routes by it); NULL: none */
    int64_t timeout_ms;               /* default per-call deadline; 0 = none */
    int max_receive_bytes;            /* largest response message; 0 = gRPC default (4 MiB),
                                         -1 = unlimited */
    int private_connection;           /* 1: do not share a connection with other clients
                                         to the same target (load tests) */
    /* A weak field link (field.proto, "On a weak link"): */
    int64_t keepalive_ms; /* > 0: ping every so often, also while idle, and take the
                             connection for dead when a ping goes unanswered for
                             min(this, 5 s); 0: gRPC's default (no pings) */
    int64_t reconnect_ms; /* > 0: first reconnect backoff after a lost connection,
                             growing to 8 x this; 0: gRPC's default (1 s to 120 s) */
} ins_client_opts;

/*
 * Opens a client. The channel connects lazily, on the first call; an
 * unreachable server shows up as UNAVAILABLE on that call, not here.
 *
 * On success returns 0 and stores a handle in `*out`, to be released with
 * ins_client_close(). On error returns:
 *   INVALID_ARGUMENT  `target` missing, cert_file without key_file (or the
 *                     reverse), cert_file without ca_file, or a file that
 *                     cannot be read;
 *   INTERNAL          gRPC refused to create the credentials or channel;
 * with a malloc'd explanation in `*details` (when `details` is not NULL;
 * the caller frees it), and `*out` set to NULL.
 */
int ins_client_open(const ins_client_opts *opts, ins_client **out, char **details);

/*
 * Closes the channel and frees the client. Every stream of this client must
 * have been finished. Accepts NULL. This function can't fail.
 */
void ins_client_close(ins_client *c);

/*
 * Replaces the bearer token for calls started from now on (NULL: send none).
 * Not thread-safe against calls being started on other threads.
 * Returns 0, or RESOURCE_EXHAUSTED when out of memory (token unchanged).
 */
int ins_client_set_token(ins_client *c, const char *token);

/*
 * Replaces the district sent as x-district for calls started from now on
 * (NULL or "": send none). Not thread-safe against calls being started on
 * other threads. Returns 0 (OK). This function can't fail.
 */
int ins_client_set_district(ins_client *c, const char *district);

/*
 * Calls a unary method: sends `req`, waits for the reply or the deadline.
 *
 * `method` is the full path, "/package.Service/Method". `resp_desc` is the
 * descriptor of the response message. `timeout_ms` is the deadline from now
 * (INS_TIMEOUT_DEFAULT: the client's; INS_TIMEOUT_NONE: none).
 *
 * Returns the call's gRPC status code. On OK `*resp` (if `resp` is not NULL)
 * receives the decoded response, which the caller frees with
 * protobuf_c_message_free_unpacked(*resp, NULL); on any other status `*resp`
 * is NULL. `*details` (if `details` is not NULL) receives the status message
 * as a malloc'd string, "" when the server sent none; the caller frees it
 * with free(), whatever the status. A reply that does not decode as
 * `resp_desc` gives INTERNAL.
 */
int ins_client_unary(ins_client *c, const char *method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, int64_t timeout_ms,
                     ProtobufCMessage **resp, char **details);

/*
 * Starts a call of any kind and sends the request metadata (token). For a
 * server-streaming method, follow with one ins_stream_send() and
 * ins_stream_close_send() (or use ins_client_server_stream()); for client
 * streaming and bidi, send as many messages as needed.
 *
 * Returns 0 and a stream in `*out`, or INTERNAL when gRPC refuses to start
 * the call (`*out` NULL). Later failures (refused connection, auth, deadline)
 * appear as failed sends/receives and in the status from ins_stream_finish().
 * The stream must be finished with ins_stream_finish(), even after an error.
 */
int ins_stream_start(ins_client *c, const char *method, const ProtobufCMessageDescriptor *resp_desc,
                     int64_t timeout_ms, ins_stream **out);

/*
 * Starts a server-streaming call: ins_stream_start(), one request, half-close.
 * Returns 0, or the status code of the failure with `*out` NULL and the
 * call already finished (details in `*details` when not NULL, caller frees).
 */
int ins_client_server_stream(ins_client *c, const char *method, const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *resp_desc, int64_t timeout_ms,
                             ins_stream **out, char **details);

/*
 * Sends one message and waits until gRPC has taken it (flow control may make
 * this wait for the server to read). The encoded buffer is freed before
 * return. Returns 0; -1 when the call is over (server finished it, deadline,
 * cancelled, connection lost): no more messages can be sent, and
 * ins_stream_finish() gives the reason. Returns INTERNAL if `msg` cannot be
 * encoded. Not after ins_stream_close_send().
 */
int ins_stream_send(ins_stream *s, const ProtobufCMessage *msg);

/*
 * Half-closes: tells the server no more messages follow. Returns 0, or -1 when
 * the call is already over. Calling it twice is harmless (returns 0).
 */
int ins_stream_close_send(ins_stream *s);

/*
 * Waits for the next response message, at most `timeout_ms` (INS_TIMEOUT_NONE:
 * until the call's own deadline or forever).
 *
 * Returns 1 and the message in `*msg` (caller frees it with
 * protobuf_c_message_free_unpacked(*msg, NULL)); 0 at end of stream, when
 * the server finished the call (OK or not) or the call failed: then call
 * ins_stream_finish() for the status; -1 when `timeout_ms` passed with no
 * message: the receive stays pending and the next ins_stream_recv() picks it
 * up. A message that does not decode as the response type cancels the call
 * with INTERNAL (which ins_stream_finish() reports) and gives 0. `*msg` is
 * NULL whenever the result is not 1.
 */
int ins_stream_recv(ins_stream *s, int64_t timeout_ms, ProtobufCMessage **msg);

/*
 * Waits for the server's initial metadata of the call, at most `timeout_ms`
 * (INS_TIMEOUT_NONE: as long as the call lasts), and looks up `key` in it:
 * UploadPhoto's committed offset (ins_upload.h), say. Messages may be sent
 * meanwhile; receiving works as before.
 * Returns 1 with the value as a malloc'd string in `*value` (caller frees);
 * 0 when the metadata came without `key` or the call ended first (a failed
 * call: ins_stream_finish() gives the status); -1 when `timeout_ms` passed:
 * the wait stays pending and the next call picks it up. `*value` is NULL
 * whenever the result is not 1.
 */
int ins_stream_metadata(ins_stream *s, const char *key, int64_t timeout_ms, char **value);

/*
 * Cancels the call: the server sees CANCELLED, pending and later
 * sends/receives fail. The stream must still be finished. Thread-safe;
 * harmless on a finished call. This function can't fail.
 */
void ins_stream_cancel(ins_stream *s);

/*
 * Waits for the call's final status, then frees the stream: it must not be
 * used again. Returns the gRPC status code (CANCELLED after
 * ins_stream_cancel(), unless the server had finished first); `*details`
 * as in ins_client_unary() (caller frees). Waits until the server ends the
 * call or the deadline passes, so cancel first to stop a call that would go
 * on. Accepts NULL (returns OK).
 */
int ins_stream_finish(ins_stream *s, char **details);

/*
 * Is `code` a lost link worth resuming from where the client stands:
 * UNAVAILABLE (no node answers, or the router found none up) or INTERNAL
 * (how a router such as nginx reports a backend that died in the middle of
 * a stream; README "province deployment")? The one rule of everything that
 * resumes (the upload, the outbox, changes --follow). Can't fail.
 */
int ins_client_link_lost(int code);

/*
 * The canonical name of a gRPC status code ("OK", "UNAUTHENTICATED", ...),
 * or "UNKNOWN_STATUS" for a value outside the table. Never NULL.
 */
const char *ins_client_status_name(int code);

/*
 * Parses a status name as ins_client_status_name() prints it. Returns the
 * code, or -1 for an unknown name.
 */
int ins_client_status_parse(const char *name);

#endif /* INS_CLIENT_H */
