/*
 * session.h - inspect.v1.Session: WhoAmI and ServerStatus.
 */
#ifndef INS_SESSION_H
#define INS_SESSION_H

#include "server.h"

/* The service definition for ins_server_add_service. */
extern const ins_service_def ins_session_service;

#endif /* INS_SESSION_H */
