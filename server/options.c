/*
 * options.c - parsing inspectd's flags, with defaults that run the embedded
 * configuration: loopback, data in ./data, one worker per usable core.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_token.h"

static const char usage[] =
    "usage: inspectd [options]\n"
    "\n"
    "Joint site inspection server (gRPC).\n"
    "\n"
    "  --listen ADDR              address to serve on (default 127.0.0.1:50051; port 0 picks\n"
    "                             a free one); beyond loopback TLS is required\n"
    "  --data-dir DIR             store, token key and lock (default ./data)\n"
    "  --port-file FILE           write the bound port here once listening\n"
    "  --threads N                worker threads (default: usable cores)\n"
    "  --max-message-bytes N      largest message in or out (default 4194304)\n"
    "  --grace SECONDS            shutdown: time for calls in flight (default 10)\n"
    "  --tls-cert FILE            server certificate chain (PEM)\n"
    "  --tls-key FILE             server private key (PEM)\n"
    "  --tls-client-ca FILE       require client certificates signed by this CA (mutual TLS)\n"
    "  --max-store-bytes N        largest the store may grow (default 64 GiB)\n"
    "  --idempotency-days N       keep request ids this long (default 30)\n"
    "  --upload-ttl DURATION      drop unfinished uploads untouched this long (default 24h)\n"
    "  --max-photo-bytes N        largest photo an upload may declare (default 33554432)\n"
    "  --checkin-radius-m M       check-ins farther from the site need a reason (default 300)\n"
    "  --max-clock-skew DURATION  refuse device times (check-in, capture, findings) further\n"
    "                             ahead of the server's clock than this (default 10m)\n"
    "  --time-warp FACTOR         run the store's clock FACTOR times faster than real time,\n"
    "                             from start-up (tests and demos of deadlines; default 1)\n"
    "  --web-listen ADDR          also serve gRPC-Web and the web console on ADDR (HTTP/1.1;\n"
    "                             off by default; beyond loopback TLS is required)\n"
    "  --web-port-file FILE       write the bound web port here once listening\n"
    "  --web-root DIR             the console's built files (default " INSPECT_CONSOLE_DIR ")\n"
    "  --web-origin ORIGIN        let pages from ORIGIN (https://host:port) call gRPC-Web too\n"
    "                             (CORS; repeatable, at most 8)\n"
    "  --quiet                    no per-call log lines\n"
    "  --version                  print the version\n"
    "  --help                     this text\n"
    "\n"
    "Stop with SIGTERM or Ctrl-C: calls in flight get --grace seconds to finish.\n";

enum {
    OPT_LISTEN = 256,
    OPT_DATA_DIR,
    OPT_PORT_FILE,
    OPT_THREADS,
    OPT_MAX_MSG,
    OPT_GRACE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_TLS_CA,
    OPT_MAX_STORE,
    OPT_IDEM_DAYS,
    OPT_UPLOAD_TTL,
    OPT_TIME_WARP,
    OPT_MAX_PHOTO,
    OPT_CHECKIN_RADIUS,
    OPT_CLOCK_SKEW,
    OPT_WEB_LISTEN,
    OPT_WEB_ROOT,
    OPT_WEB_PORT_FILE,
    OPT_WEB_ORIGIN,
    OPT_QUIET,
    OPT_VERSION,
    OPT_HELP,
};

static const struct option longopts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-message-bytes", required_argument, NULL, OPT_MAX_MSG},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"tls-client-ca", required_argument, NULL, OPT_TLS_CA},
    {"max-store-bytes", required_argument, NULL, OPT_MAX_STORE},
    {"idempotency-days", required_argument, NULL, OPT_IDEM_DAYS},
    {"upload-ttl", required_argument, NULL, OPT_UPLOAD_TTL},
    {"time-warp", required_argument, NULL, OPT_TIME_WARP},
    {"max-photo-bytes", required_argument, NULL, OPT_MAX_PHOTO},
    {"checkin-radius-m", required_argument, NULL, OPT_CHECKIN_RADIUS},
    {"max-clock-skew", required_argument, NULL, OPT_CLOCK_SKEW},
    {"web-listen", required_argument, NULL, OPT_WEB_LISTEN},
    {"web-root", required_argument, NULL, OPT_WEB_ROOT},
    {"web-port-file", required_argument, NULL, OPT_WEB_PORT_FILE},
    {"web-origin", required_argument, NULL, OPT_WEB_ORIGIN},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Parses a whole number in [lo, hi]; reports and returns -1 otherwise. */
static int parse_u64(const char *flag, const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "inspectd: --%s takes a whole number from %llu to %llu, not '%s'\n", flag,
                (unsigned long long)lo, (unsigned long long)hi, text);
        return -1;
    }
    *out = v;
    return 0;
}

