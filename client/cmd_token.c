/*
 * cmd_token.c - `inspectctl token issue`, `rotate-key`, `retire-key` (offline,
 * on a data folder's keys) and `revoke` (online, Directory.RevokeTokens);
 * see cmd_token.h.
 *
 * A thin layer over common/ins_token.h: parse (ins_cu_args, without the
 * global options: the command is offline) and check the options, load the
 * key, sign, print. Every rejection names the option at fault so the
 * operator can fix the command line; nothing is printed on stdout unless a
 * token was made.
 */
#include "cmd_token.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cliutil.h"
#include "ins_token.h"
#include "ins_error.h"
#include "ins_principal.h"
#include "inspect/v1/directory.pb-c.h"

static void usage_token(FILE *f)
{
    fputs("usage: inspectctl token <command> [options]\n"
          "\n"
          "commands:\n"
          "  issue        sign a bearer token with the node's signing key\n"
          "  rotate-key   add a new signing key; older keys still verify\n"
          "  retire-key   stop accepting tokens signed with an old key\n"
          "  revoke       refuse a principal's tokens issued before a time (online)\n"
          "\n"
          "Run 'inspectctl token <command> --help' for its options.\n",
          f);
}

static void usage_issue(FILE *f)
{
    fputs("usage: inspectctl token issue --data-dir DIR --role ROLE --principal NAME\n"
          "                              [--department DEPT] [--district LIST] --ttl DURATION\n"
          "\n"
          "Signs a bearer token with the signing key of DIR (DIR/token.key, created\n"
          "mode 0600 if missing, or the newest of DIR/token-keys after a rotation)\n"
          "and prints it on stdout. Clients send it as 'authorization: Bearer <token>'.\n"
          "\n"
          "  --data-dir DIR     the server's data folder\n"
          "  --role ROLE        inspector, dispatcher, department, auditor or admin\n"
          "  --principal NAME   who the token speaks for (no control characters)\n"
          "  --department DEPT  the department, for the department role (optional)\n"
          "  --district LIST    the districts the token is valid in: one code, several\n"
          "                     (a,b,c: a city department) or '*' (every district). Without\n"
          "                     it the token holds the default district only, the one of\n"
          "                     a node started without --district. Nodes of a province\n"
          "                     share one keyring (DIR/token-keys on every node)\n"
          "  --ttl DURATION     lifetime: digits and a unit, e.g. 90s, 30m, 12h, 7d\n"
          "  -h, --help         show this help\n",
          f);
}

static void issue_help(void)
{
    usage_issue(stdout);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "inspectctl token issue: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fputs("Run 'inspectctl token issue --help' for usage.\n", stderr);
    return INS_EXIT_USAGE;
}

