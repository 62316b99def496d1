/*
 * tier_mover.c - the mover threads of the photo tier (see ins_tier.h) and
 * the local cache of moved content.
 *
 * Each mover scans the queue (meta/_tierq) from the start, which also
 * refreshes the backlog figures of the status, claims the first content no
 * other mover holds, and moves it: MD5 of the local copy, PUT with
 * Content-MD5 and the SHA-256 the store checks, HEAD for the size, one meta
 * commit that records it as remote and drops the queue row, then the local
 * copy is freed or kept in the cache. A failure of the remote store backs
 * every mover off (1 s, doubling up to retry_max_s); the queue row stays, so
 * the content is moved again later, also after a crash at any step.
 */
#include "tier_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_blob.h"
#include "ins_hex.h"
#include "blob_impl.h"

#define IDLE_NS  (200u * 1000000u) /* how often an idle mover looks at the queue */
#define MD5_STEP (1u << 20)

/* ---- the queue ---- */

typedef struct claim {
    ins_tier *tr;
    unsigned idx;
    uint8_t *sha;
    uint64_t *size, *queued;
} claim;

/* Claims the first row nobody else holds (under mu). */
static int claim_row(void *arg, const uint8_t sha[32], const Inspect__Storage__TierEntry *e)
{
    claim *c = arg;
    ins_tier *tr = c->tr;
    for (unsigned i = 0; i < TIER_MOVERS_MAX; i++)
        if (tr->busy[i] && memcmp(tr->claimed[i], sha, 32) == 0)
            return 0;
    memcpy(c->sha, sha, 32);
    memcpy(tr->claimed[c->idx], sha, 32);
    tr->busy[c->idx] = 1;
    *c->size = e->size;
    *c->queued = e->queued_ns;
    return 1;
}

/* Claims for mover idx the first queued content nobody else holds.
 * Returns 1 (claimed: sha, size, queued), 0 (nothing to claim) or an error. */
static int scan_claim(ins_tier *tr, unsigned idx, uint8_t sha[32], uint64_t *size, uint64_t *queued)
{
    claim c = {tr, idx, sha, size, queued};
    uint64_t count, bytes, oldest;
    pthread_mutex_lock(&tr->mu);
    int rc = ins__tier_queue_walk(tr->s, claim_row, &c, &count, &bytes, &oldest);
    pthread_mutex_unlock(&tr->mu);
    return rc;
}

typedef struct done_arg {
    const uint8_t *sha;
    uint64_t size, queued_ns;
    int remote; /* 0: drop the row only (nothing to move) */
} done_arg;

/* The one commit of a move: remote from now on, out of the queue. */
static int done_apply(ins_wtxn *t, void *arg)
{
    done_arg *a = arg;
    int rc =
        a->remote ? ins__tier_put(t, MT_TIER, a->sha, a->size, a->queued_ns, ins_wtxn_now(t)) : 0;
    if (rc == 0)
        rc = ins__del(t, t->s->mdbi[MT_TIERQ], a->sha, 32);
    return rc == INS_ENOTFOUND ? 0 : rc;
}

/* ---- the local cache ---- */

/* Keeps or frees the local copy of content just moved (or found remote). */
static void keep_or_free(ins_tier *tr, const uint8_t sha[32], uint64_t size)
{
    tier_cached *drop = NULL;
    size_t n_drop = 0;
    pthread_mutex_lock(&tr->mu);
    if (tr->o.cache_bytes >= size && tr->o.cache_bytes > 0) {
        if (tr->n_cache == tr->cap_cache) {
            size_t cap = tr->cap_cache ? 2 * tr->cap_cache : 64;
            tier_cached *c = realloc(tr->cache, cap * sizeof *c);
            if (c) {
                tr->cache = c;
                tr->cap_cache = cap;
            }
        }
        if (tr->n_cache < tr->cap_cache) {
            memcpy(tr->cache[tr->n_cache].sha, sha, 32);
            tr->cache[tr->n_cache++].size = size;
            tr->cached_bytes += size;
            size = 0; /* kept */
        }
    }
    while (tr->cached_bytes > tr->o.cache_bytes && n_drop < tr->n_cache)
        tr->cached_bytes -= tr->cache[n_drop++].size;
    if (n_drop && (drop = malloc(n_drop * sizeof *drop)) != NULL) {
        memcpy(drop, tr->cache, n_drop * sizeof *drop);
        memmove(tr->cache, tr->cache + n_drop, (tr->n_cache - n_drop) * sizeof *drop);
        tr->n_cache -= n_drop;
    } else if (n_drop) { /* no memory for the list: keep them, free next time */
        for (size_t i = 0; i < n_drop; i++)
            tr->cached_bytes += tr->cache[i].size;
        n_drop = 0;
    }
    pthread_mutex_unlock(&tr->mu);
    if (size)
        (void)tr->local.ops->del(tr->local.impl, sha);
    for (size_t i = 0; i < n_drop; i++)
        (void)tr->local.ops->del(tr->local.impl, drop[i].sha);
    free(drop);
}

