/*
 * ins_s3.h - the `s3` blob store: content objects in a bucket of an
 * S3-compatible object store (AWS S3, Ceph RGW, MinIO), under keys
 * PREFIX/ab/abcdef... (the hex SHA-256, its first two digits as a folder).
 *
 * HTTP and request signing are libcurl's (CURLOPT_AWS_SIGV4: Signature V4;
 * http or https, TLS by OpenSSL through libcurl), the XML of listings and
 * error answers is read with expat (s3_xml.c). Every PUT carries Content-MD5
 * and the payload's SHA-256 in the signed x-amz-content-sha256, both of
 * which the store checks before it stores anything; reads are ranged GETs.
 * Connections are kept in a small pool of curl handles, so concurrent calls
 * each use their own.
 */
#ifndef INS_S3_H
#define INS_S3_H

#include "ins_bstore.h"

#define INS_S3_FIELD_MAX 512

/* Where and as whom: what the flags and the environment say. */
typedef struct ins_s3_config {
    char bucket[64];                 /* 3..63 characters */
    char prefix[INS_S3_FIELD_MAX];   /* "" or "a/b/" (always ends in '/') */
    char endpoint[INS_S3_FIELD_MAX]; /* http(s)://host[:port], no trailing '/' */
    char region[64];                 /* default "us-east-1" */
    char access_key[INS_S3_FIELD_MAX];
    char secret_key[INS_S3_FIELD_MAX];
    int virtual_host; /* 1: https://BUCKET.host/KEY, 0: host/BUCKET/KEY */
    long timeout_ms;  /* connect timeout; 0 = 3000 */
} ins_s3_config;

/*
 * Fills cfg from `--blob-store s3://BUCKET[/PREFIX]` (url), `--s3-endpoint`
 * (endpoint), `--s3-credentials FILE` (cred_file, may be NULL: then
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment) and
 * AWS_REGION (or the file's `region`). The file holds `key = value` lines
 * (aws_access_key_id, aws_secret_access_key, region; `[section]` and `#`
 * lines are ignored) and must not be readable by group or others.
 * Returns 0, or INS_EINVAL with a sentence a person can act on in why.
 */
int ins_s3_config_parse(const char *url, const char *endpoint, const char *cred_file,
                        ins_s3_config *cfg, char *why, size_t whylen);

/*
 * Opens an s3 blob store on cfg (copied) into *out (the caller's; close with
 * out->ops->close(out->impl)). Makes no request. Returns 0 or ENOMEM.
 */
int ins_s3_open(const ins_s3_config *cfg, ins_bstore *out);

/*
 * The start-up check: HEAD of the bucket. Returns 0, or with a sentence in
 * why: INS_EUNREACH (the endpoint does not answer), INS_EAUTH (the
 * credentials are refused), INS_ENOTFOUND (no such bucket), EIO (another
 * answer).
 */
int ins_s3_check(ins_bstore *bs, char *why, size_t whylen);

/* The object key of `sha256` into key (at least INS_S3_FIELD_MAX + 68
 * bytes): PREFIX + "ab/" + 64 hex digits. Can't fail. */
void ins_s3_key(const ins_s3_config *cfg, const uint8_t sha256[32], char *key);

/* ---- s3_xml.c: what the store answers in XML ---- */

/* The <Code> of an S3 error document into code ("" if none). Can't fail. */
void ins_s3_xml_error_code(const char *xml, size_t len, char *code, size_t n);

/* One <Contents> of a ListObjectsV2 page. */
typedef int (*ins_s3_xml_obj_fn)(void *arg, const char *key, uint64_t size);

/*
 * Walks a ListObjectsV2 page: fn for every object; *truncated and
 * next_token (its NextContinuationToken, "" if none) for the next page.
 * Returns 0, EIO (not a listing), ENOMEM or what fn stopped with.
 */
int ins_s3_xml_list(const char *xml, size_t len, ins_s3_xml_obj_fn fn, void *arg, int *truncated,
                    char *next_token, size_t n);

#endif /* INS_S3_H */
