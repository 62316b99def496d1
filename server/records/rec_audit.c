/*
 * rec_audit.c - the audit trail's indexes (see rec_audit.h).
 *
 * Keys: audit_by_entity (entity, seq u64) and audit_by_actor (actor, seq
 * u64), empty values.
 */
#include "rec_audit.h"

#include <errno.h>
#include <stdlib.h>

#include "ins_error.h"
#include "ins_key.h"
#include "tables.h"

static void index_key(ins_key *k, const char *name, uint64_t seq)
{
    ins_key_init(k);
    ins_key_text(k, name);
    ins_key_u64(k, seq);
}

int ins_audit_index_put(ins_wtxn *t, const char *entity, const char *actor, uint64_t seq)
{
    ins_key k;
    index_key(&k, entity, seq);
    int rc = ins_wtxn_put(t, T_AUDIT_BY_ENTITY, k.buf, k.len, "", 0, 0);
    if (rc == 0) {
        index_key(&k, actor ? actor : "", seq);
        rc = ins_wtxn_put(t, T_AUDIT_BY_ACTOR, k.buf, k.len, "", 0, 0);
    }
    return rc;
}

typedef struct index_ctx {
    uint64_t **seqs;
    size_t *n, *cap;
    size_t max, taken;
    int err;
} index_ctx;

static int index_one(void *arg, const ins_val *key, const ins_val *val)
{
    index_ctx *ic = arg;
    (void)val;
    ins_key_reader kr;
    uint64_t seq;
    ins_keyr_init(&kr, key->data, key->len);
    if (ins_keyr_text(&kr, NULL, 0) || ins_keyr_u64(&kr, &seq))
        return ic->err = INS_ECORRUPT;
    if (*ic->n == *ic->cap) {
        size_t cap = *ic->cap ? *ic->cap * 2 : 64;
        uint64_t *p = realloc(*ic->seqs, cap * sizeof *p);
        if (!p)
            return ic->err = ENOMEM;
        *ic->seqs = p;
        *ic->cap = cap;
    }
    (*ic->seqs)[(*ic->n)++] = seq;
    ic->taken++;
    return ic->max && ic->taken >= ic->max ? 1 : 0;
}

int ins_audit_index_scan(ins_rtxn *r, ins_audit_index by, const char *name, uint64_t after,
                         size_t max, uint64_t **seqs, size_t *n, size_t *cap)
{
    ins_key prefix, start;
    ins_key_init(&prefix);
    ins_key_text(&prefix, name);
    start = prefix;
    ins_key_u64(&start, after + 1);
    if (ins_key_err(&start) || after == UINT64_MAX)
        return after == UINT64_MAX ? 0 : INS_EINVAL;
    index_ctx ic = {seqs, n, cap, max, 0, 0};
    int rc = ins_rtxn_scan(r, by == INS_AUDIT_BY_ACTOR ? T_AUDIT_BY_ACTOR : T_AUDIT_BY_ENTITY,
                           prefix.buf, prefix.len, start.buf, start.len, index_one, &ic);
    if (ic.err)
        return ic.err;
    return rc == 1 ? 0 : rc;
}
