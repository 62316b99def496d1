/*
 * rec_tasks.c - tasks and teams in the store (see rec_tasks.h).
 *
 * Keys: tasks by id; tasks_by_app (application id, task id),
 * tasks_by_inspector and task_former (inspector id, task id), empty values;
 * task_timers (instant i64, task id), empty values; task_alerts by task id
 * (one byte of bits); inspector_load by inspector id (u32 big-endian);
 * counters by name (u64 big-endian).
 */
#include "rec_tasks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_rules.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "records.h"

static const ins_recio_kind K_TASKS = {T_TASKS, &inspect__rec__task__descriptor,
                                       &inspect__v1__task__descriptor};

int ins_task_counts_as_open(int state)
{
    return ins_task_state_open(state);
}

int ins_counter_next(ins_wtxn *t, const char *name, uint64_t *out)
{
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, name);
    ins_val v;
    uint64_t n = 0;
    int rc = ins_wtxn_get(t, T_COUNTERS, k.buf, k.len, &v);
    if (rc == 0 && v.len == 8)
        n = ins_be64_get(v.data);
    else if (rc != INS_ENOTFOUND && rc != 0)
        return rc;
    uint8_t buf[8];
    ins_be64_put(buf, ++n);
    rc = ins_wtxn_put(t, T_COUNTERS, k.buf, k.len, buf, 8, 0);
    if (rc == 0)
        *out = n;
    return rc;
}

int ins_task_wget(ins_wtxn *t, const char *id, Inspect__V1__Task **out)
{
    return ins_recio_wget_id(t, &K_TASKS, id, (ProtobufCMessage **)out);
}

int ins_task_get(ins_rtxn *r, const char *id, Inspect__V1__Task **out)
{
    return ins_recio_get_id(r, &K_TASKS, id, (ProtobufCMessage **)out);
}

int ins_task_raw(ins_rtxn *r, const char *id, ins_val *out)
{
    return ins_recio_raw_id(r, T_TASKS, id, out);
}

int ins_inspector_load(ins_wtxn *t, const char *id, uint32_t *out)
{
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, id);
    ins_val v;
    int rc = ins_wtxn_get(t, T_INSPECTOR_LOAD, k.buf, k.len, &v);
    *out = 0;
    if (rc == INS_ENOTFOUND)
        return 0;
    if (rc == 0 && v.len == 4)
        *out = (uint32_t)ins_be64_get((const uint8_t[8]){
            0, 0, 0, 0, ((const uint8_t *)v.data)[0], ((const uint8_t *)v.data)[1],
            ((const uint8_t *)v.data)[2], ((const uint8_t *)v.data)[3]});
    return rc;
}

static int load_add(ins_wtxn *t, const char *id, int delta)
{
    uint32_t n;
    int rc = ins_inspector_load(t, id, &n);
    if (rc)
        return rc;
    n = (delta < 0 && n == 0) ? 0 : (uint32_t)((int64_t)n + delta);
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, id);
    if (n == 0)
        return (rc = ins_wtxn_del(t, T_INSPECTOR_LOAD, k.buf, k.len)) == INS_ENOTFOUND ? 0 : rc;
    uint8_t buf[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    return ins_wtxn_put(t, T_INSPECTOR_LOAD, k.buf, k.len, buf, 4, 0);
}

static int on_team(const Inspect__V1__Task *task, const char *id)
{
    for (size_t i = 0; task && i < task->n_team; i++)
        if (strcmp(task->team[i]->inspector_id, id) == 0)
            return 1;
    return 0;
}

/* Index rows by team member and open-task loads, from `old` to `task`. */
static int update_members(ins_wtxn *t, const Inspect__V1__Task *task, const Inspect__V1__Task *old)
{
    int was_open = old && ins_task_counts_as_open(old->state);
    int is_open = ins_task_counts_as_open(task->state);
    for (size_t i = 0; old && i < old->n_team; i++) {
        const char *id = old->team[i]->inspector_id;
        int stays = on_team(task, id);
        int rc = 0;
        if (!stays) {
            ins_key k;
            ins_key_init(&k);
            ins_key_text(&k, id);
            ins_key_text(&k, task->id);
            rc = ins_wtxn_del(t, T_TASKS_BY_INSPECTOR, k.buf, k.len);
            rc = rc == INS_ENOTFOUND ? 0 : rc;
            /* Remembered so his tablet learns the task was taken away. */
            if (rc == 0)
                rc = ins_wtxn_put(t, T_TASK_FORMER, k.buf, k.len, "", 0, 0);
        }
        if (rc == 0 && was_open && (!stays || !is_open))
            rc = load_add(t, id, -1);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < task->n_team; i++) {
        const char *id = task->team[i]->inspector_id;
        int was = on_team(old, id);
        ins_key k;
        ins_key_init(&k);
        ins_key_text(&k, id);
        ins_key_text(&k, task->id);
        int rc = ins_wtxn_put(t, T_TASKS_BY_INSPECTOR, k.buf, k.len, "", 0, 0);
        if (rc == 0 && !was) {
            rc = ins_wtxn_del(t, T_TASK_FORMER, k.buf, k.len);
            rc = rc == INS_ENOTFOUND ? 0 : rc;
        }
        if (rc == 0 && is_open && (!was || !was_open))
            rc = load_add(t, id, +1);
        if (rc)
            return rc;
    }
    return 0;
}

