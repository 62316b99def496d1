/*
 * rec_directory.c - the directory's records (see rec_directory.h).
 *
 * Keys: departments, inspectors and items by their code or id (text);
 * templates by (id, version u32), so a prefix scan of an id walks its
 * versions in order and the last row is the latest; calendars by year (u32);
 * the inspectors' index by (department, id) with empty values.
 */
#include "rec_directory.h"

#include <stdio.h>
#include <string.h>

#include "entities.pb-c.h"
#include "ins_error.h"
#include "ins_key.h"
#include "recio.h"
#include "records.h"

static void template_key(ins_key *k, const char *id, uint32_t version)
{
    ins_key_init(k);
    ins_key_text(k, id);
    if (version)
        ins_key_u32(k, version);
}

static void calendar_key(ins_key *k, int32_t year)
{
    ins_key_init(k);
    ins_key_u32(k, (uint32_t)year);
}

static void by_dept_key(ins_key *k, const char *dept, const char *id)
{
    ins_key_init(k);
    ins_key_text(k, dept);
    if (id)
        ins_key_text(k, id);
}

static void by_town_key(ins_key *k, const char *dept, const char *town, const char *id)
{
    ins_key_init(k);
    ins_key_text(k, dept);
    ins_key_text(k, town);
    if (id)
        ins_key_text(k, id);
}

/* Deletes (put = 0) or writes the town index rows of `in`. */
static int town_rows(ins_wtxn *t, const Inspect__V1__Inspector *in, int put)
{
    for (size_t i = 0; i < in->n_towns; i++) {
        ins_key k;
        by_town_key(&k, in->department, in->towns[i], in->id);
        int rc = put ? ins_wtxn_put(t, T_INSPECTORS_BY_TOWN, k.buf, k.len, "", 0, 0)
                     : ins_wtxn_del(t, T_INSPECTORS_BY_TOWN, k.buf, k.len);
        if (rc && rc != INS_ENOTFOUND)
            return rc;
    }
    return 0;
}

/* ---- departments ---- */

static const ins_recio_kind K_DEPARTMENTS = {T_DEPARTMENTS, &inspect__rec__department__descriptor,
                                             &inspect__v1__department__descriptor};
static const ins_recio_kind K_INSPECTORS = {T_INSPECTORS, &inspect__rec__inspector__descriptor,
                                            &inspect__v1__inspector__descriptor};
static const ins_recio_kind K_ITEMS = {T_ITEMS, &inspect__rec__service_item__descriptor,
                                       &inspect__v1__service_item__descriptor};
static const ins_recio_kind K_REVOCATIONS = {T_REVOCATIONS,
                                             &inspect__rec__token_revocation__descriptor,
                                             &inspect__v1__token_revocation__descriptor};

int ins_department_exists(ins_wtxn *t, const char *code)
{
    ins_key k;
    ins_val v;
    ins_recio_id_key(&k, code);
    return ins_wtxn_get(t, T_DEPARTMENTS, k.buf, k.len, &v) == 0;
}

int ins_department_get(ins_rtxn *r, const char *code, Inspect__V1__Department **out)
{
    return ins_recio_get_id(r, &K_DEPARTMENTS, code, (ProtobufCMessage **)out);
}

int ins_department_wget(ins_wtxn *t, const char *code, Inspect__V1__Department **out)
{
    return ins_recio_wget_id(t, &K_DEPARTMENTS, code, (ProtobufCMessage **)out);
}

int ins_department_put(ins_wtxn *t, const Inspect__V1__Department *d, const char *actor,
                       const char *change)
{
    ins_key k;
    ins_recio_id_key(&k, d->code);
    ins_change ch = {actor, "department", d->code, change, NULL, 0};
    return ins_recio_store(t, T_DEPARTMENTS, &k, &d->base, &inspect__rec__department__descriptor,
                           &ch);
}

