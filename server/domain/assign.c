/*
 * assign.c - the rules that choose one department's team member.
 *
 * One classification function (ins_assign_classify) is the single place the
 * rules live; ins_assign_check turns its answer into a sentence and
 * ins_assign_choose applies it to every candidate, tallies the rejections
 * and keeps the best of the rest under a total order (town, open tasks,
 * distance, id), so the choice never depends on the input order.
 */
#include "assign.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geo.h"
#include "ins_error.h"
#include "text_rules.h"

#define SHOWLEN (INS_SHOW_MAX + 4)

static int nonempty(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static int str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ASCII case-insensitive equality; credit codes are ASCII. */
static int str_eq_nocase(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'a' && x <= 'z')
            x = (unsigned char)(x - 'a' + 'A');
        if (y >= 'a' && y <= 'z')
            y = (unsigned char)(y - 'a' + 'A');
        if (x != y)
            return 0;
        if (x == '\0')
            return 1;
    }
}

int ins_candidate_from_inspector(ins_candidate *out, const Inspect__V1__Inspector *in,
                                 uint32_t open_tasks, ins_qual *qbuf, size_t qcap)
{
    if (in->n_qualifications > qcap)
        return INS_EINVAL;
    for (size_t i = 0; i < in->n_qualifications; i++) {
        const Inspect__V1__Qualification *q = in->qualifications[i];
        qbuf[i].code = q->code;
        if (ins_date_parse(q->expires, &qbuf[i].expires) != 0)
            qbuf[i].expires = INS_DATE_MIN;
    }
    out->id = in->id;
    out->name = in->name;
    out->department = in->department;
    out->active = in->active;
    out->quals = qbuf;
    out->n_quals = in->n_qualifications;
    out->towns = in->towns;
    out->n_towns = in->n_towns;
    out->conflicts = in->conflicts;
    out->n_conflicts = in->n_conflicts;
    out->max_open_tasks = in->max_open_tasks;
    out->open_tasks = open_tasks;
    out->base_lat = in->base_latitude;
    out->base_lon = in->base_longitude;
    return 0;
}

/* Latest expiry of `code` among c's qualifications; 0 when he lacks it. */
static int qual_expiry(const ins_candidate *c, const char *code, ins_date *expires)
{
    int found = 0;
    for (size_t i = 0; i < c->n_quals; i++) {
        if (!str_eq(c->quals[i].code, code))
            continue;
        if (!found || c->quals[i].expires > *expires)
            *expires = c->quals[i].expires;
        found = 1;
    }
    return found;
}

static int serves_town(const ins_candidate *c, const char *town)
{
    if (!nonempty(town))
        return 0;
    for (size_t i = 0; i < c->n_towns; i++)
        if (str_eq(c->towns[i], town))
            return 1;
    return 0;
}

static int has_conflict(const ins_candidate *c, const char *credit_code)
{
    if (!nonempty(credit_code))
        return 0;
    for (size_t i = 0; i < c->n_conflicts; i++)
        if (str_eq_nocase(c->conflicts[i], credit_code))
            return 1;
    return 0;
}

static int is_excluded(const ins_candidate *c, const ins_need *need)
{
    for (size_t i = 0; i < need->n_excluded; i++)
        if (str_eq(need->excluded[i], c->id))
            return 1;
    return 0;
}

ins_assign_rule ins_assign_classify(const ins_candidate *c, const ins_need *need)
{
    if (is_excluded(c, need))
        return INS_ASSIGN_EXCLUDED;
    if (!str_eq(c->department, need->department))
        return INS_ASSIGN_DEPARTMENT;
    if (!c->active)
        return INS_ASSIGN_INACTIVE;
    if (nonempty(need->qualification)) {
        ins_date expires = 0;
        if (!qual_expiry(c, need->qualification, &expires) || expires < need->deadline)
            return INS_ASSIGN_QUALIFICATION;
    }
    if (c->open_tasks >= c->max_open_tasks)
        return INS_ASSIGN_MAX_OPEN;
    if (has_conflict(c, need->applicant_credit_code))
        return INS_ASSIGN_CONFLICT;
    return INS_ASSIGN_OK;
}

