/*
 * records.c - wire message <-> on-disk record (see records.h).
 */
#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"

#define FORMAT_FIELD 100

/* The `format` field of a record message, or NULL. */
static const ProtobufCFieldDescriptor *format_field(const ProtobufCMessageDescriptor *rec)
{
    return protobuf_c_message_descriptor_get_field(rec, FORMAT_FIELD);
}

int ins_rec_encode(const ProtobufCMessage *wire, const ProtobufCMessageDescriptor *rec,
                   uint8_t **out, size_t *len)
{
    if (!format_field(rec))
        return INS_EINVAL;
    size_t n = protobuf_c_message_get_packed_size(wire);
    /* Field 100, varint: tag (100 << 3 | 0) = 800 -> 0xa0 0x06, then the value. */
    uint8_t *buf = malloc(n + 3);
    if (!buf)
        return ENOMEM;
    protobuf_c_message_pack(wire, buf);
    buf[n] = 0xa0;
    buf[n + 1] = 0x06;
    buf[n + 2] = INS_REC_FORMAT;
    *out = buf;
    *len = n + 3;
    return 0;
}

/* Reads a varint from an unknown field's bytes; 0 when malformed. */
static uint64_t varint(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80))
            return v;
    }
    return 0;
}

int ins_rec_decode(const void *data, size_t len, const ProtobufCMessageDescriptor *rec,
                   const ProtobufCMessageDescriptor *wire, ProtobufCMessage **out)
{
    *out = NULL;
    if (!format_field(rec))
        return INS_EINVAL;
    /* While the record mirrors the wire message (test_records), its bytes
     * decode as the wire message directly, the format arriving as an unknown
     * field: one pass instead of decode, re-encode, decode. */
    ProtobufCMessage *m = protobuf_c_message_unpack(wire, NULL, len, data);
    if (!m)
        return INS_ECORRUPT;
    uint64_t format = 0;
    for (unsigned i = 0; i < m->n_unknown_fields; i++) {
        ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
        if (u->tag == FORMAT_FIELD && u->wire_type == PROTOBUF_C_WIRE_TYPE_VARINT)
            format = varint(u->data, u->len);
        free(u->data);
    }
    free(m->unknown_fields);
    m->unknown_fields = NULL;
    m->n_unknown_fields = 0;
    if (format == 0 || format > INS_REC_FORMAT) {
        protobuf_c_message_free_unpacked(m, NULL);
        return INS_ECORRUPT;
    }
    *out = m;
    return 0;
}

int ins_rec_mirrors(const ProtobufCMessageDescriptor *a, const ProtobufCMessageDescriptor *b,
                    char *why, size_t whylen)
{
    for (unsigned i = 0; i < a->n_fields; i++) {
        const ProtobufCFieldDescriptor *fa = &a->fields[i];
        if (fa->id == FORMAT_FIELD)
            continue;
        const ProtobufCFieldDescriptor *fb = protobuf_c_message_descriptor_get_field(b, fa->id);
        ProtobufCType ta = fa->type == PROTOBUF_C_TYPE_ENUM ? PROTOBUF_C_TYPE_INT32 : fa->type;
        ProtobufCType tb = fb && fb->type == PROTOBUF_C_TYPE_ENUM ? PROTOBUF_C_TYPE_INT32
                           : fb                                   ? fb->type
                                                                  : ta;
        if (!fb || ta != tb || fa->label != fb->label) {
            snprintf(why, whylen, "%s field %u (%s) has no twin in %s", a->name, fa->id, fa->name,
                     b->name);
            return 0;
        }
        if (ta == PROTOBUF_C_TYPE_MESSAGE &&
            !ins_rec_mirrors(fa->descriptor, fb->descriptor, why, whylen))
            return 0;
    }
    return 1;
}
