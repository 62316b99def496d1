/*
 * reconciliation.c - the step from "every finding and photo is in" to the
 * case's next move (see reconciliation.h): reconcile, write the outcome back,
 * open the re-inspection or alert; and the departments' opinions and joint
 * decision that move the application to the decision stage.
 *
 * Depends one way: on the record modules, domain/reconcile.c and Dispatch's
 * public API (dispatch.h); Field and the department services call it.
 */
#include "reconciliation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "dispatch.h"
#include "ins_error.h"
#include "rec_alerts.h"
#include "rec_applications.h"
#include "rec_directory.h"
#include "rec_findings.h"
#include "rec_reports.h"
#include "rec_tasks.h"
#include "reconcile.h"
#include "task_state.h"

/* The inputs of reconciliation: each department's pinned template and
 * current findings. Everything loaded is kept in `owned` for freeing. */
typedef struct inputs {
    ins_dept_input in[16];
    ProtobufCMessage *owned[32];
    size_t n, n_owned;
} inputs;

static void inputs_free(inputs *ip)
{
    for (size_t i = 0; i < ip->n_owned; i++)
        protobuf_c_message_free_unpacked(ip->owned[i], NULL);
}

static int load_inputs(ins_wtxn *t, const Inspect__V1__Task *task, inputs *ip)
{
    for (size_t i = 0; i < task->n_templates && i < 16; i++) {
        const Inspect__V1__TemplateRef *ref = task->templates[i];
        Inspect__V1__Template *tpl = NULL;
        Inspect__V1__Findings *f = NULL;
        int rc = ins_template_pinned(NULL, t, ref, &tpl);
        if (rc)
            return rc;
        ip->owned[ip->n_owned++] = &tpl->base;
        rc = ins_findings_wget(t, task->id, ref->department, &f);
        if (rc)
            return rc;
        ip->owned[ip->n_owned++] = &f->base;
        ip->in[ip->n++] = (ins_dept_input){ref->department, tpl, f->body};
    }
    return 0;
}

/* RECTIFY opens the re-inspection; ESCALATE alerts the bureau. */
static int follow_up(ins_wtxn *t, Inspect__V1__Report *rep, const Inspect__V1__Task *task,
                     const char *actor, char *reinspection_id)
{
    if (rep->outcome == INSPECT__V1__OUTCOME__OUTCOME_RECTIFY) {
        Inspect__V1__CreateTaskRequest req = INSPECT__V1__CREATE_TASK_REQUEST__INIT;
        req.application_id = task->application_id;
        req.kind = INSPECT__V1__TASK_KIND__TASK_KIND_REINSPECTION;
        req.follows_report = rep->id;
        req.check_items = rep->rectify_items;
        req.n_check_items = rep->n_rectify_items;
        int rc = ins_dsp_open_task(t, NULL, actor, &req, reinspection_id);
        if (rc == 0)
            rep->reinspection_task_id = reinspection_id;
        return rc;
    }
    if (rep->outcome == INSPECT__V1__OUTCOME__OUTCOME_ESCALATE) {
        char msg[600];
        snprintf(msg, sizeof msg,
                 "report %s (application %s): the departments disagree; a joint consultation "
                 "review (会商会审) must decide",
                 rep->id, task->application_id);
        return ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_ESCALATED, task, "", msg,
                               NULL);
    }
    return 0;
}

/* Writes the outcome back to the application. */
static int write_outcome(ins_wtxn *t, const char *app_id, int outcome, const char *actor)
{
    Inspect__V1__Application *app = NULL;
    int rc = ins_app_wget(t, app_id, &app);
    if (rc)
        return rc;
    Inspect__V1__Application now = *app;
    now.outcome = outcome;
    now.version = app->version + 1;
    now.updated_unix = ins_wtxn_unix(t);
    rc = ins_app_write(t, &now, app, actor, "outcome");
    protobuf_c_message_free_unpacked(&app->base, NULL);
    return rc;
}

/* Reconciles `task` (just SUBMITTED; its record is current): builds the
 * report from the pinned templates and every department's findings
 * (domain/reconcile.c), moves the task to RECONCILED, writes the outcome
 * back to the application, follows up and stores the report. */
