/*
 * cmd_dispatch.h - `inspectctl tasks`, `inspectctl alerts` and
 * `inspectctl decision`: every method of inspect.v1.Dispatch.
 *
 *   tasks create APP [--reinspection REPORT --check ITEM...]
 *   tasks assign TASK [--member DEPT=INSPECTOR[:override=REASON]]...
 *   tasks replace TASK INSPECTOR --reason R [--with ID] [--override]
 *   tasks cancel TASK --reason R
 *   tasks get TASK
 *   tasks list [--state S] [--department D] [--inspector I] [--town T]
 *              [--overdue] [--page-size N] [--page-token T] [--all]
 *   alerts list [--department D] [--town T] [--acknowledged]
 *   alerts --follow [--department D] [--town T]   (until Ctrl-C)
 *   alerts ack ALERT
 *   decision REPORT --approve|--reject --department D... --reasons R
 *
 * Mutations take --request-id ID (default: random). Every command returns
 * the exit code of cli.h; argv[0] is the command's name.
 */
#ifndef INS_CMD_DISPATCH_H
#define INS_CMD_DISPATCH_H

#include "cli.h"

int ins_cmd_tasks(ins_cli *cli, int argc, char **argv);
int ins_cmd_alerts(ins_cli *cli, int argc, char **argv);
int ins_cmd_decision(ins_cli *cli, int argc, char **argv);

#endif /* INS_CMD_DISPATCH_H */
