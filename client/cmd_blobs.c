/*
 * cmd_blobs.c - `inspectctl blobs status`, `migrate` and `orphans`: the
 * photo tier of a running node (inspect.v1.Blobs): what is held locally,
 * what waits for the object store and since when, the last error; queueing
 * an existing local store for the object store; the objects there that no
 * photo references.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "cliutil.h"
#include "inspect/v1/blobs.pb-c.h"

#define BLOBS_METHOD(m) "/inspect.v1.Blobs/" m

static void status_help(void)
{
    printf("usage: inspectctl blobs status\n\n"
           "Where the node's photos are: the store (lmdb, or s3://BUCKET/PREFIX at\n"
           "ENDPOINT), photos and bytes held locally, the backlog waiting for the\n"
           "object store and its oldest, since when the store is unreachable, the\n"
           "last error, and reads that failed their SHA-256. Roles: admin, auditor.\n\n%s",
           ins_cli_global_help);
}

static void show_status(const ProtobufCMessage *m)
{
    const Inspect__V1__GetBlobStatusResponse *r = (const Inspect__V1__GetBlobStatusResponse *)m;
    char t1[40], t2[40], t3[40];
    printf("store:              %s\n"
           "local:              %" PRIu64 " photos, %" PRIu64 " bytes\n"
           "backlog:            %" PRIu64 " photos, %" PRIu64 " bytes\n"
           "oldest waiting:     %s\n"
           "in the object store: %" PRIu64 " photos (%" PRIu64 " bytes cached locally)\n"
           "moved since start:  %" PRIu64 "\n"
           "unreachable since:  %s\n"
           "last error:         %s%s%s%s\n"
           "failed checks:      %" PRIu64 "\n",
           r->store, r->local_photos, r->local_bytes, r->backlog_photos, r->backlog_bytes,
           ins_cu_fmt_time(r->oldest_waiting_unix, t1, sizeof t1), r->remote_photos,
           r->cached_bytes, r->moved, ins_cu_fmt_time(r->unreachable_since_unix, t2, sizeof t2),
           r->last_error[0] ? r->last_error : "-", r->last_error[0] ? " (" : "",
           r->last_error[0] ? ins_cu_fmt_time(r->last_error_unix, t3, sizeof t3) : "",
           r->last_error[0] ? ")" : "", r->data_loss);
    if (r->landing_limit_bytes)
        printf("landing limit:      %" PRIu64 " bytes\n", r->landing_limit_bytes);
}

/*
 * Every blobs command takes no arguments of its own: parses the global
 * options (and --help), sends the empty `req` and prints the answer with
 * `show`. Returns an exit code.
 */
static int call_argless(ins_cli *cli, int argc, char **argv, const char *what, void (*help)(void),
                        const char *method, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *resp,
                        void (*show)(const ProtobufCMessage *))
{
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, NULL, 0, 0, &npos, help, what);
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    return ins_cu_call_and_show(cli, what, method, req, resp, show);
}

static int status(ins_cli *cli, int argc, char **argv)
{
    Inspect__V1__GetBlobStatusRequest req = INSPECT__V1__GET_BLOB_STATUS_REQUEST__INIT;
    return call_argless(cli, argc, argv, "blobs status", status_help, BLOBS_METHOD("GetBlobStatus"),
                        &req.base, &inspect__v1__get_blob_status_response__descriptor, show_status);
}

static void migrate_help(void)
{
    printf("usage: inspectctl blobs migrate\n\n"
           "Queues every photo held only in the node's data folder for the object\n"
           "store of --blob-store s3://...; the node moves them in the background\n"
           "(follow with `inspectctl blobs status`). Safe to run again. Role: admin.\n\n%s",
           ins_cli_global_help);
}

static void show_migrate(const ProtobufCMessage *m)
{
    printf("%" PRIu64 " photos queued for the object store\n",
           ((const Inspect__V1__MigrateBlobsResponse *)m)->queued);
}

static int migrate(ins_cli *cli, int argc, char **argv)
{
    Inspect__V1__MigrateBlobsRequest req = INSPECT__V1__MIGRATE_BLOBS_REQUEST__INIT;
    return call_argless(cli, argc, argv, "blobs migrate", migrate_help,
                        BLOBS_METHOD("MigrateBlobs"), &req.base,
                        &inspect__v1__migrate_blobs_response__descriptor, show_migrate);
}

static void orphans_help(void)
{
    printf("usage: inspectctl blobs orphans\n\n"
           "Lists the objects under the node's prefix in the object store that no\n"
           "photo record references (at most 1000 ids, then the count and bytes of\n"
           "all). The server never deletes them. Roles: admin, auditor.\n\n%s",
           ins_cli_global_help);
}

static void show_orphans(const ProtobufCMessage *m)
{
    const Inspect__V1__ListOrphanBlobsResponse *r = (const Inspect__V1__ListOrphanBlobsResponse *)m;
    for (size_t i = 0; i < r->n_photo_ids; i++)
        puts(r->photo_ids[i]);
    printf("%" PRIu64 " objects, %" PRIu64 " bytes, referenced by no photo\n", r->count, r->bytes);
}

static int orphans(ins_cli *cli, int argc, char **argv)
{
    Inspect__V1__ListOrphanBlobsRequest req = INSPECT__V1__LIST_ORPHAN_BLOBS_REQUEST__INIT;
    return call_argless(cli, argc, argv, "blobs orphans", orphans_help,
                        BLOBS_METHOD("ListOrphanBlobs"), &req.base,
                        &inspect__v1__list_orphan_blobs_response__descriptor, show_orphans);
}

int ins_cmd_blobs(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"status", "local photos, backlog for the object store, last error", status},
        {"migrate", "queue the local photos for the object store (admin)", migrate},
        {"orphans", "objects in the object store no photo references", orphans},
    };
    return ins_cu_group(cli, argc, argv,
                        "usage: inspectctl blobs COMMAND [options]\n\n"
                        "The node's photo tier (inspect.v1.Blobs).\n",
                        subs, sizeof subs / sizeof subs[0]);
}
