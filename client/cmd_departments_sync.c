/*
 * cmd_departments_sync.c - `inspectctl report`, `opinion` and `photo` (see
 * cmd_departments_sync.h; `changes` is in cmd_changes.c). `photo` writes the chunks of
 * GetPhoto to a temporary file next to FILE, hashing as it goes, and
 * renames it to FILE only when the SHA-256 of what arrived is the photo id.
 */
#include "cmd_departments_sync.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ins_sha256.h"
#include "cliutil.h"
#include "inspect/v1/departments.pb-c.h"
#include "ins_hex.h"
#include "ins_pbjson.h"

#define DEP_METHOD(m) "/inspect.v1.Departments/" m

/* ---- report ------------------------------------------------------------- */

static void report_help(void)
{
    printf("usage: inspectctl report (REPORT_ID | --task TASK_ID)\n\n"
           "Shows a task's reconciliation report (GetReconciliation): the outcome and\n"
           "its reasons, each declared fact against what the departments observed\n"
           "(match, mismatch, missing), the items that failed, items answered by\n"
           "several departments, the departments' opinions and, for an ESCALATE,\n"
           "the joint decision. Report ids are \"R-<task id>\".\n"
           "Roles: department (its own tasks), dispatcher, auditor.\n"
           "  --task TASK_ID   the report of this task\n\n%s",
           ins_cli_global_help);
}

static const char *verdict_name(int v)
{
    return ins_cu_enum(&inspect__v1__verdict__descriptor, v);
}

/* The value of an observation, into buf. */
static const char *obs_value(const Inspect__V1__Observation *o, char *buf, size_t len)
{
    switch (o->value_case) {
    case INSPECT__V1__OBSERVATION__VALUE_NUMBER:
        snprintf(buf, len, "%s", ins_cu_num(o->number));
        break;
    case INSPECT__V1__OBSERVATION__VALUE_FLAG:
        snprintf(buf, len, "%s", o->flag ? "yes" : "no");
        break;
    case INSPECT__V1__OBSERVATION__VALUE_CHOICE:
        snprintf(buf, len, "%s", o->choice);
        break;
    case INSPECT__V1__OBSERVATION__VALUE_TEXT:
        snprintf(buf, len, "%s", o->text);
        break;
    default:
        snprintf(buf, len, "-");
        break;
    }
    return buf;
}

/* "dept=value[ verdict]" for each observation, comma-separated, into buf. */
static const char *observations(Inspect__V1__Observation *const *obs, size_t n, int verdicts,
                                char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && at < len; i++) {
        char v[256];
        at += (size_t)snprintf(buf + at, len - at, "%s%s=%s", i ? ", " : "", obs[i]->department,
                               obs_value(obs[i], v, sizeof v));
        if (verdicts && obs[i]->verdict && at < len)
            at += (size_t)snprintf(buf + at, len - at, " (%s)", verdict_name(obs[i]->verdict));
    }
    if (n == 0)
        snprintf(buf, len, "-");
    return buf;
}

static const char *fact_value(const Inspect__V1__FactValue *v, char *buf, size_t len)
{
    if (v == NULL) {
        snprintf(buf, len, "-");
        return buf;
    }
    switch (v->value_case) {
    case INSPECT__V1__FACT_VALUE__VALUE_NUMBER:
        snprintf(buf, len, "%s%s%s", ins_cu_num(v->number), v->unit[0] ? " " : "", v->unit);
        break;
    case INSPECT__V1__FACT_VALUE__VALUE_FLAG:
        snprintf(buf, len, "%s", v->flag ? "yes" : "no");
        break;
    case INSPECT__V1__FACT_VALUE__VALUE_TEXT:
        snprintf(buf, len, "%s", v->text);
        break;
    default:
        snprintf(buf, len, "-");
        break;
    }
    return buf;
}

