/*
 * health.c - grpc.health.v1.Health (see health.h).
 *
 * Status is computed, not stored: a known service is SERVING until the
 * server drains, NOT_SERVING from then on. The only event that changes it is
 * the drain, so the module keeps a list of open Watch calls and, when the
 * drain hook runs (on the main thread), wakes each one; the call's own worker
 * then sends the new status from on_wake. A Watch call sends at most one
 * message at a time; a change that arrives while a send is in flight is
 * picked up in on_sent, which compares the status now with the last one sent.
 *
 * State lives in one module-level struct (`health`), not in ins_server_ctx:
 * inspectd runs one server per process, and the drain hook needs the list
 * without a call at hand.
 *
 * Lock rule: `health.mu` guards the list, each watch's `listed` flag and
 * `health.draining`. Never call into the runtime while holding it except
 * ins_call_ref (a counter); wakes and unrefs happen after unlocking.
 */
#include "health.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "ins_error.h"

#define ST_SERVING         GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
#define ST_NOT_SERVING     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
#define ST_SERVICE_UNKNOWN GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN

/* One open Watch call; its ins_call_data, freed in cleanup. */
typedef struct watch {
    ins_call *call;
    struct watch *prev, *next; /* health.watchers; under health.mu */
    struct watch *wake_next;   /* drain hook's private chain */
    int listed;                /* in health.watchers, holding a call ref; under health.mu */
    int known;                 /* the service exists */
    int sending;               /* a send is in flight */
    int last;                  /* status last sent; -1 before the first */
    Grpc__Health__V1__HealthCheckResponse resp; /* message in flight; kept until on_sent */
} watch;

static struct {
    pthread_mutex_t mu;
    watch *watchers; /* open Watch calls, each holding one call ref */
    int draining;    /* the drain hook ran */
} health = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int is_draining(ins_call *call)
{
    pthread_mutex_lock(&health.mu);
    int d = health.draining;
    pthread_mutex_unlock(&health.mu);
    return d || ins_server_draining(ins_call_server(call));
}

/* "" is the whole server; otherwise one of the registered services. */
static int service_known(ins_call *call, const char *name)
{
    if (!name || !*name)
        return 1;
    const ins_server *s = ins_call_server(call);
    size_t n = ins_server_service_count(s);
    for (size_t i = 0; i < n; i++) {
        const char *svc = ins_server_service_name(s, i);
        if (svc && strcmp(svc, name) == 0)
            return 1;
    }
    return 0;
}

static const char *request_service(const ProtobufCMessage *req)
{
    const Grpc__Health__V1__HealthCheckRequest *r =
        (const Grpc__Health__V1__HealthCheckRequest *)req;
    return (r && r->service) ? r->service : "";
}

/* ---- Check ------------------------------------------------------------- */

static void check_start(ins_call *call, const ProtobufCMessage *req)
{
    const char *name = request_service(req);
    if (!service_known(call, name)) {
        ins_call_fail(call, INS_ENOTFOUND, "unknown service %s", name);
        return;
    }
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = is_draining(call) ? ST_NOT_SERVING : ST_SERVING;
    ins_call_reply(call, &resp.base);
}

static const ins_method_ops check_ops = {
    .start = check_start,
};

/* ---- Watch ------------------------------------------------------------- */

/* Takes the watch off the list and drops the list's reference. Idempotent. */
static void watch_unlist(watch *w)
{
    pthread_mutex_lock(&health.mu);
    int was = w->listed;
    if (was) {
        if (w->prev)
            w->prev->next = w->next;
        else
            health.watchers = w->next;
        if (w->next)
            w->next->prev = w->prev;
        w->prev = w->next = NULL;
        w->listed = 0;
    }
    pthread_mutex_unlock(&health.mu);
    if (was)
        ins_call_unref(w->call); /* the runtime holds its own during callbacks */
}

/*
 * Sends the status if it differs from the last one sent and no send is in
 * flight. Once the server drains and the final status went out, nothing can
 * change any more: the stream ends with UNAVAILABLE so that shutdown does not
 * wait for the watcher to leave.
 */
