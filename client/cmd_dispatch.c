/*
 * cmd_dispatch.c - `inspectctl tasks`, `alerts` and `decision` (see
 * cmd_dispatch.h).
 *
 * Options that may repeat (--member, --check, --department) are taken out
 * of argv first; the rest goes through ins_cu_args like every other
 * command. `alerts list` reads the open alerts WatchAlerts sends first and
 * stops once the stream has been quiet for a moment; `alerts --follow`
 * keeps the stream open and prints each alert as it arrives until Ctrl-C
 * (SIGINT only sets a flag; the stream is then cancelled and finished).
 */
#include "cmd_dispatch.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cliutil.h"
#include "inspect/v1/dispatch.pb-c.h"
#include "ins_pbjson.h"

#define DSP_METHOD(m) "/inspect.v1.Dispatch/" m

#define GRPC_CANCELLED 1

/* ---- helpers ------------------------------------------------------------ */

static const char *state_name(int s)
{
    return ins_cu_enum(&inspect__v1__task_state__descriptor, s);
}

/* ---- showing a task ----------------------------------------------------- */

static void print_task(const Inspect__V1__Task *t)
{
    char c1[32], c2[32], c3[32], c4[32];
    printf("id:           %s\napplication:  %s\nservice_item: %s\nkind:         %s\n", t->id,
           t->application_id, t->service_item,
           ins_cu_enum(&inspect__v1__task_kind__descriptor, t->kind));
    if (t->follows_report[0])
        printf("follows:      %s\n", t->follows_report);
    for (size_t i = 0; i < t->n_check_items; i++)
        printf("check_item:   %s\n", t->check_items[i]);
    printf("state:        %s\nrequired:     ", state_name(t->state));
    for (size_t i = 0; i < t->n_required_departments; i++)
        printf("%s%s", i ? ", " : "", t->required_departments[i]);
    printf("\ntown:         %s (%s, %s)\n", t->town, ins_cu_num(t->latitude),
           ins_cu_num(t->longitude));
    printf("limit:        %u working days, %s .. %s\nwarning at:   %s\noverdue at:   %s\n",
           t->limit_working_days, t->start_date, t->deadline_date,
           ins_cu_fmt_time(t->warning_unix, c1, sizeof c1),
           ins_cu_fmt_time(t->deadline_unix, c2, sizeof c2));
    printf("created:      %s\nupdated:      %s\nversion:      %" PRId64 "\n",
           ins_cu_fmt_time(t->created_unix, c3, sizeof c3),
           ins_cu_fmt_time(t->updated_unix, c4, sizeof c4), t->version);
    if (t->cancel_reason[0])
        printf("cancelled:    %s\n", t->cancel_reason);
    if (t->n_team == 0) {
        printf("team:         (none yet)\n");
        return;
    }
    putchar('\n');
    static const char *const heads[] = {"INSPECTOR", "NAME", "DEPARTMENT", "ROLE",
                                        "RESPONSE",  "KM",   "WHY"};
    ins_cu_table *tb = ins_cu_table_new(7, heads);
    for (size_t i = 0; i < t->n_team; i++) {
        const Inspect__V1__TeamMember *m = t->team[i];
        char role[32], resp[32], km[32], why[1100];
        snprintf(role, sizeof role, "%s",
                 ins_cu_enum(&inspect__v1__member_role__descriptor, m->role));
        snprintf(resp, sizeof resp, "%s",
                 ins_cu_enum(&inspect__v1__member_response__descriptor, m->response));
        snprintf(km, sizeof km, "%.1f", m->distance_km);
        snprintf(why, sizeof why, "%s%s", m->override ? "[override] " : "", m->reason);
        const char *row[] = {
            m->inspector_id, m->inspector_name, m->department, role, resp, km, why};
        ins_cu_table_row(tb, row);
    }
    ins_cu_table_print(tb);
    for (size_t i = 0; i < t->n_checkins; i++)
        printf("check-in: %s at %s, %.0f m from the site%s%s\n", t->checkins[i]->inspector_id,
               ins_cu_fmt_time(t->checkins[i]->server_unix, c1, sizeof c1),
               t->checkins[i]->distance_m, t->checkins[i]->reason[0] ? ": " : "",
               t->checkins[i]->reason);
}

