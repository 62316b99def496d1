/*
 * template_rules.c - checklist templates, declared facts and the application
 * record, checked before anything is stored.
 *
 * Each check stops at the first problem and says where it is ("template
 * fire-venue item floor_area: ...") so the admin or the bureau system can fix
 * the input and send it again. Uniqueness is checked pairwise: lists are
 * bounded (INS_TEMPLATE_ITEMS_MAX, INS_FACTS_MAX) and small.
 */
#include "template_rules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "credit_code.h"
#include "geo.h"
#include "ins_error.h"
#include "text_rules.h"

#define WHERE_MAX 160

static int is_empty(const char *s)
{
    return !s || !*s;
}

static const char *kind_name(Inspect__V1__ItemKind k)
{
    switch (k) {
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL:
        return "BOOL";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER:
        return "NUMBER";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE:
        return "CHOICE";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_TEXT:
        return "TEXT";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO:
        return "PHOTO";
    default:
        return "unspecified";
    }
}

static int dept_code_check(const char *code, char *why, size_t whylen)
{
    if (is_empty(code))
        return ins_whyf(INS_EINVAL, why, whylen, "template department is empty");
    size_t len = strlen(code);
    char shown[INS_SHOW_MAX + 4];
    for (size_t i = 0; i < len; i++) {
        char c = code[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return ins_whyf(INS_EINVAL, why, whylen,
                            "template department %s is not a department code "
                            "([a-z0-9_-], e.g. fire)",
                            ins_show(code, shown, sizeof(shown)));
    }
    if (len > INS_DEPT_CODE_MAX)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "template department %s is %zu bytes long; at most %d",
                        ins_show(code, shown, sizeof(shown)), len, INS_DEPT_CODE_MAX);
    return 0;
}

static int tolerance_check(const char *where, const Inspect__V1__TemplateItem *it, char *why,
                           size_t whylen)
{
    const Inspect__V1__Tolerance *tol = it->tolerance;
    if (!tol || tol->bound_case == INSPECT__V1__TOLERANCE__BOUND__NOT_SET)
        return 0;
    if (is_empty(it->verifies_fact))
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s: a tolerance is set but the item verifies no declared fact; set "
                        "verifies_fact or drop the tolerance",
                        where);
    if (it->kind != INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s: a tolerance applies only to NUMBER items, this one is %s", where,
                        kind_name(it->kind));
    if (tol->bound_case == INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE) {
        if (!isfinite(tol->absolute) || tol->absolute < 0)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s: tolerance absolute %g must be a number 0 or more", where,
                            tol->absolute);
    } else if (tol->bound_case == INSPECT__V1__TOLERANCE__BOUND_RELATIVE) {
        if (!isfinite(tol->relative) || tol->relative < 0 || tol->relative > 1)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s: tolerance relative %g must be within 0..1 (0.05 = 5 %%)", where,
                            tol->relative);
    } else {
        return ins_whyf(INS_EINVAL, why, whylen, "%s: tolerance bound %d is unknown", where,
                        (int)tol->bound_case);
    }
    return 0;
}

static int number_check(const char *where, const Inspect__V1__TemplateItem *it, char *why,
                        size_t whylen)
{
    if (!isfinite(it->min) || !isfinite(it->max))
        return ins_whyf(INS_EINVAL, why, whylen, "%s: min %g and max %g must be finite numbers",
                        where, it->min, it->max);
    if (it->min > it->max)
        return ins_whyf(INS_EINVAL, why, whylen, "%s: min %g is above max %g", where, it->min,
                        it->max);
    if (it->min == 0 && it->max == 0)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s: a NUMBER item needs its allowed range; min and max are both 0", where);
    if (is_empty(it->unit))
        return ins_whyf(INS_EINVAL, why, whylen, "%s: a NUMBER item needs a unit (e.g. m2, seats)",
                        where);
    return 0;
}

