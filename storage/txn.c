/*
 * txn.c - record access through write transactions (inside apply) and pooled
 * read transactions, over the upper layers' named tables.
 *
 * Every write goes through ins__put/ins__del so that MDB_MAP_FULL is noticed
 * even if apply swallows or rewrites the error: the writer then grows the map
 * and redoes the batch.
 */
#include "store_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ins__map_err(int rc)
{
    switch (rc) {
    case MDB_NOTFOUND:
        return INS_ENOTFOUND;
    case MDB_KEYEXIST:
        return INS_EEXIST;
    case MDB_BAD_VALSIZE:
        return INS_EINVAL;
    default:
        return rc;
    }
}

static int bad_key(size_t kl)
{
    return kl == 0 || kl > INS_KEY_LIMIT;
}

int ins__put(ins_wtxn *t, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl,
             unsigned mdb_flags)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    if (bad_key(kl))
        return INS_EINVAL;
    int rc = mdb_put(t->txn, dbi, &key, &val, mdb_flags);
    if (rc == MDB_MAP_FULL)
        t->map_full = 1;
    if (rc == 0)
        t->dirty = 1;
    return ins__map_err(rc);
}

int ins__del(ins_wtxn *t, MDB_dbi dbi, const void *k, size_t kl)
{
    MDB_val key = {kl, (void *)k};
    if (bad_key(kl))
        return INS_EINVAL;
    int rc = mdb_del(t->txn, dbi, &key, NULL);
    if (rc == MDB_MAP_FULL)
        t->map_full = 1;
    if (rc == 0)
        t->dirty = 1;
    return ins__map_err(rc);
}

int ins__get(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, ins_val *out)
{
    MDB_val key = {kl, (void *)k}, val;
    if (bad_key(kl))
        return INS_EINVAL;
    int rc = mdb_get(txn, dbi, &key, &val);
    if (rc == 0) {
        out->data = val.mv_data;
        out->len = val.mv_size;
    }
    return ins__map_err(rc);
}

static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

int ins__scan(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen, const void *start,
              size_t slen, ins_scan_fn cb, void *arg)
{
    MDB_cursor *c;
    MDB_val key, val;
    MDB_cursor_op op = MDB_SET_RANGE;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    key.mv_data = (void *)prefix;
    key.mv_size = plen;
    if (start && slen && (plen == 0 || bytes_cmp(start, slen, prefix, plen) > 0)) {
        key.mv_data = (void *)start;
        key.mv_size = slen;
    }
    if (key.mv_size == 0)
        op = MDB_FIRST;
    for (;;) {
        rc = mdb_cursor_get(c, &key, &val, op);
        op = MDB_NEXT;
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        if (plen && (key.mv_size < plen || memcmp(key.mv_data, prefix, plen) != 0))
            break;
        ins_val k = {key.mv_data, key.mv_size}, v = {val.mv_data, val.mv_size};
        if ((rc = cb(arg, &k, &v)) != 0)
            break;
    }
    mdb_cursor_close(c);
    return rc;
}

