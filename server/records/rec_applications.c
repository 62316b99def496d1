/*
 * rec_applications.c - applications in the store (see rec_applications.h).
 *
 * Keys: applications by id; apps_by_stage (stage u32, id), apps_by_town
 * (town, id), apps_by_item (service item, id), each with an empty value.
 */
#include "rec_applications.h"

#include <stdlib.h>
#include <string.h>

#include "entities.pb-c.h"
#include "ins_error.h"
#include "ins_key.h"
#include "rec_directory.h"
#include "records.h"

static const ins_recio_kind K_APPLICATIONS = {
    T_APPLICATIONS, &inspect__rec__application__descriptor, &inspect__v1__application__descriptor};

int ins_app_wget(ins_wtxn *t, const char *id, Inspect__V1__Application **out)
{
    return ins_recio_wget_id(t, &K_APPLICATIONS, id, (ProtobufCMessage **)out);
}

int ins_app_get(ins_rtxn *r, const char *id, Inspect__V1__Application **out)
{
    return ins_recio_get_id(r, &K_APPLICATIONS, id, (ProtobufCMessage **)out);
}

int ins_app_raw(ins_rtxn *r, const char *id, ins_val *out)
{
    return ins_recio_raw_id(r, T_APPLICATIONS, id, out);
}

typedef struct app_scan {
    ins_id_fn fn;
    void *arg;
    int has_prefix; /* index keys lead with: 0 nothing, 1 a u32, 2 a text */
} app_scan;

static int app_row(void *arg, const ins_val *key, const ins_val *val)
{
    app_scan *s = arg;
    (void)val;
    ins_key_reader kr;
    uint32_t u32;
    ins_keyr_init(&kr, key->data, key->len);
    int rc = 0;
    if (s->has_prefix == 1)
        rc = ins_keyr_u32(&kr, &u32);
    else if (s->has_prefix == 2)
        rc = ins_keyr_text(&kr, NULL, 0);
    char buf[256];
    if (rc || ins_keyr_text(&kr, buf, sizeof buf))
        return INS_ECORRUPT;
    return s->fn(s->arg, buf);
}

int ins_app_scan(ins_rtxn *r, const char *service_item, int stage, const char *town,
                 const char *from, ins_id_fn fn, void *arg)
{
    ins_key prefix, start;
    ins_key_init(&prefix);
    ins_table table = T_APPLICATIONS;
    app_scan s = {fn, arg, 0};
    if (service_item && service_item[0]) {
        table = T_APPS_BY_ITEM;
        ins_key_text(&prefix, service_item);
        s.has_prefix = 2;
    } else if (stage) {
        table = T_APPS_BY_STAGE;
        ins_key_u32(&prefix, (uint32_t)stage);
        s.has_prefix = 1;
    } else if (town && town[0]) {
        table = T_APPS_BY_TOWN;
        ins_key_text(&prefix, town);
        s.has_prefix = 2;
    }
    start = prefix;
    if (from)
        ins_key_text(&start, from);
    if (ins_key_err(&start))
        return INS_EINVAL;
    return ins_rtxn_scan(r, table, prefix.buf, prefix.len, from ? start.buf : NULL,
                         from ? start.len : 0, app_row, &s);
}

/* Adds (put = 1) or removes the index rows of `a`. */
static int index_rows(ins_wtxn *t, const Inspect__V1__Application *a, int put)
{
    ins_key k[3];
    ins_table tables[3] = {T_APPS_BY_STAGE, T_APPS_BY_TOWN, T_APPS_BY_ITEM};
    for (int i = 0; i < 3; i++)
        ins_key_init(&k[i]);
    ins_key_u32(&k[0], (uint32_t)a->stage);
    ins_key_text(&k[1], a->town);
    ins_key_text(&k[2], a->service_item);
    for (int i = 0; i < 3; i++) {
        ins_key_text(&k[i], a->id);
        int rc = put ? ins_wtxn_put(t, tables[i], k[i].buf, k[i].len, "", 0, 0)
                     : ins_wtxn_del(t, tables[i], k[i].buf, k[i].len);
        if (rc && !(rc == INS_ENOTFOUND && !put))
            return rc;
    }
    return 0;
}

int ins_app_write(ins_wtxn *t, const Inspect__V1__Application *a,
                  const Inspect__V1__Application *old, const char *actor, const char *change)
{
    int rc = old ? index_rows(t, old, 0) : 0;
    if (rc == 0)
        rc = index_rows(t, a, 1);
    if (rc)
        return rc;
    /* The feed entry is visible to the departments the item requires. */
    Inspect__V1__ServiceItem *item = NULL;
    rc = ins_item_wget(t, a->service_item, &item);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    const char *depts[16];
    size_t n = 0;
    for (size_t i = 0; item && i < item->n_departments && n < 16; i++)
        depts[n++] = item->departments[i]->department;
    ins_key k;
    ins_recio_id_key(&k, a->id);
    ins_change ch = {actor, "application", a->id, change, depts, n};
    rc = ins_recio_store(t, T_APPLICATIONS, &k, &a->base, &inspect__rec__application__descriptor,
                         &ch);
    if (item)
        protobuf_c_message_free_unpacked(&item->base, NULL);
    return rc;
}