int ins_department_list(ins_rtxn *r, Inspect__V1__Department ***out, size_t *n)
{
    return ins_recio_collect(r, T_DEPARTMENTS, &inspect__rec__department__descriptor,
                             &inspect__v1__department__descriptor, (ProtobufCMessage ***)out, n);
}

typedef struct bureau {
    char *code;
    size_t len;
} bureau;

static int find_bureau(void *arg, const ins_val *key, const ins_val *val)
{
    bureau *b = arg;
    (void)key;
    Inspect__V1__Department *d = NULL;
    if (ins_rec_decode(val->data, val->len, &inspect__rec__department__descriptor,
                       &inspect__v1__department__descriptor, (ProtobufCMessage **)&d) != 0)
        return 0;
    int found = d->kind == INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_BUREAU;
    if (found)
        snprintf(b->code, b->len, "%s", d->code);
    protobuf_c_message_free_unpacked(&d->base, NULL);
    return found;
}

int ins_department_bureau(ins_wtxn *t, char *code, size_t len)
{
    bureau b = {code, len};
    int rc = ins_wtxn_scan(t, T_DEPARTMENTS, NULL, 0, NULL, 0, find_bureau, &b);
    return rc == 1 ? 0 : rc ? rc : INS_ENOTFOUND;
}

/* ---- inspectors ---- */

int ins_inspector_get(ins_rtxn *r, const char *id, Inspect__V1__Inspector **out)
{
    return ins_recio_get_id(r, &K_INSPECTORS, id, (ProtobufCMessage **)out);
}

int ins_inspector_wget(ins_wtxn *t, const char *id, Inspect__V1__Inspector **out)
{
    return ins_recio_wget_id(t, &K_INSPECTORS, id, (ProtobufCMessage **)out);
}

int ins_inspector_put(ins_wtxn *t, const Inspect__V1__Inspector *in,
                      const Inspect__V1__Inspector *old, const char *actor, const char *change)
{
    ins_key k, idx;
    int rc = 0;
    if (old && strcmp(old->department, in->department) != 0) {
        by_dept_key(&idx, old->department, in->id);
        rc = ins_wtxn_del(t, T_INSPECTORS_BY_DEPT, idx.buf, idx.len);
    }
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    by_dept_key(&idx, in->department, in->id);
    rc = ins_wtxn_put(t, T_INSPECTORS_BY_DEPT, idx.buf, idx.len, "", 0, 0);
    if (rc == 0 && old)
        rc = town_rows(t, old, 0);
    if (rc == 0)
        rc = town_rows(t, in, 1);
    if (rc)
        return rc;
    const char *dept = in->department;
    ins_change ch = {actor, "inspector", in->id, change, &dept, 1};
    ins_recio_id_key(&k, in->id);
    return ins_recio_store(t, T_INSPECTORS, &k, &in->base, &inspect__rec__inspector__descriptor,
                           &ch);
}

int ins_inspector_scan(ins_rtxn *r, const char *department, const char *from, ins_id_fn fn,
                       void *arg)
{
    ins_key prefix, start;
    if (!department) {
        ins_id_scan s = {fn, arg, 0};
        ins_recio_id_key(&start, from ? from : "");
        return ins_rtxn_scan(r, T_INSPECTORS, NULL, 0, from ? start.buf : NULL,
                             from ? start.len : 0, ins_recio_id_row, &s);
    }
    ins_id_scan s = {fn, arg, 1};
    by_dept_key(&prefix, department, NULL);
    by_dept_key(&start, department, from);
    return ins_rtxn_scan(r, T_INSPECTORS_BY_DEPT, prefix.buf, prefix.len, from ? start.buf : NULL,
                         from ? start.len : 0, ins_recio_id_row, &s);
}

int ins_inspector_wscan(ins_wtxn *t, const char *department, ins_id_fn fn, void *arg)
{
    ins_key prefix;
    ins_id_scan s = {fn, arg, 1};
    by_dept_key(&prefix, department, NULL);
    return ins_wtxn_scan(t, T_INSPECTORS_BY_DEPT, prefix.buf, prefix.len, NULL, 0, ins_recio_id_row,
                         &s);
}

