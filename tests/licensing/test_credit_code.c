/*
 * test_credit_code.c - the unified social credit code (GB 32100-2015):
 * real codes that must pass, a table of bad codes with the exact message a
 * person sees, check-digit construction, and exhaustive single-character
 * and transposition errors on real codes (every one must be caught).
 */
#include <check.h>
#include <string.h>

#include "credit_code.h"
#include "ins_error.h"

/* Published codes of well-known companies, and the GB 32100 worked example. */
static const char *const REAL[] = {
    "91350100M000100Y43", /* the standard's commonly cited example */
    "914403001922038216", /* 华为技术有限公司 */
    "91330100799655058B", /* 阿里巴巴（中国）有限公司 */
    "91110108551385082Q", /* 小米科技有限责任公司 */
    "91110000802100433B", /* 中国石油化工股份有限公司 */
    "91440300708461136T", /* 深圳市腾讯计算机系统有限公司 */
};

START_TEST(test_credit_code_real_codes_pass)
{
    char why[256] = "";
    for (size_t i = 0; i < sizeof(REAL) / sizeof(REAL[0]); i++)
        ck_assert_msg(ins_credit_code_check(REAL[i], why, sizeof(why)) == 0, "%s: %s", REAL[i],
                      why);
}
END_TEST

static const struct {
    const char *code;
    const char *why;
} BAD[] = {
    {"", "applicant_credit_code is empty; give the 18-character unified social credit code"},
    {"91350100M000100Y4",
     "applicant_credit_code 91350100M000100Y4 has 17 characters; a unified social credit code "
     "has 18"},
    {"91350100M000100Y433",
     "applicant_credit_code 91350100M000100Y433 has 19 characters; a unified social credit "
     "code has 18"},
    {"91510114MA6C12345X", "applicant_credit_code 91510114MA6C12345X: check digit should be R, "
                           "not X"},
    {"91350100M000100Y44", "applicant_credit_code 91350100M000100Y44: check digit should be 3, "
                           "not 4"},
    {"91350100m000100Y43", "applicant_credit_code 91350100m000100Y43: character 9 'm' is "
                           "lowercase; write letters in capitals ('M')"},
    {"91350100M000100y43", "applicant_credit_code 91350100M000100y43: character 16 'y' is "
                           "lowercase; write letters in capitals ('Y')"},
    {"91350100MO00100Y43",
     "applicant_credit_code 91350100MO00100Y43: character 10 'O' is not allowed (did you mean "
     "0?); the code uses 0-9 and A-H J-N P-R T-U W-Y (no I, O, S, V, Z)"},
    {"91350100MI00100Y43",
     "applicant_credit_code 91350100MI00100Y43: character 10 'I' is not allowed (did you mean "
     "1?); the code uses 0-9 and A-H J-N P-R T-U W-Y (no I, O, S, V, Z)"},
    {"91350100MS00100Y43", "applicant_credit_code 91350100MS00100Y43: character 10 'S' is not "
                           "allowed; the code uses 0-9 and A-H J-N P-R T-U W-Y (no I, O, S, V, "
                           "Z)"},
    {"91350100Ms00100Y43", "applicant_credit_code 91350100Ms00100Y43: character 10 's' is not "
                           "allowed; the code uses 0-9 and A-H J-N P-R T-U W-Y (no I, O, S, V, "
                           "Z)"},
    {"91350100M-00100Y43", "applicant_credit_code 91350100M-00100Y43: character 10 '-' is not "
                           "allowed; the code uses 0-9 and A-H J-N P-R T-U W-Y (no I, O, S, V, "
                           "Z)"},
    {"9135010\xef\xbc\x90M000100Y43", /* full-width ０ as character 8 */
     "applicant_credit_code 9135010\xef\xbc\x90M000100Y43: character 8 is not an ASCII letter "
     "or digit (write it in half-width capitals and digits)"},
    /* structure, with a right check digit (made by ins_credit_code_make) */
    {"B1510114MA6C12345P", "applicant_credit_code B1510114MA6C12345P: character 1 "
                           "(registration authority) 'B' is not one of 1-9, A, N, Y"},
    {"90510114MA6C12345W", "applicant_credit_code 90510114MA6C12345W: character 2 "
                           "(organisation category) must be a digit 1-9, not '0'"},
    {"9151A114MA6C12345M", "applicant_credit_code 9151A114MA6C12345M: characters 3-8 "
                           "(administrative division code) must be digits, character 5 is 'A'"},
};

START_TEST(test_credit_code_bad_codes_refused_with_message)
{
    char why[512];
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        why[0] = '\0';
        ck_assert_int_eq(ins_credit_code_check(BAD[i].code, why, sizeof(why)), INS_EINVAL);
        ck_assert_str_eq(why, BAD[i].why);
    }
    ck_assert_int_eq(ins_credit_code_check(NULL, why, sizeof(why)), INS_EINVAL);
}
END_TEST

