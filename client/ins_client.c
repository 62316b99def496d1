/*
 * ins_client.c - libinspect-client on the gRPC core C API.
 *
 * Every call owns a completion queue of the pluck kind and is driven only by
 * the thread that holds its handle, so no lock is needed anywhere: the
 * channel and its credentials are thread-safe in gRPC core, and each call's
 * tags are the addresses of fields of its own ins_stream. Sends are
 * synchronous (start the batch, pluck its tag, free the buffer), so at most
 * one batch of each kind is ever in flight. Two batches may be left pending
 * and are collected by ins_stream_finish(): the initial SEND_INITIAL_METADATA
 * (it completes only once the connection exists) and a receive that timed
 * out in ins_stream_recv(). RECV_STATUS_ON_CLIENT is started with the call,
 * so the status is always collected, whatever happened in between.
 */
#include "ins_client.h"
#include "ins_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

struct ins_client {
    grpc_channel *channel;
    int has_token;
    grpc_slice auth_key;   /* "authorization" */
    grpc_slice auth_value; /* "Bearer <token>" */
    int has_district;
    grpc_slice district_key;   /* "x-district" */
    grpc_slice district_value; /* the district code */
    int64_t timeout_ms;
};

struct ins_stream {
    ins_client *client;
    grpc_completion_queue *cq;
    grpc_call *call;
    const ProtobufCMessageDescriptor *resp_desc;

    /* Tags: only their addresses matter. */
    char tag_start, tag_send, tag_recv, tag_status, tag_md;

    grpc_metadata md[2]; /* token, district: own refs to the client's slices */
    size_t n_md;

    int start_pending;  /* SEND_INITIAL_METADATA not plucked yet */
    int recv_pending;   /* RECV_MESSAGE started, not plucked yet */
    int recv_over;      /* end of stream seen, or the call failed */
    int send_over;      /* a send failed: the call is over for sending */
    int send_closed;    /* SEND_CLOSE_FROM_CLIENT done */
    int got_initial_md; /* RECV_INITIAL_METADATA started (alone or with a receive) */
    int md_pending;     /* started alone (ins_stream_metadata), not plucked yet */
    int md_arrived;     /* initial_md holds the server's initial metadata */

    grpc_byte_buffer *recv_buf;
    grpc_metadata_array initial_md;
    grpc_metadata_array trailing_md;
    grpc_status_code status;
    grpc_slice status_details;
    const char *error_string;
};

/* ---- small helpers ---------------------------------------------------- */

static char *xstrdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static void set_details(char **details, const char *fmt, ...)
{
    if (details == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    *details = s;
}

static gpr_timespec deadline_after(int64_t ms)
{
    if (ms <= 0)
        return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static int64_t effective_timeout(const ins_client *c, int64_t timeout_ms)
{
    return timeout_ms == INS_TIMEOUT_DEFAULT ? c->timeout_ms : timeout_ms;
}

/* Encodes `msg` into a new byte buffer (caller destroys), or NULL. */
static grpc_byte_buffer *encode(const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    grpc_slice slice = grpc_slice_malloc(len);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(slice));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

/* Decodes a received buffer (not destroyed here), or NULL if it does not parse. */
static ProtobufCMessage *decode(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    ProtobufCMessage *m =
        protobuf_c_message_unpack(desc, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return m;
}

static char *slice_to_string(grpc_slice s)
{
    size_t n = GRPC_SLICE_LENGTH(s);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, GRPC_SLICE_START_PTR(s), n);
    out[n] = '\0';
    return out;
}

/* ---- status names ---------------------------------------------------- */

static const struct {
    int code;
    const char *name;
} status_names[] = {
    {GRPC_STATUS_OK, "OK"},
    {GRPC_STATUS_CANCELLED, "CANCELLED"},
    {GRPC_STATUS_UNKNOWN, "UNKNOWN"},
    {GRPC_STATUS_INVALID_ARGUMENT, "INVALID_ARGUMENT"},
    {GRPC_STATUS_DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"},
    {GRPC_STATUS_NOT_FOUND, "NOT_FOUND"},
    {GRPC_STATUS_ALREADY_EXISTS, "ALREADY_EXISTS"},
    {GRPC_STATUS_PERMISSION_DENIED, "PERMISSION_DENIED"},
    {GRPC_STATUS_RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
    {GRPC_STATUS_FAILED_PRECONDITION, "FAILED_PRECONDITION"},
    {GRPC_STATUS_ABORTED, "ABORTED"},
    {GRPC_STATUS_OUT_OF_RANGE, "OUT_OF_RANGE"},
    {GRPC_STATUS_UNIMPLEMENTED, "UNIMPLEMENTED"},
    {GRPC_STATUS_INTERNAL, "INTERNAL"},
    {GRPC_STATUS_UNAVAILABLE, "UNAVAILABLE"},
    {GRPC_STATUS_DATA_LOSS, "DATA_LOSS"},
    {GRPC_STATUS_UNAUTHENTICATED, "UNAUTHENTICATED"},
};

int ins_client_link_lost(int code)
{
    return code == GRPC_STATUS_UNAVAILABLE || code == GRPC_STATUS_INTERNAL;
}

const char *ins_client_status_name(int code)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].code == code)
            return status_names[i].name;
    return "UNKNOWN_STATUS";
}

int ins_client_status_parse(const char *name)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (strcmp(status_names[i].name, name) == 0)
            return status_names[i].code;
    return -1;
}

