/*
 * call_ops.c - what a handler does with its call: read requests, send
 * messages, reply, fail, be woken from another thread (see call.h), and the
 * completions of those batches.
 *
 * Every batch keeps to the gRPC core rules: initial metadata goes out once,
 * with the first message or the status; one batch of each kind in flight; a
 * send buffer is destroyed only after its batch completes; a start_batch that
 * fails changed nothing and its tag never comes back.
 */
#include "runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>

#include "ins_error.h"
#include "ins_pbcheck.h"
#include "status.h"

const ins_principal *ins_call_principal(const ins_call *c)
{
    return &c->principal;
}

const char *ins_call_method(const ins_call *c)
{
    return c->method ? c->method->path : "";
}

ins_server *ins_call_server(const ins_call *c)
{
    return c->server;
}

void *ins_call_data(const ins_call *c)
{
    return c->data;
}

void ins_call_set_data(ins_call *c, void *data)
{
    c->data = data;
}

int ins_call_done(const ins_call *c)
{
    return c->done;
}

int64_t ins_call_deadline_left_ms(const ins_call *c)
{
    if (gpr_time_cmp(c->deadline, gpr_inf_future(c->deadline.clock_type)) == 0)
        return INT64_MAX;
    gpr_timespec now = gpr_now(c->deadline.clock_type);
    gpr_timespec left = gpr_time_sub(c->deadline, now);
    return (int64_t)left.tv_sec * 1000 + left.tv_nsec / 1000000;
}

/* Serializes `msg` into a new byte buffer; NULL when out of memory. */
static grpc_byte_buffer *pack(ins_call *c, const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(len);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    c->bytes_out += len;
    ins__stats_msg_out(c);
    return bb;
}

ProtobufCMessage *ins__call_decode(ins_call *c, grpc_byte_buffer *bb, const char *what)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb)) {
        ins_call_fail(c, INS_EINVAL, "%s could not be read", what);
        return NULL;
    }
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    c->bytes_in += GRPC_SLICE_LENGTH(all);
    ins__stats_msg_in(c);
    ProtobufCMessage *msg = protobuf_c_message_unpack(
        c->method->input, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    if (!msg) {
        grpc_slice_unref(all);
        ins_call_fail(c, INS_EINVAL, "%s is not a valid %s", what, c->method->input->name);
        return NULL;
    }
    char why[320];
    int rc = ins_pb_check(msg, why, sizeof why);
    if (rc == 0)
        rc = ins_pb_check_nul(c->method->input, GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all),
                              why, sizeof why);
    grpc_slice_unref(all);
    if (rc) {
        ins_call_fail(c, rc, "%s %s: %s", c->method->input->name, what, why);
        protobuf_c_message_free_unpacked(msg, NULL);
        return NULL;
    }
    return msg;
}

/* Appends SEND_INITIAL_METADATA to `ops` if it has not gone out yet. */
static size_t add_initial_md(ins_call *c, grpc_op *ops, size_t n)
{
    if (!c->md_sent) {
        memset(&ops[n], 0, sizeof ops[n]);
        ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
        c->md_sent = 1;
        n++;
    }
    return n;
}

/* Starts `ops` with `tag`, holding a reference for it. Returns 0 or -1 (the
 * batch was refused and the reference is dropped again). */
static int start(ins_call *c, grpc_op *ops, size_t n, ins_tag *tag)
{
    ins_call_ref(c);
    if (grpc_call_start_batch(c->call, ops, n, tag, NULL) != GRPC_CALL_OK) {
        ins_call_unref(c);
        return -1;
    }
    return 0;
}

/* Wraps `len` encoded bytes in a new byte buffer. */
static grpc_byte_buffer *wrap(ins_call *c, const void *data, size_t len)
{
    grpc_slice s = grpc_slice_from_copied_buffer(data, len);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    c->bytes_out += len;
    ins__stats_msg_out(c);
    return bb;
}

void ins_call_set_retry_ms(ins_call *c, int64_t ms)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)(ms > 0 ? ms : 1));
    grpc_slice_unref(c->retry_ms);
    c->retry_ms = grpc_slice_from_copied_string(text);
}

/* Sends the final status, with `reply` (may be NULL) as the last message,
 * and RECV_CLOSE_ON_SERVER when no batch of its own watches for it. A
 * retry delay goes in the trailing metadata twice: `retry-after-ms` for
 * people and scripts, `grpc-retry-pushback-ms` for gRPC clients with a
 * retry policy, which wait that long before their next attempt. */
static void send_status(ins_call *c, grpc_byte_buffer *reply)
{
    grpc_metadata trailer[2];
    grpc_op ops[4];
    size_t n = add_initial_md(c, ops, 0);
    if (reply) {
        c->send_buf = reply;
        memset(&ops[n], 0, sizeof ops[n]);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = c->send_buf;
        n++;
    }
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = c->status;
    ops[n].data.send_status_from_server.status_details =
        c->status == GRPC_STATUS_OK ? NULL : &c->status_details;
    if (GRPC_SLICE_LENGTH(c->retry_ms) > 0 && c->status != GRPC_STATUS_OK) {
        memset(trailer, 0, sizeof trailer);
        trailer[0].key = grpc_slice_from_static_string("retry-after-ms");
        trailer[0].value = c->retry_ms;
        trailer[1].key = grpc_slice_from_static_string("grpc-retry-pushback-ms");
        trailer[1].value = c->retry_ms;
        ops[n].data.send_status_from_server.trailing_metadata_count = 2;
        ops[n].data.send_status_from_server.trailing_metadata = trailer;
    }
    n++;
    if (!c->close_posted) {
        memset(&ops[n], 0, sizeof ops[n]);
        ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
        ops[n].data.recv_close_on_server.cancelled = &c->close_cancelled;
        c->close_posted = 1;
        n++;
    }
    c->done = 1;
    if (start(c, ops, n, &c->t_status) != 0 && c->send_buf) {
        grpc_byte_buffer_destroy(c->send_buf);
        c->send_buf = NULL;
    }
}

