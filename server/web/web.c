/*
 * web.c - the gRPC-Web listener's HTTP side: the libmicrohttpd daemon, one
 * thread per connection (a relayed call blocks its connection's thread, never
 * another's), the routing of each request (gRPC-Web POST, CORS preflight,
 * console file), and which origins may call.
 *
 * Thread per connection keeps a streamed call (WatchAlerts, PullChanges)
 * simple: its thread waits on the relay and writes each message as it comes.
 * The daemon's connection limit bounds the threads.
 */
#include "web_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inproc.h"
#include "ins_file.h"
#include "ins_error.h"

#define CONNECTION_LIMIT  256
#define IDLE_TIMEOUT_S    120
#define PREFLIGHT_MAX_AGE "600"
#define PREFLIGHT_HEADERS "authorization, content-type, grpc-timeout, x-grpc-web, x-user-agent"

/* What a request is, between the calls of the access handler. */
typedef struct web_req {
    ins_web_rpc *rpc; /* NULL once the response owns it */
} web_req;

int ins_web_origin_allowed(const ins_web *w, const char *origin, const char *host)
{
    if (host) {
        const char *scheme = w->tls ? "https://" : "http://";
        size_t sl = strlen(scheme);
        if (strncmp(origin, scheme, sl) == 0 && strcmp(origin + sl, host) == 0)
            return 1;
    }
    for (size_t i = 0; i < w->n_origins; i++)
        if (strcmp(origin, w->origins[i]) == 0)
            return 1;
    return 0;
}

/* Answers a CORS preflight: 204 with what may be sent, or 403. */
static enum MHD_Result preflight(ins_web *w, struct MHD_Connection *conn, const char *origin)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    ins_web_security_headers(w, r);
    MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(r, "Access-Control-Allow-Methods", "POST");
    MHD_add_response_header(r, "Access-Control-Allow-Headers", PREFLIGHT_HEADERS);
    MHD_add_response_header(r, "Access-Control-Max-Age", PREFLIGHT_MAX_AGE);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_NO_CONTENT, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result refuse_origin(ins_web *w, struct MHD_Connection *conn, const char *origin)
{
    char msg[512];
    snprintf(msg, sizeof msg,
             "pages from %s may not call this server; start inspectd with --web-origin %s to "
             "allow them\n",
             origin, origin);
    return ins_web_text(w, conn, MHD_HTTP_FORBIDDEN, msg);
}

/* The media type of a Content-Type header, parameters dropped. */
static void media_type(const char *ctype, char *out, size_t cap)
{
    size_t n = 0;
    while (ctype && ctype[n] && ctype[n] != ';' && ctype[n] != ' ' && n + 1 < cap) {
        out[n] = ctype[n];
        n++;
    }
    out[n] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    ins_web *w = cls;
    web_req *req = *con_cls;
    if (req) { /* more of a gRPC-Web body, or its end */
        if (*upload_data_size > 0) {
            ins_web_rpc_body(req->rpc, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return MHD_YES;
        }
        ins_web_rpc *q = req->rpc;
        req->rpc = NULL;
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        return ins_web_rpc_respond(q, url, origin);
    }
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    if (origin && !ins_web_origin_allowed(w, origin, host))
        return refuse_origin(w, conn, origin);
    char *client_pem = NULL;
    if (w->tls_ca_pem) { /* mutual TLS: as on the gRPC port, no certificate, no service */
        char why[256];
        client_pem = ins_web_client_cert(conn, why, sizeof why);
        if (!client_pem)
            return ins_web_text(w, conn, MHD_HTTP_FORBIDDEN, why);
    }
    if (strcmp(method, "POST") != 0)
        free(client_pem);
    if (strcmp(method, "OPTIONS") == 0)
        return origin ? preflight(w, conn, origin)
                      : ins_web_text(w, conn, MHD_HTTP_BAD_REQUEST, "OPTIONS needs an Origin\n");
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return ins_web_static(w, conn, url);
    if (strcmp(method, "POST") != 0)
        return ins_web_text(w, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "only GET (the console) and POST (gRPC-Web calls) are served\n");
    char ctype[96];
    media_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
               ctype, sizeof ctype);
    ins_web_rpc *q = ins_web_rpc_begin(w, conn, ctype, client_pem);
    if (!q)
        return ins_web_text(w, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                            "a call takes Content-Type application/grpc-web+proto or "
                            "application/grpc-web-text\n");
    req = calloc(1, sizeof *req);
    if (!req) {
        ins_web_rpc_free(q);
        return MHD_NO;
    }
    req->rpc = q;
    *con_cls = req;
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    web_req *req = *con_cls;
    if (!req)
        return;
    ins_web_rpc_free(req->rpc);
    free(req);
    *con_cls = NULL;
}

