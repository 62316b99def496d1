/*
 * token.c - the node's token key and HMAC-SHA-256 bearer tokens (see
 * ins_token.h).
 *
 * A token is base64url(payload) "." base64url(mac), both without padding,
 * where payload is "v3\n<key id>\n<principal>\n<role>\n<department>\n
 * <districts>\n<issued ms>\n<expiry>" for a token with a district claim,
 * "v2\n<key id>\n<principal>\n<role>\n<department>\n<issued ms>\n
 * <expiry>" for one without (or the older "v1\n<principal>\n<role>\n
 * <department>\n<expiry>", key 0) and mac is HMAC-SHA-256 over the payload
 * bytes with the 32-byte key the key id names. Decoding
 * is strict (INS_B64_URL of ins_base64.h: no padding, no stray characters,
 * canonical trailing bits) so one token has exactly one spelling; the MAC is
 * checked, in constant time, before the payload is trusted or parsed. It
 * lives in common/ because both sides need it: the server verifies tokens
 * (server/rpc/call.c reads them from the metadata) and `inspectctl token
 * issue` signs them offline. No gRPC here.
 */
#include "ins_token.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ins_sha256.h"
#include <openssl/rand.h>

#include "ins_base64.h"
#include "ins_district.h"
#include "ins_error.h"

#define KEY_FILE    INS_TOKEN_KEY_FILE
#define KEYS_DIR    INS_TOKEN_KEYS_DIR
#define MAC_BYTES   32
#define PAYLOAD_MAX 480 /* decoded payload; a valid one is at most ~360 bytes */

#define WHY_MALFORMED "malformed token"
#define WHY_SIGNATURE "token signature does not verify (tampered or signed with another key)"
#define WHY_EXPIRED   "token has expired"
#define WHY_ROLE      "token names an unknown role"
#define WHY_RETIRED                                                                                \
    "token was signed with a key that has been retired (or never existed here): ask for a new "    \
    "token"

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
 * Creates `path` holding `bytes`: written and synced under a unique
 * temporary name in `dir`, then link()ed into place. link() fails with
 * EEXIST if another process got there first; that counts as success and the
 * caller reads the winner's key. The final name never holds a partly
 * written file. Returns 0 or errno.
 */
static int install_key(const char *dir, const char *path, const unsigned char *bytes)
{
    char tmp[PATH_MAX];
    unsigned char nonce[8];
    int rc = 0;
    int fd = -1;

    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return EIO;
    int n = snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.%02x%02x%02x%02x%02x%02x%02x%02x", dir, KEY_FILE,
                     (long)getpid(), nonce[0], nonce[1], nonce[2], nonce[3], nonce[4], nonce[5],
                     nonce[6], nonce[7]);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return ENAMETOOLONG;
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno;
    /* The umask may only remove bits; make sure no group/other bit is set. */
    if (fchmod(fd, 0600) != 0 || (rc = write_all(fd, bytes, INS_TOKEN_KEY_BYTES)) != 0 ||
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
    return rc;
}

/* Creates `path` in `dir` with fresh random bytes (see install_key). */
static int create_key(const char *dir, const char *path)
{
    unsigned char fresh[INS_TOKEN_KEY_BYTES];
    if (RAND_bytes(fresh, sizeof(fresh)) != 1)
        return EIO;
    int rc = install_key(dir, path, fresh);
    OPENSSL_cleanse(fresh, sizeof(fresh));
    return rc;
}

