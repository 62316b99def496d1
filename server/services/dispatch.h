/*
 * dispatch.h - inspect.v1.Dispatch: tasks, teams, deadlines and alerts.
 */
#ifndef INS_DISPATCH_H
#define INS_DISPATCH_H

#include "server.h"

extern const ins_service_def ins_dispatch_service;

#endif /* INS_DISPATCH_H */
