/*
 * ins_error.c - texts for the project's error space (see ins_error.h).
 *
 * No LMDB header here: LMDB's texts come through the weak
 * ins__lmdb_strerror(), which storage/ provides.
 */
#include "ins_error.h"

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
    if (err >= INS_LMDB_ERR_FIRST && err <= INS_LMDB_ERR_LAST)
        return ins__lmdb_strerror != NULL ? ins__lmdb_strerror(err) : "storage engine error";
    return "unknown error";
}
