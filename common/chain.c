/*
 * chain.c - the audit-chain entry hash (see ins_chain.h).
 */
#include "ins_chain.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "ins_sha256.h"
#include "ins_error.h"

static void be(uint8_t *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

int ins_chain_hash(const ins_chain_entry *e, uint8_t out[32])
{
    memset(out, 0, 32);
    if (e == NULL || e->actor == NULL || e->action == NULL ||
        (e->entity == NULL && e->entity_len != 0) || e->record_sha256 == NULL ||
        e->prev_hash == NULL)
        return INS_EINVAL;
    const void *parts[3] = {e->actor, e->action, e->entity};
    size_t lens[3] = {strlen(e->actor), strlen(e->action), e->entity_len};
    for (int i = 0; i < 3; i++)
        if (lens[i] > 0xffff)
            return INS_EINVAL;

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return ENOMEM;
    uint8_t b[8];
    unsigned int len = 32;
    int ok = EVP_DigestInit_ex(ctx, ins_sha256_md(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, e->prev_hash, 32) == 1;
    be(b, e->seq, 8);
    ok = ok && EVP_DigestUpdate(ctx, b, 8) == 1;
    be(b, e->time_ns, 8);
    ok = ok && EVP_DigestUpdate(ctx, b, 8) == 1;
    for (int i = 0; i < 3; i++) {
        be(b, lens[i], 2);
        ok = ok && EVP_DigestUpdate(ctx, b, 2) == 1;
        if (lens[i] > 0)
            ok = ok && EVP_DigestUpdate(ctx, parts[i], lens[i]) == 1;
    }
    ok = ok && EVP_DigestUpdate(ctx, e->record_sha256, 32) == 1 &&
         EVP_DigestFinal_ex(ctx, out, &len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        memset(out, 0, 32);
        return ENOMEM;
    }
    return 0;
}
