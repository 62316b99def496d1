/*
 * fuzz_json.c - libFuzzer target: the JSON input of inspectctl and of the
 * seed loader.
 *
 * Byte 0 picks the path:
 *   even  common/pbjson.c, as inspectctl reads a request (ins_cu_parse):
 *         byte 1 picks the request message of one method of inspect.v1,
 *         the rest is the JSON text. A text that parses must survive the
 *         round trip print -> parse -> the same protobuf bytes.
 *   odd   `inspectctl seed check` (client/cmd_seed*.c): byte 1 picks the
 *         seed file kind (departments, templates, ..., modulo K_COUNT) the
 *         rest becomes; with byte 1's top bit set the other files are the
 *         demo district of seeds/ (so the cross-checks meet real
 *         references), else the file is alone in its folder.
 * Run with -close_fd_mask=3: seed check prints a line per problem.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "cmd_seed_impl.h"
#include "fuzz_util.h"
#include "ins_pbjson.h"
#include "inspect/v1/audit.pb-c.h"
#include "inspect/v1/departments.pb-c.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "inspect/v1/field.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"
#include "inspect/v1/session.pb-c.h"

#ifndef SEEDS_DIR
#error "SEEDS_DIR must name the demo district (seeds/)"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQ 160

static const ProtobufCMessageDescriptor *requests[MAX_REQ];
static size_t n_requests;

/* One seed folder: the demo district's files, kept to restore after each
 * input replaces one of them. */
static char full_dir[300], alone_dir[300];
static struct {
    char name[64];
    char *text;
    size_t len;
} demo[K_COUNT];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap && (buf = realloc(buf, cap = cap ? cap * 2 : 65536)) == NULL)
            abort();
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* The file name kind `k` is read from. */
static void kind_file(int k, char *out, size_t len)
{
    const kind_def *kd = &ins__seed_kinds[k];
    snprintf(out, len, kd->many_files ? "%s2026.json" : "%s", kd->file);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const ProtobufCServiceDescriptor *const services[] = {
        &inspect__v1__session__descriptor,   &inspect__v1__directory__descriptor,
        &inspect__v1__licensing__descriptor, &inspect__v1__dispatch__descriptor,
        &inspect__v1__field__descriptor,     &inspect__v1__departments__descriptor,
        &inspect__v1__audit__descriptor,
    };
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        for (unsigned m = 0; m < services[i]->n_methods && n_requests < MAX_REQ; m++)
            requests[n_requests++] = services[i]->methods[m].input;

    snprintf(full_dir, sizeof full_dir, "%s/full", ins_fuzz_dir());
    snprintf(alone_dir, sizeof alone_dir, "%s/alone", ins_fuzz_dir());
    if (mkdir(full_dir, 0700) != 0 || mkdir(alone_dir, 0700) != 0)
        abort();
    for (int k = 0; k < K_COUNT; k++) {
        char src[600], dst[600];
        kind_file(k, demo[k].name, sizeof demo[k].name);
        snprintf(src, sizeof src, "%s/%s", SEEDS_DIR, demo[k].name);
        demo[k].text = slurp(src, &demo[k].len);
        if (demo[k].text == NULL) {
            fprintf(stderr, "fuzz_json: %s: cannot read\n", src);
            abort();
        }
        snprintf(dst, sizeof dst, "%s/%s", full_dir, demo[k].name);
        ins_fuzz_write(dst, demo[k].text, demo[k].len);
    }
    return 0;
}

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf == NULL)
        abort();
    protobuf_c_message_pack(m, buf);
    return buf;
}

static void request(const ProtobufCMessageDescriptor *d, const char *text, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *in = json_tokener_parse_ex(tok, text, (int)len);
    json_tokener_free(tok);
    if (in == NULL)
        return;
    ProtobufCMessage *m = NULL;
    char why[512];
    if (ins_pbjson_parse(d, in, &m, why, sizeof why) == 0) {
        /* What the CLI prints it reads back as the same message. */
        json_object *out = ins_pbjson_print(m);
        if (out == NULL)
            abort();
        ProtobufCMessage *again = NULL;
        if (ins_pbjson_parse(d, out, &again, why, sizeof why) != 0) {
            fprintf(stderr, "fuzz_json: %s: printed JSON does not parse back: %s\n%s\n", d->name,
                    why, ins_pbjson_text(out, NULL));
            abort();
        }
        size_t a_len, b_len;
        uint8_t *a = pack(m, &a_len), *b = pack(again, &b_len);
        if (a_len != b_len || memcmp(a, b, a_len) != 0) {
            fprintf(stderr, "fuzz_json: %s: JSON round trip changed the message\n", d->name);
            abort();
        }
        free(a);
        free(b);
        protobuf_c_message_free_unpacked(again, NULL);
        json_object_put(out);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    json_object_put(in);
}

static void seed(int k, int with_demo, const uint8_t *p, size_t n)
{
    const char *dir = with_demo ? full_dir : alone_dir;
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, demo[k].name);
    ins_fuzz_write(path, p, n);
    ins_cli cli;
    ins_cli_defaults(&cli);
    char *argv[] = {"check", (char *)dir, NULL};
    ins__seed_check(&cli, 2, argv);
    if (with_demo)
        ins_fuzz_write(path, demo[k].text, demo[k].len);
    else
        unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (data[0] % 2 == 0)
        request(requests[data[1] % n_requests], (const char *)data + 2, size - 2);
    else
        seed((data[1] & 0x7f) % K_COUNT, data[1] & 0x80, data + 2, size - 2);
    return 0;
}
