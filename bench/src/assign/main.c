/*
 * bench_assign - automatic team assignment (Dispatch.AssignTeam) with a
 * district-sized directory and case load in the store.
 *
 *   bench_assign load DIR [PENDING]
 *       Builds a store in DIR through the storage and services libraries,
 *       in big write transactions: 10 departments (the bureau and 9 industry
 *       departments) of 200 inspectors each (2,000), one service item per
 *       industry department (bureau lead + that department), 100,000 open
 *       tasks of which PENDING (default 2,000) are waiting for a team (with
 *       their applications) and the rest are assigned to teams spread over
 *       the inspectors. Tasks go through ins_task_write, as Dispatch writes
 *       them: team index, open-task loads, deadline timers, audit, feed.
 *       Then measures the writer's own cost: a one-row durable mutation
 *       through ins_store_exec, sequentially (the floor of any mutation).
 *
 *   bench_assign run ADDR TOKEN [PENDING]
 *       Against an inspectd serving that store: a baseline of sequential
 *       Session.WhoAmI calls (unary, no storage), then one AssignTeam without
 *       names (automatic, every slot) per pending task, sequentially, each
 *       timed from send to reply (after its durable commit). Prints p50/p99
 *       of each, the ratios, and last `RESULT assign p99_ms=<x>`.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "tables.h"
#include "rec_directory.h"
#include "dispatch.h"
#include "rec_tasks.h"
#include "entities.pb-c.h"
#include "ins_client.h"
#include "ins_error.h"
#include "ins_store.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/session.pb-c.h"
#include "rec_applications.h"
#include "recio.h"

#define N_DEPTS      10 /* [0] is the bureau */
#define PER_DEPT     200
#define N_INSPECTORS (N_DEPTS * PER_DEPT)
#define N_TASKS      100000
#define BATCH        2500
#define N_TOWNS      11
#define BUREAU_MAX   600 /* every task has a bureau lead: 100,000 / 200 = 500 each */
#define INDUSTRY_MAX 80  /* 100,000 / 9 / 200 = 56 each */
#define DAY          86400

static const char *const depts[N_DEPTS] = {"bureau",    "market", "fire",    "police",  "health",
                                           "transport", "hrss",   "culture", "ecology", "water"};
static const char *const towns[N_TOWNS] = {"新都街道",   "桂湖街道",   "大丰街道", "三河街道",
                                           "斑竹园街道", "石板滩街道", "新繁街道", "清流镇",
                                           "军屯镇",     "马家镇",     "龙桥镇"};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}
