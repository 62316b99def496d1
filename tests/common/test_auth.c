/*
 * test_auth.c - unit tests of the token key, bearer tokens, durations and
 * role names (common/token.c, common/principal.c).
 *
 * One tcase per behaviour; every failure path asserts the exact error code
 * and, for tokens, the exact `why` text a person would see. Each test that
 * touches the disk gets its own fresh folder under $TMPDIR.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ins_token.h"
#include "ins_error.h"
#include "ins_principal.h"

#define WHY_MALFORMED "malformed token"
#define WHY_SIGNATURE "token signature does not verify (tampered or signed with another key)"
#define WHY_EXPIRED   "token has expired"
#define WHY_ROLE      "token names an unknown role"

#define NOW 1700000000

static char tmpdir[256];

static void make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/test_auth.XXXXXX", base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_rf(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void fixed_key(ins_token_key *k, unsigned char fill)
{
    memset(k, 0, sizeof(*k));
    memset(k->bytes, fill, sizeof(k->bytes));
}

static ins_principal sample(void)
{
    ins_principal p;
    memset(&p, 0, sizeof(p));
    strcpy(p.name, "insp-001");
    strcpy(p.department, "fire");
    p.role = INS_ROLE_INSPECTOR;
    p.expires_unix = NOW + 3600;
    p.issued_ms = (int64_t)NOW * 1000 + 5;
    return p;
}

static void sign_sample(const ins_token_key *k, char *tok)
{
    ins_principal p = sample();
    ck_assert_int_eq(ins_token_sign(k, &p, tok, INS_TOKEN_MAX), 0);
}

/* ---- tokens ------------------------------------------------------------ */

START_TEST(test_token_round_trip)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    ins_principal out;
    const char *why = "unset";
    fixed_key(&k, 7);
    sign_sample(&k, tok);
    ck_assert_ptr_null(strchr(tok, '='));
    ck_assert_ptr_nonnull(strchr(tok, '.'));
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, &why), 0);
    ck_assert_ptr_null(why);
    ck_assert_str_eq(out.name, "insp-001");
    ck_assert_str_eq(out.department, "fire");
    ck_assert_int_eq(out.role, INS_ROLE_INSPECTOR);
    ck_assert_int_eq(out.expires_unix, NOW + 3600);
    ck_assert_int_eq(out.method, INS_AUTH_BEARER);

    /* An empty department is allowed and survives the trip. */
    ins_principal p = sample();
    p.department[0] = '\0';
    p.role = INS_ROLE_ADMIN;
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, INS_TOKEN_MAX), 0);
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, NULL), 0);
    ck_assert_str_eq(out.department, "");
    ck_assert_int_eq(out.role, INS_ROLE_ADMIN);
}
END_TEST

/* Replaces tok[i] with another valid base64url character in the same
 * 6-bit class so the token still decodes but says something else. */
static void flip(char *tok, size_t i)
{
    tok[i] = tok[i] == 'A' ? 'B' : 'A';
}

START_TEST(test_token_tampered_payload)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    ins_principal out;
    const char *why = NULL;
    fixed_key(&k, 7);
    sign_sample(&k, tok);
    flip(tok, 16); /* inside the principal's name, well before the end */
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, WHY_SIGNATURE);
}
END_TEST

START_TEST(test_token_tampered_mac)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    ins_principal out;
    const char *why = NULL;
    fixed_key(&k, 7);
    sign_sample(&k, tok);
    flip(tok, strchr(tok, '.') - tok + 3);
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, WHY_SIGNATURE);
}
END_TEST

START_TEST(test_token_expired)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    ins_principal out;
    const char *why = NULL;
    fixed_key(&k, 7);
    sign_sample(&k, tok);
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW + 3599, &out, &why), 0);
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW + 3600, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, WHY_EXPIRED);
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW + 86400, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, WHY_EXPIRED);
}
END_TEST

