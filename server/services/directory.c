/*
 * directory.c - inspect.v1.Directory: the method table, departments and the
 * calendar. Inspectors are in directory_inspectors.c, service items and
 * templates in directory_items.c.
 */
#include "directory.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "directory_impl.h"
#include "directory_rules.h"
#include "dispatch.h" /* ins_dsp_inspector_leave_all */
#include "ins_error.h"
#include "entities.pb-c.h"
#include "records.h"

/* ---- UpsertDepartment ---------------------------------------------------- */

/* The ids of a department's inspectors, gathered before any team changes. */
typedef struct ids {
    char **v;
    size_t n, cap;
} ids;

static int keep_id(void *arg, const char *id)
{
    ids *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    return (l->v[l->n] = strdup(id)) ? (l->n++, 0) : ENOMEM;
}

/* A deactivated department's inspectors leave every open team, as a
 * deactivated inspector does (ins_dsp_inspector_leave_all): their calls are
 * refused from now on, so the bureau must replace them. */
static int members_leave(ins_wtxn *t, ins_mut *mu, const char *code)
{
    ids l = {NULL, 0, 0};
    int rc = ins_inspector_wscan(t, code, keep_id, &l);
    char what[300];
    snprintf(what, sizeof what, "left with department %s, deactivated by %s", code,
             ins_mut_actor(mu));
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        rc = ins_dsp_inspector_leave_all(t, mu, l.v[i], what);
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
    return rc;
}

static int upsert_department_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__UpsertDepartmentRequest *req =
        (const Inspect__V1__UpsertDepartmentRequest *)ins_mut_request(mu);
    Inspect__V1__Department d = *req->department;
    Inspect__V1__Department *old = NULL;
    int rc = ins_department_wget(t, d.code, &old);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    d.version = old ? old->version + 1 : 1;
    int deactivated = old && !old->inactive && d.inactive;
    const char *change = deactivated ? "deactivated" : old ? "updated" : "created";
    if (old)
        protobuf_c_message_free_unpacked(&old->base, NULL);
    rc = ins_department_put(t, &d, ins_mut_actor(mu), change);
    if (rc == 0 && deactivated)
        rc = members_leave(t, mu, d.code);
    if (rc)
        return rc;
    Inspect__V1__UpsertDepartmentResponse resp = INSPECT__V1__UPSERT_DEPARTMENT_RESPONSE__INIT;
    resp.department = &d;
    return ins_mut_reply(t, mu, &resp.base);
}

static void upsert_department_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__UpsertDepartmentRequest *req =
        (const Inspect__V1__UpsertDepartmentRequest *)msg;
    char why[256];
    if (!req->request_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id is required (any unique string)");
        return;
    }
    if (ins_department_validate(req->department, why, sizeof why) != 0) {
        ins_call_fail(call, INS_EINVAL, "%s", why);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, upsert_department_apply);
}

/* ---- ListDepartments ----------------------------------------------------- */

static void list_departments_start(ins_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    Inspect__V1__Department **items = NULL;
    size_t n = 0;
    ins_rtxn *r = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_department_list(r, &items, &n);
    ins_rtxn_end(r);
    if (rc == 0) {
        Inspect__V1__ListDepartmentsResponse resp = INSPECT__V1__LIST_DEPARTMENTS_RESPONSE__INIT;
        resp.departments = items;
        resp.n_departments = n;
        ins_call_reply(call, &resp.base);
        ins_recio_free_all((ProtobufCMessage **)items, n);
    } else {
        ins_call_fail(call, rc, "reading departments: %s", ins_strerror(rc));
    }
}

/* ---- PutCalendar / GetCalendar ------------------------------------------- */

static int put_calendar_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__PutCalendarRequest *req =
        (const Inspect__V1__PutCalendarRequest *)ins_mut_request(mu);
    int rc = ins_calendar_put(t, req->calendar, ins_mut_actor(mu));
    if (rc)
        return rc;
    Inspect__V1__PutCalendarResponse resp = INSPECT__V1__PUT_CALENDAR_RESPONSE__INIT;
    resp.calendar = req->calendar;
    return ins_mut_reply(t, mu, &resp.base);
}

