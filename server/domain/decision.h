/*
 * decision.h - what a reconciliation report, the departments' opinions on it
 * and a joint consultation review (会商会审) decide for the application.
 *
 * After every opinion or joint decision is stored, the report decides:
 * - a joint decision, when there is one, overrides everything: approve moves
 *   the application on to its decision stage with outcome PASS; refuse makes
 *   the outcome FAIL (once: an application already FAIL is left alone);
 * - without one, the application moves on only when the report's outcome is
 *   PASS and every required department has approved it;
 * - it moves on only from the inspection stage, and moving on closes the
 *   task.
 *
 * Pure: no gRPC, no store; thread-safe.
 */
#ifndef INS_DECISION_H
#define INS_DECISION_H

#include <stddef.h>

#include "inspect/v1/departments.pb-c.h"

/* What to write after a report changed; 0 in a field means "leave as is". */
typedef struct ins_decision {
    int outcome;    /* inspect.v1.Outcome to store on the application, or 0 */
    int stage;      /* inspect.v1.Stage to move the application to, or 0 */
    int close_task; /* non-zero: the task is over (task_state.h INS_TASK_EV_DECIDED) */
} ins_decision;

/*
 * Non-zero when each of required[0..n_required) has an approving opinion in
 * `rep` (n_required 0: trivially true). Nothing is kept. Can't fail.
 */
int ins_decision_all_approved(const Inspect__V1__Report *rep, char *const *required,
                              size_t n_required);

/*
 * Decides, by the rules above, for report `rep` of a task whose required
 * departments are required[0..n_required), for an application now in stage
 * `app_stage` with outcome `app_outcome` (inspect.v1 enum values). Fills *out
 * (all zero: nothing to change). `outcome` and `stage` are never both set
 * for a refusal; a move on sets `stage` and `close_task`, and `outcome` to
 * PASS when a joint review decided. Reads only; can't fail.
 */
void ins_decide(const Inspect__V1__Report *rep, char *const *required, size_t n_required,
                int app_outcome, int app_stage, ins_decision *out);

#endif /* INS_DECISION_H */
