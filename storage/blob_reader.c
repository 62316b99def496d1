/*
 * blob_reader.c - reading one content from wherever it lives (see
 * ins_blob_open in ins_blob.h): the local copy through ins_blob_read, or,
 * once there is none (never moved here, or freed by the tier meanwhile),
 * the tier's remote store in one streamed GET that runs ahead of the reader
 * by at most RING bytes. With a tier attached the
 * reader hashes everything it hands out and checks the SHA-256 before the
 * last byte.
 */
#include "blob_impl.h"
#include "tier_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_hex.h"
#include "ins_sha256.h"

#define RING (1u << 20) /* bytes of the remote stream held ahead of the reader */

/* The remote stream: one GET from the reader's offset to the end, written
 * into a ring by its own thread as the bytes arrive (so fetching overlaps
 * with the caller sending what it read), read out by the reader. */
typedef struct stream {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *ring;
    size_t head, len; /* mu: where the unread bytes start, how many */
    int done, err;    /* mu: the GET ended, with err */
    int stop;         /* mu: the reader is closing */
    ins_bstore *rs;
    uint8_t sha[32];
    uint64_t off;
} stream;

struct ins_blob_reader {
    ins_store *s;
    uint8_t sha[32];
    uint64_t size, off;
    int remote;     /* the local copy is gone: read the remote store */
    EVP_MD_CTX *md; /* NULL: no tier, no check (the local bytes were checked at finish) */
    stream *st;     /* the remote stream, once started */
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
        if (!(rd->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(rd->md, ins_sha256_md(), NULL))
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

int ins_blob_reader_remote(const ins_blob_reader *rd, size_t len)
{
    if (!rd->remote)
        return 0;
    stream *st = rd->st;
    if (!st)
        return 1;
    uint64_t left = rd->size - rd->off;
    if (len > left)
        len = (size_t)left;
    pthread_mutex_lock(&st->mu);
    int ready = st->len >= len || st->done;
    pthread_mutex_unlock(&st->mu);
    return !ready;
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

/* ---- the stream (its own thread) ---- */

static int into_ring(void *arg, const void *data, size_t n)
{
    stream *st = arg;
    const uint8_t *p = data;
    pthread_mutex_lock(&st->mu);
    while (n > 0 && !st->stop) {
        while (st->len == RING && !st->stop)
            pthread_cond_wait(&st->cv, &st->mu);
        size_t tail = (st->head + st->len) % RING;
        size_t k = RING - st->len;
        if (k > RING - tail)
            k = RING - tail;
        if (k > n)
            k = n;
        memcpy(st->ring + tail, p, k);
        st->len += k;
        p += k;
        n -= k;
        pthread_cond_broadcast(&st->cv);
    }
    int rc = st->stop ? ECANCELED : 0;
    pthread_mutex_unlock(&st->mu);
    return rc;
}

static void *stream_main(void *arg)
{
    stream *st = arg;
    int rc = st->rs->ops->get_stream(st->rs->impl, st->sha, st->off, into_ring, st);
    pthread_mutex_lock(&st->mu);
    st->done = 1;
    st->err = rc;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

static int stream_start(ins_blob_reader *rd)
{
    ins_tier *tr = rd->s->tier;
    if (!tr)
        return INS_EUNREACH; /* lives remotely, but no --blob-store is configured */
    stream *st = calloc(1, sizeof *st);
    if (!st || !(st->ring = malloc(RING))) {
        free(st);
        return ENOMEM;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    st->rs = &tr->o.remote;
    memcpy(st->sha, rd->sha, 32);
    st->off = rd->off;
    int rc = pthread_create(&st->th, NULL, stream_main, st);
    if (rc) {
        pthread_cond_destroy(&st->cv);
        pthread_mutex_destroy(&st->mu);
        free(st->ring);
        free(st);
        return rc;
    }
    rd->st = st;
    return 0;
}

static void stream_stop(stream *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->mu);
    st->stop = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->th, NULL);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
    free(st->ring);
    free(st);
}

/* Takes up to len bytes of the stream into buf, waiting for them. */
static int from_stream(ins_blob_reader *rd, uint8_t *buf, size_t len, size_t *n)
{
    stream *st = rd->st;
    pthread_mutex_lock(&st->mu);
    while (st->len == 0 && !st->done)
        pthread_cond_wait(&st->cv, &st->mu);
    size_t k = st->len < len ? st->len : len, first = RING - st->head < k ? RING - st->head : k;
    memcpy(buf, st->ring + st->head, first);
    memcpy(buf + first, st->ring, k - first);
    st->head = (st->head + k) % RING;
    st->len -= k;
    int err = st->len == 0 && st->done ? st->err : 0;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    *n = k;
    if (k > 0)
        return 0;
    ins_tier *tr = rd->s->tier;
    if (err == INS_ENOTFOUND)
        return data_loss(rd, "is missing there");
    if (err) {
        char last[1200], msg[1300];
        ins_bstore_last_error(&tr->o.remote, last, sizeof last);
        snprintf(msg, sizeof msg, "reading a photo: %s", last);
        ins__tier_failed(tr, err, msg);
        return err;
    }
    return data_loss(rd, "is shorter than recorded");
}

/* ---- reading ---- */

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
        if (!rd->st)
            rc = stream_start(rd);
        for (size_t k = 0; rc == 0 && *n < len; *n += k) /* all of len, as local reads */
            rc = from_stream(rd, (uint8_t *)buf + *n, len - *n, &k);
        if (rc == 0 && rd->s->tier)
            ins__tier_reached(rd->s->tier);
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
    stream_stop(rd->st);
    EVP_MD_CTX_free(rd->md);
    free(rd);
}
