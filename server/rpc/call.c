/*
 * call.c - the life of one server call: armed, arrived, authorised, served,
 * over. The state machine is driven by ins_call_on_event on the call's
 * worker thread; the handler-facing operations live in call_ops.c.
 *
 * Reference counting: an armed request holds one reference; once the call
 * has arrived, every batch in flight holds one (RECV_CLOSE_ON_SERVER, posted
 * first, covers the whole life of the call), and ins_call_ref adds more. The
 * last unref logs the call, runs the handler's cleanup and frees everything.
 */
#include "runtime.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>

#include "ins_district.h"
#include "ins_token.h"
#include "auth_peer.h"
#include "inproc.h"
#include "ins_error.h"
#include "log.h"
#include "plimit.h"
#include "status.h"

int64_t ins_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void tag_init(ins_call *c, ins_tag *t, ins_tag_kind kind)
{
    t->kind = kind;
    t->call = c;
}

int ins_call_arm(ins_worker *w, const ins_method *m)
{
    ins_call *c = calloc(1, sizeof(*c));
    if (!c)
        return GRPC_CALL_ERROR;
    c->server = w->server;
    c->worker = w;
    c->method = m;
    atomic_init(&c->refs, 1);
    atomic_init(&c->wake_pending, 0);
    tag_init(c, &c->t_new, m ? INS_TAG_NEW : INS_TAG_UNKNOWN);
    tag_init(c, &c->t_close, INS_TAG_CLOSE);
    tag_init(c, &c->t_send, INS_TAG_SEND);
    tag_init(c, &c->t_recv, INS_TAG_RECV);
    tag_init(c, &c->t_status, INS_TAG_STATUS);
    tag_init(c, &c->t_wake, INS_TAG_WAKE);
    c->status = GRPC_STATUS_OK;
    c->status_details = grpc_empty_slice();
    c->retry_ms = grpc_empty_slice();
    grpc_metadata_array_init(&c->request_md);

    grpc_call_error rc;
    if (m) {
        grpc_byte_buffer **payload =
            (m->def.kind == INS_UNARY || m->def.kind == INS_SERVER_STREAM) ? &c->payload : NULL;
        rc = grpc_server_request_registered_call(ins_server_grpc(w->server), m->handle, &c->call,
                                                 &c->deadline, &c->request_md, payload, w->cq,
                                                 w->cq, &c->t_new);
    } else {
        grpc_call_details_init(&c->details);
        rc = grpc_server_request_call(ins_server_grpc(w->server), &c->call, &c->details,
                                      &c->request_md, w->cq, w->cq, &c->t_new);
    }
    if (rc != GRPC_CALL_OK) {
        grpc_metadata_array_destroy(&c->request_md);
        if (!m)
            grpc_call_details_destroy(&c->details);
        free(c);
    }
    return rc;
}

/* Statuses that say the server failed, not the caller: logged at error. */
static int server_fault(grpc_status_code code)
{
    return code == GRPC_STATUS_INTERNAL || code == GRPC_STATUS_UNKNOWN ||
           code == GRPC_STATUS_DATA_LOSS;
}

/*
 * The level of the call's line, or -1 for none: error for a server fault,
 * warn for a unary call slower than --log-slow (streams last as long as
 * their client wants), info for the rest while per-call lines are on.
 */
static int call_log_level(const ins_call *c, int64_t elapsed_ns)
{
    int64_t slow = ins_server_log_slow_ns(c->server);
    if (server_fault(c->status))
        return INS_LOG_ERROR;
    if (slow > 0 && elapsed_ns >= slow && c->method && c->method->def.kind == INS_UNARY)
        return INS_LOG_WARN;
    return ins_server_log_calls(c->server) ? INS_LOG_INFO : -1;
}

/* One line per call: method, peer, principal, request id, status (and on
 * failure the message the client got), duration, bytes. */
