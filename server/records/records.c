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

int ins_rec_decode(const void *data, size_t len, const ProtobufCMessageDescriptor *rec,
                   const ProtobufCMessageDescriptor *wire, ProtobufCMessage **out)
{
    *out = NULL;
    const ProtobufCFieldDescriptor *ff = format_field(rec);
    if (!ff)
        return INS_EINVAL;
    ProtobufCMessage *r = protobuf_c_message_unpack(rec, NULL, len, data);
    if (!r)
        return INS_ECORRUPT;
    uint32_t *format = (uint32_t *)((char *)r + ff->offset);
    if (*format == 0 || *format > INS_REC_FORMAT) {
        protobuf_c_message_free_unpacked(r, NULL);
        return INS_ECORRUPT;
    }
    *format = 0; /* not part of the wire message */
    size_t n = protobuf_c_message_get_packed_size(r);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        protobuf_c_message_free_unpacked(r, NULL);
        return ENOMEM;
    }
    protobuf_c_message_pack(r, buf);
    protobuf_c_message_free_unpacked(r, NULL);
    *out = protobuf_c_message_unpack(wire, NULL, n, buf);
    free(buf);
    return *out ? 0 : INS_ECORRUPT;
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
