/*
 * main.c - inspectd: settings, the token key, services, start, a reload on
 * SIGHUP and a clean stop on SIGTERM or SIGINT.
 *
 * Signals are blocked in every thread and taken by sigwait() on the main
 * thread, so no code runs in signal context at all.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <grpc/grpc.h>

#include "ctx.h"
#include "tables.h"
#include "audit.h"
#include "blobs.h"
#include "backup_sched.h"
#include "ins_token.h"
#include "directory.h"
#include "departments.h"
#include "dispatch.h"
#include "field.h"
#include "health.h"
#include "http.h"
#include "jobs.h"
#include "ins_error.h"
#include "log.h"
#include "ops_gauges.h"
#include "options.h"
#include "tier_start.h"
#include "licensing.h"
#include "reflection.h"
#include "scheduler.h"
#include "server.h"
#include "session.h"
#include "web.h"

/* Writes the bound port to `path` atomically (temp file, then rename), so a
 * reader never sees a half-written number. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return errno;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return errno;
    return rename(tmp, path) == 0 ? 0 : errno;
}

static int add_services(ins_server *srv)
{
    /* clang-format off */
    static const ins_service_def *const services[] = {
        &ins_health_service,      /* grpc.health.v1 */
        &ins_reflection_service,  /* grpc.reflection.v1alpha */
        &ins_reflection_v1_service, /* grpc.reflection.v1 */
        &ins_session_service,
        &ins_directory_service,
        &ins_licensing_service,
        &ins_dispatch_service,
        &ins_field_service,
        &ins_departments_service,
        &ins_audit_service, /* inspect.v1.Audit */
        &ins_blobs_service, /* inspect.v1.Blobs */
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        int rc = ins_server_add_service(srv, services[i]);
        if (rc != 0)
            return rc;
    }
    int rc = ins_health_init(srv);
    return rc ? rc : ins_reflection_init(srv);
}

/* Opens the store in the data folder; reports and returns non-zero on error. */
static int open_store(const ins_options *o, ins_ctx *ctx, ins_store **out)
{
    char detail[512] = "";
    ins_store_options so = {
        .data_dir = o->data_dir,
        .max_store_bytes = (size_t)o->max_store_bytes,
        .idempotency_days = (unsigned)o->idempotency_days,
        .upload_ttl_s = (uint64_t)o->upload_ttl_seconds,
        .tables = ins_rec_table_names,
        .clock_ns = ins_ctx_clock_ns,
        .clock_arg = ctx,
        .schema_version = INS_REC_SCHEMA,
        .district = o->district,
        .migrations = ins_rec_migrations,
        .n_migrations = ins_rec_n_migrations,
        .err_detail = detail,
        .err_detail_len = sizeof detail,
    };
    int rc = ins_store_open(&so, out);
    if (rc != 0)
        ins_log(INS_LOG_ERROR, "cannot open the store in %s: %s", o->data_dir,
                detail[0] ? detail : ins_strerror(rc));
    return rc;
}

/* The installed console: PREFIX/INSPECT_CONSOLE_RELDIR for the PREFIX/bin
 * this binary runs from. Writes "" when /proc/self/exe cannot be read. */
static void installed_console(char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0'; /* PREFIX/bin */
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0'; /* PREFIX */
    snprintf(out, cap, "%s/%s", exe, INSPECT_CONSOLE_RELDIR);
}

/* Starts the gRPC-Web listener and the console on --web-listen. */
static int start_web(const ins_options *o, ins_server *srv, ins_web **out)
{
    char err[512] = "";
    char root[PATH_MAX + 64];
    if (o->web_root)
        snprintf(root, sizeof root, "%s", o->web_root);
    else
        installed_console(root, sizeof root);
    ins_web_config wc = {
        .listen = o->web_listen,
        .root = root,
        .origins = o->web_origins,
        .n_origins = o->n_web_origins,
        .max_message_bytes = o->max_message_bytes,
        .tls_cert = o->tls_cert,
        .tls_key = o->tls_key,
        .tls_client_ca = o->tls_client_ca,
    };
    int port = 0;
    int rc = ins_web_start(&wc, srv, out, &port, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "inspectd: %s\n", err[0] ? err : ins_strerror(rc));
        return rc;
    }
    if (o->web_port_file && (rc = write_port_file(o->web_port_file, port)) != 0)
        fprintf(stderr, "inspectd: cannot write %s: %s\n", o->web_port_file, strerror(rc));
    const char *colon = strrchr(o->web_listen, ':');
    fprintf(stderr, "inspectd: web console and gRPC-Web on %s://%.*s:%d/\n",
            o->tls_cert ? "https" : "http", colon ? (int)(colon - o->web_listen) : 0, o->web_listen,
            port);
    return 0;
}

