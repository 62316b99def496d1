/*
 * web_rpc.c - one gRPC-Web call over HTTP/1.1: the body gathered (never
 * more than the largest message needs), its one frame read, the request
 * headers turned into gRPC metadata, the call relayed (relay.c), and the
 * response streamed frame by frame, the status in the final trailer frame.
 *
 * Every refusal here is one the gRPC port makes too, with the same code: a
 * message over --max-message-bytes is RESOURCE_EXHAUSTED with grpc core's
 * own sentence, an unreadable request INVALID_ARGUMENT as when a protobuf
 * does not decode. Credentials, roles and every other rule are the
 * server's, reached through the in-process channel.
 */
#include "web_impl.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpcweb.h"
#include "inproc.h"
#include "ins_base64.h"
#include "ins_error.h"
#include "status.h"

#define MAX_FORWARDED_MD 32
#define RELAY_MD         2 /* the client certificate and its MAC */

ins_web_rpc *ins_web_rpc_begin(ins_web *w, struct MHD_Connection *conn, const char *ctype,
                               char *client_pem)
{
    int text;
    if (strcmp(ctype, "application/grpc-web") == 0 ||
        strcmp(ctype, "application/grpc-web+proto") == 0)
        text = 0;
    else if (strcmp(ctype, "application/grpc-web-text") == 0 ||
             strcmp(ctype, "application/grpc-web-text+proto") == 0)
        text = 1;
    else {
        free(client_pem);
        return NULL;
    }
    ins_web_rpc *q = calloc(1, sizeof *q);
    if (!q) {
        free(client_pem);
        return NULL;
    }
    q->web = w;
    q->client_pem = client_pem;
    q->conn = conn;
    q->text = text;
    q->code = GRPC_STATUS_OK;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    q->fd = ci ? ci->connect_fd : -1;
    return q;
}

/* The most body bytes a request can need: one frame of the largest
 * message, in base64 for the text variant (each piece may carry padding). */
static size_t body_limit(const ins_web_rpc *q)
{
    size_t bin = q->web->max_message_bytes + INS_GW_HEADER;
    return q->text ? (bin + 2) / 3 * 4 + 8 : bin;
}

void ins_web_rpc_body(ins_web_rpc *q, const char *data, size_t n)
{
    if (q->overflow)
        return;
    if (q->len + n > body_limit(q)) {
        /* keep what fits: the frame header says how big the message is */
        q->overflow = 1;
        n = body_limit(q) - q->len;
    }
    if (q->len + n > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + n)
            cap *= 2;
        uint8_t *nb = realloc(q->body, cap);
        if (!nb) {
            q->overflow = 1;
            return;
        }
        q->body = nb;
        q->cap = cap;
    }
    memcpy(q->body + q->len, data, n);
    q->len += n;
}

/* Fails the request before any call with the status of `err`. */
static void refuse(ins_web_rpc *q, int err, const char *why)
{
    q->code = ins_status_code(err);
    snprintf(q->why, sizeof q->why, "%s", why);
}

/* Finds the one message of the body; on failure the request is refused. */
static int read_message(ins_web_rpc *q, const uint8_t **msg, size_t *len)
{
    char why[256];
    const uint8_t *frames = q->body;
    size_t n = q->len;
    if (q->text && q->overflow) {
        snprintf(why, sizeof why, "Received message larger than max (more than %zu bytes)",
                 q->web->max_message_bytes);
        refuse(q, INS_ETOOBIG, why);
        return -1;
    }
    if (q->text) {
        uint8_t *bin = malloc(INS_B64_DECODED_MAX(q->len) + 1);
        size_t got = 0;
        if (!bin || ins_gw_text_decode((const char *)q->body, q->len, bin,
                                       INS_B64_DECODED_MAX(q->len) + 1, &got) != 0) {
            free(bin);
            refuse(q, INS_EINVAL, "the application/grpc-web-text request body is not base64");
            return -1;
        }
        free(q->body);
        q->body = bin;
        q->len = got;
        frames = bin;
        n = got;
    }
    int rc =
        ins_gw_request_message(frames, n, q->web->max_message_bytes, msg, len, why, sizeof why);
    if (rc != 0) {
        refuse(q, rc, why);
        return -1;
    }
    return 0;
}

typedef struct md_set {
    grpc_metadata md[MAX_FORWARDED_MD + RELAY_MD];
    size_t n;
    int bad;
    char why[256];
} md_set;

