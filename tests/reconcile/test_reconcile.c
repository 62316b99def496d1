/*
 * test_reconcile.c - the reconciliation rules (reconcile.c) as a table of
 * cases.
 *
 * A case is the application's declared facts, up to three departments (each
 * a template of compact item specs and the answers its inspector gave), an
 * optional re-inspection list, and the expected report in summary form: the
 * outcome, the failures, the fact checks with their observations, the shared
 * items, the rectify items and a piece of the reasons. Every case also runs
 * with its inputs permuted (departments, answers, template items and declared
 * facts reversed, in every combination): the packed report must be the same
 * bytes. One test shows the comparison catches a wrong expectation.
 *
 * The venue: a restaurant declaring 120 m2 of floor area; fire and market
 * (市场监管) both measure it, within 5 %.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ins_error.h"
#include "reconcile.h"

#define MAXI 8 /* items or answers per department */
#define MAXD 3 /* departments per case */
#define MAXF 4 /* declared facts per case */

/* ---- compact specs ---------------------------------------------------------- */

typedef struct ispec {
    const char *code;
    char kind; /* B N C T P */
    char sev;  /* C critical, M major, m minor */
    int required;
    const char *fact; /* verifies_fact, or NULL */
    char tol;         /* 0 none, 'a' absolute, 'r' relative */
    double tolv;
    int fail_when_true;
    double min, max;
    const char *text;
} ispec;

typedef struct aspec {
    const char *code;
    char kind; /* B N C T P: the value carried */
    double num;
    int flag;
    const char *str;
} aspec;

typedef struct dspec {
    const char *dept;
    ispec items[MAXI];
    aspec answers[MAXI];
} dspec;

typedef struct fspec {
    const char *key;
    char kind; /* N B T */
    double num;
    int flag;
    const char *unit;
} fspec;

/* items */
#define B(c, s)                                                                                    \
    {                                                                                              \
        c, 'B', s, 1, NULL, 0, 0, 0, 0, 0, "问题 " c                                               \
    }
#define BOPT(c, s)                                                                                 \
    {                                                                                              \
        c, 'B', s, 0, NULL, 0, 0, 0, 0, 0, "问题 " c                                               \
    }
#define BFWT(c, s)                                                                                 \
    {                                                                                              \
        c, 'B', s, 1, NULL, 0, 0, 1, 0, 0, "问题 " c                                               \
    }
#define N(c, s, lo, hi)                                                                            \
    {                                                                                              \
        c, 'N', s, 1, NULL, 0, 0, 0, lo, hi, "数量 " c                                             \
    }
#define NF(c, f, t, v)                                                                             \
    {                                                                                              \
        c, 'N', 'M', 1, f, t, v, 0, 0, 0, "测量 " c                                                \
    }
#define NFOPT(c, f, t, v)                                                                          \
    {                                                                                              \
        c, 'N', 'M', 0, f, t, v, 0, 0, 0, "测量 " c                                                \
    }
#define BF(c, f)                                                                                   \
    {                                                                                              \
        c, 'B', 'M', 0, f, 0, 0, 0, 0, 0, "核实 " c                                                \
    }
#define CH(c)                                                                                      \
    {                                                                                              \
        c, 'C', 'm', 0, NULL, 0, 0, 0, 0, 0, "类型 " c                                             \
    }
#define TX(c)                                                                                      \
    {                                                                                              \
        c, 'T', 'm', 0, NULL, 0, 0, 0, 0, 0, "说明 " c                                             \
    }
#define PH(c)                                                                                      \
    {                                                                                              \
        c, 'P', 'm', 0, NULL, 0, 0, 0, 0, 0, "照片 " c                                             \
    }
/* answers */
#define AY(c)                                                                                      \
    {                                                                                              \
        c, 'B', 0, 1, NULL                                                                         \
    }
#define AN(c)                                                                                      \
    {                                                                                              \
        c, 'B', 0, 0, NULL                                                                         \
    }
#define AV(c, v)                                                                                   \
    {                                                                                              \
        c, 'N', v, 0, NULL                                                                         \
    }
#define AC(c, s)                                                                                   \
    {                                                                                              \
        c, 'C', 0, 0, s                                                                            \
    }
#define AT(c, s)                                                                                   \
    {                                                                                              \
        c, 'T', 0, 0, s                                                                            \
    }
#define AP(c)                                                                                      \
    {                                                                                              \
        c, 'P', 0, 0, NULL                                                                         \
    }
/* facts */
#define FN(k, v, u)                                                                                \
    {                                                                                              \
        k, 'N', v, 0, u                                                                            \
    }
#define FB(k, b)                                                                                   \
    {                                                                                              \
        k, 'B', 0, b, ""                                                                           \
    }

#define AREA "floor_area_m2"

typedef struct rcase {
    const char *name;
    fspec facts[MAXF];
    dspec depts[MAXD];
    const char *only[4];
    Inspect__V1__Outcome outcome;
    const char *failures; /* "dept/item:severity, ..." */
    const char *facts_s;  /* "key=verdict[!] {dept/item=verdict ...}; ..." ('!': disagree) */
    const char *shared;   /* "item=agree|disagree {dept ...}; ..." */
    const char *rectify;  /* "a,b" */
    const char *reason;   /* a substring of the reasons joined by " | " */
} rcase;

#define PASS     INSPECT__V1__OUTCOME__OUTCOME_PASS
#define RECTIFY  INSPECT__V1__OUTCOME__OUTCOME_RECTIFY
#define FAIL     INSPECT__V1__OUTCOME__OUTCOME_FAIL
#define ESCALATE INSPECT__V1__OUTCOME__OUTCOME_ESCALATE

/* fire and market templates used by most cases */
#define FIRE_ITEMS                                                                                 \
    B("exits_clear", 'C'), B("sprinklers_ok", 'M'), N("extinguishers", 'm', 1, 20),                \
        NF("floor_area", AREA, 'r', 0.05), PH("exits_photo")
