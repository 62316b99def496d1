/*
 * audit.h - inspect.v1.Audit: ListEvents, VerifyChain, ExportDossier.
 * Role: auditor.
 */
#ifndef INS_AUDIT_SERVICE_H
#define INS_AUDIT_SERVICE_H

#include "server.h"

/* The service definition for ins_server_add_service. */
extern const ins_service_def ins_audit_service;

#endif /* INS_AUDIT_SERVICE_H */