START_TEST(test_token_wrong_key)
{
    ins_token_key k1, k2;
    char tok[INS_TOKEN_MAX];
    ins_principal out;
    const char *why = NULL;
    fixed_key(&k1, 7);
    fixed_key(&k2, 7);
    k2.bytes[31] ^= 1;
    sign_sample(&k1, tok);
    ck_assert_int_eq(ins_token_verify(&k2, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, WHY_SIGNATURE);
}
END_TEST

static void expect_malformed(const ins_token_key *k, const char *tok)
{
    ins_principal out;
    const char *why = NULL;
    ck_assert_int_eq(ins_token_verify(k, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_msg(why != NULL && strcmp(why, WHY_MALFORMED) == 0, "token \"%s\": why \"%s\"", tok,
                  why ? why : "(null)");
}

START_TEST(test_token_malformed)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX], bad[INS_TOKEN_MAX + 8];
    fixed_key(&k, 7);
    sign_sample(&k, tok);
    char *dot = strchr(tok, '.');

    expect_malformed(&k, "");
    expect_malformed(&k, "abc");         /* no dot */
    expect_malformed(&k, ".abc");        /* empty payload */
    expect_malformed(&k, "abc.");        /* empty MAC */
    expect_malformed(&k, "ab$d.ab$d");   /* not base64url */
    expect_malformed(&k, "YWJj.YWJj=="); /* padding */

    snprintf(bad, sizeof(bad), "%s", tok);
    bad[dot - tok] = '\0'; /* payload only */
    expect_malformed(&k, bad);

    snprintf(bad, sizeof(bad), "%s", tok);
    bad[2] = '+'; /* standard base64, not base64url */
    expect_malformed(&k, bad);

    snprintf(bad, sizeof(bad), "%sA", tok); /* MAC one character too long */
    expect_malformed(&k, bad);

    snprintf(bad, sizeof(bad), "%s.AAAA", tok); /* second dot */
    expect_malformed(&k, bad);

    memset(bad, 'A', INS_TOKEN_MAX + 4); /* longer than any token */
    bad[INS_TOKEN_MAX + 4] = '\0';
    bad[10] = '.';
    expect_malformed(&k, bad);
}
END_TEST

/* base64url without padding, through OpenSSL's standard base64. */
static void b64url(const unsigned char *in, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    for (int i = 0; i < len; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
        else if (out[i] == '=')
            out[i] = '\0';
    }
    out[len] = '\0';
}

/* Builds a correctly signed token around an arbitrary payload, the way the
 * format in auth.h describes it, independently of auth.c. */
static void forge(const ins_token_key *k, const char *payload, char *tok, size_t cap)
{
    unsigned char mac[32];
    unsigned int maclen = 0;
    char p64[INS_TOKEN_MAX], m64[64];
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), k->bytes, INS_TOKEN_KEY_BYTES,
                               (const unsigned char *)payload, strlen(payload), mac, &maclen));
    ck_assert_uint_eq(maclen, 32);
    b64url((const unsigned char *)payload, strlen(payload), p64);
    b64url(mac, maclen, m64);
    snprintf(tok, cap, "%s.%s", p64, m64);
}

START_TEST(test_token_format_is_documented_one)
{
    ins_token_key k;
    char mine[INS_TOKEN_MAX], forged[INS_TOKEN_MAX];
    fixed_key(&k, 7);
    sign_sample(&k, mine);
    forge(&k, "v2\n0\ninsp-001\ninspector\nfire\n1700000000005\n1700003600", forged,
          sizeof(forged));
    ck_assert_str_eq(mine, forged);
}
END_TEST

/* Tokens of the first format (no key id, no issued-at) still verify with
 * key 0, and say they carry no issued-at. */
START_TEST(test_token_v1_still_accepted_by_key_0)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    ins_principal out;
    fixed_key(&k, 7);
    forge(&k, "v1\ninsp-001\ninspector\nfire\n1700003600", tok, sizeof(tok));
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, NULL), 0);
    ck_assert_str_eq(out.name, "insp-001");
    ck_assert_int_eq(out.issued_ms, 0);
    ck_assert_uint_eq(out.key_id, 0);
    k.id = 3; /* a v1 token names no key: only key 0 can have signed it */
    const char *why = NULL;
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_ptr_nonnull(strstr(why, "retired"));
}
END_TEST

/* A token names its key; a keyring without that key refuses it as retired,
 * one with it verifies, whatever the other keys. */
