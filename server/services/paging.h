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

/* One page of a List answer, as a handler scanned it. */
typedef struct ins_paging_page {
    const char *what;                            /* "tasks": in "listing tasks: ..." */
    const ProtobufCMessageDescriptor *resp_desc; /* e.g. ListTasksResponse */
    const char *items_field;                     /* its repeated message field */
    ProtobufCMessage **items;                    /* malloc'd array of n decoded items */
    size_t n;
    int more;            /* non-zero when rows follow the last item */
    const char *last_id; /* the id of items[n - 1], where the next page starts */
} ins_paging_page;

/*
 * Answers a paged List call: with `rc` 0, the response of type
 * pg->resp_desc carrying the items in pg->items_field and, when pg->more,
 * the token of the next page (ins_paging_next) in next_page_token; with `rc`
 * non-zero, fails the call "listing <what>: <error>". Either way it frees
 * every item and the array (ownership passes here). Can't fail otherwise.
 */
void ins_paging_reply(ins_call *call, const ins_cursor_query *q, const ins_paging_page *pg, int rc);

#endif /* INS_PAGING_H */
