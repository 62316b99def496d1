/*
 * ins_limits.h - the one table of length and count limits of request fields:
 * every number written once, read by the wire boundary (ins_pbcheck.h walks
 * every request by its descriptor and refuses a field over its limit before
 * any handler) and by the domain rules (server/domain), which name the same
 * macros so a wire limit is never tighter than a domain rule, nor looser.
 *
 * Lengths are bytes (UTF-8 for strings); for a repeated string the length is
 * that of each entry. Counts are entries of a repeated field (a map's
 * entries alike). A field the table does not name gets the defaults: at most
 * INS_WIRE_STRING_MAX bytes (string or bytes) and INS_WIRE_REPEATED_MAX
 * entries, sizes no legitimate field reaches.
 *
 * Constant data, no state: thread-safe.
 */
#ifndef INS_LIMITS_H
#define INS_LIMITS_H

#include <stddef.h>

/* Lengths, in bytes of UTF-8. */
#define INS_ID_MAX             64   /* ids: application, task, template, item, inspector */
#define INS_DEPT_CODE_MAX      32   /* Department.code: [a-z0-9_-]{1,32} */
#define INS_REQUEST_ID_MAX     256  /* request_id (an idempotency key with the principal) */
#define INS_NAME_MAX           200  /* applicant, department, inspector, item, template names */
#define INS_ADDRESS_MAX        500  /* site_address */
#define INS_TOWN_MAX           64   /* town */
#define INS_CODE_MAX           64   /* template item codes, declared fact keys */
#define INS_QUESTION_MAX       1000 /* template item text, text fact values */
#define INS_UNIT_MAX           32   /* units */
#define INS_CHOICE_MAX         200  /* one CHOICE answer */
#define INS_ANSWER_TEXT_MAX    4000 /* Answer.text, Answer.note */
#define INS_FINDINGS_NOTES_MAX 8000 /* FindingsBody.notes */
#define INS_REASON_MAX         1000 /* reasons given for a decline, cancel, override, opinion... */
#define INS_CALENDAR_NAME_MAX  64   /* CalendarDay.name, e.g. "国庆节" */
#define INS_MEDIA_TYPE_MAX     128  /* "image/jpeg", ... */
#define INS_AUDIT_FILTER_MAX   1000 /* ListEventsRequest.entity, .actor */
#define INS_CHUNK_MAX          (1u << 20) /* UploadChunk.data */

/* Counts, in entries. */
#define INS_CHOICES_MAX        50  /* choices per CHOICE item */
#define INS_TEMPLATE_ITEMS_MAX 500 /* items per template; answers per findings alike */
#define INS_FACTS_MAX          200 /* declared facts per application */
#define INS_ITEM_DEPTS_MAX     16  /* departments per service item */
#define INS_ANSWER_PHOTOS_MAX  100 /* photo_ids per answer */
#define INS_QUALIFICATIONS_MAX 100 /* qualifications per inspector */
#define INS_TOWNS_MAX          100 /* towns per inspector */
#define INS_CALENDAR_DAYS_MAX  366 /* listed days per calendar year */
#define INS_TEAM_DEPTS_MAX     64  /* departments, assignments, kinds named in one request */

/* The defaults of every other field. */
#define INS_WIRE_STRING_MAX   (64u * 1024) /* any other string or bytes field */
#define INS_WIRE_REPEATED_MAX 1000         /* any other repeated field */

/* One row of the table: the limits of `field` in `message`. */
typedef struct ins_limit {
    const char *message; /* full name, "inspect.v1.Answer"; NULL: this field name anywhere */
    const char *field;   /* the field's name in the .proto */
    size_t len;          /* most bytes (each entry of a repeated field); 0: the default */
    size_t count;        /* most entries of a repeated field; 0: the default */
} ins_limit;

/*
 * The limits of field `field` of message `message` (a full name): the row for
 * (message, field) if there is one, else the row for `field` in any message,
 * else the defaults. `*len` and `*count` are set, never 0. Can't fail.
 */
void ins_limit_of(const char *message, const char *field, size_t *len, size_t *count);

/*
 * The table itself, for tests and documentation: *n is set to its number of
 * rows. The rows are static and stay valid for the life of the process.
 */
const ins_limit *ins_limit_table(size_t *n);

#endif /* INS_LIMITS_H */
