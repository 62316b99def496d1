/*
 * options.h - inspectd's command-line flags.
 */
#ifndef INS_OPTIONS_H
#define INS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

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
    int64_t max_clock_skew_seconds;                   /* device times further ahead are refused */
    const char *web_listen;                           /* gRPC-Web and the console; NULL: off */
    const char *web_port_file;                        /* the bound web port, once listening */
    const char *web_root;                             /* the console's built files */
    const char *web_origins[INS_OPTIONS_MAX_ORIGINS]; /* CORS: other origins allowed */
    size_t n_web_origins;
} ins_options;

/*
 * Parses argv into `o` (defaults first). Returns 0 to run, 1 when --help or
 * --version printed what was asked (exit 0), 2 on a usage error (already
 * reported on stderr; exit 2).
 */
int ins_options_parse(int argc, char **argv, ins_options *o);

#endif /* INS_OPTIONS_H */
