/*
 * ins_utf8.h - checking UTF-8 the one way the project means it.
 *
 * Valid means well-formed per RFC 3629: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. The JSON codec (ins_pbjson.h)
 * refuses a string that is not valid UTF-8 when parsing and replaces each
 * invalid byte with U+FFFD when printing, so JSON text is always UTF-8.
 *
 * No allocation, no global state: thread-safe.
 */
#ifndef INS_UTF8_H
#define INS_UTF8_H

#include <stddef.h>

/*
 * Returns the byte offset of the first invalid UTF-8 sequence in
 * s[0..len), or `len` when all of it is valid. This function can't fail.
 */
size_t ins_utf8_check(const char *s, size_t len);

/*
 * Length of the valid UTF-8 sequence that starts at `p` and lies within
 * `avail` (> 0) bytes: 1 to 4, or 0 when the byte at `p` does not start a
 * valid sequence there. This function can't fail.
 */
size_t ins_utf8_seq(const char *p, size_t avail);

#endif /* INS_UTF8_H */
