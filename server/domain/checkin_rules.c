/*
 * checkin_rules.c - the cap on check-ins per inspector per task
 * (checkin_rules.h).
 */
#include "checkin_rules.h"

#include <string.h>

#include "ins_error.h"
#include "text_rules.h"

int ins_checkin_allowed(const Inspect__V1__Task *task, const char *inspector, char *why,
                        size_t whylen)
{
    size_t mine = 0;
    for (size_t i = 0; i < task->n_checkins; i++)
        mine += strcmp(task->checkins[i]->inspector_id, inspector) == 0;
    if (mine < INS_CHECKINS_PER_INSPECTOR)
        return 0;
    return ins_whyf(INS_ETOOBIG, why, whylen,
                    "inspector %s has checked in %zu times on task %s; a task keeps at most %d "
                    "check-ins per inspector",
                    inspector, mine, task->id, INS_CHECKINS_PER_INSPECTOR);
}
