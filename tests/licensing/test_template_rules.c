/*
 * test_template_rules.c - checklist templates (one case per rule, each with
 * the exact message), declared facts against templates (type mismatches),
 * and the application record.
 *
 * Each case starts from a valid fixture built on the stack and breaks one
 * thing, so a failing case points at exactly one rule.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "ins_error.h"
#include "template_rules.h"

/* ---- a valid template: fire-venue, four items ---- */

typedef struct {
    Inspect__V1__Template t;
    Inspect__V1__TemplateItem items[4];
    Inspect__V1__TemplateItem *ptrs[4];
    char *choices[3];
    Inspect__V1__Tolerance tol;
} tpl_fx;

static void tpl_make(tpl_fx *f)
{
    static const Inspect__V1__Template T0 = INSPECT__V1__TEMPLATE__INIT;
    static const Inspect__V1__TemplateItem I0 = INSPECT__V1__TEMPLATE_ITEM__INIT;
    static const Inspect__V1__Tolerance TOL0 = INSPECT__V1__TOLERANCE__INIT;
    memset(f, 0, sizeof(*f));
    f->t = T0;
    f->t.id = "fire-venue";
    f->t.department = "fire";
    f->t.name = "公众聚集场所投入使用前消防安全检查";
    for (int i = 0; i < 4; i++) {
        f->items[i] = I0;
        f->ptrs[i] = &f->items[i];
    }
    f->t.n_items = 4;
    f->t.items = f->ptrs;

    f->tol = TOL0;
    f->tol.bound_case = INSPECT__V1__TOLERANCE__BOUND_RELATIVE;
    f->tol.relative = 0.05;

    Inspect__V1__TemplateItem *it = &f->items[0];
    it->code = "floor_area";
    it->text = "经营场所使用面积（平方米）";
    it->kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER;
    it->required = 1;
    it->severity = INSPECT__V1__SEVERITY__SEVERITY_MAJOR;
    it->unit = "m2";
    it->min = 10;
    it->max = 5000;
    it->verifies_fact = "floor_area_m2";
    it->tolerance = &f->tol;

    it = &f->items[1];
    it->code = "exits_clear";
    it->text = "安全出口、疏散通道畅通";
    it->kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL;
    it->required = 1;
    it->severity = INSPECT__V1__SEVERITY__SEVERITY_CRITICAL;
    it->verifies_fact = "has_fire_exit";

    it = &f->items[2];
    it->code = "hygiene";
    it->text = "环境卫生状况";
    it->kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE;
    it->severity = INSPECT__V1__SEVERITY__SEVERITY_MINOR;
    f->choices[0] = "合格";
    f->choices[1] = "基本合格";
    f->choices[2] = "不合格";
    it->n_choices = 3;
    it->choices = f->choices;

    it = &f->items[3];
    it->code = "storefront";
    it->text = "门头及消防设施照片";
    it->kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO;
    it->required = 1;
    it->min_photos = 2;
    it->severity = INSPECT__V1__SEVERITY__SEVERITY_MINOR;
}

START_TEST(test_template_valid_fixture_passes)
{
    tpl_fx f;
    char why[256] = "";
    tpl_make(&f);
    ck_assert_msg(ins_template_validate(&f.t, why, sizeof(why)) == 0, "%s", why);

    /* allowed variations */
    f.items[3].required = 0;
    f.items[3].min_photos = 0; /* optional photos */
    f.items[0].min = f.items[0].max = 100;
    f.items[0].tolerance = NULL;
    f.items[1].fail_when_true = 1;
    f.items[1].min_photos = 1; /* evidence photo on a BOOL item */
    f.t.name = "";
    ck_assert_msg(ins_template_validate(&f.t, why, sizeof(why)) == 0, "%s", why);

    /* an empty tolerance message is no tolerance */
    static const Inspect__V1__Tolerance TOL0 = INSPECT__V1__TOLERANCE__INIT;
    f.tol = TOL0;
    f.items[2].tolerance = &f.tol;
    ck_assert_msg(ins_template_validate(&f.t, why, sizeof(why)) == 0, "%s", why);
}
END_TEST

