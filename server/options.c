/*
 * options.c - parsing inspectd's settings (see options.h), with defaults that
 * run the embedded configuration: loopback, data in ./data, one worker per
 * usable core, the default district.
 *
 * The configuration file is turned into the flags it stands for and goes
 * through the same parser (apply()), so a setting means exactly the same in
 * the file as on the command line and both give the same error messages.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_district.h"
#include "ins_token.h"
#include "ins_file.h"

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
    "  --web-root DIR             the console's built files (default: " INSPECT_CONSOLE_RELDIR "\n"
    "                             under the installation prefix, beside bin/)\n"
    "  --web-origin ORIGIN        let pages from ORIGIN (https://host:port) call gRPC-Web too\n"
    "                             (CORS; repeatable, at most 8)\n"
    "  --district CODE            the district this node serves (default 'default'); the\n"
    "                             store remembers it at first start and refuses another\n"
    "  --keepalive DURATION       send HTTP/2 keepalive pings this often while calls are open\n"
    "                             (e.g. 20s behind a proxy with idle timeouts; default off)\n"
    "  --trusted-proxy ADDRS      proxies (IP addresses or CIDR blocks, comma-separated) whose\n"
    "                             x-forwarded-for names the caller in the call log\n"
    "  --blob-store STORE         where photos live: lmdb (default: the data folder) or\n"
    "                             s3://BUCKET[/PREFIX] (uploads land locally, then move there;\n"
    "                             a named --district without PREFIX writes under CODE/, and\n"
    "                             s3://BUCKET/ keeps the bucket's root)\n"
    "  --s3-endpoint URL          the object store, http(s)://HOST[:PORT] (path-style)\n"
    "  --s3-virtual-host          address the bucket as BUCKET.HOST instead\n"
    "  --s3-credentials FILE      aws_access_key_id / aws_secret_access_key (mode 0600);\n"
    "                             default AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION\n"
    "  --blob-cache-bytes N       keep local copies of moved photos up to N bytes (default 0)\n"
    "  --blob-landing-bytes N     refuse new uploads while N bytes wait to move (default 0:\n"
    "                             no limit)\n"
    "  --backup-dir DIR           scheduled hot backups into DIR/inspectd-<UTC time>, each\n"
    "                             complete with the token keys and a manifest (see\n"
    "                             'inspectctl restore --help'); a failure is logged at error\n"
    "  --backup-every DURATION    time between backups (default 24h; the first is due that\n"
    "                             long after the newest backup in DIR, at once if none)\n"
    "  --backup-keep N            complete backups kept in DIR, oldest deleted (default 7)\n"
    "  --config FILE              read settings from FILE first ('name = value' per line,\n"
    "                             every flag above; the command line overrides it)\n"
    "  --quiet                    no per-call log lines (slow calls and errors still)\n"
    "  --log-level LEVEL          error, warn, info (default) or debug; per-call lines are info\n"
    "  --log-format FORMAT        text (default) or json, one object per line\n"
    "  --log-slow DURATION        unary calls slower than this log at warn even with --quiet\n"
    "                             (default 1s; like 250ms, 2s; off disables)\n"
    "  --metrics-listen ADDR      HTTP endpoint with /metrics (Prometheus), /healthz and /readyz\n"
    "                             (default 127.0.0.1:9464; port 0 picks one; off disables)\n"
    "  --metrics-port-file FILE   write the metrics endpoint's bound port here\n"
    "  --max-streams-per-connection N\n"
    "                             concurrent calls one connection may have open, advertised in\n"
    "                             HTTP/2 SETTINGS (default 100)\n"
    "  --principal-rate N         calls a second one principal may make; more are answered\n"
    "                             RESOURCE_EXHAUSTED with a retry delay (default 0: no limit)\n"
    "  --principal-burst N        calls above the rate a principal may make at once\n"
    "                             (default: the rate)\n"
    "  --principal-streams N      streaming calls one principal may have open; more are\n"
    "                             answered like --principal-rate (default 0: no limit; a\n"
    "                             tablet needs 2 or 3, a department's feed reader a few)\n"
    "  --version                  print the version\n"
    "  --help                     this text\n"
    "\n"
    "Stop with SIGTERM or Ctrl-C: calls in flight get --grace seconds to finish.\n"
    "SIGHUP reads --config again and reloads the TLS files and the settings that can\n"
    "change live (quiet, max-photo-bytes, checkin-radius-m, max-clock-skew).\n";

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
    OPT_DISTRICT,
    OPT_KEEPALIVE,
    OPT_TRUSTED_PROXY,
    OPT_BACKUP_DIR,
    OPT_BACKUP_EVERY,
    OPT_BACKUP_KEEP,
    OPT_CONFIG,
    OPT_BLOB_STORE,
    OPT_S3_ENDPOINT,
    OPT_S3_VHOST,
    OPT_S3_CRED,
    OPT_BLOB_CACHE,
    OPT_BLOB_LANDING,
    OPT_LOG_LEVEL,
    OPT_LOG_FORMAT,
    OPT_LOG_SLOW,
    OPT_METRICS_LISTEN,
    OPT_METRICS_PORT_FILE,
    OPT_MAX_STREAMS,
    OPT_PRINCIPAL_RATE,
    OPT_PRINCIPAL_BURST,
    OPT_PRINCIPAL_STREAMS,
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
    {"district", required_argument, NULL, OPT_DISTRICT},
    {"keepalive", required_argument, NULL, OPT_KEEPALIVE},
    {"trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY},
    {"backup-dir", required_argument, NULL, OPT_BACKUP_DIR},
    {"backup-every", required_argument, NULL, OPT_BACKUP_EVERY},
    {"backup-keep", required_argument, NULL, OPT_BACKUP_KEEP},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"blob-store", required_argument, NULL, OPT_BLOB_STORE},
    {"s3-endpoint", required_argument, NULL, OPT_S3_ENDPOINT},
    {"s3-virtual-host", no_argument, NULL, OPT_S3_VHOST},
    {"s3-credentials", required_argument, NULL, OPT_S3_CRED},
    {"blob-cache-bytes", required_argument, NULL, OPT_BLOB_CACHE},
    {"blob-landing-bytes", required_argument, NULL, OPT_BLOB_LANDING},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"log-slow", required_argument, NULL, OPT_LOG_SLOW},
    {"metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN},
    {"metrics-port-file", required_argument, NULL, OPT_METRICS_PORT_FILE},
    {"max-streams-per-connection", required_argument, NULL, OPT_MAX_STREAMS},
    {"principal-rate", required_argument, NULL, OPT_PRINCIPAL_RATE},
    {"principal-burst", required_argument, NULL, OPT_PRINCIPAL_BURST},
    {"principal-streams", required_argument, NULL, OPT_PRINCIPAL_STREAMS},
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

/* A duration in milliseconds: "250ms", or what ins_duration_parse takes
 * ("2s", "1m"); "off" is 0. Returns 0 or -1. */