#define MARKET_ITEMS B("license_displayed", 'm'), NF("floor_area", AREA, 'r', 0.05), TX("remarks")
#define FIRE_OK(area)                                                                              \
    AY("exits_clear"), AY("sprinklers_ok"), AV("extinguishers", 4), AV("floor_area", area),        \
        AP("exits_photo")
#define MARKET_OK(area) AY("license_displayed"), AV("floor_area", area), AT("remarks", "后厨整洁")

static const rcase CASES[] = {
    {.name = "all pass",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire", {FIRE_ITEMS}, {FIRE_OK(119)}},
               {"market", {MARKET_ITEMS}, {MARKET_OK(121)}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = AREA "=match {fire/floor_area=match market/floor_area=match}",
     .shared = "floor_area=agree {fire market}",
     .rectify = "",
     .reason = "every item passed and every observed fact matched"},
    {.name = "critical bool fails: FAIL even though the departments disagree",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire",
                {FIRE_ITEMS},
                {AN("exits_clear"), AN("sprinklers_ok"), AV("extinguishers", 4),
                 AV("floor_area", 119)}},
               {"market", {MARKET_ITEMS}, {MARKET_OK(96)}}},
     .outcome = FAIL,
     .failures = "fire/exits_clear:critical fire/sprinklers_ok:major",
     .facts_s = AREA "=mismatch! {fire/floor_area=match market/floor_area=mismatch}",
     .shared = "floor_area=disagree {fire market}",
     .rectify = "",
     .reason = "critical item fire/exits_clear failed: answered no: 问题 exits_clear"},
    {.name = "major item fails: RECTIFY",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire",
                {FIRE_ITEMS},
                {AY("exits_clear"), AN("sprinklers_ok"), AV("extinguishers", 4),
                 AV("floor_area", 120)}},
               {"market", {MARKET_ITEMS}, {MARKET_OK(120)}}},
     .outcome = RECTIFY,
     .failures = "fire/sprinklers_ok:major",
     .facts_s = AREA "=match {fire/floor_area=match market/floor_area=match}",
     .shared = "floor_area=agree {fire market}",
     .rectify = "sprinklers_ok",
     .reason = "major item fire/sprinklers_ok failed: answered no: 问题 sprinklers_ok"},
    {.name = "minor number out of range: RECTIFY",
     .depts = {{"fire",
                {FIRE_ITEMS},
                {AY("exits_clear"), AY("sprinklers_ok"), AV("extinguishers", 0),
                 AV("floor_area", 9)}}},
     .outcome = RECTIFY,
     .failures = "fire/extinguishers:minor",
     .facts_s = "",
     .shared = "",
     .rectify = "extinguishers",
     .reason = "minor item fire/extinguishers failed: observed 0, outside 1..20"},
    {.name = "fact beyond relative tolerance, both departments agree: RECTIFY",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire", {FIRE_ITEMS}, {FIRE_OK(100)}},
               {"market", {MARKET_ITEMS}, {MARKET_OK(101)}}},
     .outcome = RECTIFY,
     .failures = "",
     .facts_s = AREA "=mismatch {fire/floor_area=mismatch market/floor_area=mismatch}",
     .shared = "floor_area=agree {fire market}",
     .rectify = "floor_area",
     .reason = "fact " AREA " does not match: declared 120 m2; fire observed 100 (beyond 5%); "
               "market observed 101 (beyond 5%)"},
    {.name = "fact within relative tolerance: PASS",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire", {FIRE_ITEMS}, {FIRE_OK(114)}},
               {"market", {MARKET_ITEMS}, {MARKET_OK(118)}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = AREA "=match {fire/floor_area=match market/floor_area=match}",
     .shared = "floor_area=agree {fire market}",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "relative tolerance exactly at the bound (126 = 120 + 5%): MATCH",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"market", {MARKET_ITEMS}, {MARKET_OK(126)}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = AREA "=match {market/floor_area=match}",
     .shared = "",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "absolute tolerance exactly at the bound: MATCH",
     .facts = {FN("seats", 50, "seats")},
     .depts = {{"market", {NF("seat_count", "seats", 'a', 2)}, {AV("seat_count", 52)}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = "seats=match {market/seat_count=match}",
     .shared = "",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "absolute tolerance at a bound that is not exact in binary (0.4 - 0.3 vs 0.1): MATCH",
     .facts = {FN("height_m", 0.3, "m")},
     .depts = {{"fire", {NF("height", "height_m", 'a', 0.1)}, {AV("height", 0.4)}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = "height_m=match {fire/height=match}",
     .shared = "",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "absolute tolerance just beyond the bound: MISMATCH, RECTIFY",
     .facts = {FN("seats", 50, "seats")},
     .depts = {{"market", {NF("seat_count", "seats", 'a', 2)}, {AV("seat_count", 52.001)}}},
     .outcome = RECTIFY,
     .failures = "",
     .facts_s = "seats=mismatch {market/seat_count=mismatch}",
     .shared = "",
     .rectify = "seat_count",
     .reason = "declared 50 seats; market observed 52.001 (beyond ±2 seats)"},
    {.name = "no tolerance: exact equality decides",
     .facts = {FN("rooms", 3, ""), FN("floors", 2, "")},
     .depts = {{"fire",
                {NF("room_count", "rooms", 0, 0), NF("floor_count", "floors", 0, 0)},
                {AV("room_count", 3), AV("floor_count", 2.5)}}},
     .outcome = RECTIFY,
     .failures = "",
     .facts_s = "floors=mismatch {fire/floor_count=mismatch}; rooms=match {fire/room_count=match}",
     .shared = "",
     .rectify = "floor_count",
     .reason = "declared 2; fire observed 2.5 (differs)"},
    {.name = "two departments disagree on the floor area: ESCALATE",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"market", {MARKET_ITEMS}, {MARKET_OK(96)}}, {"fire", {FIRE_ITEMS}, {FIRE_OK(119)}}},
     .outcome = ESCALATE,
     .failures = "",
     .facts_s = AREA "=mismatch! {fire/floor_area=match market/floor_area=mismatch}",
     .shared = "floor_area=disagree {fire market}",
     .rectify = "",
     .reason = "departments disagree on fact " AREA ": declared 120 m2; fire observed 119 "
               "(within 5%); market observed 96 (beyond 5%)"},
    {.name = "a major failure does not hide a disagreement: ESCALATE",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire",
                {FIRE_ITEMS},
                {AY("exits_clear"), AN("sprinklers_ok"), AV("extinguishers", 4),
                 AV("floor_area", 119)}},
               {"market", {MARKET_ITEMS}, {MARKET_OK(96)}}},
     .outcome = ESCALATE,
     .failures = "fire/sprinklers_ok:major",
     .facts_s = AREA "=mismatch! {fire/floor_area=match market/floor_area=mismatch}",
     .shared = "floor_area=disagree {fire market}",
     .rectify = "",
     .reason = "departments disagree on item floor_area: fire 119, market 96"},
    {.name = "shared choice item answered differently: ESCALATE",
     .depts = {{"fire",
                {CH("venue_kind"), B("exits_clear", 'C')},
                {AC("venue_kind", "餐馆"), AY("exits_clear")}},
               {"market", {CH("venue_kind")}, {AC("venue_kind", "咖啡馆")}},
               {"health", {CH("venue_kind")}, {AC("venue_kind", "餐馆")}}},
     .outcome = ESCALATE,
     .failures = "",
     .facts_s = "",
     .shared = "venue_kind=disagree {fire health market}",
     .rectify = "",
     .reason =
         "departments disagree on item venue_kind: fire '餐馆', health '餐馆', market '咖啡馆'"},
    {.name = "shared text and bool items answered alike agree; photos are not compared",
     .depts = {{"fire",
                {TX("remarks"), BOPT("kitchen_separated", 'm'), PH("front")},
                {AT("remarks", "良好"), AY("kitchen_separated"), AP("front")}},
               {"market",
                {TX("remarks"), BOPT("kitchen_separated", 'm'), PH("front")},
                {AT("remarks", "良好"), AY("kitchen_separated"), AP("front")}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = "",
     .shared = "kitchen_separated=agree {fire market}; remarks=agree {fire market}",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "shared numbers without tolerance must be equal",
     .depts = {{"fire", {N("exits", 'm', 0, 0)}, {AV("exits", 2)}},
               {"market", {N("exits", 'm', 0, 0)}, {AV("exits", 3)}}},
     .outcome = ESCALATE,
     .failures = "",
     .facts_s = "",
     .shared = "exits=disagree {fire market}",
     .rectify = "",
     .reason = "departments disagree on item exits: fire 2, market 3"},
    {.name = "nobody observed a fact: MISSING, outcome unaffected",
     .facts = {FN(AREA, 120, "m2"), FB("has_kitchen", 1)},
     .depts = {{"fire", {FIRE_ITEMS, BF("kitchen", "has_kitchen")}, {FIRE_OK(120)}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = AREA "=match {fire/floor_area=match}; has_kitchen=missing {}",
     .shared = "",
     .rectify = "",
     .reason = "fact has_kitchen: declared yes; nobody observed it"},
    {.name = "MISSING with a mismatch: RECTIFY, both listed",
     .facts = {FN(AREA, 120, "m2"), FB("has_kitchen", 1)},
     .depts = {{"fire", {FIRE_ITEMS, BF("kitchen", "has_kitchen")}, {FIRE_OK(90)}}},
     .outcome = RECTIFY,
     .failures = "",
     .facts_s = AREA "=mismatch {fire/floor_area=mismatch}; has_kitchen=missing {}",
     .shared = "",
     .rectify = "floor_area",
     .reason = "fact floor_area_m2 does not match: declared 120 m2; fire observed 90 (beyond 5%) | "
               "fact has_kitchen: declared yes; nobody observed it"},
    {.name = "flag fact observed false: MISMATCH, RECTIFY",
     .facts = {FB("has_kitchen", 1)},
     .depts = {{"health", {BF("kitchen", "has_kitchen")}, {AN("kitchen")}}},
     .outcome = RECTIFY,
     .failures = "", /* the fact decides, not the item */
     .facts_s = "has_kitchen=mismatch {health/kitchen=mismatch}",
     .shared = "",
     .rectify = "kitchen",
     .reason = "declared yes; health observed no (differs)"},
    {.name = "text fact cannot be compared with a number: MISMATCH",
     .facts = {{AREA, 'T', 0, 0, ""}},
     .depts = {{"market", {MARKET_ITEMS}, {MARKET_OK(120)}}},
     .outcome = RECTIFY,
     .failures = "",
     .facts_s = AREA "=mismatch {market/floor_area=mismatch}",
     .shared = "",
     .rectify = "floor_area",
     .reason = "not comparable"},
    {.name = "facts that no template verifies are not reported",
     .facts = {FN("staff", 12, "people"), FN(AREA, 120, "m2")},
     .depts = {{"market", {MARKET_ITEMS}, {MARKET_OK(120)}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = AREA "=match {market/floor_area=match}",
     .shared = "",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "an item verifying an undeclared fact is judged on its own range",
     .depts = {{"fire",
                {{"height", 'N', 'M', 1, "height_m", 'a', 1, 0, 2, 10, "高度"}},
                {AV("height", 11)}}},
     .outcome = RECTIFY,
     .failures = "fire/height:major",
     .facts_s = "",
     .shared = "",
     .rectify = "height",
     .reason = "observed 11, outside 2..10: 高度"},
    {.name = "re-inspection: only the listed items count",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire",
                {FIRE_ITEMS},
                {AN("exits_clear"), AY("sprinklers_ok"), AV("extinguishers", 0),
                 AV("floor_area", 50)}},
               {"market", {MARKET_ITEMS}, {MARKET_OK(60)}}},
     .only = {"sprinklers_ok", "license_displayed"},
     .outcome = PASS,
     .failures = "",
     .facts_s = "",
     .shared = "",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "re-inspection of the floor area: its fact is checked again",
     .facts = {FN(AREA, 120, "m2")},
     .depts = {{"fire", {FIRE_ITEMS}, {AN("exits_clear"), AV("floor_area", 90)}},
               {"market", {MARKET_ITEMS}, {AV("floor_area", 91)}}},
     .only = {"floor_area"},
     .outcome = RECTIFY,
     .failures = "",
     .facts_s = AREA "=mismatch {fire/floor_area=mismatch market/floor_area=mismatch}",
     .shared = "floor_area=agree {fire market}",
     .rectify = "floor_area",
     .reason = "fact " AREA " does not match"},
    {.name = "fail_when_true item answered yes fails: FAIL",
     .depts = {{"fire",
                {BFWT("flammables_stored", 'C'), B("exits_clear", 'C')},
                {AY("flammables_stored"), AY("exits_clear")}}},
     .outcome = FAIL,
     .failures = "fire/flammables_stored:critical",
     .facts_s = "",
     .shared = "",
     .rectify = "",
     .reason = "critical item fire/flammables_stored failed: answered yes: 问题 flammables_stored"},
    {.name = "fail_when_true item answered no passes",
     .depts = {{"fire", {BFWT("flammables_stored", 'C')}, {AN("flammables_stored")}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = "",
     .shared = "",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "unanswered optional item is neither pass nor fail",
     .depts = {{"fire",
                {B("exits_clear", 'C'), BOPT("signage", 'C'), NFOPT("area", AREA, 'r', 0.05)},
                {AY("exits_clear")}}},
     .outcome = PASS,
     .failures = "",
     .facts_s = "",
     .shared = "",
     .rectify = "",
     .reason = "every item passed"},
    {.name = "RECTIFY: failures and mismatched facts, sorted and unique",
     .facts = {FN(AREA, 120, "m2"), FN("seats", 40, "")},
     .depts = {{"fire",
                {FIRE_ITEMS},
                {AY("exits_clear"), AN("sprinklers_ok"), AV("extinguishers", 25),
                 AV("floor_area", 100)}},
               {"market",
                {MARKET_ITEMS, NF("seat_count", "seats", 'a', 0), NF("seats_2", "seats", 'a', 0)},
                {AN("license_displayed"), AV("floor_area", 100), AV("seat_count", 44),
                 AV("seats_2", 44)}}},
     .outcome = RECTIFY,
     .failures = "fire/extinguishers:minor fire/sprinklers_ok:major market/license_displayed:minor",
     .facts_s = AREA "=mismatch {fire/floor_area=mismatch market/floor_area=mismatch}; "
                     "seats=mismatch {market/seat_count=mismatch market/seats_2=mismatch}",
     .shared = "floor_area=agree {fire market}",
     .rectify = "extinguishers,floor_area,license_displayed,seat_count,seats_2,sprinklers_ok",
     .reason = "market (seat_count) observed 44 (beyond ±0); market (seats_2) observed 44"},
    {.name = "one department's own observations differ: MISMATCH but no disagreement",
     .facts = {FN("seats", 40, "")},
     .depts = {{"market",
                {NF("seat_count", "seats", 'a', 1), NF("seats_2", "seats", 'a', 1)},
                {AV("seat_count", 40), AV("seats_2", 44)}}},
     .outcome = RECTIFY,
     .failures = "",
     .facts_s = "seats=mismatch {market/seat_count=match market/seats_2=mismatch}",
     .shared = "",
     .rectify = "seat_count,seats_2",
     .reason = "fact seats does not match"},
};
#define NCASES ((int)(sizeof(CASES) / sizeof(CASES[0])))

/* ---- building the protobuf inputs from the specs ----------------------------- */

typedef struct bdept {
    Inspect__V1__Template tpl;
    Inspect__V1__TemplateItem it[MAXI];
    Inspect__V1__TemplateItem *itp[MAXI];
    Inspect__V1__Tolerance tol[MAXI];
    char tpl_id[32];
    Inspect__V1__FindingsBody fb;
    Inspect__V1__Answer an[MAXI];
    Inspect__V1__Answer *anp[MAXI];
} bdept;

typedef struct built {
    Inspect__V1__Application app;
    Inspect__V1__DeclaredFact df[MAXF];
    Inspect__V1__DeclaredFact *dfp[MAXF];
    Inspect__V1__FactValue fv[MAXF];
    bdept d[MAXD];
    ins_dept_input in[MAXD];
    size_t n;
    char *only[4];
    size_t n_only;
} built;

/* perm bits: 1 reverse departments, 2 answers, 4 template items, 8 facts */
enum { P_DEPTS = 1, P_ANSWERS = 2, P_ITEMS = 4, P_FACTS = 8, P_ALL = 16 };

static void reverse(void **p, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        void *t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
}

static Inspect__V1__Severity sev(char c)
{
    return c == 'C'   ? INSPECT__V1__SEVERITY__SEVERITY_CRITICAL
           : c == 'M' ? INSPECT__V1__SEVERITY__SEVERITY_MAJOR
                      : INSPECT__V1__SEVERITY__SEVERITY_MINOR;
}

static Inspect__V1__ItemKind kind(char c)
{
    switch (c) {
    case 'B':
        return INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL;
    case 'N':
        return INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER;
    case 'C':
        return INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE;
    case 'T':
        return INSPECT__V1__ITEM_KIND__ITEM_KIND_TEXT;
    default:
        return INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO;
    }
}

static void build_dept(bdept *b, const dspec *s, unsigned perm)
{
    memset(b, 0, sizeof(*b));
    b->tpl = (Inspect__V1__Template)INSPECT__V1__TEMPLATE__INIT;
    snprintf(b->tpl_id, sizeof b->tpl_id, "%s-venue", s->dept);
    b->tpl.id = b->tpl_id;
    b->tpl.department = (char *)s->dept;
    b->tpl.version = 3;
    for (size_t i = 0; i < MAXI && s->items[i].code; i++) {
        const ispec *is = &s->items[i];
        Inspect__V1__TemplateItem *it = &b->it[i];
        *it = (Inspect__V1__TemplateItem)INSPECT__V1__TEMPLATE_ITEM__INIT;
        it->code = (char *)is->code;
        it->text = (char *)is->text;
        it->kind = kind(is->kind);
        it->required = is->required;
        it->severity = sev(is->sev);
        it->min = is->min;
        it->max = is->max;
        it->fail_when_true = is->fail_when_true;
        if (is->fact)
            it->verifies_fact = (char *)is->fact;
        if (is->tol) {
            b->tol[i] = (Inspect__V1__Tolerance)INSPECT__V1__TOLERANCE__INIT;
            b->tol[i].bound_case = is->tol == 'a' ? INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE
                                                  : INSPECT__V1__TOLERANCE__BOUND_RELATIVE;
            if (is->tol == 'a')
                b->tol[i].absolute = is->tolv;
            else
                b->tol[i].relative = is->tolv;
            it->tolerance = &b->tol[i];
        }
        b->itp[i] = it;
        b->tpl.n_items++;
    }
    b->tpl.items = b->itp;
    if (perm & P_ITEMS)
        reverse((void **)b->itp, b->tpl.n_items);

    b->fb = (Inspect__V1__FindingsBody)INSPECT__V1__FINDINGS_BODY__INIT;
    b->fb.task_id = (char *)"T-000042";
    b->fb.department = (char *)s->dept;
    b->fb.inspector_id = (char *)"insp-1";
    b->fb.template_version = 3;
    for (size_t i = 0; i < MAXI && s->answers[i].code; i++) {
        const aspec *as = &s->answers[i];
        Inspect__V1__Answer *a = &b->an[i];
        *a = (Inspect__V1__Answer)INSPECT__V1__ANSWER__INIT;
        a->item_code = (char *)as->code;
        switch (as->kind) {
        case 'B':
            a->value_case = INSPECT__V1__ANSWER__VALUE_FLAG;
            a->flag = as->flag;
            break;
        case 'N':
            a->value_case = INSPECT__V1__ANSWER__VALUE_NUMBER;
            a->number = as->num;
            break;
        case 'C':
            a->value_case = INSPECT__V1__ANSWER__VALUE_CHOICE;
            a->choice = (char *)as->str;
            break;
        case 'T':
            a->value_case = INSPECT__V1__ANSWER__VALUE_TEXT;
            a->text = (char *)as->str;
            break;
        default:
            break;
        }
        b->anp[i] = a;
        b->fb.n_answers++;
    }
    b->fb.answers = b->anp;
    if (perm & P_ANSWERS)
        reverse((void **)b->anp, b->fb.n_answers);
}

static void build(built *b, const rcase *c, unsigned perm)
{
    memset(b, 0, sizeof(*b));
    b->app = (Inspect__V1__Application)INSPECT__V1__APPLICATION__INIT;
    b->app.id = (char *)"XD-2026-000123";
    for (size_t i = 0; i < MAXF && c->facts[i].key; i++) {
        const fspec *f = &c->facts[i];
        b->fv[i] = (Inspect__V1__FactValue)INSPECT__V1__FACT_VALUE__INIT;
        b->fv[i].unit = (char *)f->unit;
        if (f->kind == 'N') {
            b->fv[i].value_case = INSPECT__V1__FACT_VALUE__VALUE_NUMBER;
            b->fv[i].number = f->num;
        } else if (f->kind == 'B') {
            b->fv[i].value_case = INSPECT__V1__FACT_VALUE__VALUE_FLAG;
            b->fv[i].flag = f->flag;
        } else {
            b->fv[i].value_case = INSPECT__V1__FACT_VALUE__VALUE_TEXT;
            b->fv[i].text = (char *)"一百二十平方米";
        }
        b->df[i] = (Inspect__V1__DeclaredFact)INSPECT__V1__DECLARED_FACT__INIT;
        b->df[i].key = (char *)f->key;
        b->df[i].value = &b->fv[i];
        b->dfp[i] = &b->df[i];
        b->app.n_declared_facts++;
    }
    b->app.declared_facts = b->dfp;
    if (perm & P_FACTS)
        reverse((void **)b->dfp, b->app.n_declared_facts);

    for (size_t i = 0; i < MAXD && c->depts[i].dept; i++) {
        build_dept(&b->d[i], &c->depts[i], perm);
        b->in[i] = (ins_dept_input){c->depts[i].dept, &b->d[i].tpl, &b->d[i].fb};
        b->n++;
    }
    if (perm & P_DEPTS)
        for (size_t i = 0; i < b->n / 2; i++) {
            ins_dept_input t = b->in[i];
            b->in[i] = b->in[b->n - 1 - i];
            b->in[b->n - 1 - i] = t;
        }
    for (size_t i = 0; i < 4 && c->only[i]; i++)
        b->only[b->n_only++] = (char *)c->only[i];
}

static Inspect__V1__Report *run(built *b)
{
    Inspect__V1__Report *r = (Inspect__V1__Report *)0x1;
    char why[256];
    int rc = ins_reconcile_why(&b->app, b->in, b->n, b->only, b->n_only, &r, why, sizeof why);
    ck_assert_msg(rc == 0, "ins_reconcile: %d %s", rc, why);
    ck_assert_ptr_nonnull(r);
    return r;
}

/* ---- summaries of a report -------------------------------------------------- */

typedef struct text {
    char s[2048];
    size_t len;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->s + t->len, sizeof(t->s) - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < sizeof(t->s) - t->len ? (size_t)n : sizeof(t->s) - t->len - 1;
}

static const char *verdict_name(Inspect__V1__Verdict v)
{
    switch (v) {
    case INSPECT__V1__VERDICT__VERDICT_MATCH:
        return "match";
    case INSPECT__V1__VERDICT__VERDICT_MISMATCH:
        return "mismatch";
    case INSPECT__V1__VERDICT__VERDICT_MISSING:
        return "missing";
    default:
        return "?";
    }
}

static const char *sev_name(Inspect__V1__Severity s)
{
    return s == INSPECT__V1__SEVERITY__SEVERITY_CRITICAL ? "critical"
           : s == INSPECT__V1__SEVERITY__SEVERITY_MAJOR  ? "major"
           : s == INSPECT__V1__SEVERITY__SEVERITY_MINOR  ? "minor"
                                                         : "?";
}

/*
 * Compares report r with case c. Returns 0 when it matches, else 1 with the
 * first difference in diff.
 */
static int compare(const rcase *c, const Inspect__V1__Report *r, char *diff, size_t difflen)
{
    text t = {{0}, 0};
    if (r->outcome != c->outcome) {
        snprintf(diff, difflen, "outcome %d, want %d", r->outcome, c->outcome);
        return 1;
    }
    for (size_t i = 0; i < r->n_failures; i++)
        add(&t, "%s%s/%s:%s", i ? " " : "", r->failures[i]->department, r->failures[i]->item_code,
            sev_name(r->failures[i]->severity));
    if (strcmp(t.s, c->failures) != 0) {
        snprintf(diff, difflen, "failures '%s', want '%s'", t.s, c->failures);
        return 1;
    }
    t.len = 0;
    t.s[0] = '\0';
    for (size_t i = 0; i < r->n_facts; i++) {
        const Inspect__V1__FactCheck *f = r->facts[i];
        add(&t, "%s%s=%s%s {", i ? "; " : "", f->fact, verdict_name(f->verdict),
            f->departments_disagree ? "!" : "");
        for (size_t k = 0; k < f->n_observed; k++)
            add(&t, "%s%s/%s=%s", k ? " " : "", f->observed[k]->department,
                f->observed[k]->item_code, verdict_name(f->observed[k]->verdict));
        add(&t, "}");
    }
    if (strcmp(t.s, c->facts_s) != 0) {
        snprintf(diff, difflen, "facts '%s', want '%s'", t.s, c->facts_s);
        return 1;
    }
    t.len = 0;
    t.s[0] = '\0';
    for (size_t i = 0; i < r->n_shared_items; i++) {
        const Inspect__V1__SharedItem *s = r->shared_items[i];
        add(&t, "%s%s=%s {", i ? "; " : "", s->item_code, s->agree ? "agree" : "disagree");
        for (size_t k = 0; k < s->n_observed; k++)
            add(&t, "%s%s", k ? " " : "", s->observed[k]->department);
        add(&t, "}");
    }
    if (strcmp(t.s, c->shared) != 0) {
        snprintf(diff, difflen, "shared '%s', want '%s'", t.s, c->shared);
        return 1;
    }
    t.len = 0;
    t.s[0] = '\0';
    for (size_t i = 0; i < r->n_rectify_items; i++)
        add(&t, "%s%s", i ? "," : "", r->rectify_items[i]);
    if (strcmp(t.s, c->rectify) != 0) {
        snprintf(diff, difflen, "rectify '%s', want '%s'", t.s, c->rectify);
        return 1;
    }
    t.len = 0;
    t.s[0] = '\0';
    for (size_t i = 0; i < r->n_reasons; i++)
        add(&t, "%s%s", i ? " | " : "", r->reasons[i]);
    if (r->n_reasons == 0 || !strstr(t.s, c->reason)) {
        snprintf(diff, difflen, "reasons '%s', want a part '%s'", t.s, c->reason);
        return 1;
    }
    /* what the caller fills stays empty */
    if (*r->id || *r->task_id || *r->application_id || r->created_unix || r->n_opinions ||
        r->joint_decision || *r->reinspection_task_id) {
        snprintf(diff, difflen, "a caller's field is set");
        return 1;
    }
    return 0;
}

static uint8_t *pack(const Inspect__V1__Report *r, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(&r->base);
    uint8_t *buf = malloc(*len ? *len : 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(protobuf_c_message_pack(&r->base, buf), *len);
    return buf;
}

static void report_free(Inspect__V1__Report *r)
{
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* ---- the table -------------------------------------------------------------- */

START_TEST(test_reconcile_table)
{
    const rcase *c = &CASES[_i];
    built b;
    build(&b, c, 0);
    Inspect__V1__Report *r = run(&b);
    char diff[2600] = "";
    int d = compare(c, r, diff, sizeof diff);
    ck_assert_msg(d == 0, "case '%s': %s", c->name, diff);
    report_free(r);
}
END_TEST

/* The same inputs in any order, and run twice: the same bytes. */
START_TEST(test_reconcile_deterministic)
{
    const rcase *c = &CASES[_i];
    static built b; /* large: keep off the stack */
    build(&b, c, 0);
    Inspect__V1__Report *r0 = run(&b);
    size_t len0;
    uint8_t *bytes0 = pack(r0, &len0);
    ck_assert_uint_gt(len0, 0);
    for (unsigned perm = 0; perm < P_ALL; perm++) {
        for (int again = 0; again < 2; again++) {
            build(&b, c, perm);
            Inspect__V1__Report *r = run(&b);
            size_t len;
            uint8_t *bytes = pack(r, &len);
            ck_assert_msg(len == len0 && memcmp(bytes, bytes0, len) == 0,
                          "case '%s': permutation %u gives other bytes", c->name, perm);
            free(bytes);
            report_free(r);
        }
    }
    free(bytes0);
    report_free(r0);
}
END_TEST

/* Proves the table can fail: wrong expectations are each caught. */
START_TEST(test_reconcile_table_can_fail)
{
    built b;
    build(&b, &CASES[0], 0);
    Inspect__V1__Report *r = run(&b);
    char diff[2600];
    ck_assert_int_eq(compare(&CASES[0], r, diff, sizeof diff), 0);

    rcase wrong = CASES[0];
    wrong.outcome = RECTIFY;
    ck_assert_int_eq(compare(&wrong, r, diff, sizeof diff), 1);
    ck_assert_str_eq(diff, "outcome 1, want 2");
    wrong = CASES[0];
    wrong.facts_s = AREA "=match! {fire/floor_area=match market/floor_area=match}";
    ck_assert_int_eq(compare(&wrong, r, diff, sizeof diff), 1);
    wrong = CASES[0];
    wrong.shared = "floor_area=disagree {fire market}";
    ck_assert_int_eq(compare(&wrong, r, diff, sizeof diff), 1);
    wrong = CASES[0];
    wrong.rectify = "floor_area";
    ck_assert_int_eq(compare(&wrong, r, diff, sizeof diff), 1);
    wrong = CASES[0];
    wrong.reason = "escalate";
    ck_assert_int_eq(compare(&wrong, r, diff, sizeof diff), 1);
    report_free(r);

    /* and a real change of input changes the report */
    rcase moved = CASES[0];
    moved.depts[1].answers[1] = (aspec)AV("floor_area", 96);
    build(&b, &moved, 0);
    r = run(&b);
    ck_assert_int_eq(compare(&CASES[0], r, diff, sizeof diff), 1);
    ck_assert_int_eq(r->outcome, ESCALATE);
    report_free(r);
}
END_TEST

/* ---- the details of one report ---------------------------------------------- */

START_TEST(test_reconcile_disagreement_details)
{
    built b;
    build(&b, &CASES[11], P_DEPTS | P_ANSWERS); /* two departments disagree */
    Inspect__V1__Report *r = run(&b);
    ck_assert_int_eq(r->outcome, ESCALATE);
    ck_assert_uint_eq(r->n_facts, 1);
    const Inspect__V1__FactCheck *f = r->facts[0];
    ck_assert_str_eq(f->fact, AREA);
    ck_assert_ptr_nonnull(f->declared);
    ck_assert_int_eq(f->declared->value_case, INSPECT__V1__FACT_VALUE__VALUE_NUMBER);
    ck_assert_double_eq(f->declared->number, 120);
    ck_assert_str_eq(f->declared->unit, "m2");
    ck_assert_int_eq(f->verdict, INSPECT__V1__VERDICT__VERDICT_MISMATCH);
    ck_assert(f->departments_disagree);
    ck_assert_str_eq(
        f->reason,
        "declared 120 m2; fire observed 119 (within 5%); market observed 96 (beyond 5%)");
    ck_assert_uint_eq(f->n_observed, 2);
    ck_assert_str_eq(f->observed[0]->department, "fire");
    ck_assert_int_eq(f->observed[0]->value_case, INSPECT__V1__OBSERVATION__VALUE_NUMBER);
    ck_assert_double_eq(f->observed[0]->number, 119);
    ck_assert_double_eq(f->observed[1]->number, 96);
    ck_assert_uint_eq(r->n_reasons, 2);
    ck_assert_str_eq(r->reasons[1], "departments disagree on item floor_area: fire 119, market 96");
    ck_assert_uint_eq(r->n_rectify_items, 0);
    report_free(r);
}
END_TEST

START_TEST(test_reconcile_failure_details)
{
    built b;
    build(&b, &CASES[1], 0); /* critical BOOL fails */
    Inspect__V1__Report *r = run(&b);
    ck_assert_uint_eq(r->n_failures, 2);
    const Inspect__V1__ItemFailure *f = r->failures[0];
    ck_assert_str_eq(f->department, "fire");
    ck_assert_str_eq(f->item_code, "exits_clear");
    ck_assert_str_eq(f->text, "问题 exits_clear");
    ck_assert_int_eq(f->severity, INSPECT__V1__SEVERITY__SEVERITY_CRITICAL);
    ck_assert_str_eq(f->reason, "answered no: 问题 exits_clear");
    /* FAIL: only the critical failure decided it */
    ck_assert_uint_eq(r->n_reasons, 1);
    ck_assert_str_eq(r->reasons[0],
                     "critical item fire/exits_clear failed: answered no: 问题 exits_clear");
    report_free(r);
}
END_TEST

/* The report owns everything: inputs on the heap, freed before it is read. */
START_TEST(test_reconcile_report_is_self_contained)
{
    built b;
    build(&b, &CASES[4], 0);
    size_t n = b.n;
    uint8_t buf[4096];
    size_t len = protobuf_c_message_pack(&b.app.base, buf);
    Inspect__V1__Application *app = inspect__v1__application__unpack(NULL, len, buf);
    Inspect__V1__Template *tpl[MAXD];
    Inspect__V1__FindingsBody *fb[MAXD];
    ins_dept_input in[MAXD];
    char *names[MAXD];
    for (size_t i = 0; i < n; i++) {
        len = protobuf_c_message_pack(&b.in[i].tpl->base, buf);
        tpl[i] = inspect__v1__template__unpack(NULL, len, buf);
        len = protobuf_c_message_pack(&b.in[i].findings->base, buf);
        fb[i] = inspect__v1__findings_body__unpack(NULL, len, buf);
        names[i] = strdup(b.in[i].department);
        ck_assert(app && tpl[i] && fb[i] && names[i]);
        in[i] = (ins_dept_input){names[i], tpl[i], fb[i]};
    }
    Inspect__V1__Report *r = NULL;
    ck_assert_int_eq(ins_reconcile(app, in, n, NULL, 0, &r), 0);
    protobuf_c_message_free_unpacked(&app->base, NULL);
    for (size_t i = 0; i < n; i++) {
        protobuf_c_message_free_unpacked(&tpl[i]->base, NULL);
        protobuf_c_message_free_unpacked(&fb[i]->base, NULL);
        free(names[i]);
    }
    char diff[2600];
    ck_assert_msg(compare(&CASES[4], r, diff, sizeof diff) == 0, "%s", diff);
    ck_assert_str_eq(r->facts[0]->declared->unit, "m2");
    report_free(r);
}
END_TEST

/* ---- inputs that do not fit together ----------------------------------------- */

typedef struct bad {
    const char *name;
    void (*spoil)(built *b);
    const char *why; /* exact message */
} bad;

static void spoil_dup_dept(built *b)
{
    b->in[1].department = "fire";
    b->in[1].tpl = b->in[0].tpl;
    b->in[1].findings = b->in[0].findings;
}
static void spoil_tpl_dept(built *b)
{
    b->in[1].tpl = b->in[0].tpl;
}
static void spoil_findings_dept(built *b)
{
    b->d[0].fb.department = (char *)"market";
}
static void spoil_version(built *b)
{
    b->d[0].fb.template_version = 2;
}
static void spoil_unknown_item(built *b)
{
    b->d[1].an[0].item_code = (char *)"exits_clear";
}
static void spoil_twice(built *b)
{
    b->d[1].an[0] = b->d[1].an[1]; /* floor_area, a number, twice */
}
static void spoil_kind(built *b)
{
    b->d[1].an[1].value_case = INSPECT__V1__ANSWER__VALUE_TEXT;
    b->d[1].an[1].text = (char *)"一百";
}
static void spoil_required(built *b)
{
    b->d[0].fb.n_answers = 1;
}
static void spoil_fact_twice(built *b)
{
    b->df[1].key = (char *)AREA;
}
static void spoil_no_findings(built *b)
{
    b->in[1].findings = NULL;
}
static void spoil_no_department(built *b)
{
    b->in[0].department = "";
}

static const bad BAD[] = {
    {"department twice", spoil_dup_dept, "department fire is given twice"},
    {"template of another department", spoil_tpl_dept,
     "department market: template fire-venue is department fire's"},
    {"findings of another department", spoil_findings_dept,
     "department fire: findings are department market's"},
    {"findings of another version", spoil_version,
     "department fire: findings fill in template version 2, not 3"},
    {"answer to an item the template lacks", spoil_unknown_item,
     "department market: answer to item exits_clear, which template market-venue v3 lacks"},
    {"item answered twice", spoil_twice, "department market: item floor_area is answered twice"},
    {"answer of the wrong kind", spoil_kind,
     "department market: item floor_area has an answer of the wrong kind"},
    {"required item unanswered", spoil_required,
     "department fire: required item extinguishers is not answered"},
    {"declared fact twice", spoil_fact_twice, "declared fact floor_area_m2 is given twice"},
    {"no findings", spoil_no_findings, "department market: no findings"},
    {"no department", spoil_no_department, "input 0 names no department"},
};
#define NBAD ((int)(sizeof(BAD) / sizeof(BAD[0])))

static const rcase BAD_BASE = {
    .name = "base of the bad inputs",
    .facts = {FN(AREA, 120, "m2"), FN("staff", 3, "")},
    .depts = {{"fire", {FIRE_ITEMS}, {FIRE_OK(119)}}, {"market", {MARKET_ITEMS}, {MARKET_OK(121)}}},
};

START_TEST(test_reconcile_refuses_inputs_that_do_not_fit)
{
    const bad *t = &BAD[_i];
    static built b;
    build(&b, &BAD_BASE, 0);
    Inspect__V1__Report *r = NULL;
    ck_assert_int_eq(ins_reconcile(&b.app, b.in, b.n, NULL, 0, &r), 0);
    report_free(r);

    t->spoil(&b);
    char why[256] = "";
    r = (Inspect__V1__Report *)0x1;
    ck_assert_int_eq(ins_reconcile_why(&b.app, b.in, b.n, NULL, 0, &r, why, sizeof why),
                     INS_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strcmp(why, t->why) == 0, "%s: '%s', want '%s'", t->name, why, t->why);
    /* without a buffer: the same code */
    r = (Inspect__V1__Report *)0x1;
    ck_assert_int_eq(ins_reconcile(&b.app, b.in, b.n, NULL, 0, &r), INS_EINVAL);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_reconcile_null_arguments)
{
    built b;
    build(&b, &BAD_BASE, 0);
    Inspect__V1__Report *r = NULL;
    ck_assert_int_eq(ins_reconcile(&b.app, b.in, b.n, NULL, 0, NULL), INS_EINVAL);
    ck_assert_int_eq(ins_reconcile(NULL, b.in, b.n, NULL, 0, &r), INS_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(ins_reconcile(&b.app, NULL, 1, NULL, 0, &r), INS_EINVAL);
    ck_assert_int_eq(ins_reconcile(&b.app, b.in, b.n, NULL, 1, &r), INS_EINVAL);
    /* no departments at all: an empty PASS */
    ck_assert_int_eq(ins_reconcile(&b.app, NULL, 0, NULL, 0, &r), 0);
    ck_assert_int_eq(r->outcome, PASS);
    ck_assert_uint_eq(r->n_facts, 0);
    report_free(r);
}
END_TEST

/* A re-inspection ignores answers outside its list, even to unknown items. */
START_TEST(test_reconcile_only_ignores_other_answers)
{
    built b;
    build(&b, &BAD_BASE, 0);
    spoil_unknown_item(&b); /* market answers exits_clear, not in its template */
    char *only[] = {(char *)"floor_area"};
    Inspect__V1__Report *r = NULL;
    ck_assert_int_eq(ins_reconcile(&b.app, b.in, b.n, only, 1, &r), 0);
    ck_assert_int_eq(r->outcome, PASS);
    ck_assert_uint_eq(r->n_facts, 1);
    ck_assert_uint_eq(r->facts[0]->n_observed, 2);
    report_free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reconcile");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, test_reconcile_table, 0, NCASES);
    tcase_add_loop_test(tc, test_reconcile_deterministic, 0, NCASES);
    tcase_add_test(tc, test_reconcile_table_can_fail);
    tcase_add_test(tc, test_reconcile_disagreement_details);
    tcase_add_test(tc, test_reconcile_failure_details);
    tcase_add_test(tc, test_reconcile_report_is_self_contained);
    suite_add_tcase(s, tc);

    TCase *tb = tcase_create("inputs");
    tcase_add_loop_test(tb, test_reconcile_refuses_inputs_that_do_not_fit, 0, NBAD);
    tcase_add_test(tb, test_reconcile_null_arguments);
    tcase_add_test(tb, test_reconcile_only_ignores_other_answers);
    suite_add_tcase(s, tb);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
