/*
 * writer.c - one writer thread per environment, with group commit.
 *
 * Callers queue mutations (bounded; a full queue pushes back with INS_EBUSY).
 * The writer takes everything queued, applies it in one write transaction and
 * commits once, so a thousand waiting callers pay for one durable commit.
 * Each mutation runs in a nested transaction where the environment allows it
 * (meta), so its failure is rolled back alone. Without nested transactions
 * (blobs, opened with MDB_WRITEMAP) mutations validate before they write; one
 * that fails after writing makes the writer redo the batch without it.
 * MDB_MAP_FULL anywhere aborts the batch, grows the map and redoes it; when
 * the map cannot grow (the store's budget is spent: INS_EFULL; the disk is
 * full: ENOSPC) the mutation that needed room fails and the batch is redone
 * without it, never carried on in a transaction LMDB has marked failed.
 * A commit whose writes or syncs fail (ENOSPC, EIO) fails its whole batch
 * and the next batch tries again: LMDB writes only pages no committed state
 * uses, so retrying after a failed sync cannot expose a lost page. A failed
 * meta page write stops the environment (MDB_PANIC) until the store reopens.
 * Completions (`done`) run after the commit, in queue order, with no lock held.
 */
#include "store_impl.h"
#include "ins_feed.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Mutations per batch: 1, 2, 4 .. 4096 (the default queue capacity). */
static const uint64_t batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

typedef struct counters {
    uint64_t feed_next, audit_next;
    uint8_t audit_hash[32];
} counters;

/* The feed and audit counters belong to the meta writer: only its batches
 * advance them, so only it saves and restores them around a rollback. A
 * blob writer touching them would race the meta writer and could set them
 * back below what it already committed. */
static void save(const ins_writer *w, counters *c)
{
    const ins_store *s = w->s;
    if (!w->is_meta)
        return;
    c->feed_next = s->feed_next;
    c->audit_next = s->audit_next;
    memcpy(c->audit_hash, s->audit_hash, 32);
}

static void restore(const ins_writer *w, const counters *c)
{
    ins_store *s = w->s;
    if (!w->is_meta)
        return;
    s->feed_next = c->feed_next;
    s->audit_next = c->audit_next;
    memcpy(s->audit_hash, c->audit_hash, 32);
}

static void drop_result(ins_mutation *m)
{
    free(m->result_);
    m->result_ = NULL;
    m->result_len_ = 0;
    m->replayed_ = 0;
}

/* Applies one mutation inside `parent`. Sets *full on MDB_MAP_FULL. */
static int apply_one(ins_writer *w, MDB_txn *parent, ins_mutation *m, int *full, int *dirty)
{
    ins_store *s = w->s;
    ins_wtxn t = {.s = s, .env = w->env, .txn = parent};
    counters c = {0};
    int rc;

    save(w, &c);
    if (w->env->nested && (rc = mdb_txn_begin(w->env->env, parent, 0, &t.txn)) != 0)
        return rc;
    if (m->request_id) {
        rc = ins__idem_lookup(&t, m);
        if (rc != INS_ENOTFOUND)
            goto out; /* replayed (0), reused or failed */
    }
    rc = m->apply(&t, m->arg);
    if (rc == 0 && m->request_id)
        rc = ins__idem_store(&t, m);
out:
    if (w->env->nested) {
        if (rc == 0)
            rc = mdb_txn_commit(t.txn);
        else
            mdb_txn_abort(t.txn);
    }
    if (rc == MDB_MAP_FULL)
        t.map_full = 1;
    *full = t.map_full;
    *dirty = t.dirty;
    if (rc == 0 && !m->replayed_) {
        m->result_ = t.result;
        m->result_len_ = t.result_len;
    } else {
        free(t.result);
    }
    if (rc)
        restore(w, &c);
    return rc;
}

static void fail_pending(ins_mutation *batch, int err)
{
    for (ins_mutation *m = batch; m; m = m->next_)
        if (!m->skip_ && m->err_ == 0) {
            m->err_ = err;
            drop_result(m);
        }
}

/* One attempt at the batch. Returns 1 to redo it (map grown, or a mutation
 * excluded: one that failed after writing, or one whose room could not be
 * had), 0 when every mutation has its final error. */
static int attempt(ins_writer *w, ins_mutation *batch)
{
    ins_env *e = w->env;
    ins_mutation *needy = NULL;
    MDB_txn *txn;
    counters c = {0};
    int rc, redo = 0;

    if (e->failed) {
        fail_pending(batch, MDB_PANIC);
        return 0;
    }
    save(w, &c);
    pthread_rwlock_rdlock(&e->resize);
    if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0) {
        pthread_rwlock_unlock(&e->resize);
        if (rc == MDB_PANIC)
            e->failed = 1; /* a meta page write failed: until the store reopens */
        fail_pending(batch, rc);
        return 0;
    }
    for (ins_mutation *m = batch; m; m = m->next_) {
        int full = 0, dirty = 0;
        if (m->skip_)
            continue;
        drop_result(m);
        m->err_ = apply_one(w, txn, m, &full, &dirty);
        if (full) {
            needy = m; /* MDB_MAP_FULL leaves the transaction unusable */
            break;
        }
        if (m->err_ && dirty && !e->nested) {
            m->skip_ = 1; /* its writes are in txn: redo without it */
            redo = 1;
            break;
        }
    }
    if (needy || redo) {
        mdb_txn_abort(txn);
        pthread_rwlock_unlock(&e->resize);
        restore(w, &c);
        if (needy && (rc = ins__env_grow(e)) != 0) {
            drop_result(needy);
            needy->err_ = ins__env_io_err(rc); /* INS_EFULL, ENOSPC, ... */
            needy->skip_ = 1;
        }
        return 1;
    }
    rc = mdb_txn_commit(txn);
    pthread_rwlock_unlock(&e->resize);
    if (rc == MDB_MAP_FULL) {
        restore(w, &c);
        if ((rc = ins__env_grow(e)) == 0)
            return 1;
    }
    if (rc) {
        restore(w, &c);
        fail_pending(batch, ins__env_io_err(rc));
    }
    return 0;
}