/* Responses that carry a task in field 1 (create, assign, replace, cancel). */
static void show_task_field(const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "task");
    const Inspect__V1__Task *t =
        f ? *(Inspect__V1__Task *const *)((const char *)m + f->offset) : NULL;
    if (t != NULL)
        print_task(t);
    else
        puts("ok");
}

static void show_task(const ProtobufCMessage *m)
{
    print_task((const Inspect__V1__Task *)m);
}

/* ---- tasks create ------------------------------------------------------- */

static void create_help(void)
{
    printf("usage: inspectctl tasks create APP [--reinspection REPORT --check ITEM...]\n"
           "                                 [--request-id ID]\n\n"
           "Opens an inspection task for application APP, which must be under review\n"
           "(it moves to inspection). The required departments come from its service\n"
           "item; the deadline counts the item's limit in working days. With\n"
           "--reinspection the task follows up REPORT (a RECTIFY outcome; the\n"
           "application stays in inspection) and checks only the --check items\n"
           "(template item codes, repeatable). Role: dispatcher.\n\n%s",
           ins_cli_global_help);
}

static int tasks_create(ins_cli *cli, int argc, char **argv)
{
    const char *checks[INS_CU_MAX_REPEAT];
    size_t nchecks;
    if (ins_cu_take_repeated(&argc, argv, "--check", checks, &nchecks, "tasks create") != 0)
        return INS_EXIT_USAGE;
    const char *rid = NULL, *report = NULL;
    ins_cu_opt opts[] = {
        {"--reinspection", &report, NULL}, {"--request-id", &rid, NULL}, {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, create_help, "tasks create");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (nchecks > 0 && report == NULL)
        return ins_cli_usage_error("tasks create: --check belongs to a --reinspection");
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "tasks create");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__CreateTaskRequest req = INSPECT__V1__CREATE_TASK_REQUEST__INIT;
    req.request_id = (char *)id;
    req.application_id = (char *)pos[0];
    if (report != NULL) {
        req.kind = INSPECT__V1__TASK_KIND__TASK_KIND_REINSPECTION;
        req.follows_report = (char *)report;
        req.check_items = (char **)checks;
        req.n_check_items = nchecks;
    }
    return ins_cu_call_and_show(cli, "tasks create", DSP_METHOD("CreateTask"), &req.base,
                                &inspect__v1__create_task_response__descriptor, show_task_field);
}

/* ---- tasks assign ------------------------------------------------------- */

static void assign_help(void)
{
    printf("usage: inspectctl tasks assign TASK [--member DEPT=INSPECTOR[:override=REASON]]...\n"
           "                                   [--request-id ID]\n\n"
           "Names the team of a pending task. Without --member every slot is chosen\n"
           "automatically: per required department an active inspector holding the\n"
           "qualification through the deadline, under his maximum of open tasks, with\n"
           "no conflict of interest, serving the site's town (else the nearest); a\n"
           "bureau inspector leads. Each member's line says why he was chosen.\n"
           "  --member DEPT=INSPECTOR            names the member of DEPT (repeatable);\n"
           "                                     departments left out are automatic\n"
           "  --member DEPT=INSPECTOR:override=REASON\n"
           "                                     assigns him although a rule says no\n"
           "                                     (inactive, unqualified, at maximum,\n"
           "                                     conflict); audited as an override\n"
           "A department where nobody qualifies is refused (FAILED_PRECONDITION, naming\n"
           "the department and qualification) and raises an alert. Role: dispatcher.\n\n%s",
           ins_cli_global_help);
}

static int parse_member(const char *text, char *buf, size_t len, Inspect__V1__Assignment *a)
{
    snprintf(buf, len, "%s", text);
    char *eq = strchr(buf, '=');
    if (eq == NULL || eq == buf || eq[1] == '\0')
        return -1;
    *eq = '\0';
    inspect__v1__assignment__init(a);
    a->department = buf;
    a->inspector_id = eq + 1;
    char *ov = strstr(eq + 1, ":override=");
    if (ov != NULL) {
        *ov = '\0';
        a->override = 1;
        a->override_reason = ov + strlen(":override=");
        if (a->override_reason[0] == '\0')
            return -1;
    }
    return a->inspector_id[0] ? 0 : -1;
}

