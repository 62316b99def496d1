/*
 * test_model.c - a randomized run of >= 100,000 operations (puts, deletes,
 * read-modify-write increments) in mutations of 1..20 operations, 10% of
 * which fail after writing, submitted concurrently so group commit batches
 * them, from a tiny map that must grow. A naive in-memory model applies the
 * successful mutations in completion order; after every commit (commit hook)
 * the whole table is compared with the model. A second test corrupts the
 * model on purpose and proves the comparison notices.
 */
#include <semaphore.h>

#include "helpers.h"
#include "ins_feed.h"
#include "ins_key.h"

#define KEYS      1024
#define VMAX      48
#define OPS_TOTAL 100000
#define IN_FLIGHT 64

typedef struct slot {
    int present;
    size_t len;
    uint8_t v[VMAX];
} slot;

enum { OP_PUT, OP_DEL, OP_INCR };
typedef struct op {
    int kind;
    uint32_t key;
    size_t len;
    uint8_t seed;
} op;

typedef struct mut {
    ins_mutation m;
    op ops[20];
    int n, fail;
    struct harness *h;
} mut;

typedef struct harness {
    ins_store *s;
    slot model[KEYS];
    long ops_applied;
    long sabotage_at; /* model skips this op (-1: never) */
    int compares, mismatches;
    sem_t done;
} harness;

static void kenc(ins_key *k, uint32_t key)
{
    ins_key_init(k);
    ins_key_u32(k, key);
}

static void value_of(const op *o, uint8_t *v)
{
    for (size_t i = 0; i < o->len; i++)
        v[i] = (uint8_t)(o->seed + i * 3);
}

static int mut_apply(ins_wtxn *t, void *arg)
{
    mut *m = arg;
    ins_key k;
    uint8_t v[VMAX];
    int rc = 0;
    for (int i = 0; i < m->n && rc == 0; i++) {
        op *o = &m->ops[i];
        kenc(&k, o->key);
        if (o->kind == OP_PUT) {
            value_of(o, v);
            rc = ins_wtxn_put(t, T_REC, k.buf, k.len, v, o->len, 0);
        } else if (o->kind == OP_DEL) {
            rc = ins_wtxn_del(t, T_REC, k.buf, k.len);
            if (rc == INS_ENOTFOUND)
                rc = 0;
        } else {
            ins_val cur;
            uint64_t c = 0;
            rc = ins_wtxn_get(t, T_REC, k.buf, k.len, &cur);
            if (rc == 0 && cur.len >= 8)
                c = ins_be64_get(cur.data);
            if (rc == 0 || rc == INS_ENOTFOUND) {
                ins_be64_put(v, c + 1);
                rc = ins_wtxn_put(t, T_REC, k.buf, k.len, v, 8, 0);
            }
        }
    }
    if (rc == 0)
        rc = ins_wtxn_feed(t, "rec", "k", 1, "changed", NULL, 0, NULL);
    return rc == 0 && m->fail ? INS_ECONFLICT : rc;
}

static void model_apply(harness *h, const mut *m)
{
    for (int i = 0; i < m->n; i++) {
        const op *o = &m->ops[i];
        slot *sl = &h->model[o->key];
        if (h->ops_applied++ == h->sabotage_at)
            continue;
        if (o->kind == OP_PUT) {
            sl->present = 1;
            sl->len = o->len;
            value_of(o, sl->v);
        } else if (o->kind == OP_DEL) {
            sl->present = 0;
        } else {
            uint64_t c = sl->present && sl->len >= 8 ? ins_be64_get(sl->v) : 0;
            sl->present = 1;
            sl->len = 8;
            ins_be64_put(sl->v, c + 1);
        }
    }
}

static void mut_done(void *arg, int err, const ins_result *r)
{
    mut *m = arg;
    if (m->fail)
        ck_assert_int_eq(err, INS_ECONFLICT);
    else
        ck_assert_int_eq(err, 0);
    if (err == 0)
        model_apply(m->h, m);
    sem_post(&m->h->done);
}

