/*
 * s3.c - the `s3` blob store (see ins_s3.h): one HTTP request per slot,
 * made with libcurl and signed by it (CURLOPT_AWS_SIGV4, Signature V4 with
 * the payload's SHA-256 in x-amz-content-sha256, which the store checks).
 *
 * A request borrows a curl handle from a small pool and gives it back, so a
 * connection to the store is kept open between requests and concurrent
 * callers never share a handle. Bodies stream: a PUT pulls its bytes from
 * the caller's source as curl sends them, a GET writes into the caller's
 * buffer; only error answers and listings (small XML) are gathered. Each
 * failure is mapped to one code (ins_bstore.h) and its sentence kept for
 * ins_bstore_last_error.
 */
#include "ins_s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ins_base64.h"
#include "ins_error.h"
#include "ins_hex.h"

#define POOL_MAX     8          /* idle handles kept (open connections) */
#define DOC_MAX      (1u << 20) /* the largest XML answer read */
#define URL_MAX      (3 * INS_S3_FIELD_MAX + 256)
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define LOW_SPEED_S  30 /* a transfer below 1 byte/s this long has stalled */

typedef struct s3 {
    ins_s3_config cfg;
    char userpwd[2 * INS_S3_FIELD_MAX + 2];
    char sigv4[128];
    pthread_mutex_t mu; /* idle[], n_idle, last */
    CURL *idle[POOL_MAX];
    int n_idle;
    char last[1200];
} s3;

/* One request and what came back. */
typedef struct req {
    s3 *st;
    const char *method;
    const char *what; /* for messages: "PUT photo ab12..", "HEAD bucket" */
    char url[URL_MAX];
    struct curl_slist *hdr;
    CURL *h;
    /* PUT body */
    ins_bstore_src_fn src;
    void *src_arg;
    uint64_t size, sent;
    int src_err;
    /* GET body into the caller's buffer */
    uint8_t *out;
    size_t out_cap, out_len;
    uint64_t range_off; /* a ranged GET: its first byte */
    uint64_t skip;      /* a 200 to a ranged GET: bytes before the range, still to drop */
    int body_checked;
    /* GET body into a sink (a streamed get) */
    ins_bstore_sink_fn sink;
    void *sink_arg;
    int sink_err;
    /* XML answer (errors, listings) */
    char *doc;
    size_t doc_len;
    int want_doc; /* gather a 2xx body too (listings) */
    long status;
    uint64_t clen;
    int have_clen;
    char etag[80];
} req;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void set_last(s3 *st, const char *msg)
{
    pthread_mutex_lock(&st->mu);
    snprintf(st->last, sizeof st->last, "%s", msg);
    pthread_mutex_unlock(&st->mu);
}

static void s3_last_error(void *impl, char *buf, size_t n)
{
    s3 *st = impl;
    pthread_mutex_lock(&st->mu);
    snprintf(buf, n, "%s", st->last);
    pthread_mutex_unlock(&st->mu);
}

/* ---- handles ---- */

static CURL *take(s3 *st)
{
    CURL *h = NULL;
    pthread_mutex_lock(&st->mu);
    if (st->n_idle > 0)
        h = st->idle[--st->n_idle];
    pthread_mutex_unlock(&st->mu);
    if (h)
        curl_easy_reset(h); /* keeps the connection */
    else
        h = curl_easy_init();
    return h;
}

