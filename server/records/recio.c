/*
 * recio.c - records in tables (see recio.h).
 */
#include "recio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_audit.h"
#include "ins_feed.h"
#include "rec_audit.h"
#include "tables.h"
#include "records.h"

int ins_recio_get(ins_rtxn *r, ins_table table, const ins_key *key,
                  const ProtobufCMessageDescriptor *rec, const ProtobufCMessageDescriptor *wire,
                  ProtobufCMessage **out)
{
    ins_val v;
    int rc = ins_rtxn_get(r, table, key->buf, key->len, &v);
    return rc ? rc : ins_rec_decode(v.data, v.len, rec, wire, out);
}

int ins_recio_wget(ins_wtxn *t, ins_table table, const ins_key *key,
                   const ProtobufCMessageDescriptor *rec, const ProtobufCMessageDescriptor *wire,
                   ProtobufCMessage **out)
{
    ins_val v;
    int rc = ins_wtxn_get(t, table, key->buf, key->len, &v);
    return rc ? rc : ins_rec_decode(v.data, v.len, rec, wire, out);
}

void ins_recio_id_key(ins_key *k, const char *id)
{
    ins_key_init(k);
    ins_key_text(k, id);
}

int ins_recio_get_id(ins_rtxn *r, const ins_recio_kind *kind, const char *id,
                     ProtobufCMessage **out)
{
    ins_key k;
    ins_recio_id_key(&k, id);
    return ins_recio_get(r, kind->table, &k, kind->rec, kind->wire, out);
}

int ins_recio_wget_id(ins_wtxn *t, const ins_recio_kind *kind, const char *id,
                      ProtobufCMessage **out)
{
    ins_key k;
    ins_recio_id_key(&k, id);
    return ins_recio_wget(t, kind->table, &k, kind->rec, kind->wire, out);
}

int ins_recio_raw_id(ins_rtxn *r, ins_table table, const char *id, ins_val *out)
{
    ins_key k;
    ins_recio_id_key(&k, id);
    return ins_rtxn_get(r, table, k.buf, k.len, out);
}

int ins_recio_store(ins_wtxn *t, ins_table table, const ins_key *key, const ProtobufCMessage *wire,
                    const ProtobufCMessageDescriptor *rec, const ins_change *ch)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = ins_rec_encode(wire, rec, &bytes, &len);
    if (rc)
        return rc;
    rc = ins_wtxn_put(t, table, key->buf, key->len, bytes, len, 0);
    if (rc == 0) {
        char action[64], entity[256];
        snprintf(action, sizeof action, "%s.%s", ch->kind, ch->change);
        int n = snprintf(entity, sizeof entity, "%s/%s", ch->kind, ch->id);
        size_t elen = n < 0 ? 0 : (size_t)n < sizeof entity ? (size_t)n : sizeof entity - 1;
        uint64_t seq = 0;
        rc = ins_wtxn_audit(t, ch->actor, action, entity, elen, bytes, len, &seq);
        if (rc == 0)
            rc = ins_audit_index_put(t, entity, ch->actor, seq);
        if (rc == 0)
            rc = ins_wtxn_feed(t, ch->kind, entity, elen, ch->change, ch->departments,
                               ch->n_departments, NULL);
    }
    free(bytes);
    return rc;
}

int ins_recio_id_row(void *arg, const ins_val *key, const ins_val *val)
{
    const ins_id_scan *s = arg;
    (void)val;
    ins_key_reader kr;
    char buf[256];
    ins_keyr_init(&kr, key->data, key->len);
    for (int i = 0; i < s->skip; i++)
        if (ins_keyr_text(&kr, NULL, 0))
            return INS_ECORRUPT;
    if (ins_keyr_text(&kr, buf, sizeof buf))
        return INS_ECORRUPT;
    return s->fn(s->arg, buf);
}

typedef struct collect {
    const ProtobufCMessageDescriptor *rec, *wire;
    ProtobufCMessage **items;
    size_t n, cap;
    int err;
} collect;

static int collect_one(void *arg, const ins_val *key, const ins_val *val)
{
    collect *c = arg;
    (void)key;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        void *p = realloc(c->items, cap * sizeof *c->items);
        if (!p)
            return c->err = ENOMEM;
        c->items = p;
        c->cap = cap;
    }
    int rc = ins_rec_decode(val->data, val->len, c->rec, c->wire, &c->items[c->n]);
    if (rc)
        return c->err = rc;
    c->n++;
    return 0;
}

void ins_recio_free_all(ProtobufCMessage **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(items[i], NULL);
    free(items);
}

int ins_recio_collect(ins_rtxn *r, ins_table table, const ProtobufCMessageDescriptor *rec,
                      const ProtobufCMessageDescriptor *wire, ProtobufCMessage ***out, size_t *n)
{
    collect c = {.rec = rec, .wire = wire};
    int rc = ins_rtxn_scan(r, table, NULL, 0, NULL, 0, collect_one, &c);
    if (c.err || rc) {
        ins_recio_free_all(c.items, c.n);
        return c.err ? c.err : rc;
    }
    *out = c.items;
    *n = c.n;
    return 0;
}
