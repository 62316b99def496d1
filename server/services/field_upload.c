/*
 * field_upload.c - Field.UploadPhoto and Field.GetUploadStatus: photos in
 * chunks over a weak link, committed as they arrive, resumable after any
 * disconnect or restart, verified by size and SHA-256, stored once.
 *
 * The call is a small state machine (see `ustate`): the header is checked
 * and the upload staged on a job thread (staging waits for a durable
 * commit); each chunk is appended asynchronously by the blob writer, which
 * wakes the call when the chunk is durable — so a slow or stalled tablet
 * holds no thread. Up to WINDOW chunks of one upload are in flight: the next
 * chunk is read while the previous ones are being made durable (appended in
 * order; queued appends share a commit), so one upload's commits are not
 * paid one after the other. Nothing is acknowledged early: the committed
 * offset (GetUploadStatus, the messages that say where to resume) only moves
 * when the blob writer reports a chunk durable, and a refusal that names it
 * waits for the chunks in flight to land. Finishing (hash check, filing the
 * content, the photo record) runs on a job thread too.
 *
 * Resuming costs no round trip of its own (field.proto, "Resuming an
 * upload"): as soon as the header is staged the committed offset goes out in
 * the call's initial metadata (INS_UPLOAD_OFFSET_MD), and chunks a tablet
 * sends again from below that offset are compared with the committed bytes
 * and skipped, not refused (skip_committed).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_directory.h"
#include "device_time.h"
#include "field_impl.h"
#include "reconciliation.h"
#include "ins_blob.h"
#include "ins_tier.h"
#include "ins_error.h"
#include "ins_hex.h"
#include "ins_limits.h"
#include "jobs.h"
#include "rec_photos.h"

/* Slots of one upload (filling, refused and waiting, queued or being
 * committed); 8 was measured best with bench/upload (1: 260, 4: 340, 8:
 * 395-430 MB/s). Each holds a copy of its bytes: at most WINDOW x
 * APPEND_MAX per upload. */
#define WINDOW 8
/* Consecutive chunks of one upload are gathered in one slot, up to
 * APPEND_MAX bytes (the most one append may carry), while earlier appends of
 * the upload are in flight: fewer blob writer operations, chunk records and
 * wakes per byte (bench/upload: ratio 0.67-0.77 -> 0.92-0.95). Like Nagle,
 * nothing is held while fewer than LOW_WATER appends are in flight (1: none),
 * so a slow tablet's chunks go out as they come. */
#define APPEND_MAX INS_CHUNK_MAX
#define LOW_WATER  1

typedef enum ustate {
    U_HEADER,    /* waiting for the header */
    U_STAGING,   /* staging job running */
    U_CHUNKS,    /* reading chunks, appending them (see the flags) */
    U_FINISHING, /* finish job running */
} ustate;

struct upload;

/* Consecutive chunks filling, or one append in flight: its bytes stay here
 * until the blob writer is done. */
typedef struct uslot {
    struct upload *u;
    uint8_t *buf;
    size_t cap;
    int busy; /* worker: filling, pending or queued, not yet collected */
    /* Written by the blob writer under upload.mu, collected by the worker. */
    int done;
    int err;
    uint64_t committed;
} uslot;

typedef struct upload {
    ins_call *call;
    ins_store *store;
    ustate st;
    Inspect__V1__UploadHeader *hdr; /* owned copy */
    char uploader[INS_PRINCIPAL_MAX];
    /* U_CHUNKS, worker thread only. */
    uint64_t committed; /* durable offset */
    uint64_t next;      /* offset the next chunk must have: committed + bytes not yet durable */
    uint64_t staged;    /* committed offset at staging: resent chunks below it are skipped */
    int inflight;       /* appends queued and not yet collected */
    int reading;        /* an ins_call_read is outstanding */
    int ended;          /* the tablet half-closed */
    int stopped;        /* a chunk at the wrong offset came: refuse once the rest lands */
    uint64_t bad_offset;
    uslot *pending; /* copied but refused with INS_EBUSY: queued again after an ack */
    uint64_t pending_off;
    size_t pending_len;
    uslot *fill; /* gathering chunks after `pending` (if any), not yet queued */
    uint64_t fill_off;
    size_t fill_len;
    size_t last_len;  /* the last chunk's size: `fill` is full when another would not fit */
    int werr;         /* first error the blob writer reported */
    uint64_t woffset; /* with it: the offset it reported */
    uslot slots[WINDOW];
    pthread_mutex_t mu; /* slots[].done/err/committed */
    /* Staging and finishing results handed from job threads; read after the
     * wake once job_done is set (a late append wake may come first). */
    atomic_int job_done;
    int err;
    uint64_t offset;
    char photo_id[65];
    int duplicate;
} upload;

