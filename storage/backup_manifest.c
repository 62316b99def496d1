/*
 * backup_manifest.c - a backup's MANIFEST (format in ins_backup.h): writing
 * it from the files a backup wrote, and checking a backup against it before
 * a restore touches anything; and the durable file copy both directions use.
 *
 * The check reads every byte of every listed file, because a restore that
 * trusts a damaged copy replaces a good store with a bad one. The kinds of
 * line a manifest may hold are one table (`kinds`); anything else is refused.
 */
#include "backup_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ins_error.h"
#include "ins_hex.h"
#include "ins_sha256.h"

#define MANIFEST_HEAD "inspectd-backup 1"
#define LINE_MAX_LEN  4096

int ins__bk_fail(ins_backup_report *rep, int rc, const char *fmt, ...)
{
    if (rep != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rep->detail, sizeof rep->detail, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int ins__bk_list_add(ins__bk_list *l, const char *path)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (p == NULL)
            return ENOMEM;
        l->paths = p;
        l->cap = cap;
    }
    if ((l->paths[l->n] = strdup(path)) == NULL)
        return ENOMEM;
    l->n++;
    return 0;
}

int ins__bk_list_has(const ins__bk_list *l, const char *path)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->paths[i], path) == 0)
            return 1;
    return 0;
}

void ins__bk_list_free(ins__bk_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}

int ins__bk_join(char *out, size_t n, const char *dir, const char *rel)
{
    int w = snprintf(out, n, "%s/%s", dir, rel);
    return w < 0 || (size_t)w >= n ? ENAMETOOLONG : 0;
}

/* fsync of the folder holding `path`, so a rename in it is durable. */
static int sync_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

int ins__bk_copy_file(const char *src, const char *dst, mode_t mode)
{
    char tmp[4096], buf[1 << 16];
    int in, out, rc = 0;
    ssize_t n;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dst) >= sizeof(tmp))
        return ENAMETOOLONG;
    if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
        return errno;
    if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
        rc = errno;
        close(in);
        return rc;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) {
            rc = errno ? errno : EIO;
            break;
        }
    if (n < 0)
        rc = errno;
    if (rc == 0 && fchmod(out, mode) != 0)
        rc = errno;
    if (rc == 0 && fsync(out) != 0)
        rc = errno;
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = errno;
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = errno;
    if (rc == 0)
        rc = sync_parent(dst);
    if (rc)
        unlink(tmp);
    return rc;
}

/* SHA-256 and size of a file. Returns 0 or errno (EIO if hashing fails). */
static int file_sha256(const char *path, uint8_t out[32], uint64_t *size)
{
    unsigned char buf[1 << 16];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    int rc = x != NULL && EVP_DigestInit_ex(x, ins_sha256_md(), NULL) == 1 ? 0 : EIO;
    ssize_t n;
    *size = 0;
    while (rc == 0 && (n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0)
            rc = errno;
        else if (EVP_DigestUpdate(x, buf, (size_t)n) != 1)
            rc = EIO;
        else
            *size += (uint64_t)n;
    }
    unsigned int len = 0;
    if (rc == 0 && EVP_DigestFinal_ex(x, out, &len) != 1)
        rc = EIO;
    EVP_MD_CTX_free(x);
    close(fd);
    return rc;
}

