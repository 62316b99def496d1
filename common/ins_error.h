/*
 * ins_error.h - the one error space of inspectd.
 *
 * Every layer (storage, domain, rpc, services, client) reports failures as an
 * int: 0 is success, the project's own codes sit in a reserved negative band
 * (INS_ERR_BASE and below), LMDB's codes keep their own negative band
 * (-30799 .. -30780), and positive values are errno. ins_strerror() covers
 * all three.
 *
 * INS_ERROR_TABLE is an X-macro: X(name, value, grpc_status, message).
 * `grpc_status` is the gRPC status name without its GRPC_STATUS_ prefix; only
 * server/rpc expands it against <grpc/status.h>, so this header stays free of
 * gRPC and can be included by storage/ and server/domain/.
 *
 * This header and ins_error.c live in common/, below every layer, and
 * include neither gRPC nor LMDB. The texts of LMDB's band come from the
 * storage engine when it is linked: storage/ defines ins__lmdb_strerror()
 * (a weak reference here) and forces it into every program that links it, so
 * ins_strerror() prints LMDB's own text wherever an LMDB code can arise; a
 * program without storage/ (inspectctl) prints a generic text for that band.
 */
#ifndef INS_ERROR_H
#define INS_ERROR_H

#define INS_ERR_BASE (-31000)

/*
 * How a RESOURCE_EXHAUSTED message begins tells a client whether to retry:
 * INS_MSG_BUSY (a writer's queue is full: retry with the same request_id, or
 * resume an upload) or INS_MSG_STORE_FULL / INS_MSG_DISK_FULL (no retry can
 * succeed until space is made). The server's messages for INS_EBUSY, INS_EFULL
 * and ENOSPC start with these words; clients compare prefixes, never guess.
 */
#define INS_MSG_BUSY       "the server is busy"
#define INS_MSG_STORE_FULL "the store is full"
#define INS_MSG_DISK_FULL  "the disk is full"

/* LMDB's own band (MDB_KEYEXIST .. MDB_LAST_ERRCODE in lmdb.h). */
#define INS_LMDB_ERR_FIRST (-30799)
#define INS_LMDB_ERR_LAST  (-30780)

#define INS_ERROR_TABLE(X)                                                                         \
    X(INS_OK, 0, OK, "success")                                                                    \
    X(INS_ENOTFOUND, INS_ERR_BASE - 1, NOT_FOUND, "not found")                                     \
    X(INS_EEXIST, INS_ERR_BASE - 2, ALREADY_EXISTS, "already exists")                              \
    X(INS_ECONFLICT, INS_ERR_BASE - 3, FAILED_PRECONDITION, "version conflict")                    \
    X(INS_ESTATE, INS_ERR_BASE - 4, FAILED_PRECONDITION, "not allowed in the current state")       \
    X(INS_EINVAL, INS_ERR_BASE - 5, INVALID_ARGUMENT, "invalid argument")                          \
    X(INS_EPERM, INS_ERR_BASE - 6, PERMISSION_DENIED, "permission denied")                         \
    X(INS_EAUTH, INS_ERR_BASE - 7, UNAUTHENTICATED, "not authenticated")                           \
    X(INS_EFULL, INS_ERR_BASE - 8, RESOURCE_EXHAUSTED, "store is full")                            \
    X(INS_ETOOBIG, INS_ERR_BASE - 9, RESOURCE_EXHAUSTED, "too large")                              \
    X(INS_EBUSY, INS_ERR_BASE - 10, RESOURCE_EXHAUSTED, "the server is busy, retry later")         \
    X(INS_ETIMEDOUT, INS_ERR_BASE - 11, DEADLINE_EXCEEDED, "deadline exceeded")                    \
    X(INS_ESHUTDOWN, INS_ERR_BASE - 12, UNAVAILABLE, "server is shutting down")                    \
    X(INS_EDATALOSS, INS_ERR_BASE - 13, DATA_LOSS, "content does not match its hash")              \
    X(INS_ECORRUPT, INS_ERR_BASE - 14, DATA_LOSS, "stored record is corrupt")                      \
    X(INS_EREUSED, INS_ERR_BASE - 15, ALREADY_EXISTS,                                              \
      "request id already used for a different request")                                           \
    X(INS_ESCHEMA, INS_ERR_BASE - 16, FAILED_PRECONDITION,                                         \
      "store was written by a newer inspectd")                                                     \
    X(INS_ECANCELLED, INS_ERR_BASE - 17, CANCELLED, "cancelled")                                   \
    X(INS_EUNIMPL, INS_ERR_BASE - 18, UNIMPLEMENTED, "method not implemented")                     \
    X(INS_EOFFSET, INS_ERR_BASE - 19, FAILED_PRECONDITION, "chunk at the wrong offset")            \
    X(INS_EINTERNAL, INS_ERR_BASE - 20, INTERNAL, "internal error")                                \
    X(INS_ERANGE, INS_ERR_BASE - 21, OUT_OF_RANGE, "position is past the end")                     \
    X(INS_EUNREACH, INS_ERR_BASE - 22, UNAVAILABLE, "the object store is unreachable")

enum ins_error {
#define INS_ERROR_ENUM(name, value, grpc, msg) name = (value),
    INS_ERROR_TABLE(INS_ERROR_ENUM)
#undef INS_ERROR_ENUM
};

/*
 * Returns a static, human-readable description of `err`: one of ours, an
 * LMDB code, or an errno value. Never returns NULL; unknown codes get a
 * generic text. Thread-safe. This function can't fail.
 */
const char *ins_strerror(int err);

/*
 * LMDB's text for a code of its band: defined by storage/ (error_text.c),
 * never by common/. Not to be called directly; ins_strerror() calls it when
 * it is linked. The returned text is static.
 */
const char *ins__lmdb_strerror(int err) __attribute__((weak));

#endif /* INS_ERROR_H */
