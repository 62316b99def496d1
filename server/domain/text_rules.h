/*
 * text_rules.h - the small text checks every domain validator shares.
 *
 * Validators in server/domain answer with an error code and a sentence in a
 * caller-provided buffer (`char *why, size_t whylen`) naming the field and the
 * offending value. These helpers write that sentence, check a string field
 * (present, bounded, valid UTF-8, free of control characters) and shorten a
 * user-supplied value so it can be echoed safely inside a message.
 *
 * Pure functions: no allocation, no global state, thread-safe.
 */
#ifndef INS_TEXT_RULES_H
#define INS_TEXT_RULES_H

#include <stddef.h>

/* Longest part of a user value echoed in a message, in bytes. */
#define INS_SHOW_MAX 40

/*
 * Writes a printf-style message into why[0..whylen) (always NUL-terminated,
 * truncated if needed) and returns `err`, so a validator can
 * `return ins_whyf(INS_EINVAL, why, whylen, "...", ...)`. `why` may be NULL
 * or `whylen` 0: nothing is written. This function can't fail.
 */
int ins_whyf(int err, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Copies `s` into out[0..outlen) for display in a message: at most
 * INS_SHOW_MAX bytes, cut on a UTF-8 boundary and ended with "..." when
 * longer; control characters and invalid UTF-8 bytes become '?'. NULL shows
 * as "". Returns `out`. `outlen` must be at least 1 (INS_SHOW_MAX + 4 holds
 * any result). This function can't fail.
 */
const char *ins_show(const char *s, char *out, size_t outlen);

/*
 * Checks one text field named `field` (e.g. "applicant_name"):
 * - empty (NULL or "") is refused when `required` is non-zero;
 * - more than `maxlen` bytes is refused;
 * - invalid UTF-8 or a control character (below U+0020, or DEL) is refused.
 * Returns 0, or INS_EINVAL with a message in `why` such as
 * "applicant_name is empty" or "site_address is 612 bytes long; at most 500".
 */
int ins_text_check(const char *field, const char *value, size_t maxlen, int required, char *why,
                   size_t whylen);

/*
 * Checks an identifier field: like ins_text_check with `required` set, but
 * only printable ASCII without spaces is allowed (ids become storage keys
 * and appear in messages and URLs). Returns 0 or INS_EINVAL with a message.
 */
int ins_id_check(const char *field, const char *value, size_t maxlen, char *why, size_t whylen);

#endif /* INS_TEXT_RULES_H */
