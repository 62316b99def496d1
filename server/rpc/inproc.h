/*
 * inproc.h - a channel into the server itself, over gRPC core's in-process
 * transport: calls made on it arrive at the same method table, admission,
 * roles and limits as calls on the listening port (the gRPC-Web listener,
 * server/web/, relays every browser call through it).
 */
#ifndef INS_INPROC_H
#define INS_INPROC_H

#include <grpc/grpc.h>

#include "server.h"

/*
 * Creates an in-process channel to `s`, which must have been started. The
 * server side keeps the server's own channel arguments (the largest message
 * received and sent); the client side sets no limit of its own, so the
 * server's limits are the ones that answer. Returns the channel (destroy with
 * grpc_channel_destroy before ins_server_destroy), or NULL with a reason in
 * `err` (`errlen` bytes) when the server is not started.
 */
grpc_channel *ins_server_inproc_channel(ins_server *s, char *err, size_t errlen);

/*
 * A client certificate the web listener's TLS handshake verified travels
 * with the relayed call as metadata: the leaf's PEM under INS_RELAY_CERT_MD
 * and its HMAC-SHA-256 under the server's in-process key, a random key made
 * when the server is created that never leaves the process, under
 * INS_RELAY_MAC_MD. Call admission believes the certificate only with a
 * matching MAC, so nothing from outside (the gRPC port, a browser's header,
 * which the listener drops anyway) can name one.
 */
#define INS_RELAY_CERT_MD "x-inspect-relay-cert-bin"
#define INS_RELAY_MAC_MD  "x-inspect-relay-mac-bin"
#define INS_RELAY_PREFIX  "x-inspect-relay-"
#define INS_RELAY_MAC_LEN 32

/* Writes the MAC of `n` bytes at `data` under the in-process key. Can't fail. */
void ins_server_relay_sign(const ins_server *s, const void *data, size_t n,
                           unsigned char mac[INS_RELAY_MAC_LEN]);

/* Non-zero when `mac` (`maclen` bytes) is the MAC of `data` (`n` bytes). */
int ins_server_relay_verify(const ins_server *s, const void *data, size_t n, const void *mac,
                            size_t maclen);

#endif /* INS_INPROC_H */
