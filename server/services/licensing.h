/*
 * licensing.h - inspect.v1.Licensing: the licensing record (办件).
 */
#ifndef INS_LICENSING_H
#define INS_LICENSING_H

#include "server.h"

extern const ins_service_def ins_licensing_service;

#endif /* INS_LICENSING_H */
