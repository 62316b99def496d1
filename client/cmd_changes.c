/*
 * cmd_changes.c - `inspectctl changes`: a department's change feed
 * (PullChanges), of one district or of several at once.
 *
 * One feed per district named by --district (none: the node's own, sent
 * without x-district), each on its own thread with its own client (the
 * district goes out as x-district, so a province router reaches its node)
 * and its own cursor. Without --follow each feed is read to its end; with
 * --follow the feeds stay open until Ctrl-C (SIGINT only sets a flag; each
 * stream is then cancelled and finished) and a feed whose link is lost
 * (ins_client_link_lost: its node stopped, or the router lost the backend in
 * the middle of the stream) is opened again from its own cursor after a
 * backoff, while the others go on. The end says on stderr the cursors to
 * resume from, in the form --cursor takes them.
 */
#include "cmd_departments_sync.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cliutil.h"
#include "inspect/v1/departments.pb-c.h"
#include "ins_district.h"
#include "ins_pbjson.h"

#define PULL_METHOD "/inspect.v1.Departments/PullChanges"

#define GRPC_CANCELLED 1

#define FEEDS_MAX 32 /* districts followed at once */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* One district's feed. */
typedef struct feed {
    char district[INS_DISTRICT_MAX]; /* "" when no --district: the node's own */
    uint64_t cursor;                 /* the last seq printed */
    size_t count;
    int rc; /* exit code of this feed */
    pthread_t thread;
} feed;

/* What every feed shares: the options and the output. */
typedef struct feeds {
    const ins_cli *cli;
    const char **kinds;
    size_t n_kinds;
    int follow;
    int show_district; /* --district given: print the district column */
    json_object *arr;  /* without --follow, with --json: every change */
    pthread_mutex_t out_lock;
    feed f[FEEDS_MAX];
    size_t n;
} feeds;

typedef struct feed_arg {
    feeds *all;
    feed *f;
} feed_arg;

static void changes_help(void)
{
    printf("usage: inspectctl changes [--district LIST] [--cursor N | --cursor D=N,...]\n"
           "                          [--follow] [--kind K]...\n\n"
           "The change feed of the tasks, findings, reports, opinions and applications\n"
           "your department takes part in (PullChanges), one line per change:\n"
           "SEQ  TIME  [DISTRICT]  KIND  ID  CHANGE. Without --follow it prints every\n"
           "change after the cursor and ends; with --follow it stays open and prints new\n"
           "changes as they are committed, until Ctrl-C, then prints on stderr the\n"
           "cursor to resume from. A followed feed whose connection is lost (the node\n"
           "stopped: UNAVAILABLE; a router lost it mid-stream: INTERNAL) is resumed from\n"
           "its cursor. With --json: without --follow one object {\"changes\": [...],\n"
           "\"cursor\": \"N\"} (\"cursors\": {\"D\": \"N\"} for several districts), with\n"
           "--follow one Change object per line (each says its district).\n"
           "Role: department.\n"
           "  --district LIST  follow these districts' feeds at once (a,b,c), each\n"
           "                   with its own cursor, through a province router\n"
           "  --cursor N       start after feed sequence N (default 0: from the\n"
           "                   beginning); with several districts D=N for each (a\n"
           "                   district left out starts at 0)\n"
           "  --follow         keep watching for new changes (no deadline unless --timeout)\n"
           "  --kind K         only entity kind K: task, findings, report, opinion,\n"
           "                   application, alert, ... (repeatable)\n\n%s",
           ins_cli_global_help);
}

/* Prints one change (under out_lock). */
static void print_change(feeds *all, const Inspect__V1__Change *ch)
{
    char when[48];
    if (all->arr != NULL) {
        json_object_array_add(all->arr, ins_pbjson_print(&ch->base));
        return;
    }
    if (all->cli->json) {
        ins_cu_print_json(&ch->base);
        return;
    }
    if (all->show_district)
        printf("%" PRIu64 "  %s  %-10s %-12s %-24s %s\n", ch->seq,
               ins_cu_fmt_time_ns(ch->time_unix_ns, when, sizeof when), ch->district,
               ch->entity_kind, ch->entity_id, ch->change);
    else
        printf("%" PRIu64 "  %s  %-12s %-24s %s\n", ch->seq,
               ins_cu_fmt_time_ns(ch->time_unix_ns, when, sizeof when), ch->entity_kind,
               ch->entity_id, ch->change);
}

/* "inspectctl: changes[ --follow][ (district d)]" for messages. */
static void feed_what(const feeds *all, const feed *f, char *out, size_t len)
{
    snprintf(out, len, "changes%s%s%s%s", all->follow ? " --follow" : "",
             f->district[0] ? " (district " : "", f->district, f->district[0] ? ")" : "");
}