/* Answers with the photo (a new upload, or one finished before). */
static void reply_photo(upload *u)
{
    Inspect__V1__UploadPhotoResponse resp = INSPECT__V1__UPLOAD_PHOTO_RESPONSE__INIT;
    resp.photo_id = u->photo_id;
    resp.size = u->hdr->total_size;
    resp.duplicate = u->duplicate;
    ins_call_reply(u->call, &resp.base);
}

/* ---- finishing (job thread) ---------------------------------------------- */

/* Findings of `task` waiting for photo `id` stop waiting; the task may now
 * be complete. */
static int photo_arrived(ins_wtxn *t, const char *task_id, const char *id, const char *actor)
{
    Inspect__V1__Task *task = NULL;
    int rc = ins_task_wget(t, task_id, &task);
    if (rc)
        return rc == INS_ENOTFOUND ? 0 : rc;
    rc = ins_findings_photo_arrived(t, task, id, actor);
    if (rc == 0)
        rc = ins_recon_check_submitted(t, task, actor, NULL);
    protobuf_c_message_free_unpacked(&task->base, NULL);
    return rc;
}

static int register_apply(ins_wtxn *t, void *arg)
{
    upload *u = arg;
    const Inspect__V1__UploadHeader *h = u->hdr;
    Inspect__V1__Photo p = INSPECT__V1__PHOTO__INIT;
    p.photo_id = u->photo_id;
    p.size = h->total_size;
    p.media_type = h->media_type;
    p.capture_unix = h->capture_unix;
    p.latitude = h->latitude;
    p.longitude = h->longitude;
    p.task_id = h->task_id;
    p.item_code = h->item_code;
    p.uploaded_by = u->uploader;
    p.uploaded_unix = ins_wtxn_unix(t);
    int rc = ins_photo_file(t, &p, h->sha256.data, h->upload_id, &u->duplicate);
    if (rc == 0)
        rc = photo_arrived(t, h->task_id, u->photo_id, u->uploader);
    return rc;
}

static void finish_job(void *arg)
{
    upload *u = arg;
    uint8_t sha[32];
    u->err = ins_blob_finish(u->store, u->hdr->upload_id, sha);
    if (u->err == 0) {
        ins_hex_encode(sha, 32, u->photo_id);
        u->err = ins_store_exec(u->store, register_apply, u);
    }
    /* Only now that meta has the upload may the staging go (ins_blob_finish):
     * a crash before leaves it answering every byte committed. A failed
     * release leaves a filed staging the TTL sweep collects. */
    if (u->err == 0)
        (void)ins_blob_release(u->store, u->hdr->upload_id);
    atomic_store_explicit(&u->job_done, 1, memory_order_release);
}

static void stage_job(void *arg)
{
    upload *u = arg;
    u->err = ins_blob_stage_begin(u->store, u->hdr->upload_id, u->hdr->total_size,
                                  u->hdr->sha256.data, &u->offset);
    atomic_store_explicit(&u->job_done, 1, memory_order_release);
}

/* ---- chunks (blob writer thread) ----------------------------------------- */

static void append_done(void *arg, int err, uint64_t committed)
{
    uslot *sl = arg;
    upload *u = sl->u;
    ins_call *call = u->call;
    pthread_mutex_lock(&u->mu);
    sl->done = 1;
    sl->err = err;
    sl->committed = committed;
    pthread_mutex_unlock(&u->mu);
    ins_call_wake(call);
    ins_call_unref(call); /* may free u */
}

