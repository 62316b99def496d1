/*
 * findings_rules.c - findings against their template, digest, signature
 * (see findings_rules.h).
 */
#include "findings_rules.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ins_error.h"
#include "text_rules.h"

int ins_photo_id_valid(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++) {
        char c = id[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return n == 64;
}

static const Inspect__V1__TemplateItem *find_item(const Inspect__V1__Template *tpl,
                                                  const char *code)
{
    for (size_t i = 0; i < tpl->n_items; i++)
        if (strcmp(tpl->items[i]->code, code) == 0)
            return tpl->items[i];
    return NULL;
}

static int in_list(char *const *list, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], code) == 0)
            return 1;
    return 0;
}

/* Checks one answer's value against its item's kind and range. */
static int check_value(const Inspect__V1__Answer *a, const Inspect__V1__TemplateItem *it, char *why,
                       size_t whylen)
{
    const char *c = it->code;
    switch (it->kind) {
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL:
        if (a->value_case != INSPECT__V1__ANSWER__VALUE_FLAG)
            return ins_whyf(INS_EINVAL, why, whylen, "item %s takes a yes/no answer (flag)", c);
        return 0;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER:
        if (a->value_case != INSPECT__V1__ANSWER__VALUE_NUMBER || !isfinite(a->number))
            return ins_whyf(INS_EINVAL, why, whylen, "item %s takes a number in %s", c, it->unit);
        if ((it->min != 0 || it->max != 0) && (a->number < it->min || a->number > it->max))
            return ins_whyf(INS_EINVAL, why, whylen, "item %s: %g is outside %g..%g %s", c,
                            a->number, it->min, it->max, it->unit);
        return 0;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE:
        if (a->value_case != INSPECT__V1__ANSWER__VALUE_CHOICE)
            return ins_whyf(INS_EINVAL, why, whylen, "item %s takes one of its choices", c);
        if (!in_list(it->choices, it->n_choices, a->choice)) {
            char shown[INS_SHOW_MAX + 4];
            return ins_whyf(INS_EINVAL, why, whylen, "item %s: '%s' is not one of its choices", c,
                            ins_show(a->choice, shown, sizeof shown));
        }
        return 0;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_TEXT:
        if (a->value_case != INSPECT__V1__ANSWER__VALUE_TEXT)
            return ins_whyf(INS_EINVAL, why, whylen, "item %s takes a text answer", c);
        return ins_text_check(c, a->text, 4000, 0, why, whylen);
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO:
        if (a->value_case != INSPECT__V1__ANSWER__VALUE__NOT_SET)
            return ins_whyf(INS_EINVAL, why, whylen, "item %s takes photos only, no value", c);
        return 0;
    default:
        return ins_whyf(INS_EINVAL, why, whylen, "item %s has no kind in the template", c);
    }
}

static int check_answer(const Inspect__V1__Answer *a, const Inspect__V1__Template *tpl,
                        char *const *only, size_t n_only, char *why, size_t whylen)
{
    const Inspect__V1__TemplateItem *it = find_item(tpl, a->item_code);
    char shown[INS_SHOW_MAX + 4];
    if (!it)
        return ins_whyf(INS_EINVAL, why, whylen, "item %s is not in template %s version %u",
                        ins_show(a->item_code, shown, sizeof shown), tpl->id, tpl->version);
    if (n_only && !in_list(only, n_only, a->item_code))
        return ins_whyf(INS_EINVAL, why, whylen,
                        "item %s is not checked again: this re-inspection covers only what failed",
                        a->item_code);
    int rc = check_value(a, it, why, whylen);
    if (rc)
        return rc;
    for (size_t p = 0; p < a->n_photo_ids; p++)
        if (!ins_photo_id_valid(a->photo_ids[p]))
            return ins_whyf(INS_EINVAL, why, whylen, "item %s: photo id '%s' is not a hex SHA-256",
                            a->item_code, ins_show(a->photo_ids[p], shown, sizeof shown));
    if (a->n_photo_ids < it->min_photos)
        return ins_whyf(INS_EINVAL, why, whylen, "item %s needs at least %u photo%s, %zu given",
                        a->item_code, it->min_photos, it->min_photos == 1 ? "" : "s",
                        a->n_photo_ids);
    return ins_text_check("note", a->note, 4000, 0, why, whylen);
}

int ins_findings_validate(const Inspect__V1__FindingsBody *b, const Inspect__V1__Template *tpl,
                          char *const *only, size_t n_only, char *why, size_t whylen)
{
    for (size_t i = 0; i < b->n_answers; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(b->answers[i]->item_code, b->answers[j]->item_code) == 0)
                return ins_whyf(INS_EINVAL, why, whylen, "item %s is answered twice",
                                b->answers[i]->item_code);
        int rc = check_answer(b->answers[i], tpl, only, n_only, why, whylen);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < tpl->n_items; i++) {
        const Inspect__V1__TemplateItem *it = tpl->items[i];
        int applies = n_only ? in_list(only, n_only, it->code) : it->required;
        if (!applies)
            continue;
        int answered = 0;
        for (size_t j = 0; j < b->n_answers && !answered; j++)
            answered = strcmp(b->answers[j]->item_code, it->code) == 0;
        if (!answered)
            return ins_whyf(INS_EINVAL, why, whylen, "required item %s (%s) is not answered",
                            it->code, it->text);
    }
    return ins_text_check("notes", b->notes, 8000, 0, why, whylen);
}

void ins_findings_digest(const Inspect__V1__FindingsBody *b, uint8_t out[32])
{
    size_t len = protobuf_c_message_get_packed_size(&b->base);
    uint8_t stack[4096];
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf) { /* cannot hash what cannot be encoded: a digest nobody signs */
        memset(out, 0, 32);
        return;
    }
    protobuf_c_message_pack(&b->base, buf);
    SHA256(buf, len, out);
    if (buf != stack)
        free(buf);
}

int ins_findings_verify(const uint8_t *pubkey, size_t keylen, const uint8_t digest[32],
                        const uint8_t *sig, size_t siglen)
{
    if (keylen != 32)
        return INS_EINVAL;
    if (siglen != 64)
        return INS_EAUTH;
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pubkey, keylen);
    if (!key)
        return INS_EINVAL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, siglen, digest, 32) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return ok ? 0 : INS_EAUTH;
}