static int choice_check(const char *where, const Inspect__V1__TemplateItem *it, char *why,
                        size_t whylen)
{
    char field[WHERE_MAX + 16], shown[INS_SHOW_MAX + 4];
    if (it->n_choices < 2)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s: a CHOICE item needs at least 2 choices, it has %zu", where,
                        it->n_choices);
    if (it->n_choices > INS_CHOICES_MAX)
        return ins_whyf(INS_EINVAL, why, whylen, "%s has %zu choices; at most %d", where,
                        it->n_choices, INS_CHOICES_MAX);
    for (size_t i = 0; i < it->n_choices; i++) {
        snprintf(field, sizeof(field), "%s choice %zu", where, i + 1);
        int rc = ins_text_check(field, it->choices[i], INS_CHOICE_MAX, 1, why, whylen);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(it->choices[i], it->choices[j]) == 0)
                return ins_whyf(INS_EINVAL, why, whylen, "%s: choice %s is listed twice", where,
                                ins_show(it->choices[i], shown, sizeof(shown)));
    }
    return 0;
}

static int item_check(const char *tid, const Inspect__V1__TemplateItem *const *items, size_t idx,
                      char *why, size_t whylen)
{
    const Inspect__V1__TemplateItem *it = items[idx];
    char where[WHERE_MAX], field[WHERE_MAX + 16], shown[INS_SHOW_MAX + 4];
    int rc;

    if (!it || is_empty(it->code))
        return ins_whyf(INS_EINVAL, why, whylen, "template %s item %zu has no code", tid, idx + 1);
    snprintf(where, sizeof(where), "template %s item %s", tid,
             ins_show(it->code, shown, sizeof(shown)));
    snprintf(field, sizeof(field), "template %s item %zu code", tid, idx + 1);
    if ((rc = ins_text_check(field, it->code, INS_CODE_MAX, 1, why, whylen)))
        return rc;
    for (size_t j = 0; j < idx; j++)
        if (items[j] && strcmp(items[j]->code, it->code) == 0)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "template %s: item code %s is used twice (items %zu and %zu)", tid,
                            shown, j + 1, idx + 1);
    if (is_empty(it->text))
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s has no text; give the question the inspector answers", where);
    snprintf(field, sizeof(field), "%s text", where);
    if ((rc = ins_text_check(field, it->text, INS_QUESTION_MAX, 1, why, whylen)))
        return rc;
    snprintf(field, sizeof(field), "%s unit", where);
    if ((rc = ins_text_check(field, it->unit, INS_UNIT_MAX, 0, why, whylen)))
        return rc;

    if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_UNSPECIFIED)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s has no kind; set BOOL, NUMBER, CHOICE, TEXT or PHOTO", where);
    if (it->kind < INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL ||
        it->kind > INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s has kind %d; set BOOL, NUMBER, CHOICE, TEXT or PHOTO", where,
                        (int)it->kind);
    if (it->severity == INSPECT__V1__SEVERITY__SEVERITY_UNSPECIFIED)
        return ins_whyf(INS_EINVAL, why, whylen, "%s has no severity; set CRITICAL, MAJOR or MINOR",
                        where);
    if (it->severity < INSPECT__V1__SEVERITY__SEVERITY_CRITICAL ||
        it->severity > INSPECT__V1__SEVERITY__SEVERITY_MINOR)
        return ins_whyf(INS_EINVAL, why, whylen, "%s has severity %d; set CRITICAL, MAJOR or MINOR",
                        where, (int)it->severity);

    if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER) {
        if ((rc = number_check(where, it, why, whylen)))
            return rc;
    }
    if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE) {
        if ((rc = choice_check(where, it, why, whylen)))
            return rc;
    } else if (it->n_choices > 0) {
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s: choices apply only to CHOICE items, this one is %s", where,
                        kind_name(it->kind));
    }
    if (it->min_photos > INS_MIN_PHOTOS_MAX)
        return ins_whyf(INS_EINVAL, why, whylen, "%s: min_photos %u is above %d", where,
                        it->min_photos, INS_MIN_PHOTOS_MAX);
    if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO && it->required && it->min_photos == 0)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s: a required PHOTO item needs min_photos of at least 1", where);
    if (it->fail_when_true && it->kind != INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s: fail_when_true applies only to BOOL items, this one is %s", where,
                        kind_name(it->kind));
    if (!is_empty(it->verifies_fact)) {
        if (it->kind != INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL &&
            it->kind != INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s: only BOOL and NUMBER items can verify a declared fact, this "
                            "one is %s (verifies_fact %s)",
                            where, kind_name(it->kind),
                            ins_show(it->verifies_fact, shown, sizeof(shown)));
        snprintf(field, sizeof(field), "%s verifies_fact", where);
        if ((rc = ins_text_check(field, it->verifies_fact, INS_CODE_MAX, 1, why, whylen)))
            return rc;
    }
    return tolerance_check(where, it, why, whylen);
}

