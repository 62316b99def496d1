/*
 * tier.c - the photo tier's state and its two tables in meta (see
 * ins_tier.h): _tierq, the content waiting for the remote store, and _tier,
 * the content that lives there. Both are keyed by SHA-256 and hold a
 * TierEntry; a content is in at most one of them, and leaves the queue for
 * _tier in the one commit that records the move. This file also answers the
 * status, the migration of an existing store and the admission of uploads
 * against the landing limit; the movers are in tier_mover.c.
 */
#include "tier_impl.h"
#include "blob_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the tables ---- */

int ins__tier_entry(MDB_txn *txn, ins_store *s, int which, const uint8_t sha[32], uint64_t *size,
                    uint64_t *queued_ns, uint64_t *moved_ns)
{
    ins_val v;
    int rc = ins__get(txn, s->mdbi[which], sha, 32, &v);
    if (rc)
        return rc;
    Inspect__Storage__TierEntry *e = inspect__storage__tier_entry__unpack(NULL, v.len, v.data);
    if (!e)
        return INS_ECORRUPT;
    if (size)
        *size = e->size;
    if (queued_ns)
        *queued_ns = e->queued_ns;
    if (moved_ns)
        *moved_ns = e->moved_ns;
    inspect__storage__tier_entry__free_unpacked(e, NULL);
    return 0;
}

int ins__tier_put(ins_wtxn *t, int which, const uint8_t sha[32], uint64_t size, uint64_t queued_ns,
                  uint64_t moved_ns)
{
    Inspect__Storage__TierEntry e = INSPECT__STORAGE__TIER_ENTRY__INIT;
    uint8_t buf[64];
    e.format = INS_RECORD_FORMAT;
    e.size = size;
    e.queued_ns = queued_ns;
    e.moved_ns = moved_ns;
    size_t n = inspect__storage__tier_entry__pack(&e, buf);
    return ins__put(t, t->s->mdbi[which], sha, 32, buf, n, 0);
}

int ins__tier_remote(ins_store *s, const uint8_t sha[32], uint64_t *size)
{
    MDB_txn *txn;
    int rc = ins__env_rd_begin(&s->meta, &txn);
    if (rc)
        return rc;
    rc = ins__tier_entry(txn, s, MT_TIER, sha, size, NULL, NULL);
    ins__env_rd_end(&s->meta, txn);
    return rc;
}

int ins__tier_enqueue(ins_wtxn *t, const uint8_t sha[32], uint64_t size, int *queued)
{
    ins_store *s = t->s;
    if (queued)
        *queued = 0;
    int rc = ins__tier_entry(t->txn, s, MT_TIER, sha, NULL, NULL, NULL);
    if (rc != INS_ENOTFOUND)
        return rc; /* remote already, or an error */
    rc = ins__tier_entry(t->txn, s, MT_TIERQ, sha, NULL, NULL, NULL);
    if (rc != INS_ENOTFOUND)
        return rc; /* queued already, or an error */
    if (queued)
        *queued = 1;
    return ins__tier_put(t, MT_TIERQ, sha, size, ins_store_now(s), 0);
}

int ins__tier_queue_walk(ins_store *s, tier_queue_fn fn, void *arg, uint64_t *count,
                         uint64_t *bytes, uint64_t *oldest_ns)
{
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    *count = *bytes = *oldest_ns = 0;
    int rc = ins__env_rd_begin(&s->meta, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->mdbi[MT_TIERQ], &c)) == 0) {
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            Inspect__Storage__TierEntry *e =
                inspect__storage__tier_entry__unpack(NULL, v.mv_size, v.mv_data);
            if (!e || k.mv_size != 32) {
                if (e)
                    inspect__storage__tier_entry__free_unpacked(e, NULL);
                continue;
            }
            (*count)++;
            *bytes += e->size;
            if (!*oldest_ns || e->queued_ns < *oldest_ns)
                *oldest_ns = e->queued_ns;
            rc = fn ? fn(arg, k.mv_data, e) : 0;
            inspect__storage__tier_entry__free_unpacked(e, NULL);
            if (rc)
                break;
        }
        mdb_cursor_close(c);
    }
    ins__env_rd_end(&s->meta, txn);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- failures ---- */

void ins__tier_failed(ins_tier *tr, int rc, const char *msg)
{
    uint64_t now = ins_store_now(tr->s);
    pthread_mutex_lock(&tr->mu);
    if (rc == INS_EUNREACH && !tr->unreachable_since_ns)
        tr->unreachable_since_ns = now;
    tr->last_error_ns = now;
    snprintf(tr->last_error, sizeof tr->last_error, "%s", msg);
    pthread_mutex_unlock(&tr->mu);
}

void ins__tier_reached(ins_tier *tr)
{
    pthread_mutex_lock(&tr->mu);
    tr->unreachable_since_ns = 0;
    pthread_mutex_unlock(&tr->mu);
}

/* ---- start, stop ---- */

int ins_tier_enabled(ins_store *s)
{
    return s && s->tier != NULL;
}

