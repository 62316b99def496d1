/*
 * rec_photos.h - photos in the store: the photo record (content addressed
 * by its hex SHA-256, immutable once stored), the task's list of photos and
 * the finished uploads (upload id → photo id), so an upload whose answer was
 * lost is answered again. The bytes are in the blob store (ins_blob.h); a
 * photo record holds a reference to them. Used by Field (UploadPhoto,
 * GetUploadStatus, SubmitFindings through rec_findings), Departments
 * (GetPhoto) and the dossier export.
 *
 * Errors, ownership and the get/wget forms as in rec_directory.h.
 */
#ifndef INS_REC_PHOTOS_H
#define INS_REC_PHOTOS_H

#include <stdint.h>

#include "inspect/v1/field.pb-c.h"
#include "ins_store.h"
#include "recio.h"

/* Non-zero when photo `id` (lower-case hex SHA-256) is stored. Can't fail:
 * a read error counts as "not stored". */
int ins_photo_exists(ins_wtxn *t, const char *id);

/* Non-zero when photo `id` (lower-case hex SHA-256) was uploaded for task
 * `task_id`: a photo is evidence only for the task it was taken for, even
 * when the same bytes are stored for another. Can't fail: a read error
 * counts as "not uploaded". */
int ins_task_photo_has(ins_wtxn *t, const char *task_id, const char *id);

/* Reads photo `id` (caller frees *out). */
int ins_photo_get(ins_rtxn *r, const char *id, Inspect__V1__Photo **out);

/* The stored record bytes of photo `id`, borrowed from the snapshot: valid
 * until ins_rtxn_end(r). Returns 0, INS_ENOTFOUND or an LMDB error. */
int ins_photo_raw(ins_rtxn *r, const char *id, ins_val *out);

/*
 * Files a finished upload: unless photo p->photo_id is stored already
 * (*duplicate set), the photo record with a reference to its blob `sha256`,
 * audit entry "photo.stored" by p->uploaded_by and a feed entry visible to
 * everyone; in every case the upload row (`upload_id` → photo id) and the
 * row of the photo in task p->task_id's list. Returns 0 or a storage error.
 */
int ins_photo_file(ins_wtxn *t, const Inspect__V1__Photo *p, const uint8_t sha256[32],
                   const char *upload_id, int *duplicate);

/* Copies into photo_id[0..65) the photo that finished upload `upload_id`.
 * Returns 0 or INS_ENOTFOUND (not finished, or unreadable). */
int ins_upload_photo(ins_rtxn *r, const char *upload_id, char photo_id[65]);

/* Calls `fn` with the id of every photo of task `task_id`, in id order.
 * Returns what `fn` stopped with, 0, INS_ECORRUPT or an LMDB error. */
int ins_task_photo_scan(ins_rtxn *r, const char *task_id, ins_id_fn fn, void *arg);

/* Photos stored (entries of the photos table, constant time). Returns 0 or
 * a storage error. */
int ins_photo_count(ins_rtxn *r, uint64_t *n);

#endif /* INS_REC_PHOTOS_H */
