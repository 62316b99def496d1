/*
 * ops_gauges.c - the server's own metrics and the store's readiness (see
 * ops_gauges.h). Everything is read at scrape, from the store's figures
 * (storage/stats.c) and the record layer's counts; nothing is kept on a
 * call path except the upload byte counter in the ctx.
 */
#include "ops_gauges.h"

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "ins_audit.h"
#include "ins_feed.h"
#include "ins_pbjson.h"
#include "ins_tier.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "metrics.h"
#include "ready.h"
#include "rec_alerts.h"
#include "rec_photos.h"
#include "rec_tasks.h"

#define N_KINDS  16 /* above every AlertKind value */
#define N_STATES 16 /* above every TaskState value */

static void gauge(ins_metrics_out *out, const char *name, const char *help, double v)
{
    ins_metrics_family(out, name, help, "gauge");
    ins_metrics_sample(out, name, NULL, v);
}

/* Sizes, queues and commit histograms of every environment. */
static void collect_envs(ins_store *st, ins_metrics_out *out)
{
    size_t n = ins_store_env_count(st);
    ins_store_env_stats es[8];
    int ok[8] = {0};
    if (n > 8)
        n = 8;
    for (size_t i = 0; i < n; i++)
        ok[i] = ins_store_env_stats_get(st, i, &es[i]) == 0;
    static const struct {
        const char *name, *help;
        size_t off;
    } sizes[] = {
        {"inspectd_store_map_bytes",
         "Bytes of the environment's map, charged to --max-store-bytes.",
         offsetof(ins_store_env_stats, map_bytes)},
        {"inspectd_store_used_bytes", "Bytes of the environment's pages in use.",
         offsetof(ins_store_env_stats, used_bytes)},
        {"inspectd_writer_queue_depth", "Mutations waiting for the environment's writer.",
         offsetof(ins_store_env_stats, queue_depth)},
    };
    for (size_t f = 0; f < sizeof sizes / sizeof sizes[0]; f++) {
        ins_metrics_family(out, sizes[f].name, sizes[f].help, "gauge");
        for (size_t i = 0; i < n; i++) {
            if (!ok[i])
                continue;
            const char *labels[] = {"env", es[i].name, NULL};
            ins_metrics_sample_u64(out, sizes[f].name, labels,
                                   *(const size_t *)((const char *)&es[i] + sizes[f].off));
        }
    }
    ins_metrics_family(out, "inspectd_commit_seconds",
                       "Durable commit latency of one writer batch, from its first attempt.",
                       "histogram");
    for (size_t i = 0; i < n; i++)
        if (ok[i])
            ins_metrics_histogram(out, "inspectd_commit_seconds",
                                  (const char *[]){"env", es[i].name, NULL}, es[i].commit_ns, 1e9);
    ins_metrics_family(out, "inspectd_commit_batch_size", "Mutations per committed writer batch.",
                       "histogram");
    for (size_t i = 0; i < n; i++)
        if (ok[i])
            ins_metrics_histogram(out, "inspectd_commit_batch_size",
                                  (const char *[]){"env", es[i].name, NULL}, es[i].batch_size, 1);
    size_t used = 0, limit = 0;
    ins_store_space(st, &used, &limit);
    gauge(out, "inspectd_store_reserved_bytes",
          "Bytes of every map together, the figure --max-store-bytes bounds.", (double)used);
    gauge(out, "inspectd_store_max_bytes", "--max-store-bytes.", (double)limit);
}

/* One gauge family labelled by the short names of an enum. */
static void enum_family(ins_metrics_out *out, const char *name, const char *help, const char *label,
                        const ProtobufCEnumDescriptor *d, const uint64_t *counts, size_t n)
{
    ins_metrics_family(out, name, help, "gauge");
    for (unsigned i = 0; i < d->n_values; i++) {
        int v = d->values[i].value;
        if (v <= 0 || (size_t)v >= n)
            continue; /* UNSPECIFIED */
        char buf[64];
        const char *labels[] = {label, ins_pbjson_enum_short(d, v, buf, sizeof buf), NULL};
        ins_metrics_sample_u64(out, name, labels, counts[v]);
    }
}

/* Counts from the records: open alerts by kind, tasks by state, photos. */
static void collect_records(ins_store *st, ins_metrics_out *out)
{
    ins_rtxn *r;
    if (ins_store_read_begin(st, &r) != 0)
        return;
    uint64_t kinds[N_KINDS], states[N_STATES], photos = 0;
    if (ins_alert_count_open_by_kind(r, kinds, N_KINDS) == 0)
        enum_family(out, "inspectd_alerts_open", "Alerts not yet acknowledged, by kind.", "kind",
                    &inspect__v1__alert_kind__descriptor, kinds, N_KINDS);
    if (ins_task_count_by_state(r, states, N_STATES) == 0)
        enum_family(out, "inspectd_tasks", "Inspection tasks by state.", "state",
                    &inspect__v1__task_state__descriptor, states, N_STATES);
    if (ins_photo_count(r, &photos) == 0)
        gauge(out, "inspectd_photos_stored", "Photos filed (verified and stored).", (double)photos);
    ins_rtxn_end(r);
}

