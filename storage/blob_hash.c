/*
 * blob_hash.c - the running SHA-256 of each upload, so that the blob writer
 * never hashes.
 *
 * Each upload staged since the store opened has a running hash state; an
 * append that continues it is hashed on the submitting thread before it is
 * queued. The writer only checks that every append it commits was hashed in
 * order under the staging's current state and that none that was hashed
 * failed; anything else makes the state invalid, and finish then re-hashes
 * the stored chunks on the caller's thread (after a restart, after a failed
 * commit, after out-of-order appends). Which thread may call what is said on
 * each function: the writer alone changes the chains, gen and object.
 */
#include "blob_impl.h"
#include "ins_sha256.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define HS_MAX 1024 /* in-memory hash states kept */

/* Running SHA-256 of one upload. */
struct hs_entry {
    struct hs_entry *next; /* bucket chain: written by the writer under tab->mu */
    pthread_mutex_t mu;    /* ctx, undo, offset; gen/object/total change under it */
    char id[INS_UPLOAD_ID_MAX + 1];
    uint64_t gen;     /* hash run, new at each fresh staging (writer) */
    uint64_t object;  /* staging object it hashes (writer) */
    uint64_t total;   /* declared size */
    uint64_t offset;  /* bytes hashed */
    atomic_int valid; /* cleared by the writer when the hash can't be trusted */
    EVP_MD_CTX *ctx, *undo;
};

static unsigned hs_bucket(const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *id; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return h % HS_BUCKETS;
}

/* Writer thread: the writer is the only thread that changes the chains. */
static hs_entry *hs_find(ins_bstripe *b, const char *id)
{
    hs_entry *h = b->hs ? b->hs->bucket[hs_bucket(id)] : NULL;
    while (h && strcmp(h->id, id) != 0)
        h = h->next;
    return h;
}

/* Submitting threads: the entry of `id`, locked, or NULL. */
hs_entry *ins__blob_hs_lock(ins_bstripe *b, const char *id)
{
    struct ins_blob_hs *tab = b->hs;
    if (!tab)
        return NULL;
    pthread_mutex_lock(&tab->mu);
    hs_entry *h = tab->bucket[hs_bucket(id)];
    while (h && strcmp(h->id, id) != 0)
        h = h->next;
    if (h)
        pthread_mutex_lock(&h->mu); /* before tab->mu goes: the writer frees under both */
    pthread_mutex_unlock(&tab->mu);
    return h;
}

