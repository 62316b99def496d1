/*
 * status.h - the one mapping from the project's error space (ins_error.h) to
 * gRPC status codes, expanded from the INS_ERROR_TABLE X-macro.
 */
#ifndef INS_STATUS_H
#define INS_STATUS_H

#include <grpc/status.h>

/*
 * The gRPC status for `err`: the table's entry for the project's codes;
 * RESOURCE_EXHAUSTED for ENOMEM, ENOSPC, EDQUOT and a full LMDB map;
 * UNAVAILABLE for EIO and MDB_PANIC (a failed disk write); INTERNAL for
 * every other errno or LMDB code. 0 maps to GRPC_STATUS_OK. Can't fail.
 */
grpc_status_code ins_status_code(int err);

/* The canonical upper-case name of a gRPC status ("NOT_FOUND"), or
 * "UNKNOWN_STATUS" for a value outside the enum. Never NULL. */
const char *ins_status_name(grpc_status_code code);

/* The name of a status as grpc-prometheus labels it (grpc_code="NotFound":
 * grpc-go's spelling, which existing dashboards expect); "Unknown" outside
 * the enum. Never NULL. */
const char *ins_status_metric_name(grpc_status_code code);

#endif /* INS_STATUS_H */
