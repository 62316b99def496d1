/*
 * auth_peer.c - principal from a mutual-TLS client certificate (see
 * auth_peer.h).
 *
 * gRPC core (1.51) puts the peer's certificate into the call's auth context:
 * "transport_security_type" is "ssl", "x509_pem_cert" holds the leaf
 * certificate and "x509_subject" its subject printed by OpenSSL with
 * XN_FLAG_RFC2253. The subject is parsed rather than "x509_common_name"
 * alone because the role (OU) and department (O) live there too, and because
 * a subject with two CNs must be refused, not resolved by whichever gRPC
 * happened to pick.
 *
 * The certificate policy sits here too, on top of what the handshake does.
 * With GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY, gRPC core
 * has OpenSSL verify the chain to --tls-client-ca and its dates at the
 * handshake, and OpenSSL's security level (2 on Debian) refuses an RSA key
 * under 2048 bits there. What the handshake lets through - a DSA key over
 * TLS 1.2, EC curves other than P-256/P-384 over TLS 1.3, a security level
 * of 1 elsewhere, and a certificate that expires while its connection stays
 * open - is refused here, on every call, from the leaf's PEM.
 */
#include "auth_peer.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <grpc/grpc_security.h>
#include <grpc/grpc_security_constants.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ins_district.h"
#include "ins_error.h"

#define WHY_NO_SUBJECT "client certificate has no readable subject"
#define WHY_UNPARSABLE "client certificate subject cannot be parsed"
#define WHY_NO_CN      "client certificate subject has no CN (the principal name)"
#define WHY_NO_OU      "client certificate subject has no OU naming a role"
#define WHY_BAD_ROLE                                                                               \
    "client certificate OU is not a role (inspector, dispatcher, department, auditor, admin)"
#define WHY_DUPLICATE "client certificate subject has more than one CN, OU or O"
#define WHY_BAD_CN    "client certificate CN is too long or contains control characters"
#define WHY_BAD_O     "client certificate O is too long or contains control characters"
#define WHY_BAD_L                                                                                  \
    "client certificate L (district) is not a district code list such as 'a' or '*' (each L one "  \
    "code, or '*')"

#define WHY_NO_PEM    "client certificate is not readable (no PEM in the auth context)"
#define WHY_BAD_PEM   "client certificate cannot be parsed"
#define WHY_NO_KEY    "client certificate public key cannot be read"
#define KEYS_ACCEPTED "RSA of 2048 bits or more, EC P-256 or P-384, or Ed25519 needed"

/* Smallest RSA modulus accepted, in bits. */
#define RSA_BITS_MIN 2048

/* Longest attribute value kept while parsing; longer ones are refused. */
#define VALUE_MAX 256

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* True when `s` is non-empty and has no byte below 0x20 and no DEL. */
static int text_ok(const char *s)
{
    return *s != '\0' && ins_principal_text_ok(s);
}

/*
 * Reads one "TYPE=value" from `*sp`, unescaping the value into `val`
 * (VALUE_MAX bytes) and the type into `type` (`tcap` bytes). Advances `*sp`
 * past the separator. Returns 0, or -1 when the text is not RFC 2253, a
 * value is a "#hex" dump, or something is too long.
 */
static int next_attr(const char **sp, char *type, size_t tcap, char *val)
{
    const char *s = *sp;
    size_t t = 0, v = 0;
    while (*s == ' ')
        s++;
    for (; *s != '='; s++) {
        if (*s == '\0' || *s == ',' || *s == '+' || *s == '\\' || t + 1 >= tcap)
            return -1;
        type[t++] = *s;
    }
    type[t] = '\0';
    if (t == 0)
        return -1;
    s++; /* '=' */
    if (*s == '#')
        return -1; /* a DER dump: not a string we can use */
    for (; *s != '\0' && *s != ',' && *s != '+'; s++) {
        int c = (unsigned char)*s;
        if (c == '\\') {
            int hi = hexval(s[1]);
            int lo = hi >= 0 ? hexval(s[2]) : -1;
            if (hi >= 0 && lo >= 0) {
                c = hi << 4 | lo;
                s += 2;
            } else if (s[1] != '\0' && strchr(",+\"\\<>;#= ", s[1]) != NULL) {
                c = (unsigned char)s[1];
                s += 1;
            } else {
                return -1;
            }
            if (c == 0)
                return -1;
        }
        if (v + 1 >= VALUE_MAX)
            return -1;
        val[v++] = (char)c;
    }
    val[v] = '\0';
    if (*s != '\0')
        s++; /* separator */
    *sp = s;
    return 0;
}

