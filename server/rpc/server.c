/*
 * server.c - the gRPC core server: listening (plaintext on loopback, TLS or
 * mutual TLS elsewhere), the method table built from protobuf-c service
 * descriptors, worker threads with one completion queue each, and graceful
 * shutdown.
 *
 * Every registered method keeps INS_ARMED_PER_WORKER requests armed on each
 * worker's queue, plus one generic request for unknown methods, so a new call
 * always finds a waiting request; each arrival re-arms before it is served.
 *
 * TLS goes through a certificate-config fetcher, which gRPC asks before
 * every handshake: ins_server_reload_tls (SIGHUP) leaves a new config there
 * and the next handshake picks it up, without a restart.
 */
#include "runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <openssl/rand.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ins_district.h"
#include "ins_error.h"
#include "log.h"
#include "logbuf.h"
#include "plimit.h"
#include "peer.h"
#include "ins_file.h"

#define INS_ARMED_PER_WORKER 16
#define INS_MAX_DRAIN_HOOKS  8

typedef struct drain_hook {
    void (*fn)(void *arg);
    void *arg;
} drain_hook;

struct ins_server {
    ins_server_config cfg;
    char *listen, *tls_cert, *tls_key, *tls_client_ca;
    char district[INS_DISTRICT_MAX];
    ins_proxy_list *proxies; /* --trusted-proxy; empty list when none */
    atomic_int log_calls;
    pthread_mutex_t tls_lock;                        /* guards tls_pending */
    grpc_ssl_server_certificate_config *tls_pending; /* for the next handshake; owned */
    grpc_server *server;
    grpc_completion_queue *shutdown_cq;
    ins_worker *workers;
    unsigned n_workers;
    ins_method *methods;
    size_t n_methods;
    const ins_service_def **services;
    size_t n_services;
    drain_hook hooks[INS_MAX_DRAIN_HOOKS];
    size_t n_hooks;
    void *ctx;
    ins_admit_fn admit;
    void *admit_arg;
    ins_plimits *plimits; /* NULL when no per-principal limit is set */
    atomic_int draining;
    int started;
    int64_t started_unix;
    atomic_uint_fast64_t calls_started;
    atomic_int_fast64_t calls_active;
    unsigned char relay_key[32]; /* inproc.h: MACs what the web listener vouches for */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int ins_addr_is_loopback(const char *addr)
{
    if (strncmp(addr, "ipv4:", 5) == 0 || strncmp(addr, "ipv6:", 5) == 0)
        addr += 5;
    char host[256];
    const char *end;
    if (addr[0] == '[') {
        end = strchr(addr, ']');
        if (!end || end[1] != ':')
            return 0;
        addr++;
    } else {
        end = strrchr(addr, ':');
        if (!end)
            return 0;
    }
    size_t n = (size_t)(end - addr);
    if (n == 0 || n >= sizeof host)
        return 0;
    memcpy(host, addr, n);
    host[n] = '\0';
    if (strcmp(host, "localhost") == 0)
        return 1;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return 0;
}

static unsigned default_threads(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    return 1;
}

/* One integer channel argument. */
typedef struct int_arg {
    const char *key;
    int value;
} int_arg;

/* Writes the `n` arguments of `set` into `args`; returns `n`. */
static size_t put_int_args(grpc_arg *args, const int_arg *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        args[i].type = GRPC_ARG_INTEGER;
        args[i].key = (char *)set[i].key;
        args[i].value.integer = set[i].value;
    }
    return n;
}

/*
 * The HTTP/2 settings of a field link (field.proto, "On a weak link"): what
 * the server lets a tablet have in flight, and the pings it accepts.
 *
 * Flow control. gRPC's default grows a stream's receive window with its BDP
 * probe to megabytes; on a 2 Mbit/s link that is seconds of upload bytes
 * queued in front of every SyncTasks or CheckIn on the same connection, and
 * bytes handed over that a drop throws away. A fixed window of LINK_WINDOW
 * bytes per stream (the BDP probe off) bounds both. Measured with bench/link
 * (100 ms each way, 2 Mbit/s, a reset every ~5 s; a 50 kB bandwidth-delay
 * product; goodput against the raw link, SyncTasks p50 against alone, bytes
 * sent again per drop):
 *   16 KiB: 0.41, 1.1x, 26 kB    32 KiB: 0.65, 1.2x, 15 kB
 *   40 KiB: 0.67, 1.5x, 26 kB    48 KiB: 0.76, 1.5x, 41 kB
 *   64 KiB: 0.78, 2.5x, 80 kB    gRPC's own (BDP probe): 0.47, 10.8x, 1136 kB
 * (single rounds of 6 photos); 48 KiB over 3 rounds of 30 photos: 0.83,
 * 1.5x, 29 kB, SyncTasks p99 0.83 s. 48 KiB keeps a SyncTasks within 2x of
 * its time alone and a drop's loss under one 64 KiB chunk, for most of the
 * link's capacity.
 *
 * Pings. A tablet that pings every 10 s to notice a dead link within seconds
 * (also while idle) is welcome: the default would answer such pings with a
 * GOAWAY ("too_many_pings").
 *
 * Fills `args` (room for LINK_ARGS) and returns how many it set.
 */
