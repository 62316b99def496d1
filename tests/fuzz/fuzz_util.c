/*
 * fuzz_util.c - see fuzz_util.h.
 */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *ins_fuzz_dir(void)
{
    static char dir[256];
    if (dir[0] == '\0') {
        const char *base = getenv("FUZZ_TMPDIR"); /* run.sh: removed after the run */
        if (base == NULL)
            base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/inspect-fuzz-XXXXXX", base);
        if (mkdtemp(dir) == NULL) {
            perror("fuzz: mkdtemp");
            abort();
        }
    }
    return dir;
}

void ins_fuzz_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}
