/*
 * findings_rules.h - a department's findings checked against the exact
 * template version it fills in; the canonical digest of findings and its
 * Ed25519 signature.
 *
 * Pure functions (OpenSSL for hashing and signatures): thread-safe.
 */
#ifndef INS_FINDINGS_RULES_H
#define INS_FINDINGS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/field.pb-c.h"

/*
 * Checks every answer of `b` against template `tpl`: each names an item of
 * the template once; its value has the item's kind (flag for BOOL, number
 * within min..max for NUMBER, one of the choices for CHOICE, text for TEXT,
 * none for PHOTO); required items are answered; each item has at least its
 * minimum of photos; photo ids are 64 hex digits. With `only` (n_only > 0,
 * a re-inspection) answers are limited to those item codes and only they are
 * required. Returns 0, or INS_EINVAL with a message naming the item, e.g.
 * "item fire_exits: 12 is outside 1..10".
 */
int ins_findings_validate(const Inspect__V1__FindingsBody *b, const Inspect__V1__Template *tpl,
                          char *const *only, size_t n_only, char *why, size_t whylen);

/* The canonical digest: SHA-256 of the deterministic encoding of `b`. */
void ins_findings_digest(const Inspect__V1__FindingsBody *b, uint8_t out[32]);

/*
 * Verifies an Ed25519 signature over `digest` with the raw 32-byte public
 * key. Returns 0, or INS_EAUTH when the signature does not verify or has
 * the wrong length; INS_EINVAL for a malformed key.
 */
int ins_findings_verify(const uint8_t *pubkey, size_t keylen, const uint8_t digest[32],
                        const uint8_t *sig, size_t siglen);

/* Non-zero when `id` is 64 lower- or upper-case hex digits. */
int ins_photo_id_valid(const char *id);

#endif /* INS_FINDINGS_RULES_H */
