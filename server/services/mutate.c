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

#include <openssl/sha.h>

#include "ins_error.h"

struct ins_mut {
    ins_mutation m;
    ins_call *call;
    ins_mut_apply_fn apply;
    ProtobufCMessage *req;
    char principal[INS_PRINCIPAL_MAX];
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
    mu->m.apply = mut_apply;
    mu->m.done = mut_done;
    mu->m.arg = mu;
    mu->m.principal = mu->principal;
    mu->m.request_id = mu->request_id;
    ins_call_set_data(call, mu);
    ins_call_ref(call);
    int rc = ins_store_submit(ins_app_of(call)->store, &mu->m);
    if (rc != 0) {
        ins_call_set_data(call, NULL);
        ins_call_unref(call);
        mut_free(mu);
        if (rc == INS_EBUSY)
            ins_call_fail(call, rc, "the server is busy writing; retry with the same request_id");
        else
            ins_call_fail(call, rc, NULL);
    }
}

int ins_mut_reply(ins_wtxn *t, ins_mut *mu, const ProtobufCMessage *resp)
{
    size_t len = protobuf_c_message_get_packed_size(resp);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return ENOMEM;
    protobuf_c_message_pack(resp, buf);
    int rc = ins_wtxn_set_result(t, buf, len);
    free(buf);
    return rc;
}

int ins_mut_fail(ins_mut *mu, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mu->why, sizeof mu->why, fmt, ap);
    va_end(ap);
    return err;
}

void ins_mut_on_wake(ins_call *call)
{
    ins_mut *mu = ins_call_data(call);
    if (!mu)
        return;
    if (mu->err == 0)
        ins_call_reply_bytes(call, mu->result, mu->result_len);
    else if (mu->err == INS_EREUSED)
        ins_call_fail(call, mu->err,
                      "request_id %s was already used for a different request; "
                      "use a new request_id for a new change",
                      mu->request_id);
    else if (mu->err == INS_EFULL)
        ins_call_fail(call, mu->err, "the store has reached --max-store-bytes; reads still work");
    else
        ins_call_fail(call, mu->err, "%s", mu->why[0] ? mu->why : ins_strerror(mu->err));
    ins_call_unref(call); /* the reference taken at submit */
}

void ins_mut_cleanup(ins_call *call)
{
    mut_free(ins_call_data(call));
}
