/*
 * log.c - formatting and writing log lines (see log.h).
 *
 * A line is built in a stack buffer (LINE_MAX bytes); a field that does not
 * fit is dropped whole and the line still closes, so a reader never meets a
 * half line or broken JSON. The time prefix is cached per thread for the
 * current second.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ins_error.h"
#include "logbuf.h"

#define LINE_MAX_BYTES 2048

static atomic_int log_level = INS_LOG_INFO;
static ins_log_format log_format = INS_LOG_TEXT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int ins_log_level_parse(const char *text, ins_log_level *out)
{
    for (int i = 0; i <= INS_LOG_DEBUG; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (ins_log_level)i;
            return 0;
        }
    }
    return INS_EINVAL;
}

int ins_log_format_parse(const char *text, ins_log_format *out)
{
    if (strcmp(text, "text") == 0)
        *out = INS_LOG_TEXT;
    else if (strcmp(text, "json") == 0)
        *out = INS_LOG_JSON;
    else
        return INS_EINVAL;
    return 0;
}

void ins_log_configure(ins_log_level level, ins_log_format format)
{
    atomic_store(&log_level, (int)level);
    log_format = format;
}

int ins_log_on(ins_log_level level)
{
    return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

ins_log_level ins_log_level_get(void)
{
    return (ins_log_level)atomic_load(&log_level);
}

/* The line under construction. */
typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
    int full;
} line;

static void put(line *l, const char *s, size_t n)
{
    if (l->full || l->len + n >= sizeof l->buf - 8) { /* room to close: "\"}\n" */
        l->full = 1;
        return;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* RFC 3339 UTC with milliseconds, e.g. 2026-12-02T01:02:03.456Z. */
static void put_time(line *l)
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[24];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    char ms[8];
    snprintf(ms, sizeof ms, ".%03dZ", (int)(ts.tv_nsec / 1000000));
    puts_(l, cached);
    puts_(l, ms);
}

/* Closes a quoted value even when the line is full: put() keeps room. */
static void close_quote(line *l)
{
    l->buf[l->len++] = '"';
}

/* A JSON string: quotes, backslashes and control bytes escaped; cut short
 * (still closed) when the line is full. */
static void put_json_str(line *l, const char *s)
{
    put(l, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(l, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            put(l, esc, 6);
        } else {
            put(l, (const char *)p, 1);
        }
    }
    close_quote(l);
}

/* A text value: bare when it is one plain word, else quoted and escaped. */
static void put_text_value(line *l, const char *s)
{
    if (*s && strcspn(s, " \t\"=\\\n\r") == strlen(s)) {
        puts_(l, s);
        return;
    }
    put(l, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            put(l, "\\", 1);
        if (*p == '\n')
            put(l, "\\n", 2);
        else if (*p != '\r')
            put(l, p, 1);
    }
    close_quote(l);
}

/* Writes `v` in decimal into `out` (>= 24 bytes) without printf, which
 * costs more than the rest of a call's line: a whole number as it is,
 * anything else with three decimals (milliseconds to the microsecond).
 * Returns `out`. */
static const char *fmt_num(double v, char *out)
{
    char digits[24];
    size_t n = 0, o = 0;
    if (!(v > -1e15 && v < 1e15)) { /* NaN, infinities, huge: rare, let printf say */
        snprintf(out, 24, "%.6g", v);
        return out;
    }
    if (v < 0) {
        out[o++] = '-';
        v = -v;
    }
    uint64_t milli = (uint64_t)(v * 1000.0 + 0.5);
    int frac = (double)(uint64_t)v != v;
    uint64_t whole = frac ? milli / 1000 : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    while (n)
        out[o++] = digits[--n];
    if (frac) {
        out[o++] = '.';
        out[o++] = (char)('0' + milli / 100 % 10);
        out[o++] = (char)('0' + milli / 10 % 10);
        out[o++] = (char)('0' + milli % 10);
    }
    out[o] = '\0';
    return out;
}

/* A text line's message as it reads, for people: only line breaks escaped
 * (so a line stays one line); the fields after it are key=value. */
static void put_text_message(line *l, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '\n')
            put(l, "\\n", 2);
        else if (*p != '\r')
            put(l, p, 1);
    }
}

static void put_field(line *l, const ins_log_kv *kv)
{
    char num[32];
    if (!kv->str)
        fmt_num(kv->num, num);
    size_t mark = l->len;
    if (log_format == INS_LOG_JSON) {
        put(l, ",", 1);
        put_json_str(l, kv->key);
        put(l, ":", 1);
        if (kv->str)
            put_json_str(l, kv->str);
        else
            puts_(l, num);
    } else {
        put(l, " ", 1);
        puts_(l, kv->key);
        put(l, "=", 1);
        if (kv->str)
            put_text_value(l, kv->str);
        else
            puts_(l, num);
    }
    if (l->full) { /* drop the field whole; shorter ones may still fit */
        l->len = mark;
        l->full = 0;
    }
}

void ins_log_kv_line(ins_log_level level, const char *msg, const ins_log_kv *kv, size_t n)
{
    if (!ins_log_on(level))
        return;
    line l;
    l.len = 0;
    l.full = 0;
    if (log_format == INS_LOG_JSON) {
        puts_(&l, "{\"time\":\"");
        put_time(&l);
        puts_(&l, "\",\"level\":\"");
        puts_(&l, level_names[level]);
        puts_(&l, "\",\"msg\":");
        put_json_str(&l, msg);
    } else {
        put_time(&l);
        puts_(&l, " ");
        puts_(&l, level_names[level]);
        puts_(&l, " ");
        put_text_message(&l, msg);
    }
    l.full = 0; /* a long message was cut and closed; fields may follow */
    for (size_t i = 0; i < n; i++)
        put_field(&l, &kv[i]);
    if (log_format == INS_LOG_JSON)
        l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';
    ins_calllog_line(l.buf, l.len);
}

void ins_log(ins_log_level level, const char *fmt, ...)
{
    if (!ins_log_on(level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ins_log_kv_line(level, msg, NULL, 0);
}