uint32_t ins_task_alerts_raised(ins_wtxn *t, const char *task_id)
{
    ins_key k;
    ins_recio_id_key(&k, task_id);
    ins_val v;
    if (ins_wtxn_get(t, T_TASK_ALERTS, k.buf, k.len, &v) == 0 && v.len == 1)
        return ((const uint8_t *)v.data)[0];
    return 0;
}

/* The instant the scheduler must look at `task` next, or 0 for never. */
static int64_t next_timer(const Inspect__V1__Task *task, uint32_t raised)
{
    if (!task || !ins_task_state_open(task->state) || task->deadline_unix == 0)
        return 0;
    int64_t when = ins_alerts_next_wakeup(task->warning_unix, task->deadline_unix, raised);
    return when == INT64_MAX ? 0 : when;
}

static void timer_key(ins_key *k, int64_t when, const char *id)
{
    ins_key_init(k);
    ins_key_i64(k, when);
    ins_key_text(k, id);
}

int ins_task_timer_move(ins_wtxn *t, const Inspect__V1__Task *task, int64_t from, int64_t to)
{
    ins_key k;
    int rc = 0;
    if (from == to)
        return 0;
    if (from) {
        timer_key(&k, from, task->id);
        rc = ins_wtxn_del(t, T_TASK_TIMERS, k.buf, k.len);
        rc = rc == INS_ENOTFOUND ? 0 : rc;
    }
    if (rc == 0 && to) {
        timer_key(&k, to, task->id);
        rc = ins_wtxn_put(t, T_TASK_TIMERS, k.buf, k.len, "", 0, 0);
    }
    return rc;
}

int ins_task_write(ins_wtxn *t, Inspect__V1__Task *task, const Inspect__V1__Task *old,
                   const char *actor, const char *change)
{
    task->version = old ? old->version + 1 : 1;
    task->updated_unix = ins_wtxn_unix(t);
    int rc = update_members(t, task, old);
    if (rc)
        return rc;
    uint32_t raised = ins_task_alerts_raised(t, task->id);
    rc = ins_task_timer_move(t, task, next_timer(old, raised), next_timer(task, raised));
    if (rc)
        return rc;
    if (!old) {
        ins_key k;
        ins_key_init(&k);
        ins_key_text(&k, task->application_id);
        ins_key_text(&k, task->id);
        if ((rc = ins_wtxn_put(t, T_TASKS_BY_APP, k.buf, k.len, "", 0, 0)) != 0)
            return rc;
    }
    const char *depts[17];
    size_t n = 0;
    depts[n++] = "bureau";
    for (size_t i = 0; i < task->n_required_departments && n < 17; i++)
        depts[n++] = task->required_departments[i];
    ins_key k;
    ins_recio_id_key(&k, task->id);
    ins_change ch = {actor, "task", task->id, change, depts, n};
    return ins_recio_store(t, T_TASKS, &k, &task->base, &inspect__rec__task__descriptor, &ch);
}

int ins_task_set_alerts_raised(ins_wtxn *t, const Inspect__V1__Task *task, uint32_t raised)
{
    uint32_t before = ins_task_alerts_raised(t, task->id);
    ins_key k;
    ins_recio_id_key(&k, task->id);
    uint8_t b = (uint8_t)raised;
    int rc = ins_wtxn_put(t, T_TASK_ALERTS, k.buf, k.len, &b, 1, 0);
    if (rc == 0)
        rc = ins_task_timer_move(t, task, next_timer(task, before), next_timer(task, raised));
    return rc;
}