#define LINK_WINDOW (48 * 1024)
#define LINK_ARGS   4
static size_t link_args(grpc_arg *args)
{
    static const int_arg set[LINK_ARGS] = {
        {GRPC_ARG_HTTP2_BDP_PROBE, 0},
        {GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, LINK_WINDOW},
        {GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000},
        {GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0},
    };
    return put_int_args(args, set, LINK_ARGS);
}

#define KEEPALIVE_ARGS 4

/* Writes the keepalive channel args of --keepalive into `args` (room for
 * KEEPALIVE_ARGS); returns how many. A ping every keepalive_ms on a
 * connection with calls open, however long no data moves, so a proxy's
 * idle timeout (nginx's grpc_read_timeout) never cuts a quiet follow
 * stream; a peer that does not answer within 20 s is dropped. */
static size_t keepalive_args(const ins_server_config *cfg, grpc_arg *args)
{
    if (cfg->keepalive_ms <= 0)
        return 0;
    int ms = cfg->keepalive_ms > INT32_MAX ? INT32_MAX : (int)cfg->keepalive_ms;
    const int_arg set[KEEPALIVE_ARGS] = {
        {GRPC_ARG_KEEPALIVE_TIME_MS, ms},
        {GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000},
        {GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0}, /* 0: unlimited (gRPC stops at 2) */
        {GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS, ms},
    };
    return put_int_args(args, set, KEEPALIVE_ARGS);
}

int ins_server_create(const ins_server_config *cfg, ins_server **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!cfg->listen || !cfg->token_keys) {
        snprintf(err, errlen, "listen address and token key are required");
        return INS_EINVAL;
    }
    if (!ins_addr_is_loopback(cfg->listen) && (!cfg->tls_cert || !cfg->tls_key)) {
        snprintf(err, errlen,
                 "refusing to listen on %s without TLS: plaintext is allowed only on loopback; "
                 "pass --tls-cert and --tls-key",
                 cfg->listen);
        return INS_EINVAL;
    }
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return INS_EINVAL;
    }
    if (cfg->tls_client_ca && !cfg->tls_cert) {
        snprintf(err, errlen, "--tls-client-ca needs --tls-cert and --tls-key");
        return INS_EINVAL;
    }
    const char *district = cfg->district ? cfg->district : INS_DISTRICT_DEFAULT;
    if (!ins_district_code_ok(district)) {
        snprintf(err, errlen, "'%s' is not a district code", district);
        return INS_EINVAL;
    }
    ins_proxy_list *proxies = NULL;
    int prc = ins_proxy_list_parse(cfg->trusted_proxy, &proxies, err, errlen);
    if (prc != 0)
        return prc;
    ins_server *s = calloc(1, sizeof(*s));
    if (!s) {
        ins_proxy_list_free(proxies);
        return ENOMEM;
    }
    s->proxies = proxies;
    snprintf(s->district, sizeof s->district, "%s", district);
    atomic_init(&s->log_calls, cfg->log_calls);
    pthread_mutex_init(&s->tls_lock, NULL);
    s->cfg = *cfg;
    s->listen = strdup(cfg->listen);
    s->tls_cert = dup_or_null(cfg->tls_cert);
    s->tls_key = dup_or_null(cfg->tls_key);
    s->tls_client_ca = dup_or_null(cfg->tls_client_ca);
    s->cfg.listen = s->listen;
    s->cfg.tls_cert = s->tls_cert;
    s->cfg.tls_key = s->tls_key;
    s->cfg.tls_client_ca = s->tls_client_ca;
    s->n_workers = cfg->threads > 0 ? (unsigned)cfg->threads : default_threads();
    if (RAND_bytes(s->relay_key, sizeof s->relay_key) != 1) {
        snprintf(err, errlen, "no random bytes for the in-process key");
        free(s->listen);
        free(s->tls_cert);
        free(s->tls_key);
        free(s->tls_client_ca);
        free(s);
        return INS_EINTERNAL;
    }
    atomic_init(&s->draining, 0);
    atomic_init(&s->calls_started, 0);
    atomic_init(&s->calls_active, 0);

    grpc_arg args[4 + LINK_ARGS + KEEPALIVE_ARGS];
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = (int)cfg->max_message_bytes;
    args[1].type = GRPC_ARG_INTEGER;
    args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
    args[1].value.integer = (int)cfg->max_message_bytes;
    /* A second server on the same port must fail, not share the traffic. */
    args[2].type = GRPC_ARG_INTEGER;
    args[2].key = GRPC_ARG_ALLOW_REUSEPORT;
    args[2].value.integer = 0;
    /* Advertised in SETTINGS: a client opens at most this many streams at
     * once on one connection; beyond, its HTTP/2 stack queues them. */
    args[3].type = GRPC_ARG_INTEGER;
    args[3].key = GRPC_ARG_MAX_CONCURRENT_STREAMS;
    args[3].value.integer = cfg->max_streams_per_connection > 0
                                ? cfg->max_streams_per_connection
                                : INS_DEFAULT_MAX_STREAMS_PER_CONNECTION;
    size_t nargs = 4 + link_args(args + 4);
    nargs += keepalive_args(cfg, args + nargs);
    grpc_channel_args ch = {.num_args = nargs, .args = args};
    s->server = grpc_server_create(&ch, NULL);
    s->shutdown_cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(s->server, s->shutdown_cq, NULL);
    s->workers = calloc(s->n_workers, sizeof(ins_worker));
    for (unsigned i = 0; i < s->n_workers; i++) {
        s->workers[i].server = s;
        s->workers[i].index = i;
        s->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(s->server, s->workers[i].cq, NULL);
    }
    if ((cfg->principal_rate > 0 || cfg->principal_streams > 0) &&
        ins_plimits_create(cfg->principal_rate, cfg->principal_burst, cfg->principal_streams,
                           &s->plimits) != 0) {
        ins_server_destroy(s);
        return ENOMEM;
    }
    *out = s;
    return 0;
}

