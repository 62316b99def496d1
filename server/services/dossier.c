/*
 * dossier.c - Audit.ExportDossier: one tar archive (libarchive, pax format)
 * holding everything about one application, streamed in chunks of at most
 * 64 KiB, which `inspectctl dossier verify` checks offline.
 *
 * Contents, in archive order:
 *   application.json, records/application/<id>.pb
 *   tasks/<task>.json, records/task/<task>.pb                     each task
 *   findings/<task>/<dept>.json, records/findings/<task>/<dept>.pb current
 *   findings/<task>/<dept>.v<N>.json, records/findings/...v<N>.pb  earlier
 *   photos/<sha>.json, records/photo/<sha>.pb, photos/<sha>.<ext>  each photo
 *   reports/<id>.json, records/report/<id>.pb                      each report
 *   audit.json     every audit entry of those entities, in sequence order
 *   manifest.json  every file above with size and SHA-256, the entity of each
 *                  record file, and the audit chain head at export time
 *   manifest.sha256  SHA-256 of manifest.json, so a changed byte in the
 *                  manifest is named too
 * The records/…pb files are the exact stored record bytes: each one's SHA-256
 * is the record_sha256 of its entity's newest audit entry (of one of its
 * entries, for earlier findings versions), and every audit entry's hash can
 * be recomputed from its fields in audit.json (common/ins_chain.h has the rule).
 *
 * Consistency and memory. Everything but the photo bytes is read in ONE
 * read snapshot when the call starts: the record bytes of the case (a few
 * KiB each), the audit entries of its entities, the chain head. A commit
 * during the export can therefore not tear the dossier. Photos are content
 * addressed and immutable, so their bytes are read later, 64 KiB at a time,
 * while the archive is written. The archive is produced incrementally: a
 * step writes one file (or one photo piece) into the output buffer through
 * libarchive's write callback, the buffer is sent in chunks, and the next
 * step runs only once the buffer has drained below one chunk — so memory is
 * the case's records plus about two chunks, whatever the photos weigh. JSON
 * files are printed from the record bytes when their turn comes, with the
 * project's one JSON codec (common/ins_pbjson.h: 64-bit integers as strings,
 * bytes as base64), the same one `inspectctl` prints with.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "ins_sha256.h"
#include "ctx.h"
#include "audit_impl.h"
#include "ins_blob.h"
#include "ins_chain.h"
#include "ins_error.h"
#include "ins_hex.h"
#include "ins_pbjson.h"
#include "inspect/v1/audit.pb-c.h"
#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "rec_applications.h"
#include "rec_audit.h"
#include "rec_findings.h"
#include "rec_photos.h"
#include "rec_reports.h"
#include "rec_tasks.h"

#define CHUNK       (64 * 1024)
#define PHOTO_PIECE (64 * 1024)

typedef enum file_kind {
    F_RECORD, /* raw record bytes */
    F_JSON,   /* a record printed as JSON */
    F_PHOTO,  /* photo bytes from the blob store */
    F_TEXT,   /* bytes built at plan time (audit.json) */
} file_kind;

typedef struct dfile {
    file_kind kind;
    char *path;
    char *entity;     /* "kind/id": records and their JSON */
    uint32_t version; /* earlier findings versions; 0 for current */
    uint8_t *raw;     /* F_RECORD, F_TEXT: owned; F_JSON: the record's */
    size_t raw_len;
    const ProtobufCMessageDescriptor *desc; /* F_JSON */
    uint8_t sha[32];                        /* F_PHOTO: its id */
    uint64_t size;                          /* F_PHOTO */
} dfile;

/* A row of the manifest, filled as each file is written. */
typedef struct mrow {
    uint64_t size;
    uint8_t sha[32];
} mrow;

