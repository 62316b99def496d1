/*
 * test_findings_rules.c - findings against their template
 * (server/domain/findings_rules.c) and the answer matching it shares with
 * reconciliation (server/domain/answers.c): each condition refused with
 * INS_EINVAL and its sentence, strict and lenient scope, photo ids, the
 * digest and Ed25519 signatures.
 */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#include <openssl/evp.h>

#include "answers.h"
#include "findings_rules.h"
#include "ins_error.h"

#define PHOTO "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF"

/* A template of five items (exits BOOL required, area NUMBER 1..500 m2 required,
 * use CHOICE, remark TEXT, site PHOTO with 1 photo) and findings answering all. */
typedef struct fx {
    Inspect__V1__TemplateItem it[5];
    Inspect__V1__TemplateItem *items[5];
    Inspect__V1__Template tpl;
    Inspect__V1__Answer an[6];
    Inspect__V1__Answer *answers[6];
    Inspect__V1__FindingsBody b;
    char *choices[2];
    char *photos[1];
} fx;

static void make(fx *f)
{
    memset(f, 0, sizeof *f);
    static const Inspect__V1__TemplateItem INIT = INSPECT__V1__TEMPLATE_ITEM__INIT;
    static const Inspect__V1__Answer AINIT = INSPECT__V1__ANSWER__INIT;
    f->choices[0] = "shop";
    f->choices[1] = "store";
    f->photos[0] = PHOTO;
    for (int i = 0; i < 5; i++) {
        f->it[i] = INIT;
        f->items[i] = &f->it[i];
        f->an[i] = AINIT;
        f->answers[i] = &f->an[i];
    }
    f->an[5] = AINIT;
    f->answers[5] = &f->an[5];
    f->it[0].code = "exits";
    f->it[0].text = "消防通道畅通";
    f->it[0].kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL;
    f->it[0].required = 1;
    f->it[1].code = "area";
    f->it[1].text = "面积";
    f->it[1].kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER;
    f->it[1].required = 1;
    f->it[1].unit = "m2";
    f->it[1].min = 1;
    f->it[1].max = 500;
    f->it[2].code = "use";
    f->it[2].kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE;
    f->it[2].choices = f->choices;
    f->it[2].n_choices = 2;
    f->it[3].code = "remark";
    f->it[3].kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_TEXT;
    f->it[4].code = "site";
    f->it[4].kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO;
    f->it[4].min_photos = 1;
    f->tpl = (Inspect__V1__Template)INSPECT__V1__TEMPLATE__INIT;
    f->tpl.id = "fire-venue";
    f->tpl.version = 3;
    f->tpl.items = f->items;
    f->tpl.n_items = 5;

    f->an[0].item_code = "exits";
    f->an[0].value_case = INSPECT__V1__ANSWER__VALUE_FLAG;
    f->an[0].flag = 1;
    f->an[1].item_code = "area";
    f->an[1].value_case = INSPECT__V1__ANSWER__VALUE_NUMBER;
    f->an[1].number = 120;
    f->an[2].item_code = "use";
    f->an[2].value_case = INSPECT__V1__ANSWER__VALUE_CHOICE;
    f->an[2].choice = "shop";
    f->an[3].item_code = "remark";
    f->an[3].value_case = INSPECT__V1__ANSWER__VALUE_TEXT;
    f->an[3].text = "整洁";
    f->an[4].item_code = "site";
    f->an[4].photo_ids = f->photos;
    f->an[4].n_photo_ids = 1;
    f->b = (Inspect__V1__FindingsBody)INSPECT__V1__FINDINGS_BODY__INIT;
    f->b.template_version = 3;
    f->b.answers = f->answers;
    f->b.n_answers = 5;
}

/* Validates f's findings; returns the code, the sentence in why. */
static int validate(fx *f, char *const *only, size_t n_only, char *why, size_t whylen)
{
    why[0] = '\0';
    return ins_findings_validate(&f->b, &f->tpl, only, n_only, why, whylen);
}

START_TEST(test_findings_rules_complete_findings_pass)
{
    fx f;
    char why[256];
    make(&f);
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), 0);
    f.b.n_answers = 2; /* only the required items */
    f.it[4].min_photos = 0;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), 0);
}
END_TEST

START_TEST(test_findings_rules_unknown_item)
{
    fx f;
    char why[256];
    make(&f);
    f.an[2].item_code = "no_such_item";
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "answer to item no_such_item, which template fire-venue v3 lacks");
}
END_TEST

START_TEST(test_findings_rules_answered_twice)
{
    fx f;
    char why[256];
    make(&f);
    f.an[5] = f.an[1];
    f.b.n_answers = 6;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item area is answered twice");
}
END_TEST