void ins_server_set_ctx(ins_server *s, void *ctx)
{
    s->ctx = ctx;
}

void *ins_server_ctx(const ins_server *s)
{
    return s->ctx;
}

void ins_server_set_admit(ins_server *s, ins_admit_fn fn, void *arg)
{
    s->admit = fn;
    s->admit_arg = arg;
}

int ins_server_admit(const ins_server *s, const ins_principal *p, char *why, size_t whylen)
{
    return s->admit ? s->admit(s->admit_arg, p, why, whylen) : 0;
}

ins_token_keys *ins_server_token_keys(const ins_server *s)
{
    return s->cfg.token_keys;
}

int ins_server_log_calls(const ins_server *s)
{
    return atomic_load(&s->log_calls);
}

void ins_server_set_log_calls(ins_server *s, int on)
{
    atomic_store(&s->log_calls, on);
}

const char *ins_server_district(const ins_server *s)
{
    return s->district;
}

const struct ins_proxy_list *ins_server_trusted_proxies(const ins_server *s)
{
    return s->proxies;
}

int64_t ins_server_log_slow_ns(const ins_server *s)
{
    return s->cfg.log_slow_us * 1000;
}

ins_plimits *ins_server_plimits(const ins_server *s)
{
    return s->plimits;
}

const ins_method *ins__server_methods(const ins_server *s, size_t *n)
{
    *n = s->n_methods;
    return s->methods;
}

ins_worker *ins__server_workers(const ins_server *s, unsigned *n)
{
    *n = s->n_workers;
    return s->workers;
}

grpc_server *ins_server_grpc(const ins_server *s)
{
    return s->server;
}

const unsigned char *ins_server_relay_key(const ins_server *s)
{
    return s->relay_key;
}

int ins_server_started(const ins_server *s)
{
    return s->started;
}

void ins_server_count_call(ins_server *s, int delta)
{
    if (delta > 0)
        atomic_fetch_add(&s->calls_started, 1);
    atomic_fetch_add(&s->calls_active, delta);
}

int ins_server_draining(const ins_server *s)
{
    return atomic_load(&s->draining);
}

