/*
 * dispatch_alerts.c - Dispatch: WatchAlerts (the open alerts, then new ones as they
 * are committed, followed through the change feed) and AckAlert.
 *
 * A department principal sees only the alerts of its own department; the
 * bureau sees them all, filtered by department and town on request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_impl.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "records.h"

typedef struct watch {
    ins_follow f;
    char dept[64];
    char town[256];
    char **snap; /* ids sent from the snapshot, to skip on the feed */
    size_t n_snap, cap_snap;
} watch;

/* Whether the watch wants `a`: its town, and its department — the alert's
 * own, or for an alert about a whole task (a deadline, an escalation) any
 * department the task needs. */
static int wanted(const watch *w, ins_rtxn *r, const Inspect__V1__Alert *a)
{
    if (w->town[0] && strcmp(a->town, w->town) != 0)
        return 0;
    if (!w->dept[0] || strcmp(a->department, w->dept) == 0)
        return 1;
    if (a->department[0] || !a->task_id[0])
        return 0;
    Inspect__V1__Task *task = NULL;
    if (ins_task_get(r, a->task_id, &task) != 0)
        return 0;
    int needs = 0;
    for (size_t i = 0; i < task->n_required_departments && !needs; i++)
        needs = strcmp(task->required_departments[i], w->dept) == 0;
    protobuf_c_message_free_unpacked(&task->base, NULL);
    return needs;
}

typedef struct snap_ctx {
    watch *w;
    ins_rtxn *r;
    int err;
} snap_ctx;

static int snap_one(void *arg, const char *id)
{
    snap_ctx *sc = arg;
    watch *w = sc->w;
    Inspect__V1__Alert *a = NULL;
    int rc = ins_alert_get(sc->r, id, &a);
    if (rc)
        return sc->err = rc;
    if (!wanted(w, sc->r, a)) {
        protobuf_c_message_free_unpacked(&a->base, NULL);
        return 0;
    }
    if (w->n_snap == w->cap_snap) {
        size_t cap = w->cap_snap ? w->cap_snap * 2 : 64;
        char **p = realloc(w->snap, cap * sizeof *p);
        if (!p) {
            protobuf_c_message_free_unpacked(&a->base, NULL);
            return sc->err = ENOMEM;
        }
        w->snap = p;
        w->cap_snap = cap;
    }
    w->snap[w->n_snap] = strdup(id);
    if (!w->snap[w->n_snap]) {
        protobuf_c_message_free_unpacked(&a->base, NULL);
        return sc->err = ENOMEM;
    }
    w->n_snap++;
    return (sc->err = ins_follow_push(&w->f, &a->base));
}

static int in_snapshot(const watch *w, const char *id)
{
    for (size_t i = 0; i < w->n_snap; i++)
        if (strcmp(w->snap[i], id) == 0)
            return 1;
    return 0;
}

static int pick_alert(ins_follow *f, ins_rtxn *r, const ins_feed_entry *e, char *why, size_t whylen)
{
    watch *w = f->arg;
    (void)why;
    (void)whylen;
    if (strcmp(e->entity_kind, "alert") != 0 || e->entity_key_len <= 6 || e->entity_key_len >= 70)
        return 0;
    char id[64];
    memcpy(id, (const char *)e->entity_key + 6, e->entity_key_len - 6); /* "alert/" */
    id[e->entity_key_len - 6] = '\0';
    if (strcmp(e->change, "raised") == 0 && in_snapshot(w, id))
        return 0;
    Inspect__V1__Alert *a = NULL;
    int rc = ins_alert_get(r, id, &a);
    if (rc)
        return rc == INS_ENOTFOUND ? 0 : rc;
    if (!wanted(w, r, a)) {
        protobuf_c_message_free_unpacked(&a->base, NULL);
        return 0;
    }
    return ins_follow_push(f, &a->base);
}

static void watch_free(watch *w)
{
    if (!w)
        return;
    ins_follow_stop(&w->f);
    for (size_t i = 0; i < w->n_snap; i++)
        free(w->snap[i]);
    free(w->snap);
    free(w);
}

