/*
 * cmd_field_outbox.c - `inspectctl field outbox add|run|status DIR`: the
 * tablet's outbox (ins_outbox.h) from a terminal, so that support staff and
 * the tests run a tablet's real behaviour.
 *
 * `add` takes the arguments of `field checkin`, `field submit` or `field
 * upload` and queues the request those commands would send, its request id
 * (or upload id) fixed now; nothing goes over the network. `run` drains the
 * queue in order over a channel set up for a weak link (keepalive pings
 * every KEEPALIVE_MS, reconnects from RECONNECT_MS). `status` lists it.
 */
#include "cmd_field.h"
#include "cmd_field_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cliutil.h"
#include "ins_outbox.h"
#include "ins_photo_upload.h"
#include "inspect/v1/field.pb-c.h"

#define KEEPALIVE_MS 10000
#define RECONNECT_MS 250

static const char *kind_name(ins_ob_kind kind)
{
    switch (kind) {
    case INS_OB_CHECKIN:
        return "checkin";
    case INS_OB_FINDINGS:
        return "submit";
    case INS_OB_UPLOAD:
        return "upload";
    }
    return "?";
}

/* The id an item keeps for ever, and a few words on what it is. */
static const char *describe(const ins_ob_item *it, char *what, size_t len)
{
    switch (it->kind) {
    case INS_OB_CHECKIN: {
        const Inspect__V1__CheckInRequest *r = (const Inspect__V1__CheckInRequest *)it->req;
        snprintf(what, len, "task %s", r->task_id);
        return r->request_id;
    }
    case INS_OB_FINDINGS: {
        const Inspect__V1__SubmitFindingsRequest *r =
            (const Inspect__V1__SubmitFindingsRequest *)it->req;
        snprintf(what, len, "task %s department %s", r->findings ? r->findings->task_id : "-",
                 r->findings ? r->findings->department : "-");
        return r->request_id;
    }
    case INS_OB_UPLOAD: {
        const Inspect__V1__UploadHeader *h = (const Inspect__V1__UploadHeader *)it->req;
        snprintf(what, len, "task %s item %s, %s, %" PRIu64 " of %" PRIu64 " bytes committed",
                 h->task_id, h->item_code, it->path, it->offset, h->total_size);
        return h->upload_id;
    }
    }
    what[0] = '\0';
    return "?";
}

/* Opens the outbox in `dir`, creating the folder when needed. */
static int open_outbox(const char *dir, ins_outbox **ob)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "inspectctl: field outbox: %s: %s\n", dir, strerror(errno));
        return INS_EXIT_FAIL;
    }
    char *details = NULL;
    if (ins_outbox_open(dir, ob, &details) != 0) {
        fprintf(stderr, "inspectctl: field outbox: %s\n", details ? details : "cannot open");
        free(details);
        return INS_EXIT_FAIL;
    }
    return INS_EXIT_OK;
}

int ins__field_enqueue(ins_cli *cli, int kind, const ProtobufCMessage *req, const char *path)
{
    uint64_t seq = 0;
    int rc = ins_outbox_add(cli->outbox, (ins_ob_kind)kind, req, path, &seq);
    if (rc != 0) {
        fprintf(stderr, "inspectctl: field outbox add: %s\n",
                rc == EINVAL ? "the request has no id" : strerror(rc));
        return INS_EXIT_FAIL;
    }
    ins_ob_item it = {.seq = seq,
                      .kind = (ins_ob_kind)kind,
                      .req = (ProtobufCMessage *)req,
                      .path = (char *)path};
    char what[512];
    const char *id = describe(&it, what, sizeof what);
    printf("queued %" PRIu64 ": %s %s (%s)\n", seq, kind_name(it.kind), id, what);
    return INS_EXIT_OK;
}

/* ---- add ----------------------------------------------------------------- */

static void add_help(void)
{
    printf("usage: inspectctl field outbox add DIR checkin|submit|upload ARGS...\n\n"
           "Queues in the outbox in folder DIR (created if missing) the request that\n"
           "`inspectctl field checkin|submit|upload ARGS...` would send, with its\n"
           "request id (or upload id) fixed now; nothing is sent. Run\n"
           "`inspectctl field COMMAND --help` for ARGS.\n\n%s",
           ins_cli_global_help);
}

static int add_cmd(ins_cli *cli, int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        add_help();
        return INS_EXIT_OK;
    }
    if (argc < 3 ||
        (strcmp(argv[2], "checkin") && strcmp(argv[2], "submit") && strcmp(argv[2], "upload")))
        return ins_cli_usage_error("field outbox add: give DIR, then checkin, submit or upload "
                                   "with its arguments");
    int rc = open_outbox(argv[1], &cli->outbox);
    if (rc != INS_EXIT_OK)
        return rc;
    /* "field" KIND ARGS...: the command itself, which queues (cli->outbox). */
    argv[1] = "field outbox add";
    rc = ins_cmd_field(cli, argc - 1, argv + 1);
    ins_outbox_close(cli->outbox);
    cli->outbox = NULL;
    return rc;
}

/* ---- run ----------------------------------------------------------------- */

