/*
 * rec_alerts.c - Dispatch's alerts in the store (see rec_alerts.h).
 *
 * Keys: alerts by id ("A-000001"); alerts_open by id with an empty value
 * while unacknowledged; alert_dedup (kind u32, task id, department) → the id
 * of the open standing alert.
 */
#include "rec_alerts.h"

#include <stdio.h>
#include <string.h>

#include "entities.pb-c.h"
#include "ins_error.h"
#include "ins_key.h"
#include "rec_tasks.h"
#include "records.h"

/* Key of the open standing alert (NO_QUALIFIED, ESCALATED) of a kind for a
 * task and department: such an alert is raised once until acknowledged. */
static void dedup_key(ins_key *k, int kind, const char *task_id, const char *department)
{
    ins_key_init(k);
    ins_key_u32(k, (uint32_t)kind);
    ins_key_text(k, task_id ? task_id : "");
    ins_key_text(k, department ? department : "");
}

static const ins_recio_kind K_ALERTS = {T_ALERTS, &inspect__rec__alert__descriptor,
                                        &inspect__v1__alert__descriptor};

int ins_alert_get(ins_rtxn *r, const char *id, Inspect__V1__Alert **out)
{
    return ins_recio_get_id(r, &K_ALERTS, id, (ProtobufCMessage **)out);
}

int ins_alert_wget(ins_wtxn *t, const char *id, Inspect__V1__Alert **out)
{
    return ins_recio_wget_id(t, &K_ALERTS, id, (ProtobufCMessage **)out);
}

int ins_alert_scan(ins_rtxn *r, int include_acknowledged, ins_id_fn fn, void *arg)
{
    ins_id_scan s = {fn, arg, 0};
    return ins_rtxn_scan(r, include_acknowledged ? T_ALERTS : T_ALERTS_OPEN, NULL, 0, NULL, 0,
                         ins_recio_id_row, &s);
}

int ins_alert_ack(ins_wtxn *t, const Inspect__V1__Alert *a, const char *actor)
{
    ins_key k;
    ins_recio_id_key(&k, a->id);
    int rc = ins_wtxn_del(t, T_ALERTS_OPEN, k.buf, k.len);
    if (rc == 0 || rc == INS_ENOTFOUND) { /* a standing alert may be raised again */
        ins_key dk;
        dedup_key(&dk, a->kind, a->task_id, a->department);
        rc = ins_wtxn_del(t, T_ALERT_DEDUP, dk.buf, dk.len);
    }
    const char *depts[2] = {"bureau", a->department};
    ins_change ch = {actor, "alert", a->id, "acknowledged", depts, a->department[0] ? 2u : 1u};
    if (rc == 0 || rc == INS_ENOTFOUND)
        rc = ins_recio_store(t, T_ALERTS, &k, &a->base, &inspect__rec__alert__descriptor, &ch);
    return rc;
}

/* Kinds that describe a standing condition: raised once until acknowledged. */
static int standing(Inspect__V1__AlertKind kind)
{
    return kind == INSPECT__V1__ALERT_KIND__ALERT_KIND_NO_QUALIFIED ||
           kind == INSPECT__V1__ALERT_KIND__ALERT_KIND_ESCALATED;
}

int ins_alert_raise(ins_wtxn *t, Inspect__V1__AlertKind kind, const Inspect__V1__Task *task,
                    const char *department, const char *message, char *out_id)
{
    ins_key dk;
    ins_val dv;
    if (standing(kind)) { /* still open from an earlier attempt: not again */
        dedup_key(&dk, kind, task ? task->id : "", department);
        if (ins_wtxn_get(t, T_ALERT_DEDUP, dk.buf, dk.len, &dv) == 0) {
            if (out_id && dv.len < 32) {
                memcpy(out_id, dv.data, dv.len);
                out_id[dv.len] = '\0';
            }
            return 0;
        }
    }
    uint64_t n;
    int rc = ins_counter_next(t, "alert", &n);
    if (rc)
        return rc;
    char id[32];
    snprintf(id, sizeof id, "A-%06llu", (unsigned long long)n);
    Inspect__V1__Alert a = INSPECT__V1__ALERT__INIT;
    a.id = id;
    a.kind = kind;
    a.task_id = (char *)(task ? task->id : "");
    a.application_id = (char *)(task ? task->application_id : "");
    a.department = (char *)(department ? department : "");
    a.town = (char *)(task ? task->town : "");
    a.message = (char *)message;
    a.raised_unix = ins_wtxn_unix(t);
    ins_key k;
    ins_key_init(&k);
    ins_key_text(&k, id);
    rc = ins_wtxn_put(t, T_ALERTS_OPEN, k.buf, k.len, "", 0, 0);
    /* Visible to the bureau and the department concerned; an alert about the
     * whole task (a deadline, an escalation) to every department on it. */
    const char *depts[18];
    size_t nd = 0;
    depts[nd++] = "bureau";
    if (department && department[0])
        depts[nd++] = department;
    else
        for (size_t i = 0; task && i < task->n_required_departments && nd < 18; i++)
            depts[nd++] = task->required_departments[i];
    ins_change ch = {"inspectd", "alert", id, "raised", depts, nd};
    if (rc == 0)
        rc = ins_recio_store(t, T_ALERTS, &k, &a.base, &inspect__rec__alert__descriptor, &ch);
    if (rc == 0 && standing(kind))
        rc = ins_wtxn_put(t, T_ALERT_DEDUP, dk.buf, dk.len, id, strlen(id), 0);
    if (rc == 0 && out_id)
        memcpy(out_id, id, strlen(id) + 1);
    return rc;
}

typedef struct kind_tally {
    ins_rtxn *r;
    uint64_t *counts;
    size_t n;
} kind_tally;

static int tally_alert(void *arg, const char *id)
{
    kind_tally *kt = arg;
    Inspect__V1__Alert *a = NULL;
    int rc = ins_alert_get(kt->r, id, &a);
    if (rc == INS_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (a->kind >= 0 && (size_t)a->kind < kt->n)
        kt->counts[a->kind]++;
    protobuf_c_message_free_unpacked(&a->base, NULL);
    return 0;
}

int ins_alert_count_open_by_kind(ins_rtxn *r, uint64_t *counts, size_t n)
{
    memset(counts, 0, n * sizeof *counts);
    kind_tally kt = {r, counts, n};
    return ins_alert_scan(r, 0, tally_alert, &kt);
}
