/*
 * backup_sched.h - the server's scheduled hot backups (--backup-dir DIR
 * --backup-every 24h --backup-keep 7).
 *
 * One thread copies the open store with ins_store_backup_live() (a complete
 * backup with its manifest, ins_backup.h) into DIR/inspectd-<UTC time>
 * every `every` seconds, then deletes the oldest complete backups beyond
 * `keep`. The first backup is due `every` after the newest one already in
 * DIR (at once when there is none), so restarts neither skip nor pile up
 * backups. A failed backup is logged at error, its partial folder removed,
 * and it is tried again at the next interval.
 *
 * The outcome is readable from any thread through the getters below (for
 * the metrics and /readyz). One schedule per process.
 */
#ifndef INS_BACKUP_SCHED_H
#define INS_BACKUP_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "ins_store.h"

/*
 * Starts the schedule: `dir` (created mode 0700 if missing; copied),
 * `every_s` >= 1, `keep` >= 1. Returns 0, EALREADY when a schedule runs,
 * EINVAL, or errno (creating dir, starting the thread).
 */
int ins_backup_sched_start(ins_store *s, const char *dir, int64_t every_s, unsigned keep);

/* Stops and joins the thread, waiting for a backup in progress; before the
 * store closes. A no-op when no schedule runs. */
void ins_backup_sched_stop(void);

/* Unix time in ms of the last successful backup (of this run, or the newest
 * complete one found in DIR at start); 0 when none. Any thread; can't fail. */
int64_t ins_backup_sched_last_ok_ms(void);

/*
 * The last attempt's failure: copies its message (NUL-terminated, cut to
 * `len`) into `buf` and returns its unix time in ms; returns 0 (and an
 * empty `buf`) when the last attempt succeeded or none was made. Any
 * thread; can't fail.
 */
int64_t ins_backup_sched_last_error(char *buf, size_t len);

/* Backups made and failed since start. Any thread; can't fail. */
uint64_t ins_backup_sched_count(int failed);

#endif /* INS_BACKUP_SCHED_H */
