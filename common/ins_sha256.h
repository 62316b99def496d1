/*
 * ins_sha256.h - SHA-256 through one digest object fetched once per process.
 *
 * OpenSSL 3 resolves EVP_sha256() against its providers on every
 * EVP_DigestInit_ex (a lock and a hash-table lookup: a tenth of a durable
 * commit's instructions went there); the object fetched here once is used
 * by every hash of the project instead.
 */
#ifndef INS_SHA256_H
#define INS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/*
 * The SHA-256 EVP_MD, fetched on first use (thread-safe) and kept for the
 * life of the process; borrowed, never freed by the caller. Falls back to
 * EVP_sha256() if the fetch fails, so it is never NULL.
 */
const EVP_MD *ins_sha256_md(void);

/* SHA-256 of the `n` bytes at `p` into `out`. Returns 0, or ENOMEM when
 * OpenSSL cannot allocate its context (out is then zeroed). */
int ins_sha256(const void *p, size_t n, uint8_t out[32]);

/*
 * HMAC-SHA-256 of the `n` bytes at `p` under the `keylen`-byte `key`, into
 * `out`. Each thread keeps the prepared state of the last few keys it used
 * (their inner and outer pads), so a bearer token is checked without a
 * provider lookup and a key schedule per call: OpenSSL's one-shot HMAC()
 * fetches the MAC and the digest by name every time (about 24,000
 * instructions, half a small call's cost). Keys longer than 64 bytes are
 * not kept. Returns 0, or INS_EINTERNAL when OpenSSL fails (out zeroed).
 * The kept key copies are wiped when their thread exits.
 */
int ins_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n, uint8_t out[32]);

#endif /* INS_SHA256_H */
