/*
 * cmd_backup.c - `inspectctl backup` / `inspectctl restore` (see
 * cmd_backup.h). argv[0] is the command name; options may come in any order.
 *
 * Part of the offline tool inspectctl-backup (backup_main.c), not of
 * inspectctl: it calls the storage engine (ins_backup.h) on the data folder's
 * files, which is why it links storage/ and the network client does not.
 */
#include "cmd_backup.h"

#include <stdio.h>
#include <string.h>

#include "ins_backup.h"
#include "ins_error.h"

static const char backup_usage[] =
    "usage: inspectctl backup --data-dir DIR --to BACKUP_DIR\n"
    "  Copies the store in DIR (blobs, then meta, compacted) into BACKUP_DIR,\n"
    "  which must not already hold a backup. Safe while inspectd runs.\n";
static const char restore_usage[] =
    "usage: inspectctl restore --from BACKUP_DIR --data-dir DIR\n"
    "  Replaces the store in DIR with the backup. Refused while inspectd runs on DIR.\n";

/* Reads "--name VALUE" pairs; returns 0, 1 (--help) or -1 (usage error). */
static int parse(int argc, char **argv, const char *a, const char **va, const char *b,
                 const char **vb)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
        if (i + 1 >= argc)
            return -1;
        if (strcmp(argv[i], a) == 0)
            *va = argv[++i];
        else if (strcmp(argv[i], b) == 0)
            *vb = argv[++i];
        else
            return -1;
    }
    return *va && *vb ? 0 : -1;
}

int ins_cmd_backup(int argc, char **argv)
{
    const char *data = NULL, *to = NULL;
    int p = parse(argc, argv, "--data-dir", &data, "--to", &to);
    if (p != 0) {
        fputs(backup_usage, p == 1 ? stdout : stderr);
        return p == 1 ? 0 : 2;
    }
    int rc = ins_store_backup(data, to);
    if (rc) {
        fprintf(stderr, "inspectctl backup: %s -> %s: %s\n", data, to, ins_strerror(rc));
        return 1;
    }
    printf("backup of %s written to %s\n", data, to);
    return 0;
}

int ins_cmd_restore(int argc, char **argv)
{
    const char *from = NULL, *data = NULL;
    int p = parse(argc, argv, "--from", &from, "--data-dir", &data);
    if (p != 0) {
        fputs(restore_usage, p == 1 ? stdout : stderr);
        return p == 1 ? 0 : 2;
    }
    int rc = ins_store_restore(from, data);
    if (rc == INS_EBUSY) {
        fprintf(stderr, "inspectctl restore: %s is in use by a running inspectd; stop it first\n",
                data);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "inspectctl restore: %s -> %s: %s\n", from, data, ins_strerror(rc));
        return 1;
    }
    printf("restored %s from %s\n", data, from);
    return 0;
}
