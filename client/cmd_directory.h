/*
 * cmd_directory.h - the inspect.v1.Directory command groups of inspectctl:
 *
 *   departments list | upsert FILE.json
 *   inspectors  list [--department D] [--town T] [--page-size N] [--all]
 *               | get ID | upsert FILE.json [--expected-version N]
 *   items       list | upsert FILE.json
 *   templates   get ID [--version N] | publish FILE.json
 *   calendar    get YEAR | put FILE.json
 *
 * FILE.json holds the entity in the proto3 JSON mapping (a Department, an
 * Inspector, ...), or an array of them (each upserted in turn, as the seed
 * files are). Mutations send a random request id unless --request-id is
 * given. Output: aligned tables, or the responses as JSON with --json.
 *
 * Each function takes argv[0] = the group name and returns the exit code of
 * cli.h (0, 1 call failed with the status on stderr, 2 usage).
 */
#ifndef INS_CMD_DIRECTORY_H
#define INS_CMD_DIRECTORY_H

#include "cli.h"

int ins_cmd_departments(ins_cli *cli, int argc, char **argv);
int ins_cmd_inspectors(ins_cli *cli, int argc, char **argv);
int ins_cmd_items(ins_cli *cli, int argc, char **argv);
int ins_cmd_templates(ins_cli *cli, int argc, char **argv);
int ins_cmd_calendar(ins_cli *cli, int argc, char **argv);

#endif /* INS_CMD_DIRECTORY_H */