int ins_template_validate(const Inspect__V1__Template *t, char *why, size_t whylen)
{
    char shown[INS_SHOW_MAX + 4];
    int rc;
    if (!t)
        return ins_whyf(INS_EINVAL, why, whylen, "template is missing");
    if ((rc = ins_id_check("template id", t->id, INS_ID_MAX, why, whylen)))
        return rc;
    const char *tid = t->id; /* printable ASCII, at most INS_ID_MAX bytes */
    if ((rc = dept_code_check(t->department, why, whylen)))
        return rc;
    if ((rc = ins_text_check("template name", t->name, INS_NAME_MAX, 0, why, whylen)))
        return rc;
    if (t->n_items == 0)
        return ins_whyf(INS_EINVAL, why, whylen, "template %s has no items; add at least one",
                        ins_show(tid, shown, sizeof(shown)));
    if (t->n_items > INS_TEMPLATE_ITEMS_MAX)
        return ins_whyf(INS_EINVAL, why, whylen, "template %s has %zu items; at most %d", tid,
                        t->n_items, INS_TEMPLATE_ITEMS_MAX);
    for (size_t i = 0; i < t->n_items; i++)
        if ((rc = item_check(tid, (const Inspect__V1__TemplateItem *const *)t->items, i, why,
                             whylen)))
            return rc;
    return 0;
}

/* ---- declared facts ---- */

static const char *value_type(const Inspect__V1__FactValue *v)
{
    switch (v ? v->value_case : INSPECT__V1__FACT_VALUE__VALUE__NOT_SET) {
    case INSPECT__V1__FACT_VALUE__VALUE_NUMBER:
        return "a number";
    case INSPECT__V1__FACT_VALUE__VALUE_FLAG:
        return "a flag";
    case INSPECT__V1__FACT_VALUE__VALUE_TEXT:
        return "text";
    default:
        return "unset";
    }
}

static int facts_check_own(const Inspect__V1__Application *a, char *why, size_t whylen)
{
    char field[INS_CODE_MAX + 64];
    int rc;
    if (a->n_declared_facts > INS_FACTS_MAX)
        return ins_whyf(INS_EINVAL, why, whylen, "the application declares %zu facts; at most %d",
                        a->n_declared_facts, INS_FACTS_MAX);
    for (size_t i = 0; i < a->n_declared_facts; i++) {
        const Inspect__V1__DeclaredFact *f = a->declared_facts[i];
        if (!f || is_empty(f->key))
            return ins_whyf(INS_EINVAL, why, whylen, "declared fact %zu has no key", i + 1);
        snprintf(field, sizeof(field), "declared fact %zu key", i + 1);
        if ((rc = ins_text_check(field, f->key, INS_CODE_MAX, 1, why, whylen)))
            return rc;
        const char *key = f->key; /* valid UTF-8 within INS_CODE_MAX bytes now */
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->declared_facts[j]->key, key) == 0)
                return ins_whyf(INS_EINVAL, why, whylen,
                                "declared fact %s is listed twice (facts %zu and %zu)", key, j + 1,
                                i + 1);
        const Inspect__V1__FactValue *v = f->value;
        if (!v || v->value_case == INSPECT__V1__FACT_VALUE__VALUE__NOT_SET)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "declared fact %s has no value; give a number, a flag or a text", key);
        if (v->value_case == INSPECT__V1__FACT_VALUE__VALUE_NUMBER && !isfinite(v->number))
            return ins_whyf(INS_EINVAL, why, whylen, "declared fact %s: number %g is not finite",
                            key, v->number);
        if (v->value_case == INSPECT__V1__FACT_VALUE__VALUE_TEXT) {
            snprintf(field, sizeof(field), "declared fact %s text", key);
            if ((rc = ins_text_check(field, v->text, INS_QUESTION_MAX, 1, why, whylen)))
                return rc;
        } else if (v->value_case != INSPECT__V1__FACT_VALUE__VALUE_NUMBER &&
                   v->value_case != INSPECT__V1__FACT_VALUE__VALUE_FLAG) {
            return ins_whyf(INS_EINVAL, why, whylen, "declared fact %s has an unknown value (%d)",
                            key, (int)v->value_case);
        }
        snprintf(field, sizeof(field), "declared fact %s unit", key);
        if ((rc = ins_text_check(field, v->unit, INS_UNIT_MAX, 0, why, whylen)))
            return rc;
    }
    return 0;
}

