/*
 * store.c - opening and closing a store: meta and the blob stripes, the named
 * tables, the schema stamp and its migrations, the writers and the sweep.
 *
 * meta/_schema holds "engine" (the layout of the engine's own tables) and
 * "schema" (the upper layers' schema version), both u32 big-endian. A store
 * stamped newer than this build is refused before anything is written.
 * "district" holds the code of the district the store belongs to, written
 * at the first open that names one and compared at every later one, so one
 * district's data is never served as another's.
 */
#include "store_impl.h"
#include "ins_feed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const meta_names[MT_N] = {"_schema", "_feed",     "_audit",
                                             "_idem",   "_idem_exp", "_blobref"};
static const char *const blob_names[BT_N] = {"_meta", "_stage", "_content", "_chunk"};

uint64_t ins_store_now(ins_store *s)
{
    if (s->opt.clock_ns)
        return s->opt.clock_ns(s->opt.clock_arg);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void detail(const ins_store_options *opt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void detail(const ins_store_options *opt, const char *fmt, ...)
{
    if (!opt->err_detail || !opt->err_detail_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(opt->err_detail, opt->err_detail_len, fmt, ap);
    va_end(ap);
}

/* The generic sentence for a failed open, unless a more precise one (a
 * newer schema, another district) was written already. */
static void detail_open_failed(const ins_store_options *opt, const char *dir, int rc)
{
    if (opt->err_detail && opt->err_detail_len && opt->err_detail[0] == '\0')
        detail(opt, "cannot open the store in %s: %s", dir, ins_strerror(rc));
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int get_u32(MDB_txn *txn, MDB_dbi dbi, const char *name, uint32_t *v)
{
    ins_val val;
    int rc = ins__get(txn, dbi, name, strlen(name), &val);
    if (rc)
        return rc;
    if (val.len != 4)
        return INS_ECORRUPT;
    const uint8_t *b = val.data;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

static int put_u32(ins_wtxn *t, MDB_dbi dbi, const char *name, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return ins__put(t, dbi, name, strlen(name), b, 4, 0);
}

static int cmp_migration(const void *a, const void *b)
{
    const ins_migration *x = *(const ins_migration *const *)a;
    const ins_migration *y = *(const ins_migration *const *)b;
    return x->to_version < y->to_version ? -1 : x->to_version > y->to_version;
}

/* Stamps a new store or checks and migrates an existing one. */
static int check_schema(ins_store *s, ins_wtxn *t, const ins_store_options *opt)
{
    MDB_dbi dbi = s->mdbi[MT_SCHEMA];
    uint32_t engine = 0, have = 0, want = opt->schema_version;
    int rc = get_u32(t->txn, dbi, "engine", &engine);
    if (rc == INS_ENOTFOUND) {
        if ((rc = put_u32(t, dbi, "engine", INS_ENGINE_FORMAT)) != 0)
            return rc;
        return put_u32(t, dbi, "schema", want);
    }
    if (rc == 0)
        rc = get_u32(t->txn, dbi, "schema", &have);
    if (rc)
        return rc;
    if (engine > INS_ENGINE_FORMAT || have > want) {
        detail(opt,
               "store in %s was written by a newer inspectd (engine format %u, schema %u; "
               "this build reads engine format %u, schema %u)",
               s->dir, engine, have, INS_ENGINE_FORMAT, want);
        return INS_ESCHEMA;
    }
    if (have == want)
        return 0;
    const ins_migration **order = calloc(opt->n_migrations + 1, sizeof(*order));
    if (!order)
        return ENOMEM;
    for (size_t i = 0; i < opt->n_migrations; i++)
        order[i] = &opt->migrations[i];
    qsort(order, opt->n_migrations, sizeof(*order), cmp_migration);
    for (size_t i = 0; i < opt->n_migrations && rc == 0; i++) {
        const ins_migration *mg = order[i];
        if (mg->to_version <= have || mg->to_version > want)
            continue;
        rc = mg->fn(t, mg->arg);
        if (rc)
            detail(opt, "migration to schema %u failed: %s", mg->to_version, ins_strerror(rc));
        else
            have = mg->to_version;
    }
    free(order);
    return rc ? rc : put_u32(t, dbi, "schema", want);
}

/* Stamps the store's district at its first open naming one, or checks it. */
static int check_district(ins_store *s, ins_wtxn *t, const ins_store_options *opt)
{
    if (opt->district == NULL)
        return 0;
    ins_val val;
    size_t want = strlen(opt->district);
    int rc = ins__get(t->txn, s->mdbi[MT_SCHEMA], "district", 8, &val);
    if (rc == INS_ENOTFOUND)
        return ins__put(t, s->mdbi[MT_SCHEMA], "district", 8, opt->district, want, 0);
    if (rc != 0)
        return rc;
    if (val.len == want && memcmp(val.data, opt->district, want) == 0)
        return 0;
    detail(opt,
           "store in %s belongs to district '%.*s', not '%s': start it with --district %.*s, "
           "or give district %s a data folder of its own",
           s->dir, (int)val.len, (const char *)val.data, opt->district, (int)val.len,
           (const char *)val.data, opt->district);
    return INS_ESTATE;
}

/* Opens the tables of meta (b NULL; checks the schema) or of blob stripe b. */
static int open_tables(ins_store *s, ins_bstripe *b, const ins_store_options *opt)
{
    int is_meta = b == NULL;
    ins_env *e = is_meta ? &s->meta : &b->env;
    for (;;) {
        ins_wtxn t = {.s = s, .env = e};
        int rc = mdb_txn_begin(e->env, NULL, 0, &t.txn);
        if (rc)
            return rc;
        for (int i = 0; rc == 0 && i < (is_meta ? MT_N : BT_N); i++)
            rc = mdb_dbi_open(t.txn, is_meta ? meta_names[i] : blob_names[i], MDB_CREATE,
                              is_meta ? &s->mdbi[i] : &b->dbi[i]);
        for (size_t i = 0; is_meta && rc == 0 && i < s->n_udbi; i++)
            rc = mdb_dbi_open(t.txn, opt->tables[i], MDB_CREATE, &s->udbi[i]);
        if (rc == 0 && is_meta)
            rc = check_schema(s, &t, opt);
        if (rc == 0 && is_meta)
            rc = check_district(s, &t, opt);
        if (rc == 0 && is_meta && (rc = ins__feed_load(s, t.txn)) == 0)
            rc = ins__audit_load(s, t.txn);
        if (rc == 0 && !is_meta)
            rc = ins__blob_load(s, b, t.txn);
        if (rc == 0)
            rc = mdb_txn_commit(t.txn);
        else
            mdb_txn_abort(t.txn);
        if ((rc == MDB_MAP_FULL || t.map_full) && ins__env_grow(e) == 0)
            continue;
        return ins__env_io_err(rc);
    }
}

static int check_tables(const ins_store_options *opt, size_t *n)
{
    *n = 0;
    for (const char *const *p = opt->tables; p && *p; p++) {
        if ((*p)[0] == '_' || (*p)[0] == '\0')
            return INS_EINVAL;
        (*n)++;
    }
    return *n > 1000 ? INS_EINVAL : 0;
}

static void set_defaults(ins_store_options *o)
{
    if (!o->initial_map_bytes)
        o->initial_map_bytes = 16u << 20;
    if (!o->max_store_bytes)
        o->max_store_bytes = (size_t)64 << 30;
    if (!o->idempotency_days)
        o->idempotency_days = 30;
    if (!o->upload_ttl_s)
        o->upload_ttl_s = 86400;
    if (!o->queue_capacity)
        o->queue_capacity = 4096;
    if (!o->sweep_interval_s)
        o->sweep_interval_s = 600;
}

/* The first map of a blob stripe: its file is reserved to the map's size
 * (env.c), so an empty store does not take 16 MiB a stripe on disk. */
#define BLOB_MAP_START ((size_t)4 << 20)

/*
 * Stripe 0 is "blobs" (the one blob environment of older stores), stripe i
 * "blobs-i". All five maps draw on one budget, max_store_bytes; each starts
 * at most at an eighth of it, so the five fit with room to grow.
 */
static int open_envs(ins_store *s, const ins_store_options *opt)
{
    size_t init = s->opt.initial_map_bytes, share = s->opt.max_store_bytes / 8;
    char *mp = join(s->dir, "meta");
    int rc = ENOMEM;
    unsigned i = 0;
    if (init > share)
        init = share;
    s->space.limit = s->opt.max_store_bytes;
    if (mp)
        rc = ins__env_open(&s->meta, mp, 0, init, &s->space, (unsigned)(s->n_udbi + MT_N + 1));
    s->meta.name = "meta";
    free(mp);
    if (init > BLOB_MAP_START)
        init = BLOB_MAP_START;
    for (; rc == 0 && i < INS_BLOB_STRIPES; i++) {
        ins_bstripe *b = &s->bs[i];
        char *bp;
        b->idx = i;
        if (i == 0)
            snprintf(b->name, sizeof(b->name), "blobs");
        else
            snprintf(b->name, sizeof(b->name), "blobs-%u", i);
        b->env.name = b->name;
        if (!(bp = join(s->dir, b->name))) {
            rc = ENOMEM;
            break;
        }
        rc = ins__env_open(&b->env, bp, MDB_WRITEMAP | MDB_NORDAHEAD, init, &s->space, BT_N + 1);
        free(bp);
    }
    if (rc) {
        while (i-- > 0)
            ins__env_close(&s->bs[i].env);
        ins__env_close(&s->meta);
    }
    if (rc)
        detail_open_failed(opt, s->dir, rc);
    return rc;
}

static void free_store(ins_store *s)
{
    while (s->pool) {
        ins_rtxn *r = s->pool;
        s->pool = r->next;
        mdb_txn_abort(r->txn);
        free(r);
    }
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++) {
        ins__blob_free_hs(&s->bs[i]);
        ins__env_close(&s->bs[i].env);
    }
    ins__env_close(&s->meta);
    pthread_mutex_destroy(&s->space.mu);
    pthread_mutex_destroy(&s->feed_mu);
    pthread_cond_destroy(&s->feed_cv);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_mutex_destroy(&s->sw_mu);
    pthread_cond_destroy(&s->sw_cv);
    free(s->udbi);
    free(s->dir);
    free(s);
}

static void init_sync(ins_store *s)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->space.mu, NULL);
    pthread_mutex_init(&s->feed_mu, NULL);
    pthread_cond_init(&s->feed_cv, &ca);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_mutex_init(&s->sw_mu, NULL);
    pthread_cond_init(&s->sw_cv, &ca);
    pthread_condattr_destroy(&ca);
}

int ins_store_open(const ins_store_options *opt, ins_store **out)
{
    ins_store *s;
    size_t n;
    int rc;

    *out = NULL;
    if (opt && opt->err_detail && opt->err_detail_len)
        opt->err_detail[0] = '\0';
    if (!opt || !opt->data_dir || !opt->data_dir[0] || check_tables(opt, &n) != 0)
        return INS_EINVAL;
    if (mkdir(opt->data_dir, 0750) != 0 && errno != EEXIST)
        return errno;
    if (!(s = calloc(1, sizeof(*s))))
        return ENOMEM;
    init_sync(s);
    s->opt = *opt;
    set_defaults(&s->opt);
    s->n_udbi = n;
    s->dir = strdup(opt->data_dir);
    s->udbi = calloc(n + 1, sizeof(MDB_dbi));
    if (!s->dir || !s->udbi) {
        free_store(s);
        return ENOMEM;
    }
    if ((rc = open_envs(s, opt)) != 0) {
        free_store(s);
        return rc;
    }
    if ((rc = open_tables(s, NULL, opt)) != 0)
        goto fail;
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++)
        if ((rc = open_tables(s, &s->bs[i], opt)) != 0)
            goto fail;
    s->opt.tables = NULL;
    s->opt.migrations = NULL;
    s->opt.err_detail = NULL;
    ins__writer_init(&s->mw, s, &s->meta, s->opt.queue_capacity, 1);
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++)
        ins__writer_init(&s->bs[i].w, s, &s->bs[i].env, s->opt.queue_capacity, 0);
    rc = ins__writer_start(&s->mw);
    for (unsigned i = 0; rc == 0 && i < INS_BLOB_STRIPES; i++)
        rc = ins__writer_start(&s->bs[i].w);
    if (rc == 0)
        rc = ins__sweeper_start(s);
    if (rc) {
        ins__writer_stop(&s->mw);
        for (unsigned i = 0; i < INS_BLOB_STRIPES; i++)
            ins__writer_stop(&s->bs[i].w);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    detail_open_failed(opt, s->dir, rc);
    free_store(s);
    return rc;
}

void ins_store_close(ins_store *s)
{
    if (!s)
        return;
    ins__sweeper_stop(s);
    ins__writer_stop(&s->mw);
    for (unsigned i = 0; i < INS_BLOB_STRIPES; i++)
        ins__writer_stop(&s->bs[i].w);
    pthread_mutex_lock(&s->feed_mu);
    s->closing = 1;
    pthread_cond_broadcast(&s->feed_cv);
    pthread_mutex_unlock(&s->feed_mu);
    free_store(s);
}

int ins_store_submit(ins_store *s, ins_mutation *m)
{
    return ins__writer_submit(&s->mw, m, 0);
}

int ins_store_exec(ins_store *s, int (*apply)(ins_wtxn *t, void *arg), void *arg)
{
    return ins__writer_exec(&s->mw, apply, arg);
}

void ins_store_on_commit(ins_store *s, void (*cb)(void *arg, uint64_t last_seq), void *arg)
{
    pthread_mutex_lock(&s->mw.mu);
    s->on_commit = cb;
    s->on_commit_arg = arg;
    pthread_mutex_unlock(&s->mw.mu);
}

int ins_store_sweep(ins_store *s)
{
    int rc = ins__idem_sweep(s);
    int rc2 = ins__blob_sweep(s);
    return rc ? rc : rc2;
}

void ins_store_map_sizes(ins_store *s, size_t *meta, size_t *blobs)
{
    if (meta)
        *meta = s->meta.mapsize;
    if (blobs) {
        *blobs = 0;
        for (unsigned i = 0; i < INS_BLOB_STRIPES; i++)
            *blobs += s->bs[i].env.mapsize;
    }
}

void ins_store_space(ins_store *s, size_t *used, size_t *limit)
{
    pthread_mutex_lock(&s->space.mu);
    if (used)
        *used = s->space.reserved;
    if (limit)
        *limit = s->space.limit;
    pthread_mutex_unlock(&s->space.mu);
}

int ins_store_lock_dir(const char *data_dir, int *fd)
{
    char *p;
    int f, rc = 0;

    *fd = -1;
    if (mkdir(data_dir, 0750) != 0 && errno != EEXIST)
        return errno;
    if (!(p = join(data_dir, "inspectd.pid")))
        return ENOMEM;
    f = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    free(p);
    if (f < 0)
        return errno;
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK ? INS_EBUSY : errno;
        close(f);
        return rc;
    }
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || write(f, buf, (size_t)n) != n)
        rc = errno;
    if (rc) {
        close(f);
        return rc;
    }
    *fd = f;
    return 0;
}

void ins_store_unlock_dir(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the descriptor releases the flock */
}
