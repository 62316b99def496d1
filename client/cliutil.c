/*
 * cliutil.c - helpers of the Directory, Licensing and seed commands (see
 * cliutil.h).
 *
 * Tables are the only part with any subtlety: names, addresses and template
 * texts are Chinese, and a CJK character takes two terminal columns, so
 * padding counts display columns, not bytes or code points. The width table
 * is the East Asian Wide/Fullwidth ranges that occur in practice; it does
 * not depend on the locale, so output is the same under cron as in a shell.
 */
#include "cliutil.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ins_sha256.h"
#include "ins_hex.h"
#include "ins_pbjson.h"

void ins_cu_derived_request_id(const char *tag, const void *data, size_t len,
                               char out[INS_CU_REQUEST_ID_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    int ok = x != NULL && EVP_DigestInit_ex(x, ins_sha256_md(), NULL) == 1 &&
             EVP_DigestUpdate(x, tag, strlen(tag) + 1) == 1 &&
             EVP_DigestUpdate(x, data, len) == 1 && EVP_DigestFinal_ex(x, md, &mdlen) == 1;
    EVP_MD_CTX_free(x);
    if (!ok) {
        /* cannot happen with a working libcrypto; keep the id well-formed */
        memset(md, 0, sizeof md);
        snprintf((char *)md, 16, "%.15s", tag);
    }
    ins_hex_encode(md, 16, out);
}

void ins_cu_random_request_id(char out[INS_CU_REQUEST_ID_LEN])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) == (ssize_t)sizeof b) {
        ins_hex_encode(b, sizeof b, out);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char seed[64];
    int n =
        snprintf(seed, sizeof seed, "%lld.%ld.%d", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid());
    ins_cu_derived_request_id("random", seed, n > 0 ? (size_t)n : 0, out);
}

json_object *ins_cu_read_json(const char *path)
{
    json_object *o;
    if (strcmp(path, "-") == 0)
        o = json_object_from_fd(0);
    else
        o = json_object_from_file(path);
    if (o == NULL) {
        const char *e = json_util_get_last_err();
        char buf[512];
        snprintf(buf, sizeof buf, "%s", e != NULL ? e : "cannot read JSON");
        size_t n = strlen(buf);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
            buf[--n] = '\0';
        fprintf(stderr, "inspectctl: %s: %s\n", path, buf);
    }
    return o;
}

ProtobufCMessage *ins_cu_parse(const ProtobufCMessageDescriptor *d, json_object *in,
                               const char *where)
{
    ProtobufCMessage *m = NULL;
    char why[512];
    if (ins_pbjson_parse(d, in, &m, why, sizeof why) != 0) {
        fprintf(stderr, "inspectctl: %s: %s\n", where, why);
        return NULL;
    }
    return m;
}

int ins_cu_call(ins_client *c, const char *what, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp)
{
    char *details = NULL;
    *resp = NULL;
    int code = ins_client_unary(c, method, req, resp_desc, INS_TIMEOUT_DEFAULT, resp, &details);
    if (code != 0)
        ins_cli_fail(what, code, details);
    free(details);
    return code;
}

int ins_cu_print_json_object(json_object *o)
{
    const char *s = ins_pbjson_text(o, NULL);
    if (s == NULL || puts(s) < 0 || fflush(stdout) != 0) {
        fputs("inspectctl: cannot write the JSON output\n", stderr);
        return INS_EXIT_FAIL;
    }
    return INS_EXIT_OK;
}

int ins_cu_print_json(const ProtobufCMessage *m)
{
    json_object *o = ins_pbjson_print(m);
    if (o == NULL) {
        fputs("inspectctl: out of memory\n", stderr);
        return INS_EXIT_FAIL;
    }
    int rc = ins_cu_print_json_object(o);
    json_object_put(o);
    return rc;
}

/* ---- display width ----------------------------------------------------- */

static int cp_width(uint32_t cp)
{
    if (cp == 0)
        return 0;
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0xFE00 && cp <= 0xFE0F))
        return 0; /* combining marks, zero-width spaces, variation selectors */
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
        (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t ins_cu_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        uint32_t cp;
        int n;
        if (*p < 0x80) {
            cp = *p;
            n = 1;
        } else if ((*p & 0xE0) == 0xC0) {
            cp = *p & 0x1F;
            n = 2;
        } else if ((*p & 0xF0) == 0xE0) {
            cp = *p & 0x0F;
            n = 3;
        } else if ((*p & 0xF8) == 0xF0) {
            cp = *p & 0x07;
            n = 4;
        } else {
            w++;
            p++;
            continue;
        }
        int ok = 1;
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                ok = 0;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (!ok) {
            w++;
            p++;
            continue;
        }
        w += (size_t)cp_width(cp);
        p += n;
    }
    return w;
}

