/*
 * pbjson.c - protobuf-c <-> JSON by descriptor (see ins_pbjson.h).
 *
 * Parsing walks the JSON object's keys, finds each field by its .proto name
 * or its lowerCamelCase JSON name, and stores the converted value straight
 * into a message allocated and initialised (protobuf_c_message_init) with
 * malloc, so protobuf_c_message_free_unpacked(m, NULL) frees it. The message
 * is kept in a state that free_unpacked accepts at every step (repeated
 * arrays zero-filled before their count is set, a oneof case set only with
 * its value), so any error simply frees the half-built message.
 *
 * Errors carry the path of the value at fault ("items[2].tolerance.relative")
 * kept in a fixed buffer in the parse context.
 */
#include "ins_pbjson.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ins_base64.h"
#include "ins_utf8.h"

#define PATH_MAX_LEN 512

typedef struct ctx {
    char path[PATH_MAX_LEN]; /* of the value being converted, "" at the top */
    size_t len;
    char *why;
    size_t whylen;
} ctx;

static int fail(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(ctx *c, const char *fmt, ...)
{
    if (c->why == NULL || c->whylen == 0)
        return -1;
    int n = 0;
    if (c->len > 0)
        n = snprintf(c->why, c->whylen, "%s: ", c->path);
    if (n < 0)
        n = 0;
    if ((size_t)n < c->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why + n, c->whylen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Appends ".name" (or "name" at the top) to the path; returns the old length. */
static size_t path_push_field(ctx *c, const char *name)
{
    size_t old = c->len;
    int n =
        snprintf(c->path + c->len, sizeof c->path - c->len, "%s%s", c->len > 0 ? "." : "", name);
    if (n > 0)
        c->len += (size_t)n < sizeof c->path - c->len ? (size_t)n : sizeof c->path - c->len - 1;
    return old;
}

static size_t path_push_index(ctx *c, size_t i)
{
    size_t old = c->len;
    int n = snprintf(c->path + c->len, sizeof c->path - c->len, "[%zu]", i);
    if (n > 0)
        c->len += (size_t)n < sizeof c->path - c->len ? (size_t)n : sizeof c->path - c->len - 1;
    return old;
}

static void path_pop(ctx *c, size_t old)
{
    c->len = old;
    c->path[old] = '\0';
}

static const char *json_type_label(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
    case json_type_int:
        return "a number";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "something else";
}

/* ---- field names ------------------------------------------------------- */

/* "site_address" -> "siteAddress", the proto3 default json_name. */
static void json_name(const char *name, char *out, size_t len)
{
    size_t o = 0;
    int upper = 0;
    for (const char *p = name; *p != '\0' && o + 1 < len; p++) {
        if (*p == '_') {
            upper = 1;
            continue;
        }
        out[o++] = upper ? (char)toupper((unsigned char)*p) : *p;
        upper = 0;
    }
    out[o] = '\0';
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *d,
                                                  const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
    if (f != NULL)
        return f;
    char jn[256];
    for (unsigned i = 0; i < d->n_fields; i++) {
        json_name(d->fields[i].name, jn, sizeof jn);
        if (strcmp(jn, key) == 0)
            return &d->fields[i];
    }
    return NULL;
}

/* ---- enums ------------------------------------------------------------- */

/* "DepartmentKind" -> "DEPARTMENT_KIND_": the conventional value prefix. */
static void enum_prefix(const ProtobufCEnumDescriptor *d, char *out, size_t len)
{
    size_t o = 0;
    const char *s = d->short_name;
    for (size_t i = 0; s[i] != '\0' && o + 2 < len; i++) {
        if (i > 0 && isupper((unsigned char)s[i]) && !isupper((unsigned char)s[i - 1]))
            out[o++] = '_';
        if (o + 2 < len)
            out[o++] = (char)toupper((unsigned char)s[i]);
    }
    out[o++] = '_';
    out[o] = '\0';
}

/* Case-insensitive equality, '-' in `text` standing for '_'. */
static int name_eq(const char *name, const char *text)
{
    for (; *name != '\0' && *text != '\0'; name++, text++) {
        char t = *text == '-' ? '_' : *text;
        if (toupper((unsigned char)*name) != toupper((unsigned char)t))
            return 0;
    }
    return *name == '\0' && *text == '\0';
}

int ins_pbjson_enum_parse(const ProtobufCEnumDescriptor *d, const char *text, int *value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(d, text);
    if (v != NULL) {
        *value = v->value;
        return 0;
    }
    char prefix[128];
    enum_prefix(d, prefix, sizeof prefix);
    size_t plen = strlen(prefix);
    for (unsigned i = 0; i < d->n_values; i++) {
        const char *name = d->values[i].name;
        if (name_eq(name, text) ||
            (strncmp(name, prefix, plen) == 0 && name_eq(name + plen, text))) {
            *value = d->values[i].value;
            return 0;
        }
    }
    if (text[0] != '\0' && (isdigit((unsigned char)text[0]) || text[0] == '-')) {
        errno = 0;
        char *end;
        long n = strtol(text, &end, 10);
        if (errno == 0 && *end == '\0' && n >= INT32_MIN && n <= INT32_MAX &&
            protobuf_c_enum_descriptor_get_value(d, (int)n) != NULL) {
            *value = (int)n;
            return 0;
        }
    }
    return -1;
}

const char *ins_pbjson_enum_short(const ProtobufCEnumDescriptor *d, int value, char *buf,
                                  size_t len)
{
    if (len == 0)
        return buf;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (v == NULL) {
        snprintf(buf, len, "%d", value);
        return buf;
    }
    char prefix[128];
    enum_prefix(d, prefix, sizeof prefix);
    const char *name = v->name;
    if (strncmp(name, prefix, strlen(prefix)) == 0 && name[strlen(prefix)] != '\0')
        name += strlen(prefix);
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < len; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[i] = '\0';
    return buf;
}

static int enum_fail(ctx *c, const ProtobufCEnumDescriptor *d, const char *shown)
{
    char prefix[128], list[512];
    enum_prefix(d, prefix, sizeof prefix);
    size_t plen = strlen(prefix), o = 0;
    list[0] = '\0';
    for (unsigned i = 0; i < d->n_values && o + 1 < sizeof list; i++) {
        const char *name = d->values[i].name;
        if (strncmp(name, prefix, plen) == 0 && name[plen] != '\0')
            name += plen;
        int n = snprintf(list + o, sizeof list - o, "%s%s", i > 0 ? ", " : "", name);
        if (n < 0)
            break;
        o += (size_t)n;
    }
    return fail(c, "%s is not a %s (one of %s)", shown, d->name, list);
}

static int parse_enum(ctx *c, const ProtobufCEnumDescriptor *d, json_object *v, int *out)
{
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        if (ins_pbjson_enum_parse(d, s, out) == 0)
            return 0;
        char shown[160];
        snprintf(shown, sizeof shown, "\"%.120s\"", s);
        return enum_fail(c, d, shown);
    }
    if (json_object_is_type(v, json_type_int)) {
        int64_t n = json_object_get_int64(v);
        if (n >= INT32_MIN && n <= INT32_MAX &&
            protobuf_c_enum_descriptor_get_value(d, (int)n) != NULL) {
            *out = (int)n;
            return 0;
        }
        char shown[40];
        snprintf(shown, sizeof shown, "%" PRId64, n);
        return enum_fail(c, d, shown);
    }
    return fail(c, "expected an enum name (string) or number, got %s", json_type_label(v));
}

/* ---- numbers ----------------------------------------------------------- */

static int fabs_lt(double d, double bound)
{
    return d < bound && d > -bound;
}

/* An integer from a JSON number (integral) or a decimal string. */
static int parse_int(ctx *c, json_object *v, int is_signed, int64_t lo, int64_t hi, uint64_t uhi,
                     int64_t *sout, uint64_t *uout)
{
    if (json_object_is_type(v, json_type_int)) {
        errno = 0;
        if (is_signed) {
            int64_t n = json_object_get_int64(v);
            if (errno != 0 || n < lo || n > hi)
                return fail(c, "%s is out of range", json_object_get_string(v));
            *sout = n;
        } else {
            /* json-c keeps integers above INT64_MAX as uint64 */
            const char *s = json_object_get_string(v);
            if (s[0] == '-')
                return fail(c, "%s is out of range (must not be negative)", s);
            uint64_t n = json_object_get_uint64(v);
            if (errno != 0 || n > uhi)
                return fail(c, "%s is out of range", s);
            *uout = n;
        }
        return 0;
    }
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        /* no floor(): the client links without libm; doubles beyond 2^63 are
         * integral anyway and fail the range checks below */
        if (!isfinite(d) || (fabs_lt(d, 9.2e18) && (double)(long long)d != d))
            return fail(c, "%s is not an integer", json_object_get_string(v));
        if (is_signed) {
            if (d < (double)lo || d > (double)hi || d >= 9223372036854775808.0)
                return fail(c, "%s is out of range", json_object_get_string(v));
            *sout = (int64_t)d;
        } else {
            if (d < 0 || d > (double)uhi || d >= 18446744073709551616.0)
                return fail(c, "%s is out of range", json_object_get_string(v));
            *uout = (uint64_t)d;
        }
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        errno = 0;
        if (s[0] == '\0' || isspace((unsigned char)s[0]))
            return fail(c, "\"%.60s\" is not an integer", s);
        if (is_signed) {
            long long n = strtoll(s, &end, 10);
            if (*end != '\0')
                return fail(c, "\"%.60s\" is not an integer", s);
            if (errno != 0 || n < lo || n > hi)
                return fail(c, "%s is out of range", s);
            *sout = n;
        } else {
            if (s[0] == '-')
                return fail(c, "%s is out of range (must not be negative)", s);
            unsigned long long n = strtoull(s, &end, 10);
            if (*end != '\0')
                return fail(c, "\"%.60s\" is not an integer", s);
            if (errno != 0 || n > uhi)
                return fail(c, "%s is out of range", s);
            *uout = n;
        }
        return 0;
    }
    return fail(c, "expected an integer, got %s", json_type_label(v));
}

static int parse_double(ctx *c, json_object *v, double *out)
{
    if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
        *out = json_object_get_double(v);
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        if (strcmp(s, "NaN") == 0) {
            *out = NAN;
            return 0;
        }
        if (strcmp(s, "Infinity") == 0) {
            *out = INFINITY;
            return 0;
        }
        if (strcmp(s, "-Infinity") == 0) {
            *out = -INFINITY;
            return 0;
        }
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (s[0] == '\0' || isspace((unsigned char)s[0]) || *end != '\0' || errno != 0 ||
            !isfinite(d))
            return fail(c, "\"%.60s\" is not a number", s);
        *out = d;
        return 0;
    }
    return fail(c, "expected a number, got %s", json_type_label(v));
}

