/*
 * departments.c - inspect.v1.Departments: PullChanges (the change feed a
 * department may see, in batches, following new commits when asked) and
 * GetPhoto (photo bytes in chunks). Reports and opinions are in
 * departments_reports.c.
 */
#include "departments.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings_rules.h" /* ins_photo_id_valid */
#include "ins_blob.h"
#include "ins_error.h"
#include "reconciliation.h"
#include "ctx.h"
#include "dispatch.h"
#include "inspect/v1/field.pb-c.h"
#include "rec_photos.h"
#include "rec_tasks.h"

#define BATCH_MAX   256
#define PHOTO_CHUNK (64u * 1024)

/* ---- PullChanges --------------------------------------------------------- */

/*
 * The changes gathered for one ChangeBatch, with the strings they point to:
 * one allocation per batch instead of four per change. The batch is packed
 * when it is sent and handed back through the follow's release hook; a full
 * one is kept for the next batch, a short one (the stream has caught up and
 * may now stay idle for hours) is freed, so an idle stream holds none.
 */
typedef struct change_arena {
    Inspect__V1__ChangeBatch batch;
    Inspect__V1__Change *ptrs[BATCH_MAX];
    Inspect__V1__Change items[BATCH_MAX];
    size_t text_at[BATCH_MAX][3]; /* kind, id, change: offsets into text */
    size_t n;
    char *text; /* NUL-terminated strings, grown as needed */
    size_t len, cap;
} change_arena;

typedef struct pull {
    ins_follow f;
    char dept[INS_DEPARTMENT_MAX];
    const char *district; /* the node's (ins_server_district), on every change */
    char **kinds;
    size_t n_kinds;
    change_arena *cur;   /* being gathered; NULL until the first pick */
    change_arena *spare; /* a sent full batch's, for the next one */
} pull;

static void arena_free(change_arena *a)
{
    if (a) {
        free(a->text);
        free(a);
    }
}

/* Appends `len` bytes of `s` and a NUL to a's text; their offset in *at. */
static int arena_text(change_arena *a, const char *s, size_t len, size_t *at)
{
    if (a->len + len + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 8192;
        while (cap < a->len + len + 1)
            cap *= 2;
        char *t = realloc(a->text, cap);
        if (!t)
            return ENOMEM;
        a->text = t;
        a->cap = cap;
    }
    memcpy(a->text + a->len, s, len);
    a->text[a->len + len] = 0;
    *at = a->len;
    a->len += len + 1;
    return 0;
}

static int visible(const pull *p, const ins_feed_entry *e)
{
    int seen = 0;
    for (size_t i = 0; i < e->n_departments && !seen; i++)
        seen = strcmp(e->departments[i], p->dept) == 0;
    if (!seen || p->n_kinds == 0)
        return seen;
    for (size_t i = 0; i < p->n_kinds; i++)
        if (strcmp(p->kinds[i], e->entity_kind) == 0)
            return 1;
    return 0;
}

/* Queues the gathered changes as one ChangeBatch; the arena goes with it
 * until pull_release hands it back. */
static int pull_flush(ins_follow *f)
{
    pull *p = f->arg;
    change_arena *a = p->cur;
    if (!a || a->n == 0)
        return 0;
    for (size_t i = 0; i < a->n; i++) { /* the text is final: point into it */
        a->items[i].entity_kind = a->text + a->text_at[i][0];
        a->items[i].entity_id = a->text + a->text_at[i][1];
        a->items[i].change = a->text + a->text_at[i][2];
    }
    inspect__v1__change_batch__init(&a->batch);
    a->batch.changes = a->ptrs;
    a->batch.n_changes = a->n;
    a->batch.cursor = a->items[a->n - 1].seq;
    p->cur = NULL;
    return ins_follow_push(f, &a->batch.base);
}

/* The follow's release hook: a sent (or dropped) batch's arena comes back. */
static void pull_release(ins_follow *f, ProtobufCMessage *msg)
{
    pull *p = f->arg;
    change_arena *a = (change_arena *)((char *)msg - offsetof(change_arena, batch));
    if (a->n == BATCH_MAX && !p->spare) {
        p->spare = a;
        return;
    }
    arena_free(a);
}

