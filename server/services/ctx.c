/*
 * ctx.c - the table list of the services (see ctx.h).
 */
#include "ctx.h"

#include <time.h>

#include "scheduler.h"

const char *const ins_ctx_table_names[] = {
    [T_DEPARTMENTS] = "departments",
    [T_INSPECTORS] = "inspectors",
    [T_INSPECTORS_BY_DEPT] = "inspectors_by_dept",
    [T_ITEMS] = "items",
    [T_TEMPLATES] = "templates",
    [T_CALENDARS] = "calendars",
    [T_APPLICATIONS] = "applications",
    [T_APPS_BY_STAGE] = "apps_by_stage",
    [T_APPS_BY_TOWN] = "apps_by_town",
    [T_APPS_BY_ITEM] = "apps_by_item",
    [T_COUNTERS] = "counters",
    [T_TASKS] = "tasks",
    [T_TASKS_BY_APP] = "tasks_by_app",
    [T_TASKS_BY_INSPECTOR] = "tasks_by_inspector",
    [T_TASK_TIMERS] = "task_timers",
    [T_TASK_ALERTS] = "task_alerts",
    [T_INSPECTOR_LOAD] = "inspector_load",
    [T_ALERTS] = "alerts",
    [T_ALERTS_OPEN] = "alerts_open",
    [T_REPORTS] = "reports",
    [T_TASK_FORMER] = "task_former",
    [T_FINDINGS] = "findings",
    [T_FINDINGS_HISTORY] = "findings_history",
    [T_PHOTOS] = "photos",
    [T_TASK_PHOTOS] = "task_photos",
    [T_UPLOADS] = "uploads",
    [T_AUDIT_BY_ENTITY] = "audit_by_entity",
    [T_AUDIT_BY_ACTOR] = "audit_by_actor",
    [T_ALERT_DEDUP] = "alert_dedup",
    [T_COUNT] = NULL,
};

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
