/*
 * test_tier.c - the photo tier (storage/ins_tier.h) without a network: a
 * second store's blob stripes, as the `lmdb` blob store, stand in for the
 * object store (tests/tier/run_tier.py runs the same paths against a real
 * Ceph RGW). Covers: a referenced content is queued and moved, its local
 * copy freed and read back through the remote; the cache keeps local copies
 * and a restart with a smaller cache frees them; an unreachable store fills
 * the landing zone and admission says since when.
 */
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "blob_impl.h"
#include "ins_blob.h"
#include "ins_s3.h"
#include "ins_sha256.h"
#include "ins_tier.h"

static int ref_apply(ins_wtxn *t, void *arg)
{
    return ins_wtxn_blob_ref(t, arg);
}

/* Uploads n bytes of pattern `seed` under `id` and references them. */
static void put_photo(ins_store *s, const char *id, uint8_t *data, size_t n, unsigned seed,
                      uint8_t sha[32])
{
    uint64_t off;
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 9));
    ins_sha256(data, n, sha);
    ck_assert_int_eq(ins_blob_stage_begin(s, id, n, sha, &off), 0);
    ck_assert_int_eq(ins_blob_append(s, id, 0, data, n, &off), 0);
    ck_assert_int_eq(ins_blob_finish(s, id, NULL), 0);
    ck_assert_int_eq(ins_store_exec(s, ref_apply, sha), 0);
    ck_assert_int_eq(ins_blob_release(s, id), 0);
}

/* Waits until the backlog is empty and `remote` contents are moved. */
static void wait_moved(ins_store *s, uint64_t remote)
{
    ins_tier_status st;
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(ins_tier_status_get(s, &st), 0);
        if (st.backlog_count == 0 && st.remote_count >= remote)
            return;
        usleep(10000);
    }
    ck_abort_msg("not moved: backlog %llu, remote %llu, last error %s",
                 (unsigned long long)st.backlog_count, (unsigned long long)st.remote_count,
                 st.last_error);
}

static void start_tier(ins_store *s, ins_store *remote, uint64_t cache)
{
    ins_tier_options o = {.cache_bytes = cache, .movers = 2, .describe = "test remote"};
    ins_blob_store_lmdb(remote, &o.remote);
    ck_assert_int_eq(ins_tier_start(s, &o), 0);
}

START_TEST(test_tier_moves_referenced_content_and_reads_it_back)
{
    char *dl = tmp_dir(), *dr = tmp_dir();
    ins_store *s = open_store(dl), *r = open_store(dr);
    static uint8_t data[700000], back[700000];
    uint8_t sha[32];
    uint64_t size = 0;
    start_tier(s, r, 0);
    put_photo(s, "I-1/a", data, sizeof data, 1, sha);
    wait_moved(s, 1);
    ck_assert_int_eq(ins__blob_local_stat(r, sha, &size), 0); /* in the "object store" */
    ck_assert_uint_eq(size, sizeof data);
    for (int i = 0; i < 100 && ins__blob_local_stat(s, sha, NULL) == 0; i++)
        usleep(10000);
    ck_assert_int_eq(ins__blob_local_stat(s, sha, NULL), INS_ENOTFOUND); /* freed */
    ck_assert_int_eq(ins_blob_stat(s, sha, &size), 0);                   /* known remote */
    ins_blob_reader *rd;
    ck_assert_int_eq(ins_blob_open(s, sha, &rd, &size), 0);
    ck_assert(ins_blob_reader_remote(rd, 65536));
    size_t got = 0, n;
    do {
        ck_assert_int_eq(ins_blob_reader_read(rd, back + got, 65536, &n), 0);
        got += n;
    } while (n);
    ins_blob_reader_close(rd);
    ck_assert_uint_eq(got, sizeof data);
    ck_assert_int_eq(memcmp(back, data, got), 0);
    ins_tier_status st;
    ck_assert_int_eq(ins_tier_status_get(s, &st), 0);
    ck_assert_uint_eq(st.moved, 1);
    ck_assert_uint_eq(st.local_count, 0);
    ck_assert_str_eq(st.store, "test remote");
    ins_store_close(s); /* stops the tier first */
    ins_store_close(r);
    rm_dir(dl);
    rm_dir(dr);
}
END_TEST

