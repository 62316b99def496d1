/*
 * ins_outbox.c - the tablet's durable outbox (see ins_outbox.h): an LMDB
 * environment with two tables, `items` (seq, u64 big-endian -> item) and
 * `meta` ("next" -> the next seq), and the drain that sends them in order.
 *
 * An item is stored as one record of its own small layout (format 1):
 *   u8 format | u8 kind | u8 refused | u8 code | u64 offset |
 *   u32 len, path | u32 len, refusal message | u32 len, packed request
 * all integers big-endian. Every change (add, a new committed offset, done,
 * refused) is one durable LMDB commit, so a kill at any moment leaves the
 * queue as it was after the last of them.
 */
#include "ins_outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <grpc/status.h>
#include <lmdb.h>

#include "ins_hex.h"
#include "ins_photo_upload.h"
#include "inspect/v1/field.pb-c.h"

#define FORMAT      1
#define MAP_BYTES   (256u << 20) /* requests only: photo bytes stay in their files */
#define CHUNK_BYTES (64u * 1024)
#define RETRIES     8
#define TIMEOUT_MS  30000

struct ins_outbox {
    MDB_env *env;
    MDB_dbi items, meta;
    char *dir;
};

static const ProtobufCMessageDescriptor *desc_of(ins_ob_kind kind)
{
    switch (kind) {
    case INS_OB_CHECKIN:
        return &inspect__v1__check_in_request__descriptor;
    case INS_OB_FINDINGS:
        return &inspect__v1__submit_findings_request__descriptor;
    case INS_OB_UPLOAD:
        return &inspect__v1__upload_header__descriptor;
    }
    return NULL;
}

/* ---- the record layout --------------------------------------------------- */

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
    return p + bytes;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* Encodes `it` into a malloc'd record of *len bytes; NULL when out of memory. */
static uint8_t *encode(const ins_ob_item *it, size_t *len)
{
    size_t pl = it->path ? strlen(it->path) : 0, ml = it->message ? strlen(it->message) : 0;
    size_t bl = protobuf_c_message_get_packed_size(it->req);
    *len = 4 + 8 + 12 + pl + ml + bl;
    uint8_t *buf = malloc(*len), *p = buf;
    if (!buf)
        return NULL;
    *p++ = FORMAT;
    *p++ = (uint8_t)it->kind;
    *p++ = (uint8_t)(it->refused != 0);
    *p++ = (uint8_t)it->code;
    p = put_be(p, it->offset, 8);
    p = put_be(p, pl, 4);
    memcpy(p, it->path ? it->path : "", pl);
    p = put_be(p + pl, ml, 4);
    memcpy(p, it->message ? it->message : "", ml);
    p = put_be(p + ml, bl, 4);
    protobuf_c_message_pack(it->req, p);
    return buf;
}

/* Reads `len` bytes of a length-prefixed string at *p into a malloc'd copy
 * (NULL when empty). Returns -1 when the record is too short. */
static int get_str(const uint8_t **p, const uint8_t *end, char **out)
{
    *out = NULL;
    if (end - *p < 4)
        return -1;
    size_t n = (size_t)get_be(*p, 4);
    *p += 4;
    if ((size_t)(end - *p) < n)
        return -1;
    if (n && (*out = strndup((const char *)*p, n)) == NULL)
        return -1;
    *p += n;
    return 0;
}

static void item_clear(ins_ob_item *it)
{
    if (it->req)
        protobuf_c_message_free_unpacked(it->req, NULL);
    free(it->path);
    free(it->message);
    memset(it, 0, sizeof *it);
}

/* Decodes record `v` of `seq` into `it`. Returns 0 or EBADMSG. */
static int decode(uint64_t seq, const MDB_val *v, ins_ob_item *it)
{
    const uint8_t *p = v->mv_data, *end = p + v->mv_size;
    memset(it, 0, sizeof *it);
    if (v->mv_size < 12 || p[0] != FORMAT || !desc_of((ins_ob_kind)p[1]))
        return EBADMSG;
    it->seq = seq;
    it->kind = (ins_ob_kind)p[1];
    it->refused = p[2];
    it->code = p[3];
    it->offset = get_be(p + 4, 8);
    p += 12;
    int bad = get_str(&p, end, &it->path) || get_str(&p, end, &it->message) || end - p < 4;
    if (!bad) {
        size_t bl = (size_t)get_be(p, 4);
        p += 4;
        bad = (size_t)(end - p) != bl ||
              !(it->req = protobuf_c_message_unpack(desc_of(it->kind), NULL, bl, p));
    }
    if (bad) {
        item_clear(it);
        return EBADMSG;
    }
    return 0;
}

