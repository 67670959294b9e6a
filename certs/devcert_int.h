/*
 * devcert_int.h - civil-date helpers shared by the files of certs/ (rules.c
 * defines them, devcert.c uses them for certificate times). Private to this
 * folder: not part of the devcert.h contract and not for other areas.
 */
#ifndef IDG_DEVCERT_INT_H
#define IDG_DEVCERT_INT_H

#include <stdint.h>

/* The last year a time passed to idg_civil_add_years may fall in. */
#define IDG_CIVIL_MAX_YEAR	9000

/*
 * t (unix seconds, UTC) moved `years` (0..100) calendar years later, same
 * time of day; 29 February becomes 28 February in a common year. -1 when t
 * is before 1970 or after the end of IDG_CIVIL_MAX_YEAR.
 */
int64_t	idg_civil_add_years(int64_t t, int years);
/*
 * Unix seconds of a UTC civil time (year 1970..9999, mon 1..12, mday
 * 1..31, sec 0..60); -1 when a field is out of range. Days past a month's
 * end roll over, as with timegm.
 */
int64_t	idg_civil_to_unix(int64_t y, int mon, int mday, int hour, int min, int sec);

#endif