/* Sleeps `s` seconds in steps, returning early on Ctrl-C. */
static void nap(double s)
{
    for (double left = s; left > 0 && !interrupted; left -= 0.1) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/*
 * One PullChanges call from f->cursor, printing what arrives. Returns the
 * gRPC status it ended with (CANCELLED after Ctrl-C counts as 0), and the
 * details in `*details` (caller frees).
 */
static int feed_attempt(feeds *all, feed *f, ins_client *c, char **details)
{
    Inspect__V1__PullChangesRequest req = INSPECT__V1__PULL_CHANGES_REQUEST__INIT;
    req.cursor = f->cursor;
    req.follow = all->follow;
    req.kinds = (char **)all->kinds;
    req.n_kinds = all->n_kinds;
    ins_stream *s;
    int code = ins_client_server_stream(
        c, PULL_METHOD, &req.base, &inspect__v1__change_batch__descriptor,
        all->follow && !all->cli->timeout_set ? INS_TIMEOUT_NONE : INS_TIMEOUT_DEFAULT, &s,
        details);
    if (code != 0)
        return code;
    int ended = 0;
    for (;;) {
        ProtobufCMessage *m = NULL;
        int r = ins_stream_recv(s, all->follow ? 250 : INS_TIMEOUT_NONE, &m);
        if (r == 0) {
            ended = 1;
            break;
        }
        if (r < 0) {
            if (interrupted)
                break;
            continue;
        }
        const Inspect__V1__ChangeBatch *b = (const Inspect__V1__ChangeBatch *)m;
        pthread_mutex_lock(&all->out_lock);
        for (size_t i = 0; i < b->n_changes; i++) {
            print_change(all, b->changes[i]);
            f->count++;
            if (b->changes[i]->seq > f->cursor)
                f->cursor = b->changes[i]->seq;
        }
        if (b->cursor > f->cursor)
            f->cursor = b->cursor;
        fflush(stdout);
        pthread_mutex_unlock(&all->out_lock);
        protobuf_c_message_free_unpacked(m, NULL);
        if (interrupted)
            break;
    }
    if (!ended)
        ins_stream_cancel(s);
    code = ins_stream_finish(s, details);
    return code == GRPC_CANCELLED && !ended ? 0 : code;
}

/* A feed's thread: attempts until the feed ends, Ctrl-C, or a failure that
 * resuming would not cure. Sets f->rc. */
static void *feed_main(void *arg)
{
    feed_arg *fa = arg;
    feeds *all = fa->all;
    feed *f = fa->f;
    ins_cli cli = *all->cli;
    cli.district = f->district[0] ? f->district : NULL;
    char what[96];
    feed_what(all, f, what, sizeof what);
    ins_client *c = NULL;
    f->rc = ins_cli_connect(&cli, &c);
    double backoff = 0.25;
    while (f->rc == INS_EXIT_OK) {
        char *details = NULL;
        uint64_t before = f->cursor;
        int code = feed_attempt(all, f, c, &details);
        if (code == 0 || interrupted) {
            free(details);
            break;
        }
        if (!all->follow || !ins_client_link_lost(code)) {
            pthread_mutex_lock(&all->out_lock);
            f->rc = ins_cli_fail(what, code, details);
            pthread_mutex_unlock(&all->out_lock);
            free(details);
            break;
        }
        if (f->cursor != before)
            backoff = 0.25; /* it moved: the link came back */
        fprintf(stderr, "inspectctl: %s: %s: %s; resuming after seq %" PRIu64 " in %.1f s\n", what,
                ins_client_status_name(code), details ? details : "", f->cursor, backoff);
        free(details);
        nap(backoff);
        backoff = backoff * 2 > 8 ? 8 : backoff * 2;
    }
    ins_client_close(c);
    return NULL;
}

/* Reads --district (cli->district) into the feeds. INS_EXIT_USAGE on error. */
static int feeds_districts(feeds *all)
{
    char list[INS_DISTRICTS_MAX];
    const char *why = NULL;
    if (all->cli->district == NULL) {
        all->n = 1;
        return INS_EXIT_OK;
    }
    if (ins_district_list_parse(all->cli->district, list, sizeof list, &why) != 0)
        return ins_cli_usage_error("changes: --district: %s", why);
    if (strcmp(list, INS_DISTRICTS_ALL) == 0)
        return ins_cli_usage_error("changes: --district names the districts to follow; '*' is "
                                   "for tokens");
    all->show_district = 1;
    for (char *p = list; p && *p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (all->n == FEEDS_MAX)
            return ins_cli_usage_error("changes: at most %d districts at once", FEEDS_MAX);
        size_t len = strlen(p); /* a code: shorter than INS_DISTRICT_MAX */
        memcpy(all->f[all->n++].district, p, len < INS_DISTRICT_MAX ? len + 1 : 1);
        p = comma ? comma + 1 : NULL;
    }
    return INS_EXIT_OK;
}

/* Reads --cursor: N (one feed), or D=N,... (by district). */
static int feeds_cursors(feeds *all, const char *text)
{
    if (text == NULL)
        return INS_EXIT_OK;
    if (strchr(text, '=') == NULL) {
        if (all->n > 1)
            return ins_cli_usage_error("changes: with several districts --cursor takes D=N,... "
                                       "(the form the end of a run prints)");
        return ins_cu_parse_u64("--cursor", text, UINT64_MAX, &all->f[0].cursor) != 0
                   ? INS_EXIT_USAGE
                   : INS_EXIT_OK;
    }
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", text) >= (int)sizeof buf)
        return ins_cli_usage_error("changes: --cursor is too long");
    for (char *p = buf; p && *p;) {
        char *comma = strchr(p, ','), *eq = strchr(p, '=');
        if (comma)
            *comma = '\0';
        if (!eq || (comma && eq > comma))
            return ins_cli_usage_error("changes: --cursor entry '%s' is not D=N", p);
        *eq = '\0';
        size_t i = 0;
        while (i < all->n && strcmp(all->f[i].district, p) != 0)
            i++;
        if (i == all->n)
            return ins_cli_usage_error("changes: --cursor names district '%s', which --district "
                                       "does not",
                                       p);
        if (ins_cu_parse_u64("--cursor", eq + 1, UINT64_MAX, &all->f[i].cursor) != 0)
            return INS_EXIT_USAGE;
        p = comma ? comma + 1 : NULL;
    }
    return INS_EXIT_OK;
}

/* Writes the cursors as --cursor takes them into `out`. */
static void cursors_text(const feeds *all, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < all->n && n < len; i++) {
        int w = all->show_district ? snprintf(out + n, len - n, "%s%s=%" PRIu64, i ? "," : "",
                                              all->f[i].district, all->f[i].cursor)
                                   : snprintf(out + n, len - n, "%" PRIu64, all->f[i].cursor);
        n += w > 0 ? (size_t)w : 0;
    }
}

