/*
 * harness.h - a real inspectd process for integration tests.
 *
 * Each test starts its own server: the binary built in this tree (its path
 * comes from the INSPECTD_PATH compile definition), on 127.0.0.1 port 0,
 * with a fresh mkdtemp folder for its data, its port file and its stderr.
 * Tokens are signed in-process with the server's own key (auth.c is linked
 * in), so no other binary is needed. ins_ts_stop() sends SIGTERM, returns
 * the exit status and removes the folder.
 *
 * The server is started with PR_SET_PDEATHSIG, so a test that crashes or
 * times out never leaves it running. Start servers before the test process
 * creates gRPC objects where it can: fork() after gRPC threads exist works
 * (the child only execs) but is the less travelled road.
 */
#ifndef INS_TEST_HARNESS_H
#define INS_TEST_HARNESS_H

#include <stdint.h>
#include <sys/types.h>

#include <check.h>

#include "ins_token.h"
#include "ins_client.h"

#define INS_TS_PATH_MAX 512

typedef struct ins_ts {
    pid_t pid;                         /* 0 once reaped */
    int port;                          /* bound port, 0 until known */
    char addr[64];                     /* "127.0.0.1:<port>" */
    char dir[INS_TS_PATH_MAX - 64];    /* temp folder, removed by stop */
    char data_dir[INS_TS_PATH_MAX];    /* dir/data */
    char port_file[INS_TS_PATH_MAX];   /* dir/port */
    char stderr_path[INS_TS_PATH_MAX]; /* dir/stderr.log */
    int exit_code;                     /* after exit: code, or 128 + signal */
} ins_ts;

/*
 * Clears `ts` and creates its temp folder, for a test that puts files there
 * (certificates) before ins_ts_spawn_prepared(). Returns 0, or -1 (with a
 * message on stderr).
 */
int ins_ts_init(ins_ts *ts);

/*
 * ins_ts_init(), then starts inspectd with `--listen 127.0.0.1:0
 * --data-dir D --port-file F` (no --listen when `args` has its own) and
 * `args` (NULL-terminated, may be NULL). Does not wait for the port.
 * Returns 0, or -1 when the folder cannot be made or fork fails.
 */
int ins_ts_spawn(ins_ts *ts, const char *const *args);

/* ins_ts_spawn() on a `ts` already set up by ins_ts_init(). */
int ins_ts_spawn_prepared(ins_ts *ts, const char *const *args);

/*
 * Waits up to `timeout_s` for the port file. Returns 0 with ts->port and
 * ts->addr set, or -1 (timed out or the server exited; its stderr is copied
 * to ours).
 */
int ins_ts_wait_port(ins_ts *ts, double timeout_s);

/* ins_ts_spawn() then ins_ts_wait_port(ts, 20). Fails the test on error. */
void ins_ts_start(ins_ts *ts, const char *const *args);

/* The same on a `ts` already set up by ins_ts_init(). */
void ins_ts_start_prepared(ins_ts *ts, const char *const *args);

/*
 * Waits up to `timeout_s` for the server to exit on its own. Returns its exit
 * code (128 + signal when killed), or -1 on timeout. `*elapsed_s` (may be
 * NULL) receives the time waited.
 */
int ins_ts_wait_exit(ins_ts *ts, double timeout_s, double *elapsed_s);

/*
 * Sends SIGTERM, waits up to 30 s (then SIGKILL), copies the server's stderr
 * to ours when the exit code is not 0, removes the folder. Returns the exit
 * code. Harmless on a server that already exited or never started.
 */
int ins_ts_stop(ins_ts *ts);

/* 1 when the server's stderr so far contains `needle` (case-insensitive). */
int ins_ts_stderr_contains(const ins_ts *ts, const char *needle);

/*
 * Signs a token with the key in `data_dir` (created if missing), valid for
 * `ttl_s` seconds from now (negative: already expired). Fails the test on
 * error. `out` must hold INS_TOKEN_MAX bytes.
 */
void ins_ts_token_for(const char *data_dir, ins_role role, const char *principal,
                      const char *department, int64_t ttl_s, char *out);

/* ins_ts_token_for() with the server's own data folder. */
void ins_ts_token(const ins_ts *ts, ins_role role, const char *principal, int64_t ttl_s, char *out);

/*
 * A plaintext client of the server with `token` (may be NULL) and a default
 * deadline of 10 s. Fails the test on error. Close with ins_client_close().
 */
ins_client *ins_ts_client(const ins_ts *ts, const char *token);

/*
 * Puts department `department` (an industry department) and, when
 * `inspector` is not NULL, an active inspector of it into the directory
 * through `admin` (a client with an admin's credentials), so principals of
 * those names pass the server's live directory check. Fails the test on
 * error.
 */
void ins_ts_directory_add(ins_client *admin, const char *department, const char *inspector);

/* Runs tests/integration/certs.sh into `outdir`. Fails the test on error. */
void ins_ts_make_certs(const char *outdir);

/* Removes a folder tree. Errors are ignored. */
void ins_rm_rf(const char *path);

/* Monotonic seconds. */
double ins_now_s(void);

/* Asserts a gRPC status code, naming both codes and the details on failure. */
#define ins_assert_status(code, expected, details)                                                 \
    ck_assert_msg((code) == (expected), "status %s (%d), expected %s: %s",                         \
                  ins_client_status_name(code), (int)(code), ins_client_status_name(expected),     \
                  (details) != NULL ? (details) : "")

#endif /* INS_TEST_HARNESS_H */
