/*
 * upload.c - the one rule on upload ids (ins_upload.h).
 */
#include "ins_upload.h"

#include <string.h>

#include "ins_error.h"

int ins_upload_id_check(const char *id, size_t prefix)
{
    size_t n = id ? strlen(id) : 0;
    return n > 0 && prefix <= INS_UPLOAD_ID_MAX && n <= INS_UPLOAD_ID_MAX - prefix ? 0 : INS_EINVAL;
}
