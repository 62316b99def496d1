/*
 * cmd_dossier.c - `inspectctl audit` and `inspectctl dossier` (see
 * cmd_dossier.h).
 *
 * `dossier verify` trusts nothing in the archive by itself: every check ties
 * one part to another (file to manifest, manifest to manifest.sha256, audit
 * entry to its own fields and to its predecessor, record file to its audit
 * entry), so a changed byte anywhere breaks at least one tie, and the
 * message names the file or the entry where it broke. What anchors the whole
 * is the chain head in the manifest: an auditor compares it with the live
 * chain (`inspectctl audit verify` prints the head hash) to know the dossier
 * was not rebuilt from scratch.
 *
 * The audit hash is recomputed with the very function the storage engine
 * uses (ins_chain_hash(), common/ins_chain.h), so the two cannot disagree.
 */
#include "cmd_dossier.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "ins_sha256.h"
#include "cliutil.h"
#include "ins_chain.h"
#include "ins_hex.h"
#include "inspect/v1/audit.pb-c.h"

#define AUDIT_METHOD(m) "/inspect.v1.Audit/" m
#define KEEP_MAX        (256u << 20) /* largest JSON file read into memory */

/* ---- small helpers ---------------------------------------------------------- */

/* 64 lower-case hex digits into 32 bytes. Returns 0 or -1 (NULL, malformed). */
static int from_hex32(const char *s, uint8_t out[32])
{
    if (s == NULL || strlen(s) != 64 || ins_hex_decode(s, 64, out) != 0)
        return -1;
    return 0;
}

/* ---- audit events ------------------------------------------------------------- */

static void events_help(void)
{
    printf("usage: inspectctl audit events [--entity E] [--actor A] [--from UNIX] [--to UNIX]\n"
           "                               [--after SEQ] [--limit N]\n\n"
           "Streams audit entries, oldest first. Role: auditor.\n"
           "  --entity E    the trail of one entity, e.g. application/XD-2026-000001,\n"
           "                task/T-000001, findings/T-000001/fire, photo/<sha>\n"
           "  --actor A     the actions of one principal\n"
           "  --from UNIX   entries at or after this time (seconds since the epoch)\n"
           "  --to UNIX     entries at or before this time\n"
           "  --after SEQ   resume after entry SEQ\n"
           "  --limit N     at most N entries\n\n%s",
           ins_cli_global_help);
}

static void print_event(const ins_cli *cli, const Inspect__V1__AuditEvent *e)
{
    if (cli->json) {
        ins_cu_print_json(&e->base);
        return;
    }
    char hash[65], when[40];
    ins_hex_encode(e->hash.data, e->hash.len == 32 ? 32 : 0, hash);
    printf("%-8" PRIu64 " %s  %-20s %-28s %s  %.12s\n", e->seq,
           ins_cu_fmt_time_ns(e->time_unix_ns, when, sizeof when), e->actor, e->action, e->entity,
           hash);
}

static int events(ins_cli *cli, int argc, char **argv)
{
    const char *entity = NULL, *actor = NULL, *from = NULL, *to = NULL, *after = NULL,
               *limit = NULL;
    ins_cu_opt opts[] = {
        {"--entity", &entity, NULL}, {"--actor", &actor, NULL}, {"--from", &from, NULL},
        {"--to", &to, NULL},         {"--after", &after, NULL}, {"--limit", &limit, NULL},
        {NULL, NULL, NULL},
    };
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, events_help, "audit events");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    Inspect__V1__ListEventsRequest req = INSPECT__V1__LIST_EVENTS_REQUEST__INIT;
    uint64_t v;
    req.entity = (char *)(entity ? entity : "");
    req.actor = (char *)(actor ? actor : "");
    if (from) {
        if (ins_cu_parse_u64("--from", from, INT64_MAX / 1000000000, &v) != 0)
            return INS_EXIT_USAGE;
        req.from_unix = (int64_t)v;
    }
    if (to) {
        if (ins_cu_parse_u64("--to", to, INT64_MAX / 1000000000, &v) != 0)
            return INS_EXIT_USAGE;
        req.to_unix = (int64_t)v;
    }
    if (after && ins_cu_parse_u64("--after", after, UINT64_MAX, &req.after_seq) != 0)
        return INS_EXIT_USAGE;
    if (limit) {
        if (ins_cu_parse_u64("--limit", limit, UINT32_MAX, &v) != 0)
            return INS_EXIT_USAGE;
        req.limit = (uint32_t)v;
    }

    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    char *details = NULL;
    ins_stream *s;
    int code = ins_client_server_stream(
        c, AUDIT_METHOD("ListEvents"), &req.base, &inspect__v1__audit_event__descriptor,
        cli->timeout_set ? INS_TIMEOUT_DEFAULT : INS_TIMEOUT_NONE, &s, &details);
    if (code == 0) {
        if (!cli->json)
            printf("%-8s %-24s  %-20s %-28s %s  %s\n", "SEQ", "TIME", "ACTOR", "ACTION", "ENTITY",
                   "HASH");
        ProtobufCMessage *m;
        while (ins_stream_recv(s, INS_TIMEOUT_NONE, &m) == 1) {
            print_event(cli, (const Inspect__V1__AuditEvent *)m);
            protobuf_c_message_free_unpacked(m, NULL);
        }
        code = ins_stream_finish(s, &details);
    }
    rc = code == 0 ? INS_EXIT_OK : ins_cli_fail("audit events", code, details);
    free(details);
    ins_client_close(c);
    return rc;
}

