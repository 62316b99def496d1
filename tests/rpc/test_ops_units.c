/*
 * test_ops_units.c - the pieces of server/ops and rpc/plimit.c on their own:
 * the text exposition format (labels escaped, histograms cumulative), the
 * registries (names checked, duplicates refused, unregister), readiness
 * reports, the per-principal token bucket and stream slots, and log lines
 * that stay one well-formed JSON object whatever they carry.
 */
#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ins_error.h"
#include "ins_histo.h"
#include "log.h"
#include "logbuf.h"
#include "metrics.h"
#include "plimit.h"
#include "ready.h"

static double gauge_seven(void *arg)
{
    (void)arg;
    return 7;
}

static void collect_labelled(void *arg, ins_metrics_out *out)
{
    ins_histo *h = arg;
    ins_metrics_family(out, "t_alerts", "Alerts\nby kind.", "gauge");
    ins_metrics_sample_u64(out, "t_alerts", (const char *[]){"kind", "a\"b\\c\nd", NULL}, 3);
    ins_metrics_family(out, "t_latency_seconds", "Latency.", "histogram");
    ins_metrics_histogram(out, "t_latency_seconds", (const char *[]){"env", "meta", NULL}, h, 1e9);
}

START_TEST(test_ops_metrics_exposition_format)
{
    static const uint64_t bounds[] = {1000000, 10000000}; /* 1 ms, 10 ms */
    ins_histo h;
    ins_histo_init(&h, bounds, 2);
    ins_histo_observe(&h, 500000);   /* 0.5 ms */
    ins_histo_observe(&h, 5000000);  /* 5 ms */
    ins_histo_observe(&h, 50000000); /* 50 ms */
    ck_assert_int_eq(ins_metrics_gauge_register("t_seven", "Seven.", gauge_seven, &h), 0);
    ck_assert_int_eq(ins_metrics_collector_register(collect_labelled, &h), 0);
    size_t len = 0;
    char *text = ins_metrics_render(&len);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(strlen(text), len);
    ck_assert_ptr_nonnull(strstr(text, "# HELP t_seven Seven.\n# TYPE t_seven gauge\nt_seven 7\n"));
    ck_assert_ptr_nonnull(strstr(text, "# HELP t_alerts Alerts\\nby kind.\n"));
    ck_assert_ptr_nonnull(strstr(text, "t_alerts{kind=\"a\\\"b\\\\c\\nd\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "t_latency_seconds_bucket{env=\"meta\",le=\"0.001\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(text, "t_latency_seconds_bucket{env=\"meta\",le=\"0.01\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "t_latency_seconds_bucket{env=\"meta\",le=\"+Inf\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "t_latency_seconds_sum{env=\"meta\"} 0.0555\n"));
    ck_assert_ptr_nonnull(strstr(text, "t_latency_seconds_count{env=\"meta\"} 3\n"));
    free(text);
    ins_metrics_unregister(&h);
    text = ins_metrics_render(&len);
    ck_assert_ptr_null(strstr(text, "t_seven"));
    ck_assert_ptr_null(strstr(text, "t_alerts"));
    free(text);
}
END_TEST

START_TEST(test_ops_metrics_names_checked)
{
    int arg;
    ck_assert_int_eq(ins_metrics_gauge_register("9lives", "x", gauge_seven, &arg), INS_EINVAL);
    ck_assert_int_eq(ins_metrics_gauge_register("has space", "x", gauge_seven, &arg), INS_EINVAL);
    ck_assert_int_eq(ins_metrics_gauge_register("t_once", "x", NULL, &arg), INS_EINVAL);
    ck_assert_int_eq(ins_metrics_gauge_register("t_once", "x", gauge_seven, &arg), 0);
    ck_assert_int_eq(ins_metrics_gauge_register("t_once", "y", gauge_seven, &arg), INS_EEXIST);
    ins_metrics_unregister(&arg);
    ck_assert_int_eq(ins_metrics_gauge_register("t_once", "y", gauge_seven, &arg), 0);
    ins_metrics_unregister(&arg);
}
END_TEST

static int ready_yes(void *arg, char *why, size_t whylen)
{
    (void)arg;
    (void)why;
    (void)whylen;
    return 0;
}

static int ready_no(void *arg, char *why, size_t whylen)
{
    (void)arg;
    snprintf(why, whylen, "the last backup failed: disk full");
    return 1;
}

START_TEST(test_ops_ready_report_names_the_failure)
{
    int a, b;
    char out[256];
    ck_assert_int_eq(ins_ready_register("store", ready_yes, &a), 0);
    ck_assert_int_eq(ins_ready_register("store", ready_yes, &b), INS_EEXIST);
    ck_assert_int_eq(ins_ready_register("", ready_yes, &b), INS_EINVAL);
    ck_assert_int_eq(ins_ready_report(out, sizeof out), 1);
    ck_assert_str_eq(out, "ok store\n");
    ck_assert_int_eq(ins_ready_register("backup", ready_no, &b), 0);
    ck_assert_int_eq(ins_ready_report(out, sizeof out), 0);
    ck_assert_str_eq(out, "ok store\nfail backup: the last backup failed: disk full\n");
    ins_ready_unregister(&b);
    ck_assert_int_eq(ins_ready_report(out, sizeof out), 1);
    ins_ready_unregister(&a);
}
END_TEST

START_TEST(test_ops_plimit_rate_burst_and_retry)
{
    ins_plimits *l;
    ck_assert_int_eq(ins_plimits_create(10, 3, 0, &l), 0);
    int64_t retry = 0, t = 1000000000;
    const char *what = NULL;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(ins_plimits_take(l, "alice", 0, t, &retry, &what), 0);
    ck_assert_int_eq(ins_plimits_take(l, "alice", 0, t, &retry, &what), INS_EBUSY);
    ck_assert_str_eq(what, "rate");
    ck_assert_int_eq(retry, 100); /* one token at 10 a second */
    ck_assert_int_eq(ins_plimits_take(l, "bob", 0, t, &retry, &what), 0); /* his own bucket */
    ck_assert_int_eq(ins_plimits_take(l, "alice", 0, t + 60000000, &retry, &what), INS_EBUSY);
    ck_assert_int_eq(retry, 40);
    ck_assert_int_eq(ins_plimits_take(l, "alice", 0, t + 100000000, &retry, &what), 0);
    ins_plimits_destroy(l);
}
END_TEST

START_TEST(test_ops_plimit_streams_given_back)
{
    ins_plimits *l;
    ck_assert_int_eq(ins_plimits_create(0, 0, 2, &l), 0);
    int64_t retry = 0;
    const char *what = NULL;
    ck_assert_int_eq(ins_plimits_take(l, "dept-fire", 1, 0, &retry, &what), 0);
    ck_assert_int_eq(ins_plimits_take(l, "dept-fire", 1, 0, &retry, &what), 0);
    ck_assert_int_eq(ins_plimits_take(l, "dept-fire", 0, 0, &retry, &what), 0); /* unary */
    ck_assert_int_eq(ins_plimits_take(l, "dept-fire", 1, 0, &retry, &what), INS_EBUSY);
    ck_assert_str_eq(what, "streams");
    ck_assert_int_gt(retry, 0);
    ins_plimits_stream_closed(l, "dept-fire");
    ck_assert_int_eq(ins_plimits_take(l, "dept-fire", 1, 0, &retry, &what), 0);
    ins_plimits_destroy(l);
}
END_TEST

/* Runs `fn` with stderr sent to a file; returns what it wrote (malloc'd). */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/test-ops-log-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    ins_calllog_flush();
    dup2(saved, STDERR_FILENO);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    char *buf = calloc(1, (size_t)n + 1);
    ck_assert_int_eq(pread(fd, buf, (size_t)n, 0), n);
    close(fd);
    unlink(path);
    return buf;
}

static void log_some_json(void)
{
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ins_log_configure(INS_LOG_INFO, INS_LOG_JSON);
    ins_log_kv kv[] = {{.key = "message", .str = "a \"quoted\"\nline\\ \x01"},
                       {.key = "ms", .num = 12.3456},
                       {.key = "in", .num = 42}};
    ins_log_kv_line(INS_LOG_INFO, "call", kv, 3);
    ins_log_kv_line(INS_LOG_DEBUG, "hidden", NULL, 0);
    ins_log(INS_LOG_WARN, "%s", big); /* cut, still one object */
    ins_log_kv big_kv[] = {{.key = "huge", .str = big}, {.key = "after", .str = "kept"}};
    ins_log_kv_line(INS_LOG_ERROR, "long field", big_kv, 2);
    ins_log_configure(INS_LOG_INFO, INS_LOG_TEXT);
}

START_TEST(test_ops_log_json_lines_parse)
{
    char *out = capture_stderr(log_some_json);
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        json_object *o = json_tokener_parse(line);
        ck_assert_msg(o != NULL, "line %d is not JSON: %.200s", n, line);
        json_object *v;
        ck_assert(json_object_object_get_ex(o, "time", &v));
        ck_assert_uint_eq(strlen(json_object_get_string(v)), 24); /* 2026-12-02T01:02:03.456Z */
        ck_assert(json_object_object_get_ex(o, "level", &v));
        if (n == 0) {
            ck_assert_str_eq(json_object_get_string(v), "info");
            ck_assert(json_object_object_get_ex(o, "message", &v));
            ck_assert_str_eq(json_object_get_string(v), "a \"quoted\"\nline\\ \x01");
            ck_assert(json_object_object_get_ex(o, "ms", &v));
            ck_assert_double_eq_tol(json_object_get_double(v), 12.346, 1e-9);
            ck_assert(json_object_object_get_ex(o, "in", &v));
            ck_assert_int_eq(json_object_get_int(v), 42);
        }
        if (n == 2) { /* the field too long for a line is dropped, the next one kept */
            ck_assert(!json_object_object_get_ex(o, "huge", &v));
            ck_assert(json_object_object_get_ex(o, "after", &v));
        }
        json_object_put(o);
    }
    ck_assert_int_eq(n, 3); /* the debug line is not written at info */
    free(out);
}
END_TEST

static void log_some_text(void)
{
    ins_log_kv kv[] = {{.key = "method", .str = "/inspect.v1.Licensing/GetApplication"},
                       {.key = "message", .str = "application x not found"},
                       {.key = "ms", .num = 0.5}};
    ins_log_kv_line(INS_LOG_INFO, "call", kv, 3);
}

START_TEST(test_ops_log_text_line)
{
    char *out = capture_stderr(log_some_text);
    /* 2026-12-02T01:02:03.456Z info call method=... message="..." ms=0.500 */
    ck_assert_uint_gt(strlen(out), 24);
    ck_assert_int_eq(out[23], 'Z');
    ck_assert_str_eq(out + 24, " info call method=/inspect.v1.Licensing/GetApplication "
                               "message=\"application x not found\" ms=0.500\n");
    free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ops_units");
    TCase *tc = tcase_create("ops");
    tcase_add_test(tc, test_ops_metrics_exposition_format);
    tcase_add_test(tc, test_ops_metrics_names_checked);
    tcase_add_test(tc, test_ops_ready_report_names_the_failure);
    tcase_add_test(tc, test_ops_plimit_rate_burst_and_retry);
    tcase_add_test(tc, test_ops_plimit_streams_given_back);
    tcase_add_test(tc, test_ops_log_json_lines_parse);
    tcase_add_test(tc, test_ops_log_text_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
