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
 */
#ifndef INS_ERROR_H
#define INS_ERROR_H

#define INS_ERR_BASE (-31000)

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
    X(INS_EBUSY, INS_ERR_BASE - 10, RESOURCE_EXHAUSTED, "server is busy, retry later")             \
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
    X(INS_EINTERNAL, INS_ERR_BASE - 20, INTERNAL, "internal error")

enum ins_error {
#define INS_ERROR_ENUM(name, value, grpc, msg) name = (value),
    INS_ERROR_TABLE(INS_ERROR_ENUM)
#undef INS_ERROR_ENUM
};

/*
 * Returns a static, human-readable description of `err`: one of ours, an
 * LMDB code, or an errno value. Never returns NULL; unknown codes get a
 * generic text. Thread-safe.
 */
const char *ins_strerror(int err);

#endif /* INS_ERROR_H */
