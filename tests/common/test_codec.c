/*
 * test_codec.c - the small codecs of common/: hex (ins_hex.h), base64 in
 * both spellings (ins_base64.h) and the audit-chain hash (ins_chain.h),
 * the last against a vector computed independently (Python hashlib); UTF-8
 * (ins_utf8.h) and how the JSON codec (ins_pbjson.h) treats invalid UTF-8
 * and bytes.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ins_base64.h"
#include "ins_chain.h"
#include "ins_error.h"
#include "ins_hex.h"
#include "ins_pbjson.h"
#include "ins_utf8.h"
#include "inspect/v1/directory.pb-c.h"

START_TEST(test_hex_round_trip)
{
    const uint8_t in[] = {0x00, 0x0f, 0xa5, 0xff};
    char text[9];
    ins_hex_encode(in, sizeof in, text);
    ck_assert_str_eq(text, "000fa5ff");
    uint8_t back[4];
    ck_assert_int_eq(ins_hex_decode(text, 8, back), 0);
    ck_assert_mem_eq(back, in, 4);
    ins_hex_encode(NULL, 0, text);
    ck_assert_str_eq(text, "");
}
END_TEST

START_TEST(test_hex_decode_refuses_odd_upper_and_stray)
{
    uint8_t out[4];
    ck_assert_int_eq(ins_hex_decode("abc", 3, out), INS_EINVAL);
    ck_assert_int_eq(ins_hex_decode("AB", 2, out), INS_EINVAL);
    ck_assert_int_eq(ins_hex_decode("0g", 2, out), INS_EINVAL);
}
END_TEST

START_TEST(test_base64_std_padded)
{
    char out[16];
    ins_b64_encode("\xfb\xff\x01", 3, INS_B64_STD, out);
    ck_assert_str_eq(out, "+/8B");
    ins_b64_encode("ab", 2, INS_B64_STD, out);
    ck_assert_str_eq(out, "YWI=");
    ck_assert_uint_eq(ins_b64_encoded_len(2, INS_B64_STD), 4);
}
END_TEST

START_TEST(test_base64_url_unpadded)
{
    char out[16];
    ins_b64_encode("\xfb\xff\x01"
                   "a",
                   4, INS_B64_URL, out);
    ck_assert_str_eq(out, "-_8BYQ");
    ck_assert_uint_eq(ins_b64_encoded_len(4, INS_B64_URL), 6);
    uint8_t back[8];
    size_t n = 0;
    ck_assert_int_eq(ins_b64_decode(out, strlen(out), INS_B64_URL, back, sizeof back, &n), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_mem_eq(back,
                     "\xfb\xff\x01"
                     "a",
                     4);
}
END_TEST

START_TEST(test_base64_url_strict_refuses)
{
    uint8_t out[8];
    size_t n;
    ck_assert_int_eq(ins_b64_decode("YQ==", 4, INS_B64_URL, out, sizeof out, &n), INS_EINVAL);
    ck_assert_int_eq(ins_b64_decode("+/8B", 4, INS_B64_URL, out, sizeof out, &n), INS_EINVAL);
    ck_assert_int_eq(ins_b64_decode("YR", 2, INS_B64_URL, out, sizeof out, &n), INS_EINVAL);
    ck_assert_int_eq(ins_b64_decode("Y", 1, INS_B64_URL, out, sizeof out, &n), INS_EINVAL);
    ck_assert_int_eq(ins_b64_decode("YWJj", 4, INS_B64_URL, out, 2, &n), INS_ETOOBIG);
}
END_TEST

START_TEST(test_base64_any_takes_both_alphabets_and_padding)
{
    uint8_t out[8];
    size_t n = 0;
    ck_assert_int_eq(ins_b64_decode("+/8B", 4, INS_B64_ANY, out, sizeof out, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(out, "\xfb\xff\x01", 3);
    ck_assert_int_eq(ins_b64_decode("-_8B", 4, INS_B64_ANY, out, sizeof out, &n), 0);
    ck_assert_mem_eq(out, "\xfb\xff\x01", 3);
    ck_assert_int_eq(ins_b64_decode("YWI=", 4, INS_B64_ANY, out, sizeof out, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(ins_b64_decode("YW*=", 4, INS_B64_ANY, out, sizeof out, &n), INS_EINVAL);
}
END_TEST

START_TEST(test_chain_hash_known_vector)
{
    uint8_t prev[32] = {0}, rsha[32], h[32];
    for (int i = 0; i < 32; i++)
        rsha[i] = (uint8_t)i;
    ins_chain_entry e = {7,  123456789, "alice", "application.stage", "application/A-1",
                         15, rsha,      prev};
    ck_assert_int_eq(ins_chain_hash(&e, h), 0);
    char hex[65];
    ins_hex_encode(h, 32, hex);
    ck_assert_str_eq(hex, "f0556b6979411c0b5f2ddd63f7ecdb45e368f23e888dc67bba567b8f5f2a63b4");
    /* one field changed, another hash */
    e.seq = 8;
    uint8_t h2[32];
    ck_assert_int_eq(ins_chain_hash(&e, h2), 0);
    ck_assert_int_ne(memcmp(h, h2, 32), 0);
}
END_TEST