int ins_token_key_load(const char *data_dir, ins_token_key *out)
{
    char path[PATH_MAX];
    if (data_dir == NULL || out == NULL)
        return EINVAL;
    out->id = 0;
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

/* ---- the keyring ------------------------------------------------------- */

/* Formats DATA_DIR/token-keys (`name` NULL) or a file in it. 0 or errno. */
static int keys_path(const char *data_dir, const char *name, char *out, size_t len)
{
    int n = name ? snprintf(out, len, "%s/%s/%s", data_dir, KEYS_DIR, name)
                 : snprintf(out, len, "%s/%s", data_dir, KEYS_DIR);
    return n < 0 || (size_t)n >= len ? ENAMETOOLONG : 0;
}

/* Does DATA_DIR hold a key (token.key or the key folder)? 0, ENOENT (no
 * such folder), INS_ENOTFOUND (a folder without keys) or errno. */
static int keys_present(const char *data_dir)
{
    char path[PATH_MAX];
    struct stat st;
    if (data_dir == NULL)
        return EINVAL;
    if (stat(data_dir, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return ENOTDIR;
    int rc = keys_path(data_dir, NULL, path, sizeof path);
    if (rc == 0 && access(path, F_OK) == 0)
        return 0;
    int n = snprintf(path, sizeof(path), "%s/%s", data_dir, KEY_FILE);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ENAMETOOLONG;
    return access(path, F_OK) == 0 ? 0 : INS_ENOTFOUND;
}

/* Parses a key file name "<id>.key" (decimal, no leading zero). 0 or -1. */
static int key_name_id(const char *name, uint32_t *id)
{
    const char *p = name;
    uint64_t v = 0;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return -1;
    }
    if (strcmp(p, ".key") != 0)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    uint32_t x = ((const ins_token_key *)a)->id, y = ((const ins_token_key *)b)->id;
    return x < y ? -1 : x > y;
}

/* Reads every key of the folder `dir`. 0, ENOENT (no folder), INS_ENOTFOUND
 * (no key), INS_ETOOBIG, INS_ECORRUPT or errno. */
static int read_keys_dir(const char *dir, ins_token_keyring *out)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno;
    int rc = 0;
    out->n = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        uint32_t id;
        char path[PATH_MAX];
        if (key_name_id(e->d_name, &id) != 0)
            continue; /* ".", "..", temporary files */
        if (out->n == INS_TOKEN_KEYS_MAX) {
            rc = INS_ETOOBIG;
            break;
        }
        int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            rc = ENAMETOOLONG;
            break;
        }
        rc = read_key(path, &out->keys[out->n]);
        if (rc == ENOENT) { /* retired while we read */
            rc = 0;
            continue;
        }
        out->keys[out->n++].id = id;
    }
    closedir(d);
    if (rc == 0 && out->n == 0)
        rc = INS_ENOTFOUND;
    if (rc == 0)
        qsort(out->keys, out->n, sizeof(out->keys[0]), key_cmp);
    return rc;
}

int ins_token_keyring_load(const char *data_dir, ins_token_keyring *out)
{
    char dir[PATH_MAX];
    if (data_dir == NULL || out == NULL)
        return EINVAL;
    int rc = keys_path(data_dir, NULL, dir, sizeof(dir));
    if (rc == 0)
        rc = read_keys_dir(dir, out);
    if (rc != ENOENT)
        return rc;
    memset(out, 0, sizeof(*out));
    rc = ins_token_key_load(data_dir, &out->keys[0]);
    out->keys[0].id = 0;
    out->n = rc == 0 ? 1 : 0;
    return rc;
}

const ins_token_key *ins_token_keyring_active(const ins_token_keyring *ring)
{
    return &ring->keys[ring->n - 1];
}

/* The first rotation: a folder holding key 0 (a copy of token.key) made
 * under a temporary name and renamed into place, so token-keys never
 * exists without key 0. Another process doing the same wins or loses the
 * rename; both are fine. Returns 0 or errno. */
static int keys_dir_create(const char *data_dir, const ins_token_key *key0)
{
    char tmp[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
    unsigned char nonce[4];
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return EIO;
    int n = snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.%02x%02x%02x%02x", data_dir, KEYS_DIR,
                     (long)getpid(), nonce[0], nonce[1], nonce[2], nonce[3]);
    if (n < 0 || (size_t)n >= sizeof(tmp) || keys_path(data_dir, NULL, dir, sizeof(dir)) != 0)
        return ENAMETOOLONG;
    if (mkdir(tmp, 0700) != 0)
        return errno;
    n = snprintf(path, sizeof(path), "%s/0.key", tmp);
    int rc = n < 0 || (size_t)n >= sizeof(path) ? ENAMETOOLONG : 0;
    if (rc == 0)
        rc = install_key(tmp, path, key0->bytes);
    if (rc == 0 && rename(tmp, dir) != 0 && errno != EEXIST && errno != ENOTEMPTY)
        rc = errno;
    (void)unlink(path); /* nothing left when the rename was done */
    (void)rmdir(tmp);
    return rc;
}

