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
#include "ins_error.h"
#include "entities.pb-c.h"
#include "records.h"

void ins_dir_key_department(ins_key *k, const char *code)
{
    ins_key_init(k);
    ins_key_text(k, code);
}

void ins_dir_key_inspector(ins_key *k, const char *id)
{
    ins_key_init(k);
    ins_key_text(k, id);
}

void ins_dir_key_item(ins_key *k, const char *code)
{
    ins_key_init(k);
    ins_key_text(k, code);
}

void ins_dir_key_template(ins_key *k, const char *id, uint32_t version)
{
    ins_key_init(k);
    ins_key_text(k, id);
    if (version)
        ins_key_u32(k, version);
}

int ins_dir_department_exists(ins_wtxn *t, const char *code)
{
    ins_key k;
    ins_val v;
    ins_dir_key_department(&k, code);
    return ins_wtxn_get(t, T_DEPARTMENTS, k.buf, k.len, &v) == 0;
}

/* Keeps the last (highest-version) row of a template's prefix scan. */
static int keep_last(void *arg, const ins_val *key, const ins_val *val)
{
    ins_val *last = arg;
    (void)key;
    *last = *val;
    return 0;
}

int ins_dir_latest_template(ins_rtxn *r, ins_wtxn *t, const char *id, Inspect__V1__Template **out)
{
    ins_key prefix;
    ins_val last = {NULL, 0};
    ins_dir_key_template(&prefix, id, 0);
    int rc = r ? ins_rtxn_scan(r, T_TEMPLATES, prefix.buf, prefix.len, NULL, 0, keep_last, &last)
               : ins_wtxn_scan(t, T_TEMPLATES, prefix.buf, prefix.len, NULL, 0, keep_last, &last);
    if (rc)
        return rc;
    if (!last.data)
        return INS_ENOTFOUND;
    return ins_rec_decode(last.data, last.len, &inspect__rec__template__descriptor,
                          &inspect__v1__template__descriptor, (ProtobufCMessage **)out);
}

/* ---- UpsertDepartment ---------------------------------------------------- */

static int upsert_department_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__UpsertDepartmentRequest *req =
        (const Inspect__V1__UpsertDepartmentRequest *)ins_mut_request(mu);
    Inspect__V1__Department d = *req->department;
    ins_key k;
    ins_dir_key_department(&k, d.code);
    Inspect__V1__Department *old = NULL;
    int rc = ins_recio_wget(t, T_DEPARTMENTS, &k, &inspect__rec__department__descriptor,
                            &inspect__v1__department__descriptor, (ProtobufCMessage **)&old);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    d.version = old ? old->version + 1 : 1;
    ins_change ch = {ins_mut_actor(mu), "department", d.code, old ? "updated" : "created", NULL, 0};
    if (old)
        protobuf_c_message_free_unpacked(&old->base, NULL);
    rc = ins_recio_store(t, T_DEPARTMENTS, &k, &d.base, &inspect__rec__department__descriptor, &ch);
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
    ProtobufCMessage **items = NULL;
    size_t n = 0;
    ins_rtxn *r = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_recio_collect(r, T_DEPARTMENTS, &inspect__rec__department__descriptor,
                               &inspect__v1__department__descriptor, &items, &n);
    ins_rtxn_end(r);
    if (rc == 0) {
        Inspect__V1__ListDepartmentsResponse resp = INSPECT__V1__LIST_DEPARTMENTS_RESPONSE__INIT;
        resp.departments = (void *)items;
        resp.n_departments = n;
        ins_call_reply(call, &resp.base);
        ins_recio_free_all(items, n);
    } else {
        ins_call_fail(call, rc, "reading departments: %s", ins_strerror(rc));
    }
}

/* ---- PutCalendar / GetCalendar ------------------------------------------- */

static void key_calendar(ins_key *k, int32_t year)
{
    ins_key_init(k);
    ins_key_u32(k, (uint32_t)year);
}

static int put_calendar_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__PutCalendarRequest *req =
        (const Inspect__V1__PutCalendarRequest *)ins_mut_request(mu);
    ins_key k;
    key_calendar(&k, req->calendar->year);
    char id[16];
    snprintf(id, sizeof id, "%d", (int)req->calendar->year);
    ins_change ch = {ins_mut_actor(mu), "calendar", id, "replaced", NULL, 0};
    int rc = ins_recio_store(t, T_CALENDARS, &k, &req->calendar->base,
                             &inspect__rec__calendar__descriptor, &ch);
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
    ins_key k;
    key_calendar(&k, req->year);
    ins_rtxn *r = NULL;
    Inspect__V1__Calendar *cal = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_recio_get(r, T_CALENDARS, &k, &inspect__rec__calendar__descriptor,
                           &inspect__v1__calendar__descriptor, (ProtobufCMessage **)&cal);
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
};

const ins_service_def ins_directory_service = {
    .descriptor = &inspect__v1__directory__descriptor,
    .methods = directory_methods,
    .n_methods = sizeof directory_methods / sizeof directory_methods[0],
};
