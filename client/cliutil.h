/*
 * cliutil.h - what the command groups of inspectctl share: the argument
 * parser, request ids, reading JSON request files into messages, one unary
 * call with the failure reported, paged lists, JSON output (through the one
 * codec, common/ins_pbjson.h), and aligned text tables that count CJK
 * characters as two columns.
 *
 * None of it is thread-safe; inspectctl runs one command on one thread.
 */
#ifndef INS_CLIUTIL_H
#define INS_CLIUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

#include "cli.h"

/* A request id: 32 lower-case hex digits and a NUL. */
#define INS_CU_REQUEST_ID_LEN 33

/*
 * Writes a fresh random request id (128 bits from getrandom) into `out`.
 * Falls back to time and pid mixed through SHA-256 if the kernel refuses.
 * This function can't fail.
 */
void ins_cu_random_request_id(char out[INS_CU_REQUEST_ID_LEN]);

/*
 * Writes a request id derived from content: the first 128 bits of
 * SHA-256(`tag` NUL `data`) in hex. Same input, same id; this is what makes
 * `seed load` idempotent. This function can't fail.
 */
void ins_cu_derived_request_id(const char *tag, const void *data, size_t len,
                               char out[INS_CU_REQUEST_ID_LEN]);

/*
 * Reads the JSON file `path` ("-" for standard input). Returns the parsed
 * value (caller releases it with json_object_put()), or NULL after printing
 * "inspectctl: PATH: reason" on stderr.
 */
json_object *ins_cu_read_json(const char *path);

/*
 * Parses `in` as a message of type `d` with ins_pbjson_parse(). Returns the
 * message (caller frees with protobuf_c_message_free_unpacked(m, NULL)), or
 * NULL after printing "inspectctl: WHERE: reason" on stderr.
 */
ProtobufCMessage *ins_cu_parse(const ProtobufCMessageDescriptor *d, json_object *in,
                               const char *where);

/*
 * One unary call. On OK returns 0 with the response in `*resp` (caller
 * frees). Otherwise prints "inspectctl: WHAT: STATUS: details" (see
 * ins_cli_fail()) and returns the gRPC status code, `*resp` NULL.
 */
int ins_cu_call(ins_client *c, const char *what, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp);

/* Prints `m` as one line of proto3 JSON on stdout. Returns INS_EXIT_OK, or
 * INS_EXIT_FAIL when out of memory or stdout fails. */
int ins_cu_print_json(const ProtobufCMessage *m);

/* Prints `o` as one line of JSON on stdout (o stays the caller's). */
int ins_cu_print_json_object(json_object *o);

/*
 * Display width of a UTF-8 string in terminal columns: East Asian wide and
 * full-width characters count 2, combining marks 0, others 1; invalid bytes
 * count 1 each. This function can't fail.
 */
size_t ins_cu_width(const char *s);

/*
 * A text table: add a header, then rows, then print. Cells are copied.
 * Columns are padded to the widest cell (by ins_cu_width()); the last
 * column is not padded. Out of memory while adding is remembered, and
 * printing then prints what it has.
 */
typedef struct ins_cu_table ins_cu_table;

/* A new table of `ncols` columns titled by `heads` (copied). NULL when out
 * of memory. */
ins_cu_table *ins_cu_table_new(size_t ncols, const char *const *heads);

/* Adds a row of `ncols` cells; a NULL cell prints as empty. */
void ins_cu_table_row(ins_cu_table *t, const char *const *cells);

/* Prints the table on stdout, two spaces between columns, then frees it.
 * Accepts NULL. */
void ins_cu_table_print(ins_cu_table *t);

/* Frees the table without printing it. Accepts NULL. */
void ins_cu_table_free(ins_cu_table *t);

/*
 * Parses an unsigned decimal option value into `*out` (at most `max`).
 * Returns 0, or prints a usage error naming `opt` and returns -1.
 */
int ins_cu_parse_u64(const char *opt, const char *text, uint64_t max, uint64_t *out);

