/*
 * test_cursor.c - page tokens and cursors (common/ins_cursor.h): a token
 * checks only with the key and the query it was made for; any altered byte,
 * any cut, another key or another query is INS_EINVAL; the position comes
 * back whole.
 */
#include <check.h>
#include <string.h>

#include "ins_cursor.h"
#include "ins_error.h"

static ins_cursor_key key_a, key_b;
static ins_cursor_query q_list, q_other;

static void setup(void)
{
    ck_assert_int_eq(ins_cursor_key_derive("node-a-token-key", 16, &key_a), 0);
    ck_assert_int_eq(ins_cursor_key_derive("node-b-token-key", 16, &key_b), 0);
    const char *list[] = {"/inspect.v1.Licensing/ListApplications", "root", "", "2", "", "7"};
    const char *other[] = {"/inspect.v1.Licensing/ListApplications", "root", "", "3", "", "7"};
    ck_assert_int_eq(ins_cursor_query_make(&q_list, 6, list), 0);
    ck_assert_int_eq(ins_cursor_query_make(&q_other, 6, other), 0);
}

START_TEST(test_cursor_round_trip)
{
    char tok[INS_CURSOR_MAX], id[INS_CURSOR_ID_MAX + 1];
    uint64_t seq = 0;
    ck_assert_int_eq(ins_cursor_make(&key_a, &q_list, 812, "XD-2026-001204", tok, sizeof tok), 0);
    ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, tok, &seq, id, sizeof id), 0);
    ck_assert_uint_eq(seq, 812);
    ck_assert_str_eq(id, "XD-2026-001204");
    /* the longest id and the empty one */
    char longest[INS_CURSOR_ID_MAX + 1];
    memset(longest, 'x', INS_CURSOR_ID_MAX);
    longest[INS_CURSOR_ID_MAX] = '\0';
    ck_assert_int_eq(ins_cursor_make(&key_a, &q_list, UINT64_MAX, longest, tok, sizeof tok), 0);
    ck_assert_int_lt(strlen(tok), INS_CURSOR_MAX);
    ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, tok, &seq, id, sizeof id), 0);
    ck_assert_uint_eq(seq, UINT64_MAX);
    ck_assert_str_eq(id, longest);
    ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, tok, &seq, id, 100), INS_EINVAL);
    ck_assert_int_eq(ins_cursor_make(&key_a, &q_list, 0, NULL, tok, sizeof tok), 0);
    ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, tok, &seq, id, sizeof id), 0);
    ck_assert_uint_eq(seq, 0);
    ck_assert_str_eq(id, "");
}
END_TEST

START_TEST(test_cursor_refuses_long_id_and_small_buffer)
{
    char tok[INS_CURSOR_MAX], big[INS_CURSOR_ID_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(ins_cursor_make(&key_a, &q_list, 1, big, tok, sizeof tok), INS_EINVAL);
    ck_assert_int_eq(ins_cursor_make(&key_a, &q_list, 1, "T-1", tok, 20), INS_ETOOBIG);
}
END_TEST

START_TEST(test_cursor_every_altered_char_refused)
{
    char tok[INS_CURSOR_MAX], id[64];
    uint64_t seq;
    ck_assert_int_eq(ins_cursor_make(&key_a, &q_list, 7, "T-000001", tok, sizeof tok), 0);
    size_t n = strlen(tok);
    for (size_t i = 0; i < n; i++) {
        char bad[INS_CURSOR_MAX];
        memcpy(bad, tok, n + 1);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, bad, &seq, id, sizeof id), INS_EINVAL);
        memcpy(bad, tok, n + 1);
        bad[i] = '\0'; /* every cut */
        ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, bad, &seq, id, sizeof id), INS_EINVAL);
    }
    const char *junk[] = {"x", "not a token", "5444",
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, junk[i], &seq, id, sizeof id),
                         INS_EINVAL);
}
END_TEST

START_TEST(test_cursor_other_key_or_query_refused)
{
    char tok[INS_CURSOR_MAX], id[64];
    uint64_t seq;
    ck_assert_int_eq(ins_cursor_make(&key_a, &q_list, 7, "T-000001", tok, sizeof tok), 0);
    ck_assert_int_eq(ins_cursor_check(&key_b, &q_list, tok, &seq, id, sizeof id), INS_EINVAL);
    ck_assert_int_eq(ins_cursor_check(&key_a, &q_other, tok, &seq, id, sizeof id), INS_EINVAL);
    /* parts are length-prefixed: ("ab", "c") is not ("a", "bc") */
    ins_cursor_query q1, q2;
    ck_assert_int_eq(ins_cursor_query_make(&q1, 2, (const char *[]){"ab", "c"}), 0);
    ck_assert_int_eq(ins_cursor_query_make(&q2, 2, (const char *[]){"a", "bc"}), 0);
    ck_assert_int_ne(memcmp(q1.digest, q2.digest, sizeof q1.digest), 0);
    /* a NUL-free hex id, what the server handed out before, is no token */
    ck_assert_int_eq(ins_cursor_check(&key_a, &q_list, "542d303030303031", &seq, id, sizeof id),
                     INS_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cursor");
    TCase *tc = tcase_create("cursor");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_cursor_round_trip);
    tcase_add_test(tc, test_cursor_refuses_long_id_and_small_buffer);
    tcase_add_test(tc, test_cursor_every_altered_char_refused);
    tcase_add_test(tc, test_cursor_other_key_or_query_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