static void give(s3 *st, CURL *h)
{
    pthread_mutex_lock(&st->mu);
    if (st->n_idle < POOL_MAX) {
        st->idle[st->n_idle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&st->mu);
    if (h)
        curl_easy_cleanup(h);
}

/* ---- addresses ---- */

void ins_s3_key(const ins_s3_config *cfg, const uint8_t sha256[32], char *key)
{
    char hex[65];
    ins_hex_encode(sha256, 32, hex);
    sprintf(key, "%s%.2s/%s", cfg->prefix, hex, hex);
}

/* Appends s percent-encoded as S3 wants it (RFC 3986 unreserved kept, and
 * '/' too when keep_slash). */
static void enc(char *out, size_t n, const char *s, int keep_slash)
{
    size_t at = strlen(out);
    for (; *s && at + 4 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            out[at++] = (char)c;
        else
            at += (size_t)snprintf(out + at, n - at, "%%%02X", c);
    }
    out[at] = '\0';
}

/* The URL of `key` ("" for the bucket itself), path-style or virtual-host. */
static void url_of(const s3 *st, const char *key, char *url)
{
    const ins_s3_config *c = &st->cfg;
    if (c->virtual_host) {
        const char *host = strstr(c->endpoint, "://") + 3;
        snprintf(url, URL_MAX, "%.*s%s.%s/", (int)(host - c->endpoint), c->endpoint, c->bucket,
                 host);
    } else {
        snprintf(url, URL_MAX, "%s/%s%s", c->endpoint, c->bucket, key[0] ? "/" : "");
    }
    enc(url, URL_MAX, key, 1);
}

/* ---- one request ---- */

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    req *r = arg;
    size_t want = size * nitems, n = 0;
    if (r->sent >= r->size)
        return 0;
    if (want > r->size - r->sent)
        want = (size_t)(r->size - r->sent);
    int rc = r->src(r->src_arg, r->sent, buf, want, &n);
    if (rc || n == 0) {
        r->src_err = rc ? rc : INS_ECORRUPT; /* the source ended before its size */
        return CURL_READFUNC_ABORT;
    }
    r->sent += n;
    return n;
}

static int keep_doc(req *r, const char *p, size_t n)
{
    if (r->doc_len + n > DOC_MAX)
        return -1;
    char *d = realloc(r->doc, r->doc_len + n + 1);
    if (!d)
        return -1;
    memcpy(d + r->doc_len, p, n);
    r->doc = d;
    r->doc_len += n;
    r->doc[r->doc_len] = '\0';
    return 0;
}

static size_t on_write(char *p, size_t size, size_t nitems, void *arg)
{
    req *r = arg;
    size_t n = size * nitems;
    if (!r->body_checked) {
        curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &r->status);
        r->body_checked = 1;
        r->skip = r->status == 200 ? r->range_off : 0; /* the store ignored the range */
    }
    int ok = r->status >= 200 && r->status < 300;
    if (!ok || r->want_doc || (!r->out && !r->sink))
        return keep_doc(r, p, n) == 0 ? n : 0;
    size_t used = 0;
    if (r->skip) {
        size_t k = r->skip < n ? (size_t)r->skip : n;
        r->skip -= k;
        used = k;
    }
    if (r->sink) {
        if (used < n && (r->sink_err = r->sink(r->sink_arg, p + used, n - used)) != 0)
            return 0; /* stops the transfer */
        return n;
    }
    size_t room = r->out_cap - r->out_len, take_n = n - used < room ? n - used : room;
    memcpy(r->out + r->out_len, p + used, take_n);
    r->out_len += take_n;
    return n; /* bytes past the buffer (a 200 to a range) are dropped */
}

static size_t on_header(char *p, size_t size, size_t nitems, void *arg)
{
    req *r = arg;
    size_t n = size * nitems;
    if (n > 5 && strncasecmp(p, "etag:", 5) == 0) {
        const char *v = p + 5;
        while (*v == ' ' || *v == '"')
            v++;
        size_t l = 0;
        while (v + l < p + n && v[l] != '"' && v[l] != '\r' && v[l] != '\n' &&
               l < sizeof r->etag - 1)
            l++;
        memcpy(r->etag, v, l);
        r->etag[l] = '\0';
    }
    return n;
}

