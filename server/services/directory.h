/*
 * directory.h - inspect.v1.Directory: departments, inspectors, service
 * items, checklist templates and the working-day calendar.
 */
#ifndef INS_DIRECTORY_H
#define INS_DIRECTORY_H

#include "server.h"

extern const ins_service_def ins_directory_service;

/*
 * The admission check of every call (an ins_admit_fn; `arg` is the
 * ins_ctx): from one read snapshot, refuses a bearer token its principal's
 * revocation covers (INS_EAUTH: issued before the revocation's time, or a
 * v1 token with no issue time), an inspector principal that is not in the
 * directory or inactive, a department principal whose department is
 * missing or inactive, and an inspector whose department is inactive (all
 * INS_EPERM, the message saying the account is inactive or unknown).
 * Dispatchers, auditors and admins are not directory entries: only
 * revocation applies to them. Returns 0, those, or a storage error.
 */
int ins_directory_admit(void *arg, const ins_principal *p, char *why, size_t whylen);

#endif /* INS_DIRECTORY_H */