enum tcase_id {
    T_NO_ID,
    T_ID_SPACE,
    T_NO_DEPT,
    T_DEPT_UPPER,
    T_NO_ITEMS,
    T_ITEM_NO_CODE,
    T_ITEM_DUP_CODE,
    T_ITEM_NO_TEXT,
    T_ITEM_TEXT_CONTROL,
    T_NO_KIND,
    T_BAD_KIND,
    T_NO_SEVERITY,
    T_NUM_MIN_ABOVE_MAX,
    T_NUM_NO_RANGE,
    T_NUM_NAN,
    T_NUM_NO_UNIT,
    T_CHOICE_ONE,
    T_CHOICE_DUP,
    T_CHOICE_EMPTY,
    T_CHOICES_ON_BOOL,
    T_PHOTO_REQUIRED_ZERO,
    T_PHOTOS_TOO_MANY,
    T_FAIL_WHEN_TRUE_NUMBER,
    T_VERIFIES_ON_CHOICE,
    T_TOL_NO_FACT,
    T_TOL_ON_BOOL,
    T_TOL_NEGATIVE,
    T_TOL_RELATIVE_ABOVE_1,
};

static const struct {
    enum tcase_id id;
    const char *why;
} TEMPLATE_CASES[] = {
    {T_NO_ID, "template id is empty"},
    {T_ID_SPACE, "template id fire venue has a space at byte 5; ids use printable ASCII without "
                 "spaces (e.g. XD-2026-000123)"},
    {T_NO_DEPT, "template department is empty"},
    {T_DEPT_UPPER, "template department Fire is not a department code ([a-z0-9_-], e.g. fire)"},
    {T_NO_ITEMS, "template fire-venue has no items; add at least one"},
    {T_ITEM_NO_CODE, "template fire-venue item 2 has no code"},
    {T_ITEM_DUP_CODE, "template fire-venue: item code floor_area is used twice (items 1 and 3)"},
    {T_ITEM_NO_TEXT,
     "template fire-venue item floor_area has no text; give the question the inspector answers"},
    {T_ITEM_TEXT_CONTROL, "template fire-venue item floor_area text contains a control character "
                          "(0x0A) at byte 4"},
    {T_NO_KIND,
     "template fire-venue item floor_area has no kind; set BOOL, NUMBER, CHOICE, TEXT or PHOTO"},
    {T_BAD_KIND,
     "template fire-venue item floor_area has kind 9; set BOOL, NUMBER, CHOICE, TEXT or PHOTO"},
    {T_NO_SEVERITY,
     "template fire-venue item exits_clear has no severity; set CRITICAL, MAJOR or MINOR"},
    {T_NUM_MIN_ABOVE_MAX, "template fire-venue item floor_area: min 10 is above max 5"},
    {T_NUM_NO_RANGE, "template fire-venue item floor_area: a NUMBER item needs its allowed "
                     "range; min and max are both 0"},
    {T_NUM_NAN, "template fire-venue item floor_area: min 10 and max nan must be finite numbers"},
    {T_NUM_NO_UNIT, "template fire-venue item floor_area: a NUMBER item needs a unit (e.g. m2, "
                    "seats)"},
    {T_CHOICE_ONE,
     "template fire-venue item hygiene: a CHOICE item needs at least 2 choices, it has 1"},
    {T_CHOICE_DUP, "template fire-venue item hygiene: choice 合格 is listed twice"},
    {T_CHOICE_EMPTY, "template fire-venue item hygiene choice 2 is empty"},
    {T_CHOICES_ON_BOOL, "template fire-venue item exits_clear: choices apply only to CHOICE "
                        "items, this one is BOOL"},
    {T_PHOTO_REQUIRED_ZERO, "template fire-venue item storefront: a required PHOTO item needs "
                            "min_photos of at least 1"},
    {T_PHOTOS_TOO_MANY, "template fire-venue item storefront: min_photos 21 is above 20"},
    {T_FAIL_WHEN_TRUE_NUMBER, "template fire-venue item floor_area: fail_when_true applies only "
                              "to BOOL items, this one is NUMBER"},
    {T_VERIFIES_ON_CHOICE, "template fire-venue item hygiene: only BOOL and NUMBER items can "
                           "verify a declared fact, this one is CHOICE (verifies_fact "
                           "hygiene_grade)"},
    {T_TOL_NO_FACT, "template fire-venue item floor_area: a tolerance is set but the item "
                    "verifies no declared fact; set verifies_fact or drop the tolerance"},
    {T_TOL_ON_BOOL, "template fire-venue item exits_clear: a tolerance applies only to NUMBER "
                    "items, this one is BOOL"},
    {T_TOL_NEGATIVE,
     "template fire-venue item floor_area: tolerance absolute -1 must be a number 0 or more"},
    {T_TOL_RELATIVE_ABOVE_1, "template fire-venue item floor_area: tolerance relative 1.5 must "
                             "be within 0..1 (0.05 = 5 %)"},
};