static int reconcile(ins_wtxn *t, Inspect__V1__Task *task, const char *actor)
{
    inputs ip = {.n = 0, .n_owned = 0};
    Inspect__V1__Application *app = NULL;
    Inspect__V1__Report *rep = NULL;
    int rc = load_inputs(t, task, &ip);
    if (rc == 0)
        rc = ins_app_wget(t, task->application_id, &app);
    if (rc == 0)
        rc = ins_reconcile(app, ip.in, ip.n, task->check_items, task->n_check_items, &rep);
    char id[64], reinspection[32] = "";
    if (rc == 0) { /* the task is done before a re-inspection may open */
        Inspect__V1__Task before = *task;
        task->state = ins_task_state_after(task->state, INS_TASK_EV_REPORT_WRITTEN);
        rc = ins_task_write(t, task, &before, actor, "reconciled");
    }
    if (rc == 0) {
        ins_report_id(task->id, id);
        rep->id = id;
        rep->task_id = task->id;
        rep->application_id = task->application_id;
        rep->created_unix = ins_wtxn_unix(t);
        rc = write_outcome(t, task->application_id, rep->outcome, actor);
    }
    if (rc == 0)
        rc = follow_up(t, rep, task, actor, reinspection);
    if (rc == 0)
        rc = ins_report_store(t, rep, actor, "reconciled", task);
    if (rep) { /* id, task_id, application_id and the re-inspection id are borrowed */
        rep->id = rep->task_id = rep->application_id = rep->reinspection_task_id = NULL;
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
    if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    inputs_free(&ip);
    return rc;
}

int ins_recon_check_submitted(ins_wtxn *t, Inspect__V1__Task *task, const char *actor, int *moved)
{
    if (moved)
        *moved = 0;
    if (!ins_task_counts_as_open(task->state))
        return 0;
    for (size_t i = 0; i < task->n_required_departments; i++) {
        Inspect__V1__Findings *f = NULL;
        int rc = ins_findings_wget(t, task->id, task->required_departments[i], &f);
        if (rc == INS_ENOTFOUND)
            return 0;
        if (rc)
            return rc;
        size_t missing = f->n_missing_photos;
        protobuf_c_message_free_unpacked(&f->base, NULL);
        if (missing)
            return 0;
    }
    Inspect__V1__Task old = *task;
    task->state = ins_task_state_after(task->state, INS_TASK_EV_ALL_IN);
    int rc = ins_task_write(t, task, &old, actor, "submitted");
    if (rc == 0 && moved)
        *moved = 1;
    /* Everything is in: reconcile now, in the same transaction. */
    return rc ? rc : reconcile(t, task, actor);
}

int ins_report_update(ins_wtxn *t, Inspect__V1__Report *rep, const char *actor, const char *change,
                      Inspect__V1__Application **app_out)
{
    Inspect__V1__Task *task = NULL;
    Inspect__V1__Application *app = NULL;
    int rc = ins_task_wget(t, rep->task_id, &task);
    if (rc == 0)
        rc = ins_report_store(t, rep, actor, change, task);
    if (rc == 0)
        rc = ins_app_wget(t, rep->application_id, &app);
    ins_decision d = {0, 0, 0};
    if (rc == 0)
        ins_decide(rep, task->required_departments, task->n_required_departments, app->outcome,
                   app->stage, &d);
    if (rc == 0 && d.outcome && !d.stage) { /* the joint review refused */
        Inspect__V1__Application now = *app;
        now.outcome = d.outcome;
        now.version = app->version + 1;
        now.updated_unix = ins_wtxn_unix(t);
        rc = ins_app_write(t, &now, app, actor, "outcome");
        if (rc == 0) {
            protobuf_c_message_free_unpacked(&app->base, NULL);
            app = NULL;
            rc = ins_app_wget(t, rep->application_id, &app);
        }
    }
    if (rc == 0 && d.stage) {
        Inspect__V1__Application now = *app;
        now.stage = d.stage;
        if (d.outcome)
            now.outcome = d.outcome;
        now.version = app->version + 1;
        now.updated_unix = ins_wtxn_unix(t);
        rc = ins_app_write(t, &now, app, actor, "stage");
        if (rc == 0 && d.close_task) {
            Inspect__V1__Task before = *task;
            task->state = ins_task_state_after(task->state, INS_TASK_EV_DECIDED);
            rc = ins_task_write(t, task, &before, actor, "closed");
        }
        if (rc == 0) {
            protobuf_c_message_free_unpacked(&app->base, NULL);
            app = NULL;
            rc = ins_app_wget(t, rep->application_id, &app);
        }
    }
    if (task)
        protobuf_c_message_free_unpacked(&task->base, NULL);
    if (rc == 0 && app_out)
        *app_out = app;
    else if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    return rc;
}
