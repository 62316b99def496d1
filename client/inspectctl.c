/*
 * inspectctl.c - the command-line client: global options, then one command.
 *
 * The dispatcher only knows the command table; each command group lives in
 * its own file (cmd_*.c) and parses its own arguments (with cliargs.c). Commands that talk to
 * a server take the global options either before or after the command name;
 * the offline commands (token, backup, restore) get their arguments as given.
 * backup and restore are not compiled in: they need the storage engine, so
 * they live in the separate offline tool inspectctl-backup (backup_main.c),
 * which this program runs from its own directory.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <grpc/status.h>

#include "cli.h"
#include "ins_district.h"
#include "ins_error.h"

#include "cmd_token.h"
#include "cmd_dossier.h"
#include "cmd_directory.h"
#include "cmd_licensing.h"
#include "cmd_seed.h"
#include "cmd_field.h"
#include "cmd_dispatch.h"
#include "cmd_departments_sync.h"

const char ins_cli_global_help[] =
    "Global options (before or after the command):\n"
    "  --server ADDR        server address (default: $INSPECT_SERVER, else 127.0.0.1:50051)\n"
    "  --token TOKEN        bearer token (default: $INSPECT_TOKEN)\n"
    "  --ca FILE            CA certificates (PEM): use TLS and verify the server\n"
    "  --cert FILE          client certificate (PEM) for mutual TLS; needs --key\n"
    "  --key FILE           private key (PEM) of --cert\n"
    "  --target-name NAME   TLS: name to verify in the server certificate\n"
    "  --district CODE      send 'x-district: CODE' with every call, so a province\n"
    "                       router reaches the district's node (default:\n"
    "                       $INSPECT_DISTRICT; none: the node's own district)\n"
    "  --timeout DURATION   deadline of each call, e.g. 500ms, 10s, 2m; 0 for none\n"
    "                       (default 10s; none for streams that follow, like --watch)\n"
    "  --json               print results as JSON\n";

/* The last channel opened was plaintext (no --ca): ins_cli_fail() then
 * suggests --ca when the server did not speak plaintext HTTP/2. */
static int last_plaintext;

int ins_cli_connect(const ins_cli *cli, ins_client **out)
{
    last_plaintext = cli->ca == NULL && cli->cert == NULL;
    if (cli->district != NULL && !ins_district_code_ok(cli->district)) {
        *out = NULL;
        return ins_cli_usage_error("--district (or $INSPECT_DISTRICT) takes one district code "
                                   "(lower-case letters, digits, '-'), not '%s'; only "
                                   "'changes' follows several",
                                   cli->district);
    }
    ins_client_opts o = {
        .target = cli->server,
        .ca_file = cli->ca,
        .cert_file = cli->cert,
        .key_file = cli->key,
        .target_name_override = cli->target_name,
        .token = cli->token,
        .district = cli->district,
        .timeout_ms = cli->timeout_ms,
        .keepalive_ms = cli->keepalive_ms,
        .reconnect_ms = cli->reconnect_ms,
    };
    char *details = NULL;
    int rc = ins_client_open(&o, out, &details);
    if (rc != 0) {
        fprintf(stderr, "inspectctl: %s\n", details != NULL ? details : "cannot open a channel");
        free(details);
        return INS_EXIT_FAIL;
    }
    free(details);
    return INS_EXIT_OK;
}

int ins_cli_fail(const char *what, int code, const char *details)
{
    if (details != NULL && details[0] != '\0')
        fprintf(stderr, "inspectctl: %s: %s: %s\n", what, ins_client_status_name(code), details);
    else
        fprintf(stderr, "inspectctl: %s: %s\n", what, ins_client_status_name(code));
    /* Something answered, but not plaintext HTTP/2: most likely TLS. */
    if (code == GRPC_STATUS_UNAVAILABLE && last_plaintext &&
        (details == NULL || strstr(details, "Connection refused") == NULL))
        fprintf(stderr,
                "inspectctl: %s: if the server uses TLS, pass --ca FILE (the CA "
                "certificate that signed the server's), as plaintext is only served "
                "on loopback\n",
                what);
    return ins_cli_space_full(code, details) ? INS_EXIT_FULL : INS_EXIT_FAIL;
}