int ins_auth_subject_principal(const char *subject, ins_principal *out, const char **why)
{
    char type[32], val[VALUE_MAX];
    char cn[VALUE_MAX] = "", ou[VALUE_MAX] = "", o[VALUE_MAX] = "";
    char l[INS_DISTRICTS_MAX] = "", districts[INS_DISTRICTS_MAX] = "";
    size_t llen = 0;
    int ncn = 0, nou = 0, no = 0, bad_l = 0;
    const char *reason = NULL;
    int rc = INS_EAUTH;

    if (subject == NULL || *subject == '\0' || out == NULL) {
        reason = WHY_NO_SUBJECT;
        goto done;
    }
    for (const char *s = subject; *s != '\0';) {
        if (next_attr(&s, type, sizeof(type), val) != 0) {
            reason = WHY_UNPARSABLE;
            goto done;
        }
        if (strcmp(type, "CN") == 0) {
            memcpy(cn, val, sizeof(cn));
            ncn++;
        } else if (strcmp(type, "OU") == 0) {
            memcpy(ou, val, sizeof(ou));
            nou++;
        } else if (strcmp(type, "O") == 0) {
            memcpy(o, val, sizeof(o));
            no++;
        } else if (strcmp(type, "L") == 0) { /* one district per L, joined */
            size_t vlen = strlen(val);
            if (llen + (llen > 0) + vlen + 1 > sizeof(l) || strchr(val, ',') != NULL)
                bad_l = 1;
            else
                llen += (size_t)snprintf(l + llen, sizeof(l) - llen, "%s%s", llen ? "," : "", val);
        }
    }
    if (ncn > 1 || nou > 1 || no > 1) {
        reason = WHY_DUPLICATE;
        goto done;
    }
    if (ncn == 0) {
        reason = WHY_NO_CN;
        goto done;
    }
    if (nou == 0) {
        reason = WHY_NO_OU;
        goto done;
    }
    if (!text_ok(cn) || strlen(cn) >= sizeof(out->name)) {
        reason = WHY_BAD_CN;
        goto done;
    }
    ins_role role = ins_role_parse(ou);
    if (role == INS_ROLE_NONE) {
        reason = WHY_BAD_ROLE;
        goto done;
    }
    if (no == 1 && (!text_ok(o) || strlen(o) >= sizeof(out->department))) {
        reason = WHY_BAD_O;
        goto done;
    }
    if (bad_l || (llen > 0 && ins_district_list_parse(l, districts, sizeof districts, NULL) != 0)) {
        reason = WHY_BAD_L;
        goto done;
    }

    memset(out, 0, sizeof(*out));
    memcpy(out->name, cn, strlen(cn) + 1);
    memcpy(out->department, o, strlen(o) + 1);
    memcpy(out->districts, districts, strlen(districts) + 1);
    out->role = role;
    out->expires_unix = 0;
    out->method = INS_AUTH_MTLS;
    rc = 0;
done:
    if (why != NULL)
        *why = reason;
    return rc;
}

/* Checks the key type and size of `pk`; see ins_auth_cert_check(). */
static int key_check(EVP_PKEY *pk, char *why, size_t whylen)
{
    int id = EVP_PKEY_get_base_id(pk);
    if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) {
        int bits = EVP_PKEY_get_bits(pk);
        if (bits >= RSA_BITS_MIN)
            return 0;
        snprintf(why, whylen, "client certificate key is RSA %d bits; at least %d needed", bits,
                 RSA_BITS_MIN);
        return INS_EAUTH;
    }
    if (id == EVP_PKEY_EC) {
        char group[80];
        size_t n = 0;
        if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &n) != 1) {
            snprintf(why, whylen,
                     "client certificate key is EC with explicit curve parameters; " KEYS_ACCEPTED);
            return INS_EAUTH;
        }
        int nid = OBJ_sn2nid(group);
        if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1)
            return 0;
        const char *nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;
        snprintf(why, whylen, "client certificate key is EC %s; " KEYS_ACCEPTED,
                 nist != NULL ? nist : group);
        return INS_EAUTH;
    }
    if (id == EVP_PKEY_ED25519)
        return 0;
    const char *name = EVP_PKEY_get0_type_name(pk);
    snprintf(why, whylen, "client certificate key is %s; " KEYS_ACCEPTED,
             name != NULL ? name : "of an unknown type");
    return INS_EAUTH;
}

/* Writes `t` as "2026-01-31T12:00:00Z" into `out` (32 bytes). */
static void asn1_time_text(const ASN1_TIME *t, char *out, size_t outlen)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
        strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, outlen, "(unreadable)");
}

static void unix_time_text(int64_t now, char *out, size_t outlen)
{
    time_t t = (time_t)now;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, outlen, "%lld", (long long)now);
}