/* ---- the call (worker thread) -------------------------------------------- */

/* Non-zero when `code` is an item of the template `dept` fills for `task`
 * (the pinned version). */
static int item_in_template(ins_rtxn *r, const Inspect__V1__Task *task, const char *dept,
                            const char *code)
{
    const Inspect__V1__TemplateRef *ref = ins_template_ref(task, dept);
    Inspect__V1__Template *tpl = NULL;
    if (!ref || ins_template_pinned(r, NULL, ref, &tpl) != 0)
        return 0;
    int found = 0;
    for (size_t j = 0; j < tpl->n_items && !found; j++)
        found = strcmp(tpl->items[j]->code, code) == 0;
    protobuf_c_message_free_unpacked(&tpl->base, NULL);
    return found;
}

/* Upload ids are the tablet's, scoped to its inspector: the store keeps
 * "<inspector>/<upload id>", so nobody sees or resumes another's upload.
 * Returns a malloc'd string or NULL. */
static char *scoped_id(const char *inspector, const char *id)
{
    char *out = NULL;
    return asprintf(&out, "%s/%s", inspector, id) < 0 ? NULL : out;
}

/* The store keeps `id` as "<inspector>/<id>" (scoped_id): checks it with the
 * store's rule, ins_upload_id_check. Returns 0 or has failed the call
 * with the one refusal of a bad upload id (UploadPhoto and GetUploadStatus). */
static int check_upload_id(ins_call *call, const char *inspector, const char *id)
{
    size_t scope = strlen(inspector) + 1;
    int rc = ins_upload_id_check(id, scope);
    if (rc)
        ins_call_fail(call, rc, "upload_id has %zu bytes; inspector %s may use 1..%zu", strlen(id),
                      inspector, scope < INS_UPLOAD_ID_MAX ? INS_UPLOAD_ID_MAX - scope : 0);
    return rc ? -1 : 0;
}

/* Checks the header; the caller must be on the task's team. Returns 0 or
 * has failed the call. */
static int check_header(upload *u, const Inspect__V1__UploadHeader *h)
{
    ins_ctx *ctx = ins_ctx_of(u->call);
    if (check_upload_id(u->call, u->uploader, h->upload_id) != 0)
        return -1;
    if (!h->task_id[0] || !h->item_code[0]) {
        ins_call_fail(u->call, INS_EINVAL, "header needs task_id and item_code");
        return -1;
    }
    if (h->sha256.len != 32 || h->total_size == 0) {
        ins_call_fail(u->call, INS_EINVAL, "header needs total_size > 0 and a 32-byte sha256");
        return -1;
    }
    if (h->total_size > ctx->max_photo_bytes) {
        ins_call_fail(u->call, INS_ETOOBIG,
                      "photo is %" PRIu64 " bytes; the limit is %" PRIu64 " bytes (%.0f MiB)",
                      h->total_size, ctx->max_photo_bytes,
                      (double)ctx->max_photo_bytes / (1 << 20));
        return -1;
    }
    ins_rtxn *r = NULL;
    Inspect__V1__Task *task = NULL;
    int rc = ins_store_read_begin(ctx->store, &r);
    if (rc == 0)
        rc = ins_task_get(r, h->task_id, &task);
    const char *dept = NULL;
    for (size_t i = 0; task && i < task->n_team; i++)
        if (strcmp(task->team[i]->inspector_id, u->uploader) == 0)
            dept = task->team[i]->department;
    int item_ok = dept && item_in_template(r, task, dept, h->item_code);
    char why[300];
    int time_ok = !task || ins_device_time_check("capture_unix", h->capture_unix,
                                                 (int64_t)(ins_store_now(ctx->store) / 1000000000u),
                                                 ctx->max_clock_skew_s, task->created_unix,
                                                 task->id, why, sizeof why) == 0;
    ins_rtxn_end(r);
    if (rc == INS_ENOTFOUND)
        ins_call_fail(u->call, rc, "no task %s", h->task_id);
    else if (rc)
        ins_call_fail(u->call, rc, "reading task %s: %s", h->task_id, ins_strerror(rc));
    else if (!dept)
        ins_call_fail(u->call, INS_EPERM, "inspector %s is not on the team of task %s", u->uploader,
                      h->task_id);
    else if (!item_ok)
        ins_call_fail(u->call, INS_EINVAL,
                      "item %s is not in the checklist department %s fills for task %s",
                      h->item_code, dept, h->task_id);
    else if (!time_ok)
        ins_call_fail(u->call, INS_EINVAL, "%s", why);
    if (task)
        protobuf_c_message_free_unpacked(&task->base, NULL);
    return rc || !dept || !item_ok || !time_ok ? -1 : 0;
}

