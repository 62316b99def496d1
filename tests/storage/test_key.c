/*
 * test_key.c - order-preserving key encoding: random tuples sort as bytes
 * exactly as they sort as values; decoding returns what was encoded.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"
#include "ins_key.h"
#include "helpers.h"

typedef struct tuple {
    int64_t i;
    uint64_t u;
    char s[12];
    size_t sl;
    uint32_t w;
} tuple;

static uint64_t rnd64(void)
{
    return (uint64_t)random() << 33 ^ (uint64_t)random() << 11 ^ (uint64_t)random();
}

static void rand_tuple(tuple *t)
{
    /* Small ranges too, so that equal leading components are common. */
    t->i = (random() & 1) ? (int64_t)rnd64() : (int64_t)(random() % 5) - 2;
    t->u = (random() & 1) ? rnd64() : (uint64_t)(random() % 3);
    t->sl = (size_t)(random() % 4);
    for (size_t k = 0; k < t->sl; k++)
        t->s[k] = (char)(random() % 3 ? 'a' + random() % 3 : (random() % 256));
    t->w = (uint32_t)random() % 4;
}

/* Value order: i, then u, then s (shortlex: length, then bytes), then w. */
static int cmp_value(const tuple *a, const tuple *b)
{
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    if (a->u != b->u)
        return a->u < b->u ? -1 : 1;
    if (a->sl != b->sl)
        return a->sl < b->sl ? -1 : 1;
    int c = memcmp(a->s, b->s, a->sl);
    if (c)
        return c < 0 ? -1 : 1;
    return a->w < b->w ? -1 : a->w > b->w;
}

static void encode(const tuple *t, ins_key *k)
{
    ins_key_init(k);
    ins_key_i64(k, t->i);
    ins_key_u64(k, t->u);
    ins_key_bytes(k, t->s, t->sl);
    ins_key_u32(k, t->w);
}

static int cmp_bytes(const ins_key *a, const ins_key *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->buf, b->buf, n);
    if (c)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

START_TEST(test_key_order_matches_values)
{
    srandom(42);
    for (int n = 0; n < 200000; n++) {
        tuple a, b;
        ins_key ka, kb;
        rand_tuple(&a);
        rand_tuple(&b);
        if (n % 7 == 0)
            b = a, b.w = (uint32_t)random() % 4;
        encode(&a, &ka);
        encode(&b, &kb);
        ck_assert_int_eq(ins_key_err(&ka), 0);
        ck_assert_int_eq(cmp_bytes(&ka, &kb), cmp_value(&a, &b));
    }
}
END_TEST

START_TEST(test_key_roundtrip)
{
    srandom(7);
    for (int n = 0; n < 10000; n++) {
        tuple a, b;
        ins_key k;
        ins_key_reader r;
        const void *p;
        rand_tuple(&a);
        encode(&a, &k);
        ins_keyr_init(&r, k.buf, k.len);
        ck_assert_int_eq(ins_keyr_i64(&r, &b.i), 0);
        ck_assert_int_eq(ins_keyr_u64(&r, &b.u), 0);
        ck_assert_int_eq(ins_keyr_bytes(&r, &p, &b.sl), 0);
        ck_assert_int_eq(ins_keyr_u32(&r, &b.w), 0);
        memcpy(b.s, p, b.sl);
        ck_assert_int_eq(cmp_value(&a, &b), 0);
        ck_assert_int_eq(ins_keyr_u8(&r, &(uint8_t){0}), INS_ECORRUPT);
    }
}
END_TEST

START_TEST(test_key_overflow_is_sticky)
{
    ins_key k;
    char big[600];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ins_key_init(&k);
    ins_key_u64(&k, 1);
    ins_key_str(&k, big);
    ck_assert_int_eq(ins_key_err(&k), INS_EINVAL);
    ck_assert_uint_eq(k.len, 8);
    ins_key_u8(&k, 1);
    ck_assert_int_eq(ins_key_err(&k), INS_EINVAL);
    ck_assert_uint_eq(k.len, 8);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("key");
    ADD_TEST(s, test_key_order_matches_values);
    ADD_TEST(s, test_key_roundtrip);
    ADD_TEST(s, test_key_overflow_is_sticky);
    return run_suite(s);
}