static int tasks_assign(ins_cli *cli, int argc, char **argv)
{
    const char *members[INS_CU_MAX_REPEAT];
    size_t nmembers;
    if (ins_cu_take_repeated(&argc, argv, "--member", members, &nmembers, "tasks assign") != 0)
        return INS_EXIT_USAGE;
    const char *rid = NULL;
    ins_cu_opt opts[] = {{"--request-id", &rid, NULL}, {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, assign_help, "tasks assign");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    static char bufs[INS_CU_MAX_REPEAT][512];
    Inspect__V1__Assignment as[INS_CU_MAX_REPEAT], *ptrs[INS_CU_MAX_REPEAT];
    for (size_t i = 0; i < nmembers; i++) {
        if (parse_member(members[i], bufs[i], sizeof bufs[i], &as[i]) != 0)
            return ins_cli_usage_error("tasks assign: --member '%s' is not "
                                       "DEPT=INSPECTOR[:override=REASON]",
                                       members[i]);
        ptrs[i] = &as[i];
    }
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "tasks assign");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__AssignTeamRequest req = INSPECT__V1__ASSIGN_TEAM_REQUEST__INIT;
    req.request_id = (char *)id;
    req.task_id = (char *)pos[0];
    req.assignments = ptrs;
    req.n_assignments = nmembers;
    return ins_cu_call_and_show(cli, "tasks assign", DSP_METHOD("AssignTeam"), &req.base,
                                &inspect__v1__assign_team_response__descriptor, show_task_field);
}

/* ---- tasks replace ------------------------------------------------------ */

static void replace_help(void)
{
    printf("usage: inspectctl tasks replace TASK INSPECTOR --reason R [--with ID]\n"
           "                                    [--override] [--request-id ID]\n\n"
           "Takes INSPECTOR off the team (he declined, or the bureau decides) and puts\n"
           "another in his place: ID with --with (checked by the same rules; --override\n"
           "sets a rule aside, with R as the reason), else the best by the rules. Raises\n"
           "a MEMBER_DECLINED alert. NOT_FOUND if INSPECTOR is not on the team.\n"
           "Role: dispatcher.\n"
           "  --reason R     why he is replaced (required)\n"
           "  --with ID      the replacement\n"
           "  --override     assign --with although a rule says no\n\n%s",
           ins_cli_global_help);
}

static int tasks_replace(ins_cli *cli, int argc, char **argv)
{
    const char *rid = NULL, *reason = NULL, *with = NULL;
    int override = 0;
    ins_cu_opt opts[] = {{"--reason", &reason, NULL},
                         {"--with", &with, NULL},
                         {"--override", NULL, &override},
                         {"--request-id", &rid, NULL},
                         {NULL, NULL, NULL}};
    const char *pos[2];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 2, 2, &npos, replace_help, "tasks replace");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("tasks replace", "--reason", reason) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    if (override && with == NULL)
        return ins_cli_usage_error("tasks replace: --override needs --with");
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "tasks replace");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__ReplaceMemberRequest req = INSPECT__V1__REPLACE_MEMBER_REQUEST__INIT;
    req.request_id = (char *)id;
    req.task_id = (char *)pos[0];
    req.inspector_id = (char *)pos[1];
    req.replacement_id = (char *)(with != NULL ? with : "");
    req.override = override;
    req.reason = (char *)reason;
    return ins_cu_call_and_show(cli, "tasks replace", DSP_METHOD("ReplaceMember"), &req.base,
                                &inspect__v1__replace_member_response__descriptor, show_task_field);
}

/* ---- tasks cancel ------------------------------------------------------- */

static void cancel_help(void)
{
    printf("usage: inspectctl tasks cancel TASK --reason R [--request-id ID]\n\n"
           "Cancels a task (its members' open tasks go down; an initial task's\n"
           "application goes back to review). Role: dispatcher.\n\n%s",
           ins_cli_global_help);
}

