/*
 * findings_rules.c - findings against their template, digest, signature
 * (see findings_rules.h).
 */
#include "findings_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "answers.h"
#include "ed25519_rules.h"
#include "ins_error.h"
#include "ins_limits.h"
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

/* The kind of value `it` takes, in words, for "it takes ..." hints. */
static const char *kind_words(const Inspect__V1__TemplateItem *it)
{
    switch (it->kind) {
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_BOOL:
        return "a yes/no answer (flag)";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER:
        return "a number";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE:
        return "one of its choices";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_TEXT:
        return "a text answer";
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_PHOTO:
        return "photos only, no value";
    default:
        return "nothing: the template gives it no kind";
    }
}

static int in_list(char *const *list, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], code) == 0)
            return 1;
    return 0;
}

/* Checks a value of the right kind (answers.h) against its item's range and choices. */
static int check_value(const Inspect__V1__Answer *a, const Inspect__V1__TemplateItem *it, char *why,
                       size_t whylen)
{
    const char *c = it->code;
    switch (it->kind) {
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_NUMBER:
        if ((it->min != 0 || it->max != 0) && (a->number < it->min || a->number > it->max))
            return ins_whyf(INS_EINVAL, why, whylen, "item %s: %g is outside %g..%g %s", c,
                            a->number, it->min, it->max, it->unit);
        return 0;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_CHOICE:
        if (!in_list(it->choices, it->n_choices, a->choice)) {
            char shown[INS_SHOW_MAX + 4];
            return ins_whyf(INS_EINVAL, why, whylen, "item %s: '%s' is not one of its choices", c,
                            ins_show(a->choice, shown, sizeof shown));
        }
        return 0;
    case INSPECT__V1__ITEM_KIND__ITEM_KIND_TEXT:
        return ins_text_check(c, a->text, INS_ANSWER_TEXT_MAX, 0, why, whylen);
    default:
        return 0;
    }
}

/* Value, photos and note of one answer already matched to item `it`. */
static int check_answer(const Inspect__V1__Answer *a, const Inspect__V1__TemplateItem *it,
                        char *why, size_t whylen)
{
    char shown[INS_SHOW_MAX + 4];
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
    return ins_text_check("note", a->note, INS_ANSWER_TEXT_MAX, 0, why, whylen);
}

/* One cited photo: its id and the item that cites it. */
typedef struct cited {
    const char *id;
    const char *item;
} cited;

static int cited_cmp(const void *a, const void *b)
{
    return strcasecmp(((const cited *)a)->id, ((const cited *)b)->id);
}

/* Evidence counts once: no photo id is cited twice, by one item or by two
 * (ids compare without regard to case, as the store keeps them). Sorting
 * keeps a hostile list of many ids at n log n. */
static int check_photos_once(const Inspect__V1__FindingsBody *b, char *why, size_t whylen)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_answers; i++)
        n += b->answers[i]->n_photo_ids;
    if (n < 2)
        return 0;
    cited *all = malloc(n * sizeof *all);
    if (!all)
        return ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < b->n_answers; i++)
        for (size_t p = 0; p < b->answers[i]->n_photo_ids; p++)
            all[k++] = (cited){b->answers[i]->photo_ids[p], b->answers[i]->item_code};
    qsort(all, n, sizeof *all, cited_cmp);
    int rc = 0;
    char shown[INS_SHOW_MAX + 4];
    for (size_t i = 1; rc == 0 && i < n; i++) {
        if (strcasecmp(all[i - 1].id, all[i].id) != 0)
            continue;
        ins_show(all[i].id, shown, sizeof shown);
        if (strcmp(all[i - 1].item, all[i].item) == 0)
            rc = ins_whyf(INS_EINVAL, why, whylen,
                          "item %s cites photo %s more than once; each photo counts once",
                          all[i].item, shown);
        else
            rc = ins_whyf(INS_EINVAL, why, whylen,
                          "photo %s is cited by items %s and %s; a photo is evidence for one item",
                          shown, all[i - 1].item, all[i].item);
    }
    free(all);
    return rc;
}

int ins_findings_validate(const Inspect__V1__FindingsBody *b, const Inspect__V1__Template *tpl,
                          char *const *only, size_t n_only, char *why, size_t whylen)
{
    const Inspect__V1__Answer **matched = calloc(tpl->n_items ? tpl->n_items : 1, sizeof *matched);
    if (!matched)
        return ENOMEM;
    ins_answer_problem pb;
    int rc = ins_answers_match(tpl, b->answers, b->n_answers, only, n_only, INS_ANSWERS_STRICT,
                               matched, &pb, why, whylen);
    if (rc == INS_EINVAL && why && whylen) { /* the tablet's user is told what to enter */
        size_t len = strlen(why);
        if (pb.fault == INS_ANSWER_WRONG_KIND)
            snprintf(why + len, whylen - len, "; it takes %s", kind_words(pb.item));
        else if (pb.fault == INS_ANSWER_UNANSWERED && pb.item->text && pb.item->text[0])
            snprintf(why + len, whylen - len, " (%s)", pb.item->text);
    }
    for (size_t i = 0; rc == 0 && i < tpl->n_items; i++)
        if (matched[i])
            rc = check_answer(matched[i], tpl->items[i], why, whylen);
    free(matched);
    if (rc == 0)
        rc = check_photos_once(b, why, whylen);
    return rc ? rc : ins_text_check("notes", b->notes, INS_FINDINGS_NOTES_MAX, 0, why, whylen);
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
    if (siglen != 64 || ins_ed25519_sig_canonical(sig) != 0)
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
