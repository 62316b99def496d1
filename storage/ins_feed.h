/*
 * ins_feed.h - the change feed.
 *
 * Every mutation appends feed entries in its own transaction; each entry gets
 * the next sequence number (1, 2, 3, ... with no gaps among committed
 * entries). Readers walk the feed from a cursor (the last sequence they have
 * seen) and followers are woken on commit: the server through
 * ins_store_on_commit, tools and tests through ins_feed_wait. Nothing polls.
 */
#ifndef INS_FEED_H
#define INS_FEED_H

#include "ins_store.h"

/* One feed entry as read back. Every pointer is valid during the callback
 * only; strings are NUL-terminated. */
typedef struct ins_feed_entry {
    uint64_t seq;
    uint64_t time_ns;
    const char *entity_kind;
    const void *entity_key;
    size_t entity_key_len;
    const char *change; /* e.g. "created", "updated", "deleted" */
    const char *const *departments;
    size_t n_departments;
} ins_feed_entry;

/*
 * Appends a feed entry inside apply. `departments` lists who may see it
 * (n may be 0). *seq (optional) receives its sequence. The entry vanishes
 * with the mutation if apply fails.
 * Errors: INS_EINVAL (NULL kind or change), ENOMEM, MDB_MAP_FULL, LMDB errors.
 */
int ins_wtxn_feed(ins_wtxn *t, const char *entity_kind, const void *key, size_t klen,
                  const char *change, const char *const *departments, size_t n, uint64_t *seq);

/*
 * Calls cb(arg, entry) for up to `max` entries with sequence > after_seq, in
 * order, until cb returns non-zero (returned). *next (optional) receives the
 * last sequence delivered (after_seq if none): pass it back as the cursor.
 * Errors: INS_ECORRUPT (an entry does not decode), LMDB errors, cb's value.
 */
typedef int (*ins_feed_fn)(void *arg, const ins_feed_entry *e);
int ins_feed_read(ins_rtxn *r, uint64_t after_seq, size_t max, ins_feed_fn cb, void *arg,
                  uint64_t *next);

/* Last committed feed sequence (0 when empty). Can't fail. */
uint64_t ins_feed_last(ins_store *s);

/*
 * Waits until the committed feed passes after_seq, the timeout expires
 * (timeout_ms < 0: no timeout) or the store closes.
 * Returns 0, INS_ETIMEDOUT, INS_ESHUTDOWN.
 */
int ins_feed_wait(ins_store *s, uint64_t after_seq, int timeout_ms);

#endif /* INS_FEED_H */
