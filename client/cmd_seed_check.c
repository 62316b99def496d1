/*
 * cmd_seed_check.c - `inspectctl seed check DIR` (see cmd_seed.h): the
 * offline cross-checks of a seed set read by cmd_seed.c. References between
 * the files (departments, templates, service items), credit-code check
 * characters, declared facts against the facts the templates verify,
 * calendar days, coordinates; each problem is printed with the file and
 * index it comes from, as an error or as a warning that does not fail.
 */
#include "cmd_seed_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cliutil.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"

/* ---- check ------------------------------------------------------------- */

static const char USCC_CHARSET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* GB 32100-2015: 1 when `code` is 18 characters of the charset with the
 * right check character. */
static int uscc_valid(const char *code)
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    if (strlen(code) != 18)
        return 0;
    int sum = 0;
    for (int i = 0; i < 18; i++) {
        const char *p = code[i] != '\0' ? strchr(USCC_CHARSET, code[i]) : NULL;
        if (p == NULL)
            return 0;
        if (i < 17)
            sum += (int)(p - USCC_CHARSET) * w[i];
        else
            return (31 - sum % 31) % 31 == (int)(p - USCC_CHARSET);
    }
    return 0;
}

typedef struct checker {
    int errors;
    int warnings;
} checker;

static void problem(checker *ck, int warning, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(checker *ck, int warning, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: %s: ", warning ? "warning" : "error", where);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (warning)
        ck->warnings++;
    else
        ck->errors++;
}

#define EACH(s, k, T, var)                                                                         \
    for (size_t var##_i = 0; var##_i < (s)->n[k]; var##_i++)                                       \
        for (T *var = (T *)(s)->recs[k][var##_i].m; var != NULL; var = NULL)

#define WHERE(s, k, var) ((s)->recs[k][var##_i].where)

static const Inspect__V1__Department *find_dept(const seed_set *s, const char *code)
{
    EACH(s, K_DEPARTMENTS, Inspect__V1__Department, d)
    if (strcmp(d->code, code) == 0)
        return d;
    return NULL;
}

static const Inspect__V1__Template *find_template(const seed_set *s, const char *id)
{
    EACH(s, K_TEMPLATES, Inspect__V1__Template, t)
    if (strcmp(t->id, id) == 0)
        return t;
    return NULL;
}

static const Inspect__V1__ServiceItem *find_item(const seed_set *s, const char *code)
{
    EACH(s, K_ITEMS, Inspect__V1__ServiceItem, it)
    if (strcmp(it->code, code) == 0)
        return it;
    return NULL;
}

static int is_weekend(const char *date)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strptime(date, "%Y-%m-%d", &tm) == NULL)
        return -1;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    struct tm out;
    gmtime_r(&t, &out);
    return out.tm_wday == 0 || out.tm_wday == 6;
}

static void check_templates(const seed_set *s, checker *ck)
{
    EACH(s, K_TEMPLATES, Inspect__V1__Template, t)
    {
        const char *w = WHERE(s, K_TEMPLATES, t);
        if (find_template(s, t->id) != t)
            problem(ck, 0, w, "template id %s appears twice", t->id);
        if (find_dept(s, t->department) == NULL)
            problem(ck, 0, w, "department %s does not exist", t->department);
        if (t->n_items == 0)
            problem(ck, 0, w, "template %s has no items", t->id);
        for (size_t i = 0; i < t->n_items; i++) {
            const Inspect__V1__TemplateItem *it = t->items[i];
            for (size_t j = 0; j < i; j++)
                if (strcmp(t->items[j]->code, it->code) == 0)
                    problem(ck, 0, w, "item code %s appears twice", it->code);
            if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_UNSPECIFIED)
                problem(ck, 0, w, "item %s has no kind", it->code);
            if (it->severity == INSPECT__V1__SEVERITY__SEVERITY_UNSPECIFIED)
                problem(ck, 0, w, "item %s has no severity", it->code);
            if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER &&
                (it->min > it->max || it->unit[0] == '\0'))
                problem(ck, 0, w, "number item %s needs a unit and min <= max", it->code);
            if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE && it->n_choices < 2)
                problem(ck, 0, w, "choice item %s needs at least two choices", it->code);
            if (it->verifies_fact[0] != '\0' &&
                it->kind != INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL &&
                it->kind != INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER)
                problem(ck, 0, w, "item %s verifies a fact but is neither BOOL nor NUMBER",
                        it->code);
        }
    }
}

static int holds(const Inspect__V1__Inspector *p, const char *qual, const char *today)
{
    for (size_t i = 0; i < p->n_qualifications; i++)
        if (strcmp(p->qualifications[i]->code, qual) == 0 &&
            strcmp(p->qualifications[i]->expires, today) >= 0)
            return 1;
    return 0;
}