static void call_log(const ins_call *c, int64_t elapsed_ns)
{
    int level = call_log_level(c, elapsed_ns);
    if (level < 0 || !ins_log_on((ins_log_level)level))
        return;
    char unknown[256];
    const char *method = c->method ? c->method->path : unknown;
    if (!c->method)
        snprintf(unknown, sizeof unknown, "%.*s", (int)GRPC_SLICE_LENGTH(c->details.method),
                 (const char *)GRPC_SLICE_START_PTR(c->details.method));
    char peer[160];
    ins_call_peer(c, peer, sizeof peer);
    char message[1024] = "";
    if (c->status != GRPC_STATUS_OK)
        snprintf(message, sizeof message, "%.*s", (int)GRPC_SLICE_LENGTH(c->status_details),
                 (const char *)GRPC_SLICE_START_PTR(c->status_details));
    ins_log_kv kv[12];
    size_t n = 0;
    kv[n++] = (ins_log_kv){.key = "method", .str = method};
    kv[n++] =
        (ins_log_kv){.key = "principal", .str = c->principal.name[0] ? c->principal.name : "-"};
    kv[n++] = (ins_log_kv){.key = "role", .str = ins_role_name(c->principal.role)};
    kv[n++] = (ins_log_kv){.key = "peer", .str = peer};
    if (c->request_id)
        kv[n++] = (ins_log_kv){.key = "request_id", .str = c->request_id};
    kv[n++] = (ins_log_kv){.key = "status", .str = ins_status_name(c->status)};
    if (c->status != GRPC_STATUS_OK) {
        kv[n++] = (ins_log_kv){.key = "code", .num = (double)c->status};
        kv[n++] = (ins_log_kv){.key = "message", .str = message};
    }
    kv[n++] = (ins_log_kv){.key = "ms", .num = (double)elapsed_ns / 1e6};
    kv[n++] = (ins_log_kv){.key = "in", .num = (double)c->bytes_in};
    kv[n++] = (ins_log_kv){.key = "out", .num = (double)c->bytes_out};
    ins_log_kv_line((ins_log_level)level, level == INS_LOG_WARN ? "slow call" : "call", kv, n);
}

static void call_free(ins_call *c)
{
    if (c->started) {
        int64_t elapsed = ins_now_ns() - c->started_ns;
        ins__stats_handled(c, elapsed);
        call_log(c, elapsed);
        if (c->method && c->method->def.ops->cleanup)
            c->method->def.ops->cleanup(c);
        if (c->stream_slot)
            ins_plimits_stream_closed(ins_server_plimits(c->server), c->principal.name);
        ins_server_count_call(c->server, -1);
    }
    free(c->request_id);
    grpc_slice_unref(c->retry_ms);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->send_buf)
        grpc_byte_buffer_destroy(c->send_buf);
    if (c->recv_buf)
        grpc_byte_buffer_destroy(c->recv_buf);
    if (c->reply_pending)
        grpc_byte_buffer_destroy(c->reply_pending);
    grpc_slice_unref(c->status_details);
    if (c->md_out_set) {
        grpc_slice_unref(c->md_out.key);
        grpc_slice_unref(c->md_out.value);
    }
    grpc_metadata_array_destroy(&c->request_md);
    if (!c->method)
        grpc_call_details_destroy(&c->details);
    if (c->call)
        grpc_call_unref(c->call);
    free(c);
}

