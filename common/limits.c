/*
 * limits.c - the table of ins_limits.h: for each request field users fill,
 * its longest value and most entries; every other field gets the defaults.
 *
 * A row names a field in one message ("inspect.v1.Answer", "text") or a
 * field name anywhere (NULL, "reason"); the first kind wins. The rows only
 * name macros of ins_limits.h, so the domain rules and the wire read the
 * same numbers. Lookup is a linear scan of a few dozen rows, run once per
 * field of a message walked (ins_pbcheck.h).
 */
#include "ins_limits.h"

#include <string.h>

#include "ins_upload.h"

#define ANY   NULL
#define PB(m) "inspect.v1." m

static const ins_limit rows[] = {
    /* ids and codes, by name anywhere */
    {ANY, "request_id", INS_REQUEST_ID_MAX, 0},
    {ANY, "id", INS_ID_MAX, 0},
    {ANY, "application_id", INS_ID_MAX, 0},
    {ANY, "task_id", INS_ID_MAX, 0},
    {ANY, "inspector_id", INS_ID_MAX, 0},
    {ANY, "replacement_id", INS_ID_MAX, 0},
    {ANY, "report_id", INS_ID_MAX, 0},
    {ANY, "follows_report", INS_ID_MAX, 0},
    {ANY, "template_id", INS_ID_MAX, 0},
    {ANY, "alert_id", INS_ID_MAX, 0},
    {ANY, "photo_id", INS_ID_MAX, 0},
    {ANY, "service_item", INS_ID_MAX, 0},
    {ANY, "qualification", INS_ID_MAX, 0},
    {ANY, "upload_id", INS_UPLOAD_ID_MAX, 0},
    {ANY, "department", INS_DEPT_CODE_MAX, 0},
    {ANY, "departments", INS_DEPT_CODE_MAX, INS_TEAM_DEPTS_MAX},
    {ANY, "code", INS_CODE_MAX, 0},
    {PB("Department"), "code", INS_DEPT_CODE_MAX, 0},
    {PB("Qualification"), "code", INS_ID_MAX, 0},
    {PB("ServiceItem"), "code", INS_ID_MAX, 0},
    {ANY, "item_code", INS_CODE_MAX, 0},
    {ANY, "key", INS_CODE_MAX, 0},
    {ANY, "verifies_fact", INS_CODE_MAX, 0},
    {ANY, "check_items", INS_CODE_MAX, INS_TEMPLATE_ITEMS_MAX},
    {ANY, "kinds", INS_CODE_MAX, INS_TEAM_DEPTS_MAX},
    /* names and places */
    {ANY, "name", INS_NAME_MAX, 0},
    {PB("CalendarDay"), "name", INS_CALENDAR_NAME_MAX, 0},
    {ANY, "applicant_name", INS_NAME_MAX, 0},
    {ANY, "site_address", INS_ADDRESS_MAX, 0},
    {ANY, "town", INS_TOWN_MAX, 0},
    {ANY, "towns", INS_TOWN_MAX, INS_TOWNS_MAX},
    {ANY, "conflicts", INS_NAME_MAX, 0},
    {ANY, "media_type", INS_MEDIA_TYPE_MAX, 0},
    /* what people write */
    {ANY, "reason", INS_REASON_MAX, 0},
    {ANY, "reasons", INS_REASON_MAX, 0},
    {ANY, "override_reason", INS_REASON_MAX, 0},
    {ANY, "note", INS_ANSWER_TEXT_MAX, 0},
    {ANY, "notes", INS_FINDINGS_NOTES_MAX, 0},
    {PB("Answer"), "text", INS_ANSWER_TEXT_MAX, 0},
    {PB("TemplateItem"), "text", INS_QUESTION_MAX, 0},
    {PB("FactValue"), "text", INS_QUESTION_MAX, 0},
    {ANY, "unit", INS_UNIT_MAX, 0},
    {ANY, "choice", INS_CHOICE_MAX, 0},
    {ANY, "choices", INS_CHOICE_MAX, INS_CHOICES_MAX},
    /* repeated messages */
    {ANY, "items", 0, INS_TEMPLATE_ITEMS_MAX},
    {ANY, "answers", 0, INS_TEMPLATE_ITEMS_MAX},
    {ANY, "photo_ids", INS_ID_MAX, INS_ANSWER_PHOTOS_MAX},
    {ANY, "declared_facts", 0, INS_FACTS_MAX},
    {ANY, "qualifications", 0, INS_QUALIFICATIONS_MAX},
    {PB("ServiceItem"), "departments", 0, INS_ITEM_DEPTS_MAX},
    {ANY, "assignments", 0, INS_TEAM_DEPTS_MAX},
    {ANY, "days", 0, INS_CALENDAR_DAYS_MAX},
    /* filters */
    {PB("ListEventsRequest"), "entity", INS_AUDIT_FILTER_MAX, 0},
    {PB("ListEventsRequest"), "actor", INS_AUDIT_FILTER_MAX, 0},
    /* bytes */
    {PB("UploadChunk"), "data", INS_CHUNK_MAX, 0},
};

void ins_limit_of(const char *message, const char *field, size_t *len, size_t *count)
{
    const ins_limit *any = NULL, *own = NULL;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (strcmp(rows[i].field, field) != 0)
            continue;
        if (!rows[i].message)
            any = &rows[i];
        else if (message && strcmp(rows[i].message, message) == 0)
            own = &rows[i];
    }
    /* field by field: a message's own row narrows what it sets, the
     * general row of the name still gives the rest */
    *len = own && own->len ? own->len : any && any->len ? any->len : INS_WIRE_STRING_MAX;
    *count = own && own->count   ? own->count
             : any && any->count ? any->count
                                 : INS_WIRE_REPEATED_MAX;
}

const ins_limit *ins_limit_table(size_t *n)
{
    *n = sizeof rows / sizeof rows[0];
    return rows;
}
