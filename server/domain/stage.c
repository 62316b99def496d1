/*
 * stage.c - the one-step-forward approval flow and its stage names.
 *
 * The flow is a straight line, so "allowed" is simply "to == next(from)"; the
 * refusal messages always say what the allowed move is, so a dispatcher who
 * is refused knows what to do instead.
 */
#include "stage.h"

#include <stdio.h>
#include <strings.h>

#include "inspect/v1/licensing.pb-c.h"
#include "ins_error.h"
#include "text_rules.h"

#define FIRST INSPECT__V1__STAGE__STAGE_INTAKE
#define LAST  INSPECT__V1__STAGE__STAGE_ARCHIVED

static const char *const NAMES[] = {
    [INSPECT__V1__STAGE__STAGE_UNSPECIFIED] = "unspecified",
    [INSPECT__V1__STAGE__STAGE_INTAKE] = "intake",
    [INSPECT__V1__STAGE__STAGE_REVIEW] = "review",
    [INSPECT__V1__STAGE__STAGE_INSPECTION] = "inspection",
    [INSPECT__V1__STAGE__STAGE_DECISION] = "decision",
    [INSPECT__V1__STAGE__STAGE_CERTIFIED] = "certified",
    [INSPECT__V1__STAGE__STAGE_ARCHIVED] = "archived",
};

#define STAGE_LIST "intake, review, inspection, decision, certified, archived"

static int is_stage(int s)
{
    return s >= FIRST && s <= LAST;
}

const char *ins_stage_name(int stage)
{
    if (stage >= 0 && stage <= LAST)
        return NAMES[stage];
    return "unknown";
}

int ins_stage_next(int stage)
{
    if (!is_stage(stage) || stage == LAST)
        return INSPECT__V1__STAGE__STAGE_UNSPECIFIED;
    return stage + 1;
}

int ins_stage_move_is_dispatch(int from, int to)
{
    return from == INSPECT__V1__STAGE__STAGE_REVIEW && to == INSPECT__V1__STAGE__STAGE_INSPECTION;
}

int ins_stage_check_move(int from, int to, char *why, size_t whylen)
{
    if (!is_stage(to))
        return ins_whyf(INS_EINVAL, why, whylen,
                        "stage %d (%s) is not a stage to move to; the stages are " STAGE_LIST, to,
                        ins_stage_name(to));
    if (!is_stage(from))
        return ins_whyf(INS_EINVAL, why, whylen,
                        "application is in stage %d (%s), which is not a stage of the flow", from,
                        ins_stage_name(from));
    int next = ins_stage_next(from);
    if (next == 0)
        return ins_whyf(INS_ESTATE, why, whylen,
                        "application is in stage %s; no further move is allowed",
                        ins_stage_name(from));
    if (to != next)
        return ins_whyf(INS_ESTATE, why, whylen,
                        "application is in stage %s; the next allowed move is to %s, not to %s",
                        ins_stage_name(from), ins_stage_name(next), ins_stage_name(to));
    return 0;
}

int ins_stage_parse(const char *name, int *out)
{
    if (!name)
        return INS_EINVAL;
    if (strncasecmp(name, "STAGE_", 6) == 0)
        name += 6;
    for (int s = FIRST; s <= LAST; s++) {
        if (strcasecmp(name, NAMES[s]) == 0) {
            *out = s;
            return 0;
        }
    }
    return INS_EINVAL;
}
