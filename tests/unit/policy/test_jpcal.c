/*
 * test_jpcal.c - unit tests of policy/jpcal.c: every holiday of 2019-2021
 * (with conf/holidays-override.txt loaded) and of 2024-2026 against the
 * Cabinet Office lists, compared day by day over the whole year so an extra
 * holiday fails as much as a missing one; substitute and citizens' holiday
 * edges under the old and new law; business days and the n-th business day
 * (the report due date); the override parser's errors with line numbers; the
 * date arithmetic. Not a test of the policy engine (test_policy.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util/status.h"
#include "policy/jpcal.h"

#ifndef IDG_HOLIDAYS_FILE
#error "IDG_HOLIDAYS_FILE must name conf/holidays-override.txt"
#endif

static struct idg_jp_overrides *
load_shipped(void)
{
	struct idg_jp_overrides *ov = NULL;
	char err[256], *text;
	FILE *f = fopen(IDG_HOLIDAYS_FILE, "rb");
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = malloc((size_t)n);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (idg_jp_overrides_parse(text, (size_t)n, &ov, err, sizeof(err)) != IDG_OK)
		fail_msg("shipped override file: %s", err);
	free(text);
	return ov;
}

/* Every holiday of year y, as "MM-DD", must be exactly the expected list. */
static void
check_year(int y, const char *const *want, size_t nwant, const struct idg_jp_overrides *ov)
{
	char got[64][24];
	size_t ngot = 0, i;
	int m, d;

	for (m = 1; m <= 12; m++)
		for (d = 1; d <= idg_jp_month_days(y, m); d++) {
			const char *name = NULL;

			if (!idg_jp_holiday(y, m, d, ov, &name))
				continue;
			assert_non_null(name);
			assert_true(ngot < 64);
			snprintf(got[ngot++], sizeof(got[0]), "%02d-%02d", m, d);
		}
	for (i = 0; i < nwant && i < ngot; i++)
		if (strcmp(got[i], want[i]) != 0)
			fail_msg("%d: holiday #%zu is %s, want %s", y, i + 1, got[i], want[i]);
	if (ngot != nwant)
		fail_msg("%d: %zu holidays, want %zu (first difference at #%zu)", y, ngot, nwant,
		    i + 1);
}

#define CHECK_YEAR(y, list, ov) check_year(y, list, sizeof(list) / sizeof(list[0]), ov)

static void
test_2024(void **state)
{
	static const char *const h[] = { "01-01", "01-08", "02-11", "02-12", "02-23", "03-20",
		"04-29", "05-03", "05-04", "05-05", "05-06", "07-15", "08-11", "08-12", "09-16",
		"09-22", "09-23", "10-14", "11-03", "11-04", "11-23" };
	const char *name = NULL;

	CHECK_YEAR(2024, h, NULL);
	assert_true(idg_jp_holiday(2024, 2, 12, NULL, &name));
	assert_string_equal(name, "振替休日");
	assert_true(idg_jp_holiday(2024, 1, 8, NULL, &name));
	assert_string_equal(name, "成人の日");
	assert_true(idg_jp_holiday(2024, 9, 22, NULL, &name));
	assert_string_equal(name, "秋分の日");
}

static void
test_2025(void **state)
{
	static const char *const h[] = { "01-01", "01-13", "02-11", "02-23", "02-24", "03-20",
		"04-29", "05-03", "05-04", "05-05", "05-06", "07-21", "08-11", "09-15", "09-23",
		"10-13", "11-03", "11-23", "11-24" };
	const char *name = NULL;

	CHECK_YEAR(2025, h, NULL);
	/* May 4 (Sunday) is followed by a holiday, so the substitute moves to May 6 */
	assert_true(idg_jp_holiday(2025, 5, 6, NULL, &name));
	assert_string_equal(name, "振替休日");
	assert_true(idg_jp_holiday(2025, 5, 4, NULL, &name));
	assert_string_equal(name, "みどりの日");
}

