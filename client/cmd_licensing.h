/*
 * cmd_licensing.h - `inspectctl applications`: every method of
 * inspect.v1.Licensing, the licensing record (办件).
 *
 *   applications list [--stage S] [--town T] [--item I] [--page-size N]
 *                     [--page-token T] [--all]
 *   applications get ID
 *   applications upsert FILE.json [--expected-version N] [--request-id ID]
 *   applications stage ID STAGE [--reason R] [--expected-version N]
 *                     [--request-id ID]
 *
 * Stages are named as in the .proto ("STAGE_REVIEW") or short ("review").
 * Returns the exit code of cli.h; argv[0] is "applications".
 */
#ifndef INS_CMD_LICENSING_H
#define INS_CMD_LICENSING_H

#include "cli.h"

int ins_cmd_applications(ins_cli *cli, int argc, char **argv);

#endif /* INS_CMD_LICENSING_H */
