/*
 * field_sync.c - Field.SyncTasks: everything a tablet needs to work offline
 * for the caller's tasks that changed since its cursor.
 *
 * A first sync (empty cursor) walks the caller's tasks by the team index
 * and ends with a cursor into the change feed taken before it began; later
 * syncs walk the feed from there, so a task that changed, was reassigned or
 * was cancelled comes back exactly when it matters. The cursor is a token
 * of paging.h bound to the caller, carrying a feed position and, while a
 * first sync is in progress, the last task it sent (the id is empty once
 * the sync follows the feed). It is not bound to page_size: a tablet keeps
 * its cursor for months and may change its page size meanwhile.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_applications.h"
#include "rec_directory.h"
#include "entities.pb-c.h"
#include "field_impl.h"
#include "ins_error.h"
#include "paging.h"
#include "records.h"
#include "task_state.h"

#define PAGE_DEFAULT 20
#define PAGE_MAX     100
#define FEED_BUDGET  4096 /* feed entries read per call at most */

typedef struct sync_ctx {
    ins_rtxn *r;
    const char *me;
    Inspect__V1__TaskPackage **pkgs;
    size_t n, limit;
    char **removed;
    size_t n_removed, cap_removed;
    ProtobufCMessage **owned; /* decoded messages the packages point into */
    size_t n_owned, cap_owned;
    char last_id[64];
    uint64_t done_seq; /* the last feed entry fully handled */
    int full_done, err;
} sync_ctx;

static int own(sync_ctx *c, ProtobufCMessage *m)
{
    if (c->n_owned == c->cap_owned) {
        size_t cap = c->cap_owned ? c->cap_owned * 2 : 64;
        void *p = realloc(c->owned, cap * sizeof *c->owned);
        if (!p) {
            protobuf_c_message_free_unpacked(m, NULL);
            return ENOMEM;
        }
        c->owned = p;
        c->cap_owned = cap;
    }
    c->owned[c->n_owned++] = m;
    return 0;
}

static int on_team(const Inspect__V1__Task *t, const char *me)
{
    for (size_t i = 0; i < t->n_team; i++)
        if (strcmp(t->team[i]->inspector_id, me) == 0)
            return 1;
    return 0;
}

static int visible_state(int state)
{
    return ins_task_state_on_tablet(state);
}

/* The facts of `app` that one of `tpls` verifies. */
static void verified_facts(const Inspect__V1__Application *app, Inspect__V1__Template **tpls,
                           size_t n, Inspect__V1__DeclaredFact **out, size_t *nout)
{
    *nout = 0;
    for (size_t f = 0; f < app->n_declared_facts; f++) {
        int used = 0;
        for (size_t t = 0; t < n && !used; t++)
            for (size_t i = 0; i < tpls[t]->n_items && !used; i++)
                used = strcmp(tpls[t]->items[i]->verifies_fact, app->declared_facts[f]->key) == 0;
        if (used)
            out[(*nout)++] = app->declared_facts[f];
    }
}

/* Builds the package of `task` (owned by c from here on). */
static int package(sync_ctx *c, Inspect__V1__Task *task)
{
    int rc = own(c, &task->base);
    Inspect__V1__Application *app = NULL;
    if (rc == 0)
        rc = ins_app_get(c->r, task->application_id, &app);
    if (rc == 0)
        rc = own(c, &app->base);
    Inspect__V1__TaskPackage *p = calloc(1, sizeof *p);
    Inspect__V1__Site *site = calloc(1, sizeof *site);
    Inspect__V1__Template **tpls = calloc(task->n_templates + 1, sizeof *tpls);
    Inspect__V1__DeclaredFact **facts = calloc(app ? app->n_declared_facts + 1 : 1, sizeof *facts);
    if (!p || !site || !tpls || !facts) {
        free(p), free(site), free(tpls), free(facts);
        return rc ? rc : ENOMEM;
    }
    inspect__v1__task_package__init(p);
    inspect__v1__site__init(site);
    c->pkgs[c->n++] = p; /* freed with the page, whatever happens next */
    p->task = task;
    p->site = site;
    p->templates = tpls;
    p->declared_facts = facts;
    for (size_t i = 0; rc == 0 && i < task->n_templates; i++) {
        rc = ins_template_pinned(c->r, NULL, task->templates[i], &tpls[i]);
        if (rc == 0 && (rc = own(c, &tpls[i]->base)) == 0)
            p->n_templates++;
    }
    if (rc == 0) {
        site->application_id = app->id;
        site->applicant_name = app->applicant_name;
        site->applicant_credit_code = app->applicant_credit_code;
        site->address = app->site_address;
        site->town = app->town;
        site->latitude = app->latitude;
        site->longitude = app->longitude;
        verified_facts(app, tpls, p->n_templates, facts, &p->n_declared_facts);
    }
    return rc;
}

