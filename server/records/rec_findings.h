/*
 * rec_findings.h - the departments' findings in the store: the current
 * findings of a task per department, with the photos they name that have
 * not arrived yet, and the history of earlier versions. Written by Field
 * (SubmitFindings, a photo's arrival), read by the reconciliation step and
 * the dossier export.
 *
 * Errors and ownership as in rec_directory.h.
 */
#ifndef INS_REC_FINDINGS_H
#define INS_REC_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "ins_store.h"

/* Reads the current findings of `department` for `task_id` (caller frees).
 * Returns 0, INS_ENOTFOUND, INS_ECORRUPT, ENOMEM or an LMDB error. */
int ins_findings_wget(ins_wtxn *t, const char *task_id, const char *department,
                      Inspect__V1__Findings **out);

/*
 * Puts into out[0..cap) the photo ids the answers of `b` name that are not
 * uploaded for b->task_id yet (a photo stored for another task does not
 * count: evidence belongs to its task), each once (compared without case),
 * and returns how many. The
 * ids are borrowed from `b`. Can't fail: a read error counts as "not
 * stored".
 */
size_t ins_findings_missing_photos(ins_wtxn *t, const Inspect__V1__FindingsBody *b, char **out,
                                   size_t cap);

/*
 * Stores `f` as the current findings of f->body's task and department: sets
 * f->version (1, or one more than the current one, which is kept in the
 * history under its number), audit entry "findings.submitted" (or
 * ".resubmitted") by `actor`, entity "findings/<task>/<department>", and a
 * feed entry visible to the bureau and that department. Returns 0 or a
 * storage error.
 */
int ins_findings_store(ins_wtxn *t, Inspect__V1__Findings *f, const char *actor);

/*
 * Photo `photo_id` has arrived: every department's current findings of
 * `task` that were waiting for it stop waiting (audit entry
 * "findings.photo_arrived" by `actor`, feed entry as ins_findings_store).
 * Findings not submitted yet are passed over. Returns 0 or a storage error.
 */
int ins_findings_photo_arrived(ins_wtxn *t, const Inspect__V1__Task *task, const char *photo_id,
                               const char *actor);

/* The stored record bytes of the findings of `department` for `task_id`:
 * the current ones for `version` 0, else that earlier version from the
 * history. Borrowed from the snapshot: valid until ins_rtxn_end(r). Returns
 * 0, INS_ENOTFOUND or an LMDB error. */
int ins_findings_raw(ins_rtxn *r, const char *task_id, const char *department, uint32_t version,
                     ins_val *out);

/* Called with each department (and version, 0 for the current findings) of
 * ins_findings_scan; non-zero stops. */
typedef int (*ins_findings_fn)(void *arg, const char *department, uint32_t version);

/*
 * Calls `fn` for the findings of task `task_id` in key order: with
 * `history` 0 each department's current findings, else every earlier
 * version (by department, then version). Returns what `fn` stopped with, 0,
 * INS_ECORRUPT or an LMDB error.
 */
int ins_findings_scan(ins_rtxn *r, const char *task_id, int history, ins_findings_fn fn, void *arg);

#endif /* INS_REC_FINDINGS_H */
