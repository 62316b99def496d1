/*
 * jobs.h - a small pool of threads for work that blocks on the disk (a
 * blob staging or finish that waits for its durable commit, hashing 32 MiB),
 * so the gRPC workers never do.
 *
 * A job is a function and its argument; when it returns, the call it serves
 * is woken (ins_call_wake) and its reference dropped, so the handler picks
 * the result up on its own worker thread.
 */
#ifndef INS_JOBS_H
#define INS_JOBS_H

#include "call.h"

typedef struct ins_jobs ins_jobs;

/* Starts `threads` job threads. Returns 0 and *out, or errno. */
int ins_jobs_start(unsigned threads, ins_jobs **out);

/*
 * Queues fn(arg) for `call`, taking a reference on the call; after fn
 * returns the call is woken and the reference dropped. Never blocks.
 * Returns 0, or INS_ESHUTDOWN once the pool is stopping (nothing queued).
 */
int ins_jobs_submit(ins_jobs *j, ins_call *call, void (*fn)(void *arg), void *arg);

/* Runs what is queued, stops and joins the threads, frees the pool. NULL-safe. */
void ins_jobs_stop(ins_jobs *j);

#endif /* INS_JOBS_H */
