/*
 * app.c - the table list of the services (see app.h).
 */
#include "app.h"

const char *const ins_app_table_names[] = {
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
    [T_COUNT] = NULL,
};
