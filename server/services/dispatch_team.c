/*
 * dispatch_team.c - Dispatch: AssignTeam and ReplaceMember, and choosing a
 * member by the rules of assign.h. Every choice runs inside the writer's
 * transaction, so the open-task counts it reads are exact even when many
 * dispatchers assign at once: no inspector is pushed past his maximum.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"
#include "calendar.h"
#include "deadline.h"
#include "rec_directory.h"
#include "dispatch_impl.h"
#include "entities.pb-c.h"
#include "geo.h"
#include "ins_error.h"
#include "rec_applications.h"
#include "records.h"
#include "task_state.h"

/* The inspectors of one department, decoded, with their candidates. */
typedef struct pool {
    ins_wtxn *t;
    Inspect__V1__Inspector **ins;
    ins_candidate *cands;
    ins_qual *quals;
    size_t n, cap, nq, qcap;
    int err;
} pool;

static void pool_free(pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        protobuf_c_message_free_unpacked(&p->ins[i]->base, NULL);
    free(p->ins);
    free(p->cands);
    free(p->quals);
}

static int pool_add(void *arg, const char *id)
{
    pool *p = arg;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        void *a = realloc(p->ins, cap * sizeof *p->ins);
        if (!a)
            return p->err = ENOMEM;
        p->ins = a;
        p->cap = cap;
    }
    int rc = ins_inspector_wget(p->t, id, &p->ins[p->n]);
    if (rc)
        return p->err = rc;
    p->nq += p->ins[p->n]->n_qualifications;
    p->n++;
    return 0;
}

/* Reads the inspectors of `dept` with their open-task counts: those who
 * serve `town` (through the town index), or all of them (town NULL). */
static int pool_load(pool *p, ins_wtxn *t, const char *dept, const char *town)
{
    memset(p, 0, sizeof *p);
    p->t = t;
    int rc = town ? ins_inspector_wscan_town(t, dept, town, pool_add, p)
                  : ins_inspector_wscan(t, dept, pool_add, p);
    if (p->err || rc)
        return p->err ? p->err : rc;
    p->cands = calloc(p->n ? p->n : 1, sizeof *p->cands);
    p->quals = calloc(p->nq ? p->nq : 1, sizeof *p->quals);
    if (!p->cands || !p->quals)
        return ENOMEM;
    size_t q = 0;
    for (size_t i = 0; i < p->n; i++) {
        uint32_t load = 0;
        if ((rc = ins_inspector_load(t, p->ins[i]->id, &load)) != 0)
            return rc;
        size_t nq = p->ins[i]->n_qualifications;
        rc = ins_candidate_from_inspector(&p->cands[i], p->ins[i], load, p->quals + q, nq);
        if (rc)
            return rc;
        q += nq;
    }
    return 0;
}

/* Fills the need of one slot of `task`. `excluded` must outlive it. */
static void fill_need(ins_need *need, const Inspect__V1__Task *task,
                      const Inspect__V1__Application *app, const char *dept, const char *qual,
                      const char **excluded, size_t n_excluded)
{
    memset(need, 0, sizeof *need);
    need->department = dept;
    need->qualification = qual;
    ins_date_parse(task->start_date, &need->start);
    ins_date_parse(task->deadline_date, &need->deadline);
    need->town = task->town;
    need->site_lat = task->latitude;
    need->site_lon = task->longitude;
    need->applicant_credit_code = app ? app->applicant_credit_code : NULL;
    need->excluded = excluded;
    need->n_excluded = n_excluded;
}

void ins_dsp_member_free(Inspect__V1__TeamMember *m)
{
    free(m->inspector_id);
    free(m->inspector_name);
    free(m->department);
    free(m->reason);
    memset(m, 0, sizeof *m);
}

