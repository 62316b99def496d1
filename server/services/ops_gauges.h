/*
 * ops_gauges.h - the server's own metrics and its readiness check: the
 * store (sizes per environment against --max-store-bytes, writer queues,
 * commit latency and batch size), uploads, photos, follow streams, open
 * alerts by kind, tasks by state, feed and audit heads, idempotency
 * entries; /readyz's "store" check (store open, not draining).
 *
 * Registered with the registries of server/ops (metrics.h, ready.h) once
 * the store is open and the server created; unregistered before the store
 * closes, so no scrape reads a closed store.
 */
#ifndef INS_OPS_GAUGES_H
#define INS_OPS_GAUGES_H

#include "ctx.h"

/* Registers the collector and the "store" readiness check for `ctx` (its
 * store and server set). Returns 0, or ENOMEM / INS_EEXIST (registered
 * twice). */
int ins_ops_gauges_register(ins_ctx *ctx);

/* Unregisters both; waits for a scrape or probe in progress. */
void ins_ops_gauges_unregister(ins_ctx *ctx);

#endif /* INS_OPS_GAUGES_H */