START_TEST(test_tier_cache_keeps_newest_and_restart_trims_it)
{
    char *dl = tmp_dir(), *dr = tmp_dir();
    ins_store *s = open_store(dl), *r = open_store(dr);
    static uint8_t data[3][100000];
    uint8_t sha[3][32];
    start_tier(s, r, 250000); /* room for two */
    for (unsigned i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "I-1/c%u", i);
        put_photo(s, id, data[i], sizeof data[i], 10 + i, sha[i]);
        wait_moved(s, i + 1);
    }
    ins_tier_status st;
    ck_assert_int_eq(ins_tier_status_get(s, &st), 0);
    ck_assert_uint_eq(st.cached_bytes, 200000);
    /* the oldest copy goes in the mover's commit after the third move:
     * give it up to 5 s on a busy machine */
    for (int i = 0; i < 500 && ins__blob_local_stat(s, sha[0], NULL) == 0; i++)
        usleep(10000);
    ck_assert_int_eq(ins__blob_local_stat(s, sha[0], NULL), INS_ENOTFOUND); /* oldest went */
    ck_assert_int_eq(ins__blob_local_stat(s, sha[2], NULL), 0);
    ins_tier_stop(s);
    start_tier(s, r, 0); /* no cache now: the start frees the copies */
    ck_assert_int_eq(ins__blob_local_stat(s, sha[1], NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins__blob_local_stat(s, sha[2], NULL), INS_ENOTFOUND);
    ck_assert_int_eq(ins_blob_stat(s, sha[2], NULL), 0);
    ins_store_close(s);
    ins_store_close(r);
    rm_dir(dl);
    rm_dir(dr);
}
END_TEST

START_TEST(test_tier_unreachable_store_fills_landing_zone)
{
    char *dl = tmp_dir(), why[2000];
    ins_store *s = open_store(dl);
    static uint8_t data[50000];
    uint8_t sha[32];
    ins_s3_config cfg;
    setenv("AWS_ACCESS_KEY_ID", "k", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    ck_assert_int_eq(
        ins_s3_config_parse("s3://photos/x", "http://127.0.0.1:1", NULL, &cfg, why, sizeof why), 0);
    ins_tier_options o = {.landing_bytes = 60000, .movers = 1};
    ck_assert_int_eq(ins_s3_open(&cfg, &o.remote), 0);
    ck_assert_int_eq(ins_tier_start(s, &o), 0);
    ck_assert_int_eq(ins_tier_admit(s, sizeof data, why, sizeof why), 0);
    put_photo(s, "I-1/l", data, sizeof data, 3, sha);
    ins_tier_status st;
    for (int i = 0; i < 500; i++) { /* the first attempt fails */
        ck_assert_int_eq(ins_tier_status_get(s, &st), 0);
        if (st.unreachable_since_unix)
            break;
        usleep(10000);
    }
    ck_assert_int_gt(st.unreachable_since_unix, 0);
    ck_assert_uint_eq(st.backlog_count, 1);
    ck_assert_uint_eq(st.backlog_bytes, sizeof data);
    ck_assert_int_eq(ins_tier_admit(s, sizeof data, why, sizeof why), INS_EFULL);
    ck_assert_msg(strncmp(why, INS_MSG_STORE_FULL, strlen(INS_MSG_STORE_FULL)) == 0, "%s", why);
    ck_assert_msg(strstr(why, "unreachable since") != NULL, "%s", why);
    ck_assert_int_eq(ins_tier_admit(s, 10000, why, sizeof why), 0); /* still fits */
    uint8_t back[100];
    size_t n;
    ck_assert_int_eq(ins_blob_read(s, sha, 0, back, sizeof back, &n), 0); /* reads go on */
    ins_store_close(s);
    rm_dir(dl);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tier");
    ADD_TEST(s, test_tier_moves_referenced_content_and_reads_it_back);
    ADD_TEST(s, test_tier_cache_keeps_newest_and_restart_trims_it);
    ADD_TEST(s, test_tier_unreachable_store_fills_landing_zone);
    return run_suite(s);
}
