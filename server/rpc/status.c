/*
 * status.c - error space to gRPC status mapping (see status.h).
 */
#include "status.h"

#include <errno.h>
#include <lmdb.h>

#include "ins_error.h"

grpc_status_code ins_status_code(int err)
{
    switch (err) {
#define INS_STATUS_CASE(name, value, grpc, msg)                                                    \
    case name:                                                                                     \
        return GRPC_STATUS_##grpc;
        INS_ERROR_TABLE(INS_STATUS_CASE)
#undef INS_STATUS_CASE
    case ENOMEM:
    case ENOSPC:
    case EDQUOT:
    case MDB_MAP_FULL:
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    case EIO:       /* a failed disk write: nothing stored, the next may work */
    case MDB_PANIC: /* the store refuses writes until it is reopened */
        return GRPC_STATUS_UNAVAILABLE;
    default:
        return GRPC_STATUS_INTERNAL;
    }
}

const char *ins_status_name(grpc_status_code code)
{
    static const char *const names[] = {
        [GRPC_STATUS_OK] = "OK",
        [GRPC_STATUS_CANCELLED] = "CANCELLED",
        [GRPC_STATUS_UNKNOWN] = "UNKNOWN",
        [GRPC_STATUS_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
        [GRPC_STATUS_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
        [GRPC_STATUS_NOT_FOUND] = "NOT_FOUND",
        [GRPC_STATUS_ALREADY_EXISTS] = "ALREADY_EXISTS",
        [GRPC_STATUS_PERMISSION_DENIED] = "PERMISSION_DENIED",
        [GRPC_STATUS_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
        [GRPC_STATUS_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
        [GRPC_STATUS_ABORTED] = "ABORTED",
        [GRPC_STATUS_OUT_OF_RANGE] = "OUT_OF_RANGE",
        [GRPC_STATUS_UNIMPLEMENTED] = "UNIMPLEMENTED",
        [GRPC_STATUS_INTERNAL] = "INTERNAL",
        [GRPC_STATUS_UNAVAILABLE] = "UNAVAILABLE",
        [GRPC_STATUS_DATA_LOSS] = "DATA_LOSS",
        [GRPC_STATUS_UNAUTHENTICATED] = "UNAUTHENTICATED",
    };
    if ((unsigned)code < sizeof(names) / sizeof(names[0]) && names[code])
        return names[code];
    return "UNKNOWN_STATUS";
}

const char *ins_status_metric_name(grpc_status_code code)
{
    /* grpc-prometheus labels codes as grpc-go spells them (codes.Code.String). */
    static const char *const names[] = {
        [GRPC_STATUS_OK] = "OK",
        [GRPC_STATUS_CANCELLED] = "Canceled",
        [GRPC_STATUS_UNKNOWN] = "Unknown",
        [GRPC_STATUS_INVALID_ARGUMENT] = "InvalidArgument",
        [GRPC_STATUS_DEADLINE_EXCEEDED] = "DeadlineExceeded",
        [GRPC_STATUS_NOT_FOUND] = "NotFound",
        [GRPC_STATUS_ALREADY_EXISTS] = "AlreadyExists",
        [GRPC_STATUS_PERMISSION_DENIED] = "PermissionDenied",
        [GRPC_STATUS_RESOURCE_EXHAUSTED] = "ResourceExhausted",
        [GRPC_STATUS_FAILED_PRECONDITION] = "FailedPrecondition",
        [GRPC_STATUS_ABORTED] = "Aborted",
        [GRPC_STATUS_OUT_OF_RANGE] = "OutOfRange",
        [GRPC_STATUS_UNIMPLEMENTED] = "Unimplemented",
        [GRPC_STATUS_INTERNAL] = "Internal",
        [GRPC_STATUS_UNAVAILABLE] = "Unavailable",
        [GRPC_STATUS_DATA_LOSS] = "DataLoss",
        [GRPC_STATUS_UNAUTHENTICATED] = "Unauthenticated",
    };
    if ((unsigned)code < sizeof(names) / sizeof(names[0]) && names[code])
        return names[code];
    return "Unknown";
}
