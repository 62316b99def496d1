/*
 * geo.h - positions on the earth: range checks and great-circle distance.
 *
 * Used for application sites, inspector bases and check-ins (distance from
 * the site). Degrees in, metres out. Pure functions, thread-safe.
 */
#ifndef INS_GEO_H
#define INS_GEO_H

#include <stddef.h>

/* Mean earth radius (IUGG), in metres. */
#define INS_EARTH_RADIUS_M 6371008.8

/*
 * Checks latitude in -90..90 and longitude in -180..180 (inclusive; NaN and
 * infinities refused). Returns 0, or INS_EINVAL with a message such as
 * "latitude 91 is outside -90..90".
 */
int ins_geo_check(double lat, double lon, char *why, size_t whylen);

/*
 * Great-circle (haversine) distance between two positions, in metres, on a
 * sphere of INS_EARTH_RADIUS_M: within 0.5 % of the ellipsoidal distance,
 * plenty for "is the inspector on site" and "who is nearest". Positions must
 * pass ins_geo_check; the result is then in 0..~20,015,118.
 * This function can't fail.
 */
double ins_geo_distance_m(double lat1, double lon1, double lat2, double lon2);

#endif /* INS_GEO_H */
