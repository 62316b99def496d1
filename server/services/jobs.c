/*
 * jobs.c - the blocking-work pool (see jobs.h).
 */
#include "jobs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "ins_error.h"

typedef struct job {
    struct job *next;
    ins_call *call;
    void (*fn)(void *arg);
    void *arg;
} job;

struct ins_jobs {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job *head, *tail;
    int stopping;
    unsigned n;
    pthread_t threads[];
};

static void *job_main(void *arg)
{
    ins_jobs *j = arg;
    pthread_mutex_lock(&j->lock);
    for (;;) {
        while (!j->head && !j->stopping)
            pthread_cond_wait(&j->cond, &j->lock);
        job *jb = j->head;
        if (!jb)
            break; /* stopping and drained */
        j->head = jb->next;
        if (!j->head)
            j->tail = NULL;
        pthread_mutex_unlock(&j->lock);
        jb->fn(jb->arg);
        ins_call_wake(jb->call);
        ins_call_unref(jb->call);
        free(jb);
        pthread_mutex_lock(&j->lock);
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

int ins_jobs_start(unsigned threads, ins_jobs **out)
{
    ins_jobs *j = calloc(1, sizeof *j + threads * sizeof(pthread_t));
    if (!j)
        return ENOMEM;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    for (; j->n < threads; j->n++) {
        int rc = pthread_create(&j->threads[j->n], NULL, job_main, j);
        if (rc) {
            ins_jobs_stop(j);
            return rc;
        }
    }
    *out = j;
    return 0;
}

int ins_jobs_submit(ins_jobs *j, ins_call *call, void (*fn)(void *arg), void *arg)
{
    job *jb = malloc(sizeof *jb);
    if (!jb)
        return ENOMEM;
    *jb = (job){NULL, call, fn, arg};
    pthread_mutex_lock(&j->lock);
    if (j->stopping) {
        pthread_mutex_unlock(&j->lock);
        free(jb);
        return INS_ESHUTDOWN;
    }
    ins_call_ref(call);
    if (j->tail)
        j->tail->next = jb;
    else
        j->head = jb;
    j->tail = jb;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return 0;
}

void ins_jobs_stop(ins_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = 1;
    pthread_cond_broadcast(&j->cond);
    pthread_mutex_unlock(&j->lock);
    for (unsigned i = 0; i < j->n; i++)
        pthread_join(j->threads[i], NULL);
    pthread_mutex_destroy(&j->lock);
    pthread_cond_destroy(&j->cond);
    free(j);
}
