/*
 * cmd_departments_sync.h - `inspectctl changes`, `report`, `opinion` and
 * `photo`: every method of inspect.v1.Departments, what an industry
 * department's own system uses to follow the inspections it takes part in.
 *
 *   changes [--cursor N] [--follow] [--kind K]...   (--follow: until Ctrl-C)
 *   report (REPORT_ID | --task TASK_ID)
 *   opinion REPORT_ID --approve|--reject --reasons TEXT [--request-id ID]
 *   photo PHOTO_ID -o FILE
 *
 * Every command returns the exit code of cli.h; argv[0] is the command's
 * name.
 */
#ifndef INS_CMD_DEPARTMENTS_SYNC_H
#define INS_CMD_DEPARTMENTS_SYNC_H

#include "cli.h"

int ins_cmd_changes(ins_cli *cli, int argc, char **argv);
int ins_cmd_report(ins_cli *cli, int argc, char **argv);
int ins_cmd_opinion(ins_cli *cli, int argc, char **argv);
int ins_cmd_photo(ins_cli *cli, int argc, char **argv);

#endif /* INS_CMD_DEPARTMENTS_SYNC_H */