/* ---- audit verify --------------------------------------------------------------- */

static void chain_help(void)
{
    printf("usage: inspectctl audit verify [--from SEQ] [--to SEQ]\n\n"
           "Has the server recompute the audit hash chain (whole, or a range) and\n"
           "name the first broken link. Exit 0 when intact, 1 when broken.\n"
           "Role: auditor.\n\n%s",
           ins_cli_global_help);
}

static int chain_verify(ins_cli *cli, int argc, char **argv)
{
    const char *from = NULL, *to = NULL;
    ins_cu_opt opts[] = {{"--from", &from, NULL}, {"--to", &to, NULL}, {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, chain_help, "audit verify");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    Inspect__V1__VerifyChainRequest req = INSPECT__V1__VERIFY_CHAIN_REQUEST__INIT;
    if (from && ins_cu_parse_u64("--from", from, UINT64_MAX, &req.from_seq) != 0)
        return INS_EXIT_USAGE;
    if (to && ins_cu_parse_u64("--to", to, UINT64_MAX, &req.to_seq) != 0)
        return INS_EXIT_USAGE;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    char *details = NULL;
    ProtobufCMessage *m = NULL;
    int code = ins_client_unary(
        c, AUDIT_METHOD("VerifyChain"), &req.base, &inspect__v1__verify_chain_response__descriptor,
        cli->timeout_set ? INS_TIMEOUT_DEFAULT : INS_TIMEOUT_NONE, &m, &details);
    if (code != 0) {
        rc = ins_cli_fail("audit verify", code, details);
    } else {
        const Inspect__V1__VerifyChainResponse *r = (const Inspect__V1__VerifyChainResponse *)m;
        char head[65] = "";
        if (r->head_hash.len == 32)
            ins_hex_encode(r->head_hash.data, 32, head);
        if (cli->json) {
            ins_cu_print_json(m);
        } else if (r->intact) {
            printf("intact: entries %" PRIu64 "..%" PRIu64 "%s%s\n", r->checked_from, r->checked_to,
                   head[0] ? ", head hash " : "", head);
        } else {
            printf("BROKEN at entry %" PRIu64 " (checked %" PRIu64 "..%" PRIu64 "): %s\n",
                   r->first_bad_seq, r->checked_from, r->checked_to, r->message);
        }
        rc = r->intact ? INS_EXIT_OK : INS_EXIT_FAIL;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    free(details);
    ins_client_close(c);
    return rc;
}

int ins_cmd_audit(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"events", "stream the trail of an entity, an actor or a time range", events},
        {"verify", "recompute the hash chain on the server", chain_verify},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl audit COMMAND [options]\n\n"
                        "The audit trail and its hash chain (inspect.v1.Audit, role auditor).\n",
                        subs, sizeof subs / sizeof subs[0]);
}

/* ---- dossier export ---------------------------------------------------------------- */

