/*
 * test_status.c - the error space maps to the right gRPC statuses, and the
 * method table answers role lookups as the services declare them.
 */
#include <check.h>
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "ins_error.h"
#include "server.h"
#include "session.h"
#include "status.h"

START_TEST(test_status_table_maps_every_code)
{
    ck_assert_int_eq(ins_status_code(INS_OK), GRPC_STATUS_OK);
    ck_assert_int_eq(ins_status_code(INS_ENOTFOUND), GRPC_STATUS_NOT_FOUND);
    ck_assert_int_eq(ins_status_code(INS_EEXIST), GRPC_STATUS_ALREADY_EXISTS);
    ck_assert_int_eq(ins_status_code(INS_ECONFLICT), GRPC_STATUS_FAILED_PRECONDITION);
    ck_assert_int_eq(ins_status_code(INS_ESTATE), GRPC_STATUS_FAILED_PRECONDITION);
    ck_assert_int_eq(ins_status_code(INS_EINVAL), GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_int_eq(ins_status_code(INS_EPERM), GRPC_STATUS_PERMISSION_DENIED);
    ck_assert_int_eq(ins_status_code(INS_EAUTH), GRPC_STATUS_UNAUTHENTICATED);
    ck_assert_int_eq(ins_status_code(INS_EFULL), GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(ins_status_code(INS_ETOOBIG), GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(ins_status_code(INS_EBUSY), GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(ins_status_code(INS_ETIMEDOUT), GRPC_STATUS_DEADLINE_EXCEEDED);
    ck_assert_int_eq(ins_status_code(INS_ESHUTDOWN), GRPC_STATUS_UNAVAILABLE);
    ck_assert_int_eq(ins_status_code(INS_EDATALOSS), GRPC_STATUS_DATA_LOSS);
    ck_assert_int_eq(ins_status_code(INS_ECORRUPT), GRPC_STATUS_DATA_LOSS);
    ck_assert_int_eq(ins_status_code(INS_EREUSED), GRPC_STATUS_ALREADY_EXISTS);
    ck_assert_int_eq(ins_status_code(INS_EUNIMPL), GRPC_STATUS_UNIMPLEMENTED);
    ck_assert_int_eq(ins_status_code(INS_EOFFSET), GRPC_STATUS_FAILED_PRECONDITION);
    ck_assert_int_eq(ins_status_code(INS_EINTERNAL), GRPC_STATUS_INTERNAL);
}
END_TEST

START_TEST(test_status_errno_and_lmdb)
{
    ck_assert_int_eq(ins_status_code(ENOMEM), GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(ins_status_code(ENOSPC), GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(ins_status_code(MDB_MAP_FULL), GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(ins_status_code(EBADF), GRPC_STATUS_INTERNAL);
    ck_assert_int_eq(ins_status_code(EIO), GRPC_STATUS_UNAVAILABLE);
    ck_assert_int_eq(ins_status_code(MDB_PANIC), GRPC_STATUS_UNAVAILABLE);
    ck_assert_int_eq(ins_status_code(EDQUOT), GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(ins_status_code(MDB_CORRUPTED), GRPC_STATUS_INTERNAL);
    ck_assert_int_eq(ins_status_code(-12345678), GRPC_STATUS_INTERNAL);
}
END_TEST

START_TEST(test_status_texts)
{
    ck_assert_str_eq(ins_strerror(INS_ENOTFOUND), "not found");
    ck_assert_str_eq(ins_strerror(ENOENT), strerror(ENOENT));
    ck_assert_str_eq(ins_strerror(MDB_NOTFOUND), mdb_strerror(MDB_NOTFOUND));
    ck_assert_str_eq(ins_strerror(-12345678), "unknown error");
    ck_assert_str_eq(ins_status_name(GRPC_STATUS_DATA_LOSS), "DATA_LOSS");
    ck_assert_str_eq(ins_status_name(GRPC_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    ck_assert_str_eq(ins_status_name((grpc_status_code)99), "UNKNOWN_STATUS");
}
END_TEST

START_TEST(test_roles_allowed)
{
    unsigned admin_auditor = INS_ROLE_BIT(INS_ROLE_ADMIN) | INS_ROLE_BIT(INS_ROLE_AUDITOR);
    ck_assert(ins_role_allowed(admin_auditor, INS_ROLE_ADMIN));
    ck_assert(ins_role_allowed(admin_auditor, INS_ROLE_AUDITOR));
    ck_assert(!ins_role_allowed(admin_auditor, INS_ROLE_INSPECTOR));
    ck_assert(!ins_role_allowed(admin_auditor, INS_ROLE_NONE));
    ck_assert(ins_role_allowed(0, INS_ROLE_NONE)); /* open method */
    ck_assert(ins_role_allowed(INS_ROLES_ANY, INS_ROLE_DEPARTMENT));
    ck_assert(!ins_role_allowed(INS_ROLES_ANY, INS_ROLE_NONE));
}
END_TEST

/* Keys in a fresh temporary data folder; the servers here verify nothing. */
static ins_token_keys *scratch_keys(void)
{
    char dir[] = "/tmp/ins-test-status-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ins_token_keys *k = NULL;
    ck_assert_int_eq(ins_token_keys_open(dir, &k), 0);
    return k;
}

START_TEST(test_roles_method_table_lookup)
{
    grpc_init();
    ins_token_keys *keys = scratch_keys();
    ins_server_config cfg = {
        .listen = "127.0.0.1:0", .token_keys = keys, .threads = 1, .max_message_bytes = 1 << 20};
    ins_server *s = NULL;
    char err[256];
    ck_assert_int_eq(ins_server_create(&cfg, &s, err, sizeof err), 0);
    ck_assert_int_eq(ins_server_add_service(s, &ins_session_service), 0);
    unsigned roles = 0;
    ck_assert_int_eq(ins_server_method_roles(s, "/inspect.v1.Session/ServerStatus", &roles), 0);
    ck_assert_uint_eq(roles, INS_ROLE_BIT(INS_ROLE_ADMIN) | INS_ROLE_BIT(INS_ROLE_AUDITOR));
    ck_assert_int_eq(ins_server_method_roles(s, "/inspect.v1.Session/WhoAmI", &roles), 0);
    ck_assert_uint_eq(roles, INS_ROLES_ANY);
    ck_assert_int_eq(ins_server_method_roles(s, "/inspect.v1.Session/Nope", &roles), INS_ENOTFOUND);
    ins_server_destroy(s);
    ins_token_keys_close(keys);
    grpc_shutdown();
}
END_TEST

START_TEST(test_server_refuses_plaintext_beyond_loopback)
{
    ins_token_keys *keys = scratch_keys();
    ins_server_config cfg = {.listen = "0.0.0.0:0", .token_keys = keys};
    ins_server *s = (ins_server *)1;
    char err[256] = "";
    ck_assert_int_eq(ins_server_create(&cfg, &s, err, sizeof err), INS_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "TLS"));
    ins_token_keys_close(keys);
}
END_TEST

START_TEST(test_server_loopback_is_an_address_not_a_prefix)
{
    ins_token_keys *keys = scratch_keys();
    static const struct {
        const char *addr;
        int ok;
    } cases[] = {
        {"127.0.0.1:0", 1},
        {"127.1.2.3:50051", 1},
        {"localhost:0", 1},
        {"[::1]:0", 1},
        {"ipv4:127.0.0.1:0", 1},
        {"127.x.example.com:50051", 0},
        {"0.0.0.0:0", 0},
        {"[::]:0", 0},
        {"10.0.0.1:50051", 0},
        {"128.0.0.1:0", 0},
        {"localhost.evil.org:0", 0},
        {"nonsense", 0},
    };
    grpc_init();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ins_server_config cfg = {.listen = cases[i].addr,
                                 .token_keys = keys,
                                 .threads = 1,
                                 .max_message_bytes = 1 << 20};
        ins_server *s = NULL;
        char err[256] = "";
        int rc = ins_server_create(&cfg, &s, err, sizeof err);
        ck_assert_msg((rc == 0) == cases[i].ok, "%s: rc %d (%s)", cases[i].addr, rc, err);
        if (rc == 0)
            ins_server_destroy(s);
    }
    ins_token_keys_close(keys);
    grpc_shutdown();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_status_table_maps_every_code);
    tcase_add_test(tc, test_status_errno_and_lmdb);
    tcase_add_test(tc, test_status_texts);
    tcase_add_test(tc, test_roles_allowed);
    tcase_add_test(tc, test_roles_method_table_lookup);
    tcase_add_test(tc, test_server_refuses_plaintext_beyond_loopback);
    tcase_add_test(tc, test_server_loopback_is_an_address_not_a_prefix);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
