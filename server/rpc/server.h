/*
 * server.h - the gRPC server runtime: listening, worker threads with one
 * completion queue each, the method table, graceful shutdown.
 *
 * Life cycle (one thread, the main one): ins_server_create →
 * ins_server_add_service (each) → ins_server_start → ... →
 * ins_server_shutdown → ins_server_destroy.
 */
#ifndef INS_SERVER_H
#define INS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "ins_token.h"
#include "call.h"

/* One method of a service: its name in the .proto, kind, allowed roles and
 * callbacks. `roles` is a mask of INS_ROLE_BIT(); 0 makes the method open
 * (no credentials needed: health and reflection only). */
typedef struct ins_method_def {
    const char *name;
    ins_method_kind kind;
    unsigned roles;
    const ins_method_ops *ops;
} ins_method_def;

/* A service: its protobuf-c descriptor and a definition for every method the
 * descriptor lists (ins_server_add_service refuses a service with a method
 * left out, so no method can answer UNIMPLEMENTED by accident). */
typedef struct ins_service_def {
    const ProtobufCServiceDescriptor *descriptor;
    const ins_method_def *methods;
    size_t n_methods;
} ins_service_def;

typedef struct ins_server_config {
    const char *listen;       /* "127.0.0.1:50051"; port 0 picks one */
    int threads;              /* worker threads; <= 0: number of cores */
    size_t max_message_bytes; /* largest message received or sent */
    int grace_seconds;        /* shutdown: time for in-flight calls */
    const char *tls_cert;     /* PEM files; NULL for plaintext (loopback only) */
    const char *tls_key;
    const char *tls_client_ca;  /* non-NULL: mutual TLS, client cert required */
    ins_token_keys *token_keys; /* verifies bearer tokens; must outlive the server */
    int count_calls;            /* keep the grpc-prometheus counters (metrics.h) */
    int64_t log_slow_us;        /* unary calls this slow log at warn anyway; 0: off */
    /* HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS; <= 0: the default below. */
    int max_streams_per_connection;
    /* Per principal (plimit.h): calls a second and burst (0: no rate
     * limit), open streaming calls (0: no limit). */
    double principal_rate;
    unsigned principal_burst;
    unsigned principal_streams;
    int log_calls;             /* one info line per call (log.h; ins_server_set_log_calls) */
    const char *district;      /* the district served (ins_district.h); NULL: the default */
    int64_t keepalive_ms;      /* HTTP/2 keepalive ping interval while calls are open;
                                  0: gRPC's default (none in practice) */
    const char *trusted_proxy; /* proxy list of peer.h (--trusted-proxy); NULL: none */
} ins_server_config;

#define INS_DEFAULT_MAX_STREAMS_PER_CONNECTION 100

/*
 * Creates a server (not yet listening). Returns 0, or INS_EINVAL with a
 * reason in `err` (`errlen` bytes): a non-loopback address without TLS, a
 * TLS file that cannot be read, a district that is no code, a trusted proxy
 * list that does not parse. On error `*out` is NULL. The config strings
 * are copied.
 */
int ins_server_create(const ins_server_config *cfg, ins_server **out, char *err, size_t errlen);

/* The district this server serves. Valid as long as the server. Can't fail. */
const char *ins_server_district(const ins_server *s);

/* Turns the per-call log on or off (SIGHUP reload). Any thread. */
void ins_server_set_log_calls(ins_server *s, int on);

/*
 * Reloads the TLS files (SIGHUP): reads `cert`, `key` and, for mutual TLS,
 * `client_ca` (NULL for the current paths), checks that the key belongs to
 * the certificate, and hands them to gRPC, which uses them for every
 * handshake from then on; connections already open keep theirs. Returns 0;
 * INS_ESTATE when the server serves plaintext or a CA is given to a server
 * without mutual TLS or taken from one with it (the kind of listener only
 * changes at restart); INS_EINVAL with the reason in `err` when a file
 * cannot be read or the pair does not match (the old files stay in use).
 * Main thread, after ins_server_start.
 */
int ins_server_reload_tls(ins_server *s, const char *cert, const char *key, const char *client_ca,
                          char *err, size_t errlen);

/* Sets / gets the application context handlers reach through ins_call_server. */
void ins_server_set_ctx(ins_server *s, void *ctx);
void *ins_server_ctx(const ins_server *s);

/*
 * Registers a service. Must precede ins_server_start. Returns 0; INS_EINVAL
 * when a method of the descriptor has no definition or a definition names no
 * method of the descriptor; ENOMEM.
 */
int ins_server_add_service(ins_server *s, const ins_service_def *svc);

/*
 * The allowed-roles mask of the method at `path` ("/pkg.Service/Method").
 * Returns 0 and sets `*roles`, or INS_ENOTFOUND for a path nobody registered.
 */
int ins_server_method_roles(const ins_server *s, const char *path, unsigned *roles);

/* Names of the registered services, for health and reflection. */
size_t ins_server_service_count(const ins_server *s);
const char *ins_server_service_name(const ins_server *s, size_t i);

/*
 * Binds, starts the worker threads and begins serving. `*port` receives the
 * bound port. Returns 0, or INS_EINVAL with a reason in `err` when the
 * address cannot be bound.
 */
int ins_server_start(ins_server *s, int *port, char *err, size_t errlen);

/*
 * The check of an authenticated principal against live state (the
 * directory, token revocations), run by call admission on every call of a
 * method that needs credentials, after the role check and before the
 * request is decoded, on the call's worker thread. Returns 0 to admit;
 * otherwise the error (INS_EPERM, INS_EAUTH, a storage error) the call
 * fails with, and the message in `why` (`whylen` bytes). Must be cheap
 * (a read transaction, no write) and thread-safe.
 */
typedef int (*ins_admit_fn)(void *arg, const ins_principal *p, char *why, size_t whylen);

/* Installs the admission check (one; NULL: none). Before start only. */
void ins_server_set_admit(ins_server *s, ins_admit_fn fn, void *arg);

/* Registers a function run (on the calling thread) when draining begins;
 * health uses it to tell watchers NOT_SERVING. Before start only. */
void ins_server_on_drain(ins_server *s, void (*fn)(void *arg), void *arg);

/* Non-zero once shutdown has begun. Any thread. */
int ins_server_draining(const ins_server *s);

/*
 * Graceful stop: stops accepting calls, runs the drain hooks, lets in-flight
 * calls finish for up to `grace_seconds`, cancels the rest, joins the
 * workers. Blocks. Call once, from the main thread.
 */
void ins_server_shutdown(ins_server *s);

/* Frees the server. NULL is fine. After ins_server_shutdown only. */
void ins_server_destroy(ins_server *s);

/*
 * Non-zero when `addr` ("host:port", "[v6]:port", optionally with an
 * ipv4:/ipv6: scheme) names a loopback address: 127.0.0.0/8, ::1 or
 * "localhost". Host names are not resolved: anything else needs TLS (the
 * gRPC port and the gRPC-Web listener apply the same rule). Can't fail.
 */
int ins_addr_is_loopback(const char *addr);

/* Counters for ServerStatus. Any thread. */
typedef struct ins_server_stats {
    int64_t started_unix;
    unsigned threads;
    uint64_t calls_started;
    uint64_t calls_active;
} ins_server_stats;
void ins_server_get_stats(const ins_server *s, ins_server_stats *out);

#endif /* INS_SERVER_H */
