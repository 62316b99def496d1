/*
 * directory.h - inspect.v1.Directory: departments, inspectors, service
 * items, checklist templates and the working-day calendar.
 */
#ifndef INS_DIRECTORY_H
#define INS_DIRECTORY_H

#include "server.h"

extern const ins_service_def ins_directory_service;

#endif /* INS_DIRECTORY_H */
