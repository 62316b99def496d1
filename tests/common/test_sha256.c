/*
 * test_sha256.c - common/ins_sha256: SHA-256 and HMAC-SHA-256 against the
 * published vectors (FIPS 180-2, RFC 4231), with the per-thread key cache
 * hit, missed, evicted and bypassed (a key longer than one block).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ins_sha256.h"

static void hex_of(const uint8_t d[32], char out[65])
{
    static const char x[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = x[d[i] >> 4];
        out[2 * i + 1] = x[d[i] & 15];
    }
    out[64] = 0;
}

START_TEST(sha256_abc)
{
    uint8_t d[32];
    char h[65];
    ck_assert_int_eq(ins_sha256("abc", 3, d), 0);
    hex_of(d, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* RFC 4231 test cases 1, 2 and 6 (a 131-byte key: hashed, never kept). */
static const char *mac_of(const void *key, size_t kl, const char *data)
{
    static char h[65];
    uint8_t d[32];
    ck_assert_int_eq(ins_hmac_sha256(key, kl, data, strlen(data), d), 0);
    hex_of(d, h);
    return h;
}

START_TEST(hmac_rfc4231)
{
    uint8_t k1[20], k6[131];
    memset(k1, 0x0b, sizeof k1);
    memset(k6, 0xaa, sizeof k6);
    const char *c1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    const char *c2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const char *c6 = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
    for (int round = 0; round < 3; round++) { /* first use, then the kept keys */
        ck_assert_str_eq(mac_of(k1, sizeof k1, "Hi There"), c1);
        ck_assert_str_eq(mac_of("Jefe", 4, "what do ya want for nothing?"), c2);
        ck_assert_str_eq(
            mac_of(k6, sizeof k6, "Test Using Larger Than Block-Size Key - Hash Key First"), c6);
    }
}
END_TEST

/* More keys than a thread keeps: each still gives its own MAC. */
START_TEST(hmac_many_keys)
{
    uint8_t keys[9][32], first[9][32], again[32];
    for (int i = 0; i < 9; i++) {
        memset(keys[i], i + 1, 32);
        ck_assert_int_eq(ins_hmac_sha256(keys[i], 32, "payload", 7, first[i]), 0);
    }
    for (int i = 0; i < 9; i++)
        ck_assert_mem_ne(first[i], first[(i + 1) % 9], 32);
    for (int round = 0; round < 3; round++)
        for (int i = 8; i >= 0; i--) {
            ck_assert_int_eq(ins_hmac_sha256(keys[i], 32, "payload", 7, again), 0);
            ck_assert_mem_eq(again, first[i], 32);
        }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, sha256_abc);
    tcase_add_test(tc, hmac_rfc4231);
    tcase_add_test(tc, hmac_many_keys);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