/* Runs r: maps the outcome to one code and keeps its sentence. */
static int perform(req *r)
{
    s3 *st = r->st;
    char errbuf[CURL_ERROR_SIZE] = "", msg[1200];
    CURL *h = r->h = take(st);
    if (!h)
        return ENOMEM;
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, st->cfg.timeout_ms ? st->cfg.timeout_ms : 3000L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_S);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, st->sigv4);
    curl_easy_setopt(h, CURLOPT_USERPWD, st->userpwd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, r);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->size);
        /* Not "Expect:" to turn 100-continue off: curl would sign the empty
         * header it then does not send. */
        curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 200L);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    }
    /* Signed by curl and used by it as the payload hash; S3 wants it on
     * every request (a PUT sets its own: the content's SHA-256). */
    if (strcmp(r->method, "PUT") != 0)
        r->hdr = curl_slist_append(r->hdr, "x-amz-content-sha256: " EMPTY_SHA256);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->hdr);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_off_t cl = -1;
    if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl >= 0) {
        r->clen = (uint64_t)cl;
        r->have_clen = 1;
    }
    give(st, h);
    r->h = NULL;
    curl_slist_free_all(r->hdr);
    r->hdr = NULL;
    int rc;
    if (r->sink_err) {
        return r->sink_err; /* the caller stopped it: not a failure of the store */
    } else if (r->src_err) {
        snprintf(msg, sizeof msg, "%s: reading the local copy failed: %s", r->what,
                 ins_strerror(r->src_err));
        rc = r->src_err;
    } else if (cc != CURLE_OK) {
        snprintf(msg, sizeof msg, "%s: %s at %s", r->what,
                 errbuf[0] ? errbuf : curl_easy_strerror(cc), st->cfg.endpoint);
        rc = INS_EUNREACH;
    } else if (r->status >= 200 && r->status < 300) {
        return 0;
    } else {
        char code[64];
        ins_s3_xml_error_code(r->doc, r->doc_len, code, sizeof code);
        snprintf(msg, sizeof msg, "%s: HTTP %ld%s%s", r->what, r->status, code[0] ? " " : "", code);
        if (r->status == 404)
            rc = INS_ENOTFOUND;
        else if (r->status == 401 || r->status == 403)
            rc = INS_EAUTH;
        else if (strcmp(code, "BadDigest") == 0 || strcmp(code, "InvalidDigest") == 0 ||
                 strcmp(code, "XAmzContentSHA256Mismatch") == 0)
            rc = INS_EDATALOSS;
        else if (r->status >= 500)
            rc = INS_EUNREACH;
        else
            rc = EIO;
    }
    if (rc != INS_ENOTFOUND || strcmp(r->method, "HEAD") != 0)
        set_last(st, msg); /* a HEAD of a missing object is an answer, not a failure */
    return rc;
}

static void req_free(req *r)
{
    curl_slist_free_all(r->hdr);
    free(r->doc);
}

static void what_of(req *r, const char *verb, const uint8_t sha256[32])
{
    static __thread char buf[96];
    char hex[65];
    ins_hex_encode(sha256, 32, hex);
    snprintf(buf, sizeof buf, "s3 %s %.16s..", verb, hex);
    r->what = buf;
}

/* ---- the ops ---- */

static int s3_put(void *impl, const uint8_t sha256[32], uint64_t size, const uint8_t md5[16],
                  ins_bstore_src_fn src, void *arg)
{
    s3 *st = impl;
    req r = {.st = st, .method = "PUT", .src = src, .src_arg = arg, .size = size};
    char key[INS_S3_FIELD_MAX + 80], h[128], b64[32], hex[65];
    ins_s3_key(&st->cfg, sha256, key);
    url_of(st, key, r.url);
    what_of(&r, "PUT", sha256);
    ins_b64_encode(md5, 16, INS_B64_STD, b64);
    snprintf(h, sizeof h, "Content-MD5: %s", b64);
    r.hdr = curl_slist_append(r.hdr, h);
    ins_hex_encode(sha256, 32, hex);
    snprintf(h, sizeof h, "x-amz-content-sha256: %s", hex);
    r.hdr = curl_slist_append(r.hdr, h);
    r.hdr = curl_slist_append(r.hdr, "Content-Type: application/octet-stream");
    int rc = perform(&r);
    if (rc == 0 && r.etag[0]) { /* a single-part ETag is the MD5 of the bytes */
        ins_hex_encode(md5, 16, hex);
        if (strcasecmp(r.etag, hex) != 0) {
            set_last(st, "s3 PUT: the store's ETag is not the MD5 of the bytes sent");
            rc = INS_EDATALOSS;
        }
    }
    req_free(&r);
    return rc;
}

