/*
 * test_audit.c - inspect.v1.Audit against a real inspectd on the demo
 * district (seeds/ loaded with inspectctl): ListEvents by entity, actor and
 * time range with limit and resume; VerifyChain intact, and naming the
 * entry whose stored bytes were changed behind the server's back (LMDB
 * opened directly while the server is stopped); ExportDossier verified
 * offline by `inspectctl dossier verify`, and one flipped byte in a JSON
 * file, a record file, audit.json or the manifest found and named; the exact
 * statuses of bad input.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <check.h>
#include <grpc/status.h>
#include <lmdb.h>

#include "harness.h"
#include "inspect/v1/audit.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"

#ifndef INSPECTCTL_PATH
#error "INSPECTCTL_PATH must name the inspectctl binary"
#endif
#ifndef SEEDS_DIR
#error "SEEDS_DIR must name the seeds folder"
#endif

#define APP "XD-2026-001201" /* a seeded application, in intake */

typedef struct run_result {
    int code;
    char out[16384];
    char err[16384];
} run_result;

static void slurp(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void ctl(const ins_ts *ts, const char *args, run_result *r)
{
    char out[INS_TS_PATH_MAX + 16], err[INS_TS_PATH_MAX + 16], cmd[8192];
    snprintf(out, sizeof out, "%s/ctl.out", ts->dir);
    snprintf(err, sizeof err, "%s/ctl.err", ts->dir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", INSPECTCTL_PATH, args, out, err);
    int st = system(cmd);
    r->code = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

/* A server with the demo district loaded. */
static void start_seeded(ins_ts *ts)
{
    ins_ts_start(ts, NULL);
    run_result r;
    char args[2048];
    snprintf(args, sizeof args, "seed load '%s' --data-dir '%s' --server %s", SEEDS_DIR,
             ts->data_dir, ts->addr);
    ctl(ts, args, &r);
    ck_assert_msg(r.code == 0, "seed load: exit %d: %s", r.code, r.err);
}

/* Dispatcher: APP to review, then a task on it. Returns the task id (static). */
static const char *mutate(const ins_ts *ts)
{
    static char task_id[64];
    char tok[INS_TOKEN_MAX];
    ins_ts_token(ts, INS_ROLE_DISPATCHER, "disp-1", 3600, tok);
    ins_client *c = ins_ts_client(ts, tok);
    char *details = NULL;
    ProtobufCMessage *resp = NULL;
    Inspect__V1__SetStageRequest st = INSPECT__V1__SET_STAGE_REQUEST__INIT;
    st.request_id = "aud-stage-1";
    st.id = APP;
    st.stage = INSPECT__V1__STAGE__STAGE_REVIEW;
    int code = ins_client_unary(c, "/inspect.v1.Licensing/SetStage", &st.base,
                                &inspect__v1__set_stage_response__descriptor, INS_TIMEOUT_DEFAULT,
                                &resp, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    protobuf_c_message_free_unpacked(resp, NULL);
    free(details);
    Inspect__V1__CreateTaskRequest ct = INSPECT__V1__CREATE_TASK_REQUEST__INIT;
    ct.request_id = "aud-task-1";
    ct.application_id = APP;
    code = ins_client_unary(c, "/inspect.v1.Dispatch/CreateTask", &ct.base,
                            &inspect__v1__create_task_response__descriptor, INS_TIMEOUT_DEFAULT,
                            &resp, &details);
    ins_assert_status(code, GRPC_STATUS_OK, details);
    snprintf(task_id, sizeof task_id, "%s", ((Inspect__V1__CreateTaskResponse *)resp)->task->id);
    protobuf_c_message_free_unpacked(resp, NULL);
    free(details);
    ins_client_close(c);
    return task_id;
}

/* Collects ListEvents into `out` (at most `cap`); returns the status. */
static int list(ins_client *c, const Inspect__V1__ListEventsRequest *req,
                Inspect__V1__AuditEvent **out, size_t cap, size_t *n)
{
    ins_stream *s;
    char *details = NULL;
    *n = 0;
    int code = ins_client_server_stream(c, "/inspect.v1.Audit/ListEvents", &req->base,
                                        &inspect__v1__audit_event__descriptor, INS_TIMEOUT_DEFAULT,
                                        &s, &details);
    if (code == 0) {
        ProtobufCMessage *m;
        while (ins_stream_recv(s, INS_TIMEOUT_NONE, &m) == 1) {
            if (*n < cap)
                out[(*n)++] = (Inspect__V1__AuditEvent *)m;
            else
                protobuf_c_message_free_unpacked(m, NULL);
        }
        code = ins_stream_finish(s, &details);
    }
    free(details);
    return code;
}

static void free_events(Inspect__V1__AuditEvent **ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&ev[i]->base, NULL);
}

static Inspect__V1__VerifyChainResponse *verify(ins_client *c, uint64_t from, uint64_t to,
                                                int *code)
{
    Inspect__V1__VerifyChainRequest req = INSPECT__V1__VERIFY_CHAIN_REQUEST__INIT;
    req.from_seq = from;
    req.to_seq = to;
    ProtobufCMessage *resp = NULL;
    char *details = NULL;
    *code = ins_client_unary(c, "/inspect.v1.Audit/VerifyChain", &req.base,
                             &inspect__v1__verify_chain_response__descriptor, INS_TIMEOUT_DEFAULT,
                             &resp, &details);
    free(details);
    return (Inspect__V1__VerifyChainResponse *)resp;
}

START_TEST(test_audit_list_events_entity_actor_range)
{
    ins_ts ts;
    start_seeded(&ts);
    const char *task = mutate(&ts);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_AUDITOR, "aud-1", 3600, tok);
    ins_client *c = ins_ts_client(&ts, tok);
    Inspect__V1__AuditEvent *ev[512];
    size_t n;

    /* the application's trail: created, then the stage move, in order */
    Inspect__V1__ListEventsRequest req = INSPECT__V1__LIST_EVENTS_REQUEST__INIT;
    req.entity = "application/" APP;
    ck_assert_int_eq(list(c, &req, ev, 512, &n), 0);
    ck_assert_uint_ge(n, 2);
    ck_assert_str_eq(ev[0]->action, "application.created");
    ck_assert_str_eq(ev[n - 1]->action, "application.stage");
    ck_assert_str_eq(ev[n - 1]->actor, "disp-1");
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(ev[i]->entity, "application/" APP);
        ck_assert_uint_eq(ev[i]->hash.len, 32);
        ck_assert_uint_eq(ev[i]->record_sha256.len, 32);
        if (i)
            ck_assert_uint_gt(ev[i]->seq, ev[i - 1]->seq);
    }
    uint64_t first = ev[0]->seq;
    size_t total = n;
    free_events(ev, n);

    /* limit, then resume after the last seen */
    req.limit = 1;
    ck_assert_int_eq(list(c, &req, ev, 512, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(ev[0]->seq, first);
    free_events(ev, n);
    req.limit = 0;
    req.after_seq = first;
    ck_assert_int_eq(list(c, &req, ev, 512, &n), 0);
    ck_assert_uint_eq(n, total - 1);
    ck_assert_uint_gt(ev[0]->seq, first);
    free_events(ev, n);

    /* the task's trail */
    char entity[128];
    snprintf(entity, sizeof entity, "task/%s", task);
    Inspect__V1__ListEventsRequest treq = INSPECT__V1__LIST_EVENTS_REQUEST__INIT;
    treq.entity = entity;
    ck_assert_int_eq(list(c, &treq, ev, 512, &n), 0);
    ck_assert_uint_ge(n, 1);
    ck_assert_str_eq(ev[0]->entity, entity);
    free_events(ev, n);

    /* by actor: only the dispatcher's two changes (stage, task) and what
     * they caused under its name, in order */
    Inspect__V1__ListEventsRequest areq = INSPECT__V1__LIST_EVENTS_REQUEST__INIT;
    areq.actor = "disp-1";
    ck_assert_int_eq(list(c, &areq, ev, 512, &n), 0);
    ck_assert_uint_ge(n, 2);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(ev[i]->actor, "disp-1");
        if (i)
            ck_assert_uint_gt(ev[i]->seq, ev[i - 1]->seq);
    }
    free_events(ev, n);

    /* a time range: the last hour, with a limit, then all of it (every
     * entry of this fresh store, in sequence order from 1) */
    Inspect__V1__ListEventsRequest rreq = INSPECT__V1__LIST_EVENTS_REQUEST__INIT;
    rreq.from_unix = (int64_t)time(NULL) - 3600;
    rreq.limit = 150;
    ck_assert_int_eq(list(c, &rreq, ev, 512, &n), 0);
    ck_assert_uint_eq(n, 150);
    free_events(ev, n);
    rreq.limit = 0;
    ck_assert_int_eq(list(c, &rreq, ev, 512, &n), 0);
    ck_assert_uint_gt(n, 150);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(ev[i]->seq, i + 1);
    free_events(ev, n);
    rreq.from_unix = 1;
    rreq.to_unix = 2;
    rreq.limit = 0;
    ck_assert_int_eq(list(c, &rreq, ev, 512, &n), 0);
    ck_assert_uint_eq(n, 0);

    /* bad input */
    rreq.from_unix = 10;
    rreq.to_unix = 5;
    ck_assert_int_eq(list(c, &rreq, ev, 512, &n), GRPC_STATUS_INVALID_ARGUMENT);
    ins_client_close(c);

    ins_ts_token(&ts, INS_ROLE_DISPATCHER, "disp-1", 3600, tok);
    c = ins_ts_client(&ts, tok);
    ck_assert_int_eq(list(c, &req, ev, 512, &n), GRPC_STATUS_PERMISSION_DENIED);
    int code;
    ck_assert_ptr_null(verify(c, 0, 0, &code));
    ck_assert_int_eq(code, GRPC_STATUS_PERMISSION_DENIED);
    ins_client_close(c);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/* Flips the bits of one byte of the value of audit entry `seq`, inside its
 * actor text, so the entry still decodes but no longer hashes. */
static void tamper_audit(const char *data_dir, uint64_t seq, const char *actor)
{
    char path[INS_TS_PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/meta", data_dir);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    ck_assert_int_eq(mdb_env_set_maxdbs(env, 128), 0);
    ck_assert_int_eq(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    ck_assert_int_eq(mdb_env_open(env, path, 0, 0644), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, "_audit", 0, &dbi), 0);
    uint8_t k[8];
    for (int i = 0; i < 8; i++)
        k[i] = (uint8_t)(seq >> (56 - 8 * i));
    MDB_val key = {8, k}, val;
    ck_assert_int_eq(mdb_get(txn, dbi, &key, &val), 0);
    uint8_t *copy = malloc(val.mv_size);
    memcpy(copy, val.mv_data, val.mv_size);
    uint8_t *at = memmem(copy, val.mv_size, actor, strlen(actor));
    ck_assert_ptr_nonnull(at);
    at[0] ^= 0x20; /* "seed-admin" -> "Seed-admin" */
    MDB_val nv = {val.mv_size, copy};
    ck_assert_int_eq(mdb_put(txn, dbi, &key, &nv, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    free(copy);
}

START_TEST(test_audit_verify_chain_names_changed_entry)
{
    ins_ts ts;
    start_seeded(&ts);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_AUDITOR, "aud-1", 3600, tok);
    ins_client *c = ins_ts_client(&ts, tok);
    int code;
    Inspect__V1__VerifyChainResponse *v = verify(c, 0, 0, &code);
    ins_assert_status(code, GRPC_STATUS_OK, "");
    ck_assert(v->intact);
    ck_assert_uint_eq(v->first_bad_seq, 0);
    ck_assert_uint_eq(v->checked_from, 1);
    uint64_t last = v->checked_to;
    ck_assert_uint_gt(last, 20);
    ck_assert_uint_eq(v->head_hash.len, 32);

    /* the head hash is the last entry's hash */
    Inspect__V1__ListEventsRequest req = INSPECT__V1__LIST_EVENTS_REQUEST__INIT;
    req.after_seq = last - 1;
    Inspect__V1__AuditEvent *ev[4];
    size_t n;
    ck_assert_int_eq(list(c, &req, ev, 4, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_mem_eq(ev[0]->hash.data, v->head_hash.data, 32);
    free_events(ev, n);
    protobuf_c_message_free_unpacked(&v->base, NULL);

    /* a range within; ranges past the end */
    v = verify(c, 5, 10, &code);
    ins_assert_status(code, GRPC_STATUS_OK, "");
    ck_assert(v->intact);
    ck_assert_uint_eq(v->checked_to, 10);
    protobuf_c_message_free_unpacked(&v->base, NULL);
    ck_assert_ptr_null(verify(c, last + 1, 0, &code));
    ck_assert_int_eq(code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_ptr_null(verify(c, 1, last + 5, &code));
    ck_assert_int_eq(code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_ptr_null(verify(c, 10, 5, &code));
    ck_assert_int_eq(code, GRPC_STATUS_INVALID_ARGUMENT);
    ins_client_close(c);

    /* stop, change one byte of entry 3 on disk, start on the same folder */
    kill(ts.pid, SIGTERM);
    ck_assert_int_eq(ins_ts_wait_exit(&ts, 30, NULL), 0);
    tamper_audit(ts.data_dir, 3, "seed-admin");
    remove(ts.port_file);
    ins_ts_start_prepared(&ts, NULL);
    c = ins_ts_client(&ts, tok);
    v = verify(c, 0, 0, &code);
    ins_assert_status(code, GRPC_STATUS_OK, "");
    ck_assert(!v->intact);
    ck_assert_uint_eq(v->first_bad_seq, 3);
    ck_assert_msg(strstr(v->message, "entry 3") != NULL, "%s", v->message);
    protobuf_c_message_free_unpacked(&v->base, NULL);
    /* after it the chain still links */
    v = verify(c, 4, 0, &code);
    ins_assert_status(code, GRPC_STATUS_OK, "");
    ck_assert(v->intact);
    protobuf_c_message_free_unpacked(&v->base, NULL);
    ins_client_close(c);

    /* the CLI says the same and exits 1 */
    run_result r;
    char args[2048];
    snprintf(args, sizeof args, "--server %s --token %s audit verify", ts.addr, tok);
    ctl(&ts, args, &r);
    ck_assert_msg(r.code == 1, "exit %d: %s %s", r.code, r.out, r.err);
    ck_assert_msg(strstr(r.out, "BROKEN at entry 3") != NULL, "%s", r.out);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

/* Reads a whole file; NULL when it cannot. Caller frees. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

/* Writes `orig` with the byte at the `nth` occurrence of `needle` flipped
 * to `path`. */
static void write_flipped(const char *path, const char *orig, size_t len, const char *needle,
                          int nth)
{
    char *copy = malloc(len);
    memcpy(copy, orig, len);
    char *at = copy;
    size_t nl = strlen(needle);
    for (int i = 0; i <= nth; i++) {
        char *from = i ? at + 1 : copy;
        at = memmem(from, len - (size_t)(from - copy), needle, nl);
        ck_assert_msg(at != NULL, "'%s' (#%d) not in the archive", needle, nth);
    }
    at[nl / 2] ^= 0x01;
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(copy, 1, len, f), len);
    fclose(f);
    free(copy);
}

START_TEST(test_audit_dossier_export_verify_tamper)
{
    ins_ts ts;
    start_seeded(&ts);
    const char *task = mutate(&ts);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_AUDITOR, "aud-1", 3600, tok);
    run_result r;
    char args[4096], file[INS_TS_PATH_MAX + 32], bad[INS_TS_PATH_MAX + 32];
    snprintf(file, sizeof file, "%s/dossier.tar", ts.dir);
    snprintf(bad, sizeof bad, "%s/bad.tar", ts.dir);
    snprintf(args, sizeof args, "--server %s --token %s dossier export %s -o '%s'", ts.addr, tok,
             APP, file);
    ctl(&ts, args, &r);
    ck_assert_msg(r.code == 0, "export: exit %d: %s", r.code, r.err);

    snprintf(args, sizeof args, "dossier verify '%s'", file);
    ctl(&ts, args, &r);
    ck_assert_msg(r.code == 0, "verify: exit %d: %s", r.code, r.err);
    ck_assert_msg(strstr(r.out, "OK ") != NULL, "%s", r.out);

    size_t len;
    char *orig = read_all(file, &len);
    ck_assert_ptr_nonnull(orig);
    char task_json[128];
    snprintf(task_json, sizeof task_json, "tasks/%s.json", task);
    ck_assert_msg(memmem(orig, len, task_json, strlen(task_json)) != NULL, "no %s", task_json);

    /* One flipped byte in each kind of file is named. The needles occur only
     * in the file named (the credit code: first in application.json, then
     * in the application's record bytes). */
    static const struct {
        const char *needle;
        int nth;
        const char *named;
    } flips[] = {
        {"\"service_item\"", 0, "application.json"},
        {"92510114MAF15MGK8W", 1, "records/application/" APP ".pb"},
        {"\"hash_rule\"", 0, "audit.json"},
        {"\"chain_head\"", 0, "manifest.json"},
    };
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        write_flipped(bad, orig, len, flips[i].needle, flips[i].nth);
        snprintf(args, sizeof args, "dossier verify '%s'", bad);
        ctl(&ts, args, &r);
        ck_assert_msg(r.code == 1, "flip in %s: exit %d", flips[i].named, r.code);
        ck_assert_msg(strstr(r.err, flips[i].named) != NULL, "flip in %s not named: %s",
                      flips[i].named, r.err);
    }
    /* a changed audit field: the entry is named by its sequence */
    write_flipped(bad, orig, len, "\"application.stage\"", 0);
    ctl(&ts, args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(r.err, "does not hash") != NULL, "%s", r.err);
    free(orig);

    /* bad input */
    ins_client *c = ins_ts_client(&ts, tok);
    Inspect__V1__ExportDossierRequest req = INSPECT__V1__EXPORT_DOSSIER_REQUEST__INIT;
    req.application_id = "XD-NO-SUCH";
    ins_stream *s;
    char *details = NULL;
    int code = ins_client_server_stream(c, "/inspect.v1.Audit/ExportDossier", &req.base,
                                        &inspect__v1__dossier_chunk__descriptor,
                                        INS_TIMEOUT_DEFAULT, &s, &details);
    ProtobufCMessage *m;
    if (code == 0) {
        ck_assert_int_eq(ins_stream_recv(s, INS_TIMEOUT_NONE, &m), 0);
        code = ins_stream_finish(s, &details);
    }
    ins_assert_status(code, GRPC_STATUS_NOT_FOUND, details);
    free(details);
    details = NULL;
    req.application_id = "";
    code = ins_client_server_stream(c, "/inspect.v1.Audit/ExportDossier", &req.base,
                                    &inspect__v1__dossier_chunk__descriptor, INS_TIMEOUT_DEFAULT,
                                    &s, &details);
    if (code == 0) {
        ck_assert_int_eq(ins_stream_recv(s, INS_TIMEOUT_NONE, &m), 0);
        code = ins_stream_finish(s, &details);
    }
    ins_assert_status(code, GRPC_STATUS_INVALID_ARGUMENT, details);
    free(details);
    ins_client_close(c);

    snprintf(args, sizeof args, "--server %s --token %s dossier export %s -o '%s'", ts.addr, tok,
             "XD-NO-SUCH", bad);
    ctl(&ts, args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(r.err, "NOT_FOUND") != NULL, "%s", r.err);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("audit");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_audit_list_events_entity_actor_range);
    tcase_add_test(tc, test_audit_verify_chain_names_changed_entry);
    tcase_add_test(tc, test_audit_dossier_export_verify_tamper);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