int ins_token_keyring_rotate(const char *data_dir, uint32_t *new_id)
{
    int present = keys_present(data_dir);
    if (present != 0)
        return present;
    ins_token_keyring ring;
    char dir[PATH_MAX], name[32], path[PATH_MAX];
    int rc = ins_token_keyring_load(data_dir, &ring);
    if (rc != 0)
        return rc;
    if (ring.n == INS_TOKEN_KEYS_MAX) {
        rc = INS_ETOOBIG;
        goto done;
    }
    if ((rc = keys_path(data_dir, NULL, dir, sizeof(dir))) != 0)
        goto done;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT || (rc = keys_dir_create(data_dir, &ring.keys[0])) != 0) {
            rc = rc ? rc : errno;
            goto done;
        }
    }
    uint32_t id = ins_token_keyring_active(&ring)->id + 1;
    if (id == 0) { /* UINT32_MAX keys ago: nothing sensible left */
        rc = INS_ETOOBIG;
        goto done;
    }
    snprintf(name, sizeof(name), "%" PRIu32 ".key", id);
    if ((rc = keys_path(data_dir, name, path, sizeof(path))) == 0 &&
        (rc = create_key(dir, path)) == 0)
        *new_id = id;
done:
    OPENSSL_cleanse(&ring, sizeof(ring));
    return rc;
}

