/*
 * callstats.c - the grpc-prometheus family (grpc_server_started_total,
 * _handled_total, _msg_received_total, _msg_sent_total,
 * _handling_seconds) from per-worker, per-method counters.
 *
 * The call path only adds to its own worker's counters with relaxed
 * atomics; the collector, run at scrape on the metrics listener's thread,
 * adds every worker's up. Labels are those of go-grpc-prometheus, so its
 * dashboards work unchanged: grpc_service, grpc_method, grpc_type
 * (unary, client_stream, server_stream, bidi_stream) and grpc_code.
 * Calls of unknown methods are not counted (there is no method to label).
 * With the metrics endpoint off nothing is allocated and nothing counted.
 */
#include "runtime.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "status.h"

/* The counters of the call's method on its worker; NULL for an unknown
 * method or when the server keeps no counters (metrics off). */
static ins_method_stats *stats_of(ins_call *c)
{
    return c->method && c->worker->stats ? &c->worker->stats[c->method->index] : NULL;
}

static void bump(atomic_uint_fast64_t *v)
{
    atomic_fetch_add_explicit(v, 1, memory_order_relaxed);
}

void ins__stats_msg_in(ins_call *c)
{
    ins_method_stats *st = stats_of(c);
    if (st)
        bump(&st->msg_in);
}

void ins__stats_msg_out(ins_call *c)
{
    ins_method_stats *st = stats_of(c);
    if (st)
        bump(&st->msg_out);
}

void ins__stats_started(ins_call *c)
{
    ins_method_stats *st = stats_of(c);
    if (st)
        bump(&st->started);
}

void ins__stats_handled(ins_call *c, int64_t elapsed_ns)
{
    ins_method_stats *st = stats_of(c);
    if (!st)
        return;
    unsigned code = (unsigned)c->status < INS_GRPC_CODES ? (unsigned)c->status : 2 /* UNKNOWN */;
    bump(&st->handled[code]);
    ins_histo_observe(&st->seconds, elapsed_ns > 0 ? (uint64_t)elapsed_ns : 0);
}

static const char *type_name(ins_method_kind k)
{
    switch (k) {
    case INS_UNARY:
        return "unary";
    case INS_CLIENT_STREAM:
        return "client_stream";
    case INS_SERVER_STREAM:
        return "server_stream";
    case INS_BIDI_STREAM:
        return "bidi_stream";
    }
    return "unary";
}

static uint64_t sum(const ins_worker *ws, unsigned nw, size_t m, size_t off)
{
    uint64_t t = 0;
    for (unsigned w = 0; w < nw; w++)
        t += atomic_load_explicit(
            (const atomic_uint_fast64_t *)((const char *)&ws[w].stats[m] + off),
            memory_order_relaxed);
    return t;
}

/* The labels of method `m` (grpc_code, when not NULL, last). */
static void method_labels(const ins_method *m, const char *code, const char *labels[9])
{
    const char *l[9] = {"grpc_service",
                        m->service,
                        "grpc_method",
                        m->def.name,
                        "grpc_type",
                        type_name(m->def.kind),
                        code ? "grpc_code" : NULL,
                        code,
                        NULL};
    memcpy(labels, l, sizeof l);
}

/* One counter family over every method, from the field at `off`. */
static void counter_family(ins_metrics_out *out, const ins_method *ms, size_t n,
                           const ins_worker *ws, unsigned nw, const char *name, const char *help,
                           size_t off)
{
    ins_metrics_family(out, name, help, "counter");
    for (size_t m = 0; m < n; m++) {
        const char *labels[9];
        method_labels(&ms[m], NULL, labels);
        ins_metrics_sample_u64(out, name, labels, sum(ws, nw, m, off));
    }
}

static void collect(void *arg, ins_metrics_out *out)
{
    ins_server *s = arg;
    size_t n;
    unsigned nw;
    const ins_method *ms = ins__server_methods(s, &n);
    const ins_worker *ws = ins__server_workers(s, &nw);
    if (!ws || !ws[0].stats)
        return;
    counter_family(out, ms, n, ws, nw, "grpc_server_started_total",
                   "Total number of RPCs started on the server.",
                   offsetof(ins_method_stats, started));
    ins_metrics_family(out, "grpc_server_handled_total",
                       "Total number of RPCs completed on the server, regardless of success or "
                       "failure.",
                       "counter");
    for (size_t m = 0; m < n; m++) {
        for (unsigned code = 0; code < INS_GRPC_CODES; code++) {
            uint64_t v =
                sum(ws, nw, m,
                    offsetof(ins_method_stats, handled) + code * sizeof(atomic_uint_fast64_t));
            if (v == 0 && code != 0)
                continue; /* OK always, so rate() sees a method's first call */
            const char *labels[9];
            method_labels(&ms[m], ins_status_metric_name((grpc_status_code)code), labels);
            ins_metrics_sample_u64(out, "grpc_server_handled_total", labels, v);
        }
    }
    counter_family(out, ms, n, ws, nw, "grpc_server_msg_received_total",
                   "Total number of RPC stream messages received on the server.",
                   offsetof(ins_method_stats, msg_in));
    counter_family(out, ms, n, ws, nw, "grpc_server_msg_sent_total",
                   "Total number of gRPC stream messages sent by the server.",
                   offsetof(ins_method_stats, msg_out));
    ins_metrics_family(out, "grpc_server_handling_seconds",
                       "Histogram of response latency (seconds) of gRPC that had been application-"
                       "level handled by the server.",
                       "histogram");
    for (size_t m = 0; m < n; m++) {
        ins_histo h;
        ins_histo_init(&h, ins_histo_latency_ns, ins_histo_latency_n);
        for (unsigned w = 0; w < nw; w++)
            ins_histo_merge(&h, &ws[w].stats[m].seconds);
        const char *labels[9];
        method_labels(&ms[m], NULL, labels);
        ins_metrics_histogram(out, "grpc_server_handling_seconds", labels, &h, 1e9);
    }
}

int ins__stats_start(ins_server *s)
{
    size_t n;
    unsigned nw;
    ins__server_methods(s, &n);
    ins_worker *ws = ins__server_workers(s, &nw);
    for (unsigned w = 0; w < nw; w++) {
        ws[w].stats = calloc(n ? n : 1, sizeof(ins_method_stats));
        if (!ws[w].stats)
            return ENOMEM;
        for (size_t m = 0; m < n; m++)
            ins_histo_init(&ws[w].stats[m].seconds, ins_histo_latency_ns, ins_histo_latency_n);
    }
    return ins_metrics_collector_register(collect, s);
}

void ins__stats_stop(ins_server *s)
{
    unsigned nw;
    ins_metrics_unregister(s);
    ins_worker *ws = ins__server_workers(s, &nw);
    for (unsigned w = 0; w < nw; w++) {
        free(ws[w].stats);
        ws[w].stats = NULL;
    }
}