/* The photo tier's backlog, moves and failures, when one is configured. */
static void collect_tier(ins_store *st, ins_metrics_out *out)
{
    ins_tier_status ts;
    if (ins_tier_status_get(st, &ts) != 0 || !ts.enabled)
        return;
    gauge(out, "inspectd_tier_backlog_photos", "Photos waiting to move to the object store.",
          (double)ts.backlog_count);
    gauge(out, "inspectd_tier_backlog_bytes", "Bytes of the photos waiting to move.",
          (double)ts.backlog_bytes);
    gauge(out, "inspectd_tier_oldest_waiting_timestamp_seconds",
          "When the oldest waiting photo was queued, Unix seconds; 0 when none waits.",
          (double)ts.oldest_waiting_unix);
    gauge(out, "inspectd_tier_remote_photos", "Photos recorded as held by the object store.",
          (double)ts.remote_count);
    gauge(out, "inspectd_tier_local_bytes", "Photo bytes held in the local blob stripes.",
          (double)ts.local_bytes);
    ins_metrics_family(out, "inspectd_tier_moved_total", "Photos moved since the start.",
                       "counter");
    ins_metrics_sample_u64(out, "inspectd_tier_moved_total", NULL, ts.moved);
    ins_metrics_family(out, "inspectd_tier_data_loss_total",
                       "Object-store reads that failed their SHA-256 check.", "counter");
    ins_metrics_sample_u64(out, "inspectd_tier_data_loss_total", NULL, ts.data_loss);
    gauge(out, "inspectd_tier_unreachable_since_timestamp_seconds",
          "Since when the object store has not answered, Unix seconds; 0 when it answers.",
          (double)ts.unreachable_since_unix);
}

static void collect(void *arg, ins_metrics_out *out)
{
    ins_ctx *ctx = arg;
    ins_store *st = ctx->store;
    if (!st)
        return;
    collect_envs(st, out);
    collect_tier(st, out);
    ins_store_counts c;
    if (ins_store_counts_get(st, &c) == 0) {
        gauge(out, "inspectd_uploads_staged", "Photo uploads begun and not yet finished.",
              (double)c.uploads_staged);
        gauge(out, "inspectd_blobs_stored", "Distinct photo contents in the blob store.",
              (double)c.blobs_stored);
        gauge(out, "inspectd_idempotency_entries",
              "Stored results of mutating calls kept for replay by request id.",
              (double)c.idem_entries);
    }
    collect_records(st, out);
    ins_metrics_family(out, "inspectd_upload_bytes_received_total",
                       "Photo chunk bytes accepted from clients.", "counter");
    ins_metrics_sample_u64(out, "inspectd_upload_bytes_received_total", NULL,
                           atomic_load_explicit(&ctx->upload_bytes, memory_order_relaxed));
    gauge(out, "inspectd_follow_streams_open",
          "PullChanges and WatchAlerts streams following "
          "the feed.",
          (double)ins_followers_count(&ctx->followers));
    gauge(out, "inspectd_feed_head_sequence", "Sequence of the last committed feed entry.",
          (double)ins_feed_last(st));
    gauge(out, "inspectd_audit_head_sequence", "Sequence of the last committed audit entry.",
          (double)ins_audit_last(st));
    if (ctx->server) {
        ins_server_stats ss;
        ins_server_get_stats(ctx->server, &ss);
        gauge(out, "inspectd_calls_active", "Calls being served now.", (double)ss.calls_active);
        gauge(out, "inspectd_start_time_seconds", "When the server started, Unix seconds.",
              (double)ss.started_unix);
    }
}

static int store_ready(void *arg, char *why, size_t whylen)
{
    ins_ctx *ctx = arg;
    if (!ctx->store) {
        snprintf(why, whylen, "the store is not open");
        return 1;
    }
    if (ctx->server && ins_server_draining(ctx->server)) {
        snprintf(why, whylen, "the server is draining for shutdown");
        return 1;
    }
    return 0;
}

/* Ready while the object store answers (or no tier is configured); the
 * landing zone takes uploads meanwhile, but an operator should know. */
static int tier_ready(void *arg, char *why, size_t whylen)
{
    ins_ctx *ctx = arg;
    ins_tier_status ts;
    if (!ctx->store || ins_tier_status_get(ctx->store, &ts) != 0 || !ts.enabled ||
        ts.unreachable_since_unix == 0)
        return 0;
    char when[40] = "?";
    time_t t = (time_t)ts.unreachable_since_unix;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(why, whylen,
             "the object store %s has not answered since %s (%s); uploads land "
             "locally, %llu photos wait",
             ts.store, when, ts.last_error, (unsigned long long)ts.backlog_count);
    return 1;
}

int ins_ops_gauges_register(ins_ctx *ctx)
{
    int rc = ins_metrics_collector_register(collect, ctx);
    if (rc == 0)
        rc = ins_ready_register("store", store_ready, ctx);
    if (rc == 0)
        rc = ins_ready_register("objectstore", tier_ready, ctx);
    if (rc != 0)
        ins_ops_gauges_unregister(ctx);
    return rc;
}

void ins_ops_gauges_unregister(ins_ctx *ctx)
{
    ins_metrics_unregister(ctx);
    ins_ready_unregister(ctx);
}