int ins_token_keyring_retire(const char *data_dir, uint32_t id)
{
    int present = keys_present(data_dir);
    if (present != 0)
        return present;
    ins_token_keyring ring;
    char dir[PATH_MAX], name[32], path[PATH_MAX];
    int rc = keys_path(data_dir, NULL, dir, sizeof(dir));
    if (rc == 0)
        rc = read_keys_dir(dir, &ring);
    if (rc == ENOENT) /* never rotated: key 0 is the only key and signs */
        return id == 0 ? INS_ESTATE : INS_ENOTFOUND;
    if (rc != 0)
        return rc;
    size_t i = 0;
    while (i < ring.n && ring.keys[i].id != id)
        i++;
    int found = i < ring.n, active = i + 1 == ring.n;
    OPENSSL_cleanse(&ring, sizeof(ring));
    if (!found)
        return INS_ENOTFOUND;
    if (active)
        return INS_ESTATE;
    snprintf(name, sizeof(name), "%" PRIu32 ".key", id);
    if ((rc = keys_path(data_dir, name, path, sizeof(path))) != 0)
        return rc;
    if (unlink(path) != 0)
        return errno == ENOENT ? INS_ENOTFOUND : errno;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* ---- the keys of a running server --------------------------------------- */

#define RECENT_NS 2000000000LL /* a folder changed this recently is read again */

struct ins_token_keys {
    pthread_mutex_t lock; /* guards everything below */
    char dir[PATH_MAX];   /* DATA_DIR/token-keys */
    char *data_dir;
    ins_token_keyring ring;
    int seen;  /* the folder existed at the last read */
    dev_t dev; /* ... and was this one, changed at `mtime` */
    ino_t ino;
    struct timespec mtime;
    int warned; /* the last reload failed, and that was said */
};

static int64_t ts_ns(struct timespec t)
{
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int ins_token_keys_open(const char *data_dir, ins_token_keys **out)
{
    *out = NULL;
    ins_token_keys *k = calloc(1, sizeof(*k));
    if (k == NULL)
        return ENOMEM;
    int rc = keys_path(data_dir, NULL, k->dir, sizeof(k->dir));
    if (rc == 0 && (k->data_dir = strdup(data_dir)) == NULL)
        rc = ENOMEM;
    struct stat st;
    int seen = rc == 0 && stat(k->dir, &st) == 0;
    if (rc == 0)
        rc = ins_token_keyring_load(data_dir, &k->ring);
    if (rc != 0) {
        free(k->data_dir);
        OPENSSL_cleanse(k, sizeof(*k));
        free(k);
        return rc;
    }
    k->seen = seen;
    if (seen) {
        k->dev = st.st_dev;
        k->ino = st.st_ino;
        k->mtime = st.st_mtim;
    }
    pthread_mutex_init(&k->lock, NULL);
    *out = k;
    return 0;
}

void ins_token_keys_close(ins_token_keys *k)
{
    if (k == NULL)
        return;
    pthread_mutex_destroy(&k->lock);
    free(k->data_dir);
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
}

/* Reads the keys again when the folder changed, or changed lately. Called
 * with the lock held. */
static void keys_refresh(ins_token_keys *k)
{
    struct stat st;
    int seen = stat(k->dir, &st) == 0;
    if (!seen && !k->seen)
        return; /* never rotated: token.key does not change */
    if (seen && k->seen && st.st_dev == k->dev && st.st_ino == k->ino &&
        ts_ns(st.st_mtim) == ts_ns(k->mtime)) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (ts_ns(now) - ts_ns(st.st_mtim) >= RECENT_NS)
            return;
    }
    ins_token_keyring fresh;
    int rc = ins_token_keyring_load(k->data_dir, &fresh);
    if (rc != 0 && !k->warned) /* say it once: an operator must fix the folder */
        fprintf(stderr,
                "inspectd: token keys in %s could not be read again (%s); the keys "
                "read before stay in use\n",
                k->dir, ins_strerror(rc));
    k->warned = rc != 0;
    if (rc == 0) {
        k->ring = fresh;
        k->seen = seen;
        if (seen) {
            k->dev = st.st_dev;
            k->ino = st.st_ino;
            k->mtime = st.st_mtim;
        }
    }
    OPENSSL_cleanse(&fresh, sizeof(fresh));
}

int ins_token_keys_verify(ins_token_keys *k, const char *token, int64_t now_unix,
                          ins_principal *out, const char **why)
{
    ins_token_keyring ring;
    pthread_mutex_lock(&k->lock);
    keys_refresh(k);
    ring = k->ring;
    pthread_mutex_unlock(&k->lock);
    int rc = ins_token_keyring_verify(&ring, token, now_unix, out, why);
    OPENSSL_cleanse(&ring, sizeof(ring));
    return rc;
}

/* ---- tokens ------------------------------------------------------------ */

static int mac(const ins_token_key *key, const unsigned char *data, size_t len,
               unsigned char out[MAC_BYTES])
{
    return ins_hmac_sha256(key->bytes, INS_TOKEN_KEY_BYTES, data, len, out);
}

int ins_token_sign(const ins_token_key *key, const ins_principal *p, char *out, size_t outlen)
{
    char payload[PAYLOAD_MAX];
    unsigned char tag[MAC_BYTES];

    if (key == NULL || p == NULL || out == NULL)
        return INS_EINVAL;
    size_t nlen = strnlen(p->name, sizeof(p->name));
    size_t dlen = strnlen(p->department, sizeof(p->department));
    size_t zlen = strnlen(p->districts, sizeof(p->districts));
    if (nlen == 0 || nlen == sizeof(p->name) || dlen == sizeof(p->department) ||
        zlen == sizeof(p->districts))
        return INS_EINVAL; /* empty, or not NUL-terminated within its array */
    char canon[INS_DISTRICTS_MAX];
    if (zlen > 0 && (ins_district_list_parse(p->districts, canon, sizeof canon, NULL) != 0 ||
                     strcmp(canon, p->districts) != 0))
        return INS_EINVAL; /* only a canonical list is signed */
    if (!ins_principal_text_ok(p->name) || !ins_principal_text_ok(p->department))
        return INS_EINVAL;
    if (p->role <= INS_ROLE_NONE || p->role > INS_ROLE_ADMIN)
        return INS_EINVAL;
    if (p->expires_unix <= 0)
        return INS_EINVAL;

    int64_t issued = p->issued_ms;
    if (issued <= 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        issued = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    }
    int n =
        zlen > 0
            ? snprintf(payload, sizeof(payload),
                       "v3\n%" PRIu32 "\n%s\n%s\n%s\n%s\n%" PRId64 "\n%" PRId64, key->id, p->name,
                       ins_role_name(p->role), p->department, p->districts, issued, p->expires_unix)
            : snprintf(payload, sizeof(payload),
                       "v2\n%" PRIu32 "\n%s\n%s\n%s\n%" PRId64 "\n%" PRId64, key->id, p->name,
                       ins_role_name(p->role), p->department, issued, p->expires_unix);
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

int ins_token_issue(const char *data_dir, const ins_principal *p, char *out, size_t outlen)
{
    ins_token_keyring ring;
    int rc = keys_present(data_dir);
    if (rc != 0)
        return rc;
    rc = ins_token_keyring_load(data_dir, &ring);
    if (rc == 0)
        rc = ins_token_sign(ins_token_keyring_active(&ring), p, out, outlen);
    OPENSSL_cleanse(&ring, sizeof(ring));
    return rc;
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

/* Parses a decimal int64 with no sign, spaces or leading zeros; 0 only
 * when `zero_ok`. */
static int parse_num(const char *s, int zero_ok, int64_t *out)
{
    if (zero_ok && strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
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

/*
 * The key id of a decoded payload, read before the MAC is checked (only to
 * choose the key): 0 for "v1\n...", n for "v2\n<n>\n..." and "v3\n<n>\n...".
 * Returns 0, or
 * -1 when the payload has neither shape.
 */
static int payload_key_id(const unsigned char *payload, size_t len, uint32_t *id)
{
    if (len > 3 && memcmp(payload, "v1\n", 3) == 0) {
        *id = 0;
        return 0;
    }
    if (len < 4 || (memcmp(payload, "v2\n", 3) != 0 && memcmp(payload, "v3\n", 3) != 0))
        return -1;
    char digits[12];
    size_t i = 0;
    for (; 3 + i < len && payload[3 + i] != '\n'; i++) {
        if (i == sizeof(digits) - 1)
            return -1;
        digits[i] = (char)payload[3 + i];
    }
    digits[i] = '\0';
    int64_t v;
    if (3 + i == len || parse_num(digits, 1, &v) != 0 || v > UINT32_MAX)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

int ins_token_keyring_verify(const ins_token_keyring *ring, const char *token, int64_t now_unix,
                             ins_principal *out, const char **why)
{
    unsigned char payload[PAYLOAD_MAX + 1];
    unsigned char given[MAC_BYTES + 3]; /* room to notice a too-long MAC */
    unsigned char want[MAC_BYTES];
    const char *reason = WHY_MALFORMED;
    int rc = INS_EAUTH;

    if (ring == NULL || token == NULL || out == NULL)
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

    uint32_t kid;
    if (payload_key_id(payload, plen, &kid) != 0)
        goto done;
    const ins_token_key *key = NULL;
    for (size_t i = 0; i < ring->n && i < INS_TOKEN_KEYS_MAX; i++)
        if (ring->keys[i].id == kid)
            key = &ring->keys[i];
    if (key == NULL) {
        reason = WHY_RETIRED;
        goto done;
    }
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
    int v3 = version != NULL && strcmp(version, "v3") == 0;
    int v2 = v3 || (version != NULL && strcmp(version, "v2") == 0); /* key id, issued-at */
    char *kid_text = v2 ? next_field(&s, 0) : NULL;
    char *name = next_field(&s, 0);
    char *role = next_field(&s, 0);
    char *dept = next_field(&s, 0);
    const char *districts = v3 ? next_field(&s, 0) : "";
    char *issued_text = v2 ? next_field(&s, 0) : NULL;
    char *expiry = next_field(&s, 1);
    int64_t expires = 0, issued = 0;
    char canon[INS_DISTRICTS_MAX];
    if (districts == NULL ||
        (v3 && (ins_district_list_parse(districts, canon, sizeof canon, NULL) != 0 ||
                strcmp(canon, districts) != 0)))
        goto done;
    if (version == NULL || name == NULL || role == NULL || dept == NULL || expiry == NULL ||
        (v2 &&
         (kid_text == NULL || issued_text == NULL || parse_num(issued_text, 0, &issued) != 0)) ||
        (!v2 && strcmp(version, "v1") != 0) || name[0] == '\0' || !ins_principal_text_ok(name) ||
        !ins_principal_text_ok(dept) || strlen(name) >= sizeof(out->name) ||
        strlen(dept) >= sizeof(out->department) || parse_num(expiry, 0, &expires) != 0)
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
    memcpy(out->districts, districts, strlen(districts) + 1);
    out->role = r;
    out->expires_unix = expires;
    out->issued_ms = issued;
    out->key_id = kid;
    out->method = INS_AUTH_BEARER;
    rc = 0;
    reason = NULL;
done:
    OPENSSL_cleanse(want, sizeof(want));
    if (why != NULL)
        *why = reason;
    return rc;
}

int ins_token_verify(const ins_token_key *key, const char *token, int64_t now_unix,
                     ins_principal *out, const char **why)
{
    ins_token_keyring ring;
    ring.n = 0;
    if (key != NULL) {
        ring.keys[0] = *key;
        ring.n = 1;
    }
    int rc = ins_token_keyring_verify(key ? &ring : NULL, token, now_unix, out, why);
    OPENSSL_cleanse(&ring, sizeof(ring));
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
