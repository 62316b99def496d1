/*
 * token.c - the node's token key and HMAC-SHA-256 bearer tokens (see
 * ins_token.h).
 *
 * A token is base64url(payload) "." base64url(mac), both without padding,
 * where payload is "v1\n<principal>\n<role>\n<department>\n<expiry>" and mac
 * is HMAC-SHA-256 over the payload bytes with the 32-byte node key. Decoding
 * is strict (INS_B64_URL of ins_base64.h: no padding, no stray characters,
 * canonical trailing bits) so one token has exactly one spelling; the MAC is
 * checked, in constant time, before the payload is trusted or parsed. It
 * lives in common/ because both sides need it: the server verifies tokens
 * (server/rpc/call.c reads them from the metadata) and `inspectctl token
 * issue` signs them offline. No gRPC here.
 */
#include "ins_token.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ins_base64.h"
#include "ins_error.h"

#define KEY_FILE    "token.key"
#define MAC_BYTES   32
#define PAYLOAD_MAX 320 /* decoded payload; a valid one is at most ~230 bytes */

#define WHY_MALFORMED "malformed token"
#define WHY_SIGNATURE "token signature does not verify (tampered or signed with another key)"
#define WHY_EXPIRED   "token has expired"
#define WHY_ROLE      "token names an unknown role"

/* ---- token key --------------------------------------------------------- */

/* mkdir -p with mode 0700 for every directory it creates. Returns 0 or errno. */
static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0)
        return ENOENT;
    if (len >= sizeof(buf))
        return ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0) {
            int err = errno;
            struct stat st;
            if (err != EEXIST)
                return err;
            if (stat(buf, &st) != 0)
                return errno;
            if (!S_ISDIR(st.st_mode))
                return ENOTDIR;
        }
        buf[i] = saved;
    }
    return 0;
}

/* Writes all of `len` bytes. Returns 0 or errno. */
static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads the key from `path`. Returns 0, ENOENT, INS_ECORRUPT or errno. */
static int read_key(const char *path, ins_token_key *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno;
    int rc = 0;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = errno;
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size != INS_TOKEN_KEY_BYTES) {
        rc = INS_ECORRUPT;
        goto done;
    }
    size_t got = 0;
    while (got < INS_TOKEN_KEY_BYTES) {
        ssize_t n = read(fd, out->bytes + got, INS_TOKEN_KEY_BYTES - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = errno;
            goto done;
        }
        if (n == 0) { /* shrank under us */
            rc = INS_ECORRUPT;
            goto done;
        }
        got += (size_t)n;
    }
done:
    close(fd);
    return rc;
}

/*
 * Creates `path` with fresh random bytes: written and synced under a unique
 * temporary name, then link()ed into place. link() fails with EEXIST if
 * another process got there first; the caller then reads the winner's key.
 * The final name never holds a partly written file. Returns 0 or errno.
 */
static int create_key(const char *dir, const char *path)
{
    char tmp[PATH_MAX];
    unsigned char fresh[INS_TOKEN_KEY_BYTES];
    unsigned char nonce[8];
    int rc = 0;
    int fd = -1;

    if (RAND_bytes(fresh, sizeof(fresh)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1)
        return EIO;
    int n = snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.%02x%02x%02x%02x%02x%02x%02x%02x", dir, KEY_FILE,
                     (long)getpid(), nonce[0], nonce[1], nonce[2], nonce[3], nonce[4], nonce[5],
                     nonce[6], nonce[7]);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        rc = ENAMETOOLONG;
        goto done;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = errno;
        goto done;
    }
    /* The umask may only remove bits; make sure no group/other bit is set. */
    if (fchmod(fd, 0600) != 0 || (rc = write_all(fd, fresh, sizeof(fresh))) != 0 ||
        fsync(fd) != 0) {
        if (rc == 0)
            rc = errno;
        goto unlink_tmp;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = errno;
        goto unlink_tmp;
    }
    fd = -1;
    if (link(tmp, path) != 0 && errno != EEXIST)
        rc = errno;
    if (rc == 0) {
        /* Make the new directory entry durable; a failure here is not fatal. */
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
unlink_tmp:
    if (fd >= 0)
        close(fd);
    (void)unlink(tmp);
done:
    OPENSSL_cleanse(fresh, sizeof(fresh));
    return rc;
}

