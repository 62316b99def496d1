/*
 * cmd_dossier.h - `inspectctl audit` and `inspectctl dossier`:
 * inspect.v1.Audit, the traceable record of every step (全程留痕可追溯) and
 * the electronic case archive (档案电子化). Role: auditor.
 *
 *   audit events [--entity E] [--actor A] [--from UNIX] [--to UNIX]
 *                [--after SEQ] [--limit N]
 *   audit verify [--from SEQ] [--to SEQ]
 *   dossier export APP -o FILE
 *   dossier verify FILE           offline: no server, no credentials
 *
 * `dossier verify` reads the tar archive with libarchive and checks, naming
 * the file or audit entry at fault: every file's size and SHA-256 against
 * manifest.json, manifest.json against manifest.sha256, that the archive
 * and the manifest list the same files, that every audit entry in
 * audit.json hashes to its stored hash from its fields and links to the
 * entry before it where the two are consecutive, the chain head likewise,
 * and that every records/…pb file hashes to the record_sha256 of its
 * entity's newest audit entry (of one of its entries, for an earlier
 * findings version). Exit 0 when all hold, 1 at the first kind of failure
 * (every problem is listed), 2 on bad usage.
 */
#ifndef INS_CMD_DOSSIER_H
#define INS_CMD_DOSSIER_H

#include "cli.h"

int ins_cmd_audit(ins_cli *cli, int argc, char **argv);
int ins_cmd_dossier(ins_cli *cli, int argc, char **argv);

/*
 * `dossier verify FILE` without the argument parsing: checks the archive at
 * `file` ("-": standard input) as above, printing "OK ..." (with `json`,
 * one JSON object) on stdout, and every problem and a "FAILED" line on
 * stderr. Reads only `file`; no server, no global state.
 * Returns INS_EXIT_OK when every check holds, INS_EXIT_FAIL otherwise
 * (unreadable, damaged or not a dossier included). The fuzz target
 * tests/fuzz/fuzz_dossier.c calls it on arbitrary archives.
 */
int ins_dossier_verify_file(const char *file, int json);

#endif /* INS_CMD_DOSSIER_H */
