/*
 * ed25519_rules.c - strict Ed25519 key and signature checks
 * (ed25519_rules.h), on the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2
 * over GF(p), p = 2^255 - 19, in affine coordinates with OpenSSL BIGNUMs.
 */
#include "ed25519_rules.h"

#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "ins_error.h"
#include "text_rules.h"

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint8_t L_LE[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

/* Whether little-endian a < b. */
static int lt_le(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (a[i] != b[i])
            return a[i] < b[i];
    return 0;
}

/* Whether the 255-bit y of an encoding (top bit cleared) is below p. */
static int y_canonical(const uint8_t enc[32])
{
    static const uint8_t P_LE[32] = {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    uint8_t y[32];
    memcpy(y, enc, 32);
    y[31] &= 0x7f;
    return lt_le(y, P_LE, 32);
}

int ins_ed25519_sig_canonical(const uint8_t sig[64])
{
    return y_canonical(sig) && lt_le(sig + 32, L_LE, 32) ? 0 : INS_EAUTH;
}

/* The field and curve constants and scratch space of one check. */
typedef struct curve {
    BN_CTX *bn;
    BIGNUM *p, *d, *t1, *t2, *t3, *t4;
} curve;

typedef struct point {
    BIGNUM *x, *y;
} point;

/* r = a + b on the curve (a, b, r may alias). Returns 1 or 0 on error. */
static int point_add(curve *c, point *r, const point *a, const point *b)
{
    BIGNUM *xy = c->t1, *den = c->t2, *nx = c->t3, *ny = c->t4;
    /* k = d x1 x2 y1 y2 */
    int ok = BN_mod_mul(xy, a->x, b->x, c->p, c->bn) && BN_mod_mul(den, a->y, b->y, c->p, c->bn) &&
             BN_mod_mul(den, den, xy, c->p, c->bn) && BN_mod_mul(den, den, c->d, c->p, c->bn);
    /* ny = (y1 y2 + x1 x2) / (1 - k) */
    ok = ok && BN_mod_mul(ny, a->y, b->y, c->p, c->bn) && BN_mod_add(ny, ny, xy, c->p, c->bn);
    /* nx = (x1 y2 + y1 x2) / (1 + k) */
    ok = ok && BN_mod_mul(nx, a->x, b->y, c->p, c->bn) && BN_mod_mul(xy, a->y, b->x, c->p, c->bn) &&
         BN_mod_add(nx, nx, xy, c->p, c->bn);
    ok = ok && BN_copy(xy, den) && BN_add_word(xy, 1) && BN_mod_inverse(xy, xy, c->p, c->bn) &&
         BN_mod_mul(nx, nx, xy, c->p, c->bn);
    ok = ok && BN_one(xy) && BN_mod_sub(xy, xy, den, c->p, c->bn) &&
         BN_mod_inverse(xy, xy, c->p, c->bn) && BN_mod_mul(ny, ny, xy, c->p, c->bn);
    return ok && BN_copy(r->x, nx) && BN_copy(r->y, ny);
}

/* Decodes `enc` into q. Returns 0 or INS_EINVAL with the reason. */
static int point_decode(curve *c, point *q, const uint8_t enc[32], char *why, size_t whylen)
{
    if (!y_canonical(enc))
        return ins_whyf(INS_EINVAL, why, whylen, "y is not below the field prime");
    uint8_t be[32];
    for (int i = 0; i < 32; i++)
        be[i] = enc[31 - i];
    int sign = be[0] >> 7;
    be[0] &= 0x7f;
    BIGNUM *u = c->t1, *v = c->t2;
    int ok = BN_bin2bn(be, 32, q->y) && BN_mod_sqr(u, q->y, c->p, c->bn) &&
             BN_mod_mul(v, u, c->d, c->p, c->bn) && BN_add_word(v, 1) &&
             BN_sub_word(u, 1) /* u = y^2 - 1 >= -1 */;
    if (!ok)
        return ENOMEM;
    if (BN_is_negative(u) && !BN_add(u, u, c->p))
        return ENOMEM;
    if (!BN_mod_inverse(v, v, c->p, c->bn) || !BN_mod_mul(u, u, v, c->p, c->bn))
        return ENOMEM;
    /* x^2 = u; BN_mod_sqrt fails (and queues an error) when u is no square */
    if (!BN_mod_sqrt(q->x, u, c->p, c->bn) || !BN_mod_sqr(v, q->x, c->p, c->bn) ||
        BN_cmp(v, u) != 0)
        return ins_whyf(INS_EINVAL, why, whylen, "not a point of the curve");
    if (BN_is_zero(q->x) && sign)
        return ins_whyf(INS_EINVAL, why, whylen, "x is zero with the sign bit set");
    if (BN_is_odd(q->x) != sign && !BN_sub(q->x, c->p, q->x))
        return ENOMEM;
    return 0;
}

/* r = [k]q by double-and-add (k >= 1). Returns 1 or 0 on error. */
static int point_mul(curve *c, point *r, const point *q, const BIGNUM *k)
{
    BN_zero(r->x); /* the identity (0, 1) */
    int ok = BN_one(r->y);
    for (int i = BN_num_bits(k) - 1; ok && i >= 0; i--) {
        ok = point_add(c, r, r, r);
        if (ok && BN_is_bit_set(k, i))
            ok = point_add(c, r, r, q);
    }
    return ok;
}

static int is_identity(const point *q)
{
    return BN_is_zero(q->x) && BN_is_one(q->y);
}

int ins_ed25519_key_check(const uint8_t pk[32], char *why, size_t whylen)
{
    ERR_set_mark(); /* what this queues is popped at the end, nothing else */
    curve c = {.bn = BN_CTX_new()};
    if (!c.bn) {
        ERR_pop_to_mark();
        return ENOMEM;
    }
    BN_CTX_start(c.bn);
    BIGNUM **all[] = {&c.p, &c.d, &c.t1, &c.t2, &c.t3, &c.t4};
    point q = {0}, r = {0};
    BIGNUM *l = NULL, *eight = NULL;
    int rc = ENOMEM;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!(*all[i] = BN_CTX_get(c.bn)))
            goto done;
    if (!(q.x = BN_CTX_get(c.bn)) || !(q.y = BN_CTX_get(c.bn)) || !(r.x = BN_CTX_get(c.bn)) ||
        !(r.y = BN_CTX_get(c.bn)) || !(l = BN_CTX_get(c.bn)) || !(eight = BN_CTX_get(c.bn)))
        goto done;
    /* p = 2^255 - 19; d = -121665 / 121666 */
    if (!BN_set_bit(c.p, 255) || !BN_sub_word(c.p, 19) || !BN_set_word(c.t1, 121666) ||
        !BN_mod_inverse(c.t1, c.t1, c.p, c.bn) || !BN_set_word(c.d, 121665) ||
        !BN_sub(c.d, c.p, c.d) || !BN_mod_mul(c.d, c.d, c.t1, c.p, c.bn))
        goto done;
    uint8_t lbe[32];
    for (int i = 0; i < 32; i++)
        lbe[i] = L_LE[31 - i];
    if (!BN_bin2bn(lbe, 32, l))
        goto done;
    if ((rc = point_decode(&c, &q, pk, why, whylen)) != 0)
        goto done;
    rc = ENOMEM;
    if (is_identity(&q)) {
        rc = ins_whyf(INS_EINVAL, why, whylen, "a point of small order");
        goto done;
    }
    if (!BN_set_word(eight, 8) || !point_mul(&c, &r, &q, eight))
        goto done;
    if (is_identity(&r)) {
        rc = ins_whyf(INS_EINVAL, why, whylen, "a point of small order");
        goto done;
    }
    if (!point_mul(&c, &r, &q, l))
        goto done;
    rc = is_identity(&r) ? 0 : ins_whyf(INS_EINVAL, why, whylen, "not in the prime-order subgroup");
done:
    BN_CTX_end(c.bn);
    BN_CTX_free(c.bn);
    ERR_pop_to_mark(); /* BN_mod_sqrt queues an error for a non-square */
    return rc;
}
