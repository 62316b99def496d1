/*
 * cliargs.c - how inspectctl reads its command line, in one place: the
 * defaults and global options (cli.h), durations, the one usage-error
 * style, and the argument parser with its named missing arguments
 * (cliutil.h: ins_cu_args, ins_cu_require, ins_cu_parse_u64).
 *
 * Kept apart from the network helpers of cliutil.c so that the offline
 * tool inspectctl-backup, which must not link the gRPC client, parses and
 * reports exactly as inspectctl does. No gRPC, no server.
 */
#include "cliutil.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ins_cli_defaults(ins_cli *cli)
{
    memset(cli, 0, sizeof *cli);
    const char *srv = getenv("INSPECT_SERVER");
    cli->server = (srv != NULL && srv[0] != '\0') ? srv : "127.0.0.1:50051";
    const char *tok = getenv("INSPECT_TOKEN");
    cli->token = (tok != NULL && tok[0] != '\0') ? tok : NULL;
    const char *district = getenv("INSPECT_DISTRICT");
    cli->district = (district != NULL && district[0] != '\0') ? district : NULL;
    cli->timeout_ms = 10000;
}

int ins_cli_parse_duration_ms(const char *text, int64_t *ms)
{
    if (text == NULL || !isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    char *end;
    long long n = strtoll(text, &end, 10);
    if (errno != 0 || n < 0)
        return -1;
    long long mult;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "m") == 0)
        mult = 60 * 1000;
    else if (strcmp(end, "h") == 0)
        mult = 3600 * 1000;
    else
        return -1;
    if (n > INT64_MAX / mult)
        return -1;
    *ms = (int64_t)(n * mult);
    return 0;
}

int ins_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("inspectctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return INS_EXIT_USAGE;
}

int ins_cli_global_option(ins_cli *cli, int argc, char **argv, int *i)
{
    static const struct {
        const char *name;
        size_t off;
    } str_opts[] = {
        {"--server", offsetof(ins_cli, server)},
        {"--token", offsetof(ins_cli, token)},
        {"--ca", offsetof(ins_cli, ca)},
        {"--cert", offsetof(ins_cli, cert)},
        {"--key", offsetof(ins_cli, key)},
        {"--target-name", offsetof(ins_cli, target_name)},
        {"--district", offsetof(ins_cli, district)},
    };
    const char *arg = argv[*i];
    if (strcmp(arg, "--json") == 0) {
        cli->json = 1;
        *i += 1;
        return 1;
    }
    int is_timeout = strcmp(arg, "--timeout") == 0;
    size_t k;
    for (k = 0; k < sizeof str_opts / sizeof str_opts[0]; k++)
        if (strcmp(arg, str_opts[k].name) == 0)
            break;
    if (!is_timeout && k == sizeof str_opts / sizeof str_opts[0])
        return 0;
    if (*i + 1 >= argc) {
        ins_cli_usage_error("%s needs a value", arg);
        return -1;
    }
    const char *value = argv[*i + 1];
    if (is_timeout) {
        if (ins_cli_parse_duration_ms(value, &cli->timeout_ms) != 0) {
            ins_cli_usage_error("--timeout: '%s' is not a duration such as 500ms, 10s, 2m", value);
            return -1;
        }
        cli->timeout_set = 1;
    } else {
        *(const char **)((char *)cli + str_opts[k].off) = value;
    }
    *i += 2;
    return 1;
}

int ins_cu_parse_u64(const char *opt, const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text == NULL || text[0] < '0' || text[0] > '9') {
        ins_cli_usage_error("%s: '%s' is not a number", opt, text ? text : "");
        return -1;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        ins_cli_usage_error("%s: '%s' is not a number from 0 to %" PRIu64, opt, text, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- arguments --------------------------------------------------------- */

int ins_cu_require(const char *what, const char *name, const char *value)
{
    if (value != NULL && value[0] != '\0')
        return INS_EXIT_OK;
    return ins_cli_usage_error("%s: missing %s", what, name);
}

/*
 * The name of positional argument `index` as the usage line of `help`
 * spells it ("usage: inspectctl tasks create APP [--request-id ID]" gives
 * APP for 0), into `out`; "argument" when the line says nothing usable.
 * The help text is captured by pointing stdout at a memory stream for the
 * call (glibc's stdout is assignable); nothing reaches the terminal.
 */
static void positional_name(void (*help)(void), const char *what, int index, char *out, size_t len)
{
    snprintf(out, len, "argument");
    char *text = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&text, &n);
    if (mem == NULL)
        return;
    fflush(stdout);
    FILE *saved = stdout;
    stdout = mem;
    help();
    stdout = saved;
    fclose(mem);
    char *line = text != NULL ? strstr(text, what) : NULL;
    if (line != NULL) {
        line += strlen(what);
        char *end = strchr(line, '\n');
        if (end != NULL)
            *end = '\0';
        int k = 0;
        for (char *save = NULL, *w = strtok_r(line, " ", &save); w != NULL;
             w = strtok_r(NULL, " ", &save)) {
            if (w[0] == '[' || w[0] == '-' || w[0] == '(' || w[0] == '|')
                break;
            if (k++ == index) {
                snprintf(out, len, "%s", w);
                break;
            }
        }
    }
    free(text);
}

int ins_cu_args(ins_cli *cli, int argc, char **argv, int first, const ins_cu_opt *opts,
                const char **pos, int min_pos, int max_pos, int *npos, void (*help)(void),
                const char *what)
{
    *npos = 0;
    for (int i = first; i < argc;) {
        int r = cli != NULL ? ins_cli_global_option(cli, argc, argv, &i) : 0;
        if (r < 0)
            return INS_EXIT_USAGE;
        if (r > 0)
            continue;
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help();
            return -1;
        }
        if (a[0] == '-' && a[1] != '\0') {
            const ins_cu_opt *o = opts;
            while (o != NULL && o->name != NULL && strcmp(o->name, a) != 0)
                o++;
            if (o == NULL || o->name == NULL)
                return ins_cli_usage_error("%s: unknown option %s", what, a);
            if (o->value == NULL) {
                *o->flag = 1;
                i++;
                continue;
            }
            if (i + 1 >= argc)
                return ins_cli_usage_error("%s: %s needs a value", what, a);
            *o->value = argv[i + 1];
            i += 2;
            continue;
        }
        if (*npos >= max_pos)
            return ins_cli_usage_error("%s: unexpected argument '%s'", what, a);
        pos[(*npos)++] = a;
        i++;
    }
    if (*npos < min_pos) {
        char name[64];
        positional_name(help, what, *npos, name, sizeof name);
        return ins_cli_usage_error("%s: missing %s", what, name);
    }
    return INS_EXIT_OK;
}

int ins_cu_is_stdio(const char *path)
{
    return path != NULL && strcmp(path, "-") == 0;
}