START_TEST(test_findings_rules_wrong_kind_says_what_it_takes)
{
    static const struct {
        int answer;
        int value_case;
        const char *why;
    } K[] = {
        {0, INSPECT__V1__ANSWER__VALUE_NUMBER,
         "item exits has an answer of the wrong kind; it takes a yes/no answer (flag)"},
        {1, INSPECT__V1__ANSWER__VALUE_TEXT,
         "item area has an answer of the wrong kind; it takes a number"},
        {2, INSPECT__V1__ANSWER__VALUE_FLAG,
         "item use has an answer of the wrong kind; it takes one of its choices"},
        {3, INSPECT__V1__ANSWER__VALUE__NOT_SET,
         "item remark has an answer of the wrong kind; it takes a text answer"},
        {4, INSPECT__V1__ANSWER__VALUE_FLAG,
         "item site has an answer of the wrong kind; it takes photos only, no value"},
    };
    for (size_t i = 0; i < sizeof K / sizeof K[0]; i++) {
        fx f;
        char why[256];
        make(&f);
        f.an[K[i].answer].value_case = K[i].value_case;
        f.an[K[i].answer].text = "x";
        ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
        ck_assert_str_eq(why, K[i].why);
    }
    fx f;
    char why[256];
    make(&f);
    f.an[1].number = NAN; /* not a number is not a number */
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item area has an answer of the wrong kind; it takes a number");
    make(&f);
    f.it[3].kind = INSPECT__V1__ITEM_KIND__ITEM_KIND_UNSPECIFIED;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item remark has an answer of the wrong kind; it takes nothing: the "
                          "template gives it no kind");
}
END_TEST

START_TEST(test_findings_rules_required_item_unanswered)
{
    fx f;
    char why[256];
    make(&f);
    f.answers[0] = f.answers[2]; /* exits left out */
    f.answers[1] = f.answers[3];
    f.b.n_answers = 2;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    /* both are missing: the smaller code is named, whatever the template's order */
    ck_assert_str_eq(why, "required item area is not answered (面积)");
}
END_TEST

START_TEST(test_findings_rules_values_checked)
{
    fx f;
    char why[256];
    make(&f);
    f.an[1].number = 501;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item area: 501 is outside 1..500 m2");
    make(&f);
    f.an[2].choice = "farm";
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item use: 'farm' is not one of its choices");
    make(&f);
    f.an[4].n_photo_ids = 0;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item site needs at least 1 photo, 0 given");
    make(&f);
    f.photos[0] = "abc";
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "item site: photo id 'abc' is not a hex SHA-256");
    make(&f);
    f.an[3].text = "\xff";
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "UTF-8"));
    make(&f);
    f.b.notes = "\xc3";
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "notes"));
    make(&f);
    f.it[1].min = f.it[1].max = 0; /* no range */
    f.an[1].number = -7;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), 0);
}
END_TEST

START_TEST(test_findings_rules_photo_counts_once)
{
    fx f;
    char why[256];
    char *thrice[3] = {PHOTO, PHOTO, PHOTO};
    make(&f);
    f.it[4].min_photos = 3;
    f.an[4].photo_ids = thrice;
    f.an[4].n_photo_ids = 3;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_msg(strstr(why, "item site cites photo ") == why, "%s", why);
    ck_assert_ptr_nonnull(strstr(why, "more than once; each photo counts once"));

    /* the same id in another case is the same photo */
    char upper[65];
    for (int i = 0; i < 64; i++)
        upper[i] = (char)toupper((unsigned char)PHOTO[i]);
    upper[64] = '\0';
    char *twice[2] = {PHOTO, upper};
    make(&f);
    f.an[4].photo_ids = twice;
    f.an[4].n_photo_ids = 2;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "more than once"));

    /* one photo as evidence for two items */
    char *one[1] = {PHOTO};
    make(&f);
    f.an[0].photo_ids = one;
    f.an[0].n_photo_ids = 1;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), INS_EINVAL);
    ck_assert_msg(strstr(why, "is cited by items ") != NULL, "%s", why);
    ck_assert_ptr_nonnull(strstr(why, "a photo is evidence for one item"));

    /* distinct photos pass */
    char *two[2] = {PHOTO, "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
    make(&f);
    f.it[4].min_photos = 2;
    f.an[4].photo_ids = two;
    f.an[4].n_photo_ids = 2;
    ck_assert_int_eq(validate(&f, NULL, 0, why, sizeof why), 0);
}
END_TEST

