/*
 * principal.c - names of the roles (see ins_principal.h).
 *
 * One table, indexed by ins_role, serves both directions so that a name
 * printed by ins_role_name() always parses back to the same role. No gRPC
 * here: the CLI uses it as well as the server.
 */
#include "ins_principal.h"

#include <string.h>

static const char *const role_names[] = {
    [INS_ROLE_NONE] = "none",
    [INS_ROLE_INSPECTOR] = "inspector",
    [INS_ROLE_DISPATCHER] = "dispatcher",
    [INS_ROLE_DEPARTMENT] = "department",
    [INS_ROLE_AUDITOR] = "auditor",
    [INS_ROLE_ADMIN] = "admin",
};

#define ROLE_COUNT (sizeof(role_names) / sizeof(role_names[0]))

const char *ins_role_name(ins_role role)
{
    if ((unsigned)role >= ROLE_COUNT)
        return "none";
    return role_names[role];
}

ins_role ins_role_parse(const char *name)
{
    if (name == NULL)
        return INS_ROLE_NONE;
    /* "none" is not a role anyone can hold: start after it. */
    for (unsigned i = INS_ROLE_NONE + 1; i < ROLE_COUNT; i++) {
        if (strcmp(name, role_names[i]) == 0)
            return (ins_role)i;
    }
    return INS_ROLE_NONE;
}

int ins_principal_text_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    }
    return 1;
}
