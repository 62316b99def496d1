/*
 * blobs.h - inspect.v1.Blobs: GetBlobStatus and MigrateBlobs, the photo
 * tier's figures and the migration of a local store to the object store.
 */
#ifndef INS_BLOBS_H
#define INS_BLOBS_H

#include "server.h"

/* The service definition for ins_server_add_service. */
extern const ins_service_def ins_blobs_service;

#endif /* INS_BLOBS_H */
