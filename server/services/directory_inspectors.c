/*
 * directory_inspectors.c - Directory: UpsertInspector, GetInspector,
 * ListInspectors. An inspector is indexed by department so dispatch can
 * walk one department's people without reading everybody.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory_impl.h"
#include "dispatch.h"
#include "directory_rules.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "paging.h"
#include "records.h"

static int upsert_inspector_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__UpsertInspectorRequest *req =
        (const Inspect__V1__UpsertInspectorRequest *)ins_mut_request(mu);
    Inspect__V1__Inspector in = *req->inspector;
    if (!ins_department_exists(t, in.department))
        return ins_mut_fail(mu, INS_ESTATE,
                            "department %s does not exist; create it with UpsertDepartment first",
                            in.department);
    Inspect__V1__Inspector *old = NULL;
    int rc = ins_inspector_wget(t, in.id, &old);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    int64_t old_version = old ? old->version : 0;
    if (req->expected_version && req->expected_version != old_version) {
        if (old)
            protobuf_c_message_free_unpacked(&old->base, NULL);
        return ins_mut_fail(mu, INS_ECONFLICT,
                            "inspector %s is at version %lld, not %lld: read it again and retry",
                            in.id, (long long)old_version, (long long)req->expected_version);
    }
    in.version = old_version + 1;
    int deactivated = old && old->active && !in.active;
    rc = ins_inspector_put(t, &in, old, ins_mut_actor(mu),
                           deactivated   ? "deactivated"
                           : old_version ? "updated"
                                         : "created");
    if (old)
        protobuf_c_message_free_unpacked(&old->base, NULL);
    if (rc == 0 && deactivated) { /* his calls are refused from now on (directory.h) */
        char what[300];
        snprintf(what, sizeof what, "was deactivated by %s", ins_mut_actor(mu));
        rc = ins_dsp_inspector_leave_all(t, mu, in.id, what);
    }
    if (rc)
        return rc;
    Inspect__V1__UpsertInspectorResponse resp = INSPECT__V1__UPSERT_INSPECTOR_RESPONSE__INIT;
    resp.inspector = &in;
    return ins_mut_reply(t, mu, &resp.base);
}

static void upsert_inspector_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__UpsertInspectorRequest *req =
        (const Inspect__V1__UpsertInspectorRequest *)msg;
    char why[256];
    if (!req->request_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id is required (any unique string)");
        return;
    }
    if (ins_inspector_validate(req->inspector, why, sizeof why) != 0) {
        ins_call_fail(call, INS_EINVAL, "%s", why);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, upsert_inspector_apply);
}

static void get_inspector_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetInspectorRequest *req = (const Inspect__V1__GetInspectorRequest *)msg;
    if (!req->id[0]) {
        ins_call_fail(call, INS_EINVAL, "id is required");
        return;
    }
    ins_rtxn *r = NULL;
    Inspect__V1__Inspector *in = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_inspector_get(r, req->id, &in);
    ins_rtxn_end(r);
    if (rc == 0) {
        ins_call_reply(call, &in->base);
        protobuf_c_message_free_unpacked(&in->base, NULL);
    } else if (rc == INS_ENOTFOUND) {
        ins_call_fail(call, rc, "no inspector %s", req->id);
    } else {
        ins_call_fail(call, rc, "reading inspector %s: %s", req->id, ins_strerror(rc));
    }
}

/* One page of ListInspectors. */
typedef struct page {
    ins_rtxn *r;
    const Inspect__V1__ListInspectorsRequest *req;
    const char *after;
    Inspect__V1__Inspector **items;
    size_t n, limit;
    int more;
    int err;
} page;

static int page_add(page *p, const char *id)
{
    if (p->after && strcmp(id, p->after) == 0) /* the scan starts at it */
        return 0;
    Inspect__V1__Inspector *in = NULL;
    int rc = ins_inspector_get(p->r, id, &in);
    if (rc)
        return p->err = rc;
    ProtobufCMessage *m = &in->base;
    int keep = !p->req->department[0] || strcmp(in->department, p->req->department) == 0;
    if (keep && p->req->town[0]) {
        keep = 0;
        for (size_t i = 0; i < in->n_towns; i++)
            keep |= strcmp(in->towns[i], p->req->town) == 0;
    }
    if (!keep) {
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
    }
    if (p->n == p->limit) {
        protobuf_c_message_free_unpacked(m, NULL);
        p->more = 1;
        return 1; /* stop: the page is full and one more exists */
    }
    p->items[p->n++] = in;
    return 0;
}

static int page_row(void *arg, const char *id)
{
    return page_add(arg, id);
}

static void list_inspectors_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__ListInspectorsRequest *req = (const Inspect__V1__ListInspectorsRequest *)msg;
    if (req->page_size > 1000) {
        ins_call_fail(call, INS_EINVAL, "page_size %u is above the maximum 1000", req->page_size);
        return;
    }
    size_t limit = req->page_size ? req->page_size : 100;
    char size[24], after[INS_CURSOR_ID_MAX + 1];
    snprintf(size, sizeof size, "%zu", limit);
    ins_cursor_query q;
    uint64_t unused;
    if (ins_paging_query(call, &q, 3, (const char *[]){req->department, req->town, size}) ||
        ins_paging_after(call, &q, "page_token", req->page_token, &unused, after, sizeof after))
        return;
    page p = {.req = req, .after = after[0] ? after : NULL, .limit = limit};
    p.items = calloc(p.limit, sizeof *p.items);
    int rc = p.items ? ins_store_read_begin(ins_ctx_of(call)->store, &p.r) : ENOMEM;
    if (rc == 0) {
        rc = ins_inspector_scan(p.r, req->department[0] ? req->department : NULL, p.after, page_row,
                                &p);
        if (rc == 1)
            rc = 0;
        if (p.err)
            rc = p.err;
    }
    ins_rtxn_end(p.r);
    ins_paging_page pg = {"inspectors",
                          &inspect__v1__list_inspectors_response__descriptor,
                          "inspectors",
                          (ProtobufCMessage **)p.items,
                          p.n,
                          p.more,
                          p.n ? p.items[p.n - 1]->id : NULL};
    ins_paging_reply(call, &q, &pg, rc);
}

const ins_method_ops ins_dir_upsert_inspector_ops = INS_MUT_OPS(upsert_inspector_start);
const ins_method_ops ins_dir_get_inspector_ops = {.start = get_inspector_start};
const ins_method_ops ins_dir_list_inspectors_ops = {.start = list_inspectors_start};
