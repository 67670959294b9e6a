/*
 * clock.h - the one wall clock of idgate, and the Asia/Tokyo calendar the
 * service contract counts in (months for active IDs, days for license
 * snapshots, report periods).
 *
 * Every "now" in the gateway, the store and the CLI comes from idg_now(), so
 * a test build can move the whole program in time: when built with
 * IDGATE_TEST_HOOKS, the environment variable IDGATE_TEST_CLOCK_OFFSET
 * (whole seconds, may be negative) is added to the system clock. Release
 * builds ignore it. Japan has had no daylight saving time since 1951:
 * JST is UTC+9 throughout.
 */
#ifndef IDG_CLOCK_H
#define IDG_CLOCK_H

#include <stdint.h>

#define IDG_JST_OFFSET_S	(9 * 3600)

/* Unix seconds. */
int64_t	idg_now(void);
/* "YYYY-MM" of the Asia/Tokyo month containing unix time t. */
void	idg_jst_month(int64_t t, char out[8]);
/* "YYYY-MM-DD" of the Asia/Tokyo day containing unix time t. */
void	idg_jst_day(int64_t t, char out[11]);
/*
 * Parses "YYYY-MM" (year 1970..9999, month 01..12) into *y and *m. Returns
 * IDG_OK or IDG_INVALID.
 */
int	idg_month_parse(const char *s, int *y, int *m);
/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m and d valid). */
int64_t	idg_days_from_civil(int64_t y, int m, int d);
/* Unix time of 00:00 JST on the first day of month m of year y (m may be 0 or 13). */
int64_t	idg_jst_month_start(int y, int m);
/* The month after / before "YYYY-MM" (both must be valid). */
void	idg_month_next(const char *month, char out[8]);
void	idg_month_prev(const char *month, char out[8]);

#endif