START_TEST(test_token_keyring_picks_the_named_key)
{
    ins_token_keyring ring;
    memset(&ring, 0, sizeof(ring));
    fixed_key(&ring.keys[0], 1);
    fixed_key(&ring.keys[1], 2);
    ring.keys[1].id = 4;
    ring.n = 2;
    char tok[INS_TOKEN_MAX];
    ins_principal p = sample(), out;
    ck_assert_ptr_eq(ins_token_keyring_active(&ring), &ring.keys[1]);
    ck_assert_int_eq(ins_token_sign(&ring.keys[1], &p, tok, sizeof(tok)), 0);
    ck_assert_int_eq(ins_token_keyring_verify(&ring, tok, NOW, &out, NULL), 0);
    ck_assert_uint_eq(out.key_id, 4);
    ck_assert_int_eq(out.issued_ms, p.issued_ms);
    ring.n = 1; /* key 4 retired */
    const char *why = NULL;
    ck_assert_int_eq(ins_token_keyring_verify(&ring, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_ptr_nonnull(strstr(why, "retired"));
}
END_TEST

START_TEST(test_token_unknown_role)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    ins_principal p = sample(), out;
    const char *why = NULL;
    fixed_key(&k, 7);
    p.role = (ins_role)99;
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);

    forge(&k, "v1\ninsp-001\nwizard\nfire\n1700003600", tok, sizeof(tok));
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, WHY_ROLE);
    forge(&k, "v1\ninsp-001\nnone\nfire\n1700003600", tok, sizeof(tok));
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &out, &why), INS_EAUTH);
    ck_assert_str_eq(why, WHY_ROLE);
}
END_TEST

START_TEST(test_token_signed_bad_payload)
{
    /* Authentic MAC, but the payload breaks the format: still malformed. */
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    fixed_key(&k, 7);
    const char *bad[] = {
        "v2\ninsp-001\ninspector\nfire\n1700003600", /* unknown version */
        "v1\ninsp-001\ninspector\nfire",             /* missing expiry */
        "v1\n\ninspector\nfire\n1700003600",         /* empty name */
        "v1\ninsp\001\ninspector\nfire\n1700003600", /* control character */
        "v1\ninsp-001\ninspector\nfire\n17000036x0", /* expiry not a number */
        "v1\ninsp-001\ninspector\nfire\n-1",
        "v1\ninsp-001\ninspector\nfire\n1700003600\n", /* trailing field */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        forge(&k, bad[i], tok, sizeof(tok));
        expect_malformed(&k, tok);
    }
}
END_TEST

START_TEST(test_token_sign_rejects_bad_fields)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX];
    ins_principal p;
    fixed_key(&k, 7);

    p = sample();
    strcpy(p.name, "insp\n001");
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);

    p = sample();
    strcpy(p.name, "insp\001");
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);

    p = sample();
    p.name[0] = '\0';
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);

    p = sample();
    strcpy(p.department, "fi\nre");
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);

    p = sample();
    p.role = INS_ROLE_NONE;
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);

    p = sample();
    p.expires_unix = 0;
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);

    p = sample();
    memset(p.name, 'x', sizeof(p.name)); /* not NUL-terminated */
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), INS_EINVAL);
}
END_TEST

START_TEST(test_token_sign_small_buffer)
{
    ins_token_key k;
    char tok[INS_TOKEN_MAX], small[16];
    ins_principal p = sample();
    fixed_key(&k, 7);
    ck_assert_int_eq(ins_token_sign(&k, &p, small, sizeof(small)), INS_ETOOBIG);

    /* The longest principal still fits INS_TOKEN_MAX. */
    memset(p.name, 'n', sizeof(p.name) - 1);
    p.name[sizeof(p.name) - 1] = '\0';
    memset(p.department, 'd', sizeof(p.department) - 1);
    p.department[sizeof(p.department) - 1] = '\0';
    p.expires_unix = INT64_MAX;
    ck_assert_int_eq(ins_token_sign(&k, &p, tok, sizeof(tok)), 0);
    ck_assert_int_eq(ins_token_verify(&k, tok, NOW, &p, NULL), 0);
}
END_TEST

/* ---- token key --------------------------------------------------------- */

START_TEST(test_token_key_created_0600_and_stable)
{
    char dir[512], path[600];
    ins_token_key a, b;
    struct stat st;
    make_tmpdir();
    snprintf(dir, sizeof(dir), "%s/data/nested", tmpdir);
    snprintf(path, sizeof(path), "%s/token.key", dir);

    ck_assert_int_eq(ins_token_key_load(dir, &a), 0);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_size, INS_TOKEN_KEY_BYTES);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);

    ck_assert_int_eq(ins_token_key_load(dir, &b), 0);
    ck_assert_mem_eq(a.bytes, b.bytes, INS_TOKEN_KEY_BYTES);

    /* No temporary files are left behind. */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s')\" = token.key", dir);
    ck_assert_int_eq(system(cmd), 0);
    rm_rf(tmpdir);
}
END_TEST

