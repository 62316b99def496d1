/*
 * cmd_backup.c - `inspectctl backup` / `inspectctl restore` (see
 * cmd_backup.h). argv[0] is the command name; options may come in any order.
 *
 * Part of the offline tool inspectctl-backup (backup_main.c), not of
 * inspectctl: it calls the storage engine (ins_backup.h) on the data folder's
 * files, which is why it links storage/ and the network client does not.
 * Arguments go through inspectctl's one parser (cliargs.c), so options,
 * --json and the usage errors are the same as everywhere ("inspectctl:
 * WHAT: missing NAME (see --help)"); exit codes as cli.h.
 */
#include "cmd_backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cliutil.h"
#include "ins_backup.h"
#include "ins_error.h"

static const char backup_usage[] =
    "usage: inspectctl backup --data-dir DIR --to BACKUP_DIR [--json]\n"
    "\n"
    "Copies everything a restore needs into BACKUP_DIR (created mode 0700 with its\n"
    "parents; it must not already hold a backup): the store (the blob stripes,\n"
    "then meta, compacted)\n"
    "and the token keys (token.key, token-keys/), so tokens issued before the backup\n"
    "still work after a restore; then BACKUP_DIR/MANIFEST with the size and SHA-256\n"
    "of every file. Safe while inspectd runs on DIR. BACKUP_DIR holds the signing\n"
    "keys: keep it as secret as DIR.\n"
    "\n"
    "  --data-dir DIR     the server's data folder\n"
    "  --to BACKUP_DIR    where the backup goes\n"
    "  --json             print the result as JSON\n"
    "\n"
    "example: inspectctl backup --data-dir data --to backups/2026-12-01\n";
static const char restore_usage[] =
    "usage: inspectctl restore --from BACKUP_DIR --data-dir DIR [--json]\n"
    "       inspectctl restore --from BACKUP_DIR --check [--json]\n"
    "\n"
    "Verifies every file of BACKUP_DIR against its MANIFEST (size and SHA-256) and\n"
    "refuses a damaged backup before anything in DIR is replaced; then replaces the\n"
    "store and the token keys of DIR (created if missing) with the backup, and\n"
    "verifies the restored audit chain. Refused while inspectd runs on DIR.\n"
    "\n"
    "  --from BACKUP_DIR  a folder written by 'inspectctl backup' or --backup-dir\n"
    "  --data-dir DIR     the data folder to replace\n"
    "  --check            only verify the backup against its manifest\n"
    "  --json             print the result as JSON\n"
    "\n"
    "example: inspectctl restore --from backups/2026-12-01 --check\n";

static void backup_help(void)
{
    fputs(backup_usage, stdout);
}

static void restore_help(void)
{
    fputs(restore_usage, stdout);
}

/* Prints the report as one JSON object (64-bit numbers as strings, as in
 * the proto3 mapping inspectctl uses everywhere). */
static int print_json(const char *what, const char *from, const char *to,
                      const ins_backup_report *rep, int restored)
{
    char n[24];
    json_object *o = json_object_new_object();
    json_object_object_add(o, what, json_object_new_string(from));
    if (to != NULL)
        json_object_object_add(o, restored ? "data_dir" : "to", json_object_new_string(to));
    json_object_object_add(o, "files", json_object_new_int64((int64_t)rep->files));
    snprintf(n, sizeof n, "%" PRIu64, rep->bytes);
    json_object_object_add(o, "bytes", json_object_new_string(n));
    if (restored) {
        snprintf(n, sizeof n, "%" PRIu64, rep->audit_last);
        json_object_object_add(o, "audit_entries_verified", json_object_new_string(n));
    }
    int ok =
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) >= 0 && fflush(stdout) == 0;
    json_object_put(o);
    return ok ? INS_EXIT_OK : INS_EXIT_FAIL;
}

int ins_cmd_backup(int argc, char **argv)
{
    ins_cli cli;
    ins_cli_defaults(&cli);
    const char *data = NULL, *to = NULL;
    ins_cu_opt opts[] = {{"--data-dir", &data, NULL}, {"--to", &to, NULL}, {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(&cli, argc, argv, 1, opts, NULL, 0, 0, &npos, backup_help, "backup");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("backup", "--data-dir", data) != INS_EXIT_OK ||
        ins_cu_require("backup", "--to", to) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    ins_backup_report rep;
    rc = ins_store_backup(data, to, &rep);
    if (rc) {
        fprintf(stderr, "inspectctl backup: %s\n", rep.detail[0] ? rep.detail : ins_strerror(rc));
        return INS_EXIT_FAIL;
    }
    if (cli.json)
        return print_json("data_dir", data, to, &rep, 0);
    printf("backup of %s written to %s: %zu files, %" PRIu64
           " bytes, with the token keys (keep it as secret as %s)\n",
           data, to, rep.files, rep.bytes, data);
    return INS_EXIT_OK;
}

int ins_cmd_restore(int argc, char **argv)
{
    ins_cli cli;
    ins_cli_defaults(&cli);
    const char *from = NULL, *data = NULL;
    int check = 0;
    ins_cu_opt opts[] = {{"--from", &from, NULL},
                         {"--data-dir", &data, NULL},
                         {"--check", NULL, &check},
                         {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(&cli, argc, argv, 1, opts, NULL, 0, 0, &npos, restore_help, "restore");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("restore", "--from", from) != INS_EXIT_OK ||
        (!check && ins_cu_require("restore", "--data-dir", data) != INS_EXIT_OK))
        return INS_EXIT_USAGE;
    ins_backup_report rep;
    rc = check ? ins_backup_verify(from, &rep) : ins_store_restore(from, data, &rep);
    if (rc == INS_ECORRUPT && rep.first_bad != 0) {
        fprintf(stderr,
                "inspectctl restore: restored %s from %s, but %s; run 'inspectctl audit verify' "
                "against it and compare with an older backup\n",
                data, from, rep.detail);
        return INS_EXIT_FAIL;
    }
    if (rc) {
        fprintf(stderr, "inspectctl restore: %s%s\n", rep.detail[0] ? rep.detail : ins_strerror(rc),
                check || rep.replaced ? "" : "; nothing was replaced");
        return INS_EXIT_FAIL;
    }
    if (cli.json)
        return print_json("from", from, check ? NULL : data, &rep, !check);
    if (check)
        printf("%s: %zu files, %" PRIu64 " bytes, all match the manifest\n", from, rep.files,
               rep.bytes);
    else
        printf("restored %s from %s: %zu files verified against the manifest; audit chain "
               "intact (%" PRIu64 " entries)\n",
               data, from, rep.files, rep.audit_last);
    return INS_EXIT_OK;
}
