/*
 * sha256.c - the one SHA-256 digest object (see ins_sha256.h).
 */
#include "ins_sha256.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "ins_error.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const EVP_MD *md;

static void fetch(void)
{
    md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (md == NULL)
        md = EVP_sha256();
}

const EVP_MD *ins_sha256_md(void)
{
    pthread_once(&once, fetch);
    return md;
}

int ins_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    if (EVP_Digest(p, n, out, &len, ins_sha256_md(), NULL) != 1) {
        memset(out, 0, 32);
        return ENOMEM;
    }
    return 0;
}

/* ---- HMAC-SHA-256 with prepared keys ----------------------------------- */

#define HMAC_KEPT    4  /* keys kept per thread: the ring's current few */
#define HMAC_KEY_MAX 64 /* one SHA-256 block: longer keys are hashed first */

typedef struct hmac_slot {
    EVP_MAC_CTX *ctx; /* initialised with the key; re-initialised per use */
    size_t keylen;
    uint8_t key[HMAC_KEY_MAX];
} hmac_slot;

typedef struct hmac_cache {
    hmac_slot slot[HMAC_KEPT];
    unsigned next; /* the slot a new key replaces */
} hmac_cache;

static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *mac_alg;
static pthread_key_t mac_tls;

static void cache_free(void *arg)
{
    hmac_cache *c = arg;
    for (unsigned i = 0; i < HMAC_KEPT; i++)
        EVP_MAC_CTX_free(c->slot[i].ctx);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

static void mac_fetch(void)
{
    mac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (pthread_key_create(&mac_tls, cache_free) != 0 && mac_alg) {
        EVP_MAC_free(mac_alg);
        mac_alg = NULL;
    }
}

/* This thread's context for `key`, initialised and ready for an update;
 * NULL when OpenSSL (or memory) fails. */
static EVP_MAC_CTX *keyed_ctx(const void *key, size_t keylen)
{
    hmac_cache *c = pthread_getspecific(mac_tls);
    if (!c) {
        if (!(c = calloc(1, sizeof *c)) || pthread_setspecific(mac_tls, c) != 0) {
            free(c);
            return NULL;
        }
    }
    for (unsigned i = 0; i < HMAC_KEPT; i++) {
        hmac_slot *s = &c->slot[i];
        if (s->ctx && s->keylen == keylen && CRYPTO_memcmp(s->key, key, keylen) == 0)
            return EVP_MAC_init(s->ctx, NULL, 0, NULL) == 1 ? s->ctx : NULL;
    }
    hmac_slot *s = &c->slot[c->next];
    c->next = (c->next + 1) % HMAC_KEPT;
    EVP_MAC_CTX_free(s->ctx);
    OPENSSL_cleanse(s, sizeof *s);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    s->ctx = EVP_MAC_CTX_new(mac_alg);
    if (!s->ctx || EVP_MAC_init(s->ctx, key, keylen, params) != 1) {
        EVP_MAC_CTX_free(s->ctx);
        s->ctx = NULL;
        return NULL;
    }
    s->keylen = keylen;
    memcpy(s->key, key, keylen);
    return s->ctx;
}

int ins_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n, uint8_t out[32])
{
    pthread_once(&mac_once, mac_fetch);
    size_t outlen = 0;
    if (mac_alg && keylen <= HMAC_KEY_MAX) {
        EVP_MAC_CTX *ctx = keyed_ctx(key, keylen);
        if (ctx && EVP_MAC_update(ctx, p, n) == 1 && EVP_MAC_final(ctx, out, &outlen, 32) == 1 &&
            outlen == 32)
            return 0;
    } else {
        unsigned int len = 0;
        if (HMAC(ins_sha256_md(), key, (int)keylen, p, n, out, &len) != NULL && len == 32)
            return 0;
    }
    memset(out, 0, 32);
    return INS_EINTERNAL;
}