static void check_items(const seed_set *s, checker *ck, const char *today)
{
    EACH(s, K_ITEMS, Inspect__V1__ServiceItem, it)
    {
        const char *w = WHERE(s, K_ITEMS, it);
        if (find_item(s, it->code) != it)
            problem(ck, 0, w, "service item %s appears twice", it->code);
        if (it->limit_working_days < 1)
            problem(ck, 0, w, "limit_working_days must be at least 1");
        if (it->n_departments == 0)
            problem(ck, 0, w, "no department required on site");
        for (size_t i = 0; i < it->n_departments; i++) {
            const Inspect__V1__RequiredDepartment *rd = it->departments[i];
            if (find_dept(s, rd->department) == NULL)
                problem(ck, 0, w, "department %s does not exist", rd->department);
            const Inspect__V1__Template *t = find_template(s, rd->template_id);
            if (t == NULL)
                problem(ck, 0, w, "template %s does not exist", rd->template_id);
            else if (strcmp(t->department, rd->department) != 0)
                problem(ck, 0, w, "template %s belongs to %s, not to %s", rd->template_id,
                        t->department, rd->department);
            int qualified = 0;
            EACH(s, K_INSPECTORS, Inspect__V1__Inspector, p)
            if (p->active && strcmp(p->department, rd->department) == 0 &&
                holds(p, rd->qualification, today))
                qualified++;
            if (qualified == 0)
                problem(ck, 1, w, "no active %s inspector holds a valid %s", rd->department,
                        rd->qualification);
        }
    }
}

static void check_calendars(const seed_set *s, checker *ck)
{
    EACH(s, K_CALENDARS, Inspect__V1__Calendar, c)
    {
        const char *w = WHERE(s, K_CALENDARS, c);
        char prefix[8];
        snprintf(prefix, sizeof prefix, "%04d-", c->year);
        for (size_t i = 0; i < c->n_days; i++) {
            const Inspect__V1__CalendarDay *d = c->days[i];
            int we = is_weekend(d->date);
            if (we < 0 || strncmp(d->date, prefix, 5) != 0 || strlen(d->date) != 10) {
                problem(ck, 0, w, "%s is not a date of %d", d->date, c->year);
                continue;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(c->days[j]->date, d->date) == 0)
                    problem(ck, 0, w, "%s is listed twice", d->date);
            if (d->kind == INSPECT__V1__DAY_KIND__DAY_KIND_HOLIDAY && we)
                problem(ck, 0, w, "%s is a weekend day: a HOLIDAY must fall on a weekday", d->date);
            if (d->kind == INSPECT__V1__DAY_KIND__DAY_KIND_MAKEUP_WORKDAY && !we)
                problem(ck, 0, w, "%s is a weekday: a MAKEUP_WORKDAY must fall on a weekend",
                        d->date);
            if (d->kind == INSPECT__V1__DAY_KIND__DAY_KIND_UNSPECIFIED)
                problem(ck, 0, w, "%s has no kind", d->date);
        }
    }
}

static void check_inspectors(const seed_set *s, checker *ck)
{
    EACH(s, K_INSPECTORS, Inspect__V1__Inspector, p)
    {
        const char *w = WHERE(s, K_INSPECTORS, p);
        EACH(s, K_INSPECTORS, Inspect__V1__Inspector, q)
        if (q_i < p_i && strcmp(q->id, p->id) == 0)
            problem(ck, 0, w, "inspector id %s appears twice", p->id);
        if (find_dept(s, p->department) == NULL)
            problem(ck, 0, w, "department %s does not exist", p->department);
        if (p->max_open_tasks < 1)
            problem(ck, 0, w, "max_open_tasks must be at least 1");
        if (p->n_towns == 0)
            problem(ck, 1, w, "%s serves no town", p->id);
        if (p->base_latitude < -90 || p->base_latitude > 90 || p->base_longitude < -180 ||
            p->base_longitude > 180)
            problem(ck, 0, w, "base position out of range");
        for (size_t i = 0; i < p->n_conflicts; i++) {
            if (!uscc_valid(p->conflicts[i]))
                problem(ck, 0, w, "conflicts[%zu]: %s is not a valid unified social credit code", i,
                        p->conflicts[i]);
            int known = 0;
            EACH(s, K_APPLICATIONS, Inspect__V1__Application, a)
            if (strcmp(a->applicant_credit_code, p->conflicts[i]) == 0)
                known = 1;
            if (!known)
                problem(ck, 1, w, "conflicts[%zu]: %s is no seeded applicant", i, p->conflicts[i]);
        }
    }
}

static const Inspect__V1__DeclaredFact *find_fact(const Inspect__V1__Application *a,
                                                  const char *key)
{
    for (size_t i = 0; i < a->n_declared_facts; i++)
        if (strcmp(a->declared_facts[i]->key, key) == 0)
            return a->declared_facts[i];
    return NULL;
}

