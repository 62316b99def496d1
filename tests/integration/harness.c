/*
 * harness.c - starts, waits for and stops a real inspectd for a test.
 * See harness.h.
 */
#include "harness.h"

#include "inspect/v1/directory.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef INSPECTD_PATH
#error "INSPECTD_PATH must name the inspectd binary"
#endif
#ifndef CERTS_SH
#error "CERTS_SH must name tests/integration/certs.sh"
#endif

double ins_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Servers not stopped yet, so that a failing assertion (Check exits the test
 * process) still kills them and removes their folders. */
#define MAX_LIVE 16
static ins_ts *live[MAX_LIVE];
static int atexit_set;

static void cleanup_at_exit(void)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        if (live[i] == NULL)
            continue;
        if (live[i]->pid != 0) {
            kill(live[i]->pid, SIGKILL);
            waitpid(live[i]->pid, NULL, 0);
        }
        ins_rm_rf(live[i]->dir);
        live[i] = NULL;
    }
}

static void track(ins_ts *ts, int on)
{
    if (!atexit_set) {
        atexit(cleanup_at_exit);
        atexit_set = 1;
    }
    for (int i = 0; i < MAX_LIVE; i++) {
        if (on && live[i] == NULL) {
            live[i] = ts;
            return;
        }
        if (!on && live[i] == ts) {
            live[i] = NULL;
            return;
        }
    }
}

int ins_ts_init(ins_ts *ts)
{
    memset(ts, 0, sizeof *ts);
    track(ts, 1);
    const char *tmp = getenv("TMPDIR");
    snprintf(ts->dir, sizeof ts->dir, "%s/inspectd-it-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(ts->dir) == NULL) {
        fprintf(stderr, "harness: mkdtemp %s: %s\n", ts->dir, strerror(errno));
        ts->dir[0] = '\0';
        return -1;
    }
    snprintf(ts->data_dir, sizeof ts->data_dir, "%s/data", ts->dir);
    snprintf(ts->port_file, sizeof ts->port_file, "%s/port", ts->dir);
    snprintf(ts->stderr_path, sizeof ts->stderr_path, "%s/stderr.log", ts->dir);
    return 0;
}

int ins_ts_spawn(ins_ts *ts, const char *const *args)
{
    if (ins_ts_init(ts) != 0)
        return -1;
    return ins_ts_spawn_prepared(ts, args);
}