/* Headers that belong to HTTP or to the gRPC-Web framing, not to the call. */
static int is_transport_header(const char *key)
{
    static const char *const skip[] = {"x-grpc-web", "x-user-agent", "x-requested-with"};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (strcmp(key, skip[i]) == 0)
            return 1;
    return 0;
}

/* Collects what the gRPC port would see as metadata: authorization and the
 * application's own x-* headers (request id, district, ...). */
static enum MHD_Result collect_md(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    md_set *s = cls;
    char lower[128];
    size_t klen = strlen(key);
    if (klen >= sizeof lower)
        return MHD_YES;
    for (size_t i = 0; i <= klen; i++)
        lower[i] = (char)tolower((unsigned char)key[i]);
    if (strcmp(lower, "authorization") != 0 && strncmp(lower, "x-", 2) != 0)
        return MHD_YES;
    if (strncmp(lower, INS_RELAY_PREFIX, strlen(INS_RELAY_PREFIX)) == 0)
        return MHD_YES; /* only the listener itself speaks for a certificate */
    if (is_transport_header(lower) || s->bad)
        return MHD_YES;
    if (s->n == MAX_FORWARDED_MD) {
        s->bad = 1;
        snprintf(s->why, sizeof s->why, "more than %d x-* headers", MAX_FORWARDED_MD);
        return MHD_NO;
    }
    grpc_slice k = grpc_slice_from_copied_string(lower);
    grpc_slice v;
    int binary = klen > 4 && strcmp(lower + klen - 4, "-bin") == 0;
    if (binary) {
        size_t vlen = strlen(value), got = 0;
        uint8_t *raw = malloc(INS_B64_DECODED_MAX(vlen) + 1);
        if (!raw || ins_b64_decode(value, vlen, INS_B64_ANY, raw, INS_B64_DECODED_MAX(vlen) + 1,
                                   &got) != 0) {
            free(raw);
            grpc_slice_unref(k);
            s->bad = 1;
            snprintf(s->why, sizeof s->why, "header %s must be base64", lower);
            return MHD_NO;
        }
        v = grpc_slice_from_copied_buffer((const char *)raw, got);
        free(raw);
    } else {
        v = grpc_slice_from_copied_string(value);
    }
    if (!grpc_header_key_is_legal(k) || (!binary && !grpc_header_nonbin_value_is_legal(v))) {
        grpc_slice_unref(k);
        grpc_slice_unref(v);
        s->bad = 1;
        snprintf(s->why, sizeof s->why, "header %s cannot be passed on as gRPC metadata", lower);
        return MHD_NO;
    }
    s->md[s->n].key = k;
    s->md[s->n].value = v;
    s->n++;
    return MHD_YES;
}

static void md_free(md_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        grpc_slice_unref(s->md[i].key);
        grpc_slice_unref(s->md[i].value);
    }
}

/* Adds the verified client certificate and its MAC (rpc/inproc.h). */
static void vouch_for_cert(ins_web_rpc *q, md_set *s)
{
    size_t n = strlen(q->client_pem);
    unsigned char mac[INS_RELAY_MAC_LEN];
    ins_server_relay_sign(q->web->server, q->client_pem, n, mac);
    s->md[s->n].key = grpc_slice_from_static_string(INS_RELAY_CERT_MD);
    s->md[s->n++].value = grpc_slice_from_copied_buffer(q->client_pem, n);
    s->md[s->n].key = grpc_slice_from_static_string(INS_RELAY_MAC_MD);
    s->md[s->n++].value = grpc_slice_from_copied_buffer((const char *)mac, sizeof mac);
}

/* The deadline of a grpc-timeout header ("10S", "500m"), infinite without
 * one; -1 when the header is malformed. */
static int parse_timeout(const char *text, gpr_timespec *out)
{
    *out = gpr_inf_future(GPR_CLOCK_MONOTONIC);
    if (!text)
        return 0;
    size_t n = strlen(text);
    if (n < 2 || n > 9)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (!isdigit((unsigned char)text[i]))
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    int64_t ms;
    switch (text[n - 1]) {
    case 'H':
        ms = v * 3600000;
        break;
    case 'M':
        ms = v * 60000;
        break;
    case 'S':
        ms = v * 1000;
        break;
    case 'm':
        ms = v;
        break;
    case 'u':
        ms = (v + 999) / 1000;
        break;
    case 'n':
        ms = (v + 999999) / 1000000;
        break;
    default:
        return -1;
    }
    *out = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
    return 0;
}

