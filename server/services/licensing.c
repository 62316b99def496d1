/*
 * licensing.c - inspect.v1.Licensing: create and update applications with
 * optimistic versions, read them, list them by stage, town and service item,
 * and move them along the approval flow one step at a time.
 */
#include "licensing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_directory.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "rec_applications.h"
#include "mutate.h"
#include "records.h"
#include "stage.h"
#include "template_rules.h"

/* ---- UpsertApplication --------------------------------------------------- */

/* Checks the declared facts against the templates of the item. */
static int check_facts(ins_wtxn *t, ins_mut *mu, const Inspect__V1__Application *a)
{
    Inspect__V1__ServiceItem *item = NULL;
    int rc = ins_item_wget(t, a->service_item, &item);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, INS_ESTATE, "service item %s does not exist", a->service_item);
    if (rc)
        return rc;
    Inspect__V1__Template *tpls[16];
    size_t n = 0;
    for (size_t i = 0; i < item->n_departments && n < 16 && rc == 0; i++) {
        rc = ins_template_latest(NULL, t, item->departments[i]->template_id, &tpls[n]);
        if (rc == 0)
            n++;
        else if (rc == INS_ENOTFOUND)
            rc = 0; /* an item's template is checked when the item is stored */
    }
    char why[300];
    if (rc == 0 &&
        ins_facts_validate(a, (const Inspect__V1__Template *const *)tpls, n, why, sizeof why) != 0)
        rc = ins_mut_fail(mu, INS_EINVAL, "%s", why);
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&tpls[i]->base, NULL);
    protobuf_c_message_free_unpacked(&item->base, NULL);
    return rc;
}

static int upsert_application_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__UpsertApplicationRequest *req =
        (const Inspect__V1__UpsertApplicationRequest *)ins_mut_request(mu);
    Inspect__V1__Application a = *req->application;
    Inspect__V1__Application *old = NULL;
    int rc = ins_app_wget(t, a.id, &old);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    rc = 0;
    if (!old && req->expected_version) {
        rc = ins_mut_fail(mu, INS_ENOTFOUND,
                          "application %s does not exist; create it with expected_version 0", a.id);
    } else if (old && req->expected_version == 0) {
        rc = ins_mut_fail(mu, INS_EEXIST,
                          "application %s already exists (version %lld); pass expected_version "
                          "%lld to update it",
                          a.id, (long long)old->version, (long long)old->version);
    } else if (old && old->version != req->expected_version) {
        rc = ins_mut_fail(mu, INS_ECONFLICT,
                          "application %s is at version %lld, not %lld: read it again and retry",
                          a.id, (long long)old->version, (long long)req->expected_version);
    } else if (old && old->stage >= INSPECT__V1__STAGE__STAGE_INSPECTION) {
        rc = ins_mut_fail(mu, INS_ESTATE,
                          "application %s is in stage %s: the record is fixed once the site "
                          "inspection has begun",
                          a.id, ins_stage_name(old->stage));
    }
    if (rc == 0)
        rc = check_facts(t, mu, &a);
    if (rc == 0) {
        int64_t now = (int64_t)(ins_wtxn_now(t) / 1000000000u);
        a.stage = old ? old->stage : INSPECT__V1__STAGE__STAGE_INTAKE;
        a.outcome = old ? old->outcome : INSPECT__V1__OUTCOME__OUTCOME_UNSPECIFIED;
        a.version = old ? old->version + 1 : 1;
        a.created_unix = old ? old->created_unix : now;
        a.updated_unix = now;
        rc = ins_app_write(t, &a, old, ins_mut_actor(mu), old ? "updated" : "created");
    }
    if (old)
        protobuf_c_message_free_unpacked(&old->base, NULL);
    if (rc)
        return rc;
    Inspect__V1__UpsertApplicationResponse resp = INSPECT__V1__UPSERT_APPLICATION_RESPONSE__INIT;
    resp.application = &a;
    return ins_mut_reply(t, mu, &resp.base);
}

static void upsert_application_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__UpsertApplicationRequest *req =
        (const Inspect__V1__UpsertApplicationRequest *)msg;
    char why[300];
    if (!req->request_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id is required (any unique string)");
        return;
    }
    if (!req->application) {
        ins_call_fail(call, INS_EINVAL, "application is required");
        return;
    }
    if (req->expected_version < 0) {
        ins_call_fail(call, INS_EINVAL, "expected_version cannot be negative");
        return;
    }
    if (ins_application_validate(req->application, why, sizeof why) != 0) {
        ins_call_fail(call, INS_EINVAL, "%s", why);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, upsert_application_apply);
}

/* ---- GetApplication ------------------------------------------------------ */

