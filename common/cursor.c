/*
 * cursor.c - the server's own page tokens and cursors (see ins_cursor.h).
 *
 * The MAC covers a domain label, the query digest and every byte of the
 * token before it, and is checked before any of those bytes is believed:
 * a token that fails says nothing about why, which is what the caller
 * answers ("not issued for this query").
 */
#include "ins_cursor.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ins_sha256.h"

#include "ins_base64.h"
#include "ins_error.h"

#define FORMAT     0x01
#define MAC_BYTES  32
#define HEAD_BYTES 9 /* format byte, seq */
#define BODY_MAX   (HEAD_BYTES + INS_CURSOR_ID_MAX + MAC_BYTES)
#define DERIVE     "inspectd cursor key v1"
#define DOMAIN     "inspectd-cursor-v1"

int ins_cursor_key_derive(const void *node, size_t len, ins_cursor_key *out)
{
    return ins_hmac_sha256(node, len, DERIVE, strlen(DERIVE), out->bytes);
}

static void put_len(unsigned char b[4], size_t n)
{
    b[0] = (unsigned char)(n >> 24);
    b[1] = (unsigned char)(n >> 16);
    b[2] = (unsigned char)(n >> 8);
    b[3] = (unsigned char)n;
}

int ins_cursor_query_make(ins_cursor_query *q, size_t n, const char *const *parts)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return ENOMEM;
    int ok = EVP_DigestInit_ex(md, ins_sha256_md(), NULL);
    for (size_t i = 0; ok && i < n; i++) {
        const char *s = parts[i] ? parts[i] : "";
        unsigned char len[4];
        put_len(len, strlen(s));
        ok = EVP_DigestUpdate(md, len, sizeof len) && EVP_DigestUpdate(md, s, strlen(s));
    }
    unsigned int dlen = 0;
    ok = ok && EVP_DigestFinal_ex(md, q->digest, &dlen) && dlen == sizeof q->digest;
    EVP_MD_CTX_free(md);
    return ok ? 0 : INS_EINTERNAL;
}

/* HMAC over the domain label, the query digest and `body`. */
static int mac(const ins_cursor_key *key, const ins_cursor_query *q, const unsigned char *body,
               size_t len, unsigned char out[MAC_BYTES])
{
    unsigned char buf[sizeof DOMAIN + sizeof q->digest + BODY_MAX];
    size_t n = 0;
    memcpy(buf, DOMAIN, sizeof DOMAIN); /* the NUL included: the label ends */
    n += sizeof DOMAIN;
    memcpy(buf + n, q->digest, sizeof q->digest);
    n += sizeof q->digest;
    memcpy(buf + n, body, len);
    n += len;
    return ins_hmac_sha256(key->bytes, INS_CURSOR_KEY_BYTES, buf, n, out);
}

int ins_cursor_make(const ins_cursor_key *key, const ins_cursor_query *q, uint64_t seq,
                    const char *id, char *out, size_t outlen)
{
    unsigned char body[BODY_MAX];
    size_t idl = id ? strlen(id) : 0;
    if (idl > INS_CURSOR_ID_MAX)
        return INS_EINVAL;
    body[0] = FORMAT;
    for (int i = 0; i < 8; i++)
        body[1 + i] = (unsigned char)(seq >> (56 - 8 * i));
    if (idl)
        memcpy(body + HEAD_BYTES, id, idl);
    size_t n = HEAD_BYTES + idl;
    int rc = mac(key, q, body, n, body + n);
    if (rc)
        return rc;
    n += MAC_BYTES;
    if (ins_b64_encoded_len(n, INS_B64_URL) + 1 > outlen)
        return INS_ETOOBIG;
    ins_b64_encode(body, n, INS_B64_URL, out);
    return 0;
}

int ins_cursor_check(const ins_cursor_key *key, const ins_cursor_query *q, const char *token,
                     uint64_t *seq, char *id, size_t idlen)
{
    unsigned char body[BODY_MAX], want[MAC_BYTES];
    size_t tlen = strnlen(token, INS_CURSOR_MAX);
    size_t n = 0;
    if (tlen == INS_CURSOR_MAX ||
        ins_b64_decode(token, tlen, INS_B64_URL, body, sizeof body, &n) != 0 ||
        n < HEAD_BYTES + MAC_BYTES)
        return INS_EINVAL;
    size_t signed_len = n - MAC_BYTES;
    if (mac(key, q, body, signed_len, want) != 0 ||
        CRYPTO_memcmp(want, body + signed_len, MAC_BYTES) != 0)
        return INS_EINVAL;
    /* Authentic from here on: the server wrote these bytes for this query. */
    size_t idl = signed_len - HEAD_BYTES;
    if (body[0] != FORMAT || idl + 1 > idlen || memchr(body + HEAD_BYTES, '\0', idl) != NULL)
        return INS_EINVAL;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | body[1 + i];
    *seq = v;
    memcpy(id, body + HEAD_BYTES, idl);
    id[idl] = '\0';
    return 0;
}