static void member_from(Inspect__V1__TeamMember *m, const Inspect__V1__Inspector *in,
                        const char *reason, double distance_m, int64_t now)
{
    inspect__v1__team_member__init(m);
    m->inspector_id = strdup(in->id);
    m->inspector_name = strdup(in->name);
    m->department = strdup(in->department);
    m->reason = strdup(reason);
    m->distance_km = distance_m / 1000.0;
    m->assigned_unix = now;
    m->role = INSPECT__V1__MEMBER_ROLE__MEMBER_ROLE_MEMBER;
}

/* The ids of the team plus `extra`, for ins_need.excluded. */
static size_t team_ids(const Inspect__V1__Task *task, const Inspect__V1__TeamMember *const *more,
                       size_t n_more, const char *extra, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < task->n_team && n < cap; i++)
        out[n++] = task->team[i]->inspector_id;
    for (size_t i = 0; i < n_more && n < cap; i++)
        out[n++] = more[i]->inspector_id;
    if (extra && n < cap)
        out[n++] = extra;
    return n;
}

/*
 * The best member of `need->department` by the rules, into *member; why the
 * rules chose him in `why`, or INS_ESTATE and why nobody qualifies. The
 * rules prefer, among those who pass, anyone serving the site's town, and
 * say nothing of the others then: so the town's inspectors are read first,
 * through the index, and the whole department only when none of them passes
 * (or no town is given). Same choice, same words, a fraction of the reads.
 */
static int choose_best(ins_wtxn *t, const ins_need *need, Inspect__V1__TeamMember *member,
                       char *why, size_t whylen)
{
    const char *town = need->town && need->town[0] ? need->town : NULL;
    int rc = INS_ESTATE;
    for (int pass = town ? 0 : 1; pass < 2 && rc == INS_ESTATE; pass++) {
        pool p;
        ins_assign_pick pick;
        rc = pool_load(&p, t, need->department, pass == 0 ? town : NULL);
        if (rc == 0)
            rc = ins_assign_choose(p.cands, p.n, need, &pick, why, whylen);
        if (rc == 0 && pass == 0 && !pick.serves_town)
            rc = INS_ESTATE; /* cannot happen: the index lists the town's own */
        if (rc == 0)
            member_from(member, p.ins[pick.index], why, pick.distance_m, ins_wtxn_unix(t));
        pool_free(&p);
    }
    return rc;
}

int ins_dsp_choose_member(ins_wtxn *t, const Inspect__V1__Task *task,
                          const Inspect__V1__Application *app, const char *department,
                          const char *qualification, const char *also_excluded,
                          Inspect__V1__TeamMember *member, char *why, size_t whylen)
{
    const char *excluded[40];
    size_t nx = team_ids(task, NULL, 0, also_excluded, excluded, 40);
    ins_need need;
    fill_need(&need, task, app, department, qualification, excluded, nx);
    return choose_best(t, &need, member, why, whylen);
}

/* Checks a named inspector for a slot; with `override` the rules an override
 * may set aside are recorded instead. Fills *member on success. */
