/*
 * cmd_token.h - `inspectctl token`: bearer tokens made offline.
 *
 * `inspectctl token issue` signs a token with the node's key, read from (or
 * created in) the server's data folder, so an operator on the server host can
 * hand a token to a user or a script without a running server. Whoever can
 * read DATA_DIR/token.key can mint any token: this runs with the server's
 * rights on its own folder.
 */
#ifndef INS_CMD_TOKEN_H
#define INS_CMD_TOKEN_H

/*
 * Runs `inspectctl token ...`. `argv[0]` is the command name ("token"), the
 * rest its arguments:
 *
 *   token issue --data-dir DIR --role ROLE --principal NAME
 *               [--department DEPT] --ttl DURATION
 *
 * prints the token and a newline on stdout. `--help` (or -h) at either level
 * prints usage on stdout. Errors go to stderr. Returns the process exit code:
 * 0 on success or help, 2 for a usage error (unknown option or subcommand,
 * missing or invalid argument), 1 when the key cannot be loaded or the token
 * cannot be made. Uses getopt_long (resets `optind`); not thread-safe.
 */
int ins_cmd_token(int argc, char **argv);

#endif /* INS_CMD_TOKEN_H */
