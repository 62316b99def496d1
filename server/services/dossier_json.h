/*
 * dossier_json.h - a small JSON text builder for the case dossier, with a
 * descriptor-walking printer of protobuf-c messages.
 *
 * The server does not link json-c or the client's pbjson.c, and the dossier
 * only ever writes JSON, so this is the writing half of client/pbjson.c cut
 * down to what the dossier needs, appending text to a growable buffer:
 *   - fields in descriptor order under their .proto names; fields holding
 *     their proto3 default are left out, the chosen member of a oneof is
 *     always printed;
 *   - enums by name, 64-bit integers as JSON strings (the proto3 mapping),
 *     bytes as lower-case hex (hashes read better so than in base64),
 *     floats and doubles in the fewest digits (15 to 17) that read back exactly;
 *   - unknown fields (the record's `format`, field 100) are not printed.
 * The output is deterministic: the same message gives the same bytes.
 *
 * Errors are sticky: after an allocation fails every later call does
 * nothing and ins_jbuf_err() reports ENOMEM. No global state; thread-safe on
 * distinct buffers.
 */
#ifndef INS_DOSSIER_JSON_H
#define INS_DOSSIER_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct ins_jbuf {
    char *p; /* NUL-terminated text, malloc'd; the owner frees it */
    size_t len, cap;
    int err; /* 0 or ENOMEM */
} ins_jbuf;

/* Appends raw text / a formatted text / a JSON string literal (escaped). */
void ins_jbuf_raw(ins_jbuf *b, const char *s);
void ins_jbuf_printf(ins_jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ins_jbuf_str(ins_jbuf *b, const char *s);
/* Appends `n` bytes as a JSON string of lower-case hex digits. */
void ins_jbuf_hex(ins_jbuf *b, const uint8_t *p, size_t n);
/* Appends `m` as a JSON object (see above). */
void ins_jbuf_pb(ins_jbuf *b, const ProtobufCMessage *m);

/* 0, or ENOMEM when an append failed. */
int ins_jbuf_err(const ins_jbuf *b);

/* Frees the text and empties `b`. NULL is fine. */
void ins_jbuf_free(ins_jbuf *b);

#endif /* INS_DOSSIER_JSON_H */
