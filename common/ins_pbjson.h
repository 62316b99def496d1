/*
 * ins_pbjson.h - protobuf-c messages to and from JSON (json-c), driven by the
 * message descriptors, following the proto3 JSON mapping.
 *
 * The one JSON codec of the project, in common/ so that client and server
 * share it: the CLI reads request files and seed files with it and prints
 * every response with it; the server writes the case dossier's JSON files
 * with it (services/dossier.c). A field added to a .proto needs no change
 * on either side, and the two sides cannot print a value differently.
 *
 * The mapping, as implemented:
 *   - field names: the .proto name ("site_address"); parsing also accepts
 *     the lowerCamelCase JSON name ("siteAddress"); printing uses the .proto
 *     name, as the seed files do;
 *   - enums: printed by name; parsed from the full name ("STAGE_REVIEW"), the
 *     short form without the enum's prefix ("REVIEW"), both case-insensitive
 *     with '-' taken as '_', or the number of a defined value;
 *   - 64-bit integers: printed as JSON strings (the proto3 rule, so no
 *     precision is lost in JavaScript); parsed from numbers or strings;
 *   - 32-bit integers and floats: numbers (parsing also accepts strings,
 *     and "NaN", "Infinity", "-Infinity" for floats);
 *   - bytes: printed as standard base64 with padding; parsed from standard
 *     or URL-safe base64, padding optional (ins_base64.h);
 *   - strings: must be valid UTF-8 (ins_utf8.h) when parsed; when printed,
 *     each byte that is not part of valid UTF-8 becomes U+FFFD, so the text
 *     is always UTF-8;
 *   - repeated fields: arrays; nested messages: objects; a oneof member:
 *     at most one per oneof; JSON null: the field's default.
 * Printing skips fields holding their default (0, "", false, empty, absent
 * message) except the chosen member of a oneof, which is always printed.
 * Map fields and the well-known types have no special form (the inspect.v1
 * API uses neither).
 *
 * Thread-safety: both functions use no global state; they may run on any
 * thread.
 */
#ifndef INS_PBJSON_H
#define INS_PBJSON_H

#include <stddef.h>

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

/*
 * Builds a message of type `d` from the JSON object `in`.
 *
 * On success returns 0 and stores in `*out` a message allocated with the
 * default protobuf-c allocator: free it with
 * protobuf_c_message_free_unpacked(*out, NULL). `in` is not modified and
 * stays the caller's.
 *
 * On error returns -1, stores NULL in `*out`, frees everything it built and
 * writes a NUL-terminated explanation into `why` (when `why` is not NULL and
 * `whylen` > 0; truncated to fit) that starts with the path of the offending
 * value, for example
 *   departments[1].qualificaton: unknown field of inspect.v1.RequiredDepartment
 *   stage: "REVEIW" is not a inspect.v1.Stage (INTAKE, REVIEW, ...)
 *   latitude: expected a number, got a string
 * The errors: `in` not an object, an unknown field, a value of the wrong
 * JSON type, a number out of the field's range or not integral, an unknown
 * enum name or value, invalid base64, a string that is not valid UTF-8,
 * two members of one oneof, and out of memory.
 */
int ins_pbjson_parse(const ProtobufCMessageDescriptor *d, json_object *in, ProtobufCMessage **out,
                     char *why, size_t whylen);

/*
 * Converts `m` to a new JSON object (reference count 1: the caller releases
 * it with json_object_put()). Returns NULL only when out of memory.
 */
json_object *ins_pbjson_print(const ProtobufCMessage *m);

/* How every JSON text of the project is spelled: one line, no spaces, '/'
 * not escaped. Deterministic: the same object gives the same bytes. */
#define INS_PBJSON_TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/*
 * The JSON text of `o` spelled as INS_PBJSON_TEXT_FLAGS says, its length in
 * `*len` (`len` may be NULL). The text belongs to `o`: it stays valid until
 * `o` is changed, printed again or released. Returns NULL (`*len` 0) only
 * when out of memory.
 */
const char *ins_pbjson_text(json_object *o, size_t *len);

/*
 * The name of enum value `value` of `d` with the enum's prefix stripped and
 * in lower case ("STAGE_REVIEW" -> "review"), written into `buf` (always
 * NUL-terminated, truncated to fit). For a value `d` does not define, the
 * number in decimal. Returns `buf`. This function can't fail.
 */
const char *ins_pbjson_enum_short(const ProtobufCEnumDescriptor *d, int value, char *buf,
                                  size_t len);

/*
 * Parses an enum value as ins_pbjson_parse() does for a JSON string (full or
 * short name, case-insensitive, or a decimal number of a defined value).
 * Returns 0 and sets `*value`, or -1 when `text` names no value of `d`.
 */
int ins_pbjson_enum_parse(const ProtobufCEnumDescriptor *d, const char *text, int *value);

#endif /* INS_PBJSON_H */
