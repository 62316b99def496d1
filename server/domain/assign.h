/*
 * assign.h - who inspects: the rules that pick one department's team member.
 *
 * A pure function over plain structs, so the rules are testable as a table
 * and the service decides where the data comes from. The service fills one
 * ins_candidate per inspector of the department (ins_candidate_from_inspector
 * points into the Inspect__V1__Inspector message, no copies) together with
 * his current number of open tasks, describes the need (department,
 * qualification, task dates, site, applicant, excluded ids) and asks
 * ins_assign_choose for the best one, or ins_assign_check whether a named
 * inspector may serve.
 *
 * The rules, in order (a candidate is rejected by the first he breaks):
 *   0. not excluded (already on the team, or the member being replaced) and
 *      of the need's department;
 *   1. active;
 *   2. holds the required qualification valid through the task's deadline
 *      (Qualification.expires >= deadline: valid on every day of the task);
 *   3. fewer open tasks than his maximum;
 *   4. no conflict of interest with the applicant (credit code listed in
 *      his conflicts, compared ignoring ASCII case).
 * Preference among those who pass:
 *   - if any serves the site's town: among those, fewest open tasks, then
 *     nearest base, then smallest id (strcmp);
 *   - otherwise: nearest base, then fewest open tasks, then smallest id.
 * The result does not depend on the order of the candidates.
 *
 * Everything here is pure: no allocation, no global state, thread-safe.
 * Strings are UTF-8 and only read; messages echo them through ins_show.
 */
#ifndef INS_ASSIGN_H
#define INS_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "inspect/v1/directory.pb-c.h"

/* One qualification an inspector holds: valid through `expires`. */
typedef struct ins_qual {
    const char *code;
    ins_date expires;
} ins_qual;

/*
 * One inspector as the rules see him. Every pointer is borrowed: it must
 * stay valid while the struct is used (typically it points into an
 * Inspect__V1__Inspector that outlives the call).
 */
typedef struct ins_candidate {
    const char *id;
    const char *name;
    const char *department;
    int active;
    const ins_qual *quals; /* n_quals entries; a code may repeat (latest expiry counts) */
    size_t n_quals;
    char *const *towns; /* towns served, compared exactly with ins_need.town */
    size_t n_towns;
    char *const *conflicts; /* applicants' credit codes he must not inspect */
    size_t n_conflicts;
    uint32_t max_open_tasks;
    uint32_t open_tasks; /* tasks currently open with him on the team */
    double base_lat, base_lon;
} ins_candidate;

/* What one department must bring to one task. */
typedef struct ins_need {
    const char *department;
    /* Qualification code the member must hold; NULL or "" requires none
     * (e.g. the bureau's lead). */
    const char *qualification;
    /* The task's start and deadline dates. Qualifications have no start of
     * validity, so only the deadline is checked: expires >= deadline. */
    ins_date start, deadline;
    const char *town; /* the site's town; NULL or "" matches nobody */
    double site_lat, site_lon;
    const char *applicant_credit_code; /* NULL or "": no conflict possible */
    const char *const *excluded;       /* inspector ids not to choose */
    size_t n_excluded;
} ins_need;

/* The rule a candidate breaks (the first one, in the order above). */
typedef enum ins_assign_rule {
    INS_ASSIGN_OK = 0,
    INS_ASSIGN_EXCLUDED,      /* already on the team / being replaced */
    INS_ASSIGN_DEPARTMENT,    /* belongs to another department */
    INS_ASSIGN_INACTIVE,      /* not active */
    INS_ASSIGN_QUALIFICATION, /* lacks it, or it expires before the deadline */
    INS_ASSIGN_MAX_OPEN,      /* at his maximum of open tasks */
    INS_ASSIGN_CONFLICT,      /* conflict of interest with the applicant */
} ins_assign_rule;

/* The outcome of ins_assign_choose. */
typedef struct ins_assign_pick {
    size_t index;      /* into the candidates array */
    double distance_m; /* base to site (ins_geo_distance_m) */
    int serves_town;   /* non-zero when he serves the site's town */
} ins_assign_pick;

/* Buffer size that holds any message of this module untruncated. */
#define INS_ASSIGN_WHYLEN 512

/*
 * Fills `out` from the directory record `in`, with `open_tasks` his current
 * number of open tasks. The qualifications are parsed into qbuf[0..qcap):
 * qcap must be at least in->n_qualifications. An expiry that does not parse
 * as YYYY-MM-DD counts as expired long ago (INS_DATE_MIN), so a broken
 * record can never qualify. Strings are not copied: `out` borrows from `in`
 * and `qbuf`, and must not be used after either is freed.
 * Returns 0, or INS_EINVAL when qcap is too small (`out` is then untouched).
 */
int ins_candidate_from_inspector(ins_candidate *out, const Inspect__V1__Inspector *in,
                                 uint32_t open_tasks, ins_qual *qbuf, size_t qcap);

/*
 * The first rule `c` breaks for `need`, or INS_ASSIGN_OK. The service uses it
 * to tell rules an override may set aside (INACTIVE, QUALIFICATION,
 * MAX_OPEN, CONFLICT) from those it may not (EXCLUDED, DEPARTMENT).
 * This function can't fail.
 */
ins_assign_rule ins_assign_classify(const ins_candidate *c, const ins_need *need);

/*
 * Checks a named inspector against the rules (the town is a preference, not
 * a rule). Returns 0 when he may serve, else INS_ESTATE with the broken rule
 * in `why`, e.g.
 *   "fire-009 is inactive"
 *   "fire-004 holds fire-safety-inspection only until 2026-05-01, before the
 *    deadline 2026-10-20"
 *   "fire-004 does not hold fire-safety-inspection"
 *   "fire-002 has 5 open tasks, the maximum"
 *   "fire-007 has a conflict of interest with 91510114MA6CGXYZ1K"
 *   "fire-003 is already on the team or being replaced"
 *   "fire-003 belongs to department health, not fire"
 * `why` may be NULL / whylen 0. This function has no other failure.
 */
int ins_assign_check(const ins_candidate *c, const ins_need *need, char *why, size_t whylen);

/*
 * Chooses the member for `need` among cands[0..n) by the rules and
 * preferences above. On success returns 0, fills *pick and writes why he was
 * chosen, e.g.
 *   "fire-003 张伟: holds fire-safety-inspection until 2027-03-31, serves 大丰,
 *    2 of 5 open tasks, 3.4 km from the site"
 *   "fire-005 李娜: holds fire-safety-inspection until 2027-03-31, nobody
 *    qualified serves 大丰: nearest of 3, 0 of 5 open tasks, 8.1 km from the
 *    site"
 * When nobody qualifies returns INS_ESTATE (`pick` untouched) naming the
 * department, the qualification and a tally of the first rule each
 * candidate broke, e.g.
 *   "fire: nobody qualifies for fire-safety-inspection valid through
 *    2026-10-20: 3 lack it or it expires earlier, 1 inactive, 2 at their
 *    maximum of open tasks, 1 conflict of interest"
 * or "fire: nobody qualifies for ...: the department has no inspectors".
 * `cands` may be NULL when n is 0. `why` may be NULL / whylen 0.
 * Cost: one pass, O(n) distance computations.
 */
int ins_assign_choose(const ins_candidate *cands, size_t n, const ins_need *need,
                      ins_assign_pick *pick, char *why, size_t whylen);

#endif /* INS_ASSIGN_H */
