/*
 * licensing_store.c - applications in the store (see licensing_store.h).
 */
#include "licensing_store.h"

#include <stdlib.h>
#include <string.h>

#include "directory_impl.h"
#include "entities.pb-c.h"
#include "ins_error.h"
#include "records.h"

void ins_app_key(ins_key *k, const char *id)
{
    ins_key_init(k);
    ins_key_text(k, id);
}

int ins_app_wget(ins_wtxn *t, const char *id, Inspect__V1__Application **out)
{
    ins_key k;
    ins_app_key(&k, id);
    return ins_recio_wget(t, T_APPLICATIONS, &k, &inspect__rec__application__descriptor,
                          &inspect__v1__application__descriptor, (ProtobufCMessage **)out);
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
    ins_key ik;
    ins_dir_key_item(&ik, a->service_item);
    Inspect__V1__ServiceItem *item = NULL;
    rc = ins_recio_wget(t, T_ITEMS, &ik, &inspect__rec__service_item__descriptor,
                        &inspect__v1__service_item__descriptor, (ProtobufCMessage **)&item);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    const char *depts[16];
    size_t n = 0;
    for (size_t i = 0; item && i < item->n_departments && n < 16; i++)
        depts[n++] = item->departments[i]->department;
    ins_key k;
    ins_app_key(&k, a->id);
    ins_change ch = {actor, "application", a->id, change, depts, n};
    rc = ins_recio_store(t, T_APPLICATIONS, &k, &a->base, &inspect__rec__application__descriptor,
                         &ch);
    if (item)
        protobuf_c_message_free_unpacked(&item->base, NULL);
    return rc;
}
