/*
 * ins_file.h - reading a small text file (a PEM file, a configuration file)
 * whole. One helper for the server and the client alike; no gRPC.
 */
#ifndef INS_FILE_H
#define INS_FILE_H

/*
 * Reads the whole file `path` into a malloc'd NUL-terminated buffer, which
 * the caller frees with free(). Returns NULL with errno set (ENOENT,
 * EACCES, ..., ENOMEM, EIO on a read error) on failure.
 */
char *ins_file_read(const char *path);

#endif /* INS_FILE_H */