/* Short lower-case name of an enum value ("STAGE_REVIEW" -> "review"), in a
 * static buffer overwritten by the next call. */
const char *ins_cu_enum(const ProtobufCEnumDescriptor *d, int value);

/* Formats a double without trailing zeros ("120", "0.05") into a static
 * buffer overwritten by the next call. */
const char *ins_cu_num(double v);

/*
 * Command-line arguments of one subcommand. Each option is "--name VALUE"
 * (stored in `*value`) or, with `value` NULL, a flag (sets `*flag` to 1).
 */
typedef struct ins_cu_opt {
    const char *name;
    const char **value;
    int *flag;
} ins_cu_opt;

/*
 * The one argument parser of inspectctl. Parses argv[first..]: global
 * options (ins_cli_global_option(); none when `cli` is NULL, for the
 * offline commands), -h/--help (calls `help` and returns -1), the options
 * in `opts` (terminated by a {NULL} entry; `opts` may be NULL), and
 * positional arguments into `pos` (at least `min_pos`, at most `max_pos`;
 * their number in `*npos`). Returns INS_EXIT_OK, -1 after help, or
 * INS_EXIT_USAGE after printing what is wrong (naming `what`).
 */
int ins_cu_args(ins_cli *cli, int argc, char **argv, int first, const ins_cu_opt *opts,
                const char **pos, int min_pos, int max_pos, int *npos, void (*help)(void),
                const char *what);

/*
 * The one way a missing argument is reported: "inspectctl: WHAT: missing
 * NAME (see --help)" (ins_cu_args says the same for a positional argument,
 * named as in the usage line of its help). Returns INS_EXIT_OK when
 * `value` is set and not empty, else reports and returns INS_EXIT_USAGE.
 */
int ins_cu_require(const char *what, const char *name, const char *value);

/* Is `path` "-" (standard input for a file read, standard output for a
 * file written: -o -)? Can't fail. */
int ins_cu_is_stdio(const char *path);

/*
 * Sets the string field `field` of `m` to a copy of `value`, freeing the old
 * value. `m` must have been made by ins_pbjson_parse() or unpacked with the
 * default allocator. Returns 0, or -1 if there is no such string field or
 * out of memory.
 */
int ins_cu_set_string(ProtobufCMessage *m, const char *field, const char *value);

/*
 * Builds the request of an upsert-like method from one entity object `elem`
 * of a request file: {"request_id": RID, ENTITY_FIELD: elem} plus
 * "expected_version" when `expected_version` is not NULL, parsed as
 * `req_desc`. `rid` NULL leaves request_id empty. Returns the request
 * (caller frees) or NULL after printing "inspectctl: WHERE: reason".
 */
ProtobufCMessage *ins_cu_build_request(const ProtobufCMessageDescriptor *req_desc,
                                       const char *entity_field, json_object *elem, const char *rid,
                                       const char *expected_version, const char *where);

/*
 * `inspectctl GROUP upsert FILE`: reads FILE (an object, or an array of
 * objects), and for each calls `method` with a request built by
 * ins_cu_build_request() and a random request id (or `rid`; for an array,
 * `rid`-INDEX). Prints each result: with --json the response as JSON, else
 * one line "KIND KEY: version N". Stops at the first failure. Returns the
 * exit code.
 */
int ins_cu_upsert_file(ins_cli *cli, const char *what, const char *method,
                       const ProtobufCMessageDescriptor *req_desc, const char *entity_field,
                       const ProtobufCMessageDescriptor *resp_desc, const char *file,
                       const char *rid, const char *expected_version);

/* One subcommand of a group: name, one line of help, handler (argv[0] is
 * the subcommand's name). */
typedef struct ins_cu_sub {
    const char *name;
    const char *summary;
    int (*run)(ins_cli *cli, int argc, char **argv);
} ins_cu_sub;