int ins_task_wscan_inspector(ins_wtxn *t, const char *inspector, ins_id_fn fn, void *arg)
{
    ins_key prefix;
    ins_recio_id_key(&prefix, inspector);
    ins_id_scan s = {fn, arg, 1};
    return ins_wtxn_scan(t, T_TASKS_BY_INSPECTOR, prefix.buf, prefix.len, NULL, 0, ins_recio_id_row,
                         &s);
}

int ins_task_wscan_app(ins_wtxn *t, const char *app_id, ins_id_fn fn, void *arg)
{
    ins_key prefix;
    ins_recio_id_key(&prefix, app_id);
    ins_id_scan s = {fn, arg, 1};
    return ins_wtxn_scan(t, T_TASKS_BY_APP, prefix.buf, prefix.len, NULL, 0, ins_recio_id_row, &s);
}

int ins_task_scan_app(ins_rtxn *r, const char *app_id, ins_id_fn fn, void *arg)
{
    ins_key prefix;
    ins_recio_id_key(&prefix, app_id);
    ins_id_scan s = {fn, arg, 1};
    return ins_rtxn_scan(r, T_TASKS_BY_APP, prefix.buf, prefix.len, NULL, 0, ins_recio_id_row, &s);
}

int ins_task_scan(ins_rtxn *r, const char *inspector, const char *from, ins_id_fn fn, void *arg)
{
    ins_key prefix, start;
    ins_key_init(&prefix);
    if (inspector)
        ins_key_text(&prefix, inspector);
    start = prefix;
    if (from)
        ins_key_text(&start, from);
    ins_id_scan s = {fn, arg, inspector != NULL};
    return ins_rtxn_scan(r, inspector ? T_TASKS_BY_INSPECTOR : T_TASKS, prefix.buf, prefix.len,
                         from ? start.buf : NULL, from ? start.len : 0, ins_recio_id_row, &s);
}

int ins_task_was_member(ins_rtxn *r, const char *inspector, const char *task_id)
{
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, inspector);
    ins_key_text(&k, task_id);
    ins_val v;
    return ins_rtxn_get(r, T_TASK_FORMER, k.buf, k.len, &v) == 0;
}

int ins_task_timer_drop(ins_wtxn *t, int64_t when, const char *task_id)
{
    ins_key k;
    timer_key(&k, when, task_id);
    int rc = ins_wtxn_del(t, T_TASK_TIMERS, k.buf, k.len);
    return rc == INS_ENOTFOUND ? 0 : rc;
}

typedef struct timer_scan {
    ins_timer_fn fn;
    void *arg;
} timer_scan;

static int timer_row(void *arg, const ins_val *key, const ins_val *val)
{
    timer_scan *s = arg;
    (void)val;
    ins_key_reader kr;
    int64_t when;
    char id[64];
    ins_keyr_init(&kr, key->data, key->len);
    if (ins_keyr_i64(&kr, &when) || ins_keyr_text(&kr, id, sizeof id))
        return INS_ECORRUPT;
    return s->fn(s->arg, when, id);
}

int ins_task_timers_wscan(ins_wtxn *t, ins_timer_fn fn, void *arg)
{
    timer_scan s = {fn, arg};
    return ins_wtxn_scan(t, T_TASK_TIMERS, NULL, 0, NULL, 0, timer_row, &s);
}

int ins_task_timers_scan(ins_rtxn *r, ins_timer_fn fn, void *arg)
{
    timer_scan s = {fn, arg};
    return ins_rtxn_scan(r, T_TASK_TIMERS, NULL, 0, NULL, 0, timer_row, &s);
}

typedef struct state_tally {
    uint64_t *counts;
    size_t n;
} state_tally;

static int tally_task(void *arg, const ins_val *key, const ins_val *val)
{
    state_tally *st = arg;
    ProtobufCMessage *m = NULL;
    (void)key;
    int rc = ins_rec_decode(val->data, val->len, K_TASKS.rec, K_TASKS.wire, &m);
    if (rc != 0)
        return rc;
    int state = ((const Inspect__V1__Task *)m)->state;
    if (state >= 0 && (size_t)state < st->n)
        st->counts[state]++;
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

int ins_task_count_by_state(ins_rtxn *r, uint64_t *counts, size_t n)
{
    memset(counts, 0, n * sizeof *counts);
    state_tally st = {counts, n};
    return ins_rtxn_scan(r, T_TASKS, NULL, 0, NULL, 0, tally_task, &st);
}
