/*
 * field.c - inspect.v1.Field: the method table, RespondTask and CheckIn,
 * and what the other Field files share (field_impl.h). Sync is in
 * field_sync.c, findings in field_findings.c, photos in field_upload.c.
 */
#include "field.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "rec_directory.h"
#include "device_time.h"
#include "field_impl.h"
#include "rec_applications.h"
#include "geo.h"
#include "ins_error.h"
#include "reconciliation.h"
#include "checkin_rules.h"
#include "task_state.h"

int ins_fld_member_task(ins_wtxn *t, ins_mut *mu, const char *id, const char *inspector,
                        Inspect__V1__Task **task, size_t *idx)
{
    int rc = ins_task_wget(t, id, task);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no task %s", id);
    if (rc)
        return rc;
    for (size_t i = 0; i < (*task)->n_team; i++)
        if (strcmp((*task)->team[i]->inspector_id, inspector) == 0) {
            *idx = i;
            return 0;
        }
    protobuf_c_message_free_unpacked(&(*task)->base, NULL);
    *task = NULL;
    return ins_mut_fail(mu, INS_EPERM, "inspector %s is not on the team of task %s", inspector, id);
}

/* Non-zero when every member has accepted. */
static int all_accepted(const Inspect__V1__Task *task)
{
    for (size_t i = 0; i < task->n_team; i++)
        if (task->team[i]->response != INSPECT__V1__MEMBER_RESPONSE__MEMBER_RESPONSE_ACCEPTED)
            return 0;
    return task->n_team > 0;
}

/* ---- RespondTask --------------------------------------------------------- */

static int respond_reply(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *task,
                         Inspect__V1__TeamMember *replacement)
{
    Inspect__V1__RespondTaskResponse resp = INSPECT__V1__RESPOND_TASK_RESPONSE__INIT;
    resp.task = task;
    resp.replacement = replacement;
    return ins_mut_reply(t, mu, &resp.base);
}

/* A decline: the member leaves as ins_dsp_member_leave says. */
static int decline(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *old, size_t idx, const char *reason)
{
    char what[600];
    snprintf(what, sizeof what, "declined: %s", reason);
    return ins_dsp_member_leave(t, mu, old, idx, what, respond_reply);
}

static int respond_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__RespondTaskRequest *req =
        (const Inspect__V1__RespondTaskRequest *)ins_mut_request(mu);
    Inspect__V1__Task *old = NULL;
    size_t idx = 0;
    int rc = ins_fld_member_task(t, mu, req->task_id, ins_mut_actor(mu), &old, &idx);
    if (rc)
        return rc;
    char why[256];
    if ((rc = ins_task_state_check(old->state, INS_TASK_ACT_RESPOND, req->task_id, why,
                                   sizeof why)) != 0)
        rc = ins_mut_fail(mu, rc, "%s", why);
    else if (!req->accept)
        rc = decline(t, mu, old, idx, req->reason);
    else {
        Inspect__V1__TeamMember me = *old->team[idx];
        Inspect__V1__Task task = *old;
        Inspect__V1__TeamMember *members[17];
        for (size_t i = 0; i < old->n_team && i < 17; i++)
            members[i] = i == idx ? &me : old->team[i];
        task.team = members;
        me.response = INSPECT__V1__MEMBER_RESPONSE__MEMBER_RESPONSE_ACCEPTED;
        if (all_accepted(&task))
            task.state = ins_task_state_after(task.state, INS_TASK_EV_ALL_ACCEPTED);
        rc = ins_task_write(t, &task, old, ins_mut_actor(mu), "member_accepted");
        if (rc == 0)
            rc = respond_reply(t, mu, &task, NULL);
    }
    protobuf_c_message_free_unpacked(&old->base, NULL);
    return rc;
}

static void respond_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__RespondTaskRequest *req = (const Inspect__V1__RespondTaskRequest *)msg;
    if (!req->request_id[0] || !req->task_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id and task_id are required");
        return;
    }
    if (!req->accept && !req->reason[0]) {
        ins_call_fail(call, INS_EINVAL, "declining needs a reason");
        return;
    }
    ins_mut_submit(call, msg, req->request_id, respond_apply);
}

/* ---- CheckIn ------------------------------------------------------------- */