typedef struct cached_at {
    uint8_t sha[32];
    uint64_t size, moved_ns;
} cached_at;

static int by_moved(const void *a, const void *b)
{
    const cached_at *x = a, *y = b;
    return x->moved_ns < y->moved_ns ? -1 : x->moved_ns > y->moved_ns;
}

int ins__tier_cache_load(ins_tier *tr)
{
    ins_store *s = tr->s;
    MDB_txn *txn;
    MDB_cursor *c;
    MDB_val k, v;
    cached_at *all = NULL;
    size_t n = 0, cap = 0;
    int rc = ins__env_rd_begin(&s->meta, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, s->mdbi[MT_TIER], &c)) == 0) {
        for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            uint64_t local;
            if (k.mv_size != 32 || ins__blob_local_stat(s, k.mv_data, &local) != 0)
                continue; /* not kept locally */
            Inspect__Storage__TierEntry *e =
                inspect__storage__tier_entry__unpack(NULL, v.mv_size, v.mv_data);
            if (!e)
                continue;
            if (n == cap) {
                cached_at *m = realloc(all, (cap = cap ? 2 * cap : 64) * sizeof *m);
                if (!m) {
                    inspect__storage__tier_entry__free_unpacked(e, NULL);
                    rc = ENOMEM;
                    break;
                }
                all = m;
            }
            memcpy(all[n].sha, k.mv_data, 32);
            all[n].size = e->size;
            all[n++].moved_ns = e->moved_ns;
            inspect__storage__tier_entry__free_unpacked(e, NULL);
        }
        mdb_cursor_close(c);
    }
    ins__env_rd_end(&s->meta, txn);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (rc == 0) {
        if (n)
            qsort(all, n, sizeof *all, by_moved);
        for (size_t i = 0; i < n; i++)
            keep_or_free(tr, all[i].sha, all[i].size); /* oldest first: the newest stay */
    }
    free(all);
    return rc;
}

/* ---- one move ---- */

typedef struct local_src {
    ins_bstore *local;
    const uint8_t *sha;
} local_src;

static int read_local(void *arg, uint64_t off, void *buf, size_t len, size_t *n)
{
    local_src *l = arg;
    return l->local->ops->get(l->local->impl, l->sha, off, buf, len, n);
}