static int named_member(ins_wtxn *t, ins_mut *mu, const Inspect__V1__Task *task,
                        const Inspect__V1__Application *app, const char *dept, const char *qual,
                        const char *inspector_id, int override, const char *override_reason,
                        const char **excluded, size_t nx, Inspect__V1__TeamMember *member)
{
    Inspect__V1__Inspector *in = NULL;
    int rc = ins_inspector_wget(t, inspector_id, &in);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, INS_ENOTFOUND, "no inspector %s", inspector_id);
    if (rc)
        return rc;
    uint32_t load = 0;
    ins_qual quals[64];
    ins_candidate c;
    ins_need need;
    char why[INS_ASSIGN_WHYLEN], reason[INS_ASSIGN_WHYLEN + 256];
    rc = ins_inspector_load(t, in->id, &load);
    if (rc == 0 && ins_candidate_from_inspector(&c, in, load, quals, 64) != 0)
        rc = ins_mut_fail(mu, INS_EINVAL, "inspector %s has too many qualifications", in->id);
    if (rc == 0) {
        fill_need(&need, task, app, dept, qual, excluded, nx);
        ins_assign_rule broken = ins_assign_classify(&c, &need);
        if (broken != INS_ASSIGN_OK) {
            ins_assign_check(&c, &need, why, sizeof why);
            if (!override || broken == INS_ASSIGN_EXCLUDED || broken == INS_ASSIGN_DEPARTMENT)
                rc = ins_mut_fail(mu, INS_ESTATE, "%s%s", why,
                                  override ? " (an override cannot set this aside)"
                                           : "; pass override with a reason to assign anyway");
            else
                snprintf(reason, sizeof reason, "override by %s: %s (rule set aside: %s)",
                         ins_mut_actor(mu), override_reason, why);
        } else {
            snprintf(reason, sizeof reason, "named by %s", ins_mut_actor(mu));
        }
    }
    if (rc == 0) {
        double d = ins_geo_distance_m(in->base_latitude, in->base_longitude, task->latitude,
                                      task->longitude);
        member_from(member, in, reason, d, ins_wtxn_unix(t));
        member->override = override && strncmp(reason, "override", 8) == 0;
    }
    protobuf_c_message_free_unpacked(&in->base, NULL);
    return rc;
}

/* ---- the slots of a team ----------------------------------------------- */

typedef struct slot {
    char dept[64];
    char qual[64];
    int lead;
} slot;

/* The team's slots: the bureau's lead first, then one per department the
 * item requires, each with the qualification it needs. */
static int team_slots(ins_wtxn *t, ins_mut *mu, const Inspect__V1__Task *task, slot *slots,
                      size_t *n)
{
    slot lead = {.lead = 1};
    int rc = ins_department_bureau(t, lead.dept, sizeof lead.dept);
    if (rc)
        return rc != INS_ENOTFOUND
                   ? rc
                   : ins_mut_fail(mu, INS_ESTATE,
                                  "no department of kind BUREAU exists to lead the team");
    Inspect__V1__ServiceItem *item = NULL;
    rc = ins_item_wget(t, task->service_item, &item);
    if (rc)
        return rc;
    *n = 0;
    int bureau_required = 0;
    for (size_t i = 0; i < item->n_departments && *n < 16; i++) {
        slot *s = &slots[(*n)++];
        snprintf(s->dept, sizeof s->dept, "%s", item->departments[i]->department);
        snprintf(s->qual, sizeof s->qual, "%s", item->departments[i]->qualification);
        s->lead = strcmp(s->dept, lead.dept) == 0;
        bureau_required |= s->lead;
    }
    protobuf_c_message_free_unpacked(&item->base, NULL);
    if (!bureau_required) { /* the lead goes first */
        memmove(slots + 1, slots, *n * sizeof *slots);
        slots[0] = lead;
        (*n)++;
    }
    return 0;
}

/* The named assignment for department `dept`, or NULL. */
static const Inspect__V1__Assignment *named_for(const Inspect__V1__AssignTeamRequest *req,
                                                const char *dept)
{
    for (size_t i = 0; i < req->n_assignments; i++)
        if (strcmp(req->assignments[i]->department, dept) == 0)
            return req->assignments[i];
    return NULL;
}

/* ---- AssignTeam ---------------------------------------------------------- */

/* The team being built: members kept from the task (not owned) and new
 * ones (owned, in `members`). */
typedef struct team {
    Inspect__V1__TeamMember members[17];
    Inspect__V1__TeamMember *ptrs[17];
    size_t n, n_owned;
} team;

static void team_free(team *tm)
{
    for (size_t i = 0; i < tm->n_owned; i++)
        ins_dsp_member_free(&tm->members[i]);
}

/* Non-zero when the team already has a member of `dept`. */
static int team_has(const team *tm, const char *dept)
{
    for (size_t i = 0; i < tm->n; i++)
        if (strcmp(tm->ptrs[i]->department, dept) == 0)
            return 1;
    return 0;
}