static void export_help(void)
{
    printf("usage: inspectctl dossier export APPLICATION -o FILE\n\n"
           "Streams the case dossier of APPLICATION (a tar archive) into FILE,\n"
           "written under a temporary name and renamed once complete (-o -: standard\n"
           "output, the summary on stderr). No deadline unless --timeout is given.\n"
           "Role: auditor.\n\n"
           "example: inspectctl dossier export XD-2026-001201 -o case.tar\n\n%s",
           ins_cli_global_help);
}

static int dossier_export(ins_cli *cli, int argc, char **argv)
{
    const char *out = NULL, *pos[1];
    ins_cu_opt opts[] = {{"-o", &out, NULL}, {"--output", &out, NULL}, {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, export_help, "dossier export");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("dossier export", "-o FILE", out) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    int to_stdout = ins_cu_is_stdio(out);
    size_t tl = strlen(out) + 16;
    char *tmp = malloc(tl);
    if (tmp == NULL)
        return INS_EXIT_FAIL;
    snprintf(tmp, tl, to_stdout ? "standard output" : "%s.part", out);
    FILE *f = to_stdout ? stdout : fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "inspectctl: dossier export: %s: %s\n", tmp, strerror(errno));
        free(tmp);
        return INS_EXIT_FAIL;
    }
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK) {
        if (!to_stdout) {
            fclose(f);
            unlink(tmp);
        }
        free(tmp);
        return INS_EXIT_FAIL;
    }
    Inspect__V1__ExportDossierRequest req = INSPECT__V1__EXPORT_DOSSIER_REQUEST__INIT;
    req.application_id = (char *)pos[0];
    char *details = NULL;
    ins_stream *s;
    uint64_t total = 0;
    int werr = 0;
    int code = ins_client_server_stream(
        c, AUDIT_METHOD("ExportDossier"), &req.base, &inspect__v1__dossier_chunk__descriptor,
        cli->timeout_set ? INS_TIMEOUT_DEFAULT : INS_TIMEOUT_NONE, &s, &details);
    if (code == 0) {
        ProtobufCMessage *m;
        while (ins_stream_recv(s, INS_TIMEOUT_NONE, &m) == 1) {
            const Inspect__V1__DossierChunk *ch = (const Inspect__V1__DossierChunk *)m;
            if (!werr && fwrite(ch->data.data, 1, ch->data.len, f) != ch->data.len) {
                werr = errno ? errno : EIO;
                ins_stream_cancel(s);
            }
            total += ch->data.len;
            protobuf_c_message_free_unpacked(m, NULL);
        }
        code = ins_stream_finish(s, &details);
    }
    if ((to_stdout ? fflush(f) : fclose(f)) != 0 && !werr)
        werr = errno ? errno : EIO;
    if (werr) {
        fprintf(stderr, "inspectctl: dossier export: writing %s: %s\n", tmp, strerror(werr));
        rc = INS_EXIT_FAIL;
    } else if (code != 0) {
        rc = ins_cli_fail("dossier export", code, details);
    } else if (!to_stdout && rename(tmp, out) != 0) {
        fprintf(stderr, "inspectctl: dossier export: %s: %s\n", out, strerror(errno));
        rc = INS_EXIT_FAIL;
    } else {
        /* the summary goes where it does not mix with the archive */
        fprintf(to_stdout ? stderr : stdout, "%s: %" PRIu64 " bytes, the dossier of %s\n",
                to_stdout ? "-" : out, total, pos[0]);
        rc = INS_EXIT_OK;
    }
    if (rc != INS_EXIT_OK && !to_stdout)
        unlink(tmp);
    free(tmp);
    free(details);
    ins_client_close(c);
    return rc;
}

/* ---- dossier verify (offline) --------------------------------------------------------- */

typedef struct afile {
    char *path;
    uint64_t size;
    uint8_t sha[32];
    int listed; /* found in the manifest */
} afile;

typedef struct aentry {
    uint64_t seq, time_ns;
    const char *actor, *action, *entity; /* borrowed from the JSON */
    uint8_t rsha[32], prev[32], hash[32];
} aentry;

typedef struct vstate {
    const char *file;
    afile *files;
    size_t n, cap;
    char *manifest, *manifest_sum, *audit; /* kept contents */
    size_t manifest_len, audit_len;
    aentry *entries;
    size_t n_entries;
    unsigned problems;
} vstate;

