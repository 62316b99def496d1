/*
 * rec_directory.h - the directory's records: departments, inspectors (with
 * their by-department index), service items, templates (every published
 * version; the one pinned-template lookup) and working-day calendars.
 *
 * Reads come in two forms: `get` on a read snapshot (ins_rtxn, worker
 * thread) and `wget` inside a write transaction (writer thread, seeing its
 * own changes). A record read is a new wire message the caller frees with
 * protobuf_c_message_free_unpacked. Writes run inside an apply function
 * (services/mutate.h) and store the record with its audit entry and
 * change-feed entry in the same transaction (recio.h). Every function
 * returns 0 or: INS_ENOTFOUND (no such record), INS_ECORRUPT (a record or
 * key that does not decode), ENOMEM, or an LMDB error, unless it says
 * otherwise.
 */
#ifndef INS_REC_DIRECTORY_H
#define INS_REC_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "ins_store.h"
#include "recio.h"

/* ---- departments ---- */

/* Non-zero when department `code` exists (inside a write transaction).
 * Can't fail: a read error counts as "does not exist". */
int ins_department_exists(ins_wtxn *t, const char *code);

/* Reads department `code`. */
int ins_department_get(ins_rtxn *r, const char *code, Inspect__V1__Department **out);
int ins_department_wget(ins_wtxn *t, const char *code, Inspect__V1__Department **out);

/* Stores `d` (its version set by the caller), with audit entry
 * "department.<change>" and a feed entry visible to everyone. */
int ins_department_put(ins_wtxn *t, const Inspect__V1__Department *d, const char *actor,
                       const char *change);

/* Every department in code order into a new array (*out, *n), freed with
 * ins_recio_free_all((ProtobufCMessage **)*out, *n). On error nothing is
 * returned. */
int ins_department_list(ins_rtxn *r, Inspect__V1__Department ***out, size_t *n);

/* Copies the code of the first department of kind BUREAU into `code`
 * (`len` bytes). Records that do not decode are passed over. Returns 0,
 * INS_ENOTFOUND when there is none, or an LMDB error. */
int ins_department_bureau(ins_wtxn *t, char *code, size_t len);

/* ---- inspectors ---- */

/* Reads inspector `id`. */
int ins_inspector_get(ins_rtxn *r, const char *id, Inspect__V1__Inspector **out);
int ins_inspector_wget(ins_wtxn *t, const char *id, Inspect__V1__Inspector **out);

/*
 * Stores `in` (its version set by the caller), replacing `old` (NULL when
 * new): the by-department index row moves when the department changed; the
 * audit entry is "inspector.<change>", the feed entry visible to the
 * inspector's department.
 */
int ins_inspector_put(ins_wtxn *t, const Inspect__V1__Inspector *in,
                      const Inspect__V1__Inspector *old, const char *actor, const char *change);

/*
 * Calls `fn` with each inspector id in order, starting at `from` (included;
 * NULL: the first). With `department` non-NULL only that department's
 * inspectors, through the index. Returns what `fn` stopped with, 0 at the
 * end, INS_ECORRUPT for a key that does not decode, or an LMDB error.
 */
int ins_inspector_scan(ins_rtxn *r, const char *department, const char *from, ins_id_fn fn,
                       void *arg);
/* The same inside a write transaction, for one department, from the first. */
int ins_inspector_wscan(ins_wtxn *t, const char *department, ins_id_fn fn, void *arg);

/*
 * Calls `fn` with the id of each inspector of `department` who serves
 * `town` (Inspector.towns, compared exactly), in id order, through the town
 * index. Returns as ins_inspector_scan.
 */
int ins_inspector_wscan_town(ins_wtxn *t, const char *department, const char *town, ins_id_fn fn,
                             void *arg);

/*
 * The migration to schema 2 (ins_migration.fn): writes the town index rows
 * of every stored inspector. Returns 0, INS_ECORRUPT or a storage error.
 */
int ins_inspector_index_towns(ins_wtxn *t, void *arg);

/* ---- service items ---- */

/* Reads service item `code`. */
int ins_item_get(ins_rtxn *r, const char *code, Inspect__V1__ServiceItem **out);
int ins_item_wget(ins_wtxn *t, const char *code, Inspect__V1__ServiceItem **out);

/* Stores `it` (its version set by the caller), with audit entry
 * "service_item.<change>" and a feed entry visible to everyone. */
int ins_item_put(ins_wtxn *t, const Inspect__V1__ServiceItem *it, const char *actor,
                 const char *change);

/* Every service item in code order, as ins_department_list. */
int ins_item_list(ins_rtxn *r, Inspect__V1__ServiceItem ***out, size_t *n);

/* ---- templates ---- */

/* Reads version `version` (>= 1) of template `id`. */
int ins_template_get(ins_rtxn *r, const char *id, uint32_t version, Inspect__V1__Template **out);

/* Reads the latest published version of template `id`. Pass exactly one of
 * `r` (a snapshot) and `t` (a write transaction). */
int ins_template_latest(ins_rtxn *r, ins_wtxn *t, const char *id, Inspect__V1__Template **out);

/*
 * The one pinned-template lookup: reads the template version `ref` pins
 * (a task's templates[i]). Pass exactly one of `r` and `t`.
 */
int ins_template_pinned(ins_rtxn *r, ins_wtxn *t, const Inspect__V1__TemplateRef *ref,
                        Inspect__V1__Template **out);

/* The template `task` pins for `department`, or NULL. Borrowed from task.
 * Can't fail. */
const Inspect__V1__TemplateRef *ins_template_ref(const Inspect__V1__Task *task,
                                                 const char *department);

/* Stores version tpl->version of a template, with audit entry
 * "template.published" (entity "template/<id>@<version>") and a feed entry
 * visible to the template's department. */
int ins_template_put(ins_wtxn *t, const Inspect__V1__Template *tpl, const char *actor);

/* ---- calendars ---- */

/* Reads the calendar of `year`. */
int ins_calendar_get(ins_rtxn *r, int32_t year, Inspect__V1__Calendar **out);
int ins_calendar_wget(ins_wtxn *t, int32_t year, Inspect__V1__Calendar **out);

/* Stores (replaces) the calendar of cal->year, with audit entry
 * "calendar.replaced" and a feed entry visible to everyone. */
int ins_calendar_put(ins_wtxn *t, const Inspect__V1__Calendar *cal, const char *actor);

/* ---- token revocations ---- */

/* Reads the revocation of `principal`'s tokens. */
int ins_revocation_get(ins_rtxn *r, const char *principal, Inspect__V1__TokenRevocation **out);
int ins_revocation_wget(ins_wtxn *t, const char *principal, Inspect__V1__TokenRevocation **out);

/* Stores (replaces) the revocation of rv->principal, with audit entry
 * "token_revocation.<change>" and a feed entry visible to the bureau's
 * department only (everyone when there is no bureau yet). */
int ins_revocation_put(ins_wtxn *t, const Inspect__V1__TokenRevocation *rv, const char *actor,
                       const char *change);

#endif /* INS_REC_DIRECTORY_H */