void ins_call_ref(ins_call *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void ins_call_unref(ins_call *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        call_free(c);
}

grpc_slice ins__call_md(const ins_call *c, const char *key)
{
    const grpc_metadata_array *md = &c->request_md;
    size_t klen = strlen(key);
    for (size_t i = 0; i < md->count; i++) {
        const grpc_slice *k = &md->metadata[i].key;
        if (GRPC_SLICE_LENGTH(*k) == klen && memcmp(GRPC_SLICE_START_PTR(*k), key, klen) == 0)
            return md->metadata[i].value;
    }
    return grpc_empty_slice();
}

/*
 * ins_auth_peer_principal() for this call: the certificate of its TLS
 * connection, or, for a call the web listener relays (inproc.h), the
 * certificate that listener verified, believed only with its MAC.
 */
static int peer_principal(ins_call *c, ins_principal *out, char *why, size_t whylen)
{
    int64_t now = (int64_t)time(NULL);
    grpc_slice cert = ins__call_md(c, INS_RELAY_CERT_MD);
    size_t n = GRPC_SLICE_LENGTH(cert);
    if (n == 0)
        return ins_auth_peer_principal(c->call, now, out, why, whylen);
    grpc_slice mac = ins__call_md(c, INS_RELAY_MAC_MD);
    if (!ins_server_relay_verify(c->server, GRPC_SLICE_START_PTR(cert), n,
                                 GRPC_SLICE_START_PTR(mac), GRPC_SLICE_LENGTH(mac))) {
        snprintf(why, whylen, "%s is set only by this server's web listener", INS_RELAY_CERT_MD);
        return INS_EAUTH;
    }
    char *pem = strndup((const char *)GRPC_SLICE_START_PTR(cert), n);
    if (!pem)
        return ENOMEM;
    int rc = ins_auth_pem_principal(pem, now, out, why, whylen);
    free(pem);
    return rc;
}

/*
 * Establishes the principal: a bearer token if one is presented, else a
 * verified client certificate, else anonymous. A client certificate the
 * connection presents meets the policy (ins_auth_cert_check) either way. Returns 0, or INS_EAUTH
 * with a message in `why` for credentials that were presented but do not hold.
 */
static int call_authenticate(ins_call *c, char *why, size_t whylen)
{
    grpc_slice v = ins__call_md(c, "authorization");
    size_t len = GRPC_SLICE_LENGTH(v);
    const char *p = (const char *)GRPC_SLICE_START_PTR(v);
    const char *reason = NULL;
    if (len > 0) {
        char token[INS_TOKEN_MAX];
        if (len < 7 || strncasecmp(p, "Bearer ", 7) != 0 || len - 7 >= sizeof token) {
            snprintf(why, whylen, "authorization metadata must be 'Bearer <token>'");
            return INS_EAUTH;
        }
        memcpy(token, p + 7, len - 7);
        token[len - 7] = '\0';
        /* the token names the principal, but a client certificate the
         * connection presents must still meet the policy */
        int rc = peer_principal(c, NULL, why, whylen);
        if (rc != 0 && rc != INS_ENOTFOUND)
            return rc;
        rc = ins_token_keys_verify(ins_server_token_keys(c->server), token, (int64_t)time(NULL),
                                   &c->principal, &reason);
        if (rc != 0) {
            snprintf(why, whylen, "%s", reason ? reason : "token does not verify");
            memset(&c->principal, 0, sizeof c->principal);
        }
        return rc;
    }
    int rc = peer_principal(c, &c->principal, why, whylen);
    if (rc == INS_ENOTFOUND) {
        memset(&c->principal, 0, sizeof c->principal);
        return 0;
    }
    if (rc != 0)
        memset(&c->principal, 0, sizeof c->principal);
    return rc;
}

/* Formats the roles of `mask` as "dispatcher|admin". */
static void roles_text(unsigned mask, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (int r = INS_ROLE_INSPECTOR; r <= INS_ROLE_ADMIN; r++) {
        if (!(mask & INS_ROLE_BIT(r)))
            continue;
        int w = snprintf(out + n, outlen - n, "%s%s", n ? "|" : "", ins_role_name((ins_role)r));
        if (w < 0 || (size_t)w >= outlen - n)
            break;
        n += (size_t)w;
    }
}

/* The per-principal limits: call rate and open streams. Returns 0, or -1
 * with the call failed RESOURCE_EXHAUSTED and a retry delay trailing. */
static int call_limit(ins_call *c)
{
    ins_plimits *l = ins_server_plimits(c->server);
    if (!l)
        return 0;
    int stream = c->method->def.kind != INS_UNARY;
    int64_t retry_ms = 0;
    const char *what = "";
    if (ins_plimits_take(l, c->principal.name, stream, ins_now_ns(), &retry_ms, &what) == 0) {
        c->stream_slot = stream && ins_plimits_max_streams(l) > 0;
        return 0;
    }
    ins_call_set_retry_ms(c, retry_ms);
    if (strcmp(what, "streams") == 0)
        ins_call_fail(c, INS_EBUSY,
                      INS_MSG_BUSY ": %s has %u streams open, the most one principal may "
                                   "(--principal-streams); close one, or retry in %lld ms",
                      c->principal.name, ins_plimits_max_streams(l), (long long)retry_ms);
    else
        ins_call_fail(c, INS_EBUSY,
                      INS_MSG_BUSY ": %s is over %g calls a second (burst %u, "
                                   "--principal-rate); retry in %lld ms",
                      c->principal.name, ins_plimits_rate(l), ins_plimits_burst(l),
                      (long long)retry_ms);
    return -1;
}

/*
 * The district a call asks for (`x-district`, set by clients behind the
 * router) must be the node's own: a misrouted call is refused before
 * anything reads its credentials, never served by the wrong district. A call
 * without the header is served as the node's own district. Returns 0, or
 * fails the call with FAILED_PRECONDITION and returns -1.
 */
static int call_route_check(ins_call *c)
{
    const char *own = ins_server_district(c->server);
    grpc_slice v = ins__call_md(c, "x-district");
    size_t len = GRPC_SLICE_LENGTH(v);
    const char *p = (const char *)GRPC_SLICE_START_PTR(v);
    if (len == 0 || (len == strlen(own) && memcmp(p, own, len) == 0))
        return 0;
    char asked[INS_DISTRICT_MAX];
    int printable = len < sizeof asked;
    if (printable) {
        memcpy(asked, p, len);
        asked[len] = '\0';
        printable = ins_district_code_ok(asked);
    }
    if (printable)
        ins_call_fail(c, INS_ESTATE,
                      "this node serves district %s, not %s (x-district): the call was routed "
                      "to the wrong node; send it to district %s's node",
                      own, asked, asked);
    else
        ins_call_fail(c, INS_ESTATE,
                      "this node serves district %s; x-district holds no district code "
                      "(1 to 32 lower-case letters, digits or '-')",
                      own);
    return -1;
}

/* Checks credentials, role, the district the principal holds, the live
 * state of the principal (the server's admission check: active, not
 * revoked) and the deadline. Returns 0 when the handler may run;
 * otherwise the call has been failed with the precise status. */
static int call_admit(ins_call *c)
{
    const ins_method *m = c->method;
    char why[256];
    if (ins_server_draining(c->server)) {
        ins_call_fail(c, INS_ESHUTDOWN, "server is shutting down; retry on another node or later");
        return -1;
    }
    if (call_route_check(c) != 0)
        return -1;
    /* Open methods (health, reflection) ignore credentials that fail. */
    if (call_authenticate(c, why, sizeof why) != 0 && m->def.roles != 0) {
        ins_call_fail(c, INS_EAUTH, "%s", why);
        return -1;
    }
    if (m->def.roles != 0) {
        if (c->principal.role == INS_ROLE_NONE) {
            ins_call_fail(c, INS_EAUTH,
                          "%s needs credentials: send 'authorization: Bearer <token>' "
                          "(inspectctl token issue) or a client certificate",
                          m->path);
            return -1;
        }
        if (!ins_role_allowed(m->def.roles, c->principal.role)) {
            char roles[128];
            roles_text(m->def.roles, roles, sizeof roles);
            ins_call_fail(c, INS_EPERM, "%s is for role %s; %s has role %s", m->path, roles,
                          c->principal.name, ins_role_name(c->principal.role));
            return -1;
        }
        const char *own = ins_server_district(c->server);
        if (!ins_district_holds(c->principal.districts, own)) {
            ins_call_fail(c, INS_EPERM,
                          "%s holds district %s, not %s, which this node serves; ask for "
                          "credentials of district %s",
                          c->principal.name, ins_district_list_text(c->principal.districts), own,
                          own);
            return -1;
        }
        /* The one check against the live directory and the revocations. */
        int rc = ins_server_admit(c->server, &c->principal, why, sizeof why);
        if (rc != 0) {
            ins_call_fail(c, rc, "%s", why);
            return -1;
        }
        if (call_limit(c) != 0)
            return -1;
    }
    if (ins_call_deadline_left_ms(c) <= 0) {
        ins_call_fail(c, INS_ETIMEDOUT, "deadline passed before %s started", m->path);
        return -1;
    }
    return 0;
}

/*
 * Posts RECV_CLOSE_ON_SERVER, alone, to learn of cancellation, for a call
 * still open once its handler has started. A call answered at once (most
 * unary reads) never needs it: send_status puts the op in the status batch,
 * one batch and one completion fewer per call.
 */
static void call_watch_close(ins_call *c)
{
    if (c->done || c->close_posted)
        return;
    grpc_op op = {0};
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->close_cancelled;
    c->close_posted = 1;
    ins_call_ref(c);
    if (grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL) != GRPC_CALL_OK)
        ins_call_unref(c);
}

