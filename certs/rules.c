/*
 * rules.c - the pure rules of the device-certificate option (devcert.h):
 * the license counts, the per-ID certificate limit, the five-year validity
 * and the one definition of "valid at a time", plus the civil-date
 * arithmetic they need (devcert_int.h). Only arithmetic on what the caller
 * passes in: no OpenSSL, no clock, no store, no I/O. Failing inputs fail
 * closed, as in gateway/core/license.c: a negative count never passes.
 */
#include "devcert.h"
#include "devcert_int.h"

#include <stdbool.h>
#include <stdint.h>

#include "gateway/util/status.h"

#define DAY_S		86400

int
idg_devlic_check_count(int n)
{
	/* Service rules: the option is sold in blocks of 10 IDs (minimum 10); 0 = off. */
	if (n == 0)
		return IDG_OK;
	if (n < IDG_DEVCERT_BLOCK || n > IDG_DEVCERT_MAX_LICENSED || n % IDG_DEVCERT_BLOCK != 0)
		return IDG_INVALID;
	return IDG_OK;
}

int
idg_devlic_check_change(int n, int assigned)
{
	if (idg_devlic_check_count(n) != IDG_OK)
		return IDG_INVALID;
	/* Never below current use: the tenant unassigns users first. */
	if (assigned < 0 || n < assigned)
		return IDG_DECLINED;
	return IDG_OK;
}

int
idg_devlic_check_assign(int licensed, int assigned, int requested)
{
	/* 64-bit sum: a huge request must not wrap around and pass. */
	int64_t after = (int64_t)assigned + (int64_t)requested;

	if (licensed < 0 || assigned < 0 || requested < 0)
		return IDG_DECLINED;
	if (after > (int64_t)licensed)
		return IDG_DECLINED;
	return IDG_OK;
}

int
idg_devcert_check_issue(int valid_now)
{
	/* Service rules: at most 10 valid certificates per ID at once. */
	if (valid_now < 0 || valid_now >= IDG_DEVCERT_MAX_PER_ID)
		return IDG_DECLINED;
	return IDG_OK;
}

bool
idg_devcert_valid_at(bool revoked, int64_t not_before, int64_t not_after, int64_t now)
{
	return !revoked && not_before <= now && now < not_after;
}

int64_t
idg_devcert_not_after(int64_t not_before)
{
	return idg_civil_add_years(not_before, IDG_DEVCERT_VALID_YEARS);
}

/* ---- civil dates (proleptic Gregorian, H. Hinnant's algorithms) ---- */

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int64_t
idg_civil_to_unix(int64_t y, int mon, int mday, int hour, int min, int sec)
{
	if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || mday < 1 || mday > 31 ||
	    hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
		return -1;
	return days_from_civil(y, mon, mday) * DAY_S + hour * 3600 + min * 60 + sec;
}

int64_t
idg_civil_add_years(int64_t t, int years)
{
	int64_t y, days, secs;
	int m, d;

	if (t < 0 || t >= days_from_civil(IDG_CIVIL_MAX_YEAR + 1, 1, 1) * DAY_S ||
	    years < 0 || years > 100)
		return -1;
	days = t / DAY_S;
	secs = t % DAY_S;
	civil_from_days(days, &y, &m, &d);
	y += years;
	/* 29 February ends on 28 February: never longer than the stated years. */
	if (m == 2 && d == 29 && !leap(y))
		d = 28;
	return days_from_civil(y, m, d) * DAY_S + secs;
}