/* ---- base64 ------------------------------------------------------------ */

/* Decodes standard or URL-safe base64, padding optional (INS_B64_ANY) into a
 * malloc'd buffer. 0, or -1 if invalid or out of memory. */
static int b64_decode(const char *s, ProtobufCBinaryData *out)
{
    size_t n = strlen(s);
    size_t cap = INS_B64_DECODED_MAX(n);
    uint8_t *buf = malloc(cap + 1);
    size_t len = 0;
    if (buf == NULL || ins_b64_decode(s, n, INS_B64_ANY, buf, cap, &len) != 0) {
        free(buf);
        return -1;
    }
    out->data = buf;
    out->len = len;
    return 0;
}

/* Standard base64 with padding (the proto3 mapping) in a malloc'd string. */
static char *b64_encode(const uint8_t *p, size_t n)
{
    char *out = malloc(ins_b64_encoded_len(n, INS_B64_STD) + 1);
    if (out != NULL)
        ins_b64_encode(p, n, INS_B64_STD, out);
    return out;
}

/* ---- parse ------------------------------------------------------------- */

static int parse_message(ctx *c, const ProtobufCMessageDescriptor *d, json_object *in,
                         ProtobufCMessage **out);

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return 4;
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* Converts one (non-array) JSON value into the slot `dst` of field `f`. The
 * slot must hold nothing that needs freeing. */