/* ---- tables ------------------------------------------------------------ */

struct ins_cu_table {
    size_t ncols;
    size_t nrows; /* including the header */
    size_t cap;
    char **cells; /* nrows * ncols */
    int oom;
};

ins_cu_table *ins_cu_table_new(size_t ncols, const char *const *heads)
{
    ins_cu_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->ncols = ncols;
    ins_cu_table_row(t, heads);
    return t;
}

void ins_cu_table_row(ins_cu_table *t, const char *const *cells)
{
    if (t == NULL || t->oom)
        return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **c = realloc(t->cells, cap * t->ncols * sizeof *c);
        if (c == NULL) {
            t->oom = 1;
            return;
        }
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * t->ncols;
    for (size_t i = 0; i < t->ncols; i++) {
        row[i] = strdup(cells[i] != NULL ? cells[i] : "");
        if (row[i] == NULL) {
            for (size_t k = 0; k < i; k++)
                free(row[k]);
            t->oom = 1;
            return;
        }
    }
    t->nrows++;
}

void ins_cu_table_print(ins_cu_table *t)
{
    if (t == NULL)
        return;
    size_t *w = calloc(t->ncols, sizeof *w);
    for (size_t r = 0; w != NULL && r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t cw = ins_cu_width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            fputs(s, stdout);
            if (c + 1 < t->ncols) {
                size_t pad = (w != NULL ? w[c] : 0) - (w != NULL ? ins_cu_width(s) : 0) + 2;
                for (size_t k = 0; k < pad; k++)
                    putchar(' ');
            }
        }
        putchar('\n');
    }
    if (t->oom)
        fputs("inspectctl: out of memory: table truncated\n", stderr);
    free(w);
    ins_cu_table_free(t);
}

void ins_cu_table_free(ins_cu_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

/* ---- small formatting -------------------------------------------------- */

const char *ins_cu_enum(const ProtobufCEnumDescriptor *d, int value)
{
    static char bufs[8][48];
    static unsigned next;
    char *b = bufs[next++ % 8];
    return ins_pbjson_enum_short(d, value, b, sizeof bufs[0]);
}

const char *ins_cu_num(double v)
{
    static char bufs[8][40];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%.15g", v);
    return b;
}

/* ---- requests ---------------------------------------------------------- */

int ins_cu_set_string(ProtobufCMessage *m, const char *field, const char *value)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);
    if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return -1;
    char *dup = strdup(value);
    if (dup == NULL)
        return -1;
    char **slot = (char **)((char *)m + f->offset);
    if (*slot != NULL && *slot != f->default_value)
        free(*slot);
    *slot = dup;
    return 0;
}

ProtobufCMessage *ins_cu_build_request(const ProtobufCMessageDescriptor *req_desc,
                                       const char *entity_field, json_object *elem, const char *rid,
                                       const char *expected_version, const char *where)
{
    json_object *o = json_object_new_object();
    if (o == NULL) {
        fprintf(stderr, "inspectctl: %s: out of memory\n", where);
        return NULL;
    }
    if (rid != NULL)
        json_object_object_add(o, "request_id", json_object_new_string(rid));
    json_object_object_add(o, entity_field, json_object_get(elem));
    if (expected_version != NULL)
        json_object_object_add(o, "expected_version", json_object_new_string(expected_version));
    ProtobufCMessage *m = ins_cu_parse(req_desc, o, where);
    json_object_put(o);
    return m;
}

/* "department fire: version 3" from an upsert response's single entity. */
static void print_upserted(const ProtobufCMessage *resp)
{
    const ProtobufCMessageDescriptor *d = resp->descriptor;
    if (d->n_fields < 1 || d->fields[0].type != PROTOBUF_C_TYPE_MESSAGE) {
        puts("ok");
        return;
    }
    const ProtobufCMessage *e =
        *(ProtobufCMessage *const *)((const char *)resp + d->fields[0].offset);
    if (e == NULL) {
        puts("ok");
        return;
    }
    const ProtobufCMessageDescriptor *ed = e->descriptor;
    const ProtobufCFieldDescriptor *k = &ed->fields[0];
    char key[160] = "";
    if (k->type == PROTOBUF_C_TYPE_STRING)
        snprintf(key, sizeof key, "%s", *(char *const *)((const char *)e + k->offset));
    else if (k->type == PROTOBUF_C_TYPE_INT32)
        snprintf(key, sizeof key, "%d", *(const int32_t *)((const char *)e + k->offset));
    printf("%s %s", d->fields[0].name, key);
    const ProtobufCFieldDescriptor *v =
        protobuf_c_message_descriptor_get_field_by_name(ed, "version");
    if (v != NULL && v->type == PROTOBUF_C_TYPE_INT64)
        printf(": version %" PRId64, *(const int64_t *)((const char *)e + v->offset));
    else if (v != NULL && v->type == PROTOBUF_C_TYPE_UINT32)
        printf(": version %" PRIu32, *(const uint32_t *)((const char *)e + v->offset));
    putchar('\n');
}

