/*
 * ins_base64.h - base64 (RFC 4648), the one codec of the project.
 *
 * Two spellings are in use and both live here:
 *   - INS_B64_STD: the standard alphabet (+ /) with '=' padding, what the
 *     proto3 JSON mapping prints for `bytes` fields;
 *   - INS_B64_URL: the URL-safe alphabet (- _) without padding, what a
 *     bearer token is made of (ins_token.h).
 * Decoding has two modes: INS_B64_URL strict (only the URL-safe alphabet, no
 * padding, unused trailing bits zero: one token has one spelling), and
 * INS_B64_ANY lenient (either alphabet, padding optional), which is how the
 * proto3 JSON mapping reads `bytes`.
 *
 * No allocation, no global state: thread-safe.
 */
#ifndef INS_BASE64_H
#define INS_BASE64_H

#include <stddef.h>
#include <stdint.h>

typedef enum ins_b64_mode {
    INS_B64_STD = 0, /* encode: + / and '=' padding; decode: not accepted, use ANY */
    INS_B64_URL = 1, /* encode: - _ unpadded; decode: strictly that */
    INS_B64_ANY = 2, /* decode only: either alphabet, padding optional */
} ins_b64_mode;

/*
 * Length of the text ins_b64_encode() writes for `n` bytes in `mode`
 * (INS_B64_STD or INS_B64_URL), NUL not included. This function can't fail.
 */
size_t ins_b64_encoded_len(size_t n, ins_b64_mode mode);

/*
 * Writes `n` bytes at `in` as base64 in `mode` (INS_B64_STD or INS_B64_URL)
 * and a NUL into `out`, which must have room for
 * ins_b64_encoded_len(n, mode) + 1 bytes. This function can't fail.
 */
void ins_b64_encode(const void *in, size_t n, ins_b64_mode mode, char *out);

/* Most bytes that `n` characters of base64 can decode to. Can't fail. */
#define INS_B64_DECODED_MAX(n) ((n) / 4 * 3 + 2)

/*
 * Decodes the `n` characters at `in` in `mode` (INS_B64_URL strict, or
 * INS_B64_ANY) into `out` (`cap` bytes) and stores the decoded length in
 * `*outlen`. Returns 0; INS_EINVAL when the text is not base64 in that mode
 * (a character outside the alphabet, a length of 1 mod 4, padding where
 * none is allowed, non-zero unused bits in strict mode); INS_ETOOBIG when
 * `cap` is too small. On error `*outlen` is unspecified and `out` may have
 * been partly written.
 */
int ins_b64_decode(const char *in, size_t n, ins_b64_mode mode, uint8_t *out, size_t cap,
                   size_t *outlen);

#endif /* INS_BASE64_H */
