/*
 * backup_main.c - inspectctl-backup, the offline backup and restore tool.
 *
 * `inspectctl-backup backup --data-dir D --to DIR` and
 * `inspectctl-backup restore --from DIR --data-dir D` (see cmd_backup.h).
 * This is the one client program that links storage/ (the LMDB engine): a
 * hot backup and a restore work on a data folder's files directly, with no
 * server in between, so they need the engine itself. It is its own
 * executable so that inspectctl, the network client, shares only proto/
 * and common/ with the server; `inspectctl backup` and `inspectctl restore`
 * run this program (installed next to inspectctl) with the same arguments.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_backup.h"

static void usage(FILE *f)
{
    fputs("usage: inspectctl-backup backup --data-dir DIR --to BACKUP_DIR [--json]\n"
          "       inspectctl-backup restore --from BACKUP_DIR --data-dir DIR [--json]\n"
          "       inspectctl-backup restore --from BACKUP_DIR --check [--json]\n"
          "Offline: works on the data folder's files, not through a server.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "backup") == 0)
        return ins_cmd_backup(argc - 1, argv + 1);
    if (strcmp(argv[1], "restore") == 0)
        return ins_cmd_restore(argc - 1, argv + 1);
    fprintf(stderr, "inspectctl-backup: unknown command '%s' (see --help)\n", argv[1]);
    usage(stderr);
    return 2;
}
