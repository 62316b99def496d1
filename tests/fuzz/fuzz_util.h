/*
 * fuzz_util.h - what the file-reading fuzz targets share: a private temp
 * folder and writing an input into a file there.
 *
 * The CLI code under test reads files by name (libarchive, json-c), so an
 * input is written to a file in a folder made once per process (/dev/shm
 * when there is one: no disk I/O). Not thread-safe: libFuzzer runs one input
 * at a time.
 */
#ifndef INS_FUZZ_UTIL_H
#define INS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The folder, made on first use; aborts when it cannot be made. Valid for
 * the life of the process. */
const char *ins_fuzz_dir(void);

/* Writes `len` bytes to `path` (created or truncated); aborts on error. */
void ins_fuzz_write(const char *path, const void *data, size_t len);

#endif /* INS_FUZZ_UTIL_H */
