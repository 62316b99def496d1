/*
 * blobs.h - inspect.v1.Blobs: GetBlobStatus, MigrateBlobs and
 * ListOrphanBlobs: the photo tier's figures, the migration of a local store
 * to the object store, and the objects there that no record references.
 */
#ifndef INS_BLOBS_H
#define INS_BLOBS_H

#include "server.h"

/* The service definition for ins_server_add_service. */
extern const ins_service_def ins_blobs_service;

#endif /* INS_BLOBS_H */
