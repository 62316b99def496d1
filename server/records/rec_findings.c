/*
 * rec_findings.c - findings in the store (see rec_findings.h).
 *
 * Keys: findings (task id, department); findings_history (task id,
 * department, version u32).
 */
#include "rec_findings.h"

#include "entities.pb-c.h"
#include "recio.h"

void ins_findings_key(ins_key *k, const char *task_id, const char *department)
{
    ins_key_init(k);
    ins_key_text(k, task_id);
    ins_key_text(k, department);
}

int ins_findings_wget(ins_wtxn *t, const char *task_id, const char *department,
                      Inspect__V1__Findings **out)
{
    ins_key k;
    ins_findings_key(&k, task_id, department);
    return ins_recio_wget(t, T_FINDINGS, &k, &inspect__rec__findings__descriptor,
                          &inspect__v1__findings__descriptor, (ProtobufCMessage **)out);
}