static int cmd_issue(int argc, char **argv)
{
    const char *data_dir = NULL, *role = NULL, *name = NULL, *dept = "", *ttl = NULL;
    const char *districts = NULL;
    ins_cu_opt opts[] = {
        {"--data-dir", &data_dir, NULL},
        {"--role", &role, NULL},
        {"--principal", &name, NULL},
        {"--department", &dept, NULL},
        {"--district", &districts, NULL},
        {"--ttl", &ttl, NULL},
        {NULL, NULL, NULL},
    };
    int npos;
    /* offline: no global options (cli NULL) */
    int rc = ins_cu_args(NULL, argc, argv, 1, opts, NULL, 0, 0, &npos, issue_help, "token issue");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (data_dir == NULL || *data_dir == '\0')
        return usage_error("--data-dir is required", NULL);
    if (role == NULL)
        return usage_error("--role is required", NULL);
    if (name == NULL || *name == '\0')
        return usage_error("--principal is required", NULL);
    if (ttl == NULL)
        return usage_error("--ttl is required", NULL);

    ins_principal p;
    memset(&p, 0, sizeof(p));
    p.role = ins_role_parse(role);
    if (p.role == INS_ROLE_NONE)
        return usage_error("--role must be inspector, dispatcher, department, auditor or admin",
                           role);
    if (strlen(name) >= sizeof(p.name) || !ins_principal_text_ok(name)) {
        fprintf(stderr,
                "inspectctl token issue: --principal must be at most %zu bytes without control "
                "characters\n",
                sizeof(p.name) - 1);
        return INS_EXIT_USAGE;
    }
    if (strlen(dept) >= sizeof(p.department) || !ins_principal_text_ok(dept)) {
        fprintf(stderr,
                "inspectctl token issue: --department must be at most %zu bytes without control "
                "characters\n",
                sizeof(p.department) - 1);
        return INS_EXIT_USAGE;
    }
    int64_t secs;
    if (ins_duration_parse(ttl, &secs) != 0)
        return usage_error("--ttl must be a positive number and a unit (s, m, h, d), e.g. 12h",
                           ttl);
    int64_t now = (int64_t)time(NULL);
    if (secs > INT64_MAX - now)
        return usage_error("--ttl is too long", ttl);
    memcpy(p.name, name, strlen(name) + 1);
    memcpy(p.department, dept, strlen(dept) + 1);
    const char *why = NULL;
    if (districts != NULL &&
        ins_district_list_parse(districts, p.districts, sizeof p.districts, &why) != 0)
        return usage_error(why, districts);
    p.expires_unix = now + secs;

    char token[INS_TOKEN_MAX];
    rc = ins_token_issue(data_dir, &p, token, sizeof(token));
    if (rc != 0) {
        fprintf(stderr, "inspectctl token issue: cannot sign the token with the keys of %s: %s\n",
                data_dir, ins_strerror(rc));
        return INS_EXIT_FAIL;
    }
    if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
        perror("inspectctl token issue: stdout");
        return INS_EXIT_FAIL;
    }
    return 0;
}

static void usage_keys(FILE *f)
{
    fputs("usage: inspectctl token rotate-key --data-dir DIR\n"
          "       inspectctl token retire-key --data-dir DIR --key-id N\n"
          "\n"
          "rotate-key adds key N+1 to DIR/token-keys and prints N+1: it signs every\n"
          "token issued from now on, while the older keys still verify. retire-key\n"
          "deletes key N: tokens it signed are refused from the next call on (a\n"
          "running server notices by itself). The signing key cannot be retired.\n"
          "Run on the server host, as the user that owns DIR.\n",
          f);
}

static void keys_help(void)
{
    usage_keys(stdout);
}

