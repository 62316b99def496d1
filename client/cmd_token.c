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

#include <errno.h>
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
#include "inspect/v1/session.pb-c.h"

static void usage_issue(FILE *f)
{
    fputs("usage: inspectctl token issue --data-dir DIR --role ROLE --principal NAME\n"
          "                              [--department DEPT] [--district LIST] --ttl DURATION\n"
          "                              [--json]\n"
          "\n"
          "Signs a bearer token with the signing key of DIR (DIR/token.key, or the\n"
          "newest of DIR/token-keys after a rotation) and prints it on stdout. DIR\n"
          "must be the data folder of the server that will check the token, which\n"
          "creates the key on its first start; a folder without a key is refused\n"
          "(exit 1), never given a new one. Clients send the token as\n"
          "'authorization: Bearer <token>', or inspectctl with --token or\n"
          "$INSPECT_TOKEN.\n"
          "\n"
          "The server checks the principal against its directory on every call:\n"
          "for the inspector role NAME must be an active inspector's id (e.g.\n"
          "fire-003), for the department role DEPT an active department's code.\n"
          "\n"
          "  --data-dir DIR     the server's data folder\n"
          "  --role ROLE        inspector, dispatcher, department, auditor or admin\n"
          "  --principal NAME   who the token speaks for (no control characters)\n"
          "  --department DEPT  the department (required for the department role)\n"
          "  --district LIST    the districts the token is valid in: one code, several\n"
          "                     (a,b,c: a city department) or '*' (every district). Without\n"
          "                     it the token holds the default district only, the one of\n"
          "                     a node started without --district. Nodes of a province\n"
          "                     share one keyring (DIR/token-keys on every node)\n"
          "  --ttl DURATION     lifetime: digits and a unit, e.g. 90s, 30m, 12h, 7d\n"
          "  --json             print {\"token\", \"principal\", \"role\", \"department\",\n"
          "                     \"districts\", \"expires\"} (RFC 3339) instead of the token\n"
          "  -h, --help         show this help\n"
          "\n"
          "example: inspectctl token issue --data-dir data --role dispatcher --principal desk-1 "
          "--ttl 8h\n",
          f);
}

static void issue_help(void)
{
    usage_issue(stdout);
}

static int usage_error(const char *msg, const char *arg)
{
    return ins_cli_usage_error("token issue: %s%s%s", msg, arg ? ": " : "", arg ? arg : "");
}

void ins_token_issue_failed(const char *what, const char *data_dir, int rc)
{
    if (rc == ENOENT || rc == ENOTDIR)
        fprintf(stderr,
                "inspectctl: %s: %s is not a folder: --data-dir must be the data folder of the "
                "server that will check the token (its --data-dir, default ./data)\n",
                what, data_dir);
    else if (rc == INS_ENOTFOUND)
        fprintf(stderr,
                "inspectctl: %s: %s holds no token key (token.key or token-keys/): start "
                "inspectd on it once, which creates the key, then issue tokens\n",
                what, data_dir);
    else
        fprintf(stderr, "inspectctl: %s: cannot sign a token with the keys of %s: %s\n", what,
                data_dir, ins_strerror(rc));
}

/* Prints the issued token: bare, or with --json its claims. */
static int print_issued(const ins_cli *cli, const char *token, const ins_principal *p)
{
    if (!cli->json) {
        if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
            perror("inspectctl: token issue: stdout");
            return INS_EXIT_FAIL;
        }
        return INS_EXIT_OK;
    }
    char expires[32];
    time_t t = (time_t)p->expires_unix;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(expires, sizeof expires, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "token", json_object_new_string(token));
    json_object_object_add(o, "principal", json_object_new_string(p->name));
    json_object_object_add(
        o, "role",
        json_object_new_string(
            protobuf_c_enum_descriptor_get_value(&inspect__v1__role__descriptor, p->role)->name));
    json_object_object_add(o, "department", json_object_new_string(p->department));
    json_object_object_add(o, "districts", json_object_new_string(p->districts));
    json_object_object_add(o, "expires", json_object_new_string(expires));
    int rc = ins_cu_print_json_object(o);
    json_object_put(o);
    return rc;
}

