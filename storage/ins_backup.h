/*
 * ins_backup.h - complete backups of a data folder, their manifest, and
 * restore.
 *
 * A backup folder holds everything a restore needs: every environment
 * (`meta`, the blob stripes `blobs`, `blobs-1` ..), copied with
 * mdb_env_copy2(MDB_CP_COMPACT) while a server may be running, and the
 * token keys (DATA_DIR/token.key and DATA_DIR/token-keys/<id>.key), so the
 * tokens issued before the backup still verify after a restore. The folder
 * therefore holds the node's signing keys: keep it as secret as the data
 * folder (it is created mode 0700, key files 0600).
 *
 * Order: blobs first, then meta, then every blob the copied meta
 * references is looked up in the copied stripes (copying them again if one
 * finished in between), so a backup never references a missing blob; the
 * keys last, so every key that signed a token before the copy ended is in.
 *
 * The manifest, BACKUP_DIR/MANIFEST, written last (temporary name, fsync,
 * rename), so a folder without one is an unfinished backup. Text, one
 * entry per line, fields separated by one space:
 *
 *   inspectd-backup 1                      first line: format and version
 *   created <unix ms>
 *   file <sha256 hex> <size> <path>        a file, relative to BACKUP_DIR
 *
 * A line starts with its kind. New kinds (a list of photos kept only in
 * an object store, say) are added to the table in backup_manifest.c; a
 * restore refuses a manifest with a kind it does not know, so an older tool
 * never restores part of a newer backup as if it were the whole. Paths are
 * plain relative paths without spaces, "." or ".." components.
 *
 * Restore verifies the whole manifest (every file present, of its size and
 * SHA-256) before it replaces anything, copies what the manifest lists,
 * and then checks the restored audit chain from its first entry.
 */
#ifndef INS_BACKUP_H
#define INS_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "ins_store.h"

#define INS_BACKUP_MANIFEST "MANIFEST"

/* What a backup or restore did, or where it stopped. */
typedef struct ins_backup_report {
    size_t files;        /* files in the manifest (written or verified) */
    uint64_t bytes;      /* their total size */
    uint64_t audit_last; /* restore: entries of the verified audit chain */
    uint64_t first_bad;  /* restore: first bad audit sequence (INS_ECORRUPT) */
    int replaced;        /* restore: copying into the data folder began */
    char detail[512];    /* on failure: what and where, for a person to act on */
} ins_backup_report;

/*
 * Backs up the store in `data_dir` from another process (inspectctl
 * backup): opens its environments read-only. Safe while a server runs on
 * data_dir. `to_dir` is created mode 0700 (with its parents) and must not
 * already hold a backup. `rep` may be NULL.
 * Errors: INS_EINVAL (NULL paths), INS_EEXIST (to_dir holds a backup),
 * INS_ECORRUPT (a referenced blob is still missing after retries), LMDB
 * errors, errno (ENOENT if data_dir holds no store, ENOSPC, ...); what
 * failed is in rep->detail. A failed backup leaves no MANIFEST.
 */
int ins_store_backup(const char *data_dir, const char *to_dir, ins_backup_report *rep);

/*
 * The same from inside the process that has `s` open (the server's
 * scheduled backups): copies through the store's own environment handles,
 * as LMDB forbids opening an environment twice in one process. Thread-safe
 * with the store's writers and readers; a map growth waits until the copy
 * of that environment is done. Errors as ins_store_backup.
 */
int ins_store_backup_live(ins_store *s, const char *to_dir, ins_backup_report *rep);

/*
 * Checks the manifest of `from_dir`: its format, and every file it lists
 * present with its size and SHA-256; meta and blobs must be listed. Reads
 * everything, changes nothing. Errors: ENOENT (no MANIFEST: not a
 * backup, or an unfinished one), INS_ECORRUPT (a file missing, of another
 * size or hash; a malformed line; an unknown kind), errno; rep->detail
 * names the file or line.
 */
int ins_backup_verify(const char *from_dir, ins_backup_report *rep);

/*
 * Replaces the store and the token keys of `data_dir` (created if missing)
 * with the backup in `from_dir`: ins_backup_verify() first, and nothing is
 * touched when it fails; then the copy, under the folder lock; then the
 * restored audit chain is verified (rep->audit_last entries).
 * Errors: those of ins_backup_verify (nothing replaced); INS_EBUSY (a
 * server holds data_dir; nothing replaced); errno (ENOSPC, ...) while
 * copying; INS_ECORRUPT with rep->first_bad set when the restored chain is
 * broken (the data is restored, and the report says where the chain
 * breaks).
 */
int ins_store_restore(const char *from_dir, const char *data_dir, ins_backup_report *rep);

#endif /* INS_BACKUP_H */
