/*
 * credit_code.h - the unified social credit code (统一社会信用代码) of
 * GB 32100-2015.
 *
 * 18 characters from the 31-character set 0-9 A-H J-N P-R T-U W-Y (no I, O,
 * S, V, Z):
 *   1      registration authority (1 机构编制, 2 外交, 3 司法行政, 4 文化,
 *          5 民政, 6 旅游, 7 宗教, 8 工会, 9 市场监管/工商, A 军队, N 农业,
 *          Y 其他)
 *   2      organisation category, a digit 1-9
 *   3-8    administrative division code, six digits
 *   9-17   organisation code (GB 11714)
 *   18     check digit: 31 - (sum of w_i * c_i mod 31), 31 written as 0,
 *          with w_i = 3^(i-1) mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24
 *          10 30 28 and c_i the character's value in the set above.
 * Pure functions, thread-safe.
 */
#ifndef INS_CREDIT_CODE_H
#define INS_CREDIT_CODE_H

#include <stddef.h>

#define INS_CREDIT_CODE_LEN 18

/*
 * Checks `code` as the applicant's credit code and explains the first
 * problem in `why` naming the field applicant_credit_code, e.g.
 * "applicant_credit_code 91510114MA6C12345X: check digit should be 7, not X".
 * Lowercase letters are refused (with the uppercase form suggested): the code
 * is stored and compared as written.
 * Returns 0 when valid, INS_EINVAL otherwise (NULL or empty included).
 */
int ins_credit_code_check(const char *code, char *why, size_t whylen);

/*
 * Like ins_credit_code_check, naming `field` in the message instead
 * (e.g. "conflicts[2]" for an inspector's conflict-of-interest list).
 */
int ins_credit_code_check_field(const char *field, const char *code, char *why, size_t whylen);

/*
 * Computes the check digit of the 17 characters at `prefix17` and writes the
 * full 18-character code plus a NUL into out[0..19). Only the character set
 * is checked, not the structure (authority, category, division), so tests
 * can build codes that fail the structural checks but carry a right check
 * digit. Returns 0, or INS_EINVAL (out set to "") when a character is
 * outside the set.
 */
int ins_credit_code_make(const char prefix17[17], char out[19]);

#endif /* INS_CREDIT_CODE_H */
