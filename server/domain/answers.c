/*
 * answers.c - answers against their template, once for findings and
 * reconciliation (see answers.h).
 */
#include "answers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"
#include "text_rules.h"

static const char *nz(const char *s)
{
    return s ? s : "";
}

int ins_answers_in_scope(char *const *only, size_t n_only, const char *code)
{
    if (n_only == 0)
        return 1;
    for (size_t i = 0; i < n_only; i++)
        if (only[i] && strcmp(only[i], code) == 0)
            return 1;
    return 0;
}

int ins_answer_kind_fits(const Inspect__V1__Answer *a, const Inspect__V1__TemplateItem *it)
{
    switch (it->kind) {
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL:
        return a->value_case == INSPECT__V1__ANSWER__VALUE_FLAG;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER:
        return a->value_case == INSPECT__V1__ANSWER__VALUE_NUMBER && isfinite(a->number);
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE:
        return a->value_case == INSPECT__V1__ANSWER__VALUE_CHOICE;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_TEXT:
        return a->value_case == INSPECT__V1__ANSWER__VALUE_TEXT;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO:
        return a->value_case == INSPECT__V1__ANSWER__VALUE__NOT_SET;
    default:
        return 0;
    }
}

/* Index of the template item with `code`, or -1. */
static long find_item(const Inspect__V1__Template *tpl, const char *code)
{
    for (size_t i = 0; i < tpl->n_items; i++)
        if (strcmp(nz(tpl->items[i]->code), code) == 0)
            return (long)i;
    return -1;
}

static int fault(ins_answer_problem *problem, ins_answer_fault f,
                 const Inspect__V1__TemplateItem *it)
{
    if (problem)
        *problem = (ins_answer_problem){f, it};
    return INS_EINVAL;
}

/* The answer pass: each answer in scope to its item. */
static int match_each(const Inspect__V1__Template *tpl, Inspect__V1__Answer *const *answers,
                      size_t n, char *const *only, size_t n_only, unsigned flags,
                      const Inspect__V1__Answer **matched, ins_answer_problem *problem, char *why,
                      size_t whylen)
{
    char shown[INS_SHOW_MAX + 4];
    for (size_t k = 0; k < n; k++) {
        const Inspect__V1__Answer *a = answers[k];
        const char *code = nz(a->item_code);
        int in = ins_answers_in_scope(only, n_only, code);
        if (!in && !(flags & INS_ANSWERS_STRICT))
            continue; /* a re-inspection ignores the rest */
        const char *sc = ins_show(code, shown, sizeof shown);
        long at = find_item(tpl, code);
        if (at < 0) {
            ins_whyf(0, why, whylen, "answer to item %s, which template %s v%u lacks", sc,
                     nz(tpl->id), tpl->version);
            return fault(problem, INS_ANSWER_UNKNOWN_ITEM, NULL);
        }
        const Inspect__V1__TemplateItem *it = tpl->items[at];
        if (!in) {
            ins_whyf(0, why, whylen,
                     "item %s is not checked again: this re-inspection covers only what failed",
                     sc);
            return fault(problem, INS_ANSWER_OUT_OF_SCOPE, it);
        }
        if (matched[at]) {
            ins_whyf(0, why, whylen, "item %s is answered twice", sc);
            return fault(problem, INS_ANSWER_TWICE, it);
        }
        if (!ins_answer_kind_fits(a, it)) {
            ins_whyf(0, why, whylen, "item %s has an answer of the wrong kind", sc);
            return fault(problem, INS_ANSWER_WRONG_KIND, it);
        }
        matched[at] = a;
    }
    return 0;
}

int ins_answers_match(const Inspect__V1__Template *tpl, Inspect__V1__Answer *const *answers,
                      size_t n, char *const *only, size_t n_only, unsigned flags,
                      const Inspect__V1__Answer **matched, ins_answer_problem *problem, char *why,
                      size_t whylen)
{
    const Inspect__V1__Answer **own = NULL;
    if (why && whylen)
        why[0] = '\0';
    if (problem)
        *problem = (ins_answer_problem){INS_ANSWER_OK, NULL};
    if (!matched) {
        own = calloc(tpl->n_items ? tpl->n_items : 1, sizeof *own);
        if (!own)
            return ENOMEM;
        matched = own;
    } else {
        memset(matched, 0, tpl->n_items * sizeof *matched);
    }
    int rc = match_each(tpl, answers, n, only, n_only, flags, matched, problem, why, whylen);
    /* the unanswered item with the smallest code, whatever the template's order */
    const Inspect__V1__TemplateItem *missing = NULL;
    for (size_t i = 0; rc == 0 && i < tpl->n_items; i++) {
        const Inspect__V1__TemplateItem *it = tpl->items[i];
        const char *code = nz(it->code);
        int needed = (flags & INS_ANSWERS_STRICT) && n_only ? 1 : it->required;
        if (!needed || matched[i] || !ins_answers_in_scope(only, n_only, code))
            continue;
        if (!missing || strcmp(code, nz(missing->code)) < 0)
            missing = it;
    }
    if (rc == 0 && missing) {
        char shown[INS_SHOW_MAX + 4];
        ins_whyf(0, why, whylen, "required item %s is not answered",
                 ins_show(nz(missing->code), shown, sizeof shown));
        rc = fault(problem, INS_ANSWER_UNANSWERED, missing);
    }
    free(own);
    return rc;
}