static int s3_get(void *impl, const uint8_t sha256[32], uint64_t off, void *buf, size_t len,
                  size_t *n)
{
    s3 *st = impl;
    req r = {.st = st, .method = "GET", .out = buf, .out_cap = len, .range_off = off};
    char key[INS_S3_FIELD_MAX + 80], h[96];
    *n = 0;
    if (len == 0)
        return 0;
    ins_s3_key(&st->cfg, sha256, key);
    url_of(st, key, r.url);
    what_of(&r, "GET", sha256);
    snprintf(h, sizeof h, "Range: bytes=%" PRIu64 "-%" PRIu64, off, off + len - 1);
    r.hdr = curl_slist_append(r.hdr, h);
    int rc = perform(&r);
    if (rc == EIO && r.status == 416) /* at or past the end */
        rc = 0;
    if (rc == 0)
        *n = r.out_len;
    req_free(&r);
    return rc;
}

static int s3_get_stream(void *impl, const uint8_t sha256[32], uint64_t off,
                         ins_bstore_sink_fn sink, void *arg)
{
    s3 *st = impl;
    req r = {.st = st, .method = "GET", .sink = sink, .sink_arg = arg, .range_off = off};
    char key[INS_S3_FIELD_MAX + 80], h[96];
    ins_s3_key(&st->cfg, sha256, key);
    url_of(st, key, r.url);
    what_of(&r, "GET", sha256);
    snprintf(h, sizeof h, "Range: bytes=%" PRIu64 "-", off);
    r.hdr = curl_slist_append(r.hdr, h);
    int rc = perform(&r);
    if (rc == EIO && r.status == 416) /* at or past the end */
        rc = 0;
    req_free(&r);
    return rc;
}

static int s3_head(void *impl, const uint8_t sha256[32], uint64_t *size)
{
    s3 *st = impl;
    req r = {.st = st, .method = "HEAD"};
    char key[INS_S3_FIELD_MAX + 80];
    ins_s3_key(&st->cfg, sha256, key);
    url_of(st, key, r.url);
    what_of(&r, "HEAD", sha256);
    int rc = perform(&r);
    if (rc == 0 && !r.have_clen) {
        set_last(st, "s3 HEAD: the store gave no Content-Length");
        rc = EIO;
    }
    if (rc == 0)
        *size = r.clen;
    req_free(&r);
    return rc;
}

static int s3_del(void *impl, const uint8_t sha256[32])
{
    s3 *st = impl;
    req r = {.st = st, .method = "DELETE"};
    char key[INS_S3_FIELD_MAX + 80];
    ins_s3_key(&st->cfg, sha256, key);
    url_of(st, key, r.url);
    what_of(&r, "DELETE", sha256);
    int rc = perform(&r);
    req_free(&r);
    return rc == INS_ENOTFOUND ? 0 : rc;
}

typedef struct list_walk {
    const s3 *st;
    ins_bstore_list_fn fn;
    void *arg;
} list_walk;

/* An object of the listing named PREFIX/ab/<64 hex>, given to fn; others skipped. */
static int list_obj(void *arg, const char *key, uint64_t size)
{
    list_walk *w = arg;
    size_t pl = strlen(w->st->cfg.prefix);
    uint8_t sha[32];
    if (strncmp(key, w->st->cfg.prefix, pl) != 0 || strlen(key + pl) != 67 || key[pl + 2] != '/' ||
        strncmp(key + pl, key + pl + 3, 2) != 0 || ins_hex_decode(key + pl + 3, 64, sha) != 0)
        return 0;
    return w->fn(w->arg, sha, size);
}

