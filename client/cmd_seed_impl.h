/*
 * cmd_seed_impl.h - what the files of `inspectctl seed` share
 * (client/cmd_seed*.c; the group's entry point is cmd_seed.h).
 *
 * cmd_seed.c reads a seed folder into a seed_set, loads it (`load`) and
 * dispatches the group; cmd_seed_check.c cross-checks a seed_set offline
 * (`check`). Nothing here is for use outside client/cmd_seed*.c.
 */
#ifndef INS_CMD_SEED_IMPL_H
#define INS_CMD_SEED_IMPL_H

#include <stddef.h>

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

#include "cli.h"

enum { K_DEPARTMENTS, K_TEMPLATES, K_ITEMS, K_CALENDARS, K_INSPECTORS, K_APPLICATIONS, K_COUNT };

/* One kind of seed record, in load order. */
typedef struct kind_def {
    const char *file;  /* file name, or prefix of "calendar-*.json" */
    int many_files;    /* 1: every FILE*.json */
    const char *label; /* for the summary */
    const ProtobufCMessageDescriptor *entity;
    const char *method; /* the mutation that loads it */
    const ProtobufCMessageDescriptor *req;
    const char *field; /* entity field of the request */
    const ProtobufCMessageDescriptor *resp;
} kind_def;

typedef struct record {
    char where[300];   /* "applications.json[3]" */
    json_object *json; /* the element (a reference of our own) */
    ProtobufCMessage *m;
} record;

typedef struct seed_set {
    record *recs[K_COUNT];
    size_t n[K_COUNT];
    int files[K_COUNT]; /* files found */
} seed_set;

/* What each kind is: its files, its messages and how it loads; indexed by
 * K_*. Defined in cmd_seed.c. */
extern const kind_def ins__seed_kinds[K_COUNT];

/*
 * Fills `s` with every seed file of `dir`, parsed; a kind whose file is
 * absent is left empty. Returns the number of errors printed on stderr (0:
 * all read and parsed). `s` must be released with ins__seed_free() either
 * way.
 */
int ins__seed_read(seed_set *s, const char *dir);

/* Frees what ins__seed_read() put in `s` and zeroes it. This function can't
 * fail. */
void ins__seed_free(seed_set *s);

/*
 * `inspectctl seed check` (see cmd_seed.h); argv[0] is "check". Returns the
 * exit code of cli.h: INS_EXIT_FAIL when there are errors (warnings alone
 * do not fail).
 */
int ins__seed_check(ins_cli *cli, int argc, char **argv);

#endif /* INS_CMD_SEED_IMPL_H */
