/*
 * http.c - the operations endpoint over libmicrohttpd (see http.h).
 *
 * libmicrohttpd runs one internal polling thread (epoll) that answers every
 * request itself: a scrape or probe is short and rare, so one thread is
 * plenty and the gRPC workers never see this traffic.
 */
#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "ins_error.h"
#include "metrics.h"
#include "ready.h"

#define READY_BODY_MAX 4096

struct ins_ops_http {
    struct MHD_Daemon *daemon;
    int port;
};

/* Queues `body` (malloc'd; the response takes it) with `status`. */
static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, char *body, size_t len,
                              const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    char *body = strdup(text);
    return body ? answer(conn, status, body, strlen(body), "text/plain; charset=utf-8") : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **state)
{
    (void)cls;
    (void)version;
    (void)upload;
    (void)state;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served\n");
    if (*upload_len) {
        *upload_len = 0; /* a GET with a body: ignore it */
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") == 0) {
        size_t len = 0;
        char *text = ins_metrics_render(&len);
        if (!text)
            return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        return answer(conn, MHD_HTTP_OK, text, len, "text/plain; version=0.0.4; charset=utf-8");
    }
    if (strcmp(url, "/healthz") == 0)
        return answer_text(conn, MHD_HTTP_OK, "ok\n");
    if (strcmp(url, "/readyz") == 0) {
        char *body = malloc(READY_BODY_MAX);
        if (!body)
            return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        int ready = ins_ready_report(body, READY_BODY_MAX);
        return answer(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body, strlen(body),
                      "text/plain; charset=utf-8");
    }
    return answer_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /readyz\n");
}

/* Splits "host:port" / "[v6]:port" and resolves it for binding. */
static int resolve(const char *addr, struct addrinfo **res, char *err, size_t errlen)
{
    char host[256];
    const char *port;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof host)
            goto bad;
        memcpy(host, addr + 1, (size_t)(end - addr - 1));
        host[end - addr - 1] = '\0';
        port = end + 2;
    } else {
        const char *colon = strrchr(addr, ':');
        if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host)
            goto bad;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        port = colon + 1;
    }
    if (!*port || strspn(port, "0123456789") != strlen(port))
        goto bad;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    int rc = getaddrinfo(host, port, &hints, res);
    if (rc != 0) {
        snprintf(err, errlen, "--metrics-listen %s: %s", addr, gai_strerror(rc));
        return INS_EINVAL;
    }
    return 0;
bad:
    snprintf(err, errlen, "--metrics-listen takes HOST:PORT or [V6]:PORT (or off), not '%s'", addr);
    return INS_EINVAL;
}

int ins_ops_http_start(const char *addr, ins_ops_http **out, char *err, size_t errlen)
{
    *out = NULL;
    struct addrinfo *res = NULL;
    int rc = resolve(addr, &res, err, errlen);
    if (rc != 0)
        return rc;
    ins_ops_http *h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(res);
        return ENOMEM;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (res->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                                 res->ai_addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
    freeaddrinfo(res);
    if (!h->daemon) {
        snprintf(err, errlen, "cannot listen on %s for metrics (address in use or not local?)",
                 addr);
        free(h);
        return INS_EINVAL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? (int)info->port : 0;
    *out = h;
    return 0;
}

int ins_ops_http_port(const ins_ops_http *h)
{
    return h->port;
}

void ins_ops_http_stop(ins_ops_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