START_TEST(test_chain_hash_refuses_long_text)
{
    uint8_t prev[32] = {0}, rsha[32] = {0}, h[32];
    char *big = malloc(70000);
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    ins_chain_entry e = {1, 1, big, "x", "", 0, rsha, prev};
    ck_assert_int_eq(ins_chain_hash(&e, h), INS_EINVAL);
    const uint8_t zero[32] = {0};
    ck_assert_mem_eq(h, zero, 32);
    e.actor = NULL;
    ck_assert_int_eq(ins_chain_hash(&e, h), INS_EINVAL);
    free(big);
}
END_TEST

START_TEST(test_utf8_check_finds_first_bad_byte)
{
    ck_assert_uint_eq(ins_utf8_check("abc", 3), 3);
    ck_assert_uint_eq(ins_utf8_check("\xe6\x96\xb0\xe9\x83\xbd", 6), 6); /* 新都 */
    ck_assert_uint_eq(ins_utf8_check("ab\xff", 3), 2);
    ck_assert_uint_eq(ins_utf8_check("\xc0\xaf", 2), 0);         /* overlong '/' */
    ck_assert_uint_eq(ins_utf8_check("x\xed\xa0\x80", 4), 1);    /* surrogate */
    ck_assert_uint_eq(ins_utf8_check("\xe6\x96", 2), 0);         /* cut short */
    ck_assert_uint_eq(ins_utf8_check("\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
}
END_TEST

START_TEST(test_pbjson_parse_refuses_invalid_utf8)
{
    json_object *in = json_object_new_object();
    json_object_object_add(in, "name", json_object_new_string("ok\xff"));
    ProtobufCMessage *m = NULL;
    char why[256];
    ck_assert_int_eq(ins_pbjson_parse(&inspect__v1__inspector__descriptor, in, &m, why, sizeof why),
                     -1);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(why, "name: not valid UTF-8 (at byte 2)");
    json_object_put(in);
}
END_TEST

START_TEST(test_pbjson_print_replaces_invalid_utf8_and_bytes_base64)
{
    Inspect__V1__Inspector p = INSPECT__V1__INSPECTOR__INIT;
    p.name = "a\xff"
             "b";
    uint8_t key[3] = {0xfb, 0xff, 0x01};
    p.public_key.data = key;
    p.public_key.len = sizeof key;
    json_object *o = ins_pbjson_print(&p.base);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(ins_pbjson_text(o, NULL), "{\"name\":\"a\xef\xbf\xbd"
                                               "b\",\"public_key\":\"+/8B\"}");
    json_object_put(o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, test_hex_round_trip);
    tcase_add_test(tc, test_hex_decode_refuses_odd_upper_and_stray);
    tcase_add_test(tc, test_base64_std_padded);
    tcase_add_test(tc, test_base64_url_unpadded);
    tcase_add_test(tc, test_base64_url_strict_refuses);
    tcase_add_test(tc, test_base64_any_takes_both_alphabets_and_padding);
    tcase_add_test(tc, test_chain_hash_known_vector);
    tcase_add_test(tc, test_chain_hash_refuses_long_text);
    tcase_add_test(tc, test_utf8_check_finds_first_bad_byte);
    tcase_add_test(tc, test_pbjson_parse_refuses_invalid_utf8);
    tcase_add_test(tc, test_pbjson_print_replaces_invalid_utf8_and_bytes_base64);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