int ins_cu_upsert_file(ins_cli *cli, const char *what, const char *method,
                       const ProtobufCMessageDescriptor *req_desc, const char *entity_field,
                       const ProtobufCMessageDescriptor *resp_desc, const char *file,
                       const char *rid, const char *expected_version)
{
    json_object *in = ins_cu_read_json(file);
    if (in == NULL)
        return INS_EXIT_FAIL;
    int is_array = json_object_is_type(in, json_type_array);
    size_t n = is_array ? json_object_array_length(in) : 1;
    if (is_array && n > 1 && expected_version != NULL) {
        json_object_put(in);
        return ins_cli_usage_error("%s: --expected-version needs a file with one object", what);
    }
    int rc = INS_EXIT_OK;
    ins_client *c = NULL;
    for (size_t i = 0; i < n && rc == INS_EXIT_OK; i++) {
        json_object *elem = is_array ? json_object_array_get_idx(in, i) : in;
        char where[600], id[INS_CU_REQUEST_ID_LEN + 24];
        if (is_array)
            snprintf(where, sizeof where, "%s[%zu]", file, i);
        else
            snprintf(where, sizeof where, "%s", file);
        if (rid != NULL && is_array)
            snprintf(id, sizeof id, "%.*s-%zu", INS_CU_REQUEST_ID_LEN + 2, rid, i);
        else if (rid != NULL)
            snprintf(id, sizeof id, "%s", rid);
        else
            ins_cu_random_request_id(id);
        ProtobufCMessage *req =
            ins_cu_build_request(req_desc, entity_field, elem, id, expected_version, where);
        if (req == NULL) {
            rc = INS_EXIT_FAIL;
            break;
        }
        if (c == NULL && ins_cli_connect(cli, &c) != INS_EXIT_OK) {
            protobuf_c_message_free_unpacked(req, NULL);
            rc = INS_EXIT_FAIL;
            break;
        }
        ProtobufCMessage *resp;
        if (ins_cu_call(c, what, method, req, resp_desc, &resp) != 0) {
            rc = INS_EXIT_FAIL;
        } else {
            if (cli->json)
                rc = ins_cu_print_json(resp);
            else
                print_upserted(resp);
            protobuf_c_message_free_unpacked(resp, NULL);
        }
        protobuf_c_message_free_unpacked(req, NULL);
    }
    ins_client_close(c);
    json_object_put(in);
    return rc;
}

/* ---- command groups ---------------------------------------------------- */

static void group_usage(FILE *f, const char *group, const char *group_help, const ins_cu_sub *subs,
                        size_t nsubs)
{
    fprintf(f, "%s\nCommands:\n", group_help);
    for (size_t i = 0; i < nsubs; i++)
        fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].summary);
    fprintf(f, "\nRun 'inspectctl %s COMMAND --help' for a command's options.\n\n%s", group,
            ins_cli_global_help);
}

int ins_cu_group(ins_cli *cli, int argc, char **argv, const char *group_help,
                 const ins_cu_sub *subs, size_t nsubs)
{
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            group_usage(stdout, argv[0], group_help, subs, nsubs);
            return INS_EXIT_OK;
        }
        int r = ins_cli_global_option(cli, argc, argv, &i);
        if (r < 0)
            return INS_EXIT_USAGE;
        if (r == 0)
            return ins_cli_usage_error("%s: unknown option %s", argv[0], argv[i]);
    }
    if (i >= argc) {
        group_usage(stderr, argv[0], group_help, subs, nsubs);
        return INS_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        group_usage(stdout, argv[0], group_help, subs, nsubs);
        return INS_EXIT_OK;
    }
    for (size_t k = 0; k < nsubs; k++)
        if (strcmp(argv[i], subs[k].name) == 0)
            return subs[k].run(cli, argc - i, argv + i);
    return ins_cli_usage_error("%s: unknown command '%s'", argv[0], argv[i]);
}