static int tasks_cancel(ins_cli *cli, int argc, char **argv)
{
    const char *rid = NULL, *reason = NULL;
    ins_cu_opt opts[] = {
        {"--reason", &reason, NULL}, {"--request-id", &rid, NULL}, {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, cancel_help, "tasks cancel");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("tasks cancel", "--reason", reason) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "tasks cancel");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__CancelTaskRequest req = INSPECT__V1__CANCEL_TASK_REQUEST__INIT;
    req.request_id = (char *)id;
    req.task_id = (char *)pos[0];
    req.reason = (char *)reason;
    return ins_cu_call_and_show(cli, "tasks cancel", DSP_METHOD("CancelTask"), &req.base,
                                &inspect__v1__cancel_task_response__descriptor, show_task_field);
}

/* ---- tasks get ---------------------------------------------------------- */

static void get_help(void)
{
    printf("usage: inspectctl tasks get TASK\n\n"
           "Shows one task: application, kind, state, deadline, and the team with why\n"
           "each member was chosen. Roles: dispatcher, auditor, department (its own).\n\n%s",
           ins_cli_global_help);
}

static int tasks_get(ins_cli *cli, int argc, char **argv)
{
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, NULL, pos, 1, 1, &npos, get_help, "tasks get");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    Inspect__V1__GetTaskRequest req = INSPECT__V1__GET_TASK_REQUEST__INIT;
    req.id = (char *)pos[0];
    return ins_cu_call_and_show(cli, "tasks get", DSP_METHOD("GetTask"), &req.base,
                                &inspect__v1__task__descriptor, show_task);
}

/* ---- tasks list --------------------------------------------------------- */

static void list_help(void)
{
    printf("usage: inspectctl tasks list [--state S] [--department D] [--inspector I]\n"
           "                             [--town T] [--overdue] [--page-size N]\n"
           "                             [--page-token T] [--all]\n\n"
           "Lists tasks ordered by id. Roles: dispatcher, auditor, department (its own).\n"
           "  --state S        pending, assigned, accepted, on_site, submitted,\n"
           "                   reconciled, closed, cancelled\n"
           "  --department D   tasks that need department D\n"
           "  --inspector I    tasks with inspector I on the team\n"
           "  --town T         tasks whose site is in town T\n"
           "  --overdue        open tasks past their deadline\n"
           "  --page-size N    tasks per page (server default 50, at most 500)\n"
           "  --page-token T   continue from a previous page\n"
           "  --all            fetch every page\n\n%s",
           ins_cli_global_help);
}

/* One row of `tasks list` into the table `arg` (NULL: out of memory). */
static void task_row(void *arg, const ProtobufCMessage *item)
{
    const Inspect__V1__Task *k = (const Inspect__V1__Task *)item;
    if (arg == NULL)
        return;
    char team[512] = "-", st_name[32];
    size_t len = 0;
    for (size_t j = 0; j < k->n_team && len < sizeof team; j++)
        len += (size_t)snprintf(team + len, sizeof team - len, "%s%s%s", j ? "," : "",
                                k->team[j]->inspector_id, k->team[j]->override ? "!" : "");
    snprintf(st_name, sizeof st_name, "%s", state_name(k->state));
    const char *row[] = {
        k->id, st_name, k->application_id, k->service_item, k->town, k->deadline_date, team};
    ins_cu_table_row(arg, row);
}

