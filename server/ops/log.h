/*
 * log.h - the server's one logging module: every line on stderr, from the
 * gRPC runtime, the services, main and gRPC core itself (log_grpc.c), in
 * one format.
 *
 * A line has an RFC 3339 UTC time with milliseconds, a level, a message and
 * fields. Text: `2026-12-02T01:02:03.456Z info call method=/x peer=ipv4:...
 * message="..."`: the message as it reads (line breaks escaped), then the
 * fields, whose values with spaces, quotes or '=' are quoted, with \" and
 * \\ escaped. JSON (--log-format json): one object per line, {"time":...,
 * "level":...,"msg":...} followed by the fields in order.
 *
 * Lines from gRPC worker threads are buffered per thread (logbuf.h) and
 * reach stderr within INS_CALLLOG_FLUSH_MS; other threads write at once.
 * Configure once at start-up, before threads exist; everything else is
 * thread-safe.
 */
#ifndef INS_LOG_H
#define INS_LOG_H

#include <stddef.h>

typedef enum ins_log_level {
    INS_LOG_ERROR = 0,
    INS_LOG_WARN = 1,
    INS_LOG_INFO = 2,
    INS_LOG_DEBUG = 3,
} ins_log_level;

typedef enum ins_log_format {
    INS_LOG_TEXT = 0,
    INS_LOG_JSON = 1,
} ins_log_format;

/* One field of a line: a string (`str` non-NULL) or else the number `num`,
 * written whole, or with three decimals when it has a fraction. */
typedef struct ins_log_kv {
    const char *key;
    const char *str;
    double num;
} ins_log_kv;

/* Parses "error|warn|info|debug" / "text|json". Returns 0 or INS_EINVAL. */
int ins_log_level_parse(const char *text, ins_log_level *out);
int ins_log_format_parse(const char *text, ins_log_format *out);

/* The lowest level written (default info) and the format (default text).
 * At start-up only. */
void ins_log_configure(ins_log_level level, ins_log_format format);

/* Non-zero when lines of `level` are written. Any thread; cheap. */
int ins_log_on(ins_log_level level);

/* The configured level. */
ins_log_level ins_log_level_get(void);

/* Writes a line with message `msg` and `n` fields. Does nothing when the
 * level is off. Never fails (a line too long is cut, still well formed). */
void ins_log_kv_line(ins_log_level level, const char *msg, const ins_log_kv *kv, size_t n);

/* Writes a line whose message is printf-formatted, no fields. */
void ins_log(ins_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Routes gRPC core's own messages (gpr_log) through this module, at the
 * matching level (log_grpc.c). At start-up, after ins_log_configure. */
void ins_log_grpc_install(void);

#endif /* INS_LOG_H */