static int pull_pick(ins_follow *f, ins_rtxn *r, const ins_feed_entry *e, char *why, size_t whylen)
{
    pull *p = f->arg;
    (void)r, (void)why, (void)whylen;
    if (!visible(p, e))
        return 0;
    if (!p->cur) {
        p->cur = p->spare ? p->spare : malloc(sizeof *p->cur);
        if (!p->cur)
            return ENOMEM;
        if (!p->spare)
            p->cur->text = NULL, p->cur->cap = 0;
        p->spare = NULL;
        p->cur->n = p->cur->len = 0;
    }
    change_arena *a = p->cur;
    Inspect__V1__Change *c = &a->items[a->n];
    inspect__v1__change__init(c);
    c->seq = e->seq;
    c->time_unix_ns = (int64_t)e->time_ns;
    c->district = (char *)p->district; /* the server's; outlives the batch */
    const char *key = e->entity_key;
    size_t klen = e->entity_key_len, kl = strlen(e->entity_kind);
    if (klen > kl && memcmp(key, e->entity_kind, kl) == 0 && key[kl] == '/') {
        key += kl + 1; /* "task/T-000001" → "T-000001" */
        klen -= kl + 1;
    }
    size_t *at = a->text_at[a->n];
    if (arena_text(a, e->entity_kind, kl, &at[0]) || arena_text(a, key, klen, &at[1]) ||
        arena_text(a, e->change, strlen(e->change), &at[2]))
        return ENOMEM;
    a->ptrs[a->n++] = c;
    return a->n == BATCH_MAX ? pull_flush(f) : 0;
}

static void pull_free(pull *p)
{
    if (!p)
        return;
    ins_follow_stop(&p->f); /* releases a queued batch */
    arena_free(p->cur);
    arena_free(p->spare);
    for (size_t i = 0; i < p->n_kinds; i++)
        free(p->kinds[i]);
    free(p->kinds);
    free(p);
}

static void pull_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__PullChangesRequest *req = (const Inspect__V1__PullChangesRequest *)msg;
    const ins_principal *who = ins_call_principal(call);
    if (!who->department[0]) {
        ins_call_fail(call, INS_EPERM, "%s carries no department; a department token names one",
                      who->name);
        return;
    }
    uint64_t head = ins_feed_last(ins_ctx_of(call)->store);
    if (req->cursor > head) { /* never from the start, never wrapped round */
        ins_call_fail(call, INS_ERANGE,
                      "cursor %" PRIu64 " is past the feed head %" PRIu64
                      "; resume from the last seq you stored, at most the head",
                      req->cursor, head);
        return;
    }
    pull *p = calloc(1, sizeof *p);
    if (p && req->n_kinds)
        p->kinds = calloc(req->n_kinds, sizeof *p->kinds);
    if (!p || (req->n_kinds && !p->kinds)) {
        free(p);
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    for (size_t i = 0; i < req->n_kinds; i++)
        if ((p->kinds[p->n_kinds] = strdup(req->kinds[i])) != NULL)
            p->n_kinds++;
    snprintf(p->dept, sizeof p->dept, "%s", who->department);
    ins_ctx *ctx = ins_ctx_of(call);
    p->district = ins_server_district(ctx->server);
    ins_follow_init(&p->f, call, &ctx->followers, req->cursor, req->follow, pull_pick, p);
    p->f.flush = pull_flush;
    p->f.release = pull_release;
    ins_call_set_data(call, p);
    ins_follow_pump(&p->f);
}

static void pull_on_sent(ins_call *call, int ok)
{
    ins_follow_on_sent(&((pull *)ins_call_data(call))->f, ok);
}

static void pull_on_wake(ins_call *call)
{
    ins_follow_pump(&((pull *)ins_call_data(call))->f);
}

static void pull_on_cancel(ins_call *call)
{
    ins_follow_stop(&((pull *)ins_call_data(call))->f);
}

static void pull_cleanup(ins_call *call)
{
    pull_free(ins_call_data(call));
}

static const ins_method_ops pull_ops = {
    .start = pull_start,
    .on_sent = pull_on_sent,
    .on_wake = pull_on_wake,
    .on_cancel = pull_on_cancel,
    .cleanup = pull_cleanup,
};

/* ---- GetPhoto ------------------------------------------------------------ */

typedef struct photo_stream {
    uint8_t sha[32];
    uint64_t offset, size;
    char media[64];
    uint8_t *buf;
} photo_stream;

