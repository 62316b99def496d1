/*
 * cmd_token.h - `inspectctl token`: bearer tokens made offline, and their
 * revocation online.
 *
 * `inspectctl token issue` signs a token with the node's signing key, read
 * from the server's data folder (never created there: only the server makes
 * it, on its first start), so an operator on the server
 * host can hand a token to a user or a script without a running server.
 * Whoever can read the data folder's keys can mint any token: this runs with
 * the server's rights on its own folder. `rotate-key` and `retire-key` manage
 * those keys (a running server follows them). `revoke` asks the server
 * (Directory.RevokeTokens, admin) to refuse a principal's tokens issued
 * before a time.
 */
#ifndef INS_CMD_TOKEN_H
#define INS_CMD_TOKEN_H

#include "cli.h"

/*
 * Runs `inspectctl token ...`. `argv[0]` is the command name ("token"), the
 * rest its arguments:
 *
 *   token issue --data-dir DIR --role ROLE --principal NAME
 *               [--department DEPT] --ttl DURATION
 *   token rotate-key --data-dir DIR
 *   token retire-key --data-dir DIR --key-id N
 *   token revoke --principal NAME --reason TEXT [--before UNIX] [--request-id ID]
 *
 * issue prints the token and a newline on stdout. `--help` (or -h) at either
 * level prints usage on stdout. Errors go to stderr. `cli` holds the global
 * options, used by revoke only (the others are offline). Returns the
 * process exit code: 0 on success or help, 2 for a usage error (unknown
 * option or subcommand, missing or invalid argument), 1 when the key cannot
 * be loaded or the token cannot be made, or the server refused.
 */
int ins_cmd_token(ins_cli *cli, int argc, char **argv);

/*
 * Says on stderr why ins_token_issue() failed with `rc` for `data_dir`, as
 * "inspectctl: WHAT: ..." with what to do: a folder that does not exist,
 * one without a key (no server started on it yet), other errors. Shared by
 * `token issue` and `seed load --data-dir`. This function can't fail.
 */
void ins_token_issue_failed(const char *what, const char *data_dir, int rc);

#endif /* INS_CMD_TOKEN_H */
