/*
 * reports.c - reconciliation reports in the store (see reports.h).
 */
#include "reports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_directory.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "rec_applications.h"
#include "reconcile.h"
#include "records.h"

void ins_report_id(const char *task_id, char *out)
{
    snprintf(out, 64, "R-%s", task_id);
}

static void report_key(ins_key *k, const char *id)
{
    ins_key_init(k);
    ins_key_text(k, id);
}

int ins_report_get(ins_rtxn *r, const char *id, Inspect__V1__Report **out)
{
    ins_key k;
    report_key(&k, id);
    return ins_recio_get(r, T_REPORTS, &k, &inspect__rec__report__descriptor,
                         &inspect__v1__report__descriptor, (ProtobufCMessage **)out);
}

int ins_report_wget(ins_wtxn *t, const char *id, Inspect__V1__Report **out)
{
    ins_key k;
    report_key(&k, id);
    return ins_recio_wget(t, T_REPORTS, &k, &inspect__rec__report__descriptor,
                          &inspect__v1__report__descriptor, (ProtobufCMessage **)out);
}

/* Stores the report record with its audit and feed entries. */
static int report_store(ins_wtxn *t, const Inspect__V1__Report *rep, const char *actor,
                        const char *change, const Inspect__V1__Task *task)
{
    const char *depts[17];
    size_t n = 0;
    depts[n++] = "bureau";
    for (size_t i = 0; i < task->n_required_departments && n < 17; i++)
        depts[n++] = task->required_departments[i];
    ins_key k;
    report_key(&k, rep->id);
    ins_change ch = {actor, "report", rep->id, change, depts, n};
    return ins_recio_store(t, T_REPORTS, &k, &rep->base, &inspect__rec__report__descriptor, &ch);
}

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
        ins_key k;
        Inspect__V1__Template *tpl = NULL;
        Inspect__V1__Findings *f = NULL;
        int rc = ins_template_pinned(NULL, t, ref, &tpl);
        if (rc)
            return rc;
        ip->owned[ip->n_owned++] = &tpl->base;
        ins_fld_key_findings(&k, task->id, ref->department);
        rc = ins_recio_wget(t, T_FINDINGS, &k, &inspect__rec__findings__descriptor,
                            &inspect__v1__findings__descriptor, (ProtobufCMessage **)&f);
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

int ins_report_reconcile(ins_wtxn *t, Inspect__V1__Task *task, const char *actor)
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
        task->state = INSPECT__V1__TASK_STATE__TASK_STATE_RECONCILED;
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
        rc = report_store(t, rep, actor, "reconciled", task);
    if (rep) { /* id, task_id, application_id and the re-inspection id are borrowed */
        rep->id = rep->task_id = rep->application_id = rep->reinspection_task_id = NULL;
        protobuf_c_message_free_unpacked(&rep->base, NULL);
    }
    if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    inputs_free(&ip);
    return rc;
}

/* Non-zero when every required department of `task` approved `rep`. */
static int all_approved(const Inspect__V1__Report *rep, const Inspect__V1__Task *task)
{
    for (size_t i = 0; i < task->n_required_departments; i++) {
        int ok = 0;
        for (size_t j = 0; j < rep->n_opinions; j++)
            ok |= strcmp(rep->opinions[j]->department, task->required_departments[i]) == 0 &&
                  rep->opinions[j]->approve;
        if (!ok)
            return 0;
    }
    return 1;
}

int ins_report_update(ins_wtxn *t, Inspect__V1__Report *rep, const char *actor, const char *change,
                      Inspect__V1__Application **app_out)
{
    Inspect__V1__Task *task = NULL;
    Inspect__V1__Application *app = NULL;
    int rc = ins_task_wget(t, rep->task_id, &task);
    if (rc == 0)
        rc = report_store(t, rep, actor, change, task);
    if (rc == 0)
        rc = ins_app_wget(t, rep->application_id, &app);
    int decided = rep->joint_decision != NULL;
    int go = decided
                 ? rep->joint_decision->approve
                 : rep->outcome == INSPECT__V1__OUTCOME__OUTCOME_PASS && all_approved(rep, task);
    if (rc == 0 && decided && !go && app->outcome != INSPECT__V1__OUTCOME__OUTCOME_FAIL) {
        /* the joint review refused: the outcome becomes FAIL */
        Inspect__V1__Application now = *app;
        now.outcome = INSPECT__V1__OUTCOME__OUTCOME_FAIL;
        now.version = app->version + 1;
        now.updated_unix = ins_wtxn_unix(t);
        rc = ins_app_write(t, &now, app, actor, "outcome");
        if (rc == 0) {
            protobuf_c_message_free_unpacked(&app->base, NULL);
            app = NULL;
            rc = ins_app_wget(t, rep->application_id, &app);
        }
    }
    if (rc == 0 && go && app->stage == INSPECT__V1__STAGE__STAGE_INSPECTION) {
        Inspect__V1__Application now = *app;
        now.stage = INSPECT__V1__STAGE__STAGE_DECISION;
        if (decided)
            now.outcome = INSPECT__V1__OUTCOME__OUTCOME_PASS;
        now.version = app->version + 1;
        now.updated_unix = ins_wtxn_unix(t);
        rc = ins_app_write(t, &now, app, actor, "stage");
        if (rc == 0) {
            Inspect__V1__Task before = *task;
            task->state = INSPECT__V1__TASK_STATE__TASK_STATE_CLOSED;
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
