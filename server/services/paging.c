/*
 * paging.c - page tokens and cursors of the services (see paging.h).
 */
#include "paging.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "ins_error.h"

#define QUERY_PARTS_MAX 16

int ins_paging_query(ins_call *call, ins_cursor_query *q, size_t n, const char *const *fields)
{
    const char *parts[QUERY_PARTS_MAX + 2];
    int rc = n <= QUERY_PARTS_MAX ? 0 : INS_EINTERNAL;
    if (rc == 0) {
        parts[0] = ins_call_method(call);
        parts[1] = ins_call_principal(call)->name;
        for (size_t i = 0; i < n; i++)
            parts[2 + i] = fields[i];
        rc = ins_cursor_query_make(q, n + 2, parts);
    }
    if (rc)
        ins_call_fail(call, rc, "building the page token's query: %s", ins_strerror(rc));
    return rc;
}

int ins_paging_after(ins_call *call, const ins_cursor_query *q, const char *field,
                     const char *token, uint64_t *seq, char *id, size_t cap)
{
    *seq = 0;
    id[0] = '\0';
    if (!token[0])
        return 0;
    if (ins_cursor_check(&ins_ctx_of(call)->cursor_key, q, token, seq, id, cap) == 0)
        return 0;
    ins_call_fail(call, INS_EINVAL, "%s " INS_CURSOR_WHY, field);
    return INS_EINVAL;
}

int ins_paging_next(ins_call *call, const ins_cursor_query *q, uint64_t seq, const char *id,
                    char *out, size_t cap)
{
    int rc = ins_cursor_make(&ins_ctx_of(call)->cursor_key, q, seq, id, out, cap);
    if (rc)
        ins_call_fail(call, INS_EINTERNAL, "writing the page token: %s", ins_strerror(rc));
    return rc;
}

void ins_paging_reply(ins_call *call, const ins_cursor_query *q, const ins_paging_page *pg, int rc)
{
    const ProtobufCMessageDescriptor *d = pg->resp_desc;
    const ProtobufCFieldDescriptor *items =
        protobuf_c_message_descriptor_get_field_by_name(d, pg->items_field);
    const ProtobufCFieldDescriptor *next =
        protobuf_c_message_descriptor_get_field_by_name(d, "next_page_token");
    ProtobufCMessage *resp = rc == 0 ? malloc(d->sizeof_message) : NULL;
    if (rc == 0 && (!resp || !items || !next))
        rc = resp ? INS_EINTERNAL : ENOMEM;
    if (rc) {
        ins_call_fail(call, rc, "listing %s: %s", pg->what, ins_strerror(rc));
    } else {
        d->message_init(resp);
        *(size_t *)((char *)resp + items->quantifier_offset) = pg->n;
        *(ProtobufCMessage ***)((char *)resp + items->offset) = pg->items;
        char token[INS_CURSOR_MAX] = "";
        if (!pg->more || pg->n == 0 ||
            ins_paging_next(call, q, 0, pg->last_id, token, sizeof token) == 0) {
            *(char **)((char *)resp + next->offset) = token;
            ins_call_reply(call, resp);
        }
    }
    free(resp); /* its fields are borrowed: the items are freed below */
    for (size_t i = 0; i < pg->n; i++)
        protobuf_c_message_free_unpacked(pg->items[i], NULL);
    free(pg->items);
}
