/*
 * ed25519_rules.h - strict checks of the Ed25519 keys and signatures that
 * inspectors' tablets use to sign their findings (RFC 8032).
 *
 * OpenSSL verifies signatures but accepts any 32 bytes as a public key and
 * says nothing about why a key is weak. A key that is not a canonical
 * encoding of a point of the prime-order subgroup (the identity, a point of
 * small order, a point with torsion, y >= p, a point off the curve) lets
 * signatures verify for more than one message or be malleable, so such a key
 * is refused when it is registered, and a signature whose S is not below the
 * group order L, or whose R is not a canonical encoding, is refused before
 * OpenSSL sees it.
 *
 * Uses OpenSSL's BIGNUM for the field arithmetic (key checks are rare: one
 * per UpsertInspector); no global state, thread-safe.
 */
#ifndef INS_ED25519_RULES_H
#define INS_ED25519_RULES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Checks that `pk` (32 bytes, RFC 8032 encoding) is a canonical encoding of
 * a point of order L, the prime order of Ed25519's base point. Returns 0, or
 * INS_EINVAL with the reason in why[0..whylen) ("y is not below the field
 * prime", "not a point of the curve", "x is zero with the sign bit set", "a
 * point of small order", "not in the prime-order subgroup"); ENOMEM when out
 * of memory. `why` may be NULL.
 */
int ins_ed25519_key_check(const uint8_t pk[32], char *why, size_t whylen);

/*
 * Checks the encoding of signature `sig` (64 bytes: R ‖ S): S below L and
 * R's y below the field prime. Returns 0 or INS_EAUTH (non-canonical).
 */
int ins_ed25519_sig_canonical(const uint8_t sig[64]);

#endif /* INS_ED25519_RULES_H */