/* An upload finished before (its answer lost on the way): answer again. */
static int finished_before(upload *u)
{
    ins_rtxn *r = NULL;
    int found = ins_store_read_begin(u->store, &r) == 0 &&
                ins_upload_photo(r, u->hdr->upload_id, u->photo_id) == 0;
    ins_rtxn_end(r);
    if (found) {
        char want[65];
        ins_hex_encode(u->hdr->sha256.data, 32, want);
        if (strcmp(want, u->photo_id) != 0) { /* the id was used for another photo */
            ins_call_fail(u->call, INS_EREUSED,
                          "upload id %s already holds photo %s, not this one; choose a new id",
                          u->hdr->upload_id, u->photo_id);
            return 1;
        }
        u->duplicate = 1;
        reply_photo(u);
    }
    return found;
}

static void on_header(upload *u, const Inspect__V1__UploadHeader *h)
{
    if (check_header(u, h) != 0)
        return;
    size_t len = protobuf_c_message_get_packed_size(&h->base);
    uint8_t *tmp = malloc(len ? len : 1);
    if (tmp) {
        protobuf_c_message_pack(&h->base, tmp);
        u->hdr = inspect__v1__upload_header__unpack(NULL, len, tmp);
        free(tmp);
    }
    char *scoped = u->hdr ? scoped_id(u->uploader, u->hdr->upload_id) : NULL;
    if (!scoped) {
        ins_call_fail(u->call, ENOMEM, "out of memory");
        return;
    }
    free(u->hdr->upload_id); /* allocated by unpack with the default allocator */
    u->hdr->upload_id = scoped;
    if (finished_before(u))
        return;
    /* With a photo tier, a new upload waits while the landing zone is full
     * (the object store down or behind); one already staged may finish. */
    char why[1600];
    if (ins_tier_admit(u->store, u->hdr->total_size, why, sizeof why) != 0 &&
        ins_blob_status(u->store, u->hdr->upload_id, NULL, NULL) == INS_ENOTFOUND) {
        ins_call_fail(u->call, INS_EFULL, "%s; the upload was not staged", why);
        return;
    }
    u->st = U_STAGING;
    atomic_store(&u->job_done, 0);
    if (ins_jobs_submit(ins_ctx_of(u->call)->jobs, u->call, stage_job, u) != 0)
        ins_call_fail(u->call, INS_ESHUTDOWN, "server is shutting down; resume later");
}

/* Collects the appends the blob writer is done with. */
static void collect(upload *u)
{
    pthread_mutex_lock(&u->mu);
    for (int i = 0; i < WINDOW; i++) {
        uslot *sl = &u->slots[i];
        if (!sl->busy || !sl->done)
            continue;
        sl->busy = sl->done = 0;
        u->inflight--;
        /* The first failure is kept, but a wrong offset is only the echo of
         * an earlier append of the window that failed (appends go out in
         * order): that append's error is the cause, and the answer names it. */
        if (sl->err && (!u->werr || (u->werr == INS_EOFFSET && sl->err != INS_EOFFSET))) {
            u->werr = sl->err;
            u->woffset = sl->committed;
        } else if (!sl->err && sl->committed > u->committed) {
            u->committed = sl->committed;
        }
    }
    pthread_mutex_unlock(&u->mu);
}