static void page_free(sync_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->pkgs[i]->site);
        free(c->pkgs[i]->templates);
        free(c->pkgs[i]->declared_facts);
        free(c->pkgs[i]);
    }
    for (size_t i = 0; i < c->n_owned; i++)
        protobuf_c_message_free_unpacked(c->owned[i], NULL);
    for (size_t i = 0; i < c->n_removed; i++)
        free(c->removed[i]);
    free(c->pkgs);
    free(c->owned);
    free(c->removed);
}

static int already(const sync_ctx *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->pkgs[i]->task->id, id) == 0)
            return 1;
    for (size_t i = 0; i < c->n_removed; i++)
        if (strcmp(c->removed[i], id) == 0)
            return 1;
    return 0;
}

static int add_removed(sync_ctx *c, const char *id)
{
    if (c->n_removed == c->cap_removed) {
        size_t cap = c->cap_removed ? c->cap_removed * 2 : 16;
        void *p = realloc(c->removed, cap * sizeof *c->removed);
        if (!p)
            return ENOMEM;
        c->removed = p;
        c->cap_removed = cap;
    }
    c->removed[c->n_removed] = strdup(id);
    return c->removed[c->n_removed++] ? 0 : ENOMEM;
}

/* ---- first sync: the caller's tasks by the team index ------------------ */

static int full_visit(void *arg, const char *id)
{
    sync_ctx *c = arg;
    if (strlen(id) >= 64)
        return c->err = INS_ECORRUPT;
    if (c->last_id[0] && strcmp(id, c->last_id) == 0)
        return 0; /* where the previous page stopped */
    if (c->n == c->limit)
        return 1;
    Inspect__V1__Task *task = NULL;
    int rc = ins_task_get(c->r, id, &task);
    if (rc)
        return c->err = rc;
    snprintf(c->last_id, sizeof c->last_id, "%s", id);
    if (!visible_state(task->state)) {
        protobuf_c_message_free_unpacked(&task->base, NULL);
        return 0;
    }
    return (c->err = package(c, task));
}

static int full_page(sync_ctx *c)
{
    int rc = ins_task_scan(c->r, c->me, c->last_id[0] ? c->last_id : NULL, full_visit, c);
    if (c->err)
        return c->err;
    c->full_done = rc != 1;
    return rc == 1 ? 0 : rc;
}

/* ---- later syncs: the change feed --------------------------------------- */

static int former_member(ins_rtxn *r, const char *me, const char *id)
{
    return ins_task_was_member(r, me, id);
}

/* Handles one feed entry: a change of one of the caller's tasks becomes
 * its package, a task taken from him a removal. */
