/*
 * web.h - the gRPC-Web listener: an HTTP/1.1 server (libmicrohttpd) that
 * serves the web console's files and relays every gRPC-Web call into the
 * gRPC server itself over the in-process channel, so the browser meets the
 * same method table, authentication, admission, roles and limits as any
 * gRPC client. Nothing here knows a method or a rule.
 *
 * Life cycle (main thread): ins_web_start after ins_server_start;
 * ins_web_stop after ins_server_shutdown and before ins_server_destroy.
 */
#ifndef INS_WEB_H
#define INS_WEB_H

#include <stddef.h>

#include "server.h"

typedef struct ins_web ins_web;

typedef struct ins_web_config {
    const char *listen;         /* "127.0.0.1:8080"; port 0 picks one */
    const char *root;           /* the console's built files (index.html, assets/) */
    const char *const *origins; /* other origins whose pages may call (CORS) */
    size_t n_origins;
    size_t max_message_bytes; /* the gRPC port's --max-message-bytes */
    const char *tls_cert;     /* PEM files; NULL: plaintext, loopback only */
    const char *tls_key;
    const char *tls_client_ca; /* non-NULL: a verified client certificate is required */
} ins_web_config;

/*
 * Starts listening on `cfg->listen` and relaying to `srv` (started). Sets
 * `*port` to the bound port. Returns 0; INS_EINVAL with a reason in `err`
 * (`errlen` bytes) for a non-loopback address without TLS, an address that
 * is not "host:port" with a numeric host, an unreadable TLS file or an
 * address that cannot be bound; ENOMEM. On error `*out` is NULL. The config
 * strings are copied.
 */
int ins_web_start(const ins_web_config *cfg, ins_server *srv, ins_web **out, int *port, char *err,
                  size_t errlen);

/*
 * Stops: calls still relayed are cancelled (the server's shutdown has
 * already let them finish within its grace), connection threads are joined,
 * the in-process channel is closed, everything is freed. NULL is fine.
 */
void ins_web_stop(ins_web *w);

#endif /* INS_WEB_H */
