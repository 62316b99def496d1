/*
 * dispatch_list.c - Dispatch.ListTasks: by inspector through the team
 * index, otherwise over all tasks in id order, with the remaining filters
 * (state, department, town, overdue) checked on each task. A department
 * principal sees only the tasks it takes part in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_impl.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "paging.h"
#include "records.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500

typedef struct page {
    ins_rtxn *r;
    const Inspect__V1__ListTasksRequest *req;
    const ins_principal *who;
    int64_t now;
    const char *after;
    Inspect__V1__Task **items;
    size_t n, limit;
    int more, err;
} page;

static int needs_department(const Inspect__V1__Task *t, const char *dept)
{
    for (size_t i = 0; i < t->n_required_departments; i++)
        if (strcmp(t->required_departments[i], dept) == 0)
            return 1;
    return 0;
}

static int matches(const page *p, const Inspect__V1__Task *t)
{
    const Inspect__V1__ListTasksRequest *q = p->req;
    if (q->state && t->state != q->state)
        return 0;
    if (q->department[0] && !needs_department(t, q->department))
        return 0;
    if (q->town[0] && strcmp(t->town, q->town) != 0)
        return 0;
    if (q->overdue && !(ins_task_counts_as_open(t->state) && p->now >= t->deadline_unix))
        return 0;
    return ins_dsp_may_see(p->who, t);
}

static int visit(void *arg, const char *buf)
{
    page *p = arg;
    if (strlen(buf) >= 64)
        return p->err = INS_ECORRUPT;
    if (p->after && strcmp(buf, p->after) == 0)
        return 0;
    Inspect__V1__Task *t = NULL;
    int rc = ins_task_get(p->r, buf, &t);
    if (rc)
        return p->err = rc;
    if (!matches(p, t)) {
        protobuf_c_message_free_unpacked(&t->base, NULL);
        return 0;
    }
    if (p->n == p->limit) {
        protobuf_c_message_free_unpacked(&t->base, NULL);
        p->more = 1;
        return 1;
    }
    p->items[p->n++] = t;
    return 0;
}

static int scan(page *p)
{
    const char *inspector = p->req->inspector_id[0] ? p->req->inspector_id : NULL;
    int rc = ins_task_scan(p->r, inspector, p->after, visit, p);
    if (rc == 1)
        rc = 0;
    return p->err ? p->err : rc;
}

static void list_tasks_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__ListTasksRequest *req = (const Inspect__V1__ListTasksRequest *)msg;
    if (req->page_size > PAGE_MAX) {
        ins_call_fail(call, INS_EINVAL, "page_size %u is above the maximum %d", req->page_size,
                      PAGE_MAX);
        return;
    }
    if (req->state < 0 || req->state > INSPECT__V1__TASK_STATE__TASK_STATE_CANCELLED) {
        ins_call_fail(call, INS_EINVAL, "state %d is not a task state", (int)req->state);
        return;
    }
    size_t limit = req->page_size ? req->page_size : PAGE_DEFAULT;
    char size[24], state[16], after[64];
    snprintf(size, sizeof size, "%zu", limit);
    snprintf(state, sizeof state, "%d", (int)req->state);
    ins_cursor_query q;
    uint64_t unused;
    if (ins_paging_query(call, &q, 6,
                         (const char *[]){req->inspector_id, state, req->department, req->town,
                                          req->overdue ? "overdue" : "", size}) ||
        ins_paging_after(call, &q, "page_token", req->page_token, &unused, after, sizeof after))
        return;
    ins_ctx *ctx = ins_ctx_of(call);
    page p = {.req = req,
              .who = ins_call_principal(call),
              .after = after[0] ? after : NULL,
              .limit = limit};
    p.now = (int64_t)(ins_store_now(ctx->store) / 1000000000u);
    p.items = calloc(p.limit, sizeof *p.items);
    int rc = p.items ? ins_store_read_begin(ctx->store, &p.r) : ENOMEM;
    if (rc == 0)
        rc = scan(&p);
    ins_rtxn_end(p.r);
    ins_paging_page pg = {"tasks",
                          &inspect__v1__list_tasks_response__descriptor,
                          "tasks",
                          (ProtobufCMessage **)p.items,
                          p.n,
                          p.more,
                          p.n ? p.items[p.n - 1]->id : NULL};
    ins_paging_reply(call, &q, &pg, rc);
}

const ins_method_ops ins_dsp_list_tasks_ops = {.start = list_tasks_start};