typedef struct cmp_state {
    harness *h;
    int seen, bad;
} cmp_state;

static int cmp_one(void *arg, const ins_val *k, const ins_val *v)
{
    cmp_state *c = arg;
    ins_key_reader r;
    uint32_t key;
    ins_keyr_init(&r, k->data, k->len);
    if (ins_keyr_u32(&r, &key) != 0 || key >= KEYS) {
        c->bad++;
        return 0;
    }
    slot *sl = &c->h->model[key];
    if (!sl->present || sl->len != v->len || memcmp(sl->v, v->data, v->len) != 0)
        c->bad++;
    c->seen++;
    return 0;
}

/* Commit hook: runs on the writer thread after the batch's done callbacks. */
static void compare(void *arg, uint64_t last)
{
    harness *h = arg;
    ins_rtxn *r;
    cmp_state c = {h, 0, 0};
    ck_assert_int_eq(ins_store_read_begin(h->s, &r), 0);
    ck_assert_int_eq(ins_rtxn_scan(r, T_REC, NULL, 0, NULL, 0, cmp_one, &c), 0);
    ins_rtxn_end(r);
    int present = 0;
    for (int i = 0; i < KEYS; i++)
        present += h->model[i].present;
    h->compares++;
    if (c.bad || c.seen != present)
        h->mismatches++;
}

static void random_mut(mut *m, harness *h)
{
    memset(&m->m, 0, sizeof(m->m));
    m->m.apply = mut_apply;
    m->m.done = mut_done;
    m->m.arg = m;
    m->h = h;
    m->n = 1 + (int)(random() % 20);
    m->fail = random() % 10 == 0;
    for (int i = 0; i < m->n; i++) {
        op *o = &m->ops[i];
        int r = (int)(random() % 10);
        o->kind = r < 6 ? OP_PUT : r < 8 ? OP_DEL : OP_INCR;
        o->key = (uint32_t)(random() % KEYS);
        o->len = (size_t)(random() % VMAX);
        o->seed = (uint8_t)random();
    }
}

static void run(harness *h, long ops_total)
{
    char *dir = tmp_dir();
    ins_store_options o = test_options(dir);
    o.initial_map_bytes = 64 << 10;
    static mut muts[IN_FLIGHT];
    long ops = 0;
    ck_assert_int_eq(ins_store_open(&o, &h->s), 0);
    sem_init(&h->done, 0, 0);
    ins_store_on_commit(h->s, compare, h);
    srandom(1234);
    while (ops < ops_total) {
        for (int i = 0; i < IN_FLIGHT; i++) {
            random_mut(&muts[i], h);
            ops += muts[i].n;
            ck_assert_int_eq(ins_store_submit(h->s, &muts[i].m), 0);
        }
        for (int i = 0; i < IN_FLIGHT; i++)
            sem_wait(&h->done);
    }
    ins_store_close(h->s);
    rm_dir(dir);
}

START_TEST(test_model_random_ops_match_reference)
{
    static harness h;
    memset(&h, 0, sizeof(h));
    h.sabotage_at = -1;
    run(&h, OPS_TOTAL);
    ck_assert_int_ge(h.ops_applied, OPS_TOTAL * 8 / 10); /* minus failed mutations */
    ck_assert_int_gt(h.compares, 50);
    ck_assert_int_eq(h.mismatches, 0);
}
END_TEST

START_TEST(test_model_comparison_can_fail)
{
    static harness h;
    memset(&h, 0, sizeof(h));
    h.sabotage_at = 777; /* the model forgets one operation */
    run(&h, 5000);
    ck_assert_int_gt(h.mismatches, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model");
    ADD_TEST(s, test_model_random_ops_match_reference);
    ADD_TEST(s, test_model_comparison_can_fail);
    return run_suite(s);
}