/* Names a setting that differs between `o` and `n` but only changes at a
 * restart (`a`, `b` its two values as text; NULL counts as ""). */
static void note_restart(const char *name, const char *a, const char *b)
{
    if (strcmp(a ? a : "", b ? b : "") != 0)
        ins_log(INS_LOG_WARN, "reload: %s changes only at a restart (still %s)", name,
                a ? a : "unset");
}

/*
 * SIGHUP: reads the settings again (--config and the command line), applies
 * what can change live - the TLS files, quiet, max-photo-bytes,
 * checkin-radius-m, max-clock-skew - and says which other changes wait for
 * a restart. A file with an error changes nothing. The live values of `o`
 * are updated.
 */
static void reload(int argc, char **argv, ins_options *o, ins_ctx *ctx, ins_server *srv)
{
    ins_options n;
    if (ins_options_parse(argc, argv, &n) != 0) {
        ins_log(INS_LOG_WARN, "reload: settings not changed");
        ins_options_free(&n);
        return;
    }
    char err[512] = "";
    if (n.tls_cert && o->tls_cert &&
        ins_server_reload_tls(srv, n.tls_cert, n.tls_key, n.tls_client_ca, err, sizeof err) != 0) {
        ins_log(INS_LOG_WARN, "reload: TLS files not changed: %s", err);
        ins_options_free(&n);
        return;
    }
    note_restart("listen", o->listen, n.listen);
    note_restart("data-dir", o->data_dir, n.data_dir);
    note_restart("district", o->district, n.district);
    note_restart("trusted-proxy", o->trusted_proxy, n.trusted_proxy);
    note_restart("web-listen", o->web_listen, n.web_listen);
    note_restart("web-root", o->web_root, n.web_root);
    if (o->web_listen && o->tls_cert)
        fprintf(stderr, "inspectd: reload: the web listener keeps its TLS files until a restart\n");
    if ((n.tls_cert == NULL) != (o->tls_cert == NULL))
        note_restart("tls-cert", o->tls_cert, n.tls_cert);
    if (n.threads != o->threads || n.keepalive_seconds != o->keepalive_seconds ||
        n.max_message_bytes != o->max_message_bytes || n.max_store_bytes != o->max_store_bytes ||
        n.grace_seconds != o->grace_seconds || n.idempotency_days != o->idempotency_days ||
        n.upload_ttl_seconds != o->upload_ttl_seconds || n.time_warp != o->time_warp)
        ins_log(INS_LOG_WARN, "reload: threads, keepalive, max-message-bytes, "
                              "max-store-bytes, grace, idempotency-days, upload-ttl and time-warp "
                              "change only at a restart");
    ins_server_set_log_calls(srv, !n.quiet);
    ctx->max_photo_bytes = n.max_photo_bytes;
    ctx->checkin_radius_m = n.checkin_radius_m;
    ctx->max_clock_skew_s = n.max_clock_skew_seconds;
    /* `o` keeps the settings fixed at start (its strings stay valid); the
     * live values are copied, so the next reload compares with what runs. */
    o->quiet = n.quiet;
    o->max_photo_bytes = n.max_photo_bytes;
    o->checkin_radius_m = n.checkin_radius_m;
    o->max_clock_skew_seconds = n.max_clock_skew_seconds;
    ins_log(INS_LOG_INFO, "reloaded the settings%s%s", o->config ? " of " : "",
            o->config ? o->config : "");
    ins_options_free(&n);
}