static void problem(vstate *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(vstate *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "inspectctl: dossier verify: %s: ", v->file);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    v->problems++;
}

static afile *find_file(vstate *v, const char *path)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->files[i].path, path) == 0)
            return &v->files[i];
    return NULL;
}

/* Reads every entry: size, SHA-256, and the JSON files kept in memory.
 * Returns 0, or -1 when the archive cannot be read on (reported). */
static int read_archive(vstate *v)
{
    struct archive *a = archive_read_new();
    if (a == NULL)
        return -1;
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    int rc = -1;
    const char *last = "(start of the archive)";
    char *lastbuf = NULL;
    uint8_t *buf = malloc(64 * 1024);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (buf == NULL || md == NULL)
        goto done;
    if (archive_read_open_filename(a, ins_cu_is_stdio(v->file) ? NULL : v->file, 64 * 1024) !=
        ARCHIVE_OK) {
        problem(v, "cannot read it as a tar archive: %s", archive_error_string(a));
        goto done;
    }
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK) {
            problem(v, "the archive is damaged after %s: %s", last, archive_error_string(a));
            goto done;
        }
        const char *path = archive_entry_pathname(e);
        if (path == NULL || archive_entry_filetype(e) != AE_IFREG) {
            problem(v, "%s: not a regular file", path ? path : "(no name)");
            continue;
        }
        if (find_file(v, path) != NULL) {
            problem(v, "%s: appears twice in the archive", path);
            continue;
        }
        if (v->n == v->cap) {
            size_t cap = v->cap ? v->cap * 2 : 64;
            afile *p = realloc(v->files, cap * sizeof *p);
            if (p == NULL)
                goto done;
            v->files = p;
            v->cap = cap;
        }
        afile *f = &v->files[v->n];
        memset(f, 0, sizeof *f);
        if ((f->path = strdup(path)) == NULL)
            goto done;
        v->n++;
        char **keep = strcmp(path, "manifest.json") == 0     ? &v->manifest
                      : strcmp(path, "manifest.sha256") == 0 ? &v->manifest_sum
                      : strcmp(path, "audit.json") == 0      ? &v->audit
                                                             : NULL;
        size_t kept = 0;
        EVP_DigestInit_ex(md, ins_sha256_md(), NULL);
        for (;;) {
            la_ssize_t got = archive_read_data(a, buf, 64 * 1024);
            if (got < 0) {
                problem(v, "%s: cannot be read: %s", path, archive_error_string(a));
                goto done;
            }
            if (got == 0)
                break;
            EVP_DigestUpdate(md, buf, (size_t)got);
            f->size += (uint64_t)got;
            if (keep != NULL) {
                if (kept + (size_t)got > KEEP_MAX) {
                    problem(v, "%s: larger than %u MiB", path, KEEP_MAX >> 20);
                    goto done;
                }
                char *p = realloc(*keep, kept + (size_t)got + 1);
                if (p == NULL)
                    goto done;
                memcpy(p + kept, buf, (size_t)got);
                kept += (size_t)got;
                p[kept] = '\0';
                *keep = p;
            }
        }
        if (keep == &v->manifest)
            v->manifest_len = kept;
        if (keep == &v->audit)
            v->audit_len = kept;
        unsigned int hl = 32;
        EVP_DigestFinal_ex(md, f->sha, &hl);
        free(lastbuf);
        last = lastbuf = strdup(path);
        if (last == NULL)
            last = "?";
    }
    rc = 0;
done:
    free(lastbuf);
    free(buf);
    EVP_MD_CTX_free(md);
    archive_read_free(a);
    return rc;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static int juint(json_object *o, const char *key, uint64_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return -1;
    errno = 0;
    *out = json_object_get_uint64(v);
    return errno ? -1 : 0;
}

/* Parses one audit entry object. Returns 0 or -1 (a field missing or bad). */
static int parse_entry(json_object *o, aentry *e)
{
    memset(e, 0, sizeof *e);
    e->actor = jstr(o, "actor");
    e->action = jstr(o, "action");
    e->entity = jstr(o, "entity");
    if (!json_object_is_type(o, json_type_object) || juint(o, "seq", &e->seq) ||
        juint(o, "time_ns", &e->time_ns) || !e->actor || !e->action || !e->entity ||
        from_hex32(jstr(o, "record_sha256"), e->rsha) ||
        from_hex32(jstr(o, "prev_hash"), e->prev) || from_hex32(jstr(o, "hash"), e->hash))
        return -1;
    return 0;
}

