/*
 * ins_key.h - order-preserving key encoding.
 *
 * LMDB compares keys as bytes. Keys built here compare as bytes exactly as
 * their values compare, component by component:
 *   - unsigned integers: fixed width, big-endian;
 *   - signed integers: fixed width, big-endian, sign bit flipped;
 *   - strings and byte strings: a 16-bit big-endian length, then the bytes.
 *     Strings therefore order by length first, then bytewise ("shortlex");
 *     this keeps every component self-delimiting, so a prefix scan on a
 *     leading string never runs into a longer string;
 *   - raw fixed-width bytes (hashes): as they are.
 * A key is built in a caller-owned ins_key (no allocation). Overflowing
 * INS_KEY_MAX sets a sticky error that ins_key_err() reports; the builder
 * never writes past the buffer. These functions are thread-safe on distinct
 * keys.
 */
#ifndef INS_KEY_H
#define INS_KEY_H

#include <stddef.h>
#include <stdint.h>

/* LMDB's default maximum key size. */
#define INS_KEY_MAX 511

typedef struct ins_key {
    uint8_t buf[INS_KEY_MAX];
    size_t len;
    int err; /* 0, or INS_EINVAL once a component did not fit */
} ins_key;

/* Empties `k`. Can't fail. */
void ins_key_init(ins_key *k);
/* Append one component. On overflow the key is left as it was and its
 * sticky error is set to INS_EINVAL. */
void ins_key_u8(ins_key *k, uint8_t v);
void ins_key_u32(ins_key *k, uint32_t v);
void ins_key_u64(ins_key *k, uint64_t v);
void ins_key_i64(ins_key *k, int64_t v);
/* `s` must be NUL-terminated and at most 65535 bytes long. */
void ins_key_str(ins_key *k, const char *s);
/*
 * Text in lexicographic order: the bytes of `s` with each 0x00 written as
 * 0x00 0xff, then the terminator 0x00 0x01. Keys built from text components
 * sort as the texts do (byte order, "b" after "aa"), and a text component is
 * never a prefix of a longer one, so it can serve as a scan prefix.
 * Use it where listings must come out in name or id order.
 */
void ins_key_text(ins_key *k, const char *s);
/* Length-prefixed bytes; `n` at most 65535. `p` may be NULL when n is 0. */
void ins_key_bytes(ins_key *k, const void *p, size_t n);
/* Raw fixed-width bytes, no prefix (for hashes and the like). */
void ins_key_raw(ins_key *k, const void *p, size_t n);
/* Returns 0, or INS_EINVAL if any component overflowed the key. */
int ins_key_err(const ins_key *k);

/*
 * Reading a key back. The reader borrows `p`, which must stay valid while it
 * is used. Each getter returns 0, or INS_ECORRUPT when the key is too short;
 * the error is sticky.
 */
typedef struct ins_key_reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
    int err;
} ins_key_reader;

void ins_keyr_init(ins_key_reader *r, const void *p, size_t len);
int ins_keyr_u8(ins_key_reader *r, uint8_t *v);
int ins_keyr_u32(ins_key_reader *r, uint32_t *v);
int ins_keyr_u64(ins_key_reader *r, uint64_t *v);
int ins_keyr_i64(ins_key_reader *r, int64_t *v);
/* Points *p into the key (not NUL-terminated) and sets *n to its length. */
int ins_keyr_bytes(ins_key_reader *r, const void **p, size_t *n);
int ins_keyr_raw(ins_key_reader *r, void *out, size_t n);
/*
 * Reads a component written by ins_key_text into out[0..cap) as a
 * NUL-terminated string (out may be NULL to skip it). Returns 0, or
 * INS_EINVAL when the component is malformed or does not fit.
 */
int ins_keyr_text(ins_key_reader *r, char *out, size_t cap);

/* Big-endian helpers for values as well as keys. Can't fail. */
void ins_be64_put(uint8_t out[8], uint64_t v);
uint64_t ins_be64_get(const uint8_t in[8]);

#endif /* INS_KEY_H */
