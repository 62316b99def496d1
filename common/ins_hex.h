/*
 * ins_hex.h - lower-case hexadecimal text of bytes, both ways.
 *
 * The one hex codec of the project: photo ids and hashes (SHA-256 as 64
 * digits), request ids, page tokens, the dossier's manifest. Output is always
 * lower case; input must be lower case too, so one value has exactly one
 * spelling (a photo id is compared as text in keys and file names).
 *
 * No allocation, no global state: thread-safe.
 */
#ifndef INS_HEX_H
#define INS_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes the `n` bytes at `in` as 2n lower-case hex digits and a NUL into
 * `out`, which must have room for 2n + 1 bytes. `in` may be NULL when `n` is
 * 0 (`out` is then ""). This function can't fail.
 */
void ins_hex_encode(const void *in, size_t n, char *out);

/*
 * Decodes the `len` characters at `hex` (lower-case digits, two per byte)
 * into `out`, which must have room for len / 2 bytes.
 * Returns 0, or INS_EINVAL when `len` is odd or a character is not one of
 * 0-9a-f; on error `out` may have been partly written.
 */
int ins_hex_decode(const char *hex, size_t len, uint8_t *out);

#endif /* INS_HEX_H */