static int parse_value(ctx *c, const ProtobufCFieldDescriptor *f, json_object *v, void *dst)
{
    int64_t s = 0;
    uint64_t u = 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (parse_int(c, v, 1, INT32_MIN, INT32_MAX, 0, &s, &u) != 0)
            return -1;
        *(int32_t *)dst = (int32_t)s;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (parse_int(c, v, 1, INT64_MIN, INT64_MAX, 0, &s, &u) != 0)
            return -1;
        *(int64_t *)dst = s;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (parse_int(c, v, 0, 0, 0, UINT32_MAX, &s, &u) != 0)
            return -1;
        *(uint32_t *)dst = (uint32_t)u;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (parse_int(c, v, 0, 0, 0, UINT64_MAX, &s, &u) != 0)
            return -1;
        *(uint64_t *)dst = u;
        return 0;
    case PROTOBUF_C_TYPE_FLOAT: {
        double d;
        if (parse_double(c, v, &d) != 0)
            return -1;
        if (isfinite(d) && (d > 3.4028234663852886e38 || d < -3.4028234663852886e38))
            return fail(c, "%g is out of the range of a float", d);
        *(float *)dst = (float)d;
        return 0;
    }
    case PROTOBUF_C_TYPE_DOUBLE:
        return parse_double(c, v, (double *)dst);
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            return fail(c, "expected true or false, got %s", json_type_label(v));
        *(protobuf_c_boolean *)dst = json_object_get_boolean(v) ? 1 : 0;
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        int e;
        if (parse_enum(c, f->descriptor, v, &e) != 0)
            return -1;
        *(int *)dst = e;
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING: {
        if (!json_object_is_type(v, json_type_string))
            return fail(c, "expected a string, got %s", json_type_label(v));
        const char *text = json_object_get_string(v);
        size_t len = (size_t)json_object_get_string_len(v);
        size_t ok = ins_utf8_check(text, len);
        if (ok != len)
            return fail(c, "not valid UTF-8 (at byte %zu)", ok);
        char *dup = strdup(text);
        if (dup == NULL)
            return fail(c, "out of memory");
        *(char **)dst = dup;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES:
        if (!json_object_is_type(v, json_type_string))
            return fail(c, "expected base64 text, got %s", json_type_label(v));
        if (b64_decode(json_object_get_string(v), (ProtobufCBinaryData *)dst) != 0)
            return fail(c, "not valid base64");
        return 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        if (!json_object_is_type(v, json_type_object))
            return fail(c, "expected an object (%s), got %s",
                        ((const ProtobufCMessageDescriptor *)f->descriptor)->name,
                        json_type_label(v));
        return parse_message(c, f->descriptor, v, (ProtobufCMessage **)dst);
    }
    return fail(c, "unsupported field type");
}

