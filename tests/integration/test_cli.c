/*
 * test_cli.c - inspectctl against a real inspectd: output, exit status and
 * error reporting of the health, whoami, status and token commands, plus
 * the client library's own argument checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <check.h>
#include <grpc/status.h>

#include "harness.h"

#ifndef INSPECTCTL_PATH
#error "INSPECTCTL_PATH must name the inspectctl binary"
#endif

typedef struct run_result {
    int code;       /* exit status, or -1 */
    char out[8192]; /* stdout */
    char err[8192]; /* stderr */
} run_result;

static void slurp(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs `env ENV inspectctl ARGS` (ENV may be "") with output in ts->dir. */
static void ctl(const ins_ts *ts, const char *env, const char *args, run_result *r)
{
    char out[INS_TS_PATH_MAX + 16], err[INS_TS_PATH_MAX + 16], cmd[4096];
    snprintf(out, sizeof out, "%s/ctl.out", ts->dir);
    snprintf(err, sizeof err, "%s/ctl.err", ts->dir);
    snprintf(cmd, sizeof cmd, "env %s '%s' %s >'%s' 2>'%s' </dev/null", env, INSPECTCTL_PATH, args,
             out, err);
    int st = system(cmd);
    r->code = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

START_TEST(test_cli_health_serving_exit_zero)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    run_result r;
    char args[256];
    snprintf(args, sizeof args, "--server %s health", ts.addr);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_str_eq(r.out, "SERVING\n");

    snprintf(args, sizeof args, "health --service inspect.v1.Session --json --server %s", ts.addr);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "exit %d: %s", r.code, r.err);
    ck_assert_str_eq(r.out, "{\"service\":\"inspect.v1.Session\",\"status\":\"SERVING\"}\n");

    snprintf(args, sizeof args, "--server %s health --service no.such.Service", ts.addr);
    ctl(&ts, "", args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(r.err, "NOT_FOUND") != NULL, "stderr: %s", r.err);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_cli_health_watch_prints_until_deadline)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    run_result r;
    char args[256];
    snprintf(args, sizeof args, "--server %s health --watch --timeout 1s", ts.addr);
    ctl(&ts, "", args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_str_eq(r.out, "SERVING\n");
    ck_assert_msg(strstr(r.err, "DEADLINE_EXCEEDED") != NULL, "stderr: %s", r.err);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_cli_token_issue_then_whoami)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    run_result r;
    char args[1024];
    snprintf(args, sizeof args,
             "token issue --data-dir %s --role department --principal dept-fire --department "
             "fire --ttl 1h",
             ts.data_dir);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "token issue: exit %d: %s", r.code, r.err);
    char tok[INS_TOKEN_MAX];
    snprintf(tok, sizeof tok, "%.*s", (int)strcspn(r.out, "\n"), r.out);

    char admin[INS_TOKEN_MAX]; /* the department must exist for its token to pass */
    ins_ts_token(&ts, INS_ROLE_ADMIN, "root", 3600, admin);
    ins_client *c = ins_ts_client(&ts, admin);
    ins_ts_directory_add(c, "fire", NULL);
    ins_client_close(c);
    snprintf(args, sizeof args, "--server %s --token %s --json whoami", ts.addr, tok);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "whoami: exit %d: %s", r.code, r.err);
    ck_assert_msg(strstr(r.out, "\"principal\":\"dept-fire\"") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "\"role\":\"ROLE_DEPARTMENT\"") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "\"expires_unix\":\"") != NULL, "%s", r.out); /* int64: a string */
    ck_assert_msg(strstr(r.out, "\"department\":\"fire\"") != NULL, "%s", r.out);

    /* The same token from the environment. */
    char env[INS_TOKEN_MAX + 32];
    snprintf(env, sizeof env, "INSPECT_TOKEN=%s", tok);
    snprintf(args, sizeof args, "whoami --server %s", ts.addr);
    ctl(&ts, env, args, &r);
    ck_assert_msg(r.code == 0, "whoami: exit %d: %s", r.code, r.err);
    ck_assert_msg(strstr(r.out, "dept-fire") != NULL, "%s", r.out);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_cli_status_errors_name_the_status)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    run_result r;
    char args[1024];
    snprintf(args, sizeof args, "--server %s status", ts.addr);
    ctl(&ts, "", args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(r.err, "UNAUTHENTICATED") != NULL, "stderr: %s", r.err);

    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_INSPECTOR, "insp-001", 3600, tok);
    snprintf(args, sizeof args, "--server %s --token %s status", ts.addr, tok);
    ctl(&ts, "", args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(r.err, "PERMISSION_DENIED") != NULL, "stderr: %s", r.err);

    ins_ts_token(&ts, INS_ROLE_ADMIN, "root", 3600, tok);
    snprintf(args, sizeof args, "--server %s --token %s status --json", ts.addr, tok);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "status: exit %d: %s", r.code, r.err);
    /* the proto3 mapping: uint64 as a string, a false bool left out */
    ck_assert_msg(strstr(r.out, "\"calls_started\":\"") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "\"draining\"") == NULL, "%s", r.out);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_cli_unreachable_server_unavailable)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char addr[64];
    snprintf(addr, sizeof addr, "%s", ts.addr);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
    ck_assert_int_eq(ins_ts_init(&ts), 0);
    run_result r;
    char args[256];
    snprintf(args, sizeof args, "--server %s --timeout 5s health", addr);
    ctl(&ts, "", args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(r.err, "UNAVAILABLE") != NULL, "stderr: %s", r.err);
    ins_ts_stop(&ts);
}
END_TEST

