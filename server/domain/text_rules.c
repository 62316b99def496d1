/*
 * text_rules.c - shared message and string-field helpers of the domain rules.
 *
 * Kept apart so that every validator phrases "empty", "too long" and "not
 * UTF-8" the same way, and echoes user input in messages without letting a
 * megabyte or a terminal escape through.
 */
#include "text_rules.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ins_error.h"
#include "ins_utf8.h"

int ins_whyf(int err, char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return err;
}

const char *ins_show(const char *s, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return out;
    out[0] = '\0';
    if (!s)
        return out;
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0, o = 0;
    while (i < len) {
        size_t n = ins_utf8_seq((const char *)p + i, len - i);
        size_t take = n ? n : 1;
        if (i + take > INS_SHOW_MAX || o + take + 4 > outlen) {
            if (o + 4 <= outlen) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7F))) {
            out[o++] = '?';
        } else {
            memcpy(out + o, p + i, n);
            o += n;
        }
        i += take;
    }
    out[o] = '\0';
    return out;
}

int ins_text_check(const char *field, const char *value, size_t maxlen, int required, char *why,
                   size_t whylen)
{
    size_t len = value ? strlen(value) : 0;
    if (len == 0) {
        if (required)
            return ins_whyf(INS_EINVAL, why, whylen, "%s is empty", field);
        return 0;
    }
    if (len > maxlen)
        return ins_whyf(INS_EINVAL, why, whylen, "%s is %zu bytes long; at most %zu", field, len,
                        maxlen);
    size_t ok = ins_utf8_check(value, len);
    if (ok != len)
        return ins_whyf(INS_EINVAL, why, whylen, "%s is not valid UTF-8 (at byte %zu)", field,
                        ok + 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c == 0x7F)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s contains a control character (0x%02X) at byte %zu", field, c,
                            i + 1);
    }
    return 0;
}

int ins_id_check(const char *field, const char *value, size_t maxlen, char *why, size_t whylen)
{
    int rc = ins_text_check(field, value, maxlen, 1, why, whylen);
    if (rc)
        return rc;
    for (const char *p = value; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7F) {
            char shown[INS_SHOW_MAX + 4];
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s %s has %s at byte %zu; ids use printable ASCII without "
                            "spaces (e.g. XD-2026-000123)",
                            field, ins_show(value, shown, sizeof(shown)),
                            c == ' ' ? "a space" : "a non-ASCII character",
                            (size_t)(p - value) + 1);
        }
    }
    return 0;
}
