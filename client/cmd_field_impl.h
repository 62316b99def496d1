/*
 * cmd_field_impl.h - what the files of `inspectctl field` share
 * (client/cmd_field*.c; the group's entry point is cmd_field.h).
 *
 * cmd_field.c holds sync, respond, checkin, submit, status and the group's
 * dispatch; cmd_field_upload.c the resumable photo upload with its progress
 * display, stall watchdog and retries; cmd_field_outbox.c the tablet's
 * outbox (ins_outbox.h). Nothing here is for use outside client/cmd_field*.c.
 */
#ifndef INS_CMD_FIELD_IMPL_H
#define INS_CMD_FIELD_IMPL_H

#include "cli.h"

/* Full gRPC method name of inspect.v1.Field's method `m`. */
#define FLD_METHOD(m) "/inspect.v1.Field/" m

/*
 * Parses `text`, the value of option `opt`, as a finite number in lo..hi
 * into *out. Returns 0, or -1 after printing a usage error naming `opt`;
 * *out is untouched then.
 */
int ins__field_parse_double(const char *opt, const char *text, double lo, double hi, double *out);

/*
 * `inspectctl field upload` (see cmd_field.h); argv[0] is "upload". Returns
 * the exit code of cli.h.
 */
int ins__field_upload_cmd(ins_cli *cli, int argc, char **argv);

/*
 * `inspectctl field outbox` (see cmd_field.h); argv[0] is "outbox". Returns
 * the exit code of cli.h.
 */
int ins__field_outbox_cmd(ins_cli *cli, int argc, char **argv);

/*
 * For `field outbox add`: queues `req` (an ins_ob_kind's request, copied;
 * `path` the photo of an upload) in cli->outbox instead of sending it, and
 * says so on stdout. Returns the exit code of cli.h.
 */
int ins__field_enqueue(ins_cli *cli, int kind, const ProtobufCMessage *req, const char *path);

#endif /* INS_CMD_FIELD_IMPL_H */