/* Queues the chunk copied in `sl`. Returns 0 or the error of
 * ins_blob_append_async (INS_EBUSY: the blob writer's queue is full). */
static int submit(upload *u, uslot *sl, uint64_t off, size_t len)
{
    sl->busy = 1;
    sl->done = 0;
    ins_call_ref(u->call); /* dropped in append_done */
    int rc = ins_blob_append_async(u->store, u->hdr->upload_id, off, sl->buf, len, append_done, sl);
    if (rc != 0) {
        sl->busy = 0;
        ins_call_unref(u->call);
        return rc;
    }
    u->inflight++;
    return 0;
}

/* Queues the gathered chunks (after `pending`: appends go in order). Returns
 * 0 (queued, or refused with INS_EBUSY and now pending) or has failed the
 * call. */
static int flush(upload *u)
{
    if (!u->fill || u->pending)
        return 0;
    uslot *sl = u->fill;
    int rc = submit(u, sl, u->fill_off, u->fill_len);
    if (rc == INS_EBUSY && u->inflight > 0) { /* queue full: again after an ack */
        sl->busy = 1;
        u->pending = sl;
        u->pending_off = u->fill_off;
        u->pending_len = u->fill_len;
        rc = 0;
    } else if (rc != 0) {
        ins_call_fail(u->call, rc,
                      rc == INS_EBUSY ? INS_MSG_BUSY " writing; resume from offset %" PRIu64
                                      : "cannot store the chunk; resume from offset %" PRIu64,
                      u->committed);
        return rc;
    }
    u->fill = NULL;
    return 0;
}

/* Moves the upload on after any event: collects durable chunks, retries a
 * chunk the full queue refused, refuses once the chunks in flight have
 * landed, finishes after the half-close, or reads the next chunk when the
 * window has room. */
static void pump(upload *u)
{
    char why[512];
    ins_call *call = u->call;
    if (ins_call_done(call))
        return;
    collect(u);
    if (u->pending && !u->werr) {
        int rc = submit(u, u->pending, u->pending_off, u->pending_len);
        if (rc == 0) {
            u->pending = NULL;
        } else if (rc != INS_EBUSY || u->inflight == 0) {
            ins_call_fail(call, rc,
                          rc == INS_EBUSY ? INS_MSG_BUSY " writing; resume from offset %" PRIu64
                                          : "cannot store the chunk; resume from offset %" PRIu64,
                          u->committed);
            return;
        }
    }
    /* Gathered chunks go out when the slot is full, when few appends are in
     * flight (never held while none is), or before a refusal or the finish. */
    if (u->fill && !u->pending && !u->werr &&
        (u->fill_len + u->last_len > APPEND_MAX || u->inflight < LOW_WATER || u->stopped ||
         u->ended) &&
        flush(u) != 0)
        return;
    if (u->werr && u->inflight > 0)
        return; /* refuse with the committed offset once the rest has landed */
    if (u->stopped && (u->inflight > 0 || u->pending || u->fill))
        return; /* the same, after the chunks before the bad one */
    if (u->werr == INS_EOFFSET) {
        ins_call_fail(call, u->werr,
                      "chunk out of order: the committed offset is %" PRIu64 "; resume from there",
                      u->woffset);
    } else if (ins_mut_space_why(u->store, u->werr, why, sizeof(why))) {
        ins_call_fail(call, u->werr,
                      "%s; the chunk was not stored, the first %" PRIu64 " bytes are kept "
                      "(GetUploadStatus): resume from there once writes succeed again",
                      why, u->committed);
    } else if (u->werr) {
        ins_call_fail(call, u->werr, "cannot store the chunk: %s; resume from offset %" PRIu64,
                      ins_strerror(u->werr), u->committed);
    } else if (u->stopped) {
        ins_call_fail(call, INS_EOFFSET,
                      "chunk at offset %" PRIu64 ", but the committed offset is %" PRIu64
                      ": resume from there",
                      u->bad_offset, u->committed);
    } else if (u->ended) {
        if (u->inflight > 0 || u->pending || u->fill)
            return;
        if (u->committed < u->hdr->total_size) {
            ins_call_fail(call, INS_ESTATE,
                          "only %" PRIu64 " of %" PRIu64
                          " bytes arrived; resume from offset %" PRIu64,
                          u->committed, u->hdr->total_size, u->committed);
            return;
        }
        atomic_store(&u->job_done, 0); /* before the job can run */
        if (ins_jobs_submit(ins_ctx_of(call)->jobs, call, finish_job, u) == 0)
            u->st = U_FINISHING;
        else
            ins_call_fail(call, INS_ESHUTDOWN, "server is shutting down; resume later");
    } else if (!u->reading && !u->pending &&
               u->inflight + (u->fill ? 1 : 0) < WINDOW) { /* a slot is free */
        u->reading = 1;
        if (ins_call_read(call) != 0)
            ins_call_fail(call, INS_ECANCELLED, "upload stopped");
    }
}