/* MD5 of the local copy. Errors: the local store's get's, ENOMEM. */
static int local_md5(ins_bstore *local, const uint8_t sha[32], uint64_t size, uint8_t md5[16])
{
    uint8_t *buf = malloc(MD5_STEP);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int l = 16;
    int rc = buf && ctx ? 0 : ENOMEM;
    if (rc == 0)
        EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    for (uint64_t off = 0; rc == 0 && off < size;) {
        size_t n = 0;
        rc = local->ops->get(local->impl, sha, off, buf, MD5_STEP, &n);
        if (rc == 0 && n == 0)
            rc = INS_ECORRUPT;
        if (rc == 0)
            EVP_DigestUpdate(ctx, buf, n);
        off += n;
    }
    if (rc == 0)
        EVP_DigestFinal_ex(ctx, md5, &l);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

/* Moves one content. Returns 0 (moved, or nothing left to move) or the
 * remote store's error (the caller backs off; the row stays). */
static int move_one(ins_tier *tr, const uint8_t sha[32], uint64_t size, uint64_t queued_ns)
{
    ins_store *s = tr->s;
    ins_bstore *rs = &tr->o.remote;
    char hex[65], msg[1400], last[1200];
    uint8_t md5[16];
    uint64_t got = 0;
    done_arg d = {sha, size, queued_ns, 1};
    ins_hex_encode(sha, 32, hex);
    if (ins__tier_remote(s, sha, NULL) == 0) { /* moved, the row dropped by a crash's redo */
        d.remote = 0;
        return ins_store_exec(s, done_apply, &d);
    }
    int rc = local_md5(&tr->local, sha, size, md5);
    if (rc) {
        /* Referenced and queued, yet no local copy: nothing can move it.
         * Said loudly, and the row goes so the queue does not stall on it. */
        snprintf(msg, sizeof msg, "photo %s has no readable local copy to move: %s", hex,
                 ins_strerror(rc));
        fprintf(stderr, "inspectd: tier: %s\n", msg);
        ins__tier_failed(tr, rc, msg);
        d.remote = 0;
        return ins_store_exec(s, done_apply, &d) == 0 ? 0 : rc;
    }
    local_src src = {&tr->local, sha};
    rc = rs->ops->put(rs->impl, sha, size, md5, read_local, &src);
    if (rc == 0)
        rc = rs->ops->head(rs->impl, sha, &got);
    if (rc == 0 && got != size) {
        snprintf(last, sizeof last, "the store holds %" PRIu64 " bytes of photo %s, not %" PRIu64,
                 got, hex, size);
        ins__tier_failed(tr, EIO, last);
        return EIO;
    }
    if (rc) {
        ins_bstore_last_error(rs, last, sizeof last);
        snprintf(msg, sizeof msg, "moving photo %s: %s", hex, last[0] ? last : ins_strerror(rc));
        ins__tier_failed(tr, rc, msg);
        return rc;
    }
    ins__tier_reached(tr);
    if ((rc = ins_store_exec(s, done_apply, &d)) != 0) {
        snprintf(msg, sizeof msg, "recording the move of photo %s: %s", hex, ins_strerror(rc));
        ins__tier_failed(tr, rc, msg);
        return rc;
    }
    atomic_fetch_add(&tr->moved, 1);
    keep_or_free(tr, sha, size);
    return 0;
}

/* ---- the threads ---- */

static void wait_ns(ins_tier *tr, uint64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t at = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ns;
    ts.tv_sec = (time_t)(at / 1000000000u);
    ts.tv_nsec = (long)(at % 1000000000u);
    while (!tr->stop && !tr->kicked && pthread_cond_timedwait(&tr->cv, &tr->mu, &ts) == 0)
        ;
}

static void *mover_main(void *arg)
{
    tier_mover *m = arg;
    ins_tier *tr = m->tr;
    for (;;) {
        uint8_t sha[32];
        uint64_t size = 0, queued = 0;
        int have = scan_claim(tr, m->idx, sha, &size, &queued);
        uint64_t now = ins_store_now(tr->s);
        pthread_mutex_lock(&tr->mu);
        if (tr->stop) {
            tr->busy[m->idx] = 0;
            pthread_mutex_unlock(&tr->mu);
            break;
        }
        if (have != 1 || now < tr->next_try_ns) {
            tr->busy[m->idx] = 0;
            uint64_t wait = now < tr->next_try_ns ? tr->next_try_ns - now : IDLE_NS;
            wait_ns(tr, wait < IDLE_NS ? wait : IDLE_NS);
            tr->kicked = 0;
            pthread_mutex_unlock(&tr->mu);
            continue;
        }
        pthread_mutex_unlock(&tr->mu);
        int rc = move_one(tr, sha, size, queued);
        pthread_mutex_lock(&tr->mu);
        tr->busy[m->idx] = 0;
        if (rc) {
            tr->backoff_s = tr->backoff_s ? tr->backoff_s * 2 : 1;
            if (tr->backoff_s > tr->o.retry_max_s)
                tr->backoff_s = tr->o.retry_max_s;
            tr->next_try_ns = ins_store_now(tr->s) + (uint64_t)tr->backoff_s * 1000000000u;
        } else {
            tr->backoff_s = 0;
            tr->next_try_ns = 0;
        }
        pthread_mutex_unlock(&tr->mu);
    }
    return NULL;
}

int ins__tier_movers_start(ins_tier *tr)
{
    for (unsigned i = 0; i < tr->o.movers; i++) {
        tr->mv[i] = (tier_mover){tr, i};
        int rc = pthread_create(&tr->th[i], NULL, mover_main, &tr->mv[i]);
        if (rc) { /* stop the ones started */
            pthread_mutex_lock(&tr->mu);
            tr->stop = 1;
            pthread_cond_broadcast(&tr->cv);
            pthread_mutex_unlock(&tr->mu);
            for (unsigned j = 0; j < tr->n_th; j++)
                pthread_join(tr->th[j], NULL);
            tr->n_th = 0;
            return rc;
        }
        tr->n_th++;
    }
    return 0;
}
