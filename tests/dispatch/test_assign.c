/*
 * test_assign.c - the team selection rules (assign.c) as a table of cases.
 *
 * Every case is one department's candidates (compact specs turned into
 * ins_candidate), one need and either the id that must be chosen or the
 * error; the table is run as given and again with the candidates reversed
 * and rotated, which must not change the answer. ins_assign_check has its
 * own table, one row per rule.
 *
 * The site is in 大丰 (新都区); a candidate's base is `km` kilometres due
 * north of it, so distances are known to a few metres.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "assign.h"
#include "calendar.h"
#include "geo.h"
#include "ins_error.h"

#define SITE_LAT   30.8235
#define SITE_LON   104.1589
#define QUAL       "fire-safety-inspection"
#define APPLICANT  "91510114MA6CGXYZ1K"
#define DEADLINE   "2026-10-20"
#define MAX_CANDS  8
#define KM_PER_DEG (INS_EARTH_RADIUS_M * 3.14159265358979323846 / 180.0 / 1000.0)

typedef struct spec {
    const char *id;
    const char *name;
    int inactive;
    const char *expires; /* of QUAL; NULL: he lacks it */
    const char *town;    /* the one town served; NULL: 大丰 ; "" none */
    unsigned open, max;
    double km;            /* north of the site */
    const char *conflict; /* NULL: none */
    const char *dept;     /* NULL: fire */
} spec;

typedef struct assign_case {
    const char *name;
    spec cands[MAX_CANDS];
    const char *excluded[3];
    const char *want_id;  /* NULL: INS_ESTATE expected */
    const char *want_why; /* substring of the message (exact when want_exact) */
    int want_exact;
} assign_case;

/* Storage behind the ins_candidate pointers of one case. */
typedef struct built {
    ins_candidate c[MAX_CANDS];
    ins_qual q[MAX_CANDS][2];
    char *towns[MAX_CANDS][1];
    char *conflicts[MAX_CANDS][1];
    size_t n;
} built;

static ins_date D(const char *s)
{
    ins_date d = 0;
    ck_assert_int_eq(ins_date_parse(s, &d), 0);
    return d;
}

static void build_one(built *b, size_t i, const spec *s)
{
    ins_candidate *c = &b->c[i];
    memset(c, 0, sizeof(*c));
    c->id = s->id;
    c->name = s->name ? s->name : "某人";
    c->department = s->dept ? s->dept : "fire";
    c->active = !s->inactive;
    /* everyone holds an unrelated qualification too */
    b->q[i][0] = (ins_qual){"building-safety", D("2030-01-01")};
    c->n_quals = 1;
    if (s->expires) {
        b->q[i][1] = (ins_qual){QUAL, D(s->expires)};
        c->n_quals = 2;
    }
    c->quals = b->q[i];
    const char *town = s->town ? s->town : "大丰";
    if (town[0]) {
        b->towns[i][0] = (char *)town;
        c->towns = b->towns[i];
        c->n_towns = 1;
    }
    if (s->conflict) {
        b->conflicts[i][0] = (char *)s->conflict;
        c->conflicts = b->conflicts[i];
        c->n_conflicts = 1;
    }
    c->open_tasks = s->open;
    c->max_open_tasks = s->max ? s->max : 5;
    c->base_lat = SITE_LAT + s->km / KM_PER_DEG;
    c->base_lon = SITE_LON;
}

static void build(built *b, const spec *specs)
{
    b->n = 0;
    while (b->n < MAX_CANDS && specs[b->n].id) {
        build_one(b, b->n, &specs[b->n]);
        b->n++;
    }
}

static ins_need need_for(const char *const *excluded)
{
    ins_need n = {
        .department = "fire",
        .qualification = QUAL,
        .start = D("2026-10-08"),
        .deadline = D(DEADLINE),
        .town = "大丰",
        .site_lat = SITE_LAT,
        .site_lon = SITE_LON,
        .applicant_credit_code = APPLICANT,
        .excluded = excluded,
        .n_excluded = 0,
    };
    if (excluded)
        while (n.n_excluded < 3 && excluded[n.n_excluded])
            n.n_excluded++;
    return n;
}

