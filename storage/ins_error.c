/*
 * ins_error.c - texts for the project's error space (see ins_error.h).
 */
#include "ins_error.h"

#include <lmdb.h>
#include <string.h>

const char *ins_strerror(int err)
{
    switch (err) {
#define INS_ERROR_CASE(name, value, grpc, msg)                                                     \
    case name:                                                                                     \
        return msg;
        INS_ERROR_TABLE(INS_ERROR_CASE)
#undef INS_ERROR_CASE
    default:
        break;
    }
    if (err > 0)
        return strerror(err); /* glibc: thread-safe for known values */
    if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
        return mdb_strerror(err);
    return "unknown error";
}