/* Fills one slot: the named member, or the best by the rules. On "nobody
 * qualifies" raises the alert and refuses the request (keeping the alert). */
static int fill_slot(ins_wtxn *t, ins_mut *mu, const Inspect__V1__Task *task,
                     const Inspect__V1__Application *app, const slot *s,
                     const Inspect__V1__Assignment *named, team *tm, int *refused)
{
    Inspect__V1__TeamMember *m = &tm->members[tm->n_owned];
    const char *excluded[40];
    size_t nx =
        team_ids(task, (const Inspect__V1__TeamMember *const *)tm->ptrs, tm->n, NULL, excluded, 40);
    int rc;
    if (named) {
        rc = named_member(t, mu, task, app, s->dept, s->qual, named->inspector_id, named->override,
                          named->override_reason, excluded, nx, m);
    } else {
        char why[INS_ASSIGN_WHYLEN];
        ins_need need;
        fill_need(&need, task, app, s->dept, s->qual, excluded, nx);
        rc = choose_best(t, &need, m, why, sizeof why);
        if (rc == INS_ESTATE) {
            rc = ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_NO_QUALIFIED, task, s->dept,
                                 why, NULL);
            *refused = 1;
            return rc ? rc : ins_mut_refuse(t, mu, INS_ESTATE, "%s", why);
        }
    }
    if (rc == 0) {
        m->role = s->lead ? INSPECT__V1__MEMBER_ROLE__MEMBER_ROLE_LEAD
                          : INSPECT__V1__MEMBER_ROLE__MEMBER_ROLE_MEMBER;
        tm->ptrs[tm->n++] = m;
        tm->n_owned++;
    }
    return rc;
}

static int check_named(ins_mut *mu, const Inspect__V1__AssignTeamRequest *req, const slot *slots,
                       size_t n)
{
    for (size_t i = 0; i < req->n_assignments; i++) {
        int found = 0;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(slots[j].dept, req->assignments[i]->department) == 0;
        if (!found)
            return ins_mut_fail(mu, INS_EINVAL, "task %s needs no member of department %s",
                                req->task_id, req->assignments[i]->department);
    }
    return 0;
}

static int assign_team_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__AssignTeamRequest *req =
        (const Inspect__V1__AssignTeamRequest *)ins_mut_request(mu);
    Inspect__V1__Task *old = NULL;
    Inspect__V1__Application *app = NULL;
    int rc = ins_task_wget(t, req->task_id, &old);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no task %s", req->task_id);
    if (rc)
        return rc;
    slot slots[17];
    size_t n = 0;
    team tm = {.n = 0, .n_owned = 0};
    int refused = 0, override = 0;
    char why[256];
    if ((rc = ins_task_state_check(old->state, INS_TASK_ACT_ASSIGN_TEAM, req->task_id, why,
                                   sizeof why)) != 0)
        rc = ins_mut_fail(mu, rc, "%s", why);
    if (rc == 0)
        rc = ins_app_wget(t, old->application_id, &app);
    if (rc == 0)
        rc = team_slots(t, mu, old, slots, &n);
    if (rc == 0)
        rc = check_named(mu, req, slots, n);
    /* A task left short by a decline keeps its members; only the empty
     * slots are filled. */
    for (size_t i = 0; rc == 0 && i < old->n_team && i < 17; i++)
        tm.ptrs[tm.n++] = old->team[i];
    for (size_t i = 0; rc == 0 && !refused && i < n; i++) {
        if (team_has(&tm, slots[i].dept))
            continue;
        const Inspect__V1__Assignment *named = named_for(req, slots[i].dept);
        rc = fill_slot(t, mu, old, app, &slots[i], named, &tm, &refused);
        override |= named && named->override;
    }
    if (rc == 0 && !refused) {
        Inspect__V1__Task task = *old;
        task.team = tm.ptrs;
        task.n_team = tm.n;
        task.state = ins_task_state_after(task.state, INS_TASK_EV_TEAM_ASSIGNED);
        rc = ins_task_write(t, &task, old, ins_mut_actor(mu),
                            override ? "team_assigned_override" : "team_assigned");
        if (rc == 0) {
            Inspect__V1__AssignTeamResponse resp = INSPECT__V1__ASSIGN_TEAM_RESPONSE__INIT;
            resp.task = &task;
            rc = ins_mut_reply(t, mu, &resp.base);
        }
    }
    team_free(&tm);
    if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    protobuf_c_message_free_unpacked(&old->base, NULL);
    return rc;
}

