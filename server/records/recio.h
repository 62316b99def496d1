/*
 * recio.h - records in tables: read one as a wire message, store one with
 * its audit entry and change-feed entry in the same transaction, and page
 * through a table or index.
 */
#ifndef INS_RECIO_H
#define INS_RECIO_H

#include <protobuf-c/protobuf-c.h>

#include "ins_key.h"
#include "ins_store.h"
#include "tables.h"

/*
 * Reads the record at `key` and decodes it as a new wire message (the
 * caller frees it with protobuf_c_message_free_unpacked). Returns 0,
 * INS_ENOTFOUND, INS_ECORRUPT, ENOMEM or an LMDB error. The `w` variant reads
 * inside a write transaction, seeing its own changes.
 */
int ins_recio_get(ins_rtxn *r, ins_table table, const ins_key *key,
                  const ProtobufCMessageDescriptor *rec, const ProtobufCMessageDescriptor *wire,
                  ProtobufCMessage **out);
int ins_recio_wget(ins_wtxn *t, ins_table table, const ins_key *key,
                   const ProtobufCMessageDescriptor *rec, const ProtobufCMessageDescriptor *wire,
                   ProtobufCMessage **out);

/* The key of a record keyed by one text id: ins_key_text(id). Can't fail
 * (ids are checked to fit before they reach the record layer). */
void ins_recio_id_key(ins_key *k, const char *id);

/* A table of records keyed by one text id, and the two descriptors of its
 * records (on disk, on the wire): what the _id functions below read. */
typedef struct ins_recio_kind {
    ins_table table;
    const ProtobufCMessageDescriptor *rec, *wire;
} ins_recio_kind;

/* ins_recio_get / ins_recio_wget of record `id` of `kind`; the same
 * returns. */
int ins_recio_get_id(ins_rtxn *r, const ins_recio_kind *kind, const char *id,
                     ProtobufCMessage **out);
int ins_recio_wget_id(ins_wtxn *t, const ins_recio_kind *kind, const char *id,
                      ProtobufCMessage **out);

/* The stored bytes of record `id` of `table`, borrowed from the snapshot:
 * valid until ins_rtxn_end(r). Returns 0, INS_ENOTFOUND or an LMDB error. */
int ins_recio_raw_id(ins_rtxn *r, ins_table table, const char *id, ins_val *out);

/* Called with each id of a record module's scan, in key order; a non-zero
 * return stops the scan and is returned by it. */
typedef int (*ins_id_fn)(void *arg, const char *id);

/* A scan of ids for ins_recio_id_row: `skip` text parts of each key come
 * before the id (0 for a table keyed by id, 1 for an index keyed by
 * (owner, id)). */
typedef struct ins_id_scan {
    ins_id_fn fn;
    void *arg;
    int skip;
} ins_id_scan;

/*
 * The ins_scan_fn of an id scan (`arg` is an ins_id_scan): reads the id
 * after `skip` text parts of the key (at most 255 bytes) and calls fn with
 * it. Returns what fn returns, or INS_ECORRUPT for a key that does not
 * decode.
 */
int ins_recio_id_row(void *arg, const ins_val *key, const ins_val *val);

/* What a change is, for the audit trail and the change feed. */
typedef struct ins_change {
    const char *actor;              /* principal */
    const char *kind;               /* entity kind: "application", "inspector", ... */
    const char *id;                 /* entity id, e.g. "XD-2026-000123" */
    const char *change;             /* "created", "updated", "stage", ... */
    const char *const *departments; /* who may see it on the feed; NULL = everyone */
    size_t n_departments;
} ins_change;

/*
 * Stores `wire` as its record (`rec`) at `key`, appends the audit entry
 * (action "<kind>.<change>", entity "<kind>/<id>", SHA-256 of the record
 * bytes) and the feed entry. Returns 0 or the storage error.
 */
int ins_recio_store(ins_wtxn *t, ins_table table, const ins_key *key, const ProtobufCMessage *wire,
                    const ProtobufCMessageDescriptor *rec, const ins_change *ch);

/*
 * Decodes every record of `table`, in key order, into a new array of wire
 * messages (*out, *n). The caller frees them with ins_recio_free_all.
 * For small tables (departments, service items). Returns 0, INS_ECORRUPT,
 * ENOMEM or a storage error; on error nothing is returned.
 */
int ins_recio_collect(ins_rtxn *r, ins_table table, const ProtobufCMessageDescriptor *rec,
                      const ProtobufCMessageDescriptor *wire, ProtobufCMessage ***out, size_t *n);
/* Frees what ins_recio_collect returned. NULL is fine. */
void ins_recio_free_all(ProtobufCMessage **items, size_t n);

/* Seconds since the epoch on the store's clock. Can't fail. */
static inline int64_t ins_wtxn_unix(ins_wtxn *t)
{
    return (int64_t)(ins_wtxn_now(t) / 1000000000u);
}

#endif /* INS_RECIO_H */
