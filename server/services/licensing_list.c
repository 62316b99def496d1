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

#include "entities.pb-c.h"
#include "ins_error.h"
#include "licensing_store.h"
#include "records.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500

typedef struct page {
    ins_rtxn *r;
    const Inspect__V1__ListApplicationsRequest *req;
    const char *after;
    int index_has_prefix; /* index keys lead with one component before the id */
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

static int visit(void *arg, const ins_val *key, const ins_val *val)
{
    page *p = arg;
    (void)val;
    ins_key_reader kr;
    uint32_t u32;
    ins_keyr_init(&kr, key->data, key->len);
    int rc = 0;
    if (p->index_has_prefix == 1)
        rc = ins_keyr_u32(&kr, &u32);
    else if (p->index_has_prefix == 2)
        rc = ins_keyr_text(&kr, NULL, 0);
    char buf[256];
    if (rc || ins_keyr_text(&kr, buf, sizeof buf))
        return p->err = INS_ECORRUPT;
    if (p->after && strcmp(buf, p->after) == 0)
        return 0; /* the scan starts at the last id of the previous page */
    ins_key k;
    ins_app_key(&k, buf);
    Inspect__V1__Application *a = NULL;
    rc = ins_recio_get(p->r, T_APPLICATIONS, &k, &inspect__rec__application__descriptor,
                       &inspect__v1__application__descriptor, (ProtobufCMessage **)&a);
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

/* Picks the index and runs the scan. */
static int scan(page *p)
{
    const Inspect__V1__ListApplicationsRequest *q = p->req;
    ins_key prefix, start;
    ins_key_init(&prefix);
    ins_table table = T_APPLICATIONS;
    p->index_has_prefix = 0;
    if (q->service_item[0]) {
        table = T_APPS_BY_ITEM;
        ins_key_text(&prefix, q->service_item);
        p->index_has_prefix = 2;
    } else if (q->stage) {
        table = T_APPS_BY_STAGE;
        ins_key_u32(&prefix, (uint32_t)q->stage);
        p->index_has_prefix = 1;
    } else if (q->town[0]) {
        table = T_APPS_BY_TOWN;
        ins_key_text(&prefix, q->town);
        p->index_has_prefix = 2;
    }
    start = prefix;
    if (p->after)
        ins_key_text(&start, p->after);
    if (ins_key_err(&start))
        return INS_EINVAL;
    int rc = ins_rtxn_scan(p->r, table, prefix.buf, prefix.len, p->after ? start.buf : NULL,
                           p->after ? start.len : 0, visit, p);
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
