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

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ins_error.h"
#include "ins_limits.h"
#include "ins_utf8.h"

/* Deeper nesting than any inspect.v1 message; a hostile recursive message
 * (reflection's descriptors) is refused instead of walked without end. */
#define PB_MAX_DEPTH 32

/* One step of the path from the root to the field being checked. */
typedef struct step {
    const char *name;
    long index; /* -1: not an element of a repeated field */
} step;

/* The path is kept as steps and written out only when a message needs it:
 * a request that passes (nearly all of them) costs no formatting. */
typedef struct walk {
    step steps[2 * PB_MAX_DEPTH + 4];
    size_t depth; /* steps in use */
    char path[256];
    char *why;
    size_t whylen;
} walk;

static void path_push(walk *w, const char *name, long index)
{
    if (w->depth < sizeof w->steps / sizeof w->steps[0])
        w->steps[w->depth] = (step){name, index};
    w->depth++;
}

static void path_pop(walk *w)
{
    w->depth--;
}

/* Writes the path ("answers[3].text") into w->path and returns it. A path
 * too long for the buffer is cut, never overrun. */
static const char *path_text(walk *w)
{
    size_t len = 0, n = w->depth < sizeof w->steps / sizeof w->steps[0]
                            ? w->depth
                            : sizeof w->steps / sizeof w->steps[0];
    w->path[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof w->path - 1; i++) {
        int k = w->steps[i].index >= 0
                    ? snprintf(w->path + len, sizeof w->path - len, "%s%s[%ld]", len ? "." : "",
                               w->steps[i].name, w->steps[i].index)
                    : snprintf(w->path + len, sizeof w->path - len, "%s%s", len ? "." : "",
                               w->steps[i].name);
        if (k < 0)
            break;
        len += (size_t)k < sizeof w->path - len ? (size_t)k : sizeof w->path - len - 1;
    }
    return w->path;
}

/*
 * The limits of field `f` of message `d` (ins_limit_of), looked up once per
 * field for the life of the process: the table is read by name, which took
 * more instructions than the rest of a small request's check. A slot is
 * claimed (state 1), filled, then published (state 2); a reader that finds
 * no published slot within a few probes computes the limits itself.
 */
#define LIMIT_SLOTS  4096u
#define LIMIT_PROBES 8u

typedef struct limit_slot {
    atomic_int state; /* 0 empty, 1 being filled, 2 ready */
    const ProtobufCFieldDescriptor *field;
    size_t len, count;
} limit_slot;

static limit_slot limit_cache[LIMIT_SLOTS];

static void field_limits(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f,
                         size_t *len, size_t *count)
{
    size_t h = ((uintptr_t)f >> 4) * 2654435761u;
    for (unsigned i = 0; i < LIMIT_PROBES; i++) {
        limit_slot *sl = &limit_cache[(h + i) % LIMIT_SLOTS];
        int st = atomic_load_explicit(&sl->state, memory_order_acquire);
        if (st == 2 && sl->field == f) {
            *len = sl->len;
            *count = sl->count;
            return;
        }
        if (st == 0) {
            ins_limit_of(d->name, f->name, len, count);
            int want = 0;
            if (atomic_compare_exchange_strong(&sl->state, &want, 1)) {
                sl->field = f;
                sl->len = *len;
                sl->count = *count;
                atomic_store_explicit(&sl->state, 2, memory_order_release);
            }
            return;
        }
    }
    ins_limit_of(d->name, f->name, len, count);
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
    snprintf(w->why, w->whylen, "%s %s %s %s; at most %s", path_text(w),
             what[0] == 'b' ? "is" : "has", grouped(n, got), what, grouped(max, most));
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
             "%s is not valid UTF-8 (bad byte at offset %zu); send text as UTF-8", path_text(w),
             ok);
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
        field_limits(m->descriptor, f, &max_len, &max_count);
        path_push(w, f->name, -1);
        int rc = over_limit(w, n, max_count, "entries");
        if (rc)
            return rc;
        path_pop(w);
        const char *items = *(const char *const *)base;
        for (size_t i = 0; esize && i < n; i++) {
            path_push(w, f->name, (long)i);
            rc = walk_value(w, f, items + i * esize, max_len, depth);
            if (rc)
                return rc;
            path_pop(w);
        }
        return 0;
    }
    if (!esize || !field_present(m, f))
        return 0;
    field_limits(m->descriptor, f, &max_len, &max_count);
    path_push(w, f->name, -1);
    int rc = walk_value(w, f, base, max_len, depth);
    if (!rc)
        path_pop(w);
    return rc;
}

static int walk_message(walk *w, const ProtobufCMessage *m, int depth)
{
    if (depth > PB_MAX_DEPTH) {
        snprintf(w->why, w->whylen, "messages nest more than %d deep (at %s)", PB_MAX_DEPTH,
                 path_text(w));
        return INS_EINVAL;
    }
    /* protobuf-c accepts a field numbered 0 and keeps it as an unknown
     * field, but packs it back as bytes nothing decodes: stored in a record
     * (records mirror requests, unknown fields included) it would make that
     * record unreadable. Protobuf forbids field number 0; refuse it. */
    for (size_t i = 0; i < m->n_unknown_fields; i++) {
        if (m->unknown_fields[i].tag == 0) {
            snprintf(w->why, w->whylen, "%s%scarries a field numbered 0, which protobuf forbids",
                     path_text(w), w->depth ? " " : "");
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
    walk w; /* steps and path are written before they are read */
    w.depth = 0;
    w.why = why;
    w.whylen = whylen;
    if (why && whylen)
        why[0] = '\0';
    return msg ? walk_message(&w, msg, 0) : 0;
}
