/*
 * field_findings.c - Field.SubmitFindings: one department's findings for a
 * task, checked against the exact template version the task pinned, signed
 * when the inspector has a key, kept in versions until reconciliation.
 * Findings may name photos that are still on their way; the task becomes
 * SUBMITTED when every department's findings and every photo are stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_directory.h"
#include "device_time.h"
#include "field_impl.h"
#include "reconciliation.h"
#include "findings_rules.h"
#include "ins_error.h"
#include "task_state.h"

/* Checks the answers against the template and the signature against the
 * inspector's key. */
static int check_body(ins_wtxn *t, ins_mut *mu, const Inspect__V1__Task *task,
                      const Inspect__V1__SubmitFindingsRequest *req)
{
    const Inspect__V1__FindingsBody *b = req->findings;
    const Inspect__V1__TemplateRef *ref = ins_template_ref(task, b->department);
    if (!ref)
        return ins_mut_fail(mu, INS_ESTATE, "task %s pins no template for department %s", task->id,
                            b->department);
    if (b->template_version != ref->version)
        return ins_mut_fail(mu, INS_ESTATE,
                            "task %s is checked with template %s version %u, not %u; sync the "
                            "task again",
                            task->id, ref->template_id, ref->version, b->template_version);
    Inspect__V1__Template *tpl = NULL;
    int rc = ins_template_pinned(NULL, t, ref, &tpl);
    if (rc)
        return rc;
    char why[300];
    rc = ins_findings_validate(b, tpl, task->check_items, task->n_check_items, why, sizeof why);
    if (rc == INS_EINVAL)
        rc = ins_mut_fail(mu, rc, "%s", why);
    protobuf_c_message_free_unpacked(&tpl->base, NULL);
    if (rc)
        return rc;
    Inspect__V1__Inspector *in = NULL;
    rc = ins_inspector_wget(t, b->inspector_id, &in);
    if (rc == 0 && in->public_key.len) {
        uint8_t digest[32];
        ins_findings_digest(b, digest);
        if (ins_findings_verify(in->public_key.data, in->public_key.len, digest,
                                req->signature.data, req->signature.len) != 0)
            rc = ins_mut_fail(mu, INS_EAUTH,
                              "the findings' signature does not verify with the key registered "
                              "for %s; sign SHA-256 of the FindingsBody with that key",
                              b->inspector_id);
    }
    if (in)
        protobuf_c_message_free_unpacked(&in->base, NULL);
    return rc;
}

static int submit_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__SubmitFindingsRequest *req =
        (const Inspect__V1__SubmitFindingsRequest *)ins_mut_request(mu);
    const Inspect__V1__FindingsBody *b = req->findings;
    Inspect__V1__Task *task = NULL;
    size_t idx = 0;
    int rc = ins_fld_member_task(t, mu, b->task_id, ins_mut_actor(mu), &task, &idx);
    if (rc)
        return rc;
    char why[256];
    if (strcmp(task->team[idx]->department, b->department) != 0)
        rc = ins_mut_fail(mu, INS_EPERM, "%s is on task %s for department %s, not %s",
                          ins_mut_actor(mu), task->id, task->team[idx]->department, b->department);
    else if ((rc = ins_task_state_check(task->state, INS_TASK_ACT_SUBMIT_FINDINGS, task->id, why,
                                        sizeof why)) != 0)
        rc = ins_mut_fail(mu, rc, "%s", why);
    else if (ins_device_time_check("findings.device_unix", b->device_unix, ins_wtxn_unix(t),
                                   ins_mut_ctx(mu)->max_clock_skew_s, task->created_unix, task->id,
                                   why, sizeof why) != 0)
        rc = ins_mut_fail(mu, INS_EINVAL, "%s", why);
    if (rc == 0)
        rc = check_body(t, mu, task, req);
    char *missing[256];
    Inspect__V1__Findings f = INSPECT__V1__FINDINGS__INIT;
    if (rc == 0) {
        f.body = req->findings;
        f.signature = req->signature;
        f.received_unix = ins_wtxn_unix(t);
        f.missing_photos = missing;
        f.n_missing_photos = ins_findings_missing_photos(t, b, missing, 256);
        rc = ins_findings_store(t, &f, ins_mut_actor(mu));
    }
    if (rc == 0 && task->state == INSPECT__V1__TASK_STATE__TASK_STATE_SUBMITTED) {
        /* A resubmission naming a photo still on its way reopens the wait. */
        if (f.n_missing_photos) {
            Inspect__V1__Task before = *task;
            task->state = ins_task_state_after(task->state, INS_TASK_EV_PHOTOS_AWAITED);
            rc = ins_task_write(t, task, &before, ins_mut_actor(mu), "awaiting_photos");
        }
    } else if (rc == 0) {
        rc = ins_recon_check_submitted(t, task, ins_mut_actor(mu), NULL);
    }
    if (rc == 0) {
        Inspect__V1__SubmitFindingsResponse resp = INSPECT__V1__SUBMIT_FINDINGS_RESPONSE__INIT;
        resp.findings = &f;
        resp.task = task;
        rc = ins_mut_reply(t, mu, &resp.base);
    }
    protobuf_c_message_free_unpacked(&task->base, NULL);
    return rc;
}

static void submit_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__SubmitFindingsRequest *req = (const Inspect__V1__SubmitFindingsRequest *)msg;
    const Inspect__V1__FindingsBody *b = req->findings;
    const ins_principal *p = ins_call_principal(call);
    if (!req->request_id[0] || !b || !b->task_id[0] || !b->department[0]) {
        ins_call_fail(call, INS_EINVAL,
                      "request_id and findings (with task_id and department) are required");
        return;
    }
    if (strcmp(b->inspector_id, p->name) != 0) {
        ins_call_fail(call, INS_EPERM,
                      "findings.inspector_id is %s but the caller is %s: an inspector submits "
                      "his own findings",
                      b->inspector_id, p->name);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, submit_apply);
}

const ins_method_ops ins_fld_submit_ops = INS_MUT_OPS(submit_start);
