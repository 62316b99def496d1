/*
 * ins_descset.h - an index over a serialized FileDescriptorSet, for
 * reflection (server/services/reflection.c). A protobuf index, not a
 * service, so it lives in common/.
 *
 * The server embeds the FileDescriptorSet of its wire protos (protoc
 * --include_imports, so every import is in the set). Reflection needs three
 * questions answered fast and without gRPC: the serialized
 * FileDescriptorProto of a file by name, the file that declares a
 * fully-qualified symbol, and a file together with its transitive imports.
 * ins_descset_open() parses the set once and builds that index; after that
 * the set is read-only, so any number of threads may query it at once
 * without a lock. No gRPC header is included here.
 *
 * Symbols are fully-qualified names without a leading dot ("pkg.Msg",
 * "pkg.Msg.Nested", "pkg.Enum", "pkg.Service", "pkg.Service.Method",
 * "pkg.Msg.field", enum values in the scope that encloses their enum as
 * protobuf scopes them: "pkg.ENUM_VALUE"). A leading dot in a query is
 * accepted and ignored.
 */
#ifndef INS_DESCSET_H
#define INS_DESCSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct ins_descset ins_descset;

/* What a symbol names. */
typedef enum ins_descset_kind {
    INS_DESCSET_MESSAGE = 1,    /* message type, nested ones too */
    INS_DESCSET_ENUM = 2,       /* enum type, top-level or nested */
    INS_DESCSET_SERVICE = 3,    /* service */
    INS_DESCSET_METHOD = 4,     /* "pkg.Service.Method" */
    INS_DESCSET_FIELD = 5,      /* message field or extension declared in a scope */
    INS_DESCSET_ENUM_VALUE = 6, /* enum value, in the enum's enclosing scope */
} ins_descset_kind;

/*
 * Parses the serialized FileDescriptorSet `buf` (`len` bytes) and builds the
 * index. `buf` is not referenced after the call (everything is copied).
 * Returns 0 and the set in `*out`, freed with ins_descset_free(). On error
 * `*out` is NULL and nothing is left allocated:
 *   INS_EINVAL  `buf` is not a FileDescriptorSet, a file has no name, two
 *               files share a name, a file imports one that is not in the
 *               set, or two files declare the same symbol;
 *   ENOMEM      out of memory.
 */
int ins_descset_open(const unsigned char *buf, size_t len, ins_descset **out);

/* Frees the set; every pointer it handed out becomes invalid. NULL is fine. */
void ins_descset_free(ins_descset *set);

/* Number of files in the set. This function can't fail. */
size_t ins_descset_file_count(const ins_descset *set);

/*
 * Finds the file named `name` ("grpc/health/v1/health.proto"). Returns 0 and
 * its serialized FileDescriptorProto in `*bytes`/`*len` (either may be NULL
 * when not wanted), or INS_ENOTFOUND. The bytes belong to the set and stay
 * valid until ins_descset_free().
 */
int ins_descset_file(const ins_descset *set, const char *name, const unsigned char **bytes,
                     size_t *len);

/*
 * Finds the file that declares the fully-qualified `symbol`. Returns 0, the
 * file's name in `*filename` (owned by the set, valid until
 * ins_descset_free()) and what the symbol names in `*kind`; either output
 * may be NULL. Returns INS_ENOTFOUND for an unknown symbol (also for "" and
 * for a package name, which is not a symbol of its own).
 */
int ins_descset_file_for_symbol(const ins_descset *set, const char *symbol, const char **filename,
                                ins_descset_kind *kind);

/*
 * Finds the file that declares extension `number` of message type `extendee`
 * (fully-qualified, leading dot optional). Returns 0 and the file name in
 * `*filename` (owned by the set; may be NULL when not wanted), or
 * INS_ENOTFOUND when there is no such extension.
 */
int ins_descset_file_for_extension(const ins_descset *set, const char *extendee, int32_t number,
                                   const char **filename);

/*
 * Lists the extension numbers declared in the set for message type `type`.
 * Returns 0 with a malloc'd array in `*nums` (the caller frees it with
 * free(); NULL when `*n` is 0) and its length in `*n`. Errors:
 * INS_ENOTFOUND when `type` is not a message type of the set; ENOMEM.
 * On error `*nums` is NULL and `*n` is 0.
 */
int ins_descset_extension_numbers(const ins_descset *set, const char *type, int32_t **nums,
                                  size_t *n);

/*
 * Called once per file by ins_descset_files_with_deps(): its name and
 * serialized FileDescriptorProto, both owned by the set. A non-zero return
 * stops the walk and becomes the walk's result.
 */
typedef int (*ins_descset_file_fn)(void *arg, const char *name, const unsigned char *bytes,
                                   size_t len);

/*
 * Calls `fn` for the file `filename` first, then for each of its transitive
 * imports, each file exactly once (import cycles are tolerated). Returns 0
 * when every call returned 0; INS_ENOTFOUND (and calls nothing) when there is
 * no such file; otherwise the first non-zero value `fn` returned. Does not
 * allocate.
 */
int ins_descset_files_with_deps(const ins_descset *set, const char *filename,
                                ins_descset_file_fn fn, void *arg);

#endif /* INS_DESCSET_H */
