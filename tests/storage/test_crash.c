/*
 * test_crash.c - SIGKILL at random moments. A child process makes
 * acknowledged writes (record + feed entry + audit entry per mutation) and
 * chunked blob appends, reporting each acknowledgement through a pipe; the
 * parent kills it after a random delay (sometimes while it is still opening
 * the store), then reopens the store and checks that every acknowledged write
 * is present, that the whole audit chain verifies, and that each staged
 * upload resumes from (at least) its acknowledged committed offset. The
 * uploads' final SHA-256 check proves the resumed bytes are the right ones.
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "ins_sha256.h"
#include "helpers.h"
#include "ins_audit.h"
#include "ins_blob.h"
#include "ins_feed.h"
#include "store_impl.h"

#define ROUNDS    200
#define MAX_RECS  200000
#define UPLOADS   400
#define UP_CHUNK  16384
#define UP_CHUNKS 12
#define UP_SIZE   (UP_CHUNK * UP_CHUNKS)

typedef struct ack {
    uint32_t kind; /* 'R' record id, 'B' upload offset, 'F' upload finished */
    uint32_t u;
    uint64_t v;
} ack;

static uint8_t up_data[UP_SIZE];

static void up_fill(uint32_t u)
{
    for (size_t i = 0; i < UP_SIZE; i++)
        up_data[i] = (uint8_t)(i * 13 + u * 101 + (i >> 8));
}

static void up_id(uint32_t u, char *id, size_t n)
{
    snprintf(id, n, "upload-%u", u);
}

typedef struct rec {
    uint32_t id;
} rec;

static int rec_apply(ins_wtxn *t, void *arg)
{
    rec *r = arg;
    char key[16], val[32];
    snprintf(key, sizeof(key), "r%08u", r->id);
    snprintf(val, sizeof(val), "value-%u", r->id);
    int rc = ins_wtxn_put(t, T_REC, key, strlen(key), val, strlen(val), 0);
    if (rc == 0)
        rc = ins_wtxn_feed(t, "rec", key, strlen(key), "put", NULL, 0, NULL);
    if (rc == 0)
        rc = ins_wtxn_audit(t, "crash-child", "put", key, strlen(key), val, strlen(val), NULL);
    return rc;
}

static void send_ack(int fd, uint32_t kind, uint32_t u, uint64_t v)
{
    ack a = {kind, u, v};
    if (write(fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
        _exit(4);
}

/* Never returns: killed by the parent, or exits non-zero on a failed check. */
static void child(const char *dir, int fd, uint32_t next_rec, uint32_t up)
{
    ins_store_options o = test_options(dir);
    ins_store *s;
    char id[32];
    uint8_t sha[32];
    uint64_t off;
    if (ins_store_open(&o, &s) != 0)
        _exit(2);
    up_fill(up);
    ins_sha256(up_data, UP_SIZE, sha);
    if (ins_blob_stat(s, sha, NULL) == 0) { /* finished before the ack got out */
        send_ack(fd, 'F', up, 0);
        up_fill(++up);
        ins_sha256(up_data, UP_SIZE, sha);
    }
    up_id(up, id, sizeof(id));
    if (ins_blob_stage_begin(s, id, UP_SIZE, sha, &off) != 0)
        _exit(3);
    for (;;) {
        rec r = {next_rec};
        if (ins_store_exec(s, rec_apply, &r) != 0)
            _exit(5);
        send_ack(fd, 'R', next_rec++, 0);
        if (off < UP_SIZE) { /* resumed uploads may be complete already */
            if (ins_blob_append(s, id, off, up_data + off, UP_CHUNK, &off) != 0)
                _exit(6);
            send_ack(fd, 'B', up, off);
        }
        if (off == UP_SIZE) {
            if (ins_blob_finish(s, id, NULL) != 0)
                _exit(7); /* resumed bytes were wrong */
            send_ack(fd, 'F', up, 0);
            up++;
            up_fill(up);
            ins_sha256(up_data, UP_SIZE, sha);
            up_id(up, id, sizeof(id));
            if (ins_blob_stage_begin(s, id, UP_SIZE, sha, &off) != 0)
                _exit(3);
        }
    }
}

typedef struct state {
    uint32_t recs_acked; /* ids 0..recs_acked-1 acknowledged */
    uint32_t up;         /* current upload */
    uint64_t up_off;     /* its acknowledged offset */
    uint32_t finished;   /* uploads acknowledged finished: 0..finished-1 */
} state;

static void take_ack(state *st, const ack *a)
{
    if (a->kind == 'R') {
        ck_assert_uint_eq(a->u, st->recs_acked);
        st->recs_acked++;
    } else if (a->kind == 'B') {
        ck_assert_uint_eq(a->u, st->up);
        st->up_off = a->v;
    } else {
        st->finished = a->u + 1;
        st->up = a->u + 1;
        st->up_off = 0;
    }
}

static void read_acks(int fd, state *st, int timeout_ms)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long left =
            timeout_ms - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (timeout_ms >= 0 && left <= 0)
            return;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms < 0 ? -1 : (int)left) <= 0)
            return;
        ack a;
        ssize_t n = read(fd, &a, sizeof(a));
        if (n == 0)
            return; /* EOF */
        ck_assert_int_eq(n, sizeof(a));
        take_ack(st, &a);
    }
}

