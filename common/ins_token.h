/*
 * ins_token.h - bearer tokens: the node's token keys (a keyring with key
 * ids, rotated and retired), signing, verifying, and the durations a
 * token's lifetime is given in.
 *
 * A bearer token, sent in the `authorization` metadata ("Bearer <token>"),
 * is HMAC-SHA-256 signed with one of the node's keys over key id, principal,
 * role, department, districts (ins_district.h), issued-at and expiry. The server verifies it (the
 * gRPC glue that reads the metadata is server/rpc/call.c; the other way in, a client certificate,
 * is server/rpc/auth_peer.h); `inspectctl token issue` signs one offline from the data folder's
 * keys. Hence it lives in common/: no gRPC, no LMDB. Whether the principal is still active or the
 * token was revoked is not a property of the token: the server checks that against its store on
 * every call (services/directory.h, ins_directory_admit).
 *
 * Keys. Every key is 32 random bytes in a file of its own, mode 0600:
 * - DATA_DIR/token.key is key 0, created on first use (the only key before
 *   rotation existed);
 * - once a key has been rotated, DATA_DIR/token-keys/<id>.key holds every
 *   key still accepted (key 0 copied there as 0.key) and token.key is no
 *   longer read. The key with the highest id signs; every key present
 *   verifies. Rotating adds <max+1>.key; retiring a key deletes its file,
 *   and tokens it signed are refused from then on.
 *
 * Token text: base64url(payload) "." base64url(mac), payload
 * "v3\n<key id>\n<principal>\n<role>\n<department>\n<districts>\n<issued
 * unix ms>\n<expiry unix seconds>" for a token with a district claim ("a,b"
 * or "*"), and "v2\n..." without the districts line for a token without
 * one, which holds the default district only (ins_district.h). Nodes of one
 * province share one keyring (DATA_DIR/token-keys copied to every node), so
 * a token of several districts verifies on each of them. Tokens of the first format,
 * "v1\n<principal>\n<role>\n <department>\n<expiry>", are still accepted while key 0 is: they carry
 * no issued-at (issued_ms 0), so any revocation of their principal refuses
 * them.
 */
#ifndef INS_TOKEN_H
#define INS_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "ins_principal.h"

#define INS_TOKEN_KEY_BYTES 32
#define INS_TOKEN_MAX       768 /* longest token text, NUL included */

#define INS_TOKEN_KEYS_MAX 16 /* keys accepted at once */

/* The key files in a data folder (see above); a backup copies both. */
#define INS_TOKEN_KEY_FILE "token.key"
#define INS_TOKEN_KEYS_DIR "token-keys"

typedef struct ins_token_key {
    unsigned char bytes[INS_TOKEN_KEY_BYTES];
    uint32_t id; /* 0: DATA_DIR/token.key; n: token-keys/<n>.key */
} ins_token_key;

/* Every accepted key, in ascending id order; keys[n - 1] signs. */
typedef struct ins_token_keyring {
    ins_token_key keys[INS_TOKEN_KEYS_MAX];
    size_t n;
} ins_token_keyring;

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
 * Loads every accepted key of DATA_DIR (see the top of this file): the
 * files of DATA_DIR/token-keys when that folder exists, else token.key as
 * key 0 (created as ins_token_key_load does). Returns 0; INS_ENOTFOUND
 * when token-keys holds no key; INS_ETOOBIG when it holds more than
 * INS_TOKEN_KEYS_MAX; INS_ECORRUPT for a key file of the wrong size;
 * errno on I/O failure. On error `*out` is unspecified.
 */
int ins_token_keyring_load(const char *data_dir, ins_token_keyring *out);

/* The signing key of `ring` (the highest id). `ring->n` must be >= 1.
 * This function can't fail. */
const ins_token_key *ins_token_keyring_active(const ins_token_keyring *ring);

/*
 * Rotates: creates key <highest id + 1> in DATA_DIR/token-keys (creating
 * the folder with key 0 copied into it on the first rotation), which signs
 * every token issued from then on; the older keys still verify until they
 * are retired. A running server sees the change on its next call. Sets
 * `*new_id`. Returns 0; ENOENT or INS_ENOTFOUND as ins_token_issue when
 * DATA_DIR is no folder or holds no key yet (never creates key 0);
 * INS_ETOOBIG when INS_TOKEN_KEYS_MAX keys are accepted already (retire
 * one first); errors of ins_token_keyring_load.
 * Two processes rotating at the same moment agree on one new key.
 */