/* ---- client ---------------------------------------------------------- */

/* The request metadata of a call (token, district) into `md`; returns the
 * count. With `ref` the entries hold references of their own (a stream's,
 * released by md_release), else they borrow the client's slices. */
static size_t call_metadata(const ins_client *c, grpc_metadata md[2], int ref)
{
    size_t n = 0;
    memset(md, 0, 2 * sizeof *md);
    if (c->has_token)
        md[n++] = (grpc_metadata){.key = c->auth_key, .value = c->auth_value};
    if (c->has_district)
        md[n++] = (grpc_metadata){.key = c->district_key, .value = c->district_value};
    for (size_t i = 0; ref && i < n; i++) {
        grpc_slice_ref(md[i].key);
        grpc_slice_ref(md[i].value);
    }
    return n;
}

static void md_release(grpc_metadata *md, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        grpc_slice_unref(md[i].key);
        grpc_slice_unref(md[i].value);
    }
}

int ins_client_set_district(ins_client *c, const char *district)
{
    if (c->has_district)
        grpc_slice_unref(c->district_value);
    c->has_district = district != NULL && district[0] != '\0';
    if (c->has_district)
        c->district_value = grpc_slice_from_copied_string(district);
    return GRPC_STATUS_OK;
}

int ins_client_set_token(ins_client *c, const char *token)
{
    grpc_slice value = grpc_empty_slice();
    if (token != NULL && token[0] != '\0') {
        char *text = xstrdup_printf("Bearer %s", token);
        if (text == NULL)
            return GRPC_STATUS_RESOURCE_EXHAUSTED;
        value = grpc_slice_from_copied_string(text);
        free(text);
    }
    if (c->has_token)
        grpc_slice_unref(c->auth_value);
    c->auth_value = value;
    c->has_token = token != NULL && token[0] != '\0';
    return GRPC_STATUS_OK;
}

/* The channel arguments of opts->keepalive_ms and opts->reconnect_ms (see
 * ins_client_opts): fills `args` (room for LINK_ARGS), returns how many. */
#define LINK_ARGS 6
static size_t link_args(const ins_client_opts *opts, grpc_arg *args)
{
    size_t n = 0;
    struct {
        const char *key;
        int64_t value;
    } set[LINK_ARGS];
    if (opts->keepalive_ms > 0) {
        int64_t timeout = opts->keepalive_ms < 5000 ? opts->keepalive_ms : 5000;
        set[n].key = GRPC_ARG_KEEPALIVE_TIME_MS, set[n++].value = opts->keepalive_ms;
        set[n].key = GRPC_ARG_KEEPALIVE_TIMEOUT_MS, set[n++].value = timeout;
        set[n].key = GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, set[n++].value = 1;
        set[n].key = GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, set[n++].value = 0;
    }
    if (opts->reconnect_ms > 0) {
        set[n].key = GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, set[n++].value = opts->reconnect_ms;
        set[n].key = GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, set[n++].value = 8 * opts->reconnect_ms;
    }
    for (size_t i = 0; i < n; i++) {
        args[i].type = GRPC_ARG_INTEGER;
        args[i].key = (char *)set[i].key;
        args[i].value.integer = set[i].value > INT32_MAX ? INT32_MAX : (int)set[i].value;
    }
    return n;
}

