/*
 * audit.c - inspect.v1.Audit: ListEvents (the trail of an entity, an actor
 * or a time range, oldest first), VerifyChain (recompute the hash chain,
 * name the first broken link) and the method table. ExportDossier lives in
 * dossier.c.
 *
 * ListEvents is shaped like follow.c: it reads at most LIST_BATCH entries in
 * one short read snapshot, sends them one message at a time, and reads on
 * from its own cursor (the last sequence examined) only when the batch is
 * gone, so its memory stays bounded however long the trail and however slow
 * the client. By entity and by actor it walks the index rows written with
 * every entry (records/rec_audit.h); a time
 * range finds its first entry by bisection on the chain (entries are
 * appended in time order by the one writer) and stops at the first entry
 * past the end of the range.
 *
 * VerifyChain recomputes every hash of the range, which for a long chain is
 * seconds of disk and SHA-256: it runs on the job pool (jobs.h), never on
 * the gRPC worker.
 */
#include "audit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctx.h"
#include "audit_impl.h"
#include "ins_chain.h"
#include "ins_error.h"
#include "ins_key.h"
#include "inspect/v1/audit.pb-c.h"
#include "jobs.h"
#include "rec_audit.h"

#define LIST_BATCH 256

/* ---- shared helpers (audit_impl.h) ---------------------------------------- */

