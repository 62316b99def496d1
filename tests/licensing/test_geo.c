/*
 * test_geo.c - latitude/longitude range checks and haversine distances
 * against values known independently (a degree of latitude, half the
 * equator, London–Paris).
 */
#include <check.h>
#include <math.h>

#include "geo.h"
#include "ins_error.h"

START_TEST(test_geo_check_accepts_the_bounds)
{
    char why[128] = "";
    ck_assert_int_eq(ins_geo_check(90, 180, why, sizeof(why)), 0);
    ck_assert_int_eq(ins_geo_check(-90, -180, why, sizeof(why)), 0);
    ck_assert_int_eq(ins_geo_check(30.8235, 104.1589, why, sizeof(why)), 0); /* 新都 */
}
END_TEST

START_TEST(test_geo_check_refuses_out_of_range)
{
    static const struct {
        double lat, lon;
        const char *why;
    } CASES[] = {
        {91, 104, "latitude 91 is outside -90..90"},
        {-90.000001, 104, "latitude -90.000001 is outside -90..90"},
        {30, 180.5, "longitude 180.5 is outside -180..180"},
        {30, -181, "longitude -181 is outside -180..180"},
        {NAN, 104, "latitude is not a number"},
        {30, NAN, "longitude is not a number"},
        {INFINITY, 104, "latitude inf is outside -90..90"},
    };
    char why[128];
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        why[0] = '\0';
        ck_assert_int_eq(ins_geo_check(CASES[i].lat, CASES[i].lon, why, sizeof(why)), INS_EINVAL);
        ck_assert_str_eq(why, CASES[i].why);
    }
}
END_TEST

START_TEST(test_geo_distance_known_values)
{
    ck_assert_double_eq(ins_geo_distance_m(30.8, 104.1, 30.8, 104.1), 0);
    /* one degree of latitude: R * pi / 180 */
    ck_assert_double_eq_tol(ins_geo_distance_m(0, 0, 1, 0), 111195.08, 0.05);
    /* half the equator */
    ck_assert_double_eq_tol(ins_geo_distance_m(0, 0, 0, 180), 20015114.44, 0.5);
    /* pole to pole */
    ck_assert_double_eq_tol(ins_geo_distance_m(90, 0, -90, 0), 20015114.44, 0.5);
    /* London to Paris, about 343.5 km on the sphere */
    ck_assert_double_eq_tol(ins_geo_distance_m(51.5074, -0.1278, 48.8566, 2.3522) / 1000.0, 343.5,
                            0.5);
    /* a check-in 0.0001 degree of longitude from a site in Xindu: about 9.55 m */
    ck_assert_double_eq_tol(ins_geo_distance_m(30.8, 104.1, 30.8, 104.1001), 9.55, 0.01);
}
END_TEST

START_TEST(test_geo_distance_symmetric_and_across_dateline)
{
    double a = ins_geo_distance_m(30.6574, 104.0659, 30.8235, 104.1589);
    double b = ins_geo_distance_m(30.8235, 104.1589, 30.6574, 104.0659);
    ck_assert_double_eq_tol(a, b, 1e-6);
    ck_assert_double_eq_tol(a, 20496.86, 0.05); /* 天府广场 to 新都 */
    /* 179.9 E to 179.9 W is 0.2 degrees, not 359.8 */
    ck_assert_double_eq_tol(ins_geo_distance_m(0, 179.9, 0, -179.9), 22239.02, 0.05);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("geo");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_geo_check_accepts_the_bounds);
    tcase_add_test(tc, test_geo_check_refuses_out_of_range);
    tcase_add_test(tc, test_geo_distance_known_values);
    tcase_add_test(tc, test_geo_distance_symmetric_and_across_dateline);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
