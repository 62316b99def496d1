/*
 * test_directory_rules.c - validation of the Directory's reference data
 * (server/domain/directory_rules.c): a valid department, inspector and
 * service item pass; each broken field is refused with INS_EINVAL and a
 * sentence naming it.
 */
#include <check.h>
#include <string.h>

#include "directory_rules.h"
#include "ins_error.h"

static int has(const char *why, const char *part)
{
    return strstr(why, part) != NULL;
}

START_TEST(test_directory_rules_department)
{
    Inspect__V1__Department d = INSPECT__V1__DEPARTMENT__INIT;
    char why[256] = "";
    d.code = "fire";
    d.name = "区消防救援大队";
    d.kind = INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_INDUSTRY;
    ck_assert_int_eq(ins_department_validate(&d, why, sizeof why), 0);
    d.kind = INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_BUREAU;
    ck_assert_int_eq(ins_department_validate(&d, why, sizeof why), 0);

    d.kind = INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_UNSPECIFIED;
    ck_assert_int_eq(ins_department_validate(&d, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "department fire: kind must be DEPARTMENT_KIND_BUREAU or "
                          "DEPARTMENT_KIND_INDUSTRY");
    d.kind = INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_BUREAU;
    d.name = "";
    ck_assert_int_eq(ins_department_validate(&d, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "department.name"));
    d.name = "x";
    d.code = "has space";
    ck_assert_int_eq(ins_department_validate(&d, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "department.code"));
    d.code = "abcdefghijklmnopqrstuvwxyz0123456"; /* 33 bytes */
    ck_assert_int_eq(ins_department_validate(&d, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "department.code"));
    ck_assert_int_eq(ins_department_validate(NULL, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "department is required");
}
END_TEST

/* A valid inspector, with one qualification and one conflict. */
typedef struct ifx {
    Inspect__V1__Inspector in;
    Inspect__V1__Qualification q;
    Inspect__V1__Qualification *qs[1];
    char *towns[1];
    char *conflicts[1];
    uint8_t key[32];
} ifx;

static void make_inspector(ifx *f)
{
    memset(f, 0, sizeof *f);
    f->in = (Inspect__V1__Inspector)INSPECT__V1__INSPECTOR__INIT;
    f->q = (Inspect__V1__Qualification)INSPECT__V1__QUALIFICATION__INIT;
    f->q.code = "fire-safety-inspection";
    f->q.expires = "2027-12-31";
    f->qs[0] = &f->q;
    f->towns[0] = "大丰";
    f->conflicts[0] = "91350100M000100Y43";
    f->in.id = "fire-003";
    f->in.name = "王强";
    f->in.department = "fire";
    f->in.qualifications = f->qs;
    f->in.n_qualifications = 1;
    f->in.towns = f->towns;
    f->in.n_towns = 1;
    f->in.conflicts = f->conflicts;
    f->in.n_conflicts = 1;
    f->in.max_open_tasks = 5;
    f->in.base_latitude = 33.2;
    f->in.base_longitude = 120.5;
}

START_TEST(test_directory_rules_inspector)
{
    ifx f;
    char why[256] = "";
    make_inspector(&f);
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), 0);
    f.in.public_key.data = f.key; /* all zero: (sqrt(-1), 0), a point of order 4 */
    f.in.public_key.len = 32;
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "inspector fire-003: public_key is not a usable Ed25519 key (a point of "
                          "small order); register the 32-byte public key the tablet generated");
    static const uint8_t rfc8032[32] = {/* RFC 8032, test 1 */
                                        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7,
                                        0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
                                        0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
                                        0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
    memcpy(f.key, rfc8032, 32);
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), 0);

    f.in.public_key.len = 31;
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "inspector fire-003: public_key is 31 bytes; an Ed25519 key is 32");

    make_inspector(&f);
    f.in.max_open_tasks = 0;
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "inspector fire-003: max_open_tasks must be at least 1");

    make_inspector(&f);
    f.q.expires = "2027-02-30";
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "inspector fire-003 qualification fire-safety-inspection: expires "
                          "'2027-02-30' is not a date YYYY-MM-DD");

    make_inspector(&f);
    f.conflicts[0] = "91350100M000100Y44"; /* wrong check digit */
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "inspector.conflicts"));

    make_inspector(&f);
    f.in.base_latitude = 91;
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);

    make_inspector(&f);
    f.towns[0] = "";
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "inspector.towns"));

    make_inspector(&f);
    f.in.department = "";
    ck_assert_int_eq(ins_inspector_validate(&f.in, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "inspector.department"));

    ck_assert_int_eq(ins_inspector_validate(NULL, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "inspector is required");
}
END_TEST

/* A valid service item naming two departments. */
typedef struct sfx {
    Inspect__V1__ServiceItem it;
    Inspect__V1__RequiredDepartment rd[17];
    Inspect__V1__RequiredDepartment *rds[17];
} sfx;

static void make_item(sfx *f)
{
    static const char *DEPTS[] = {"fire", "market"};
    memset(f, 0, sizeof *f);
    f->it = (Inspect__V1__ServiceItem)INSPECT__V1__SERVICE_ITEM__INIT;
    f->it.code = "food-business";
    f->it.name = "食品经营许可";
    f->it.limit_working_days = 10;
    for (int i = 0; i < 17; i++) {
        f->rd[i] = (Inspect__V1__RequiredDepartment)INSPECT__V1__REQUIRED_DEPARTMENT__INIT;
        f->rd[i].department = (char *)DEPTS[i % 2];
        f->rd[i].qualification = "q";
        f->rd[i].template_id = "t";
        f->rds[i] = &f->rd[i];
    }
    f->it.departments = f->rds;
    f->it.n_departments = 2;
}

START_TEST(test_directory_rules_service_item)
{
    sfx f;
    char why[256] = "";
    make_item(&f);
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), 0);

    f.it.limit_working_days = 0;
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "service item food-business: limit_working_days must be 1..365, not 0");
    f.it.limit_working_days = 366;
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    f.it.limit_working_days = 365;
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), 0);

    f.it.n_departments = 0;
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "service item food-business names 0 departments; it needs 1 to 16");
    f.it.n_departments = 17;
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "service item food-business names 17 departments; it needs 1 to 16");

    f.it.n_departments = 3; /* fire, market, fire */
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "service item food-business names department fire twice");

    make_item(&f);
    f.rd[1].template_id = "";
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "departments.template_id"));
    make_item(&f);
    f.rd[0].qualification = "";
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "departments.qualification"));
    make_item(&f);
    f.it.name = "";
    ck_assert_int_eq(ins_item_validate(&f.it, why, sizeof why), INS_EINVAL);
    ck_assert(has(why, "item.name"));

    ck_assert_int_eq(ins_item_validate(NULL, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item is required");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("directory_rules");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_directory_rules_department);
    tcase_add_test(tc, test_directory_rules_inspector);
    tcase_add_test(tc, test_directory_rules_service_item);
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
