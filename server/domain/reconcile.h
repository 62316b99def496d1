/*
 * reconcile.h - the reconciliation of one inspection task: every required
 * department's findings against what the applicant declared and against each
 * other, ending in an outcome with reasons (DESIGN.md §3 "Reconciliation
 * report"). The answers are matched to their template by answers.h, the
 * same rule Field.SubmitFindings applies when the findings arrive; what the
 * opinions on the report then decide is decision.h.
 *
 * Pure: no gRPC, no store, no clock, no global state; thread-safe. The same
 * inputs give the same report byte for byte, whatever the order of `in` and
 * of the answers within each findings, so a stored report can be recomputed
 * and compared.
 *
 * The rules
 * ---------
 * Scope. Every item of every department's template counts, or with `only`
 * (a re-inspection) just the items whose code is listed; answers to other
 * items are ignored altogether.
 *
 * Items. Per department, per item in scope that was answered:
 * - BOOL passes when answered true, or false when the item is fail_when_true;
 * - NUMBER passes when within [min, max] (no range when both are 0, as in
 *   findings_rules.h);
 * - CHOICE, TEXT and PHOTO are informational and pass;
 * - an item verifying a declared fact (verifies_fact names a key of
 *   Application.declared_facts) is judged by the fact comparison below, not
 *   on its own: it never yields an ItemFailure;
 * - an unanswered optional item is neither pass nor fail.
 * A failed item becomes ItemFailure{department, item_code, text, severity,
 * reason}, reason e.g. "answered no: 消防通道畅通" or
 * "observed 12 m, outside 1..10 m". An item without a severity counts as
 * MINOR.
 *
 * Facts. For each declared fact verified by at least one item in scope (facts
 * nobody's template verifies are not reported): one Observation per answered
 * item verifying it, {department, item_code, value, verdict}. The verdict is
 * MATCH when
 * - number fact, NUMBER item: |observed - declared| <= tolerance, where the
 *   item's tolerance is absolute (tolerance.absolute), relative
 *   (tolerance.relative * |declared|), or exact equality when it has none;
 *   bounds allow a rounding slack of 1e-9 * max(1, |declared|), so a value
 *   exactly at the bound matches;
 * - flag fact, BOOL item: the flags are equal;
 * and MISMATCH otherwise, including a value of the wrong type for the fact
 * (a text fact, a number answered for a flag fact, ...).
 * FactCheck.verdict is MISSING when nobody observed the fact, MATCH when every
 * observation matches, MISMATCH otherwise. departments_disagree is set when
 * two different departments' observations have different verdicts.
 * reason reads e.g. "declared 120 m2; fire observed 119 (within 5%); market
 * observed 96 (beyond 5%)".
 *
 * Shared items. An item code answered with a value (PHOTO answers carry none)
 * by two or more departments. agree = every pair of values is equal: numbers
 * within the tolerance of either department's item (relative to the larger
 * magnitude of the two), else exactly; flags, choices and texts equal; values
 * of different kinds never agree.
 *
 * Outcome, first rule that applies:
 * 1. FAIL when a CRITICAL item fails (whatever else disagrees);
 * 2. ESCALATE when a fact has departments_disagree or a shared item does not
 *    agree;
 * 3. RECTIFY when any other item fails or a fact is MISMATCH;
 * 4. PASS.
 * MISSING facts do not change the outcome.
 * reasons: one line per thing that decided the outcome, in report order
 * (FAIL: the critical failures; ESCALATE: disagreeing facts, then shared
 * items; RECTIFY: failures, then mismatched facts; PASS: one line), followed
 * by one line per MISSING fact.
 * rectify_items (RECTIFY only): the codes of the failed items and of every
 * item in scope verifying a mismatched fact, sorted and unique: what a
 * re-inspection checks.
 *
 * Order. facts by key; observations by department then item code; failures
 * by department then item code; shared items by code; all strings compared
 * bytewise (strcmp). Numbers in text are formatted "%.10g".
 */
#ifndef INS_RECONCILE_H
#define INS_RECONCILE_H

#include <stddef.h>

#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"

/* One department's part of a task. Nothing here is copied or kept. */
typedef struct ins_dept_input {
    const char *department;                    /* Department.code, e.g. "fire" */
    const Inspect__V1__Template *tpl;          /* the exact version the task pinned */
    const Inspect__V1__FindingsBody *findings; /* that department's current findings */
} ins_dept_input;

/*
 * Builds the report of one task from the application `app` and the findings
 * of `n` departments in[0..n) (in any order), by the rules above.
 *
 * Fills facts, failures, shared_items, outcome, reasons and rectify_items;
 * id, task_id, application_id, created_unix, opinions, joint_decision and
 * reinspection_task_id are left empty for the caller.
 *
 * `only`/n_only: a re-inspection considers only these item codes (n_only 0:
 * every item).
 *
 * On success *out is one self-contained message owned by the caller, who
 * frees it with protobuf_c_message_free_unpacked(&(*out)->base, NULL); it
 * refers to nothing of the inputs. On error *out is NULL and nothing else
 * happened.
 *
 * Errors:
 * - ENOMEM: out of memory;
 * - INS_EINVAL: the inputs do not fit together: a NULL argument, an empty or
 *   repeated department, a template or findings of another department, findings
 *   for another template version, an answer to an item the template lacks or
 *   answered twice, an answer of the wrong kind, a required item in scope left
 *   unanswered, a repeated declared fact key.
 */
int ins_reconcile(const Inspect__V1__Application *app, const ins_dept_input *in, size_t n,
                  char *const *only, size_t n_only, Inspect__V1__Report **out);

/*
 * ins_reconcile, and on INS_EINVAL a sentence naming what does not fit in
 * why[0..whylen) (e.g. "department market: answer to item fire_exits, which
 * template market-venue v2 lacks"). `why` may be NULL.
 */
int ins_reconcile_why(const Inspect__V1__Application *app, const ins_dept_input *in, size_t n,
                      char *const *only, size_t n_only, Inspect__V1__Report **out, char *why,
                      size_t whylen);

#endif /* INS_RECONCILE_H */
