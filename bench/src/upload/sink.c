/*
 * bench_upload_sink: the bare gRPC core client-streaming sink that bench/upload
 * measures inspectd's Field.UploadPhoto against in the same run (the network
 * and gRPC limit of an upload).
 *
 * One registered method, /inspect.v1.Field/UploadPhoto (no payload read with
 * the call). THREADS threads, each with its own completion queue and ARMED
 * requests kept armed on it. Each call: one RECV_MESSAGE batch at a time until
 * the client half-closes (a NULL message); every message is counted and
 * discarded unparsed; then one batch answers SEND_INITIAL_METADATA +
 * SEND_MESSAGE (an UploadPhotoResponse whose size is the payload bytes
 * received) + SEND_STATUS_FROM_SERVER OK + RECV_CLOSE_ON_SERVER, and the call
 * is unreffed when that batch completes. A generic request per thread stays
 * armed so unknown methods get UNIMPLEMENTED. No TLS: loopback only.
 *
 * Usage: bench_upload_sink --listen 127.0.0.1:PORT [--port-file FILE]
 *                          [--threads N] [--armed N]
 * PORT may be 0; the bound port is then written to --port-file (and stdout).
 * SIGTERM/SIGINT set a flag; thread 0 then shuts the server down (cancelling
 * calls after a grace period), every thread drains its queue, and it exits 0.
 */
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UPLOAD_METHOD   "/inspect.v1.Field/UploadPhoto"
#define DEFAULT_ARMED   32
#define DEFAULT_THREADS 2
#define MAX_THREADS     64
#define POLL_MS         100
#define GRACE_MS        1000

enum call_kind {
    CALL_REGISTERED, /* UploadPhoto */
    CALL_GENERIC,    /* any other method: UNIMPLEMENTED */
};

enum call_step {
    STEP_REQUESTED, /* waiting for a call to arrive */
    STEP_READING,   /* a RECV_MESSAGE batch in flight */
    STEP_ANSWERING, /* the answer batch in flight */
};

struct worker;

struct sink_call {
    struct worker *w;
    enum call_kind kind;
    enum call_step step;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array request_md;
    grpc_call_details details; /* generic requests only */
    grpc_byte_buffer *recv;    /* the message just read; ours, may be NULL */
    grpc_byte_buffer *response;
    uint64_t bytes; /* payload bytes received */
    uint8_t reply[16];
    int cancelled;
};

struct worker {
    int index;
    pthread_t thread;
    grpc_completion_queue *cq;
    long outstanding; /* sink_call structs alive on this queue */
};

static grpc_server *server;
static void *method;
static long armed = DEFAULT_ARMED;
static atomic_int shutting_down; /* no re-arming once set */
static atomic_int server_down;   /* the shutdown tag arrived: threads leave their loop */
static volatile sig_atomic_t stop_requested;
static char shutdown_tag;

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static gpr_timespec deadline_in_ms(long ms)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static void call_free(struct sink_call *c)
{
    if (c->call != NULL)
        grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->request_md);
    if (c->kind == CALL_GENERIC)
        grpc_call_details_destroy(&c->details);
    if (c->recv != NULL)
        grpc_byte_buffer_destroy(c->recv);
    if (c->response != NULL)
        grpc_byte_buffer_destroy(c->response);
    c->w->outstanding--;
    free(c);
}

/* Arms one request of the given kind on w's queue. Returns 0 or -1. */
static int arm(struct worker *w, enum call_kind kind)
{
    struct sink_call *c = calloc(1, sizeof *c);
    grpc_call_error err;

    if (c == NULL)
        return -1;
    c->w = w;
    c->kind = kind;
    c->step = STEP_REQUESTED;
    grpc_metadata_array_init(&c->request_md);
    w->outstanding++;
    if (kind == CALL_REGISTERED) {
        err = grpc_server_request_registered_call(server, method, &c->call, &c->deadline,
                                                  &c->request_md, NULL, w->cq, w->cq, c);
    } else {
        grpc_call_details_init(&c->details);
        err = grpc_server_request_call(server, &c->call, &c->details, &c->request_md, w->cq, w->cq,
                                       c);
    }
    if (err != GRPC_CALL_OK) {
        call_free(c); /* never completes: the tag is ours */
        return -1;
    }
    return 0;
}

