/*
 * test_store.c - the store: group commit, failure isolation, push-back,
 * change feed, idempotency, audit chain, map growth and the maximum, schema
 * versions and migrations, backup and restore, the folder lock.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "ins_sha256.h"
#include "helpers.h"
#include "ins_audit.h"
#include "ins_backup.h"
#include "ins_blob.h"
#include "ins_feed.h"
#include "ins_key.h"
#include "store_impl.h"

/* A mutation that holds the writer until released: lets a test queue a
 * batch behind it. Test-only; real applies never block. */
static sem_t gate_entered, gate_release;
static int gate_apply(ins_wtxn *t, void *arg)
{
    sem_post(&gate_entered);
    sem_wait(&gate_release);
    return 0;
}

static void hold_writer(ins_store *s, ins_mutation *gate)
{
    sem_init(&gate_entered, 0, 0);
    sem_init(&gate_release, 0, 0);
    memset(gate, 0, sizeof(*gate));
    gate->apply = gate_apply;
    ck_assert_int_eq(ins_store_submit(s, gate), 0);
    sem_wait(&gate_entered);
}

START_TEST(test_store_put_get_roundtrip)
{
    char *dir = tmp_dir(), buf[64];
    ins_store *s = open_store(dir);
    kv p = {"k1", "v1"};
    ck_assert_int_eq(ins_store_exec(s, put_apply, &p), 0);
    ck_assert_int_eq(read_rec(s, "k1", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "v1");
    ck_assert_int_eq(read_rec(s, "nope", buf, sizeof(buf)), INS_ENOTFOUND);
    ins_store_close(s);
    s = open_store(dir);
    ck_assert_int_eq(read_rec(s, "k1", buf, sizeof(buf)), 0);
    ins_store_close(s);
    ins_store_close(NULL);
    rm_dir(dir);
}
END_TEST

/* ---- group commit with many submitting threads ---- */

#define GC_THREADS 16
#define GC_EACH    150

typedef struct gc_call {
    ins_mutation m;
    ins_store *s;
    char key[32];
    uint64_t seq;
    int err, visible;
    sem_t done;
} gc_call;

static int gc_apply(ins_wtxn *t, void *arg)
{
    gc_call *c = arg;
    int rc = ins_wtxn_put(t, T_REC, c->key, strlen(c->key), "v", 1, 0);
    if (rc == 0)
        rc = ins_wtxn_feed(t, "rec", c->key, strlen(c->key), "created", NULL, 0, &c->seq);
    return rc;
}

static atomic_ulong commits_seen[GC_THREADS * GC_EACH + 1];

static void gc_done(void *arg, int err, const ins_result *r)
{
    gc_call *c = arg;
    char buf[8];
    c->err = err;
    /* Completed only after commit: a fresh snapshot must see the record. */
    c->visible = read_rec(c->s, c->key, buf, sizeof(buf)) == 0 && r->feed_seq >= c->seq &&
                 ins_feed_last(c->s) >= c->seq;
    atomic_store(&commits_seen[c->seq], r->feed_seq);
    sem_post(&c->done);
}

static void *gc_thread(void *arg)
{
    gc_call *calls = arg;
    for (int i = 0; i < GC_EACH; i++) {
        gc_call *c = &calls[i];
        c->m.apply = gc_apply;
        c->m.done = gc_done;
        c->m.arg = c;
        int rc;
        while ((rc = ins_store_submit(c->s, &c->m)) == INS_EBUSY)
            usleep(100);
        ck_assert_int_eq(rc, 0);
        sem_wait(&c->done);
    }
    return NULL;
}

START_TEST(test_writer_group_commit_many_threads)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    static gc_call calls[GC_THREADS][GC_EACH];
    pthread_t th[GC_THREADS];
    for (int t = 0; t < GC_THREADS; t++)
        for (int i = 0; i < GC_EACH; i++) {
            memset(&calls[t][i], 0, sizeof(gc_call));
            calls[t][i].s = s;
            sem_init(&calls[t][i].done, 0, 0);
            snprintf(calls[t][i].key, sizeof(calls[t][i].key), "t%02d-%04d", t, i);
        }
    for (int t = 0; t < GC_THREADS; t++)
        pthread_create(&th[t], NULL, gc_thread, calls[t]);
    for (int t = 0; t < GC_THREADS; t++)
        pthread_join(th[t], NULL);
    size_t distinct = 0;
    uint64_t prev = 0;
    for (int t = 0; t < GC_THREADS; t++)
        for (int i = 0; i < GC_EACH; i++) {
            ck_assert_int_eq(calls[t][i].err, 0);
            ck_assert_int_eq(calls[t][i].visible, 1);
        }
    for (size_t q = 1; q <= GC_THREADS * GC_EACH; q++) {
        uint64_t c = atomic_load(&commits_seen[q]);
        ck_assert_uint_ge(c, q);
        if (c != prev)
            distinct++;
        prev = c;
    }
    ck_assert_uint_eq(ins_feed_last(s), GC_THREADS * GC_EACH);
    ck_assert_uint_lt(distinct, GC_THREADS * GC_EACH); /* commits were shared */
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

typedef struct iso_call {
    ins_mutation m;
    kv p;
    char key[16];
    int err;
    uint64_t batch;
} iso_call;

static void iso_done(void *arg, int err, const ins_result *r)
{
    iso_call *c = arg;
    c->err = err;
    c->batch = r->feed_seq;
}

static int iso_feed_put(ins_wtxn *t, void *arg)
{
    iso_call *c = arg;
    int rc = put_apply(t, &c->p);
    return rc ? rc : ins_wtxn_feed(t, "rec", c->key, strlen(c->key), "created", NULL, 0, NULL);
}

static int iso_feed_fail(ins_wtxn *t, void *arg)
{
    int rc = iso_feed_put(t, arg);
    return rc ? rc : INS_ECONFLICT;
}

START_TEST(test_writer_failure_rolled_back_alone)
{
    char *dir = tmp_dir(), buf[16];
    ins_store *s = open_store(dir);
    ins_mutation gate;
    iso_call c[30];
    hold_writer(s, &gate);
    for (int i = 0; i < 30; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        snprintf(c[i].key, sizeof(c[i].key), "k%02d", i);
        c[i].p = (kv){c[i].key, "v"};
        c[i].m.apply = i % 3 == 1 ? iso_feed_fail : iso_feed_put;
        c[i].m.done = iso_done;
        c[i].m.arg = &c[i];
        ck_assert_int_eq(ins_store_submit(s, &c[i].m), 0);
    }
    sem_post(&gate_release);
    ck_assert_int_eq(ins_feed_wait(s, 0, 10000), 0);
    ins_store_close(s); /* drains */
    s = open_store(dir);
    for (int i = 0; i < 30; i++) {
        ck_assert_uint_eq(c[i].batch, 20); /* all in one commit: 20 feed entries */
        if (i % 3 == 1) {
            ck_assert_int_eq(c[i].err, INS_ECONFLICT);
            ck_assert_int_eq(read_rec(s, c[i].key, buf, sizeof(buf)), INS_ENOTFOUND);
        } else {
            ck_assert_int_eq(c[i].err, 0);
            ck_assert_int_eq(read_rec(s, c[i].key, buf, sizeof(buf)), 0);
        }
    }
    ck_assert_uint_eq(ins_feed_last(s), 20); /* no gaps from the failures */
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_writer_queue_full_pushes_back)
{
    char *dir = tmp_dir();
    ins_store_options o = test_options(dir);
    o.queue_capacity = 4;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ins_mutation gate, m[5];
    kv p = {"k", "v"};
    hold_writer(s, &gate);
    for (int i = 0; i < 5; i++) {
        memset(&m[i], 0, sizeof(m[i]));
        m[i].apply = put_apply;
        m[i].arg = &p;
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(ins_store_submit(s, &m[i]), 0);
    ck_assert_int_eq(ins_store_submit(s, &m[4]), INS_EBUSY);
    ins_mutation bad = {0};
    ck_assert_int_eq(ins_store_submit(s, &bad), INS_EINVAL);
    sem_post(&gate_release);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* ---- change feed ---- */

static int feed_apply(ins_wtxn *t, void *arg)
{
    int *i = arg;
    static const char *const deps[] = {"fire", "health"};
    char key[16];
    snprintf(key, sizeof(key), "e%d", *i);
    return ins_wtxn_feed(t, "application", key, strlen(key), "updated", deps, (size_t)(*i % 3),
                         NULL);
}

typedef struct feed_seen {
    uint64_t seqs[32];
    size_t n;
    size_t deps[32];
} feed_seen;

static int feed_collect(void *arg, const ins_feed_entry *e)
{
    feed_seen *f = arg;
    ck_assert_str_eq(e->entity_kind, "application");
    ck_assert_str_eq(e->change, "updated");
    char key[16];
    snprintf(key, sizeof(key), "e%d", (int)e->seq);
    ck_assert_uint_eq(e->entity_key_len, strlen(key));
    ck_assert_int_eq(memcmp(e->entity_key, key, strlen(key)), 0);
    if (e->n_departments)
        ck_assert_str_eq(e->departments[0], "fire");
    f->deps[f->n] = e->n_departments;
    f->seqs[f->n++] = e->seq;
    return 0;
}

START_TEST(test_feed_cursor_reads_in_order)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    for (int i = 1; i <= 10; i++)
        ck_assert_int_eq(ins_store_exec(s, feed_apply, &i), 0);
    ck_assert_uint_eq(ins_feed_last(s), 10);
    ins_rtxn *r;
    feed_seen f = {0};
    uint64_t next;
    ck_assert_int_eq(ins_store_read_begin(s, &r), 0);
    ck_assert_int_eq(ins_feed_read(r, 0, 4, feed_collect, &f, &next), 0);
    ck_assert_uint_eq(f.n, 4);
    ck_assert_uint_eq(next, 4);
    ck_assert_int_eq(ins_feed_read(r, next, 100, feed_collect, &f, &next), 0);
    ck_assert_uint_eq(f.n, 10);
    ck_assert_uint_eq(next, 10);
    for (size_t i = 0; i < 10; i++) {
        ck_assert_uint_eq(f.seqs[i], i + 1);
        ck_assert_uint_eq(f.deps[i], (i + 1) % 3);
    }
    ck_assert_int_eq(ins_feed_read(r, 10, 100, feed_collect, &f, &next), 0);
    ck_assert_uint_eq(f.n, 10);
    ck_assert_uint_eq(next, 10);
    ins_rtxn_end(r);
    ins_store_close(s);
    s = open_store(dir); /* sequence continues after reopen */
    int i = 11;
    ck_assert_int_eq(ins_store_exec(s, feed_apply, &i), 0);
    ck_assert_uint_eq(ins_feed_last(s), 11);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

static atomic_ulong hook_seq;
static void hook(void *arg, uint64_t last)
{
    atomic_store(&hook_seq, last);
    sem_post((sem_t *)arg);
}

typedef struct waiter {
    ins_store *s;
    uint64_t after;
    int rc;
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    w->rc = ins_feed_wait(w->s, w->after, -1);
    return NULL;
}

START_TEST(test_feed_follower_woken_on_commit)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    sem_t hooked;
    sem_init(&hooked, 0, 0);
    ins_store_on_commit(s, hook, &hooked);
    ck_assert_int_eq(ins_feed_wait(s, 0, 30), INS_ETIMEDOUT);
    waiter w = {s, 0, -1};
    pthread_t th;
    pthread_create(&th, NULL, wait_thread, &w);
    usleep(20000);
    int i = 1;
    ck_assert_int_eq(ins_store_exec(s, feed_apply, &i), 0);
    pthread_join(th, NULL);
    ck_assert_int_eq(w.rc, 0);
    sem_wait(&hooked);
    ck_assert_uint_eq(atomic_load(&hook_seq), 1);
    /* A commit that adds no feed entry wakes nobody. */
    kv p = {"a", "b"};
    ck_assert_int_eq(ins_store_exec(s, put_apply, &p), 0);
    ck_assert_int_eq(sem_trywait(&hooked), -1);
    ck_assert_int_eq(ins_feed_wait(s, 1, 20), INS_ETIMEDOUT);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* ---- idempotency ---- */

typedef struct idem_call {
    ins_mutation m;
    int err, replayed, runs;
    char result[32];
    sem_t done;
} idem_call;

static int idem_apply(ins_wtxn *t, void *arg)
{
    idem_call *c = arg;
    c->runs++;
    char res[32];
    snprintf(res, sizeof(res), "result-%d", c->runs);
    kv p = {"counter", res};
    int rc = put_apply(t, &p);
    return rc ? rc : ins_wtxn_set_result(t, res, strlen(res));
}

static void idem_done(void *arg, int err, const ins_result *r)
{
    idem_call *c = arg;
    c->err = err;
    c->replayed = r->replayed;
    memset(c->result, 0, sizeof(c->result));
    if (r->data && r->len < sizeof(c->result))
        memcpy(c->result, r->data, r->len);
    sem_post(&c->done);
}

static int idem_run(ins_store *s, idem_call *c, const char *principal, const char *id,
                    uint8_t digest_byte)
{
    c->m.apply = idem_apply;
    c->m.done = idem_done;
    c->m.arg = c;
    c->m.principal = principal;
    c->m.request_id = id;
    memset(c->m.digest, digest_byte, 32);
    sem_init(&c->done, 0, 0);
    ck_assert_int_eq(ins_store_submit(s, &c->m), 0);
    sem_wait(&c->done);
    return c->err;
}

START_TEST(test_idem_same_request_returns_stored_result)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    idem_call c = {0};
    ck_assert_int_eq(idem_run(s, &c, "alice", "req-1", 1), 0);
    ck_assert_int_eq(c.replayed, 0);
    ck_assert_str_eq(c.result, "result-1");
    ck_assert_int_eq(idem_run(s, &c, "alice", "req-1", 1), 0);
    ck_assert_int_eq(c.replayed, 1);
    ck_assert_int_eq(c.runs, 1); /* apply did not run again */
    ck_assert_str_eq(c.result, "result-1");
    ins_store_close(s);
    s = open_store(dir); /* survives a restart */
    ck_assert_int_eq(idem_run(s, &c, "alice", "req-1", 1), 0);
    ck_assert_int_eq(c.replayed, 1);
    ck_assert_str_eq(c.result, "result-1");
    /* Another principal has its own namespace. */
    ck_assert_int_eq(idem_run(s, &c, "bob", "req-1", 1), 0);
    ck_assert_int_eq(c.replayed, 0);
    ck_assert_int_eq(c.runs, 2);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_idem_reuse_with_other_request_refused)
{
    char *dir = tmp_dir(), buf[32];
    ins_store *s = open_store(dir);
    idem_call c = {0};
    ck_assert_int_eq(idem_run(s, &c, "alice", "req-1", 1), 0);
    ck_assert_int_eq(idem_run(s, &c, "alice", "req-1", 2), INS_EREUSED);
    ck_assert_int_eq(c.runs, 1);
    ck_assert_int_eq(read_rec(s, "counter", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "result-1");
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

static _Atomic uint64_t fake_now = 1700000000ULL * 1000000000ULL;
static uint64_t fake_clock(void *arg)
{
    return atomic_load(&fake_now);
}

START_TEST(test_idem_entries_expire_in_sweep)
{
    char *dir = tmp_dir();
    ins_store_options o = test_options(dir);
    o.idempotency_days = 1;
    o.clock_ns = fake_clock;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    idem_call c = {0};
    ck_assert_int_eq(idem_run(s, &c, "alice", "old", 1), 0);
    atomic_fetch_add(&fake_now, 23ULL * 3600 * 1000000000ULL);
    ck_assert_int_eq(idem_run(s, &c, "alice", "new", 1), 0);
    ck_assert_int_eq(ins_store_sweep(s), 0); /* nothing a day old yet */
    ck_assert_int_eq(idem_run(s, &c, "alice", "old", 1), 0);
    ck_assert_int_eq(c.replayed, 1);
    atomic_fetch_add(&fake_now, 2ULL * 3600 * 1000000000ULL);
    ck_assert_int_eq(ins_store_sweep(s), 0);
    ck_assert_int_eq(idem_run(s, &c, "alice", "old", 2), 0); /* forgotten: runs again */
    ck_assert_int_eq(c.replayed, 0);
    ck_assert_int_eq(idem_run(s, &c, "alice", "new", 1), 0); /* still remembered */
    ck_assert_int_eq(c.replayed, 1);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* ---- audit chain ---- */

static int audit_apply(ins_wtxn *t, void *arg)
{
    int *i = arg;
    char key[16], rec[32];
    snprintf(key, sizeof(key), "app-%d", *i);
    snprintf(rec, sizeof(rec), "record body %d", *i);
    return ins_wtxn_audit(t, "dispatcher-7", "UpsertApplication", key, strlen(key), rec,
                          strlen(rec), NULL);
}

typedef struct flip {
    uint64_t seq;
    size_t at;
    size_t len;
} flip;

static int flip_apply(ins_wtxn *t, void *arg)
{
    flip *f = arg;
    uint8_t k[8], buf[512];
    ins_val v;
    ins_be64_put(k, f->seq);
    int rc = ins__get(t->txn, t->s->mdbi[MT_AUDIT], k, 8, &v);
    if (rc)
        return rc;
    f->len = v.len;
    memcpy(buf, v.data, v.len);
    buf[f->at % v.len] ^= 0x01;
    return ins__put(t, t->s->mdbi[MT_AUDIT], k, 8, buf, v.len, 0);
}

START_TEST(test_audit_flipped_byte_names_sequence)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint64_t bad = 99;
    for (int i = 1; i <= 12; i++)
        ck_assert_int_eq(ins_store_exec(s, audit_apply, &i), 0);
    ck_assert_uint_eq(ins_audit_last(s), 12);
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ck_assert_uint_eq(bad, 0);
    ck_assert_int_eq(ins_audit_verify(s, 5, 9, &bad), 0);
    flip f = {.seq = 7, .at = 0};
    ck_assert_int_eq(ins_store_exec(s, flip_apply, &f), 0);
    size_t len = f.len;
    ck_assert_int_eq(ins_store_exec(s, flip_apply, &f), 0); /* flip back */
    for (size_t at = 0; at < len; at++) {                   /* every byte of the entry */
        f.at = at;
        ck_assert_int_eq(ins_store_exec(s, flip_apply, &f), 0);
        ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), INS_ECORRUPT);
        ck_assert_uint_eq(bad, 7);
        ck_assert_int_eq(ins_store_exec(s, flip_apply, &f), 0);
    }
    ck_assert_int_eq(ins_audit_verify(s, 1, 12, &bad), 0);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

static int audit_count(void *arg, const ins_audit_entry *e)
{
    (*(int *)arg)++;
    ck_assert_str_eq(e->actor, "dispatcher-7");
    return 0;
}

START_TEST(test_audit_chain_continues_after_reopen)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    uint64_t bad;
    for (int i = 1; i <= 3; i++)
        ck_assert_int_eq(ins_store_exec(s, audit_apply, &i), 0);
    ins_store_close(s);
    s = open_store(dir);
    for (int i = 4; i <= 6; i++)
        ck_assert_int_eq(ins_store_exec(s, audit_apply, &i), 0);
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ins_rtxn *r;
    int n = 0;
    ck_assert_int_eq(ins_store_read_begin(s, &r), 0);
    ck_assert_int_eq(ins_audit_scan(r, 2, 5, audit_count, &n), 0);
    ins_rtxn_end(r);
    ck_assert_int_eq(n, 4);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* ---- map growth and the maximum ---- */

typedef struct bulk {
    int from, n;
    size_t vlen;
} bulk;

static int bulk_apply(ins_wtxn *t, void *arg)
{
    bulk *b = arg;
    char key[16], val[4096];
    memset(val, 'x', sizeof(val));
    for (int i = b->from; i < b->from + b->n; i++) {
        snprintf(key, sizeof(key), "b%06d", i);
        int rc = ins_wtxn_put(t, T_REC, key, strlen(key), val, b->vlen, 0);
        if (rc)
            return rc;
    }
    return ins_wtxn_audit(t, "bulk", "fill", "k", 1, NULL, 0, NULL);
}

START_TEST(test_store_map_grows_from_tiny)
{
    char *dir = tmp_dir(), buf[8];
    ins_store_options o = test_options(dir);
    o.initial_map_bytes = 64 << 10;
    ins_store *s;
    size_t meta0, meta1;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ins_store_map_sizes(s, &meta0, NULL);
    for (int i = 0; i < 20; i++) {
        bulk b = {i * 100, 100, 1000};
        ck_assert_int_eq(ins_store_exec(s, bulk_apply, &b), 0);
    }
    ins_store_map_sizes(s, &meta1, NULL);
    ck_assert_uint_gt(meta1, meta0);
    ck_assert_uint_ge(meta1, 2000 * 1000);
    ck_assert_int_eq(read_rec(s, "b001999", buf, sizeof(buf)), 0);
    uint64_t bad;
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ck_assert_uint_eq(ins_audit_last(s), 20);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_store_full_refuses_writes_serves_reads)
{
    char *dir = tmp_dir(), buf[8];
    ins_store_options o = test_options(dir);
    o.initial_map_bytes = 64 << 10;
    o.max_store_bytes = 1 << 20;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    int rc = 0, i;
    for (i = 0; i < 1000 && rc == 0; i++) {
        bulk b = {i * 10, 10, 2000};
        rc = ins_store_exec(s, bulk_apply, &b);
    }
    ck_assert_int_eq(rc, INS_EFULL);
    ck_assert_int_gt(i, 10);
    size_t meta, blobs, used, limit;
    ins_store_map_sizes(s, &meta, &blobs);
    ins_store_space(s, &used, &limit);
    ck_assert_uint_eq(limit, 1 << 20); /* one limit for meta and the stripes */
    ck_assert_uint_eq(meta + blobs, used);
    ck_assert_uint_eq(used, 1 << 20);
    bulk b = {100000, 10, 2000};
    ck_assert_int_eq(ins_store_exec(s, bulk_apply, &b), INS_EFULL);
    ck_assert_int_eq(read_rec(s, "b000000", buf, sizeof(buf)), 0); /* reads still served */
    uint64_t bad;
    ck_assert_int_eq(ins_audit_verify(s, 0, 0, &bad), 0);
    ck_assert_uint_eq(ins_audit_last(s), (uint64_t)(i - 1));
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

/* ---- schema ---- */

START_TEST(test_store_newer_schema_refused)
{
    char *dir = tmp_dir(), detail[256] = "";
    ins_store_options o = test_options(dir);
    o.schema_version = 5;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ins_store_close(s);
    o.schema_version = 4;
    o.err_detail = detail;
    o.err_detail_len = sizeof(detail);
    ck_assert_int_eq(ins_store_open(&o, &s), INS_ESCHEMA);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(detail, "newer inspectd"));
    ck_assert_ptr_nonnull(strstr(detail, "schema 5"));
    rm_dir(dir);
}
END_TEST

static char mig_log[16];
static int mig_fn(ins_wtxn *t, void *arg)
{
    size_t n = strlen(mig_log);
    mig_log[n] = *(const char *)arg;
    kv p = {"migrated", mig_log};
    return put_apply(t, &p);
}

START_TEST(test_store_migrations_run_in_order)
{
    char *dir = tmp_dir(), buf[16];
    ins_store_options o = test_options(dir);
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ins_store_close(s);
    ins_migration m[3] = {{4, mig_fn, "4"}, {2, mig_fn, "2"}, {3, mig_fn, "3"}};
    o.schema_version = 3;
    o.migrations = m;
    o.n_migrations = 3;
    mig_log[0] = '\0';
    ck_assert_int_eq(ins_store_open(&o, &s), 0);
    ck_assert_str_eq(mig_log, "23");
    ck_assert_int_eq(read_rec(s, "migrated", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "23");
    ins_store_close(s);
    mig_log[0] = '\0';
    ck_assert_int_eq(ins_store_open(&o, &s), 0); /* already at 3 */
    ck_assert_str_eq(mig_log, "");
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

START_TEST(test_store_reserved_table_name_refused)
{
    char *dir = tmp_dir();
    static const char *const bad[] = {"rec", "_feed", NULL};
    ins_store_options o = test_options(dir);
    o.tables = bad;
    ins_store *s;
    ck_assert_int_eq(ins_store_open(&o, &s), INS_EINVAL);
    rm_dir(dir);
}
END_TEST

/* ---- backup, restore, lock ---- */

static int blob_ref_apply(ins_wtxn *t, void *arg)
{
    return ins_wtxn_blob_ref(t, arg);
}

START_TEST(test_backup_restore_roundtrip)
{
    char *dir = tmp_dir(), *bak = tmp_dir(), *dst = tmp_dir(), buf[16], path[600];
    ins_store *s = open_store(dir);
    kv p = {"k", "v"};
    uint8_t sha[32], got[32], data[1000];
    memset(data, 7, sizeof(data));
    ins_sha256(data, sizeof(data), sha);
    ck_assert_int_eq(ins_store_exec(s, put_apply, &p), 0);
    ck_assert_int_eq(ins_blob_stage_begin(s, "u1", sizeof(data), sha, NULL), 0);
    ck_assert_int_eq(ins_blob_append(s, "u1", 0, data, sizeof(data), NULL), 0);
    ck_assert_int_eq(ins_blob_finish(s, "u1", got), 0);
    ck_assert_int_eq(ins_store_exec(s, blob_ref_apply, sha), 0);
    int fd;
    ck_assert_int_eq(ins_store_lock_dir(dir, &fd), 0); /* the "server" */
    snprintf(path, sizeof(path), "%s/copy", bak);
    ck_assert_int_eq(ins_store_backup_live(s, path, NULL), 0); /* while open and locked */
    ck_assert_int_eq(ins_store_backup_live(s, path, NULL), INS_EEXIST);
    ck_assert_int_eq(ins_store_restore(path, dir, NULL), INS_EBUSY);
    ins_store_close(s);
    ins_store_unlock_dir(fd);
    ck_assert_int_eq(ins_store_restore(path, dst, NULL), 0);
    s = open_store(dst);
    ck_assert_int_eq(read_rec(s, "k", buf, sizeof(buf)), 0);
    uint8_t back[1000];
    size_t n;
    ck_assert_int_eq(ins_blob_read(s, sha, 0, back, sizeof(back), &n), 0);
    ck_assert_uint_eq(n, sizeof(back));
    ck_assert_int_eq(memcmp(back, data, n), 0);
    ins_store_close(s);
    rm_dir(dir);
    rm_dir(bak);
    rm_dir(dst);
}
END_TEST

START_TEST(test_store_lock_dir_exclusive)
{
    char *dir = tmp_dir();
    int a, b;
    ck_assert_int_eq(ins_store_lock_dir(dir, &a), 0);
    ck_assert_int_eq(ins_store_lock_dir(dir, &b), INS_EBUSY);
    ck_assert_int_eq(b, -1);
    ins_store_unlock_dir(a);
    ck_assert_int_eq(ins_store_lock_dir(dir, &b), 0);
    ins_store_unlock_dir(b);
    ins_store_unlock_dir(-1);
    rm_dir(dir);
}
END_TEST

/* ---- scans ---- */

static int count_scan(void *arg, const ins_val *k, const ins_val *v)
{
    (*(int *)arg)++;
    return 0;
}

static int scan_fill(ins_wtxn *t, void *arg)
{
    const char *keys[] = {"a1", "a2", "a3", "b1", "b2", "c"};
    for (int i = 0; i < 6; i++) {
        int rc = ins_wtxn_put(t, T_IDX, keys[i], 2, "", 0, INS_PUT_NOOVERWRITE);
        if (rc)
            return rc;
    }
    return ins_wtxn_put(t, T_IDX, "a1", 2, "", 0, INS_PUT_NOOVERWRITE) == INS_EEXIST
               ? 0
               : INS_EINTERNAL;
}

START_TEST(test_store_scan_prefix_and_start)
{
    char *dir = tmp_dir();
    ins_store *s = open_store(dir);
    ck_assert_int_eq(ins_store_exec(s, scan_fill, NULL), 0);
    ins_rtxn *r;
    int n = 0;
    ck_assert_int_eq(ins_store_read_begin(s, &r), 0);
    ck_assert_int_eq(ins_rtxn_scan(r, T_IDX, "a", 1, NULL, 0, count_scan, &n), 0);
    ck_assert_int_eq(n, 3);
    n = 0;
    ck_assert_int_eq(ins_rtxn_scan(r, T_IDX, "a", 1, "a2", 2, count_scan, &n), 0);
    ck_assert_int_eq(n, 2);
    n = 0;
    ck_assert_int_eq(ins_rtxn_scan(r, T_IDX, "b", 1, "a9", 2, count_scan, &n), 0);
    ck_assert_int_eq(n, 2);
    n = 0;
    ck_assert_int_eq(ins_rtxn_scan(r, T_IDX, NULL, 0, NULL, 0, count_scan, &n), 0);
    ck_assert_int_eq(n, 6);
    ck_assert_int_eq(ins_rtxn_scan(r, 9, NULL, 0, NULL, 0, count_scan, &n), INS_EINVAL);
    ins_rtxn_end(r);
    ins_store_close(s);
    rm_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    ADD_TEST(s, test_store_put_get_roundtrip);
    ADD_TEST(s, test_writer_group_commit_many_threads);
    ADD_TEST(s, test_writer_failure_rolled_back_alone);
    ADD_TEST(s, test_writer_queue_full_pushes_back);
    ADD_TEST(s, test_feed_cursor_reads_in_order);
    ADD_TEST(s, test_feed_follower_woken_on_commit);
    ADD_TEST(s, test_idem_same_request_returns_stored_result);
    ADD_TEST(s, test_idem_reuse_with_other_request_refused);
    ADD_TEST(s, test_idem_entries_expire_in_sweep);
    ADD_TEST(s, test_audit_flipped_byte_names_sequence);
    ADD_TEST(s, test_audit_chain_continues_after_reopen);
    ADD_TEST(s, test_store_map_grows_from_tiny);
    ADD_TEST(s, test_store_full_refuses_writes_serves_reads);
    ADD_TEST(s, test_store_newer_schema_refused);
    ADD_TEST(s, test_store_migrations_run_in_order);
    ADD_TEST(s, test_store_reserved_table_name_refused);
    ADD_TEST(s, test_backup_restore_roundtrip);
    ADD_TEST(s, test_store_lock_dir_exclusive);
    ADD_TEST(s, test_store_scan_prefix_and_start);
    return run_suite(s);
}