/* Frees what a singular slot of a (non-repeated) field holds, making room for
 * a new value when a key appears twice (camelCase and snake_case). */
static void clear_slot(const ProtobufCFieldDescriptor *f, void *slot)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *s = *(char **)slot;
        if (s != NULL && s != f->default_value)
            free(s);
        *(char **)slot = (char *)f->default_value;
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        ProtobufCBinaryData *b = slot;
        free(b->data);
        b->data = NULL;
        b->len = 0;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *m = *(ProtobufCMessage **)slot;
        if (m != NULL)
            protobuf_c_message_free_unpacked(m, NULL);
        *(ProtobufCMessage **)slot = NULL;
    }
}

static int parse_field(ctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       json_object *v)
{
    char *base = (char *)m;
    void *slot = base + f->offset;
    if (v == NULL || json_object_is_type(v, json_type_null))
        return 0; /* null: the default */

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (!json_object_is_type(v, json_type_array))
            return fail(c, "expected an array, got %s", json_type_label(v));
        size_t *count = (size_t *)(base + f->quantifier_offset);
        if (*count > 0)
            return fail(c, "given twice");
        size_t n = json_object_array_length(v);
        if (n == 0)
            return 0;
        size_t es = elem_size(f->type);
        char *arr = calloc(n, es);
        if (arr == NULL)
            return fail(c, "out of memory");
        /* zero-filled: free_unpacked may free every element at any point */
        *(void **)slot = arr;
        *count = n;
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(v, i);
            size_t old = path_push_index(c, i);
            if (e == NULL || json_object_is_type(e, json_type_null)) {
                int r = fail(c, "null is not allowed in an array");
                path_pop(c, old);
                return r;
            }
            int r = parse_value(c, f, e, arr + i * es);
            path_pop(c, old);
            if (r != 0)
                return -1;
        }
        return 0;
    }

    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
        if (*which != 0 && *which != f->id) {
            const ProtobufCMessageDescriptor *d = m->descriptor;
            const ProtobufCFieldDescriptor *other =
                protobuf_c_message_descriptor_get_field(d, (unsigned)*which);
            return fail(c, "only one of a oneof may be set, and %s is set already",
                        other != NULL ? other->name : "another member");
        }
        if (*which == f->id)
            clear_slot(f, slot);
        else if (f->type == PROTOBUF_C_TYPE_STRING)
            *(char **)slot = NULL;
        else if (f->type == PROTOBUF_C_TYPE_MESSAGE)
            *(ProtobufCMessage **)slot = NULL;
        if (f->type == PROTOBUF_C_TYPE_BYTES)
            memset(slot, 0, sizeof(ProtobufCBinaryData));
        /* the value first, then the case: free_unpacked only looks at the
         * chosen member, so a half-set member is never freed twice */
        if (parse_value(c, f, v, slot) != 0) {
            if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
                *(void **)slot = NULL;
            return -1;
        }
        *which = f->id;
        return 0;
    }

    clear_slot(f, slot);
    if (f->type == PROTOBUF_C_TYPE_STRING)
        *(char **)slot = NULL; /* parse_value fills it; on error free_unpacked sees NULL */
    int r = parse_value(c, f, v, slot);
    if (f->type == PROTOBUF_C_TYPE_STRING && *(char **)slot == NULL)
        *(char **)slot = (char *)f->default_value;
    if (r != 0)
        return -1;
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0 &&
        f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    return 0;
}

