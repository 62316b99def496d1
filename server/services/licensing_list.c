/*
 * licensing_list.c - Licensing.ListApplications: filters by stage, town and
 * service item, walking the narrowest index that applies (item, then stage,
 * then town, else the applications themselves), in key order, a page at a
 * time. The page token is the last id of the page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "rec_applications.h"
#include "records.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500

typedef struct page {
    ins_rtxn *r;
    const Inspect__V1__ListApplicationsRequest *req;
    const char *after;
    Inspect__V1__Application **items;
    size_t n, limit;
    int more, err;
} page;

static int matches(const page *p, const Inspect__V1__Application *a)
{
    const Inspect__V1__ListApplicationsRequest *q = p->req;
    return (q->stage == 0 || a->stage == q->stage) && (!q->town[0] || !strcmp(a->town, q->town)) &&
           (!q->service_item[0] || !strcmp(a->service_item, q->service_item));
}

static int visit(void *arg, const char *id)
{
    page *p = arg;
    if (p->after && strcmp(id, p->after) == 0)
        return 0; /* the scan starts at the last id of the previous page */
    Inspect__V1__Application *a = NULL;
    int rc = ins_app_get(p->r, id, &a);
    if (rc)
        return p->err = rc;
    if (!matches(p, a)) {
        protobuf_c_message_free_unpacked(&a->base, NULL);
        return 0;
    }
    if (p->n == p->limit) {
        protobuf_c_message_free_unpacked(&a->base, NULL);
        p->more = 1;
        return 1;
    }
    p->items[p->n++] = a;
    return 0;
}

/* Runs the scan over the index that fits the request (rec_applications.h). */
static int scan(page *p)
{
    const Inspect__V1__ListApplicationsRequest *q = p->req;
    int rc = ins_app_scan(p->r, q->service_item, q->stage, q->town, p->after, visit, p);
    if (rc == 1)
        rc = 0;
    return p->err ? p->err : rc;
}

static void list_applications_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__ListApplicationsRequest *req =
        (const Inspect__V1__ListApplicationsRequest *)msg;
    if (req->page_size > PAGE_MAX) {
        ins_call_fail(call, INS_EINVAL, "page_size %u is above the maximum %d", req->page_size,
                      PAGE_MAX);
        return;
    }
    if (req->stage < 0 || req->stage > INSPECT__V1__STAGE__STAGE_ARCHIVED) {
        ins_call_fail(call, INS_EINVAL, "stage %d is not a stage of the flow", (int)req->stage);
        return;
    }
    char after[256];
    if (req->page_token[0] && ins_page_token_parse(req->page_token, after, sizeof after) != 0) {
        ins_call_fail(call, INS_EINVAL, "page_token is not one this server handed out");
        return;
    }
    page p = {.req = req, .after = req->page_token[0] ? after : NULL};
    p.limit = req->page_size ? req->page_size : PAGE_DEFAULT;
    p.items = calloc(p.limit, sizeof *p.items);
    int rc = p.items ? ins_store_read_begin(ins_ctx_of(call)->store, &p.r) : ENOMEM;
    if (rc == 0)
        rc = scan(&p);
    ins_rtxn_end(p.r);
    if (rc == 0) {
        Inspect__V1__ListApplicationsResponse resp = INSPECT__V1__LIST_APPLICATIONS_RESPONSE__INIT;
        resp.applications = p.items;
        resp.n_applications = p.n;
        char token[520] = "";
        if (p.more && p.n > 0 && strlen(p.items[p.n - 1]->id) < 256)
            ins_page_token_make(p.items[p.n - 1]->id, token);
        resp.next_page_token = token;
        ins_call_reply(call, &resp.base);
    } else {
        ins_call_fail(call, rc, "listing applications: %s", ins_strerror(rc));
    }
    for (size_t i = 0; i < p.n; i++)
        protobuf_c_message_free_unpacked(&p.items[i]->base, NULL);
    free(p.items);
}

const ins_method_ops ins_lic_list_applications_ops = {.start = list_applications_start};