void ins_server_on_drain(ins_server *s, void (*fn)(void *arg), void *arg)
{
    if (s->n_hooks < INS_MAX_DRAIN_HOOKS)
        s->hooks[s->n_hooks++] = (drain_hook){fn, arg};
}

size_t ins_server_service_count(const ins_server *s)
{
    return s->n_services;
}

const char *ins_server_service_name(const ins_server *s, size_t i)
{
    return i < s->n_services ? s->services[i]->descriptor->name : NULL;
}

void ins_server_get_stats(const ins_server *s, ins_server_stats *out)
{
    out->started_unix = s->started_unix;
    out->threads = s->n_workers;
    out->calls_started = atomic_load(&s->calls_started);
    int64_t active = atomic_load(&s->calls_active);
    out->calls_active = active > 0 ? (uint64_t)active : 0;
}

int ins_server_method_roles(const ins_server *s, const char *path, unsigned *roles)
{
    for (size_t i = 0; i < s->n_methods; i++) {
        if (strcmp(s->methods[i].path, path) == 0) {
            *roles = s->methods[i].def.roles;
            return 0;
        }
    }
    return INS_ENOTFOUND;
}

/* Finds the definition of `name` in `svc`; NULL when missing. */
static const ins_method_def *find_def(const ins_service_def *svc, const char *name)
{
    for (size_t i = 0; i < svc->n_methods; i++)
        if (strcmp(svc->methods[i].name, name) == 0)
            return &svc->methods[i];
    return NULL;
}

int ins_server_add_service(ins_server *s, const ins_service_def *svc)
{
    const ProtobufCServiceDescriptor *d = svc->descriptor;
    if (s->started)
        return INS_ESTATE;
    for (size_t i = 0; i < svc->n_methods; i++) {
        if (!protobuf_c_service_descriptor_get_method_by_name(d, svc->methods[i].name)) {
            ins_log(INS_LOG_ERROR, "%s has no method %s", d->name, svc->methods[i].name);
            return INS_EINVAL;
        }
    }
    ins_method *ms = realloc(s->methods, (s->n_methods + d->n_methods) * sizeof(ins_method));
    const ins_service_def **ss = realloc(s->services, (s->n_services + 1) * sizeof(*ss));
    if (ms)
        s->methods = ms;
    if (ss)
        s->services = ss;
    if (!ms || !ss)
        return ENOMEM;
    for (unsigned i = 0; i < d->n_methods; i++) {
        const ins_method_def *def = find_def(svc, d->methods[i].name);
        if (!def || !def->ops || !def->ops->start) {
            ins_log(INS_LOG_ERROR, "%s.%s has no handler", d->name, d->methods[i].name);
            return INS_EINVAL;
        }
    }
    for (unsigned i = 0; i < d->n_methods; i++) {
        ins_method *m = &s->methods[s->n_methods++];
        memset(m, 0, sizeof *m);
        m->def = *find_def(svc, d->methods[i].name);
        m->index = s->n_methods - 1;
        m->service = d->name;
        m->input = d->methods[i].input;
        m->request_id = protobuf_c_message_descriptor_get_field_by_name(m->input, "request_id");
        if (m->request_id && (m->request_id->type != PROTOBUF_C_TYPE_STRING ||
                              m->request_id->label == PROTOBUF_C_LABEL_REPEATED))
            m->request_id = NULL;
        m->output = d->methods[i].output;
        if (asprintf(&m->path, "/%s/%s", d->name, d->methods[i].name) < 0)
            return ENOMEM;
        int read_payload = m->def.kind == INS_UNARY || m->def.kind == INS_SERVER_STREAM;
        m->handle = grpc_server_register_method(
            s->server, m->path, NULL,
            read_payload ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE, 0);
        if (!m->handle)
            return INS_EINVAL;
    }
    s->services[s->n_services++] = svc;
    return 0;
}

/* Non-zero when the PEM private key `key` belongs to the first certificate
 * of the PEM chain `cert`. */
