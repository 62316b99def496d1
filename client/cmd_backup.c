/*
 * cmd_backup.c - `inspectctl backup` / `inspectctl restore` (see
 * cmd_backup.h). argv[0] is the command name; options may come in any order.
 *
 * Part of the offline tool inspectctl-backup (backup_main.c), not of
 * inspectctl: it calls the storage engine (ins_backup.h) on the data folder's
 * files, which is why it links storage/ and the network client does not.
 * Messages and exit codes follow inspectctl's (cli.h, ins_cu_args): usage
 * errors as "inspectctl: WHAT: missing NAME (see --help)", failures as
 * "inspectctl WHAT: ..." on stderr; 0 / 1 failed / 2 usage.
 */
#include "cmd_backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ins_backup.h"
#include "ins_error.h"

static const char backup_usage[] =
    "usage: inspectctl backup --data-dir DIR --to BACKUP_DIR [--json]\n"
    "\n"
    "Copies everything a restore needs into BACKUP_DIR (created mode 0700; it must\n"
    "not already hold a backup): the store (the blob stripes, then meta, compacted)\n"
    "and the token keys (token.key, token-keys/), so tokens issued before the backup\n"
    "still work after a restore; then BACKUP_DIR/MANIFEST with the size and SHA-256\n"
    "of every file. Safe while inspectd runs on DIR. BACKUP_DIR holds the signing\n"
    "keys: keep it as secret as DIR.\n"
    "\n"
    "  --data-dir DIR     the server's data folder\n"
    "  --to BACKUP_DIR    where the backup goes\n"
    "  --json             print the result as JSON\n"
    "\n"
    "example: inspectctl backup --data-dir data --to /var/backups/inspectd/2026-12-01\n";
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
    "example: inspectctl restore --from /var/backups/inspectd/2026-12-01 --data-dir data\n";

typedef struct args {
    const char *a, *b; /* the two folders, in the order of the names given */
    int check, json;
} args;

/*
 * Reads "--NAME VALUE" for `na` and `nb`, the flags --check (when
 * `allow_check`) and --json. Returns 0, 1 after --help, or 2 after saying
 * what is wrong in inspectctl's style.
 */
static int parse(int argc, char **argv, const char *na, const char *nb, int allow_check,
                 const char *usage, args *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (strcmp(o, "--json") == 0) {
            out->json = 1;
            continue;
        }
        if (allow_check && strcmp(o, "--check") == 0) {
            out->check = 1;
            continue;
        }
        const char **slot = strcmp(o, na) == 0 ? &out->a : strcmp(o, nb) == 0 ? &out->b : NULL;
        if (slot == NULL) {
            fprintf(stderr, "inspectctl: %s: %s %s (see --help)\n", argv[0],
                    o[0] == '-' ? "unknown option" : "unexpected argument", o);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "inspectctl: %s: %s needs a value (see --help)\n", argv[0], o);
            return 2;
        }
        *slot = argv[++i];
    }
    const char *missing = out->a == NULL ? na : (out->b == NULL && !out->check) ? nb : NULL;
    if (missing != NULL) {
        fprintf(stderr, "inspectctl: %s: missing %s (see --help)\n", argv[0], missing);
        return 2;
    }
    return 0;
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
    return ok ? 0 : 1;
}

int ins_cmd_backup(int argc, char **argv)
{
    args a;
    int p = parse(argc, argv, "--data-dir", "--to", 0, backup_usage, &a);
    if (p != 0)
        return p == 1 ? 0 : 2;
    ins_backup_report rep;
    int rc = ins_store_backup(a.a, a.b, &rep);
    if (rc) {
        fprintf(stderr, "inspectctl backup: %s\n", rep.detail[0] ? rep.detail : ins_strerror(rc));
        return 1;
    }
    if (a.json)
        return print_json("data_dir", a.a, a.b, &rep, 0);
    printf("backup of %s written to %s: %zu files, %" PRIu64
           " bytes, with the token keys (keep it as secret as %s)\n",
           a.a, a.b, rep.files, rep.bytes, a.a);
    return 0;
}

int ins_cmd_restore(int argc, char **argv)
{
    args a;
    int p = parse(argc, argv, "--from", "--data-dir", 1, restore_usage, &a);
    if (p != 0)
        return p == 1 ? 0 : 2;
    ins_backup_report rep;
    int rc = a.check ? ins_backup_verify(a.a, &rep) : ins_store_restore(a.a, a.b, &rep);
    if (rc == INS_ECORRUPT && rep.first_bad != 0) {
        fprintf(stderr,
                "inspectctl restore: restored %s from %s, but %s; run 'inspectctl audit verify' "
                "against it and compare with an older backup\n",
                a.b, a.a, rep.detail);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "inspectctl restore: %s%s\n", rep.detail[0] ? rep.detail : ins_strerror(rc),
                a.check || rep.replaced ? "" : "; nothing was replaced");
        return 1;
    }
    if (a.json)
        return print_json("from", a.a, a.check ? NULL : a.b, &rep, !a.check);
    if (a.check)
        printf("%s: %zu files, %" PRIu64 " bytes, all match the manifest\n", a.a, rep.files,
               rep.bytes);
    else
        printf("restored %s from %s: %zu files verified against the manifest; audit chain "
               "intact (%" PRIu64 " entries)\n",
               a.b, a.a, rep.files, rep.audit_last);
    return 0;
}