static int parse_message(ctx *c, const ProtobufCMessageDescriptor *d, json_object *in,
                         ProtobufCMessage **out)
{
    *out = NULL;
    if (!json_object_is_type(in, json_type_object))
        return fail(c, "expected an object (%s), got %s", d->name, json_type_label(in));
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m == NULL)
        return fail(c, "out of memory");
    protobuf_c_message_init(d, m);
    json_object_object_foreach(in, key, val)
    {
        size_t old = path_push_field(c, key);
        const ProtobufCFieldDescriptor *f = find_field(d, key);
        int r;
        if (f == NULL)
            r = fail(c, "unknown field of %s", d->name);
        else
            r = parse_field(c, m, f, val);
        path_pop(c, old);
        if (r != 0) {
            protobuf_c_message_free_unpacked(m, NULL);
            return -1;
        }
    }
    *out = m;
    return 0;
}

int ins_pbjson_parse(const ProtobufCMessageDescriptor *d, json_object *in, ProtobufCMessage **out,
                     char *why, size_t whylen)
{
    ctx c;
    c.path[0] = '\0';
    c.len = 0;
    c.why = why;
    c.whylen = whylen;
    if (why != NULL && whylen > 0)
        why[0] = '\0';
    return parse_message(&c, d, in, out);
}

/* ---- print ------------------------------------------------------------- */