static char *dup_n(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

int ins_aud_copy(const ins_audit_entry *e, ins_aud_entry *out)
{
    memset(out, 0, sizeof *out);
    out->seq = e->seq;
    out->time_ns = e->time_ns;
    out->actor = dup_n(e->actor, strlen(e->actor));
    out->action = dup_n(e->action, strlen(e->action));
    out->entity = dup_n(e->entity_key, e->entity_key_len);
    memcpy(out->record_sha256, e->record_sha256, 32);
    memcpy(out->prev_hash, e->prev_hash, 32);
    memcpy(out->hash, e->hash, 32);
    if (!out->actor || !out->action || !out->entity) {
        ins_aud_clear(out);
        return ENOMEM;
    }
    return 0;
}

void ins_aud_clear(ins_aud_entry *e)
{
    if (!e)
        return;
    free(e->actor);
    free(e->action);
    free(e->entity);
    e->actor = e->action = e->entity = NULL;
}

typedef struct get_ctx {
    ins_aud_entry *out;
    int found, err;
} get_ctx;

static int get_one(void *arg, const ins_audit_entry *e)
{
    get_ctx *g = arg;
    g->found = 1;
    g->err = ins_aud_copy(e, g->out);
    return 1; /* one is enough */
}

int ins_aud_get(ins_rtxn *r, uint64_t seq, ins_aud_entry *out)
{
    get_ctx g = {.out = out};
    memset(out, 0, sizeof *out);
    if (seq == 0)
        return INS_ENOTFOUND;
    int rc = ins_audit_scan(r, seq, seq, get_one, &g);
    if (rc != 0 && rc != 1)
        return rc;
    if (g.err)
        return g.err;
    if (!g.found || out->seq != seq) {
        ins_aud_clear(out);
        return g.found ? INS_ECORRUPT : INS_ENOTFOUND;
    }
    return 0;
}

void ins_aud_hash(const ins_aud_entry *e, uint8_t out[32])
{
    ins_chain_entry c = {e->seq,    e->time_ns,        e->actor,         e->action,
                         e->entity, strlen(e->entity), e->record_sha256, e->prev_hash};
    (void)ins_chain_hash(&c, out); /* all zero on error: no stored hash is */
}

typedef struct head_ctx {
    ins_aud_entry *out;
    int err;
} head_ctx;

static int head_one(void *arg, const ins_audit_entry *e)
{
    head_ctx *h = arg;
    ins_aud_clear(h->out);
    h->err = ins_aud_copy(e, h->out);
    return h->err;
}

int ins_aud_head(ins_store *s, ins_rtxn *r, ins_aud_entry *out)
{
    memset(out, 0, sizeof *out);
    uint64_t last = ins_audit_last(s); /* committed before the snapshot began */
    if (last == 0)
        return 0;
    head_ctx h = {out, 0};
    int rc = ins_audit_scan(r, last, 0, head_one, &h);
    if (rc == 0 && out->seq == 0)
        rc = INS_ECORRUPT; /* the committed head is missing */
    if (rc)
        ins_aud_clear(out);
    return rc;
}

/* ---- ListEvents ------------------------------------------------------------ */

/* One event with its own storage: the message points into the struct. */
typedef struct event {
    Inspect__V1__AuditEvent m;
    ins_aud_entry e;
} event;

enum { BY_RANGE, BY_ENTITY, BY_ACTOR };

typedef struct lister {
    int mode;
    char *entity, *actor;
    uint64_t from_ns, to_ns; /* to_ns 0: no end */
    uint64_t cursor;         /* last sequence examined */
    uint64_t limit, sent;    /* limit 0: none */
    event **q;               /* the batch read, sent from q[head] */
    size_t head, len;
    int eof, sending, sought;
} lister;

static void event_free(event *ev)
{
    if (ev) {
        ins_aud_clear(&ev->e);
        free(ev);
    }
}

static void lister_drop_queue(lister *l)
{
    for (size_t i = l->head; i < l->len; i++)
        event_free(l->q[i]);
    l->head = l->len = 0;
}

static void lister_free(lister *l)
{
    if (!l)
        return;
    lister_drop_queue(l);
    free(l->q);
    free(l->entity);
    free(l->actor);
    free(l);
}

/* Takes `e` (its texts move to the event). 1: queued, 0: past the range
 * (end of stream), <0: ENOMEM as a negative number. */
static int queue_entry(lister *l, ins_aud_entry *e)
{
    l->cursor = e->seq;
    if (l->to_ns && e->time_ns > l->to_ns) {
        ins_aud_clear(e);
        return 0;
    }
    if (e->time_ns < l->from_ns ||
        (l->mode == BY_ENTITY && l->actor && strcmp(e->actor, l->actor) != 0)) {
        ins_aud_clear(e);
        return 1; /* filtered out; read on */
    }
    event *ev = calloc(1, sizeof *ev);
    if (!ev) {
        ins_aud_clear(e);
        return -ENOMEM;
    }
    ev->e = *e;
    memset(e, 0, sizeof *e);
    Inspect__V1__AuditEvent init = INSPECT__V1__AUDIT_EVENT__INIT;
    ev->m = init;
    ev->m.seq = ev->e.seq;
    ev->m.time_unix_ns = (int64_t)ev->e.time_ns;
    ev->m.actor = ev->e.actor;
    ev->m.action = ev->e.action;
    ev->m.entity = ev->e.entity;
    ev->m.record_sha256 = (ProtobufCBinaryData){32, ev->e.record_sha256};
    ev->m.prev_hash = (ProtobufCBinaryData){32, ev->e.prev_hash};
    ev->m.hash = (ProtobufCBinaryData){32, ev->e.hash};
    l->q[l->len++] = ev;
    return 1;
}

typedef struct range_ctx {
    lister *l;
    int err, past;
} range_ctx;

static int range_one(void *arg, const ins_audit_entry *ae)
{
    range_ctx *rc = arg;
    ins_aud_entry e;
    if ((rc->err = ins_aud_copy(ae, &e)) != 0)
        return rc->err;
    int q = queue_entry(rc->l, &e);
    if (q < 0)
        return rc->err = -q;
    if (q == 0) {
        rc->past = 1;
        return 1;
    }
    return rc->l->len == LIST_BATCH ? 1 : 0;
}

/* First sequence > cursor whose time is >= from_ns, by bisection. */
static int seek_from(lister *l, ins_rtxn *r, uint64_t last)
{
    uint64_t lo = l->cursor + 1, hi = last + 1; /* answer in [lo, hi] */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        ins_aud_entry e;
        int rc = ins_aud_get(r, mid, &e);
        if (rc == INS_ENOTFOUND) { /* a hole: fall back to the linear walk */
            return 0;
        }
        if (rc)
            return rc;
        if (e.time_ns < l->from_ns)
            lo = mid + 1;
        else
            hi = mid;
        ins_aud_clear(&e);
    }
    l->cursor = lo - 1;
    return 0;
}

/* Reads the next batch into the queue; sets eof when the trail is done.
 * Returns 0 or an error. */
static int read_batch(lister *l, ins_store *s)
{
    ins_rtxn *r = NULL;
    uint64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    int rc = ins_store_read_begin(s, &r);
    if (rc)
        return rc;
    if (l->mode == BY_RANGE) {
        if (!l->sought && l->from_ns) {
            rc = seek_from(l, r, ins_audit_last(s));
            l->sought = 1;
        }
        range_ctx rx = {.l = l};
        uint64_t before = l->cursor;
        if (rc == 0 && l->cursor < UINT64_MAX)
            rc = ins_audit_scan(r, l->cursor + 1, 0, range_one, &rx);
        if (rx.err)
            rc = rx.err;
        else if (rc == 1)
            rc = 0;
        if (rc == 0 && (rx.past || l->cursor == before))
            l->eof = 1;
        goto done;
    }
    rc = ins_audit_index_scan(r, l->mode == BY_ENTITY ? INS_AUDIT_BY_ENTITY : INS_AUDIT_BY_ACTOR,
                              l->mode == BY_ENTITY ? l->entity : l->actor, l->cursor, LIST_BATCH,
                              &seqs, &n, &cap);
    if (rc == 0 && n == 0)
        l->eof = 1;
    for (size_t i = 0; rc == 0 && i < n && !l->eof; i++) {
        ins_aud_entry e;
        rc = ins_aud_get(r, seqs[i], &e);
        if (rc == INS_ENOTFOUND)
            rc = INS_ECORRUPT; /* indexed but missing: the chain lost an entry */
        if (rc)
            break;
        int q = queue_entry(l, &e);
        if (q < 0)
            rc = -q;
        else if (q == 0)
            l->eof = 1;
    }
done:
    free(seqs);
    ins_rtxn_end(r);
    return rc;
}