static void tpl_break(tpl_fx *f, enum tcase_id id)
{
    Inspect__V1__TemplateItem *num = &f->items[0], *bol = &f->items[1], *cho = &f->items[2],
                              *pho = &f->items[3];
    switch (id) {
    case T_NO_ID:
        f->t.id = "";
        break;
    case T_ID_SPACE:
        f->t.id = "fire venue";
        break;
    case T_NO_DEPT:
        f->t.department = "";
        break;
    case T_DEPT_UPPER:
        f->t.department = "Fire";
        break;
    case T_NO_ITEMS:
        f->t.n_items = 0;
        break;
    case T_ITEM_NO_CODE:
        bol->code = "";
        break;
    case T_ITEM_DUP_CODE:
        cho->code = "floor_area";
        break;
    case T_ITEM_NO_TEXT:
        num->text = "";
        break;
    case T_ITEM_TEXT_CONTROL:
        num->text = "面\n积";
        break;
    case T_NO_KIND:
        num->kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_UNSPECIFIED;
        break;
    case T_BAD_KIND:
        num->kind = (Inspect__V1__ItemKind)9;
        break;
    case T_NO_SEVERITY:
        bol->severity = INSPECT__V1__SEVERITY__SEVERITY_UNSPECIFIED;
        break;
    case T_NUM_MIN_ABOVE_MAX:
        num->min = 10;
        num->max = 5;
        break;
    case T_NUM_NO_RANGE:
        num->min = num->max = 0;
        break;
    case T_NUM_NAN:
        num->max = NAN;
        break;
    case T_NUM_NO_UNIT:
        num->unit = "";
        break;
    case T_CHOICE_ONE:
        cho->n_choices = 1;
        break;
    case T_CHOICE_DUP:
        f->choices[2] = "合格";
        break;
    case T_CHOICE_EMPTY:
        f->choices[1] = "";
        break;
    case T_CHOICES_ON_BOOL:
        bol->n_choices = 2;
        bol->choices = f->choices;
        break;
    case T_PHOTO_REQUIRED_ZERO:
        pho->min_photos = 0;
        break;
    case T_PHOTOS_TOO_MANY:
        pho->min_photos = 21;
        break;
    case T_FAIL_WHEN_TRUE_NUMBER:
        num->fail_when_true = 1;
        break;
    case T_VERIFIES_ON_CHOICE:
        cho->verifies_fact = "hygiene_grade";
        break;
    case T_TOL_NO_FACT:
        num->verifies_fact = "";
        break;
    case T_TOL_ON_BOOL:
        f->tol.bound_case = INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE;
        f->tol.absolute = 1;
        bol->tolerance = &f->tol;
        break;
    case T_TOL_NEGATIVE:
        f->tol.bound_case = INSPECT__V1__TOLERANCE__BOUND_ABSOLUTE;
        f->tol.absolute = -1;
        break;
    case T_TOL_RELATIVE_ABOVE_1:
        f->tol.relative = 1.5;
        break;
    }
}

