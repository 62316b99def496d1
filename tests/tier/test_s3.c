/*
 * test_s3.c - the s3 blob store (blobstore/ins_s3.h) against a real Ceph
 * RADOS Gateway. Not run by CTest on its own: tests/tier/run_tier.py starts
 * the cluster once and runs this binary with INSPECT_S3_ENDPOINT,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and INSPECT_S3_BUCKET (an
 * existing, empty bucket) set. Also covers the configuration rules, which
 * need no cluster.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ins_error.h"
#include "ins_s3.h"

#define ADD_TEST(suite, fn)                                                                        \
    do {                                                                                           \
        TCase *tc_ = tcase_create(#fn);                                                            \
        tcase_set_timeout(tc_, 60);                                                                \
        tcase_add_test(tc_, fn);                                                                   \
        suite_add_tcase(suite, tc_);                                                               \
    } while (0)

static const char *env_or_skip(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && v[0], "%s is not set (run through tests/tier/run_tier.py)", name);
    return v;
}

static void open_store(ins_bstore *bs, const char *bucket, const char *prefix)
{
    ins_s3_config cfg;
    char url[300], why[600];
    snprintf(url, sizeof url, "s3://%s%s", bucket, prefix);
    ck_assert_int_eq(
        ins_s3_config_parse(url, env_or_skip("INSPECT_S3_ENDPOINT"), NULL, &cfg, why, sizeof why),
        0);
    ck_assert_int_eq(ins_s3_open(&cfg, bs), 0);
}

typedef struct src {
    const uint8_t *p;
    size_t n;
} src;

static int from_mem(void *arg, uint64_t off, void *buf, size_t len, size_t *n)
{
    src *s = arg;
    *n = off >= s->n ? 0 : (s->n - off < len ? s->n - (size_t)off : len);
    memcpy(buf, s->p + off, *n);
    return 0;
}

static void digests(const uint8_t *p, size_t n, uint8_t sha[32], uint8_t md5[16])
{
    unsigned l = 32;
    EVP_Digest(p, n, sha, &l, EVP_sha256(), NULL);
    l = 16;
    EVP_Digest(p, n, md5, &l, EVP_md5(), NULL);
}

static int count_obj(void *arg, const uint8_t sha[32], uint64_t size)
{
    (void)sha;
    (void)size;
    ++*(int *)arg;
    return 0;
}

START_TEST(test_s3_put_head_get_list_delete)
{
    ins_bstore bs;
    open_store(&bs, env_or_skip("INSPECT_S3_BUCKET"), "/unit/a+b~c");
    char why[600];
    ck_assert_int_eq(ins_s3_check(&bs, why, sizeof why), 0);
    enum { N = 3 * 1024 * 1024 + 17 };
    uint8_t *data = malloc(N), *back = malloc(N), sha[32], md5[16];
    for (size_t i = 0; i < N; i++)
        data[i] = (uint8_t)(i * 31 + (i >> 12));
    digests(data, N, sha, md5);
    src s = {data, N};
    uint64_t size = 0;
    ck_assert_int_eq(bs.ops->head(bs.impl, sha, &size), INS_ENOTFOUND);
    ck_assert_int_eq(bs.ops->put(bs.impl, sha, N, md5, from_mem, &s), 0);
    ck_assert_int_eq(bs.ops->put(bs.impl, sha, N, md5, from_mem, &s), 0); /* twice: harmless */
    ck_assert_int_eq(bs.ops->head(bs.impl, sha, &size), 0);
    ck_assert_uint_eq(size, N);
    size_t n = 0;
    ck_assert_int_eq(bs.ops->get(bs.impl, sha, 0, back, N, &n), 0);
    ck_assert_uint_eq(n, N);
    ck_assert_int_eq(memcmp(back, data, N), 0);
    ck_assert_int_eq(bs.ops->get(bs.impl, sha, N - 10, back, 100, &n), 0); /* past the end */
    ck_assert_uint_eq(n, 10);
    ck_assert_int_eq(memcmp(back, data + N - 10, 10), 0);
    ck_assert_int_eq(bs.ops->get(bs.impl, sha, N, back, 100, &n), 0);
    ck_assert_uint_eq(n, 0);
    int count = 0;
    ck_assert_int_eq(bs.ops->list(bs.impl, count_obj, &count), 0);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(bs.ops->del(bs.impl, sha), 0);
    ck_assert_int_eq(bs.ops->head(bs.impl, sha, &size), INS_ENOTFOUND);
    ck_assert_int_eq(bs.ops->del(bs.impl, sha), 0); /* gone already */
    bs.ops->close(bs.impl);
    free(data);
    free(back);
}
END_TEST

/* The store checks the integrity headers: bytes that are not the ones
 * named are refused and nothing is stored. */