/* Decodes the initial request of a unary or server-streaming call. */
static ProtobufCMessage *call_decode_request(ins_call *c)
{
    if (!c->payload) {
        ins_call_fail(c, INS_EINVAL, "%s needs a request message; none was sent", c->method->path);
        return NULL;
    }
    ProtobufCMessage *req = ins__call_decode(c, c->payload, "request");
    const ProtobufCFieldDescriptor *f = c->method->request_id;
    if (req && f) {
        const char *id = *(const char *const *)((const char *)req + f->offset);
        if (id && *id)
            c->request_id = strdup(id); /* NULL when out of memory: the log omits it */
    }
    return req;
}

static void call_dispatch(ins_call *c)
{
    if (!c->method) {
        ins_call_fail(c, INS_EUNIMPL, "unknown method %.*s: this server does not offer it",
                      (int)GRPC_SLICE_LENGTH(c->details.method),
                      (const char *)GRPC_SLICE_START_PTR(c->details.method));
        return;
    }
    if (call_admit(c) != 0)
        return;
    const ins_method_ops *ops = c->method->def.ops;
    if (c->method->def.kind == INS_UNARY || c->method->def.kind == INS_SERVER_STREAM) {
        ProtobufCMessage *req = call_decode_request(c);
        if (!req)
            return;
        ops->start(c, req);
        protobuf_c_message_free_unpacked(req, NULL);
    } else {
        ops->start(c, NULL);
    }
}

