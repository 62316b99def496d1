/*
 * ins_district.h - district codes and the districts a principal holds.
 *
 * A province runs one inspectd per district; each node serves exactly one
 * district code (`inspectd --district CODE`, stamped in its store), and a
 * principal (a bearer token's claim, a client certificate's L attributes)
 * holds a list of codes or "*" for every district. This file is the one
 * rule for both: which text is a code, how a list is written, and whether a
 * list holds a code. No gRPC, no LMDB: the server, `inspectctl token issue`
 * and the client's --district share it.
 *
 * The rule for principals without a district claim (tokens issued before
 * districts existed, certificates without an L attribute): they hold the
 * default district INS_DISTRICT_DEFAULT only, which is what a node started
 * without --district serves. A single-node installation therefore works as
 * before, and an old token never opens a named district's node.
 */
#ifndef INS_DISTRICT_H
#define INS_DISTRICT_H

#include <stddef.h>

/* Longest district code, NUL included (32 characters). */
#define INS_DISTRICT_MAX 33
/* Longest district list ("a,b,c" or "*"), NUL included. */
#define INS_DISTRICTS_MAX 129
/* The district of a node started without --district. */
#define INS_DISTRICT_DEFAULT "default"
/* The list that holds every district (a province-level principal). */
#define INS_DISTRICTS_ALL "*"

/*
 * Non-zero when `code` is a district code: 1 to 32 characters of lower-case
 * ASCII letters, digits and '-', starting with a letter or digit (so it is a
 * safe nginx map key, file name part and object-store prefix). NULL is not.
 * This function can't fail.
 */
int ins_district_code_ok(const char *code);

/*
 * Checks and normalises a district list as a person writes it: "*", or
 * codes separated by commas (spaces around them ignored), each once. Writes
 * the canonical form ("a,b,c", or "*") into `out` (`outlen` bytes, at most
 * INS_DISTRICTS_MAX used). Returns 0; INS_EINVAL for an empty list, an empty
 * or malformed code, a code given twice, or "*" mixed with codes, with a
 * static sentence in `*why` (`why` may be NULL); INS_ETOOBIG when the
 * result does not fit in `outlen` or INS_DISTRICTS_MAX. On error `out` is
 * "".
 */
int ins_district_list_parse(const char *text, char *out, size_t outlen, const char **why);

/*
 * Non-zero when the canonical list `list` (as ins_district_list_parse writes
 * it; "" for a principal without a district claim, see the top of this
 * file) holds district `code`. This function can't fail.
 */
int ins_district_holds(const char *list, const char *code);

/*
 * The list as it should be shown to a person: `list`, or "default (no
 * district claim)" for "". Never NULL. This function can't fail.
 */
const char *ins_district_list_text(const char *list);

#endif /* INS_DISTRICT_H */