static int unhex(const char *s, uint8_t out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* Checks who may see the photo; fills size and media type. */
static int photo_allowed(ins_call *call, const char *id, photo_stream *ps)
{
    const ins_principal *who = ins_call_principal(call);
    ins_rtxn *r = NULL;
    Inspect__V1__Photo *ph = NULL;
    Inspect__V1__Task *task = NULL;
    int rc = ins_store_read_begin(ins_ctx_of(call)->store, &r);
    if (rc == 0)
        rc = ins_photo_get(r, id, &ph);
    if (rc == 0 && who->role == INS_ROLE_DEPARTMENT)
        rc = ins_task_get(r, ph->task_id, &task);
    ins_rtxn_end(r);
    if (rc == 0 && task && !ins_dsp_may_see(who, task))
        rc = INS_EPERM;
    if (rc == 0) {
        ps->size = ph->size;
        snprintf(ps->media, sizeof ps->media, "%s", ph->media_type);
    }
    if (rc == INS_EPERM)
        ins_call_fail(call, rc, "department %s takes no part in task %s", who->department,
                      ph->task_id);
    else if (rc == INS_ENOTFOUND)
        ins_call_fail(call, rc, "no photo %s", id);
    else if (rc)
        ins_call_fail(call, rc, "reading photo %s: %s", id, ins_strerror(rc));
    if (task)
        protobuf_c_message_free_unpacked(&task->base, NULL);
    if (ph)
        protobuf_c_message_free_unpacked(&ph->base, NULL);
    return rc;
}

static void photo_next(ins_call *call)
{
    photo_stream *ps = ins_call_data(call);
    if (ps->offset >= ps->size) {
        ins_call_finish(call);
        return;
    }
    size_t n = 0;
    int rc = ins_blob_read(ins_ctx_of(call)->store, ps->sha, ps->offset, ps->buf, PHOTO_CHUNK, &n);
    if (rc || n == 0) {
        ins_call_fail(call, rc ? rc : INS_ECORRUPT, "reading photo bytes at %" PRIu64 ": %s",
                      ps->offset, ins_strerror(rc ? rc : INS_ECORRUPT));
        return;
    }
    Inspect__V1__PhotoChunk c = INSPECT__V1__PHOTO_CHUNK__INIT;
    c.offset = ps->offset;
    c.data.data = ps->buf;
    c.data.len = n;
    if (ps->offset == 0) {
        c.total_size = ps->size;
        c.media_type = ps->media;
    }
    ps->offset += n;
    ins_call_send(call, &c.base);
}

static void photo_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetPhotoRequest *req = (const Inspect__V1__GetPhotoRequest *)msg;
    photo_stream *ps = calloc(1, sizeof *ps);
    if (!ps || !(ps->buf = malloc(PHOTO_CHUNK))) {
        free(ps);
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    ins_call_set_data(call, ps);
    if (!ins_photo_id_valid(req->photo_id) || unhex(req->photo_id, ps->sha) != 0) {
        ins_call_fail(call, INS_EINVAL, "photo_id must be a hex SHA-256 (64 digits)");
        return;
    }
    if (photo_allowed(call, req->photo_id, ps) == 0)
        photo_next(call);
}

static void photo_on_sent(ins_call *call, int ok)
{
    if (ok)
        photo_next(call);
}

static void photo_cleanup(ins_call *call)
{
    photo_stream *ps = ins_call_data(call);
    if (ps)
        free(ps->buf);
    free(ps);
}

static const ins_method_ops photo_ops = {
    .start = photo_start,
    .on_sent = photo_on_sent,
    .cleanup = photo_cleanup,
};

extern const ins_method_ops ins_dep_get_report_ops; /* departments_reports.c */
extern const ins_method_ops ins_dep_opinion_ops;    /* departments_reports.c */

#define R(x) INS_ROLE_BIT(INS_ROLE_##x)

static const ins_method_def departments_methods[] = {
    {"PullChanges", INS_SERVER_STREAM, R(DEPARTMENT), &pull_ops},
    {"GetReconciliation", INS_UNARY, R(DEPARTMENT) | R(DISPATCHER) | R(AUDITOR),
     &ins_dep_get_report_ops},
    {"SubmitOpinion", INS_UNARY, R(DEPARTMENT), &ins_dep_opinion_ops},
    {"GetPhoto", INS_SERVER_STREAM, R(DEPARTMENT) | R(DISPATCHER) | R(AUDITOR), &photo_ops},
};

const ins_service_def ins_departments_service = {
    .descriptor = &inspect__v1__departments__descriptor,
    .methods = departments_methods,
    .n_methods = sizeof departments_methods / sizeof departments_methods[0],
};
