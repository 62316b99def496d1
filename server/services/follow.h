/*
 * follow.h - server streams that follow the change feed (WatchAlerts,
 * PullChanges): each reads the stored feed from its own cursor at its own
 * pace and is woken by commits, never by polling.
 *
 * Memory stays bounded however slow the client: a stream reads at most
 * INS_FOLLOW_BATCH feed entries, sends what they yield one message at a
 * time, and reads on only when that is gone. A fast writer never waits for
 * a slow reader; the reader just falls behind in the stored feed.
 *
 * All functions but ins_followers_notify run on the call's worker thread.
 */
#ifndef INS_FOLLOW_H
#define INS_FOLLOW_H

#include <pthread.h>
#include <stdint.h>

#include "call.h"
#include "ins_feed.h"

#define INS_FOLLOW_BATCH 256

/* The registry of following calls, one per process (ins_ctx.followers). */
typedef struct ins_followers {
    pthread_mutex_t lock;
    ins_call **calls;
    size_t n, cap;
} ins_followers;

void ins_followers_init(ins_followers *fs);
void ins_followers_destroy(ins_followers *fs);
/* Wakes every registered call (any thread; the store's commit hook). */
void ins_followers_notify(ins_followers *fs);
/* Streams registered now (any thread; for metrics). */
size_t ins_followers_count(ins_followers *fs);

typedef struct ins_follow ins_follow;

/*
 * Called for each feed entry after the cursor; queues what the stream
 * should send with ins_follow_push. Returns 0, or an error that ends the
 * call with that status and the message in `why`.
 */
typedef int (*ins_follow_pick_fn)(ins_follow *f, ins_rtxn *r, const ins_feed_entry *e, char *why,
                                  size_t whylen);

struct ins_follow {
    ins_call *call;
    ins_followers *registry;
    uint64_t cursor; /* last feed sequence read */
    int keep_open;   /* 0: finish when the feed is drained */
    ins_follow_pick_fn pick;
    /* Optional: called after each batch of feed entries, to queue what pick
     * gathered (PullChanges sends changes in batches). Returns 0 or ENOMEM. */
    int (*flush)(ins_follow *f);
    /* Optional: takes back a queued message once it is sent or dropped
     * (default: protobuf_c_message_free_unpacked), for handlers that build
     * their messages in memory of their own. */
    void (*release)(ins_follow *f, ProtobufCMessage *msg);
    void *arg; /* the handler's own state */
    ProtobufCMessage **queue;
    size_t head, len, cap;
    int sending, registered, finished;
};

/*
 * Prepares `f` for `call`, reading after `cursor`. With `keep_open` the
 * stream registers for wake-ups and stays open; without, it ends with OK
 * once it has sent everything up to the end of the feed.
 */
void ins_follow_init(ins_follow *f, ins_call *call, ins_followers *registry, uint64_t cursor,
                     int keep_open, ins_follow_pick_fn pick, void *arg);

/* Queues `msg` to send; takes ownership, also on failure: `msg` goes to
 * `release` (or is freed with protobuf_c_message_free_unpacked) once it is
 * sent or dropped. Returns 0 or ENOMEM. */
int ins_follow_push(ins_follow *f, ProtobufCMessage *msg);

/* Sends what is queued, reading more of the feed when the queue is empty.
 * Call it to start, and from the call's on_wake and on_sent (ok = 1). */
void ins_follow_pump(ins_follow *f);

/* The call's on_sent: the next message goes, or the stream stops when the
 * peer is gone (ok = 0). */
void ins_follow_on_sent(ins_follow *f, int ok);

/* Unregisters and frees the queue; from on_cancel and cleanup. Idempotent. */
void ins_follow_stop(ins_follow *f);

#endif /* INS_FOLLOW_H */