/* Without --follow, after every feed ended: the summary (text) or the
 * whole JSON object. Returns the exit code. */
static int print_summary(feeds *all, size_t count, const char *cursors)
{
    if (all->arr == NULL) {
        printf("(%zu change%s; cursor %s)\n", count, count == 1 ? "" : "s", cursors);
        return INS_EXIT_OK;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "changes", all->arr);
    all->arr = NULL;
    if (all->show_district) {
        json_object *cur = json_object_new_object();
        for (size_t i = 0; i < all->n; i++) {
            char num[24];
            snprintf(num, sizeof num, "%" PRIu64, all->f[i].cursor);
            json_object_object_add(cur, all->f[i].district, json_object_new_string(num));
        }
        json_object_object_add(o, "cursors", cur);
    } else {
        char num[24];
        snprintf(num, sizeof num, "%" PRIu64, all->f[0].cursor);
        json_object_object_add(o, "cursor", json_object_new_string(num));
    }
    int rc = ins_cu_print_json_object(o);
    json_object_put(o);
    return rc;
}

int ins_cmd_changes(ins_cli *cli, int argc, char **argv)
{
    static feeds all; /* large; one per process */
    memset(&all, 0, sizeof all);
    all.cli = cli;
    const char *kinds[INS_CU_MAX_REPEAT];
    if (ins_cu_take_repeated(&argc, argv, "--kind", kinds, &all.n_kinds, "changes") != 0)
        return INS_EXIT_USAGE;
    for (size_t i = 0; i < all.n_kinds; i++)
        if (kinds[i][0] == '\0')
            return ins_cli_usage_error("changes: --kind must not be empty");
    all.kinds = kinds;
    const char *cursor_text = NULL;
    ins_cu_opt opts[] = {
        {"--cursor", &cursor_text, NULL}, {"--follow", NULL, &all.follow}, {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, changes_help, "changes");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if ((rc = feeds_districts(&all)) != INS_EXIT_OK || (rc = feeds_cursors(&all, cursor_text)))
        return rc;
    if (all.follow)
        ins_cu_on_stop(on_signal);
    all.arr = !all.follow && cli->json ? json_object_new_array() : NULL;
    pthread_mutex_init(&all.out_lock, NULL);
    feed_arg args[FEEDS_MAX];
    size_t started = 0;
    for (; started < all.n; started++) {
        args[started] = (feed_arg){&all, &all.f[started]};
        if (pthread_create(&all.f[started].thread, NULL, feed_main, &args[started]) != 0) {
            fprintf(stderr, "inspectctl: changes: cannot start a thread: %s\n", strerror(errno));
            interrupted = 1;
            rc = INS_EXIT_FAIL;
            break;
        }
    }
    size_t count = 0;
    for (size_t i = 0; i < started; i++) {
        pthread_join(all.f[i].thread, NULL);
        count += all.f[i].count;
        if (all.f[i].rc > rc)
            rc = all.f[i].rc;
    }
    pthread_mutex_destroy(&all.out_lock);
    char cursors[FEEDS_MAX * (INS_DISTRICT_MAX + 22)];
    cursors_text(&all, cursors, sizeof cursors);
    if (!all.follow && rc == INS_EXIT_OK)
        rc = print_summary(&all, count, cursors);
    if (all.arr != NULL)
        json_object_put(all.arr);
    if (all.follow)
        fprintf(stderr, "inspectctl: changes: %zu change%s; resume with --cursor %s\n", count,
                count == 1 ? "" : "s", cursors);
    return rc;
}
