/*
 * cli.h - what the inspectctl command groups share: the global options
 * (server, credentials, deadline, output format), connecting, and reporting
 * a failed call the same way everywhere.
 *
 * Exit codes of every command: 0 success; 1 the call failed (the gRPC
 * status name and message are on stderr) or the answer was negative (a
 * service NOT_SERVING); 2 bad usage; 3 the server's store or disk is full
 * (RESOURCE_EXHAUSTED, INS_MSG_STORE_FULL / INS_MSG_DISK_FULL of
 * ins_error.h): nothing succeeds until space is made, so it is not retried.
 */
#ifndef INS_CLI_H
#define INS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "ins_client.h"

#define INS_EXIT_OK    0
#define INS_EXIT_FAIL  1
#define INS_EXIT_USAGE 2
#define INS_EXIT_FULL  3

typedef struct ins_cli {
    const char *server;      /* --server, or $INSPECT_SERVER, default 127.0.0.1:50051 */
    const char *token;       /* --token, or $INSPECT_TOKEN */
    const char *ca;          /* --ca FILE: TLS */
    const char *cert;        /* --cert FILE: client certificate */
    const char *key;         /* --key FILE */
    const char *target_name; /* --target-name NAME: TLS name override */
    const char *district;    /* --district CODE, or $INSPECT_DISTRICT: sent as x-district
                                (`changes` takes a list here: several feeds) */
    int64_t timeout_ms;      /* --timeout DURATION, default 10s */
    int timeout_set;         /* --timeout was given */
    int json;                /* --json */
    /* `field outbox`: */
    struct ins_outbox *outbox; /* add: checkin, submit, upload queue their request here */
    int64_t keepalive_ms;      /* run: ins_client_opts.keepalive_ms (0: none) */
    int64_t reconnect_ms;      /* run: ins_client_opts.reconnect_ms (0: gRPC's) */
} ins_cli;

/* Text of the global options, for --help output. */
extern const char ins_cli_global_help[];

/* Fills the defaults ($INSPECT_SERVER, $INSPECT_TOKEN; cliargs.c). This function can't fail. */
void ins_cli_defaults(ins_cli *cli);

/*
 * If argv[*i] is a global option, consumes it (and its value), advances *i
 * past it and returns 1. Returns 0 when argv[*i] is not a global option, and
 * -1 (after printing why on stderr) when its value is missing or invalid.
 */
int ins_cli_global_option(ins_cli *cli, int argc, char **argv, int *i);

/*
 * Parses a duration: "250ms", "10s", "5m", "2h", or a bare number of
 * seconds. Returns 0 and sets *ms, or -1.
 */
int ins_cli_parse_duration_ms(const char *text, int64_t *ms);

/*
 * Opens a client from the options. Returns INS_EXIT_OK with `*out` set (close
 * with ins_client_close()), or prints the reason and returns INS_EXIT_FAIL;
 * INS_EXIT_USAGE when --district is not one district code.
 */
int ins_cli_connect(const ins_cli *cli, ins_client **out);

/*
 * Prints "inspectctl: <what>: <STATUS_NAME>: <details>" on stderr and
 * returns INS_EXIT_FAIL, or INS_EXIT_FULL when ins_cli_space_full(code,
 * details). `details` may be NULL or empty.
 */
int ins_cli_fail(const char *what, int code, const char *details);

/*
 * Is (code, details) the server saying its store or its disk is full? Only
 * RESOURCE_EXHAUSTED whose message starts with INS_MSG_STORE_FULL or
 * INS_MSG_DISK_FULL is; a busy writer (INS_MSG_BUSY) is not. Can't fail.
 */
int ins_cli_space_full(int code, const char *details);

/* Is (code, details) a busy writer (RESOURCE_EXHAUSTED, INS_MSG_BUSY):
 * worth retrying with the same request id? Can't fail. */
int ins_cli_busy(int code, const char *details);

/* Prints "inspectctl: <message>" on stderr and returns INS_EXIT_USAGE. */
int ins_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Command groups. argv[0] is the command name; they return an exit code. */
int ins_cmd_health(ins_cli *cli, int argc, char **argv);
int ins_cmd_whoami(ins_cli *cli, int argc, char **argv);
int ins_cmd_status(ins_cli *cli, int argc, char **argv);
int ins_cmd_blobs(ins_cli *cli, int argc, char **argv); /* cmd_blobs.c */

#endif /* INS_CLI_H */
