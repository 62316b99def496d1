/*
 * web_impl.h - what the files of the gRPC-Web listener share: the
 * listener's state, one HTTP request's state, and the headers every
 * response carries. Not for use outside server/web/.
 */
#ifndef INS_WEB_IMPL_H
#define INS_WEB_IMPL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>
#include <microhttpd.h>

#include "relay.h"
#include "web.h"

#define INS_WEB_MAX_ORIGINS 8

struct ins_web {
    struct MHD_Daemon *daemon;
    ins_server *server;
    grpc_channel *channel; /* in-process, into the gRPC server */
    char *root;
    char *origins[INS_WEB_MAX_ORIGINS];
    size_t n_origins;
    size_t max_message_bytes;
    int tls;
    char *tls_cert_pem, *tls_key_pem; /* MHD keeps pointers to these */
    char *tls_ca_pem;                 /* client certificates: required when set */
    atomic_int stopping;
};

/* One gRPC-Web request: the body as it arrives, then the relayed call and
 * the bytes of the response not yet handed to the connection. */
typedef struct ins_web_rpc {
    ins_web *web;
    struct MHD_Connection *conn;
    ins_server *server;
    int fd;           /* the connection's socket, to notice a browser that left */
    char *client_pem; /* the verified client certificate (mutual TLS), or NULL */
    int text;         /* application/grpc-web-text: base64 both ways */
    uint8_t *body;
    size_t len, cap;
    int overflow; /* more body than any allowed message needs */
    ins_relay *relay;
    grpc_status_code code; /* a refusal before any call, or OK */
    char why[512];
    uint8_t *out;
    size_t out_len, out_pos, out_cap;
    int final; /* the trailer frame is in `out` */
} ins_web_rpc;

/* Adds the headers every response carries: the Content-Security-Policy
 * and its companions (see web_static.c). */
void ins_web_security_headers(const ins_web *w, struct MHD_Response *r);

/* Non-zero when `origin` may call: the listener's own origin (`host` is
 * the request's Host header) or one of --web-origin. */
int ins_web_origin_allowed(const ins_web *w, const char *origin, const char *host);

/* Answers GET/HEAD of `url` from the console's files. */
enum MHD_Result ins_web_static(ins_web *w, struct MHD_Connection *conn, const char *url);

/* Answers with a short text/plain page (`status` an HTTP status). */
enum MHD_Result ins_web_text(ins_web *w, struct MHD_Connection *conn, unsigned status,
                             const char *text);

/* The gRPC-Web half (web_rpc.c): creates the request state for a POST with
 * a gRPC-Web content type, or returns NULL (the caller answers 415).
 * `client_pem` (taken over; may be NULL) is the connection's verified
 * client certificate, relayed with the call. */
ins_web_rpc *ins_web_rpc_begin(ins_web *w, struct MHD_Connection *conn, const char *ctype,
                               char *client_pem);

/* The leaf certificate the connection's TLS handshake verified against
 * --tls-client-ca, as PEM (the caller frees it); NULL with a sentence in
 * `why` when there is none or it does not verify (web_tls.c). */
char *ins_web_client_cert(struct MHD_Connection *conn, char *why, size_t whylen);
/* Takes `n` more body bytes. */
void ins_web_rpc_body(ins_web_rpc *q, const char *data, size_t n);
/* The body is complete: starts the call and queues the streamed response,
 * which from now on owns `q`. */
enum MHD_Result ins_web_rpc_respond(ins_web_rpc *q, const char *url, const char *origin);
/* Frees a request whose response was never queued. NULL is fine. */
void ins_web_rpc_free(ins_web_rpc *q);

#endif /* INS_WEB_IMPL_H */