int ins_tier_start(ins_store *s, const ins_tier_options *o)
{
    ins_bstore remote = o->remote;
    if (s->tier) {
        remote.ops->close(remote.impl);
        return INS_EEXIST;
    }
    ins_tier *tr = calloc(1, sizeof *tr);
    if (!tr) {
        remote.ops->close(remote.impl);
        return ENOMEM;
    }
    tr->s = s;
    tr->o = *o;
    tr->o.describe = NULL;
    snprintf(tr->describe, sizeof tr->describe, "%s",
             o->describe ? o->describe : o->remote.ops->name);
    if (tr->o.movers == 0)
        tr->o.movers = 2;
    if (tr->o.movers > TIER_MOVERS_MAX)
        tr->o.movers = TIER_MOVERS_MAX;
    if (tr->o.retry_max_s == 0)
        tr->o.retry_max_s = 30;
    ins_blob_store_lmdb(s, &tr->local);
    pthread_mutex_init(&tr->mu, NULL);
    pthread_cond_init(&tr->cv, NULL);
    s->tier = tr; /* before the cache load: reads now look remote too */
    int rc = ins__tier_cache_load(tr);
    if (rc == 0)
        rc = ins__tier_movers_start(tr);
    if (rc) {
        s->tier = NULL;
        remote.ops->close(remote.impl);
        free(tr->cache);
        pthread_cond_destroy(&tr->cv);
        pthread_mutex_destroy(&tr->mu);
        free(tr);
    }
    return rc;
}

void ins_tier_stop(ins_store *s)
{
    ins_tier *tr = s ? s->tier : NULL;
    if (!tr)
        return;
    pthread_mutex_lock(&tr->mu);
    tr->stop = 1;
    pthread_cond_broadcast(&tr->cv);
    pthread_mutex_unlock(&tr->mu);
    for (unsigned i = 0; i < tr->n_th; i++)
        pthread_join(tr->th[i], NULL);
    s->tier = NULL;
    tr->o.remote.ops->close(tr->o.remote.impl);
    free(tr->cache);
    pthread_cond_destroy(&tr->cv);
    pthread_mutex_destroy(&tr->mu);
    free(tr);
}

/* ---- status ---- */

/* Adds up the content of every stripe. */
static int local_content(ins_store *s, uint64_t *count, uint64_t *bytes)
{
    *count = *bytes = 0;
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++) {
        ins_bstripe *b = &s->bs[i];
        MDB_txn *txn;
        MDB_cursor *c;
        MDB_val k, v;
        int rc = ins__env_rd_begin(&b->env, &txn);
        if (rc)
            return rc;
        if ((rc = mdb_cursor_open(txn, b->dbi[BT_CONTENT], &c)) == 0) {
            for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
                 rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                Inspect__Storage__Content *ct =
                    inspect__storage__content__unpack(NULL, v.mv_size, v.mv_data);
                if (ct) {
                    (*count)++;
                    *bytes += ct->size;
                    inspect__storage__content__free_unpacked(ct, NULL);
                }
            }
            mdb_cursor_close(c);
        }
        ins__env_rd_end(&b->env, txn);
        if (rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

int ins_tier_status_get(ins_store *s, ins_tier_status *st)
{
    ins_tier *tr = s->tier;
    memset(st, 0, sizeof *st);
    int rc = local_content(s, &st->local_count, &st->local_bytes);
    if (rc || !tr)
        return rc;
    MDB_txn *txn;
    MDB_stat ms;
    if ((rc = ins__env_rd_begin(&s->meta, &txn)) != 0)
        return rc;
    rc = mdb_stat(txn, s->mdbi[MT_TIER], &ms);
    ins__env_rd_end(&s->meta, txn);
    if (rc)
        return rc;
    uint64_t oldest;
    if ((rc = ins__tier_queue_walk(s, NULL, NULL, &st->backlog_count, &st->backlog_bytes,
                                   &oldest)) != 0)
        return rc;
    st->enabled = 1;
    st->remote_count = ms.ms_entries;
    st->oldest_waiting_unix = (int64_t)(oldest / 1000000000u);
    snprintf(st->store, sizeof st->store, "%s", tr->describe);
    pthread_mutex_lock(&tr->mu);
    st->cached_bytes = tr->cached_bytes;
    st->unreachable_since_unix = (int64_t)(tr->unreachable_since_ns / 1000000000u);
    st->last_error_unix = (int64_t)(tr->last_error_ns / 1000000000u);
    snprintf(st->last_error, sizeof st->last_error, "%s", tr->last_error);
    pthread_mutex_unlock(&tr->mu);
    st->moved = atomic_load(&tr->moved);
    st->data_loss = atomic_load(&tr->data_loss);
    st->landing_bytes = tr->o.landing_bytes;
    return 0;
}

/* ---- migration ---- */

#define MIGRATE_BATCH 512

typedef struct migrate_arg {
    uint8_t after[32]; /* resume the walk of _blobref after this key */
    int started;
    uint64_t queued;
    int more;
} migrate_arg;

/* Queues up to MIGRATE_BATCH referenced contents of _blobref after a->after. */
static int migrate_apply(ins_wtxn *t, void *arg)
{
    migrate_arg *a = arg;
    ins_store *s = t->s;
    MDB_cursor *c;
    MDB_val k, v;
    uint64_t queued = 0;
    int n = 0;
    int rc = mdb_cursor_open(t->txn, s->mdbi[MT_BLOBREF], &c);
    if (rc)
        return rc;
    k.mv_data = a->after;
    k.mv_size = 32;
    rc = mdb_cursor_get(c, &k, &v, a->started ? MDB_SET_RANGE : MDB_FIRST);
    if (rc == 0 && a->started && memcmp(k.mv_data, a->after, 32) == 0)
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    a->more = 0;
    for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (n == MIGRATE_BATCH) {
            a->more = 1;
            break;
        }
        n++;
        memcpy(a->after, k.mv_data, 32);
        Inspect__Storage__BlobRef *r =
            inspect__storage__blob_ref__unpack(NULL, v.mv_size, v.mv_data);
        uint64_t count = r ? r->count : 0, size = 0;
        if (r)
            inspect__storage__blob_ref__free_unpacked(r, NULL);
        if (count == 0 || k.mv_size != 32 || ins__blob_local_stat(s, a->after, &size) != 0)
            continue; /* unreferenced, or not local (remote, or lost: not ours to queue) */
        int added;
        if ((rc = ins__tier_enqueue(t, a->after, size, &added)) != 0)
            break;
        queued += (uint64_t)added;
    }
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (rc == 0)
        a->queued += queued; /* apply may run again: counted once it stands */
    return rc;
}

