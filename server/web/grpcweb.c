/*
 * grpcweb.c - the gRPC-Web frames and the base64 of grpc-web-text (see
 * grpcweb.h). Pure functions over byte buffers.
 */
#include "grpcweb.h"

#include <stdio.h>
#include <string.h>

#include "ins_base64.h"
#include "ins_error.h"

int ins_gw_request_message(const uint8_t *body, size_t n, size_t max, const uint8_t **msg,
                           size_t *len, char *why, size_t whylen)
{
    if (n < INS_GW_HEADER) {
        snprintf(why, whylen,
                 "the gRPC-Web request body holds %zu bytes; a message frame needs a 5-byte "
                 "header (flag and length) first",
                 n);
        return INS_EINVAL;
    }
    uint32_t declared = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 8 |
                        (uint32_t)body[4];
    if (body[0] != INS_GW_MESSAGE) {
        snprintf(why, whylen,
                 "the gRPC-Web request frame has flag 0x%02x; only an uncompressed message "
                 "frame (0x00) is accepted",
                 body[0]);
        return INS_EINVAL;
    }
    if (declared > max) {
        snprintf(why, whylen, "Received message larger than max (%u vs. %zu)", declared, max);
        return INS_ETOOBIG;
    }
    if (n - INS_GW_HEADER < declared) {
        snprintf(why, whylen,
                 "the gRPC-Web request frame declares %u bytes but the body holds %zu after "
                 "its header",
                 declared, n - INS_GW_HEADER);
        return INS_EINVAL;
    }
    if (n - INS_GW_HEADER > declared) {
        snprintf(why, whylen,
                 "the gRPC-Web request carries %zu bytes after its one message; a unary or "
                 "server-streaming call takes exactly one",
                 n - INS_GW_HEADER - declared);
        return INS_EINVAL;
    }
    *msg = body + INS_GW_HEADER;
    *len = declared;
    return 0;
}

void ins_gw_frame_header(uint8_t flag, uint32_t len, uint8_t out[INS_GW_HEADER])
{
    out[0] = flag;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
}

/* Percent-encodes `in` as gRPC spells grpc-message: bytes outside 0x20..0x7e
 * and '%' become %XX. Stops before a character that would not fit in `cap`
 * (never inside one UTF-8 sequence). Returns the length written. */
static size_t percent_encode(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; in[i];) {
        size_t seq = 1;
        unsigned char b = (unsigned char)in[i];
        if (b >= 0xc0)
            seq = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        size_t need = 0;
        for (size_t k = 0; k < seq && in[i + k]; k++) {
            unsigned char ck = (unsigned char)in[i + k];
            need += (ck < 0x20 || ck > 0x7e || ck == '%') ? 3 : 1;
        }
        if (o + need > cap)
            break;
        for (size_t k = 0; k < seq && in[i]; k++, i++) {
            unsigned char ck = (unsigned char)in[i];
            if (ck < 0x20 || ck > 0x7e || ck == '%') {
                out[o++] = '%';
                out[o++] = hex[ck >> 4];
                out[o++] = hex[ck & 15];
            } else {
                out[o++] = (char)ck;
            }
        }
    }
    return o;
}

size_t ins_gw_trailer_frame(int code, const char *message, uint8_t *out, size_t cap)
{
    if (cap < INS_GW_HEADER + 64)
        return 0;
    char *text = (char *)out + INS_GW_HEADER;
    size_t room = cap - INS_GW_HEADER;
    int n = snprintf(text, room, "grpc-status: %d\r\n", code);
    size_t len = (size_t)n;
    if (message && message[0]) {
        memcpy(text + len, "grpc-message: ", 14);
        len += 14;
        len += percent_encode(message, text + len, room - len - 2);
        memcpy(text + len, "\r\n", 2);
        len += 2;
    }
    ins_gw_frame_header(INS_GW_TRAILERS, (uint32_t)len, out);
    return INS_GW_HEADER + len;
}

int ins_gw_text_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    /* Pieces end after their padding: "AAA=BBBB" is "AAA=" then "BBBB". */
    size_t total = 0, start = 0;
    while (start < n) {
        size_t end = start;
        while (end < n && in[end] != '=')
            end++;
        while (end < n && in[end] == '=')
            end++;
        size_t got = 0;
        int rc =
            ins_b64_decode(in + start, end - start, INS_B64_ANY, out + total, cap - total, &got);
        if (rc != 0)
            return rc;
        total += got;
        start = end;
    }
    *outlen = total;
    return 0;
}