static const Inspect__V1__DeclaredFact *find_fact(const Inspect__V1__Application *a,
                                                  const char *key)
{
    for (size_t i = 0; i < a->n_declared_facts; i++)
        if (strcmp(a->declared_facts[i]->key, key) == 0)
            return a->declared_facts[i];
    return NULL;
}

int ins_facts_validate(const Inspect__V1__Application *a,
                       const Inspect__V1__Template *const *templates, size_t n, char *why,
                       size_t whylen)
{
    char tshown[INS_SHOW_MAX + 4], ishown[INS_SHOW_MAX + 4];
    if (!a)
        return ins_whyf(INS_EINVAL, why, whylen, "application is missing");
    int rc = facts_check_own(a, why, whylen);
    if (rc)
        return rc;
    for (size_t t = 0; t < n; t++) {
        const Inspect__V1__Template *tp = templates[t];
        if (!tp)
            continue;
        for (size_t i = 0; i < tp->n_items; i++) {
            const Inspect__V1__TemplateItem *it = tp->items[i];
            if (!it || is_empty(it->verifies_fact))
                continue;
            const Inspect__V1__DeclaredFact *f = find_fact(a, it->verifies_fact);
            if (!f)
                continue;
            Inspect__V1__FactValue__ValueCase want;
            const char *want_name;
            if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER) {
                want = INSPECT__V1__FACT_VALUE__VALUE_NUMBER;
                want_name = "a number";
            } else if (it->kind == INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL) {
                want = INSPECT__V1__FACT_VALUE__VALUE_FLAG;
                want_name = "a flag (yes/no)";
            } else {
                continue; /* ins_template_validate refuses this */
            }
            if (f->value->value_case != want)
                return ins_whyf(INS_EINVAL, why, whylen,
                                "declared fact %s is %s but template %s item %s checks %s", f->key,
                                value_type(f->value), ins_show(tp->id, tshown, sizeof(tshown)),
                                ins_show(it->code, ishown, sizeof(ishown)), want_name);
        }
    }
    return 0;
}

/* ---- the application ---- */

int ins_application_validate(const Inspect__V1__Application *a, char *why, size_t whylen)
{
    int rc;
    if (!a)
        return ins_whyf(INS_EINVAL, why, whylen, "application is missing");
    if ((rc = ins_id_check("id", a->id, INS_ID_MAX, why, whylen)) ||
        (rc = ins_id_check("service_item", a->service_item, INS_ID_MAX, why, whylen)) ||
        (rc = ins_text_check("applicant_name", a->applicant_name, INS_NAME_MAX, 1, why, whylen)) ||
        (rc = ins_credit_code_check(a->applicant_credit_code, why, whylen)) ||
        (rc = ins_text_check("site_address", a->site_address, INS_ADDRESS_MAX, 1, why, whylen)) ||
        (rc = ins_text_check("town", a->town, INS_TOWN_MAX, 1, why, whylen)) ||
        (rc = ins_geo_check(a->latitude, a->longitude, why, whylen)))
        return rc;
    return facts_check_own(a, why, whylen);
}
