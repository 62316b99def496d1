/*
 * bench_bare_unary: the smallest honest gRPC core C server, the baseline that
 * bench/unary measures inspectd against in the same run.
 *
 * One thread, one completion queue, one registered method
 * (/grpc.health.v1.Health/Check, request payload read with the call). A pool of
 * requests is kept armed; each arriving call re-arms a fresh request first, then
 * is answered in one batch (SEND_INITIAL_METADATA + SEND_MESSAGE of the same bytes
 * inspectd answers: HealthCheckResponse{status: SERVING} = 0x08 0x01 +
 * SEND_STATUS_FROM_SERVER OK + RECV_CLOSE_ON_SERVER), and unreffed when that batch
 * completes. A generic request stays armed so unknown methods get UNIMPLEMENTED
 * instead of hanging. No TLS: it only listens on loopback.
 *
 * Usage: bench_bare_unary --listen 127.0.0.1:PORT [--port-file FILE] [--armed N]
 * PORT may be 0; the bound port is then written to --port-file (and stdout).
 * SIGTERM/SIGINT only set a flag; the loop polls with a timeout, sees it, shuts
 * the server down (cancelling calls after a grace period), drains and exits 0.
 */
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEALTH_CHECK_METHOD "/grpc.health.v1.Health/Check"
#define DEFAULT_ARMED       128
#define POLL_MS             100
#define GRACE_MS            1000

/* What a completion-queue tag stands for. Every tag is a struct bare_call or the
 * shutdown marker; the kind says which step of the call completed. */
enum call_kind {
    CALL_REGISTERED, /* request for Health/Check armed, or its answer in flight */
    CALL_GENERIC,    /* request for any other method armed, or its answer in flight */
};

enum call_step {
    STEP_REQUESTED, /* waiting for a call to arrive */
    STEP_ANSWERING, /* answer batch started, waiting for it to complete */
};

struct bare_call {
    enum call_kind kind;
    enum call_step step;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array request_md;
    grpc_call_details details;  /* generic requests only */
    grpc_byte_buffer *request;  /* registered requests only; ours, may be NULL */
    grpc_byte_buffer *response; /* ours; destroyed once the answer batch completes */
    int cancelled;
};

struct bare_server {
    grpc_server *server;
    grpc_completion_queue *cq;
    void *method;      /* registered-method handle for Health/Check */
    int shutting_down; /* no re-arming once set */
    long outstanding;  /* bare_call structs alive */
};

static volatile sig_atomic_t stop_requested;
static char shutdown_tag; /* address used as the tag of grpc_server_shutdown_and_notify */
static const uint8_t serving_response[] = {0x08, 0x01};

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void call_free(struct bare_server *bs, struct bare_call *c)
{
    if (c == NULL)
        return;
    if (c->call != NULL)
        grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->request_md);
    if (c->kind == CALL_GENERIC)
        grpc_call_details_destroy(&c->details);
    if (c->request != NULL)
        grpc_byte_buffer_destroy(c->request);
    if (c->response != NULL)
        grpc_byte_buffer_destroy(c->response);
    free(c);
    bs->outstanding--;
}

/* Arms one request of the given kind. Returns 0, or -1 if nothing was armed. */
static int arm(struct bare_server *bs, enum call_kind kind)
{
    struct bare_call *c = calloc(1, sizeof *c);
    grpc_call_error err;

    if (c == NULL)
        return -1;
    c->kind = kind;
    c->step = STEP_REQUESTED;
    grpc_metadata_array_init(&c->request_md);
    bs->outstanding++;
    if (kind == CALL_REGISTERED) {
        err = grpc_server_request_registered_call(bs->server, bs->method, &c->call, &c->deadline,
                                                  &c->request_md, &c->request, bs->cq, bs->cq, c);
    } else {
        grpc_call_details_init(&c->details);
        err = grpc_server_request_call(bs->server, &c->call, &c->details, &c->request_md, bs->cq,
                                       bs->cq, c);
    }
    if (err != GRPC_CALL_OK) {
        /* Never completes: the tag is ours to free here. */
        call_free(bs, c);
        return -1;
    }
    return 0;
}