static int checkin_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__CheckInRequest *req =
        (const Inspect__V1__CheckInRequest *)ins_mut_request(mu);
    Inspect__V1__Task *old = NULL;
    size_t idx = 0;
    int rc = ins_fld_member_task(t, mu, req->task_id, ins_mut_actor(mu), &old, &idx);
    if (rc)
        return rc;
    double radius = ins_mut_ctx(mu)->checkin_radius_m;
    double d = ins_geo_distance_m(req->latitude, req->longitude, old->latitude, old->longitude);
    char why[256];
    if ((rc = ins_task_state_check(old->state, INS_TASK_ACT_CHECK_IN, req->task_id, why,
                                   sizeof why)) != 0)
        rc = ins_mut_fail(mu, rc, "%s", why);
    else if ((rc = ins_checkin_allowed(old, ins_mut_actor(mu), why, sizeof why)) != 0)
        rc = ins_mut_fail(mu, rc, "%s", why);
    else if (d > radius && !req->reason[0])
        rc = ins_mut_fail(mu, INS_ESTATE,
                          "you are %.0f m from the site of task %s (the limit is %.0f m); move "
                          "closer or give a reason to check in from here",
                          d, req->task_id, radius);
    else if (ins_device_time_check("device_unix", req->device_unix, ins_wtxn_unix(t),
                                   ins_mut_ctx(mu)->max_clock_skew_s, old->created_unix, old->id,
                                   why, sizeof why) != 0)
        rc = ins_mut_fail(mu, INS_EINVAL, "%s", why);
    if (rc) {
        protobuf_c_message_free_unpacked(&old->base, NULL);
        return rc;
    }
    Inspect__V1__CheckIn ci = INSPECT__V1__CHECK_IN__INIT;
    ci.inspector_id = (char *)ins_mut_actor(mu);
    ci.server_unix = ins_wtxn_unix(t);
    ci.device_unix = req->device_unix;
    ci.latitude = req->latitude;
    ci.longitude = req->longitude;
    ci.distance_m = d;
    ci.reason = d > radius ? req->reason : "";
    Inspect__V1__CheckIn **cis = calloc(old->n_checkins + 1, sizeof *cis);
    Inspect__V1__TeamMember me = *old->team[idx];
    Inspect__V1__TeamMember *members[17];
    Inspect__V1__Task task = *old;
    if (!cis) {
        protobuf_c_message_free_unpacked(&old->base, NULL);
        return ENOMEM;
    }
    if (old->n_checkins) /* a task's first check-in: old->checkins is NULL */
        memcpy(cis, old->checkins, old->n_checkins * sizeof *cis);
    cis[old->n_checkins] = &ci;
    task.checkins = cis;
    task.n_checkins = old->n_checkins + 1;
    for (size_t i = 0; i < old->n_team && i < 17; i++)
        members[i] = i == idx ? &me : old->team[i];
    task.team = members;
    me.response = INSPECT__V1__MEMBER_RESPONSE__MEMBER_RESPONSE_ACCEPTED; /* on site: he came */
    task.state = ins_task_state_after(task.state, INS_TASK_EV_CHECKED_IN);
    rc = ins_task_write(t, &task, old, ins_mut_actor(mu), "checked_in");
    if (rc == 0) {
        /* The answer (kept for replays of the request id) carries the task
         * without its check-in list: the new check-in is `checkin`, and the
         * stored result stays small however many came before. */
        Inspect__V1__CheckInResponse resp = INSPECT__V1__CHECK_IN_RESPONSE__INIT;
        Inspect__V1__Task brief = task;
        brief.checkins = NULL;
        brief.n_checkins = 0;
        resp.checkin = &ci;
        resp.task = &brief;
        rc = ins_mut_reply(t, mu, &resp.base);
    }
    free(cis);
    protobuf_c_message_free_unpacked(&old->base, NULL);
    return rc;
}

static void checkin_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__CheckInRequest *req = (const Inspect__V1__CheckInRequest *)msg;
    char why[128];
    if (!req->request_id[0] || !req->task_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id and task_id are required");
        return;
    }
    if (ins_geo_check(req->latitude, req->longitude, why, sizeof why) != 0) {
        ins_call_fail(call, INS_EINVAL, "%s", why);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, checkin_apply);
}

static const ins_method_ops respond_ops = INS_MUT_OPS(respond_start);
static const ins_method_ops checkin_ops = INS_MUT_OPS(checkin_start);

#define INSPECTOR INS_ROLE_BIT(INS_ROLE_INSPECTOR)

static const ins_method_def field_methods[] = {
    {"SyncTasks", INS_UNARY, INSPECTOR, &ins_fld_sync_ops},
    {"RespondTask", INS_UNARY, INSPECTOR, &respond_ops},
    {"CheckIn", INS_UNARY, INSPECTOR, &checkin_ops},
    {"SubmitFindings", INS_UNARY, INSPECTOR, &ins_fld_submit_ops},
    {"UploadPhoto", INS_CLIENT_STREAM, INSPECTOR, &ins_fld_upload_ops},
    {"GetUploadStatus", INS_UNARY, INSPECTOR, &ins_fld_upload_status_ops},
};

const ins_service_def ins_field_service = {
    .descriptor = &inspect__v1__field__descriptor,
    .methods = field_methods,
    .n_methods = sizeof field_methods / sizeof field_methods[0],
};