static int tasks_list(ins_cli *cli, int argc, char **argv)
{
    const char *state = NULL, *dept = NULL, *insp = NULL, *town = NULL, *size = NULL, *token = NULL;
    int all = 0, overdue = 0;
    ins_cu_opt opts[] = {
        {"--state", &state, NULL},      {"--department", &dept, NULL}, {"--inspector", &insp, NULL},
        {"--town", &town, NULL},        {"--overdue", NULL, &overdue}, {"--page-size", &size, NULL},
        {"--page-token", &token, NULL}, {"--all", NULL, &all},         {NULL, NULL, NULL},
    };
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, list_help, "tasks list");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    int st = 0;
    if (state != NULL &&
        (ins_pbjson_enum_parse(&inspect__v1__task_state__descriptor, state, &st) != 0 || st == 0))
        return ins_cli_usage_error("tasks list: --state '%s' is not a task state", state);
    uint64_t page_size = 0;
    if (size != NULL && ins_cu_parse_u64("--page-size", size, UINT32_MAX, &page_size) != 0)
        return INS_EXIT_USAGE;

    static const char *const heads[] = {"ID",   "STATE",    "APPLICATION", "ITEM",
                                        "TOWN", "DEADLINE", "TEAM"};
    ins_cu_table *t = cli->json ? NULL : ins_cu_table_new(7, heads);
    Inspect__V1__ListTasksRequest req = INSPECT__V1__LIST_TASKS_REQUEST__INIT;
    req.state = (Inspect__V1__TaskState)st;
    req.department = (char *)(dept != NULL ? dept : "");
    req.inspector_id = (char *)(insp != NULL ? insp : "");
    req.town = (char *)(town != NULL ? town : "");
    req.overdue = overdue;
    req.page_size = (uint32_t)page_size;
    ins_cu_pager pg = {
        .what = "tasks list",
        .method = DSP_METHOD("ListTasks"),
        .req = &req.base,
        .resp_desc = &inspect__v1__list_tasks_response__descriptor,
        .items_field = "tasks",
        .page_token = token,
        .all = all,
        .row = task_row,
        .arg = t,
    };
    size_t count;
    char *next;
    rc = ins_cu_page(cli, &pg, &count, &next);
    if (t != NULL && rc != INS_EXIT_OK) {
        ins_cu_table_free(t);
    } else if (t != NULL) {
        ins_cu_table_print(t);
        if (next != NULL)
            printf("(%zu shown; more: --page-token %s, or --all)\n", count, next);
        else
            printf("(%zu task%s; ! marks an override)\n", count, count == 1 ? "" : "s");
    }
    free(next);
    return rc;
}

int ins_cmd_tasks(ins_cli *cli, int argc, char **argv)
{
    static const ins_cu_sub subs[] = {
        {"create", "open an inspection task for an application under review", tasks_create},
        {"assign", "name the team: automatically, or the members you give", tasks_assign},
        {"replace", "replace a member (declined, or the bureau's decision)", tasks_replace},
        {"cancel", "cancel a task, with a reason", tasks_cancel},
        {"get", "show one task and its team", tasks_get},
        {"list", "list tasks by state, department, inspector, town, overdue", tasks_list},
    };
    return ins_cu_group(
        cli, argc, argv,
        "usage: inspectctl tasks COMMAND [options]\n\n"
        "Inspection tasks and their cross-department teams (inspect.v1.Dispatch).\n",
        subs, sizeof subs / sizeof subs[0]);
}