static void call_arrived(ins_call *c)
{
    c->started = 1;
    c->started_ns = ins_now_ns();
    ins_server_count_call(c->server, +1);
    ins__stats_started(c);
    call_dispatch(c);
    call_watch_close(c);
}

/* Called by call_ops.c when a batch completes; defined there. */
void ins_call_sent(ins_call *c, int ok);
void ins_call_received(ins_call *c, int ok);
void ins_call_status_done(ins_call *c);

static void call_closed(ins_call *c)
{
    if (c->close_cancelled && !c->done) {
        c->done = 1;
        c->status = GRPC_STATUS_CANCELLED;
        if (c->method && c->method->def.ops->on_cancel)
            c->method->def.ops->on_cancel(c);
    }
}

void ins_call_on_event(ins_tag *tag, int ok)
{
    ins_call *c = tag->call;
    switch (tag->kind) {
    case INS_TAG_NEW:
    case INS_TAG_UNKNOWN:
        if (!ok) { /* server shutting down: the request was never matched */
            ins_call_unref(c);
            return;
        }
        if (!ins_server_draining(c->server))
            ins_call_arm(c->worker, c->method); /* re-arm before serving */
        call_arrived(c);
        ins_call_unref(c); /* the armed request's reference */
        return;
    case INS_TAG_CLOSE:
        call_closed(c);
        break;
    case INS_TAG_SEND:
        ins_call_sent(c, ok);
        break;
    case INS_TAG_RECV:
        ins_call_received(c, ok);
        break;
    case INS_TAG_STATUS:
        ins_call_status_done(c);
        break;
    case INS_TAG_WAKE:
        atomic_store(&c->wake_pending, 0);
        if (c->method && c->method->def.ops->on_wake)
            c->method->def.ops->on_wake(c);
        break;
    }
    ins_call_unref(c); /* the batch's reference */
}
