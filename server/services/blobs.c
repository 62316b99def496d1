/*
 * blobs.c - inspect.v1.Blobs (see blobs.h): the photo tier's status, read
 * from storage/ins_tier.h; the migration, which queues in meta and so waits
 * for commits, and the collector's list of orphan objects, which lists the
 * object store: both run on a job thread.
 */
#include "blobs.h"

#include <errno.h>
#include <stdlib.h>

#include "ctx.h"
#include "ins_error.h"
#include "ins_hex.h"
#include "ins_tier.h"
#include "inspect/v1/blobs.pb-c.h"
#include "jobs.h"

static void status_start(ins_call *call, const ProtobufCMessage *req)
{
    (void)req;
    ins_tier_status *st = malloc(sizeof *st);
    if (!st) {
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    int rc = ins_tier_status_get(ins_ctx_of(call)->store, st);
    if (rc) {
        ins_call_fail(call, rc, "reading the photo tier's figures: %s", ins_strerror(rc));
        free(st);
        return;
    }
    Inspect__V1__GetBlobStatusResponse resp = INSPECT__V1__GET_BLOB_STATUS_RESPONSE__INIT;
    resp.store = st->enabled ? st->store : "lmdb";
    resp.local_photos = st->local_count;
    resp.local_bytes = st->local_bytes;
    resp.backlog_photos = st->backlog_count;
    resp.backlog_bytes = st->backlog_bytes;
    resp.oldest_waiting_unix = st->oldest_waiting_unix;
    resp.remote_photos = st->remote_count;
    resp.cached_bytes = st->cached_bytes;
    resp.moved = st->moved;
    resp.data_loss = st->data_loss;
    resp.unreachable_since_unix = st->unreachable_since_unix;
    resp.last_error = st->last_error;
    resp.last_error_unix = st->last_error_unix;
    resp.landing_limit_bytes = st->landing_bytes;
    ins_call_reply(call, &resp.base);
    free(st);
}

#define ORPHANS_SHOWN 1000

/* A job's state: MigrateBlobs (queued) or ListOrphanBlobs (the rest). */
typedef struct migrate {
    int err;
    uint64_t queued;
    ins_store *store;
    int orphans; /* 1: ListOrphanBlobs */
    char (*ids)[65];
    size_t n_ids;
    uint64_t count, bytes;
} migrate;

static int orphan_seen(void *arg, const uint8_t sha[32], uint64_t size)
{
    migrate *m = arg;
    if (m->n_ids < ORPHANS_SHOWN)
        ins_hex_encode(sha, 32, m->ids[m->n_ids++]);
    m->count++;
    m->bytes += size;
    return 0;
}

static void migrate_job(void *arg)
{
    migrate *m = arg;
    if (m->orphans)
        m->err = ins_tier_orphans(m->store, orphan_seen, m);
    else
        m->err = ins_tier_migrate(m->store, &m->queued);
}

/* Starts the job of MigrateBlobs or ListOrphanBlobs. */
static void job_start(ins_call *call, int orphans)
{
    ins_ctx *ctx = ins_ctx_of(call);
    if (!ins_tier_enabled(ctx->store)) {
        ins_call_fail(call, INS_ESTATE,
                      "this server keeps every photo in its data folder: start it with "
                      "--blob-store s3://BUCKET[/PREFIX] --s3-endpoint URL to %s",
                      orphans ? "have an object store to look at" : "migrate");
        return;
    }
    migrate *m = calloc(1, sizeof *m);
    if (!m || (orphans && !(m->ids = calloc(ORPHANS_SHOWN, sizeof *m->ids)))) {
        free(m);
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    m->orphans = orphans;
    m->store = ctx->store;
    ins_call_set_data(call, m);
    if (ins_jobs_submit(ctx->jobs, call, migrate_job, m) != 0)
        ins_call_fail(call, INS_ESHUTDOWN, "server is shutting down; ask again later");
}

static void migrate_start(ins_call *call, const ProtobufCMessage *req)
{
    (void)req;
    job_start(call, 0);
}

static void orphans_start(ins_call *call, const ProtobufCMessage *req)
{
    (void)req;
    job_start(call, 1);
}

static void migrate_on_wake(ins_call *call)
{
    migrate *m = ins_call_data(call);
    if (ins_call_done(call))
        return;
    if (m->orphans) {
        if (m->err) {
            ins_call_fail(call, m->err, "listing the object store: %s", ins_strerror(m->err));
            return;
        }
        char **ids = calloc(m->n_ids ? m->n_ids : 1, sizeof *ids);
        if (!ids) {
            ins_call_fail(call, ENOMEM, "out of memory");
            return;
        }
        for (size_t i = 0; i < m->n_ids; i++)
            ids[i] = m->ids[i];
        Inspect__V1__ListOrphanBlobsResponse resp = INSPECT__V1__LIST_ORPHAN_BLOBS_RESPONSE__INIT;
        resp.photo_ids = ids;
        resp.n_photo_ids = m->n_ids;
        resp.count = m->count;
        resp.bytes = m->bytes;
        ins_call_reply(call, &resp.base);
        free(ids);
        return;
    }
    if (m->err) {
        ins_call_fail(call, m->err, "queueing the local photos (%llu queued): %s",
                      (unsigned long long)m->queued, ins_strerror(m->err));
        return;
    }
    Inspect__V1__MigrateBlobsResponse resp = INSPECT__V1__MIGRATE_BLOBS_RESPONSE__INIT;
    resp.queued = m->queued;
    ins_call_reply(call, &resp.base);
}

static void migrate_cleanup(ins_call *call)
{
    migrate *m = ins_call_data(call);
    if (m)
        free(m->ids);
    free(m);
}

static const ins_method_ops status_ops = {.start = status_start};
static const ins_method_ops migrate_ops = {
    .start = migrate_start,
    .on_wake = migrate_on_wake,
    .cleanup = migrate_cleanup,
};

static const ins_method_ops orphans_ops = {
    .start = orphans_start,
    .on_wake = migrate_on_wake,
    .cleanup = migrate_cleanup,
};

static const ins_method_def blobs_methods[] = {
    {"GetBlobStatus", INS_UNARY, INS_ROLE_BIT(INS_ROLE_ADMIN) | INS_ROLE_BIT(INS_ROLE_AUDITOR),
     &status_ops},
    {"MigrateBlobs", INS_UNARY, INS_ROLE_BIT(INS_ROLE_ADMIN), &migrate_ops},
    {"ListOrphanBlobs", INS_UNARY, INS_ROLE_BIT(INS_ROLE_ADMIN) | INS_ROLE_BIT(INS_ROLE_AUDITOR),
     &orphans_ops},
};

const ins_service_def ins_blobs_service = {
    .descriptor = &inspect__v1__blobs__descriptor,
    .methods = blobs_methods,
    .n_methods = sizeof blobs_methods / sizeof blobs_methods[0],
};
