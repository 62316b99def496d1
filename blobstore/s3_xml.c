/*
 * s3_xml.c - the two XML documents the s3 store reads (see ins_s3.h): the
 * error answer (<Error><Code>...) and a ListObjectsV2 page
 * (<ListBucketResult><Contents><Key/><Size/></Contents>...). Parsed with
 * expat in one pass; only the text of the elements named here is kept, by
 * element path, so a store's extra elements are ignored.
 */
#include "ins_s3.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 1100 /* a key: prefix (512) + 67, with room */

typedef struct xml_walk {
    int depth;
    char path[4][32]; /* element names at depth 1..4 */
    char text[TEXT_MAX];
    size_t text_len;
    /* a listing */
    char key[TEXT_MAX];
    uint64_t size;
    int truncated;
    char *token;
    size_t token_n;
    ins_s3_xml_obj_fn fn;
    void *arg;
    int stop; /* what fn returned */
    /* an error */
    char *code;
    size_t code_n;
    XML_Parser p;
} xml_walk;

/* The element's local name (namespaces are not expanded: drop "x:"). */
static const char *local(const XML_Char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static int at(const xml_walk *w, int depth, const char *name)
{
    return w->depth == depth && strcmp(w->path[depth - 1], name) == 0;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    xml_walk *w = ud;
    (void)attrs;
    w->depth++;
    if (w->depth <= 4)
        snprintf(w->path[w->depth - 1], sizeof w->path[0], "%s", local(name));
    w->text_len = 0;
    w->text[0] = '\0';
    if (at(w, 2, "Contents")) {
        w->key[0] = '\0';
        w->size = 0;
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    xml_walk *w = ud;
    size_t n = (size_t)len;
    if (n > sizeof w->text - 1 - w->text_len)
        n = sizeof w->text - 1 - w->text_len;
    memcpy(w->text + w->text_len, s, n);
    w->text_len += n;
    w->text[w->text_len] = '\0';
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    xml_walk *w = ud;
    (void)name;
    if (w->code && at(w, 2, "Code"))
        snprintf(w->code, w->code_n, "%s", w->text);
    if (w->depth == 3 && strcmp(w->path[1], "Contents") == 0) {
        if (at(w, 3, "Key"))
            snprintf(w->key, sizeof w->key, "%s", w->text);
        else if (at(w, 3, "Size"))
            w->size = strtoull(w->text, NULL, 10);
    }
    if (w->fn && at(w, 2, "Contents") && !w->stop) {
        w->stop = w->fn(w->arg, w->key, w->size);
        if (w->stop)
            XML_StopParser(w->p, XML_FALSE);
    }
    if (at(w, 2, "IsTruncated"))
        w->truncated = strcmp(w->text, "true") == 0;
    if (w->token && at(w, 2, "NextContinuationToken"))
        snprintf(w->token, w->token_n, "%s", w->text);
    w->depth--;
    w->text_len = 0;
    w->text[0] = '\0';
}

/* Parses xml with w's callbacks. Returns 0, EIO or ENOMEM. */
static int walk(xml_walk *w, const char *xml, size_t len)
{
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p)
        return ENOMEM;
    w->p = p;
    XML_SetUserData(p, w);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    enum XML_Status st = XML_Parse(p, xml, (int)len, XML_TRUE);
    XML_ParserFree(p);
    if (w->stop)
        return w->stop;
    return st == XML_STATUS_OK ? 0 : EIO;
}

void ins_s3_xml_error_code(const char *xml, size_t len, char *code, size_t n)
{
    xml_walk *w = calloc(1, sizeof *w);
    code[0] = '\0';
    if (!w || len == 0) {
        free(w);
        return;
    }
    w->code = code;
    w->code_n = n;
    (void)walk(w, xml, len);
    free(w);
}

int ins_s3_xml_list(const char *xml, size_t len, ins_s3_xml_obj_fn fn, void *arg, int *truncated,
                    char *next_token, size_t n)
{
    xml_walk *w = calloc(1, sizeof *w);
    if (!w)
        return ENOMEM;
    next_token[0] = '\0';
    w->fn = fn;
    w->arg = arg;
    w->token = next_token;
    w->token_n = n;
    int rc = walk(w, xml, len);
    if (rc == 0 && strcmp(w->path[0], "ListBucketResult") != 0)
        rc = EIO;
    *truncated = w->truncated;
    free(w);
    return rc;
}
