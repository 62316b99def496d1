/*
 * relay.c - the client half of a relayed gRPC-Web call (see relay.h).
 *
 * Each relay has its own pluck completion queue and one tag per batch: the
 * start batch (metadata, the one message, half-close, initial metadata and
 * the first receive), each further receive, and the status, which is asked
 * for only once the server's last message has been read. That order is the
 * one gRPC core's own clients use; asking for the status while a message is
 * still on its way lets the in-process transport end the receive empty.
 * Plucking a tag returns only that tag's event.
 */
#include "relay.h"

#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>

#define POLL_MS 200

struct ins_relay {
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_byte_buffer *send;
    grpc_byte_buffer *recv;
    grpc_metadata *md; /* copies of the request metadata */
    size_t n_md;
    grpc_metadata_array initial, trailing;
    grpc_status_code status;
    grpc_slice details;
    char *details_text;
    int start_pending, status_pending, recv_pending;
    int no_more; /* the server's last message was read */
    int cancelled;
    char tag_start, tag_status, tag_recv;
};

static int start_batch(ins_relay *r)
{
    grpc_op ops[5];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = r->n_md;
    ops[0].data.send_initial_metadata.metadata = r->md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = r->send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &r->initial;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &r->recv;
    if (grpc_call_start_batch(r->call, ops, 5, &r->tag_start, NULL) != GRPC_CALL_OK)
        return -1;
    r->start_pending = 1;
    return 0;
}

/* Asks for the status, once every message has been read. */
static int status_batch(ins_relay *r)
{
    grpc_op st;
    memset(&st, 0, sizeof st);
    st.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    st.data.recv_status_on_client.trailing_metadata = &r->trailing;
    st.data.recv_status_on_client.status = &r->status;
    st.data.recv_status_on_client.status_details = &r->details;
    if (grpc_call_start_batch(r->call, &st, 1, &r->tag_status, NULL) != GRPC_CALL_OK)
        return -1;
    r->status_pending = 1;
    return 0;
}

ins_relay *ins_relay_start(grpc_channel *channel, const char *path, const grpc_metadata *md,
                           size_t n_md, gpr_timespec deadline, const uint8_t *msg, size_t len)
{
    ins_relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->details = grpc_empty_slice();
    grpc_metadata_array_init(&r->initial);
    grpc_metadata_array_init(&r->trailing);
    r->md = calloc(n_md ? n_md : 1, sizeof *r->md);
    if (!r->md) {
        ins_relay_destroy(r);
        return NULL;
    }
    for (size_t i = 0; i < n_md; i++) {
        r->md[i].key = grpc_slice_ref(md[i].key);
        r->md[i].value = grpc_slice_ref(md[i].value);
        r->n_md++;
    }
    grpc_slice body = grpc_slice_from_copied_buffer((const char *)msg, len);
    r->send = grpc_raw_byte_buffer_create(&body, 1);
    grpc_slice_unref(body);
    r->cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice method = grpc_slice_from_copied_string(path);
    r->call = grpc_channel_create_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, r->cq, method, NULL,
                                       deadline, NULL);
    grpc_slice_unref(method);
    if (!r->call || start_batch(r) != 0) {
        /* Nothing was sent: answer as the server would to a lost channel. */
        r->status = GRPC_STATUS_UNAVAILABLE;
        r->details_text = strdup("the server could not start the call");
        r->no_more = 1;
    }
    return r;
}

/* Waits for `tag`, asking `gone` between short waits; cancels once. */
static void wait_tag(ins_relay *r, void *tag, ins_relay_gone_fn gone, void *arg)
{
    for (;;) {
        gpr_timespec until =
            gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(POLL_MS, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_pluck(r->cq, tag, until, NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            return;
        if (!r->cancelled && gone && gone(arg)) {
            grpc_call_cancel(r->call, NULL);
            r->cancelled = 1;
        }
    }
}

/* Copies the status message once the status batch is done. */
static void take_status(ins_relay *r)
{
    if (r->details_text)
        return;
    size_t n = GRPC_SLICE_LENGTH(r->details);
    r->details_text = malloc(n + 1);
    if (r->details_text) {
        memcpy(r->details_text, GRPC_SLICE_START_PTR(r->details), n);
        r->details_text[n] = '\0';
    }
}

int ins_relay_next(ins_relay *r, ins_relay_gone_fn gone, void *arg, grpc_slice *out,
                   grpc_status_code *code, const char **details)
{
    while (!r->no_more) {
        if (r->start_pending) { /* the first message comes with the start batch */
            wait_tag(r, &r->tag_start, gone, arg);
            r->start_pending = 0;
        } else {
            grpc_op op;
            memset(&op, 0, sizeof op);
            op.op = GRPC_OP_RECV_MESSAGE;
            op.data.recv_message.recv_message = &r->recv;
            if (grpc_call_start_batch(r->call, &op, 1, &r->tag_recv, NULL) != GRPC_CALL_OK)
                break;
            r->recv_pending = 1;
            wait_tag(r, &r->tag_recv, gone, arg);
            r->recv_pending = 0;
        }
        if (!r->recv)
            break;
        grpc_byte_buffer_reader reader;
        int ok = grpc_byte_buffer_reader_init(&reader, r->recv);
        if (ok) {
            *out = grpc_byte_buffer_reader_readall(&reader);
            grpc_byte_buffer_reader_destroy(&reader);
        }
        grpc_byte_buffer_destroy(r->recv);
        r->recv = NULL;
        if (ok)
            return 1;
    }
    if (!r->no_more) {
        r->no_more = 1;
        if (status_batch(r) == 0) {
            wait_tag(r, &r->tag_status, gone, arg);
            r->status_pending = 0;
        } else {
            r->status = GRPC_STATUS_INTERNAL;
            r->details_text = strdup("the relayed call could not be finished");
        }
    }
    take_status(r);
    *code = r->status;
    *details = r->details_text ? r->details_text : "";
    return 0;
}

void ins_relay_destroy(ins_relay *r)
{
    if (!r)
        return;
    if (r->call) /* nothing for a call that is over; ends one the browser left */
        grpc_call_cancel(r->call, NULL);
    if (r->start_pending)
        grpc_completion_queue_pluck(r->cq, &r->tag_start, gpr_inf_future(GPR_CLOCK_MONOTONIC),
                                    NULL);
    if (r->status_pending)
        grpc_completion_queue_pluck(r->cq, &r->tag_status, gpr_inf_future(GPR_CLOCK_MONOTONIC),
                                    NULL);
    if (r->recv_pending)
        grpc_completion_queue_pluck(r->cq, &r->tag_recv, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    if (r->recv)
        grpc_byte_buffer_destroy(r->recv);
    if (r->call)
        grpc_call_unref(r->call);
    if (r->cq) {
        grpc_completion_queue_shutdown(r->cq);
        grpc_completion_queue_destroy(r->cq);
    }
    if (r->send)
        grpc_byte_buffer_destroy(r->send);
    for (size_t i = 0; i < r->n_md; i++) {
        grpc_slice_unref(r->md[i].key);
        grpc_slice_unref(r->md[i].value);
    }
    free(r->md);
    grpc_metadata_array_destroy(&r->initial);
    grpc_metadata_array_destroy(&r->trailing);
    grpc_slice_unref(r->details);
    free(r->details_text);
    free(r);
}