START_TEST(test_findings_rules_reinspection_scope_is_strict)
{
    fx f;
    char why[256];
    char *only[] = {"area", "use"};
    make(&f);
    f.answers[0] = f.answers[1];
    f.answers[1] = f.answers[2];
    f.b.n_answers = 2;
    ck_assert_int_eq(validate(&f, only, 2, why, sizeof why), 0);
    f.b.n_answers = 1; /* use is optional, but a re-inspection asks for it */
    ck_assert_int_eq(validate(&f, only, 2, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why, "required item use is not answered");
    make(&f); /* exits is answered but not asked for */
    ck_assert_int_eq(validate(&f, only, 2, why, sizeof why), INS_EINVAL);
    ck_assert_str_eq(why,
                     "item exits is not checked again: this re-inspection covers only what failed");
}
END_TEST

START_TEST(test_answers_lenient_scope_skips_the_rest)
{
    fx f;
    char why[256];
    char *only[] = {"area", NULL};
    const Inspect__V1__Answer *matched[5];
    ins_answer_problem pb;
    make(&f);
    f.an[0].item_code = "no_such_item"; /* ignored: out of scope */
    ck_assert_int_eq(ins_answers_match(&f.tpl, f.b.answers, f.b.n_answers, only, 2, 0, matched, &pb,
                                       why, sizeof why),
                     0);
    ck_assert_int_eq(pb.fault, INS_ANSWER_OK);
    ck_assert_ptr_null(matched[0]);
    ck_assert_ptr_eq(matched[1], &f.an[1]);
    for (int i = 2; i < 5; i++)
        ck_assert_ptr_null(matched[i]);
    /* the same with the strict flag: the unknown item is refused */
    ck_assert_int_eq(ins_answers_match(&f.tpl, f.b.answers, f.b.n_answers, only, 2,
                                       INS_ANSWERS_STRICT, matched, &pb, why, sizeof why),
                     INS_EINVAL);
    ck_assert_int_eq(pb.fault, INS_ANSWER_UNKNOWN_ITEM);
    ck_assert_ptr_null(pb.item);
}
END_TEST

START_TEST(test_answers_problem_names_the_item)
{
    fx f;
    char why[256];
    ins_answer_problem pb;
    make(&f);
    f.an[1].value_case = INSPECT__V1__ANSWER__VALUE_FLAG;
    ck_assert_int_eq(ins_answers_match(&f.tpl, f.b.answers, f.b.n_answers, NULL, 0, 0, NULL, &pb,
                                       why, sizeof why),
                     INS_EINVAL);
    ck_assert_int_eq(pb.fault, INS_ANSWER_WRONG_KIND);
    ck_assert_ptr_eq(pb.item, &f.it[1]);
    ck_assert_str_eq(why, "item area has an answer of the wrong kind");
    /* without a buffer: the same code */
    ck_assert_int_eq(
        ins_answers_match(&f.tpl, f.b.answers, f.b.n_answers, NULL, 0, 0, NULL, NULL, NULL, 0),
        INS_EINVAL);
}
END_TEST

START_TEST(test_findings_rules_photo_id)
{
    ck_assert(ins_photo_id_valid(PHOTO));
    ck_assert(!ins_photo_id_valid(""));
    ck_assert(!ins_photo_id_valid(PHOTO "0"));
    char bad[] = PHOTO;
    bad[10] = 'g';
    ck_assert(!ins_photo_id_valid(bad));
}
END_TEST

START_TEST(test_findings_rules_signature)
{
    fx f;
    make(&f);
    uint8_t digest[32], again[32];
    ins_findings_digest(&f.b, digest);
    ins_findings_digest(&f.b, again);
    ck_assert_mem_eq(digest, again, 32);
    f.an[1].number = 121;
    ins_findings_digest(&f.b, again);
    ck_assert(memcmp(digest, again, 32) != 0);

    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    ck_assert(kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_keygen(kc, &key) == 1);
    EVP_PKEY_CTX_free(kc);
    uint8_t pub[32], sig[64];
    size_t publen = sizeof pub, siglen = sizeof sig;
    ck_assert_int_eq(EVP_PKEY_get_raw_public_key(key, pub, &publen), 1);
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    ck_assert(EVP_DigestSignInit(mc, NULL, NULL, NULL, key) == 1 &&
              EVP_DigestSign(mc, sig, &siglen, digest, 32) == 1);
    EVP_MD_CTX_free(mc);
    EVP_PKEY_free(key);

    ck_assert_int_eq(ins_findings_verify(pub, 32, digest, sig, 64), 0);
    ck_assert_int_eq(ins_findings_verify(pub, 32, again, sig, 64), INS_EAUTH);
    ck_assert_int_eq(ins_findings_verify(pub, 32, digest, sig, 63), INS_EAUTH);
    ck_assert_int_eq(ins_findings_verify(pub, 31, digest, sig, 64), INS_EINVAL);
    sig[0] ^= 1;
    ck_assert_int_eq(ins_findings_verify(pub, 32, digest, sig, 64), INS_EAUTH);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("findings_rules");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_findings_rules_complete_findings_pass);
    tcase_add_test(tc, test_findings_rules_unknown_item);
    tcase_add_test(tc, test_findings_rules_answered_twice);
    tcase_add_test(tc, test_findings_rules_wrong_kind_says_what_it_takes);
    tcase_add_test(tc, test_findings_rules_required_item_unanswered);
    tcase_add_test(tc, test_findings_rules_values_checked);
    tcase_add_test(tc, test_findings_rules_reinspection_scope_is_strict);
    tcase_add_test(tc, test_answers_lenient_scope_skips_the_rest);
    tcase_add_test(tc, test_answers_problem_names_the_item);
    tcase_add_test(tc, test_findings_rules_photo_id);
    tcase_add_test(tc, test_findings_rules_photo_counts_once);
    tcase_add_test(tc, test_findings_rules_signature);
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