/* Checks that `x` is valid at `now`; see ins_auth_cert_check(). */
static int dates_check(X509 *x, int64_t now, char *why, size_t whylen)
{
    time_t t = (time_t)now;
    const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
    /* X509_cmp_time: -1 when the time is `t` or earlier, 1 when later, 0 on error. */
    int before = nb != NULL ? X509_cmp_time(nb, &t) : 0;
    int after = na != NULL ? X509_cmp_time(na, &t) : 0;
    if (before == -1 && after == 1)
        return 0;
    char limit[32], clock[32];
    unix_time_text(now, clock, sizeof clock);
    if (before == 0 || after == 0) {
        snprintf(why, whylen, "client certificate validity dates cannot be read");
    } else if (before == 1) {
        asn1_time_text(nb, limit, sizeof limit);
        snprintf(why, whylen, "client certificate is not valid before %s (server time %s)", limit,
                 clock);
    } else {
        asn1_time_text(na, limit, sizeof limit);
        snprintf(why, whylen, "client certificate expired at %s (server time %s)", limit, clock);
    }
    return INS_EAUTH;
}

int ins_auth_cert_check(const char *pem, int64_t now, char *why, size_t whylen)
{
    int rc = INS_EAUTH;
    X509 *x = NULL;
    BIO *bio = NULL;
    /* Whatever this leaves on the thread's OpenSSL error queue is popped at
     * the end: a stale error there would make gRPC's next TLS read on this
     * worker fail an unrelated connection. */
    ERR_set_mark();
    if (pem == NULL || *pem == '\0') {
        snprintf(why, whylen, WHY_NO_PEM);
        goto done;
    }
    bio = BIO_new_mem_buf(pem, -1);
    x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    if (x == NULL) {
        snprintf(why, whylen, WHY_BAD_PEM);
        goto done;
    }
    EVP_PKEY *pk = X509_get0_pubkey(x);
    if (pk == NULL) {
        snprintf(why, whylen, WHY_NO_KEY);
        goto done;
    }
    rc = key_check(pk, why, whylen);
    if (rc == 0)
        rc = dates_check(x, now, why, whylen);
done:
    X509_free(x);
    BIO_free(bio);
    ERR_pop_to_mark();
    return rc;
}

/* The first value of property `name`, or NULL. Valid while `ctx` is. */
int ins_auth_pem_principal(const char *pem, int64_t now, ins_principal *out, char *why,
                           size_t whylen)
{
    int rc = ins_auth_cert_check(pem, now, why, whylen);
    if (rc != 0 || out == NULL)
        return rc;
    BIO *in = BIO_new_mem_buf(pem, -1);
    X509 *x = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
    BIO *text = BIO_new(BIO_s_mem());
    char subject[1024] = "";
    if (x && text && X509_NAME_print_ex(text, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(text, subject, sizeof subject - 1);
        subject[n > 0 ? n : 0] = '\0';
    }
    X509_free(x);
    BIO_free(in);
    BIO_free(text);
    const char *reason = NULL;
    rc = ins_auth_subject_principal(subject, out, &reason);
    if (rc != 0)
        snprintf(why, whylen, "%s", reason ? reason : "client certificate subject is unusable");
    return rc;
}

static const char *property(const grpc_auth_context *ctx, const char *name)
{
    grpc_auth_property_iterator it = grpc_auth_context_find_properties_by_name(ctx, name);
    const grpc_auth_property *p = grpc_auth_property_iterator_next(&it);
    if (p == NULL || p->value == NULL)
        return NULL;
    /* A value with an embedded NUL is not text we can trust. */
    if (strlen(p->value) != p->value_length)
        return "";
    return p->value;
}

int ins_auth_peer_principal(grpc_call *call, int64_t now, ins_principal *out, char *why,
                            size_t whylen)
{
    int rc = INS_ENOTFOUND;
    const char *reason = NULL;
    why[0] = '\0';
    grpc_auth_context *ctx = grpc_call_auth_context(call);
    if (ctx == NULL)
        goto done;
    const char *type = property(ctx, GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
    if (type == NULL || strcmp(type, GRPC_SSL_TRANSPORT_SECURITY_TYPE) != 0)
        goto done; /* plaintext or a non-TLS transport */
    const char *subject = property(ctx, GRPC_X509_SUBJECT_PROPERTY_NAME);
    const char *pem = property(ctx, GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (subject == NULL && pem == NULL)
        goto done; /* TLS, but the client sent no certificate */
    rc = ins_auth_cert_check(pem, now, why, whylen);
    if (rc == 0 && out != NULL) {
        rc = ins_auth_subject_principal(subject, out, &reason);
        if (rc != 0)
            snprintf(why, whylen, "%s", reason);
    }
done:
    if (ctx != NULL)
        grpc_auth_context_release(ctx);
    return rc;
}
