/*
 * district.c - district codes and lists (see ins_district.h).
 *
 * Lists are kept in one canonical spelling ("a,b,c" in the order given, or
 * "*") so that the text a token signs, a certificate carries and a log line
 * shows is the same for the same claim.
 */
#include "ins_district.h"

#include <string.h>

#include "ins_error.h"

/* Non-zero when the `n` bytes at `s` form a district code. */
static int code_ok(const char *s, size_t n)
{
    if (n == 0 || n >= INS_DISTRICT_MAX || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

int ins_district_code_ok(const char *code)
{
    return code != NULL && code_ok(code, strlen(code));
}

/* Non-zero when the canonical list `list` names the `n` bytes at `code`. */
static int list_has(const char *list, const char *code, size_t n)
{
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, code, n) == 0)
            return 1;
        p += len + (comma != NULL);
    }
    return 0;
}

int ins_district_list_parse(const char *text, char *out, size_t outlen, const char **why)
{
    const char *reason = NULL;
    int rc = INS_EINVAL;
    size_t used = 0;
    if (outlen > INS_DISTRICTS_MAX)
        outlen = INS_DISTRICTS_MAX;
    if (out == NULL || outlen == 0)
        return INS_ETOOBIG;
    out[0] = '\0';
    if (text == NULL) {
        reason = "the district list is empty";
        goto done;
    }
    for (const char *p = text;;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        size_t n = (size_t)(end - p);
        const char *next = end;
        while (*next == ' ')
            next++;
        if (*next && *next != ',') {
            reason = "district codes are separated by commas";
            goto done;
        }
        int star = n == 1 && *p == '*';
        if (star && (used > 0 || *next == ',')) {
            reason = "'*' (every district) stands alone, not beside district codes";
            goto done;
        }
        if (!star && !code_ok(p, n)) {
            reason = n == 0 ? "the district list has an empty entry"
                            : "a district code is 1 to 32 lower-case letters, digits or '-', "
                              "starting with a letter or digit";
            goto done;
        }
        if (used > 0 && (star || list_has(out, p, n))) {
            reason = "the district list names a district twice";
            goto done;
        }
        if (used + (used > 0) + n + 1 > outlen) {
            rc = INS_ETOOBIG;
            reason = "the district list is too long";
            goto done;
        }
        if (used > 0)
            out[used++] = ',';
        memcpy(out + used, p, n);
        used += n;
        out[used] = '\0';
        if (*next == '\0')
            break;
        p = next + 1;
    }
    rc = 0;
done:
    if (rc != 0)
        out[0] = '\0';
    if (why != NULL)
        *why = reason;
    return rc;
}

int ins_district_holds(const char *list, const char *code)
{
    if (list == NULL || code == NULL)
        return 0;
    if (list[0] == '\0')
        return strcmp(code, INS_DISTRICT_DEFAULT) == 0;
    if (strcmp(list, INS_DISTRICTS_ALL) == 0)
        return 1;
    return list_has(list, code, strlen(code));
}

const char *ins_district_list_text(const char *list)
{
    return list == NULL || list[0] == '\0' ? INS_DISTRICT_DEFAULT " (no district claim)" : list;
}