/* Rotation on disk: key 0 keeps verifying until retired; the new key signs;
 * the signing key cannot be retired; a running server's keys follow. */
START_TEST(test_token_keyring_rotate_and_retire)
{
    char dir[512];
    make_tmpdir();
    snprintf(dir, sizeof(dir), "%s/data", tmpdir);
    ins_principal p = sample(), out;
    p.expires_unix = (int64_t)time(NULL) + 600;
    p.issued_ms = 0;
    char old_tok[INS_TOKEN_MAX], new_tok[INS_TOKEN_MAX];
    ck_assert_int_eq(ins_token_issue(dir, &p, old_tok, sizeof(old_tok)), ENOENT); /* no folder */
    ck_assert_int_eq(ins_token_keyring_rotate(dir, &(uint32_t){0}), ENOENT);
    ins_token_key k0;
    ck_assert_int_eq(ins_token_key_load(dir, &k0), 0); /* as the server's first start */
    ck_assert_int_eq(ins_token_issue(dir, &p, old_tok, sizeof(old_tok)), 0);
    ins_token_keys *live = NULL;
    ck_assert_int_eq(ins_token_keys_open(dir, &live), 0);
    ck_assert_int_eq(ins_token_keyring_retire(dir, 0), INS_ESTATE); /* it signs */

    uint32_t id = 0;
    ck_assert_int_eq(ins_token_keyring_rotate(dir, &id), 0);
    ck_assert_uint_eq(id, 1);
    ck_assert_int_eq(ins_token_issue(dir, &p, new_tok, sizeof(new_tok)), 0);
    ck_assert_int_eq(ins_token_keys_verify(live, old_tok, (int64_t)time(NULL), &out, NULL), 0);
    ck_assert_uint_eq(out.key_id, 0);
    ck_assert_int_eq(ins_token_keys_verify(live, new_tok, (int64_t)time(NULL), &out, NULL), 0);
    ck_assert_uint_eq(out.key_id, 1);
    ck_assert_int_gt(out.issued_ms, 0);

    ck_assert_int_eq(ins_token_keyring_retire(dir, 1), INS_ESTATE); /* it signs */
    ck_assert_int_eq(ins_token_keyring_retire(dir, 7), INS_ENOTFOUND);
    ck_assert_int_eq(ins_token_keyring_retire(dir, 0), 0);
    const char *why = NULL;
    ck_assert_int_eq(ins_token_keys_verify(live, old_tok, (int64_t)time(NULL), &out, &why),
                     INS_EAUTH);
    ck_assert_ptr_nonnull(strstr(why, "retired"));
    ck_assert_int_eq(ins_token_keys_verify(live, new_tok, (int64_t)time(NULL), &out, NULL), 0);
    ins_token_keyring ring;
    ck_assert_int_eq(ins_token_keyring_load(dir, &ring), 0);
    ck_assert_uint_eq(ring.n, 1);
    ck_assert_uint_eq(ring.keys[0].id, 1);
    ins_token_keys_close(live);
    rm_rf(tmpdir);
}
END_TEST

START_TEST(test_token_key_racing_processes_agree)
{
    enum { N = 8 };
    char dir[512];
    ins_token_key mine, theirs;
    int fds[N][2];
    make_tmpdir();
    snprintf(dir, sizeof(dir), "%s/race", tmpdir);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(pipe(fds[i]), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            ins_token_key k;
            if (ins_token_key_load(dir, &k) != 0)
                _exit(1);
            _exit(write(fds[i][1], k.bytes, sizeof(k.bytes)) == sizeof(k.bytes) ? 0 : 1);
        }
        close(fds[i][1]);
    }
    ck_assert_int_eq(ins_token_key_load(dir, &mine), 0);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(read(fds[i][0], theirs.bytes, sizeof(theirs.bytes)), INS_TOKEN_KEY_BYTES);
        ck_assert_mem_eq(mine.bytes, theirs.bytes, INS_TOKEN_KEY_BYTES);
        close(fds[i][0]);
    }
    rm_rf(tmpdir);
}
END_TEST

