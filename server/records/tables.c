/*
 * tables.c - the names of the tables and the schema migrations (see
 * tables.h).
 */
#include "tables.h"

#include <stddef.h>

#include "rec_directory.h"

const char *const ins_rec_table_names[] = {
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
    [T_REVOCATIONS] = "token_revocations",
    [T_INSPECTORS_BY_TOWN] = "inspectors_by_town",
    [T_COUNT] = NULL,
};

const ins_migration ins_rec_migrations[] = {
    {2, ins_inspector_index_towns, NULL},
};
const size_t ins_rec_n_migrations = sizeof ins_rec_migrations / sizeof ins_rec_migrations[0];
