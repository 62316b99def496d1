/*
 * directory_rules.h - validation of the Directory's reference data:
 * departments, inspectors and service items. Checks what a request can
 * show by itself; references to other records are checked by the service
 * inside the write transaction.
 *
 * Each function returns 0, or INS_EINVAL with a sentence in `why` naming the
 * field and the value. Pure functions: thread-safe, no allocation.
 */
#ifndef INS_DIRECTORY_RULES_H
#define INS_DIRECTORY_RULES_H

#include <stddef.h>

#include "inspect/v1/directory.pb-c.h"

/* code an id, name present, kind BUREAU or INDUSTRY. */
int ins_department_validate(const Inspect__V1__Department *d, char *why, size_t whylen);

/* id, name, department; qualifications with a code and a valid expiry date;
 * max_open_tasks >= 1; public key empty or 32 bytes; conflicts valid credit
 * codes; base position in range. */
int ins_inspector_validate(const Inspect__V1__Inspector *in, char *why, size_t whylen);

/* code, name, limit >= 1, at least one department, each with a
 * qualification and a template, no department twice. */
int ins_item_validate(const Inspect__V1__ServiceItem *it, char *why, size_t whylen);

#endif /* INS_DIRECTORY_RULES_H */