typedef struct dossier {
    ins_store *s;
    char app_id[256];
    int64_t exported_unix;
    dfile *files;
    size_t n_files, cap_files;
    mrow *rows;
    char **entities; /* whose audit entries go into audit.json */
    size_t n_entities, cap_entities;
    ins_aud_entry head;
    /* writing */
    struct archive *ar;
    size_t next;        /* index of the file being written */
    int in_photo;       /* a photo's header is written, its bytes go on */
    uint64_t photo_off; /* bytes of it written */
    EVP_MD_CTX *md;     /* SHA-256 of the file being written */
    uint8_t *piece;     /* PHOTO_PIECE buffer */
    int manifest_done, closed, finished, sending;
    uint8_t manifest_sha[32];
    /* the output not yet sent */
    uint8_t *out;
    size_t out_len, out_cap;
    int out_err;
} dossier;

/* ---- plan (one snapshot) ---------------------------------------------------- */

static void safe_name(char *out, size_t cap, const char *in)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++) {
        char c = *in;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '@' || c == '+' || (c == '.' && n > 0);
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n == 0 && cap > 1)
        snprintf(out, cap, "_");
}

static dfile *add_file(dossier *d, file_kind kind, const char *path)
{
    if (d->n_files == d->cap_files) {
        size_t cap = d->cap_files ? d->cap_files * 2 : 32;
        dfile *p = realloc(d->files, cap * sizeof *p);
        if (!p)
            return NULL;
        d->files = p;
        d->cap_files = cap;
    }
    dfile *f = &d->files[d->n_files];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->path = strdup(path);
    if (!f->path)
        return NULL;
    d->n_files++;
    return f;
}

static int add_entity(dossier *d, const char *entity)
{
    for (size_t i = 0; i < d->n_entities; i++)
        if (strcmp(d->entities[i], entity) == 0)
            return 0;
    if (d->n_entities == d->cap_entities) {
        size_t cap = d->cap_entities ? d->cap_entities * 2 : 32;
        char **p = realloc(d->entities, cap * sizeof *p);
        if (!p)
            return ENOMEM;
        d->entities = p;
        d->cap_entities = cap;
    }
    if (!(d->entities[d->n_entities] = strdup(entity)))
        return ENOMEM;
    d->n_entities++;
    return 0;
}

/*
 * Adds the stored record bytes `v` (read by a record module's raw read;
 * `rc` is what it returned) as records/<rec_path>.pb and, printed as
 * `desc`, as <json_path>.json. `entity` is its audit entity. Returns 0,
 * `rc` when it is not 0 (INS_ENOTFOUND, LMDB errors), ENOMEM.
 */
static int add_record(dossier *d, int rc, const ins_val *vp, const char *entity, uint32_t version,
                      const ProtobufCMessageDescriptor *desc, const char *json_path,
                      const char *rec_path)
{
    if (rc)
        return rc;
    const ins_val v = *vp;
    char path[1200];
    snprintf(path, sizeof path, "records/%s.pb", rec_path);
    dfile *rf = add_file(d, F_RECORD, path);
    if (!rf || !(rf->raw = malloc(v.len ? v.len : 1)) || !(rf->entity = strdup(entity)))
        return ENOMEM;
    memcpy(rf->raw, v.data, v.len);
    rf->raw_len = v.len;
    rf->version = version;
    uint8_t *raw = rf->raw;
    size_t raw_len = rf->raw_len;
    snprintf(path, sizeof path, "%s.json", json_path);
    dfile *jf = add_file(d, F_JSON, path);
    if (!jf || !(jf->entity = strdup(entity)))
        return ENOMEM;
    jf->raw = raw;
    jf->raw_len = raw_len;
    jf->desc = desc;
    jf->version = version;
    /* the JSON is written first: swap the two */
    dfile tmp = d->files[d->n_files - 1];
    d->files[d->n_files - 1] = d->files[d->n_files - 2];
    d->files[d->n_files - 2] = tmp;
    return version ? 0 : add_entity(d, entity);
}

/* Collects the names (and versions, for the findings history) a record
 * module's scan passes on: departments, task ids or photo ids. */
