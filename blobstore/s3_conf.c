/*
 * s3_conf.c - what an s3 blob store is configured from (ins_s3_config_parse):
 * the s3://BUCKET[/PREFIX] address, the endpoint, and the credentials from a
 * file only its owner can read or from the standard AWS_* environment.
 * Every refusal says which flag or variable to change.
 */
#include "ins_s3.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ins_error.h"

/* S3's bucket naming rule, the part that matters for an address: 3..63 of
 * [a-z0-9.-], starting and ending with a letter or digit. */
static int bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' ||
              b[i] == '-'))
            return 0;
    return 1;
}

/* A prefix is kept as written, with one '/' at its end: path segments of
 * printable ASCII other than '/', none empty, none "." or "..". */
static int prefix_ok(const char *p)
{
    size_t seg = 0;
    for (const char *c = p;; c++) {
        if (*c == '/' || *c == '\0') {
            if (seg == 0 || (seg == 1 && c[-1] == '.') ||
                (seg == 2 && c[-1] == '.' && c[-2] == '.'))
                return 0;
            if (*c == '\0')
                return 1;
            seg = 0;
            continue;
        }
        if (*c <= ' ' || *c > '~' || *c == '\\' || *c == '?' || *c == '#' || *c == '%')
            return 0;
        seg++;
    }
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

/* Reads key = value lines of the credentials file into cfg. */
static int read_credentials(const char *path, ins_s3_config *cfg, char *why, size_t whylen)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(why, whylen, "--s3-credentials %s cannot be read: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return INS_EINVAL;
    }
    if (st.st_mode & 077) {
        snprintf(why, whylen,
                 "--s3-credentials %s has mode %04o: it holds a secret key, make it "
                 "readable by its owner only (chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        fclose(f);
        return INS_EINVAL;
    }
    char line[1200];
    while (fgets(line, sizeof line, f)) {
        trim(line);
        char *eq = strchr(line, '=');
        if (!line[0] || line[0] == '#' || line[0] == ';' || line[0] == '[' || !eq)
            continue;
        *eq = '\0';
        char *k = line, *v = eq + 1;
        trim(k);
        trim(v);
        if (strcmp(k, "aws_access_key_id") == 0)
            snprintf(cfg->access_key, sizeof cfg->access_key, "%s", v);
        else if (strcmp(k, "aws_secret_access_key") == 0)
            snprintf(cfg->secret_key, sizeof cfg->secret_key, "%s", v);
        else if (strcmp(k, "region") == 0 || strcmp(k, "aws_region") == 0)
            snprintf(cfg->region, sizeof cfg->region, "%s", v);
    }
    fclose(f);
    if (!cfg->access_key[0] || !cfg->secret_key[0]) {
        snprintf(why, whylen,
                 "--s3-credentials %s needs aws_access_key_id = ... and "
                 "aws_secret_access_key = ... lines",
                 path);
        return INS_EINVAL;
    }
    return 0;
}

static int parse_url(const char *url, ins_s3_config *cfg, char *why, size_t whylen)
{
    if (!url || strncmp(url, "s3://", 5) != 0) {
        snprintf(why, whylen, "--blob-store takes lmdb or s3://BUCKET[/PREFIX], not %s",
                 url ? url : "(nothing)");
        return INS_EINVAL;
    }
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t bl = slash ? (size_t)(slash - b) : strlen(b);
    if (!bucket_ok(b, bl)) {
        snprintf(why, whylen,
                 "--blob-store %s: the bucket name must be 3..63 lower-case letters, digits, "
                 "'.' or '-'",
                 url);
        return INS_EINVAL;
    }
    memcpy(cfg->bucket, b, bl);
    cfg->bucket[bl] = '\0';
    const char *p = slash ? slash + 1 : "";
    size_t pl = strlen(p);
    while (pl && p[pl - 1] == '/')
        pl--;
    if (pl >= sizeof cfg->prefix - 1) {
        snprintf(why, whylen, "--blob-store %s: the prefix is longer than %zu bytes", url,
                 sizeof cfg->prefix - 2);
        return INS_EINVAL;
    }
    memcpy(cfg->prefix, p, pl);
    cfg->prefix[pl] = '\0';
    if (pl && !prefix_ok(cfg->prefix)) {
        snprintf(why, whylen,
                 "--blob-store %s: the prefix must be '/'-separated names of printable "
                 "characters (no empty, '.' or '..' part, no '\\', '?', '#', '%%')",
                 url);
        return INS_EINVAL;
    }
    if (pl)
        strcat(cfg->prefix, "/");
    return 0;
}

int ins_s3_config_parse(const char *url, const char *endpoint, const char *cred_file,
                        ins_s3_config *cfg, char *why, size_t whylen)
{
    memset(cfg, 0, sizeof *cfg);
    int rc = parse_url(url, cfg, why, whylen);
    if (rc)
        return rc;
    if (!endpoint ||
        (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0)) {
        snprintf(why, whylen, "--blob-store s3://... needs --s3-endpoint http(s)://HOST[:PORT]");
        return INS_EINVAL;
    }
    size_t el = strlen(endpoint);
    while (el && endpoint[el - 1] == '/')
        el--;
    const char *slash = strchr(strstr(endpoint, "://") + 3, '/');
    if (el >= sizeof cfg->endpoint || (slash && (size_t)(slash - endpoint) < el)) {
        snprintf(why, whylen, "--s3-endpoint %s: give the scheme, host and port only", endpoint);
        return INS_EINVAL;
    }
    memcpy(cfg->endpoint, endpoint, el);
    cfg->endpoint[el] = '\0';
    const char *region = getenv("AWS_REGION");
    snprintf(cfg->region, sizeof cfg->region, "%s", region && region[0] ? region : "us-east-1");
    if (cred_file)
        return read_credentials(cred_file, cfg, why, whylen);
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (!ak || !ak[0] || !sk || !sk[0]) {
        snprintf(why, whylen,
                 "--blob-store s3://... needs credentials: --s3-credentials FILE, or "
                 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
        return INS_EINVAL;
    }
    snprintf(cfg->access_key, sizeof cfg->access_key, "%s", ak);
    snprintf(cfg->secret_key, sizeof cfg->secret_key, "%s", sk);
    return 0;
}