START_TEST(test_cli_usage_errors_exit_two)
{
    ins_ts ts;
    ck_assert_int_eq(ins_ts_init(&ts), 0);
    run_result r;
    ctl(&ts, "", "no-such-command", &r);
    ck_assert_int_eq(r.code, 2);
    ctl(&ts, "", "--timeout soon health", &r);
    ck_assert_int_eq(r.code, 2);
    ctl(&ts, "", "health --service", &r);
    ck_assert_int_eq(r.code, 2);
    ctl(&ts, "", "", &r);
    ck_assert_int_eq(r.code, 2);
    ctl(&ts, "", "--help", &r);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strstr(r.out, "health") && strstr(r.out, "whoami") && strstr(r.out, "token"),
                  "%s", r.out);
    ctl(&ts, "", "health --help", &r);
    ck_assert_int_eq(r.code, 0);
    ck_assert_msg(strstr(r.out, "--watch") != NULL, "%s", r.out);
    ctl(&ts, "", "status --help", &r);
    ck_assert_int_eq(r.code, 0);
    ins_ts_stop(&ts);
}
END_TEST

/* ---- the client library's own checks (no server) ---------------------- */

/* Writes `text` to DIR/NAME and the path into `path`. */
static void write_file(const ins_ts *ts, const char *name, const char *text, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", ts->dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* The paging helper behind every `list`: one page with the token of the
 * next, the page that token names, and --all in one JSON object. */
START_TEST(test_cli_list_pages_and_all)
{
    ins_ts ts;
    ins_ts_start(&ts, NULL);
    char tok[INS_TOKEN_MAX];
    ins_ts_token(&ts, INS_ROLE_ADMIN, "admin-1", 3600, tok);
    char dfile[INS_TS_PATH_MAX + 32], ifile[INS_TS_PATH_MAX + 32], args[4096];
    write_file(&ts, "d.json",
               "[{\"code\":\"fire\",\"name\":\"Fire\",\"kind\":\"DEPARTMENT_KIND_INDUSTRY\"}]",
               dfile, sizeof dfile);
    write_file(&ts, "i.json",
               "[{\"id\":\"fire-001\",\"name\":\"A\",\"department\":\"fire\",\"max_open_tasks\":1},"
               "{\"id\":\"fire-002\",\"name\":\"B\",\"department\":\"fire\",\"max_open_tasks\":1},"
               "{\"id\":\"fire-003\",\"name\":\"C\",\"department\":\"fire\",\"max_open_tasks\":1}]",
               ifile, sizeof ifile);
    run_result r;
    snprintf(args, sizeof args, "--server %s --token %s departments upsert '%s'", ts.addr, tok,
             dfile);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "departments upsert: exit %d: %s", r.code, r.err);
    snprintf(args, sizeof args, "--server %s --token %s inspectors upsert '%s'", ts.addr, tok,
             ifile);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "inspectors upsert: exit %d: %s", r.code, r.err);

    /* first page of two, and the token of the next */
    snprintf(args, sizeof args, "--server %s --token %s inspectors list --page-size 2", ts.addr,
             tok);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "list: exit %d: %s", r.code, r.err);
    ck_assert_msg(strstr(r.out, "fire-001") && strstr(r.out, "fire-002"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "fire-003") == NULL, "%s", r.out);
    const char *more = strstr(r.out, "(more: --page-token ");
    ck_assert_msg(more != NULL, "%s", r.out);
    char next[128];
    more += strlen("(more: --page-token ");
    snprintf(next, sizeof next, "%.*s", (int)strcspn(more, ","), more);

    /* the page that token names is the last */
    snprintf(args, sizeof args,
             "--server %s --token %s inspectors list --page-size 2 --page-token %s", ts.addr, tok,
             next);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "list: exit %d: %s", r.code, r.err);
    ck_assert_msg(strstr(r.out, "fire-003") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "fire-001") == NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "(more:") == NULL, "%s", r.out);

    /* --all --json: every page in one object */
    snprintf(args, sizeof args, "--server %s --token %s --json inspectors list --page-size 2 --all",
             ts.addr, tok);
    ctl(&ts, "", args, &r);
    ck_assert_msg(r.code == 0, "list --all: exit %d: %s", r.code, r.err);
    ck_assert_msg(strncmp(r.out, "{\"inspectors\":[", 15) == 0, "%s", r.out);
    ck_assert_msg(strstr(r.out, "fire-001") && strstr(r.out, "fire-003"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "next_page_token") == NULL, "%s", r.out);

    /* a bad token is refused by the server, reported, exit 1 */
    snprintf(args, sizeof args, "--server %s --token %s inspectors list --page-token zz", ts.addr,
             tok);
    ctl(&ts, "", args, &r);
    ck_assert_int_eq(r.code, 1);
    ck_assert_msg(strstr(r.err, "INVALID_ARGUMENT") != NULL, "%s", r.err);
    ck_assert_int_eq(ins_ts_stop(&ts), 0);
}
END_TEST