/* ---- alerts ------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void alerts_help(void)
{
    printf("usage: inspectctl alerts list [--department D] [--town T] [--acknowledged]\n"
           "       inspectctl alerts --follow [--department D] [--town T]\n"
           "       inspectctl alerts ack ALERT [--request-id ID]\n\n"
           "Alerts: WARNING (75 %% of a task's statutory limit used), OVERDUE (past\n"
           "it), NO_QUALIFIED (a department has nobody who qualifies), MEMBER_DECLINED,\n"
           "ESCALATED. `list` prints the open alerts; `--follow` prints them, then each\n"
           "new one as it arises, until Ctrl-C. A department sees only its own.\n"
           "Roles: dispatcher, department (list, --follow); dispatcher (ack).\n"
           "  --department D   only alerts concerning department D\n"
           "  --town T         only alerts for sites in town T\n"
           "  --acknowledged   list acknowledged alerts too\n\n%s",
           ins_cli_global_help);
}

static void alert_row(ins_cu_table *t, const Inspect__V1__Alert *a)
{
    char raised[32], kind[32];
    snprintf(kind, sizeof kind, "%s", ins_cu_enum(&inspect__v1__alert_kind__descriptor, a->kind));
    ins_cu_fmt_time(a->raised_unix, raised, sizeof raised);
    const char *row[] = {a->id,
                         kind,
                         a->task_id[0] ? a->task_id : "-",
                         a->department[0] ? a->department : "-",
                         a->town[0] ? a->town : "-",
                         raised,
                         a->acknowledged ? a->acknowledged_by : "-",
                         a->message};
    ins_cu_table_row(t, row);
}

static int alerts_watch(ins_cli *cli, int argc, char **argv)
{
    const char *dept = NULL, *town = NULL;
    int follow = 0, acked = 0;
    ins_cu_opt opts[] = {{"--department", &dept, NULL},
                         {"--town", &town, NULL},
                         {"--follow", NULL, &follow},
                         {"--acknowledged", NULL, &acked},
                         {NULL, NULL, NULL}};
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, NULL, 0, 0, &npos, alerts_help, "alerts");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    ins_client *c;
    if (ins_cli_connect(cli, &c) != INS_EXIT_OK)
        return INS_EXIT_FAIL;
    Inspect__V1__WatchAlertsRequest req = INSPECT__V1__WATCH_ALERTS_REQUEST__INIT;
    req.department = (char *)(dept != NULL ? dept : "");
    req.town = (char *)(town != NULL ? town : "");
    req.include_acknowledged = acked;
    if (follow)
        ins_cu_on_stop(on_signal);
    ins_stream *s;
    char *details = NULL;
    int code = ins_client_server_stream(
        c, DSP_METHOD("WatchAlerts"), &req.base, &inspect__v1__alert__descriptor,
        follow && !cli->timeout_set ? INS_TIMEOUT_NONE : INS_TIMEOUT_DEFAULT, &s, &details);
    if (code != 0) {
        ins_cli_fail(follow ? "alerts --follow" : "alerts list", code, details);
        free(details);
        ins_client_close(c);
        return INS_EXIT_FAIL;
    }
    static const char *const heads[] = {"ID",   "KIND",   "TASK",     "DEPARTMENT",
                                        "TOWN", "RAISED", "ACKED BY", "MESSAGE"};
    json_object *arr = !follow && cli->json ? json_object_new_array() : NULL;
    ins_cu_table *t = !follow && !cli->json ? ins_cu_table_new(8, heads) : NULL;
    size_t count = 0;
    int ended = 0;
    /* list: the stream's first burst, until it has been quiet for a moment;
     * follow: until Ctrl-C or the server ends the call */
    for (;;) {
        ProtobufCMessage *m = NULL;
        int r = ins_stream_recv(s, follow ? 250 : (count ? 300 : 2000), &m);
        if (r == 0) {
            ended = 1;
            break;
        }
        if (r < 0) {
            if (!follow || interrupted)
                break;
            continue;
        }
        const Inspect__V1__Alert *a = (const Inspect__V1__Alert *)m;
        count++;
        if (arr != NULL) {
            json_object_array_add(arr, ins_pbjson_print(m));
        } else if (t != NULL) {
            alert_row(t, a);
        } else if (cli->json) {
            ins_cu_print_json(m);
            fflush(stdout);
        } else {
            char raised[32];
            printf("%s  %-15s %-10s %-10s %s  %s\n",
                   ins_cu_fmt_time(a->raised_unix, raised, sizeof raised),
                   ins_cu_enum(&inspect__v1__alert_kind__descriptor, a->kind),
                   a->task_id[0] ? a->task_id : "-", a->department[0] ? a->department : "-", a->id,
                   a->message);
            fflush(stdout);
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (follow && interrupted)
            break;
    }
    if (!ended)
        ins_stream_cancel(s);
    code = ins_stream_finish(s, &details);
    rc = INS_EXIT_OK;
    if (code != 0 && !(code == GRPC_CANCELLED && !ended)) {
        ins_cli_fail(follow ? "alerts --follow" : "alerts list", code, details);
        rc = INS_EXIT_FAIL;
    }
    free(details);
    ins_client_close(c);
    if (t != NULL) {
        if (rc == INS_EXIT_OK) {
            ins_cu_table_print(t);
            printf("(%zu alert%s)\n", count, count == 1 ? "" : "s");
        } else {
            ins_cu_table_free(t);
        }
    }
    if (arr != NULL) {
        if (rc == INS_EXIT_OK) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "alerts", arr);
            rc = ins_cu_print_json_object(o);
            json_object_put(o);
        } else {
            json_object_put(arr);
        }
    }
    return rc;
}

static void ack_help(void)
{
    printf("usage: inspectctl alerts ack ALERT [--request-id ID]\n\n"
           "Acknowledges an open alert; the server records who did. NOT_FOUND for an\n"
           "unknown alert, FAILED_PRECONDITION if it was acknowledged already.\n"
           "Role: dispatcher.\n\n%s",
           ins_cli_global_help);
}

