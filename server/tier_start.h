/*
 * tier_start.h - the photo tier from inspectd's flags (tier_start.c).
 */
#ifndef INS_TIER_START_H
#define INS_TIER_START_H

#include "ins_store.h"
#include "options.h"

/*
 * Attaches the tier the flags ask for to the open store (nothing for
 * --blob-store lmdb or none). Reports on stderr and returns 2 (bad flags),
 * 1 (the object store is unreachable, refuses the credentials or has no
 * such bucket; the tier could not start) or 0.
 */
int ins_tier_start_from(const ins_options *o, ins_store *store);

#endif /* INS_TIER_START_H */