START_TEST(test_s3_put_wrong_bytes_refused)
{
    ins_bstore bs;
    open_store(&bs, env_or_skip("INSPECT_S3_BUCKET"), "/unit");
    uint8_t data[5000], sha[32], md5[16], other_sha[32], other_md5[16];
    memset(data, 7, sizeof data);
    digests(data, sizeof data, sha, md5);
    data[100] ^= 1;
    digests(data, sizeof data, other_sha, other_md5);
    src s = {data, sizeof data};
    int rc = bs.ops->put(bs.impl, sha, sizeof data, other_md5, from_mem, &s);
    char last[600];
    ins_bstore_last_error(&bs, last, sizeof last);
    ck_assert_msg(rc == INS_EDATALOSS, "%d: %s", rc, last);
    uint64_t size;
    ck_assert_int_eq(bs.ops->head(bs.impl, sha, &size), INS_ENOTFOUND);
    ck_assert_msg(strstr(last, "HTTP 400") != NULL, "%s", last);
    bs.ops->close(bs.impl);
}
END_TEST

START_TEST(test_s3_check_names_each_failure)
{
    ins_bstore bs;
    char why[600];
    open_store(&bs, "no-such-bucket-here", "");
    int rc = ins_s3_check(&bs, why, sizeof why);
    ck_assert_msg(rc == INS_ENOTFOUND, "%d: %s", rc, why);
    ck_assert_msg(strstr(why, "no bucket no-such-bucket-here") != NULL, "%s", why);
    bs.ops->close(bs.impl);

    ins_s3_config cfg;
    char url[300];
    snprintf(url, sizeof url, "s3://%s", env_or_skip("INSPECT_S3_BUCKET"));
    ck_assert_int_eq(
        ins_s3_config_parse(url, env_or_skip("INSPECT_S3_ENDPOINT"), NULL, &cfg, why, sizeof why),
        0);
    snprintf(cfg.secret_key, sizeof cfg.secret_key, "wrong-secret");
    ck_assert_int_eq(ins_s3_open(&cfg, &bs), 0);
    ck_assert_int_eq(ins_s3_check(&bs, why, sizeof why), INS_EAUTH);
    ck_assert_msg(strstr(why, "refuses the credentials") != NULL, "%s", why);
    bs.ops->close(bs.impl);

    snprintf(cfg.endpoint, sizeof cfg.endpoint, "http://127.0.0.1:1");
    ck_assert_int_eq(ins_s3_open(&cfg, &bs), 0);
    ck_assert_int_eq(ins_s3_check(&bs, why, sizeof why), INS_EUNREACH);
    ck_assert_msg(strstr(why, "unreachable") != NULL, "%s", why);
    bs.ops->close(bs.impl);
}
END_TEST

START_TEST(test_s3_config_rules)
{
    ins_s3_config cfg;
    char why[600], path[] = "/tmp/inspect-s3-cred-XXXXXX";
    setenv("AWS_ACCESS_KEY_ID", "AK", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
    ck_assert_int_eq(
        ins_s3_config_parse("s3://photos/district/a/", "http://h:1", NULL, &cfg, why, sizeof why),
        0);
    ck_assert_str_eq(cfg.bucket, "photos");
    ck_assert_str_eq(cfg.prefix, "district/a/");
    uint8_t sha[32] = {0xab, 0xcd};
    char key[700];
    ins_s3_key(&cfg, sha, key);
    ck_assert_int_eq(strncmp(key, "district/a/ab/abcd00", 20), 0);
    ck_assert_int_eq(ins_s3_config_parse("s3://Ph", "http://h", NULL, &cfg, why, sizeof why),
                     INS_EINVAL);
    ck_assert_int_eq(
        ins_s3_config_parse("s3://photos/a/../b", "http://h", NULL, &cfg, why, sizeof why),
        INS_EINVAL);
    ck_assert_int_eq(ins_s3_config_parse("s3://photos", NULL, NULL, &cfg, why, sizeof why),
                     INS_EINVAL);
    ck_assert_msg(strstr(why, "--s3-endpoint") != NULL, "%s", why);
    ck_assert_int_eq(ins_s3_config_parse("s3://photos", "http://h/x", NULL, &cfg, why, sizeof why),
                     INS_EINVAL);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FS\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    chmod(path, 0644);
    ck_assert_int_eq(ins_s3_config_parse("s3://photos", "http://h", path, &cfg, why, sizeof why),
                     INS_EINVAL);
    ck_assert_msg(strstr(why, "chmod 600") != NULL, "%s", why);
    chmod(path, 0600);
    ck_assert_int_eq(ins_s3_config_parse("s3://photos", "http://h", path, &cfg, why, sizeof why),
                     0);
    ck_assert_str_eq(cfg.access_key, "FILEKEY");
    unlink(path);
    unsetenv("AWS_ACCESS_KEY_ID");
    ck_assert_int_eq(ins_s3_config_parse("s3://photos", "http://h", NULL, &cfg, why, sizeof why),
                     INS_EINVAL);
    ck_assert_msg(strstr(why, "AWS_ACCESS_KEY_ID") != NULL, "%s", why);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("s3");
    ADD_TEST(s, test_s3_config_rules);
    if (getenv("INSPECT_S3_ENDPOINT")) {
        ADD_TEST(s, test_s3_put_head_get_list_delete);
        ADD_TEST(s, test_s3_put_wrong_bytes_refused);
        ADD_TEST(s, test_s3_check_names_each_failure);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
