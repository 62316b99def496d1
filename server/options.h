/*
 * options.h - inspectd's command-line flags.
 */
#ifndef INS_OPTIONS_H
#define INS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

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
    int64_t log_slow_ms;        /* 0: off */
    const char *metrics_listen; /* NULL: off */
    const char *metrics_port_file;
    int max_streams_per_connection;
    double principal_rate;      /* calls/s; 0: no limit */
    unsigned principal_burst;   /* 0: the rate */
    unsigned principal_streams; /* 0: no limit */
} ins_options;

/*
 * Parses argv into `o` (defaults first). Returns 0 to run, 1 when --help or
 * --version printed what was asked (exit 0), 2 on a usage error (already
 * reported on stderr; exit 2).
 */
int ins_options_parse(int argc, char **argv, ins_options *o);

#endif /* INS_OPTIONS_H */