int ins_cu_take_repeated(int *argc, char **argv, const char *name, const char **vals, size_t *n,
                         const char *what)
{
    int out = 0;
    *n = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && strcmp(argv[i], name) == 0) {
            if (i + 1 >= *argc) {
                ins_cli_usage_error("%s: %s needs a value", what, name);
                return -1;
            }
            if (*n == INS_CU_MAX_REPEAT) {
                ins_cli_usage_error("%s: at most %d %s", what, INS_CU_MAX_REPEAT, name);
                return -1;
            }
            vals[(*n)++] = argv[++i];
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    return 0;
}

void ins_cu_on_stop(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

const char *ins_cu_fmt_time(int64_t unix_s, char *buf, size_t len)
{
    if (unix_s <= 0 || len == 0)
        return "-";
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
        return "-";
    return buf;
}

const char *ins_cu_fmt_time_ns(int64_t unix_ns, char *buf, size_t len)
{
    return ins_cu_fmt_time(unix_ns / 1000000000, buf, len);
}

const char *ins_cu_request_id(const char *given, char buf[INS_CU_REQUEST_ID_LEN], const char *what)
{
    if (given == NULL) {
        ins_cu_random_request_id(buf);
        return buf;
    }
    if (given[0] == '\0') {
        ins_cli_usage_error("%s: --request-id must not be empty", what);
        return NULL;
    }
    return given;
}

int ins_cu_call_and_show(ins_cli *cli, const char *what, const char *method,
                         const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                         void (*show)(const ProtobufCMessage *))
{
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    ProtobufCMessage *resp;
    int code = ins_cu_call(c, what, method, req, resp_desc, &resp);
    ins_client_close(c);
    if (code != 0)
        return INS_EXIT_FAIL;
    int rc = INS_EXIT_OK;
    if (cli->json)
        rc = ins_cu_print_json(resp);
    else
        show(resp);
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

/* ---- paged lists --------------------------------------------------------- */

/* The field `name` of `d`, when it has type `type`; NULL otherwise. */
static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *d,
                                                const char *name, ProtobufCType type)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
    return f != NULL && f->type == type ? f : NULL;
}

int ins_cu_page(ins_cli *cli, const ins_cu_pager *p, size_t *count, char **next_out)
{
    const ProtobufCFieldDescriptor *tok_f =
        field_of(p->req->descriptor, "page_token", PROTOBUF_C_TYPE_STRING);
    const ProtobufCFieldDescriptor *items_f =
        field_of(p->resp_desc, p->items_field, PROTOBUF_C_TYPE_MESSAGE);
    const ProtobufCFieldDescriptor *next_f =
        field_of(p->resp_desc, "next_page_token", PROTOBUF_C_TYPE_STRING);
    *count = 0;
    *next_out = NULL;
    if (tok_f == NULL || items_f == NULL || items_f->label != PROTOBUF_C_LABEL_REPEATED ||
        next_f == NULL) {
        fprintf(stderr, "inspectctl: %s: not a paged list method\n", p->what);
        return INS_EXIT_FAIL;
    }

    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    json_object *all_json = cli->json && p->all ? json_object_new_array() : NULL;
    char *next = p->page_token != NULL ? strdup(p->page_token) : NULL;
    char **tok_slot = (char **)((char *)p->req + tok_f->offset);
    int rc = INS_EXIT_OK;
    for (;;) {
        *tok_slot = next != NULL ? next : "";
        ProtobufCMessage *resp;
        if (ins_cu_call(c, p->what, p->method, p->req, p->resp_desc, &resp) != 0) {
            rc = INS_EXIT_FAIL;
            break;
        }
        const char *base = (const char *)resp;
        size_t n = *(const size_t *)(base + items_f->quantifier_offset);
        ProtobufCMessage *const *items =
            *(ProtobufCMessage *const *const *)(base + items_f->offset);
        *count += n;
        for (size_t i = 0; i < n; i++) {
            if (all_json != NULL)
                json_object_array_add(all_json, ins_pbjson_print(items[i]));
            else if (!cli->json && p->row != NULL)
                p->row(p->arg, items[i]);
        }
        if (cli->json && all_json == NULL)
            rc = ins_cu_print_json(resp);
        free(next);
        const char *nt = *(char *const *)(base + next_f->offset);
        next = nt != NULL && nt[0] != '\0' ? strdup(nt) : NULL;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!p->all || next == NULL)
            break;
    }
    *tok_slot = "";
    ins_client_close(c);
    if (all_json != NULL) {
        if (rc == INS_EXIT_OK) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, p->items_field, all_json);
            rc = ins_cu_print_json_object(o);
            json_object_put(o);
        } else {
            json_object_put(all_json);
        }
    }
    *next_out = next;
    return rc;
}