/* A chunk sent again from below the offset the upload was staged at (by a
 * tablet that resumed from an older offset than the server's): its part
 * below that offset is compared with the committed bytes and skipped; the
 * rest, if any, goes on as a chunk of its own. Returns 0 with *off, *data
 * and *len narrowed to that rest (*len 0: nothing is left), or has failed
 * the call: DATA_LOSS when the bytes differ, changing nothing. */
static int skip_committed(upload *u, uint64_t *off, const uint8_t **data, size_t *len)
{
    size_t n = u->staged - *off < *len ? (size_t)(u->staged - *off) : *len;
    uint8_t *stored = malloc(n);
    int rc = stored ? ins_blob_stage_read(u->store, u->hdr->upload_id, *off, stored, n) : ENOMEM;
    if (rc == 0 && memcmp(stored, *data, n) != 0)
        rc = INS_EDATALOSS;
    free(stored);
    if (rc == INS_EDATALOSS)
        ins_call_fail(u->call, rc,
                      "the chunk at offset %" PRIu64 " differs from the %zu bytes committed "
                      "there: the file is not the photo this upload began with; nothing was "
                      "changed",
                      *off, n);
    else if (rc)
        ins_call_fail(u->call, rc,
                      "cannot compare the chunk at offset %" PRIu64
                      " with the committed bytes: %s; resume from offset %" PRIu64,
                      *off, ins_strerror(rc), u->staged);
    if (rc)
        return -1;
    *off += n;
    *data += n;
    *len -= n;
    return 0;
}