static void
test_2026(void **state)
{
	static const char *const h[] = { "01-01", "01-12", "02-11", "02-23", "03-20", "04-29",
		"05-03", "05-04", "05-05", "05-06", "07-20", "08-11", "09-21", "09-22", "09-23",
		"10-12", "11-03", "11-23" };
	const char *name = NULL;

	CHECK_YEAR(2026, h, NULL);
	assert_true(idg_jp_holiday(2026, 9, 22, NULL, &name));
	assert_string_equal(name, "国民の休日");
	assert_true(idg_jp_holiday(2026, 10, 12, NULL, &name));
	assert_string_equal(name, "スポーツの日");
	/* the overrides change nothing in 2026 */
	{
		struct idg_jp_overrides *ov = load_shipped();

		CHECK_YEAR(2026, h, ov);
		idg_jp_overrides_free(ov);
	}
}

static void
test_2019_to_2021_with_overrides(void **state)
{
	static const char *const h2019[] = { "01-01", "01-14", "02-11", "03-21", "04-29",
		"04-30", "05-01", "05-02", "05-03", "05-04", "05-05", "05-06", "07-15", "08-11",
		"08-12", "09-16", "09-23", "10-14", "10-22", "11-03", "11-04", "11-23" };
	static const char *const h2020[] = { "01-01", "01-13", "02-11", "02-23", "02-24",
		"03-20", "04-29", "05-03", "05-04", "05-05", "05-06", "07-23", "07-24", "08-10",
		"09-21", "09-22", "11-03", "11-23" };
	static const char *const h2021[] = { "01-01", "01-11", "02-11", "02-23", "03-20",
		"04-29", "05-03", "05-04", "05-05", "07-22", "07-23", "08-08", "08-09", "09-20",
		"09-23", "11-03", "11-23" };
	struct idg_jp_overrides *ov = load_shipped();
	const char *name = NULL;

	CHECK_YEAR(2019, h2019, ov);
	CHECK_YEAR(2020, h2020, ov);
	CHECK_YEAR(2021, h2021, ov);
	assert_true(idg_jp_holiday(2019, 5, 1, ov, &name));
	assert_string_equal(name, "即位の日");
	assert_true(idg_jp_holiday(2020, 7, 24, ov, &name));
	assert_string_equal(name, "スポーツの日");
	/* without the file the law's regular days come back: the code has no one-offs */
	assert_true(idg_jp_holiday(2020, 7, 20, NULL, NULL));
	assert_false(idg_jp_holiday(2020, 7, 23, NULL, NULL));
	assert_false(idg_jp_holiday(2019, 5, 1, NULL, NULL));
	/* 2019 has no Emperor's Birthday at all */
	assert_false(idg_jp_holiday(2019, 12, 23, NULL, NULL));
	assert_false(idg_jp_holiday(2019, 2, 23, NULL, NULL));
	assert_true(idg_jp_holiday(2018, 12, 23, NULL, NULL));
	assert_true(idg_jp_holiday(2018, 12, 24, NULL, &name));	/* Dec 23 was a Sunday */
	assert_string_equal(name, "振替休日");
	idg_jp_overrides_free(ov);
}

