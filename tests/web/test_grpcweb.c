/*
 * test_grpcweb.c - the gRPC-Web frames and the grpc-web-text base64 of
 * server/web/grpcweb.c: one request message accepted, every other body
 * refused with its code, trailer frames as gRPC spells them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "grpcweb.h"
#include "ins_error.h"

static size_t frame(uint8_t flag, const char *body, size_t n, uint8_t *out)
{
    ins_gw_frame_header(flag, (uint32_t)n, out);
    memcpy(out + INS_GW_HEADER, body, n);
    return INS_GW_HEADER + n;
}

START_TEST(test_grpcweb_one_message_accepted)
{
    uint8_t buf[64];
    size_t n = frame(0,
                     "\x0a\x03"
                     "abc",
                     5, buf);
    const uint8_t *msg = NULL;
    size_t len = 0;
    char why[128];
    ck_assert_int_eq(ins_gw_request_message(buf, n, 100, &msg, &len, why, sizeof why), 0);
    ck_assert_uint_eq(len, 5);
    ck_assert_ptr_eq(msg, buf + INS_GW_HEADER);
    n = frame(0, "", 0, buf);
    ck_assert_int_eq(ins_gw_request_message(buf, n, 100, &msg, &len, why, sizeof why), 0);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_grpcweb_malformed_refused)
{
    uint8_t buf[64] = {0};
    const uint8_t *msg;
    size_t len;
    char why[256];
    ck_assert_int_eq(ins_gw_request_message(buf, 0, 100, &msg, &len, why, sizeof why), INS_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "5-byte header"));
    size_t n = frame(0, "abcdef", 6, buf);
    ck_assert_int_eq(ins_gw_request_message(buf, n - 1, 100, &msg, &len, why, sizeof why),
                     INS_EINVAL); /* cut */
    ck_assert_ptr_nonnull(strstr(why, "declares 6 bytes"));
    buf[n] = 0;
    ck_assert_int_eq(ins_gw_request_message(buf, n + 1, 100, &msg, &len, why, sizeof why),
                     INS_EINVAL); /* bytes after the message */
    ck_assert_ptr_nonnull(strstr(why, "exactly one"));
    n = frame(0x01, "ab", 2, buf);
    ck_assert_int_eq(ins_gw_request_message(buf, n, 100, &msg, &len, why, sizeof why), INS_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "flag 0x01"));
    n = frame(INS_GW_TRAILERS, "ab", 2, buf);
    ck_assert_int_eq(ins_gw_request_message(buf, n, 100, &msg, &len, why, sizeof why), INS_EINVAL);
}
END_TEST

START_TEST(test_grpcweb_oversize_from_header_alone)
{
    uint8_t hdr[INS_GW_HEADER];
    const uint8_t *msg;
    size_t len;
    char why[128];
    ins_gw_frame_header(0, 1025, hdr);
    ck_assert_int_eq(ins_gw_request_message(hdr, sizeof hdr, 1024, &msg, &len, why, sizeof why),
                     INS_ETOOBIG);
    ck_assert_str_eq(why, "Received message larger than max (1025 vs. 1024)");
    ins_gw_frame_header(0, 1024, hdr); /* at the limit: only cut, not too big */
    ck_assert_int_eq(ins_gw_request_message(hdr, sizeof hdr, 1024, &msg, &len, why, sizeof why),
                     INS_EINVAL);
}
END_TEST

START_TEST(test_grpcweb_trailer_frame)
{
    uint8_t out[INS_GW_TRAILER_MAX];
    size_t n = ins_gw_trailer_frame(0, NULL, out, sizeof out);
    ck_assert_uint_eq(out[0], INS_GW_TRAILERS);
    ck_assert_uint_eq(n, INS_GW_HEADER + strlen("grpc-status: 0\r\n"));
    ck_assert_int_eq(memcmp(out + INS_GW_HEADER, "grpc-status: 0\r\n", n - INS_GW_HEADER), 0);
    n = ins_gw_trailer_frame(3, "名 100%\n", out, sizeof out);
    const char *want = "grpc-status: 3\r\ngrpc-message: %E5%90%8D 100%25%0A\r\n";
    ck_assert_uint_eq(n, INS_GW_HEADER + strlen(want));
    ck_assert_int_eq(memcmp(out + INS_GW_HEADER, want, strlen(want)), 0);
    uint32_t len = (uint32_t)out[1] << 24 | (uint32_t)out[2] << 16 | (uint32_t)out[3] << 8 | out[4];
    ck_assert_uint_eq(len, strlen(want));
}
END_TEST

START_TEST(test_grpcweb_trailer_long_message_cut_at_character)
{
    char msg[2000];
    for (size_t i = 0; i + 3 < sizeof msg; i += 3)
        memcpy(msg + i, "名", 3);
    msg[sizeof msg - 2] = '\0';
    uint8_t out[INS_GW_TRAILER_MAX];
    size_t n = ins_gw_trailer_frame(13, msg, out, sizeof out);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_le(n, sizeof out);
    const char *text = (const char *)out + INS_GW_HEADER;
    /* cut after a whole character: a complete %E5%90%8D, then the line end */
    size_t tl = n - INS_GW_HEADER;
    ck_assert_int_eq(memcmp(text + tl - 2, "\r\n", 2), 0);
    ck_assert_int_eq(memcmp(text + tl - 11, "%E5%90%8D", 9), 0);
}
END_TEST

START_TEST(test_grpcweb_text_pieces)
{
    uint8_t out[64];
    size_t len = 0;
    /* "AAAAAAA=" is one frame of an empty message; two padded pieces concatenated */
    ck_assert_int_eq(ins_gw_text_decode("AAAAAAA=", 8, out, sizeof out, &len), 0);
    ck_assert_uint_eq(len, 5);
    const char *two = "YQ==YmM=";
    ck_assert_int_eq(ins_gw_text_decode(two, strlen(two), out, sizeof out, &len), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(memcmp(out, "abc", 3), 0);
    ck_assert_int_eq(ins_gw_text_decode("@@@@", 4, out, sizeof out, &len), INS_EINVAL);
    ck_assert_int_eq(ins_gw_text_decode("AAAAAAA=", 8, out, 2, &len), INS_ETOOBIG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grpcweb");
    TCase *tc = tcase_create("frames");
    tcase_add_test(tc, test_grpcweb_one_message_accepted);
    tcase_add_test(tc, test_grpcweb_malformed_refused);
    tcase_add_test(tc, test_grpcweb_oversize_from_header_alone);
    tcase_add_test(tc, test_grpcweb_trailer_frame);
    tcase_add_test(tc, test_grpcweb_trailer_long_message_cut_at_character);
    tcase_add_test(tc, test_grpcweb_text_pieces);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