/* ---- the environment ----------------------------------------------------- */

static char *printf_dup(const char *fmt, const char *a, const char *b)
{
    char *out = NULL;
    return asprintf(&out, fmt, a, b) < 0 ? NULL : out;
}

int ins_outbox_open(const char *dir, ins_outbox **out, char **details)
{
    *out = NULL;
    *details = NULL;
    ins_outbox *ob = calloc(1, sizeof *ob);
    MDB_txn *txn = NULL;
    int rc = ob && (ob->dir = strdup(dir)) ? mdb_env_create(&ob->env) : ENOMEM;
    if (rc == 0)
        rc = mdb_env_set_maxdbs(ob->env, 2);
    if (rc == 0)
        rc = mdb_env_set_mapsize(ob->env, MAP_BYTES);
    if (rc == 0)
        rc = mdb_env_open(ob->env, dir, 0, 0600);
    if (rc == 0)
        rc = mdb_txn_begin(ob->env, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "items", MDB_CREATE, &ob->items);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &ob->meta);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (txn)
        mdb_txn_abort(txn);
    if (rc != 0) {
        *details = printf_dup("cannot open the outbox in %s: %s", dir, mdb_strerror(rc));
        ins_outbox_close(ob);
        return rc;
    }
    *out = ob;
    return 0;
}

void ins_outbox_close(ins_outbox *ob)
{
    if (!ob)
        return;
    if (ob->env)
        mdb_env_close(ob->env);
    free(ob->dir);
    free(ob);
}

/* Stores `it` under its seq in one durable commit. */
static int put_item(ins_outbox *ob, const ins_ob_item *it)
{
    size_t len;
    uint8_t *buf = encode(it, &len), k[8];
    if (!buf)
        return ENOMEM;
    put_be(k, it->seq, 8);
    MDB_val key = {8, k}, val = {len, buf};
    MDB_txn *txn;
    int rc = mdb_txn_begin(ob->env, NULL, 0, &txn);
    if (rc == 0) {
        rc = mdb_put(txn, ob->items, &key, &val, 0);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    free(buf);
    return rc;
}

static int del_item(ins_outbox *ob, uint64_t seq)
{
    uint8_t k[8];
    put_be(k, seq, 8);
    MDB_val key = {8, k};
    MDB_txn *txn;
    int rc = mdb_txn_begin(ob->env, NULL, 0, &txn);
    if (rc)
        return rc;
    rc = mdb_del(txn, ob->items, &key, NULL);
    if (rc == 0 || rc == MDB_NOTFOUND)
        return mdb_txn_commit(txn);
    mdb_txn_abort(txn);
    return rc;
}

/* The id that names an item for ever: its request id or upload id. */
static const char *item_id(ins_ob_kind kind, const ProtobufCMessage *req)
{
    switch (kind) {
    case INS_OB_CHECKIN:
        return ((const Inspect__V1__CheckInRequest *)req)->request_id;
    case INS_OB_FINDINGS:
        return ((const Inspect__V1__SubmitFindingsRequest *)req)->request_id;
    case INS_OB_UPLOAD:
        return ((const Inspect__V1__UploadHeader *)req)->upload_id;
    }
    return NULL;
}

int ins_outbox_add(ins_outbox *ob, ins_ob_kind kind, const ProtobufCMessage *req, const char *path,
                   uint64_t *seq)
{
    const char *id = req && desc_of(kind) == req->descriptor ? item_id(kind, req) : NULL;
    if (!id || !id[0] || (kind == INS_OB_UPLOAD) != (path != NULL && path[0] != '\0'))
        return EINVAL;
    static const char next_key[] = "next";
    MDB_val key = {sizeof next_key - 1, (void *)next_key}, val;
    MDB_txn *txn;
    int rc = mdb_txn_begin(ob->env, NULL, 0, &txn);
    if (rc)
        return rc;
    uint64_t next = 1;
    rc = mdb_get(txn, ob->meta, &key, &val);
    if (rc == 0 && val.mv_size == 8)
        next = get_be(val.mv_data, 8);
    uint8_t nb[8], k[8];
    put_be(nb, next + 1, 8);
    put_be(k, next, 8);
    val = (MDB_val){8, nb};
    rc = rc == 0 || rc == MDB_NOTFOUND ? mdb_put(txn, ob->meta, &key, &val, 0) : rc;
    ins_ob_item it = {
        .seq = next, .kind = kind, .req = (ProtobufCMessage *)req, .path = (char *)path};
    size_t len = 0;
    uint8_t *buf = rc == 0 ? encode(&it, &len) : NULL;
    if (rc == 0 && !buf)
        rc = ENOMEM;
    MDB_val ik = {8, k}, iv = {len, buf};
    if (rc == 0)
        rc = mdb_put(txn, ob->items, &ik, &iv, 0);
    free(buf);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc == 0 && seq)
        *seq = next;
    return rc;
}