static void print_report(const Inspect__V1__Report *r)
{
    char t1[32], t2[32];
    printf("report:       %s\ntask:         %s\napplication:  %s\n", r->id, r->task_id,
           r->application_id);
    printf("outcome:      %s\n",
           r->outcome ? ins_cu_enum(&inspect__v1__outcome__descriptor, r->outcome) : "-");
    printf("created:      %s\n", ins_cu_fmt_time(r->created_unix, t1, sizeof t1));
    for (size_t i = 0; i < r->n_reasons; i++)
        printf("reason:       %s\n", r->reasons[i]);
    if (r->n_rectify_items > 0) {
        printf("rectify:      ");
        for (size_t i = 0; i < r->n_rectify_items; i++)
            printf("%s%s", i ? ", " : "", r->rectify_items[i]);
        putchar('\n');
    }
    if (r->reinspection_task_id[0])
        printf("reinspection: %s\n", r->reinspection_task_id);

    printf("\nfacts (%zu):\n", r->n_facts);
    if (r->n_facts > 0) {
        static const char *const heads[] = {"FACT", "DECLARED", "VERDICT", "OBSERVED", "NOTE"};
        ins_cu_table *t = ins_cu_table_new(5, heads);
        for (size_t i = 0; i < r->n_facts; i++) {
            const Inspect__V1__FactCheck *f = r->facts[i];
            char decl[512], verdict[32], obs[2048], note[1100];
            fact_value(f->declared, decl, sizeof decl);
            snprintf(verdict, sizeof verdict, "%s", verdict_name(f->verdict));
            observations(f->observed, f->n_observed, 1, obs, sizeof obs);
            snprintf(note, sizeof note, "%s%s%s", f->departments_disagree ? "[disagree] " : "",
                     f->reason, (!f->departments_disagree && !f->reason[0]) ? "-" : "");
            const char *row[] = {f->fact, decl, verdict, obs, note};
            ins_cu_table_row(t, row);
        }
        ins_cu_table_print(t);
    }

    printf("\nfailures (%zu):\n", r->n_failures);
    if (r->n_failures > 0) {
        static const char *const heads[] = {"DEPARTMENT", "ITEM", "SEVERITY", "TEXT", "REASON"};
        ins_cu_table *t = ins_cu_table_new(5, heads);
        for (size_t i = 0; i < r->n_failures; i++) {
            const Inspect__V1__ItemFailure *f = r->failures[i];
            char sev[32];
            snprintf(sev, sizeof sev, "%s",
                     f->severity ? ins_cu_enum(&inspect__v1__severity__descriptor, f->severity)
                                 : "-");
            const char *row[] = {f->department, f->item_code, sev, f->text, f->reason};
            ins_cu_table_row(t, row);
        }
        ins_cu_table_print(t);
    }

    printf("\nshared items (%zu):\n", r->n_shared_items);
    if (r->n_shared_items > 0) {
        static const char *const heads[] = {"ITEM", "AGREE", "OBSERVED"};
        ins_cu_table *t = ins_cu_table_new(3, heads);
        for (size_t i = 0; i < r->n_shared_items; i++) {
            const Inspect__V1__SharedItem *s = r->shared_items[i];
            char obs[2048];
            observations(s->observed, s->n_observed, 0, obs, sizeof obs);
            const char *row[] = {s->item_code, s->agree ? "yes" : "no", obs};
            ins_cu_table_row(t, row);
        }
        ins_cu_table_print(t);
    }

    printf("\nopinions (%zu):\n", r->n_opinions);
    if (r->n_opinions > 0) {
        static const char *const heads[] = {"DEPARTMENT", "OPINION", "BY", "GIVEN", "REASONS"};
        ins_cu_table *t = ins_cu_table_new(5, heads);
        for (size_t i = 0; i < r->n_opinions; i++) {
            const Inspect__V1__Opinion *o = r->opinions[i];
            const char *row[] = {o->department, o->approve ? "approve" : "reject", o->by,
                                 ins_cu_fmt_time(o->given_unix, t1, sizeof t1), o->reasons};
            ins_cu_table_row(t, row);
        }
        ins_cu_table_print(t);
    }

    const Inspect__V1__JointDecision *d = r->joint_decision;
    if (d == NULL) {
        printf("\njoint decision: %s\n",
               r->outcome == INSPECT__V1__OUTCOME__OUTCOME_ESCALATE ? "(not yet)" : "-");
        return;
    }
    printf("\njoint decision: %s by %s at %s\n", d->approve ? "approved" : "rejected", d->by,
           ins_cu_fmt_time(d->decided_unix, t2, sizeof t2));
    printf("  departments:  ");
    for (size_t i = 0; i < d->n_departments; i++)
        printf("%s%s", i ? ", " : "", d->departments[i]);
    printf("\n  reasons:      %s\n", d->reasons);
}

