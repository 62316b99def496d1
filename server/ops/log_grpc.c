/*
 * log_grpc.c - gRPC core's own messages (gpr_log) in the server's format:
 * one line, message "grpc", the text and where gRPC said it. gRPC's errors
 * are ours; its info and debug chatter (epoll set-up, TCP options) shows
 * only at --log-level debug.
 */
#include "log.h"

#include <stdio.h>

#include <grpc/support/log.h>

static void grpc_line(gpr_log_func_args *args)
{
    ins_log_level level = args->severity == GPR_LOG_SEVERITY_ERROR ? INS_LOG_ERROR : INS_LOG_DEBUG;
    char where[320];
    snprintf(where, sizeof where, "%s:%d", args->file ? args->file : "?", args->line);
    ins_log_kv kv[] = {{.key = "text", .str = args->message ? args->message : ""},
                       {.key = "source", .str = where}};
    ins_log_kv_line(level, "grpc", kv, 2);
}

void ins_log_grpc_install(void)
{
    ins_log_level lv = ins_log_level_get();
    gpr_set_log_verbosity(lv >= INS_LOG_DEBUG ? GPR_LOG_SEVERITY_DEBUG : GPR_LOG_SEVERITY_ERROR);
    gpr_set_log_function(grpc_line);
}