/* The entry's chain hash by the shared rule (ins_chain.h); all zero on error. */
static void entry_hash(const aentry *e, uint8_t out[32])
{
    ins_chain_entry c = {e->seq,    e->time_ns,        e->actor, e->action,
                         e->entity, strlen(e->entity), e->rsha,  e->prev};
    (void)ins_chain_hash(&c, out);
}

static int same_entry(const aentry *a, const aentry *b)
{
    return a->seq == b->seq && a->time_ns == b->time_ns && strcmp(a->actor, b->actor) == 0 &&
           strcmp(a->action, b->action) == 0 && strcmp(a->entity, b->entity) == 0 &&
           memcmp(a->rsha, b->rsha, 32) == 0 && memcmp(a->prev, b->prev, 32) == 0 &&
           memcmp(a->hash, b->hash, 32) == 0;
}

/* audit.json: each entry's hash recomputes, consecutive entries link. */
static void check_audit(vstate *v, json_object *audit)
{
    json_object *arr;
    if (!json_object_object_get_ex(audit, "entries", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        problem(v, "audit.json: no \"entries\" array");
        return;
    }
    size_t n = json_object_array_length(arr);
    v->entries = calloc(n ? n : 1, sizeof *v->entries);
    if (v->entries == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        aentry *e = &v->entries[v->n_entries];
        if (parse_entry(json_object_array_get_idx(arr, i), e) != 0) {
            problem(v, "audit.json: entry #%zu is malformed", i + 1);
            continue;
        }
        uint8_t h[32];
        entry_hash(e, h);
        if (memcmp(h, e->hash, 32) != 0)
            problem(v,
                    "audit.json: entry seq %" PRIu64 " (%s on %s) does not hash to its stored "
                    "hash: a field of it was changed",
                    e->seq, e->action, e->entity);
        if (v->n_entries > 0) {
            const aentry *p = &v->entries[v->n_entries - 1];
            if (e->seq <= p->seq)
                problem(v,
                        "audit.json: entry seq %" PRIu64 " follows seq %" PRIu64
                        " (not in sequence order)",
                        e->seq, p->seq);
            else if (e->seq == p->seq + 1 && memcmp(e->prev, p->hash, 32) != 0)
                problem(v, "audit.json: entry seq %" PRIu64 " does not link to entry seq %" PRIu64,
                        e->seq, p->seq);
        }
        v->n_entries++;
    }
}

/* The head of the chain at export time, as the manifest states it. */
static void check_head(vstate *v, json_object *manifest)
{
    json_object *h;
    if (!json_object_object_get_ex(manifest, "chain_head", &h) || h == NULL) {
        if (v->n_entries > 0)
            problem(v, "manifest.json: no chain_head, yet audit.json holds entries");
        return;
    }
    aentry head;
    if (parse_entry(h, &head) != 0) {
        problem(v, "manifest.json: chain_head is malformed");
        return;
    }
    uint8_t x[32];
    entry_hash(&head, x);
    if (memcmp(x, head.hash, 32) != 0)
        problem(v, "manifest.json: chain_head (seq %" PRIu64 ") does not hash to its stored hash",
                head.seq);
    for (size_t i = 0; i < v->n_entries; i++) {
        const aentry *e = &v->entries[i];
        if (e->seq > head.seq)
            problem(v, "audit.json: entry seq %" PRIu64 " is newer than the chain head %" PRIu64,
                    e->seq, head.seq);
        else if (e->seq == head.seq && !same_entry(e, &head))
            problem(v, "audit.json: entry seq %" PRIu64 " differs from the manifest's chain head",
                    e->seq);
        else if (e->seq + 1 == head.seq && memcmp(head.prev, e->hash, 32) != 0)
            problem(v, "manifest.json: chain_head does not link to audit entry seq %" PRIu64,
                    e->seq);
    }
}

/* A record file against its entity's audit entries. */
static void check_record(vstate *v, const afile *f, const char *entity, int any_version)
{
    const aentry *newest = NULL;
    int matched = 0;
    for (size_t i = 0; i < v->n_entries; i++) {
        const aentry *e = &v->entries[i];
        if (strcmp(e->entity, entity) != 0)
            continue;
        newest = e;
        matched |= memcmp(e->rsha, f->sha, 32) == 0;
    }
    if (newest == NULL)
        problem(v, "%s: no audit entry of %s", f->path, entity);
    else if (any_version ? !matched : memcmp(newest->rsha, f->sha, 32) != 0)
        problem(
            v, "%s: its SHA-256 is not the record_sha256 of %s audit entry of %s (seq %" PRIu64 ")",
            f->path, any_version ? "any" : "the newest", entity, newest->seq);
}

/* manifest.json against the archive, and each file by its kind. */
static void check_manifest(vstate *v, json_object *manifest)
{
    json_object *arr;
    if (!json_object_object_get_ex(manifest, "files", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        problem(v, "manifest.json: no \"files\" array");
        return;
    }
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        const char *path = jstr(o, "path"), *kind = jstr(o, "kind"), *entity = jstr(o, "entity");
        uint64_t size;
        uint8_t sha[32];
        if (path == NULL || juint(o, "size", &size) || from_hex32(jstr(o, "sha256"), sha)) {
            problem(v, "manifest.json: file #%zu is malformed", i + 1);
            continue;
        }
        afile *f = find_file(v, path);
        if (f == NULL) {
            problem(v, "%s: listed in the manifest but not in the archive", path);
            continue;
        }
        if (f->listed) {
            problem(v, "manifest.json: %s is listed twice", path);
            continue;
        }
        f->listed = 1;
        if (f->size != size)
            problem(v, "%s: %" PRIu64 " bytes, the manifest says %" PRIu64, path, f->size, size);
        else if (memcmp(f->sha, sha, 32) != 0)
            problem(v, "%s: its SHA-256 differs from the manifest's: the file was changed", path);
        if (kind == NULL)
            continue;
        if ((strcmp(kind, "record") == 0 || strcmp(kind, "record_version") == 0) && entity)
            check_record(v, f, entity, strcmp(kind, "record_version") == 0);
        if (strcmp(kind, "photo") == 0 && entity && strncmp(entity, "photo/", 6) == 0) {
            uint8_t id[32];
            if (from_hex32(entity + 6, id) != 0 || memcmp(id, f->sha, 32) != 0)
                problem(v, "%s: its bytes do not hash to the photo's id", path);
        }
    }
    for (size_t i = 0; i < v->n; i++)
        if (!v->files[i].listed && strcmp(v->files[i].path, "manifest.json") != 0 &&
            strcmp(v->files[i].path, "manifest.sha256") != 0)
            problem(v, "%s: in the archive but not in the manifest", v->files[i].path);
}

static void verify_help(void)
{
    printf("usage: inspectctl dossier verify FILE [--json]\n\n"
           "Checks a dossier archive offline (no server): every file against the\n"
           "manifest, the manifest against manifest.sha256, every audit entry's\n"
           "hash and link, every record file against its entity's newest audit\n"
           "entry. FILE \"-\" reads standard input. Names every file or entry at\n"
           "fault on stderr. Exit 0 when all hold, 1 if anything does not.\n"
           "  --json   print {\"ok\", \"file\", \"application_id\", \"files\", \"records\",\n"
           "           \"photos\", \"audit_entries\", \"chain_head\", \"problems\"}\n\n"
           "example: inspectctl dossier verify case.tar\n");
}

static int dossier_verify(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, verify_help, "dossier verify");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    return ins_dossier_verify_file(pos[0], cli->json);
}

