/*
 * rec_alerts.h - Dispatch's alerts in the store: the record, the open-alert
 * index and the dedup rows of standing alerts, each write with its audit
 * and feed entries. Used by Dispatch (AckAlert, WatchAlerts), Field (a
 * decline), the reconciliation step (an escalation) and the scheduler.
 *
 * Errors and ownership as in rec_directory.h.
 */
#ifndef INS_REC_ALERTS_H
#define INS_REC_ALERTS_H

#include "inspect/v1/dispatch.pb-c.h"
#include "ins_store.h"
#include "recio.h"

/* Reads alert `id` (caller frees). 0, INS_ENOTFOUND or a storage error. */
int ins_alert_get(ins_rtxn *r, const char *id, Inspect__V1__Alert **out);
int ins_alert_wget(ins_wtxn *t, const char *id, Inspect__V1__Alert **out);

/* Calls `fn` with the id of every open alert, or of every alert with
 * `include_acknowledged`, in id order. Returns what `fn` stopped with, 0,
 * INS_ECORRUPT or an LMDB error. */
int ins_alert_scan(ins_rtxn *r, int include_acknowledged, ins_id_fn fn, void *arg);

/*
 * Raises an alert: a new id, the record, the open-alert row, the audit entry
 * and a feed entry visible to the bureau and `department` (or, when it is
 * empty, every department of `task`). A standing alert (NO_QUALIFIED,
 * ESCALATED) still open for the same task and department is not raised
 * again: *out_id gets the open one. `*out_id`
 * (optional, 32 bytes) receives the id. Returns 0 or a storage error.
 */
int ins_alert_raise(ins_wtxn *t, Inspect__V1__AlertKind kind, const Inspect__V1__Task *task,
                    const char *department, const char *message, char *out_id);

/*
 * Stores `a`, already marked acknowledged by the caller: drops its
 * open-alert row and its dedup row (so a standing alert may be raised
 * again), audit entry "alert.acknowledged", feed entry visible to the
 * bureau and the alert's department. Returns 0 or a storage error.
 */
int ins_alert_ack(ins_wtxn *t, const Inspect__V1__Alert *a, const char *actor);

/* Counts the open (unacknowledged) alerts by kind: counts[kind] for kind <
 * n (zeroed first). Reads every open alert: for metrics at scrape. Returns
 * 0 or a storage error. */
int ins_alert_count_open_by_kind(ins_rtxn *r, uint64_t *counts, size_t n);

#endif /* INS_REC_ALERTS_H */
