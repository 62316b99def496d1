/*
 * runtime.h - what call.c and server.c share and nobody else sees: the tag
 * types, the per-method registration record, the call and worker structs.
 *
 * A tag is a small typed struct embedded in the call; the completion queue
 * hands back its address and the worker switches on `kind`. Each kind has at
 * most one batch in flight per call, so one embedded tag per kind suffices.
 */
#ifndef INS_RUNTIME_H
#define INS_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "ins_histo.h"
#include "server.h"

typedef enum ins_tag_kind {
    INS_TAG_NEW,     /* a registered-method call arrived (or the request was shut down) */
    INS_TAG_UNKNOWN, /* a call for a method nobody registered */
    INS_TAG_CLOSE,   /* RECV_CLOSE_ON_SERVER: the call is over or cancelled */
    INS_TAG_SEND,    /* one streamed message left */
    INS_TAG_RECV,    /* one client message arrived */
    INS_TAG_STATUS,  /* the final status (and maybe a unary reply) left */
    INS_TAG_WAKE,    /* empty batch from ins_call_wake */
} ins_tag_kind;

typedef struct ins_tag {
    ins_tag_kind kind;
    struct ins_call *call;
} ins_tag;

/* One registered method: the definition plus what the runtime derives. */
typedef struct ins_method {
    ins_method_def def;
    char *path;          /* "/pkg.Service/Method", owned */
    const char *service; /* "pkg.Service", the descriptor's */
    size_t index;        /* in the server's method table and every worker's stats */
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
    /* The input's string field `request_id`, NULL when it has none: the
     * request id of the call's log line. */
    const ProtobufCFieldDescriptor *request_id;
    void *handle; /* grpc_server_register_method */
} ins_method;

/* Number of gRPC status codes, OK (0) .. UNAUTHENTICATED (16). */
#define INS_GRPC_CODES 17

/*
 * The grpc-prometheus counters of one method on one worker. Only that
 * worker's calls touch them (and the thread that frees a call, which may be
 * a storage writer: hence relaxed atomics, never a lock); the metrics
 * collector adds every worker's up at scrape (callstats.c).
 */
typedef struct ins_method_stats {
    atomic_uint_fast64_t started, msg_in, msg_out;
    atomic_uint_fast64_t handled[INS_GRPC_CODES];
    ins_histo seconds; /* handling time, ns */
} ins_method_stats;

typedef struct ins_worker {
    struct ins_server *server;
    grpc_completion_queue *cq;
    pthread_t thread;
    unsigned index;
    ins_method_stats *stats; /* one per method, by ins_method.index */
} ins_worker;

struct ins_call {
    ins_server *server;
    ins_worker *worker;
    const ins_method *method; /* NULL for an unknown method */
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array request_md;
    grpc_byte_buffer *payload; /* initial request of unary / server stream */
    grpc_call_details details; /* unknown methods only */

    ins_tag t_new, t_close, t_send, t_recv, t_status, t_wake;
    atomic_int refs;
    atomic_int wake_pending;

    /* State below is touched only on the call's worker thread. */
    int started;         /* arrived and being served */
    int close_cancelled; /* output of RECV_CLOSE_ON_SERVER */
    int close_posted;    /* RECV_CLOSE_ON_SERVER started (alone, or with the status) */
    int done;            /* status sent or call cancelled */
    int md_sent;
    grpc_metadata md_out; /* ins_call_send_headers' entry, when md_out_set */
    int md_out_set;
    int send_in_flight;
    int recv_in_flight;
    int status_pending;              /* finish requested while a send was in flight */
    grpc_byte_buffer *reply_pending; /* with it: the reply to send then, or NULL */
    grpc_status_code status;         /* final status, for the log */
    grpc_slice status_details;
    grpc_byte_buffer *send_buf;
    grpc_byte_buffer *recv_buf;

    ins_principal principal;
    char *request_id;    /* malloc'd copy of the request's request_id, or NULL */
    int stream_slot;     /* holds an open-stream slot of the principal limits */
    grpc_slice retry_ms; /* trailing retry delay (ins_call_set_retry_ms), or empty */
    void *data;
    int64_t started_ns;
    uint64_t bytes_in, bytes_out;
};

/* Allocates a call record for `worker` and arms it for `method` (NULL: the
 * generic request for unknown methods). Returns 0 or a grpc_call_error. */
int ins_call_arm(ins_worker *worker, const ins_method *method);

/* Handles one completion on a worker thread. */
void ins_call_on_event(ins_tag *tag, int ok);

/* Monotonic nanoseconds. */
int64_t ins_now_ns(void);

/*
 * The wire boundary: reads `bb` (still the caller's to destroy), unpacks it
 * as the method's input and runs the generic checks of ins_pbcheck.h on
 * every field, before any handler sees it. On failure the call has been
 * failed with INVALID_ARGUMENT naming the field (`what` is "request" or
 * "message" in the sentence) and NULL is returned; otherwise the message is
 * the caller's, freed with protobuf_c_message_free_unpacked.
 */
ProtobufCMessage *ins__call_decode(ins_call *c, grpc_byte_buffer *bb, const char *what);

/* Counts one message received / sent on the call's method (callstats.c). */
void ins__stats_msg_in(ins_call *c);
void ins__stats_msg_out(ins_call *c);
/* Counts the call's arrival / its end with c->status and duration. */
void ins__stats_started(ins_call *c);
void ins__stats_handled(ins_call *c, int64_t elapsed_ns);
/* Allocates every worker's stats and registers the metrics collector
 * (before the workers run; 0 or ENOMEM); unregisters and frees (after they
 * stopped). */
int ins__stats_start(ins_server *s);
void ins__stats_stop(ins_server *s);

/* The method table and the workers, for callstats.c. */
const ins_method *ins__server_methods(const ins_server *s, size_t *n);
ins_worker *ins__server_workers(const ins_server *s, unsigned *n);
/* The value of request metadata `key` (lower case), or an empty slice; the
 * first when sent more than once. Valid while the call is. */
grpc_slice ins__call_md(const ins_call *c, const char *key);

/* Server internals call.c needs. */
ins_token_keys *ins_server_token_keys(const ins_server *s);
/* The per-principal limits (NULL: none configured). */
struct ins_plimits *ins_server_plimits(const ins_server *s);
/* --log-slow in ns (0: off). */
int64_t ins_server_log_slow_ns(const ins_server *s);
/* Runs the admission check of ins_server_set_admit (0 when none). */
int ins_server_admit(const ins_server *s, const ins_principal *p, char *why, size_t whylen);
int ins_server_log_calls(const ins_server *s);
/* The proxies whose x-forwarded-for is believed (peer.h); NULL: none. */
const struct ins_proxy_list *ins_server_trusted_proxies(const ins_server *s);
void ins_server_count_call(ins_server *s, int delta);
grpc_server *ins_server_grpc(const ins_server *s);
int ins_server_started(const ins_server *s);
/* The in-process key of inproc.h (32 bytes, random per server). */
const unsigned char *ins_server_relay_key(const ins_server *s);

#endif /* INS_RUNTIME_H */
