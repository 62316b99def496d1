/*
 * base64.c - base64 in the two spellings the project uses (see ins_base64.h).
 *
 * One encoder walks whole groups of three bytes, then the one or two left
 * over; padding is the only difference between the spellings besides the
 * alphabet. The decoder accumulates six bits a character and emits a byte
 * whenever eight are ready, so it needs no lookahead.
 */
#include "ins_base64.h"

#include "ins_error.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t ins_b64_encoded_len(size_t n, ins_b64_mode mode)
{
    if (mode == INS_B64_URL)
        return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
    return (n + 2) / 3 * 4;
}

void ins_b64_encode(const void *in, size_t n, ins_b64_mode mode, char *out)
{
    const uint8_t *p = in;
    const char *tab = mode == INS_B64_URL ? url_alphabet : std_alphabet;
    int pad = mode != INS_B64_URL;
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i > 0) {
        uint32_t v = (uint32_t)p[i] << 16 | (n - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        if (n - i == 2)
            out[o++] = tab[v >> 6 & 63];
        else if (pad)
            out[o++] = '=';
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
}

/* Value of `c` in `mode`'s alphabet(s), or -1. */
static int value(char c, ins_b64_mode mode)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    if (mode == INS_B64_ANY && c == '+')
        return 62;
    if (mode == INS_B64_ANY && c == '/')
        return 63;
    return -1;
}

int ins_b64_decode(const char *in, size_t n, ins_b64_mode mode, uint8_t *out, size_t cap,
                   size_t *outlen)
{
    if (mode != INS_B64_URL && mode != INS_B64_ANY)
        return INS_EINVAL;
    if (mode == INS_B64_ANY) {
        while (n > 0 && in[n - 1] == '=')
            n--;
    }
    if (n % 4 == 1)
        return INS_EINVAL;
    size_t want = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
    if (want > cap)
        return INS_ETOOBIG;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = value(in[i], mode);
        if (v < 0)
            return INS_EINVAL;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (mode == INS_B64_URL && bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return INS_EINVAL; /* non-canonical: leftover bits must be zero */
    *outlen = o;
    return 0;
}
