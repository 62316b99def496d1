/*
 * answers.h - a department's answers matched against the exact template
 * version they fill in: every answer names an item of the template once and
 * carries the kind of value the item takes, and every required item is
 * answered.
 *
 * Both Field.SubmitFindings (findings_rules.h, when the findings arrive) and
 * reconciliation (reconcile.h, when the report is built) check this, so it
 * is written once, here, with one code (INS_EINVAL) and one sentence per
 * condition. The two differ only in policy, which the caller names:
 * findings are input and refuse answers a re-inspection does not ask for
 * (INS_ANSWERS_STRICT), while reconciliation ignores them.
 *
 * Pure functions: no gRPC, no store; thread-safe.
 */
#ifndef INS_ANSWERS_H
#define INS_ANSWERS_H

#include <stddef.h>

#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/field.pb-c.h"

/* The condition ins_answers_match found, with the sentence it wrote. */
typedef enum ins_answer_fault {
    INS_ANSWER_OK = 0,
    INS_ANSWER_UNKNOWN_ITEM, /* "answer to item X, which template T vN lacks" */
    INS_ANSWER_OUT_OF_SCOPE, /* "item X is not checked again: this re-inspection covers only
                                what failed" (INS_ANSWERS_STRICT only) */
    INS_ANSWER_TWICE,        /* "item X is answered twice" */
    INS_ANSWER_WRONG_KIND,   /* "item X has an answer of the wrong kind" */
    INS_ANSWER_UNANSWERED,   /* "required item X is not answered" */
} ins_answer_fault;

/* What ins_answers_match found wrong, for a caller that adds its own words. */
typedef struct ins_answer_problem {
    ins_answer_fault fault;
    const Inspect__V1__TemplateItem *item; /* the item concerned; NULL for UNKNOWN_ITEM */
} ins_answer_problem;

/*
 * Strict scope, for input: with `only` an answer to an item outside it is
 * refused (OUT_OF_SCOPE) and every item of the template in `only` must be
 * answered, required or not. Without the flag such answers are skipped
 * unseen and only required items in scope must be answered.
 */
#define INS_ANSWERS_STRICT 1u

/*
 * Non-zero when answer `a` carries the kind of value item `it` takes: a flag
 * for BOOL, a finite number for NUMBER, a choice for CHOICE, a text for TEXT,
 * no value for PHOTO; 0 for an item without a kind.
 */
int ins_answer_kind_fits(const Inspect__V1__Answer *a, const Inspect__V1__TemplateItem *it);

/*
 * Matches answers[0..n) against template `tpl`. An item is in scope when
 * n_only is 0 or its code is one of only[0..n_only) (NULL entries never
 * match). Checked in this order, the first fault wins: per answer in scope
 * (strict: per answer), the item exists, is in scope, is not answered twice,
 * and the answer's kind fits; then the unanswered required item (see
 * INS_ANSWERS_STRICT) with the smallest code, so the result does not depend
 * on the order of the template's items.
 *
 * matched: NULL, or an array of tpl->n_items the caller owns; on 0 it holds
 * each template item's answer (by template index), or NULL for items not
 * answered or out of scope. problem: NULL, or set to the fault and its item.
 *
 * Returns 0; INS_EINVAL with the fault's sentence in why[0..whylen) (`why`
 * may be NULL); ENOMEM when `matched` is NULL and no room for it could be
 * allocated. Answers and template are only read; nothing is kept.
 */
int ins_answers_match(const Inspect__V1__Template *tpl, Inspect__V1__Answer *const *answers,
                      size_t n, char *const *only, size_t n_only, unsigned flags,
                      const Inspect__V1__Answer **matched, ins_answer_problem *problem, char *why,
                      size_t whylen);

/* Non-zero when n_only is 0 or `code` is one of only[0..n_only). */
int ins_answers_in_scope(char *const *only, size_t n_only, const char *code);

#endif /* INS_ANSWERS_H */
