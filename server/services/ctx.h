/*
 * ctx.h - what every service shares: the store, its tables, the options.
 *
 * One ins_ctx per process, created by main and reached from a call through
 * ins_server_ctx(ins_call_server(call)).
 */
#ifndef INS_CTX_H
#define INS_CTX_H

#include "follow.h"
#include "ins_store.h"
#include "server.h"

/* The tables of the services, in ins_ctx_table_names order. Keys use the
 * order-preserving encoding of ins_key.h; "→ ''" marks an index whose value
 * is empty. */
enum ins_ctx_table {
    T_DEPARTMENTS,        /* code → rec.Department */
    T_INSPECTORS,         /* id → rec.Inspector */
    T_INSPECTORS_BY_DEPT, /* department, id → '' */
    T_ITEMS,              /* code → rec.ServiceItem */
    T_TEMPLATES,          /* id, version (u32) → rec.Template */
    T_CALENDARS,          /* year (u32) → rec.Calendar */
    T_APPLICATIONS,       /* id → rec.Application */
    T_APPS_BY_STAGE,      /* stage (u32), id → '' */
    T_APPS_BY_TOWN,       /* town, id → '' */
    T_APPS_BY_ITEM,       /* service item, id → '' */
    T_COUNTERS,           /* name → u64 (big-endian): id sequences */
    T_TASKS,              /* id → rec.Task */
    T_TASKS_BY_APP,       /* application id, task id → '' */
    T_TASKS_BY_INSPECTOR, /* inspector id, task id → '' (current team members) */
    T_TASK_TIMERS,        /* next alert instant (i64), task id → '' */
    T_TASK_ALERTS,        /* task id → u8 bits of threshold alerts raised */
    T_INSPECTOR_LOAD,     /* inspector id → u32 open tasks */
    T_ALERTS,             /* id → rec.Alert */
    T_ALERTS_OPEN,        /* id → '' while not acknowledged */
    T_REPORTS,            /* report id → rec.Report (reconciliation) */
    T_TASK_FORMER,        /* inspector id, task id → '': taken off the team */
    T_FINDINGS,           /* task id, department → rec.Findings (current) */
    T_FINDINGS_HISTORY,   /* task id, department, version (u32) → rec.Findings */
    T_PHOTOS,             /* photo id (hex SHA-256) → rec.Photo */
    T_TASK_PHOTOS,        /* task id, photo id → '' */
    T_UPLOADS,            /* upload id → photo id: finished uploads */
    T_AUDIT_BY_ENTITY,    /* entity ("kind/id"), audit seq (u64) → '' */
    T_AUDIT_BY_ACTOR,     /* actor, audit seq (u64) → '' */
    T_ALERT_DEDUP,        /* kind (u32), task id, department → id of the open alert */
    T_COUNT
};

/* NULL-terminated table names for ins_store_options.tables. */
extern const char *const ins_ctx_table_names[];

/* The schema version of these tables (ins_store_options.schema_version). */
#define INS_CTX_SCHEMA 1

typedef struct ins_ctx {
    ins_store *store;
    ins_server *server;
    ins_followers followers; /* streams woken by every commit */
    double checkin_radius_m;
    uint64_t max_photo_bytes;
    struct ins_jobs *jobs; /* blocking disk work off the gRPC workers */
    /* Clock: the store's clock runs `warp` times faster than real time from
     * `warp_base_ns` (1 = real time; tests of deadlines use more). */
    double warp;
    uint64_t warp_base_ns;
    struct ins_scheduler *scheduler;
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
