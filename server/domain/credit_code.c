/*
 * credit_code.c - the GB 32100-2015 unified social credit code: character
 * set, structure and check digit.
 *
 * The check runs from the outside in (present, length, case, character set,
 * structure, check digit) so the message names the most basic problem first:
 * someone who typed 17 characters hears about the length, not a check digit.
 */
#include "credit_code.h"

#include <string.h>

#include "ins_error.h"
#include "text_rules.h"

static const char CHARSET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int WEIGHTS[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

/* Value of c in the code's character set, or -1. */
static int char_value(char c)
{
    if (c == '\0')
        return -1;
    const char *p = strchr(CHARSET, c);
    return p ? (int)(p - CHARSET) : -1;
}

static char check_digit(const char *p17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += WEIGHTS[i] * char_value(p17[i]);
    int c = 31 - sum % 31;
    return CHARSET[c == 31 ? 0 : c];
}

int ins_credit_code_make(const char prefix17[17], char out[19])
{
    out[0] = '\0';
    for (int i = 0; i < 17; i++)
        if (char_value(prefix17[i]) < 0)
            return INS_EINVAL;
    memcpy(out, prefix17, 17);
    out[17] = check_digit(prefix17);
    out[18] = '\0';
    return 0;
}

static const char *char_hint(char c)
{
    switch (c) {
    case 'I':
        return " (did you mean 1?)";
    case 'O':
        return " (did you mean 0?)";
    default:
        return "";
    }
}

int ins_credit_code_check_field(const char *field, const char *code, char *why, size_t whylen)
{
    char shown[INS_SHOW_MAX + 4];
    if (!code || !*code)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s is empty; give the 18-character unified social credit code", field);
    ins_show(code, shown, sizeof(shown));
    size_t len = strlen(code), nchar = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)code[i];
        if ((b & 0xC0) != 0x80)
            nchar++;
        if (b >= 0x7F || b < 0x20)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s %s: character %zu is not an ASCII letter or digit (write it "
                            "in half-width capitals and digits)",
                            field, shown, nchar);
    }
    if (len != INS_CREDIT_CODE_LEN)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s %s has %zu characters; a unified social credit code has 18", field,
                        shown, len);
    for (size_t i = 0; i < len; i++) {
        char c = code[i];
        if (c >= 'a' && c <= 'z' && char_value((char)(c - 'a' + 'A')) >= 0)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s %s: character %zu '%c' is lowercase; write letters in capitals "
                            "('%c')",
                            field, shown, i + 1, c, c - 'a' + 'A');
        if (char_value(c) < 0)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s %s: character %zu '%c' is not allowed%s; the code uses 0-9 and "
                            "A-H J-N P-R T-U W-Y (no I, O, S, V, Z)",
                            field, shown, i + 1, c, char_hint(c));
    }
    if (!strchr("123456789ANY", code[0]))
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s %s: character 1 (registration authority) '%c' is not one of 1-9, A, "
                        "N, Y",
                        field, shown, code[0]);
    if (code[1] < '1' || code[1] > '9')
        return ins_whyf(INS_EINVAL, why, whylen,
                        "%s %s: character 2 (organisation category) must be a digit 1-9, not "
                        "'%c'",
                        field, shown, code[1]);
    for (int i = 2; i < 8; i++)
        if (code[i] < '0' || code[i] > '9')
            return ins_whyf(INS_EINVAL, why, whylen,
                            "%s %s: characters 3-8 (administrative division code) must be "
                            "digits, character %d is '%c'",
                            field, shown, i + 1, code[i]);
    char want = check_digit(code);
    if (code[17] != want)
        return ins_whyf(INS_EINVAL, why, whylen, "%s %s: check digit should be %c, not %c", field,
                        shown, want, code[17]);
    return 0;
}

int ins_credit_code_check(const char *code, char *why, size_t whylen)
{
    return ins_credit_code_check_field("applicant_credit_code", code, why, whylen);
}
