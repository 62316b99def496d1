/*
 * ins_cursor.h - the server's own cursors and page tokens: opaque,
 * authenticated and bound to the query they came from.
 *
 * Every page token (the List methods' next_page_token) and every opaque
 * cursor (Field.SyncTasks) is built and checked here and nowhere else. A
 * token carries a position (a sequence number and an id, either may be
 * unused) and an HMAC-SHA-256 with the node's cursor key over the position
 * and the digest of the query: the method, the principal that asked, and
 * the request's filter fields and page size as the server normalised them.
 * So a token the server did not hand out, one altered by a single bit, one
 * from another node, and one handed out for another query (another filter,
 * another page size, another caller) all fail the same check, and the
 * position inside is trusted only after the MAC verifies (in constant time).
 *
 * Token text: base64url (unpadded, strict) of
 *   0x01 (format) | seq (u64 big-endian) | id bytes | mac (32 bytes)
 * where mac = HMAC-SHA-256(cursor key, "inspectd-cursor-v1" | query digest |
 * the bytes before the mac), and the query digest is SHA-256 over each part
 * of the query as a 4-byte big-endian length followed by its bytes.
 *
 * The cursor key is derived from the node's token key (DATA_DIR/token.key)
 * as HMAC-SHA-256(token key, "inspectd cursor key v1"), so the two never
 * share a key and no second key file is needed. Feed positions that clients
 * legitimately keep as numbers (Departments.PullChanges, Audit.ListEvents)
 * are not tokens: their handlers check them against the head instead.
 *
 * No allocation beyond OpenSSL's digest context, no global state:
 * thread-safe. No gRPC, no LMDB.
 */
#ifndef INS_CURSOR_H
#define INS_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#define INS_CURSOR_KEY_BYTES 32
#define INS_CURSOR_ID_MAX    255 /* longest id a token carries, NUL not included */
#define INS_CURSOR_MAX       400 /* longest token text, NUL included */

typedef struct ins_cursor_key {
    unsigned char bytes[INS_CURSOR_KEY_BYTES];
} ins_cursor_key;

/* The query a token is bound to (a digest; see ins_cursor_query_make). */
typedef struct ins_cursor_query {
    unsigned char digest[32];
} ins_cursor_query;

/* What a handler answers for a token that does not check, whatever the
 * reason (forged, altered, another node's, another query's). */
#define INS_CURSOR_WHY "was not issued for this query; start again without one"

/*
 * Derives the cursor key from the node key bytes (`len` bytes at `node`,
 * the token key). Returns 0, or INS_EINTERNAL if OpenSSL fails (then `*out`
 * is unspecified).
 */
int ins_cursor_key_derive(const void *node, size_t len, ins_cursor_key *out);

/*
 * Computes the digest of a query from `n` NUL-terminated parts (NULL counts
 * as ""): by convention the full method name, the principal, then the
 * normalised request fields in a fixed order (numbers as decimal text).
 * Returns 0, or INS_EINTERNAL / ENOMEM if OpenSSL fails (then `*q` is
 * unspecified).
 */
int ins_cursor_query_make(ins_cursor_query *q, size_t n, const char *const *parts);

/*
 * Writes the token of position (`seq`, `id`) for query `q` into `out`
 * (`outlen` bytes, at least INS_CURSOR_MAX). `id` may be NULL (as ""), and
 * is at most INS_CURSOR_ID_MAX bytes. Returns 0; INS_EINVAL for a longer
 * id; INS_ETOOBIG when `out` is too small; INS_EINTERNAL if OpenSSL fails.
 */
int ins_cursor_make(const ins_cursor_key *key, const ins_cursor_query *q, uint64_t seq,
                    const char *id, char *out, size_t outlen);

/*
 * Checks `token` against `key` and query `q` and gives back its position:
 * `*seq` and the id, NUL-terminated, in `id` (`idlen` bytes; an id that
 * does not fit is refused). Returns 0, or INS_EINVAL for anything that is
 * not a token this node made for this query (answer INS_CURSOR_WHY). On
 * error `*seq` and `id` are unspecified.
 */
int ins_cursor_check(const ins_cursor_key *key, const ins_cursor_query *q, const char *token,
                     uint64_t *seq, char *id, size_t idlen);

#endif /* INS_CURSOR_H */