static double rnd01(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of sorted v[0..n). */
static double pct(const double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    size_t i = (size_t)ceil(p / 100.0 * (double)n);
    return v[i ? i - 1 : 0];
}

static void date_of(int64_t unix_s, char out[11])
{
    time_t t = (time_t)(unix_s + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* ---- load ------------------------------------------------------------------ */

typedef struct load_ctx {
    int64_t now;
    size_t pending;
    size_t first; /* first task of this batch */
    size_t count;
    uint32_t *rr; /* per department: next member, round robin */
} load_ctx;

static void inspector_id(char *out, size_t len, size_t d, size_t i)
{
    snprintf(out, len, "%s-%04zu", depts[d], i + 1);
}

static int put_directory(ins_wtxn *t, void *arg)
{
    (void)arg;
    int rc = 0;
    for (size_t d = 0; d < N_DEPTS && rc == 0; d++) {
        Inspect__V1__Department dep = INSPECT__V1__DEPARTMENT__INIT;
        dep.code = (char *)depts[d];
        dep.name = (char *)depts[d];
        dep.kind = d == 0 ? INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_BUREAU
                          : INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_INDUSTRY;
        dep.version = 1;
        rc = ins_department_put(t, &dep, "bench", "created");
    }
    /* one item per industry department: the bureau leads, the department joins */
    for (size_t d = 1; d < N_DEPTS && rc == 0; d++) {
        char code[64], qual[64], tpl[64];
        snprintf(code, sizeof code, "item-%s", depts[d]);
        snprintf(qual, sizeof qual, "%s-inspection", depts[d]);
        snprintf(tpl, sizeof tpl, "%s-site", depts[d]);
        Inspect__V1__RequiredDepartment rd[2] = {INSPECT__V1__REQUIRED_DEPARTMENT__INIT,
                                                 INSPECT__V1__REQUIRED_DEPARTMENT__INIT};
        Inspect__V1__RequiredDepartment *rds[2] = {&rd[0], &rd[1]};
        rd[0].department = "bureau";
        rd[0].qualification = "site-inspection";
        rd[0].template_id = "bureau-site";
        rd[1].department = (char *)depts[d];
        rd[1].qualification = qual;
        rd[1].template_id = tpl;
        Inspect__V1__ServiceItem it = INSPECT__V1__SERVICE_ITEM__INIT;
        it.code = code;
        it.name = code;
        it.departments = rds;
        it.n_departments = 2;
        it.limit_working_days = 10;
        it.version = 1;
        rc = ins_item_put(t, &it, "bench", "created");
    }
    return rc;
}

static int put_inspectors(ins_wtxn *t, void *arg)
{
    (void)arg;
    uint64_t saved = rng_state;
    rng_state = 42; /* the same directory whenever apply runs */
    int rc = 0;
    for (size_t d = 0; d < N_DEPTS && rc == 0; d++) {
        for (size_t i = 0; i < PER_DEPT && rc == 0; i++) {
            char id[64], name[64], qcode[64], conflict[32];
            inspector_id(id, sizeof id, d, i);
            snprintf(name, sizeof name, "检查员%04zu", d * PER_DEPT + i + 1);
            if (d == 0)
                snprintf(qcode, sizeof qcode, "site-inspection");
            else
                snprintf(qcode, sizeof qcode, "%s-inspection", depts[d]);
            Inspect__V1__Qualification q = INSPECT__V1__QUALIFICATION__INIT;
            Inspect__V1__Qualification *qs[] = {&q};
            q.code = qcode;
            /* one in twenty has let it lapse */
            q.expires = (i % 20 == 7) ? "2024-12-31" : "2031-12-31";
            char *tw[3];
            for (int j = 0; j < 3; j++)
                tw[j] = (char *)towns[(i + (size_t)j * 4) % N_TOWNS];
            char *cf[] = {conflict};
            snprintf(conflict, sizeof conflict, "91510114MA%08zu", i);
            Inspect__V1__Inspector in = INSPECT__V1__INSPECTOR__INIT;
            in.id = id;
            in.name = name;
            in.department = (char *)depts[d];
            in.qualifications = qs;
            in.n_qualifications = 1;
            in.towns = tw;
            in.n_towns = 3;
            in.conflicts = cf;
            in.n_conflicts = 1;
            in.max_open_tasks = d == 0 ? BUREAU_MAX : INDUSTRY_MAX;
            in.active = (i % 25 != 3); /* one in 25 inactive */
            in.base_latitude = 30.70 + 0.25 * rnd01();
            in.base_longitude = 104.00 + 0.30 * rnd01();
            in.version = 1;
            rc = ins_inspector_put(t, &in, NULL, "bench", "created");
        }
    }
    rng_state = saved;
    return rc;
}

/* Task i: pending (with an application) when i < pending, else assigned. */
static int put_tasks(ins_wtxn *t, void *arg)
{
    load_ctx *lc = arg;
    uint32_t rr[N_DEPTS];
    memcpy(rr, lc->rr, sizeof rr); /* apply may run again: start from the same place */
    char start[11], dl[11];
    date_of(lc->now, start);
    date_of(lc->now + 14 * DAY, dl);
    for (size_t n = 0; n < lc->count; n++) {
        size_t i = lc->first + n;
        size_t d = 1 + i % (N_DEPTS - 1);
        const char *town = towns[(i * 7) % N_TOWNS];
        double lat = 30.70 + 0.25 * (double)((i * 37) % 1000) / 1000.0;
        double lon = 104.00 + 0.30 * (double)((i * 91) % 1000) / 1000.0;
        char id[32], app_id[32], item[64];
        snprintf(id, sizeof id, "T-%06zu", i + 1);
        snprintf(app_id, sizeof app_id, "XD-2026-%06zu", i + 1);
        snprintf(item, sizeof item, "item-%s", depts[d]);
        int rc = 0;
        if (i < lc->pending) {
            char cc[32];
            snprintf(cc, sizeof cc, "91510114MA%08zu", (i * 13) % 100000);
            Inspect__V1__Application a = INSPECT__V1__APPLICATION__INIT;
            a.id = app_id;
            a.service_item = item;
            a.applicant_name = "成都市新都区测试商户";
            a.applicant_credit_code = cc;
            a.site_address = "成都市新都区测试路1号";
            a.town = (char *)town;
            a.latitude = lat;
            a.longitude = lon;
            a.stage = INSPECT__V1__STAGE__STAGE_INSPECTION;
            a.version = 1;
            a.created_unix = a.updated_unix = lc->now;
            rc = ins_app_write(t, &a, NULL, "bench", "created");
            if (rc)
                return rc;
        }
        char *req[2] = {"bureau", (char *)depts[d]};
        Inspect__V1__Task task = INSPECT__V1__TASK__INIT;
        task.id = id;
        task.application_id = app_id;
        task.service_item = item;
        task.kind = INSPECT__V1__TASK_KIND__TASK_KIND_INITIAL;
        task.required_departments = req;
        task.n_required_departments = 2;
        task.town = (char *)town;
        task.latitude = lat;
        task.longitude = lon;
        task.limit_working_days = 10;
        task.start_date = start;
        task.deadline_date = dl;
        task.warning_unix = lc->now + 10 * DAY;
        task.deadline_unix = lc->now + 15 * DAY;
        task.created_unix = lc->now;
        Inspect__V1__TeamMember m[2] = {INSPECT__V1__TEAM_MEMBER__INIT,
                                        INSPECT__V1__TEAM_MEMBER__INIT};
        Inspect__V1__TeamMember *mp[2] = {&m[0], &m[1]};
        char mid[2][64];
        if (i < lc->pending) {
            task.state = INSPECT__V1__TASK_STATE__TASK_STATE_PENDING;
        } else {
            task.state = INSPECT__V1__TASK_STATE__TASK_STATE_ASSIGNED;
            size_t dd[2] = {0, d};
            for (int j = 0; j < 2; j++) {
                inspector_id(mid[j], sizeof mid[j], dd[j], rr[dd[j]]++ % PER_DEPT);
                m[j].inspector_id = mid[j];
                m[j].inspector_name = mid[j];
                m[j].department = (char *)depts[dd[j]];
                m[j].role = j == 0 ? INSPECT__V1__MEMBER_ROLE__MEMBER_ROLE_LEAD
                                   : INSPECT__V1__MEMBER_ROLE__MEMBER_ROLE_MEMBER;
                m[j].reason = "bench load";
                m[j].assigned_unix = lc->now;
            }
            task.team = mp;
            task.n_team = 2;
        }
        if ((rc = ins_task_write(t, &task, NULL, "bench", "created")) != 0)
            return rc;
    }
    return 0;
}

/* One counter row: the smallest durable mutation. */
static int put_one(ins_wtxn *t, void *arg)
{
    uint64_t n;
    (void)arg;
    return ins_counter_next(t, "bench-noop", &n);
}

/* In process, no commit: what AssignTeam's apply spends choosing a team -
 * reading the task and application and choosing both members by the rules
 * (ins_dsp_choose_member: decode the department's inspectors, their loads,
 * evaluate) - for `n` pending tasks, into lat[]. */
typedef struct probe_ctx {
    size_t n;
    double *lat;
    int err;
} probe_ctx;

static int probe_apply(ins_wtxn *t, void *arg)
{
    probe_ctx *pc = arg;
    for (size_t i = 0; i < pc->n; i++) {
        char id[32], why[512];
        snprintf(id, sizeof id, "T-%06zu", i + 1);
        double a = now_s();
        Inspect__V1__Task *task = NULL;
        Inspect__V1__Application *app = NULL;
        int rc = ins_task_wget(t, id, &task);
        if (rc == 0)
            rc = ins_app_wget(t, task->application_id, &app);
        for (size_t s = 0; rc == 0 && s < task->n_required_departments; s++) {
            Inspect__V1__TeamMember m = INSPECT__V1__TEAM_MEMBER__INIT;
            char qual[64];
            snprintf(qual, sizeof qual, "%s-inspection", task->required_departments[s]);
            rc =
                ins_dsp_choose_member(t, task, app, task->required_departments[s],
                                      s == 0 ? "site-inspection" : qual, NULL, &m, why, sizeof why);
            if (rc == 0)
                ins_dsp_member_free(&m);
        }
        pc->lat[i] = (now_s() - a) * 1e3;
        if (app)
            protobuf_c_message_free_unpacked(&app->base, NULL);
        if (task)
            protobuf_c_message_free_unpacked(&task->base, NULL);
        if (rc)
            return pc->err = rc;
    }
    return 0;
}

static int cmd_load(const char *dir, size_t pending)
{
    ins_store *s = NULL;
    ins_store_options so = {
        .data_dir = dir,
        .tables = ins_rec_table_names,
        .schema_version = INS_REC_SCHEMA,
        .initial_map_bytes = (size_t)2 << 30,
        .sweep_interval_s = UINT32_MAX,
    };
    int rc = ins_store_open(&so, &s);
    if (rc) {
        fprintf(stderr, "bench_assign: open %s: %s\n", dir, ins_strerror(rc));
        return 1;
    }
    double t0 = now_s();
    rc = ins_store_exec(s, put_directory, NULL);
    if (rc == 0)
        rc = ins_store_exec(s, put_inspectors, NULL);
    load_ctx lc = {.now = (int64_t)time(NULL), .pending = pending};
    uint32_t rr[N_DEPTS] = {0};
    for (size_t first = 0; rc == 0 && first < N_TASKS; first += BATCH) {
        lc.first = first;
        lc.count = N_TASKS - first < BATCH ? N_TASKS - first : BATCH;
        lc.rr = rr;
        rc = ins_store_exec(s, put_tasks, &lc);
        /* advance the round robin as the batch did */
        for (size_t n = 0; n < lc.count; n++) {
            size_t i = first + n;
            if (i >= pending) {
                rr[0]++;
                rr[1 + i % (N_DEPTS - 1)]++;
            }
        }
    }
    if (rc) {
        fprintf(stderr, "bench_assign: load: %s\n", ins_strerror(rc));
        ins_store_close(s);
        return 1;
    }
    double t1 = now_s();
    printf("load: %d departments, %d inspectors, %d open tasks (%zu waiting for a team) "
           "in %.1f s (%.0f tasks/s, batches of %d)\n",
           N_DEPTS, N_INSPECTORS, N_TASKS, pending, t1 - t0, N_TASKS / (t1 - t0), BATCH);

    /* the writer's floor: one durable one-row mutation at a time */
    enum { NOOP = 300 };
    double lat[NOOP];
    for (uint64_t i = 0; i < NOOP; i++) {
        double a = now_s();
        if ((rc = ins_store_exec(s, put_one, &i)) != 0)
            break;
        lat[i] = (now_s() - a) * 1e3;
    }
    probe_ctx pc = {.n = pending < 500 ? pending : 500};
    double probe[500];
    pc.lat = probe;
    if (rc == 0 && pc.n > 0)
        rc = ins_store_exec(s, probe_apply, &pc);
    ins_store_close(s);
    if (rc) {
        fprintf(stderr, "bench_assign: no-op mutation / probe: %s\n", ins_strerror(rc));
        return 1;
    }
    if (pc.n > 0) {
        qsort(probe, pc.n, sizeof probe[0], cmp_double);
        printf("in process: choosing a team (task, application, 2 x ins_dsp_choose_member over "
               "%d inspectors each, no commit, %zu): p50 %.3f ms  p99 %.3f ms\n",
               PER_DEPT, pc.n, pct(probe, pc.n, 50), pct(probe, pc.n, 99));
    }
    qsort(lat, NOOP, sizeof lat[0], cmp_double);
    printf("baseline writer  (one-row durable mutation, in process, %d): p50 %.3f ms  "
           "p99 %.3f ms\n",
           NOOP, pct(lat, NOOP, 50), pct(lat, NOOP, 99));
    printf("BASELINE commit p50_ms=%.3f p99_ms=%.3f\n", pct(lat, NOOP, 50), pct(lat, NOOP, 99));
    return 0;
}

/* ---- run ------------------------------------------------------------------- */

static void rid(char out[33])
{
    static uint64_t n;
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, rnd(), ++n);
}

static int cmd_run(const char *addr, const char *token, size_t pending, double commit_p50,
                   double commit_p99)
{
    ins_client *c = NULL;
    ins_client_opts o = {.target = addr, .token = token, .timeout_ms = 30000};
    char *details = NULL;
    if (ins_client_open(&o, &c, &details) != 0) {
        fprintf(stderr, "bench_assign: %s\n", details ? details : "cannot open a channel");
        free(details);
        return 1;
    }
    free(details);
    enum { WARM = 200, BASE = 2000 };
    double *base = calloc(BASE, sizeof *base), *lat = calloc(pending, sizeof *lat);
    size_t nbase = 0, nlat = 0, refused = 0;
    int rc = 0;
    Inspect__V1__WhoAmIRequest who = INSPECT__V1__WHO_AM_IREQUEST__INIT;
    for (int i = 0; i < WARM + BASE && rc == 0; i++) {
        ProtobufCMessage *resp = NULL;
        double a = now_s();
        rc = ins_client_unary(c, "/inspect.v1.Session/WhoAmI", &who.base,
                              &inspect__v1__who_am_iresponse__descriptor, INS_TIMEOUT_DEFAULT,
                              &resp, &details);
        double ms = (now_s() - a) * 1e3;
        if (rc)
            fprintf(stderr, "bench_assign: WhoAmI: %s: %s\n", ins_client_status_name(rc), details);
        free(details);
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        if (i >= WARM)
            base[nbase++] = ms;
    }
    double t0 = now_s();
    for (size_t i = 0; i < pending && rc == 0; i++) {
        char id[32], req_id[33];
        snprintf(id, sizeof id, "T-%06zu", i + 1);
        rid(req_id);
        Inspect__V1__AssignTeamRequest req = INSPECT__V1__ASSIGN_TEAM_REQUEST__INIT;
        req.request_id = req_id;
        req.task_id = id;
        ProtobufCMessage *resp = NULL;
        double a = now_s();
        int st = ins_client_unary(c, "/inspect.v1.Dispatch/AssignTeam", &req.base,
                                  &inspect__v1__assign_team_response__descriptor,
                                  INS_TIMEOUT_DEFAULT, &resp, &details);
        double ms = (now_s() - a) * 1e3;
        if (st == 9 /* FAILED_PRECONDITION: nobody qualifies, alert raised */) {
            refused++;
        } else if (st != 0) {
            fprintf(stderr, "bench_assign: AssignTeam %s: %s: %s\n", id, ins_client_status_name(st),
                    details);
            rc = st;
        } else {
            Inspect__V1__AssignTeamResponse *r = (Inspect__V1__AssignTeamResponse *)resp;
            if (!r->task || r->task->n_team != 2) {
                fprintf(stderr, "bench_assign: AssignTeam %s: a team of %zu\n", id,
                        r->task ? r->task->n_team : 0);
                rc = 1;
            }
        }
        free(details);
        if (resp)
            protobuf_c_message_free_unpacked(resp, NULL);
        lat[nlat++] = ms;
    }
    double elapsed = now_s() - t0;
    ins_client_close(c);
    if (rc) {
        free(base);
        free(lat);
        return 1;
    }
    qsort(base, nbase, sizeof *base, cmp_double);
    qsort(lat, nlat, sizeof *lat, cmp_double);
    double b50 = pct(base, nbase, 50), b99 = pct(base, nbase, 99);
    double a50 = pct(lat, nlat, 50), a99 = pct(lat, nlat, 99);
    printf("baseline unary   (Session.WhoAmI, no storage, %zu sequential): p50 %.3f ms  "
           "p99 %.3f ms\n",
           nbase, b50, b99);
    printf("AssignTeam auto  (%zu sequential, %zu refused, %.0f/s): p50 %.3f ms  p99 %.3f ms  "
           "max %.3f ms\n",
           nlat, refused, (double)nlat / elapsed, a50, a99, lat[nlat - 1]);
    printf("ratio AssignTeam/WhoAmI: p50 %.1fx  p99 %.1fx\n", a50 / b50, a99 / b99);
    if (commit_p50 > 0)
        printf("ratio AssignTeam/one-row durable mutation: p50 %.1fx  p99 %.1fx\n",
               a50 / commit_p50, a99 / commit_p99);
    printf("goal p99 <= 5 ms: %s\n", a99 <= 5.0 ? "met" : "MISSED");
    printf("RESULT assign p99_ms=%.3f\n", a99);
    free(base);
    free(lat);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "load") == 0)
        return cmd_load(argv[2], argc > 3 ? (size_t)atol(argv[3]) : 2000);
    if (argc >= 4 && strcmp(argv[1], "run") == 0)
        return cmd_run(argv[2], argv[3], argc > 4 ? (size_t)atol(argv[4]) : 2000,
                       argc > 5 ? atof(argv[5]) : 0, argc > 6 ? atof(argv[6]) : 0);
    fprintf(stderr, "usage: bench_assign load DIR [PENDING]\n"
                    "       bench_assign run ADDR TOKEN [PENDING [COMMIT_P50 COMMIT_P99]]\n");
    return 2;
}
