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

#endif /* INS_INPROC_H */