static int serve(int argc, char **argv, ins_options *o, ins_token_keys *keys, ins_ctx *ctx)
{
    char err[512] = "";
    ins_server_config cfg = {
        .listen = o->listen,
        .threads = o->threads,
        .max_message_bytes = o->max_message_bytes,
        .grace_seconds = o->grace_seconds,
        .tls_cert = o->tls_cert,
        .tls_key = o->tls_key,
        .tls_client_ca = o->tls_client_ca,
        .token_keys = keys,
        .log_calls = !o->quiet,
        .district = o->district,
        .keepalive_ms = o->keepalive_seconds * 1000,
        .trusted_proxy = o->trusted_proxy,
        .count_calls = o->metrics_listen != NULL,
        .log_slow_us = o->log_slow_us,
        .max_streams_per_connection = o->max_streams_per_connection,
        .principal_rate = o->principal_rate,
        .principal_burst = o->principal_burst,
        .principal_streams = o->principal_streams,
    };
    ins_server *srv = NULL;
    int rc = ins_server_create(&cfg, &srv, err, sizeof err);
    if (rc != 0) {
        ins_log(INS_LOG_ERROR, "%s", err[0] ? err : ins_strerror(rc));
        return 1;
    }
    ctx->server = srv;
    ins_server_set_ctx(srv, ctx);
    ins_server_set_admit(srv, ins_directory_admit, ctx);
    rc = add_services(srv);
    if (rc == 0)
        rc = ins_ops_gauges_register(ctx);
    int port = 0;
    if (rc == 0)
        rc = ins_server_start(srv, &port, err, sizeof err);
    ins_ops_http *http = NULL;
    if (rc == 0 && o->metrics_listen)
        rc = ins_ops_http_start(o->metrics_listen, &http, err, sizeof err);
    if (rc != 0) {
        ins_log(INS_LOG_ERROR, "%s", err[0] ? err : ins_strerror(rc));
        ins_ops_gauges_unregister(ctx);
        ins_server_destroy(srv);
        return 1;
    }
    /* The metrics port first: a reader that saw the gRPC port finds it. */
    if (http && o->metrics_port_file &&
        (rc = write_port_file(o->metrics_port_file, ins_ops_http_port(http))) != 0)
        ins_log(INS_LOG_ERROR, "cannot write %s: %s", o->metrics_port_file, strerror(rc));
    if (o->port_file && (rc = write_port_file(o->port_file, port)) != 0)
        ins_log(INS_LOG_ERROR, "cannot write %s: %s", o->port_file, strerror(rc));
    const char *colon = strrchr(o->listen, ':');
    ins_log(INS_LOG_INFO,
            "inspectd %s: district %s, listening on %.*s:%d, data in %s; stop with Ctrl-C or "
            "kill -TERM %d, reload with kill -HUP %d",
            INSPECT_VERSION, o->district, colon ? (int)(colon - o->listen) : 0, o->listen, port,
            o->data_dir, (int)getpid(), (int)getpid());
    if (http)
        ins_log(INS_LOG_INFO, "metrics on %s (port %d): /metrics, /healthz, /readyz",
                o->metrics_listen, ins_ops_http_port(http));

    ins_web *web = NULL;
    if (o->web_listen && start_web(o, srv, &web) != 0) {
        ins_server_shutdown(srv);
        ins_server_destroy(srv);
        return 1;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    int sig = 0;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        reload(argc, argv, o, ctx, srv);
    ins_log(INS_LOG_INFO, "%s: draining (grace %d s)", strsignal(sig), o->grace_seconds);
    ins_server_shutdown(srv);
    ins_web_stop(web); /* its calls ended with the server's grace */
    ins_backup_sched_stop();
    ins_ops_http_stop(http); /* /readyz said "draining" until here */
    ins_ops_gauges_unregister(ctx);
    ins_scheduler_stop(ctx);
    ins_jobs_stop(ctx->jobs); /* blob work of calls in flight completes */
    ctx->jobs = NULL;
    /* Calls still waiting on the writer get their completions while the
     * workers still run; then the workers stop. */
    ins_store_close(ctx->store);
    ctx->store = NULL;
    ins_server_destroy(srv);
    ins_log(INS_LOG_INFO, "stopped");
    return 0;
}

/* Runs the node with the settings `o` (argv kept for a reload). */
static int run(int argc, char **argv, ins_options *op)
{
    ins_options o = *op;
    int rc;

    /* Block the stop signals before any thread exists (gRPC starts its own
     * in grpc_init), so only sigwait() in serve() ever sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    ins_token_keys *keys = NULL;
    rc = ins_token_keys_open(o.data_dir, &keys);
    if (rc != 0) {
        ins_log(INS_LOG_ERROR, "token keys in %s: %s", o.data_dir, ins_strerror(rc));
        return 1;
    }
    int lock_fd = -1;
    rc = ins_store_lock_dir(o.data_dir, &lock_fd);
    if (rc != 0) {
        ins_log(INS_LOG_ERROR, "%s is in use by another inspectd (%s)", o.data_dir,
                ins_strerror(rc));
        ins_token_keys_close(keys);
        return 1;
    }
    ins_ctx ctx = {.checkin_radius_m = o.checkin_radius_m,
                   .max_photo_bytes = o.max_photo_bytes,
                   .max_clock_skew_s = o.max_clock_skew_seconds,
                   .warp = 1.0};
    /* The cursor key derives from key 0 (DATA_DIR/token.key), which a key
     * rotation never changes, so outstanding page tokens survive one. */
    ins_token_key key0;
    if ((rc = ins_token_key_load(o.data_dir, &key0)) == 0)
        rc = ins_cursor_key_derive(key0.bytes, sizeof key0.bytes, &ctx.cursor_key);
    OPENSSL_cleanse(&key0, sizeof key0);
    if (rc != 0) {
        ins_log(INS_LOG_ERROR, "deriving the cursor key: %s", ins_strerror(rc));
        ins_store_unlock_dir(lock_fd);
        return 1;
    }
    ctx.warp_base_ns = ins_ctx_clock_ns(&ctx); /* real time now: the warp starts here */
    ctx.warp = o.time_warp;
    ins_store *store = NULL;
    if (open_store(&o, &ctx, &store) != 0) {
        rc = 1;
        goto unlock;
    }
    if ((rc = ins_tier_start_from(&o, store)) != 0) {
        ins_store_close(store);
        goto unlock;
    }
    ins_ctx_init(&ctx, store);
    if ((rc = ins_jobs_start(2, &ctx.jobs)) != 0 || (rc = ins_scheduler_start(&ctx)) != 0) {
        ins_log(INS_LOG_ERROR, "cannot start background threads: %s", strerror(rc));
        ins_jobs_stop(ctx.jobs);
        ins_store_close(store);
        rc = 1;
        goto unlock;
    }
    if (o.backup_dir != NULL &&
        (rc = ins_backup_sched_start(store, o.backup_dir, o.backup_every_seconds, o.backup_keep)) !=
            0) {
        ins_log(INS_LOG_ERROR, "--backup-dir %s: %s", o.backup_dir, strerror(rc));
        ins_scheduler_stop(&ctx);
        ins_jobs_stop(ctx.jobs);
        ins_store_close(store);
        rc = 1;
        goto unlock;
    }
    grpc_init();
    rc = serve(argc, argv, &o, keys, &ctx);
    ins_backup_sched_stop();    /* no-op when serve stopped it */
    ins_scheduler_stop(&ctx);   /* no-op when serve stopped it */
    ins_store_close(ctx.store); /* no-op when serve closed it */
    ins_ctx_destroy(&ctx);
    grpc_shutdown();
unlock:
    ins_store_unlock_dir(lock_fd);
    ins_token_keys_close(keys);
    *op = o; /* reload may have changed live values */
    return rc;
}

int main(int argc, char **argv)
{
    ins_options o;
    int rc = ins_options_parse(argc, argv, &o);
    if (rc == 0) {
        ins_log_configure(o.log_level, o.log_format);
        ins_log_grpc_install();
        rc = run(argc, argv, &o);
    } else
        rc = rc == 1 ? 0 : 2;
    ins_options_free(&o);
    return rc;
}
