/*
 * geo.c - latitude/longitude range checks and the haversine distance.
 *
 * Haversine rather than the spherical law of cosines: it stays accurate for
 * the short distances that matter here (a check-in 30 m from the site).
 */
#include "geo.h"

#include <math.h>

#include "ins_error.h"
#include "text_rules.h"

static int check_one(const char *name, double v, double limit, char *why, size_t whylen)
{
    if (isnan(v))
        return ins_whyf(INS_EINVAL, why, whylen, "%s is not a number", name);
    if (!(v >= -limit && v <= limit))
        return ins_whyf(INS_EINVAL, why, whylen, "%s %.10g is outside %g..%g", name, v, -limit,
                        limit);
    return 0;
}

int ins_geo_check(double lat, double lon, char *why, size_t whylen)
{
    int rc = check_one("latitude", lat, 90.0, why, whylen);
    if (rc == 0)
        rc = check_one("longitude", lon, 180.0, why, whylen);
    return rc;
}

double ins_geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = 3.14159265358979323846 / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double s1 = sin(dlat / 2), s2 = sin(dlon / 2);
    double h = s1 * s1 + cos(lat1 * rad) * cos(lat2 * rad) * s2 * s2;
    if (h > 1.0)
        h = 1.0;
    return 2.0 * INS_EARTH_RADIUS_M * asin(sqrt(h));
}