/* clang-format off */
static const assign_case CASES[] = {
    {"happy path",
     {{"fire-003", "张伟", 0, "2027-03-31", "大丰", 2, 5, 3.4, NULL, NULL}},
     {NULL}, "fire-003",
     "fire-003 张伟: holds fire-safety-inspection until 2027-03-31, serves 大丰, "
     "2 of 5 open tasks, 3.4 km from the site", 1},
    {"town preference over a nearer out-of-town inspector",
     {{"fire-001", NULL, 0, "2027-03-31", "三河", 0, 5, 0.5, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", "大丰", 3, 5, 9.0, NULL, NULL}},
     {NULL}, "fire-002", "serves 大丰, 3 of 5 open tasks, 9.0 km", 0},
    {"fewest open tasks among town-serving",
     {{"fire-001", NULL, 0, "2027-03-31", NULL, 3, 5, 1.0, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 1, 5, 8.0, NULL, NULL},
      {"fire-003", NULL, 0, "2027-03-31", "三河", 0, 5, 0.5, NULL, NULL}},
     {NULL}, "fire-002", "1 of 5 open tasks, 8.0 km", 0},
    {"town-serving with equal open tasks: nearest",
     {{"fire-001", NULL, 0, "2027-03-31", NULL, 2, 5, 5.0, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 2, 5, 2.0, NULL, NULL}},
     {NULL}, "fire-002", "2.0 km from the site", 0},
    {"nobody serves the town: nearest",
     {{"fire-001", NULL, 0, "2027-03-31", "三河", 0, 5, 10.0, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", "新繁", 4, 5, 2.0, NULL, NULL}},
     {NULL}, "fire-002",
     "fire-002 某人: holds fire-safety-inspection until 2027-03-31, nobody qualified "
     "serves 大丰: nearest of 2, 4 of 5 open tasks, 2.0 km from the site", 1},
    {"nobody serves the town, same distance: fewest open tasks",
     {{"fire-001", NULL, 0, "2027-03-31", "", 3, 5, 2.0, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", "", 1, 5, 2.0, NULL, NULL}},
     {NULL}, "fire-002", "1 of 5 open tasks", 0},
    {"the only town server is not qualified: nearest of the rest",
     {{"fire-001", NULL, 0, NULL, NULL, 0, 5, 0.1, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", "三河", 0, 5, 6.0, NULL, NULL},
      {"fire-003", NULL, 0, "2027-03-31", "新繁", 0, 5, 4.0, NULL, NULL}},
     {NULL}, "fire-003", "nobody qualified serves 大丰: nearest of 2", 0},
    {"inactive skipped",
     {{"fire-009", NULL, 1, "2027-03-31", NULL, 0, 5, 0.5, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 3, 5, 7.0, NULL, NULL}},
     {NULL}, "fire-002", "serves 大丰", 0},
    {"expires the day before the deadline: skipped; on the deadline: accepted",
     {{"fire-004", NULL, 0, "2026-10-19", NULL, 0, 5, 0.5, NULL, NULL},
      {"fire-005", NULL, 0, "2026-10-20", NULL, 3, 5, 7.0, NULL, NULL}},
     {NULL}, "fire-005", "holds fire-safety-inspection until 2026-10-20", 0},
    {"expiring exactly on the deadline, alone: accepted",
     {{"fire-005", NULL, 0, DEADLINE, NULL, 0, 5, 1.0, NULL, NULL}},
     {NULL}, "fire-005", "until 2026-10-20", 0},
    {"lacks the qualification: skipped",
     {{"fire-001", NULL, 0, NULL, NULL, 0, 5, 0.5, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 4, 5, 7.0, NULL, NULL}},
     {NULL}, "fire-002", "4 of 5 open tasks", 0},
    {"at (or above) max open tasks: skipped",
     {{"fire-001", NULL, 0, "2027-03-31", NULL, 5, 5, 0.5, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 7, 5, 0.4, NULL, NULL},
      {"fire-003", NULL, 0, "2027-03-31", NULL, 4, 5, 7.0, NULL, NULL}},
     {NULL}, "fire-003", "4 of 5 open tasks", 0},
    {"conflict of interest skipped (credit code case ignored)",
     {{"fire-007", NULL, 0, "2027-03-31", NULL, 0, 5, 0.5, "91510114ma6cgxyz1k", NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 2, 5, 7.0, "91510114MA6CGXYZ2X", NULL}},
     {NULL}, "fire-002", "serves 大丰", 0},
    {"excluded ids skipped",
     {{"fire-001", NULL, 0, "2027-03-31", NULL, 0, 5, 0.5, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 1, 5, 0.6, NULL, NULL},
      {"fire-003", NULL, 0, "2027-03-31", NULL, 2, 5, 7.0, NULL, NULL}},
     {"fire-001", "fire-002", NULL}, "fire-003", "2 of 5 open tasks", 0},
    {"another department's inspector skipped",
     {{"health-001", NULL, 0, "2027-03-31", NULL, 0, 5, 0.5, NULL, "health"},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 2, 5, 7.0, NULL, NULL}},
     {NULL}, "fire-002", "serves 大丰", 0},
    {"determinism: full tie broken by id",
     {{"fire-010", NULL, 0, "2027-03-31", NULL, 2, 5, 3.0, NULL, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 2, 5, 3.0, NULL, NULL},
      {"fire-007", NULL, 0, "2027-03-31", NULL, 2, 5, 3.0, NULL, NULL}},
     {NULL}, "fire-002", "fire-002 ", 0},
    {"determinism: tie broken by id when nobody serves the town",
     {{"fire-010", NULL, 0, "2027-03-31", "", 2, 5, 3.0, NULL, NULL},
      {"fire-008", NULL, 0, "2027-03-31", "", 2, 5, 3.0, NULL, NULL}},
     {NULL}, "fire-008", "nearest of 2", 0},
    {"nobody qualifies: department, qualification and tally",
     {{"fire-001", NULL, 0, NULL, NULL, 0, 5, 1.0, NULL, NULL},
      {"fire-002", NULL, 0, "2026-10-19", NULL, 0, 5, 1.0, NULL, NULL},
      {"fire-003", NULL, 0, "2025-12-31", NULL, 0, 5, 1.0, NULL, NULL},
      {"fire-004", NULL, 1, "2027-03-31", NULL, 0, 5, 1.0, NULL, NULL},
      {"fire-005", NULL, 0, "2027-03-31", NULL, 5, 5, 1.0, NULL, NULL},
      {"fire-006", NULL, 0, "2027-03-31", NULL, 3, 3, 1.0, NULL, NULL},
      {"fire-007", NULL, 0, "2027-03-31", NULL, 0, 5, 1.0, APPLICANT, NULL}},
     {NULL}, NULL,
     "fire: nobody qualifies for fire-safety-inspection valid through 2026-10-20: "
     "3 lack it or it expires earlier, 1 inactive, 2 at their maximum of open tasks, "
     "1 conflict of interest", 1},
    {"nobody qualifies: the first broken rule counts, excluded counted",
     {{"fire-001", NULL, 1, NULL, NULL, 9, 5, 1.0, APPLICANT, NULL},
      {"fire-002", NULL, 0, "2027-03-31", NULL, 0, 5, 1.0, NULL, NULL}},
     {"fire-002", NULL}, NULL,
     "fire: nobody qualifies for fire-safety-inspection valid through 2026-10-20: "
     "1 inactive, 1 already on the team or being replaced", 1},
    {"nobody qualifies: empty department",
     {{NULL}},
     {NULL}, NULL,
     "fire: nobody qualifies for fire-safety-inspection valid through 2026-10-20: "
     "the department has no inspectors", 1},
};
/* clang-format on */

enum { NCASES = sizeof(CASES) / sizeof(CASES[0]) };

/* Runs case `i` with its candidates in the order perm[0..n). */
static void run_case(int i, const size_t *perm)
{
    const assign_case *tc = &CASES[i];
    built b, p;
    build(&b, tc->cands);
    p = b;
    for (size_t k = 0; k < b.n; k++)
        p.c[k] = b.c[perm ? perm[k] : k];
    ins_need need = need_for(tc->excluded[0] ? tc->excluded : NULL);
    ins_assign_pick pick = {.index = 99};
    char why[INS_ASSIGN_WHYLEN] = "";
    int rc = ins_assign_choose(p.c, b.n, &need, &pick, why, sizeof(why));
    if (tc->want_id) {
        ck_assert_msg(rc == 0, "%s: rc %d, %s", tc->name, rc, why);
        ck_assert_msg(pick.index < b.n, "%s: index %zu", tc->name, pick.index);
        ck_assert_msg(strcmp(p.c[pick.index].id, tc->want_id) == 0, "%s: chose %s, want %s",
                      tc->name, p.c[pick.index].id, tc->want_id);
    } else {
        ck_assert_msg(rc == INS_ESTATE, "%s: rc %d, %s", tc->name, rc, why);
        ck_assert_msg(pick.index == 99, "%s: pick touched", tc->name);
    }
    if (tc->want_exact)
        ck_assert_msg(strcmp(why, tc->want_why) == 0, "%s:\n got  %s\n want %s", tc->name, why,
                      tc->want_why);
    else
        ck_assert_msg(strstr(why, tc->want_why) != NULL, "%s:\n got  %s\n want ...%s...", tc->name,
                      why, tc->want_why);
}

START_TEST(test_assign_choose_table)
{
    run_case(_i, NULL);
}
END_TEST

START_TEST(test_assign_choose_independent_of_order)
{
    built b;
    build(&b, CASES[_i].cands);
    size_t perm[MAX_CANDS];
    for (size_t k = 0; k < b.n; k++)
        perm[k] = b.n - 1 - k; /* reversed */
    run_case(_i, perm);
    for (size_t r = 1; r < b.n; r++) {
        for (size_t k = 0; k < b.n; k++)
            perm[k] = (k + r) % b.n; /* rotated */
        run_case(_i, perm);
    }
}
END_TEST

START_TEST(test_assign_choose_reports_distance_and_town)
{
    built b;
    spec s[] = {{"fire-001", NULL, 0, "2027-03-31", "三河", 0, 5, 12.0, NULL, NULL}, {NULL}};
    build(&b, s);
    ins_need need = need_for(NULL);
    ins_assign_pick pick;
    ck_assert_int_eq(ins_assign_choose(b.c, b.n, &need, &pick, NULL, 0), 0);
    ck_assert_uint_eq(pick.index, 0);
    ck_assert_int_eq(pick.serves_town, 0);
    ck_assert_double_eq_tol(pick.distance_m, 12000.0, 1.0);
}
END_TEST

START_TEST(test_assign_choose_without_qualification_for_the_lead)
{
    /* the bureau lead: no qualification required */
    built b;
    spec s[] = {{"bureau-001", "王芳", 0, NULL, NULL, 1, 5, 3.0, NULL, "bureau"},
                {"bureau-002", "陈静", 0, NULL, NULL, 0, 5, 4.0, NULL, "bureau"},
                {NULL}};
    build(&b, s);
    ins_need need = need_for(NULL);
    need.department = "bureau";
    need.qualification = "";
    ins_assign_pick pick;
    char why[INS_ASSIGN_WHYLEN];
    ck_assert_int_eq(ins_assign_choose(b.c, b.n, &need, &pick, why, sizeof(why)), 0);
    ck_assert_str_eq(b.c[pick.index].id, "bureau-002");
    ck_assert_str_eq(why, "bureau-002 陈静: serves 大丰, 0 of 5 open tasks, 4.0 km from the site");

    b.c[1].active = 0;
    b.c[0].open_tasks = 5;
    ck_assert_int_eq(ins_assign_choose(b.c, b.n, &need, &pick, why, sizeof(why)), INS_ESTATE);
    ck_assert_str_eq(why, "bureau: nobody qualifies: 1 inactive, 1 at their maximum of open tasks");
}
END_TEST

/* ---- ins_assign_check: one row per rule ---- */

typedef struct check_case {
    spec cand;
    const char *excluded;
    int want_rc;
    ins_assign_rule want_rule;
    const char *want_why; /* exact; NULL for success */
} check_case;

/* clang-format off */
static const check_case CHECKS[] = {
    {{"fire-003", NULL, 0, "2027-03-31", NULL, 2, 5, 3.4, NULL, NULL}, NULL, 0, INS_ASSIGN_OK, NULL},
    /* the town is a preference, not a rule */
    {{"fire-003", NULL, 0, "2027-03-31", "三河", 2, 5, 30, NULL, NULL}, NULL, 0, INS_ASSIGN_OK, NULL},
    {{"fire-009", NULL, 1, "2027-03-31", NULL, 0, 5, 1, NULL, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_INACTIVE, "fire-009 is inactive"},
    {{"fire-004", NULL, 0, "2026-05-01", NULL, 0, 5, 1, NULL, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_QUALIFICATION,
     "fire-004 holds fire-safety-inspection only until 2026-05-01, before the deadline 2026-10-20"},
    {{"fire-004", NULL, 0, "2026-10-19", NULL, 0, 5, 1, NULL, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_QUALIFICATION,
     "fire-004 holds fire-safety-inspection only until 2026-10-19, before the deadline 2026-10-20"},
    {{"fire-004", NULL, 0, "2026-10-20", NULL, 0, 5, 1, NULL, NULL}, NULL, 0, INS_ASSIGN_OK, NULL},
    {{"fire-004", NULL, 0, NULL, NULL, 0, 5, 1, NULL, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_QUALIFICATION, "fire-004 does not hold fire-safety-inspection"},
    {{"fire-002", NULL, 0, "2027-03-31", NULL, 5, 5, 1, NULL, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_MAX_OPEN, "fire-002 has 5 open tasks, the maximum"},
    {{"fire-002", NULL, 0, "2027-03-31", NULL, 6, 5, 1, NULL, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_MAX_OPEN, "fire-002 has 6 open tasks, above the maximum of 5"},
    {{"fire-007", NULL, 0, "2027-03-31", NULL, 0, 5, 1, APPLICANT, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_CONFLICT, "fire-007 has a conflict of interest with 91510114MA6CGXYZ1K"},
    {{"fire-003", NULL, 0, "2027-03-31", NULL, 0, 5, 1, NULL, NULL}, "fire-003", INS_ESTATE,
     INS_ASSIGN_EXCLUDED, "fire-003 is already on the team or being replaced"},
    {{"health-001", NULL, 0, "2027-03-31", NULL, 0, 5, 1, NULL, "health"}, NULL, INS_ESTATE,
     INS_ASSIGN_DEPARTMENT, "health-001 belongs to department health, not fire"},
    /* several rules broken: the first in order is named */
    {{"fire-008", NULL, 1, "2026-01-01", NULL, 9, 5, 1, APPLICANT, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_INACTIVE, "fire-008 is inactive"},
    {{"fire-008", NULL, 0, "2026-01-01", NULL, 9, 5, 1, APPLICANT, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_QUALIFICATION,
     "fire-008 holds fire-safety-inspection only until 2026-01-01, before the deadline 2026-10-20"},
    {{"fire-008", NULL, 0, "2027-01-01", NULL, 9, 5, 1, APPLICANT, NULL}, NULL, INS_ESTATE,
     INS_ASSIGN_MAX_OPEN, "fire-008 has 9 open tasks, above the maximum of 5"},
};
/* clang-format on */

enum { NCHECKS = sizeof(CHECKS) / sizeof(CHECKS[0]) };

START_TEST(test_assign_check_table)
{
    const check_case *tc = &CHECKS[_i];
    built b;
    build_one(&b, 0, &tc->cand);
    const char *ex[2] = {tc->excluded, NULL};
    ins_need need = need_for(tc->excluded ? ex : NULL);
    char why[INS_ASSIGN_WHYLEN] = "";
    int rc = ins_assign_check(&b.c[0], &need, why, sizeof(why));
    ck_assert_msg(rc == tc->want_rc, "row %d: rc %d, %s", _i, rc, why);
    ck_assert_int_eq(ins_assign_classify(&b.c[0], &need), tc->want_rule);
    if (tc->want_why)
        ck_assert_str_eq(why, tc->want_why);
    /* NULL buffer: same answer, nothing written */
    ck_assert_int_eq(ins_assign_check(&b.c[0], &need, NULL, 0), tc->want_rc);
}
END_TEST

START_TEST(test_assign_check_latest_of_repeated_qualification)
{
    built b;
    spec s = {"fire-004", NULL, 0, "2026-05-01", NULL, 0, 5, 1, NULL, NULL};
    build_one(&b, 0, &s);
    ins_qual q[3] = {{QUAL, D("2026-05-01")}, {QUAL, D("2028-01-01")}, {QUAL, D("2025-01-01")}};
    b.c[0].quals = q;
    b.c[0].n_quals = 3;
    ins_need need = need_for(NULL);
    ck_assert_int_eq(ins_assign_check(&b.c[0], &need, NULL, 0), 0);
}
END_TEST

START_TEST(test_assign_candidate_from_inspector)
{
    Inspect__V1__Inspector in = INSPECT__V1__INSPECTOR__INIT;
    Inspect__V1__Qualification q1 = INSPECT__V1__QUALIFICATION__INIT;
    Inspect__V1__Qualification q2 = INSPECT__V1__QUALIFICATION__INIT;
    Inspect__V1__Qualification *qs[2] = {&q1, &q2};
    char *towns[2] = {(char *)"大丰", (char *)"三河"};
    char *conflicts[1] = {(char *)APPLICANT};
    q1.code = (char *)QUAL;
    q1.expires = (char *)"2027-03-31";
    q2.code = (char *)"building-safety";
    q2.expires = (char *)"2027-13-01"; /* broken: never qualifies */
    in.id = (char *)"fire-003";
    in.name = (char *)"张伟";
    in.department = (char *)"fire";
    in.qualifications = qs;
    in.n_qualifications = 2;
    in.towns = towns;
    in.n_towns = 2;
    in.conflicts = conflicts;
    in.n_conflicts = 1;
    in.max_open_tasks = 5;
    in.active = 1;
    in.base_latitude = SITE_LAT;
    in.base_longitude = SITE_LON;

    ins_candidate c;
    ins_qual qbuf[2];
    memset(&c, 0xAB, sizeof(c));
    ins_candidate before;
    memcpy(&before, &c, sizeof(c));
    ck_assert_int_eq(ins_candidate_from_inspector(&c, &in, 2, qbuf, 1), INS_EINVAL);
    ck_assert(memcmp(&c, &before, sizeof(c)) == 0);
    ck_assert_int_eq(ins_candidate_from_inspector(&c, &in, 2, qbuf, 2), 0);
    ck_assert_str_eq(c.id, "fire-003");
    ck_assert_ptr_eq(c.name, in.name);
    ck_assert_uint_eq(c.n_quals, 2);
    ck_assert_int_eq(c.quals[0].expires, D("2027-03-31"));
    ck_assert_int_eq(c.quals[1].expires, INS_DATE_MIN);
    ck_assert_uint_eq(c.n_towns, 2);
    ck_assert_uint_eq(c.open_tasks, 2);
    ck_assert_uint_eq(c.max_open_tasks, 5);

    ins_need need = need_for(NULL);
    char why[INS_ASSIGN_WHYLEN];
    ck_assert_int_eq(ins_assign_check(&c, &need, why, sizeof(why)), INS_ESTATE);
    ck_assert_str_eq(why, "fire-003 has a conflict of interest with 91510114MA6CGXYZ1K");
    need.applicant_credit_code = "";
    ck_assert_int_eq(ins_assign_check(&c, &need, why, sizeof(why)), 0);
    need.qualification = "building-safety";
    ck_assert_int_eq(ins_assign_check(&c, &need, why, sizeof(why)), INS_ESTATE);
    ck_assert_str_eq(why, "fire-003 holds building-safety only until 0001-01-01, before the "
                          "deadline 2026-10-20");
}
END_TEST

/* Proves the table can fail: a wrong expectation is caught. */
START_TEST(test_assign_table_can_fail)
{
    built b;
    build(&b, CASES[1].cands); /* town preference: fire-002 */
    ins_need need = need_for(NULL);
    ins_assign_pick pick;
    ck_assert_int_eq(ins_assign_choose(b.c, b.n, &need, &pick, NULL, 0), 0);
    ck_assert_str_ne(b.c[pick.index].id, "fire-001");
    /* with the town preference removed, the nearer one wins */
    need.town = "";
    ck_assert_int_eq(ins_assign_choose(b.c, b.n, &need, &pick, NULL, 0), 0);
    ck_assert_str_eq(b.c[pick.index].id, "fire-001");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("assign");
    TCase *tc = tcase_create("choose");
    tcase_add_loop_test(tc, test_assign_choose_table, 0, NCASES);
    tcase_add_loop_test(tc, test_assign_choose_independent_of_order, 0, NCASES);
    tcase_add_test(tc, test_assign_choose_reports_distance_and_town);
    tcase_add_test(tc, test_assign_choose_without_qualification_for_the_lead);
    tcase_add_test(tc, test_assign_table_can_fail);
    suite_add_tcase(s, tc);

    TCase *tk = tcase_create("check");
    tcase_add_loop_test(tk, test_assign_check_table, 0, NCHECKS);
    tcase_add_test(tk, test_assign_check_latest_of_repeated_qualification);
    tcase_add_test(tk, test_assign_candidate_from_inspector);
    suite_add_tcase(s, tk);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