/*
 * Runs a command group: global options and --help may precede the
 * subcommand; `group_help` is the group's usage line(s) printed above the
 * table of subcommands. Returns the subcommand's exit code, INS_EXIT_OK
 * after --help, INS_EXIT_USAGE for a missing or unknown subcommand.
 */
int ins_cu_group(ins_cli *cli, int argc, char **argv, const char *group_help,
                 const ins_cu_sub *subs, size_t nsubs);

/* Most values a repeated option (--kind, --check, --member ...) may take. */
#define INS_CU_MAX_REPEAT 32

/*
 * Takes every "NAME VALUE" out of argv (in place: *argc shrinks) into
 * vals[0..*n), at most INS_CU_MAX_REPEAT. Returns 0, or prints a usage
 * error naming `what` and returns -1 (value missing, too many).
 */
int ins_cu_take_repeated(int *argc, char **argv, const char *name, const char **vals, size_t *n,
                         const char *what);

/* Installs `handler` (which only sets a flag) for SIGINT and SIGTERM: how
 * the following commands (--follow) learn of Ctrl-C. Can't fail. */
void ins_cu_on_stop(void (*handler)(int));

/*
 * A unix time in the one format inspectctl prints times in: local time
 * with its UTC offset, "2026-01-02 11:04:05 +0800" (the TZ variable
 * chooses the zone), into `buf` (at least 32 bytes). Returns buf, or "-"
 * for none (unix_s <= 0). JSON output keeps RFC 3339 UTC (ins_pbjson.h).
 */
const char *ins_cu_fmt_time(int64_t unix_s, char *buf, size_t len);

/* The same for a time in nanoseconds since the epoch (feed, audit). */
const char *ins_cu_fmt_time_ns(int64_t unix_ns, char *buf, size_t len);

/* A request id: `given` (--request-id), or a fresh random one written into
 * `buf`. NULL after a usage error (an empty id), reported under `what`. */
const char *ins_cu_request_id(const char *given, char buf[INS_CU_REQUEST_ID_LEN], const char *what);

/*
 * One unary call on a fresh connection; prints the response as JSON with
 * --json, else through `show`. Returns the exit code (errors already
 * reported on stderr).
 */
int ins_cu_call_and_show(ins_cli *cli, const char *what, const char *method,
                         const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                         void (*show)(const ProtobufCMessage *));

/*
 * A paged List call (ListTasks, ListInspectors, ...): the request, with a
 * string field `page_token`, and the response type, with the repeated
 * message field `items_field` and a string field `next_page_token`.
 */
typedef struct ins_cu_pager {
    const char *what;      /* "tasks list": names the call in messages */
    const char *method;    /* full method name */
    ProtobufCMessage *req; /* the caller's; its page_token is set for each page,
                            * and reset to "" before ins_cu_page() returns */
    const ProtobufCMessageDescriptor *resp_desc;
    const char *items_field; /* "tasks": the repeated field, and the key of --all --json */
    const char *page_token;  /* --page-token, or NULL for the first page */
    int all;                 /* --all: follow next_page_token to the end */
    /* Without --json: called for every item, in order; the item is only
     * valid during the call. May be NULL. */
    void (*row)(void *arg, const ProtobufCMessage *item);
    void *arg;
} ins_cu_pager;

/*
 * Connects, and calls `p->method` page after page (one page unless
 * `p->all`). With --json, prints each response as JSON, or with --all one
 * object {ITEMS_FIELD: [every item]} at the end; without, hands every item
 * to `p->row`. Sets `*count` to the number of items received and `*next`
 * to the next page token after the last page received (malloc'd, the
 * caller frees it; NULL when there are no more pages).
 * Returns INS_EXIT_OK, or INS_EXIT_FAIL after a failed call or connection
 * (reported on stderr; what was received before is counted, not printed
 * as --all JSON).
 */
int ins_cu_page(ins_cli *cli, const ins_cu_pager *p, size_t *count, char **next);

#endif /* INS_CLIUTIL_H */