static void on_chunk(upload *u, const Inspect__V1__UploadChunk *c)
{
    if (u->werr)
        return; /* refused once the chunks in flight land */
    if (c->data.len == 0 || c->data.len > INS_CHUNK_MAX) {
        ins_call_fail(u->call, INS_EINVAL,
                      "chunk of %zu bytes at %" PRIu64 ": chunks hold 1..%u bytes", c->data.len,
                      c->offset, INS_CHUNK_MAX);
        return;
    }
    /* The store's rule (ins_blob_chunk_fits), checked before the chunk is
     * queued so the tablet learns it at this chunk. */
    int rc = ins_blob_chunk_fits(u->hdr->total_size, c->offset, c->data.len);
    if (rc) {
        ins_call_fail(u->call, rc,
                      "chunk of %zu bytes at offset %" PRIu64 " ends past the declared "
                      "total_size of %" PRIu64 " bytes; upload the photo again under a new "
                      "upload_id with its real size",
                      c->data.len, c->offset, u->hdr->total_size);
        return;
    }
    uint64_t off = c->offset;
    const uint8_t *data = c->data.data;
    size_t len = c->data.len;
    /* Resent bytes come before any new one of this call. */
    if (off < u->staged && u->next == u->staged &&
        (skip_committed(u, &off, &data, &len) != 0 || len == 0))
        return;
    if (off != u->next) {
        /* Named once the chunks before it are durable (or not). */
        u->stopped = 1;
        u->bad_offset = off;
        return;
    }
    if (u->fill && u->fill_len + len > APPEND_MAX) {
        /* Does not fit: queue what is gathered, start another slot (reads
         * wait while an append is pending, so flush can move `fill` on). */
        if (flush(u) != 0)
            return;
        if (u->fill) {
            ins_call_fail(u->call, INS_EBUSY, INS_MSG_BUSY " writing; resume from offset %" PRIu64,
                          u->committed);
            return;
        }
    }
    if (!u->fill) {
        /* A slot is free (reads wait for one; no pending when flush left
         * one: reads wait for that too). */
        for (int i = 0; i < WINDOW && !u->fill; i++)
            if (!u->slots[i].busy)
                u->fill = &u->slots[i];
        if (!u->fill) {
            ins_call_fail(u->call, ENOMEM, "out of memory");
            return;
        }
        u->fill->busy = 1;
        u->fill_off = off;
        u->fill_len = 0;
    }
    uslot *sl = u->fill;
    size_t need = u->fill_len + len;
    if (sl->cap < need) { /* grows to what the tablet's chunks gather to */
        size_t cap = sl->cap ? sl->cap : len;
        while (cap < need)
            cap *= 2;
        if (cap > APPEND_MAX)
            cap = APPEND_MAX;
        uint8_t *buf = realloc(sl->buf, cap);
        if (!buf) {
            ins_call_fail(u->call, ENOMEM, "out of memory");
            return;
        }
        sl->buf = buf;
        sl->cap = cap;
    }
    memcpy(sl->buf + u->fill_len, data, len);
    atomic_fetch_add_explicit(&ins_ctx_of(u->call)->upload_bytes, len, memory_order_relaxed);
    u->fill_len = need;
    u->last_len = len;
    u->next = off + len;
}

static void upload_on_read(ins_call *call, const ProtobufCMessage *msg)
{
    upload *u = ins_call_data(call);
    const Inspect__V1__UploadPhotoRequest *req = (const Inspect__V1__UploadPhotoRequest *)msg;
    if (u->st == U_CHUNKS) {
        u->reading = 0;
        if (!req) /* the tablet half-closed: finish once the chunks in flight land */
            u->ended = 1;
        else if (req->part_case == INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_CHUNK)
            on_chunk(u, req->chunk);
        else
            ins_call_fail(call, INS_EINVAL, "after the header only chunks may follow");
        pump(u);
        return;
    }
    if (!req) /* the tablet half-closed */
        ins_call_fail(call, INS_EINVAL, "the upload ended before its header");
    else if (u->st == U_HEADER && req->part_case == INSPECT__V1__UPLOAD_PHOTO_REQUEST__PART_HEADER)
        on_header(u, req->header);
    else
        ins_call_fail(call, INS_EINVAL,
                      u->st == U_HEADER ? "the first message must be the header"
                                        : "after the header only chunks may follow");
}

static void upload_on_wake(ins_call *call)
{
    upload *u = ins_call_data(call);
    char why[512];
    if (ins_call_done(call))
        return;
    if ((u->st == U_STAGING || u->st == U_FINISHING) &&
        !atomic_load_explicit(&u->job_done, memory_order_acquire))
        return; /* a late wake from an append: the job's own wake follows */
    switch (u->st) {
    case U_STAGING:
        if (u->err == INS_EREUSED)
            ins_call_fail(call, u->err,
                          "upload id %s was started with another size or hash; choose a new id",
                          u->hdr->upload_id);
        else if (ins_mut_space_why(u->store, u->err, why, sizeof(why)))
            ins_call_fail(call, u->err, "%s; the upload was not staged", why);
        else if (u->err)
            ins_call_fail(call, u->err, "cannot stage the upload: %s", ins_strerror(u->err));
        else {
            u->committed = u->next = u->staged = u->offset;
            u->st = U_CHUNKS;
            /* Where to continue, before any chunk (the call may already be
             * over: pump notices). */
            char at[24];
            snprintf(at, sizeof at, "%" PRIu64, u->offset);
            (void)ins_call_send_headers(call, INS_UPLOAD_OFFSET_MD, at);
            pump(u);
        }
        break;
    case U_CHUNKS:
        pump(u);
        break;
    case U_FINISHING:
        if (u->err == INS_EDATALOSS)
            ins_call_fail(call, u->err,
                          "the %" PRIu64 " bytes received do not hash to the declared SHA-256; "
                          "nothing was kept: send the photo again",
                          u->hdr->total_size);
        else if (ins_mut_space_why(u->store, u->err, why, sizeof(why)))
            ins_call_fail(call, u->err,
                          "%s; the upload was not finished, its %" PRIu64 " bytes stay staged", why,
                          u->hdr->total_size);
        else if (u->err)
            ins_call_fail(call, u->err, "cannot finish the upload: %s", ins_strerror(u->err));
        else
            reply_photo(u);
        break;
    default:
        break; /* no wake is expected in the other states */
    }
}

