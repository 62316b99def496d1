/*
 * ctx.c - the process context: commit hook, clock (see ctx.h).
 */
#include "ctx.h"

#include <time.h>

#include "scheduler.h"

/* The store's commit hook: runs on the writer thread after each commit that
 * advanced the feed. */
static void on_commit(void *arg, uint64_t last_seq)
{
    ins_ctx *ctx = arg;
    (void)last_seq;
    ins_followers_notify(&ctx->followers);
    ins_scheduler_kick(ctx); /* a new or moved deadline timer */
}

void ins_ctx_init(ins_ctx *ctx, ins_store *store)
{
    ctx->store = store;
    ins_followers_init(&ctx->followers);
    ins_store_on_commit(store, on_commit, ctx);
}

void ins_ctx_destroy(ins_ctx *ctx)
{
    ins_followers_destroy(&ctx->followers);
}

uint64_t ins_ctx_clock_ns(void *arg)
{
    const ins_ctx *ctx = arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    if (ctx->warp <= 1.0 || now < ctx->warp_base_ns)
        return now;
    return ctx->warp_base_ns + (uint64_t)((double)(now - ctx->warp_base_ns) * ctx->warp);
}
