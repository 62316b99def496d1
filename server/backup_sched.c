/*
 * backup_sched.c - scheduled hot backups of the running server (see
 * backup_sched.h).
 *
 * One thread, one mutex: the thread sleeps on a condition variable until
 * the next backup is due or it is told to stop, copies the store with no
 * lock held, then records the outcome under the mutex. The getters take the
 * same mutex for a few words of copying; nothing on a call path waits for a
 * backup.
 */
#include "backup_sched.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ins_backup.h"
#include "ins_error.h"
#include "log.h"
#include "metrics.h"
#include "ready.h"

#define PREFIX       "inspectd-"
#define NAME_MAX_LEN 64

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int running, stop;
    ins_store *s;
    char *dir;
    int64_t every_ms;
    unsigned keep;
    int64_t last_ok_ms, last_err_ms;
    char last_err[512];
    uint64_t made, failed;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One log line through the server's log module (log.h). */
static void log_line(const char *level, const char *fmt, const char *a, const char *b)
{
    char msg[1024];
    ins_log_level lv = INS_LOG_INFO;
    snprintf(msg, sizeof msg, fmt, a, b);
    ins_log_level_parse(level, &lv);
    ins_log(lv, "backup: %s", msg);
}

/* ---- metrics and readiness (metrics.h, ready.h) ------------------------ */

static double gauge_last_ok(void *arg)
{
    (void)arg;
    return (double)ins_backup_sched_last_ok_ms() / 1000.0;
}

static double gauge_made(void *arg)
{
    (void)arg;
    return (double)ins_backup_sched_count(0);
}

static double gauge_failed(void *arg)
{
    (void)arg;
    return (double)ins_backup_sched_count(1);
}

/* Not ready while the last scheduled backup failed. */
static int backup_ready(void *arg, char *why, size_t whylen)
{
    char err[400];
    (void)arg;
    if (ins_backup_sched_last_error(err, sizeof err) == 0)
        return 0;
    snprintf(why, whylen, "the last scheduled backup failed: %s", err);
    return 1;
}

/* Registers the schedule's figures and check under the key &g. */
static void ops_register(void)
{
    ins_metrics_gauge_register("inspectd_backup_last_success_timestamp_seconds",
                               "When the last backup succeeded, Unix seconds (0: none).",
                               gauge_last_ok, &g);
    ins_metrics_gauge_register("inspectd_backups_made", "Scheduled backups made since start.",
                               gauge_made, &g);
    ins_metrics_gauge_register("inspectd_backups_failed", "Scheduled backups failed since start.",
                               gauge_failed, &g);
    ins_ready_register("backup", backup_ready, &g);
}

/* Is `name` one of our backup folders (by name only)? */
static int is_backup_name(const char *name)
{
    return strncmp(name, PREFIX, sizeof PREFIX - 1) == 0 && strlen(name) < NAME_MAX_LEN;
}

/* mtime in ms of DIR/name/MANIFEST, or 0 when it has none (unfinished). */
static int64_t manifest_ms(const char *dir, const char *name)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s/%s", dir, name, INS_BACKUP_MANIFEST);
    if (stat(p, &st) != 0)
        return 0;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : errno;
}