static void check_applications(const seed_set *s, checker *ck)
{
    EACH(s, K_APPLICATIONS, Inspect__V1__Application, a)
    {
        const char *w = WHERE(s, K_APPLICATIONS, a);
        EACH(s, K_APPLICATIONS, Inspect__V1__Application, b)
        if (b_i < a_i && strcmp(b->id, a->id) == 0)
            problem(ck, 0, w, "application id %s appears twice", a->id);
        if (!uscc_valid(a->applicant_credit_code))
            problem(ck, 0, w, "%s is not a valid unified social credit code (GB 32100-2015)",
                    a->applicant_credit_code);
        if (a->latitude < -90 || a->latitude > 90 || a->longitude < -180 || a->longitude > 180)
            problem(ck, 0, w, "position %g, %g out of range", a->latitude, a->longitude);
        if (a->stage == INSPECT__V1__STAGE__STAGE_UNSPECIFIED)
            problem(ck, 1, w, "no stage: loaded at intake");
        for (size_t i = 0; i < a->n_declared_facts; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(a->declared_facts[i]->key, a->declared_facts[j]->key) == 0)
                    problem(ck, 0, w, "fact %s declared twice", a->declared_facts[i]->key);
        int served = 0;
        EACH(s, K_INSPECTORS, Inspect__V1__Inspector, p)
        for (size_t i = 0; i < p->n_towns; i++)
            if (strcmp(p->towns[i], a->town) == 0)
                served = 1;
        if (!served)
            problem(ck, 1, w, "no inspector serves town %s", a->town);
        const Inspect__V1__ServiceItem *it = find_item(s, a->service_item);
        if (it == NULL) {
            problem(ck, 0, w, "service item %s does not exist", a->service_item);
            continue;
        }
        /* every fact a template of the item verifies is declared, typed right */
        for (size_t d = 0; d < it->n_departments; d++) {
            const Inspect__V1__Template *t = find_template(s, it->departments[d]->template_id);
            for (size_t i = 0; t != NULL && i < t->n_items; i++) {
                const Inspect__V1__TemplateItem *ti = t->items[i];
                if (ti->verifies_fact[0] == '\0')
                    continue;
                const Inspect__V1__DeclaredFact *f = find_fact(a, ti->verifies_fact);
                int want = ti->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER
                               ? INSPECT__V1__FACT_VALUE__VALUE_NUMBER
                               : INSPECT__V1__FACT_VALUE__VALUE_FLAG;
                if (f == NULL || f->value == NULL)
                    problem(ck, 0, w, "fact %s (verified by %s.%s) is not declared",
                            ti->verifies_fact, t->id, ti->code);
                else if ((int)f->value->value_case != want)
                    problem(ck, 0, w, "fact %s must be a %s (template %s item %s)",
                            ti->verifies_fact,
                            want == INSPECT__V1__FACT_VALUE__VALUE_NUMBER ? "number" : "flag",
                            t->id, ti->code);
                else if (want == INSPECT__V1__FACT_VALUE__VALUE_NUMBER &&
                         strcmp(f->value->unit, ti->unit) != 0)
                    problem(ck, 1, w, "fact %s is in %s, template %s item %s in %s",
                            ti->verifies_fact, f->value->unit, t->id, ti->code, ti->unit);
            }
        }
    }
}

static void check_help(void)
{
    printf("usage: inspectctl seed check DIR\n\n"
           "Parses every seed file in DIR (departments.json, templates.json,\n"
           "service_items.json, calendar-*.json, inspectors.json, applications.json)\n"
           "and cross-checks them: references between them, credit-code check\n"
           "characters, declared facts against the facts the templates verify,\n"
           "calendar days, coordinates. Offline: no server needed. Exit 1 on errors\n"
           "(warnings, e.g. a lapsed qualification that leaves a department with no\n"
           "qualified inspector, do not fail).\n");
}

static void print_counts(const seed_set *s)
{
    for (int k = 0; k < K_COUNT; k++)
        printf("%s%zu %s", k > 0 ? ", " : "", s->n[k], ins__seed_kinds[k].label);
    putchar('\n');
}

int ins__seed_check(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, check_help, "seed check");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    seed_set s;
    int parse_errors = ins__seed_read(&s, pos[0]);
    checker ck = {parse_errors, 0};
    char today[11];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    EACH(&s, K_DEPARTMENTS, Inspect__V1__Department, d)
    if (find_dept(&s, d->code) != d)
        problem(&ck, 0, WHERE(&s, K_DEPARTMENTS, d), "department %s appears twice", d->code);
    check_templates(&s, &ck);
    check_items(&s, &ck, today);
    check_calendars(&s, &ck);
    check_inspectors(&s, &ck);
    check_applications(&s, &ck);
    if (cli->json) {
        json_object *o = json_object_new_object(), *counts = json_object_new_object();
        for (int k = 0; k < K_COUNT; k++)
            json_object_object_add(counts, ins__seed_kinds[k].label,
                                   json_object_new_int64((int64_t)s.n[k]));
        json_object_object_add(o, "counts", counts);
        json_object_object_add(o, "errors", json_object_new_int(ck.errors));
        json_object_object_add(o, "warnings", json_object_new_int(ck.warnings));
        rc = ins_cu_print_json_object(o);
        json_object_put(o);
    } else {
        print_counts(&s);
        printf("%d error%s, %d warning%s\n", ck.errors, ck.errors == 1 ? "" : "s", ck.warnings,
               ck.warnings == 1 ? "" : "s");
    }
    ins__seed_free(&s);
    if (rc != INS_EXIT_OK)
        return rc;
    return ck.errors == 0 ? INS_EXIT_OK : INS_EXIT_FAIL;
}