static json_object *new_double(double d, int is_float)
{
    if (isnan(d))
        return json_object_new_string("NaN");
    if (isinf(d))
        return json_object_new_string(d > 0 ? "Infinity" : "-Infinity");
    /* the shortest text that reads back as the same value */
    char buf[40];
    int digits = is_float ? 6 : 15;
    for (;; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, d);
        if (is_float ? (float)strtod(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
        if (digits >= 17)
            break;
    }
    return json_object_new_double_s(d, buf);
}

/* A JSON string of `s` (NULL: ""), each byte that is not part of valid
 * UTF-8 replaced by U+FFFD. NULL when out of memory. */
static json_object *new_utf8_string(const char *s)
{
    if (s == NULL)
        s = "";
    size_t len = strlen(s);
    if (ins_utf8_check(s, len) == len)
        return json_object_new_string_len(s, (int)len);
    char *fixed = malloc(len * 3 + 1);
    if (fixed == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = ins_utf8_seq(s + i, len - i);
        if (n == 0) {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3); /* U+FFFD */
            o += 3;
            i++;
        } else {
            memcpy(fixed + o, s + i, n);
            o += n;
            i += n;
        }
    }
    json_object *v = json_object_new_string_len(fixed, (int)o);
    free(fixed);
    return v;
}

static json_object *print_value(const ProtobufCFieldDescriptor *f, const void *p)
{
    char buf[32];
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_object_new_int(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_object_new_int64(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        snprintf(buf, sizeof buf, "%" PRId64, *(const int64_t *)p);
        return json_object_new_string(buf);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        snprintf(buf, sizeof buf, "%" PRIu64, *(const uint64_t *)p);
        return json_object_new_string(buf);
    case PROTOBUF_C_TYPE_FLOAT:
        return new_double(*(const float *)p, 1);
    case PROTOBUF_C_TYPE_DOUBLE:
        return new_double(*(const double *)p, 0);
    case PROTOBUF_C_TYPE_BOOL:
        return json_object_new_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM: {
        int e = *(const int *)p;
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(f->descriptor, e);
        return v != NULL ? json_object_new_string(v->name) : json_object_new_int(e);
    }
    case PROTOBUF_C_TYPE_STRING:
        return new_utf8_string(*(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        char *t = b64_encode(b->data, b->len);
        if (t == NULL)
            return NULL;
        json_object *o = json_object_new_string(t);
        free(t);
        return o;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;
        if (m == NULL)
            return json_object_new_object();
        return ins_pbjson_print(m);
    }
    }
    return NULL;
}

/* Non-zero when a singular proto3 field holds its default value. */
static int is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return *(const uint32_t *)p == 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *)p == 0;
    case PROTOBUF_C_TYPE_FLOAT: {
        float x = *(const float *)p;
        return x == 0 && !signbit(x);
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        double x = *(const double *)p;
        return x == 0 && !signbit(x);
    }
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)p == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return s == NULL || s[0] == '\0';
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)p)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)p == NULL;
    }
    return 1;
}

json_object *ins_pbjson_print(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *slot = base + f->offset;
        json_object *v = NULL;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            if (n == 0)
                continue;
            v = json_object_new_array_ext((int)n);
            if (v == NULL)
                goto oom;
            const char *arr = *(char *const *)slot;
            size_t es = elem_size(f->type);
            for (size_t k = 0; k < n; k++) {
                json_object *e = print_value(f, arr + k * es);
                if (e == NULL || json_object_array_add(v, e) != 0) {
                    json_object_put(e);
                    json_object_put(v);
                    goto oom;
                }
            }
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
            v = print_value(f, slot);
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0 &&
                   f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
            if (!*(const protobuf_c_boolean *)(base + f->quantifier_offset))
                continue;
            v = print_value(f, slot);
        } else {
            if (is_default(f, slot))
                continue;
            v = print_value(f, slot);
        }
        if (v == NULL)
            goto oom;
        if (json_object_object_add(o, f->name, v) != 0) {
            json_object_put(v);
            goto oom;
        }
    }
    return o;
oom:
    json_object_put(o);
    return NULL;
}

const char *ins_pbjson_text(json_object *o, size_t *len)
{
    size_t n = 0;
    const char *t = json_object_to_json_string_length(o, INS_PBJSON_TEXT_FLAGS, &n);
    if (len != NULL)
        *len = t != NULL ? n : 0;
    return t;
}