int ins_inspector_wscan_town(ins_wtxn *t, const char *department, const char *town, ins_id_fn fn,
                             void *arg)
{
    ins_key prefix;
    ins_id_scan s = {fn, arg, 2};
    by_town_key(&prefix, department, town, NULL);
    return ins_wtxn_scan(t, T_INSPECTORS_BY_TOWN, prefix.buf, prefix.len, NULL, 0, ins_recio_id_row,
                         &s);
}

/* One inspector record of an older store: its town index rows. */
static int index_one(void *arg, const ins_val *key, const ins_val *val)
{
    ins_wtxn *t = arg;
    (void)key;
    Inspect__V1__Inspector *in = NULL;
    int rc = ins_rec_decode(val->data, val->len, &inspect__rec__inspector__descriptor,
                            &inspect__v1__inspector__descriptor, (ProtobufCMessage **)&in);
    if (rc == 0)
        rc = town_rows(t, in, 1);
    if (in)
        protobuf_c_message_free_unpacked(&in->base, NULL);
    return rc;
}

int ins_inspector_index_towns(ins_wtxn *t, void *arg)
{
    (void)arg;
    return ins_wtxn_scan(t, T_INSPECTORS, NULL, 0, NULL, 0, index_one, t);
}

/* ---- service items ---- */

int ins_item_get(ins_rtxn *r, const char *code, Inspect__V1__ServiceItem **out)
{
    return ins_recio_get_id(r, &K_ITEMS, code, (ProtobufCMessage **)out);
}

int ins_item_wget(ins_wtxn *t, const char *code, Inspect__V1__ServiceItem **out)
{
    return ins_recio_wget_id(t, &K_ITEMS, code, (ProtobufCMessage **)out);
}

int ins_item_put(ins_wtxn *t, const Inspect__V1__ServiceItem *it, const char *actor,
                 const char *change)
{
    ins_key k;
    ins_recio_id_key(&k, it->code);
    ins_change ch = {actor, "service_item", it->code, change, NULL, 0};
    return ins_recio_store(t, T_ITEMS, &k, &it->base, &inspect__rec__service_item__descriptor, &ch);
}

int ins_item_list(ins_rtxn *r, Inspect__V1__ServiceItem ***out, size_t *n)
{
    return ins_recio_collect(r, T_ITEMS, &inspect__rec__service_item__descriptor,
                             &inspect__v1__service_item__descriptor, (ProtobufCMessage ***)out, n);
}

/* ---- templates ---- */

int ins_template_get(ins_rtxn *r, const char *id, uint32_t version, Inspect__V1__Template **out)
{
    ins_key k;
    template_key(&k, id, version);
    return ins_recio_get(r, T_TEMPLATES, &k, &inspect__rec__template__descriptor,
                         &inspect__v1__template__descriptor, (ProtobufCMessage **)out);
}

/* Keeps the last (highest-version) row of a template's prefix scan. */
static int keep_last(void *arg, const ins_val *key, const ins_val *val)
{
    ins_val *last = arg;
    (void)key;
    *last = *val;
    return 0;
}

int ins_template_latest(ins_rtxn *r, ins_wtxn *t, const char *id, Inspect__V1__Template **out)
{
    ins_key prefix;
    ins_val last = {NULL, 0};
    template_key(&prefix, id, 0);
    int rc = r ? ins_rtxn_scan(r, T_TEMPLATES, prefix.buf, prefix.len, NULL, 0, keep_last, &last)
               : ins_wtxn_scan(t, T_TEMPLATES, prefix.buf, prefix.len, NULL, 0, keep_last, &last);
    if (rc)
        return rc;
    if (!last.data)
        return INS_ENOTFOUND;
    return ins_rec_decode(last.data, last.len, &inspect__rec__template__descriptor,
                          &inspect__v1__template__descriptor, (ProtobufCMessage **)out);
}

