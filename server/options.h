/*
 * options.h - inspectd's settings: the command-line flags, and the same
 * settings read from a configuration file (--config FILE, e.g.
 * /etc/inspectd/inspectd.conf).
 *
 * The file holds one setting per line, "name = value", name being a flag's
 * long name without the dashes ("listen = 127.0.0.1:50051", "quiet = true");
 * blank lines and lines starting with '#' are ignored. Every flag can be set
 * there; a flag on the command line overrides the file.
 */
#ifndef INS_OPTIONS_H
#define INS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define INS_OPTIONS_MAX_ORIGINS 8

typedef struct ins_options {
    const char *listen;
    const char *data_dir;
    const char *port_file;
    const char *tls_cert, *tls_key, *tls_client_ca;
    int threads;
    size_t max_message_bytes;
    int grace_seconds;
    int quiet;
    uint64_t max_store_bytes;
    int idempotency_days;
    int64_t upload_ttl_seconds;
    double time_warp;
    uint64_t max_photo_bytes;
    double checkin_radius_m;
    int64_t max_clock_skew_seconds; /* device times further ahead are refused */
    ins_log_level log_level;
    ins_log_format log_format;
    int64_t log_slow_us;        /* microseconds; 0: off */
    const char *metrics_listen; /* NULL: off */
    const char *metrics_port_file;
    int max_streams_per_connection;
    double principal_rate;        /* calls/s; 0: no limit */
    unsigned principal_burst;     /* 0: the rate */
    unsigned principal_streams;   /* 0: no limit */
    const char *district;         /* the district this node serves (ins_district.h) */
    int64_t keepalive_seconds;    /* HTTP/2 keepalive ping interval; 0: gRPC's default */
    const char *trusted_proxy;    /* proxies whose x-forwarded-for is believed; NULL: none */
    const char *config;           /* --config FILE, or NULL */
    char *config_text;            /* the file's text, which string settings point into */
    const char *backup_dir;       /* --backup-dir: scheduled hot backups, or NULL */
    int64_t backup_every_seconds; /* --backup-every (default 24h) */
    unsigned backup_keep;         /* --backup-keep (default 7) */
    int backup_tuned;             /* --backup-every or --backup-keep was given */
    const char *web_listen;       /* gRPC-Web and the console; NULL: off */
    const char *web_port_file;    /* the bound web port, once listening */
    const char *web_root;         /* the console's built files */
    const char *web_origins[INS_OPTIONS_MAX_ORIGINS]; /* CORS: other origins allowed */
    size_t n_web_origins;
    /* The photo tier (storage/ins_tier.h): NULL or "lmdb" keeps every photo
     * in the data folder; "s3://BUCKET[/PREFIX]" moves them to that bucket. */
    const char *blob_store;
    const char *s3_endpoint;
    const char *s3_credentials;
    int s3_virtual_host;
    uint64_t blob_cache_bytes;
    uint64_t blob_landing_bytes; /* 0: no limit */
} ins_options;

/*
 * Parses the settings into `o`: defaults, then the file of --config (when
 * argv names one), then argv. Returns 0 to run, 1 when --help or --version
 * printed what was asked (exit 0), 2 on a usage error or an unreadable or
 * wrong configuration file (already reported on stderr, with the file's
 * line; exit 2). Strings point into argv and `o->config_text`: free `o`
 * with ins_options_free when done, whatever the result. Can be called again
 * (SIGHUP) with the same argv to read the file afresh; main thread only
 * (getopt).
 */
int ins_options_parse(int argc, char **argv, ins_options *o);

/* Frees what ins_options_parse allocated in `o`. NULL is fine. */
void ins_options_free(ins_options *o);

#endif /* INS_OPTIONS_H */
