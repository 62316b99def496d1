/*
 * metrics.c - the metric registry and the text exposition writer (see
 * metrics.h).
 *
 * The registry is a small array of entries under one mutex, taken only to
 * register, unregister and scrape. A scrape renders into one growing buffer;
 * a failed allocation marks the buffer broken and render returns NULL.
 */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"

struct ins_metrics_out {
    char *buf;
    size_t len, cap;
    int broken;
};

typedef struct entry {
    char *name, *help;  /* gauges only */
    ins_gauge_fn gauge; /* or */
    ins_collect_fn collect;
    void *arg;
} entry;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static entry *entries;
static size_t n_entries, cap_entries;

static void out_append(ins_metrics_out *o, const char *s, size_t n)
{
    if (o->broken)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 8192;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *nb = realloc(o->buf, cap);
        if (!nb) {
            o->broken = 1;
            return;
        }
        o->buf = nb;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_printf(ins_metrics_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void out_printf(ins_metrics_out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        out_append(o, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        o->broken = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out_append(o, big, (size_t)n);
    free(big);
}

/* Appends `s` escaped for a HELP line (esc_quote = 0) or a label value. */
static void out_escaped(ins_metrics_out *o, const char *s, int esc_quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            out_append(o, "\\\\", 2);
        else if (*s == '\n')
            out_append(o, "\\n", 2);
        else if (*s == '"' && esc_quote)
            out_append(o, "\\\"", 2);
        else
            out_append(o, s, 1);
    }
}

static int valid_name(const char *name)
{
    if (!name || !*name || (*name >= '0' && *name <= '9'))
        return 0;
    for (const char *p = name; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '_' || *p == ':';
        if (!ok)
            return 0;
    }
    return 1;
}

static int add_entry(const entry *e)
{
    if (n_entries == cap_entries) {
        size_t cap = cap_entries ? cap_entries * 2 : 16;
        entry *ne = realloc(entries, cap * sizeof *ne);
        if (!ne)
            return ENOMEM;
        entries = ne;
        cap_entries = cap;
    }
    entries[n_entries++] = *e;
    return 0;
}

int ins_metrics_gauge_register(const char *name, const char *help, ins_gauge_fn fn, void *arg)
{
    if (!valid_name(name) || !fn)
        return INS_EINVAL;
    pthread_mutex_lock(&reg_mu);
    int rc = 0;
    for (size_t i = 0; i < n_entries; i++)
        if (entries[i].name && strcmp(entries[i].name, name) == 0)
            rc = INS_EEXIST;
    entry e = {.name = strdup(name), .help = strdup(help ? help : ""), .gauge = fn, .arg = arg};
    if (rc == 0 && (!e.name || !e.help))
        rc = ENOMEM;
    if (rc == 0)
        rc = add_entry(&e);
    if (rc != 0) {
        free(e.name);
        free(e.help);
    }
    pthread_mutex_unlock(&reg_mu);
    return rc;
}

int ins_metrics_collector_register(ins_collect_fn fn, void *arg)
{
    if (!fn)
        return INS_EINVAL;
    pthread_mutex_lock(&reg_mu);
    int rc = add_entry(&(entry){.collect = fn, .arg = arg});
    pthread_mutex_unlock(&reg_mu);
    return rc;
}

void ins_metrics_unregister(void *arg)
{
    pthread_mutex_lock(&reg_mu);
    size_t k = 0;
    for (size_t i = 0; i < n_entries; i++) {
        if (entries[i].arg == arg) {
            free(entries[i].name);
            free(entries[i].help);
        } else {
            entries[k++] = entries[i];
        }
    }
    n_entries = k;
    pthread_mutex_unlock(&reg_mu);
}

char *ins_metrics_render(size_t *len)
{
    ins_metrics_out o = {0};
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; i < n_entries; i++) {
        const entry *e = &entries[i];
        if (e->collect) {
            e->collect(e->arg, &o);
        } else {
            ins_metrics_family(&o, e->name, e->help, "gauge");
            ins_metrics_sample(&o, e->name, NULL, e->gauge(e->arg));
        }
    }
    pthread_mutex_unlock(&reg_mu);
    out_append(&o, "", 0); /* an empty scrape is still a string */
    if (o.broken) {
        free(o.buf);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}

void ins_metrics_family(ins_metrics_out *o, const char *name, const char *help, const char *type)
{
    out_printf(o, "# HELP %s ", name);
    out_escaped(o, help, 0);
    out_printf(o, "\n# TYPE %s %s\n", name, type);
}

/* name{a="x",b="y"  (the closing brace is the caller's: `le` may follow). */
static void sample_head(ins_metrics_out *o, const char *name, const char *const *labels)
{
    out_append(o, name, strlen(name));
    out_append(o, "{", 1);
    for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
        out_printf(o, "%s%s=\"", i ? "," : "", labels[i]);
        out_escaped(o, labels[i + 1], 1);
        out_append(o, "\"", 1);
    }
}

static int has_labels(const char *const *labels)
{
    return labels && labels[0];
}

static void sample_value(ins_metrics_out *o, double v)
{
    if (isnan(v))
        out_append(o, " NaN\n", 5);
    else if (isinf(v))
        out_printf(o, " %s\n", v > 0 ? "+Inf" : "-Inf");
    else
        out_printf(o, " %.15g\n", v);
}

/* name{labels} or the bare name, before the value. */
static void sample_series(ins_metrics_out *o, const char *name, const char *const *labels)
{
    if (has_labels(labels)) {
        sample_head(o, name, labels);
        out_append(o, "}", 1);
    } else {
        out_append(o, name, strlen(name));
    }
}

void ins_metrics_sample(ins_metrics_out *o, const char *name, const char *const *labels,
                        double value)
{
    sample_series(o, name, labels);
    sample_value(o, value);
}

void ins_metrics_sample_u64(ins_metrics_out *o, const char *name, const char *const *labels,
                            uint64_t value)
{
    sample_series(o, name, labels);
    out_printf(o, " %" PRIu64 "\n", value);
}

void ins_metrics_histogram(ins_metrics_out *o, const char *name, const char *const *labels,
                           const ins_histo *h, double unit)
{
    char series[160];
    uint64_t cum = 0;
    snprintf(series, sizeof series, "%s_bucket", name);
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cum += atomic_load_explicit(&h->count[i], memory_order_relaxed);
        sample_head(o, series, labels);
        if (i < h->n_bounds)
            out_printf(o, "%sle=\"%.6g\"} %" PRIu64 "\n", has_labels(labels) ? "," : "",
                       (double)h->bounds[i] / unit, cum);
        else
            out_printf(o, "%sle=\"+Inf\"} %" PRIu64 "\n", has_labels(labels) ? "," : "", cum);
    }
    snprintf(series, sizeof series, "%s_sum", name);
    ins_metrics_sample(o, series, labels,
                       (double)atomic_load_explicit(&h->sum, memory_order_relaxed) / unit);
    snprintf(series, sizeof series, "%s_count", name);
    ins_metrics_sample_u64(o, series, labels, cum);
}
