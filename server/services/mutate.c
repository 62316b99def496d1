/*
 * mutate.c - request → writer → durable commit → reply (see mutate.h).
 *
 * Threads: ins_mut_submit runs on the call's worker; apply and done on the
 * writer; done wakes the call, and the reply goes out from on_wake on the
 * worker again. The mutation holds a call reference from submit until
 * on_wake, so the call outlives the writer's use of it.
 */
#include "mutate.h"

#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <openssl/sha.h>

#include "ins_error.h"

struct ins_mut {
    ins_mutation m;
    ins_call *call;
    ins_mut_apply_fn apply;
    ProtobufCMessage *req;
    char principal[INS_PRINCIPAL_MAX];
    char department[INS_DEPARTMENT_MAX];
    char *request_id;
    /* Set by apply (writer thread), read after the wake (worker thread). */
    char why[512];
    /* Set by done. */
    int err;
    uint8_t *result;
    size_t result_len;
};

const ProtobufCMessage *ins_mut_request(const ins_mut *mu)
{
    return mu->req;
}

ins_ctx *ins_mut_ctx(const ins_mut *mu)
{
    return ins_ctx_of(mu->call);
}

const char *ins_mut_department(const ins_mut *mu)
{
    return mu->department;
}

const char *ins_mut_actor(const ins_mut *mu)
{
    return mu->principal;
}

static int mut_apply(ins_wtxn *t, void *arg)
{
    ins_mut *mu = arg;
    mu->why[0] = '\0';
    return mu->apply(t, mu);
}

static void mut_done(void *arg, int err, const ins_result *r)
{
    ins_mut *mu = arg;
    mu->err = err;
    if (err == 0 && r->len > 0) {
        mu->result = malloc(r->len);
        if (mu->result) {
            memcpy(mu->result, r->data, r->len);
            mu->result_len = r->len;
        } else {
            mu->err = ENOMEM;
        }
    }
    ins_call_wake(mu->call); /* the reply goes out on the call's worker */
}

static void mut_free(ins_mut *mu)
{
    if (!mu)
        return;
    if (mu->req)
        protobuf_c_message_free_unpacked(mu->req, NULL);
    free(mu->request_id);
    free(mu->result);
    free(mu);
}

void ins_mut_submit(ins_call *call, const ProtobufCMessage *req, const char *request_id,
                    ins_mut_apply_fn apply)
{
    ins_mut *mu = calloc(1, sizeof *mu);
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!mu || !buf) {
        free(buf);
        free(mu);
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    protobuf_c_message_pack(req, buf);
    mu->req = protobuf_c_message_unpack(req->descriptor, NULL, len, buf);
    SHA256(buf, len, mu->m.digest);
    free(buf);
    mu->request_id = strdup(request_id);
    if (!mu->req || !mu->request_id) {
        mut_free(mu);
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    mu->call = call;
    mu->apply = apply;
    snprintf(mu->principal, sizeof mu->principal, "%s", ins_call_principal(call)->name);
    snprintf(mu->department, sizeof mu->department, "%s", ins_call_principal(call)->department);
    mu->m.apply = mut_apply;
    mu->m.done = mut_done;
    mu->m.arg = mu;
    mu->m.principal = mu->principal;
    mu->m.request_id = mu->request_id;
    ins_call_set_data(call, mu);
    ins_call_ref(call);
    int rc = ins_store_submit(ins_ctx_of(call)->store, &mu->m);
    if (rc != 0) {
        ins_call_set_data(call, NULL);
        ins_call_unref(call);
        mut_free(mu);
        if (rc == INS_EBUSY)
            ins_call_fail(call, rc, INS_MSG_BUSY " writing; retry with the same request_id");
        else
            ins_call_fail(call, rc, NULL);
    }
}

/* Result bytes: RESULT_OK then the encoded response, or RESULT_REFUSED, the
 * error as 4 big-endian bytes, and the message. */
enum { RESULT_OK = 0, RESULT_REFUSED = 1 };

int ins_mut_reply(ins_wtxn *t, ins_mut *mu, const ProtobufCMessage *resp)
{
    (void)mu;
    size_t len = protobuf_c_message_get_packed_size(resp);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        return ENOMEM;
    buf[0] = RESULT_OK;
    protobuf_c_message_pack(resp, buf + 1);
    int rc = ins_wtxn_set_result(t, buf, len + 1);
    free(buf);
    return rc;
}

int ins_mut_refuse(ins_wtxn *t, ins_mut *mu, int err, const char *fmt, ...)
{
    uint8_t buf[5 + sizeof mu->why];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)buf + 5, sizeof mu->why, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof mu->why ? (size_t)n : sizeof mu->why - 1;
    uint32_t e = (uint32_t)err;
    buf[0] = RESULT_REFUSED;
    buf[1] = (uint8_t)(e >> 24);
    buf[2] = (uint8_t)(e >> 16);
    buf[3] = (uint8_t)(e >> 8);
    buf[4] = (uint8_t)e;
    return ins_wtxn_set_result(t, buf, 5 + len);
}

