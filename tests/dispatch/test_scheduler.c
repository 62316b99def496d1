/*
 * test_scheduler.c - the deadline scheduler on the real store: each task's
 * WARNING and OVERDUE alerts are raised exactly once, also when the store is
 * closed and opened again between firings, and the timer index holds one
 * row per open task and none for a cancelled one.
 *
 * Each test opens the services' tables in its own mkdtemp folder with a
 * fake clock, writes its records through ins_store_exec (ins_task_write for
 * tasks, as Dispatch does) and calls ins_scheduler_fire at chosen instants;
 * no scheduler thread runs.
 */
#include <check.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "tables.h"
#include "rec_directory.h"
#include "rec_alerts.h"
#include "rec_tasks.h"
#include "ins_error.h"
#include "ins_store.h"
#include "scheduler.h"

#define DAY 86400

/* 2026-09-28 10:00 +08, a Monday. */
#define T0 INT64_C(1790560800)
/* The task's thresholds: 75 % of an 8-working-day limit, and the limit. */
#define WARN (T0 + 6 * DAY)
#define DEAD (T0 + 8 * DAY)

static char dir[64];
static uint64_t fake_ns;
static ins_store *store;
static ins_ctx ctx;

static uint64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_ns;
}

static void set_now(int64_t unix_s)
{
    fake_ns = (uint64_t)unix_s * 1000000000u;
}

static void store_open(void)
{
    ins_store_options so = {
        .data_dir = dir,
        .tables = ins_rec_table_names,
        .schema_version = INS_REC_SCHEMA,
        .sweep_interval_s = UINT32_MAX,
        .clock_ns = fake_clock,
    };
    ck_assert_int_eq(ins_store_open(&so, &store), 0);
    memset(&ctx, 0, sizeof ctx);
    ctx.warp = 1.0;
    ins_ctx_init(&ctx, store);
}

static void store_close(void)
{
    ins_store_close(store);
    ins_ctx_destroy(&ctx);
    store = NULL;
}

static void reopen(void)
{
    store_close();
    store_open();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/ins-sched-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    set_now(T0);
    store_open();
}

