/*
 * jpcal.h - the Japanese national-holiday calendar and the business days of
 * the service contract, as pure functions over civil (proleptic Gregorian)
 * dates. Holidays are computed from the Act on National Holidays as amended
 * (fixed days, Happy Monday days, the equinox formula, substitute holidays and
 * citizens' holidays) for the years 1980-2099; one-off days decided by special
 * laws (2019 coronation, 2020/2021 Olympic moves) are NOT in the code and come
 * from an override list that the caller reads from a file and hands in as
 * text (conf/holidays-override.txt). No I/O, no clock, no globals; all
 * returned names are borrowed (string literals or owned by the overrides).
 */
#ifndef IDG_JPCAL_H
#define IDG_JPCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Years in which holidays are computed; outside, only overrides apply. */
#define IDG_JP_MIN_YEAR		1980
#define IDG_JP_MAX_YEAR		2099
/* Limits of an override list (untrusted text from a file). */
#define IDG_JP_OVERRIDES_MAX_BYTES	(256 * 1024)
#define IDG_JP_OVERRIDES_MAX_ENTRIES	4096
#define IDG_JP_NAME_MAX			96	/* bytes of a holiday name (UTF-8) */

/* A parsed override list: immutable after parse, safe to share between threads. */
struct idg_jp_overrides;

/*
 * Parses an override list. One entry per line:
 *	YYYY-MM-DD holiday NAME		the day is a holiday called NAME
 *	YYYY-MM-DD workday		the day is not a holiday (removes a computed one)
 * '#' starts a comment; blank lines are ignored. Each date may appear once.
 * An override decides its own day only: a holiday added by override does not
 * create substitute or citizens' holidays next to it (list those too), and
 * "workday" does not make a weekend or Dec 30 - Jan 3 a business day.
 * Returns IDG_OK with *out owned by the caller (free with
 * idg_jp_overrides_free), or IDG_INVALID with "line N: message" in err (*out
 * is then NULL), or IDG_ERR on allocation failure.
 */
int	idg_jp_overrides_parse(const char *text, size_t len, struct idg_jp_overrides **out,
	    char *err, size_t errsz);
void	idg_jp_overrides_free(struct idg_jp_overrides *ov);
/* Number of entries (for diagnostics such as `policy show`). */
size_t	idg_jp_overrides_count(const struct idg_jp_overrides *ov);

/*
 * True if y-m-d is a national holiday (including substitute and citizens'
 * holidays) after applying ov (may be NULL). When true and name is not NULL,
 * *name is set to the holiday's Japanese name (borrowed). An invalid date is
 * never a holiday.
 */
bool	idg_jp_holiday(int y, int m, int d, const struct idg_jp_overrides *ov,
	    const char **name);

/*
 * True if y-m-d is a business day of the service contract: Monday to Friday,
 * not a holiday (with ov), and not Dec 30 - Jan 3. Invalid dates are not.
 */
bool	idg_jp_business_day(int y, int m, int d, const struct idg_jp_overrides *ov);

/*
 * Finds the n-th (n >= 1) business day of month m of year y and stores its day
 * of the month in *out_d. Returns IDG_OK, IDG_NOTFOUND if the month has fewer
 * than n business days, or IDG_INVALID for a bad month or n < 1.
 */
int	idg_jp_nth_business_day(int y, int m, int n, const struct idg_jp_overrides *ov,
	    int *out_d);

/* Calendar arithmetic shared with the policy engine (proleptic Gregorian). */
/* Days since 1970-01-01 of y-m-d (m and d must be valid). */
int64_t	idg_jp_days(int64_t y, int m, int d);
/* Inverse of idg_jp_days. */
void	idg_jp_civil(int64_t days, int64_t *y, int *m, int *d);
/* Day of week of a day number: 0 = Sunday ... 6 = Saturday. */
int	idg_jp_weekday(int64_t days);
/* Days in month m of year y, or 0 for a bad month. */
int	idg_jp_month_days(int64_t y, int m);

#endif