static void run_help(void)
{
    printf("usage: inspectctl field outbox run DIR [--retries N] [--chunk-bytes N]\n\n"
           "Sends what the outbox in DIR holds, in order, each until the server\n"
           "answers: a dropped link is retried (backoff 250 ms to 8 s), an upload\n"
           "resumes from the committed offset, a check-in or findings is sent again\n"
           "under its own request id (the server answers it once). An item the\n"
           "server refuses for good stays in the outbox, marked refused (see\n"
           "status). Exits 0 when nothing is left to send, 1 when an item was\n"
           "refused or the link stayed down (run again later).\n"
           "  --retries N       attempts in a row without progress before stopping\n"
           "                    (default 8)\n"
           "  --chunk-bytes N   bytes per upload chunk (default 65536)\n"
           "Check-ins and findings use --timeout as their deadline (default 10s).\n\n%s",
           ins_cli_global_help);
}

static void on_done(void *arg, const ins_ob_item *it, int code, const char *details)
{
    int *refused = arg;
    char what[512];
    const char *id = describe(it, what, sizeof what);
    if (code == 0) {
        printf("sent %" PRIu64 ": %s %s\n", it->seq, kind_name(it->kind), id);
    } else {
        (*refused)++;
        printf("refused %" PRIu64 ": %s %s: %s: %s\n", it->seq, kind_name(it->kind), id,
               ins_client_status_name(code), details ? details : "");
    }
    fflush(stdout);
}

static int run_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *retries_s = NULL, *chunk_s = NULL;
    ins_cu_opt opts[] = {
        {"--retries", &retries_s, NULL},
        {"--chunk-bytes", &chunk_s, NULL},
        {NULL, NULL, NULL},
    };
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, run_help, "field outbox run");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    uint64_t retries = 0, chunk = 0;
    if ((retries_s && ins_cu_parse_u64("--retries", retries_s, 1000, &retries) != 0) ||
        (chunk_s && ins_cu_parse_u64("--chunk-bytes", chunk_s, INS_UPLOAD_CHUNK_MAX, &chunk) != 0))
        return INS_EXIT_USAGE;
    if (chunk_s && chunk == 0)
        return ins_cli_usage_error("field outbox run: --chunk-bytes must be at least 1");
    ins_outbox *ob = NULL;
    if ((rc = open_outbox(pos[0], &ob)) != INS_EXIT_OK)
        return rc;
    cli->keepalive_ms = KEEPALIVE_MS;
    cli->reconnect_ms = RECONNECT_MS;
    ins_client *c = NULL;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK) {
        ins_outbox_close(ob);
        return INS_EXIT_FAIL;
    }
    int refused = 0;
    ins_outbox_drain_opts o = {.retries = (unsigned)retries,
                               .chunk = (size_t)chunk,
                               .timeout_ms = cli->timeout_ms,
                               .done = on_done,
                               .arg = &refused};
    int err = ins_outbox_drain(ob, c, &o);
    ins_client_close(c);
    ins_outbox_close(ob);
    if (err == EAGAIN)
        fprintf(stderr, "inspectctl: field outbox run: the link stayed down; what is left is "
                        "kept: run again later\n");
    else if (err == EBUSY)
        fprintf(stderr, "inspectctl: field outbox run: another run is draining %s\n", pos[0]);
    else if (err != 0)
        fprintf(stderr, "inspectctl: field outbox run: %s\n", strerror(err));
    return err != 0 || refused ? INS_EXIT_FAIL : INS_EXIT_OK;
}

/* ---- status -------------------------------------------------------------- */

static void status_help(void)
{
    printf("usage: inspectctl field outbox status DIR\n\n"
           "Lists the outbox in DIR in order: each item's kind, request id (or\n"
           "upload id), what it is, and whether it waits or was refused (with the\n"
           "server's answer); the last line counts them. Nothing is sent.\n\n%s",
           ins_cli_global_help);
}

static int status_cmd(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc =
        ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, status_help, "field outbox status");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    ins_outbox *ob = NULL;
    if ((rc = open_outbox(pos[0], &ob)) != INS_EXIT_OK)
        return rc;
    ins_ob_item *items = NULL;
    size_t n = 0, refused = 0;
    int err = ins_outbox_list(ob, &items, &n);
    ins_outbox_close(ob);
    if (err != 0) {
        fprintf(stderr, "inspectctl: field outbox status: %s\n", strerror(err));
        return INS_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        char what[512];
        const char *id = describe(&items[i], what, sizeof what);
        printf("%" PRIu64 " %s %s %s (%s)", items[i].seq, kind_name(items[i].kind), id,
               items[i].refused ? "refused" : "waiting", what);
        if (items[i].refused)
            printf(": %s: %s", ins_client_status_name(items[i].code),
                   items[i].message ? items[i].message : "");
        putchar('\n');
        refused += items[i].refused != 0;
    }
    printf("outbox: %zu item%s, %zu waiting, %zu refused\n", n, n == 1 ? "" : "s", n - refused,
           refused);
    ins_outbox_items_free(items, n);
    return INS_EXIT_OK;
}

int ins__field_outbox_cmd(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"add", "queue a checkin, submit or upload instead of sending it", add_cmd},
        {"run", "send what is queued, in order, through drops and restarts", run_cmd},
        {"status", "list what is queued", status_cmd},
    };
    argv[0] = "field outbox"; /* how the group's help names it */
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl field outbox COMMAND DIR [options]\n\n"
                        "The tablet's outbox: a durable queue (LMDB in folder DIR) of check-ins,\n"
                        "findings and photo uploads, each with its request id, drained in order\n"
                        "when the link is up.\n",
                        subs, sizeof subs / sizeof subs[0]);
}
