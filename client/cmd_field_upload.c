/*
 * cmd_field_upload.c - `inspectctl field upload` (see cmd_field.h): the
 * resumable photo upload, with its progress display, stall watchdog and
 * retries. The rest of the group is in cmd_field.c.
 *
 * Every attempt (ins_photo_upload.h) streams the header and learns from the
 * call's initial metadata where the server stands, then sends the chunks
 * from there: no GetUploadStatus round trip. A lost connection
 * (ins_client_link_lost: UNAVAILABLE, or INTERNAL from a router whose
 * backend died), a deadline, a cancelled call or a chunk the server no
 * longer expects (FAILED_PRECONDITION naming the offset) ends the attempt;
 * the next one waits (backoff doubling from 250 ms to 8 s, with jitter) and
 * resumes from the committed offset. --retries bounds the attempts in a row
 * that make no progress. A watchdog thread cancels a call that has moved no
 * byte for --stall (a link that went silent without a reset), which the loop
 * then
 * treats like any other dropped connection.
 */
#include "cmd_field_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <grpc/status.h>

#include "cliutil.h"
#include "ins_hex.h"
#include "ins_outbox.h"
#include "ins_photo_upload.h"
#include "ins_upload.h"
#include "inspect/v1/field.pb-c.h"

#define CHUNK_DEFAULT (64u * 1024)
#define CHUNK_MAX     INS_UPLOAD_CHUNK_MAX
#define RETRIES       8
#define STALL_MS      30000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- upload: progress ---------------------------------------------------- */

typedef struct progress {
    int tty;   /* stderr is a terminal: one bar redrawn in place */
    int drawn; /* a bar is on the current line */
    uint64_t total;
    uint64_t shown; /* bytes at the last plain line */
    double last;    /* time of the last output */
    double t0;      /* start of this attempt, for the rate */
    uint64_t b0;    /* bytes at t0 */
} progress;

static const char *human(double bytes, char *buf, size_t len)
{
    if (bytes >= 1 << 20)
        snprintf(buf, len, "%.1f MiB", bytes / (1 << 20));
    else if (bytes >= 1 << 10)
        snprintf(buf, len, "%.1f KiB", bytes / (1 << 10));
    else
        snprintf(buf, len, "%.0f B", bytes);
    return buf;
}

static void progress_show(progress *p, uint64_t done, int final)
{
    double t = now_s();
    int pct = p->total ? (int)(done * 100 / p->total) : 100;
    if (p->tty) {
        if (!final && t - p->last < 0.1)
            return;
        enum { WIDTH = 30 };
        char bar[WIDTH + 1], a[32], b[32], r[32];
        int fill = p->total ? (int)(done * WIDTH / p->total) : WIDTH;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(WIDTH - fill));
        bar[WIDTH] = '\0';
        double rate = t > p->t0 ? (double)(done - p->b0) / (t - p->t0) : 0;
        fprintf(stderr, "\r[%s] %3d%%  %s / %s  %s/s   ", bar, pct,
                human((double)done, a, sizeof a), human((double)p->total, b, sizeof b),
                human(rate, r, sizeof r));
        p->drawn = 1;
        if (final) {
            fputc('\n', stderr);
            p->drawn = 0;
        }
    } else {
        if (!final && t - p->last < 5.0 && done - p->shown < p->total / 10)
            return;
        if (final && done == p->shown)
            return;
        fprintf(stderr, "inspectctl: field upload: %" PRIu64 " of %" PRIu64 " bytes sent (%d%%)\n",
                done, p->total, pct);
        p->shown = done;
    }
    fflush(stderr);
    p->last = t;
}

/* Ends a bar drawn in place so that a message can follow on its own line. */
static void progress_break(progress *p)
{
    if (p->drawn) {
        fputc('\n', stderr);
        p->drawn = 0;
    }
}

/* ---- upload: stall watchdog ---------------------------------------------- */