/* Removes the folder `path` and everything in it. Returns 0 or errno. */
static int remove_tree(const char *path)
{
    int rc = nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc == 0 || errno == ENOENT ? 0 : (rc > 0 ? rc : errno);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The complete backups in dir, oldest first (names sort by time). Sets
 * *names (free each and the array) and *n. Returns 0 or errno.
 */
static int list_backups(const char *dir, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno;
    size_t cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!is_backup_name(e->d_name) || manifest_ms(dir, e->d_name) == 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **p = realloc(*names, cap * sizeof *p);
            if (p == NULL) {
                rc = ENOMEM;
                break;
            }
            *names = p;
        }
        if (((*names)[*n] = strdup(e->d_name)) == NULL)
            rc = ENOMEM;
        else
            (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(*names, *n, sizeof **names, cmp_names);
    return rc;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Deletes the oldest complete backups beyond g.keep. */
static void prune(const char *dir, unsigned keep)
{
    char **names;
    size_t n;
    if (list_backups(dir, &names, &n) != 0) {
        free_names(names, n);
        return;
    }
    for (size_t i = 0; n > keep && i < n - keep; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        int rc = remove_tree(p);
        if (rc != 0)
            log_line("warn", "cannot delete the old backup %s: %s", p, strerror(rc));
    }
    free_names(names, n);
}

/* One backup into dir/inspectd-<UTC time>; records the outcome. */
static void run_once(ins_store *s, const char *dir, unsigned keep)
{
    char name[NAME_MAX_LEN], path[4096];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t w = strftime(name, sizeof name, PREFIX "%Y%m%dT%H%M%SZ", &tm);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (int k = 1; access(path, F_OK) == 0 && k < 100; k++) /* same second */
        snprintf(path, sizeof path, "%s/%.*s-%d", dir, (int)w, name, k);
    ins_backup_report rep;
    int rc = ins_store_backup_live(s, path, &rep);
    pthread_mutex_lock(&g.mu);
    if (rc == 0) {
        g.last_ok_ms = now_ms();
        g.last_err_ms = 0;
        g.last_err[0] = '\0';
        g.made++;
    } else {
        g.last_err_ms = now_ms();
        snprintf(g.last_err, sizeof g.last_err, "%s",
                 rep.detail[0] ? rep.detail : ins_strerror(rc));
        g.failed++;
    }
    pthread_mutex_unlock(&g.mu);
    if (rc != 0) {
        log_line("error", "backup into %s failed: %s", path,
                 rep.detail[0] ? rep.detail : ins_strerror(rc));
        remove_tree(path); /* no manifest: an unfinished copy, never restorable */
        return;
    }
    log_line("info", "backup written to %s%s", path, "");
    prune(dir, keep);
}

static void *sched_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g.mu);
    for (;;) {
        int64_t due = g.last_ok_ms + g.every_ms;
        if (g.last_err_ms > g.last_ok_ms)
            due = g.last_err_ms + g.every_ms;
        while (!g.stop && now_ms() < due) {
            int64_t at = due;
            struct timespec ts = {.tv_sec = at / 1000, .tv_nsec = (at % 1000) * 1000000};
            pthread_cond_timedwait(&g.cv, &g.mu, &ts);
        }
        if (g.stop)
            break;
        ins_store *s = g.s;
        unsigned keep = g.keep;
        pthread_mutex_unlock(&g.mu);
        run_once(s, g.dir, keep); /* g.dir is fixed while the thread runs */
        pthread_mutex_lock(&g.mu);
    }
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

int ins_backup_sched_start(ins_store *s, const char *dir, int64_t every_s, unsigned keep)
{
    if (s == NULL || dir == NULL || dir[0] == '\0' || every_s < 1 || keep < 1 ||
        every_s > INT64_MAX / 1000)
        return EINVAL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return errno;
    char **names;
    size_t n;
    int rc = list_backups(dir, &names, &n);
    int64_t newest = rc == 0 && n > 0 ? manifest_ms(dir, names[n - 1]) : 0;
    free_names(names, n);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&g.mu);
    if (g.running) {
        pthread_mutex_unlock(&g.mu);
        return EALREADY;
    }
    if ((g.dir = strdup(dir)) == NULL) {
        pthread_mutex_unlock(&g.mu);
        return ENOMEM;
    }
    g.s = s;
    g.every_ms = every_s * 1000;
    g.keep = keep;
    g.stop = 0;
    g.last_ok_ms = newest;
    g.last_err_ms = 0;
    g.last_err[0] = '\0';
    g.made = g.failed = 0;
    rc = pthread_create(&g.th, NULL, sched_main, NULL);
    if (rc == 0)
        g.running = 1;
    else {
        free(g.dir);
        g.dir = NULL;
    }
    pthread_mutex_unlock(&g.mu);
    if (rc == 0)
        ops_register(); /* after the unlock: a scrape takes the registry's lock, then g.mu */
    return rc;
}

void ins_backup_sched_stop(void)
{
    pthread_mutex_lock(&g.mu);
    if (!g.running) {
        pthread_mutex_unlock(&g.mu);
        return;
    }
    g.stop = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    ins_metrics_unregister(&g);
    ins_ready_unregister(&g);
    pthread_join(g.th, NULL);
    pthread_mutex_lock(&g.mu);
    g.running = 0;
    free(g.dir);
    g.dir = NULL;
    g.s = NULL;
    pthread_mutex_unlock(&g.mu);
}

int64_t ins_backup_sched_last_ok_ms(void)
{
    pthread_mutex_lock(&g.mu);
    int64_t v = g.last_ok_ms;
    pthread_mutex_unlock(&g.mu);
    return v;
}

int64_t ins_backup_sched_last_error(char *buf, size_t len)
{
    pthread_mutex_lock(&g.mu);
    int64_t v = g.last_err_ms;
    if (buf != NULL && len > 0)
        snprintf(buf, len, "%s", v != 0 ? g.last_err : "");
    pthread_mutex_unlock(&g.mu);
    return v;
}

uint64_t ins_backup_sched_count(int failed)
{
    pthread_mutex_lock(&g.mu);
    uint64_t v = failed ? g.failed : g.made;
    pthread_mutex_unlock(&g.mu);
    return v;
}
