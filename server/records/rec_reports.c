/*
 * rec_reports.c - reconciliation reports in the store (see rec_reports.h).
 *
 * Key: the report id (text).
 */
#include "rec_reports.h"

#include <stdio.h>

#include "entities.pb-c.h"
#include "ins_key.h"
#include "recio.h"

void ins_report_id(const char *task_id, char *out)
{
    snprintf(out, 64, "R-%s", task_id);
}

static const ins_recio_kind K_REPORTS = {T_REPORTS, &inspect__rec__report__descriptor,
                                         &inspect__v1__report__descriptor};

int ins_report_get(ins_rtxn *r, const char *id, Inspect__V1__Report **out)
{
    return ins_recio_get_id(r, &K_REPORTS, id, (ProtobufCMessage **)out);
}

int ins_report_wget(ins_wtxn *t, const char *id, Inspect__V1__Report **out)
{
    return ins_recio_wget_id(t, &K_REPORTS, id, (ProtobufCMessage **)out);
}

int ins_report_raw(ins_rtxn *r, const char *id, ins_val *out)
{
    return ins_recio_raw_id(r, T_REPORTS, id, out);
}

int ins_report_store(ins_wtxn *t, const Inspect__V1__Report *rep, const char *actor,
                     const char *change, const Inspect__V1__Task *task)
{
    const char *depts[17];
    size_t n = 0;
    depts[n++] = "bureau";
    for (size_t i = 0; i < task->n_required_departments && n < 17; i++)
        depts[n++] = task->required_departments[i];
    ins_key k;
    ins_recio_id_key(&k, rep->id);
    ins_change ch = {actor, "report", rep->id, change, depts, n};
    return ins_recio_store(t, T_REPORTS, &k, &rep->base, &inspect__rec__report__descriptor, &ch);
}
