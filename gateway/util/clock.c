/*
 * clock.c - the wall clock and the JST calendar; see clock.h.
 */
#include "clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"
#include "str.h"

#ifdef IDGATE_TEST_HOOKS
static int64_t
test_offset(void)
{
	static _Atomic int64_t cached = INT64_MIN;
	int64_t v = atomic_load(&cached);

	if (v == INT64_MIN) {
		const char *s = getenv("IDGATE_TEST_CLOCK_OFFSET");
		long n = 0;

		v = s != NULL && idg_parse_long(s, -4000000000L, 4000000000L, &n) == IDG_OK ?
		    (int64_t)n : 0;
		atomic_store(&cached, v);
	}
	return v;
}
#endif

int64_t
idg_now(void)
{
	int64_t t = (int64_t)time(NULL);

#ifdef IDGATE_TEST_HOOKS
	t += test_offset();
#endif
	return t;
}

static void
jst_tm(int64_t t, struct tm *tm)
{
	time_t jst = (time_t)(t + IDG_JST_OFFSET_S);

	gmtime_r(&jst, tm);
}

void
idg_jst_month(int64_t t, char out[8])
{
	struct tm tm;

	jst_tm(t, &tm);
	snprintf(out, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 100u);
}

void
idg_jst_day(int64_t t, char out[11])
{
	struct tm tm;

	jst_tm(t, &tm);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

int
idg_month_parse(const char *s, int *y, int *m)
{
	char ys[5], ms[3];
	long yv, mv;

	if (s == NULL || strlen(s) != 7 || s[4] != '-')
		return IDG_INVALID;
	memcpy(ys, s, 4);
	ys[4] = '\0';
	memcpy(ms, s + 5, 2);
	ms[2] = '\0';
	if (ys[0] == '+' || ys[0] == '-' || ms[0] == '+' || ms[0] == '-' ||
	    idg_parse_long(ys, 1970, 9999, &yv) != IDG_OK ||
	    idg_parse_long(ms, 1, 12, &mv) != IDG_OK)
		return IDG_INVALID;
	*y = (int)yv;
	*m = (int)mv;
	return IDG_OK;
}

int64_t
idg_days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	/* H. Hinnant's days_from_civil: March-based years, 400-year eras. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153u * (unsigned)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (unsigned)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t
idg_jst_month_start(int y, int m)
{
	int64_t yy = y;
	int mm = m;

	while (mm < 1) {
		mm += 12;
		yy--;
	}
	while (mm > 12) {
		mm -= 12;
		yy++;
	}
	return idg_days_from_civil(yy, mm, 1) * 86400 - IDG_JST_OFFSET_S;
}

void
idg_month_next(const char *month, char out[8])
{
	int y = 1970, m = 1;

	(void)idg_month_parse(month, &y, &m);
	if (++m > 12) {
		m = 1;
		y++;
	}
	snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}

void
idg_month_prev(const char *month, char out[8])
{
	int y = 1970, m = 1;

	(void)idg_month_parse(month, &y, &m);
	if (--m < 1) {
		m = 12;
		y--;
	}
	snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}
