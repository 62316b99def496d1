/*
 * metrics.h - the process's metric registry and the Prometheus text
 * exposition format (version 0.0.4) that /metrics serves.
 *
 * Nothing here is on the call path. Subsystems keep their own counters
 * (per-worker arrays, atomics, ins_histo) and register either a gauge (one
 * number from a function) or a collector (a function that writes whole
 * families, with labels, into the scrape). Both run on the HTTP listener's
 * thread at each scrape, under the registry's lock: they must be quick,
 * thread-safe, and must never call back into this registry.
 *
 * Registration may happen at any time (an object-store tier or a backup
 * scheduler registers when it starts); ins_metrics_unregister(arg) removes
 * everything registered with `arg`, so a subsystem that stops unregisters
 * before its state goes away. The registry lives for the whole process.
 */
#ifndef INS_METRICS_H
#define INS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ins_histo.h"

/* The scrape being written: a growing text buffer. */
typedef struct ins_metrics_out ins_metrics_out;

/* A gauge's current value; called at each scrape. */
typedef double (*ins_gauge_fn)(void *arg);

/* Writes whole families into `out` with the ins_metrics_* writers below. */
typedef void (*ins_collect_fn)(void *arg, ins_metrics_out *out);

/*
 * Registers gauge `name` (a Prometheus metric name, e.g.
 * "inspectd_backup_last_success_timestamp_seconds") with its help text;
 * `fn(arg)` gives the value at each scrape. `name` and `help` are copied.
 * Returns 0; INS_EINVAL for a name that is not [a-zA-Z_:][a-zA-Z0-9_:]*;
 * INS_EEXIST when the name is taken; ENOMEM.
 */
int ins_metrics_gauge_register(const char *name, const char *help, ins_gauge_fn fn, void *arg);

/* Registers a collector. Returns 0 or ENOMEM. */
int ins_metrics_collector_register(ins_collect_fn fn, void *arg);

/* Removes every gauge and collector registered with `arg`; waits for a
 * scrape in progress to end first, so `arg` may be freed afterwards. */
void ins_metrics_unregister(void *arg);

/*
 * Renders every registered gauge and collector. Returns a malloc'd text the
 * caller frees, its length in *len; NULL when out of memory.
 */
char *ins_metrics_render(size_t *len);

/* ---- writers for collectors ------------------------------------------- */

/* "# HELP name help" and "# TYPE name type" (type: "counter", "gauge",
 * "histogram"). Write once per family, before its samples. */
void ins_metrics_family(ins_metrics_out *out, const char *name, const char *help, const char *type);

/*
 * One sample. `labels` is NULL or pairs of strings, name then value,
 * ending with NULL: ins_metrics_sample(out, "x", (const char *[]){"kind",
 * "overdue", NULL}, 3). Values are escaped as the format needs.
 */
void ins_metrics_sample(ins_metrics_out *out, const char *name, const char *const *labels,
                        double value);

/* The same for a whole number, printed exactly (counters past 2^53). */
void ins_metrics_sample_u64(ins_metrics_out *out, const char *name, const char *const *labels,
                            uint64_t value);

/*
 * A histogram's samples: name_bucket{...,le="..."} (cumulative), name_sum
 * and name_count. Bounds and sum are divided by `unit` (1e9 turns
 * nanoseconds into the seconds Prometheus expects; 1 for plain counts).
 */
void ins_metrics_histogram(ins_metrics_out *out, const char *name, const char *const *labels,
                           const ins_histo *h, double unit);

#endif /* INS_METRICS_H */
