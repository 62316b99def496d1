/*
 * ctx.h - what every service shares: the store, the options, the clock.
 * Services reach the tables only through the record modules of
 * server/records/.
 *
 * One ins_ctx per process, created by main and reached from a call through
 * ins_server_ctx(ins_call_server(call)).
 */
#ifndef INS_CTX_H
#define INS_CTX_H

#include <stdatomic.h>

#include "follow.h"
#include "ins_cursor.h"
#include "ins_store.h"
#include "server.h"

typedef struct ins_ctx {
    ins_store *store;
    ins_server *server;
    ins_followers followers; /* streams woken by every commit */
    /* Settings a SIGHUP may change while handlers read them: atomic. */
    _Atomic double checkin_radius_m;
    _Atomic uint64_t max_photo_bytes;
    _Atomic int64_t max_clock_skew_s; /* device times further ahead are refused (device_time.h) */
    ins_cursor_key cursor_key;        /* signs page tokens and cursors (paging.h) */
    struct ins_jobs *jobs;            /* blocking disk work off the gRPC workers */
    /* Clock: the store's clock runs `warp` times faster than real time from
     * `warp_base_ns` (1 = real time; tests of deadlines use more). */
    double warp;
    uint64_t warp_base_ns;
    struct ins_scheduler *scheduler;
    atomic_uint_fast64_t upload_bytes; /* photo chunk bytes accepted, for metrics */
} ins_ctx;

/*
 * Initialises the ctx's own parts (the follower registry) and hooks them to
 * the store's commits. `store` must be open. Can't fail.
 */
void ins_ctx_init(ins_ctx *ctx, ins_store *store);

/* The ctx's clock for ins_store_options.clock_ns: wall time, warped. */
uint64_t ins_ctx_clock_ns(void *ctx);

/* Releases what ins_ctx_init set up; the store must be closed first. */
void ins_ctx_destroy(ins_ctx *ctx);

/* The ctx of the call's server. Can't fail. */
static inline ins_ctx *ins_ctx_of(const ins_call *call)
{
    return (ins_ctx *)ins_server_ctx(ins_call_server(call));
}

#endif /* INS_CTX_H */
