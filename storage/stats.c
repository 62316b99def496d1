/*
 * stats.c - figures of the store for metrics (see ins_store.h): map and
 * used sizes, writer queues and their commit histograms, and entry counts
 * of the engine's own tables. Everything here reads; nothing waits for a
 * writer, except for the instant of a map resize.
 */
#include "store_impl.h"

static ins_env *env_at(ins_store *s, size_t i, ins_writer **w)
{
    if (i == 0) {
        *w = &s->mw;
        return &s->meta;
    }
    *w = &s->bs[i - 1].w;
    return &s->bs[i - 1].env;
}

size_t ins_store_env_count(const ins_store *s)
{
    (void)s;
    return 1 + INS_BLOB_STRIPES;
}

int ins_store_env_stats_get(ins_store *s, size_t i, ins_store_env_stats *out)
{
    if (i >= ins_store_env_count(s))
        return INS_EINVAL;
    ins_writer *w;
    ins_env *e = env_at(s, i, &w);
    MDB_envinfo info;
    MDB_stat st;
    pthread_rwlock_rdlock(&e->resize); /* the map does not move meanwhile */
    int rc = mdb_env_info(e->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(e->env, &st);
    out->map_bytes = e->mapsize;
    pthread_rwlock_unlock(&e->resize);
    if (rc != 0)
        return rc;
    out->name = e->name;
    out->used_bytes = (size_t)(info.me_last_pgno + 1) * st.ms_psize;
    out->queue_depth = ins__writer_depth(w);
    out->commit_ns = &w->commit_ns;
    out->batch_size = &w->batch_size;
    return 0;
}

/* Entries of `dbi` in a fresh read transaction of `e`. */
static int env_entries(ins_env *e, MDB_dbi dbi, uint64_t *n)
{
    MDB_txn *txn;
    MDB_stat st;
    int rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return rc;
    rc = mdb_stat(txn, dbi, &st);
    mdb_txn_abort(txn);
    if (rc == 0)
        *n = st.ms_entries;
    return rc;
}

int ins_store_counts_get(ins_store *s, ins_store_counts *out)
{
    *out = (ins_store_counts){0};
    int rc = env_entries(&s->meta, s->mdbi[MT_IDEM], &out->idem_entries);
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        uint64_t staged = 0, content = 0;
        rc = env_entries(&s->bs[i].env, s->bs[i].dbi[BT_STAGE], &staged);
        if (rc == 0)
            rc = env_entries(&s->bs[i].env, s->bs[i].dbi[BT_CONTENT], &content);
        out->uploads_staged += staged;
        out->blobs_stored += content;
    }
    return rc;
}