static void upload_start(ins_call *call, const ProtobufCMessage *msg)
{
    (void)msg;
    upload *u = calloc(1, sizeof *u);
    if (!u) {
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    u->call = call;
    u->store = ins_ctx_of(call)->store;
    pthread_mutex_init(&u->mu, NULL);
    for (int i = 0; i < WINDOW; i++)
        u->slots[i].u = u;
    snprintf(u->uploader, sizeof u->uploader, "%s", ins_call_principal(call)->name);
    ins_call_set_data(call, u);
    u->st = U_HEADER;
    if (ins_call_read(call) != 0)
        ins_call_fail(call, INS_ECANCELLED, "upload stopped");
}

static void upload_cleanup(ins_call *call)
{
    upload *u = ins_call_data(call);
    if (!u)
        return;
    if (u->hdr)
        protobuf_c_message_free_unpacked(&u->hdr->base, NULL);
    for (int i = 0; i < WINDOW; i++)
        free(u->slots[i].buf);
    pthread_mutex_destroy(&u->mu);
    free(u);
}

const ins_method_ops ins_fld_upload_ops = {
    .start = upload_start,
    .on_read = upload_on_read,
    .on_wake = upload_on_wake,
    .cleanup = upload_cleanup,
};

/* ---- GetUploadStatus ----------------------------------------------------- */

static void status_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__GetUploadStatusRequest *req =
        (const Inspect__V1__GetUploadStatusRequest *)msg;
    if (check_upload_id(call, ins_call_principal(call)->name, req->upload_id) != 0)
        return;
    ins_store *store = ins_ctx_of(call)->store;
    char *id = scoped_id(ins_call_principal(call)->name, req->upload_id);
    if (!id) {
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    Inspect__V1__GetUploadStatusResponse resp = INSPECT__V1__GET_UPLOAD_STATUS_RESPONSE__INIT;
    char photo[65] = "";
    ins_rtxn *r = NULL;
    int rc = ins_store_read_begin(store, &r);
    if (rc == 0)
        (void)ins_upload_photo(r, id, photo); /* not finished: photo stays "" */
    ins_rtxn_end(r);
    if (photo[0]) {
        free(id);
        resp.state = INSPECT__V1__UPLOAD_STATE__UPLOAD_STATE_COMPLETE;
        resp.photo_id = photo;
        ins_call_reply(call, &resp.base);
        return;
    }
    uint64_t offset = 0, total = 0;
    rc = rc ? rc : ins_blob_status(store, id, &offset, &total);
    free(id);
    if (rc == INS_ENOTFOUND) {
        ins_call_fail(call, rc, "no upload %s: start it with UploadPhoto", req->upload_id);
        return;
    }
    if (rc) {
        ins_call_fail(call, rc, "reading upload %s: %s", req->upload_id, ins_strerror(rc));
        return;
    }
    resp.state = INSPECT__V1__UPLOAD_STATE__UPLOAD_STATE_STAGING;
    resp.committed_offset = offset;
    resp.total_size = total;
    resp.photo_id = photo;
    ins_call_reply(call, &resp.base);
}

const ins_method_ops ins_fld_upload_status_ops = {.start = status_start};