static void assign_team_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__AssignTeamRequest *req = (const Inspect__V1__AssignTeamRequest *)msg;
    if (!req->request_id[0] || !req->task_id[0]) {
        ins_call_fail(call, INS_EINVAL, "request_id and task_id are required");
        return;
    }
    for (size_t i = 0; i < req->n_assignments; i++) {
        const Inspect__V1__Assignment *a = req->assignments[i];
        if (!a->department[0] || !a->inspector_id[0]) {
            ins_call_fail(call, INS_EINVAL, "assignments[%zu] needs department and inspector_id",
                          i);
            return;
        }
        if (a->override && !a->override_reason[0]) {
            ins_call_fail(call, INS_EINVAL,
                          "assignments[%zu] (%s): an override needs override_reason", i,
                          a->inspector_id);
            return;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->assignments[j]->department, a->department) == 0) {
                ins_call_fail(call, INS_EINVAL, "department %s is named twice", a->department);
                return;
            }
    }
    ins_mut_submit(call, msg, req->request_id, assign_team_apply);
}

/* ---- ReplaceMember ------------------------------------------------------- */

/* The qualification the slot of `dept` needs ("" for the bureau's lead). */
static int slot_of(ins_wtxn *t, ins_mut *mu, const Inspect__V1__Task *task, const char *dept,
                   slot *out)
{
    slot slots[17];
    size_t n = 0;
    int rc = team_slots(t, mu, task, slots, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (strcmp(slots[i].dept, dept) == 0) {
            *out = slots[i];
            return 0;
        }
    return rc ? rc : ins_mut_fail(mu, INS_ESTATE, "task %s needs no member of %s", task->id, dept);
}

int ins_dsp_replace(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *old, size_t idx,
                    const char *replacement_id, int override, const char *reason,
                    const char *change, Inspect__V1__Task **out_task);

static int replace_member_apply(ins_wtxn *t, ins_mut *mu)
{
    const Inspect__V1__ReplaceMemberRequest *req =
        (const Inspect__V1__ReplaceMemberRequest *)ins_mut_request(mu);
    Inspect__V1__Task *old = NULL;
    int rc = ins_task_wget(t, req->task_id, &old);
    if (rc == INS_ENOTFOUND)
        return ins_mut_fail(mu, rc, "no task %s", req->task_id);
    if (rc)
        return rc;
    size_t idx = old->n_team;
    for (size_t i = 0; i < old->n_team; i++)
        if (strcmp(old->team[i]->inspector_id, req->inspector_id) == 0)
            idx = i;
    char why[256];
    if (idx == old->n_team)
        rc = ins_mut_fail(mu, INS_ENOTFOUND, "inspector %s is not on the team of task %s",
                          req->inspector_id, req->task_id);
    else if ((rc = ins_task_state_check(old->state, INS_TASK_ACT_REPLACE_MEMBER, req->task_id, why,
                                        sizeof why)) != 0)
        rc = ins_mut_fail(mu, rc, "%s", why);
    if (rc == 0) {
        char reason[600];
        snprintf(reason, sizeof reason, "%s replaced by the bureau (%s): %s", req->inspector_id,
                 ins_mut_actor(mu), req->reason);
        rc = ins_dsp_replace(t, mu, old, idx, req->replacement_id, req->override, reason,
                             "member_replaced", NULL);
    }
    protobuf_c_message_free_unpacked(&old->base, NULL);
    return rc;
}

int ins_dsp_replace(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *old, size_t idx,
                    const char *replacement_id, int override, const char *reason,
                    const char *change, Inspect__V1__Task **out_task)
{
    const Inspect__V1__TeamMember *gone = old->team[idx];
    Inspect__V1__Application *app = NULL;
    slot s;
    int rc = slot_of(t, mu, old, gone->department, &s);
    if (rc == 0)
        rc = ins_app_wget(t, old->application_id, &app);
    Inspect__V1__TeamMember m = INSPECT__V1__TEAM_MEMBER__INIT;
    char why[INS_ASSIGN_WHYLEN];
    int have = 0;
    if (rc == 0 && replacement_id && replacement_id[0]) {
        const char *excluded[40];
        size_t nx = team_ids(old, NULL, 0, NULL, excluded, 40);
        rc = named_member(t, mu, old, app, s.dept, s.qual, replacement_id, override, reason,
                          excluded, nx, &m);
        have = rc == 0;
    } else if (rc == 0) {
        rc = ins_dsp_choose_member(t, old, app, s.dept, s.qual, NULL, &m, why, sizeof why);
        have = rc == 0;
        if (rc == INS_ESTATE) { /* nobody else qualifies: alert, keep the team */
            rc = ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_NO_QUALIFIED, old, s.dept,
                                 why, NULL);
            if (rc == 0)
                rc = ins_mut_refuse(t, mu, INS_ESTATE, "%s", why);
        }
    }
    if (have) {
        char msg[1200];
        snprintf(msg, sizeof msg, "task %s: %s; %s takes the place", old->id, reason,
                 m.inspector_id);
        m.role = gone->role;
        Inspect__V1__TeamMember *members[17];
        for (size_t i = 0; i < old->n_team && i < 17; i++)
            members[i] = i == idx ? &m : old->team[i];
        Inspect__V1__Task task = *old;
        task.team = members;
        task.state = ins_task_state_after(task.state, INS_TASK_EV_MEMBER_REPLACED);
        rc = ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_MEMBER_DECLINED, old,
                             gone->department, msg, NULL);
        if (rc == 0)
            rc = ins_task_write(t, &task, old, ins_mut_actor(mu), change);
        if (rc == 0 && out_task == NULL) {
            Inspect__V1__ReplaceMemberResponse resp = INSPECT__V1__REPLACE_MEMBER_RESPONSE__INIT;
            resp.task = &task;
            rc = ins_mut_reply(t, mu, &resp.base);
        }
        ins_dsp_member_free(&m);
    }
    if (app)
        protobuf_c_message_free_unpacked(&app->base, NULL);
    return rc;
}

