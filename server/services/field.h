/*
 * field.h - inspect.v1.Field: the inspectors' tablets.
 */
#ifndef INS_FIELD_H
#define INS_FIELD_H

#include "server.h"

extern const ins_service_def ins_field_service;

#endif /* INS_FIELD_H */
