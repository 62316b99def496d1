/*
 * test_district.c - unit tests of district codes and lists
 * (common/district.c) and of the district claim of bearer tokens
 * (common/token.c): the rule that a principal without a claim holds the
 * default district only, a v3 token's round trip, and that the claim is
 * covered by the signature.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ins_base64.h"
#include "ins_district.h"
#include "ins_error.h"
#include "ins_token.h"

#define NOW 1700000000

START_TEST(test_district_code_ok_accepts_codes)
{
    ck_assert(ins_district_code_ok("xindu"));
    ck_assert(ins_district_code_ok("510114"));
    ck_assert(ins_district_code_ok("jin-niu"));
    ck_assert(ins_district_code_ok("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
}
END_TEST

START_TEST(test_district_code_ok_refuses_others)
{
    ck_assert(!ins_district_code_ok(NULL));
    ck_assert(!ins_district_code_ok(""));
    ck_assert(!ins_district_code_ok("Xindu"));
    ck_assert(!ins_district_code_ok("-a"));
    ck_assert(!ins_district_code_ok("a b"));
    ck_assert(!ins_district_code_ok("a,b"));
    ck_assert(!ins_district_code_ok("*"));
    ck_assert(!ins_district_code_ok("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
}
END_TEST

START_TEST(test_district_list_parse_canonical)
{
    char out[INS_DISTRICTS_MAX];
    const char *why = "unset";
    ck_assert_int_eq(ins_district_list_parse(" a , b,c ", out, sizeof out, &why), 0);
    ck_assert_str_eq(out, "a,b,c");
    ck_assert_ptr_null(why);
    ck_assert_int_eq(ins_district_list_parse("*", out, sizeof out, NULL), 0);
    ck_assert_str_eq(out, "*");
    ck_assert_int_eq(ins_district_list_parse("xindu", out, sizeof out, NULL), 0);
    ck_assert_str_eq(out, "xindu");
}
END_TEST

/* Each malformed list: INS_EINVAL, `out` emptied, a sentence naming it. */
START_TEST(test_district_list_parse_refuses)
{
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"", "empty entry"}, {"a,,b", "empty entry"},        {"a,", "empty entry"},
        {"a,a", "twice"},    {"*,a", "stands alone"},        {"a,*", "stands alone"},
        {"A", "lower-case"}, {"a b", "separated by commas"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[INS_DISTRICTS_MAX] = "junk";
        const char *why = NULL;
        ck_assert_int_eq(ins_district_list_parse(bad[i].text, out, sizeof out, &why), INS_EINVAL);
        ck_assert_str_eq(out, "");
        ck_assert_msg(why && strstr(why, bad[i].why), "'%s': %s", bad[i].text, why ? why : "-");
    }
    char out[INS_DISTRICTS_MAX];
    ck_assert_int_eq(ins_district_list_parse(NULL, out, sizeof out, NULL), INS_EINVAL);
}
END_TEST

START_TEST(test_district_list_parse_too_long)
{
    char text[400] = "", out[INS_DISTRICTS_MAX];
    for (int i = 0; i < 40; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%sd%02d", i ? "," : "", i);
    ck_assert_int_eq(ins_district_list_parse(text, out, sizeof out, NULL), INS_ETOOBIG);
    ck_assert_int_eq(ins_district_list_parse("abc,def", out, 5, NULL), INS_ETOOBIG);
}
END_TEST

START_TEST(test_district_holds_rule)
{
    ck_assert(ins_district_holds("a,b", "a"));
    ck_assert(ins_district_holds("a,b", "b"));
    ck_assert(!ins_district_holds("a,b", "c"));
    ck_assert(!ins_district_holds("ab", "a")); /* whole codes, not prefixes */
    ck_assert(!ins_district_holds("a", "ab"));
    ck_assert(ins_district_holds("*", "anything"));
    /* no claim: the default district only */
    ck_assert(ins_district_holds("", INS_DISTRICT_DEFAULT));
    ck_assert(!ins_district_holds("", "xindu"));
    ck_assert(!ins_district_holds(NULL, INS_DISTRICT_DEFAULT));
    ck_assert_str_eq(ins_district_list_text(""), "default (no district claim)");
    ck_assert_str_eq(ins_district_list_text("a,b"), "a,b");
}
END_TEST

static ins_token_key key(void)
{
    ins_token_key k;
    memset(&k, 0, sizeof k);
    memset(k.bytes, 7, sizeof k.bytes);
    return k;
}

static ins_principal dept_principal(const char *districts)
{
    ins_principal p;
    memset(&p, 0, sizeof p);
    strcpy(p.name, "city-fire");
    strcpy(p.department, "fire");
    strcpy(p.districts, districts);
    p.role = INS_ROLE_DEPARTMENT;
    p.expires_unix = NOW + 3600;
    p.issued_ms = (int64_t)NOW * 1000;
    return p;
}

START_TEST(test_token_districts_round_trip)
{
    ins_token_key k = key();
    static const char *const lists[] = {"a,c", "*", "xindu"};
    for (size_t i = 0; i < 3; i++) {
        ins_principal p = dept_principal(lists[i]), out;
        char tok[INS_TOKEN_MAX];
        ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof tok), 0);
        ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, NULL), 0);
        ck_assert_str_eq(out.districts, lists[i]);
        ck_assert_str_eq(out.name, "city-fire");
        ck_assert_str_eq(out.department, "fire");
    }
}
END_TEST