int ins__bk_manifest_write(const char *dir, const ins__bk_list *files, ins_backup_report *rep)
{
    char path[4096], tmp[4200], file[4096], hex[65];
    int rc;
    if ((rc = ins__bk_join(path, sizeof path, dir, INS_BACKUP_MANIFEST)) != 0)
        return ins__bk_fail(rep, rc, "%s: path too long", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (f == NULL)
        return ins__bk_fail(rep, errno, "%s: %s", tmp, strerror(errno));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fprintf(f, "%s\ncreated %lld\n", MANIFEST_HEAD,
            (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    rep->files = 0;
    rep->bytes = 0;
    for (size_t i = 0; i < files->n && rc == 0; i++) {
        uint8_t sha[32];
        uint64_t size;
        if ((rc = ins__bk_join(file, sizeof file, dir, files->paths[i])) != 0 ||
            (rc = file_sha256(file, sha, &size)) != 0) {
            ins__bk_fail(rep, rc, "%s: %s", file, ins_strerror(rc));
            break;
        }
        ins_hex_encode(sha, 32, hex);
        fprintf(f, "file %s %" PRIu64 " %s\n", hex, size, files->paths[i]);
        rep->files++;
        rep->bytes += size;
    }
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        rc = ins__bk_fail(rep, errno, "%s: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && rc == 0)
        rc = ins__bk_fail(rep, errno, "%s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ins__bk_fail(rep, errno, "%s: %s", path, strerror(errno));
    if (rc == 0)
        rc = sync_parent(path);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* A relative path a manifest may name: no leading '/', no "." or ".."
 * component, no empty component. */
static int path_ok(const char *p)
{
    if (*p == '\0' || *p == '/')
        return 0;
    for (const char *c = p; *c != '\0';) {
        size_t len = strcspn(c, "/");
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        c += len;
        if (*c == '/')
            c++;
        if (*c == '\0' && c[-1] == '/')
            return 0;
    }
    return 1;
}

/* One "file SHA SIZE PATH" line: checks the file against it. */
static int check_file(const char *dir, char *fields, ins__bk_list *files, ins_backup_report *rep,
                      int line)
{
    char *save = NULL, *hex = strtok_r(fields, " ", &save), *size_s = strtok_r(NULL, " ", &save),
         *rel = strtok_r(NULL, " ", &save);
    uint8_t want[32], got[32];
    char path[4096], *end = NULL;
    if (hex == NULL || size_s == NULL || rel == NULL || strtok_r(NULL, " ", &save) != NULL ||
        strlen(hex) != 64 || ins_hex_decode(hex, 64, want) != 0 || !path_ok(rel))
        return ins__bk_fail(rep, INS_ECORRUPT, "%s line %d: malformed file entry",
                            INS_BACKUP_MANIFEST, line);
    errno = 0;
    unsigned long long want_size = strtoull(size_s, &end, 10);
    if (errno != 0 || *end != '\0' || size_s[0] == '-')
        return ins__bk_fail(rep, INS_ECORRUPT, "%s line %d: malformed size", INS_BACKUP_MANIFEST,
                            line);
    uint64_t size = 0;
    int rc = ins__bk_join(path, sizeof path, dir, rel);
    if (rc == 0)
        rc = file_sha256(path, got, &size);
    if (rc == ENOENT)
        return ins__bk_fail(rep, INS_ECORRUPT, "%s is missing from the backup", rel);
    if (rc != 0)
        return ins__bk_fail(rep, rc, "%s: %s", path, ins_strerror(rc));
    if (size != want_size)
        return ins__bk_fail(rep, INS_ECORRUPT,
                            "%s has %" PRIu64 " bytes, the manifest says %llu: the backup is "
                            "damaged",
                            rel, size, want_size);
    if (memcmp(got, want, 32) != 0)
        return ins__bk_fail(rep, INS_ECORRUPT,
                            "%s does not match its SHA-256 in the manifest: the backup is damaged",
                            rel);
    rep->files++;
    rep->bytes += size;
    return ins__bk_list_add(files, rel);
}

/* "created MS": nothing to check beyond its shape. */
static int check_created(const char *dir, char *fields, ins__bk_list *files, ins_backup_report *rep,
                         int line)
{
    (void)dir;
    (void)files;
    char *end = NULL;
    errno = 0;
    strtoull(fields, &end, 10);
    if (errno != 0 || end == fields || *end != '\0')
        return ins__bk_fail(rep, INS_ECORRUPT, "%s line %d: malformed creation time",
                            INS_BACKUP_MANIFEST, line);
    return 0;
}

/* The kinds of manifest line, each with its check. */
static const struct {
    const char *kind;
    int (*check)(const char *dir, char *fields, ins__bk_list *files, ins_backup_report *rep,
                 int line);
} kinds[] = {
    {"created", check_created},
    {"file", check_file},
};

int ins__bk_manifest_check(const char *dir, ins__bk_list *files, ins_backup_report *rep)
{
    char path[4096], buf[LINE_MAX_LEN];
    int rc = ins__bk_join(path, sizeof path, dir, INS_BACKUP_MANIFEST);
    if (rc != 0)
        return ins__bk_fail(rep, rc, "%s: path too long", dir);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return ins__bk_fail(rep, errno,
                            errno == ENOENT ? "%s has no " INS_BACKUP_MANIFEST
                                              ": not a backup, or an unfinished one"
                                            : "%s: cannot read its manifest",
                            dir);
    rep->files = 0;
    rep->bytes = 0;
    int line = 0;
    while (rc == 0 && fgets(buf, sizeof buf, f) != NULL) {
        line++;
        size_t len = strlen(buf);
        if (len == 0 || buf[len - 1] != '\n') {
            rc = ins__bk_fail(rep, INS_ECORRUPT, "%s line %d: cut short or too long",
                              INS_BACKUP_MANIFEST, line);
            break;
        }
        buf[len - 1] = '\0';
        if (line == 1) {
            if (strcmp(buf, MANIFEST_HEAD) != 0)
                rc = ins__bk_fail(rep, INS_ECORRUPT,
                                  "%s: first line is not '" MANIFEST_HEAD
                                  "' (not a backup manifest, or a newer format)",
                                  INS_BACKUP_MANIFEST);
            continue;
        }
        char *sp = strchr(buf, ' ');
        if (sp == NULL) {
            rc =
                ins__bk_fail(rep, INS_ECORRUPT, "%s line %d: no fields", INS_BACKUP_MANIFEST, line);
            break;
        }
        *sp = '\0';
        size_t k;
        for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(buf, kinds[k].kind) == 0)
                break;
        if (k == sizeof kinds / sizeof kinds[0])
            rc = ins__bk_fail(rep, INS_ECORRUPT,
                              "%s line %d: unknown entry '%s' (a backup made by a newer "
                              "inspectctl?)",
                              INS_BACKUP_MANIFEST, line, buf);
        else
            rc = kinds[k].check(dir, sp + 1, files, rep, line);
    }
    if (rc == 0 && ferror(f))
        rc = ins__bk_fail(rep, EIO, "%s: read error", path);
    fclose(f);
    if (rc == 0 && line == 0)
        rc = ins__bk_fail(rep, INS_ECORRUPT, "%s is empty", INS_BACKUP_MANIFEST);
    static const char *const need[] = {"meta/data.mdb", "blobs/data.mdb"};
    for (size_t i = 0; rc == 0 && i < sizeof need / sizeof need[0]; i++)
        if (!ins__bk_list_has(files, need[i]))
            rc = ins__bk_fail(rep, INS_ECORRUPT, "the manifest does not list %s", need[i]);
    return rc;
}

int ins_backup_verify(const char *from_dir, ins_backup_report *rep)
{
    ins_backup_report local;
    if (rep == NULL)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (from_dir == NULL)
        return INS_EINVAL;
    ins__bk_list files = {0};
    int rc = ins__bk_manifest_check(from_dir, &files, rep);
    ins__bk_list_free(&files);
    return rc;
}
