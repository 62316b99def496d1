/*
 * dispatch.c - inspect.v1.Dispatch: the method table, CreateTask,
 * CancelTask, GetTask and ListTasks. Teams are in dispatch_team.c, alerts
 * in alerts.c, the deadline scheduler in scheduler.c.
 */
#include "dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "deadline.h"
#include "rec_directory.h"
#include "dispatch_impl.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "rec_applications.h"
#include "records.h"
#include "stage.h"
#include "task_state.h"

int ins_dsp_load_workcal(ins_wtxn *t, int64_t unix_s, ins_workcal *cal)
{
    ins_workcal_init(cal);
    ins_date today = ins_date_from_unix(unix_s, INS_DISTRICT_UTC_OFFSET_S);
    int y, m, d;
    ins_date_to_ymd(today, &y, &m, &d);
    for (int year = y - 1; year <= y + 1; year++) {
        Inspect__V1__Calendar *c = NULL;
        int rc = ins_calendar_wget(t, year, &c);
        if (rc == INS_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        rc = ins_workcal_add_year(cal, c);
        protobuf_c_message_free_unpacked(&c->base, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- CreateTask ---------------------------------------------------------- */

typedef struct open_scan {
    ins_wtxn *t;
    char open_id[64];
    int err;
} open_scan;

static int find_open_task(void *arg, const char *buf)
{
    open_scan *os = arg;
    size_t n = strlen(buf);
    if (n >= sizeof os->open_id)
        return os->err = INS_ECORRUPT;
    Inspect__V1__Task *task = NULL;
    int rc = ins_task_wget(os->t, buf, &task);
    if (rc)
        return os->err = rc;
    int open = !ins_task_state_finished(task->state);
    protobuf_c_message_free_unpacked(&task->base, NULL);
    if (open) {
        memcpy(os->open_id, buf, n + 1);
        return 1;
    }
    return 0;
}

/* Checks the application may get a task now; loads it into *app. */
static int check_application(ins_wtxn *t, ins_mut *mu, const Inspect__V1__CreateTaskRequest *req,
                             Inspect__V1__Application **app)
{
    int rc = ins_app_wget(t, req->application_id, app);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no application %s", req->application_id);
    if (rc)
        return rc;
    Inspect__V1__Stage want = req->kind == INSPECT__V1__TASK_KIND__TASK_KIND_REINSPECTION
                                  ? INSPECT__V1__STAGE__STAGE_INSPECTION
                                  : INSPECT__V1__STAGE__STAGE_REVIEW;
    if ((*app)->stage != want)
        return ins_mut_fail(
            mu, INS_ESTATE, "application %s is in stage %s; a%s task needs stage %s",
            req->application_id, ins_stage_name((*app)->stage),
            want == INSPECT__V1__STAGE__STAGE_REVIEW ? "n initial" : " re-inspection",
            ins_stage_name(want));
    open_scan os = {.t = t};
    rc = ins_task_wscan_app(t, req->application_id, find_open_task, &os);
    if (os.err)
        return os.err;
    if (rc == 1)
        return ins_mut_fail(mu, INS_ESTATE,
                            "application %s already has open task %s; cancel it or let it finish "
                            "first",
                            req->application_id, os.open_id);
    return rc;
}

/* Fills the task's schedule from the item's limit and the calendar. */
static int schedule(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *task, char *start, char *dl)
{
    ins_workcal cal;
    int64_t now = ins_wtxn_unix(t);
    int rc = ins_dsp_load_workcal(t, now, &cal);
    ins_deadline d;
    if (rc == 0 && ins_deadline_compute(&cal, now, INS_DISTRICT_UTC_OFFSET_S,
                                        task->limit_working_days, &d) != 0)
        rc =
            ins_mut_fail(mu, INS_EINVAL, "service item %s has no usable limit", task->service_item);
    if (rc)
        return rc;
    task->start_date = ins_date_format(d.start_date, start);
    task->deadline_date = ins_date_format(d.deadline_date, dl);
    task->warning_unix = d.warning_unix;
    task->deadline_unix = d.deadline_unix;
    task->created_unix = now;
    return 0;
}

/* Pins the latest published version of each department's template. */
static int pin_templates(ins_wtxn *t, ins_mut *mu, const Inspect__V1__ServiceItem *item,
                         Inspect__V1__Task *task, Inspect__V1__TemplateRef *refs,
                         Inspect__V1__TemplateRef **ptrs)
{
    for (size_t i = 0; i < item->n_departments && i < 16; i++) {
        const Inspect__V1__RequiredDepartment *rd = item->departments[i];
        Inspect__V1__Template *tpl = NULL;
        int rc = ins_template_latest(NULL, t, rd->template_id, &tpl);
        if (rc == INS_ENOTFOUND)
            return ins_mut_fail(mu, INS_ESTATE, "template %s of service item %s is not published",
                                rd->template_id, item->code);
        if (rc)
            return rc;
        inspect__v1__template_ref__init(&refs[i]);
        refs[i].department = rd->department;
        refs[i].template_id = rd->template_id;
        refs[i].version = tpl->version;
        protobuf_c_message_free_unpacked(&tpl->base, NULL);
        ptrs[task->n_templates++] = &refs[i];
    }
    task->templates = ptrs;
    return 0;
}

int ins_dsp_open_task(ins_wtxn *t, ins_mut *mu, const char *actor,
                      const Inspect__V1__CreateTaskRequest *req, char *id_out)
{
    Inspect__V1__Application *app = NULL;
    Inspect__V1__ServiceItem *item = NULL;
    int rc = check_application(t, mu, req, &app);
    if (rc == 0) {
        rc = ins_item_wget(t, app->service_item, &item);
        if (rc == INS_ENOTFOUND)
            rc = ins_mut_fail(mu, INS_ESTATE, "service item %s of application %s is gone",
                              app->service_item, app->id);
    }
    uint64_t n = 0;
    if (rc == 0)
        rc = ins_counter_next(t, "task", &n);
    char id[32], start[INS_DATE_STRLEN], dl[INS_DATE_STRLEN];
    char *depts[16];
    Inspect__V1__TemplateRef refs[16], *ref_ptrs[16];
    Inspect__V1__Task task = INSPECT__V1__TASK__INIT;
    if (rc == 0) {
        snprintf(id, sizeof id, "T-%06llu", (unsigned long long)n);
        task.id = id;
        task.application_id = app->id;
        task.service_item = app->service_item;
        task.kind = req->kind ? req->kind : INSPECT__V1__TASK_KIND__TASK_KIND_INITIAL;
        task.follows_report = req->follows_report;
        task.check_items = req->check_items;
        task.n_check_items = req->n_check_items;
        for (size_t i = 0; i < item->n_departments && i < 16; i++)
            depts[task.n_required_departments++] = item->departments[i]->department;
        task.required_departments = depts;
        rc = pin_templates(t, mu, item, &task, refs, ref_ptrs);
    }
    if (rc == 0) {
        task.state = INSPECT__V1__TASK_STATE__TASK_STATE_PENDING;
        task.town = app->town;
        task.latitude = app->latitude;
        task.longitude = app->longitude;
        task.limit_working_days = item->limit_working_days;
        rc = schedule(t, mu, &task, start, dl);
    }
    if (rc == 0)
        rc = ins_task_write(t, &task, NULL, actor, "created");
    if (rc == 0 && app->stage == INSPECT__V1__STAGE__STAGE_REVIEW) {
        Inspect__V1__Application moved = *app;
        moved.stage = INSPECT__V1__STAGE__STAGE_INSPECTION;
        moved.version = app->version + 1;
        moved.updated_unix = ins_wtxn_unix(t);
        rc = ins_app_write(t, &moved, app, actor, "stage");
    }
    if (rc == 0 && id_out)
        memcpy(id_out, id, strlen(id) + 1);
    if (rc == 0 && mu) {
        Inspect__V1__CreateTaskResponse resp = INSPECT__V1__CREATE_TASK_RESPONSE__INIT;
        resp.task = &task;
        rc = ins_mut_reply(t, mu, &resp.base);
    }
    if (item)
        protobuf_c_message_free_unpacked(&item->base, NULL);
    if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    return rc;
}

static int create_task_apply(ins_wtxn *t, ins_mut *mu)
{
    return ins_dsp_open_task(t, mu, ins_mut_actor(mu),
                             (const Inspect__V1__CreateTaskRequest *)ins_mut_request(mu), NULL);
}

static void create_task_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__CreateTaskRequest *req = (const Inspect__V1__CreateTaskRequest *)msg;
    const char *bad = NULL;
    if (!req->request_id[0])
        bad = "request_id is required (any unique string)";
    else if (!req->application_id[0])
        bad = "application_id is required";
    else if (req->kind == INSPECT__V1__TASK_KIND__TASK_KIND_REINSPECTION && !req->follows_report[0])
        bad = "a re-inspection names the report it follows up (follows_report)";
    else if (req->kind != INSPECT__V1__TASK_KIND__TASK_KIND_REINSPECTION &&
             (req->follows_report[0] || req->n_check_items))
        bad = "follows_report and check_items belong to re-inspections only";
    else if (req->kind < 0 || req->kind > INSPECT__V1__TASK_KIND__TASK_KIND_REINSPECTION)
        bad = "kind is not a task kind";
    if (bad) {
        ins_call_fail(call, INS_EINVAL, "%s", bad);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, create_task_apply);
}

/* ---- CancelTask ---------------------------------------------------------- */

static int cancel_task_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__CancelTaskRequest *req =
        (const Inspect__V1__CancelTaskRequest *)ins_mut_request(mu);
    Inspect__V1__Task *old = NULL;
    int rc = ins_task_wget(t, req->task_id, &old);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no task %s", req->task_id);
    if (rc)
        return rc;
    Inspect__V1__Task task = *old;
    char why[256];
    if ((rc = ins_task_state_check(old->state, INS_TASK_ACT_CANCEL, req->task_id, why,
                                   sizeof why)) != 0)
        rc = ins_mut_fail(mu, rc, "%s", why);
    if (rc == 0) {
        task.state = ins_task_state_after(task.state, INS_TASK_EV_CANCELLED);
        task.cancel_reason = req->reason;
        rc = ins_task_write(t, &task, old, ins_mut_actor(mu), "cancelled");
    }
    /* An initial task's application goes back to review for a new task. */
    Inspect__V1__Application *app = NULL;
    if (rc == 0 && task.kind == INSPECT__V1__TASK_KIND__TASK_KIND_INITIAL &&
        ins_app_wget(t, task.application_id, &app) == 0 &&
        app->stage == INSPECT__V1__STAGE__STAGE_INSPECTION) {
        Inspect__V1__Application back = *app;
        back.stage = INSPECT__V1__STAGE__STAGE_REVIEW;
        back.version = app->version + 1;
        back.updated_unix = ins_wtxn_unix(t);
        rc = ins_app_write(t, &back, app, ins_mut_actor(mu), "stage");
    }
    if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    if (rc == 0) {
        Inspect__V1__CancelTaskResponse resp = INSPECT__V1__CANCEL_TASK_RESPONSE__INIT;
        resp.task = &task;
        rc = ins_mut_reply(t, mu, &resp.base);
    }
    protobuf_c_message_free_unpacked(&old->base, NULL);
    return rc;
}

static void cancel_task_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__CancelTaskRequest *req = (const Inspect__V1__CancelTaskRequest *)msg;
    if (!req->request_id[0] || !req->task_id[0] || !req->reason[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id, task_id and reason are required");
        return;
    }
    ins_mut_submit(call, msg, req->request_id, cancel_task_apply);
}

/* ---- GetTask ------------------------------------------------------------- */

/* Non-zero when `p` may see `task`: dispatchers and auditors all, a
 * department the tasks it takes part in. */
int ins_dsp_may_see(const ins_principal *p, const Inspect__V1__Task *task)
{
    if (p->role != INS_ROLE_DEPARTMENT)
        return 1;
    for (size_t i = 0; i < task->n_required_departments; i++)
        if (strcmp(task->required_departments[i], p->department) == 0)
            return 1;
    return 0;
}

static void get_task_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetTaskRequest *req = (const Inspect__V1__GetTaskRequest *)msg;
    if (!req->id[0]) {
        ins_call_fail(call, INS_EINVAL, "id is required");
        return;
    }
    ins_rtxn *r = NULL;
    Inspect__V1__Task *task = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_task_get(r, req->id, &task);
    ins_rtxn_end(r);
    if (rc == 0 && !ins_dsp_may_see(ins_call_principal(call), task))
        ins_call_fail(call, INS_EPERM, "department %s takes no part in task %s",
                      ins_call_principal(call)->department, req->id);
    else if (rc == 0)
        ins_call_reply(call, &task->base);
    else if (rc == INS_ENOTFOUND)
        ins_call_fail(call, rc, "no task %s", req->id);
    else
        ins_call_fail(call, rc, "reading task %s: %s", req->id, ins_strerror(rc));
    if (task)
        protobuf_c_message_free_unpacked(&task->base, NULL);
}

extern const ins_method_ops ins_dsp_list_tasks_ops; /* dispatch_list.c */

static const ins_method_ops create_task_ops = INS_MUT_OPS(create_task_start);
static const ins_method_ops cancel_task_ops = INS_MUT_OPS(cancel_task_start);
static const ins_method_ops get_task_ops = {.start = get_task_start};

#define R(x) INS_ROLE_BIT(INS_ROLE_##x)

static const ins_method_def dispatch_methods[] = {
    {"CreateTask", INS_UNARY, R(DISPATCHER), &create_task_ops},
    {"AssignTeam", INS_UNARY, R(DISPATCHER), &ins_dsp_assign_team_ops},
    {"ReplaceMember", INS_UNARY, R(DISPATCHER), &ins_dsp_replace_member_ops},
    {"CancelTask", INS_UNARY, R(DISPATCHER), &cancel_task_ops},
    {"GetTask", INS_UNARY, R(DISPATCHER) | R(AUDITOR) | R(DEPARTMENT), &get_task_ops},
    {"ListTasks", INS_UNARY, R(DISPATCHER) | R(AUDITOR) | R(DEPARTMENT), &ins_dsp_list_tasks_ops},
    {"RecordJointDecision", INS_UNARY, R(DISPATCHER), &ins_dsp_joint_decision_ops},
    {"WatchAlerts", INS_SERVER_STREAM, R(DISPATCHER) | R(DEPARTMENT), &ins_dsp_watch_alerts_ops},
    {"AckAlert", INS_UNARY, R(DISPATCHER), &ins_dsp_ack_alert_ops},
};

const ins_service_def ins_dispatch_service = {
    .descriptor = &inspect__v1__dispatch__descriptor,
    .methods = dispatch_methods,
    .n_methods = sizeof dispatch_methods / sizeof dispatch_methods[0],
};
