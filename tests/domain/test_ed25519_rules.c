/*
 * test_ed25519_rules.c - strict Ed25519 keys and signatures
 * (domain/ed25519_rules.h): RFC 8032's keys pass; the identity, small-order
 * points, a point with a torsion part, non-canonical and off-curve
 * encodings are refused, each with its reason; a signature with S + L is
 * refused where the canonical one verifies.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ed25519_rules.h"
#include "findings_rules.h"
#include "ins_error.h"

static void unhex(const char *h, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* Checks key `hex`; returns the code, the reason in why. */
static int check(const char *hex, char *why, size_t whylen)
{
    uint8_t pk[32];
    unhex(hex, pk, 32);
    why[0] = '\0';
    return ins_ed25519_key_check(pk, why, whylen);
}

START_TEST(test_ed25519_rules_valid_keys_pass)
{
    char why[128];
    /* RFC 8032 test 1, and the base point */
    ck_assert_int_eq(
        check("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", why, sizeof why),
        0);
    ck_assert_int_eq(
        check("5866666666666666666666666666666666666666666666666666666666666666", why, sizeof why),
        0);
}
END_TEST

START_TEST(test_ed25519_rules_weak_keys_refused)
{
    static const struct {
        const char *hex, *reason;
    } weak[] = {
        {"0100000000000000000000000000000000000000000000000000000000000000",
         "a point of small order"}, /* the identity */
        {"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
         "a point of small order"}, /* (0, -1): order 2 */
        {"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
         "a point of small order"}, /* order 8 */
        {"98519eadf35b995233b51b5cd23e9cc5a28b639b5a4af0ec903cb960d81b7819",
         "not in the prime-order subgroup"}, /* base point + order-8 point */
        {"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
         "y is not below the field prime"}, /* y = p */
        {"0200000000000000000000000000000000000000000000000000000000000000",
         "not a point of the curve"}, /* y = 2 */
        {"0100000000000000000000000000000000000000000000000000000000000080",
         "x is zero with the sign bit set"},
    };
    char why[128];
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        ck_assert_int_eq(check(weak[i].hex, why, sizeof why), INS_EINVAL);
        ck_assert_str_eq(why, weak[i].reason);
    }
}
END_TEST

/* L, little-endian: S + L is the non-canonical twin of S. */
static const uint8_t L_LE[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

START_TEST(test_ed25519_rules_noncanonical_signature_refused)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    ck_assert(kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_keygen(kc, &key) == 1);
    EVP_PKEY_CTX_free(kc);
    uint8_t pk[32], digest[32] = {1, 2, 3}, sig[64];
    size_t pklen = 32, siglen = 64;
    ck_assert_int_eq(EVP_PKEY_get_raw_public_key(key, pk, &pklen), 1);
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    ck_assert(EVP_DigestSignInit(mc, NULL, NULL, NULL, key) == 1 &&
              EVP_DigestSign(mc, sig, &siglen, digest, 32) == 1);
    EVP_MD_CTX_free(mc);
    EVP_PKEY_free(key);
    char why[128];
    ck_assert_int_eq(ins_ed25519_key_check(pk, why, sizeof why), 0);
    ck_assert_int_eq(ins_ed25519_sig_canonical(sig), 0);
    ck_assert_int_eq(ins_findings_verify(pk, 32, digest, sig, 64), 0);
    /* S + L: the same point equation holds, the encoding is not canonical
     * (S < 2^253 always fits: S + L < 2^254) */
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned v = sig[32 + i] + L_LE[i] + carry;
        sig[32 + i] = (uint8_t)v;
        carry = v >> 8;
    }
    ck_assert_int_eq(ins_ed25519_sig_canonical(sig), INS_EAUTH);
    ck_assert_int_eq(ins_findings_verify(pk, 32, digest, sig, 64), INS_EAUTH);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ed25519_rules");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_ed25519_rules_valid_keys_pass);
    tcase_add_test(tc, test_ed25519_rules_weak_keys_refused);
    tcase_add_test(tc, test_ed25519_rules_noncanonical_signature_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
