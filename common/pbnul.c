/*
 * pbnul.c - the one check of the wire boundary that needs the encoded bytes:
 * no string field carries a NUL byte (ins_pbcheck.h, ins_pb_check_nul).
 *
 * proto3 allows U+0000 in a string, but protobuf-c hands strings to C as
 * NUL-terminated text, so whatever follows a NUL would be dropped without a
 * word when the record is stored. The decoded message cannot show it (its
 * strings end at the NUL), so this walks the encoding itself, by the same
 * descriptor, after protobuf-c has unpacked it (the bytes are well formed).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ins_error.h"
#include "ins_pbcheck.h"

/* Reads a varint at *p (below end); 0 on success. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end,
                const char *path, int depth, char *why, size_t whylen)
{
    if (depth > 32)
        return 0; /* ins_pb_check refuses such nesting */
    while (p < end) {
        uint64_t key, len;
        if (varint(&p, end, &key) != 0)
            return 0;
        unsigned type = (unsigned)(key & 7);
        if (type == 0) {
            if (varint(&p, end, &len) != 0)
                return 0;
            continue;
        }
        if (type == 1 || type == 5) {
            size_t n = type == 1 ? 8 : 4;
            if ((size_t)(end - p) < n)
                return 0;
            p += n;
            continue;
        }
        if (type != 2 || varint(&p, end, &len) != 0 || len > (uint64_t)(end - p))
            return 0; /* groups and malformed input: protobuf-c refused those */
        const ProtobufCFieldDescriptor *f =
            key >> 3 <= UINT32_MAX
                ? protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3))
                : NULL;
        if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr(p, 0, (size_t)len)) {
            snprintf(why, whylen, "%s%s%s holds a NUL byte; text fields may not contain U+0000",
                     path, *path ? "." : "", f->name);
            return INS_EINVAL;
        }
        if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", f->name);
            int rc = walk(f->descriptor, p, p + len, sub, depth + 1, why, whylen);
            if (rc)
                return rc;
        }
        p += len;
    }
    return 0;
}

int ins_pb_check_nul(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                     char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    char scratch[1];
    return walk(desc, data, (const uint8_t *)data + len, "", 0, why ? why : scratch,
                why ? whylen : sizeof scratch);
}