/* Non-zero when a department principal may see applications of `item`. */
static int department_sees(ins_rtxn *r, const char *dept, const char *item_code)
{
    Inspect__V1__ServiceItem *item = NULL;
    if (ins_item_get(r, item_code, &item) != 0)
        return 0;
    int sees = 0;
    for (size_t i = 0; i < item->n_departments; i++)
        sees |= strcmp(item->departments[i]->department, dept) == 0;
    protobuf_c_message_free_unpacked(&item->base, NULL);
    return sees;
}

static void get_application_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetApplicationRequest *req = (const Inspect__V1__GetApplicationRequest *)msg;
    if (!req->id[0]) {
        ins_call_fail(call, INS_EINVAL, "id is required");
        return;
    }
    const ins_principal *p = ins_call_principal(call);
    ins_rtxn *r = NULL;
    Inspect__V1__Application *a = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_app_get(r, req->id, &a);
    if (rc == 0 && p->role == INS_ROLE_DEPARTMENT &&
        !department_sees(r, p->department, a->service_item))
        rc = INS_EPERM;
    ins_rtxn_end(r);
    if (rc == 0)
        ins_call_reply(call, &a->base);
    else if (rc == INS_EPERM)
        ins_call_fail(call, rc, "department %s takes no part in application %s", p->department,
                      req->id);
    else if (rc == INS_ENOTFOUND)
        ins_call_fail(call, rc, "no application %s", req->id);
    else
        ins_call_fail(call, rc, "reading application %s: %s", req->id, ins_strerror(rc));
    if (a)
        protobuf_c_message_free_unpacked(&a->base, NULL);
}

/* ---- SetStage ------------------------------------------------------------ */

static int set_stage_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__SetStageRequest *req =
        (const Inspect__V1__SetStageRequest *)ins_mut_request(mu);
    Inspect__V1__Application *old = NULL;
    int rc = ins_app_wget(t, req->id, &old);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no application %s", req->id);
    if (rc)
        return rc;
    char why[300];
    if (req->expected_version && req->expected_version != old->version)
        rc = ins_mut_fail(mu, INS_ECONFLICT,
                          "application %s is at version %lld, not %lld: read it again and retry",
                          req->id, (long long)old->version, (long long)req->expected_version);
    else if (ins_stage_check_move(old->stage, req->stage, why, sizeof why) != 0)
        rc = ins_mut_fail(mu, INS_ESTATE, "application %s: %s", req->id, why);
    Inspect__V1__Application a = *old;
    if (rc == 0) {
        a.stage = req->stage;
        a.version = old->version + 1;
        a.updated_unix = (int64_t)(ins_wtxn_now(t) / 1000000000u);
        rc = ins_app_write(t, &a, old, ins_mut_actor(mu), "stage");
    }
    if (rc == 0) {
        Inspect__V1__SetStageResponse resp = INSPECT__V1__SET_STAGE_RESPONSE__INIT;
        resp.application = &a;
        rc = ins_mut_reply(t, mu, &resp.base);
    }
    protobuf_c_message_free_unpacked(&old->base, NULL);
    return rc;
}

static void set_stage_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__SetStageRequest *req = (const Inspect__V1__SetStageRequest *)msg;
    if (!req->request_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id is required (any unique string)");
        return;
    }
    if (!req->id[0]) {
        ins_call_fail(call, INS_EINVAL, "id is required");
        return;
    }
    if (req->stage <= INSPECT__V1__STAGE__STAGE_UNSPECIFIED ||
        req->stage > INSPECT__V1__STAGE__STAGE_ARCHIVED) {
        ins_call_fail(call, INS_EINVAL, "stage %d is not a stage of the flow", (int)req->stage);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, set_stage_apply);
}

extern const ins_method_ops ins_lic_list_applications_ops; /* licensing_list.c */

static const ins_method_ops upsert_application_ops = INS_MUT_OPS(upsert_application_start);
static const ins_method_ops get_application_ops = {.start = get_application_start};
static const ins_method_ops set_stage_ops = INS_MUT_OPS(set_stage_start);

#define R(x) INS_ROLE_BIT(INS_ROLE_##x)

static const ins_method_def licensing_methods[] = {
    {"UpsertApplication", INS_UNARY, R(DISPATCHER) | R(ADMIN), &upsert_application_ops},
    {"GetApplication", INS_UNARY, R(DISPATCHER) | R(ADMIN) | R(AUDITOR) | R(DEPARTMENT),
     &get_application_ops},
    {"ListApplications", INS_UNARY, R(DISPATCHER) | R(ADMIN) | R(AUDITOR),
     &ins_lic_list_applications_ops},
    {"SetStage", INS_UNARY, R(DISPATCHER), &set_stage_ops},
};

const ins_service_def ins_licensing_service = {
    .descriptor = &inspect__v1__licensing__descriptor,
    .methods = licensing_methods,
    .n_methods = sizeof licensing_methods / sizeof licensing_methods[0],
};