typedef struct watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ins_stream *s; /* the call being watched, or NULL */
    double last;   /* time of its last progress */
    double stall;  /* seconds without progress before cancelling */
    int stop;
    int fired;
} watchdog;

static void *watchdog_run(void *arg)
{
    watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        if (w->s != NULL && now_s() - w->last > w->stall) {
            ins_stream_cancel(w->s);
            w->fired = 1;
            w->s = NULL;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Watches `s` from now on (NULL: stop watching, before finishing it).
 * Returns whether the watchdog cancelled the call watched until now. */
static int watchdog_set(watchdog *w, ins_stream *s)
{
    pthread_mutex_lock(&w->mu);
    int fired = w->fired;
    w->s = s;
    w->last = now_s();
    w->fired = 0;
    pthread_mutex_unlock(&w->mu);
    return fired;
}

static void watchdog_touch(watchdog *w)
{
    pthread_mutex_lock(&w->mu);
    w->last = now_s();
    pthread_mutex_unlock(&w->mu);
}

/* ---- upload -------------------------------------------------------------- */

typedef struct upload {
    int fd;
    uint64_t total;
    size_t chunk;
    uint8_t *buf;
    char sha_hex[65];
    Inspect__V1__UploadHeader hdr;
    int64_t timeout_ms;
    progress prog;
    watchdog wd;
    int read_err;       /* errno of a failed read of the photo */
    uint64_t committed; /* the server's offset, as its last attempt reported */
    int stalled;        /* the watchdog cancelled the last attempt */
} upload;

static void upload_help(void)
{
    printf("usage: inspectctl field upload PHOTO --task T --item I [--upload-id ID]\n"
           "                              [--chunk-bytes N] [--media-type M]\n"
           "                              [--lat X --lon Y] [--captured UNIX]\n"
           "                              [--retries N] [--stall D]\n\n"
           "Uploads a photo of a checklist item in chunks, each committed by the server\n"
           "as it arrives, and prints its photo id (the SHA-256 in hex). Progress shows\n"
           "on stderr: a bar on a terminal, a line every 10 %% otherwise. After a\n"
           "dropped connection it goes on by itself from the committed offset, which\n"
           "the server gives as the next attempt starts. Role: inspector (a team\n"
           "member).\n"
           "  --task T           the task the photo belongs to\n"
           "  --item I           the template item it documents\n"
           "  --upload-id ID     1..%d bytes, less your inspector id's length + 1;\n"
           "                     default: derived from task, item and the photo's hash,\n"
           "                     so the same command resumes the same upload\n"
           "  --chunk-bytes N    bytes per chunk (default 65536, at most 1048576)\n"
           "  --media-type M     default from the file name (image/jpeg, image/png, ...)\n"
           "  --lat X, --lon Y   where the photo was taken\n"
           "  --captured UNIX    when it was taken (seconds since the epoch; default:\n"
           "                     not given, as a file's time is when it was copied)\n"
           "  --retries N        attempts in a row without progress before giving up\n"
           "                     (default %d)\n"
           "  --stall D          cancel and resume a call that moved nothing for D\n"
           "                     (default 30s)\n"
           "The deadline of each attempt is --timeout when given, else none.\n\n%s",
           INS_UPLOAD_ID_MAX, RETRIES, ins_cli_global_help);
}

static const char *media_type_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"}, {".png", "image/png"},
        {".heic", "image/heic"}, {".webp", "image/webp"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* The hooks of an attempt: the watchdog watches its stream, progress shows. */
static void hook_stream(void *arg, ins_stream *s)
{
    upload *u = arg;
    if (s != NULL) {
        watchdog_set(&u->wd, s);
        u->prog.t0 = now_s();
    } else {
        u->stalled = watchdog_set(&u->wd, NULL);
    }
}

static void hook_progress(void *arg, uint64_t sent)
{
    upload *u = arg;
    watchdog_touch(&u->wd);
    progress_show(&u->prog, sent, 0);
}

static void hook_committed(void *arg, uint64_t offset)
{
    upload *u = arg;
    watchdog_touch(&u->wd);
    u->prog.b0 = offset;
    u->committed = offset;
    if (offset > 0) {
        progress_break(&u->prog);
        fprintf(stderr,
                "inspectctl: field upload: resuming %s at offset %" PRIu64 " of %" PRIu64
                " (%d%%)\n",
                u->hdr.upload_id, offset, u->total, u->total ? (int)(offset * 100 / u->total) : 0);
    }
}

/* One attempt from where the server stands (ins_upload_attempt). */
static int upload_attempt(ins_client *c, upload *u, int wait,
                          Inspect__V1__UploadPhotoResponse **resp, char **details)
{
    ins_upload_req req = {.fd = u->fd,
                          .hdr = &u->hdr,
                          .chunk = u->chunk,
                          .timeout_ms = u->timeout_ms,
                          .from = u->committed,
                          .wait = wait};
    ins_upload_hooks hooks = {hook_stream, hook_progress, hook_committed, u};
    u->stalled = 0;
    int code = ins_upload_attempt(c, &req, u->buf, &hooks, resp, details, &u->read_err);
    if (code == GRPC_STATUS_CANCELLED && u->stalled) {
        free(*details);
        char msg[96];
        snprintf(msg, sizeof msg, "nothing moved for %.0f s; the call was cancelled", u->wd.stall);
        *details = strdup(msg);
    }
    return code;
}

/* Prints the answer; checks it names our bytes. */
static int upload_done(ins_cli *cli, upload *u, Inspect__V1__UploadPhotoResponse *r)
{
    progress_show(&u->prog, u->total, 1);
    progress_break(&u->prog);
    if (strcasecmp(r->photo_id, u->sha_hex) != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "the server stored photo %s, but the file hashes to %s",
                 r->photo_id, u->sha_hex);
        return ins_cli_fail("field upload", GRPC_STATUS_DATA_LOSS, msg);
    }
    if (cli->json)
        return ins_cu_print_json(&r->base);
    printf("photo %s (%" PRIu64 " bytes%s)\n", r->photo_id, r->size,
           r->duplicate ? ", already stored" : "");
    return INS_EXIT_OK;
}

/* Reports a final failure; a full store or disk (INS_EXIT_FULL) also says
 * that it was not retried and how to resume. Returns the exit code. */
static int give_up(upload *u, int code, const char *details)
{
    progress_break(&u->prog);
    int rc = ins_cli_fail("field upload", code, details);
    if (rc == INS_EXIT_FULL)
        fprintf(stderr,
                "inspectctl: field upload: the server has no room for the photo, not retried; "
                "upload %s keeps what was stored: run the same command again once space is "
                "freed to resume\n",
                u->hdr.upload_id);
    return rc;
}

static int upload_run(ins_cli *cli, ins_client *c, upload *u, unsigned retries)
{
    unsigned failures = 0;
    double backoff = 0.25;
    uint64_t best = 0;
    char *details = NULL;
    for (int attempts = 0;; attempts++) {
        Inspect__V1__UploadPhotoResponse *r = NULL;
        free(details);
        /* A first attempt sends at once; a resume waits for the offset. */
        int code = upload_attempt(c, u, attempts > 0, &r, &details);
        if (code == 0) {
            int rc = upload_done(cli, u, r);
            protobuf_c_message_free_unpacked(&r->base, NULL);
            free(details);
            return rc;
        }
        if (code < 0) {
            progress_break(&u->prog);
            fprintf(stderr, "inspectctl: field upload: reading the photo: %s\n",
                    strerror(u->read_err));
            free(details);
            return INS_EXIT_FAIL;
        }
        if (!ins_upload_retryable(code, details)) {
            int rc = give_up(u, code, details);
            free(details);
            return rc;
        }
        if (u->committed > best) { /* progress: the count starts again */
            best = u->committed;
            failures = 0;
            backoff = 0.25;
        }
        if (++failures > retries) {
            progress_break(&u->prog);
            fprintf(stderr,
                    "inspectctl: field upload: giving up after %u attempts without "
                    "progress; run the same command again to resume\n",
                    retries);
            int rc = ins_cli_fail("field upload", code, details);
            free(details);
            return rc;
        }
        double wait = backoff * (0.75 + 0.5 * (double)rand() / RAND_MAX);
        progress_break(&u->prog);
        fprintf(stderr, "inspectctl: field upload: %s%s%s; retrying in %.1f s (%u of %u)\n",
                ins_client_status_name(code), details && details[0] ? ": " : "",
                details ? details : "", wait, failures, retries);
        sleep_s(wait);
        backoff = backoff * 2 > 8 ? 8 : backoff * 2;
    }
}

int ins__field_upload_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *task = NULL, *item = NULL, *uid = NULL, *chunk = NULL, *media = NULL;
    const char *captured = NULL;
    const char *lat = NULL, *lon = NULL, *retries_s = NULL, *stall_s = NULL;
    ins_cu_opt opts[] = {
        {"--task", &task, NULL},
        {"--item", &item, NULL},
        {"--upload-id", &uid, NULL},
        {"--chunk-bytes", &chunk, NULL},
        {"--media-type", &media, NULL},
        {"--lat", &lat, NULL},
        {"--lon", &lon, NULL},
        {"--retries", &retries_s, NULL},
        {"--stall", &stall_s, NULL},
        {"--captured", &captured, NULL},
        {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, upload_help, "field upload");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("field upload", "--task", task) != INS_EXIT_OK ||
        ins_cu_require("field upload", "--item", item) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    if (uid != NULL && ins_upload_id_check(uid, 0) != 0)
        return ins_cli_usage_error("field upload: --upload-id must have 1..%d bytes",
                                   INS_UPLOAD_ID_MAX);
    uint64_t chunk_bytes = CHUNK_DEFAULT, retries = RETRIES;
    if (chunk != NULL && (ins_cu_parse_u64("--chunk-bytes", chunk, CHUNK_MAX, &chunk_bytes) != 0))
        return INS_EXIT_USAGE;
    if (chunk_bytes == 0)
        return ins_cli_usage_error("field upload: --chunk-bytes must be at least 1");
    if (retries_s != NULL && ins_cu_parse_u64("--retries", retries_s, 1000, &retries) != 0)
        return INS_EXIT_USAGE;
    int64_t stall_ms = STALL_MS;
    if (stall_s != NULL && (ins_cli_parse_duration_ms(stall_s, &stall_ms) != 0 || stall_ms == 0))
        return ins_cli_usage_error("field upload: --stall: '%s' is not a duration such as 30s",
                                   stall_s);
    uint64_t capture = 0;
    if (captured != NULL && ins_cu_parse_u64("--captured", captured, INT64_MAX, &capture) != 0)
        return INS_EXIT_USAGE;
    double la = 0, lo = 0;
    if ((lat != NULL) != (lon != NULL))
        return ins_cli_usage_error("field upload: give both --lat and --lon, or neither");
    if (lat != NULL && (ins__field_parse_double("--lat", lat, -90, 90, &la) != 0 ||
                        ins__field_parse_double("--lon", lon, -180, 180, &lo) != 0))
        return INS_EXIT_USAGE;

    upload u;
    memset(&u, 0, sizeof u);
    u.fd = open(pos[0], O_RDONLY | O_CLOEXEC);
    struct stat stt;
    if (u.fd < 0 || fstat(u.fd, &stt) != 0) {
        fprintf(stderr, "inspectctl: %s: %s\n", pos[0], strerror(errno));
        if (u.fd >= 0)
            close(u.fd);
        return INS_EXIT_FAIL;
    }
    if (!S_ISREG(stt.st_mode) || stt.st_size == 0) {
        fprintf(stderr, "inspectctl: %s: not a regular, non-empty file\n", pos[0]);
        close(u.fd);
        return INS_EXIT_FAIL;
    }
    u.total = (uint64_t)stt.st_size;
    u.chunk = (size_t)chunk_bytes;
    u.buf = malloc(u.chunk > (1u << 20) ? u.chunk : (1u << 20));
    uint8_t sha[32];
    if (u.buf == NULL ||
        ins_upload_hash_file(u.fd, u.total, u.buf, u.chunk, sha, &u.read_err) != 0) {
        fprintf(stderr, "inspectctl: %s: %s\n", pos[0],
                u.read_err ? strerror(u.read_err) : "cannot hash it");
        free(u.buf);
        close(u.fd);
        return INS_EXIT_FAIL;
    }
    ins_hex_encode(sha, 32, u.sha_hex);
    char derived[INS_CU_REQUEST_ID_LEN + 8];
    if (uid == NULL) {
        char key[600];
        int n = snprintf(key, sizeof key, "%s%c%s%c%s", task, 0, item, 0, u.sha_hex);
        char id[INS_CU_REQUEST_ID_LEN];
        ins_cu_derived_request_id("field upload", key, (size_t)n, id);
        snprintf(derived, sizeof derived, "up-%s", id);
        uid = derived;
    }
    inspect__v1__upload_header__init(&u.hdr);
    u.hdr.upload_id = (char *)uid;
    u.hdr.task_id = (char *)task;
    u.hdr.item_code = (char *)item;
    u.hdr.total_size = u.total;
    u.hdr.sha256.data = sha;
    u.hdr.sha256.len = 32;
    u.hdr.media_type = (char *)(media != NULL ? media : media_type_of(pos[0]));
    u.hdr.capture_unix = (int64_t)capture; /* not the file's time: a copy's is when it was copied */
    u.hdr.latitude = la;
    u.hdr.longitude = lo;
    u.timeout_ms = cli->timeout_set ? cli->timeout_ms : INS_TIMEOUT_NONE;
    u.prog.tty = isatty(STDERR_FILENO);
    u.prog.total = u.total;
    u.wd.stall = (double)stall_ms / 1000.0;
    srand((unsigned)(time(NULL) ^ getpid()));
    if (!cli->json && cli->outbox == NULL)
        fprintf(stderr,
                "inspectctl: field upload: %s, %" PRIu64 " bytes, sha256 %s, upload id %s\n",
                pos[0], u.total, u.sha_hex, uid);

    if (cli->outbox != NULL) { /* queued with the photo's full path, sent by `outbox run` */
        char *full = realpath(pos[0], NULL);
        rc = full != NULL ? ins__field_enqueue(cli, INS_OB_UPLOAD, &u.hdr.base, full)
                          : INS_EXIT_FAIL;
        if (full == NULL)
            fprintf(stderr, "inspectctl: %s: %s\n", pos[0], strerror(errno));
        free(full);
        free(u.buf);
        close(u.fd);
        return rc;
    }
    ins_client *c = NULL;
    pthread_t th;
    int have_thread = 0;
    rc = ins_cli_connect(cli, &c);
    if (rc == INS_EXIT_OK) {
        pthread_mutex_init(&u.wd.mu, NULL);
        pthread_cond_init(&u.wd.cv, NULL);
        have_thread = pthread_create(&th, NULL, watchdog_run, &u.wd) == 0;
        if (!have_thread) {
            fputs("inspectctl: field upload: cannot start the stall watchdog\n", stderr);
            rc = INS_EXIT_FAIL;
        }
    }
    if (rc == INS_EXIT_OK)
        rc = upload_run(cli, c, &u, (unsigned)retries);
    if (have_thread) {
        pthread_mutex_lock(&u.wd.mu);
        u.wd.stop = 1;
        pthread_cond_signal(&u.wd.cv);
        pthread_mutex_unlock(&u.wd.mu);
        pthread_join(th, NULL);
    }
    if (c != NULL) {
        pthread_mutex_destroy(&u.wd.mu);
        pthread_cond_destroy(&u.wd.cv);
    }
    ins_client_close(c);
    free(u.buf);
    close(u.fd);
    return rc;
}