static void teardown(void)
{
    if (store)
        store_close();
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- records ---------------------------------------------------------------- */

static char *depts[] = {"bureau", "market"};

/* An open task `id` with the thresholds above. */
static void task_init(Inspect__V1__Task *t, char *id)
{
    inspect__v1__task__init(t);
    t->id = id;
    t->application_id = "XD-2026-000001";
    t->service_item = "food-business";
    t->kind = INSPECT__V1__TASK_KIND__TASK_KIND_INITIAL;
    t->required_departments = depts;
    t->n_required_departments = 2;
    t->state = INSPECT__V1__TASK_STATE__TASK_STATE_PENDING;
    t->town = "新都街道";
    t->limit_working_days = 8;
    t->start_date = "2026-09-28";
    t->deadline_date = "2026-10-14";
    t->warning_unix = WARN;
    t->deadline_unix = DEAD;
    t->created_unix = T0;
}

static int put_directory(ins_wtxn *t, void *arg)
{
    (void)arg;
    Inspect__V1__Department d = INSPECT__V1__DEPARTMENT__INIT;
    d.code = "bureau";
    d.name = "新都区行政审批局";
    d.kind = INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_BUREAU;
    d.version = 1;
    int rc = ins_department_put(t, &d, "test", "created");
    if (rc)
        return rc;
    Inspect__V1__RequiredDepartment rd = INSPECT__V1__REQUIRED_DEPARTMENT__INIT;
    Inspect__V1__RequiredDepartment *rds[] = {&rd};
    rd.department = "bureau";
    rd.qualification = "site-inspection";
    rd.template_id = "bureau-site";
    Inspect__V1__ServiceItem it = INSPECT__V1__SERVICE_ITEM__INIT;
    it.code = "food-business";
    it.name = "食品经营许可";
    it.departments = rds;
    it.n_departments = 1;
    it.limit_working_days = 8;
    it.version = 1;
    return ins_item_put(t, &it, "test", "created");
}

typedef struct write_arg {
    Inspect__V1__Task *task;
    const Inspect__V1__Task *old;
} write_arg;

static int put_task(ins_wtxn *t, void *arg)
{
    write_arg *w = arg;
    return ins_task_write(t, w->task, w->old, "test", w->old ? "updated" : "created");
}

static void write_task(Inspect__V1__Task *task, const Inspect__V1__Task *old)
{
    write_arg w = {task, old};
    ck_assert_int_eq(ins_store_exec(store, put_task, &w), 0);
}

/* ---- reading the store ---------------------------------------------------- */

typedef struct rows {
    size_t n;
    char ids[16][64];   /* timers: the task ids; alerts: alert ids */
    int64_t when[16];   /* timers: the instants */
    int kinds[16];      /* alerts: the kinds */
    char tasks[16][64]; /* alerts: the task ids */
    ins_rtxn *snap;     /* alerts: the snapshot being scanned */
} rows;

static int timer_row(void *arg, int64_t when, const char *task_id)
{
    rows *r = arg;
    ck_assert_uint_lt(r->n, 16);
    ck_assert_ptr_nonnull(task_id);
    ck_assert_uint_lt(strlen(task_id), sizeof r->ids[0]);
    r->when[r->n] = when;
    snprintf(r->ids[r->n], sizeof r->ids[0], "%s", task_id);
    r->n++;
    return 0;
}

static int alert_row(void *arg, const char *id)
{
    rows *r = arg;
    Inspect__V1__Alert *a = NULL;
    ck_assert_uint_lt(r->n, 16);
    ck_assert_int_eq(ins_alert_get(r->snap, id, &a), 0);
    snprintf(r->ids[r->n], sizeof r->ids[0], "%s", a->id);
    snprintf(r->tasks[r->n], sizeof r->tasks[0], "%s", a->task_id);
    r->kinds[r->n] = a->kind;
    r->n++;
    protobuf_c_message_free_unpacked(&a->base, NULL);
    return 0;
}

static int count_row(void *arg, const char *id)
{
    (void)id;
    (*(size_t *)arg)++;
    return 0;
}

/* The deadline timers, in order of instant. */
static rows timers(void)
{
    rows r = {0};
    ins_rtxn *snap = NULL;
    ck_assert_int_eq(ins_store_read_begin(store, &snap), 0);
    ck_assert_int_eq(ins_task_timers_scan(snap, timer_row, &r), 0);
    ins_rtxn_end(snap);
    return r;
}

/* Every alert, acknowledged or not, in id order. */
static rows alerts(void)
{
    rows r = {0};
    ck_assert_int_eq(ins_store_read_begin(store, &r.snap), 0);
    ck_assert_int_eq(ins_alert_scan(r.snap, 1, alert_row, &r), 0);
    ins_rtxn_end(r.snap);
    r.snap = NULL;
    return r;
}

/* How many alerts are not acknowledged. */
static size_t count_open_alerts(void)
{
    size_t n = 0;
    ins_rtxn *snap = NULL;
    ck_assert_int_eq(ins_store_read_begin(store, &snap), 0);
    ck_assert_int_eq(ins_alert_scan(snap, 0, count_row, &n), 0);
    ins_rtxn_end(snap);
    return n;
}

static size_t fire(int64_t now)
{
    size_t fired = 99;
    set_now(now);
    ck_assert_int_eq(ins_scheduler_fire(&ctx, now, 256, &fired), 0);
    return fired;
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(test_scheduler_thresholds_once_across_restart)
{
    Inspect__V1__Task task;
    task_init(&task, "T-000001");
    ck_assert_int_eq(ins_store_exec(store, put_directory, NULL), 0);
    write_task(&task, NULL);

    ck_assert_uint_eq(fire(WARN - 1), 0); /* not yet */
    ck_assert_uint_eq(fire(WARN + 1), 1); /* the warning */
    ck_assert_uint_eq(fire(WARN + 1), 0);
    reopen();
    ck_assert_uint_eq(fire(WARN + 1), 0); /* the same instant after a restart */
    ck_assert_uint_eq(fire(DEAD - 1), 0);
    ck_assert_uint_eq(fire(DEAD + 1), 1); /* overdue */
    reopen();
    ck_assert_uint_eq(fire(DEAD + 1), 0);
    ck_assert_uint_eq(fire(DEAD + 365 * DAY), 0);

    rows a = alerts();
    ck_assert_uint_eq(a.n, 2);
    ck_assert_int_eq(a.kinds[0], INSPECT__V1__ALERT_KIND__ALERT_KIND_WARNING);
    ck_assert_int_eq(a.kinds[1], INSPECT__V1__ALERT_KIND__ALERT_KIND_OVERDUE);
    ck_assert_str_eq(a.tasks[0], "T-000001");
    ck_assert_str_eq(a.tasks[1], "T-000001");
    ck_assert_uint_eq(count_open_alerts(), 2);
    /* both raised: nothing left to wake up for */
    ck_assert_uint_eq(timers().n, 0);
}
END_TEST

START_TEST(test_scheduler_both_thresholds_passed_while_down)
{
    Inspect__V1__Task task;
    task_init(&task, "T-000001");
    write_task(&task, NULL);
    reopen();
    ck_assert_uint_eq(fire(DEAD + DAY), 2);
    rows a = alerts();
    ck_assert_uint_eq(a.n, 2);
    ck_assert_int_eq(a.kinds[0], INSPECT__V1__ALERT_KIND__ALERT_KIND_WARNING);
    ck_assert_int_eq(a.kinds[1], INSPECT__V1__ALERT_KIND__ALERT_KIND_OVERDUE);
    reopen();
    ck_assert_uint_eq(fire(DEAD + 2 * DAY), 0);
    ck_assert_uint_eq(alerts().n, 2);
}
END_TEST

START_TEST(test_scheduler_timer_index_one_row_per_open_task)
{
    char ids[3][16] = {"T-000001", "T-000002", "T-000003"};
    Inspect__V1__Task tasks[3];
    for (int i = 0; i < 3; i++) {
        task_init(&tasks[i], ids[i]);
        write_task(&tasks[i], NULL);
    }
    rows r = timers();
    ck_assert_uint_eq(r.n, 3);
    for (size_t i = 0; i < r.n; i++) {
        ck_assert_str_eq(r.ids[i], ids[i]); /* same instant: ordered by id */
        ck_assert_int_eq(r.when[i], WARN);
    }
    /* a write that changes nothing of the schedule keeps one row */
    Inspect__V1__Task assigned = tasks[0];
    assigned.state = INSPECT__V1__TASK_STATE__TASK_STATE_ASSIGNED;
    write_task(&assigned, &tasks[0]);
    ck_assert_uint_eq(timers().n, 3);

    /* cancelled: its row goes */
    Inspect__V1__Task cancelled = tasks[1];
    cancelled.state = INSPECT__V1__TASK_STATE__TASK_STATE_CANCELLED;
    cancelled.cancel_reason = "申请人撤回";
    write_task(&cancelled, &tasks[1]);
    r = timers();
    ck_assert_uint_eq(r.n, 2);
    for (size_t i = 0; i < r.n; i++)
        ck_assert_str_ne(r.ids[i], "T-000002");

    /* after the warning each open task's row moves to its deadline */
    reopen();
    ck_assert_uint_eq(fire(WARN + 1), 2);
    r = timers();
    ck_assert_uint_eq(r.n, 2);
    for (size_t i = 0; i < r.n; i++) {
        ck_assert_str_ne(r.ids[i], "T-000002");
        ck_assert_int_eq(r.when[i], DEAD);
    }
    /* and the cancelled task never raises anything */
    ck_assert_uint_eq(fire(DEAD + 1), 2);
    rows a = alerts();
    ck_assert_uint_eq(a.n, 4);
    for (size_t i = 0; i < a.n; i++)
        ck_assert_str_ne(a.tasks[i], "T-000002");
    ck_assert_uint_eq(timers().n, 0);
}
END_TEST

START_TEST(test_scheduler_cancel_after_warning_drops_row)
{
    Inspect__V1__Task task;
    task_init(&task, "T-000001");
    write_task(&task, NULL);
    ck_assert_uint_eq(fire(WARN + 1), 1);
    ck_assert_uint_eq(timers().n, 1);
    /* ins_task_write reads the raised bits: the row it drops is the one at
     * the deadline */
    Inspect__V1__Task cancelled = task;
    cancelled.version = 1;
    cancelled.state = INSPECT__V1__TASK_STATE__TASK_STATE_CANCELLED;
    write_task(&cancelled, &task);
    ck_assert_uint_eq(timers().n, 0);
    ck_assert_uint_eq(fire(DEAD + 1), 0);
    ck_assert_uint_eq(alerts().n, 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scheduler");
    TCase *tc = tcase_create("fire");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_scheduler_thresholds_once_across_restart);
    tcase_add_test(tc, test_scheduler_both_thresholds_passed_while_down);
    tcase_add_test(tc, test_scheduler_timer_index_one_row_per_open_task);
    tcase_add_test(tc, test_scheduler_cancel_after_warning_drops_row);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