int ins_template_pinned(ins_rtxn *r, ins_wtxn *t, const Inspect__V1__TemplateRef *ref,
                        Inspect__V1__Template **out)
{
    ins_key k;
    template_key(&k, ref->template_id, ref->version);
    if (r)
        return ins_recio_get(r, T_TEMPLATES, &k, &inspect__rec__template__descriptor,
                             &inspect__v1__template__descriptor, (ProtobufCMessage **)out);
    return ins_recio_wget(t, T_TEMPLATES, &k, &inspect__rec__template__descriptor,
                          &inspect__v1__template__descriptor, (ProtobufCMessage **)out);
}

const Inspect__V1__TemplateRef *ins_template_ref(const Inspect__V1__Task *task,
                                                 const char *department)
{
    for (size_t i = 0; i < task->n_templates; i++)
        if (strcmp(task->templates[i]->department, department) == 0)
            return task->templates[i];
    return NULL;
}

int ins_template_put(ins_wtxn *t, const Inspect__V1__Template *tpl, const char *actor)
{
    ins_key k;
    template_key(&k, tpl->id, tpl->version);
    char id[300];
    snprintf(id, sizeof id, "%s@%u", tpl->id, tpl->version);
    const char *dept = tpl->department;
    ins_change ch = {actor, "template", id, "published", &dept, 1};
    return ins_recio_store(t, T_TEMPLATES, &k, &tpl->base, &inspect__rec__template__descriptor,
                           &ch);
}

/* ---- calendars ---- */

int ins_calendar_get(ins_rtxn *r, int32_t year, Inspect__V1__Calendar **out)
{
    ins_key k;
    calendar_key(&k, year);
    return ins_recio_get(r, T_CALENDARS, &k, &inspect__rec__calendar__descriptor,
                         &inspect__v1__calendar__descriptor, (ProtobufCMessage **)out);
}

int ins_calendar_wget(ins_wtxn *t, int32_t year, Inspect__V1__Calendar **out)
{
    ins_key k;
    calendar_key(&k, year);
    return ins_recio_wget(t, T_CALENDARS, &k, &inspect__rec__calendar__descriptor,
                          &inspect__v1__calendar__descriptor, (ProtobufCMessage **)out);
}

int ins_calendar_put(ins_wtxn *t, const Inspect__V1__Calendar *cal, const char *actor)
{
    ins_key k;
    calendar_key(&k, cal->year);
    char id[16];
    snprintf(id, sizeof id, "%d", (int)cal->year);
    ins_change ch = {actor, "calendar", id, "replaced", NULL, 0};
    return ins_recio_store(t, T_CALENDARS, &k, &cal->base, &inspect__rec__calendar__descriptor,
                           &ch);
}

/* ---- token revocations ---- */

int ins_revocation_get(ins_rtxn *r, const char *principal, Inspect__V1__TokenRevocation **out)
{
    return ins_recio_get_id(r, &K_REVOCATIONS, principal, (ProtobufCMessage **)out);
}

int ins_revocation_wget(ins_wtxn *t, const char *principal, Inspect__V1__TokenRevocation **out)
{
    return ins_recio_wget_id(t, &K_REVOCATIONS, principal, (ProtobufCMessage **)out);
}

int ins_revocation_put(ins_wtxn *t, const Inspect__V1__TokenRevocation *rv, const char *actor,
                       const char *change)
{
    ins_key k;
    char lead[64];
    const char *visible[1] = {lead};
    int have_bureau = ins_department_bureau(t, lead, sizeof lead) == 0;
    ins_recio_id_key(&k, rv->principal);
    ins_change ch = {actor,  "token_revocation",           rv->principal,
                     change, have_bureau ? visible : NULL, have_bureau ? 1 : 0};
    return ins_recio_store(t, T_REVOCATIONS, &k, &rv->base,
                           &inspect__rec__token_revocation__descriptor, &ch);
}