typedef struct keys_ctx {
    char (*names)[256];
    uint32_t *versions;
    size_t n, cap;
    int err;
} keys_ctx;

static int keep_name(void *arg, const char *name, uint32_t version)
{
    keys_ctx *kc = arg;
    if (kc->n == kc->cap) {
        size_t cap = kc->cap ? kc->cap * 2 : 16;
        char(*p)[256] = realloc(kc->names, cap * sizeof *p);
        uint32_t *vp = p ? realloc(kc->versions, cap * sizeof *vp) : NULL;
        if (p)
            kc->names = p;
        if (!vp)
            return kc->err = ENOMEM;
        kc->versions = vp;
        kc->cap = cap;
    }
    snprintf(kc->names[kc->n], 256, "%s", name);
    kc->versions[kc->n] = version;
    kc->n++;
    return 0;
}

static int keep_id(void *arg, const char *id)
{
    return keep_name(arg, id, 0);
}

/* What a scan into `kc` returned: `rc`, or the error keep_name stopped it
 * with. */
static int keys_done(const keys_ctx *kc, int rc)
{
    return kc->err ? kc->err : rc;
}

static void keys_free(keys_ctx *kc)
{
    free(kc->names);
    free(kc->versions);
}

static const char *photo_ext(const char *media_type)
{
    static const struct {
        const char *type, *ext;
    } map[] = {{"image/jpeg", "jpg"},      {"image/png", "png"},   {"image/heic", "heic"},
               {"image/heif", "heif"},     {"image/webp", "webp"}, {"image/tiff", "tif"},
               {"application/pdf", "pdf"}, {"video/mp4", "mp4"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (media_type && strcasecmp(media_type, map[i].type) == 0)
            return map[i].ext;
    return "bin";
}

static int unhex32(const char *s, uint8_t out[32])
{
    if (strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int add_photo(dossier *d, ins_rtxn *r, const char *photo_id)
{
    char entity[300], sname[256], path[600];
    snprintf(entity, sizeof entity, "photo/%s", photo_id);
    for (size_t i = 0; i < d->n_entities; i++)
        if (strcmp(d->entities[i], entity) == 0)
            return 0; /* already in, from another task */
    safe_name(sname, sizeof sname, photo_id);
    snprintf(path, sizeof path, "photos/%s", sname);
    char rec[300];
    snprintf(rec, sizeof rec, "photo/%s", sname);
    ins_val v;
    int rc = add_record(d, ins_photo_raw(r, photo_id, &v), &v, entity, 0,
                        &inspect__v1__photo__descriptor, path, rec);
    if (rc == INS_ENOTFOUND)
        return 0; /* referenced by the task, not stored (yet) */
    if (rc)
        return rc;
    const dfile *rf = &d->files[d->n_files - 1];
    Inspect__V1__Photo *p = (Inspect__V1__Photo *)protobuf_c_message_unpack(
        &inspect__v1__photo__descriptor, NULL, rf->raw_len, rf->raw);
    if (!p)
        return INS_ECORRUPT;
    snprintf(path, sizeof path, "photos/%s.%s", sname, photo_ext(p->media_type));
    uint8_t sha[32];
    rc = unhex32(photo_id, sha);
    protobuf_c_message_free_unpacked(&p->base, NULL);
    if (rc)
        return INS_ECORRUPT;
    uint64_t size = 0;
    rc = ins_blob_stat(d->s, sha, &size);
    if (rc)
        return rc == INS_ENOTFOUND ? INS_ECORRUPT : rc;
    dfile *f = add_file(d, F_PHOTO, path);
    if (!f || !(f->entity = strdup(entity)))
        return ENOMEM;
    memcpy(f->sha, sha, 32);
    f->size = size;
    return 0;
}

static int add_task(dossier *d, ins_rtxn *r, const char *task_id)
{
    char entity[600], sname[256], sdept[256], json[800], rec[800];
    safe_name(sname, sizeof sname, task_id);
    snprintf(entity, sizeof entity, "task/%s", task_id);
    snprintf(json, sizeof json, "tasks/%s", sname);
    snprintf(rec, sizeof rec, "task/%s", sname);
    ins_val v;
    int rc = add_record(d, ins_task_raw(r, task_id, &v), &v, entity, 0,
                        &inspect__v1__task__descriptor, json, rec);
    if (rc)
        return rc == INS_ENOTFOUND ? 0 : rc; /* index row without a task: nothing to add */

    keys_ctx kc = {0};
    rc = keys_done(&kc, ins_findings_scan(r, task_id, 0, keep_name, &kc));
    for (size_t i = 0; rc == 0 && i < kc.n; i++) {
        safe_name(sdept, sizeof sdept, kc.names[i]);
        snprintf(entity, sizeof entity, "findings/%s/%s", task_id, kc.names[i]);
        snprintf(json, sizeof json, "findings/%s/%s", sname, sdept);
        snprintf(rec, sizeof rec, "findings/%s/%s", sname, sdept);
        rc = add_record(d, ins_findings_raw(r, task_id, kc.names[i], 0, &v), &v, entity, 0,
                        &inspect__v1__findings__descriptor, json, rec);
    }
    keys_free(&kc);
    if (rc)
        return rc;

    kc = (keys_ctx){0};
    rc = keys_done(&kc, ins_findings_scan(r, task_id, 1, keep_name, &kc));
    for (size_t i = 0; rc == 0 && i < kc.n; i++) {
        safe_name(sdept, sizeof sdept, kc.names[i]);
        snprintf(entity, sizeof entity, "findings/%s/%s", task_id, kc.names[i]);
        snprintf(json, sizeof json, "findings/%s/%s.v%" PRIu32, sname, sdept, kc.versions[i]);
        snprintf(rec, sizeof rec, "findings/%s/%s.v%" PRIu32, sname, sdept, kc.versions[i]);
        rc = add_record(d, ins_findings_raw(r, task_id, kc.names[i], kc.versions[i], &v), &v,
                        entity, kc.versions[i], &inspect__v1__findings__descriptor, json, rec);
    }
    keys_free(&kc);
    if (rc)
        return rc;

    kc = (keys_ctx){0};
    rc = keys_done(&kc, ins_task_photo_scan(r, task_id, keep_id, &kc));
    for (size_t i = 0; rc == 0 && i < kc.n; i++)
        rc = add_photo(d, r, kc.names[i]);
    keys_free(&kc);
    if (rc)
        return rc;

    char rid[300];
    ins_report_id(task_id, rid);
    safe_name(sname, sizeof sname, rid);
    snprintf(entity, sizeof entity, "report/%s", rid);
    snprintf(json, sizeof json, "reports/%s", sname);
    snprintf(rec, sizeof rec, "report/%s", sname);
    rc = add_record(d, ins_report_raw(r, rid, &v), &v, entity, 0, &inspect__v1__report__descriptor,
                    json, rec);
    return rc == INS_ENOTFOUND ? 0 : rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Adds `v` under `key` to `o`; on a NULL `v` or a failed add, sets *err to
 * ENOMEM (and releases `v`). */
static void jput(json_object *o, const char *key, json_object *v, int *err)
{
    if (v == NULL || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        *err = ENOMEM;
    }
}

/* 32 bytes as a JSON string of 64 hex digits. NULL when out of memory. */
static json_object *jhex32(const uint8_t *p)
{
    char hex[65];
    ins_hex_encode(p, 32, hex);
    return json_object_new_string(hex);
}

/* One audit entry as a JSON object (hashes in hex, as `dossier verify` reads
 * them). NULL when out of memory. */
static json_object *entry_json(const ins_aud_entry *e)
{
    int err = 0;
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    jput(o, "seq", json_object_new_uint64(e->seq), &err);
    jput(o, "time_ns", json_object_new_uint64(e->time_ns), &err);
    jput(o, "actor", json_object_new_string(e->actor), &err);
    jput(o, "action", json_object_new_string(e->action), &err);
    jput(o, "entity", json_object_new_string(e->entity), &err);
    jput(o, "record_sha256", jhex32(e->record_sha256), &err);
    jput(o, "prev_hash", jhex32(e->prev_hash), &err);
    jput(o, "hash", jhex32(e->hash), &err);
    if (err) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The text of `o` (ins_pbjson_text()) and a newline, in a malloc'd buffer
 * the caller frees; releases `o` (NULL is fine). NULL when out of memory. */
static char *json_take(json_object *o, size_t *len)
{
    size_t n = 0;
    const char *t = o != NULL ? ins_pbjson_text(o, &n) : NULL;
    char *out = t != NULL ? malloc(n + 2) : NULL;
    if (out != NULL) {
        memcpy(out, t, n);
        out[n] = '\n';
        out[n + 1] = '\0';
        *len = n + 1;
    }
    json_object_put(o);
    return out;
}

/* audit.json: every entry of the case's entities, in sequence order. */
static int add_audit(dossier *d, ins_rtxn *r)
{
    uint64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < d->n_entities; i++)
        rc = ins_audit_index_scan(r, INS_AUDIT_BY_ENTITY, d->entities[i], 0, 0, &seqs, &n, &cap);
    if (rc) {
        free(seqs);
        return rc;
    }
    qsort(seqs, n, sizeof *seqs, cmp_u64);
    int err = 0;
    json_object *top = json_object_new_object(), *entries = json_object_new_array();
    if (top == NULL || entries == NULL) {
        json_object_put(top);
        json_object_put(entries);
        free(seqs);
        return ENOMEM;
    }
    jput(top, "format", json_object_new_string("inspect-dossier-audit/1"), &err);
    jput(top, "application_id", json_object_new_string(d->app_id), &err);
    jput(top, "hash_rule", json_object_new_string(INS_CHAIN_HASH_RULE), &err);
    jput(top, "entries", entries, &err);
    for (size_t i = 0; rc == 0 && err == 0 && i < n; i++) {
        if (i && seqs[i] == seqs[i - 1])
            continue;
        ins_aud_entry e;
        rc = ins_aud_get(r, seqs[i], &e);
        if (rc == INS_ENOTFOUND)
            rc = INS_ECORRUPT;
        if (rc)
            break;
        json_object *one = entry_json(&e);
        if (one == NULL || json_object_array_add(entries, one) != 0) {
            json_object_put(one);
            err = ENOMEM;
        }
        ins_aud_clear(&e);
    }
    free(seqs);
    if (rc == 0 && err)
        rc = err;
    if (rc) {
        json_object_put(top);
        return rc;
    }
    size_t len = 0;
    char *text = json_take(top, &len);
    dfile *f = text != NULL ? add_file(d, F_TEXT, "audit.json") : NULL;
    if (f == NULL) {
        free(text);
        return ENOMEM;
    }
    f->raw = (uint8_t *)text;
    f->raw_len = len;
    return 0;
}

/* Reads the whole plan in one snapshot. Returns 0, INS_ENOTFOUND (no such
 * application), INS_ECORRUPT, ENOMEM, LMDB errors. */
static int plan(dossier *d, ins_store *s)
{
    ins_rtxn *r = NULL;
    int rc = ins_store_read_begin(s, &r);
    if (rc)
        return rc;
    char sname[256], json[300], entity[300];
    safe_name(sname, sizeof sname, d->app_id);
    snprintf(entity, sizeof entity, "application/%s", d->app_id);
    snprintf(json, sizeof json, "application/%s", sname);
    ins_val v;
    rc = add_record(d, ins_app_raw(r, d->app_id, &v), &v, entity, 0,
                    &inspect__v1__application__descriptor, "application", json);
    if (rc == 0) {
        keys_ctx kc = {0};
        rc = keys_done(&kc, ins_task_scan_app(r, d->app_id, keep_id, &kc));
        for (size_t i = 0; rc == 0 && i < kc.n; i++)
            rc = add_task(d, r, kc.names[i]);
        keys_free(&kc);
    }
    if (rc == 0)
        rc = add_audit(d, r);
    if (rc == 0)
        rc = ins_aud_head(s, r, &d->head);
    ins_rtxn_end(r);
    if (rc == 0 && !(d->rows = calloc(d->n_files + 1, sizeof *d->rows)))
        rc = ENOMEM;
    return rc;
}

/* ---- writing ------------------------------------------------------------------ */

static la_ssize_t on_write(struct archive *a, void *arg, const void *buf, size_t len)
{
    dossier *d = arg;
    (void)a;
    if (d->out_len + len > d->out_cap) {
        size_t cap = d->out_cap ? d->out_cap : 2 * CHUNK;
        while (cap < d->out_len + len)
            cap *= 2;
        uint8_t *p = realloc(d->out, cap);
        if (!p) {
            d->out_err = ENOMEM;
            return -1;
        }
        d->out = p;
        d->out_cap = cap;
    }
    memcpy(d->out + d->out_len, buf, len);
    d->out_len += len;
    return (la_ssize_t)len;
}

static int ar_fail(dossier *d)
{
    return d->out_err ? d->out_err : INS_EINTERNAL;
}

static int write_header(dossier *d, const char *path, uint64_t size)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return ENOMEM;
    archive_entry_set_pathname(e, path);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, d->exported_unix, 0);
    int rc = archive_write_header(d->ar, e) == ARCHIVE_OK ? 0 : ar_fail(d);
    archive_entry_free(e);
    return rc;
}

/* A whole file in one go, its manifest row filled. */
static int write_whole(dossier *d, const char *path, const void *data, size_t len, mrow *row)
{
    int rc = write_header(d, path, len);
    if (rc)
        return rc;
    if (len && archive_write_data(d->ar, data, len) != (la_ssize_t)len)
        return ar_fail(d);
    if (archive_write_finish_entry(d->ar) != ARCHIVE_OK)
        return ar_fail(d);
    if (row) {
        unsigned int hl = 32;
        row->size = len;
        EVP_Digest(data, len, row->sha, &hl, ins_sha256_md(), NULL);
    }
    return 0;
}

static const char *kind_name(const dfile *f)
{
    switch (f->kind) {
    case F_RECORD:
        return f->version ? "record_version" : "record";
    case F_JSON:
        return "json";
    case F_PHOTO:
        return "photo";
    case F_TEXT:
        return "audit";
    }
    return "file";
}

static int write_manifest(dossier *d)
{
    int err = 0;
    json_object *top = json_object_new_object(), *files = json_object_new_array();
    if (top == NULL || files == NULL) {
        json_object_put(top);
        json_object_put(files);
        return ENOMEM;
    }
    jput(top, "format", json_object_new_string("inspect-dossier/1"), &err);
    jput(top, "application_id", json_object_new_string(d->app_id), &err);
    jput(top, "exported_unix", json_object_new_int64(d->exported_unix), &err);
    if (d->head.seq)
        jput(top, "chain_head", entry_json(&d->head), &err);
    else if (json_object_object_add(top, "chain_head", NULL) != 0)
        err = ENOMEM;
    jput(top, "files", files, &err);
    for (size_t i = 0; err == 0 && i < d->n_files; i++) {
        const dfile *f = &d->files[i];
        json_object *row = json_object_new_object();
        if (row == NULL || json_object_array_add(files, row) != 0) {
            json_object_put(row);
            err = ENOMEM;
            break;
        }
        jput(row, "path", json_object_new_string(f->path), &err);
        jput(row, "size", json_object_new_uint64(d->rows[i].size), &err);
        jput(row, "sha256", jhex32(d->rows[i].sha), &err);
        jput(row, "kind", json_object_new_string(kind_name(f)), &err);
        if (f->entity)
            jput(row, "entity", json_object_new_string(f->entity), &err);
        if (f->version)
            jput(row, "version", json_object_new_int64(f->version), &err);
    }
    if (err) {
        json_object_put(top);
        return err;
    }
    size_t len = 0;
    char *text = json_take(top, &len);
    if (text == NULL)
        return ENOMEM;
    mrow row;
    int rc = write_whole(d, "manifest.json", text, len, &row);
    free(text);
    if (rc == 0) {
        char sum[96];
        ins_hex_encode(row.sha, 32, sum);
        memcpy(sum + 64, "  manifest.json\n", 17);
        rc = write_whole(d, "manifest.sha256", sum, strlen(sum), NULL);
    }
    return rc;
}

/* Writes the next piece of the photo being written. */
static int photo_piece(dossier *d, ins_store *s)
{
    dfile *f = &d->files[d->next];
    size_t want =
        f->size - d->photo_off < PHOTO_PIECE ? (size_t)(f->size - d->photo_off) : PHOTO_PIECE;
    size_t got = 0;
    int rc = want ? ins_blob_read(s, f->sha, d->photo_off, d->piece, want, &got) : 0;
    if (rc)
        return rc;
    if (got != want)
        return INS_ECORRUPT;
    if (got) {
        EVP_DigestUpdate(d->md, d->piece, got);
        if (archive_write_data(d->ar, d->piece, got) != (la_ssize_t)got)
            return ar_fail(d);
    }
    d->photo_off += got;
    if (d->photo_off < f->size)
        return 0;
    unsigned int hl = 32;
    EVP_DigestFinal_ex(d->md, d->rows[d->next].sha, &hl);
    d->rows[d->next].size = f->size;
    if (memcmp(d->rows[d->next].sha, f->sha, 32) != 0)
        return INS_EDATALOSS;
    if (archive_write_finish_entry(d->ar) != ARCHIVE_OK)
        return ar_fail(d);
    d->in_photo = 0;
    d->next++;
    return 0;
}

/* One step: one file, one photo piece, the manifest, or the close.
 * Returns 0 or an error (the dossier is then abandoned). */
static int step(dossier *d, ins_store *s, char *why, size_t whylen)
{
    if (d->in_photo)
        return photo_piece(d, s);
    if (d->next == d->n_files) {
        if (!d->manifest_done) {
            d->manifest_done = 1;
            return write_manifest(d);
        }
        d->closed = 1;
        return archive_write_close(d->ar) == ARCHIVE_OK ? 0 : ar_fail(d);
    }
    dfile *f = &d->files[d->next];
    snprintf(why, whylen, "%s", f->path);
    if (f->kind == F_PHOTO) {
        int rc = write_header(d, f->path, f->size);
        if (rc)
            return rc;
        EVP_DigestInit_ex(d->md, ins_sha256_md(), NULL);
        d->in_photo = 1;
        d->photo_off = 0;
        return photo_piece(d, s);
    }
    int rc;
    if (f->kind == F_JSON) {
        ProtobufCMessage *m = protobuf_c_message_unpack(f->desc, NULL, f->raw_len, f->raw);
        if (!m)
            return INS_ECORRUPT;
        size_t len = 0;
        char *text = json_take(ins_pbjson_print(m), &len);
        protobuf_c_message_free_unpacked(m, NULL);
        rc = text != NULL ? write_whole(d, f->path, text, len, &d->rows[d->next]) : ENOMEM;
        free(text);
    } else {
        rc = write_whole(d, f->path, f->raw, f->raw_len, &d->rows[d->next]);
    }
    if (rc == 0)
        d->next++;
    return rc;
}

static void dossier_free(dossier *d)
{
    if (!d)
        return;
    if (d->ar)
        archive_write_free(d->ar); /* closes first if needed; output is dropped */
    for (size_t i = 0; i < d->n_files; i++) {
        free(d->files[i].path);
        free(d->files[i].entity);
        if (d->files[i].kind != F_JSON)
            free(d->files[i].raw);
    }
    free(d->files);
    free(d->rows);
    for (size_t i = 0; i < d->n_entities; i++)
        free(d->entities[i]);
    free(d->entities);
    ins_aud_clear(&d->head);
    EVP_MD_CTX_free(d->md);
    free(d->piece);
    free(d->out);
    free(d);
}

/* Sends a chunk when one is ready, else writes on; finishes at the end. */
static void pump(ins_call *call)
{
    dossier *d = ins_call_data(call);
    ins_store *s = ins_ctx_of(call)->store;
    while (!d->sending && !d->finished && !ins_call_done(call)) {
        if (d->out_len >= CHUNK || (d->closed && d->out_len > 0)) {
            size_t n = d->out_len < CHUNK ? d->out_len : CHUNK;
            Inspect__V1__DossierChunk c = INSPECT__V1__DOSSIER_CHUNK__INIT;
            c.data = (ProtobufCBinaryData){n, d->out};
            if (ins_call_send(call, &c.base) != 0)
                return;
            memmove(d->out, d->out + n, d->out_len - n);
            d->out_len -= n;
            d->sending = 1;
            return;
        }
        if (d->closed) {
            d->finished = 1;
            ins_call_finish(call);
            return;
        }
        char why[1200] = "";
        int rc = step(d, s, why, sizeof why);
        if (rc) {
            ins_call_fail(call, rc, "exporting the dossier of %s%s%s: %s", d->app_id,
                          why[0] ? " at " : "", why, ins_strerror(rc));
            d->finished = 1;
            return;
        }
    }
}

static void export_start(ins_call *call, const ProtobufCMessage *msg)
{
    const Inspect__V1__ExportDossierRequest *req = (const Inspect__V1__ExportDossierRequest *)msg;
    if (!req->application_id[0]) {
        ins_call_fail(call, INS_EINVAL, "application_id is required");
        return;
    }
    if (strlen(req->application_id) >= sizeof((dossier *)0)->app_id) {
        ins_call_fail(call, INS_EINVAL, "application_id is longer than 255 bytes");
        return;
    }
    dossier *d = calloc(1, sizeof *d);
    if (!d) {
        ins_call_fail(call, ENOMEM, "out of memory");
        return;
    }
    ins_call_set_data(call, d);
    snprintf(d->app_id, sizeof d->app_id, "%s", req->application_id);
    ins_store *s = ins_ctx_of(call)->store;
    d->s = s;
    d->exported_unix = (int64_t)(ins_store_now(s) / 1000000000u);
    int rc = plan(d, s);
    if (rc == INS_ENOTFOUND) {
        ins_call_fail(call, rc, "no application %s", d->app_id);
        return;
    }
    if (rc) {
        ins_call_fail(call, rc, "reading the case %s: %s", d->app_id, ins_strerror(rc));
        return;
    }
    d->md = EVP_MD_CTX_new();
    d->piece = malloc(PHOTO_PIECE);
    d->ar = archive_write_new();
    if (!d->md || !d->piece || !d->ar || archive_write_set_format_pax_restricted(d->ar) ||
        archive_write_set_bytes_in_last_block(d->ar, 1) ||
        archive_write_open(d->ar, d, NULL, on_write, NULL) != ARCHIVE_OK) {
        ins_call_fail(call, ENOMEM, "cannot start the archive: %s",
                      d->ar ? archive_error_string(d->ar) : "out of memory");
        return;
    }
    pump(call);
}

static void export_on_sent(ins_call *call, int ok)
{
    dossier *d = ins_call_data(call);
    d->sending = 0;
    if (ok)
        pump(call);
}

static void export_cleanup(ins_call *call)
{
    dossier_free(ins_call_data(call));
}

const ins_method_ops ins_aud_export_ops = {
    .start = export_start,
    .on_sent = export_on_sent,
    .cleanup = export_cleanup,
};
