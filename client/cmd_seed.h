/*
 * cmd_seed.h - `inspectctl seed`: the demo district (seeds/) checked offline
 * or loaded into a server through its public API.
 *
 *   seed check DIR
 *       parses every seed file with pbjson and cross-checks it: references
 *       (departments, templates, service items), credit-code check
 *       characters (GB 32100-2015), declared facts against the facts the
 *       templates verify, calendar days, coordinates. No server needed.
 *
 *   seed load DIR [--data-dir D | --admin-token T --dispatcher-token T]
 *       loads departments, templates, service items, calendars, inspectors,
 *       applications, then moves each application to its seeded stage with
 *       SetStage, one step at a time. Request ids are derived from the
 *       content, so a second run replays (or meets ALREADY_EXISTS) and
 *       changes nothing. Stops at the first real error.
 *
 * Returns the exit code of cli.h; argv[0] is "seed".
 */
#ifndef INS_CMD_SEED_H
#define INS_CMD_SEED_H

#include "cli.h"

int ins_cmd_seed(ins_cli *cli, int argc, char **argv);

#endif /* INS_CMD_SEED_H */
