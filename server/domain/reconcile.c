/*
 * reconcile.c - one task's findings reconciled into a report (see
 * reconcile.h for the rules).
 *
 * The report is assembled from pieces that live in an arena (every block
 * malloc'd here is recorded and freed at the end) and that point freely into
 * the inputs; it is then packed and unpacked once, which yields a single
 * self-contained message the caller frees with one call and drops every
 * reference to the inputs. Everything is visited in sorted order (departments
 * by code, items by code, facts by key), never in input order, which is what
 * makes the report byte-for-byte deterministic.
 */
#include "reconcile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answers.h"
#include "ins_error.h"
#include "text_rules.h"

#define NUM_FMT "%.10g"

/* ---- arena ---------------------------------------------------------------- */

typedef struct arena {
    void **blocks;
    size_t n, cap;
} arena;

/* Zeroed block of n*size bytes, freed with the arena; NULL when out of memory. */
static void *ar_calloc(arena *a, size_t n, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void **nb = realloc(a->blocks, cap * sizeof(*nb));
        if (!nb)
            return NULL;
        a->blocks = nb;
        a->cap = cap;
    }
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p)
        a->blocks[a->n++] = p;
    return p;
}

/* printf into a new arena string; NULL when out of memory. */
static char *ar_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *ar_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return NULL;
    char *s = ar_calloc(a, (size_t)len + 1, 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

static void ar_free(arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
}

/* A growing text in the arena, for reasons built piece by piece. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_addf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) {
        b->oom = 1;
        return;
    }
    if (b->len + (size_t)len + 1 > b->cap) {
        size_t cap = (b->len + (size_t)len + 1) * 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)len;
}

/* Moves the text into the arena (NULL when out of memory) and empties b. */
static char *sb_take(sbuf *b, arena *a)
{
    char *s = NULL;
    if (!b->oom) {
        s = ar_calloc(a, b->len + 1, 1);
        if (s && b->len)
            memcpy(s, b->s, b->len);
    }
    free(b->s);
    memset(b, 0, sizeof(*b));
    return s;
}

/* ---- the sorted view of the inputs ----------------------------------------- */

typedef const Inspect__V1__TemplateItem *item_p;

typedef struct dept {
    const char *name;
    const Inspect__V1__Template *tpl;
    const Inspect__V1__FindingsBody *f;
    item_p *items;                      /* in scope, by code */
    const Inspect__V1__Answer **answer; /* items[i]'s answer, or NULL */
    size_t n_items;
} dept;

typedef struct ctx {
    arena ar;
    dept *d; /* by department code */
    size_t n;
    const Inspect__V1__DeclaredFact **facts; /* declared, by key */
    size_t n_facts;
    size_t n_total; /* items in scope, all departments */
    char *why;
    size_t whylen;
} ctx;

static int cmp_dept(const void *a, const void *b)
{
    return strcmp(((const dept *)a)->name, ((const dept *)b)->name);
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp((*(const item_p *)a)->code, (*(const item_p *)b)->code);
}

static int cmp_fact(const void *a, const void *b)
{
    return strcmp((*(const Inspect__V1__DeclaredFact *const *)a)->key,
                  (*(const Inspect__V1__DeclaredFact *const *)b)->key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* Index of the item with `code` in d->items, or -1. */
static long find_item(const dept *d, const char *code)
{
    size_t lo = 0, hi = d->n_items;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(d->items[mid]->code, code);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The declared fact `key`, or NULL (facts are sorted by key). */
static const Inspect__V1__DeclaredFact *find_fact(const ctx *c, const char *key)
{
    if (!key || !*key)
        return NULL;
    size_t lo = 0, hi = c->n_facts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(c->facts[mid]->key, key);
        if (r == 0)
            return c->facts[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Matches department d's answers to its items in scope (answers.h, which
 * words the fault; the department is named before it). Returns 0, ENOMEM or
 * INS_EINVAL. */
static int match_answers(ctx *c, dept *d, char *const *only, size_t n_only)
{
    const Inspect__V1__Answer **matched = ar_calloc(&c->ar, d->tpl->n_items, sizeof(*matched));
    if (!matched)
        return ENOMEM;
    char what[400], s1[INS_SHOW_MAX + 4];
    int rc = ins_answers_match(d->tpl, d->f->answers, d->f->n_answers, only, n_only, 0, matched,
                               NULL, what, sizeof what);
    if (rc == INS_EINVAL)
        return ins_whyf(rc, c->why, c->whylen, "department %s: %s",
                        ins_show(d->name, s1, sizeof s1), what);
    if (rc)
        return rc;
    for (size_t k = 0; k < d->tpl->n_items; k++) {
        long at = matched[k] ? find_item(d, d->tpl->items[k]->code) : -1;
        if (at >= 0)
            d->answer[at] = matched[k];
    }
    return 0;
}

/* Sorts and checks the inputs into c. Returns 0, ENOMEM or INS_EINVAL. */
static int load(ctx *c, const Inspect__V1__Application *app, const ins_dept_input *in, size_t n,
                char *const *only, size_t n_only)
{
    char s1[INS_SHOW_MAX + 4], s2[INS_SHOW_MAX + 4];
    int rc;

    c->n = n;
    c->d = ar_calloc(&c->ar, n, sizeof(*c->d));
    if (!c->d)
        return ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!in[i].department || !*in[i].department)
            return ins_whyf(INS_EINVAL, c->why, c->whylen, "input %zu names no department", i);
        if (!in[i].tpl || !in[i].findings)
            return ins_whyf(INS_EINVAL, c->why, c->whylen, "department %s: no %s",
                            ins_show(in[i].department, s1, sizeof s1),
                            in[i].tpl ? "findings" : "template");
        c->d[i] = (dept){.name = in[i].department, .tpl = in[i].tpl, .f = in[i].findings};
    }
    qsort(c->d, n, sizeof(*c->d), cmp_dept);

    for (size_t i = 0; i < n; i++) {
        dept *d = &c->d[i];
        const char *dn = ins_show(d->name, s1, sizeof s1);
        if (i > 0 && strcmp(c->d[i - 1].name, d->name) == 0)
            return ins_whyf(INS_EINVAL, c->why, c->whylen, "department %s is given twice", dn);
        if (strcmp(nz(d->tpl->department), d->name) != 0)
            return ins_whyf(INS_EINVAL, c->why, c->whylen,
                            "department %s: template %s is department %s's", dn,
                            ins_show(d->tpl->id, s2, sizeof s2), nz(d->tpl->department));
        if (d->f->department && *d->f->department && strcmp(d->f->department, d->name) != 0)
            return ins_whyf(INS_EINVAL, c->why, c->whylen,
                            "department %s: findings are department %s's", dn,
                            ins_show(d->f->department, s2, sizeof s2));
        if (d->f->template_version != d->tpl->version)
            return ins_whyf(INS_EINVAL, c->why, c->whylen,
                            "department %s: findings fill in template version %u, not %u", dn,
                            d->f->template_version, d->tpl->version);

        d->items = ar_calloc(&c->ar, d->tpl->n_items, sizeof(*d->items));
        d->answer = ar_calloc(&c->ar, d->tpl->n_items, sizeof(*d->answer));
        if (!d->items || !d->answer)
            return ENOMEM;
        for (size_t k = 0; k < d->tpl->n_items; k++) {
            item_p it = d->tpl->items[k];
            if (!it->code || !*it->code)
                return ins_whyf(INS_EINVAL, c->why, c->whylen,
                                "department %s: template item %zu has no code", dn, k);
            if (ins_answers_in_scope(only, n_only, it->code))
                d->items[d->n_items++] = it;
        }
        qsort(d->items, d->n_items, sizeof(*d->items), cmp_item);
        for (size_t k = 1; k < d->n_items; k++)
            if (strcmp(d->items[k - 1]->code, d->items[k]->code) == 0)
                return ins_whyf(INS_EINVAL, c->why, c->whylen,
                                "department %s: template repeats item %s", dn,
                                ins_show(d->items[k]->code, s2, sizeof s2));
        c->n_total += d->n_items;

        rc = match_answers(c, d, only, n_only);
        if (rc)
            return rc;
    }

    c->n_facts = app->n_declared_facts;
    c->facts = ar_calloc(&c->ar, c->n_facts, sizeof(*c->facts));
    if (!c->facts)
        return ENOMEM;
    for (size_t i = 0; i < c->n_facts; i++) {
        c->facts[i] = app->declared_facts[i];
        if (!c->facts[i]->key || !*c->facts[i]->key)
            return ins_whyf(INS_EINVAL, c->why, c->whylen, "declared fact %zu has no key", i);
    }
    qsort(c->facts, c->n_facts, sizeof(*c->facts), cmp_fact);
    for (size_t i = 1; i < c->n_facts; i++)
        if (strcmp(c->facts[i - 1]->key, c->facts[i]->key) == 0)
            return ins_whyf(INS_EINVAL, c->why, c->whylen, "declared fact %s is given twice",
                            ins_show(c->facts[i]->key, s1, sizeof s1));
    return 0;
}

/* ---- judging ---------------------------------------------------------------- */

static const char *severity_name(Inspect__V1__Severity s)
{
    switch (s) {
    case INSPECT__V1__SEVERITY__SEVERITY_CRITICAL:
        return "critical";
    case INSPECT__V1__SEVERITY__SEVERITY_MAJOR:
        return "major";
    default:
        return "minor";
    }
}

/* The reason item `it` answered `a` fails, or "" when it passes. */
static const char *item_fails(arena *ar, item_p it, const Inspect__V1__Answer *a)
{
    switch (it->kind) {
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL:
        if ((a->flag != 0) == (it->fail_when_true != 0))
            return ar_printf(ar, "answered %s: %s", a->flag ? "yes" : "no", nz(it->text));
        return "";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER:
        if ((it->min != 0 || it->max != 0) && (a->number < it->min || a->number > it->max)) {
            const char *u = nz(it->unit);
            return ar_printf(
                ar, "observed " NUM_FMT "%s%s, outside " NUM_FMT ".." NUM_FMT "%s%s: %s", a->number,
                *u ? " " : "", u, it->min, it->max, *u ? " " : "", u, nz(it->text));
        }
        return "";
    default:
        return "";
    }
}

/* The allowed distance from `ref` under tolerance t (0: exact; with slack). */
static double allowed(const Inspect__V1__Tolerance *t, double ref)
{
    if (!t)
        return 0;
    double slack = 1e-9 * fmax(1.0, fabs(ref));
    switch (t->bound_case) {
    case INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE:
        return fabs(t->absolute) + slack;
    case INSPECT__V1__TOLERANCE__BOUND_RELATIVE:
        return fabs(t->relative) * fabs(ref) + slack;
    default:
        return 0;
    }
}

/* Appends the tolerance as words: "±2 m2", "5%", or "" when exact. */
static void tol_words(sbuf *b, const Inspect__V1__Tolerance *t, const char *unit)
{
    if (t && t->bound_case == INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE)
        sb_addf(b, "±" NUM_FMT "%s%s", fabs(t->absolute), *unit ? " " : "", unit);
    else if (t && t->bound_case == INSPECT__V1__TOLERANCE__BOUND_RELATIVE)
        sb_addf(b, NUM_FMT "%%", fabs(t->relative) * 100.0);
}

static int has_tol(const Inspect__V1__Tolerance *t)
{
    return t && (t->bound_case == INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE ||
                 t->bound_case == INSPECT__V1__TOLERANCE__BOUND_RELATIVE);
}

/* Copies an answer's value into an observation (strings stay the input's). */
static void set_value(Inspect__V1__Observation *o, const Inspect__V1__Answer *a)
{
    switch (a->value_case) {
    case INSPECT__V1__ANSWER__VALUE_FLAG:
        o->value_case = INSPECT__V1__OBSERVATION__VALUE_FLAG;
        o->flag = a->flag;
        break;
    case INSPECT__V1__ANSWER__VALUE_NUMBER:
        o->value_case = INSPECT__V1__OBSERVATION__VALUE_NUMBER;
        o->number = a->number;
        break;
    case INSPECT__V1__ANSWER__VALUE_CHOICE:
        o->value_case = INSPECT__V1__OBSERVATION__VALUE_CHOICE;
        o->choice = a->choice;
        break;
    case INSPECT__V1__ANSWER__VALUE_TEXT:
        o->value_case = INSPECT__V1__OBSERVATION__VALUE_TEXT;
        o->text = a->text;
        break;
    default:
        break;
    }
}

static void value_words(sbuf *b, const Inspect__V1__Answer *a)
{
    char s[INS_SHOW_MAX + 4];
    switch (a->value_case) {
    case INSPECT__V1__ANSWER__VALUE_FLAG:
        sb_addf(b, "%s", a->flag ? "yes" : "no");
        break;
    case INSPECT__V1__ANSWER__VALUE_NUMBER:
        sb_addf(b, NUM_FMT, a->number);
        break;
    case INSPECT__V1__ANSWER__VALUE_CHOICE:
        sb_addf(b, "'%s'", ins_show(a->choice, s, sizeof s));
        break;
    case INSPECT__V1__ANSWER__VALUE_TEXT:
        sb_addf(b, "'%s'", ins_show(a->text, s, sizeof s));
        break;
    default:
        sb_addf(b, "nothing");
        break;
    }
}

/* One observation of fact `fv` by answer `a` to item `it`: MATCH or MISMATCH;
 * its judgement in words is appended to b. */
static Inspect__V1__Verdict observe(const Inspect__V1__FactValue *fv, item_p it,
                                    const Inspect__V1__Answer *a, sbuf *b)
{
    int ok;
    if (fv && fv->value_case == INSPECT__V1__FACT_VALUE__VALUE_NUMBER &&
        a->value_case == INSPECT__V1__ANSWER__VALUE_NUMBER) {
        const Inspect__V1__Tolerance *t = it->tolerance;
        double diff = fabs(a->number - fv->number);
        ok = has_tol(t) ? diff <= allowed(t, fv->number) : a->number == fv->number;
        if (has_tol(t)) {
            sb_addf(b, " (%s ", ok ? "within" : "beyond");
            tol_words(b, t, nz(fv->unit));
            sb_addf(b, ")");
        } else {
            sb_addf(b, " (%s)", ok ? "equal" : "differs");
        }
    } else if (fv && fv->value_case == INSPECT__V1__FACT_VALUE__VALUE_FLAG &&
               a->value_case == INSPECT__V1__ANSWER__VALUE_FLAG) {
        ok = (a->flag != 0) == (fv->flag != 0);
        sb_addf(b, " (%s)", ok ? "equal" : "differs");
    } else {
        ok = 0;
        sb_addf(b, " (not comparable with the declared value)");
    }
    return ok ? INSPECT__V1__VERDICT__VERDICT_MATCH : INSPECT__V1__VERDICT__VERDICT_MISMATCH;
}

static void declared_words(sbuf *b, const Inspect__V1__FactValue *fv)
{
    char s[INS_SHOW_MAX + 4];
    if (!fv) {
        sb_addf(b, "declared nothing");
        return;
    }
    switch (fv->value_case) {
    case INSPECT__V1__FACT_VALUE__VALUE_NUMBER:
        sb_addf(b, "declared " NUM_FMT "%s%s", fv->number, *nz(fv->unit) ? " " : "", nz(fv->unit));
        break;
    case INSPECT__V1__FACT_VALUE__VALUE_FLAG:
        sb_addf(b, "declared %s", fv->flag ? "yes" : "no");
        break;
    case INSPECT__V1__FACT_VALUE__VALUE_TEXT:
        sb_addf(b, "declared '%s'", ins_show(fv->text, s, sizeof s));
        break;
    default:
        sb_addf(b, "declared nothing");
        break;
    }
}

/* Do the two numbers agree under either item's tolerance (exact without)? */
static int numbers_agree(double x, double y, item_p ix, item_p iy)
{
    if (x == y)
        return 1;
    double ref = fmax(fabs(x), fabs(y)), diff = fabs(x - y);
    return (has_tol(ix->tolerance) && diff <= allowed(ix->tolerance, ref)) ||
           (has_tol(iy->tolerance) && diff <= allowed(iy->tolerance, ref));
}

static int answers_agree(const Inspect__V1__Answer *a, item_p ia, const Inspect__V1__Answer *b,
                         item_p ib)
{
    if (a->value_case != b->value_case)
        return 0;
    switch (a->value_case) {
    case INSPECT__V1__ANSWER__VALUE_FLAG:
        return (a->flag != 0) == (b->flag != 0);
    case INSPECT__V1__ANSWER__VALUE_NUMBER:
        return numbers_agree(a->number, b->number, ia, ib);
    case INSPECT__V1__ANSWER__VALUE_CHOICE:
        return strcmp(nz(a->choice), nz(b->choice)) == 0;
    case INSPECT__V1__ANSWER__VALUE_TEXT:
        return strcmp(nz(a->text), nz(b->text)) == 0;
    default:
        return 1;
    }
}

/* One answered item of one department, for shared items. */
typedef struct entry {
    const char *code;
    const dept *d;
    item_p it;
    const Inspect__V1__Answer *a;
} entry;

static int cmp_entry(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    int c = strcmp(a->code, b->code);
    return c ? c : strcmp(a->d->name, b->d->name);
}

/* ---- the report ------------------------------------------------------------- */

/* (ptr) = a new arena message of `type`, initialised with `init`. */
#define NEW(ptr, type, init)                                                                       \
    do {                                                                                           \
        (ptr) = ar_calloc(&c->ar, 1, sizeof(type));                                                \
        if (!(ptr))                                                                                \
            goto oom;                                                                              \
        *(ptr) = (type)init;                                                                       \
    } while (0)

#define CHECK(p)                                                                                   \
    do {                                                                                           \
        if (!(p))                                                                                  \
            goto oom;                                                                              \
    } while (0)

/* Phase 1: the item failures, by department then code. Returns 0 or ENOMEM. */
static int build_failures(ctx *c, Inspect__V1__Report *r)
{
    r->failures = ar_calloc(&c->ar, c->n_total, sizeof(*r->failures));
    CHECK(r->failures);
    for (size_t i = 0; i < c->n; i++) {
        const dept *d = &c->d[i];
        for (size_t k = 0; k < d->n_items; k++) {
            item_p it = d->items[k];
            const Inspect__V1__Answer *a = d->answer[k];
            if (!a || find_fact(c, it->verifies_fact))
                continue;
            const char *why = item_fails(&c->ar, it, a);
            CHECK(why);
            if (!*why)
                continue;
            Inspect__V1__ItemFailure *f;
            NEW(f, Inspect__V1__ItemFailure, INSPECT__V1__ITEM_FAILURE__INIT);
            f->department = (char *)d->name;
            f->item_code = it->code;
            f->text = it->text;
            f->severity = it->severity;
            f->reason = (char *)why;
            r->failures[r->n_failures++] = f;
        }
    }

    return 0;

oom:
    return ENOMEM;
}

/* Phase 2: the declared facts some item in scope verifies, by key, each with
 * its observations and verdict. Returns 0 or ENOMEM. */
static int build_facts(ctx *c, Inspect__V1__Report *r)
{
    sbuf sb = {0};
    r->facts = ar_calloc(&c->ar, c->n_facts, sizeof(*r->facts));
    CHECK(r->facts);
    for (size_t fi = 0; fi < c->n_facts; fi++) {
        const Inspect__V1__DeclaredFact *df = c->facts[fi];
        const Inspect__V1__FactValue *fv = df->value;
        size_t verifiers = 0, n_obs = 0;
        for (size_t i = 0; i < c->n; i++)
            for (size_t k = 0; k < c->d[i].n_items; k++)
                if (strcmp(nz(c->d[i].items[k]->verifies_fact), df->key) == 0)
                    verifiers++;
        if (verifiers == 0)
            continue;
        Inspect__V1__FactCheck *fc;
        NEW(fc, Inspect__V1__FactCheck, INSPECT__V1__FACT_CHECK__INIT);
        fc->fact = df->key;
        fc->declared = (Inspect__V1__FactValue *)fv;
        fc->observed = ar_calloc(&c->ar, verifiers, sizeof(*fc->observed));
        CHECK(fc->observed);
        declared_words(&sb, fv);
        int any_mismatch = 0;
        for (size_t i = 0; i < c->n; i++) {
            const dept *d = &c->d[i];
            size_t mine = 0; /* this department's answered verifiers */
            for (size_t k = 0; k < d->n_items; k++)
                if (d->answer[k] && strcmp(nz(d->items[k]->verifies_fact), df->key) == 0)
                    mine++;
            for (size_t k = 0; k < d->n_items; k++) {
                item_p it = d->items[k];
                const Inspect__V1__Answer *a = d->answer[k];
                if (!a || strcmp(nz(it->verifies_fact), df->key) != 0)
                    continue;
                Inspect__V1__Observation *o;
                NEW(o, Inspect__V1__Observation, INSPECT__V1__OBSERVATION__INIT);
                o->department = (char *)d->name;
                o->item_code = it->code;
                set_value(o, a);
                sb_addf(&sb, "; %s", d->name);
                if (mine > 1)
                    sb_addf(&sb, " (%s)", it->code);
                sb_addf(&sb, " observed ");
                value_words(&sb, a);
                o->verdict = observe(fv, it, a, &sb);
                fc->observed[fc->n_observed++] = o;
                n_obs++;
                if (o->verdict != INSPECT__V1__VERDICT__VERDICT_MATCH)
                    any_mismatch = 1;
            }
        }
        /* departments_disagree: two departments with different verdicts */
        for (size_t x = 0; x < fc->n_observed && !fc->departments_disagree; x++)
            for (size_t y = x + 1; y < fc->n_observed; y++)
                if (strcmp(fc->observed[x]->department, fc->observed[y]->department) != 0 &&
                    fc->observed[x]->verdict != fc->observed[y]->verdict) {
                    fc->departments_disagree = 1;
                    break;
                }
        if (n_obs == 0) {
            fc->verdict = INSPECT__V1__VERDICT__VERDICT_MISSING;
            sb_addf(&sb, "; nobody observed it");
        } else {
            fc->verdict = any_mismatch ? INSPECT__V1__VERDICT__VERDICT_MISMATCH
                                       : INSPECT__V1__VERDICT__VERDICT_MATCH;
        }
        fc->reason = sb_take(&sb, &c->ar);
        CHECK(fc->reason);
        r->facts[r->n_facts++] = fc;
    }

    return 0;

oom:
    free(sb.s);
    return ENOMEM;
}

/* Phase 3: the items answered with a value by two or more departments, by
 * code; shared_vals[i] gets shared item i's values in words ("fire 119,
 * market 96") for the reasons. Returns 0 or ENOMEM. */
static int build_shared(ctx *c, Inspect__V1__Report *r, char **shared_vals)
{
    size_t T = c->n_total;
    sbuf sb = {0};
    entry *e = ar_calloc(&c->ar, T, sizeof(*e));
    CHECK(e);
    size_t ne = 0;
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; k < c->d[i].n_items; k++) {
            const Inspect__V1__Answer *a = c->d[i].answer[k];
            if (a && a->value_case != INSPECT__V1__ANSWER__VALUE__NOT_SET)
                e[ne++] = (entry){c->d[i].items[k]->code, &c->d[i], c->d[i].items[k], a};
        }
    qsort(e, ne, sizeof(*e), cmp_entry);
    r->shared_items = ar_calloc(&c->ar, T, sizeof(*r->shared_items));
    CHECK(r->shared_items);
    for (size_t s = 0; s < ne;) {
        size_t t = s + 1;
        while (t < ne && strcmp(e[t].code, e[s].code) == 0)
            t++;
        if (t - s >= 2) {
            Inspect__V1__SharedItem *si;
            NEW(si, Inspect__V1__SharedItem, INSPECT__V1__SHARED_ITEM__INIT);
            si->item_code = (char *)e[s].code;
            si->observed = ar_calloc(&c->ar, t - s, sizeof(*si->observed));
            CHECK(si->observed);
            si->agree = 1;
            for (size_t x = s; x < t; x++) {
                Inspect__V1__Observation *o;
                NEW(o, Inspect__V1__Observation, INSPECT__V1__OBSERVATION__INIT);
                o->department = (char *)e[x].d->name;
                o->item_code = (char *)e[x].code;
                set_value(o, e[x].a);
                si->observed[si->n_observed++] = o;
                sb_addf(&sb, "%s%s ", x > s ? ", " : "", e[x].d->name);
                value_words(&sb, e[x].a);
                for (size_t y = s; y < x; y++)
                    if (!answers_agree(e[x].a, e[x].it, e[y].a, e[y].it))
                        si->agree = 0;
            }
            shared_vals[r->n_shared_items] = sb_take(&sb, &c->ar);
            CHECK(shared_vals[r->n_shared_items]);
            r->shared_items[r->n_shared_items++] = si;
        }
        s = t;
    }

    return 0;

oom:
    free(sb.s);
    return ENOMEM;
}

/* Phase 4: the outcome, by the first rule that applies (reconcile.h). */
static void decide_outcome(Inspect__V1__Report *r)
{
    int critical = 0, other_fail = 0, disagree = 0, mismatch = 0;
    for (size_t i = 0; i < r->n_failures; i++) {
        if (r->failures[i]->severity == INSPECT__V1__SEVERITY__SEVERITY_CRITICAL)
            critical = 1;
        else
            other_fail = 1;
    }
    for (size_t i = 0; i < r->n_facts; i++) {
        if (r->facts[i]->departments_disagree)
            disagree = 1;
        if (r->facts[i]->verdict == INSPECT__V1__VERDICT__VERDICT_MISMATCH)
            mismatch = 1;
    }
    for (size_t i = 0; i < r->n_shared_items; i++)
        if (!r->shared_items[i]->agree)
            disagree = 1;
    r->outcome = critical                 ? INSPECT__V1__OUTCOME__OUTCOME_FAIL
                 : disagree               ? INSPECT__V1__OUTCOME__OUTCOME_ESCALATE
                 : other_fail || mismatch ? INSPECT__V1__OUTCOME__OUTCOME_RECTIFY
                                          : INSPECT__V1__OUTCOME__OUTCOME_PASS;
}

/* Phase 5: the reasons: what decided the outcome, then the facts nobody
 * observed. Returns 0 or ENOMEM. */
static int write_reasons(ctx *c, Inspect__V1__Report *r, char *const *shared_vals)
{
    r->reasons = ar_calloc(&c->ar, r->n_failures + 2 * r->n_facts + r->n_shared_items + 1,
                           sizeof(*r->reasons));
    CHECK(r->reasons);
#define REASON(...)                                                                                \
    do {                                                                                           \
        char *line_ = ar_printf(&c->ar, __VA_ARGS__);                                              \
        CHECK(line_);                                                                              \
        r->reasons[r->n_reasons++] = line_;                                                        \
    } while (0)
    switch (r->outcome) {
    case INSPECT__V1__OUTCOME__OUTCOME_FAIL:
        for (size_t i = 0; i < r->n_failures; i++) {
            const Inspect__V1__ItemFailure *f = r->failures[i];
            if (f->severity == INSPECT__V1__SEVERITY__SEVERITY_CRITICAL)
                REASON("critical item %s/%s failed: %s", f->department, f->item_code, f->reason);
        }
        break;
    case INSPECT__V1__OUTCOME__OUTCOME_ESCALATE:
        for (size_t i = 0; i < r->n_facts; i++)
            if (r->facts[i]->departments_disagree)
                REASON("departments disagree on fact %s: %s", r->facts[i]->fact,
                       r->facts[i]->reason);
        for (size_t i = 0; i < r->n_shared_items; i++) {
            const Inspect__V1__SharedItem *si = r->shared_items[i];
            if (si->agree)
                continue;
            REASON("departments disagree on item %s: %s", si->item_code, shared_vals[i]);
        }
        break;
    case INSPECT__V1__OUTCOME__OUTCOME_RECTIFY:
        for (size_t i = 0; i < r->n_failures; i++) {
            const Inspect__V1__ItemFailure *f = r->failures[i];
            REASON("%s item %s/%s failed: %s", severity_name(f->severity), f->department,
                   f->item_code, f->reason);
        }
        for (size_t i = 0; i < r->n_facts; i++)
            if (r->facts[i]->verdict == INSPECT__V1__VERDICT__VERDICT_MISMATCH)
                REASON("fact %s does not match: %s", r->facts[i]->fact, r->facts[i]->reason);
        break;
    default:
        REASON("every item passed and every observed fact matched");
        break;
    }
    for (size_t i = 0; i < r->n_facts; i++)
        if (r->facts[i]->verdict == INSPECT__V1__VERDICT__VERDICT_MISSING)
            REASON("fact %s: %s", r->facts[i]->fact, r->facts[i]->reason);
#undef REASON

    return 0;

oom:
    return ENOMEM;
}

/* Phase 6 (RECTIFY only): what a re-inspection checks: the failed items and
 * the verifiers of mismatched facts, sorted and unique. Returns 0 or ENOMEM. */
static int list_rectify_items(ctx *c, Inspect__V1__Report *r)
{
    size_t T = c->n_total;
    r->rectify_items = ar_calloc(&c->ar, T, sizeof(*r->rectify_items));
    CHECK(r->rectify_items);
    size_t nr = 0;
    for (size_t i = 0; i < r->n_failures; i++)
        r->rectify_items[nr++] = r->failures[i]->item_code;
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; k < c->d[i].n_items; k++) {
            const Inspect__V1__DeclaredFact *df = find_fact(c, c->d[i].items[k]->verifies_fact);
            if (!df)
                continue;
            for (size_t fi = 0; fi < r->n_facts; fi++)
                if (r->facts[fi]->fact == df->key &&
                    r->facts[fi]->verdict == INSPECT__V1__VERDICT__VERDICT_MISMATCH)
                    r->rectify_items[nr++] = c->d[i].items[k]->code;
        }
    qsort(r->rectify_items, nr, sizeof(*r->rectify_items), cmp_str);
    for (size_t i = 0; i < nr; i++)
        if (r->n_rectify_items == 0 ||
            strcmp(r->rectify_items[r->n_rectify_items - 1], r->rectify_items[i]) != 0)
            r->rectify_items[r->n_rectify_items++] = r->rectify_items[i];
    return 0;

oom:
    return ENOMEM;
}

/* Fills r (arena-backed) phase by phase; each phase reads what the earlier
 * ones wrote. Returns 0 or ENOMEM. */
static int build(ctx *c, Inspect__V1__Report *r)
{
    char **shared_vals = ar_calloc(&c->ar, c->n_total, sizeof(*shared_vals));
    if (!shared_vals)
        return ENOMEM;
    int rc = build_failures(c, r);
    if (rc == 0)
        rc = build_facts(c, r);
    if (rc == 0)
        rc = build_shared(c, r, shared_vals);
    if (rc)
        return rc;
    decide_outcome(r);
    rc = write_reasons(c, r, shared_vals);
    if (rc == 0 && r->outcome == INSPECT__V1__OUTCOME__OUTCOME_RECTIFY)
        rc = list_rectify_items(c, r);
    return rc;
}

int ins_reconcile_why(const Inspect__V1__Application *app, const ins_dept_input *in, size_t n,
                      char *const *only, size_t n_only, Inspect__V1__Report **out, char *why,
                      size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    if (!out)
        return ins_whyf(INS_EINVAL, why, whylen, "no place for the report");
    *out = NULL;
    if (!app)
        return ins_whyf(INS_EINVAL, why, whylen, "no application");
    if (n > 0 && !in)
        return ins_whyf(INS_EINVAL, why, whylen, "no department inputs");
    if (n_only > 0 && !only)
        return ins_whyf(INS_EINVAL, why, whylen, "no list of items to re-inspect");

    ctx c = {.why = why, .whylen = whylen};
    Inspect__V1__Report r = INSPECT__V1__REPORT__INIT;
    uint8_t *buf = NULL;
    int rc = load(&c, app, in, n, only, n_only);
    if (rc)
        goto done;
    rc = build(&c, &r);
    if (rc)
        goto done;

    size_t len = protobuf_c_message_get_packed_size(&r.base);
    buf = malloc(len ? len : 1);
    if (!buf) {
        rc = ENOMEM;
        goto done;
    }
    protobuf_c_message_pack(&r.base, buf);
    *out = inspect__v1__report__unpack(NULL, len, buf);
    if (!*out)
        rc = ENOMEM; /* the bytes were just packed: only allocation can fail */

done:
    free(buf);
    ar_free(&c.ar);
    return rc;
}

int ins_reconcile(const Inspect__V1__Application *app, const ins_dept_input *in, size_t n,
                  char *const *only, size_t n_only, Inspect__V1__Report **out)
{
    return ins_reconcile_why(app, in, n, only, n_only, out, NULL, 0);
}
