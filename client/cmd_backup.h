/*
 * cmd_backup.h - `inspectctl backup` and `inspectctl restore`: hot backup of
 * a data folder and its restore, through the storage engine (ins_backup.h).
 * These commands work on the files directly, not through the server; they
 * are built into the offline tool inspectctl-backup (backup_main.c), which
 * inspectctl runs for them.
 */
#ifndef INS_CMD_BACKUP_H
#define INS_CMD_BACKUP_H

/*
 * inspectctl backup --data-dir D --to DIR
 * Copies both environments of D into DIR (blobs first, then meta), safe while
 * a server runs on D. Prints the outcome; returns the process exit code:
 * 0 success, 1 failure, 2 usage error. `--help` prints usage and returns 0.
 */
int ins_cmd_backup(int argc, char **argv);

/*
 * inspectctl restore --from DIR --data-dir D
 * Replaces the store in D with the backup in DIR; refused (exit 1) while a
 * server holds D. Exit codes as ins_cmd_backup.
 */
int ins_cmd_restore(int argc, char **argv);

#endif /* INS_CMD_BACKUP_H */
