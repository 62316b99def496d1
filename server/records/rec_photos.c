/*
 * rec_photos.c - photos in the store (see rec_photos.h).
 *
 * Keys: photos by photo id (text, 64 hex digits); task_photos (task id,
 * photo id) with empty values; uploads by upload id (text) → the 64 hex
 * digits of the photo id.
 */
#include "rec_photos.h"

#include <string.h>

#include "entities.pb-c.h"
#include "ins_blob.h"
#include "ins_error.h"
#include "ins_key.h"

static const ins_recio_kind K_PHOTOS = {T_PHOTOS, &inspect__rec__photo__descriptor,
                                        &inspect__v1__photo__descriptor};

int ins_photo_exists(ins_wtxn *t, const char *id)
{
    ins_key k;
    ins_val v;
    ins_recio_id_key(&k, id);
    return ins_wtxn_get(t, T_PHOTOS, k.buf, k.len, &v) == 0;
}

int ins_task_photo_has(ins_wtxn *t, const char *task_id, const char *id)
{
    ins_key k;
    ins_val v;
    ins_recio_id_key(&k, task_id);
    ins_key_text(&k, id);
    return ins_wtxn_get(t, T_TASK_PHOTOS, k.buf, k.len, &v) == 0;
}

int ins_photo_get(ins_rtxn *r, const char *id, Inspect__V1__Photo **out)
{
    return ins_recio_get_id(r, &K_PHOTOS, id, (ProtobufCMessage **)out);
}

int ins_photo_raw(ins_rtxn *r, const char *id, ins_val *out)
{
    return ins_recio_raw_id(r, T_PHOTOS, id, out);
}

int ins_photo_file(ins_wtxn *t, const Inspect__V1__Photo *p, const uint8_t sha256[32],
                   const char *upload_id, int *duplicate)
{
    ins_key k;
    ins_recio_id_key(&k, p->photo_id);
    *duplicate = ins_photo_exists(t, p->photo_id);
    int rc = 0;
    if (!*duplicate) {
        ins_change ch = {p->uploaded_by, "photo", p->photo_id, "stored", NULL, 0};
        rc = ins_wtxn_blob_ref(t, sha256);
        if (rc == 0)
            rc = ins_recio_store(t, T_PHOTOS, &k, &p->base, &inspect__rec__photo__descriptor, &ch);
    }
    ins_key uk, tk;
    ins_recio_id_key(&uk, upload_id);
    ins_recio_id_key(&tk, p->task_id);
    ins_key_text(&tk, p->photo_id);
    if (rc == 0)
        rc = ins_wtxn_put(t, T_UPLOADS, uk.buf, uk.len, p->photo_id, 64, 0);
    if (rc == 0)
        rc = ins_wtxn_put(t, T_TASK_PHOTOS, tk.buf, tk.len, "", 0, 0);
    return rc;
}

int ins_upload_photo(ins_rtxn *r, const char *upload_id, char photo_id[65])
{
    ins_key k;
    ins_val v;
    ins_recio_id_key(&k, upload_id);
    if (ins_rtxn_get(r, T_UPLOADS, k.buf, k.len, &v) != 0 || v.len != 64)
        return INS_ENOTFOUND;
    memcpy(photo_id, v.data, 64);
    photo_id[64] = '\0';
    return 0;
}

int ins_task_photo_scan(ins_rtxn *r, const char *task_id, ins_id_fn fn, void *arg)
{
    ins_key prefix;
    ins_recio_id_key(&prefix, task_id);
    ins_id_scan s = {fn, arg, 1};
    return ins_rtxn_scan(r, T_TASK_PHOTOS, prefix.buf, prefix.len, NULL, 0, ins_recio_id_row, &s);
}

int ins_photo_count(ins_rtxn *r, uint64_t *n)
{
    return ins_rtxn_count(r, T_PHOTOS, n);
}
