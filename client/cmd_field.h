/*
 * cmd_field.h - `inspectctl field`: inspect.v1.Field from the command line,
 * for support staff and scripts doing what an inspector's tablet does.
 *
 *   field sync [--cursor C] [--page-size N]
 *   field respond TASK --accept | --decline REASON [--request-id ID]
 *   field checkin TASK --lat X --lon Y [--reason R] [--request-id ID]
 *   field submit FILE.json [--sign-key KEY.pem] [--request-id ID]
 *   field upload PHOTO --task T --item I [--upload-id ID] [--chunk-bytes N]
 *                [--media-type M] [--retries N] [--stall DURATION]
 *   field status UPLOAD_ID
 *
 * `upload` computes the photo's SHA-256, shows its progress on stderr (a
 * bar on a terminal, plain lines otherwise) and resumes by itself after a
 * dropped connection: it asks GetUploadStatus for the committed offset and
 * goes on from there, with backoff, up to --retries attempts in a row that
 * make no progress. Its default upload id is derived from the task, item and
 * photo hash, so running the same command again resumes (or just answers)
 * the same upload. `submit` derives its default request id from the
 * findings, so sending the same file again returns the first answer.
 *
 * Returns the exit code of cli.h; argv[0] is "field".
 */
#ifndef INS_CMD_FIELD_H
#define INS_CMD_FIELD_H

#include "cli.h"

int ins_cmd_field(ins_cli *cli, int argc, char **argv);

#endif /* INS_CMD_FIELD_H */