static void hs_free(hs_entry *h)
{
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_CTX_free(h->undo);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* Writer: unlinks and frees h, waiting for a submitter hashing into it. */
static void hs_remove(ins_bstripe *b, hs_entry *h)
{
    struct ins_blob_hs *tab = b->hs;
    pthread_mutex_lock(&tab->mu);
    for (hs_entry **p = &tab->bucket[hs_bucket(h->id)]; *p; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            tab->n--;
            break;
        }
    pthread_mutex_lock(&h->mu);
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_unlock(&tab->mu);
    hs_free(h);
}

void ins__blob_hs_drop(ins_bstripe *b, const char *id)
{
    hs_entry *h = hs_find(b, id);
    if (h)
        hs_remove(b, h);
}

/* Writer: a fresh hash run for a new staging of `id` (object, total). Without
 * memory the upload simply has no running hash and finish re-hashes it. */
void ins__blob_hs_start(ins_bstripe *b, const char *id, uint64_t object, uint64_t total)
{
    struct ins_blob_hs *tab = b->hs;
    hs_entry *h = hs_find(b, id);
    if (!tab)
        return;
    if (!h) {
        if (tab->n >= HS_MAX) { /* forget the oldest run; its finish re-hashes */
            hs_entry *old = NULL;
            for (size_t i = 0; i < HS_BUCKETS; i++)
                for (hs_entry *e = tab->bucket[i]; e; e = e->next)
                    if (!old || e->gen < old->gen)
                        old = e;
            if (old)
                hs_remove(b, old);
        }
        if (!(h = calloc(1, sizeof(*h))))
            return;
        pthread_mutex_init(&h->mu, NULL);
        h->ctx = EVP_MD_CTX_new();
        h->undo = EVP_MD_CTX_new();
        snprintf(h->id, sizeof(h->id), "%s", id);
        if (!h->ctx || !h->undo) {
            hs_free(h);
            return;
        }
        pthread_mutex_lock(&tab->mu);
        unsigned i = hs_bucket(id);
        h->next = tab->bucket[i];
        tab->bucket[i] = h;
        tab->n++;
        pthread_mutex_unlock(&tab->mu);
    }
    pthread_mutex_lock(&h->mu);
    h->gen = ++tab->gen_next;
    h->object = object;
    h->total = total;
    h->offset = 0;
    atomic_store(&h->valid, EVP_DigestInit_ex(h->ctx, ins_sha256_md(), NULL) == 1);
    pthread_mutex_unlock(&h->mu);
}

/* Writer: an append of `op` to staging `object` committed in this
 * transaction (ok) or failed. The running hash stays trusted only if every
 * append that lands was hashed in order under this run and every hashed
 * append lands. An append that met MDB_MAP_FULL is not noted: the writer
 * redoes it once the map has grown, and if it cannot, its completion fails
 * it (ins__blob_hs_note_failed). No lock: only the writer changes gen and
 * object. */
void ins__blob_hs_note_append(ins_bstripe *b, const blob_op *op, uint64_t object, int ok)
{
    hs_entry *h = hs_find(b, op->id);
    if (!h)
        return;
    int ours = op->hs_gen != 0 && op->hs_gen == h->gen && h->object == object;
    if (ok ? !ours : op->hs_gen == h->gen)
        atomic_store(&h->valid, 0);
}

/* Writer: the final hash of staging `object` of `total` bytes, if trusted. */
int ins__blob_hs_final(ins_bstripe *b, const char *id, uint64_t object, uint64_t total,
                       uint8_t out[32])
{
    hs_entry *h = hs_find(b, id);
    unsigned int hl = 32;
    int ok = 0;
    if (!h)
        return 0;
    pthread_mutex_lock(&h->mu);
    if (atomic_load(&h->valid) && h->object == object && h->offset == total) {
        EVP_MD_CTX *copy = EVP_MD_CTX_new(); /* keep h usable if the batch is redone */
        ok = copy && EVP_MD_CTX_copy_ex(copy, h->ctx) && EVP_DigestFinal_ex(copy, out, &hl);
        EVP_MD_CTX_free(copy);
    }
    pthread_mutex_unlock(&h->mu);
    return ok;
}

/* Submitting thread: releases an entry from ins__blob_hs_lock. */
void ins__blob_hs_unlock(hs_entry *h)
{
    pthread_mutex_unlock(&h->mu);
}

/* Submitting thread, h locked: hashes op's bytes if they continue the run. */
void ins__blob_hs_update(hs_entry *h, blob_op *op)
{
    op->hs_gen = 0;
    if (!atomic_load(&h->valid) || h->offset != op->offset || op->len > h->total - h->offset)
        return;
    if (!EVP_MD_CTX_copy_ex(h->undo, h->ctx) || !EVP_DigestUpdate(h->ctx, op->data, op->len)) {
        atomic_store(&h->valid, 0);
        return;
    }
    h->offset += op->len;
    op->hs_gen = h->gen;
}

/* Submitting thread, h locked: op was hashed but not queued. */
void ins__blob_hs_undo(hs_entry *h, blob_op *op)
{
    if (!op->hs_gen)
        return;
    if (op->hs_gen == h->gen && EVP_MD_CTX_copy_ex(h->ctx, h->undo))
        h->offset -= op->len;
    else
        atomic_store(&h->valid, 0);
    op->hs_gen = 0;
}

void ins__blob_free_hs(ins_bstripe *b)
{
    struct ins_blob_hs *tab = b->hs;
    if (!tab)
        return;
    for (size_t i = 0; i < HS_BUCKETS; i++)
        while (tab->bucket[i]) {
            hs_entry *h = tab->bucket[i];
            tab->bucket[i] = h->next;
            hs_free(h);
        }
    pthread_mutex_destroy(&tab->mu);
    free(tab);
    b->hs = NULL;
}

/* Writer thread, after the commit: a hashed append whose batch failed to
 * commit did not land, so its run can't be trusted any more. */
void ins__blob_hs_note_failed(blob_op *op, int err)
{
    hs_entry *h;
    if (err && op->kind == OP_APPEND && op->hs_gen && (h = hs_find(op->stripe, op->id)) != NULL &&
        h->gen == op->hs_gen)
        atomic_store(&h->valid, 0);
}
