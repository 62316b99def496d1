/*
 * app.h - what every service shares: the store, its tables, the options.
 *
 * One ins_app per process, created by main and reached from a call through
 * ins_server_app(ins_call_server(call)).
 */
#ifndef INS_APP_H
#define INS_APP_H

#include "ins_store.h"
#include "server.h"

/* The tables of the services, in ins_app_table_names order. Keys use the
 * order-preserving encoding of ins_key.h; "→ ''" marks an index whose value
 * is empty. */
enum ins_app_table {
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
    T_COUNT
};

/* NULL-terminated table names for ins_store_options.tables. */
extern const char *const ins_app_table_names[];

/* The schema version of these tables (ins_store_options.schema_version). */
#define INS_APP_SCHEMA 1

typedef struct ins_app {
    ins_store *store;
    ins_server *server;
    double checkin_radius_m;
} ins_app;

/* The app of the call's server. Can't fail. */
static inline ins_app *ins_app_of(const ins_call *call)
{
    return (ins_app *)ins_server_app(ins_call_server(call));
}

#endif /* INS_APP_H */
