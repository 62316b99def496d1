/*
 * fuzz_rpc.c - libFuzzer target: arbitrary bytes as the request of every
 * method of inspectd, through the real server.
 *
 * LLVMFuzzerInitialize starts the whole server in this process, as main.c
 * does: a store in a fresh temp folder (/dev/shm when there is one, so a
 * commit costs no disk sync), the job pool, the scheduler, every service, on
 * 127.0.0.1 port 0 with plaintext. Each input then becomes one call over a
 * loopback gRPC channel, with the raw bytes as the request, so it runs
 * through everything a hostile client reaches: HTTP/2 framing, the method
 * table and the role check, ins__call_decode (protobuf-c unpacking, the
 * UTF-8 walk of common/pbcheck.c), the handler, its domain rules, the record
 * layer and the writer, against one store that keeps what earlier inputs
 * wrote (so a department created by one input is there for the next).
 *
 * Input layout:
 *   byte 0     the method: index into every method of every service, in
 *              registration order (modulo their number)
 *   byte 1     the caller: one of the tokens below (modulo their number)
 *   the rest   unary and server-streaming: the request, as is;
 *              client-streaming: messages, each a 2-byte big-endian length
 *              and that many bytes, the last one whatever remains.
 *
 * Only a crash, a hang (libFuzzer -timeout) or a sanitizer report is a
 * finding; every status, DEADLINE_EXCEEDED included, is an answer.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <grpc/grpc.h>
#include <grpc/byte_buffer.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>

#include "audit.h"
#include "ctx.h"
#include "departments.h"
#include "directory.h"
#include "dispatch.h"
#include "field.h"
#include "health.h"
#include "ins_error.h"
#include "ins_cursor.h"
#include "ins_token.h"
#include "jobs.h"
#include "licensing.h"
#include "reflection.h"
#include "scheduler.h"
#include "server.h"
#include "session.h"
#include "tables.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_METHODS  128
#define MAX_MESSAGES 16
#define MAX_RECV     64

typedef struct fz_method {
    char path[160];
    ins_method_kind kind;
} fz_method;

/* The callers: one token per role, the names the seed corpus uses. */
static const struct {
    ins_role role;
    const char *name, *department;
} callers[] = {
    {INS_ROLE_ADMIN, "fz-admin", ""},     {INS_ROLE_DISPATCHER, "fz-dispatcher", ""},
    {INS_ROLE_INSPECTOR, "I-FZ-1", "FZ"}, {INS_ROLE_DEPARTMENT, "fz-dept", "FZ"},
    {INS_ROLE_AUDITOR, "fz-auditor", ""},
};
#define N_CALLERS (sizeof callers / sizeof callers[0])

static fz_method methods[MAX_METHODS];
static size_t n_methods;
static char tokens[N_CALLERS][INS_TOKEN_MAX + 8];
static grpc_channel *channel;
static grpc_completion_queue *cq;

/* Everything below lives as long as the process: libFuzzer exits without
 * calling us back, and the server must keep serving until then. */
static ins_token_key key;
static ins_ctx ctx;
static char data_dir[256];

static void die(const char *what, int rc)
{
    fprintf(stderr, "fuzz_rpc: %s: %s\n", what, ins_strerror(rc));
    abort();
}