int ins_mut_fail(ins_mut *mu, int err, const char *fmt, ...)
{
    if (!mu)
        return err; /* work done for the server itself: no caller to tell */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mu->why, sizeof mu->why, fmt, ap);
    va_end(ap);
    return err;
}

/* Answers from the stored result bytes (see RESULT_OK / RESULT_REFUSED). */
static void reply_result(ins_call *call, const uint8_t *r, size_t len)
{
    if (len >= 1 && r[0] == RESULT_OK) {
        ins_call_reply_bytes(call, r + 1, len - 1);
    } else if (len >= 5 && r[0] == RESULT_REFUSED) {
        int err = (int)((uint32_t)r[1] << 24 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 8 | r[4]);
        ins_call_fail(call, err, "%.*s", (int)(len - 5), (const char *)r + 5);
    } else {
        ins_call_fail(call, INS_ECORRUPT, "stored result of this request is unreadable");
    }
}

/* "8 MiB" or "7.5 MiB". */
static void mib(char *buf, size_t len, size_t bytes)
{
    if (bytes % (1u << 20) == 0)
        snprintf(buf, len, "%zu MiB", bytes >> 20);
    else
        snprintf(buf, len, "%.1f MiB", (double)bytes / (1u << 20));
}

const char *ins_mut_space_why(ins_store *store, int err, char *buf, size_t len)
{
    char u[32], l[32];
    size_t used, limit;
    ins_store_space(store, &used, &limit);
    mib(u, sizeof(u), used);
    mib(l, sizeof(l), limit);
    if (err == INS_EFULL)
        snprintf(buf, len,
                 INS_MSG_STORE_FULL ": %s of --max-store-bytes %s used; writes are refused until "
                                    "data is removed or the limit raised; reads still work",
                 u, l);
    else if (err == ENOSPC)
        snprintf(buf, len,
                 INS_MSG_DISK_FULL
                 ": no space left on the data folder's filesystem (the store "
                 "uses %s); nothing was stored, writes resume by themselves once space is "
                 "freed; reads still work",
                 u);
    else if (err == EIO)
        snprintf(buf, len,
                 "the disk reported an I/O error while storing this request; nothing of it was "
                 "stored: retry later");
    else if (err == MDB_PANIC)
        snprintf(buf, len,
                 "the store stopped writing after a disk write failed; nothing acknowledged is "
                 "lost: writes resume once inspectd is restarted");
    else
        return NULL;
    return buf;
}

void ins_mut_on_wake(ins_call *call)
{
    ins_mut *mu = ins_call_data(call);
    char why[512];
    if (!mu)
        return;
    if (mu->err == 0)
        reply_result(call, mu->result, mu->result_len);
    else if (mu->err == INS_EREUSED)
        ins_call_fail(call, mu->err,
                      "request_id %s was already used for a different request; "
                      "use a new request_id for a new change",
                      mu->request_id);
    else if (ins_mut_space_why(ins_ctx_of(call)->store, mu->err, why, sizeof(why)))
        ins_call_fail(call, mu->err, "%s", why);
    else
        ins_call_fail(call, mu->err, "%s", mu->why[0] ? mu->why : ins_strerror(mu->err));
    ins_call_unref(call); /* the reference taken at submit */
}

void ins_mut_cleanup(ins_call *call)
{
    mut_free(ins_call_data(call));
}