int ins_token_key_load(const char *data_dir, ins_token_key *out)
{
    char path[PATH_MAX];
    if (data_dir == NULL || out == NULL)
        return EINVAL;
    int n = snprintf(path, sizeof(path), "%s/%s", data_dir, KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ENAMETOOLONG;

    int rc = read_key(path, out);
    if (rc != ENOENT)
        return rc;
    if ((rc = mkdir_p(data_dir)) != 0)
        return rc;
    if ((rc = create_key(data_dir, path)) != 0)
        return rc;
    /* Read back what is in place: ours, or the key of a process that won. */
    return read_key(path, out);
}

/* ---- tokens ------------------------------------------------------------ */

static int mac(const ins_token_key *key, const unsigned char *data, size_t len,
               unsigned char out[MAC_BYTES])
{
    unsigned int outlen = 0;
    if (HMAC(EVP_sha256(), key->bytes, INS_TOKEN_KEY_BYTES, data, len, out, &outlen) == NULL ||
        outlen != MAC_BYTES)
        return INS_EINTERNAL;
    return 0;
}

int ins_token_sign(const ins_token_key *key, const ins_principal *p, char *out, size_t outlen)
{
    char payload[PAYLOAD_MAX];
    unsigned char tag[MAC_BYTES];

    if (key == NULL || p == NULL || out == NULL)
        return INS_EINVAL;
    size_t nlen = strnlen(p->name, sizeof(p->name));
    size_t dlen = strnlen(p->department, sizeof(p->department));
    if (nlen == 0 || nlen == sizeof(p->name) || dlen == sizeof(p->department))
        return INS_EINVAL; /* empty, or not NUL-terminated within its array */
    if (!ins_principal_text_ok(p->name) || !ins_principal_text_ok(p->department))
        return INS_EINVAL;
    if (p->role <= INS_ROLE_NONE || p->role > INS_ROLE_ADMIN)
        return INS_EINVAL;
    if (p->expires_unix <= 0)
        return INS_EINVAL;

    int n = snprintf(payload, sizeof(payload), "v1\n%s\n%s\n%s\n%" PRId64, p->name,
                     ins_role_name(p->role), p->department, p->expires_unix);
    if (n < 0 || (size_t)n >= sizeof(payload))
        return INS_EINVAL; /* cannot happen with the field limits above */
    if (mac(key, (const unsigned char *)payload, (size_t)n, tag) != 0)
        return INS_EINTERNAL;

    size_t plen = ins_b64_encoded_len((size_t)n, INS_B64_URL);
    size_t need = plen + 1 + ins_b64_encoded_len(MAC_BYTES, INS_B64_URL) + 1;
    if (outlen < need)
        return INS_ETOOBIG;
    ins_b64_encode(payload, (size_t)n, INS_B64_URL, out);
    out[plen] = '.';
    ins_b64_encode(tag, MAC_BYTES, INS_B64_URL, out + plen + 1);
    return 0;
}

/* Splits off the next '\n'-terminated field of `*s` (the last needs none). */
static char *next_field(char **s, int last)
{
    char *start = *s;
    if (start == NULL)
        return NULL;
    char *nl = strchr(start, '\n');
    if (last) {
        if (nl != NULL)
            return NULL;
        *s = NULL;
        return start;
    }
    if (nl == NULL)
        return NULL;
    *nl = '\0';
    *s = nl + 1;
    return start;
}

/* Parses a positive decimal int64 with no sign, spaces or leading zeros. */
static int parse_expiry(const char *s, int64_t *out)
{
    if (*s < '1' || *s > '9')
        return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        int d = *s - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int ins_token_verify(const ins_token_key *key, const char *token, int64_t now_unix,
                     ins_principal *out, const char **why)
{
    unsigned char payload[PAYLOAD_MAX + 1];
    unsigned char given[MAC_BYTES + 3]; /* room to notice a too-long MAC */
    unsigned char want[MAC_BYTES];
    const char *reason = WHY_MALFORMED;
    int rc = INS_EAUTH;

    if (key == NULL || token == NULL || out == NULL)
        goto done;
    size_t len = strnlen(token, INS_TOKEN_MAX);
    if (len == 0 || len == INS_TOKEN_MAX)
        goto done;
    const char *dot = memchr(token, '.', len);
    if (dot == NULL || dot == token)
        goto done;
    size_t plen_text = (size_t)(dot - token);
    size_t plen = 0, mlen = 0;
    if (ins_b64_decode(token, plen_text, INS_B64_URL, payload, PAYLOAD_MAX, &plen) != 0 ||
        ins_b64_decode(dot + 1, len - plen_text - 1, INS_B64_URL, given, sizeof(given), &mlen) !=
            0 ||
        plen == 0 || mlen != MAC_BYTES)
        goto done;

    if (mac(key, payload, plen, want) != 0) {
        rc = INS_EINTERNAL;
        reason = "internal error while checking the token";
        goto done;
    }
    if (CRYPTO_memcmp(want, given, MAC_BYTES) != 0) {
        reason = WHY_SIGNATURE;
        goto done;
    }

    /* Authentic from here on; still parse defensively. */
    payload[plen] = '\0';
    if (memchr(payload, '\0', plen) != NULL)
        goto done;
    char *s = (char *)payload;
    char *version = next_field(&s, 0);
    char *name = next_field(&s, 0);
    char *role = next_field(&s, 0);
    char *dept = next_field(&s, 0);
    char *expiry = next_field(&s, 1);
    int64_t expires = 0;
    if (version == NULL || name == NULL || role == NULL || dept == NULL || expiry == NULL ||
        strcmp(version, "v1") != 0 || name[0] == '\0' || !ins_principal_text_ok(name) ||
        !ins_principal_text_ok(dept) || strlen(name) >= sizeof(out->name) ||
        strlen(dept) >= sizeof(out->department) || parse_expiry(expiry, &expires) != 0)
        goto done;
    ins_role r = ins_role_parse(role);
    if (r == INS_ROLE_NONE) {
        reason = WHY_ROLE;
        goto done;
    }
    if (now_unix >= expires) {
        reason = WHY_EXPIRED;
        goto done;
    }

    memset(out, 0, sizeof(*out));
    memcpy(out->name, name, strlen(name) + 1);
    memcpy(out->department, dept, strlen(dept) + 1);
    out->role = r;
    out->expires_unix = expires;
    out->method = INS_AUTH_BEARER;
    rc = 0;
    reason = NULL;
done:
    OPENSSL_cleanse(want, sizeof(want));
    if (why != NULL)
        *why = reason;
    return rc;
}

/* ---- durations --------------------------------------------------------- */

int ins_duration_parse(const char *text, int64_t *secs)
{
    if (text == NULL || secs == NULL)
        return INS_EINVAL;
    const char *p = text;
    if (*p < '0' || *p > '9')
        return INS_EINVAL;
    int64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10)
            return INS_EINVAL;
        v = v * 10 + d;
    }
    int64_t unit;
    switch (*p) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return INS_EINVAL;
    }
    if (p[1] != '\0' || v == 0 || v > INT64_MAX / unit)
        return INS_EINVAL;
    *secs = v * unit;
    return 0;
}