START_TEST(test_credit_code_other_authorities_pass)
{
    /* law firm (3x), trade union (8x), other (Y1), agriculture (N2), army (A1) */
    static const char *const OK[] = {"31510000MD0123456Y", "81510114MA6C12345T",
                                     "Y1510114MA6C123454", "N2510114MA6C123459",
                                     "A1510114MA6C12345Q", "915101147000000080"};
    char why[256] = "";
    for (size_t i = 0; i < sizeof(OK) / sizeof(OK[0]); i++)
        ck_assert_msg(ins_credit_code_check(OK[i], why, sizeof(why)) == 0, "%s: %s", OK[i], why);
}
END_TEST

START_TEST(test_credit_code_field_name_in_message)
{
    char why[256];
    ck_assert_int_eq(
        ins_credit_code_check_field("conflicts[2]", "91350100M000100Y44", why, sizeof(why)),
        INS_EINVAL);
    ck_assert_str_eq(why, "conflicts[2] 91350100M000100Y44: check digit should be 3, not 4");
}
END_TEST

START_TEST(test_credit_code_no_buffer_is_fine)
{
    ck_assert_int_eq(ins_credit_code_check("91350100M000100Y44", NULL, 0), INS_EINVAL);
    char tiny[8];
    ck_assert_int_eq(ins_credit_code_check("91350100M000100Y44", tiny, sizeof(tiny)), INS_EINVAL);
    ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
}
END_TEST

START_TEST(test_credit_code_make_reproduces_real_codes)
{
    char out[19];
    for (size_t i = 0; i < sizeof(REAL) / sizeof(REAL[0]); i++) {
        ck_assert_int_eq(ins_credit_code_make(REAL[i], out), 0);
        ck_assert_str_eq(out, REAL[i]);
    }
    /* a check value of 31 is written 0 */
    ck_assert_int_eq(ins_credit_code_make("91510114700000008", out), 0);
    ck_assert_str_eq(out, "915101147000000080");
    ck_assert_int_eq(ins_credit_code_make("9151011470000000O", out), INS_EINVAL);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_credit_code_make_then_check_many)
{
    static const char CS[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    char prefix[17], out[19], why[256];
    unsigned seed = 12345;
    for (int n = 0; n < 5000; n++) {
        prefix[0] = '9';
        prefix[1] = '1' + (char)(n % 3);
        for (int i = 2; i < 8; i++) {
            seed = seed * 1103515245u + 12345u;
            prefix[i] = (char)('0' + (seed >> 16) % 10);
        }
        for (int i = 8; i < 17; i++) {
            seed = seed * 1103515245u + 12345u;
            prefix[i] = CS[(seed >> 16) % 31];
        }
        ck_assert_int_eq(ins_credit_code_make(prefix, out), 0);
        ck_assert_msg(ins_credit_code_check(out, why, sizeof(why)) == 0, "%s: %s", out, why);
    }
}
END_TEST

/* Every substitution of one character and every swap of two neighbours is caught. */
START_TEST(test_credit_code_single_errors_all_caught)
{
    static const char CS[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    char code[19];
    for (size_t r = 0; r < sizeof(REAL) / sizeof(REAL[0]); r++) {
        for (int pos = 0; pos < 18; pos++) {
            for (int k = 0; k < 31; k++) {
                memcpy(code, REAL[r], 19);
                if (code[pos] == CS[k])
                    continue;
                code[pos] = CS[k];
                ck_assert_msg(ins_credit_code_check(code, NULL, 0) == INS_EINVAL,
                              "substitution not caught: %s", code);
            }
            if (pos < 17 && REAL[r][pos] != REAL[r][pos + 1]) {
                memcpy(code, REAL[r], 19);
                code[pos] = REAL[r][pos + 1];
                code[pos + 1] = REAL[r][pos];
                ck_assert_msg(ins_credit_code_check(code, NULL, 0) == INS_EINVAL,
                              "transposition not caught: %s", code);
            }
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("credit_code");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_credit_code_real_codes_pass);
    tcase_add_test(tc, test_credit_code_bad_codes_refused_with_message);
    tcase_add_test(tc, test_credit_code_other_authorities_pass);
    tcase_add_test(tc, test_credit_code_field_name_in_message);
    tcase_add_test(tc, test_credit_code_no_buffer_is_fine);
    tcase_add_test(tc, test_credit_code_make_reproduces_real_codes);
    tcase_add_test(tc, test_credit_code_make_then_check_many);
    tcase_add_test(tc, test_credit_code_single_errors_all_caught);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