static void list_pump(ins_call *call)
{
    lister *l = ins_call_data(call);
    if (l->sending || ins_call_done(call))
        return;
    while (l->head == l->len) {
        l->head = l->len = 0;
        if (l->eof || (l->limit && l->sent >= l->limit)) {
            ins_call_finish(call);
            return;
        }
        int rc = read_batch(l, ins_ctx_of(call)->store);
        if (rc) {
            ins_call_fail(call, rc, "reading the audit trail after entry %" PRIu64 ": %s",
                          l->cursor, ins_strerror(rc));
            return;
        }
    }
    event *ev = l->q[l->head];
    if (ins_call_send(call, &ev->m.base) != 0)
        return;
    l->q[l->head++] = NULL;
    event_free(ev);
    l->sending = 1;
    if (++l->sent == l->limit) {
        lister_drop_queue(l);
        l->eof = 1;
    }
}

static void list_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__ListEventsRequest *req = (const Inspect__V1__ListEventsRequest *)msg;
    if (req->from_unix < 0 || req->to_unix < 0 || (req->to_unix && req->from_unix > req->to_unix)) {
        ins_call_fail(call, INS_EINVAL,
                      "from_unix (%" PRId64 ") and to_unix (%" PRId64 ") must be a range of "
                      "seconds since the epoch (0: open end)",
                      req->from_unix, req->to_unix);
        return;
    }
    uint64_t head = ins_audit_last(ins_ctx_of(call)->store);
    if (req->after_seq > head) {
        ins_call_fail(call, INS_ERANGE,
                      "after_seq %" PRIu64 " is past the audit chain head %" PRIu64, req->after_seq,
                      head);
        return;
    }
    lister *l = calloc(1, sizeof *l);
    if (l)
        l->q = calloc(LIST_BATCH, sizeof *l->q);
    if (!l || !l->q) {
        free(l);
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    ins_call_set_data(call, l);
    l->mode = req->entity[0] ? BY_ENTITY : req->actor[0] ? BY_ACTOR : BY_RANGE;
    l->entity = req->entity[0] ? strdup(req->entity) : NULL;
    l->actor = req->actor[0] ? strdup(req->actor) : NULL;
    if ((req->entity[0] && !l->entity) || (req->actor[0] && !l->actor)) {
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    l->from_ns = (uint64_t)req->from_unix * 1000000000u;
    l->to_ns = req->to_unix ? (uint64_t)req->to_unix * 1000000000u + 999999999u : 0;
    l->cursor = req->after_seq;
    l->limit = req->limit;
    list_pump(call);
}

static void list_on_sent(ins_call *call, int ok)
{
    lister *l = ins_call_data(call);
    l->sending = 0;
    if (ok)
        list_pump(call);
}

static void list_cleanup(ins_call *call)
{
    lister_free(ins_call_data(call));
}

static const ins_method_ops list_ops = {
    .start = list_start,
    .on_sent = list_on_sent,
    .cleanup = list_cleanup,
};

/* ---- VerifyChain ----------------------------------------------------------- */

typedef struct verify {
    ins_store *s;
    uint64_t from, to;
    int rc;
    uint64_t first_bad;
    ins_aud_entry head; /* the last entry checked, when intact */
    char why[200];      /* what is wrong with first_bad */
} verify;

/* Says what is wrong with entry `seq` (for the status message). */
static void explain(verify *v, ins_rtxn *r)
{
    ins_aud_entry e, prev;
    int rc = ins_aud_get(r, v->first_bad, &e);
    if (rc == INS_ENOTFOUND) {
        snprintf(v->why, sizeof v->why, "entry %" PRIu64 " is missing", v->first_bad);
        return;
    }
    if (rc) {
        snprintf(v->why, sizeof v->why, "entry %" PRIu64 " does not decode", v->first_bad);
        return;
    }
    uint8_t h[32];
    ins_aud_hash(&e, h);
    if (memcmp(h, e.hash, 32) != 0) {
        snprintf(v->why, sizeof v->why,
                 "entry %" PRIu64 " (%s on %s) does not hash to its stored hash", e.seq, e.action,
                 e.entity);
    } else if (v->first_bad > 1 && ins_aud_get(r, v->first_bad - 1, &prev) == 0) {
        if (memcmp(prev.hash, e.prev_hash, 32) != 0)
            snprintf(v->why, sizeof v->why,
                     "entry %" PRIu64 " does not link to the hash of entry %" PRIu64, e.seq,
                     prev.seq);
        ins_aud_clear(&prev);
    }
    if (!v->why[0])
        snprintf(v->why, sizeof v->why, "entry %" PRIu64 " breaks the chain", v->first_bad);
    ins_aud_clear(&e);
}

/* On the job pool: the whole range in one snapshot. */
static void verify_job(void *arg)
{
    verify *v = arg;
    v->rc = ins_audit_verify(v->s, v->from, v->to, &v->first_bad);
    ins_rtxn *r = NULL;
    if ((v->rc == 0 || v->rc == INS_ECORRUPT) && ins_store_read_begin(v->s, &r) == 0) {
        if (v->rc == 0 && v->to)
            ins_aud_get(r, v->to, &v->head);
        else if (v->rc == INS_ECORRUPT)
            explain(v, r);
        ins_rtxn_end(r);
    }
}

static void verify_reply(ins_call *call, verify *v)
{
    if (v->rc && v->rc != INS_ECORRUPT) {
        ins_call_fail(call, v->rc, "verifying the audit chain: %s", ins_strerror(v->rc));
        return;
    }
    Inspect__V1__VerifyChainResponse resp = INSPECT__V1__VERIFY_CHAIN_RESPONSE__INIT;
    char msg[320];
    resp.intact = v->rc == 0;
    resp.first_bad_seq = v->first_bad;
    resp.checked_from = v->from;
    resp.checked_to = v->to;
    if (v->rc == 0 && v->head.seq) {
        resp.head_hash = (ProtobufCBinaryData){32, v->head.hash};
        snprintf(msg, sizeof msg, "entries %" PRIu64 " to %" PRIu64 " are intact", v->from, v->to);
    } else if (v->rc == 0) {
        snprintf(msg, sizeof msg, "the audit chain is empty");
    } else {
        snprintf(msg, sizeof msg, "broken at entry %" PRIu64 ": %s", v->first_bad, v->why);
    }
    resp.message = msg;
    ins_call_reply(call, &resp.base);
}

static void verify_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__VerifyChainRequest *req = (const Inspect__V1__VerifyChainRequest *)msg;
    ins_ctx *ictx = ins_ctx_of(call);
    uint64_t last = ins_audit_last(ictx->store);
    uint64_t from = req->from_seq ? req->from_seq : 1, to = req->to_seq ? req->to_seq : last;
    if (last == 0 && !req->from_seq && !req->to_seq) {
        from = to = 0;
    } else if (from > last || to > last || from > to) {
        ins_call_fail(call, INS_EINVAL,
                      "range %" PRIu64 "..%" PRIu64 " is not within the chain, which holds "
                      "entries 1..%" PRIu64,
                      from, to, last);
        return;
    }
    verify *v = calloc(1, sizeof *v);
    if (!v) {
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    v->s = ictx->store;
    v->from = from;
    v->to = to;
    ins_call_set_data(call, v);
    if (to == 0) {
        verify_reply(call, v);
        return;
    }
    if (!ictx->jobs || ins_jobs_submit(ictx->jobs, call, verify_job, v) != 0) {
        verify_job(v); /* no pool (tools, shutdown): do it here */
        verify_reply(call, v);
    }
}

static void verify_on_wake(ins_call *call)
{
    verify *v = ins_call_data(call);
    if (v && !ins_call_done(call))
        verify_reply(call, v);
}

static void verify_cleanup(ins_call *call)
{
    verify *v = ins_call_data(call);
    if (v) {
        ins_aud_clear(&v->head);
        free(v);
    }
}

static const ins_method_ops verify_ops = {
    .start = verify_start,
    .on_wake = verify_on_wake,
    .cleanup = verify_cleanup,
};

/* ---- the service ------------------------------------------------------------ */

#define AUDITOR INS_ROLE_BIT(INS_ROLE_AUDITOR)

static const ins_method_def audit_methods[] = {
    {"ListEvents", INS_SERVER_STREAM, AUDITOR, &list_ops},
    {"VerifyChain", INS_UNARY, AUDITOR, &verify_ops},
    {"ExportDossier", INS_SERVER_STREAM, AUDITOR, &ins_aud_export_ops},
};

const ins_service_def ins_audit_service = {
    .descriptor = &inspect__v1__audit__descriptor,
    .methods = audit_methods,
    .n_methods = sizeof audit_methods / sizeof audit_methods[0],
};
