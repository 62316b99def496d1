/*
 * plimit.c - per-principal call rate and open streams (see plimit.h).
 *
 * Each shard is a chained hash of records {principal, tokens, when the
 * bucket was last filled, open streams}. The bucket refills continuously at
 * `rate` tokens a second up to `burst`; a call takes one token.
 */
#include "plimit.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"
#include "ins_principal.h"

#define PLIMIT_SHARDS 64
#define PLIMIT_SLOTS  64 /* chains per shard */

/* The wait suggested when the open streams are at their limit: a stream
 * ends when its client or deadline says so, which no clock here predicts. */
#define STREAM_RETRY_MS 1000

typedef struct prec {
    struct prec *next;
    double tokens;
    int64_t filled_ns;
    unsigned streams;
    char name[INS_PRINCIPAL_MAX];
} prec;

typedef struct shard {
    pthread_mutex_t mu;
    prec *slot[PLIMIT_SLOTS];
} shard;

struct ins_plimits {
    double rate;
    unsigned burst;
    unsigned max_streams;
    shard shards[PLIMIT_SHARDS];
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int ins_plimits_create(double rate, unsigned burst, unsigned max_streams, ins_plimits **out)
{
    ins_plimits *l = calloc(1, sizeof *l);
    if (!l)
        return ENOMEM;
    l->rate = rate > 0 ? rate : 0;
    l->burst = burst ? burst : (unsigned)ceil(rate > 1 ? rate : 1);
    l->max_streams = max_streams;
    for (size_t i = 0; i < PLIMIT_SHARDS; i++)
        pthread_mutex_init(&l->shards[i].mu, NULL);
    *out = l;
    return 0;
}

void ins_plimits_destroy(ins_plimits *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < PLIMIT_SHARDS; i++) {
        for (size_t j = 0; j < PLIMIT_SLOTS; j++) {
            prec *r = l->shards[i].slot[j];
            while (r) {
                prec *next = r->next;
                free(r);
                r = next;
            }
        }
        pthread_mutex_destroy(&l->shards[i].mu);
    }
    free(l);
}

/* The record of `name` in its shard (locked by the caller), made when
 * missing; NULL when out of memory. */
static prec *find(ins_plimits *l, shard *sh, uint64_t h, const char *name, int64_t now_ns,
                  int create)
{
    prec **head = &sh->slot[(h >> 32) % PLIMIT_SLOTS];
    for (prec *r = *head; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    if (!create)
        return NULL;
    prec *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    strncpy(r->name, name, sizeof r->name - 1);
    r->tokens = l->burst;
    r->filled_ns = now_ns;
    r->next = *head;
    *head = r;
    return r;
}

int ins_plimits_take(ins_plimits *l, const char *principal, int stream, int64_t now_ns,
                     int64_t *retry_ms, const char **what)
{
    if (l->rate <= 0 && (!stream || l->max_streams == 0))
        return 0;
    uint64_t h = hash_name(principal);
    shard *sh = &l->shards[h % PLIMIT_SHARDS];
    int rc = 0;
    pthread_mutex_lock(&sh->mu);
    prec *r = find(l, sh, h, principal, now_ns, 1);
    if (!r)
        goto done;
    if (stream && l->max_streams && r->streams >= l->max_streams) {
        *retry_ms = STREAM_RETRY_MS;
        *what = "streams";
        rc = INS_EBUSY;
        goto done;
    }
    if (l->rate > 0) {
        double refill = (double)(now_ns - r->filled_ns) / 1e9 * l->rate;
        r->filled_ns = now_ns;
        r->tokens = fmin((double)l->burst, r->tokens + (refill > 0 ? refill : 0));
        if (r->tokens < 1.0) {
            int64_t ms = (int64_t)ceil((1.0 - r->tokens) / l->rate * 1000.0);
            *retry_ms = ms > 0 ? ms : 1;
            *what = "rate";
            rc = INS_EBUSY;
            goto done;
        }
        r->tokens -= 1.0;
    }
    if (stream && l->max_streams)
        r->streams++;
done:
    pthread_mutex_unlock(&sh->mu);
    return rc;
}

void ins_plimits_stream_closed(ins_plimits *l, const char *principal)
{
    if (l->max_streams == 0)
        return;
    uint64_t h = hash_name(principal);
    shard *sh = &l->shards[h % PLIMIT_SHARDS];
    pthread_mutex_lock(&sh->mu);
    prec *r = find(l, sh, h, principal, 0, 0);
    if (r && r->streams > 0)
        r->streams--;
    pthread_mutex_unlock(&sh->mu);
}

double ins_plimits_rate(const ins_plimits *l)
{
    return l->rate;
}

unsigned ins_plimits_burst(const ins_plimits *l)
{
    return l->burst;
}

unsigned ins_plimits_max_streams(const ins_plimits *l)
{
    return l->max_streams;
}