static void complete(ins_writer *w, ins_mutation *batch)
{
    ins_store *s = w->s;
    uint64_t last = 0;
    int advanced = 0;

    if (w->is_meta)
        ins__feed_publish(s, &last, &advanced);
    while (batch) {
        ins_mutation *m = batch;
        batch = m->next_; /* done may free m */
        ins_result r = {m->result_, m->result_len_, m->replayed_, last};
        void *result = m->result_;
        m->result_ = NULL;
        if (m->done)
            m->done(m->arg, m->err_, &r);
        free(result);
    }
    if (advanced && s->on_commit)
        s->on_commit(s->on_commit_arg, last);
}

static void *writer_main(void *arg)
{
    ins_writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->work, &w->mu);
        ins_mutation *batch = w->head;
        w->head = w->tail = NULL;
        w->n = 0;
        pthread_cond_broadcast(&w->space);
        pthread_mutex_unlock(&w->mu);
        if (!batch)
            break; /* stopping and drained */
        uint64_t n = 0;
        for (ins_mutation *m = batch; m; m = m->next_)
            n++;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (attempt(w, batch))
            ;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ins_histo_observe(&w->commit_ns, (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll +
                                                    (t1.tv_nsec - t0.tv_nsec)));
        ins_histo_observe(&w->batch_size, n);
        complete(w, batch);
    }
    return NULL;
}

int ins__writer_init(ins_writer *w, ins_store *s, ins_env *env, size_t cap, int is_meta)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
    w->env = env;
    w->cap = cap;
    w->is_meta = is_meta;
    ins_histo_init(&w->commit_ns, ins_histo_latency_ns, ins_histo_latency_n);
    ins_histo_init(&w->batch_size, batch_bounds, sizeof batch_bounds / sizeof batch_bounds[0]);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->space, NULL);
    return 0;
}

int ins__writer_start(ins_writer *w)
{
    int rc = pthread_create(&w->th, NULL, writer_main, w);
    if (rc == 0)
        w->started = 1;
    return rc;
}

void ins__writer_stop(ins_writer *w)
{
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_broadcast(&w->work);
    pthread_cond_broadcast(&w->space);
    pthread_mutex_unlock(&w->mu);
    if (w->started)
        pthread_join(w->th, NULL);
    w->started = 0;
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->space);
}

size_t ins__writer_depth(ins_writer *w)
{
    pthread_mutex_lock(&w->mu);
    size_t n = w->n;
    pthread_mutex_unlock(&w->mu);
    return n;
}

int ins__writer_submit(ins_writer *w, ins_mutation *m, int block)
{
    if (!m || !m->apply)
        return INS_EINVAL;
    m->next_ = NULL;
    m->err_ = 0;
    m->replayed_ = 0;
    m->result_ = NULL;
    m->result_len_ = 0;
    m->skip_ = 0;
    pthread_mutex_lock(&w->mu);
    while (block && !w->stopping && w->n >= w->cap)
        pthread_cond_wait(&w->space, &w->mu);
    int rc = w->stopping ? INS_ESHUTDOWN : w->n >= w->cap ? INS_EBUSY : 0;
    if (rc == 0) {
        if (w->tail)
            w->tail->next_ = m;
        else
            w->head = m;
        w->tail = m;
        w->n++;
        pthread_cond_signal(&w->work);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

typedef struct sync_wait {
    ins_mutation m;
    int (*apply)(ins_wtxn *, void *);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int finished;
    int err;
} sync_wait;

static int sync_apply(ins_wtxn *t, void *arg)
{
    sync_wait *sw = arg;
    return sw->apply(t, sw->arg);
}

static void sync_done(void *arg, int err, const ins_result *r)
{
    sync_wait *sw = arg;
    pthread_mutex_lock(&sw->mu);
    sw->err = err;
    sw->finished = 1;
    pthread_cond_signal(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
}

int ins__writer_exec(ins_writer *w, int (*apply)(ins_wtxn *, void *), void *arg)
{
    sync_wait sw;
    memset(&sw, 0, sizeof(sw));
    sw.apply = apply;
    sw.arg = arg;
    sw.m.apply = sync_apply;
    sw.m.done = sync_done;
    sw.m.arg = &sw;
    pthread_mutex_init(&sw.mu, NULL);
    pthread_cond_init(&sw.cv, NULL);
    int rc = apply ? ins__writer_submit(w, &sw.m, 1) : INS_EINVAL;
    if (rc == 0) {
        pthread_mutex_lock(&sw.mu);
        while (!sw.finished)
            pthread_cond_wait(&sw.cv, &sw.mu);
        pthread_mutex_unlock(&sw.mu);
        rc = sw.err;
    }
    pthread_mutex_destroy(&sw.mu);
    pthread_cond_destroy(&sw.cv);
    return rc;
}
