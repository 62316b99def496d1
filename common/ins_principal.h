/*
 * ins_principal.h - who is calling: the identity a bearer token or a client
 * certificate establishes, and the roles of DESIGN.md §2.
 *
 * Plain data, no gRPC, in common/: handlers and the domain rules read it,
 * ins_token.h signs and verifies it, and the CLI names roles with it.
 */
#ifndef INS_PRINCIPAL_H
#define INS_PRINCIPAL_H

#include <stdint.h>

#include "ins_district.h"

/* Roles, numbered as inspect.v1.Role in proto/inspect/v1/session.proto. */
typedef enum ins_role {
    INS_ROLE_NONE = 0,
    INS_ROLE_INSPECTOR = 1,
    INS_ROLE_DISPATCHER = 2,
    INS_ROLE_DEPARTMENT = 3,
    INS_ROLE_AUDITOR = 4,
    INS_ROLE_ADMIN = 5,
} ins_role;

/* Bit of a role in a method's allowed-roles mask. */
#define INS_ROLE_BIT(r) (1u << (unsigned)(r))
/* Every role: the method needs a principal but any role may call it. */
#define INS_ROLES_ANY                                                                              \
    (INS_ROLE_BIT(INS_ROLE_INSPECTOR) | INS_ROLE_BIT(INS_ROLE_DISPATCHER) |                        \
     INS_ROLE_BIT(INS_ROLE_DEPARTMENT) | INS_ROLE_BIT(INS_ROLE_AUDITOR) |                          \
     INS_ROLE_BIT(INS_ROLE_ADMIN))

/* Non-zero when a method with allowed-roles `mask` admits `role`. A mask of
 * 0 is an open method: everybody, with or without credentials. */
static inline int ins_role_allowed(unsigned mask, ins_role role)
{
    return mask == 0 || (role != INS_ROLE_NONE && (mask & INS_ROLE_BIT(role)) != 0);
}

#define INS_PRINCIPAL_MAX  128
#define INS_DEPARTMENT_MAX 64

typedef enum ins_auth_method {
    INS_AUTH_NONE = 0, /* open method, no credentials presented */
    INS_AUTH_BEARER = 1,
    INS_AUTH_MTLS = 2,
} ins_auth_method;

typedef struct ins_principal {
    char name[INS_PRINCIPAL_MAX];        /* NUL-terminated; "" when anonymous */
    char department[INS_DEPARTMENT_MAX]; /* NUL-terminated; "" when none */
    char districts[INS_DISTRICTS_MAX];   /* canonical list (ins_district.h): "a,b", "*",
                                          * or "" for no claim (the default district) */
    ins_role role;
    int64_t expires_unix; /* bearer expiry; 0 for a certificate */
    int64_t issued_ms;    /* bearer: when it was signed (unix ms); 0 for a v1
                           * token (older than issued-at) and a certificate */
    uint32_t key_id;      /* bearer: the id of the key that signed it */
    ins_auth_method method;
} ins_principal;

/*
 * Returns the lower-case name of `role` ("inspector", ...), or "none".
 * Never returns NULL. This function can't fail.
 */
const char *ins_role_name(ins_role role);

/*
 * Non-zero when `s` may stand in a principal's name or department: no byte
 * below 0x20 and no DEL (UTF-8 is fine; "" is fine too, callers that need a
 * value check for it). The rule tokens, certificates and `inspectctl token
 * issue` share. This function can't fail.
 */
int ins_principal_text_ok(const char *s);

/*
 * Parses a role name as ins_role_name() prints it. Returns INS_ROLE_NONE for
 * an unknown name, for "none" and for NULL. This function can't fail.
 */
ins_role ins_role_parse(const char *name);

#endif /* INS_PRINCIPAL_H */
