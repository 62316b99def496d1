/*
 * follow.c - feed-following server streams (see follow.h).
 */
#include "follow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "ins_error.h"

void ins_followers_init(ins_followers *fs)
{
    pthread_mutex_init(&fs->lock, NULL);
    fs->calls = NULL;
    fs->n = fs->cap = 0;
}

void ins_followers_destroy(ins_followers *fs)
{
    pthread_mutex_destroy(&fs->lock);
    free(fs->calls);
}

void ins_followers_notify(ins_followers *fs)
{
    pthread_mutex_lock(&fs->lock);
    for (size_t i = 0; i < fs->n; i++)
        ins_call_wake(fs->calls[i]);
    pthread_mutex_unlock(&fs->lock);
}

size_t ins_followers_count(ins_followers *fs)
{
    pthread_mutex_lock(&fs->lock);
    size_t n = fs->n;
    pthread_mutex_unlock(&fs->lock);
    return n;
}

static int registry_add(ins_followers *fs, ins_call *call)
{
    int rc = 0;
    pthread_mutex_lock(&fs->lock);
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 64;
        ins_call **p = realloc(fs->calls, cap * sizeof *p);
        if (p) {
            fs->calls = p;
            fs->cap = cap;
        } else {
            rc = ENOMEM;
        }
    }
    if (rc == 0) {
        ins_call_ref(call);
        fs->calls[fs->n++] = call;
    }
    pthread_mutex_unlock(&fs->lock);
    return rc;
}

static void registry_remove(ins_followers *fs, ins_call *call)
{
    int found = 0;
    pthread_mutex_lock(&fs->lock);
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->calls[i] == call) {
            fs->calls[i] = fs->calls[--fs->n];
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&fs->lock);
    if (found)
        ins_call_unref(call);
}

void ins_follow_init(ins_follow *f, ins_call *call, ins_followers *registry, uint64_t cursor,
                     int keep_open, ins_follow_pick_fn pick, void *arg)
{
    memset(f, 0, sizeof *f);
    f->call = call;
    f->registry = registry;
    f->cursor = cursor;
    f->keep_open = keep_open;
    f->pick = pick;
    f->arg = arg;
}

/* Gives a queued message back: to the handler's release hook, or freed. */
static void release_msg(ins_follow *f, ProtobufCMessage *msg)
{
    if (f->release)
        f->release(f, msg);
    else
        protobuf_c_message_free_unpacked(msg, NULL);
}

int ins_follow_push(ins_follow *f, ProtobufCMessage *msg)
{
    if (f->head + f->len == f->cap) {
        if (f->head > 0) { /* slide the live part down first */
            memmove(f->queue, f->queue + f->head, f->len * sizeof *f->queue);
            f->head = 0;
        }
        if (f->len == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 32;
            ProtobufCMessage **q = realloc(f->queue, cap * sizeof *q);
            if (!q) {
                release_msg(f, msg);
                return ENOMEM;
            }
            f->queue = q;
            f->cap = cap;
        }
    }
    f->queue[f->head + f->len++] = msg;
    return 0;
}

typedef struct read_ctx {
    ins_follow *f;
    ins_rtxn *r;
    char why[256];
} read_ctx;

static int on_entry(void *arg, const ins_feed_entry *e)
{
    read_ctx *rc = arg;
    return rc->f->pick(rc->f, rc->r, e, rc->why, sizeof rc->why);
}

/* Reads up to one batch after the cursor. Returns the number of entries
 * read (0: the feed is drained) or a negative value after failing the call. */
static int read_batch(ins_follow *f)
{
    read_ctx ctx = {.f = f};
    uint64_t next = f->cursor;
    int rc = ins_store_read_begin(ins_ctx_of(f->call)->store, &ctx.r);
    if (rc == 0)
        rc = ins_feed_read(ctx.r, f->cursor, INS_FOLLOW_BATCH, on_entry, &ctx, &next);
    ins_rtxn_end(ctx.r);
    if (rc == 0 && f->flush)
        rc = f->flush(f);
    if (rc != 0) {
        ins_call_fail(f->call, rc, "%s", ctx.why[0] ? ctx.why : ins_strerror(rc));
        return -1;
    }
    int n = (int)(next - f->cursor);
    f->cursor = next;
    return n;
}

/*
 * Reads the feed until something is queued or the feed is drained (then a
 * stream that does not follow finishes, after any message in flight).
 * Returns 0, or -1 when the call has failed.
 */
static int fill(ins_follow *f)
{
    while (f->len == 0 && !f->finished) {
        int n = read_batch(f);
        if (n < 0) {
            ins_follow_stop(f); /* the call has failed: drop the registry's reference */
            return -1;
        }
        if (n == 0) {
            if (!f->keep_open) {
                f->finished = 1;
                ins_call_finish(f->call);
            }
            return 0; /* caught up: the next commit wakes us */
        }
    }
    return 0;
}

void ins_follow_pump(ins_follow *f)
{
    if (f->sending || f->finished || ins_call_done(f->call))
        return;
    if (f->keep_open && !f->registered) {
        if (registry_add(f->registry, f->call) != 0) {
            ins_call_fail(f->call, ENOMEM, "out of memory");
            return;
        }
        f->registered = 1;
    }
    if (fill(f) != 0)
        return;
    if (f->len == 0) {
        /* Caught up with nothing to send: the response headers go out now,
         * so a proxy in between sees the stream begin (call.h). */
        if (f->keep_open && ins_call_send_headers(f->call, NULL, NULL) == 0)
            f->sending = 1;
        return;
    }
    ProtobufCMessage *msg = f->queue[f->head];
    if (ins_call_send(f->call, msg) != 0) {
        ins_follow_stop(f);
        return;
    }
    f->sending = 1;
    f->head++;
    f->len--;
    release_msg(f, msg); /* ins_call_send has packed it */
    /* Read the next batch while the transport writes this one, so that the
     * send completion finds it ready: reading and sending overlap. */
    (void)fill(f);
}

void ins_follow_on_sent(ins_follow *f, int ok)
{
    f->sending = 0;
    if (ok)
        ins_follow_pump(f);
    else
        ins_follow_stop(f);
}

void ins_follow_stop(ins_follow *f)
{
    if (f->registered) {
        registry_remove(f->registry, f->call);
        f->registered = 0;
    }
    for (size_t i = 0; i < f->len; i++)
        release_msg(f, f->queue[f->head + i]);
    free(f->queue);
    f->queue = NULL;
    f->head = f->len = f->cap = 0;
}