int ins_ts_spawn_prepared(ins_ts *ts, const char *const *args)
{

    const char *argv[64];
    int n = 0, has_listen = 0, has_metrics = 0;
    for (int i = 0; args != NULL && args[i] != NULL; i++) {
        if (strcmp(args[i], "--listen") == 0)
            has_listen = 1;
        if (strcmp(args[i], "--metrics-listen") == 0)
            has_metrics = 1;
    }
    argv[n++] = INSPECTD_PATH;
    if (!has_listen) {
        argv[n++] = "--listen";
        argv[n++] = "127.0.0.1:0";
    }
    if (!has_metrics) { /* many servers at once: never the default port */
        argv[n++] = "--metrics-listen";
        argv[n++] = "127.0.0.1:0";
    }
    argv[n++] = "--data-dir";
    argv[n++] = ts->data_dir;
    argv[n++] = "--port-file";
    argv[n++] = ts->port_file;
    for (int i = 0; args != NULL && args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "harness: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls between fork and exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(ts->stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            dup2(fd, STDOUT_FILENO);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    ts->pid = pid;
    return 0;
}

static void copy_stderr(const ins_ts *ts)
{
    FILE *f = fopen(ts->stderr_path, "r");
    if (f == NULL)
        return;
    fprintf(stderr, "---- inspectd stderr (%s) ----\n", ts->stderr_path);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fprintf(stderr, "---- end of inspectd stderr ----\n");
    fclose(f);
}

/* Reaps the server if it exited. Returns 1 when it has exited. */
static int reap(ins_ts *ts, int block)
{
    if (ts->pid == 0)
        return 1;
    int st;
    pid_t r;
    do
        r = waitpid(ts->pid, &st, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    if (r < 0) {
        ts->exit_code = -1;
    } else if (WIFEXITED(st)) {
        ts->exit_code = WEXITSTATUS(st);
    } else if (WIFSIGNALED(st)) {
        ts->exit_code = 128 + WTERMSIG(st);
    }
    ts->pid = 0;
    return 1;
}

int ins_ts_wait_port(ins_ts *ts, double timeout_s)
{
    double end = ins_now_s() + timeout_s;
    while (ins_now_s() < end) {
        FILE *f = fopen(ts->port_file, "r");
        if (f != NULL) {
            int port = 0;
            char nl = 0;
            int got = fscanf(f, "%d%c", &port, &nl);
            fclose(f);
            if (got == 2 && nl == '\n' && port > 0) {
                ts->port = port;
                snprintf(ts->addr, sizeof ts->addr, "127.0.0.1:%d", port);
                return 0;
            }
        }
        if (reap(ts, 0)) {
            fprintf(stderr, "harness: inspectd exited with %d before listening\n", ts->exit_code);
            copy_stderr(ts);
            return -1;
        }
        sleep_ms(10);
    }
    fprintf(stderr, "harness: inspectd wrote no port file in %.0f s\n", timeout_s);
    copy_stderr(ts);
    return -1;
}

void ins_ts_start(ins_ts *ts, const char *const *args)
{
    ck_assert_msg(ins_ts_init(ts) == 0, "cannot make a temp folder");
    ins_ts_start_prepared(ts, args);
}

void ins_ts_start_prepared(ins_ts *ts, const char *const *args)
{
    ck_assert_msg(ins_ts_spawn_prepared(ts, args) == 0, "cannot start %s", INSPECTD_PATH);
    ck_assert_msg(ins_ts_wait_port(ts, 20) == 0, "inspectd did not start listening");
}

int ins_ts_wait_exit(ins_ts *ts, double timeout_s, double *elapsed_s)
{
    double start = ins_now_s();
    int done = 0;
    while (!(done = reap(ts, 0)) && ins_now_s() - start < timeout_s)
        sleep_ms(5);
    if (elapsed_s != NULL)
        *elapsed_s = ins_now_s() - start;
    return done ? ts->exit_code : -1;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void ins_rm_rf(const char *path)
{
    if (path != NULL && path[0] != '\0')
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int ins_ts_stop(ins_ts *ts)
{
    if (ts->pid != 0) {
        kill(ts->pid, SIGTERM);
        if (ins_ts_wait_exit(ts, 30, NULL) < 0) {
            fprintf(stderr, "harness: inspectd ignored SIGTERM for 30 s; killing it\n");
            kill(ts->pid, SIGKILL);
            reap(ts, 1);
        }
    }
    if (ts->exit_code != 0)
        copy_stderr(ts);
    ins_rm_rf(ts->dir);
    ts->dir[0] = '\0';
    track(ts, 0);
    return ts->exit_code;
}

int ins_ts_stderr_contains(const ins_ts *ts, const char *needle)
{
    FILE *f = fopen(ts->stderr_path, "r");
    if (f == NULL)
        return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strcasestr(line, needle) != NULL;
    fclose(f);
    return found;
}

void ins_ts_token_for(const char *data_dir, ins_role role, const char *principal,
                      const char *department, int64_t ttl_s, char *out)
{
    ins_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", principal);
    snprintf(p.department, sizeof p.department, "%s", department != NULL ? department : "");
    p.role = role;
    p.expires_unix = (int64_t)time(NULL) + ttl_s;
    p.method = INS_AUTH_BEARER;
    ins_token_key key; /* the node's key, made as its server's first start would */
    int rc = ins_token_key_load(data_dir, &key);
    ck_assert_msg(rc == 0, "ins_token_key_load(%s): %d", data_dir, rc);
    rc = ins_token_issue(data_dir, &p, out, INS_TOKEN_MAX);
    ck_assert_msg(rc == 0, "ins_token_issue(%s): %d", data_dir, rc);
}

void ins_ts_token(const ins_ts *ts, ins_role role, const char *principal, int64_t ttl_s, char *out)
{
    ins_ts_token_for(ts->data_dir, role, principal, NULL, ttl_s, out);
}

ins_client *ins_ts_client(const ins_ts *ts, const char *token)
{
    ins_client_opts o = {.target = ts->addr, .token = token, .timeout_ms = 10000};
    ins_client *c = NULL;
    char *details = NULL;
    int rc = ins_client_open(&o, &c, &details);
    ck_assert_msg(rc == 0, "ins_client_open(%s): %s", ts->addr, details ? details : "");
    free(details);
    return c;
}

void ins_ts_directory_add(ins_client *admin, const char *department, const char *inspector)
{
    Inspect__V1__Department d = INSPECT__V1__DEPARTMENT__INIT;
    d.code = (char *)department;
    d.name = (char *)department;
    d.kind = INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_INDUSTRY;
    Inspect__V1__UpsertDepartmentRequest dr = INSPECT__V1__UPSERT_DEPARTMENT_REQUEST__INIT;
    char rid[160];
    snprintf(rid, sizeof rid, "harness-dept-%s", department);
    dr.request_id = rid;
    dr.department = &d;
    ProtobufCMessage *resp = NULL;
    char *details = NULL;
    int code = ins_client_unary(admin, "/inspect.v1.Directory/UpsertDepartment", &dr.base,
                                &inspect__v1__upsert_department_response__descriptor,
                                INS_TIMEOUT_DEFAULT, &resp, &details);
    ck_assert_msg(code == 0, "UpsertDepartment %s: %d %s", department, code, details);
    free(details);
    protobuf_c_message_free_unpacked(resp, NULL);
    if (inspector == NULL)
        return;
    Inspect__V1__Inspector in = INSPECT__V1__INSPECTOR__INIT;
    in.id = (char *)inspector;
    in.name = (char *)inspector;
    in.department = (char *)department;
    in.max_open_tasks = 1;
    in.active = 1;
    in.base_latitude = 30.82;
    in.base_longitude = 104.16;
    Inspect__V1__UpsertInspectorRequest ir = INSPECT__V1__UPSERT_INSPECTOR_REQUEST__INIT;
    snprintf(rid, sizeof rid, "harness-inspector-%s", inspector);
    ir.request_id = rid;
    ir.inspector = &in;
    resp = NULL;
    details = NULL;
    code = ins_client_unary(admin, "/inspect.v1.Directory/UpsertInspector", &ir.base,
                            &inspect__v1__upsert_inspector_response__descriptor,
                            INS_TIMEOUT_DEFAULT, &resp, &details);
    ck_assert_msg(code == 0, "UpsertInspector %s: %d %s", inspector, code, details);
    free(details);
    protobuf_c_message_free_unpacked(resp, NULL);
}

void ins_ts_make_certs(const char *outdir)
{
    char cmd[2 * INS_TS_PATH_MAX];
    snprintf(cmd, sizeof cmd, "bash '%s' '%s' >/dev/null 2>&1", CERTS_SH, outdir);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "%s %s failed (%d)", CERTS_SH, outdir, rc);
}