static void start_server(void)
{
    const char *base = getenv("FUZZ_TMPDIR"); /* run.sh: removed after the run */
    if (base == NULL)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(data_dir, sizeof data_dir, "%s/inspectd-fuzz-XXXXXX", base);
    if (mkdtemp(data_dir) == NULL)
        die("mkdtemp", errno);
    int rc = ins_token_key_load(data_dir, &key);
    if (rc)
        die("token key", rc);
    ins_token_keys *keys = NULL;
    if ((rc = ins_token_keys_open(data_dir, &keys)) != 0)
        die("token keys", rc);
    if ((rc = ins_cursor_key_derive(key.bytes, sizeof key.bytes, &ctx.cursor_key)) != 0)
        die("cursor key", rc);
    ctx.max_clock_skew_s = 600;
    ctx.warp = 1.0;
    ctx.checkin_radius_m = 200;
    ctx.max_photo_bytes = 1u << 20;
    ctx.warp_base_ns = ins_ctx_clock_ns(&ctx);
    ins_store_options so = {
        .data_dir = data_dir,
        .max_store_bytes = (size_t)1 << 30,
        .tables = ins_rec_table_names,
        .clock_ns = ins_ctx_clock_ns,
        .clock_arg = &ctx,
        .schema_version = INS_REC_SCHEMA,
    };
    ins_store *store = NULL;
    if ((rc = ins_store_open(&so, &store)) != 0)
        die("store", rc);
    ins_ctx_init(&ctx, store);
    if ((rc = ins_jobs_start(2, &ctx.jobs)) != 0 || (rc = ins_scheduler_start(&ctx)) != 0)
        die("background threads", rc);
    grpc_init();

    ins_server_config cfg = {
        .listen = "127.0.0.1:0",
        .threads = 2,
        .max_message_bytes = 4u << 20,
        .grace_seconds = 1,
        .token_keys = keys,
    };
    char err[256] = "";
    ins_server *srv = NULL;
    if ((rc = ins_server_create(&cfg, &srv, err, sizeof err)) != 0)
        die(err, rc);
    ctx.server = srv;
    ins_server_set_ctx(srv, &ctx);
    /* main.c also installs the live-directory admission check
     * (ins_directory_admit); it is left out here so that the fixed callers
     * below reach every handler instead of being refused as unknown to the
     * directory the fuzzer has not built. */
    static const ins_service_def *const services[] = {
        &ins_health_service,    &ins_reflection_service,  &ins_session_service,
        &ins_directory_service, &ins_licensing_service,   &ins_dispatch_service,
        &ins_field_service,     &ins_departments_service, &ins_audit_service,
    };
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        const ins_service_def *s = services[i];
        if ((rc = ins_server_add_service(srv, s)) != 0)
            die(s->descriptor->name, rc);
        for (size_t m = 0; m < s->n_methods && n_methods < MAX_METHODS; m++, n_methods++) {
            snprintf(methods[n_methods].path, sizeof methods[n_methods].path, "/%s/%s",
                     s->descriptor->name, s->methods[m].name);
            methods[n_methods].kind = s->methods[m].kind;
        }
    }
    if ((rc = ins_health_init(srv)) != 0 || (rc = ins_reflection_init(srv)) != 0)
        die("health/reflection", rc);
    int port = 0;
    if ((rc = ins_server_start(srv, &port, err, sizeof err)) != 0)
        die(err, rc);

    for (size_t i = 0; i < N_CALLERS; i++) {
        ins_principal p;
        memset(&p, 0, sizeof p);
        snprintf(p.name, sizeof p.name, "%s", callers[i].name);
        snprintf(p.department, sizeof p.department, "%s", callers[i].department);
        p.role = callers[i].role;
        p.expires_unix = (int64_t)time(NULL) + 7 * 86400;
        p.method = INS_AUTH_BEARER;
        char t[INS_TOKEN_MAX];
        if ((rc = ins_token_sign(&key, &p, t, sizeof t)) != 0)
            die("token", rc);
        snprintf(tokens[i], sizeof tokens[i], "Bearer %s", t);
    }
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    channel = grpc_channel_create(target, creds, NULL);
    grpc_channel_credentials_release(creds);
    cq = grpc_completion_queue_create_for_pluck(NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    signal(SIGPIPE, SIG_IGN);
    start_server();
    if (getenv("FUZZ_RPC_LIST")) {
        for (size_t i = 0; i < n_methods; i++)
            printf("%zu %s\n", i, methods[i].path);
    }
    return 0;
}

/* Runs one batch and waits for it. Returns its success flag (0 when the
 * batch could not start or the peer is gone). */
static int run_batch(grpc_call *call, const grpc_op *ops, size_t n, gpr_timespec until)
{
    static int tag_slot;
    void *tag = &tag_slot;
    if (grpc_call_start_batch(call, ops, n, tag, NULL) != GRPC_CALL_OK)
        return 0;
    grpc_event ev = grpc_completion_queue_pluck(cq, tag, until, NULL);
    if (ev.type != GRPC_OP_COMPLETE) {
        /* Cannot happen with `until` past the call's deadline; if it does,
         * cancel and wait for the batch so its memory is never touched
         * again. */
        grpc_call_cancel(call, NULL);
        ev = grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    }
    return ev.success;
}