static void watch_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__WatchAlertsRequest *req = (const Inspect__V1__WatchAlertsRequest *)msg;
    const ins_principal *p = ins_call_principal(call);
    if (p->role == INS_ROLE_DEPARTMENT && req->department[0] &&
        strcmp(req->department, p->department) != 0) {
        ins_call_fail(call, INS_EPERM, "department %s may watch only its own alerts, not %s",
                      p->department, req->department);
        return;
    }
    ins_ctx *ctx = ins_ctx_of(call);
    watch *w = calloc(1, sizeof *w);
    if (!w) {
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    snprintf(w->dept, sizeof w->dept, "%s",
             p->role == INS_ROLE_DEPARTMENT ? p->department : req->department);
    snprintf(w->town, sizeof w->town, "%s", req->town);
    ins_follow_init(&w->f, call, &ctx->followers, ins_feed_last(ctx->store), 1, pick_alert, w);
    ins_call_set_data(call, w);
    snap_ctx sc = {.w = w};
    int rc = ins_store_read_begin(ctx->store, &sc.r);
    if (rc == 0)
        rc = ins_alert_scan(sc.r, req->include_acknowledged, snap_one, &sc);
    ins_rtxn_end(sc.r);
    if (rc || sc.err) {
        ins_call_fail(call, rc ? rc : sc.err, "reading alerts: %s", ins_strerror(rc ? rc : sc.err));
        ins_follow_stop(&w->f);
        return;
    }
    ins_follow_pump(&w->f);
}

static void watch_on_sent(ins_call *call, int ok)
{
    ins_follow_on_sent(&((watch *)ins_call_data(call))->f, ok);
}

static void watch_on_wake(ins_call *call)
{
    ins_follow_pump(&((watch *)ins_call_data(call))->f);
}

static void watch_on_cancel(ins_call *call)
{
    ins_follow_stop(&((watch *)ins_call_data(call))->f);
}

static void watch_cleanup(ins_call *call)
{
    watch_free(ins_call_data(call));
}

const ins_method_ops ins_dsp_watch_alerts_ops = {
    .start = watch_start,
    .on_sent = watch_on_sent,
    .on_wake = watch_on_wake,
    .on_cancel = watch_on_cancel,
    .cleanup = watch_cleanup,
};

/* ---- AckAlert ------------------------------------------------------------ */

static int ack_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__AckAlertRequest *req =
        (const Inspect__V1__AckAlertRequest *)ins_mut_request(mu);
    Inspect__V1__Alert *old = NULL;
    int rc = ins_alert_wget(t, req->alert_id, &old);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no alert %s", req->alert_id);
    if (rc)
        return rc;
    if (old->acknowledged) {
        rc = ins_mut_fail(mu, INS_ESTATE, "alert %s was already acknowledged by %s", req->alert_id,
                          old->acknowledged_by);
        protobuf_c_message_free_unpacked(&old->base, NULL);
        return rc;
    }
    Inspect__V1__Alert a = *old;
    a.acknowledged = 1;
    a.acknowledged_by = (char *)ins_mut_actor(mu);
    a.acknowledged_unix = ins_wtxn_unix(t);
    rc = ins_alert_ack(t, &a, ins_mut_actor(mu));
    if (rc == 0) {
        Inspect__V1__AckAlertResponse resp = INSPECT__V1__ACK_ALERT_RESPONSE__INIT;
        resp.alert = &a;
        rc = ins_mut_reply(t, mu, &resp.base);
    }
    protobuf_c_message_free_unpacked(&old->base, NULL);
    return rc;
}

static void ack_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__AckAlertRequest *req = (const Inspect__V1__AckAlertRequest *)msg;
    if (!req->request_id[0] || !req->alert_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id and alert_id are required");
        return;
    }
    ins_mut_submit(call, msg, req->request_id, ack_apply);
}

const ins_method_ops ins_dsp_ack_alert_ops = INS_MUT_OPS(ack_start);
