/*
 * health.h - grpc.health.v1.Health: the standard health-checking service.
 *
 * Check answers the status of the whole server ("") or of one registered
 * service: SERVING, or NOT_SERVING once the server is draining; an unknown
 * service fails with NOT_FOUND. Watch streams the current status, then every
 * change, until the client goes away; for an unknown service it sends
 * SERVICE_UNKNOWN and stays open, as the gRPC health spec asks. Both methods
 * are open (no credentials).
 *
 * The module keeps its state (the list of open Watch calls) in one static
 * struct: inspectd runs one server per process.
 */
#ifndef INS_HEALTH_H
#define INS_HEALTH_H

#include "server.h"

/* The service definition to pass to ins_server_add_service(). */
extern const ins_service_def ins_health_service;

/*
 * Prepares the module for server `s` and registers its drain hook (which
 * tells every watcher NOT_SERVING, then ends their streams with UNAVAILABLE so
 * shutdown need not wait out its grace period). Call once per server, before
 * ins_server_start (ins_server_on_drain's rule). Returns 0, or INS_ESTATE
 * when Watch calls of an earlier server are still open.
 */
int ins_health_init(ins_server *s);

#endif /* INS_HEALTH_H */
