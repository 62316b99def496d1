/*
 * departments_reports.c - Departments.GetReconciliation and SubmitOpinion:
 * a department reads the reports of the tasks it takes part in and gives
 * its formal opinion, once; when every required department approves a PASS
 * the application moves to the decision stage (reports.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"
#include "mutate.h"
#include "reconciliation.h"
#include "ctx.h"
#include "dispatch.h"
#include "inspect/v1/field.pb-c.h"
#include "rec_photos.h"
#include "rec_tasks.h"

/* ---- GetReconciliation --------------------------------------------------- */

/* Appends each photo of the report's task to `rep->photos` (ins_id_fn). */
static int add_photo(void *arg, const char *id)
{
    void **a = arg;
    ins_rtxn *r = a[0];
    Inspect__V1__Report *rep = a[1];
    Inspect__V1__Photo *p = NULL;
    int rc = ins_photo_get(r, id, &p);
    if (rc != 0)
        return rc;
    Inspect__V1__Photo **grown = realloc(rep->photos, (rep->n_photos + 1) * sizeof *grown);
    if (!grown) {
        protobuf_c_message_free_unpacked(&p->base, NULL);
        return ENOMEM;
    }
    rep->photos = grown;
    rep->photos[rep->n_photos++] = p;
    return 0;
}

static void get_report_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetReconciliationRequest *req =
        (const Inspect__V1__GetReconciliationRequest *)msg;
    char id[64];
    if (req->report_id[0])
        snprintf(id, sizeof id, "%s", req->report_id);
    else if (req->task_id[0])
        ins_report_id(req->task_id, id);
    else {
        ins_call_fail(call, INS_EINVAL, "report_id or task_id is required");
        return;
    }
    const ins_principal *who = ins_call_principal(call);
    ins_rtxn *r = NULL;
    Inspect__V1__Report *rep = NULL;
    Inspect__V1__Task *task = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_report_get(r, id, &rep);
    if (rc == 0 && who->role == INS_ROLE_DEPARTMENT) {
        rc = ins_task_get(r, rep->task_id, &task);
        if (rc == 0 && !ins_dsp_may_see(who, task))
            rc = INS_EPERM;
    }
    if (rc == 0)
        rc = ins_task_photo_scan(r, rep->task_id, add_photo, (void *[]){r, rep});
    ins_rtxn_end(r);
    if (rc == 0)
        ins_call_reply(call, &rep->base);
    else if (rc == INS_ENOTFOUND)
        ins_call_fail(call, rc,
                      "no reconciliation report %s (a task is reconciled once all its "
                      "findings and photos are in)",
                      id);
    else if (rc == INS_EPERM)
        ins_call_fail(call, rc, "department %s takes no part in report %s", who->department, id);
    else
        ins_call_fail(call, rc, "reading report %s: %s", id, ins_strerror(rc));
    if (task)
        protobuf_c_message_free_unpacked(&task->base, NULL);
    if (rep)
        protobuf_c_message_free_unpacked(&rep->base, NULL);
}

const ins_method_ops ins_dep_get_report_ops = {.start = get_report_start};

/* ---- SubmitOpinion ------------------------------------------------------- */

static int requires(const Inspect__V1__Task *task, const char *dept)
{
    for (size_t i = 0; i < task->n_required_departments; i++)
        if (strcmp(task->required_departments[i], dept) == 0)
            return 1;
    return 0;
}

static int opinion_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__SubmitOpinionRequest *req =
        (const Inspect__V1__SubmitOpinionRequest *)ins_mut_request(mu);
    const char *dept = ins_mut_department(mu);
    Inspect__V1__Report *rep = NULL;
    Inspect__V1__Task *task = NULL;
    int rc = ins_report_wget(t, req->report_id, &rep);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no reconciliation report %s", req->report_id);
    if (rc == 0)
        rc = ins_task_wget(t, rep->task_id, &task);
    if (rc == 0 && !requires(task, dept))
        rc = ins_mut_fail(mu, INS_EPERM, "department %s takes no part in report %s", dept,
                          req->report_id);
    for (size_t i = 0; rc == 0 && i < rep->n_opinions; i++)
        if (strcmp(rep->opinions[i]->department, dept) == 0)
            rc = ins_mut_fail(mu, INS_ESTATE,
                              "department %s already gave its opinion on report %s (%s)", dept,
                              req->report_id, rep->opinions[i]->approve ? "approve" : "reject");
    Inspect__V1__Opinion op = INSPECT__V1__OPINION__INIT;
    Inspect__V1__Opinion **ops = NULL;
    Inspect__V1__Application *app = NULL;
    if (rc == 0 && !(ops = calloc(rep->n_opinions + 1, sizeof *ops)))
        rc = ENOMEM;
    if (rc == 0) {
        op.department = (char *)dept;
        op.approve = req->approve;
        op.reasons = req->reasons;
        op.by = (char *)ins_mut_actor(mu);
        op.given_unix = ins_wtxn_unix(t);
        /* kept in department order, so the report reads the same however
         * the opinions arrived */
        size_t n = 0;
        int placed = 0;
        for (size_t i = 0; i < rep->n_opinions; i++) {
            if (!placed && strcmp(rep->opinions[i]->department, dept) > 0) {
                ops[n++] = &op;
                placed = 1;
            }
            ops[n++] = rep->opinions[i];
        }
        if (!placed)
            ops[n++] = &op;
        Inspect__V1__Report now = *rep;
        now.opinions = ops;
        now.n_opinions = n;
        rc = ins_report_update(t, &now, ins_mut_actor(mu), "opinion", &app);
        if (rc == 0) {
            Inspect__V1__SubmitOpinionResponse resp = INSPECT__V1__SUBMIT_OPINION_RESPONSE__INIT;
            resp.report = &now;
            resp.application = app;
            rc = ins_mut_reply(t, mu, &resp.base);
        }
    }
    free(ops);
    if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    if (task)
        protobuf_c_message_free_unpacked(&task->base, NULL);
    if (rep)
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    return rc;
}

static void opinion_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__SubmitOpinionRequest *req = (const Inspect__V1__SubmitOpinionRequest *)msg;
    if (!req->request_id[0] || !req->report_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id and report_id are required");
        return;
    }
    if (!req->approve && !req->reasons[0]) {
        ins_call_fail(call, INS_EINVAL, "a rejection needs its reasons");
        return;
    }
    if (!ins_call_principal(call)->department[0]) {
        ins_call_fail(call, INS_EPERM, "the caller carries no department");
        return;
    }
    ins_mut_submit(call, msg, req->request_id, opinion_apply);
}

const ins_method_ops ins_dep_opinion_ops = INS_MUT_OPS(opinion_start);