START_TEST(test_client_open_cert_without_key_invalid_argument)
{
    ins_client_opts o = {.target = "127.0.0.1:1", .ca_file = "/dev/null", .cert_file = "x"};
    ins_client *c = (ins_client *)1;
    char *details;
    int code = ins_client_open(&o, &c, &details);
    ins_assert_status(code, GRPC_STATUS_INVALID_ARGUMENT, details);
    ck_assert_ptr_null(c);
    free(details);
}
END_TEST

START_TEST(test_client_open_missing_ca_file_invalid_argument)
{
    ins_client_opts o = {.target = "127.0.0.1:1", .ca_file = "/nonexistent/ca.pem"};
    ins_client *c;
    char *details;
    int code = ins_client_open(&o, &c, &details);
    ins_assert_status(code, GRPC_STATUS_INVALID_ARGUMENT, details);
    ck_assert_msg(strstr(details, "/nonexistent/ca.pem") != NULL, "%s", details);
    free(details);
}
END_TEST

START_TEST(test_client_status_names_round_trip)
{
    for (int code = 0; code <= 16; code++)
        ck_assert_int_eq(ins_client_status_parse(ins_client_status_name(code)), code);
    ck_assert_str_eq(ins_client_status_name(99), "UNKNOWN_STATUS");
    ck_assert_int_eq(ins_client_status_parse("NOPE"), -1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("inspectctl");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_cli_health_serving_exit_zero);
    tcase_add_test(tc, test_cli_health_watch_prints_until_deadline);
    tcase_add_test(tc, test_cli_token_issue_then_whoami);
    tcase_add_test(tc, test_cli_status_errors_name_the_status);
    tcase_add_test(tc, test_cli_unreachable_server_unavailable);
    tcase_add_test(tc, test_cli_usage_errors_exit_two);
    tcase_add_test(tc, test_cli_list_pages_and_all);
    suite_add_tcase(s, tc);
    TCase *lib = tcase_create("library");
    tcase_add_test(lib, test_client_open_cert_without_key_invalid_argument);
    tcase_add_test(lib, test_client_open_missing_ca_file_invalid_argument);
    tcase_add_test(lib, test_client_status_names_round_trip);
    suite_add_tcase(s, lib);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
