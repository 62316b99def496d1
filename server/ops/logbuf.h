/*
 * logbuf.h - log lines on stderr, buffered per worker thread.
 *
 * A write(2) per call costs about a third of a small unary call, so worker
 * threads collect lines in a thread-local buffer and write it when it fills,
 * when it is older than INS_CALLLOG_FLUSH_MS, or when the worker goes idle.
 * Other threads write each line at once. Lines are never split.
 */
#ifndef INS_LOGBUF_H
#define INS_LOGBUF_H

#include <stddef.h>

#define INS_CALLLOG_FLUSH_MS 200

/* Marks the calling thread as a worker (its lines are buffered). */
void ins_calllog_worker_begin(void);

/* Appends one line (ending in '\n'), `len` bytes, for stderr. */
void ins_calllog_line(const char *line, size_t len);

/* Non-zero when the calling thread has lines buffered. */
int ins_calllog_pending(void);

/* Writes what the calling thread has buffered. Cheap when empty. */
void ins_calllog_flush(void);

#endif /* INS_LOGBUF_H */