static void watch_pump(watch *w)
{
    if (w->sending)
        return;
    if (ins_call_done(w->call)) {
        watch_unlist(w);
        return;
    }
    int draining = is_draining(w->call);
    int status = !w->known ? ST_SERVICE_UNKNOWN : draining ? ST_NOT_SERVING : ST_SERVING;
    if (status != w->last) {
        w->resp.status = status;
        int rc = ins_call_send(w->call, &w->resp.base);
        if (rc == 0) {
            w->sending = 1;
            w->last = status;
        } else {
            watch_unlist(w); /* INS_ECANCELLED: the call is over */
        }
        return;
    }
    if (draining) {
        watch_unlist(w);
        ins_call_fail(w->call, INS_ESHUTDOWN, NULL);
    }
}

static void watch_start(ins_call *call, const ProtobufCMessage *req)
{
    watch *w = calloc(1, sizeof(*w));
    if (!w) {
        ins_call_fail(call, INS_EINTERNAL, "out of memory");
        return;
    }
    w->call = call;
    w->known = service_known(call, request_service(req));
    w->last = -1;
    grpc__health__v1__health_check_response__init(&w->resp);
    ins_call_set_data(call, w);

    /* Listed before the first status is computed: a drain that runs after
     * this point wakes us; one that ran before is seen by watch_pump. */
    ins_call_ref(call);
    pthread_mutex_lock(&health.mu);
    w->next = health.watchers;
    if (health.watchers)
        health.watchers->prev = w;
    health.watchers = w;
    w->listed = 1;
    pthread_mutex_unlock(&health.mu);

    watch_pump(w);
}

static void watch_on_sent(ins_call *call, int ok)
{
    watch *w = ins_call_data(call);
    if (!w)
        return;
    w->sending = 0;
    if (!ok) {
        watch_unlist(w); /* peer gone; on_cancel follows */
        return;
    }
    watch_pump(w); /* a change that came while the send was in flight */
}

static void watch_on_wake(ins_call *call)
{
    watch *w = ins_call_data(call);
    if (w)
        watch_pump(w);
}

static void watch_on_cancel(ins_call *call)
{
    watch *w = ins_call_data(call);
    if (w)
        watch_unlist(w);
}

static void watch_cleanup(ins_call *call)
{
    /* Runs after the last reference is gone, so the watch is not listed. */
    free(ins_call_data(call));
}

static const ins_method_ops watch_ops = {
    .start = watch_start,
    .on_sent = watch_on_sent,
    .on_wake = watch_on_wake,
    .on_cancel = watch_on_cancel,
    .cleanup = watch_cleanup,
};

/* ---- drain hook and registration --------------------------------------- */

/*
 * Runs on the thread that calls ins_server_shutdown. Takes an extra reference
 * on every watcher under the lock, then wakes them without it: a watcher can
 * unlist itself (and drop the list's reference) at any moment, the extra one
 * keeps its call and watch struct alive until woken.
 */
static void health_on_drain(void *arg)
{
    watch *chain = NULL;
    pthread_mutex_lock(&health.mu);
    health.draining = 1;
    for (watch *w = health.watchers; w; w = w->next) {
        ins_call_ref(w->call);
        w->wake_next = chain;
        chain = w;
    }
    pthread_mutex_unlock(&health.mu);
    while (chain) {
        watch *w = chain;
        ins_call *call = w->call;
        chain = w->wake_next; /* read before the unref may free w */
        ins_call_wake(call);
        ins_call_unref(call);
    }
}

int ins_health_init(ins_server *s)
{
    pthread_mutex_lock(&health.mu);
    if (health.watchers) {
        pthread_mutex_unlock(&health.mu);
        return INS_ESTATE;
    }
    health.draining = 0;
    pthread_mutex_unlock(&health.mu);
    ins_server_on_drain(s, health_on_drain, NULL);
    return 0;
}

static const ins_method_def health_methods[] = {
    {.name = "Check", .kind = INS_UNARY, .roles = 0, .ops = &check_ops},
    {.name = "Watch", .kind = INS_SERVER_STREAM, .roles = 0, .ops = &watch_ops},
};

const ins_service_def ins_health_service = {
    .descriptor = &grpc__health__v1__health__descriptor,
    .methods = health_methods,
    .n_methods = sizeof(health_methods) / sizeof(health_methods[0]),
};