static int cmd_keys(int argc, char **argv, int retire)
{
    const char *what = retire ? "token retire-key" : "token rotate-key";
    const char *data_dir = NULL, *key_id = NULL;
    ins_cu_opt opts[] = {
        {"--data-dir", &data_dir, NULL}, {"--key-id", &key_id, NULL}, {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(NULL, argc, argv, 1, opts, NULL, 0, 0, &npos, keys_help, what);
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (data_dir == NULL || *data_dir == '\0' || (retire != (key_id != NULL))) {
        fprintf(stderr, "inspectctl %s: %s\n", what,
                retire ? "--data-dir and --key-id are required"
                       : "--data-dir is required (and --key-id is for retire-key)");
        usage_keys(stderr);
        return INS_EXIT_USAGE;
    }
    uint32_t id = 0;
    if (retire) {
        char *end = NULL;
        unsigned long v = strtoul(key_id, &end, 10);
        if (*key_id < '0' || *key_id > '9' || *end != '\0' || v > UINT32_MAX) {
            fprintf(stderr, "inspectctl %s: --key-id must be a key number: %s\n", what, key_id);
            return INS_EXIT_USAGE;
        }
        id = (uint32_t)v;
        rc = ins_token_keyring_retire(data_dir, id);
    } else {
        rc = ins_token_keyring_rotate(data_dir, &id);
    }
    if (rc == INS_ESTATE) {
        fprintf(stderr, "inspectctl %s: key %" PRIu32 " signs new tokens; rotate first\n", what,
                id);
        return INS_EXIT_FAIL;
    }
    if (rc != 0) {
        fprintf(stderr, "inspectctl %s: %s: %s\n", what, data_dir,
                rc == INS_ENOTFOUND ? "no such key" : ins_strerror(rc));
        return INS_EXIT_FAIL;
    }
    printf(retire ? "retired key %" PRIu32 "\n" : "%" PRIu32 "\n", id);
    return fflush(stdout) == 0 ? 0 : INS_EXIT_FAIL;
}

/* ---- revoke (online) --------------------------------------------------- */

static void revoke_help(void)
{
    printf("usage: inspectctl token revoke --principal NAME --reason TEXT\n"
           "                               [--before TIME] [--request-id ID]\n\n"
           "Refuses every bearer token of NAME issued before TIME (default: now, by\n"
           "the server's clock), on the server's next call, whatever their expiry;\n"
           "tokens issued afterwards work. The cutoff only moves forward. Tokens are\n"
           "answered UNAUTHENTICATED once revoked. Role: admin.\n"
           "  --principal NAME  whose tokens\n"
           "  --reason TEXT     why (kept in the audit trail)\n"
           "  --before TIME     Unix time in seconds; 0 or absent: now\n\n%s",
           ins_cli_global_help);
}

static void show_revoke(const ProtobufCMessage *m)
{
    const Inspect__V1__TokenRevocation *r =
        ((const Inspect__V1__RevokeTokensResponse *)m)->revocation;
    char when[32];
    if (r != NULL)
        printf("tokens of %s issued before %s are refused (revoked by %s)\n", r->principal,
               ins_cu_fmt_time(r->issued_before_unix_ms / 1000, when, sizeof when), r->revoked_by);
    else
        puts("ok");
}

static int cmd_revoke(ins_cli *cli, int argc, char **argv)
{
    const char *principal = NULL, *reason = NULL, *before = NULL, *rid = NULL;
    ins_cu_opt opts[] = {{"--principal", &principal, NULL},
                         {"--reason", &reason, NULL},
                         {"--before", &before, NULL},
                         {"--request-id", &rid, NULL},
                         {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, revoke_help, "token revoke");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (principal == NULL || *principal == '\0' || reason == NULL || *reason == '\0') {
        fputs("inspectctl token revoke: --principal and --reason are required\n", stderr);
        return INS_EXIT_USAGE;
    }
    uint64_t secs = 0;
    if (before != NULL && ins_cu_parse_u64("--before", before, INT64_MAX / 1000, &secs) != 0)
        return INS_EXIT_USAGE;
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "token revoke");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__RevokeTokensRequest req = INSPECT__V1__REVOKE_TOKENS_REQUEST__INIT;
    req.request_id = (char *)id;
    req.principal = (char *)principal;
    req.reason = (char *)reason;
    req.issued_before_unix_ms = (int64_t)secs * 1000;
    return ins_cu_call_and_show(cli, "token revoke", "/inspect.v1.Directory/RevokeTokens",
                                &req.base, &inspect__v1__revoke_tokens_response__descriptor,
                                show_revoke);
}

int ins_cmd_token(ins_cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        fputs("inspectctl token: missing command\n", stderr);
        usage_token(stderr);
        return INS_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        usage_token(stdout);
        return 0;
    }
    if (strcmp(sub, "issue") == 0)
        return cmd_issue(argc - 1, argv + 1);
    if (strcmp(sub, "rotate-key") == 0 || strcmp(sub, "retire-key") == 0)
        return cmd_keys(argc - 1, argv + 1, sub[1] == 'e');
    if (strcmp(sub, "revoke") == 0)
        return cmd_revoke(cli, argc - 1, argv + 1);
    fprintf(stderr, "inspectctl token: unknown command: %s\n", sub);
    usage_token(stderr);
    return INS_EXIT_USAGE;
}