static grpc_byte_buffer *buffer_of(const uint8_t *p, size_t n)
{
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)p, n);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* Splits a client stream's bytes into messages (see the file comment). */
static size_t split(const uint8_t *p, size_t n, int many, grpc_byte_buffer **out)
{
    size_t k = 0;
    while (many && k < MAX_MESSAGES - 1 && n >= 2) {
        size_t len = (size_t)p[0] << 8 | p[1];
        if (len > n - 2)
            break;
        out[k++] = buffer_of(p + 2, len);
        p += 2 + len;
        n -= 2 + len;
    }
    out[k++] = buffer_of(p, n);
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || n_methods == 0)
        return 0;
    const fz_method *m = &methods[data[0] % n_methods];
    size_t who = data[1] % N_CALLERS;
    int streaming_in = m->kind == INS_CLIENT_STREAM || m->kind == INS_BIDI_STREAM;
    int streaming_out = m->kind == INS_SERVER_STREAM || m->kind == INS_BIDI_STREAM;
    grpc_byte_buffer *msgs[MAX_MESSAGES];
    size_t n_msgs = split(data + 2, size - 2, streaming_in, msgs);

    /* A follow stream waits for changes until its deadline: keep it short. */
    gpr_timespec deadline =
        gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                     gpr_time_from_millis(streaming_out ? 300 : 5000, GPR_TIMESPAN));
    gpr_timespec until = gpr_time_add(deadline, gpr_time_from_seconds(5, GPR_TIMESPAN));
    grpc_slice path = grpc_slice_from_static_string(m->path);
    grpc_call *call = grpc_channel_create_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, path,
                                               NULL, deadline, NULL);

    grpc_metadata md = {.key = grpc_slice_from_static_string("authorization"),
                        .value = grpc_slice_from_static_string(tokens[who])};
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = 1;
    ops[0].data.send_initial_metadata.metadata = &md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = msgs[0];
    int alive = run_batch(call, ops, 2, until);
    for (size_t i = 1; i < n_msgs && alive; i++) {
        memset(ops, 0, sizeof ops);
        ops[0].op = GRPC_OP_SEND_MESSAGE;
        ops[0].data.send_message.send_message = msgs[i];
        alive = run_batch(call, ops, 1, until);
    }
    for (size_t i = 0; i < n_msgs; i++)
        grpc_byte_buffer_destroy(msgs[i]);

    grpc_metadata_array initial, trailing;
    grpc_metadata_array_init(&initial);
    grpc_metadata_array_init(&trailing);
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[1].data.recv_initial_metadata.recv_initial_metadata = &initial;
    run_batch(call, ops, 2, until);
    for (int i = 0; i < MAX_RECV; i++) {
        grpc_byte_buffer *got = NULL;
        memset(ops, 0, sizeof ops);
        ops[0].op = GRPC_OP_RECV_MESSAGE;
        ops[0].data.recv_message.recv_message = &got;
        int ok = run_batch(call, ops, 1, until);
        if (got == NULL)
            break;
        grpc_byte_buffer_destroy(got);
        if (!ok)
            break;
        if (i == MAX_RECV - 1)
            grpc_call_cancel(call, NULL);
    }
    grpc_status_code status = GRPC_STATUS_OK;
    grpc_slice details = grpc_empty_slice();
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[0].data.recv_status_on_client.trailing_metadata = &trailing;
    ops[0].data.recv_status_on_client.status = &status;
    ops[0].data.recv_status_on_client.status_details = &details;
    run_batch(call, ops, 1, until);
    /* The server must answer every request with a status of its own, never
     * by dropping the connection. */
    if (status == GRPC_STATUS_UNAVAILABLE || status == GRPC_STATUS_UNKNOWN) {
        char *text = grpc_slice_to_c_string(details);
        fprintf(stderr, "fuzz_rpc: %s answered %d: %s\n", m->path, (int)status, text);
        gpr_free(text);
        abort();
    }
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&initial);
    grpc_metadata_array_destroy(&trailing);
    grpc_call_unref(call);
    return 0;
}
