/*
 * ins_pbcheck.h - the generic checks of a decoded protobuf-c message that
 * the wire boundary runs before any handler sees a request.
 *
 * proto3 requires every string to be valid UTF-8, but protobuf-c does not
 * check it when unpacking; a stock client cannot decode a message that
 * carries invalid UTF-8, so one such value stored in a record would break
 * every later read of it. Lengths and counts are bounded at the same place,
 * from the one table of ins_limits.h. The walk follows the message's own
 * descriptor: nested messages, repeated fields, map entries and oneof
 * members alike.
 *
 * No allocation, no global state: thread-safe.
 */
#ifndef INS_PBCHECK_H
#define INS_PBCHECK_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/*
 * Checks that every string field of `msg`, at any depth, is valid UTF-8
 * (ins_utf8.h); that every string and bytes field (each entry of a repeated
 * one) has at most, and every repeated field holds at most, what the limits
 * table gives for it (ins_limits.h: by message and field, by field name, or
 * the defaults); that messages nest at most 32 deep; and that no message
 * carries a field numbered 0 (protobuf-c keeps one as an unknown field, but
 * its re-encoding does not decode).
 * Returns 0 (NULL `msg` included), or INS_EINVAL with a sentence in
 * why[0..whylen) naming the first field refused by its path, such as
 * "body.answers[3].text is not valid UTF-8 (bad byte at offset 5); send text
 * as UTF-8", "findings.notes is 9,120 bytes; at most 8,000" or
 * "application.declared_facts has 1,204 entries; at most 200". `why` may be
 * NULL. This function can't fail otherwise.
 */
int ins_pb_check(const ProtobufCMessage *msg, char *why, size_t whylen);

/*
 * Checks the encoding `data` (`len` bytes) of a message of type `desc`, as
 * protobuf-c has already unpacked it: no string field, at any depth, holds
 * a NUL byte (protobuf-c would hand the string to C cut at the NUL, and the
 * rest would be dropped from the stored record without a word). Returns 0,
 * or INS_EINVAL with a sentence in why[0..whylen) naming the field by its
 * path ("findings.notes holds a NUL byte; ..."). `why` may be NULL.
 */
int ins_pb_check_nul(const ProtobufCMessageDescriptor *desc, const void *data, size_t len,
                     char *why, size_t whylen);

#endif /* INS_PBCHECK_H */
