/*
 * decision.c - the application's next step after its report's opinions and
 * joint decision (see decision.h).
 */
#include "decision.h"

#include <string.h>

#include "inspect/v1/licensing.pb-c.h"

int ins_decision_all_approved(const Inspect__V1__Report *rep, char *const *required,
                              size_t n_required)
{
    for (size_t i = 0; i < n_required; i++) {
        int ok = 0;
        for (size_t j = 0; j < rep->n_opinions; j++)
            ok |=
                strcmp(rep->opinions[j]->department, required[i]) == 0 && rep->opinions[j]->approve;
        if (!ok)
            return 0;
    }
    return 1;
}

void ins_decide(const Inspect__V1__Report *rep, char *const *required, size_t n_required,
                int app_outcome, int app_stage, ins_decision *out)
{
    *out = (ins_decision){0, 0, 0};
    int decided = rep->joint_decision != NULL;
    int go = decided ? rep->joint_decision->approve
                     : rep->outcome == INSPECT__V1__OUTCOME__OUTCOME_PASS &&
                           ins_decision_all_approved(rep, required, n_required);
    if (decided && !go) {
        /* the joint review refused: the outcome becomes FAIL */
        if (app_outcome != INSPECT__V1__OUTCOME__OUTCOME_FAIL)
            out->outcome = INSPECT__V1__OUTCOME__OUTCOME_FAIL;
        return;
    }
    if (go && app_stage == INSPECT__V1__STAGE__STAGE_INSPECTION) {
        out->stage = INSPECT__V1__STAGE__STAGE_DECISION;
        out->close_task = 1;
        if (decided)
            out->outcome = INSPECT__V1__OUTCOME__OUTCOME_PASS;
    }
}