static void check_after_restart(const char *dir, const state *st)
{
    ins_store *s = open_store(dir);
    char key[16], buf[32], want[32], id[32];
    ins_rtxn *r;
    ins_val v;
    ck_assert_int_eq(ins_store_read_begin(s, &r), 0);
    for (uint32_t i = 0; i < st->recs_acked; i++) {
        snprintf(key, sizeof(key), "r%08u", i);
        snprintf(want, sizeof(want), "value-%u", i);
        ck_assert_int_eq(ins_rtxn_get(r, T_REC, key, strlen(key), &v), 0);
        ck_assert_uint_eq(v.len, strlen(want));
        ck_assert_int_eq(memcmp(v.data, want, v.len), 0);
    }
    ins_rtxn_end(r);
    uint64_t bad = 0;
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ck_assert_uint_ge(ins_audit_last(s), st->recs_acked);
    uint64_t off = 0;
    up_id(st->up, id, sizeof(id));
    int rc = ins_blob_status(s, id, &off, NULL);
    if (rc == INS_ENOTFOUND) {
        /* never staged, or finished before the acknowledgement got out */
        if (st->up_off > 0) {
            uint8_t sha[32];
            up_fill(st->up);
            ins_sha256(up_data, UP_SIZE, sha);
            ck_assert_int_eq(ins_blob_stat(s, sha, NULL), 0);
        }
    } else {
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_ge(off, st->up_off);
    }
    if (st->finished) { /* the last acknowledged finish is stored */
        uint8_t sha[32];
        up_fill(st->finished - 1);
        ins_sha256(up_data, UP_SIZE, sha);
        ck_assert_int_eq(ins_blob_stat(s, sha, NULL), 0);
    }
    (void)buf;
    ins_store_close(s);
}

START_TEST(test_crash_sigkill_keeps_acknowledged_writes)
{
    char *dir = tmp_dir();
    state st = {0};
    int kills = 0;
    srandom((unsigned)time(NULL));
    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(p[0]);
            child(dir, p[1], st.recs_acked, st.up);
        }
        close(p[1]);
        read_acks(p[0], &st, (int)(random() % 60));
        kill(pid, SIGKILL);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        read_acks(p[0], &st, -1); /* acks written before the kill */
        close(p[0]);
        if (WIFEXITED(status))
            ck_abort_msg("child exited with %d before the kill", WEXITSTATUS(status));
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        kills++;
        check_after_restart(dir, &st);
    }
    ck_assert_int_ge(kills, ROUNDS);
    ck_assert_uint_gt(st.recs_acked, ROUNDS / 2);
    ck_assert_uint_gt(st.finished, 0);
    rm_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("test_crash_sigkill_keeps_acknowledged_writes");
    tcase_set_timeout(tc, 230);
    tcase_add_test(tc, test_crash_sigkill_keeps_acknowledged_writes);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