/* Starts the single answer batch on an arrived call. On failure the call is freed. */
static void answer(struct bare_server *bs, struct bare_call *c)
{
    grpc_op ops[4];
    grpc_op *op = ops;
    grpc_slice body;
    grpc_slice unimplemented;

    memset(ops, 0, sizeof ops);
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op->data.send_initial_metadata.count = 0;
    op++;
    if (c->kind == CALL_REGISTERED) {
        body = grpc_slice_from_static_buffer(serving_response, sizeof serving_response);
        c->response = grpc_raw_byte_buffer_create(&body, 1);
        op->op = GRPC_OP_SEND_MESSAGE;
        op->data.send_message.send_message = c->response;
        op++;
    }
    op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    op->data.send_status_from_server.trailing_metadata_count = 0;
    if (c->kind == CALL_REGISTERED) {
        op->data.send_status_from_server.status = GRPC_STATUS_OK;
        op->data.send_status_from_server.status_details = NULL;
    } else {
        /* Not retained past grpc_call_start_batch. */
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
        call_free(bs, c);
}

/* Handles one completed tag (other than the shutdown marker). */
static void on_tag(struct bare_server *bs, struct bare_call *c, int success)
{
    if (c->step == STEP_ANSWERING || !success) {
        /* Answer done (or peer gone), or request failed because the server is
         * shutting down: either way the call is over. */
        int rearm = c->step == STEP_REQUESTED && !bs->shutting_down;
        enum call_kind kind = c->kind;
        call_free(bs, c);
        if (rearm)
            arm(bs, kind);
        return;
    }
    /* A call arrived: re-arm first, then answer. */
    if (!bs->shutting_down)
        arm(bs, c->kind);
    answer(bs, c);
}

static gpr_timespec deadline_in_ms(long ms)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --listen HOST:PORT [--port-file FILE] [--armed N]\n", argv0);
}

int main(int argc, char **argv)
{
    const char *listen = NULL;
    const char *port_file = NULL;
    long armed = DEFAULT_ARMED;
    struct bare_server bs;
    grpc_server_credentials *creds;
    struct sigaction sa;
    int port;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen = argv[++i];
        } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
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
    memset(&bs, 0, sizeof bs);
    bs.server = grpc_server_create(NULL, NULL);
    bs.cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(bs.server, bs.cq, NULL);
    bs.method = grpc_server_register_method(bs.server, HEALTH_CHECK_METHOD, NULL,
                                            GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    if (bs.method == NULL) {
        fprintf(stderr, "bare_server: cannot register %s\n", HEALTH_CHECK_METHOD);
        goto destroy;
    }
    creds = grpc_insecure_server_credentials_create();
    port = grpc_server_add_http2_port(bs.server, listen, creds);
    grpc_server_credentials_release(creds);
    if (port == 0) {
        fprintf(stderr, "bare_server: cannot listen on %s\n", listen);
        goto destroy;
    }
    grpc_server_start(bs.server);

    for (long i = 0; i < armed; i++) {
        if (arm(&bs, CALL_REGISTERED) != 0) {
            fprintf(stderr, "bare_server: cannot arm requests\n");
            goto shutdown;
        }
    }
    if (arm(&bs, CALL_GENERIC) != 0) {
        fprintf(stderr, "bare_server: cannot arm the generic request\n");
        goto shutdown;
    }

    if (port_file != NULL) {
        char tmp[4096];
        FILE *f;
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            fprintf(stderr, "bare_server: cannot write %s: %s\n", port_file, strerror(errno));
            goto shutdown;
        }
    }
    printf("bare_server: listening on port %d, %ld requests armed\n", port, armed);
    fflush(stdout);

    while (!stop_requested) {
        grpc_event ev = grpc_completion_queue_next(bs.cq, deadline_in_ms(POLL_MS), NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            on_tag(&bs, ev.tag, ev.success);
        else if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
    }
    rc = 0;

shutdown : {
    /* Stop admitting calls; let running ones finish, cancel them after a grace period. */
    gpr_timespec grace = deadline_in_ms(GRACE_MS);
    int cancelled = 0;
    bs.shutting_down = 1;
    grpc_server_shutdown_and_notify(bs.server, bs.cq, &shutdown_tag);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(bs.cq, deadline_in_ms(POLL_MS), NULL);
        if (ev.type == GRPC_OP_COMPLETE && ev.tag == &shutdown_tag)
            break;
        if (ev.type == GRPC_OP_COMPLETE)
            on_tag(&bs, ev.tag, ev.success);
        if (!cancelled && gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), grace) > 0) {
            grpc_server_cancel_all_calls(bs.server);
            cancelled = 1;
        }
    }
}
destroy:
    grpc_server_destroy(bs.server);
    grpc_completion_queue_shutdown(bs.cq);
    for (;;) {
        grpc_event ev =
            grpc_completion_queue_next(bs.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE && ev.tag != &shutdown_tag)
            on_tag(&bs, ev.tag, ev.success);
    }
    grpc_completion_queue_destroy(bs.cq);
    grpc_shutdown();
    if (bs.outstanding != 0)
        fprintf(stderr, "bare_server: %ld calls leaked at exit\n", bs.outstanding);
    return rc;
}