static int feed_entry(sync_ctx *c, const ins_feed_entry *e)
{
    if (strcmp(e->entity_kind, "task") != 0 || e->entity_key_len <= 5 || e->entity_key_len >= 69)
        return 0;
    char id[64];
    memcpy(id, (const char *)e->entity_key + 5, e->entity_key_len - 5); /* "task/" */
    id[e->entity_key_len - 5] = '\0';
    if (already(c, id))
        return 0;
    Inspect__V1__Task *task = NULL;
    int rc = ins_task_get(c->r, id, &task);
    if (rc)
        return rc == INS_ENOTFOUND ? 0 : rc;
    if (on_team(task, c->me) && visible_state(task->state))
        return package(c, task);
    int gone = on_team(task, c->me) ? task->state == INSPECT__V1__TASK_STATE__TASK_STATE_CANCELLED
                                    : former_member(c->r, c->me, id);
    protobuf_c_message_free_unpacked(&task->base, NULL);
    return gone ? add_removed(c, id) : 0;
}

static int feed_visit(void *arg, const ins_feed_entry *e)
{
    sync_ctx *c = arg;
    if (c->n == c->limit)
        return 1; /* the page is full: this entry waits for the next call */
    if ((c->err = feed_entry(c, e)) != 0)
        return c->err;
    c->done_seq = e->seq;
    return 0;
}

/* ---- the call ------------------------------------------------------------ */

static void sync_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__SyncTasksRequest *req = (const Inspect__V1__SyncTasksRequest *)msg;
    sync_ctx c = {.me = ins_call_principal(call)->name};
    int full;
    uint64_t seq;
    if (req->page_size > PAGE_MAX) {
        ins_call_fail(call, INS_EINVAL, "page_size %u is above the maximum %d", req->page_size,
                      PAGE_MAX);
        return;
    }
    ins_cursor_query q;
    if (ins_paging_query(call, &q, 0, NULL) ||
        ins_paging_after(call, &q, "cursor", req->cursor, &seq, c.last_id, sizeof c.last_id))
        return;
    full = !req->cursor[0] || c.last_id[0];
    ins_store *store = ins_ctx_of(call)->store;
    uint64_t head = ins_feed_last(store); /* before the snapshot: nothing slips through */
    if (!req->cursor[0])
        seq = head;
    else if (seq > head) { /* handed out by this key, but not by this store (restored?) */
        ins_call_fail(call, INS_ERANGE,
                      "cursor %" PRIu64 " is past the feed head %" PRIu64
                      "; sync with an empty cursor to start over",
                      seq, head);
        return;
    }
    c.limit = req->page_size ? req->page_size : PAGE_DEFAULT;
    c.pkgs = calloc(c.limit, sizeof *c.pkgs);
    uint64_t next = seq;
    int rc = c.pkgs ? ins_store_read_begin(store, &c.r) : ENOMEM;
    if (rc == 0 && full)
        rc = full_page(&c);
    else if (rc == 0) {
        c.done_seq = seq;
        rc = ins_feed_read(c.r, seq, FEED_BUDGET, feed_visit, &c, NULL);
        if (rc == 1)
            rc = 0;
        rc = c.err ? c.err : rc;
        next = c.done_seq;
    }
    ins_rtxn_end(c.r);
    if (rc) {
        ins_call_fail(call, rc, "sync: %s", ins_strerror(rc));
        page_free(&c);
        return;
    }
    char cursor[INS_CURSOR_MAX];
    Inspect__V1__SyncTasksResponse resp = INSPECT__V1__SYNC_TASKS_RESPONSE__INIT;
    if (full && !c.full_done) { /* c.last_id is set: the page stopped after a task */
        rc = ins_paging_next(call, &q, seq, c.last_id, cursor, sizeof cursor);
        resp.more = 1;
    } else {
        rc = ins_paging_next(call, &q, full ? seq : next, "", cursor, sizeof cursor);
        resp.more = !full && (c.n == c.limit || next - seq == FEED_BUDGET);
    }
    if (rc) {
        page_free(&c);
        return;
    }
    resp.cursor = cursor;
    resp.tasks = c.pkgs;
    resp.n_tasks = c.n;
    resp.removed_task_ids = c.removed;
    resp.n_removed_task_ids = c.n_removed;
    ins_call_reply(call, &resp.base);
    page_free(&c);
}

const ins_method_ops ins_fld_sync_ops = {.start = sync_start};