int ins_token_keyring_rotate(const char *data_dir, uint32_t *new_id);

/*
 * Retires key `id`: deletes its file, so tokens it signed are refused from
 * the next call on. Returns 0; INS_ENOTFOUND when no such key is accepted;
 * INS_ESTATE when `id` is the signing key (rotate first) or key 0 before
 * any rotation; errno on I/O failure.
 */
int ins_token_keyring_retire(const char *data_dir, uint32_t id);

/*
 * The keys a running server verifies with: loaded from DATA_DIR, and
 * loaded again when DATA_DIR/token-keys changes (one stat(2) per verify;
 * a folder changed less than two seconds ago is read again on every call,
 * so a change within one timestamp tick is never missed). If the folder
 * cannot be read again (a stray file, EACCES), the keys read before stay in
 * use and the failure is written to stderr once. Thread-safe: verifying
 * threads share one mutex, held only to look at the folder and copy the
 * keys, not while a token is checked.
 */
typedef struct ins_token_keys ins_token_keys;

/* Opens the keys of `data_dir` (copied). Returns 0 or an error of
 * ins_token_keyring_load, ENOMEM; on error `*out` is NULL. */
int ins_token_keys_open(const char *data_dir, ins_token_keys **out);

/* Frees `k`. NULL is fine. No verify may be running. */
void ins_token_keys_close(ins_token_keys *k);

/*
 * ins_token_keyring_verify with the current keys. When the keys cannot be
 * read again, the last keys read are used (and the failure is not
 * reported: a rotation half done by hand must not lock everybody out).
 */
int ins_token_keys_verify(ins_token_keys *k, const char *token, int64_t now_unix,
                          ins_principal *out, const char **why);

/*
 * Writes a token for `p` (name, role, department, districts (canonical, or
 * "" for none), expires_unix; issued_ms,
 * or the current time when 0) signed with `key` (its id goes into the
 * token) into `out`
 * (`outlen` bytes, at least INS_TOKEN_MAX). Returns 0, or INS_EINVAL when a
 * field is empty where required (name, expiry > 0), contains a newline or
 * another control character, the districts are not a canonical list, or
 * the role is INS_ROLE_NONE or unknown;
 * INS_ETOOBIG when `out` is too small.
 */
int ins_token_sign(const ins_token_key *key, const ins_principal *p, char *out, size_t outlen);

/*
 * Signs a token for `p` with the signing key of DATA_DIR: what `inspectctl
 * token issue` does. Never creates a key: a token signed with a key the
 * server has not got would be refused by it. Returns 0; ENOENT (or
 * ENOTDIR) when DATA_DIR is not a folder; INS_ENOTFOUND when it holds
 * neither token.key nor token-keys/ (no server has started on it); or an
 * error of ins_token_keyring_load or ins_token_sign.
 */
int ins_token_issue(const char *data_dir, const ins_principal *p, char *out, size_t outlen);

/*
 * Verifies `token` against the key of `ring` its key id names (key 0 for a
 * v1 token) at time `now_unix` and fills `out` (method INS_AUTH_BEARER,
 * issued_ms, key_id, districts: "" for a v1 or v2 token). Returns 0 (`*why` set to NULL), or
 * INS_EAUTH with
 * `*why` (`why` may be NULL) set to a static text a person can act on:
 * "malformed token", "token was signed with a key that has been retired
 * (or never existed here): ask for a new token", "token signature does not
 * verify (tampered or signed with another key)", "token has expired"
 * (now_unix >= expiry), or "token names an unknown role". Only the version
 * and key id are read before the MAC is checked (in constant time); the
 * rest is parsed once it verifies. On error `*out` is left untouched.
 */
int ins_token_keyring_verify(const ins_token_keyring *ring, const char *token, int64_t now_unix,
                             ins_principal *out, const char **why);

/* ins_token_keyring_verify with a keyring of the one key `key`. */
int ins_token_verify(const ins_token_key *key, const char *token, int64_t now_unix,
                     ins_principal *out, const char **why);

/*
 * Parses a duration such as "90s", "30m", "12h", "7d" into seconds: decimal
 * digits, then exactly one unit letter. Returns 0 and sets `*secs`, or
 * INS_EINVAL for anything else, for zero, and on overflow.
 */
int ins_duration_parse(const char *text, int64_t *secs);

#endif /* INS_TOKEN_H */