/* "off", "250us", "250ms" or a duration of ins_duration_parse (at most a
 * day), in microseconds. Returns 0 or -1. */
static int parse_us(const char *text, int64_t *us)
{
    size_t n = strlen(text);
    if (strcmp(text, "off") == 0) {
        *us = 0;
        return 0;
    }
    int64_t unit = n > 2 && strcmp(text + n - 2, "ms") == 0   ? 1000
                   : n > 2 && strcmp(text + n - 2, "us") == 0 ? 1
                                                              : 0;
    if (unit) {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || end != text + n - 2 || text[0] < '0' || text[0] > '9' || v <= 0 ||
            v > 86400000000LL / unit)
            return -1;
        *us = v * unit;
        return 0;
    }
    int64_t secs;
    if (ins_duration_parse(text, &secs) != 0 || secs > 86400)
        return -1;
    *us = secs * 1000000;
    return 0;
}

/* The flags of the operations side (logs, metrics, limits). Same contract as
 * apply(); -1 when `c` is none of them. */
static int apply_ops(ins_options *o, int c, char *arg)
{
    uint64_t v;
    switch (c) {
    case OPT_LOG_LEVEL:
        if (ins_log_level_parse(arg, &o->log_level) != 0) {
            fprintf(stderr, "inspectd: --log-level takes error, warn, info or debug, not '%s'\n",
                    arg);
            return 2;
        }
        return 0;
    case OPT_LOG_FORMAT:
        if (ins_log_format_parse(arg, &o->log_format) != 0) {
            fprintf(stderr, "inspectd: --log-format takes text or json, not '%s'\n", arg);
            return 2;
        }
        return 0;
    case OPT_LOG_SLOW:
        if (parse_us(arg, &o->log_slow_us) != 0) {
            fprintf(stderr,
                    "inspectd: --log-slow takes a duration like 500us, 250ms, 2s, 1m (at most "
                    "1d) or off, not '%s'\n",
                    arg);
            return 2;
        }
        return 0;
    case OPT_METRICS_LISTEN:
        o->metrics_listen = strcmp(arg, "off") == 0 ? NULL : arg;
        return 0;
    case OPT_METRICS_PORT_FILE:
        o->metrics_port_file = arg;
        return 0;
    case OPT_MAX_STREAMS:
        if (parse_u64("max-streams-per-connection", arg, 1, 100000, &v))
            return 2;
        o->max_streams_per_connection = (int)v;
        return 0;
    case OPT_PRINCIPAL_RATE:
        if (parse_u64("principal-rate", arg, 0, 1000000, &v))
            return 2;
        o->principal_rate = (double)v;
        return 0;
    case OPT_PRINCIPAL_BURST:
        if (parse_u64("principal-burst", arg, 1, 1000000, &v))
            return 2;
        o->principal_burst = (unsigned)v;
        return 0;
    case OPT_PRINCIPAL_STREAMS:
        if (parse_u64("principal-streams", arg, 0, 1000000, &v))
            return 2;
        o->principal_streams = (unsigned)v;
        return 0;
    }
    return -1;
}

