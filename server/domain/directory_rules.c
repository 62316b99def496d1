/*
 * directory_rules.c - validation of departments, inspectors and service
 * items (see directory_rules.h).
 */
#include "directory_rules.h"

#include <string.h>

#include "calendar.h"
#include "credit_code.h"
#include "ed25519_rules.h"
#include "geo.h"
#include "ins_error.h"
#include "ins_limits.h"
#include "text_rules.h"

int ins_department_validate(const Inspect__V1__Department *d, char *why, size_t whylen)
{
    if (!d)
        return ins_whyf(INS_EINVAL, why, whylen, "department is required");
    int rc = ins_id_check("department.code", d->code, INS_DEPT_CODE_MAX, why, whylen);
    if (rc == 0)
        rc = ins_text_check("department.name", d->name, INS_NAME_MAX, 1, why, whylen);
    if (rc == 0 && d->kind != INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_BUREAU &&
        d->kind != INSPECT__V1__DEPARTMENT_KIND__DEPARTMENT_KIND_INDUSTRY)
        rc = ins_whyf(INS_EINVAL, why, whylen,
                      "department %s: kind must be DEPARTMENT_KIND_BUREAU or "
                      "DEPARTMENT_KIND_INDUSTRY",
                      d->code);
    return rc;
}

static int check_qualifications(const Inspect__V1__Inspector *in, char *why, size_t whylen)
{
    for (size_t i = 0; i < in->n_qualifications; i++) {
        const Inspect__V1__Qualification *q = in->qualifications[i];
        ins_date date;
        int rc = ins_id_check("qualification.code", q->code, INS_ID_MAX, why, whylen);
        if (rc)
            return rc;
        if (ins_date_parse(q->expires, &date) != 0)
            return ins_whyf(INS_EINVAL, why, whylen,
                            "inspector %s qualification %s: expires '%s' is not a date "
                            "YYYY-MM-DD",
                            in->id, q->code, q->expires);
    }
    return 0;
}

int ins_inspector_validate(const Inspect__V1__Inspector *in, char *why, size_t whylen)
{
    if (!in)
        return ins_whyf(INS_EINVAL, why, whylen, "inspector is required");
    int rc = ins_id_check("inspector.id", in->id, INS_ID_MAX, why, whylen);
    if (rc == 0)
        rc = ins_text_check("inspector.name", in->name, INS_NAME_MAX, 1, why, whylen);
    if (rc == 0)
        rc = ins_id_check("inspector.department", in->department, INS_DEPT_CODE_MAX, why, whylen);
    if (rc == 0)
        rc = check_qualifications(in, why, whylen);
    for (size_t i = 0; rc == 0 && i < in->n_towns; i++)
        rc = ins_text_check("inspector.towns", in->towns[i], INS_TOWN_MAX, 1, why, whylen);
    for (size_t i = 0; rc == 0 && i < in->n_conflicts; i++)
        rc = ins_credit_code_check_field("inspector.conflicts", in->conflicts[i], why, whylen);
    if (rc == 0 && in->max_open_tasks < 1)
        rc = ins_whyf(INS_EINVAL, why, whylen, "inspector %s: max_open_tasks must be at least 1",
                      in->id);
    if (rc == 0 && in->public_key.len != 0 && in->public_key.len != 32)
        rc = ins_whyf(INS_EINVAL, why, whylen,
                      "inspector %s: public_key is %zu bytes; an Ed25519 key is 32", in->id,
                      in->public_key.len);
    if (rc == 0 && in->public_key.len == 32) {
        char reason[64];
        rc = ins_ed25519_key_check(in->public_key.data, reason, sizeof reason);
        if (rc == INS_EINVAL)
            rc = ins_whyf(INS_EINVAL, why, whylen,
                          "inspector %s: public_key is not a usable Ed25519 key (%s); register "
                          "the 32-byte public key the tablet generated",
                          in->id, reason);
    }
    if (rc == 0)
        rc = ins_geo_check(in->base_latitude, in->base_longitude, why, whylen);
    return rc;
}

int ins_item_validate(const Inspect__V1__ServiceItem *it, char *why, size_t whylen)
{
    if (!it)
        return ins_whyf(INS_EINVAL, why, whylen, "item is required");
    int rc = ins_id_check("item.code", it->code, INS_ID_MAX, why, whylen);
    if (rc == 0)
        rc = ins_text_check("item.name", it->name, INS_NAME_MAX, 1, why, whylen);
    if (rc)
        return rc;
    if (it->limit_working_days < 1 || it->limit_working_days > 365)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "service item %s: limit_working_days must be 1..365, not %u", it->code,
                        it->limit_working_days);
    if (it->n_departments == 0 || it->n_departments > INS_ITEM_DEPTS_MAX)
        return ins_whyf(INS_EINVAL, why, whylen,
                        "service item %s names %zu departments; it needs 1 to %d", it->code,
                        it->n_departments, INS_ITEM_DEPTS_MAX);
    for (size_t i = 0; i < it->n_departments; i++) {
        const Inspect__V1__RequiredDepartment *rd = it->departments[i];
        if ((rc = ins_id_check("departments.department", rd->department, INS_DEPT_CODE_MAX, why,
                               whylen)) ||
            (rc = ins_id_check("departments.qualification", rd->qualification, INS_ID_MAX, why,
                               whylen)) ||
            (rc =
                 ins_id_check("departments.template_id", rd->template_id, INS_ID_MAX, why, whylen)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(it->departments[j]->department, rd->department) == 0)
                return ins_whyf(INS_EINVAL, why, whylen,
                                "service item %s names department %s twice", it->code,
                                rd->department);
    }
    return 0;
}
