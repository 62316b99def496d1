/*
 * key.c - order-preserving key encoding (see ins_key.h).
 *
 * Every component is either fixed width or carries its length up front, so
 * concatenating components keeps the bytewise order of the tuple of values.
 */
#include "ins_key.h"
#include "ins_error.h"

#include <string.h>

void ins_be64_put(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t ins_be64_get(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

void ins_key_init(ins_key *k)
{
    k->len = 0;
    k->err = 0;
}

static int room(ins_key *k, size_t n)
{
    if (k->err || n > INS_KEY_MAX - k->len) {
        k->err = INS_EINVAL;
        return 0;
    }
    return 1;
}

static void put_be(ins_key *k, uint64_t v, size_t width)
{
    if (!room(k, width))
        return;
    for (size_t i = 0; i < width; i++)
        k->buf[k->len + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    k->len += width;
}

void ins_key_u8(ins_key *k, uint8_t v)
{
    put_be(k, v, 1);
}

void ins_key_u32(ins_key *k, uint32_t v)
{
    put_be(k, v, 4);
}

void ins_key_u64(ins_key *k, uint64_t v)
{
    put_be(k, v, 8);
}

void ins_key_i64(ins_key *k, int64_t v)
{
    put_be(k, (uint64_t)v ^ (UINT64_C(1) << 63), 8);
}

void ins_key_bytes(ins_key *k, const void *p, size_t n)
{
    if (n > 0xffff || !room(k, 2 + n)) {
        k->err = INS_EINVAL;
        return;
    }
    put_be(k, n, 2);
    if (n)
        memcpy(k->buf + k->len, p, n);
    k->len += n;
}

void ins_key_str(ins_key *k, const char *s)
{
    ins_key_bytes(k, s, strlen(s));
}

void ins_key_text(ins_key *k, const char *s)
{
    size_t n = 2;
    for (const char *c = s; *c; c++)
        n++; /* a C string holds no 0x00 to escape */
    if (!room(k, n))
        return;
    size_t len = n - 2;
    memcpy(k->buf + k->len, s, len);
    k->buf[k->len + len] = 0x00;
    k->buf[k->len + len + 1] = 0x01;
    k->len += n;
}

void ins_key_raw(ins_key *k, const void *p, size_t n)
{
    if (!room(k, n))
        return;
    if (n)
        memcpy(k->buf + k->len, p, n);
    k->len += n;
}

int ins_key_err(const ins_key *k)
{
    return k->err;
}

void ins_keyr_init(ins_key_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = 0;
}

static int take(ins_key_reader *r, size_t n, const uint8_t **at)
{
    if (r->err || n > r->len - r->pos) {
        r->err = INS_ECORRUPT;
        return r->err;
    }
    *at = r->p + r->pos;
    r->pos += n;
    return 0;
}

static int get_be(ins_key_reader *r, size_t width, uint64_t *v)
{
    const uint8_t *at;
    int rc = take(r, width, &at);
    if (rc)
        return rc;
    uint64_t x = 0;
    for (size_t i = 0; i < width; i++)
        x = (x << 8) | at[i];
    *v = x;
    return 0;
}

int ins_keyr_u8(ins_key_reader *r, uint8_t *v)
{
    uint64_t x = 0;
    int rc = get_be(r, 1, &x);
    *v = (uint8_t)x;
    return rc;
}

int ins_keyr_u32(ins_key_reader *r, uint32_t *v)
{
    uint64_t x = 0;
    int rc = get_be(r, 4, &x);
    *v = (uint32_t)x;
    return rc;
}

int ins_keyr_u64(ins_key_reader *r, uint64_t *v)
{
    return get_be(r, 8, v);
}

int ins_keyr_i64(ins_key_reader *r, int64_t *v)
{
    uint64_t x = 0;
    int rc = get_be(r, 8, &x);
    *v = (int64_t)(x ^ (UINT64_C(1) << 63));
    return rc;
}

int ins_keyr_bytes(ins_key_reader *r, const void **p, size_t *n)
{
    uint64_t len = 0;
    const uint8_t *at;
    int rc = get_be(r, 2, &len);
    if (rc == 0)
        rc = take(r, (size_t)len, &at);
    if (rc)
        return rc;
    *p = at;
    *n = (size_t)len;
    return 0;
}

int ins_keyr_text(ins_key_reader *r, char *out, size_t cap)
{
    size_t o = 0;
    if (r->err)
        return r->err;
    while (r->pos < r->len) {
        uint8_t b = r->p[r->pos++];
        if (b == 0x00) {
            if (r->pos >= r->len)
                break;
            uint8_t next = r->p[r->pos++];
            if (next == 0x01) {
                if (out)
                    out[o] = '\0';
                return 0;
            }
            if (next != 0xff)
                break;
        }
        if (out) {
            if (o + 1 >= cap)
                return r->err = INS_EINVAL;
            out[o] = (char)b;
        }
        o++;
    }
    return r->err = INS_EINVAL;
}

int ins_keyr_raw(ins_key_reader *r, void *out, size_t n)
{
    const uint8_t *at;
    int rc = take(r, n, &at);
    if (rc)
        return rc;
    memcpy(out, at, n);
    return 0;
}
