/*
 * sweep.c - the background sweep thread: every sweep_interval_s it expires
 * idempotency entries and collects stale staged uploads and unreferenced
 * blobs, all through the writers like any other mutation.
 */
#include "store_impl.h"

#include <time.h>

static void *sweeper_main(void *arg)
{
    ins_store *s = arg;
    pthread_mutex_lock(&s->sw_mu);
    while (!s->sw_stop) {
        struct timespec at;
        clock_gettime(CLOCK_MONOTONIC, &at);
        at.tv_sec += s->opt.sweep_interval_s;
        pthread_cond_timedwait(&s->sw_cv, &s->sw_mu, &at);
        if (s->sw_stop)
            break;
        pthread_mutex_unlock(&s->sw_mu);
        (void)ins_store_sweep(s); /* failures are retried next round */
        pthread_mutex_lock(&s->sw_mu);
    }
    pthread_mutex_unlock(&s->sw_mu);
    return NULL;
}

int ins__sweeper_start(ins_store *s)
{
    if (s->opt.sweep_interval_s == UINT32_MAX)
        return 0;
    int rc = pthread_create(&s->sweeper, NULL, sweeper_main, s);
    if (rc == 0)
        s->sweeper_started = 1;
    return rc;
}

void ins__sweeper_stop(ins_store *s)
{
    pthread_mutex_lock(&s->sw_mu);
    s->sw_stop = 1;
    pthread_cond_broadcast(&s->sw_cv);
    pthread_mutex_unlock(&s->sw_mu);
    if (s->sweeper_started)
        pthread_join(s->sweeper, NULL);
    s->sweeper_started = 0;
}