/* Parses "host:port" or "[v6]:port" with a numeric host. */
static int parse_addr(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen)
{
    char host[256];
    const char *colon;
    const char *h = listen;
    if (h[0] == '[') {
        const char *end = strchr(h, ']');
        if (!end || end[1] != ':')
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(end - h - 1), h + 1);
        colon = end + 1;
    } else {
        colon = strrchr(h, ':');
        if (!colon)
            goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(colon - h), h);
    }
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
        goto bad;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
bad:
    snprintf(err, errlen, "--web-listen takes host:port with a numeric host, not '%s'", listen);
    return INS_EINVAL;
}

static int read_tls(ins_web *w, const ins_web_config *cfg, char *err, size_t errlen)
{
    if (!cfg->tls_cert)
        return 0;
    if (cfg->tls_client_ca && !(w->tls_ca_pem = ins_file_read(cfg->tls_client_ca))) {
        snprintf(err, errlen, "cannot read %s: %s", cfg->tls_client_ca, strerror(errno));
        return INS_EINVAL;
    }
    w->tls_cert_pem = ins_file_read(cfg->tls_cert);
    w->tls_key_pem = ins_file_read(cfg->tls_key);
    if (!w->tls_cert_pem || !w->tls_key_pem) {
        snprintf(err, errlen, "cannot read %s: %s", !w->tls_cert_pem ? cfg->tls_cert : cfg->tls_key,
                 strerror(errno));
        return INS_EINVAL;
    }
    w->tls = 1;
    return 0;
}

int ins_web_start(const ins_web_config *cfg, ins_server *srv, ins_web **out, int *port, char *err,
                  size_t errlen)
{
    *out = NULL;
    if (!ins_addr_is_loopback(cfg->listen) && (!cfg->tls_cert || !cfg->tls_key)) {
        snprintf(err, errlen,
                 "refusing to serve the web console on %s without TLS: plaintext is allowed "
                 "only on loopback; pass --tls-cert and --tls-key",
                 cfg->listen);
        return INS_EINVAL;
    }
    if (cfg->n_origins > INS_WEB_MAX_ORIGINS) {
        snprintf(err, errlen, "at most %d --web-origin", INS_WEB_MAX_ORIGINS);
        return INS_EINVAL;
    }
    struct sockaddr_storage ss;
    int rc = parse_addr(cfg->listen, &ss, err, errlen);
    if (rc != 0)
        return rc;
    ins_web *w = calloc(1, sizeof *w);
    if (!w)
        return ENOMEM;
    atomic_init(&w->stopping, 0);
    w->server = srv;
    w->max_message_bytes = cfg->max_message_bytes;
    w->root = strdup(cfg->root ? cfg->root : "");
    for (size_t i = 0; i < cfg->n_origins; i++)
        w->origins[w->n_origins++] = strdup(cfg->origins[i]);
    if ((rc = read_tls(w, cfg, err, errlen)) != 0)
        goto fail;
    w->channel = ins_server_inproc_channel(srv, err, errlen);
    if (!w->channel) {
        rc = INS_EINVAL;
        goto fail;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (w->tls ? MHD_USE_TLS : 0);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls_opts[] = {
        {w->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, w->tls_cert_pem},
        {w->tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, w->tls_key_pem},
        {w->tls_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, w->tls_ca_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    w->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
                                 on_completed, w, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!w->daemon) {
        snprintf(err, errlen, "cannot serve the web console on %s (address in use or not local?)",
                 cfg->listen);
        rc = INS_EINVAL;
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = di ? di->port : 0;
    *out = w;
    return 0;
fail:
    ins_web_stop(w);
    return rc;
}

void ins_web_stop(ins_web *w)
{
    if (!w)
        return;
    atomic_store(&w->stopping, 1);
    if (w->daemon)
        MHD_stop_daemon(w->daemon);
    if (w->channel)
        grpc_channel_destroy(w->channel);
    free(w->root);
    for (size_t i = 0; i < w->n_origins; i++)
        free(w->origins[i]);
    free(w->tls_cert_pem);
    free(w->tls_key_pem);
    free(w->tls_ca_pem);
    free(w);
}
