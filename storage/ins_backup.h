/*
 * ins_backup.h - hot backup and restore of a data folder.
 *
 * A backup copies both environments with mdb_env_copy2(MDB_CP_COMPACT)
 * while a server may be running: `blobs` first, then `meta`, then it checks
 * that every blob the copied meta references is in the copied blobs (copying
 * blobs again if one finished in between), so a backup never references a
 * missing blob. With the photo tier, a referenced blob that lives only in
 * the object store is not copied: its SHA-256 is listed in
 * `remote-photos.txt` beside the copy instead. Restore copies a backup into a data folder and is
 * refused while a server holds that folder's lock (ins_store_lock_dir).
 */
#ifndef INS_BACKUP_H
#define INS_BACKUP_H

/*
 * Backs up the store in `data_dir` into `to_dir` (created; must not already
 * hold a backup). Safe while a server runs on data_dir.
 * Errors: INS_EINVAL (NULL paths), INS_EEXIST (to_dir holds a backup),
 * INS_ECORRUPT (a referenced blob is still missing after retries), LMDB
 * errors, errno (ENOENT if data_dir holds no store, ENOSPC, ...).
 */
int ins_store_backup(const char *data_dir, const char *to_dir);

/*
 * Replaces the store in `data_dir` (created if missing) with the backup in
 * `from_dir`. Holds the folder lock for its duration.
 * Errors: INS_EBUSY (a server holds data_dir), INS_EINVAL, errno (ENOENT if
 * from_dir is no backup, ENOSPC, ...).
 */
int ins_store_restore(const char *from_dir, const char *data_dir);

#endif /* INS_BACKUP_H */
