/*
 * backup_impl.h - what backup.c (copying environments and keys, restore)
 * and backup_manifest.c (the manifest, hashing and copying files) share.
 * Not a public header; see ins_backup.h for the backup folder's layout.
 */
#ifndef INS_BACKUP_IMPL_H
#define INS_BACKUP_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ins_backup.h"

/* The files of a backup, as relative paths ("meta/data.mdb", "token.key"). */
typedef struct ins__bk_list {
    char **paths; /* malloc'd, each malloc'd */
    size_t n, cap;
} ins__bk_list;

/* Appends a copy of `path`. Returns 0 or ENOMEM. */
int ins__bk_list_add(ins__bk_list *l, const char *path);

/* Is `path` in the list? Can't fail. */
int ins__bk_list_has(const ins__bk_list *l, const char *path);

/* Frees the paths. Accepts an empty list. */
void ins__bk_list_free(ins__bk_list *l);

/*
 * Formats "dir/rel" into out. Returns 0 or ENAMETOOLONG.
 */
int ins__bk_join(char *out, size_t n, const char *dir, const char *rel);

/*
 * Copies `src` to `dst` durably (`dst`.tmp, fsync, rename, mode `mode`).
 * Returns 0 or errno; on error `dst` is untouched.
 */
int ins__bk_copy_file(const char *src, const char *dst, mode_t mode);

/*
 * Writes BACKUP_DIR/MANIFEST listing `files` (paths relative to dir),
 * each with the size and SHA-256 read back from disk. Sets rep->files and
 * rep->bytes. Returns 0 or errno (rep->detail says which file).
 */
int ins__bk_manifest_write(const char *dir, const ins__bk_list *files, ins_backup_report *rep);

/*
 * Reads and verifies BACKUP_DIR/MANIFEST (see ins_backup_verify), filling
 * `files` with the listed paths (the caller frees with ins__bk_list_free,
 * also on error). Returns 0 or the errors of ins_backup_verify.
 */
int ins__bk_manifest_check(const char *dir, ins__bk_list *files, ins_backup_report *rep);

/* printf into rep->detail (rep may be NULL); returns `rc`. */
int ins__bk_fail(ins_backup_report *rep, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* INS_BACKUP_IMPL_H */