static void show_report(const ProtobufCMessage *m)
{
    print_report((const Inspect__V1__Report *)m);
}

int ins_cmd_report(ins_cli *cli, int argc, char **argv)
{
    const char *task = NULL;
    ins_cu_opt opts[] = {{"--task", &task, NULL}, {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 0, 1, &npos, report_help, "report");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if ((npos == 1) == (task != NULL))
        return ins_cli_usage_error("report: give exactly one of REPORT_ID and --task TASK_ID");
    if ((npos == 1 && pos[0][0] == '\0') || (task != NULL && task[0] == '\0'))
        return ins_cli_usage_error("report: the id must not be empty");
    Inspect__V1__GetReconciliationRequest req = INSPECT__V1__GET_RECONCILIATION_REQUEST__INIT;
    if (npos == 1)
        req.report_id = (char *)pos[0];
    else
        req.task_id = (char *)task;
    return ins_cu_call_and_show(cli, "report", DEP_METHOD("GetReconciliation"), &req.base,
                                &inspect__v1__report__descriptor, show_report);
}

/* ---- opinion ------------------------------------------------------------ */

static void opinion_help(void)
{
    printf("usage: inspectctl opinion REPORT_ID --approve|--reject --reasons TEXT\n"
           "                         [--request-id ID]\n\n"
           "Records your department's formal opinion on a reconciliation report\n"
           "(SubmitOpinion). Once every required department has approved, the\n"
           "application moves to the decision stage. One opinion per department:\n"
           "a second one is refused (FAILED_PRECONDITION); the same --request-id\n"
           "replays the first answer. Role: department.\n"
           "  --approve / --reject   the opinion (exactly one)\n"
           "  --reasons TEXT         the reasons (required)\n"
           "  --request-id ID        idempotency key (default: random)\n\n%s",
           ins_cli_global_help);
}

static void show_opinion(const ProtobufCMessage *m)
{
    const Inspect__V1__SubmitOpinionResponse *r = (const Inspect__V1__SubmitOpinionResponse *)m;
    const Inspect__V1__Report *rep = r->report;
    if (rep == NULL) {
        puts("ok");
        return;
    }
    size_t approved = 0;
    for (size_t i = 0; i < rep->n_opinions; i++)
        approved += rep->opinions[i]->approve ? 1 : 0;
    printf("report %s: %zu opinion%s (%zu approve, %zu reject)\n", rep->id, rep->n_opinions,
           rep->n_opinions == 1 ? "" : "s", approved, rep->n_opinions - approved);
    for (size_t i = 0; i < rep->n_opinions; i++) {
        char when[32];
        const Inspect__V1__Opinion *o = rep->opinions[i];
        printf("  %-12s %-8s by %s at %s: %s\n", o->department, o->approve ? "approve" : "reject",
               o->by, ins_cu_fmt_time(o->given_unix, when, sizeof when), o->reasons);
    }
    if (r->application != NULL)
        printf("application %s: stage %s\n", r->application->id,
               ins_cu_enum(&inspect__v1__stage__descriptor, r->application->stage));
}

int ins_cmd_opinion(ins_cli *cli, int argc, char **argv)
{
    const char *rid = NULL, *reasons = NULL;
    int approve = 0, reject = 0;
    ins_cu_opt opts[] = {{"--approve", NULL, &approve},
                         {"--reject", NULL, &reject},
                         {"--reasons", &reasons, NULL},
                         {"--request-id", &rid, NULL},
                         {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, opinion_help, "opinion");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (approve == reject)
        return ins_cli_usage_error("opinion: give exactly one of --approve and --reject");
    if (ins_cu_require("opinion", "--reasons", reasons) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    char buf[INS_CU_REQUEST_ID_LEN];
    const char *id = ins_cu_request_id(rid, buf, "opinion");
    if (id == NULL)
        return INS_EXIT_USAGE;
    Inspect__V1__SubmitOpinionRequest req = INSPECT__V1__SUBMIT_OPINION_REQUEST__INIT;
    req.request_id = (char *)id;
    req.report_id = (char *)pos[0];
    req.approve = approve;
    req.reasons = (char *)reasons;
    return ins_cu_call_and_show(cli, "opinion", DEP_METHOD("SubmitOpinion"), &req.base,
                                &inspect__v1__submit_opinion_response__descriptor, show_opinion);
}

/* ---- photo -------------------------------------------------------------- */

static void photo_help(void)
{
    printf("usage: inspectctl photo PHOTO_ID -o FILE\n\n"
           "Downloads a photo (GetPhoto) into FILE. PHOTO_ID is the SHA-256 of the\n"
           "photo's bytes in hex; the download is checked against it and FILE is\n"
           "written only when they agree (exit 1 otherwise, FILE untouched).\n"
           "Roles: department (on the task), dispatcher, auditor.\n"
           "  -o FILE   where to write the photo (replaced if it exists); -o - writes\n"
           "            standard output as it arrives (and exit 1 if the bytes turn\n"
           "            out not to be the photo), the summary on stderr\n\n%s",
           ins_cli_global_help);
}

static int is_sha256_hex(const char *s)
{
    size_t n = strlen(s);
    if (n != 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

/* Receives every chunk of `s` into `f`, hashing into `md`. Returns 0, or
 * -1 after printing why (the stream is then cancelled by the caller). */
static int photo_receive(ins_stream *s, FILE *f, EVP_MD_CTX *md, const char *id, uint64_t *got,
                         uint64_t *total, char *media, size_t media_len)
{
    for (;;) {
        ProtobufCMessage *m = NULL;
        int r = ins_stream_recv(s, INS_TIMEOUT_NONE, &m);
        if (r == 0)
            return 0;
        if (r < 0)
            continue;
        const Inspect__V1__PhotoChunk *ch = (const Inspect__V1__PhotoChunk *)m;
        int bad = 0;
        if (ch->offset != *got) {
            fprintf(stderr,
                    "inspectctl: photo %s: chunk at offset %" PRIu64 ", expected %" PRIu64 "\n", id,
                    ch->offset, *got);
            bad = 1;
        } else {
            if (*got == 0 && ch->total_size)
                *total = ch->total_size;
            if (*got == 0 && ch->media_type[0])
                snprintf(media, media_len, "%s", ch->media_type);
            if (ch->data.len > 0 && (fwrite(ch->data.data, 1, ch->data.len, f) != ch->data.len ||
                                     EVP_DigestUpdate(md, ch->data.data, ch->data.len) != 1)) {
                fprintf(stderr, "inspectctl: photo %s: cannot write: %s\n", id, strerror(errno));
                bad = 1;
            }
            *got += ch->data.len;
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (bad)
            return -1;
    }
}

int ins_cmd_photo(ins_cli *cli, int argc, char **argv)
{
    const char *out = NULL;
    ins_cu_opt opts[] = {{"-o", &out, NULL}, {"--output", &out, NULL}, {NULL, NULL, NULL}};
    const char *pos[1];
    int npos;
    int rc = ins_cu_args(cli, argc, argv, 1, opts, pos, 1, 1, &npos, photo_help, "photo");
    if (rc != INS_EXIT_OK)
        return rc < 0 ? INS_EXIT_OK : rc;
    if (ins_cu_require("photo", "-o FILE", out) != INS_EXIT_OK)
        return INS_EXIT_USAGE;
    const char *id = pos[0];
    if (!is_sha256_hex(id))
        return ins_cli_usage_error("photo: '%s' is not a photo id (64 hex digits of SHA-256)", id);

    int to_stdout = ins_cu_is_stdio(out);
    size_t tmplen = strlen(out) + 16;
    char *tmp = malloc(tmplen);
    if (tmp == NULL) {
        fprintf(stderr, "inspectctl: photo: out of memory\n");
        return INS_EXIT_FAIL;
    }
    snprintf(tmp, tmplen, "%s.XXXXXX", out);
    int fd = to_stdout ? dup(STDOUT_FILENO) : mkstemp(tmp);
    if (fd >= 0 && !to_stdout) { /* mkstemp makes it 0600; give FILE the usual mode */
        mode_t um = umask(0);
        umask(um);
        (void)fchmod(fd, 0666 & ~um);
    }
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (f == NULL) {
        fprintf(stderr, "inspectctl: %s: %s\n", out, strerror(errno));
        if (fd >= 0) {
            close(fd);
            if (!to_stdout)
                unlink(tmp);
        }
        free(tmp);
        return INS_EXIT_FAIL;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, ins_sha256_md(), NULL) != 1) {
        fprintf(stderr, "inspectctl: photo: cannot start SHA-256\n");
        EVP_MD_CTX_free(md);
        fclose(f);
        if (!to_stdout)
            unlink(tmp);
        free(tmp);
        return INS_EXIT_FAIL;
    }

    ins_client *c = NULL;
    rc = ins_cli_connect(cli, &c);
    uint64_t got = 0, total = 0;
    char media[128] = "";
    if (rc == INS_EXIT_OK) {
        Inspect__V1__GetPhotoRequest req = INSPECT__V1__GET_PHOTO_REQUEST__INIT;
        req.photo_id = (char *)id;
        ins_stream *s;
        char *details = NULL;
        int code = ins_client_server_stream(c, DEP_METHOD("GetPhoto"), &req.base,
                                            &inspect__v1__photo_chunk__descriptor,
                                            INS_TIMEOUT_DEFAULT, &s, &details);
        if (code != 0) {
            rc = ins_cli_fail("photo", code, details);
        } else {
            int r = photo_receive(s, f, md, id, &got, &total, media, sizeof media);
            if (r != 0)
                ins_stream_cancel(s);
            code = ins_stream_finish(s, &details);
            if (r != 0)
                rc = INS_EXIT_FAIL;
            else if (code != 0)
                rc = ins_cli_fail("photo", code, details);
        }
        free(details);
        ins_client_close(c);
    }
    if (fclose(f) != 0 && rc == INS_EXIT_OK) {
        fprintf(stderr, "inspectctl: %s: %s\n", out, strerror(errno));
        rc = INS_EXIT_FAIL;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    if (EVP_DigestFinal_ex(md, digest, &dlen) == 1)
        ins_hex_encode(digest, dlen, hex);
    EVP_MD_CTX_free(md);
    if (rc == INS_EXIT_OK && total != 0 && got != total) {
        fprintf(stderr, "inspectctl: photo %s: received %" PRIu64 " bytes of %" PRIu64 "; %s\n", id,
                got, total, to_stdout ? "discard what was written" : "FILE not written");
        rc = INS_EXIT_FAIL;
    }
    if (rc == INS_EXIT_OK && strcasecmp(hex, id) != 0) {
        fprintf(stderr,
                "inspectctl: photo %s: SHA-256 of the %" PRIu64
                " bytes received is %s, not the photo id; %s\n",
                id, got, hex, to_stdout ? "discard what was written" : "FILE not written");
        rc = INS_EXIT_FAIL;
    }
    if (rc == INS_EXIT_OK && !to_stdout && rename(tmp, out) != 0) {
        fprintf(stderr, "inspectctl: %s: %s\n", out, strerror(errno));
        rc = INS_EXIT_FAIL;
    }
    if (rc != INS_EXIT_OK && !to_stdout)
        unlink(tmp);
    free(tmp);
    if (rc != INS_EXIT_OK)
        return rc;
    if (to_stdout) { /* stdout carries the photo */
        fprintf(stderr, "photo %s: %" PRIu64 " bytes%s%s%s -> standard output (SHA-256 verified)\n",
                id, got, media[0] ? " (" : "", media, media[0] ? ")" : "");
        return INS_EXIT_OK;
    }
    if (cli->json) {
        char size[24];
        snprintf(size, sizeof size, "%" PRIu64, got);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "photo_id", json_object_new_string(hex));
        json_object_object_add(o, "size", json_object_new_string(size));
        json_object_object_add(o, "media_type", json_object_new_string(media));
        json_object_object_add(o, "file", json_object_new_string(out));
        rc = ins_cu_print_json_object(o);
        json_object_put(o);
        return rc;
    }
    printf("photo %s: %" PRIu64 " bytes%s%s%s -> %s (SHA-256 verified)\n", id, got,
           media[0] ? " (" : "", media, media[0] ? ")" : "", out);
    return INS_EXIT_OK;
}