static int key_matches_cert(const char *cert, const char *key)
{
    ERR_set_mark();
    BIO *cb = BIO_new_mem_buf(cert, -1), *kb = BIO_new_mem_buf(key, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    int ok = x && pk && X509_check_private_key(x, pk) == 1;
    EVP_PKEY_free(pk);
    X509_free(x);
    BIO_free(cb);
    BIO_free(kb);
    ERR_pop_to_mark();
    return ok;
}

/* Reads the TLS files into a certificate config for gRPC. NULL with the
 * reason in `err` when a file cannot be read or the key is not the
 * certificate's. */
static grpc_ssl_server_certificate_config *tls_config(const char *cert_path, const char *key_path,
                                                      const char *ca_path, char *err, size_t errlen)
{
    char *cert = ins_file_read(cert_path);
    char *key = ins_file_read(key_path);
    char *ca = ca_path ? ins_file_read(ca_path) : NULL;
    grpc_ssl_server_certificate_config *cfg = NULL;
    if (!cert || !key || (ca_path && !ca)) {
        const char *which = !cert ? cert_path : !key ? key_path : ca_path;
        snprintf(err, errlen, "cannot read %s: %s", which, strerror(errno));
    } else if (!key_matches_cert(cert, key)) {
        snprintf(err, errlen,
                 "TLS certificate %s or key %s not usable (not PEM, or the key is not the "
                 "certificate's)",
                 cert_path, key_path);
    } else {
        grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
        /* gRPC (1.51) asserts roots in a fetched config even when it asks
         * for no client certificate; then they are never consulted, so the
         * server's own chain stands in. */
        cfg = grpc_ssl_server_certificate_config_create(ca ? ca : cert, &pair, 1); /* copies */
        if (!cfg)
            snprintf(err, errlen, "TLS certificate or key not usable");
    }
    free(cert);
    free(key);
    free(ca);
    return cfg;
}

/* gRPC's certificate-config fetcher, asked before each handshake: hands
 * over (ownership passes to gRPC) the config left by a reload, if any. */
static grpc_ssl_certificate_config_reload_status
tls_fetch(void *arg, grpc_ssl_server_certificate_config **config)
{
    ins_server *s = arg;
    pthread_mutex_lock(&s->tls_lock);
    *config = s->tls_pending;
    s->tls_pending = NULL;
    pthread_mutex_unlock(&s->tls_lock);
    return *config ? GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW
                   : GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
}

/* Leaves `cfg` (owned) for the next handshake, replacing one not yet used. */
static void tls_offer(ins_server *s, grpc_ssl_server_certificate_config *cfg)
{
    pthread_mutex_lock(&s->tls_lock);
    if (s->tls_pending)
        grpc_ssl_server_certificate_config_destroy(s->tls_pending);
    s->tls_pending = cfg;
    pthread_mutex_unlock(&s->tls_lock);
}

/* Builds the listening credentials from the configuration. */
static grpc_server_credentials *make_credentials(ins_server *s, char *err, size_t errlen)
{
    if (!s->cfg.tls_cert)
        return grpc_insecure_server_credentials_create();
    grpc_ssl_server_certificate_config *cfg =
        tls_config(s->cfg.tls_cert, s->cfg.tls_key, s->cfg.tls_client_ca, err, errlen);
    if (!cfg)
        return NULL;
    tls_offer(s, cfg); /* fetched once while the credentials are created */
    grpc_ssl_server_credentials_options *opts =
        grpc_ssl_server_credentials_create_options_using_config_fetcher(
            s->cfg.tls_client_ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                 : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
            tls_fetch, s);
    grpc_server_credentials *creds =
        opts ? grpc_ssl_server_credentials_create_with_options(opts) : NULL;
    if (!creds)
        snprintf(err, errlen, "TLS certificate or key not usable");
    return creds;
}

int ins_server_reload_tls(ins_server *s, const char *cert, const char *key, const char *client_ca,
                          char *err, size_t errlen)
{
    if (!s->cfg.tls_cert) {
        snprintf(err, errlen, "this server listens without TLS; turning TLS on needs a restart");
        return INS_ESTATE;
    }
    if (!cert || !key) {
        snprintf(err, errlen, "turning TLS off needs a restart");
        return INS_ESTATE;
    }
    if ((client_ca == NULL) != (s->cfg.tls_client_ca == NULL)) {
        snprintf(err, errlen, "turning mutual TLS (--tls-client-ca) %s needs a restart",
                 client_ca ? "on" : "off");
        return INS_ESTATE;
    }
    grpc_ssl_server_certificate_config *cfg = tls_config(cert, key, client_ca, err, errlen);
    if (!cfg)
        return INS_EINVAL;
    tls_offer(s, cfg);
    return 0;
}

static void *worker_main(void *arg)
{
    ins_worker *w = arg;
    ins_calllog_worker_begin();
    gpr_timespec idle = gpr_time_from_millis(INS_CALLLOG_FLUSH_MS, GPR_TIMESPAN);
    for (;;) {
        /* Wait briefly while log lines are buffered, so they reach stderr
         * soon after the worker goes idle; otherwise wait for work. */
        gpr_timespec until = ins_calllog_pending()
                                 ? gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), idle)
                                 : gpr_inf_future(GPR_CLOCK_MONOTONIC);
        grpc_event ev = grpc_completion_queue_next(w->cq, until, NULL);
        if (ev.type == GRPC_QUEUE_TIMEOUT) {
            ins_calllog_flush();
            continue;
        }
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        ins_call_on_event(ev.tag, ev.success);
    }
    ins_calllog_flush();
    return NULL;
}

