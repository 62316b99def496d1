/*
 * fuzz_records.c - libFuzzer target: arbitrary bytes as every stored record.
 *
 * A record read back from the store is trusted by nothing above it only if
 * its decoding is: byte 0 picks a record type, the rest are its stored
 * bytes. The entity records (server/records/entities.proto) go through the
 * record codec the record layer uses, ins_rec_decode() (records.c); a record
 * that decodes must then survive the round trip the layer makes on every
 * update (ins_rec_encode, decode again, same bytes) and the UTF-8 walk of
 * common/pbcheck.c. The engine's own records (storage/records.proto: feed,
 * audit, idempotency, blob reference, staging, content) are decoded as
 * storage/ decodes them, with protobuf-c's unpack, and re-packed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "entities.pb-c.h"
#include "ins_error.h"
#include "ins_pbcheck.h"
#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "records.h"
#include "records.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every stored record type: its record descriptor and, for entities, the
 * wire message it is read back as (NULL for the engine's records). */
static const struct {
    const ProtobufCMessageDescriptor *rec, *wire;
} kinds[] = {
    {&inspect__rec__department__descriptor, &inspect__v1__department__descriptor},
    {&inspect__rec__inspector__descriptor, &inspect__v1__inspector__descriptor},
    {&inspect__rec__service_item__descriptor, &inspect__v1__service_item__descriptor},
    {&inspect__rec__template__descriptor, &inspect__v1__template__descriptor},
    {&inspect__rec__calendar__descriptor, &inspect__v1__calendar__descriptor},
    {&inspect__rec__application__descriptor, &inspect__v1__application__descriptor},
    {&inspect__rec__task__descriptor, &inspect__v1__task__descriptor},
    {&inspect__rec__alert__descriptor, &inspect__v1__alert__descriptor},
    {&inspect__rec__findings__descriptor, &inspect__v1__findings__descriptor},
    {&inspect__rec__photo__descriptor, &inspect__v1__photo__descriptor},
    {&inspect__rec__report__descriptor, &inspect__v1__report__descriptor},
    {&inspect__storage__feed_entry__descriptor, NULL},
    {&inspect__storage__audit_entry__descriptor, NULL},
    {&inspect__storage__idem_entry__descriptor, NULL},
    {&inspect__storage__blob_ref__descriptor, NULL},
    {&inspect__storage__staging__descriptor, NULL},
    {&inspect__storage__content__descriptor, NULL},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* Packs `m` into a new buffer; aborts when out of memory (a finding). */
static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf)
        abort();
    if (protobuf_c_message_pack(m, buf) != *len)
        abort();
    return buf;
}

static void entity(const uint8_t *p, size_t n, const ProtobufCMessageDescriptor *rec,
                   const ProtobufCMessageDescriptor *wire)
{
    ProtobufCMessage *m = NULL;
    int rc = ins_rec_decode(p, n, rec, wire, &m);
    if (rc != 0) {
        if (rc != INS_ECORRUPT || m != NULL)
            abort();
        return;
    }
    if (ins_pb_check(m, NULL, 0) != 0) {
        /* Not a record the server writes: the wire boundary refuses such a
         * request (invalid UTF-8, a field over its limit, a field numbered 0)
         * before any store. */
        protobuf_c_message_free_unpacked(m, NULL);
        return;
    }
    /* The update path: encode the decoded message, read it back, and the
     * second decoding packs to the bytes of the first. */
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    if (ins_rec_encode(m, rec, &enc, &enc_len) != 0)
        abort();
    ProtobufCMessage *again = NULL;
    if (ins_rec_decode(enc, enc_len, rec, wire, &again) != 0)
        abort();
    size_t a_len, b_len;
    uint8_t *a = pack(m, &a_len), *b = pack(again, &b_len);
    if (a_len != b_len || memcmp(a, b, a_len) != 0)
        abort();
    free(a);
    free(b);
    free(enc);
    protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
}

static void engine(const uint8_t *p, size_t n, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, n, p);
    if (!m)
        return;
    ins_pb_check(m, NULL, 0);
    size_t len;
    uint8_t *buf = pack(m, &len);
    /* Not asserted to decode again: protobuf-c keeps an unknown field even
     * when its number (0) cannot be packed back, and the engine never
     * rewrites a record it did not build itself. */
    ProtobufCMessage *again = protobuf_c_message_unpack(d, NULL, len, buf);
    if (again)
        protobuf_c_message_free_unpacked(again, NULL);
    free(buf);
    protobuf_c_message_free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t k = data[0] % N_KINDS;
    /* A copy of exactly the record's bytes, so ASan sees any overread. */
    uint8_t *p = malloc(size - 1 ? size - 1 : 1);
    if (!p)
        return 0;
    memcpy(p, data + 1, size - 1);
    if (kinds[k].wire)
        entity(p, size - 1, kinds[k].rec, kinds[k].wire);
    else
        engine(p, size - 1, kinds[k].rec);
    free(p);
    return 0;
}