static void replace_member_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__ReplaceMemberRequest *req = (const Inspect__V1__ReplaceMemberRequest *)msg;
    if (!req->request_id[0] || !req->task_id[0] || !req->inspector_id[0] || !req->reason[0]) {
        ins_call_fail(call, INS_EINVAL,
                      "request_id, task_id, inspector_id and reason are required");
        return;
    }
    if (req->replacement_id[0] && strcmp(req->replacement_id, req->inspector_id) == 0) {
        ins_call_fail(call, INS_EINVAL, "%s cannot replace himself", req->inspector_id);
        return;
    }
    ins_mut_submit(call, msg, req->request_id, replace_member_apply);
}

const ins_method_ops ins_dsp_assign_team_ops = INS_MUT_OPS(assign_team_start);
const ins_method_ops ins_dsp_replace_member_ops = INS_MUT_OPS(replace_member_start);

/* ---- a member leaves (decline, deactivation) ----------------------------- */

int ins_dsp_member_leave(ins_wtxn *t, ins_mut *mu, Inspect__V1__Task *old, size_t idx,
                         const char *what, ins_dsp_leave_reply reply)
{
    const Inspect__V1__TeamMember *gone = old->team[idx];
    Inspect__V1__Application *app = NULL;
    int rc = ins_app_wget(t, old->application_id, &app);
    if (rc)
        return rc;
    const char *qual = ""; /* the slot's qualification, from the item */
    Inspect__V1__ServiceItem *item = NULL;
    rc = ins_item_wget(t, old->service_item, &item);
    for (size_t i = 0; rc == 0 && i < item->n_departments; i++)
        if (strcmp(item->departments[i]->department, gone->department) == 0)
            qual = item->departments[i]->qualification;
    Inspect__V1__TeamMember m = INSPECT__V1__TEAM_MEMBER__INIT;
    char why[INS_ASSIGN_WHYLEN], msg[1200];
    int found = 0;
    if (rc == 0) {
        rc = ins_dsp_choose_member(t, old, app, gone->department, qual, gone->inspector_id, &m, why,
                                   sizeof why);
        found = rc == 0;
        if (rc == INS_ESTATE)
            rc = ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_NO_QUALIFIED, old,
                                 gone->department, why, NULL);
    }
    Inspect__V1__TeamMember *members[17];
    Inspect__V1__Task task = *old;
    task.team = members;
    task.n_team = 0;
    for (size_t i = 0; i < old->n_team && i < 17; i++) {
        if (i != idx)
            members[task.n_team++] = old->team[i];
        else if (found) {
            m.role = gone->role;
            members[task.n_team++] = &m;
        }
    }
    task.state = ins_task_state_after(old->state, found ? INS_TASK_EV_DECLINE_FILLED
                                                        : INS_TASK_EV_DECLINE_EMPTY);
    if (rc == 0) {
        snprintf(msg, sizeof msg, "task %s: %s %s; %s", old->id, gone->inspector_id, what,
                 found ? m.inspector_id : "nobody else qualifies, assign the team again");
        rc = ins_alert_raise(t, INSPECT__V1__ALERT_KIND__ALERT_KIND_MEMBER_DECLINED, old,
                             gone->department, msg, NULL);
    }
    if (rc == 0)
        rc = ins_task_write(t, &task, old, ins_mut_actor(mu), "member_declined");
    if (rc == 0 && reply)
        rc = reply(t, mu, &task, found ? &m : NULL);
    if (found)
        ins_dsp_member_free(&m);
    if (item)
        protobuf_c_message_free_unpacked(&item->base, NULL);
    protobuf_c_message_free_unpacked(&app->base, NULL);
    return rc;
}

