/*
 * departments.h - inspect.v1.Departments: the industry departments' sync.
 */
#ifndef INS_DEPARTMENTS_H
#define INS_DEPARTMENTS_H

#include "server.h"

extern const ins_service_def ins_departments_service;

#endif /* INS_DEPARTMENTS_H */
