/*
 * ins_upload.h - the one rule on upload ids and the resume metadata, shared by the tablet client,
 * the Field service and the blob store so that all three answer the same
 * condition the same way.
 *
 * An upload id is chosen by the tablet; the Field service scopes it to its
 * inspector ("<inspector>/<id>") before the store keys a staging by it, so a
 * tablet's own id may have INS_UPLOAD_ID_MAX - strlen(inspector) - 1 bytes.
 *
 * Pure: no allocation, no global state, thread-safe.
 */
#ifndef INS_UPLOAD_H
#define INS_UPLOAD_H

#include <stddef.h>

/*
 * The initial-metadata key by which UploadPhoto tells the tablet where to
 * continue as soon as the header is staged: the committed offset in ASCII
 * decimal (field.proto, "Resuming an upload").
 */
#define INS_UPLOAD_OFFSET_MD "inspect-committed-offset"

/* The longest upload id the store keeps, in bytes, as the caller passes it. */
#define INS_UPLOAD_ID_MAX 128

/*
 * Checks upload id `id` before it is used: it must have at least one byte,
 * and `prefix` + strlen(id) at most INS_UPLOAD_ID_MAX, where `prefix` is how
 * many bytes the caller puts before `id` in the id it passes to the store (0
 * when it passes `id` as it is). Any byte but NUL is allowed.
 * Returns 0, or INS_EINVAL (NULL, empty or too long).
 */
int ins_upload_id_check(const char *id, size_t prefix);

#endif /* INS_UPLOAD_H */