/* Sends status OK with `reply`, now or (held in reply_pending) once the
 * send in flight completed: that send's buffer is send_buf until then.
 * Takes ownership of `reply`. */
static void reply_with(ins_call *c, grpc_byte_buffer *reply)
{
    c->status = GRPC_STATUS_OK;
    if (c->send_in_flight) {
        c->reply_pending = reply;
        c->status_pending = 1;
        return;
    }
    send_status(c, reply);
}

void ins_call_reply(ins_call *c, const ProtobufCMessage *resp)
{
    if (c->done || c->status_pending)
        return;
    reply_with(c, pack(c, resp));
}

void ins_call_reply_bytes(ins_call *c, const void *data, size_t len)
{
    if (c->done || c->status_pending)
        return;
    reply_with(c, wrap(c, data, len));
}

/* Records the final status; sends it now, or after the message in flight. */
static void finish_with(ins_call *c, grpc_status_code code, const char *details)
{
    if (c->done || c->status_pending)
        return;
    c->status = code;
    grpc_slice_unref(c->status_details);
    c->status_details = grpc_slice_from_copied_string(details ? details : "");
    if (c->send_in_flight)
        c->status_pending = 1;
    else
        send_status(c, NULL);
}

void ins_call_fail(ins_call *c, int err, const char *fmt, ...)
{
    char msg[1024];
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(msg, sizeof msg, "%s", ins_strerror(err));
    }
    grpc_status_code code = ins_status_code(err);
    if (code == GRPC_STATUS_OK)
        code = GRPC_STATUS_INTERNAL; /* a failure is never OK */
    finish_with(c, code, msg);
}

void ins_call_finish(ins_call *c)
{
    finish_with(c, GRPC_STATUS_OK, NULL);
}

int ins_call_send(ins_call *c, const ProtobufCMessage *msg)
{
    if (c->done || c->status_pending)
        return INS_ECANCELLED;
    if (c->send_in_flight)
        return INS_EBUSY;
    grpc_op ops[2];
    size_t n = add_initial_md(c, ops, 0);
    c->send_buf = pack(c, msg);
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n].data.send_message.send_message = c->send_buf;
    n++;
    if (start(c, ops, n, &c->t_send) != 0) {
        grpc_byte_buffer_destroy(c->send_buf);
        c->send_buf = NULL;
        return INS_ECANCELLED;
    }
    c->send_in_flight = 1;
    return 0;
}

int ins_call_send_headers(ins_call *c, const char *key, const char *value)
{
    if (c->done || c->status_pending)
        return INS_ECANCELLED;
    if (c->md_sent)
        return INS_EEXIST;
    if (c->send_in_flight)
        return INS_EBUSY;
    grpc_op op;
    if (add_initial_md(c, &op, 0) != 1)
        return INS_ECANCELLED;
    if (key) { /* the slices live until call_free: gRPC may read them until the tag */
        c->md_out.key = grpc_slice_from_copied_string(key);
        c->md_out.value = grpc_slice_from_copied_string(value);
        c->md_out_set = 1;
        op.data.send_initial_metadata.count = 1;
        op.data.send_initial_metadata.metadata = &c->md_out;
    }
    if (start(c, &op, 1, &c->t_send) != 0)
        return INS_ECANCELLED;
    c->send_in_flight = 1;
    return 0;
}

int ins_call_read(ins_call *c)
{
    if (c->done)
        return INS_ECANCELLED;
    if (c->recv_in_flight)
        return INS_EBUSY;
    grpc_op op = {0};
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->recv_buf;
    if (start(c, &op, 1, &c->t_recv) != 0)
        return INS_ECANCELLED;
    c->recv_in_flight = 1;
    return 0;
}

void ins_call_wake(ins_call *c)
{
    if (atomic_exchange(&c->wake_pending, 1))
        return; /* a wake is already queued: coalesce */
    if (start(c, NULL, 0, &c->t_wake) != 0)
        atomic_store(&c->wake_pending, 0);
}

/* ---- completions (worker thread) ---------------------------------------- */

void ins_call_sent(ins_call *c, int ok)
{
    grpc_byte_buffer_destroy(c->send_buf);
    c->send_buf = NULL;
    c->send_in_flight = 0;
    if (c->status_pending) {
        grpc_byte_buffer *reply = c->reply_pending;
        c->status_pending = 0;
        c->reply_pending = NULL;
        send_status(c, reply);
        return;
    }
    if (!c->done && c->method->def.ops->on_sent)
        c->method->def.ops->on_sent(c, ok);
}

void ins_call_received(ins_call *c, int ok)
{
    c->recv_in_flight = 0;
    grpc_byte_buffer *bb = c->recv_buf;
    c->recv_buf = NULL;
    if (c->done || !ok) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        return; /* cancellation is reported through on_cancel */
    }
    const ins_method_ops *ops = c->method->def.ops;
    if (!bb) {
        if (ops->on_read)
            ops->on_read(c, NULL);
        return;
    }
    ProtobufCMessage *msg = ins__call_decode(c, bb, "message");
    grpc_byte_buffer_destroy(bb);
    if (!msg)
        return;
    if (ops->on_read)
        ops->on_read(c, msg);
    protobuf_c_message_free_unpacked(msg, NULL);
}

void ins_call_status_done(ins_call *c)
{
    if (c->send_buf) {
        grpc_byte_buffer_destroy(c->send_buf);
        c->send_buf = NULL;
    }
}