/* The result of a verify: one line of text, or one JSON object. */
static void print_verified(const vstate *v, json_object *manifest, int json)
{
    unsigned photos = 0, records = 0;
    for (size_t i = 0; i < v->n; i++) {
        photos += strncmp(v->files[i].path, "photos/", 7) == 0 &&
                  strstr(v->files[i].path, ".json") == NULL;
        records += strncmp(v->files[i].path, "records/", 8) == 0;
    }
    json_object *h = NULL;
    const char *app = jstr(manifest, "application_id"), *hh = NULL;
    uint64_t hs = 0;
    if (json_object_object_get_ex(manifest, "chain_head", &h) && h != NULL) {
        juint(h, "seq", &hs);
        hh = jstr(h, "hash");
    }
    if (json) {
        char seq[24];
        snprintf(seq, sizeof seq, "%" PRIu64, hs);
        json_object *o = json_object_new_object(), *head = json_object_new_object();
        json_object_object_add(o, "ok", json_object_new_boolean(v->problems == 0));
        json_object_object_add(o, "file", json_object_new_string(v->file));
        json_object_object_add(o, "application_id", json_object_new_string(app ? app : ""));
        json_object_object_add(o, "files", json_object_new_int64((int64_t)v->n));
        json_object_object_add(o, "records", json_object_new_int64(records));
        json_object_object_add(o, "photos", json_object_new_int64(photos));
        json_object_object_add(o, "audit_entries", json_object_new_int64((int64_t)v->n_entries));
        json_object_object_add(head, "seq", json_object_new_string(seq));
        json_object_object_add(head, "hash", json_object_new_string(hh ? hh : ""));
        json_object_object_add(o, "chain_head", head);
        json_object_object_add(o, "problems", json_object_new_int64(v->problems));
        ins_cu_print_json_object(o);
        json_object_put(o);
    } else if (v->problems == 0) {
        printf("OK %s: dossier of %s, %zu files (%u records, %u photos), %zu audit entries; "
               "chain head seq %" PRIu64 " hash %s\n",
               v->file, app ? app : "?", v->n, records, photos, v->n_entries, hs, hh ? hh : "-");
    }
    if (v->problems != 0)
        fprintf(stderr, "inspectctl: dossier verify: %s: FAILED, %u problem%s\n", v->file,
                v->problems, v->problems == 1 ? "" : "s");
}