START_TEST(test_template_each_rule_refused_with_message)
{
    size_t n = sizeof(TEMPLATE_CASES) / sizeof(TEMPLATE_CASES[0]);
    ck_assert_uint_eq(n, T_TOL_RELATIVE_ABOVE_1 + 1); /* one row per rule */
    for (size_t i = 0; i < n; i++) {
        tpl_fx f;
        char why[512] = "";
        tpl_make(&f);
        tpl_break(&f, TEMPLATE_CASES[i].id);
        ck_assert_msg(ins_template_validate(&f.t, why, sizeof(why)) == INS_EINVAL,
                      "case %zu passed", i);
        ck_assert_str_eq(why, TEMPLATE_CASES[i].why);
    }
}
END_TEST

START_TEST(test_template_limits)
{
    tpl_fx f;
    char why[512];
    char longid[INS_ID_MAX + 2];
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    tpl_make(&f);
    f.t.id = longid;
    ck_assert_int_eq(ins_template_validate(&f.t, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "template id is 65 bytes long; at most 64");
    tpl_make(&f);
    f.t.department = "fire-and-rescue-brigade-of-xindu-district";
    ck_assert_int_eq(ins_template_validate(&f.t, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "template department fire-and-rescue-brigade-of-xindu-distric... is "
                          "41 bytes long; at most 32");
    ck_assert_int_eq(ins_template_validate(NULL, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "template is missing");
}
END_TEST

/* ---- declared facts against templates ---- */

typedef struct {
    Inspect__V1__Application a;
    Inspect__V1__DeclaredFact facts[3];
    Inspect__V1__DeclaredFact *ptrs[3];
    Inspect__V1__FactValue values[3];
} app_fx;

static void app_make(app_fx *f)
{
    static const Inspect__V1__Application A0 = INSPECT__V1__APPLICATION__INIT;
    static const Inspect__V1__DeclaredFact F0 = INSPECT__V1__DECLARED_FACT__INIT;
    static const Inspect__V1__FactValue V0 = INSPECT__V1__FACT_VALUE__INIT;
    memset(f, 0, sizeof(*f));
    f->a = A0;
    f->a.id = "XD-2026-000123";
    f->a.service_item = "food-business";
    f->a.applicant_name = "成都市新都区蜀香餐饮有限公司";
    f->a.applicant_credit_code = "91350100M000100Y43";
    f->a.site_address = "新都区大丰街道蓉都大道南二段 88 号";
    f->a.town = "大丰";
    f->a.latitude = 30.7862;
    f->a.longitude = 104.0866;
    for (int i = 0; i < 3; i++) {
        f->facts[i] = F0;
        f->values[i] = V0;
        f->facts[i].value = &f->values[i];
        f->ptrs[i] = &f->facts[i];
    }
    f->facts[0].key = "floor_area_m2";
    f->values[0].value_case = INSPECT__V1__FACT_VALUE__VALUE_NUMBER;
    f->values[0].number = 120;
    f->values[0].unit = "m2";
    f->facts[1].key = "has_fire_exit";
    f->values[1].value_case = INSPECT__V1__FACT_VALUE__VALUE_FLAG;
    f->values[1].flag = 1;
    f->facts[2].key = "business_scope";
    f->values[2].value_case = INSPECT__V1__FACT_VALUE__VALUE_TEXT;
    f->values[2].text = "热食类食品制售";
    f->a.n_declared_facts = 3;
    f->a.declared_facts = f->ptrs;
}

START_TEST(test_facts_matching_types_pass)
{
    tpl_fx t;
    app_fx a;
    char why[256] = "";
    tpl_make(&t);
    app_make(&a);
    const Inspect__V1__Template *tpls[] = {&t.t, NULL};
    ck_assert_msg(ins_facts_validate(&a.a, tpls, 2, why, sizeof(why)) == 0, "%s", why);
    ck_assert_int_eq(ins_facts_validate(&a.a, NULL, 0, why, sizeof(why)), 0);
    /* a verified fact the application does not declare is left to reconciliation */
    a.a.n_declared_facts = 1;
    ck_assert_msg(ins_facts_validate(&a.a, tpls, 1, why, sizeof(why)) == 0, "%s", why);
    a.a.n_declared_facts = 0;
    ck_assert_msg(ins_facts_validate(&a.a, tpls, 1, why, sizeof(why)) == 0, "%s", why);
}
END_TEST

START_TEST(test_facts_type_mismatch_refused)
{
    tpl_fx t;
    app_fx a;
    char why[256];
    tpl_make(&t);
    const Inspect__V1__Template *tpls[] = {&t.t};

    app_make(&a);
    a.values[0].value_case = INSPECT__V1__FACT_VALUE__VALUE_TEXT;
    a.values[0].text = "120";
    ck_assert_int_eq(ins_facts_validate(&a.a, tpls, 1, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact floor_area_m2 is text but template fire-venue item "
                          "floor_area checks a number");

    app_make(&a);
    a.values[0].value_case = INSPECT__V1__FACT_VALUE__VALUE_FLAG;
    a.values[0].flag = 1;
    ck_assert_int_eq(ins_facts_validate(&a.a, tpls, 1, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact floor_area_m2 is a flag but template fire-venue item "
                          "floor_area checks a number");

    app_make(&a);
    a.values[1].value_case = INSPECT__V1__FACT_VALUE__VALUE_NUMBER;
    a.values[1].number = 1;
    ck_assert_int_eq(ins_facts_validate(&a.a, tpls, 1, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact has_fire_exit is a number but template fire-venue item "
                          "exits_clear checks a flag (yes/no)");
}
END_TEST

START_TEST(test_facts_mismatch_in_second_template_named)
{
    tpl_fx t1, t2;
    app_fx a;
    char why[256];
    tpl_make(&t1);
    tpl_make(&t2);
    t1.items[0].verifies_fact = "";
    t1.items[0].tolerance = NULL;
    t2.t.id = "food-business";
    t2.t.department = "market";
    app_make(&a);
    a.values[0].value_case = INSPECT__V1__FACT_VALUE__VALUE_TEXT;
    a.values[0].text = "一百二十";
    const Inspect__V1__Template *tpls[] = {&t1.t, &t2.t};
    ck_assert_int_eq(ins_facts_validate(&a.a, tpls, 1, why, sizeof(why)), 0);
    ck_assert_int_eq(ins_facts_validate(&a.a, tpls, 2, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact floor_area_m2 is text but template food-business item "
                          "floor_area checks a number");
}
END_TEST

START_TEST(test_facts_own_rules)
{
    app_fx a;
    char why[256];

    app_make(&a);
    a.facts[2].key = "floor_area_m2";
    ck_assert_int_eq(ins_facts_validate(&a.a, NULL, 0, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact floor_area_m2 is listed twice (facts 1 and 3)");

    app_make(&a);
    a.facts[1].key = "";
    ck_assert_int_eq(ins_facts_validate(&a.a, NULL, 0, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact 2 has no key");

    app_make(&a);
    a.facts[0].value = NULL;
    ck_assert_int_eq(ins_facts_validate(&a.a, NULL, 0, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why,
                     "declared fact floor_area_m2 has no value; give a number, a flag or a text");

    app_make(&a);
    a.values[1].value_case = INSPECT__V1__FACT_VALUE__VALUE__NOT_SET;
    ck_assert_int_eq(ins_facts_validate(&a.a, NULL, 0, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why,
                     "declared fact has_fire_exit has no value; give a number, a flag or a text");

    app_make(&a);
    a.values[0].number = INFINITY;
    ck_assert_int_eq(ins_facts_validate(&a.a, NULL, 0, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact floor_area_m2: number inf is not finite");

    app_make(&a);
    a.values[2].text = "";
    ck_assert_int_eq(ins_facts_validate(&a.a, NULL, 0, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact business_scope text is empty");

    /* the same rules apply through ins_application_validate */
    app_make(&a);
    a.facts[2].key = "has_fire_exit";
    ck_assert_int_eq(ins_application_validate(&a.a, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "declared fact has_fire_exit is listed twice (facts 2 and 3)");
}
END_TEST

/* ---- the application ---- */

START_TEST(test_application_valid_passes)
{
    app_fx a;
    char why[256] = "";
    app_make(&a);
    ck_assert_msg(ins_application_validate(&a.a, why, sizeof(why)) == 0, "%s", why);
    a.a.latitude = -90;
    a.a.longitude = 180;
    a.a.n_declared_facts = 0;
    ck_assert_msg(ins_application_validate(&a.a, why, sizeof(why)) == 0, "%s", why);
}
END_TEST

START_TEST(test_application_bad_input_refused)
{
    static char long_name[INS_NAME_MAX + 2];
    memset(long_name, 'x', sizeof(long_name) - 1);
    static const struct {
        int field;
        const char *value;
        double number;
        const char *why;
    } CASES[] = {
        {0, "", 0, "id is empty"},
        {0, "XD 2026", 0,
         "id XD 2026 has a space at byte 3; ids use printable ASCII without spaces (e.g. "
         "XD-2026-000123)"},
        {1, "", 0, "service_item is empty"},
        {2, "", 0, "applicant_name is empty"},
        {2, long_name, 0, "applicant_name is 201 bytes long; at most 200"},
        {3, "91350100M000100Y44", 0,
         "applicant_credit_code 91350100M000100Y44: check digit should be 3, not 4"},
        {3, "", 0,
         "applicant_credit_code is empty; give the 18-character unified social credit code"},
        {4, "", 0, "site_address is empty"},
        {4, "ab\xff", 0, "site_address is not valid UTF-8 (at byte 3)"},
        {5, "", 0, "town is empty"},
        {6, NULL, 91, "latitude 91 is outside -90..90"},
        {7, NULL, -180.5, "longitude -180.5 is outside -180..180"},
        {6, NULL, NAN, "latitude is not a number"},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        app_fx a;
        char why[512] = "";
        app_make(&a);
        char *v = (char *)CASES[i].value;
        switch (CASES[i].field) {
        case 0:
            a.a.id = v;
            break;
        case 1:
            a.a.service_item = v;
            break;
        case 2:
            a.a.applicant_name = v;
            break;
        case 3:
            a.a.applicant_credit_code = v;
            break;
        case 4:
            a.a.site_address = v;
            break;
        case 5:
            a.a.town = v;
            break;
        case 6:
            a.a.latitude = CASES[i].number;
            break;
        case 7:
            a.a.longitude = CASES[i].number;
            break;
        }
        ck_assert_msg(ins_application_validate(&a.a, why, sizeof(why)) == INS_EINVAL,
                      "case %zu passed", i);
        ck_assert_str_eq(why, CASES[i].why);
    }
    char why[64];
    ck_assert_int_eq(ins_application_validate(NULL, why, sizeof(why)), INS_EINVAL);
    ck_assert_str_eq(why, "application is missing");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("template_rules");
    TCase *tc = tcase_create("template");
    tcase_add_test(tc, test_template_valid_fixture_passes);
    tcase_add_test(tc, test_template_each_rule_refused_with_message);
    tcase_add_test(tc, test_template_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("facts");
    tcase_add_test(tc, test_facts_matching_types_pass);
    tcase_add_test(tc, test_facts_type_mismatch_refused);
    tcase_add_test(tc, test_facts_mismatch_in_second_template_named);
    tcase_add_test(tc, test_facts_own_rules);
    suite_add_tcase(s, tc);
    tc = tcase_create("application");
    tcase_add_test(tc, test_application_valid_passes);
    tcase_add_test(tc, test_application_bad_input_refused);
    suite_add_tcase(s, tc);
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