/* Reads the first item after `after` (refused ones too when `all`) into
 * `it`. Returns 0, MDB_NOTFOUND when there is none, EBADMSG or LMDB's. */
static int next_item(ins_outbox *ob, uint64_t after, int all, ins_ob_item *it)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    uint8_t k[8];
    put_be(k, after + 1, 8);
    MDB_val key = {8, k}, val;
    int rc = mdb_txn_begin(ob->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    if ((rc = mdb_cursor_open(txn, ob->items, &cur)) == 0) {
        for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0;
             rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
            if (key.mv_size != 8)
                continue;
            rc = decode(get_be(key.mv_data, 8), &val, it);
            if (rc || all || !it->refused)
                break;
            item_clear(it);
        }
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return rc;
}

int ins_outbox_list(ins_outbox *ob, ins_ob_item **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    size_t cap = 0;
    uint64_t after = 0;
    for (;;) {
        ins_ob_item it;
        int rc = next_item(ob, after, 1, &it);
        if (rc == MDB_NOTFOUND)
            return 0;
        if (rc == 0 && *n == cap) {
            ins_ob_item *more = realloc(*items, (cap = cap ? 2 * cap : 16) * sizeof *more);
            if (!more) {
                item_clear(&it);
                rc = ENOMEM;
            } else {
                *items = more;
            }
        }
        if (rc) {
            ins_outbox_items_free(*items, *n);
            *items = NULL;
            *n = 0;
            return rc;
        }
        after = it.seq;
        (*items)[(*n)++] = it;
    }
}

void ins_outbox_items_free(ins_ob_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        item_clear(&items[i]);
    free(items);
}

/* ---- the drain ----------------------------------------------------------- */

typedef struct drain {
    ins_outbox *ob;
    ins_client *c;
    ins_outbox_drain_opts o;
    ins_ob_item *it; /* the item being sent */
    int progress;    /* the server's offset moved during this attempt */
    int werr;        /* storing the offset failed */
    int reported;    /* the server said where this item stands, once at least */
    uint64_t pos;    /* where the attempt is sending */
    ins_outbox_stats own, *st;
    uint8_t *buf;
} drain;

static void on_progress(void *arg, uint64_t sent)
{
    drain *d = arg;
    d->st->sent_bytes += sent - d->pos;
    d->pos = sent;
}

static void on_committed(void *arg, uint64_t offset)
{
    drain *d = arg;
    const Inspect__V1__UploadHeader *h = (const Inspect__V1__UploadHeader *)d->it->req;
    if (!d->reported)
        d->st->need_bytes += h->total_size - offset;
    d->reported = 1;
    if (offset > d->pos)
        d->pos = offset; /* the attempt jumps there */
    if (offset == d->it->offset)
        return;
    d->progress = offset > d->it->offset;
    d->it->offset = offset;
    int rc = put_item(d->ob, d->it);
    if (rc)
        d->werr = rc;
}

/* Sends an upload item once. Returns the gRPC status; a photo that cannot
 * be read or that the server filed under another hash is final. */