/* Sets one flag (`c`, an OPT_* code) to `arg`. Returns 0, or 2 after saying
 * what is wrong on stderr; 1 for --help and --version (printed). */
static int apply(ins_options *o, int c, char *arg)
{
    uint64_t v;
    int rc = apply_ops(o, c, arg);
    if (rc >= 0)
        return rc;
    switch (c) {
    case OPT_LISTEN:
        o->listen = arg;
        break;
    case OPT_DATA_DIR:
        o->data_dir = arg;
        break;
    case OPT_PORT_FILE:
        o->port_file = arg;
        break;
    case OPT_TLS_CERT:
        o->tls_cert = arg;
        break;
    case OPT_TLS_KEY:
        o->tls_key = arg;
        break;
    case OPT_TLS_CA:
        o->tls_client_ca = arg;
        break;
    case OPT_WEB_LISTEN:
        o->web_listen = arg;
        break;
    case OPT_WEB_PORT_FILE:
        o->web_port_file = arg;
        break;
    case OPT_WEB_ROOT:
        o->web_root = arg;
        break;
    case OPT_WEB_ORIGIN:
        if (o->n_web_origins == INS_OPTIONS_MAX_ORIGINS ||
            (strncmp(arg, "https://", 8) != 0 && strncmp(arg, "http://", 7) != 0) ||
            strchr(arg + 8, '/')) {
            fprintf(stderr,
                    "inspectd: --web-origin takes an origin like https://host:port "
                    "(scheme, host, optional port; at most 8), not '%s'\n",
                    arg);
            return 2;
        }
        o->web_origins[o->n_web_origins++] = arg;
        break;
    case OPT_QUIET:
        o->quiet = 1;
        break;
    case OPT_CONFIG:
        break; /* read before the other flags (ins_options_parse) */
    case OPT_DISTRICT:
        if (!ins_district_code_ok(arg)) {
            fprintf(stderr,
                    "inspectd: --district takes a code of 1 to 32 lower-case letters, digits "
                    "or '-' (e.g. xindu, 510114), not '%s'\n",
                    arg);
            return 2;
        }
        o->district = arg;
        break;
    case OPT_KEEPALIVE:
        if (ins_duration_parse(arg, &o->keepalive_seconds) != 0 || o->keepalive_seconds > 86400) {
            fprintf(stderr, "inspectd: --keepalive takes a duration like 20s, 1m (at most 1d)\n");
            return 2;
        }
        break;
    case OPT_TRUSTED_PROXY:
        o->trusted_proxy = arg; /* checked by the server (peer.c), which parses it */
        break;
    case OPT_THREADS:
        if (parse_u64("threads", arg, 1, 256, &v))
            return 2;
        o->threads = (int)v;
        break;
    case OPT_MAX_MSG:
        if (parse_u64("max-message-bytes", arg, 1024, 1u << 30, &v))
            return 2;
        o->max_message_bytes = (size_t)v;
        break;
    case OPT_GRACE:
        if (parse_u64("grace", arg, 0, 3600, &v))
            return 2;
        o->grace_seconds = (int)v;
        break;
    case OPT_MAX_STORE:
        if (parse_u64("max-store-bytes", arg, 1u << 20, 1ull << 44, &v))
            return 2;
        o->max_store_bytes = v;
        break;
    case OPT_IDEM_DAYS:
        if (parse_u64("idempotency-days", arg, 1, 3650, &v))
            return 2;
        o->idempotency_days = (int)v;
        break;
    case OPT_UPLOAD_TTL:
        if (ins_duration_parse(arg, &o->upload_ttl_seconds) != 0) {
            fprintf(stderr, "inspectd: --upload-ttl takes a duration like 90s, 30m, 24h, 7d\n");
            return 2;
        }
        break;
    case OPT_TIME_WARP: {
        char *end;
        o->time_warp = strtod(arg, &end);
        if (*end || end == arg || !(o->time_warp >= 1.0 && o->time_warp <= 1e7)) {
            fprintf(stderr, "inspectd: --time-warp takes a factor from 1 to 10000000\n");
            return 2;
        }
        break;
    }
    case OPT_MAX_PHOTO:
        if (parse_u64("max-photo-bytes", arg, 1024, 1ull << 32, &v))
            return 2;
        o->max_photo_bytes = v;
        break;
    case OPT_CHECKIN_RADIUS:
        if (parse_u64("checkin-radius-m", arg, 1, 100000, &v))
            return 2;
        o->checkin_radius_m = (double)v;
        break;
    case OPT_CLOCK_SKEW:
        if (ins_duration_parse(arg, &o->max_clock_skew_seconds) != 0 ||
            o->max_clock_skew_seconds > 7 * 86400) {
            fprintf(stderr, "inspectd: --max-clock-skew takes a duration like 90s, 10m, 1h "
                            "(at most 7d)\n");
            return 2;
        }
        break;
    case OPT_BLOB_STORE:
        o->blob_store = arg;
        break;
    case OPT_S3_ENDPOINT:
        o->s3_endpoint = arg;
        break;
    case OPT_S3_VHOST:
        o->s3_virtual_host = 1;
        break;
    case OPT_S3_CRED:
        o->s3_credentials = arg;
        break;
    case OPT_BLOB_CACHE:
        if (parse_u64("blob-cache-bytes", arg, 0, 1ull << 50, &v))
            return 2;
        o->blob_cache_bytes = v;
        break;
    case OPT_BLOB_LANDING:
        if (parse_u64("blob-landing-bytes", arg, 0, 1ull << 50, &v))
            return 2;
        o->blob_landing_bytes = v;
        break;
    case OPT_BACKUP_DIR:
        if (arg[0] == '\0') {
            fprintf(stderr, "inspectd: --backup-dir needs a folder\n");
            return 2;
        }
        o->backup_dir = arg;
        break;
    case OPT_BACKUP_EVERY:
        if (ins_duration_parse(arg, &o->backup_every_seconds) != 0) {
            fprintf(stderr, "inspectd: --backup-every takes a duration like 30m, 24h, 7d\n");
            return 2;
        }
        o->backup_tuned = 1;
        break;
    case OPT_BACKUP_KEEP:
        if (parse_u64("backup-keep", arg, 1, 10000, &v))
            return 2;
        o->backup_keep = (unsigned)v;
        o->backup_tuned = 1;
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
    return 0;
}

/* The flag of setting `name` in the long option table, or NULL. */
static const struct option *find_setting(const char *name)
{
    for (const struct option *lo = longopts; lo->name; lo++)
        if (strcmp(lo->name, name) == 0 && lo->val != OPT_HELP && lo->val != OPT_VERSION &&
            lo->val != OPT_CONFIG)
            return lo;
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Applies the settings of the file `path` to `o`, cutting its text in place
 * (kept in o->config_text). Returns 0, 2 after reporting FILE:LINE. */
static int read_config(ins_options *o, const char *path)
{
    o->config_text = ins_file_read(path);
    if (!o->config_text) {
        fprintf(stderr, "inspectd: --config %s: cannot read it: %s\n", path, strerror(errno));
        return 2;
    }
    int line = 0;
    for (char *next = o->config_text; next;) {
        char *cur = next;
        next = strchr(cur, '\n');
        if (next)
            *next++ = '\0';
        line++;
        cur = trim(cur);
        if (*cur == '\0' || *cur == '#')
            continue;
        char *eq = strchr(cur, '=');
        if (eq)
            *eq = '\0';
        char *name = trim(cur), *value = eq ? trim(eq + 1) : NULL;
        const struct option *lo = find_setting(name);
        if (!lo) {
            fprintf(stderr,
                    "inspectd: %s:%d: unknown setting '%s' (settings are the long flags "
                    "of --help without the dashes)\n",
                    path, line, name);
            return 2;
        }
        if (lo->has_arg == no_argument) {
            if (value && strcmp(value, "false") == 0)
                continue;
            if (value && strcmp(value, "true") != 0) {
                fprintf(stderr, "inspectd: %s:%d: %s is true or false\n", path, line, name);
                return 2;
            }
        } else if (!value || !*value) {
            fprintf(stderr, "inspectd: %s:%d: %s needs a value: '%s = VALUE'\n", path, line, name,
                    name);
            return 2;
        }
        int rc = apply(o, lo->val, value);
        if (rc != 0) {
            fprintf(stderr, "inspectd: (in %s:%d)\n", path, line);
            return 2;
        }
    }
    return 0;
}

/* The value of --config in argv, or NULL. */
static const char *config_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

void ins_options_free(ins_options *o)
{
    if (o) {
        free(o->config_text);
        o->config_text = NULL;
    }
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
        .district = INS_DISTRICT_DEFAULT,
        .log_level = INS_LOG_INFO,
        .log_format = INS_LOG_TEXT,
        .log_slow_us = 1000000,
        .metrics_listen = "127.0.0.1:9464",
        .max_streams_per_connection = 100,
        .backup_every_seconds = 24 * 3600,
        .backup_keep = 7,
    };
    o->config = config_arg(argc, argv);
    if (o->config && read_config(o, o->config) != 0)
        return 2;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc = apply(o, c, optarg); /* '?' (already reported) too */
        if (rc != 0)
            return rc;
    }
    if (o->metrics_port_file && !o->metrics_listen) {
        fprintf(stderr, "inspectd: --metrics-port-file needs the metrics endpoint; drop "
                        "--metrics-listen off\n");
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "inspectd: unexpected argument '%s'; see --help\n", argv[optind]);
        return 2;
    }
    if (o->backup_tuned && o->backup_dir == NULL) {
        fprintf(stderr, "inspectd: --backup-every and --backup-keep need --backup-dir\n");
        return 2;
    }
    return 0;
}
