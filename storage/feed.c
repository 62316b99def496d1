/*
 * feed.c - the change feed: sequence -> entry in meta/_feed, appended in the
 * mutation's own transaction, read from a cursor, followed through a
 * condition variable and the commit hook (no polling).
 */
#include "store_impl.h"
#include "ins_feed.h"
#include "ins_key.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int ins__feed_load(ins_store *s, MDB_txn *txn)
{
    uint64_t last = 0;
    int rc = ins__last_u64(txn, s->mdbi[MT_FEED], &last);
    if (rc)
        return rc;
    s->feed_next = last + 1;
    s->feed_committed = last;
    return 0;
}

void ins__feed_publish(ins_store *s, uint64_t *last_seq, int *advanced)
{
    pthread_mutex_lock(&s->feed_mu);
    *advanced = s->feed_next - 1 > s->feed_committed;
    s->feed_committed = s->feed_next - 1;
    s->audit_committed = s->audit_next - 1;
    *last_seq = s->feed_committed;
    if (*advanced)
        pthread_cond_broadcast(&s->feed_cv);
    pthread_mutex_unlock(&s->feed_mu);
}

int ins_wtxn_feed(ins_wtxn *t, const char *entity_kind, const void *key, size_t klen,
                  const char *change, const char *const *departments, size_t n, uint64_t *seq)
{
    ins_store *s = t->s;
    Inspect__Storage__FeedEntry e = INSPECT__STORAGE__FEED_ENTRY__INIT;
    uint8_t k[8];
    int rc;

    if (!entity_kind || !change || t->env != &s->meta || (n && !departments))
        return INS_EINVAL;
    e.format = INS_RECORD_FORMAT;
    e.seq = s->feed_next;
    e.time_ns = ins_store_now(s);
    e.entity_kind = (char *)entity_kind;
    e.entity_key.data = (uint8_t *)key;
    e.entity_key.len = key ? klen : 0;
    e.change = (char *)change;
    e.departments = (char **)departments;
    e.n_departments = n;
    size_t len = inspect__storage__feed_entry__get_packed_size(&e);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ENOMEM;
    inspect__storage__feed_entry__pack(&e, buf);
    ins_be64_put(k, e.seq);
    rc = ins__put(t, s->mdbi[MT_FEED], k, 8, buf, len, MDB_APPEND);
    free(buf);
    if (rc)
        return rc;
    s->feed_next++;
    if (seq)
        *seq = e.seq;
    return 0;
}

int ins_feed_read(ins_rtxn *r, uint64_t after_seq, size_t max, ins_feed_fn cb, void *arg,
                  uint64_t *next)
{
    MDB_cursor *c;
    MDB_val key, val;
    uint8_t k[8];
    size_t count = 0;
    int rc;

    if (next)
        *next = after_seq;
    if ((rc = mdb_cursor_open(r->txn, r->s->mdbi[MT_FEED], &c)) != 0)
        return rc;
    ins_be64_put(k, after_seq + 1);
    key.mv_data = k;
    key.mv_size = 8;
    for (rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE); rc == 0 && count < max;
         rc = mdb_cursor_get(c, &key, &val, MDB_NEXT), count++) {
        Inspect__Storage__FeedEntry *e =
            inspect__storage__feed_entry__unpack(NULL, val.mv_size, val.mv_data);
        if (!e) {
            rc = INS_ECORRUPT;
            break;
        }
        ins_feed_entry fe = {
            .seq = e->seq,
            .time_ns = e->time_ns,
            .entity_kind = e->entity_kind,
            .entity_key = e->entity_key.data,
            .entity_key_len = e->entity_key.len,
            .change = e->change,
            .departments = (const char *const *)e->departments,
            .n_departments = e->n_departments,
        };
        rc = cb(arg, &fe);
        inspect__storage__feed_entry__free_unpacked(e, NULL);
        if (next)
            *next = fe.seq;
        if (rc)
            break;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

uint64_t ins_feed_last(ins_store *s)
{
    pthread_mutex_lock(&s->feed_mu);
    uint64_t v = s->feed_committed;
    pthread_mutex_unlock(&s->feed_mu);
    return v;
}

int ins_feed_wait(ins_store *s, uint64_t after_seq, int timeout_ms)
{
    struct timespec deadline;
    int rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms >= 0) {
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&s->feed_mu);
    while (s->feed_committed <= after_seq && !s->closing && rc == 0) {
        if (timeout_ms < 0)
            pthread_cond_wait(&s->feed_cv, &s->feed_mu);
        else if (pthread_cond_timedwait(&s->feed_cv, &s->feed_mu, &deadline) == ETIMEDOUT)
            rc = INS_ETIMEDOUT;
    }
    if (s->feed_committed > after_seq)
        rc = 0;
    else if (s->closing)
        rc = INS_ESHUTDOWN;
    pthread_mutex_unlock(&s->feed_mu);
    return rc;
}
