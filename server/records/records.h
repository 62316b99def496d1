/*
 * records.h - conversion between wire messages (inspect.v1) and their
 * on-disk records (inspect.rec, entities.proto).
 *
 * Today every record mirrors its wire message field for field, so a record is
 * the wire encoding with its `format` (field 100) appended, and a wire message
 * is read back from a record by decoding, checking the format and re-encoding
 * without it. The day the two diverge, the functions here grow explicit
 * field-by-field conversions; callers do not change.
 */
#ifndef INS_RECORDS_H
#define INS_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The record format this build writes, and the newest it can read. */
#define INS_REC_FORMAT 1

/*
 * Encodes `wire` as the record described by `rec` (checked to be the record
 * of wire's type). On success *out is a malloc'd buffer of *len bytes the
 * caller frees. Returns 0, INS_EINVAL (no record type for this message), or
 * ENOMEM.
 */
int ins_rec_encode(const ProtobufCMessage *wire, const ProtobufCMessageDescriptor *rec,
                   uint8_t **out, size_t *len);

/*
 * Decodes a stored record into a new wire message of type `wire`. On success
 * *out is the caller's, freed with protobuf_c_message_free_unpacked(*out,
 * NULL). Returns 0; INS_ECORRUPT when the bytes do not decode as `rec` or
 * carry a newer format than this build reads; ENOMEM.
 */
int ins_rec_decode(const void *data, size_t len, const ProtobufCMessageDescriptor *rec,
                   const ProtobufCMessageDescriptor *wire, ProtobufCMessage **out);

/*
 * Non-zero when every field of `a` has a field of `b` with the same number,
 * label and type, recursively for nested messages (field 100, the record
 * format, excepted). Used by the tests that guard the mirror.
 */
int ins_rec_mirrors(const ProtobufCMessageDescriptor *a, const ProtobufCMessageDescriptor *b,
                    char *why, size_t whylen);

#endif /* INS_RECORDS_H */