/* The ids of one inspector's tasks, collected before any is written. */
typedef struct id_list {
    char **ids;
    size_t n, cap;
} id_list;

static int id_list_add(void *arg, const char *id)
{
    id_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **ids = realloc(l->ids, cap * sizeof *ids);
        if (!ids)
            return ENOMEM;
        l->ids = ids;
        l->cap = cap;
    }
    if (!(l->ids[l->n] = strdup(id)))
        return ENOMEM;
    l->n++;
    return 0;
}

int ins_dsp_inspector_leave_all(ins_wtxn *t, ins_mut *mu, const char *id, const char *what)
{
    id_list l = {NULL, 0, 0};
    int rc = ins_task_wscan_inspector(t, id, id_list_add, &l);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        Inspect__V1__Task *task = NULL;
        rc = ins_task_wget(t, l.ids[i], &task);
        if (rc)
            break;
        size_t idx = task->n_team;
        for (size_t j = 0; j < task->n_team; j++)
            if (strcmp(task->team[j]->inspector_id, id) == 0)
                idx = j;
        if (idx < task->n_team && ins_task_counts_as_open(task->state))
            rc = ins_dsp_member_leave(t, mu, task, idx, what, NULL);
        protobuf_c_message_free_unpacked(&task->base, NULL);
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.ids[i]);
    free(l.ids);
    return rc;
}
