/*
 * rec_findings.c - findings in the store (see rec_findings.h).
 *
 * Keys: findings (task id, department); findings_history (task id,
 * department, version u32). A history row holds the record bytes the
 * version had as current findings.
 */
#include "rec_findings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entities.pb-c.h"
#include "ins_error.h"
#include "ins_key.h"
#include "rec_photos.h"
#include "recio.h"
#include "records.h"

static void findings_key(ins_key *k, const char *task_id, const char *department)
{
    ins_key_init(k);
    ins_key_text(k, task_id);
    ins_key_text(k, department);
}

int ins_findings_wget(ins_wtxn *t, const char *task_id, const char *department,
                      Inspect__V1__Findings **out)
{
    ins_key k;
    findings_key(&k, task_id, department);
    return ins_recio_wget(t, T_FINDINGS, &k, &inspect__rec__findings__descriptor,
                          &inspect__v1__findings__descriptor, (ProtobufCMessage **)out);
}

size_t ins_findings_missing_photos(ins_wtxn *t, const Inspect__V1__FindingsBody *b, char **out,
                                   size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_answers; i++)
        for (size_t p = 0; p < b->answers[i]->n_photo_ids && n < cap; p++) {
            char *id = b->answers[i]->photo_ids[p];
            char low[65]; /* photos are stored under lower-case hex */
            size_t k = 0;
            for (; id[k] && k < 64; k++)
                low[k] = (char)tolower((unsigned char)id[k]);
            low[k] = '\0';
            int dup = 0;
            for (size_t j = 0; j < n; j++)
                dup |= strcasecmp(out[j], id) == 0;
            if (!dup && !ins_task_photo_has(t, b->task_id, low))
                out[n++] = id;
        }
    return n;
}

/* The audit and feed description of a change to the findings of a task
 * and department; `id` holds the entity id. */
static ins_change findings_change(char id[200], const char *depts[2], const char *task_id,
                                  const char *department, const char *actor, const char *change)
{
    snprintf(id, 200, "%s/%s", task_id, department);
    depts[0] = "bureau";
    depts[1] = department;
    return (ins_change){actor, "findings", id, change, depts, 2};
}

int ins_findings_store(ins_wtxn *t, Inspect__V1__Findings *f, const char *actor)
{
    const Inspect__V1__FindingsBody *b = f->body;
    ins_key k;
    findings_key(&k, b->task_id, b->department);
    Inspect__V1__Findings *old = NULL;
    int rc = ins_recio_wget(t, T_FINDINGS, &k, &inspect__rec__findings__descriptor,
                            &inspect__v1__findings__descriptor, (ProtobufCMessage **)&old);
    if (rc && rc != INS_ENOTFOUND)
        return rc;
    f->version = old ? old->version + 1 : 1;
    char id[200];
    const char *depts[2];
    ins_change ch = findings_change(id, depts, b->task_id, b->department, actor,
                                    old ? "resubmitted" : "submitted");
    if (old) { /* the earlier version stays, under its number */
        ins_key hk;
        findings_key(&hk, b->task_id, b->department);
        ins_key_u32(&hk, (uint32_t)old->version);
        uint8_t *bytes = NULL;
        size_t len = 0;
        rc = ins_rec_encode(&old->base, &inspect__rec__findings__descriptor, &bytes, &len);
        if (rc == 0)
            rc = ins_wtxn_put(t, T_FINDINGS_HISTORY, hk.buf, hk.len, bytes, len, 0);
        free(bytes);
        protobuf_c_message_free_unpacked(&old->base, NULL);
        if (rc)
            return rc;
    }
    return ins_recio_store(t, T_FINDINGS, &k, &f->base, &inspect__rec__findings__descriptor, &ch);
}

int ins_findings_photo_arrived(ins_wtxn *t, const Inspect__V1__Task *task, const char *photo_id,
                               const char *actor)
{
    int rc = 0;
    for (size_t d = 0; rc == 0 && d < task->n_required_departments; d++) {
        const char *dept = task->required_departments[d];
        ins_key k;
        findings_key(&k, task->id, dept);
        Inspect__V1__Findings *f = NULL;
        rc = ins_recio_wget(t, T_FINDINGS, &k, &inspect__rec__findings__descriptor,
                            &inspect__v1__findings__descriptor, (ProtobufCMessage **)&f);
        if (rc) {
            rc = rc == INS_ENOTFOUND ? 0 : rc;
            continue;
        }
        char **left = malloc((f->n_missing_photos + 1) * sizeof *left);
        size_t n = 0;
        for (size_t i = 0; left && i < f->n_missing_photos; i++)
            if (strcasecmp(f->missing_photos[i], photo_id) != 0)
                left[n++] = f->missing_photos[i];
        if (!left) {
            rc = ENOMEM;
        } else if (n != f->n_missing_photos) {
            char id[200];
            const char *depts[2];
            ins_change ch = findings_change(id, depts, task->id, dept, actor, "photo_arrived");
            Inspect__V1__Findings now = *f;
            now.missing_photos = left;
            now.n_missing_photos = n;
            rc = ins_recio_store(t, T_FINDINGS, &k, &now.base, &inspect__rec__findings__descriptor,
                                 &ch);
        }
        free(left);
        protobuf_c_message_free_unpacked(&f->base, NULL);
    }
    return rc;
}

int ins_findings_raw(ins_rtxn *r, const char *task_id, const char *department, uint32_t version,
                     ins_val *out)
{
    ins_key k;
    findings_key(&k, task_id, department);
    if (version)
        ins_key_u32(&k, version);
    return ins_rtxn_get(r, version ? T_FINDINGS_HISTORY : T_FINDINGS, k.buf, k.len, out);
}

typedef struct findings_scan {
    ins_findings_fn fn;
    void *arg;
    int history;
} findings_scan;

static int findings_row(void *arg, const ins_val *key, const ins_val *val)
{
    findings_scan *s = arg;
    (void)val;
    ins_key_reader kr;
    char dept[256];
    uint32_t version = 0;
    ins_keyr_init(&kr, key->data, key->len);
    if (ins_keyr_text(&kr, NULL, 0) || ins_keyr_text(&kr, dept, sizeof dept) ||
        (s->history && ins_keyr_u32(&kr, &version)))
        return INS_ECORRUPT;
    return s->fn(s->arg, dept, version);
}

int ins_findings_scan(ins_rtxn *r, const char *task_id, int history, ins_findings_fn fn, void *arg)
{
    ins_key prefix;
    ins_key_init(&prefix);
    ins_key_text(&prefix, task_id);
    findings_scan s = {fn, arg, history};
    return ins_rtxn_scan(r, history ? T_FINDINGS_HISTORY : T_FINDINGS, prefix.buf, prefix.len, NULL,
                         0, findings_row, &s);
}
