/*
 * directory_items.c - Directory: service items (审批事项) and checklist
 * templates (踏勘标准). A template version, once published, never changes;
 * a service item may only name departments and templates that exist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory_impl.h"
#include "directory_rules.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "records.h"
#include "template_rules.h"

/* ---- UpsertServiceItem --------------------------------------------------- */

/* Checks every department and template the item names. */
static int check_item_refs(ins_wtxn *t, ins_mut *mu, const Inspect__V1__ServiceItem *it)
{
    for (size_t i = 0; i < it->n_departments; i++) {
        const Inspect__V1__RequiredDepartment *rd = it->departments[i];
        if (!ins_department_exists(t, rd->department))
            return ins_mut_fail(mu, INS_ESTATE,
                                "service item %s names department %s, which does not exist",
                                it->code, rd->department);
        Inspect__V1__Template *tpl = NULL;
        int rc = ins_template_latest(NULL, t, rd->template_id, &tpl);
        if (rc == INS_ENOTFOUND)
            return ins_mut_fail(mu, INS_ESTATE,
                                "service item %s names template %s, which is not published",
                                it->code, rd->template_id);
        if (rc)
            return rc;
        int same = strcmp(tpl->department, rd->department) == 0;
        protobuf_c_message_free_unpacked(&tpl->base, NULL);
        if (!same)
            return ins_mut_fail(mu, INS_ESTATE,
                                "service item %s: template %s belongs to another department "
                                "than %s",
                                it->code, rd->template_id, rd->department);
    }
    return 0;
}

static int upsert_item_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__UpsertServiceItemRequest *req =
        (const Inspect__V1__UpsertServiceItemRequest *)ins_mut_request(mu);
    Inspect__V1__ServiceItem it = *req->item;
    int rc = check_item_refs(t, mu, &it);
    if (rc)
        return rc;
    Inspect__V1__ServiceItem *old = NULL;
    rc = ins_item_wget(t, it.code, &old);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    it.version = old ? old->version + 1 : 1;
    if (old)
        protobuf_c_message_free_unpacked(&old->base, NULL);
    rc = ins_item_put(t, &it, ins_mut_actor(mu), it.version > 1 ? "updated" : "created");
    if (rc)
        return rc;
    Inspect__V1__UpsertServiceItemResponse resp = INSPECT__V1__UPSERT_SERVICE_ITEM_RESPONSE__INIT;
    resp.item = &it;
    return ins_mut_reply(t, mu, &resp.base);
}

static void upsert_item_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__UpsertServiceItemRequest *req =
        (const Inspect__V1__UpsertServiceItemRequest *)msg;
    char why[256];
    if (!req->request_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id is required (any unique string)");
        return;
    }
    if (ins_item_validate(req->item, why, sizeof why) != 0) {
        ins_call_fail(call, INS_EINVAL, "%s", why);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, upsert_item_apply);
}

/* ---- ListServiceItems ---------------------------------------------------- */

static void list_items_start(ins_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    Inspect__V1__ServiceItem **items = NULL;
    size_t n = 0;
    ins_rtxn *r = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_item_list(r, &items, &n);
    ins_rtxn_end(r);
    if (rc == 0) {
        Inspect__V1__ListServiceItemsResponse resp = INSPECT__V1__LIST_SERVICE_ITEMS_RESPONSE__INIT;
        resp.items = items;
        resp.n_items = n;
        ins_call_reply(call, &resp.base);
        ins_recio_free_all((ProtobufCMessage **)items, n);
    } else {
        ins_call_fail(call, rc, "reading service items: %s", ins_strerror(rc));
    }
}

/* ---- PublishTemplate ----------------------------------------------------- */

static int publish_template_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__PublishTemplateRequest *req =
        (const Inspect__V1__PublishTemplateRequest *)ins_mut_request(mu);
    Inspect__V1__Template tpl = *req->template_;
    if (!ins_department_exists(t, tpl.department))
        return ins_mut_fail(mu, INS_ESTATE, "template %s names department %s, which does not exist",
                            tpl.id, tpl.department);
    Inspect__V1__Template *latest = NULL;
    int rc = ins_template_latest(NULL, t, tpl.id, &latest);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    uint32_t last = latest ? latest->version : 0;
    if (latest)
        protobuf_c_message_free_unpacked(&latest->base, NULL);
    if (tpl.version == 0)
        tpl.version = last + 1;
    else if (tpl.version <= last)
        return ins_mut_fail(mu, INS_EEXIST,
                            "template %s version %u is already published (latest is %u); "
                            "published versions are immutable: publish version %u",
                            tpl.id, tpl.version, last, last + 1);
    tpl.published_unix = (int64_t)(ins_wtxn_now(t) / 1000000000u);
    rc = ins_template_put(t, &tpl, ins_mut_actor(mu));
    if (rc)
        return rc;
    Inspect__V1__PublishTemplateResponse resp = INSPECT__V1__PUBLISH_TEMPLATE_RESPONSE__INIT;
    resp.template_ = &tpl;
    return ins_mut_reply(t, mu, &resp.base);
}

static void publish_template_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__PublishTemplateRequest *req =
        (const Inspect__V1__PublishTemplateRequest *)msg;
    char why[256];
    if (!req->request_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id is required (any unique string)");
        return;
    }
    if (!req->template_) {
        ins_call_fail(call, INS_EINVAL, "template is required");
        return;
    }
    if (ins_template_validate(req->template_, why, sizeof why) != 0) {
        ins_call_fail(call, INS_EINVAL, "%s", why);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, publish_template_apply);
}

/* ---- GetTemplate --------------------------------------------------------- */

static void get_template_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetTemplateRequest *req = (const Inspect__V1__GetTemplateRequest *)msg;
    if (!req->id[0]) {
        ins_call_fail(call, INS_EINVAL, "id is required");
        return;
    }
    ins_rtxn *r = NULL;
    Inspect__V1__Template *tpl = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0 && req->version == 0) {
        rc = ins_template_latest(r, NULL, req->id, &tpl);
    } else if (rc == 0) {
        rc = ins_template_get(r, req->id, req->version, &tpl);
    }
    ins_rtxn_end(r);
    if (rc == 0) {
        ins_call_reply(call, &tpl->base);
        protobuf_c_message_free_unpacked(&tpl->base, NULL);
    } else if (rc == INS_ENOTFOUND && req->version) {
        ins_call_fail(call, rc, "template %s has no version %u", req->id, req->version);
    } else if (rc == INS_ENOTFOUND) {
        ins_call_fail(call, rc, "no template %s", req->id);
    } else {
        ins_call_fail(call, rc, "reading template %s: %s", req->id, ins_strerror(rc));
    }
}

const ins_method_ops ins_dir_upsert_item_ops = INS_MUT_OPS(upsert_item_start);
const ins_method_ops ins_dir_list_items_ops = {.start = list_items_start};
const ins_method_ops ins_dir_publish_template_ops = INS_MUT_OPS(publish_template_start);
const ins_method_ops ins_dir_get_template_ops = {.start = get_template_start};