static void
test_law_history(void **state)
{
	const char *name = NULL;

	/* citizens' holidays in September under the Happy Monday system */
	assert_true(idg_jp_holiday(2009, 9, 22, NULL, &name));
	assert_string_equal(name, "国民の休日");
	assert_true(idg_jp_holiday(2015, 9, 22, NULL, NULL));
	assert_false(idg_jp_holiday(2014, 9, 22, NULL, NULL));	/* Sep 15 and 23: no sandwich */
	/* 2008: May 4 Sunday, May 5 holiday -> substitute on Tuesday May 6 (2007 rule) */
	assert_true(idg_jp_holiday(2008, 5, 6, NULL, &name));
	assert_string_equal(name, "振替休日");
	/* before 2007 May 4 was a citizens' holiday, except on a Sunday */
	assert_true(idg_jp_holiday(2006, 5, 4, NULL, &name));
	assert_string_equal(name, "国民の休日");
	assert_false(idg_jp_holiday(1986, 5, 4, NULL, NULL));
	assert_true(idg_jp_holiday(1988, 5, 4, NULL, NULL));
	assert_false(idg_jp_holiday(1985, 5, 4, NULL, NULL));	/* before the 1985 amendment */
	/* before 2007 only the Monday after a Sunday holiday was a substitute */
	assert_true(idg_jp_holiday(2003, 11, 24, NULL, NULL));
	/* names and days that moved */
	assert_true(idg_jp_holiday(1999, 1, 15, NULL, &name));
	assert_string_equal(name, "成人の日");
	assert_false(idg_jp_holiday(2000, 1, 15, NULL, NULL));
	assert_true(idg_jp_holiday(2000, 1, 10, NULL, NULL));
	assert_true(idg_jp_holiday(1988, 4, 29, NULL, &name));
	assert_string_equal(name, "天皇誕生日");
	assert_true(idg_jp_holiday(2000, 4, 29, NULL, &name));
	assert_string_equal(name, "みどりの日");
	assert_true(idg_jp_holiday(2007, 4, 29, NULL, &name));
	assert_string_equal(name, "昭和の日");
	assert_true(idg_jp_holiday(1996, 7, 20, NULL, NULL));
	assert_false(idg_jp_holiday(1995, 7, 20, NULL, NULL));
	assert_true(idg_jp_holiday(2003, 7, 21, NULL, NULL));
	assert_false(idg_jp_holiday(2015, 8, 11, NULL, NULL));
	assert_true(idg_jp_holiday(2016, 8, 11, NULL, NULL));
	assert_true(idg_jp_holiday(2019, 10, 14, NULL, &name));
	assert_string_equal(name, "体育の日");
	assert_true(idg_jp_holiday(1999, 10, 10, NULL, NULL));
	/* outside 1980-2099 nothing is computed; bad dates are never holidays */
	assert_false(idg_jp_holiday(1979, 1, 1, NULL, NULL));
	assert_false(idg_jp_holiday(2100, 1, 1, NULL, NULL));
	assert_true(idg_jp_holiday(2099, 1, 1, NULL, NULL));
	assert_false(idg_jp_holiday(2024, 2, 30, NULL, NULL));
	assert_false(idg_jp_holiday(2024, 13, 1, NULL, NULL));
	assert_false(idg_jp_holiday(2024, 0, 1, NULL, NULL));
	assert_false(idg_jp_holiday(2024, 1, 0, NULL, NULL));
	assert_true(idg_jp_holiday(2024, 2, 29, NULL, NULL) == false);
	/* the name out-parameter is left alone when the answer is no */
	name = "unchanged";
	assert_false(idg_jp_holiday(2024, 6, 3, NULL, &name));
	assert_string_equal(name, "unchanged");
}

static void
test_business_days(void **state)
{
	struct idg_jp_overrides *ov = NULL;
	static const char text[] = "2024-06-04 holiday 創立記念日\n2024-01-01 workday\n"
				   "2024-06-09 workday\n";
	char err[128];

	assert_true(idg_jp_business_day(2024, 6, 3, NULL));	/* Monday */
	assert_false(idg_jp_business_day(2024, 6, 8, NULL));	/* Saturday */
	assert_false(idg_jp_business_day(2024, 6, 9, NULL));	/* Sunday */
	assert_false(idg_jp_business_day(2024, 1, 8, NULL));	/* 成人の日 */
	assert_false(idg_jp_business_day(2024, 2, 12, NULL));	/* substitute */
	assert_true(idg_jp_business_day(2024, 12, 27, NULL));	/* Friday */
	assert_false(idg_jp_business_day(2024, 12, 30, NULL));	/* Monday, year-end */
	assert_false(idg_jp_business_day(2024, 12, 31, NULL));
	assert_false(idg_jp_business_day(2025, 1, 2, NULL));
	assert_false(idg_jp_business_day(2025, 1, 3, NULL));	/* Friday, year-end */
	assert_true(idg_jp_business_day(2025, 1, 6, NULL));
	assert_true(idg_jp_business_day(2025, 12, 29, NULL));	/* Monday before the closure */
	assert_false(idg_jp_business_day(2025, 12, 30, NULL));
	assert_false(idg_jp_business_day(2025, 2, 29, NULL));	/* no such day */

	assert_int_equal(idg_jp_overrides_parse(text, strlen(text), &ov, err, sizeof(err)),
	    IDG_OK);
	assert_int_equal(idg_jp_overrides_count(ov), 3);
	assert_false(idg_jp_business_day(2024, 6, 4, ov));	/* holiday by override */
	assert_true(idg_jp_business_day(2024, 6, 4, NULL));
	/* "workday" removes a holiday, but not the year-end closure or a weekend */
	assert_false(idg_jp_holiday(2024, 1, 1, ov, NULL));
	assert_false(idg_jp_business_day(2024, 1, 1, ov));
	assert_false(idg_jp_business_day(2024, 6, 9, ov));
	idg_jp_overrides_free(ov);
}