static void put_calendar_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__PutCalendarRequest *req = (const Inspect__V1__PutCalendarRequest *)msg;
    char why[256];
    if (!req->request_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id is required (any unique string)");
        return;
    }
    if (!req->calendar) {
        ins_call_fail(call, INS_EINVAL, "calendar is required");
        return;
    }
    if (ins_calendar_validate(req->calendar, why, sizeof why) != 0) {
        ins_call_fail(call, INS_EINVAL, "%s", why);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, put_calendar_apply);
}

static void get_calendar_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetCalendarRequest *req = (const Inspect__V1__GetCalendarRequest *)msg;
    if (req->year < 2000 || req->year > 2100) {
        ins_call_fail(call, INS_EINVAL, "year %d is outside 2000..2100", (int)req->year);
        return;
    }
    ins_rtxn *r = NULL;
    Inspect__V1__Calendar *cal = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_calendar_get(r, req->year, &cal);
    ins_rtxn_end(r);
    if (rc == 0) {
        ins_call_reply(call, &cal->base);
        protobuf_c_message_free_unpacked(&cal->base, NULL);
    } else if (rc == INS_ENOTFOUND) {
        Inspect__V1__Calendar empty = INSPECT__V1__CALENDAR__INIT;
        empty.year = req->year;
        ins_call_reply(call, &empty.base);
    } else {
        ins_call_fail(call, rc, "reading calendar %d: %s", (int)req->year, ins_strerror(rc));
    }
}

/* ---- the method table ---------------------------------------------------- */

static const ins_method_ops upsert_department_ops = INS_MUT_OPS(upsert_department_start);
static const ins_method_ops list_departments_ops = {.start = list_departments_start};
static const ins_method_ops put_calendar_ops = INS_MUT_OPS(put_calendar_start);
static const ins_method_ops get_calendar_ops = {.start = get_calendar_start};

#define ADMIN            INS_ROLE_BIT(INS_ROLE_ADMIN)
#define ADMIN_DISPATCHER (INS_ROLE_BIT(INS_ROLE_ADMIN) | INS_ROLE_BIT(INS_ROLE_DISPATCHER))

static const ins_method_def directory_methods[] = {
    {"UpsertDepartment", INS_UNARY, ADMIN, &upsert_department_ops},
    {"ListDepartments", INS_UNARY, INS_ROLES_ANY, &list_departments_ops},
    {"UpsertInspector", INS_UNARY, ADMIN_DISPATCHER, &ins_dir_upsert_inspector_ops},
    {"GetInspector", INS_UNARY, ADMIN_DISPATCHER, &ins_dir_get_inspector_ops},
    {"ListInspectors", INS_UNARY, ADMIN_DISPATCHER, &ins_dir_list_inspectors_ops},
    {"UpsertServiceItem", INS_UNARY, ADMIN, &ins_dir_upsert_item_ops},
    {"ListServiceItems", INS_UNARY, INS_ROLES_ANY, &ins_dir_list_items_ops},
    {"PublishTemplate", INS_UNARY, ADMIN, &ins_dir_publish_template_ops},
    {"GetTemplate", INS_UNARY, INS_ROLES_ANY, &ins_dir_get_template_ops},
    {"PutCalendar", INS_UNARY, ADMIN, &put_calendar_ops},
    {"GetCalendar", INS_UNARY, INS_ROLES_ANY, &get_calendar_ops},
    {"RevokeTokens", INS_UNARY, ADMIN, &ins_dir_revoke_tokens_ops},
};

const ins_service_def ins_directory_service = {
    .descriptor = &inspect__v1__directory__descriptor,
    .methods = directory_methods,
    .n_methods = sizeof directory_methods / sizeof directory_methods[0],
};