int ins_assign_check(const ins_candidate *c, const ins_need *need, char *why, size_t whylen)
{
    char id[SHOWLEN], a[SHOWLEN], b[SHOWLEN];
    char d1[INS_DATE_STRLEN], d2[INS_DATE_STRLEN];
    ins_date expires = 0;

    ins_show(c->id, id, sizeof(id));
    switch (ins_assign_classify(c, need)) {
    case INS_ASSIGN_OK:
        return 0;
    case INS_ASSIGN_EXCLUDED:
        return ins_whyf(INS_ESTATE, why, whylen, "%s is already on the team or being replaced", id);
    case INS_ASSIGN_DEPARTMENT:
        return ins_whyf(INS_ESTATE, why, whylen, "%s belongs to department %s, not %s", id,
                        ins_show(c->department, a, sizeof(a)),
                        ins_show(need->department, b, sizeof(b)));
    case INS_ASSIGN_INACTIVE:
        return ins_whyf(INS_ESTATE, why, whylen, "%s is inactive", id);
    case INS_ASSIGN_QUALIFICATION:
        ins_show(need->qualification, a, sizeof(a));
        if (!qual_expiry(c, need->qualification, &expires))
            return ins_whyf(INS_ESTATE, why, whylen, "%s does not hold %s", id, a);
        return ins_whyf(INS_ESTATE, why, whylen,
                        "%s holds %s only until %s, before the deadline %s", id, a,
                        ins_date_format(expires, d1), ins_date_format(need->deadline, d2));
    case INS_ASSIGN_MAX_OPEN:
        if (c->open_tasks == c->max_open_tasks)
            return ins_whyf(INS_ESTATE, why, whylen, "%s has %u open tasks, the maximum", id,
                            (unsigned)c->open_tasks);
        return ins_whyf(INS_ESTATE, why, whylen, "%s has %u open tasks, above the maximum of %u",
                        id, (unsigned)c->open_tasks, (unsigned)c->max_open_tasks);
    case INS_ASSIGN_CONFLICT:
        return ins_whyf(INS_ESTATE, why, whylen, "%s has a conflict of interest with %s", id,
                        ins_show(need->applicant_credit_code, a, sizeof(a)));
    }
    return ins_whyf(INS_EINTERNAL, why, whylen, "%s: unknown assignment rule", id);
}

/* Distance with NaN (a position that is not a number) sorted last. */
static double distance_of(const ins_candidate *c, const ins_need *need)
{
    double d = ins_geo_distance_m(c->base_lat, c->base_lon, need->site_lat, need->site_lon);
    return isnan(d) ? INFINITY : d;
}

/*
 * Is candidate a (distance da) better than b (distance db)? Town servers
 * first; among them open tasks then distance; otherwise distance then open
 * tasks; the id last. A total order: the pick does not depend on input order.
 */
static int better(const ins_candidate *a, double da, int ta, const ins_candidate *b, double db,
                  int tb)
{
    if (ta != tb)
        return ta > tb;
    if (ta) {
        if (a->open_tasks != b->open_tasks)
            return a->open_tasks < b->open_tasks;
        if (da != db)
            return da < db;
    } else {
        if (da != db)
            return da < db;
        if (a->open_tasks != b->open_tasks)
            return a->open_tasks < b->open_tasks;
    }
    return strcmp(a->id ? a->id : "", b->id ? b->id : "") < 0;
}

/* Appends ", <n> <what>" (or "<n> <what>" first) to buf at *len. */
static void tally_add(char *buf, size_t cap, size_t *len, size_t count, const char *what)
{
    if (count == 0 || *len >= cap)
        return;
    int w = snprintf(buf + *len, cap - *len, "%s%zu %s", *len ? ", " : "", count, what);
    if (w > 0)
        *len += (size_t)w;
}