static void
test_nth_business_day(void **state)
{
	static const struct {
		int y, m, n, want;
	} cases[] = {
		{ 2027, 1, 10, 18 },	/* Jan 1-3 closed, Jan 11 成人の日 */
		{ 2027, 1, 1, 4 },
		{ 2025, 1, 10, 20 },	/* Jan 13 成人の日 */
		{ 2026, 5, 10, 19 },	/* May 4-6 holidays */
		{ 2026, 5, 1, 1 },
		{ 2024, 6, 10, 14 },
		{ 2026, 9, 10, 14 },	/* before the September week */
		{ 2026, 10, 10, 15 },	/* Oct 12 スポーツの日 */
		{ 2024, 12, 20, 27 },	/* the last one before the closure */
	};
	size_t i;
	int d = -1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(idg_jp_nth_business_day(cases[i].y, cases[i].m, cases[i].n,
		    NULL, &d), IDG_OK);
		if (d != cases[i].want)
			fail_msg("%d-%02d n=%d: got %d want %d", cases[i].y, cases[i].m, cases[i].n,
			    d, cases[i].want);
	}
	assert_int_equal(idg_jp_nth_business_day(2024, 12, 21, NULL, &d), IDG_NOTFOUND);
	assert_int_equal(idg_jp_nth_business_day(2024, 2, 0, NULL, &d), IDG_INVALID);
	assert_int_equal(idg_jp_nth_business_day(2024, 13, 1, NULL, &d), IDG_INVALID);
	assert_int_equal(idg_jp_nth_business_day(2024, 0, 1, NULL, &d), IDG_INVALID);
	/* 2020-07 with the Olympic moves: Jul 23/24 off, Jul 20 worked */
	{
		struct idg_jp_overrides *ov = load_shipped();

		assert_int_equal(idg_jp_nth_business_day(2020, 7, 14, NULL, &d), IDG_OK);
		assert_int_equal(d, 21);	/* Jul 20 off without the file */
		assert_int_equal(idg_jp_nth_business_day(2020, 7, 14, ov, &d), IDG_OK);
		assert_int_equal(d, 20);
		assert_int_equal(idg_jp_nth_business_day(2020, 7, 16, ov, &d), IDG_OK);
		assert_int_equal(d, 22);
		assert_int_equal(idg_jp_nth_business_day(2020, 7, 17, ov, &d), IDG_OK);
		assert_int_equal(d, 27);
		idg_jp_overrides_free(ov);
	}
}