int ins_server_start(ins_server *s, int *port, char *err, size_t errlen)
{
    grpc_server_credentials *creds = make_credentials(s, err, errlen);
    if (!creds)
        return INS_EINVAL;
    int bound = grpc_server_add_http2_port(s->server, s->cfg.listen, creds);
    grpc_server_credentials_release(creds);
    if (bound == 0) {
        snprintf(err, errlen, "cannot listen on %s (address in use or not local?)", s->cfg.listen);
        return INS_EINVAL;
    }
    int rc = s->cfg.count_calls ? ins__stats_start(s) : 0;
    if (rc != 0) {
        snprintf(err, errlen, "cannot set up call metrics: %s", ins_strerror(rc));
        return rc;
    }
    grpc_server_start(s->server);
    s->started = 1;
    s->started_unix = (int64_t)time(NULL);
    for (unsigned w = 0; w < s->n_workers; w++) {
        for (size_t m = 0; m < s->n_methods; m++)
            for (int k = 0; k < INS_ARMED_PER_WORKER; k++)
                ins_call_arm(&s->workers[w], &s->methods[m]);
        ins_call_arm(&s->workers[w], NULL);
    }
    for (unsigned w = 0; w < s->n_workers; w++) {
        rc = pthread_create(&s->workers[w].thread, NULL, worker_main, &s->workers[w]);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start worker thread: %s", strerror(rc));
            return rc;
        }
    }
    *port = bound;
    return 0;
}

void ins_server_shutdown(ins_server *s)
{
    if (!s || !s->started || atomic_exchange(&s->draining, 1))
        return;
    for (size_t i = 0; i < s->n_hooks; i++)
        s->hooks[i].fn(s->hooks[i].arg);
    int tag;
    grpc_server_shutdown_and_notify(s->server, s->shutdown_cq, &tag);
    gpr_timespec grace =
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_millis((int64_t)s->cfg.grace_seconds * 1000, GPR_TIMESPAN));
    grpc_event ev = grpc_completion_queue_next(s->shutdown_cq, grace, NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) {
        grpc_server_cancel_all_calls(s->server);
        grpc_completion_queue_next(s->shutdown_cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    }
}

void ins_server_destroy(ins_server *s)
{
    if (!s)
        return;
    if (s->started) {
        ins_server_shutdown(s); /* no-op when already shut down */
        grpc_server_destroy(s->server);
        for (unsigned w = 0; w < s->n_workers; w++)
            grpc_completion_queue_shutdown(s->workers[w].cq);
        for (unsigned w = 0; w < s->n_workers; w++)
            pthread_join(s->workers[w].thread, NULL);
    } else {
        grpc_server_destroy(s->server);
        for (unsigned w = 0; w < s->n_workers; w++) {
            grpc_completion_queue_shutdown(s->workers[w].cq);
            while (grpc_completion_queue_next(s->workers[w].cq, gpr_inf_future(GPR_CLOCK_REALTIME),
                                              NULL)
                       .type != GRPC_QUEUE_SHUTDOWN)
                ;
        }
    }
    for (unsigned w = 0; w < s->n_workers; w++)
        grpc_completion_queue_destroy(s->workers[w].cq);
    ins__stats_stop(s);
    ins_plimits_destroy(s->plimits);
    grpc_completion_queue_shutdown(s->shutdown_cq);
    while (
        grpc_completion_queue_next(s->shutdown_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
        GRPC_QUEUE_SHUTDOWN)
        ;
    grpc_completion_queue_destroy(s->shutdown_cq);
    for (size_t i = 0; i < s->n_methods; i++)
        free(s->methods[i].path);
    free(s->methods);
    free(s->services);
    free(s->workers);
    free(s->listen);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->tls_client_ca);
    if (s->tls_pending)
        grpc_ssl_server_certificate_config_destroy(s->tls_pending);
    pthread_mutex_destroy(&s->tls_lock);
    ins_proxy_list_free(s->proxies);
    free(s);
}