int ins_client_open(const ins_client_opts *opts, ins_client **out, char **details)
{
    int rc = GRPC_STATUS_OK;
    char *roots = NULL, *cert = NULL, *key = NULL;
    grpc_channel_credentials *creds = NULL;
    ins_client *c = NULL;

    *out = NULL;
    if (details != NULL)
        *details = NULL;
    if (opts == NULL || opts->target == NULL || opts->target[0] == '\0') {
        set_details(details, "no server address given");
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    if ((opts->cert_file == NULL) != (opts->key_file == NULL)) {
        set_details(details, "a client certificate needs both --cert and --key");
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    if (opts->cert_file != NULL && opts->ca_file == NULL) {
        set_details(details, "a client certificate needs TLS: give the CA file too (--ca)");
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
    if (opts->ca_file != NULL) {
        const char *bad = NULL;
        if ((roots = ins_file_read(opts->ca_file)) == NULL)
            bad = opts->ca_file;
        else if (opts->cert_file != NULL && (cert = ins_file_read(opts->cert_file)) == NULL)
            bad = opts->cert_file;
        else if (opts->key_file != NULL && (key = ins_file_read(opts->key_file)) == NULL)
            bad = opts->key_file;
        if (bad != NULL) {
            set_details(details, "cannot read %s: %s", bad, strerror(errno));
            rc = GRPC_STATUS_INVALID_ARGUMENT;
            goto done;
        }
    }

    c = calloc(1, sizeof *c);
    if (c == NULL) {
        set_details(details, "out of memory");
        rc = GRPC_STATUS_RESOURCE_EXHAUSTED;
        goto done;
    }
    grpc_init();
    c->timeout_ms = opts->timeout_ms;
    c->auth_key = grpc_slice_from_static_string("authorization");
    c->district_key = grpc_slice_from_static_string("x-district");
    ins_client_set_district(c, opts->district);
    if (ins_client_set_token(c, opts->token) != GRPC_STATUS_OK) {
        grpc_shutdown();
        free(c);
        c = NULL;
        set_details(details, "out of memory");
        rc = GRPC_STATUS_RESOURCE_EXHAUSTED;
        goto done;
    }

    if (roots != NULL) {
        grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
        creds = grpc_ssl_credentials_create(roots, cert != NULL ? &pair : NULL, NULL, NULL);
    } else {
        creds = grpc_insecure_credentials_create();
    }
    if (creds == NULL) {
        set_details(details, "gRPC refused the channel credentials (bad PEM?)");
        rc = GRPC_STATUS_INTERNAL;
        goto fail;
    }

    grpc_arg args[3 + LINK_ARGS];
    size_t nargs = 0;
    if (opts->target_name_override != NULL) {
        args[nargs].type = GRPC_ARG_STRING;
        args[nargs].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
        args[nargs].value.string = (char *)opts->target_name_override;
        nargs++;
    }
    if (opts->max_receive_bytes != 0) {
        args[nargs].type = GRPC_ARG_INTEGER;
        args[nargs].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
        args[nargs].value.integer = opts->max_receive_bytes;
        nargs++;
    }
    if (opts->private_connection) {
        args[nargs].type = GRPC_ARG_INTEGER;
        args[nargs].key = (char *)GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL;
        args[nargs].value.integer = 1;
        nargs++;
    }
    nargs += link_args(opts, args + nargs);
    grpc_channel_args chargs = {.num_args = nargs, .args = args};
    c->channel = grpc_channel_create(opts->target, creds, &chargs);
    grpc_channel_credentials_release(creds);
    if (c->channel == NULL) {
        set_details(details, "gRPC refused to create a channel to %s", opts->target);
        rc = GRPC_STATUS_INTERNAL;
        goto fail;
    }
    *out = c;
    goto done;

fail:
    if (c->has_token)
        grpc_slice_unref(c->auth_value);
    ins_client_set_district(c, NULL);
    free(c);
    grpc_shutdown();
done:
    free(roots);
    free(cert);
    free(key);
    return rc;
}

void ins_client_close(ins_client *c)
{
    if (c == NULL)
        return;
    grpc_channel_destroy(c->channel);
    if (c->has_token)
        grpc_slice_unref(c->auth_value);
    ins_client_set_district(c, NULL);
    free(c);
    grpc_shutdown();
}

/* ---- unary ----------------------------------------------------------- */

int ins_client_unary(ins_client *c, const char *method, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, int64_t timeout_ms,
                     ProtobufCMessage **resp, char **details)
{
    if (resp != NULL)
        *resp = NULL;
    if (details != NULL)
        *details = NULL;

    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice mslice = grpc_slice_from_copied_string(method);
    grpc_call *call =
        grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, mslice, NULL,
                                 deadline_after(effective_timeout(c, timeout_ms)), NULL);
    grpc_slice_unref(mslice);

    grpc_metadata md[2];
    size_t n_md = call_metadata(c, md, 0);
    grpc_metadata_array initial_md, trailing_md;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    grpc_byte_buffer *send_buf = encode(req);
    grpc_byte_buffer *recv_buf = NULL;
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice status_details = grpc_empty_slice();
    const char *error_string = NULL;
    char tag;

    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = n_md;
    ops[0].data.send_initial_metadata.metadata = n_md ? md : NULL;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send_buf;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv_buf;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[5].data.recv_status_on_client.status = &status;
    ops[5].data.recv_status_on_client.status_details = &status_details;
    ops[5].data.recv_status_on_client.error_string = &error_string;

    int rc;
    grpc_call_error err = grpc_call_start_batch(call, ops, 6, &tag, NULL);
    if (err != GRPC_CALL_OK) {
        set_details(details, "gRPC refused to start the call (call error %d)", (int)err);
        rc = GRPC_STATUS_INTERNAL;
    } else {
        grpc_event ev =
            grpc_completion_queue_pluck(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        (void)ev; /* RECV_STATUS_ON_CLIENT always fills the status */
        rc = status;
        if (details != NULL)
            *details = slice_to_string(status_details);
        if (rc == GRPC_STATUS_OK) {
            ProtobufCMessage *m = recv_buf != NULL ? decode(recv_buf, resp_desc) : NULL;
            if (m == NULL) {
                rc = GRPC_STATUS_INTERNAL;
                if (details != NULL) {
                    free(*details);
                    set_details(details,
                                recv_buf == NULL ? "server sent OK without a reply"
                                                 : "reply does not decode as %s",
                                resp_desc->name);
                }
            } else if (resp != NULL) {
                *resp = m;
            } else {
                protobuf_c_message_free_unpacked(m, NULL);
            }
        }
    }

    if (recv_buf != NULL)
        grpc_byte_buffer_destroy(recv_buf);
    grpc_byte_buffer_destroy(send_buf);
    grpc_slice_unref(status_details);
    gpr_free((void *)error_string);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_completion_queue_destroy(cq);
    return rc;
}

/* ---- streams --------------------------------------------------------- */

static int pluck(ins_stream *s, void *tag, gpr_timespec deadline)
{
    grpc_event ev = grpc_completion_queue_pluck(s->cq, tag, deadline, NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT)
        return -1;
    return ev.success ? 1 : 0;
}

int ins_stream_start(ins_client *c, const char *method, const ProtobufCMessageDescriptor *resp_desc,
                     int64_t timeout_ms, ins_stream **out)
{
    *out = NULL;
    ins_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    s->client = c;
    s->resp_desc = resp_desc;
    s->cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_metadata_array_init(&s->initial_md);
    grpc_metadata_array_init(&s->trailing_md);
    s->status = GRPC_STATUS_UNKNOWN;
    s->status_details = grpc_empty_slice();
    s->n_md = call_metadata(c, s->md, 1);

    grpc_slice mslice = grpc_slice_from_copied_string(method);
    s->call =
        grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, s->cq, mslice, NULL,
                                 deadline_after(effective_timeout(c, timeout_ms)), NULL);
    grpc_slice_unref(mslice);

    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = &s->trailing_md;
    op.data.recv_status_on_client.status = &s->status;
    op.data.recv_status_on_client.status_details = &s->status_details;
    op.data.recv_status_on_client.error_string = &s->error_string;
    if (grpc_call_start_batch(s->call, &op, 1, &s->tag_status, NULL) != GRPC_CALL_OK)
        goto fail;

    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    op.data.send_initial_metadata.count = s->n_md;
    op.data.send_initial_metadata.metadata = s->n_md ? s->md : NULL;
    if (grpc_call_start_batch(s->call, &op, 1, &s->tag_start, NULL) != GRPC_CALL_OK) {
        /* The status batch is in flight: cancel so finish() can collect it. */
        grpc_call_cancel(s->call, NULL);
        s->send_over = s->recv_over = 1;
    } else {
        s->start_pending = 1;
    }
    *out = s;
    return GRPC_STATUS_OK;

fail:
    grpc_call_unref(s->call);
    grpc_completion_queue_shutdown(s->cq);
    grpc_completion_queue_pluck(s->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_completion_queue_destroy(s->cq);
    grpc_metadata_array_destroy(&s->initial_md);
    grpc_metadata_array_destroy(&s->trailing_md);
    md_release(s->md, s->n_md);
    free(s);
    return GRPC_STATUS_INTERNAL;
}

int ins_client_server_stream(ins_client *c, const char *method, const ProtobufCMessage *req,
                             const ProtobufCMessageDescriptor *resp_desc, int64_t timeout_ms,
                             ins_stream **out, char **details)
{
    if (details != NULL)
        *details = NULL;
    ins_stream *s;
    int rc = ins_stream_start(c, method, resp_desc, timeout_ms, &s);
    if (rc != GRPC_STATUS_OK) {
        set_details(details, "gRPC refused to start the call");
        *out = NULL;
        return rc;
    }
    if (ins_stream_send(s, req) != 0 || ins_stream_close_send(s) != 0) {
        ins_stream_cancel(s);
        rc = ins_stream_finish(s, details);
        *out = NULL;
        return rc == GRPC_STATUS_OK ? GRPC_STATUS_INTERNAL : rc;
    }
    *out = s;
    return GRPC_STATUS_OK;
}

int ins_stream_send(ins_stream *s, const ProtobufCMessage *msg)
{
    if (s->send_over || s->send_closed)
        return -1;
    grpc_byte_buffer *bb = encode(msg);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = bb;
    int ok = 0;
    if (grpc_call_start_batch(s->call, &op, 1, &s->tag_send, NULL) == GRPC_CALL_OK)
        ok = pluck(s, &s->tag_send, gpr_inf_future(GPR_CLOCK_REALTIME)) == 1;
    grpc_byte_buffer_destroy(bb);
    if (!ok) {
        s->send_over = 1;
        return -1;
    }
    return 0;
}

int ins_stream_close_send(ins_stream *s)
{
    if (s->send_closed)
        return 0;
    if (s->send_over)
        return -1;
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    int ok = 0;
    if (grpc_call_start_batch(s->call, &op, 1, &s->tag_send, NULL) == GRPC_CALL_OK)
        ok = pluck(s, &s->tag_send, gpr_inf_future(GPR_CLOCK_REALTIME)) == 1;
    if (!ok) {
        s->send_over = 1;
        return -1;
    }
    s->send_closed = 1;
    return 0;
}

int ins_stream_recv(ins_stream *s, int64_t timeout_ms, ProtobufCMessage **msg)
{
    *msg = NULL;
    if (s->recv_over)
        return 0;
    if (!s->recv_pending) {
        grpc_op ops[2];
        size_t n = 0;
        memset(ops, 0, sizeof ops);
        if (!s->got_initial_md) {
            ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
            ops[n].data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
            n++;
        }
        ops[n].op = GRPC_OP_RECV_MESSAGE;
        ops[n].data.recv_message.recv_message = &s->recv_buf;
        n++;
        if (grpc_call_start_batch(s->call, ops, n, &s->tag_recv, NULL) != GRPC_CALL_OK) {
            s->recv_over = 1;
            return 0;
        }
        s->got_initial_md = 1;
        s->recv_pending = 1;
    }
    int r = pluck(s, &s->tag_recv, deadline_after(timeout_ms));
    if (r < 0)
        return -1;
    s->recv_pending = 0;
    if (r == 0 || s->recv_buf == NULL) {
        if (s->recv_buf != NULL)
            grpc_byte_buffer_destroy(s->recv_buf);
        s->recv_buf = NULL;
        s->recv_over = 1;
        return 0;
    }
    ProtobufCMessage *m = decode(s->recv_buf, s->resp_desc);
    grpc_byte_buffer_destroy(s->recv_buf);
    s->recv_buf = NULL;
    if (m == NULL) {
        char *why = xstrdup_printf("response does not decode as %s", s->resp_desc->name);
        grpc_call_cancel_with_status(s->call, GRPC_STATUS_INTERNAL,
                                     why != NULL ? why : "response does not decode", NULL);
        free(why);
        s->recv_over = 1;
        return 0;
    }
    *msg = m;
    return 1;
}

int ins_stream_metadata(ins_stream *s, const char *key, int64_t timeout_ms, char **value)
{
    *value = NULL;
    if (!s->got_initial_md) {
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_INITIAL_METADATA;
        op.data.recv_initial_metadata.recv_initial_metadata = &s->initial_md;
        if (grpc_call_start_batch(s->call, &op, 1, &s->tag_md, NULL) != GRPC_CALL_OK)
            return 0;
        s->got_initial_md = s->md_pending = 1;
    }
    if (s->md_pending) {
        int r = pluck(s, &s->tag_md, deadline_after(timeout_ms));
        if (r < 0)
            return -1;
        s->md_pending = 0;
        s->md_arrived = r == 1;
    }
    for (size_t i = 0; s->md_arrived && i < s->initial_md.count; i++) {
        const grpc_metadata *m = &s->initial_md.metadata[i];
        if (grpc_slice_str_cmp(m->key, key) == 0) {
            *value = slice_to_string(m->value);
            return *value != NULL ? 1 : 0;
        }
    }
    return 0;
}

void ins_stream_cancel(ins_stream *s)
{
    if (s != NULL)
        grpc_call_cancel(s->call, NULL);
}

int ins_stream_finish(ins_stream *s, char **details)
{
    if (details != NULL)
        *details = NULL;
    if (s == NULL) {
        set_details(details, "");
        return GRPC_STATUS_OK;
    }
    gpr_timespec forever = gpr_inf_future(GPR_CLOCK_REALTIME);
    /* A send that failed means the connection broke under a client stream;
     * gRPC core 1.51 may then never deliver the status by itself. Cancel
     * with UNAVAILABLE: a status the transport already knew still wins. */
    if (s->send_over && !s->send_closed)
        grpc_call_cancel_with_status(s->call, GRPC_STATUS_UNAVAILABLE,
                                     "the connection failed while sending", NULL);
    pluck(s, &s->tag_status, forever);
    /* The call is over: every pending batch completes now. */
    if (s->start_pending)
        pluck(s, &s->tag_start, forever);
    if (s->md_pending)
        pluck(s, &s->tag_md, forever);
    if (s->recv_pending) {
        pluck(s, &s->tag_recv, forever);
        if (s->recv_buf != NULL)
            grpc_byte_buffer_destroy(s->recv_buf);
    }
    int rc = s->status;
    if (details != NULL)
        *details = slice_to_string(s->status_details);

    grpc_slice_unref(s->status_details);
    gpr_free((void *)s->error_string);
    grpc_metadata_array_destroy(&s->initial_md);
    grpc_metadata_array_destroy(&s->trailing_md);
    grpc_call_unref(s->call);
    grpc_completion_queue_shutdown(s->cq);
    grpc_completion_queue_pluck(s->cq, NULL, forever, NULL);
    grpc_completion_queue_destroy(s->cq);
    md_release(s->md, s->n_md);
    free(s);
    return rc;
}
