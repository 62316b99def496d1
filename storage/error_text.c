/*
 * error_text.c - LMDB's texts for ins_strerror() (see common/ins_error.h).
 *
 * common/ may not include LMDB, so ins_strerror() reaches LMDB's band through
 * this one function, referenced weakly there. storage/CMakeLists.txt makes
 * every program that links the storage engine pull this file in.
 */
#include <lmdb.h>

#include "ins_error.h"

const char *ins__lmdb_strerror(int err)
{
    return mdb_strerror(err);
}
