/*
 * pbcheck.c - the wire boundary's generic check of a decoded message: every
 * string field at any depth (nested, repeated, map entries, oneofs) is valid
 * UTF-8, as proto3 requires, and every string, bytes and repeated field is
 * within its limit from the one table (ins_limits.h).
 *
 * protobuf-c does not check UTF-8 when it unpacks, and one invalid value
 * stored in a record breaks every stock client that later reads it. The walk
 * uses the message's own descriptor, so a new field is checked the day it is
 * added, and it names the field by its path ("answers[3].text") and, for a
 * limit, the size and the limit ("findings.notes is 9,120 bytes; at most
 * 8,000").
 */
#include "ins_pbcheck.h"

#include <stdio.h>
#include <string.h>

#include "ins_error.h"
#include "ins_limits.h"
#include "ins_utf8.h"

/* Deeper nesting than any inspect.v1 message; a hostile recursive message
 * (reflection's descriptors) is refused instead of walked without end. */
#define PB_MAX_DEPTH 32

typedef struct walk {
    char path[256];
    size_t len; /* bytes of path in use */
    char *why;
    size_t whylen;
} walk;

/* Appends ".name" or "name" (at the root) to the path; returns the old
 * length to restore. A path too long for the buffer is cut, never overrun. */
static size_t path_push(walk *w, const char *name, long index)
{
    size_t old = w->len;
    int n;
    if (index >= 0)
        n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "%s%s[%ld]", old ? "." : "", name,
                     index);
    else
        n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "%s%s", old ? "." : "", name);
    if (n > 0)
        w->len += (size_t)n < sizeof(w->path) - w->len ? (size_t)n : sizeof(w->path) - w->len - 1;
    return old;
}

static void path_pop(walk *w, size_t old)
{
    w->len = old;
    w->path[old] = '\0';
}

/* Writes `n` with thousands separators ("9,120") into out[0..32). */
static const char *grouped(size_t n, char out[32])
{
    char digits[24];
    int nd = snprintf(digits, sizeof digits, "%zu", n);
    size_t o = 0;
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

/* Refuses a field over its limit: `what` is "bytes" or "entries". */
static int over_limit(walk *w, size_t n, size_t max, const char *what)
{
    if (n <= max)
        return 0;
    char got[32], most[32];
    snprintf(w->why, w->whylen, "%s %s %s %s; at most %s", w->path, what[0] == 'b' ? "is" : "has",
             grouped(n, got), what, grouped(max, most));
    return INS_EINVAL;
}

static int check_string(walk *w, const char *s, size_t max)
{
    if (!s)
        return 0;
    size_t len = strlen(s);
    int rc = over_limit(w, len, max, "bytes");
    if (rc)
        return rc;
    size_t ok = ins_utf8_check(s, len);
    if (ok == len)
        return 0;
    snprintf(w->why, w->whylen,
             "%s is not valid UTF-8 (bad byte at offset %zu); send text as UTF-8", w->path, ok);
    return INS_EINVAL;
}

static int walk_message(walk *w, const ProtobufCMessage *m, int depth);

/* Whether a singular field is present: for a oneof member, whether it is
 * the case set; otherwise always (proto3 strings are "" when unset). */
static int field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return 1;
    uint32_t which = *(const uint32_t *)((const char *)m + f->quantifier_offset);
    return which == f->id;
}

static int walk_value(walk *w, const ProtobufCFieldDescriptor *f, const void *slot, size_t max,
                      int depth)
{
    if (f->type == PROTOBUF_C_TYPE_STRING)
        return check_string(w, *(char *const *)slot, max);
    if (f->type == PROTOBUF_C_TYPE_BYTES)
        return over_limit(w, ((const ProtobufCBinaryData *)slot)->len, max, "bytes");
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)slot;
        return sub ? walk_message(w, sub, depth + 1) : 0;
    }
    return 0;
}

/* The size of one element of a repeated field of type `t`, as protobuf-c
 * lays out its array; 0 for the scalars no limit reads. */
static size_t element_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 0;
    }
}

static int walk_field(walk *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                      int depth)
{
    size_t max_len, max_count;
    const char *base = (const char *)m + f->offset;
    size_t esize = element_size(f->type);
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = *(const size_t *)((const char *)m + f->quantifier_offset);
        if (n == 0)
            return 0;
        ins_limit_of(m->descriptor->name, f->name, &max_len, &max_count);
        size_t old = path_push(w, f->name, -1);
        int rc = over_limit(w, n, max_count, "entries");
        if (rc)
            return rc;
        path_pop(w, old);
        const char *items = *(const char *const *)base;
        for (size_t i = 0; esize && i < n; i++) {
            old = path_push(w, f->name, (long)i);
            rc = walk_value(w, f, items + i * esize, max_len, depth);
            if (rc)
                return rc;
            path_pop(w, old);
        }
        return 0;
    }
    if (!esize || !field_present(m, f))
        return 0;
    ins_limit_of(m->descriptor->name, f->name, &max_len, &max_count);
    size_t old = path_push(w, f->name, -1);
    int rc = walk_value(w, f, base, max_len, depth);
    if (!rc)
        path_pop(w, old);
    return rc;
}

static int walk_message(walk *w, const ProtobufCMessage *m, int depth)
{
    if (depth > PB_MAX_DEPTH) {
        snprintf(w->why, w->whylen, "messages nest more than %d deep (at %s)", PB_MAX_DEPTH,
                 w->path);
        return INS_EINVAL;
    }
    /* protobuf-c accepts a field numbered 0 and keeps it as an unknown
     * field, but packs it back as bytes nothing decodes: stored in a record
     * (records mirror requests, unknown fields included) it would make that
     * record unreadable. Protobuf forbids field number 0; refuse it. */
    for (size_t i = 0; i < m->n_unknown_fields; i++) {
        if (m->unknown_fields[i].tag == 0) {
            snprintf(w->why, w->whylen, "%s%scarries a field numbered 0, which protobuf forbids",
                     w->path, w->len ? " " : "");
            return INS_EINVAL;
        }
    }
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        int rc = walk_field(w, m, &d->fields[i], depth);
        if (rc)
            return rc;
    }
    return 0;
}

int ins_pb_check(const ProtobufCMessage *msg, char *why, size_t whylen)
{
    walk w = {.why = why, .whylen = whylen};
    if (why && whylen)
        why[0] = '\0';
    return msg ? walk_message(&w, msg, 0) : 0;
}
