/*
 * dispatch_joint.c - Dispatch.RecordJointDecision: the outcome of a joint
 * consultation review (会商会审) of an escalated reconciliation report —
 * the departments that took part, the decision and its reasons. An approval
 * moves the application to the decision stage; a refusal makes its outcome
 * FAIL (reports.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_impl.h"
#include "ins_error.h"
#include "reconciliation.h"
#include "ctx.h"
#include "dispatch.h"
#include "inspect/v1/field.pb-c.h"
#include "rec_tasks.h"

static int joint_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__JointDecisionRequest *req =
        (const Inspect__V1__JointDecisionRequest *)ins_mut_request(mu);
    Inspect__V1__Report *rep = NULL;
    Inspect__V1__Task *task = NULL;
    int rc = ins_report_wget(t, req->report_id, &rep);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no reconciliation report %s", req->report_id);
    if (rc)
        return rc;
    if (rep->outcome != INSPECT__V1__OUTCOME__OUTCOME_ESCALATE)
        rc = ins_mut_fail(mu, INS_ESTATE,
                          "report %s was not escalated; joint decisions settle escalated reports",
                          req->report_id);
    else if (rep->joint_decision)
        rc = ins_mut_fail(mu, INS_ESTATE, "report %s was already decided by %s", req->report_id,
                          rep->joint_decision->by);
    if (rc == 0)
        rc = ins_task_wget(t, rep->task_id, &task);
    for (size_t i = 0; rc == 0 && i < req->n_departments; i++) {
        int on = 0;
        for (size_t j = 0; j < task->n_required_departments; j++)
            on |= strcmp(task->required_departments[j], req->departments[i]) == 0;
        if (!on)
            rc = ins_mut_fail(mu, INS_EINVAL, "department %s takes no part in report %s",
                              req->departments[i], req->report_id);
    }
    if (rc == 0) {
        Inspect__V1__JointDecision jd = INSPECT__V1__JOINT_DECISION__INIT;
        jd.approve = req->approve;
        jd.departments = req->departments;
        jd.n_departments = req->n_departments;
        jd.reasons = req->reasons;
        jd.by = (char *)ins_mut_actor(mu);
        jd.decided_unix = ins_wtxn_unix(t);
        Inspect__V1__Report now = *rep;
        now.joint_decision = &jd;
        rc = ins_report_update(t, &now, ins_mut_actor(mu), "joint_decision", NULL);
        if (rc == 0) {
            Inspect__V1__JointDecisionResponse resp = INSPECT__V1__JOINT_DECISION_RESPONSE__INIT;
            resp.report_id = rep->id;
            resp.approve = jd.approve;
            resp.decided_unix = jd.decided_unix;
            rc = ins_mut_reply(t, mu, &resp.base);
        }
    }
    if (task)
        protobuf_c_message_free_unpacked(&task->base, NULL);
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return rc;
}

static void joint_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__JointDecisionRequest *req = (const Inspect__V1__JointDecisionRequest *)msg;
    if (!req->request_id[0] || !req->report_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id and report_id are required");
        return;
    }
    if (req->n_departments < 2) {
        ins_call_fail(call, INS_EINVAL, "a joint review takes at least two departments; %zu named",
                      req->n_departments);
        return;
    }
    if (!req->reasons[0]) {
        ins_call_fail(call, INS_EINVAL, "reasons are required");
        return;
    }
    ins_mut_submit(call, msg, req->request_id, joint_apply);
}

const ins_method_ops ins_dsp_joint_decision_ops = INS_MUT_OPS(joint_start);
