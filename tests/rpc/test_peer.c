/*
 * test_peer.c - unit tests of the effective peer (server/rpc/peer.c): the
 * --trusted-proxy list and how x-forwarded-for is believed only from a
 * trusted proxy, and only its right-most entry.
 */
#include <check.h>
#include <string.h>

#include "ins_error.h"
#include "peer.h"

static ins_proxy_list *list(const char *text)
{
    ins_proxy_list *l = NULL;
    char err[256] = "";
    ck_assert_msg(ins_proxy_list_parse(text, &l, err, sizeof err) == 0, "%s: %s", text, err);
    return l;
}

START_TEST(test_proxy_list_matches_blocks)
{
    ins_proxy_list *l = list("127.0.0.1, 10.0.0.0/8,fd00::/8");
    ck_assert(ins_proxy_list_has(l, "127.0.0.1"));
    ck_assert(!ins_proxy_list_has(l, "127.0.0.2"));
    ck_assert(ins_proxy_list_has(l, "10.200.3.4"));
    ck_assert(!ins_proxy_list_has(l, "11.0.0.1"));
    ck_assert(ins_proxy_list_has(l, "fd12::1"));
    ck_assert(!ins_proxy_list_has(l, "fe80::1"));
    ck_assert(ins_proxy_list_has(l, "::ffff:10.1.1.1")); /* IPv4-mapped */
    ck_assert(!ins_proxy_list_has(l, "not-an-address"));
    ins_proxy_list_free(l);
}
END_TEST

START_TEST(test_proxy_list_refuses_bad_entries)
{
    static const char *const bad[] = {"127.0.0.1,",  "nginx", "10.0.0.0/33", "::1/129", "10.0.0.0/",
                                      "10.0.0.0/8x", ","};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ins_proxy_list *l = (ins_proxy_list *)1;
        char err[256] = "";
        ck_assert_int_eq(ins_proxy_list_parse(bad[i], &l, err, sizeof err), INS_EINVAL);
        ck_assert_ptr_null(l);
        ck_assert_msg(strstr(err, "is not an IP address or a CIDR block"), "%s", err);
    }
}
END_TEST

START_TEST(test_proxy_list_empty_trusts_nobody)
{
    ins_proxy_list *l = list(NULL);
    ck_assert(!ins_proxy_list_has(l, "127.0.0.1"));
    char out[160];
    ins_peer_effective(l, "ipv4:127.0.0.1:5000", "203.0.113.7", 11, out, sizeof out);
    ck_assert_str_eq(out, "ipv4:127.0.0.1:5000");
    ins_proxy_list_free(l);
}
END_TEST

START_TEST(test_peer_forwarded_from_trusted_proxy)
{
    ins_proxy_list *l = list("127.0.0.1,::1");
    char out[160];
    const char *xff = "198.51.100.1, 203.0.113.7";
    ins_peer_effective(l, "ipv4:127.0.0.1:5000", xff, strlen(xff), out, sizeof out);
    ck_assert_str_eq(out, "ipv4:203.0.113.7 via ipv4:127.0.0.1:5000");
    ins_peer_effective(l, "ipv6:[::1]:5000", "2001:db8::5", 11, out, sizeof out);
    ck_assert_str_eq(out, "ipv6:[2001:db8::5] via ipv6:[::1]:5000");
    ins_proxy_list_free(l);
}
END_TEST

START_TEST(test_peer_forwarded_ignored_from_others)
{
    ins_proxy_list *l = list("10.0.0.1");
    char out[160];
    /* not from the proxy: the header is whatever the caller wrote */
    ins_peer_effective(l, "ipv4:127.0.0.1:5000", "203.0.113.7", 11, out, sizeof out);
    ck_assert_str_eq(out, "ipv4:127.0.0.1:5000");
    /* from the proxy, but no header, or one that is not an address */
    ins_peer_effective(l, "ipv4:10.0.0.1:5000", NULL, 0, out, sizeof out);
    ck_assert_str_eq(out, "ipv4:10.0.0.1:5000");
    ins_peer_effective(l, "ipv4:10.0.0.1:5000", "1.2.3.4, evil", 13, out, sizeof out);
    ck_assert_str_eq(out, "ipv4:10.0.0.1:5000");
    ins_peer_effective(l, "unix:/run/x.sock", "1.2.3.4", 7, out, sizeof out);
    ck_assert_str_eq(out, "unix:/run/x.sock");
    ins_proxy_list_free(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("peer");
    TCase *tc = tcase_create("peer");
    tcase_add_test(tc, test_proxy_list_matches_blocks);
    tcase_add_test(tc, test_proxy_list_refuses_bad_entries);
    tcase_add_test(tc, test_proxy_list_empty_trusts_nobody);
    tcase_add_test(tc, test_peer_forwarded_from_trusted_proxy);
    tcase_add_test(tc, test_peer_forwarded_ignored_from_others);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