static void
test_overrides_parse(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} bad[] = {
		{ "2024-13-01 holiday x\n", "line 1: bad date" },
		{ "# c\n\n2024-02-30 holiday x\n", "line 3: bad date" },
		{ "24-01-01 holiday x\n", "line 1: bad date" },
		{ "2024/01/01 holiday x\n", "line 1: bad date" },
		{ "2019--5-01 workday\n", "line 1: bad date" },
		{ "2019-0-501 workday\n", "line 1: bad date" },
		{ "0999-01-01 workday\n", "line 1: year out of range" },
		{ "2024-01-02 holday x\n", "line 1: expected 'holiday NAME' or 'workday'" },
		{ "2024-01-02\n", "line 1: expected 'holiday NAME' or 'workday'" },
		{ "2024-01-02 holiday\n", "line 1: missing holiday name" },
		{ "2024-01-02 holiday   # only a comment\n", "line 1: missing holiday name" },
		{ "2024-01-02 workday x\n", "line 1: unexpected text after 'workday'" },
		{ "2024-01-02 workday\r\n\r\n2024-01-02 holiday x\r\n",
		  "line 3: date listed twice (first on line 1)" },
		{ "2024-01-02 holiday a\x01b\n", "line 1: control character" },
		{ "x\n", "line 1: bad date" },
	};
	char err[160], longname[200];
	struct idg_jp_overrides *ov = (struct idg_jp_overrides *)&err;
	const char *name = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ov = (struct idg_jp_overrides *)&err;
		assert_int_equal(idg_jp_overrides_parse(bad[i].text, strlen(bad[i].text), &ov, err,
		    sizeof(err)), IDG_INVALID);
		assert_null(ov);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, bad[i].err);
	}
	/* a NUL byte is a control character, not the end of the text */
	assert_int_equal(idg_jp_overrides_parse("2024-01-02 workday\n\0", 20, &ov, err,
	    sizeof(err)), IDG_INVALID);
	assert_string_equal(err, "line 2: control character");
	/* name length limit */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "2024-01-02 holiday ", 19);
	assert_int_equal(idg_jp_overrides_parse(longname, 19 + IDG_JP_NAME_MAX + 1, &ov, err,
	    sizeof(err)), IDG_INVALID);
	assert_string_equal(err, "line 1: holiday name too long");
	assert_int_equal(idg_jp_overrides_parse(longname, 19 + IDG_JP_NAME_MAX, &ov, err,
	    sizeof(err)), IDG_OK);
	idg_jp_overrides_free(ov);

	/* good text: comments, CRLF, blanks, trailing spaces, no final newline */
	{
		static const char good[] = "# header\r\n  2030-05-07 holiday 臨時 休日  # note\r\n"
					   "\t2030-01-01 workday";

		assert_int_equal(idg_jp_overrides_parse(good, strlen(good), &ov, err,
		    sizeof(err)), IDG_OK);
		assert_int_equal(idg_jp_overrides_count(ov), 2);
		assert_true(idg_jp_holiday(2030, 5, 7, ov, &name));
		assert_string_equal(name, "臨時 休日");
		assert_false(idg_jp_holiday(2030, 1, 1, ov, NULL));
		assert_true(idg_jp_holiday(2030, 1, 1, NULL, NULL));
		idg_jp_overrides_free(ov);
	}
	/* empty text is an empty list */
	assert_int_equal(idg_jp_overrides_parse("", 0, &ov, err, sizeof(err)), IDG_OK);
	assert_int_equal(idg_jp_overrides_count(ov), 0);
	idg_jp_overrides_free(ov);
	idg_jp_overrides_free(NULL);
}

static void
test_date_math(void **state)
{
	int64_t day, y;
	int m, d;

	assert_int_equal(idg_jp_days(1970, 1, 1), 0);
	assert_int_equal(idg_jp_weekday(0), 4);	/* Thursday */
	assert_int_equal(idg_jp_weekday(-1), 3);
	assert_int_equal(idg_jp_weekday(idg_jp_days(2026, 9, 22)), 2);	/* Tuesday */
	assert_int_equal(idg_jp_days(2000, 3, 1) - idg_jp_days(2000, 2, 28), 2);
	assert_int_equal(idg_jp_days(1900, 3, 1) - idg_jp_days(1900, 2, 28), 1);
	assert_int_equal(idg_jp_month_days(2000, 2), 29);
	assert_int_equal(idg_jp_month_days(1900, 2), 28);
	assert_int_equal(idg_jp_month_days(2024, 2), 29);
	assert_int_equal(idg_jp_month_days(2024, 13), 0);
	for (day = -800000; day < 800000; day += 37) {
		idg_jp_civil(day, &y, &m, &d);
		if (idg_jp_days(y, m, d) != day || d < 1 || d > idg_jp_month_days(y, m))
			fail_msg("day %lld round trip", (long long)day);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_2024),
		cmocka_unit_test(test_2025),
		cmocka_unit_test(test_2026),
		cmocka_unit_test(test_2019_to_2021_with_overrides),
		cmocka_unit_test(test_law_history),
		cmocka_unit_test(test_business_days),
		cmocka_unit_test(test_nth_business_day),
		cmocka_unit_test(test_overrides_parse),
		cmocka_unit_test(test_date_math),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
