/*
 * blob_reader.c - reading one content from wherever it lives (see
 * ins_blob_open in ins_blob.h): the local copy through ins_blob_read, or,
 * once there is none (never moved here, or freed by the tier meanwhile),
 * the tier's remote store a window at a time. With a tier attached the
 * reader hashes everything it hands out and checks the SHA-256 before the
 * last byte.
 */
#include "blob_impl.h"
#include "tier_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_hex.h"

#define WINDOW (1u << 20) /* bytes fetched from the remote store per request */

struct ins_blob_reader {
    ins_store *s;
    uint8_t sha[32];
    uint64_t size, off;
    int remote;     /* the local copy is gone: read the remote store */
    EVP_MD_CTX *md; /* NULL: no tier, no check (the local bytes were checked at finish) */
    uint8_t *win;
    uint64_t win_off;
    size_t win_len;
    int failed;
};

int ins_blob_open(ins_store *s, const uint8_t sha256[32], ins_blob_reader **out, uint64_t *size)
{
    ins_blob_reader *rd = calloc(1, sizeof *rd);
    if (!rd)
        return ENOMEM;
    rd->s = s;
    memcpy(rd->sha, sha256, 32);
    int rc = ins__blob_local_stat(s, sha256, &rd->size);
    if (rc == INS_ENOTFOUND && (rc = ins__tier_remote(s, sha256, &rd->size)) == 0)
        rd->remote = 1;
    if (rc == 0 && (s->tier || rd->remote)) {
        if (!(rd->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(rd->md, EVP_sha256(), NULL))
            rc = ENOMEM;
    }
    if (rc) {
        ins_blob_reader_close(rd);
        return rc;
    }
    if (size)
        *size = rd->size;
    *out = rd;
    return 0;
}

int ins_blob_reader_remote(const ins_blob_reader *rd)
{
    return rd->remote && !(rd->off >= rd->win_off && rd->off < rd->win_off + rd->win_len);
}

/* Counts and says a content that does not match its name. */
static int data_loss(ins_blob_reader *rd, const char *what)
{
    char hex[65];
    ins_hex_encode(rd->sha, 32, hex);
    fprintf(stderr, "inspectd: photo %s read from the object store %s\n", hex, what);
    if (rd->s->tier)
        atomic_fetch_add(&rd->s->tier->data_loss, 1);
    return INS_EDATALOSS;
}

/* Fills the window from the remote store at rd->off. */
static int fetch(ins_blob_reader *rd)
{
    ins_tier *tr = rd->s->tier;
    if (!tr)
        return INS_EUNREACH; /* lives remotely, but no --blob-store is configured */
    if (!rd->win && !(rd->win = malloc(WINDOW)))
        return ENOMEM;
    uint64_t left = rd->size - rd->off;
    size_t want = left < WINDOW ? (size_t)left : WINDOW, got = 0;
    ins_bstore *rs = &tr->o.remote;
    int rc = rs->ops->get(rs->impl, rd->sha, rd->off, rd->win, want, &got);
    if (rc == INS_ENOTFOUND)
        return data_loss(rd, "is missing there");
    if (rc) {
        char last[1200], msg[1300];
        ins_bstore_last_error(rs, last, sizeof last);
        snprintf(msg, sizeof msg, "reading a photo: %s", last);
        ins__tier_failed(tr, rc, msg);
        return rc;
    }
    ins__tier_reached(tr);
    if (got < want)
        return data_loss(rd, "is shorter than recorded");
    rd->win_off = rd->off;
    rd->win_len = got;
    return 0;
}

int ins_blob_reader_read(ins_blob_reader *rd, void *buf, size_t len, size_t *n)
{
    *n = 0;
    if (rd->failed)
        return INS_ESTATE;
    if (rd->off >= rd->size || len == 0)
        return 0;
    if (len > rd->size - rd->off)
        len = (size_t)(rd->size - rd->off);
    int rc = 0;
    if (!rd->remote) {
        rc = ins_blob_read(rd->s, rd->sha, rd->off, buf, len, n);
        if (rc == INS_ENOTFOUND && ins__tier_remote(rd->s, rd->sha, NULL) == 0) {
            rd->remote = 1; /* freed by the tier since: go on remotely */
            rc = 0;
        } else if (rc == 0 && *n != len) {
            rc = INS_ECORRUPT;
        }
    }
    if (rc == 0 && rd->remote) {
        if (!(rd->off >= rd->win_off && rd->off < rd->win_off + rd->win_len))
            rc = fetch(rd);
        if (rc == 0) {
            size_t at = (size_t)(rd->off - rd->win_off), k = rd->win_len - at;
            *n = k < len ? k : len;
            memcpy(buf, rd->win + at, *n);
        }
    }
    if (rc == 0 && rd->md) {
        EVP_DigestUpdate(rd->md, buf, *n);
        if (rd->off + *n == rd->size) {
            uint8_t got[32];
            unsigned hl = 32;
            EVP_DigestFinal_ex(rd->md, got, &hl);
            if (memcmp(got, rd->sha, 32) != 0)
                rc = data_loss(rd, "does not match its SHA-256");
        }
    }
    if (rc) {
        *n = 0;
        rd->failed = 1;
        return rc;
    }
    rd->off += *n;
    return 0;
}

void ins_blob_reader_close(ins_blob_reader *rd)
{
    if (!rd)
        return;
    EVP_MD_CTX_free(rd->md);
    free(rd->win);
    free(rd);
}
