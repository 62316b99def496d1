/*
 * licensing_list.c - Licensing.ListApplications: filters by stage, town and
 * service item, walking the narrowest index that applies (item, then stage,
 * then town, else the applications themselves), in key order, a page at a
 * time. The page token (paging.h) carries the last id of the page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "paging.h"
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
    size_t limit = req->page_size ? req->page_size : PAGE_DEFAULT;
    char size[24], stage[16], after[INS_CURSOR_ID_MAX + 1];
    snprintf(size, sizeof size, "%zu", limit);
    snprintf(stage, sizeof stage, "%d", (int)req->stage);
    ins_cursor_query q;
    uint64_t unused;
    if (ins_paging_query(call, &q, 4,
                         (const char *[]){req->service_item, stage, req->town, size}) ||
        ins_paging_after(call, &q, "page_token", req->page_token, &unused, after, sizeof after))
        return;
    page p = {.req = req, .after = after[0] ? after : NULL, .limit = limit};
    p.items = calloc(p.limit, sizeof *p.items);
    int rc = p.items ? ins_store_read_begin(ins_ctx_of(call)->store, &p.r) : ENOMEM;
    if (rc == 0)
        rc = scan(&p);
    ins_rtxn_end(p.r);
    ins_paging_page pg = {"applications",
                          &inspect__v1__list_applications_response__descriptor,
                          "applications",
                          (ProtobufCMessage **)p.items,
                          p.n,
                          p.more,
                          p.n ? p.items[p.n - 1]->id : NULL};
    ins_paging_reply(call, &q, &pg, rc);
}

const ins_method_ops ins_lic_list_applications_ops = {.start = list_applications_start};
