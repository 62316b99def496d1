/*
 * stage.h - the approval flow of an application (办件):
 *
 *   intake → review → inspection → decision → certified → archived
 *   接件预审  后台审批   现场踏勘      审批决定    制证发证     档案管理
 *
 * Stages are the values of inspect.v1.Stage (INSPECT__V1__STAGE__STAGE_*),
 * passed as int so callers need not include the generated header. Every move
 * goes exactly one step forward; nothing moves back or skips.
 * Pure functions, thread-safe.
 */
#ifndef INS_STAGE_H
#define INS_STAGE_H

#include <stddef.h>

/*
 * Checks the move of an application from stage `from` to stage `to`.
 * Returns 0 when `to` is the next stage of `from`; otherwise
 * - INS_ESTATE with "application is in stage review; the next allowed move
 *   is to inspection, not to decision" (the same for staying in place), or
 *   "application is in stage archived; no further move is allowed";
 * - INS_EINVAL when `to` (or `from`) is not a stage of the flow (0 =
 *   unspecified included), naming the stages.
 */
int ins_stage_check_move(int from, int to, char *why, size_t whylen);

/*
 * The next stage after `stage`, or 0 (STAGE_UNSPECIFIED) for archived and
 * for values that are not stages.
 */
int ins_stage_next(int stage);

/*
 * Non-zero when the move from `from` to `to` belongs to the Dispatch service
 * rather than Licensing.SetStage: review → inspection happens when
 * Dispatch.CreateTask opens the initial inspection task (services/dispatch.c).
 * Licensing.SetStage still allows the move by hand and does not call this
 * yet; it names the move SetStage would refuse, pointing at CreateTask.
 */
int ins_stage_move_is_dispatch(int from, int to);

/*
 * Short lowercase name of a stage: "intake", "review", "inspection",
 * "decision", "certified", "archived"; "unspecified" for 0 and "unknown" for
 * other values. The string is static.
 */
const char *ins_stage_name(int stage);

/*
 * Parses a stage name: the short name ("review"), or the enum name
 * ("STAGE_REVIEW"), case-insensitive. Writes the stage to *out and returns
 * 0, or returns INS_EINVAL (and leaves *out alone) for anything else,
 * "unspecified" included.
 */
int ins_stage_parse(const char *name, int *out);

#endif /* INS_STAGE_H */