static int s3_list(void *impl, ins_bstore_list_fn fn, void *arg)
{
    s3 *st = impl;
    char token[1024] = "";
    list_walk w = {st, fn, arg};
    int rc, truncated;
    do {
        req r = {.st = st, .method = "GET", .want_doc = 1, .what = "s3 LIST"};
        /* Signature V4 wants the query's parameters sorted and encoded. */
        url_of(st, "", r.url);
        strcat(r.url, "?");
        if (token[0]) {
            strcat(r.url, "continuation-token=");
            enc(r.url, sizeof r.url, token, 0);
            strcat(r.url, "&");
        }
        strcat(r.url, "list-type=2&prefix=");
        enc(r.url, sizeof r.url, st->cfg.prefix, 0);
        rc = perform(&r);
        if (rc == 0)
            rc = ins_s3_xml_list(r.doc ? r.doc : "", r.doc_len, list_obj, &w, &truncated, token,
                                 sizeof token);
        req_free(&r);
    } while (rc == 0 && truncated && token[0]);
    return rc;
}

static void s3_close(void *impl)
{
    s3 *st = impl;
    if (!st)
        return;
    for (int i = 0; i < st->n_idle; i++)
        curl_easy_cleanup(st->idle[i]);
    pthread_mutex_destroy(&st->mu);
    explicit_bzero(st->userpwd, sizeof st->userpwd);
    explicit_bzero(st->cfg.secret_key, sizeof st->cfg.secret_key);
    free(st);
}

static const ins_bstore_ops s3_ops = {
    .name = "s3",
    .put = s3_put,
    .get = s3_get,
    .get_stream = s3_get_stream,
    .head = s3_head,
    .list = s3_list,
    .del = s3_del,
    .close = s3_close,
};

int ins_s3_open(const ins_s3_config *cfg, ins_bstore *out)
{
    pthread_once(&curl_once, curl_init);
    s3 *st = calloc(1, sizeof *st);
    if (!st)
        return ENOMEM;
    st->cfg = *cfg;
    snprintf(st->userpwd, sizeof st->userpwd, "%s:%s", cfg->access_key, cfg->secret_key);
    snprintf(st->sigv4, sizeof st->sigv4, "aws:amz:%s:s3", cfg->region);
    pthread_mutex_init(&st->mu, NULL);
    out->ops = &s3_ops;
    out->impl = st;
    out->last_error = s3_last_error;
    return 0;
}

int ins_s3_check(ins_bstore *bs, char *why, size_t whylen)
{
    s3 *st = bs->impl;
    req r = {.st = st, .method = "HEAD", .what = "s3 HEAD bucket"};
    url_of(st, "", r.url);
    int rc = perform(&r);
    req_free(&r);
    char detail[1200];
    s3_last_error(st, detail, sizeof detail);
    if (rc == INS_EUNREACH)
        snprintf(why, whylen,
                 "the object store at --s3-endpoint %s is unreachable (%s); check the address "
                 "and that it is running",
                 st->cfg.endpoint, detail);
    else if (rc == INS_EAUTH)
        snprintf(why, whylen,
                 "the object store at %s refuses the credentials of access key %.8s... for "
                 "bucket %s (HTTP 403); check --s3-credentials or AWS_ACCESS_KEY_ID / "
                 "AWS_SECRET_ACCESS_KEY",
                 st->cfg.endpoint, st->cfg.access_key, st->cfg.bucket);
    else if (rc == INS_ENOTFOUND)
        snprintf(why, whylen,
                 "the object store at %s has no bucket %s (HTTP 404); create it or fix "
                 "--blob-store",
                 st->cfg.endpoint, st->cfg.bucket);
    else if (rc)
        snprintf(why, whylen, "the object store at %s answered the bucket check with %s",
                 st->cfg.endpoint, detail);
    return rc;
}
