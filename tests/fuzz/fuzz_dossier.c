/*
 * fuzz_dossier.c - libFuzzer target: `inspectctl dossier verify` on
 * arbitrary archives.
 *
 * A dossier is an untrusted file handed to an auditor. The input is written
 * to a temp file and checked by ins_dossier_verify_file() (cmd_dossier.h),
 * the very function behind the command: libarchive's tar reader and every
 * filter it supports (gzip, xz, ...), the SHA-256 of each member, the JSON
 * of manifest.json and audit.json, the audit-chain recomputation and the
 * record ties. Any exit code is an answer; only a crash, a hang or a
 * sanitizer report is a finding. Run it with -close_fd_mask=3: the command
 * prints a line per problem.
 */
#include <stdint.h>
#include <stdio.h>

#include "cmd_dossier.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[300];
    if (path[0] == '\0')
        snprintf(path, sizeof path, "%s/dossier.tar", ins_fuzz_dir());
    ins_fuzz_write(path, data, size);
    ins_dossier_verify_file(path, 0);
    return 0;
}
