/*
 * directory_access.c - the directory as the authority on who may call:
 * the admission check every call passes (ins_directory_admit, see
 * directory.h) and Directory.RevokeTokens, which stores what that check
 * consults. A token says who the caller was when it was signed; this file
 * says whether that still holds, on every call, from one read snapshot.
 */
#include "directory.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "directory_impl.h"
#include "ins_error.h"

/* The live check of `p` on snapshot `r`; see ins_directory_admit. */
static int admit_on(ins_rtxn *r, const ins_principal *p, char *why, size_t whylen)
{
    Inspect__V1__TokenRevocation *rv = NULL;
    Inspect__V1__Inspector *in = NULL;
    Inspect__V1__Department *d = NULL;
    const char *dept = NULL;
    int rc = 0;

    if (p->method == INS_AUTH_BEARER) {
        rc = ins_revocation_get(r, p->name, &rv);
        if (rc == 0 && p->issued_ms < rv->issued_before_unix_ms) {
            snprintf(why, whylen,
                     "token of %s was revoked: tokens issued before %lld (unix ms) are refused "
                     "(%s); ask for a new token",
                     p->name, (long long)rv->issued_before_unix_ms, rv->reason);
            rc = INS_EAUTH;
            goto done;
        }
        if (rc != 0 && rc != INS_ENOTFOUND)
            goto failed;
        rc = 0;
    }
    if (p->role == INS_ROLE_INSPECTOR) {
        rc = ins_inspector_get(r, p->name, &in);
        if (rc == INS_ENOTFOUND) {
            snprintf(why, whylen, "account %s is not an inspector in the directory", p->name);
            rc = INS_EPERM;
            goto done;
        }
        if (rc != 0)
            goto failed;
        if (!in->active) {
            snprintf(why, whylen, "account %s is inactive: the directory has deactivated it",
                     p->name);
            rc = INS_EPERM;
            goto done;
        }
        dept = in->department;
    } else if (p->role == INS_ROLE_DEPARTMENT) {
        if (!p->department[0]) {
            snprintf(why, whylen, "account %s has the department role but names no department",
                     p->name);
            rc = INS_EPERM;
            goto done;
        }
        dept = p->department;
    }
    if (dept != NULL) {
        rc = ins_department_get(r, dept, &d);
        if (rc == INS_ENOTFOUND) {
            snprintf(why, whylen, "account %s names department %s, which does not exist", p->name,
                     dept);
            rc = INS_EPERM;
            goto done;
        }
        if (rc != 0)
            goto failed;
        if (d->inactive) {
            snprintf(why, whylen, "account %s is inactive: its department %s is deactivated",
                     p->name, dept);
            rc = INS_EPERM;
        }
    }
    goto done;
failed:
    snprintf(why, whylen, "checking account %s in the directory: %s", p->name, ins_strerror(rc));
done:
    if (rv)
        protobuf_c_message_free_unpacked(&rv->base, NULL);
    if (in)
        protobuf_c_message_free_unpacked(&in->base, NULL);
    if (d)
        protobuf_c_message_free_unpacked(&d->base, NULL);
    return rc;
}

int ins_directory_admit(void *arg, const ins_principal *p, char *why, size_t whylen)
{
    ins_ctx *ctx = arg;
    ins_rtxn *r = NULL;
    int rc = ins_store_read_begin(ctx->store, &r);
    if (rc != 0) {
        snprintf(why, whylen, "checking account %s in the directory: %s", p->name,
                 ins_strerror(rc));
        return rc;
    }
    rc = admit_on(r, p, why, whylen);
    ins_rtxn_end(r);
    return rc;
}

/* ---- RevokeTokens -------------------------------------------------------- */

static int revoke_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__RevokeTokensRequest *req =
        (const Inspect__V1__RevokeTokensRequest *)ins_mut_request(mu);
    Inspect__V1__TokenRevocation *old = NULL;
    int rc = ins_revocation_wget(t, req->principal, &old);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    int64_t before = req->issued_before_unix_ms;
    if (before == 0) { /* now: tokens use the real clock, not the warped one */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        before = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + 1;
    }
    Inspect__V1__TokenRevocation rv = INSPECT__V1__TOKEN_REVOCATION__INIT;
    rv.principal = req->principal;
    rv.issued_before_unix_ms =
        old && old->issued_before_unix_ms > before ? old->issued_before_unix_ms : before;
    rv.reason = req->reason;
    rv.revoked_by = (char *)ins_mut_actor(mu);
    rv.revoked_unix = ins_wtxn_unix(t);
    rc = ins_revocation_put(t, &rv, ins_mut_actor(mu), old ? "updated" : "created");
    if (old)
        protobuf_c_message_free_unpacked(&old->base, NULL);
    if (rc)
        return rc;
    Inspect__V1__RevokeTokensResponse resp = INSPECT__V1__REVOKE_TOKENS_RESPONSE__INIT;
    resp.revocation = &rv;
    return ins_mut_reply(t, mu, &resp.base);
}

static void revoke_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__RevokeTokensRequest *req = (const Inspect__V1__RevokeTokensRequest *)msg;
    if (!req->request_id[0] || !req->principal[0] || !req->reason[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id, principal and reason are required");
        return;
    }
    if (strlen(req->principal) >= INS_PRINCIPAL_MAX || !ins_principal_text_ok(req->principal)) {
        ins_call_fail(call, INS_EINVAL,
                      "principal must be at most %d bytes without control characters",
                      INS_PRINCIPAL_MAX - 1);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (req->issued_before_unix_ms < 0 || req->issued_before_unix_ms > now_ms + 60000) {
        /* a cutoff only moves forward: one in the future would lock the
         * principal out, new tokens included, until then */
        ins_call_fail(call, INS_EINVAL,
                      "issued_before_unix_ms must be 0 (now) or a past time; the server's time "
                      "is %lld (unix ms)",
                      (long long)now_ms);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, revoke_apply);
}

const ins_method_ops ins_dir_revoke_tokens_ops = INS_MUT_OPS(revoke_start);