int ins_dossier_verify_file(const char *file, int json)
{
    vstate v = {.file = file};
    json_object *manifest = NULL, *audit = NULL;
    int rc = read_archive(&v);
    if (rc == 0) {
        const afile *mf = find_file(&v, "manifest.json");
        if (mf == NULL || v.manifest == NULL) {
            problem(&v, "manifest.json: missing");
        } else {
            uint8_t sum[32];
            char hex[65];
            if (v.manifest_sum == NULL)
                problem(&v, "manifest.sha256: missing");
            else if (snprintf(hex, sizeof hex, "%.64s", v.manifest_sum) != 64 ||
                     from_hex32(hex, sum) != 0)
                problem(&v, "manifest.sha256: malformed");
            else if (memcmp(sum, mf->sha, 32) != 0)
                problem(&v, "manifest.json: its SHA-256 differs from manifest.sha256: one of "
                            "the two was changed");
            manifest = json_tokener_parse(v.manifest);
            if (manifest == NULL || !json_object_is_type(manifest, json_type_object))
                problem(&v, "manifest.json: not a JSON object");
        }
        if (v.audit == NULL)
            problem(&v, "audit.json: missing");
        else if ((audit = json_tokener_parse(v.audit)) == NULL)
            problem(&v, "audit.json: not valid JSON");
        if (audit != NULL)
            check_audit(&v, audit);
        if (manifest != NULL && json_object_is_type(manifest, json_type_object)) {
            check_head(&v, manifest);
            check_manifest(&v, manifest);
        }
    } else if (v.problems == 0) {
        problem(&v, "out of memory");
    }
    print_verified(&v, manifest, json);
    json_object_put(manifest);
    json_object_put(audit);
    for (size_t i = 0; i < v.n; i++)
        free(v.files[i].path);
    free(v.files);
    free(v.entries);
    free(v.manifest);
    free(v.manifest_sum);
    free(v.audit);
    return v.problems == 0 ? INS_EXIT_OK : INS_EXIT_FAIL;
}

int ins_cmd_dossier(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"export", "stream a case dossier (tar) into a file or -o - (auditor)", dossier_export},
        {"verify", "check a dossier offline: files, manifest, audit chain", dossier_verify},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl dossier COMMAND [options]\n\n"
                        "Case dossiers: a self-verifying tar of every record, photo, report and\n"
                        "audit entry of one application.\n",
                        subs, sizeof subs / sizeof subs[0]);
}
