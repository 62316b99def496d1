/*
 * bstore.c - what every blob store shares (ins_bstore.h): the sentence of
 * its last failure.
 */
#include "ins_bstore.h"

void ins_bstore_last_error(const ins_bstore *bs, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    if (bs && bs->last_error)
        bs->last_error(bs->impl, buf, n);
}
