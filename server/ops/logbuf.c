/*
 * logbuf.c - buffered log lines (see logbuf.h).
 */
#include "logbuf.h"

#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUF_BYTES 16384

static _Thread_local int is_worker;
static _Thread_local char buf[BUF_BYTES];
static _Thread_local size_t used;
static _Thread_local int64_t first_ms; /* when the oldest buffered line came */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            return; /* stderr gone: nothing useful to do */
        p += w;
        n -= (size_t)w;
    }
}

void ins_calllog_worker_begin(void)
{
    is_worker = 1;
}

void ins_calllog_flush(void)
{
    if (used) {
        write_all(buf, used);
        used = 0;
    }
}

void ins_calllog_line(const char *line, size_t len)
{
    if (!is_worker || len > BUF_BYTES) {
        write_all(line, len);
        return;
    }
    if (used + len > BUF_BYTES)
        ins_calllog_flush();
    if (used == 0)
        first_ms = now_ms();
    memcpy(buf + used, line, len);
    used += len;
    if (now_ms() - first_ms >= INS_CALLLOG_FLUSH_MS)
        ins_calllog_flush();
}

int ins_calllog_pending(void)
{
    return used != 0;
}