int ins_tier_migrate(ins_store *s, uint64_t *queued)
{
    ins_tier *tr = s->tier;
    migrate_arg a = {0};
    int rc;
    if (!tr)
        return INS_ESTATE;
    do {
        migrate_arg before = a;
        rc = ins_store_exec(s, migrate_apply, &a);
        if (rc) {
            a = before;
            break;
        }
        a.started = 1;
    } while (a.more);
    pthread_mutex_lock(&tr->mu);
    tr->kicked = 1;
    pthread_cond_broadcast(&tr->cv);
    pthread_mutex_unlock(&tr->mu);
    if (queued)
        *queued = a.queued;
    return rc;
}

/* ---- the collector ---- */

typedef struct orphan_walk {
    ins_store *s;
    ins_bstore_list_fn fn;
    void *arg;
} orphan_walk;

static int orphan_obj(void *arg, const uint8_t sha[32], uint64_t size)
{
    orphan_walk *w = arg;
    MDB_txn *txn;
    int rc = ins__env_rd_begin(&w->s->meta, &txn);
    if (rc)
        return rc;
    rc = ins__tier_entry(txn, w->s, MT_TIER, sha, NULL, NULL, NULL);
    if (rc == INS_ENOTFOUND)
        rc = ins__tier_entry(txn, w->s, MT_TIERQ, sha, NULL, NULL, NULL);
    ins__env_rd_end(&w->s->meta, txn);
    if (rc == INS_ENOTFOUND)
        return w->fn(w->arg, sha, size);
    return rc;
}

int ins_tier_orphans(ins_store *s, ins_bstore_list_fn fn, void *arg)
{
    ins_tier *tr = s->tier;
    if (!tr)
        return INS_ESTATE;
    orphan_walk w = {s, fn, arg};
    ins_bstore *rs = &tr->o.remote;
    return rs->ops->list(rs->impl, orphan_obj, &w);
}

/* ---- admission ---- */

/* "2026-12-02 01:20:03 UTC" */
static void utc(uint64_t ns, char *buf, size_t n)
{
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int ins_tier_admit(ins_store *s, uint64_t size, char *why, size_t whylen)
{
    ins_tier *tr = s->tier;
    if (!tr || tr->o.landing_bytes == 0)
        return 0;
    uint64_t count, bytes, oldest;
    if (ins__tier_queue_walk(s, NULL, NULL, &count, &bytes, &oldest) != 0)
        return 0; /* the figures cannot be read: admission is not the place to fail */
    pthread_mutex_lock(&tr->mu);
    uint64_t since = tr->unreachable_since_ns;
    char last[sizeof tr->last_error];
    snprintf(last, sizeof last, "%s", tr->last_error);
    pthread_mutex_unlock(&tr->mu);
    if (bytes + size <= tr->o.landing_bytes)
        return 0;
    char when[40], reason[1400];
    size_t at;
    if (since) {
        utc(since, when, sizeof when);
        at = (size_t)snprintf(reason, sizeof reason,
                              "the object store has been unreachable since %s", when);
    } else {
        at = (size_t)snprintf(reason, sizeof reason,
                              "the object store takes them slower than they arrive");
    }
    if (last[0] && at < sizeof reason)
        snprintf(reason + at, sizeof reason - at, " (last error: %s)", last);
    snprintf(why, whylen,
             INS_MSG_STORE_FULL
             ": the landing zone holds %" PRIu64 " photos (%" PRIu64
             " bytes) waiting for the object store, and --blob-landing-bytes is %" PRIu64
             "; %s; uploads are taken again by themselves once the backlog drains",
             count, bytes, tr->o.landing_bytes, reason);
    return INS_EFULL;
}