/* Starts one RECV_MESSAGE. On failure the call is freed. */
static void read_next(struct sink_call *c)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->recv;
    c->step = STEP_READING;
    if (grpc_call_start_batch(c->call, &op, 1, c, NULL) != GRPC_CALL_OK)
        call_free(c);
}

/* Encodes UploadPhotoResponse{size: bytes} (field 2, varint) into c->reply. */
static size_t encode_reply(struct sink_call *c)
{
    uint64_t v = c->bytes;
    size_t n = 0;
    c->reply[n++] = 0x10;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        c->reply[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* Starts the single answer batch. On failure the call is freed. */
static void answer(struct sink_call *c)
{
    grpc_op ops[4];
    grpc_op *op = ops;
    grpc_slice unimplemented;

    memset(ops, 0, sizeof ops);
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op++;
    if (c->kind == CALL_REGISTERED) {
        grpc_slice body = grpc_slice_from_copied_buffer((const char *)c->reply, encode_reply(c));
        c->response = grpc_raw_byte_buffer_create(&body, 1);
        grpc_slice_unref(body);
        op->op = GRPC_OP_SEND_MESSAGE;
        op->data.send_message.send_message = c->response;
        op++;
    }
    op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    if (c->kind == CALL_REGISTERED) {
        op->data.send_status_from_server.status = GRPC_STATUS_OK;
    } else {
        unimplemented = grpc_slice_from_static_string("method not implemented");
        op->data.send_status_from_server.status = GRPC_STATUS_UNIMPLEMENTED;
        op->data.send_status_from_server.status_details = &unimplemented;
    }
    op++;
    op->op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op->data.recv_close_on_server.cancelled = &c->cancelled;
    op++;
    c->step = STEP_ANSWERING;
    if (grpc_call_start_batch(c->call, ops, (size_t)(op - ops), c, NULL) != GRPC_CALL_OK)
        call_free(c);
}

static void on_tag(struct sink_call *c, int success)
{
    struct worker *w = c->w;

    switch (c->step) {
    case STEP_REQUESTED:
        if (!success) { /* shutting down */
            call_free(c);
            return;
        }
        if (!atomic_load(&shutting_down))
            arm(w, c->kind);
        if (c->kind == CALL_REGISTERED)
            read_next(c);
        else
            answer(c);
        return;
    case STEP_READING:
        if (!success) { /* the peer is gone */
            call_free(c);
            return;
        }
        if (c->recv == NULL) { /* half-closed: answer */
            answer(c);
            return;
        }
        c->bytes += grpc_byte_buffer_length(c->recv);
        grpc_byte_buffer_destroy(c->recv);
        c->recv = NULL;
        read_next(c);
        return;
    case STEP_ANSWERING:
        call_free(c);
        return;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    gpr_timespec grace = gpr_inf_future(GPR_CLOCK_MONOTONIC);
    int cancelled = 0;

    while (!atomic_load(&server_down)) {
        grpc_event ev = grpc_completion_queue_next(w->cq, deadline_in_ms(POLL_MS), NULL);
        if (ev.type == GRPC_OP_COMPLETE && ev.tag == &shutdown_tag)
            atomic_store(&server_down, 1);
        else if (ev.type == GRPC_OP_COMPLETE)
            on_tag(ev.tag, ev.success);
        else if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (w->index != 0)
            continue;
        /* Thread 0 drives the shutdown. */
        if (stop_requested && !atomic_load(&shutting_down)) {
            atomic_store(&shutting_down, 1);
            grpc_server_shutdown_and_notify(server, w->cq, &shutdown_tag);
            grace = deadline_in_ms(GRACE_MS);
        }
        if (atomic_load(&shutting_down) && !cancelled &&
            gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), grace) > 0) {
            grpc_server_cancel_all_calls(server);
            cancelled = 1;
        }
    }
    return NULL;
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --listen HOST:PORT [--port-file FILE] [--threads N] [--armed N]\n",
            argv0);
}

