/*
 * dispatch_joint.c - Dispatch.RecordJointDecision: the outcome of a joint
 * consultation review (会商会审) of an escalated reconciliation report.
 *
 * Reports are written by reconciliation; a decision names one of them.
 */
#include <stdio.h>
#include <string.h>

#include "dispatch_impl.h"
#include "ins_error.h"

static int joint_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__JointDecisionRequest *req =
        (const Inspect__V1__JointDecisionRequest *)ins_mut_request(mu);
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, req->report_id);
    ins_val v;
    int rc = ins_wtxn_get(t, T_REPORTS, k.buf, k.len, &v);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc,
                            "no reconciliation report %s; joint decisions are recorded for "
                            "escalated reports",
                            req->report_id);
    return rc ? rc : ins_mut_fail(mu, INS_ESTATE, "report %s is not escalated", req->report_id);
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