static void show_ack(const ProtobufCMessage *m)
{
    const Inspect__V1__Alert *a = ((const Inspect__V1__AckAlertResponse *)m)->alert;
    char when[32];
    if (a != NULL)
        printf("alert %s (%s, task %s) acknowledged by %s at %s\n", a->id,
               ins_cu_enum(&inspect__v1__alert_kind__descriptor, a->kind),
               a->task_id[0] ? a->task_id : "-", a->acknowledged_by,
               ins_cu_fmt_time(a->acknowledged_unix, when, sizeof when));
    else
        puts("ok");
}

static int alerts_ack(ins_cli *cli, int argc, char **argv)
{
    const char *rid = NULL;
    ins_cu_opt opts[] = {{"--request-id", &rid, NULL}, {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, ack_help, "alerts ack");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "alerts ack");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__AckAlertRequest req = INSPECT__V1__ACK_ALERT_REQUEST__INIT;
    req.request_id = (char *)id;
    req.alert_id = (char *)pos[0];
    return ins_cu_call_and_show(cli, "alerts ack", DSP_METHOD("AckAlert"), &req.base,
                                &inspect__v1__ack_alert_response__descriptor, show_ack);
}

int ins_cmd_alerts(ins_cli *cli, int argc, char **argv)
{
    /* `alerts --follow ...` has no subcommand word */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--follow") == 0) {
            if (argc > 1 && (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ack") == 0))
                break;
            return alerts_watch(cli, argc, argv);
        }
    static const ins_cu_sub subs[] = {
        {"list", "the open alerts (add --follow to keep watching)", alerts_watch},
        {"ack", "acknowledge an alert", alerts_ack},
    };
    return ins_cu_group(
        cli, argc, argv,
        "usage: inspectctl alerts COMMAND [options]\n"
        "       inspectctl alerts --follow [--department D] [--town T]\n\n"
        "Deadline and dispatch alerts (inspect.v1.Dispatch WatchAlerts, AckAlert).\n"
        "--follow prints the open alerts, then new ones, until Ctrl-C.\n",
        subs, sizeof subs / sizeof subs[0]);
}

/* ---- decision ----------------------------------------------------------- */

static void decision_help(void)
{
    printf("usage: inspectctl decision REPORT --approve|--reject --department D...\n"
           "                          --reasons R [--request-id ID]\n\n"
           "Records the outcome of a joint consultation review (会商会审) of an\n"
           "escalated reconciliation report. Role: dispatcher.\n"
           "  --approve / --reject   the outcome (exactly one)\n"
           "  --department D         a department that took part (repeatable)\n"
           "  --reasons R            the reasons (required)\n\n%s",
           ins_cli_global_help);
}

static void show_decision(const ProtobufCMessage *m)
{
    const Inspect__V1__JointDecisionResponse *r = (const Inspect__V1__JointDecisionResponse *)m;
    char when[32];
    printf("report %s: %s at %s\n", r->report_id, r->approve ? "approved" : "rejected",
           ins_cu_fmt_time(r->decided_unix, when, sizeof when));
}

int ins_cmd_decision(ins_cli *cli, int argc, char **argv)
{
    const char *depts[INS_CU_MAX_REPEAT];
    size_t ndepts;
    if (ins_cu_take_repeated(&argc, argv, "--department", depts, &ndepts, "decision") != 0)
        return INS_EXIT_USAGE;
    const char *rid = NULL, *reasons = NULL;
    int approve = 0, reject = 0;
    ins_cu_opt opts[] = {{"--approve", NULL, &approve},
                         {"--reject", NULL, &reject},
                         {"--reasons", &reasons, NULL},
                         {"--request-id", &rid, NULL},
                         {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, decision_help, "decision");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (approve == reject)
        return ins_cli_usage_error("decision: give exactly one of --approve and --reject");
    if (ndepts == 0)
        return ins_cli_usage_error("decision: name the departments that took part (--department)");
    if (ins_cu_require("decision", "--reasons", reasons) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "decision");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__JointDecisionRequest req = INSPECT__V1__JOINT_DECISION_REQUEST__INIT;
    req.request_id = (char *)id;
    req.report_id = (char *)pos[0];
    req.approve = approve;
    req.departments = (char **)depts;
    req.n_departments = ndepts;
    req.reasons = (char *)reasons;
    return ins_cu_call_and_show(cli, "decision", DSP_METHOD("RecordJointDecision"), &req.base,
                                &inspect__v1__joint_decision_response__descriptor, show_decision);
}