START_TEST(test_token_key_wrong_size)
{
    char path[600];
    ins_token_key k;
    make_tmpdir();
    snprintf(path, sizeof(path), "%s/token.key", tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "short", 5), 5);
    close(fd);
    ck_assert_int_eq(ins_token_key_load(tmpdir, &k), INS_ECORRUPT);

    ck_assert_int_eq(truncate(path, 0), 0);
    ck_assert_int_eq(ins_token_key_load(tmpdir, &k), INS_ECORRUPT);

    ck_assert_int_eq(truncate(path, INS_TOKEN_KEY_BYTES + 1), 0);
    ck_assert_int_eq(ins_token_key_load(tmpdir, &k), INS_ECORRUPT);
    rm_rf(tmpdir);
}
END_TEST

START_TEST(test_token_key_data_dir_is_a_file)
{
    char path[600];
    ins_token_key k;
    make_tmpdir();
    snprintf(path, sizeof(path), "%s/plain", tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(ins_token_key_load(path, &k), ENOTDIR);
    rm_rf(tmpdir);
}
END_TEST

/* ---- durations --------------------------------------------------------- */

START_TEST(test_duration_parse_good)
{
    int64_t s = -1;
    ck_assert_int_eq(ins_duration_parse("90s", &s), 0);
    ck_assert_int_eq(s, 90);
    ck_assert_int_eq(ins_duration_parse("30m", &s), 0);
    ck_assert_int_eq(s, 1800);
    ck_assert_int_eq(ins_duration_parse("12h", &s), 0);
    ck_assert_int_eq(s, 43200);
    ck_assert_int_eq(ins_duration_parse("7d", &s), 0);
    ck_assert_int_eq(s, 604800);
}
END_TEST

START_TEST(test_duration_parse_bad)
{
    int64_t s = 42;
    const char *bad[] = {"",
                         "s",
                         "90",
                         "90x",
                         "-5m",
                         "5 m",
                         " 5m",
                         "5mm",
                         "0s",
                         "1.5h",
                         "h1",
                         "5M",
                         "99999999999999999999s",
                         "9223372036854775807d"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(ins_duration_parse(bad[i], &s) == INS_EINVAL, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(s, 42);
}
END_TEST

/* ---- roles ------------------------------------------------------------- */

START_TEST(test_role_name_round_trip)
{
    for (int r = INS_ROLE_INSPECTOR; r <= INS_ROLE_ADMIN; r++)
        ck_assert_int_eq(ins_role_parse(ins_role_name((ins_role)r)), r);
    ck_assert_str_eq(ins_role_name(INS_ROLE_DISPATCHER), "dispatcher");
    ck_assert_str_eq(ins_role_name(INS_ROLE_NONE), "none");
    ck_assert_str_eq(ins_role_name((ins_role)77), "none");
}
END_TEST

START_TEST(test_role_parse_unknown)
{
    ck_assert_int_eq(ins_role_parse("wizard"), INS_ROLE_NONE);
    ck_assert_int_eq(ins_role_parse("none"), INS_ROLE_NONE);
    ck_assert_int_eq(ins_role_parse("Admin"), INS_ROLE_NONE);
    ck_assert_int_eq(ins_role_parse(""), INS_ROLE_NONE);
    ck_assert_int_eq(ins_role_parse(NULL), INS_ROLE_NONE);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

#define ADD(s, fn)                                                                                 \
    do {                                                                                           \
        TCase *tc = tcase_create(#fn);                                                             \
        tcase_add_test(tc, fn);                                                                    \
        suite_add_tcase(s, tc);                                                                    \
    } while (0)

int main(void)
{
    Suite *s = suite_create("auth");
    ADD(s, test_token_round_trip);
    ADD(s, test_token_tampered_payload);
    ADD(s, test_token_tampered_mac);
    ADD(s, test_token_expired);
    ADD(s, test_token_wrong_key);
    ADD(s, test_token_malformed);
    ADD(s, test_token_format_is_documented_one);
    ADD(s, test_token_v1_still_accepted_by_key_0);
    ADD(s, test_token_keyring_picks_the_named_key);
    ADD(s, test_token_keyring_rotate_and_retire);
    ADD(s, test_token_unknown_role);
    ADD(s, test_token_signed_bad_payload);
    ADD(s, test_token_sign_rejects_bad_fields);
    ADD(s, test_token_sign_small_buffer);
    ADD(s, test_token_key_created_0600_and_stable);
    ADD(s, test_token_key_racing_processes_agree);
    ADD(s, test_token_key_wrong_size);
    ADD(s, test_token_key_data_dir_is_a_file);
    ADD(s, test_duration_parse_good);
    ADD(s, test_duration_parse_bad);
    ADD(s, test_role_name_round_trip);
    ADD(s, test_role_parse_unknown);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
