/*
 * tables.h - the tables of inspectd's meta environment: their ids, names and
 * schema version. Only the record modules of server/records/ name a table;
 * services and tests go through those modules' functions.
 */
#ifndef INS_REC_TABLES_H
#define INS_REC_TABLES_H

/* The tables of the record layer, in ins_rec_table_names order. Keys use the
 * order-preserving encoding of ins_key.h; "→ ''" marks an index whose value
 * is empty. */
enum ins_rec_table {
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
    T_REVOCATIONS,        /* principal → rec.TokenRevocation */
    T_INSPECTORS_BY_TOWN, /* department, town, id → '' (schema 2) */
    T_COUNT
};

/* NULL-terminated table names for ins_store_options.tables. */
extern const char *const ins_rec_table_names[];

/* The schema version of these tables (ins_store_options.schema_version):
 *   2: inspectors_by_town, built from the inspectors of an older store. */
#define INS_REC_SCHEMA 2

#include "ins_store.h"

/* The migrations from older schema versions (ins_store_options.migrations),
 * ins_rec_n_migrations of them. */
extern const ins_migration ins_rec_migrations[];
extern const size_t ins_rec_n_migrations;

#endif /* INS_REC_TABLES_H */