int ins_options_parse(int argc, char **argv, ins_options *o)
{
    *o = (ins_options){
        .listen = "127.0.0.1:50051",
        .data_dir = "data",
        .max_message_bytes = 4u << 20,
        .grace_seconds = 10,
        .max_store_bytes = 64ull << 30,
        .idempotency_days = 30,
        .upload_ttl_seconds = 24 * 3600,
        .time_warp = 1.0,
        .max_photo_bytes = 32u << 20,
        .checkin_radius_m = 300,
        .max_clock_skew_seconds = 600,
        .web_root = INSPECT_CONSOLE_DIR,
    };
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            o->listen = optarg;
            break;
        case OPT_DATA_DIR:
            o->data_dir = optarg;
            break;
        case OPT_PORT_FILE:
            o->port_file = optarg;
            break;
        case OPT_TLS_CERT:
            o->tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o->tls_key = optarg;
            break;
        case OPT_TLS_CA:
            o->tls_client_ca = optarg;
            break;
        case OPT_WEB_LISTEN:
            o->web_listen = optarg;
            break;
        case OPT_WEB_PORT_FILE:
            o->web_port_file = optarg;
            break;
        case OPT_WEB_ROOT:
            o->web_root = optarg;
            break;
        case OPT_WEB_ORIGIN:
            if (o->n_web_origins == INS_OPTIONS_MAX_ORIGINS ||
                (strncmp(optarg, "https://", 8) != 0 && strncmp(optarg, "http://", 7) != 0) ||
                strchr(optarg + 8, '/')) {
                fprintf(stderr,
                        "inspectd: --web-origin takes an origin like https://host:port "
                        "(scheme, host, optional port; at most 8), not '%s'\n",
                        optarg);
                return 2;
            }
            o->web_origins[o->n_web_origins++] = optarg;
            break;
        case OPT_QUIET:
            o->quiet = 1;
            break;
        case OPT_THREADS:
            if (parse_u64("threads", optarg, 1, 256, &v))
                return 2;
            o->threads = (int)v;
            break;
        case OPT_MAX_MSG:
            if (parse_u64("max-message-bytes", optarg, 1024, 1u << 30, &v))
                return 2;
            o->max_message_bytes = (size_t)v;
            break;
        case OPT_GRACE:
            if (parse_u64("grace", optarg, 0, 3600, &v))
                return 2;
            o->grace_seconds = (int)v;
            break;
        case OPT_MAX_STORE:
            if (parse_u64("max-store-bytes", optarg, 1u << 20, 1ull << 44, &v))
                return 2;
            o->max_store_bytes = v;
            break;
        case OPT_IDEM_DAYS:
            if (parse_u64("idempotency-days", optarg, 1, 3650, &v))
                return 2;
            o->idempotency_days = (int)v;
            break;
        case OPT_UPLOAD_TTL:
            if (ins_duration_parse(optarg, &o->upload_ttl_seconds) != 0) {
                fprintf(stderr, "inspectd: --upload-ttl takes a duration like 90s, 30m, 24h, 7d\n");
                return 2;
            }
            break;
        case OPT_TIME_WARP: {
            char *end;
            o->time_warp = strtod(optarg, &end);
            if (*end || end == optarg || !(o->time_warp >= 1.0 && o->time_warp <= 1e7)) {
                fprintf(stderr, "inspectd: --time-warp takes a factor from 1 to 10000000\n");
                return 2;
            }
            break;
        }
        case OPT_MAX_PHOTO:
            if (parse_u64("max-photo-bytes", optarg, 1024, 1ull << 32, &v))
                return 2;
            o->max_photo_bytes = v;
            break;
        case OPT_CHECKIN_RADIUS:
            if (parse_u64("checkin-radius-m", optarg, 1, 100000, &v))
                return 2;
            o->checkin_radius_m = (double)v;
            break;
        case OPT_CLOCK_SKEW:
            if (ins_duration_parse(optarg, &o->max_clock_skew_seconds) != 0 ||
                o->max_clock_skew_seconds > 7 * 86400) {
                fprintf(stderr, "inspectd: --max-clock-skew takes a duration like 90s, 10m, 1h "
                                "(at most 7d)\n");
                return 2;
            }
            break;
        case OPT_VERSION:
            printf("inspectd %s\n", INSPECT_VERSION);
            return 1;
        case OPT_HELP:
            fputs(usage, stdout);
            return 1;
        default:
            fputs("inspectd: see --help\n", stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "inspectd: unexpected argument '%s'; see --help\n", argv[optind]);
        return 2;
    }
    return 0;
}