/* A token without a claim is signed in the v2 format, which verifiers that
 * predate districts read, and verifies with no claim. */
START_TEST(test_token_without_districts_is_v2)
{
    ins_token_key k = key();
    ins_principal p = dept_principal(""), out;
    char tok[INS_TOKEN_MAX], payload[512];
    size_t n = 0;
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof tok), 0);
    ck_assert_int_eq(ins_b64_decode(tok, (size_t)(strchr(tok, '.') - tok), INS_B64_URL,
                                    (uint8_t *)payload, sizeof payload, &n),
                     0);
    ck_assert_int_eq(memcmp(payload, "v2\n", 3), 0);
    memset(&out, 0x5a, sizeof out);
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, NULL), 0);
    ck_assert_str_eq(out.districts, "");
}
END_TEST

START_TEST(test_token_sign_refuses_non_canonical_districts)
{
    ins_token_key k = key();
    char tok[INS_TOKEN_MAX];
    static const char *const bad[] = {"a, b", "a,a", "A", "*,a", ","};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ins_principal p = dept_principal(bad[i]);
        ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof tok), INS_EINVAL);
    }
}
END_TEST

/* Changing the district claim of a signed token breaks its signature: the
 * claim is part of what is signed. */
START_TEST(test_token_districts_tamper_detected)
{
    ins_token_key k = key();
    ins_principal p = dept_principal("a,c"), out;
    char tok[INS_TOKEN_MAX], payload[512], forged[INS_TOKEN_MAX];
    size_t n = 0;
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof tok), 0);
    const char *dot = strchr(tok, '.');
    ck_assert_int_eq(ins_b64_decode(tok, (size_t)(dot - tok), INS_B64_URL, (uint8_t *)payload,
                                    sizeof payload, &n),
                     0);
    char *claim = memmem(payload, n, "\na,c\n", 5);
    ck_assert_ptr_nonnull(claim);
    claim[3] = 'b'; /* "a,b" */
    ins_b64_encode(payload, n, INS_B64_URL, forged);
    strcat(forged, dot);
    const char *why = NULL;
    ck_assert_int_eq(ins_token_verify(&k, forged, NOW, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, "token signature does not verify (tampered or signed with another key)");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("district");
    TCase *tc = tcase_create("district");
    tcase_add_test(tc, test_district_code_ok_accepts_codes);
    tcase_add_test(tc, test_district_code_ok_refuses_others);
    tcase_add_test(tc, test_district_list_parse_canonical);
    tcase_add_test(tc, test_district_list_parse_refuses);
    tcase_add_test(tc, test_district_list_parse_too_long);
    tcase_add_test(tc, test_district_holds_rule);
    tcase_add_test(tc, test_token_districts_round_trip);
    tcase_add_test(tc, test_token_without_districts_is_v2);
    tcase_add_test(tc, test_token_sign_refuses_non_canonical_districts);
    tcase_add_test(tc, test_token_districts_tamper_detected);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