static int starts_with(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

int ins_cli_space_full(int code, const char *details)
{
    return code == GRPC_STATUS_RESOURCE_EXHAUSTED &&
           (starts_with(details, INS_MSG_STORE_FULL) || starts_with(details, INS_MSG_DISK_FULL));
}

int ins_cli_busy(int code, const char *details)
{
    return code == GRPC_STATUS_RESOURCE_EXHAUSTED && starts_with(details, INS_MSG_BUSY);
}

/* ---- the offline backup tool ------------------------------------------ */

/*
 * Runs inspectctl-backup from the directory of this executable with
 * "COMMAND ARGS..." (argv[0] is the command name), and --json when it was
 * given before the command. Returns only on failure, after saying why:
 * INS_EXIT_FAIL.
 */
static int run_backup_tool(const ins_cli *cli, int argc, char **argv)
{
    static const char tool[] = "inspectctl-backup";
    char self[4096], path[4096 + sizeof tool];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "inspectctl: %s: cannot find this program's directory: %s\n", argv[0],
                strerror(errno));
        return INS_EXIT_FAIL;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    snprintf(path, sizeof path, "%s/%s", slash != NULL ? self : ".", tool);
    char **args = calloc((size_t)argc + 3, sizeof *args);
    if (args == NULL) {
        fprintf(stderr, "inspectctl: %s: %s\n", argv[0], strerror(ENOMEM));
        return INS_EXIT_FAIL;
    }
    args[0] = (char *)tool;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    if (cli->json)
        args[argc + 1] = "--json";
    fflush(stdout);
    execv(path, args);
    fprintf(stderr, "inspectctl: %s: cannot run %s: %s\n", argv[0], path, strerror(errno));
    free(args);
    return INS_EXIT_FAIL;
}

/* ---- dispatcher ------------------------------------------------------ */

typedef struct command {
    const char *name;
    const char *summary;
    int (*online)(ins_cli *, int, char **);        /* takes the global options */
    int (*offline)(const ins_cli *, int, char **); /* gets its argv untouched */
} command;

static const command commands[] = {
    {"health", "check (or --watch) the server's health", ins_cmd_health, NULL},
    {"whoami", "who the server takes you to be", ins_cmd_whoami, NULL},
    {"status", "runtime counters of the server (admin, auditor)", ins_cmd_status, NULL},
    {"departments", "list or upsert departments (admin)", ins_cmd_departments, NULL},
    {"inspectors", "list, get or upsert inspectors (admin, dispatcher)", ins_cmd_inspectors, NULL},
    {"items", "list or upsert service items (admin)", ins_cmd_items, NULL},
    {"templates", "get or publish checklist templates", ins_cmd_templates, NULL},
    {"calendar", "get or put the working-day calendar", ins_cmd_calendar, NULL},
    {"applications", "list, get, upsert or move applications along the flow", ins_cmd_applications,
     NULL},
    {"seed", "check or load the demo district's seed files", ins_cmd_seed, NULL},
    {"field", "what an inspector's tablet does: sync, check in, findings, photos", ins_cmd_field,
     NULL},
    {"tasks", "create, assign, replace, cancel, get or list inspection tasks", ins_cmd_tasks, NULL},
    {"alerts", "list, follow (--follow) or acknowledge alerts", ins_cmd_alerts, NULL},
    {"decision", "record a joint consultation review's decision", ins_cmd_decision, NULL},
    {"changes", "a department's change feed (--follow until Ctrl-C)", ins_cmd_changes, NULL},
    {"report", "show a task's reconciliation report", ins_cmd_report, NULL},
    {"opinion", "record a department's opinion on a report", ins_cmd_opinion, NULL},
    {"photo", "download a photo, checked against its SHA-256 id", ins_cmd_photo, NULL},
    {"token", "issue tokens, rotate or retire keys (offline); revoke tokens (admin)", ins_cmd_token,
     NULL},
    {"backup", "hot copy of a data folder into a backup folder (offline)", NULL, run_backup_tool},
    {"restore", "replace a data folder's store with a backup (offline)", NULL, run_backup_tool},
    {"audit", "the audit trail and its hash chain (auditor)", ins_cmd_audit, NULL},
    {"dossier", "export a case dossier; verify one offline", ins_cmd_dossier, NULL},
    {"blobs", "the photo tier: status, migrate to the object store (admin)", ins_cmd_blobs, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: inspectctl [global options] COMMAND [options]\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n%s\n"
            "Run 'inspectctl COMMAND --help' for a command's options.\n"
            "Exit status: 0 success; 1 the call failed (gRPC status on stderr) or\n"
            "the answer was negative; 2 bad usage.\n",
            ins_cli_global_help);
}

int main(int argc, char **argv)
{
    ins_cli cli;
    ins_cli_defaults(&cli);

    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return INS_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("inspectctl %s\n", INSPECT_VERSION);
            return INS_EXIT_OK;
        }
        int r = ins_cli_global_option(&cli, argc, argv, &i);
        if (r < 0)
            return INS_EXIT_USAGE;
        if (r == 0)
            return ins_cli_usage_error("unknown option %s", argv[i]);
    }
    if (i >= argc) {
        usage(stderr);
        return INS_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        usage(stdout);
        return INS_EXIT_OK;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(argv[i], commands[k].name) != 0)
            continue;
        if (commands[k].online != NULL)
            return commands[k].online(&cli, argc - i, argv + i);
        return commands[k].offline(&cli, argc - i, argv + i);
    }
    return ins_cli_usage_error("unknown command '%s'", argv[i]);
}