static int cmd_issue(ins_cli *cli, int argc, char **argv)
{
    const char *data_dir = NULL, *role = NULL, *name = NULL, *dept = "", *ttl = NULL;
    const char *districts = NULL;
    ins_cu_opt opts[] = {
        {"--data-dir", &data_dir, NULL}, {"--role", &role, NULL}, {"--principal", &name, NULL},
        {"--department", &dept, NULL},   {"--ttl", &ttl, NULL},   {NULL, NULL, NULL},
    };
    /* --district here is the token's claim, not the global option (where a
     * call is routed), so it is taken out before the global options are. */
    const char *dvals[INS_CU_MAX_REPEAT];
    size_t nd;
    if (ins_cu_take_repeated(&argc, argv, "--district", dvals, &nd, "token issue") != 0)
        return INS_EXIT_USAGE;
    if (nd > 1)
        return ins_cli_usage_error("token issue: give --district once, with a list (a,b,c)");
    if (nd == 1)
        districts = dvals[0];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, issue_help, "token issue");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("token issue", "--data-dir", data_dir) != INS_EXIT_OK ||
        ins_cu_require("token issue", "--role", role) != INS_EXIT_OK ||
        ins_cu_require("token issue", "--principal", name) != INS_EXIT_OK ||
        ins_cu_require("token issue", "--ttl", ttl) != INS_EXIT_OK)
        return INS_EXIT_USAGE;

    ins_principal p;
    memset(&p, 0, sizeof(p));
    p.role = ins_role_parse(role);
    if (p.role == INS_ROLE_NONE)
        return usage_error("--role must be inspector, dispatcher, department, auditor or admin",
                           role);
    if (p.role == INS_ROLE_DEPARTMENT && dept[0] == '\0')
        return ins_cli_usage_error("token issue: missing --department: the department role "
                                   "speaks for one department (e.g. --department fire)");
    if (strlen(name) >= sizeof(p.name) || !ins_principal_text_ok(name))
        return ins_cli_usage_error("token issue: --principal must be at most %zu bytes without "
                                   "control characters",
                                   sizeof(p.name) - 1);
    if (strlen(dept) >= sizeof(p.department) || !ins_principal_text_ok(dept))
        return ins_cli_usage_error("token issue: --department must be at most %zu bytes without "
                                   "control characters",
                                   sizeof(p.department) - 1);
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
        ins_token_issue_failed("token issue", data_dir, rc);
        return INS_EXIT_FAIL;
    }
    return print_issued(cli, token, &p);
}

static void usage_keys(FILE *f)
{
    fputs("usage: inspectctl token rotate-key --data-dir DIR [--json]\n"
          "       inspectctl token retire-key --data-dir DIR --key-id N [--json]\n"
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

static int cmd_keys(ins_cli *cli, int argc, char **argv, int retire)
{
    const char *what = retire ? "token retire-key" : "token rotate-key";
    const char *data_dir = NULL, *key_id = NULL;
    ins_cu_opt opts[] = {
        {"--data-dir", &data_dir, NULL}, {"--key-id", &key_id, NULL}, {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, keys_help, what);
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require(what, "--data-dir", data_dir) != INS_EXIT_OK ||
        (retire && ins_cu_require(what, "--key-id", key_id) != INS_EXIT_OK))
        return INS_EXIT_USAGE;
    if (!retire && key_id != NULL)
        return ins_cli_usage_error("%s: --key-id is for retire-key", what);
    uint32_t id = 0;
    if (retire) {
        uint64_t v;
        if (ins_cu_parse_u64("--key-id", key_id, UINT32_MAX, &v) != 0)
            return INS_EXIT_USAGE;
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
    if (rc == ENOENT || rc == ENOTDIR || (rc == INS_ENOTFOUND && !retire)) {
        ins_token_issue_failed(what, data_dir, rc);
        return INS_EXIT_FAIL;
    }
    if (rc != 0) {
        fprintf(stderr, "inspectctl %s: %s: %s\n", what, data_dir,
                rc == INS_ENOTFOUND ? "no such key" : ins_strerror(rc));
        return INS_EXIT_FAIL;
    }
    if (cli->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, retire ? "retired_key_id" : "key_id", json_object_new_int64(id));
        rc = ins_cu_print_json_object(o);
        json_object_put(o);
        return rc;
    }
    printf(retire ? "retired key %" PRIu32 "\n" : "%" PRIu32 "\n", id);
    return fflush(stdout) == 0 ? 0 : INS_EXIT_FAIL;
}

static int cmd_rotate(ins_cli *cli, int argc, char **argv)
{
    return cmd_keys(cli, argc, argv, 0);
}

static int cmd_retire(ins_cli *cli, int argc, char **argv)
{
    return cmd_keys(cli, argc, argv, 1);
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
    if (ins_cu_require("token revoke", "--principal", principal) != INS_EXIT_OK ||
        ins_cu_require("token revoke", "--reason", reason) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
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
    static const ins_cu_sub subs[] = {
        {"issue", "sign a bearer token with the node's signing key (offline)", cmd_issue},
        {"rotate-key", "add a new signing key; older keys still verify (offline)", cmd_rotate},
        {"retire-key", "stop accepting tokens signed with an old key (offline)", cmd_retire},
        {"revoke", "refuse a principal's tokens issued before a time (online)", cmd_revoke},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl token COMMAND [options]\n\n"
                        "Bearer tokens: issued offline from the server's data folder, revoked\n"
                        "online (admin).\n",
                        subs, sizeof subs / sizeof subs[0]);
}
