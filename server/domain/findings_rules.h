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
 * Checks findings `b` against template `tpl`, the version they fill in.
 * First the answers are matched to the items (answers.h, strict scope: with
 * `only`, a re-inspection, answers are limited to those item codes and every
 * one of them must be answered); the sentence of a wrong kind adds what the
 * item takes ("item fire_exits has an answer of the wrong kind; it takes a
 * number"), that of an unanswered item the item's text. Then each answer's
 * value: within min..max for NUMBER, one of the choices for CHOICE, a text of
 * at most 4000 bytes for TEXT; its photo ids are 64 hex digits and at least
 * the item's minimum; no photo is cited twice, by one item or by two, so
 * the minimum counts distinct photos; its note and the findings' notes are
 * valid UTF-8 text.
 * Returns 0, or INS_EINVAL with a message naming the item in why[0..whylen)
 * (e.g. "item fire_exits: 12 is outside 1..10"); ENOMEM when out of memory.
 * Nothing is kept.
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
