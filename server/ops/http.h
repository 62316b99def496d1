/*
 * http.h - the operations endpoint: a small HTTP/1.1 listener (libmicrohttpd,
 * its own thread) serving
 *
 *   GET /metrics   the registry of metrics.h in the Prometheus text format;
 *   GET /healthz   200 "ok" while the process runs (liveness);
 *   GET /readyz    200 when every check of ready.h passes, else 503; the body
 *                  lists each check ("ok store", "fail backup: ...").
 *
 * Anything else is 404 (405 for a method other than GET or HEAD). The
 * listener knows nothing of gRPC; it reads the registries only.
 */
#ifndef INS_OPS_HTTP_H
#define INS_OPS_HTTP_H

#include <stddef.h>

typedef struct ins_ops_http ins_ops_http;

/*
 * Listens on `addr` ("127.0.0.1:9464", "[::1]:0", "localhost:9464"; port 0
 * picks a free one) and serves on a thread of its own. Returns 0 and the
 * listener in *out (stop it with ins_ops_http_stop), or INS_EINVAL with a
 * sentence in `err` (`errlen` bytes): an address that does not parse or
 * cannot be bound.
 */
int ins_ops_http_start(const char *addr, ins_ops_http **out, char *err, size_t errlen);

/* The bound port. Can't fail. */
int ins_ops_http_port(const ins_ops_http *h);

/* Stops serving (requests in progress finish) and frees. NULL is fine. */
void ins_ops_http_stop(ins_ops_http *h);

#endif /* INS_OPS_HTTP_H */
