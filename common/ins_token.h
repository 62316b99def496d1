/*
 * ins_token.h - bearer tokens: the node's token key, signing, verifying, and
 * the durations a token's lifetime is given in.
 *
 * A bearer token, sent in the `authorization` metadata ("Bearer <token>"),
 * is HMAC-SHA-256 signed with the node's key over principal, role,
 * department and expiry. The server verifies it (the gRPC glue that reads
 * the metadata is server/rpc/call.c; the other way in, a client certificate,
 * is server/rpc/auth_peer.h); `inspectctl token issue` signs one offline
 * from the data folder's key. Hence it lives in common/: no gRPC, no LMDB.
 *
 * The token key is 32 random bytes in DATA_DIR/token.key, created with mode
 * 0600 on first use. Token text: base64url(payload) "." base64url(mac), where
 * payload is "v1\n<principal>\n<role>\n<department>\n<expiry unix seconds>".
 */
#ifndef INS_TOKEN_H
#define INS_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "ins_principal.h"

#define INS_TOKEN_KEY_BYTES 32
#define INS_TOKEN_MAX       512 /* longest token text, NUL included */

typedef struct ins_token_key {
    unsigned char bytes[INS_TOKEN_KEY_BYTES];
} ins_token_key;

/*
 * Loads DATA_DIR/token.key, creating it (and DATA_DIR) with fresh random bytes
 * and mode 0600 when it does not exist. Safe against two processes creating
 * it at once (the file is written under a temporary name and linked).
 * Returns 0; INS_ECORRUPT if the file has the wrong size; errno on I/O
 * failure (EACCES, ENOSPC, ...), EIO if the random generator fails. On
 * error `*out` is unspecified.
 */
int ins_token_key_load(const char *data_dir, ins_token_key *out);

/*
 * Writes a token for `p` (name, role, department, expires_unix) into `out`
 * (`outlen` bytes, at least INS_TOKEN_MAX). Returns 0, or INS_EINVAL when a
 * field is empty where required (name, expiry > 0), contains a newline or
 * another control character, or the role is INS_ROLE_NONE or unknown;
 * INS_ETOOBIG when `out` is too small.
 */
int ins_token_sign(const ins_token_key *key, const ins_principal *p, char *out, size_t outlen);

/*
 * Verifies `token` against `key` at time `now_unix` and fills `out`
 * (method INS_AUTH_BEARER). Returns 0 (`*why` set to NULL), or INS_EAUTH
 * with `*why` (`why` may be NULL) set to a static text a person can act on:
 * "malformed token", "token signature does not verify (tampered or signed
 * with another key)", "token has expired" (now_unix >= expiry), or "token
 * names an unknown role". The MAC is compared in constant time and checked
 * before the payload is parsed. On error `*out` is left untouched.
 */
int ins_token_verify(const ins_token_key *key, const char *token, int64_t now_unix,
                     ins_principal *out, const char **why);

/*
 * Parses a duration such as "90s", "30m", "12h", "7d" into seconds: decimal
 * digits, then exactly one unit letter. Returns 0 and sets `*secs`, or
 * INS_EINVAL for anything else, for zero, and on overflow.
 */
int ins_duration_parse(const char *text, int64_t *secs);

#endif /* INS_TOKEN_H */