/* Appends `n` bytes to the pending output, base64 in text mode. */
static int out_append(ins_web_rpc *q, const uint8_t *data, size_t n)
{
    size_t need = q->text ? ins_b64_encoded_len(n, INS_B64_STD) + 1 : n;
    if (q->out_len + need > q->out_cap) {
        size_t cap = q->out_cap ? q->out_cap : 4096;
        while (cap < q->out_len + need)
            cap *= 2;
        uint8_t *nb = realloc(q->out, cap);
        if (!nb)
            return -1;
        q->out = nb;
        q->out_cap = cap;
    }
    if (q->text) {
        ins_b64_encode(data, n, INS_B64_STD, (char *)q->out + q->out_len);
        q->out_len += need - 1;
    } else {
        memcpy(q->out + q->out_len, data, n);
        q->out_len += n;
    }
    return 0;
}

/* One frame: header and body appended as one piece (one base64 run). */
static int out_frame(ins_web_rpc *q, uint8_t flag, const uint8_t *body, size_t n)
{
    uint8_t *frame = malloc(INS_GW_HEADER + n);
    if (!frame)
        return -1;
    ins_gw_frame_header(flag, (uint32_t)n, frame);
    memcpy(frame + INS_GW_HEADER, body, n);
    int rc = out_append(q, frame, INS_GW_HEADER + n);
    free(frame);
    return rc;
}

static int browser_gone(void *arg)
{
    ins_web_rpc *q = arg;
    if (atomic_load(&q->web->stopping))
        return 1;
    if (q->fd < 0)
        return 0;
    struct pollfd p = {.fd = q->fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Fills `out` with the next frame: a message, or the trailers at the end. */
static int produce(ins_web_rpc *q)
{
    q->out_len = q->out_pos = 0;
    grpc_status_code code = q->code;
    const char *details = q->why;
    if (q->relay) {
        grpc_slice msg;
        if (ins_relay_next(q->relay, browser_gone, q, &msg, &code, &details) == 1) {
            int rc =
                out_frame(q, INS_GW_MESSAGE, GRPC_SLICE_START_PTR(msg), GRPC_SLICE_LENGTH(msg));
            grpc_slice_unref(msg);
            return rc;
        }
    }
    uint8_t trailer[INS_GW_TRAILER_MAX];
    size_t n = ins_gw_trailer_frame((int)code, details, trailer, sizeof trailer);
    q->final = 1;
    return out_append(q, trailer, n);
}

static ssize_t read_response(void *cls, uint64_t pos, char *buf, size_t max)
{
    ins_web_rpc *q = cls;
    while (q->out_pos == q->out_len) {
        if (q->final)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (produce(q) != 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = q->out_len - q->out_pos;
    if (n > max)
        n = max;
    memcpy(buf, q->out + q->out_pos, n);
    q->out_pos += n;
    return (ssize_t)n;
}

static void free_response(void *cls)
{
    ins_web_rpc_free(cls);
}

/* Starts the relayed call, unless the request was already refused. */
static void start_call(ins_web_rpc *q, const char *url)
{
    const uint8_t *msg = NULL;
    size_t len = 0;
    if (read_message(q, &msg, &len) != 0)
        return;
    gpr_timespec deadline;
    if (parse_timeout(MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "grpc-timeout"),
                      &deadline) != 0) {
        refuse(q, INS_EINVAL, "grpc-timeout must be digits and a unit (H M S m u n), like 10S");
        return;
    }
    md_set md = {.n = 0};
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, collect_md, &md);
    if (!md.bad && q->client_pem)
        vouch_for_cert(q, &md);
    if (md.bad)
        refuse(q, INS_EINVAL, md.why);
    else
        q->relay = ins_relay_start(q->web->channel, url, md.md, md.n, deadline, msg, len);
    if (!md.bad && !q->relay)
        refuse(q, ENOMEM, "out of memory starting the call");
    md_free(&md);
}

enum MHD_Result ins_web_rpc_respond(ins_web_rpc *q, const char *url, const char *origin)
{
    start_call(q, url);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
                                                               read_response, q, free_response);
    if (!r) {
        ins_web_rpc_free(q);
        return MHD_NO;
    }
    struct MHD_Connection *conn = q->conn;
    ins_web_security_headers(q->web, r);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            q->text ? "application/grpc-web-text+proto"
                                    : "application/grpc-web+proto");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (origin) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(r, "Access-Control-Expose-Headers", "grpc-status, grpc-message");
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Origin");
    }
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

void ins_web_rpc_free(ins_web_rpc *q)
{
    if (!q)
        return;
    ins_relay_destroy(q->relay);
    free(q->client_pem);
    free(q->body);
    free(q->out);
    free(q);
}