static int send_upload(drain *d, int tried, char **details)
{
    const Inspect__V1__UploadHeader *h = (const Inspect__V1__UploadHeader *)d->it->req;
    int fd = open(d->it->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *details = printf_dup("photo %s: %s", d->it->path, strerror(errno));
        return GRPC_STATUS_NOT_FOUND;
    }
    ins_upload_req req = {.fd = fd,
                          .hdr = h,
                          .chunk = d->o.chunk,
                          .timeout_ms = INS_TIMEOUT_NONE,
                          .from = d->it->offset,
                          .wait = tried || d->it->offset > 0};
    ins_upload_hooks hooks = {.progress = on_progress, .committed = on_committed, .arg = d};
    d->pos = req.from;
    Inspect__V1__UploadPhotoResponse *r = NULL;
    int read_err = 0;
    int code = ins_upload_attempt(d->c, &req, d->buf, &hooks, &r, details, &read_err);
    close(fd);
    if (code < 0) {
        free(*details);
        *details = printf_dup("photo %s: %s", d->it->path, strerror(read_err));
        return GRPC_STATUS_DATA_LOSS;
    }
    if (code == 0) {
        char want[65];
        ins_hex_encode(h->sha256.data, h->sha256.len < 32 ? h->sha256.len : 32, want);
        if (strcasecmp(r->photo_id, want) != 0) {
            free(*details);
            *details = printf_dup("the server stored photo %s, but the header declared %s",
                                  r->photo_id, want);
            code = GRPC_STATUS_DATA_LOSS;
        }
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    return code;
}

static int send_item(drain *d, int tried, char **details)
{
    static const struct {
        const char *method;
        const ProtobufCMessageDescriptor *resp;
    } unary[] = {
        [INS_OB_CHECKIN] = {"/inspect.v1.Field/CheckIn",
                            &inspect__v1__check_in_response__descriptor},
        [INS_OB_FINDINGS] = {"/inspect.v1.Field/SubmitFindings",
                             &inspect__v1__submit_findings_response__descriptor},
    };
    if (d->it->kind == INS_OB_UPLOAD)
        return send_upload(d, tried, details);
    return ins_client_unary(d->c, unary[d->it->kind].method, d->it->req, unary[d->it->kind].resp,
                            d->o.timeout_ms, NULL, details);
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Sends `it` until it is answered or the retries run out. Returns 0 (done
 * or refused: stored), EAGAIN, or an LMDB error. */
static int drain_one(drain *d, ins_ob_item *it, unsigned *failures)
{
    double backoff = 0.25;
    d->it = it;
    d->reported = 0;
    for (int tried = 0;; tried++) {
        char *details = NULL;
        d->progress = 0;
        int code = send_item(d, tried, &details);
        int rc = d->werr;
        if (rc == 0 && code == 0) {
            rc = del_item(d->ob, it->seq);
        } else if (rc == 0 && !ins_upload_retryable(code, details)) {
            it->refused = 1;
            it->code = code;
            it->message = details ? strdup(details) : NULL;
            rc = put_item(d->ob, it);
        } else if (rc == 0) { /* the link: again, the same item */
            d->st->drops++;
            *failures = d->progress ? 0 : *failures + 1;
            if (d->progress)
                backoff = 0.25;
            if (*failures > d->o.retries) {
                free(details);
                return EAGAIN;
            }
            free(details);
            /* After progress the link was up a moment ago: again at once. */
            if (!d->progress) {
                sleep_s(backoff * (0.75 + 0.5 * (double)rand() / RAND_MAX));
                backoff = backoff * 2 > 8 ? 8 : backoff * 2;
            }
            continue;
        }
        if (rc == 0) {
            *failures = 0;
            d->st->items++;
            if (d->o.done)
                d->o.done(d->o.arg, it, code, details);
        }
        free(details);
        return rc;
    }
}

int ins_outbox_drain(ins_outbox *ob, ins_client *c, const ins_outbox_drain_opts *opts)
{
    drain d = {.ob = ob, .c = c};
    if (opts)
        d.o = *opts;
    d.st = d.o.stats ? d.o.stats : &d.own;
    d.o.retries = d.o.retries ? d.o.retries : RETRIES;
    d.o.chunk = d.o.chunk ? d.o.chunk : CHUNK_BYTES;
    if (d.o.chunk > INS_UPLOAD_CHUNK_MAX)
        d.o.chunk = INS_UPLOAD_CHUNK_MAX;
    d.o.timeout_ms = d.o.timeout_ms ? d.o.timeout_ms : TIMEOUT_MS;
    char *lock = printf_dup("%s/%s", ob->dir, "drain.lock");
    int lfd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
    free(lock);
    if (lfd < 0)
        return errno ? errno : ENOMEM;
    if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        close(lfd);
        return EBUSY;
    }
    int rc = (d.buf = malloc(d.o.chunk)) ? 0 : ENOMEM;
    unsigned failures = 0;
    uint64_t after = 0;
    while (rc == 0) {
        ins_ob_item it;
        rc = next_item(ob, after, 0, &it);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc == 0) {
            after = it.seq;
            rc = drain_one(&d, &it, &failures);
            item_clear(&it);
        }
    }
    free(d.buf);
    close(lfd); /* releases the lock */
    return rc;
}
