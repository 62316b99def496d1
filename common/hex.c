/*
 * hex.c - lower-case hex text of bytes (see ins_hex.h).
 */
#include "ins_hex.h"

#include "ins_error.h"

static const char digits[] = "0123456789abcdef";

void ins_hex_encode(const void *in, size_t n, char *out)
{
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int ins_hex_decode(const char *hex, size_t len, uint8_t *out)
{
    if (len % 2 != 0)
        return INS_EINVAL;
    for (size_t i = 0; i < len; i += 2) {
        int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return INS_EINVAL;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
