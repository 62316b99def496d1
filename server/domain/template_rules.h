/*
 * template_rules.h - validation of checklist templates (踏勘标准), of an
 * application's declared facts against the templates that verify them, and
 * of the application (办件) record itself.
 *
 * Every function reads plain protobuf-c structs, keeps nothing, and answers
 * 0 or INS_EINVAL with a sentence in `why` naming the field and the value,
 * e.g. "template fire-venue item floor_area: min 10 is above max 5".
 * Pure functions, thread-safe.
 */
#ifndef INS_TEMPLATE_RULES_H
#define INS_TEMPLATE_RULES_H

#include <stddef.h>

#include "ins_limits.h"
#include "inspect/v1/directory.pb-c.h"
#include "inspect/v1/licensing.pb-c.h"

/* The length and count limits (INS_ID_MAX, INS_NAME_MAX, ...) are the wire's
 * (ins_limits.h); the one limit only templates have: */
#define INS_MIN_PHOTOS_MAX 20

/*
 * Checks a template before it is published:
 * - id (printable ASCII) and department (a department code, [a-z0-9_-]) are
 *   present; name is optional; lengths within the limits above;
 * - at least one item (at most INS_TEMPLATE_ITEMS_MAX); every item has a
 *   code, unique within the template, and a text (the question);
 * - kind and severity are set to known values;
 * - NUMBER: finite min <= max, not both 0 (an unset range), and a unit;
 * - CHOICE: at least 2 distinct, non-empty choices; choices only on CHOICE;
 * - min_photos at most INS_MIN_PHOTOS_MAX; a required PHOTO item needs at
 *   least 1;
 * - fail_when_true only on BOOL; verifies_fact only on BOOL and NUMBER;
 * - tolerance only with verifies_fact on a NUMBER item, one bound set,
 *   finite and >= 0, relative at most 1.
 * The version and published_unix fields are the server's and not checked.
 * Returns 0, or INS_EINVAL with the first problem in `why`.
 */
int ins_template_validate(const Inspect__V1__Template *t, char *why, size_t whylen);

/*
 * Checks the declared facts of `a` on their own (keys present, unique, at
 * most INS_FACTS_MAX, each with a value; numbers finite; texts and units
 * within limits) and against templates[0..n): for every item that verifies
 * a fact the application declares, a NUMBER item needs a number and a BOOL
 * item a yes/no, e.g. "declared fact floor_area_m2 is text but template
 * food-business item floor_area checks a number". A fact no template
 * verifies, or a verified fact the application does not declare, is fine
 * (reconciliation reports the latter as missing). NULL entries in
 * `templates` are skipped; `templates` may be NULL when n is 0.
 * Returns 0, or INS_EINVAL with the first problem in `why`.
 */
int ins_facts_validate(const Inspect__V1__Application *a,
                       const Inspect__V1__Template *const *templates, size_t n, char *why,
                       size_t whylen);

/*
 * Checks an application as the client sends it: id (printable ASCII),
 * service_item, applicant_name, site_address and town present and within
 * limits; the applicant's unified social credit code (GB 32100-2015);
 * latitude -90..90 and longitude -180..180; the declared facts on their own
 * (as ins_facts_validate with no templates). Stage, outcome, version and
 * times are the server's and not checked.
 * Returns 0, or INS_EINVAL with the first problem in `why`.
 */
int ins_application_validate(const Inspect__V1__Application *a, char *why, size_t whylen);

#endif /* INS_TEMPLATE_RULES_H */
