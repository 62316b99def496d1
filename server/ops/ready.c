/*
 * ready.c - the readiness registry (see ready.h): a small array under one
 * mutex, taken to register, unregister and probe.
 */
#include "ready.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"

typedef struct check {
    char *name;
    ins_ready_fn fn;
    void *arg;
} check;

static pthread_mutex_t ready_mu = PTHREAD_MUTEX_INITIALIZER;
static check *checks;
static size_t n_checks, cap_checks;

int ins_ready_register(const char *name, ins_ready_fn fn, void *arg)
{
    if (!name || !*name || !fn)
        return INS_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&ready_mu);
    for (size_t i = 0; i < n_checks; i++)
        if (strcmp(checks[i].name, name) == 0)
            rc = INS_EEXIST;
    if (rc == 0 && n_checks == cap_checks) {
        size_t cap = cap_checks ? cap_checks * 2 : 8;
        check *nc = realloc(checks, cap * sizeof *nc);
        if (nc) {
            checks = nc;
            cap_checks = cap;
        } else {
            rc = ENOMEM;
        }
    }
    char *copy = rc == 0 ? strdup(name) : NULL;
    if (rc == 0 && !copy)
        rc = ENOMEM;
    if (rc == 0)
        checks[n_checks++] = (check){copy, fn, arg};
    pthread_mutex_unlock(&ready_mu);
    return rc;
}

void ins_ready_unregister(void *arg)
{
    pthread_mutex_lock(&ready_mu);
    size_t k = 0;
    for (size_t i = 0; i < n_checks; i++) {
        if (checks[i].arg == arg)
            free(checks[i].name);
        else
            checks[k++] = checks[i];
    }
    n_checks = k;
    pthread_mutex_unlock(&ready_mu);
}

int ins_ready_report(char *out, size_t outlen)
{
    int ready = 1;
    size_t used = 0;
    if (outlen)
        out[0] = '\0';
    pthread_mutex_lock(&ready_mu);
    for (size_t i = 0; i < n_checks; i++) {
        char why[256] = "";
        int bad = checks[i].fn(checks[i].arg, why, sizeof why);
        if (bad)
            ready = 0;
        if (used < outlen) {
            int n = bad ? snprintf(out + used, outlen - used, "fail %s: %s\n", checks[i].name,
                                   why[0] ? why : "not ready")
                        : snprintf(out + used, outlen - used, "ok %s\n", checks[i].name);
            if (n > 0)
                used += (size_t)n < outlen - used ? (size_t)n : outlen - used - 1;
        }
    }
    pthread_mutex_unlock(&ready_mu);
    return ready;
}