int ins__last_u64(MDB_txn *txn, MDB_dbi dbi, uint64_t *out)
{
    MDB_cursor *c;
    MDB_val key, val;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    *out = 0;
    rc = mdb_cursor_get(c, &key, &val, MDB_LAST);
    if (rc == 0 && key.mv_size == 8) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
            v = (v << 8) | ((const uint8_t *)key.mv_data)[i];
        *out = v;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int table_dbi(ins_store *s, ins_table table, MDB_dbi *dbi)
{
    if (table >= s->n_udbi)
        return INS_EINVAL;
    *dbi = s->udbi[table];
    return 0;
}

int ins_wtxn_put(ins_wtxn *t, ins_table table, const void *key, size_t klen, const void *val,
                 size_t vlen, unsigned flags)
{
    MDB_dbi dbi;
    int rc = table_dbi(t->s, table, &dbi);
    if (rc)
        return rc;
    return ins__put(t, dbi, key, klen, val, vlen,
                    (flags & INS_PUT_NOOVERWRITE) ? MDB_NOOVERWRITE : 0);
}

int ins_wtxn_get(ins_wtxn *t, ins_table table, const void *key, size_t klen, ins_val *out)
{
    MDB_dbi dbi;
    int rc = table_dbi(t->s, table, &dbi);
    return rc ? rc : ins__get(t->txn, dbi, key, klen, out);
}

int ins_wtxn_del(ins_wtxn *t, ins_table table, const void *key, size_t klen)
{
    MDB_dbi dbi;
    int rc = table_dbi(t->s, table, &dbi);
    return rc ? rc : ins__del(t, dbi, key, klen);
}

int ins_wtxn_scan(ins_wtxn *t, ins_table table, const void *prefix, size_t plen, const void *start,
                  size_t slen, ins_scan_fn cb, void *arg)
{
    MDB_dbi dbi;
    int rc = table_dbi(t->s, table, &dbi);
    return rc ? rc : ins__scan(t->txn, dbi, prefix, plen, start, slen, cb, arg);
}

int ins_wtxn_set_result(ins_wtxn *t, const void *data, size_t len)
{
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return ENOMEM;
    if (len)
        memcpy(copy, data, len);
    free(t->result);
    t->result = copy;
    t->result_len = len;
    return 0;
}

uint64_t ins_wtxn_now(ins_wtxn *t)
{
    return ins_store_now(t->s);
}

int ins_store_read_begin(ins_store *s, ins_rtxn **out)
{
    ins_rtxn *r;
    int rc;

    *out = NULL;
    pthread_mutex_lock(&s->pool_mu);
    r = s->pool;
    if (r)
        s->pool = r->next;
    pthread_mutex_unlock(&s->pool_mu);

    pthread_rwlock_rdlock(&s->meta.resize);
    if (r) {
        rc = mdb_txn_renew(r->txn);
    } else {
        r = calloc(1, sizeof(*r));
        rc = r ? mdb_txn_begin(s->meta.env, NULL, MDB_RDONLY, &r->txn) : ENOMEM;
    }
    if (rc) {
        pthread_rwlock_unlock(&s->meta.resize);
        if (r && r->txn)
            mdb_txn_abort(r->txn);
        free(r);
        return rc;
    }
    r->s = s;
    r->next = NULL;
    *out = r;
    return 0;
}

void ins_rtxn_end(ins_rtxn *r)
{
    if (!r)
        return;
    ins_store *s = r->s;
    mdb_txn_reset(r->txn);
    pthread_rwlock_unlock(&s->meta.resize);
    pthread_mutex_lock(&s->pool_mu);
    r->next = s->pool;
    s->pool = r;
    pthread_mutex_unlock(&s->pool_mu);
}

int ins_rtxn_get(ins_rtxn *r, ins_table table, const void *key, size_t klen, ins_val *out)
{
    MDB_dbi dbi;
    int rc = table_dbi(r->s, table, &dbi);
    return rc ? rc : ins__get(r->txn, dbi, key, klen, out);
}

int ins_rtxn_scan(ins_rtxn *r, ins_table table, const void *prefix, size_t plen, const void *start,
                  size_t slen, ins_scan_fn cb, void *arg)
{
    MDB_dbi dbi;
    int rc = table_dbi(r->s, table, &dbi);
    return rc ? rc : ins__scan(r->txn, dbi, prefix, plen, start, slen, cb, arg);
}

int ins_rtxn_count(ins_rtxn *r, ins_table table, uint64_t *n)
{
    MDB_dbi dbi;
    MDB_stat st;
    int rc = table_dbi(r->s, table, &dbi);
    if (rc == 0)
        rc = mdb_stat(r->txn, dbi, &st);
    if (rc == 0)
        *n = st.ms_entries;
    return rc;
}
