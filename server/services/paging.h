/*
 * paging.h - the page tokens and opaque cursors of the services, through
 * the one token module (common/ins_cursor.h) with the node's cursor key.
 *
 * A handler describes its query once (method and caller are added here, the
 * handler gives its filter fields and page size as it normalised them),
 * reads the request's token with ins_paging_after and writes the next one
 * with ins_paging_next. A token for another query, another caller, another
 * node or none at all is refused the same way: INVALID_ARGUMENT "<field>
 * was not issued for this query; start again without one".
 */
#ifndef INS_PAGING_H
#define INS_PAGING_H

#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "ins_cursor.h"

/*
 * Builds the query of `call`: its method, its principal, then the `n`
 * request fields in `fields` (NULL as ""). Returns 0, or fails the call
 * (INTERNAL) and returns non-zero.
 */
int ins_paging_query(ins_call *call, ins_cursor_query *q, size_t n, const char *const *fields);

/*
 * Reads `token`, the request field named `field`, for query `q`: an empty
 * token gives seq 0 and id "" and returns 0; a token this node handed out
 * for `q` gives its position (`*seq`, `id` of `cap` bytes) and returns 0.
 * Anything else fails the call with INVALID_ARGUMENT and returns non-zero.
 */
int ins_paging_after(ins_call *call, const ins_cursor_query *q, const char *field,
                     const char *token, uint64_t *seq, char *id, size_t cap);

/*
 * Writes the token of position (`seq`, `id`) for query `q` into `out`
 * (`cap` bytes, at least INS_CURSOR_MAX). Returns 0, or fails the call
 * (INTERNAL for an id too long to carry, which a record id never is) and
 * returns non-zero.
 */
int ins_paging_next(ins_call *call, const ins_cursor_query *q, uint64_t seq, const char *id,
                    char *out, size_t cap);

#endif /* INS_PAGING_H */