int main(int argc, char **argv)
{
    const char *listen = NULL;
    const char *port_file = NULL;
    long nthreads = DEFAULT_THREADS;
    struct worker workers[MAX_THREADS];
    grpc_server_credentials *creds;
    grpc_arg args[1];
    grpc_channel_args chargs;
    struct sigaction sa;
    int port;
    int rc = 1;
    long started = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen = argv[++i];
        } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            nthreads = strtol(argv[++i], NULL, 10);
            if (nthreads < 1 || nthreads > MAX_THREADS) {
                usage(argv[0]);
                return 2;
            }
        } else if (strcmp(argv[i], "--armed") == 0 && i + 1 < argc) {
            armed = strtol(argv[++i], NULL, 10);
            if (armed < 1 || armed > 100000) {
                usage(argv[0]);
                return 2;
            }
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (listen == NULL) {
        usage(argv[0]);
        return 2;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    grpc_init();
    /* Messages up to 4 MiB, as inspectd (--max-message-bytes). */
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = 4 << 20;
    chargs.num_args = 1;
    chargs.args = args;
    server = grpc_server_create(&chargs, NULL);
    memset(workers, 0, sizeof workers);
    for (long t = 0; t < nthreads; t++) {
        workers[t].index = (int)t;
        workers[t].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(server, workers[t].cq, NULL);
    }
    method = grpc_server_register_method(server, UPLOAD_METHOD, NULL, GRPC_SRM_PAYLOAD_NONE, 0);
    creds = grpc_insecure_server_credentials_create();
    port = grpc_server_add_http2_port(server, listen, creds);
    grpc_server_credentials_release(creds);
    if (method == NULL || port == 0) {
        fprintf(stderr, "sink: cannot register %s or listen on %s\n", UPLOAD_METHOD, listen);
        grpc_server_destroy(server);
        goto destroy;
    }
    grpc_server_start(server);
    for (long t = 0; t < nthreads; t++) {
        for (long i = 0; i < armed; i++)
            if (arm(&workers[t], CALL_REGISTERED) != 0)
                stop_requested = 1;
        if (arm(&workers[t], CALL_GENERIC) != 0)
            stop_requested = 1;
    }
    if (stop_requested) {
        fprintf(stderr, "sink: cannot arm requests\n");
    } else if (port_file != NULL) {
        char tmp[4096];
        FILE *f;
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            fprintf(stderr, "sink: cannot write %s: %s\n", port_file, strerror(errno));
            stop_requested = 1;
        }
    }
    if (!stop_requested) {
        printf("sink: listening on port %d, %ld threads, %ld requests armed each\n", port, nthreads,
               armed);
        fflush(stdout);
        rc = 0;
    }
    for (started = 0; started < nthreads; started++)
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0)
            break;
    if (started < nthreads) {
        rc = 1;
        stop_requested = 1;
    }
    for (long t = 0; t < started; t++)
        pthread_join(workers[t].thread, NULL);
    if (started == 0) { /* nobody drove the shutdown */
        atomic_store(&shutting_down, 1);
        grpc_server_shutdown_and_notify(server, workers[0].cq, &shutdown_tag);
        grpc_server_cancel_all_calls(server);
    }
    grpc_server_destroy(server);

destroy:
    for (long t = 0; t < nthreads; t++) {
        struct worker *w = &workers[t];
        grpc_completion_queue_shutdown(w->cq);
        for (;;) {
            grpc_event ev =
                grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
            if (ev.type == GRPC_QUEUE_SHUTDOWN)
                break;
            if (ev.type == GRPC_OP_COMPLETE && ev.tag != &shutdown_tag)
                on_tag(ev.tag, ev.success);
        }
        grpc_completion_queue_destroy(w->cq);
        if (w->outstanding != 0)
            fprintf(stderr, "sink: %ld calls leaked at exit on thread %ld\n", w->outstanding, t);
    }
    grpc_shutdown();
    return rc;
}
