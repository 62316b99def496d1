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

/* Random text over a small alphabet, so shared prefixes are common. */
static void rand_text(char *out, size_t max)
{
    size_t n = rnd64() % max;
    for (size_t i = 0; i < n; i++)
        out[i] = "ab\x01\xff-0"[rnd64() % 6];
    out[n] = '\0';
}

/* Text components sort as the texts do (strcmp on unsigned bytes), also
 * when followed by further components, and read back whole. */
START_TEST(test_key_text_order_and_roundtrip)
{
    for (int i = 0; i < 100000; i++) {
        char a[12], b[12], back[12];
        rand_text(a, sizeof a);
        rand_text(b, sizeof b);
        uint32_t ta = (uint32_t)rnd64(), tb = (uint32_t)rnd64();
        ins_key ka, kb;
        ins_key_init(&ka);
        ins_key_text(&ka, a);
        ins_key_u32(&ka, ta);
        ins_key_init(&kb);
        ins_key_text(&kb, b);
        ins_key_u32(&kb, tb);
        int byvalue = strcmp(a, b);
        if (byvalue == 0)
            byvalue = ta < tb ? -1 : ta > tb;
        int bybytes = cmp_bytes(&ka, &kb);
        ck_assert_msg((byvalue > 0) - (byvalue < 0) == (bybytes > 0) - (bybytes < 0),
                      "'%s'/%u vs '%s'/%u", a, ta, b, tb);
        ins_key_reader r;
        uint32_t t;
        ins_keyr_init(&r, ka.buf, ka.len);
        ck_assert_int_eq(ins_keyr_text(&r, back, sizeof back), 0);
        ck_assert_str_eq(back, a);
        ck_assert_int_eq(ins_keyr_u32(&r, &t), 0);
        ck_assert_uint_eq(t, ta);
    }
}
END_TEST

START_TEST(test_key_text_refuses_bad_input)
{
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, "abcdef");
    ins_key_reader r;
    char small[4];
    ins_keyr_init(&r, k.buf, k.len);
    ck_assert_int_eq(ins_keyr_text(&r, small, sizeof small), INS_EINVAL);
    ins_keyr_init(&r, k.buf, k.len - 1); /* terminator cut short */
    ck_assert_int_eq(ins_keyr_text(&r, NULL, 0), INS_EINVAL);
    const uint8_t bad[] = {'a', 0x00, 0x07};
    ins_keyr_init(&r, bad, sizeof bad);
    ck_assert_int_eq(ins_keyr_text(&r, NULL, 0), INS_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("key");
    ADD_TEST(s, test_key_text_order_and_roundtrip);
    ADD_TEST(s, test_key_text_refuses_bad_input);
    ADD_TEST(s, test_key_order_matches_values);
    ADD_TEST(s, test_key_roundtrip);
    ADD_TEST(s, test_key_overflow_is_sticky);
    return run_suite(s);
}
