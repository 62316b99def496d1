/*
 * scheduler.c - the deadline scheduler (see scheduler.h).
 */
#include "scheduler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_rules.h"
#include "rec_alerts.h"
#include "rec_tasks.h"
#include "ins_error.h"
#include "log.h"

#define FIRE_BATCH  256
#define MAX_SLEEP_S 60

typedef struct ins_scheduler ins_scheduler;

struct ins_scheduler {
    ins_ctx *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop, kicked;
};

typedef struct due {
    int64_t when;
    char id[64];
} due;

typedef struct fire_ctx {
    int64_t now;
    size_t max, n, fired;
    due *list;
    int err;
} fire_ctx;

static int collect_due(void *arg, int64_t when, const char *id)
{
    fire_ctx *fc = arg;
    if (when > fc->now || fc->n == fc->max)
        return 1; /* ordered by instant: nothing later is due */
    fc->list[fc->n].when = when;
    snprintf(fc->list[fc->n].id, sizeof fc->list[fc->n].id, "%s", id);
    fc->n++;
    return 0;
}

/* Raises what is due for one task and moves its timer on. */
static int fire_task(ins_wtxn *t, fire_ctx *fc, const due *d)
{
    Inspect__V1__Task *task = NULL;
    int rc = ins_task_wget(t, d->id, &task);
    if (rc == INS_ENOTFOUND) { /* a stale timer row: drop it */
        return ins_task_timer_drop(t, d->when, d->id);
    }
    if (rc)
        return rc;
    uint32_t raised = ins_task_alerts_raised(t, task->id);
    unsigned bits = ins_task_state_open(task->state)
                        ? ins_alerts_due(fc->now, task->warning_unix, task->deadline_unix, raised)
                        : 0;
    char msg[512];
    if (rc == 0 && (bits & INS_ALERT_WARNING)) {
        snprintf(msg, sizeof msg,
                 "task %s (application %s, %s): 75%% of the %u working-day limit used; "
                 "deadline %s",
                 task->id, task->application_id, task->town, task->limit_working_days,
                 task->deadline_date);
        rc = ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_WARNING, task, "", msg, NULL);
        fc->fired += rc == 0;
    }
    if (rc == 0 && (bits & INS_ALERT_OVERDUE)) {
        snprintf(msg, sizeof msg,
                 "task %s (application %s, %s) is overdue: the %u working-day limit ended "
                 "with %s",
                 task->id, task->application_id, task->town, task->limit_working_days,
                 task->deadline_date);
        rc = ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_OVERDUE, task, "", msg, NULL);
        fc->fired += rc == 0;
    }
    /* Record the bits (moving the timer), or just drop a timer with nothing
     * left to do (a task no longer open). */
    if (rc == 0)
        rc = ins_task_set_alerts_raised(t, task, raised | bits);
    if (rc == 0 && !ins_task_state_open(task->state))
        rc = ins_task_timer_move(t, task, d->when, 0);
    protobuf_c_message_free_unpacked(&task->base, NULL);
    return rc;
}

static int fire_apply(ins_wtxn *t, void *arg)
{
    fire_ctx *fc = arg;
    fc->n = fc->fired = 0;
    fc->err = 0;
    int rc = ins_task_timers_wscan(t, collect_due, fc);
    if (fc->err)
        return fc->err;
    if (rc < 0 || rc > 1)
        return rc;
    for (size_t i = 0; i < fc->n; i++)
        if ((rc = fire_task(t, fc, &fc->list[i])) != 0)
            return rc;
    return 0;
}

int ins_scheduler_fire(ins_ctx *ctx, int64_t now_unix, size_t max, size_t *fired)
{
    fire_ctx fc = {.now = now_unix, .max = max};
    fc.list = calloc(max ? max : 1, sizeof *fc.list);
    if (!fc.list)
        return ENOMEM;
    int rc = ins_store_exec(ctx->store, fire_apply, &fc);
    if (fired)
        *fired = fc.fired;
    free(fc.list);
    return rc;
}

static int first_timer(void *arg, int64_t when, const char *task_id)
{
    (void)task_id;
    *(int64_t *)arg = when;
    return 1;
}

/* The earliest timer, or INT64_MAX. */
static int64_t earliest(ins_ctx *ctx)
{
    int64_t when = INT64_MAX;
    ins_rtxn *r = NULL;
    if (ins_store_read_begin(ctx->store, &r) == 0)
        ins_task_timers_scan(r, first_timer, &when);
    ins_rtxn_end(r);
    return when;
}

static void *scheduler_main(void *arg)
{
    ins_scheduler *s = arg;
    ins_ctx *ctx = s->ctx;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        s->kicked = 0;
        pthread_mutex_unlock(&s->lock);
        int64_t next = earliest(ctx);
        int64_t now = (int64_t)(ins_store_now(ctx->store) / 1000000000u);
        if (next <= now) {
            size_t fired = 0;
            int rc = ins_scheduler_fire(ctx, now, FIRE_BATCH, &fired);
            if (rc)
                ins_log(INS_LOG_ERROR, "deadline scheduler: %s", ins_strerror(rc));
            pthread_mutex_lock(&s->lock);
            if (rc) /* don't spin on a persistent error */
                s->kicked = 0;
            else
                continue;
        } else {
            pthread_mutex_lock(&s->lock);
        }
        /* Sleep until the next timer (in real time: the clock may be warped)
         * or a kick. */
        double wait_s = next == INT64_MAX ? MAX_SLEEP_S : (double)(next - now) / ctx->warp;
        if (wait_s > MAX_SLEEP_S || next <= now)
            wait_s = next <= now ? 1 : MAX_SLEEP_S;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)wait_s;
        until.tv_nsec += (long)((wait_s - (double)(time_t)wait_s) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!s->stop && !s->kicked)
            if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int ins_scheduler_start(ins_ctx *ctx)
{
    ins_scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return ENOMEM;
    s->ctx = ctx;
    if (ctx->warp < 1.0)
        ctx->warp = 1.0;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    int rc = pthread_create(&s->thread, NULL, scheduler_main, s);
    if (rc) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
        return rc;
    }
    ctx->scheduler = s;
    return 0;
}

void ins_scheduler_kick(ins_ctx *ctx)
{
    ins_scheduler *s = ctx->scheduler;
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->kicked = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void ins_scheduler_stop(ins_ctx *ctx)
{
    ins_scheduler *s = ctx ? ctx->scheduler : NULL;
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
    ctx->scheduler = NULL;
}