static int nobody(const ins_need *need, size_t n, const size_t counts[], char *why, size_t whylen)
{
    char dep[SHOWLEN], qual[SHOWLEN], dl[INS_DATE_STRLEN];
    char tally[320] = "";
    size_t len = 0;

    if (n == 0) {
        snprintf(tally, sizeof(tally), "the department has no inspectors");
    } else {
        tally_add(tally, sizeof(tally), &len, counts[INS_ASSIGN_QUALIFICATION],
                  "lack it or it expires earlier");
        tally_add(tally, sizeof(tally), &len, counts[INS_ASSIGN_INACTIVE], "inactive");
        tally_add(tally, sizeof(tally), &len, counts[INS_ASSIGN_MAX_OPEN],
                  "at their maximum of open tasks");
        tally_add(tally, sizeof(tally), &len, counts[INS_ASSIGN_CONFLICT], "conflict of interest");
        tally_add(tally, sizeof(tally), &len, counts[INS_ASSIGN_EXCLUDED],
                  "already on the team or being replaced");
        tally_add(tally, sizeof(tally), &len, counts[INS_ASSIGN_DEPARTMENT],
                  "of another department");
    }
    ins_show(need->department, dep, sizeof(dep));
    if (!nonempty(need->qualification))
        return ins_whyf(INS_ESTATE, why, whylen, "%s: nobody qualifies: %s", dep, tally);
    return ins_whyf(INS_ESTATE, why, whylen, "%s: nobody qualifies for %s valid through %s: %s",
                    dep, ins_show(need->qualification, qual, sizeof(qual)),
                    ins_date_format(need->deadline, dl), tally);
}

int ins_assign_choose(const ins_candidate *cands, size_t n, const ins_need *need,
                      ins_assign_pick *pick, char *why, size_t whylen)
{
    size_t counts[INS_ASSIGN_CONFLICT + 1] = {0};
    size_t best = 0, eligible = 0;
    double best_d = 0;
    int best_t = 0, found = 0;

    for (size_t i = 0; i < n; i++) {
        ins_assign_rule r = ins_assign_classify(&cands[i], need);
        if (r != INS_ASSIGN_OK) {
            counts[r]++;
            continue;
        }
        eligible++;
        double d = distance_of(&cands[i], need);
        int t = serves_town(&cands[i], need->town);
        if (!found || better(&cands[i], d, t, &cands[best], best_d, best_t)) {
            best = i;
            best_d = d;
            best_t = t;
            found = 1;
        }
    }
    if (!found)
        return nobody(need, n, counts, why, whylen);

    const ins_candidate *c = &cands[best];
    char id[SHOWLEN], name[SHOWLEN], qual[SHOWLEN], town[SHOWLEN];
    char holds[2 * SHOWLEN + INS_DATE_STRLEN + 24] = "";
    char where[SHOWLEN + 64], dist[48];
    char ex[INS_DATE_STRLEN];
    ins_date expires = 0;

    if (nonempty(need->qualification) && qual_expiry(c, need->qualification, &expires))
        snprintf(holds, sizeof(holds), "holds %s until %s, ",
                 ins_show(need->qualification, qual, sizeof(qual)), ins_date_format(expires, ex));
    ins_show(need->town, town, sizeof(town));
    if (best_t)
        snprintf(where, sizeof(where), "serves %s", town);
    else if (nonempty(need->town))
        snprintf(where, sizeof(where), "nobody qualified serves %s: nearest of %zu", town,
                 eligible);
    else
        snprintf(where, sizeof(where), "no town given: nearest of %zu", eligible);
    if (isinf(best_d))
        snprintf(dist, sizeof(dist), "distance unknown");
    else
        snprintf(dist, sizeof(dist), "%.1f km from the site", best_d / 1000.0);

    pick->index = best;
    pick->distance_m = best_d;
    pick->serves_town = best_t;
    ins_whyf(0, why, whylen, "%s%s%s: %s%s, %u of %u open tasks, %s",
             ins_show(c->id, id, sizeof(id)), nonempty(c->name) ? " " : "",
             ins_show(c->name, name, sizeof(name)), holds, where, (unsigned)c->open_tasks,
             (unsigned)c->max_open_tasks, dist);
    return 0;
}
