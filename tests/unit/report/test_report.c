/*
 * test_report.c - unit tests of the billing and report rules
 * (gateway/report/report.c, billing.c) against a real SQLite store in a
 * temporary folder: due dates (expected dates counted by hand from the
 * calendar and the holiday law, never from the code), report periods (first
 * report, cancellation, the JST month boundary), the billing figures of a
 * month and the figures of a report (data written with the raw sqlite3 API,
 * so every figure is known), the device-certificate figures of each month
 * (certificates issued and revoked through the store API around the month
 * ends), the billing export against golden files
 * (IDGATE_UPDATE_GOLDEN=1 rewrites them), tenant cancellation, the daily
 * jobs and audit retention. Not tests of the renderers (tests/unit/
 * report_render) nor of the holiday calendar itself (tests/unit/policy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/report/report.h"
#include "gateway/store/store.h"
#include "gateway/util/buf.h"
#include "gateway/util/clock.h"
#include "gateway/util/status.h"
#include "policy/jpcal.h"

#define HASH	"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define DAY	86400
#define HOUR	3600

/* Unix time of y-m-d hh:mi:00 in Asia/Tokyo, from the month start and offsets. */
static int64_t
jst(int y, int m, int d, int hh, int mi)
{
	return idg_jst_month_start(y, m) + (int64_t)(d - 1) * DAY + (int64_t)hh * HOUR +
	    (int64_t)mi * 60;
}

/* ---- due dates ------------------------------------------------------- */

/*
 * Each due date was counted by hand: the weekdays of the following month
 * (cal), minus the holidays named in the comment, minus Dec 30 - Jan 3;
 * the 10th one left is the due date.
 */
static const struct {
	const char	*month;
	const char	*due;
} due_table[] = {
	/* Jan 2024: Jan 1 (New Year) and Jan 2-3 (closure), Jan 8 Coming of Age Day. */
	{ "2023-12", "2024-01-18" },
	/* Aug 2024: Mountain Day Aug 11 is a Sunday -> substitute holiday Mon Aug 12. */
	{ "2024-07", "2024-08-15" },
	/* Nov 2024: Culture Day Nov 3 is a Sunday -> substitute holiday Mon Nov 4. */
	{ "2024-10", "2024-11-15" },
	/* Jan 2025: Jan 1-3 (Wed-Fri: New Year + closure), Jan 13 Coming of Age Day. */
	{ "2024-12", "2025-01-20" },
	/*
	 * Feb 2025: Feb 11 Foundation Day (Tue). The substitute holiday of Mon
	 * Feb 24 (Emperor's Birthday on Sunday Feb 23) comes after the 10th day.
	 */
	{ "2025-01", "2025-02-17" },
	/*
	 * May 2025: May 3 Sat (Constitution, no substitute: not a Sunday), May 4
	 * Sun (Greenery) -> substitute Tue May 6, May 5 Mon (Children's Day).
	 */
	{ "2025-04", "2025-05-16" },
	/* Jun 2025: no holiday; Jun 1 is a Sunday. */
	{ "2025-05", "2025-06-13" },
	/* Oct 2025: Sports Day Mon Oct 13 (2nd Monday). */
	{ "2025-09", "2025-10-15" },
	/* Nov 2025: Culture Day Mon Nov 3 (Nov 24, substitute for Nov 23, is later). */
	{ "2025-10", "2025-11-17" },
	/* Jan 2026: Jan 1-2 (Thu-Fri: New Year + closure), Jan 12 Coming of Age Day. */
	{ "2025-12", "2026-01-19" },
	/* Feb 2026: Feb 11 Foundation Day (Wed); Feb 23 (Mon) is later. */
	{ "2026-01", "2026-02-16" },
	/* Mar 2026: no holiday before the vernal equinox (Fri Mar 20). */
	{ "2026-02", "2026-03-13" },
	/*
	 * May 2026 (Golden Week): May 3 Constitution Day is a Sunday -> the
	 * substitute is the first non-holiday after it, Wed May 6 (May 4
	 * Greenery Day and May 5 Children's Day are holidays themselves).
	 */
	{ "2026-04", "2026-05-19" },
	/* Jul 2026: Marine Day (3rd Monday, Jul 20) is after the 10th business day. */
	{ "2026-06", "2026-07-14" },
	/* Aug 2026: Mountain Day Tue Aug 11. */
	{ "2026-07", "2026-08-17" },
	/*
	 * Sep 2026: Respect for the Aged Day (Mon 21), the citizens' holiday
	 * Tue 22 and the autumnal equinox Wed 23 all come after the 10th day.
	 */
	{ "2026-08", "2026-09-14" },
	/* Oct 2026: Sports Day Mon Oct 12. */
	{ "2026-09", "2026-10-15" },
	/* Nov 2026: Culture Day Tue Nov 3. */
	{ "2026-10", "2026-11-16" },
	/* Dec 2026: no holiday; Dec 1 is a Tuesday. */
	{ "2026-11", "2026-12-14" },
	/* Jan 2027: Jan 1 (Fri, New Year), Jan 2-3 weekend, Jan 11 Coming of Age Day. */
	{ "2026-12", "2027-01-18" },
	/* Mar 2027: equinox Sun Mar 21 -> substitute Mon Mar 22, after the 10th day. */
	{ "2027-02", "2027-03-12" },
	/* May 2027: May 3-5 are Mon-Wed holidays. */
	{ "2027-04", "2027-05-19" },
	/* Jan 2028: Jan 1 Sat, Jan 3 Mon (closure), Jan 10 Coming of Age Day. */
	{ "2027-12", "2028-01-18" },
};

static void
test_due_table(void **state)
{
	char out[11];
	size_t i;

	(void)state;
	assert_true(sizeof(due_table) / sizeof(due_table[0]) >= 15);
	for (i = 0; i < sizeof(due_table) / sizeof(due_table[0]); i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(idg_report_due(due_table[i].month, NULL, out), IDG_OK);
		if (strcmp(out, due_table[i].due) != 0)
			fail_msg("report %s: due %s, want %s", due_table[i].month, out,
			    due_table[i].due);
	}
}

/*
 * The holidays that no due date above reaches (they fall after the 10th
 * business day of their month) are still not business days.
 */
static void
test_due_calendar_days(void **state)
{
	static const int off[][3] = {
		{ 2025, 2, 24 },	/* substitute for the Emperor's Birthday */
		{ 2024, 11, 4 },	/* substitute for Culture Day */
		{ 2025, 5, 6 },		/* substitute for Greenery Day */
		{ 2026, 5, 6 },		/* substitute for Constitution Day */
		{ 2026, 7, 20 },	/* Marine Day */
		{ 2026, 9, 21 },	/* Respect for the Aged Day */
		{ 2026, 9, 22 },	/* citizens' holiday between two holidays */
		{ 2026, 9, 23 },	/* autumnal equinox */
		{ 2026, 10, 12 },	/* Sports Day */
		{ 2027, 3, 22 },	/* substitute for the vernal equinox */
		{ 2026, 12, 30 },	/* year-end closure (Wed) */
		{ 2026, 12, 31 },	/* year-end closure (Thu) */
		{ 2025, 1, 2 },		/* new-year closure (Thu) */
		{ 2025, 1, 3 },		/* new-year closure (Fri) */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (idg_jp_business_day(off[i][0], off[i][1], off[i][2], NULL))
			fail_msg("%04d-%02d-%02d is a business day", off[i][0], off[i][1],
			    off[i][2]);
	/* and the weekdays around them are */
	assert_true(idg_jp_business_day(2026, 9, 24, NULL));
	assert_true(idg_jp_business_day(2026, 12, 29, NULL));
	assert_true(idg_jp_business_day(2025, 2, 25, NULL));
}

static struct idg_jp_overrides *
overrides(const char *text)
{
	struct idg_jp_overrides *ov = NULL;
	char err[128] = "";

	if (idg_jp_overrides_parse(text, strlen(text), &ov, err, sizeof(err)) != IDG_OK)
		fail_msg("overrides: %s", err);
	assert_non_null(ov);
	return ov;
}

static void
test_due_overrides(void **state)
{
	struct idg_jp_overrides *ov;
	char out[11];

	(void)state;
	/* An extra holiday before the due date pushes it by one business day. */
	ov = overrides("# test\n2026-05-12 holiday 臨時の休日\n");
	assert_int_equal(idg_report_due("2026-04", ov, out), IDG_OK);
	assert_string_equal(out, "2026-05-20");
	/* the other months are untouched */
	assert_int_equal(idg_report_due("2026-05", ov, out), IDG_OK);
	assert_string_equal(out, "2026-06-12");	/* Jun 2026: no holiday, Jun 1 Mon */
	idg_jp_overrides_free(ov);

	/* On the due date itself: the next business day (Wed May 20). */
	ov = overrides("2026-05-19 holiday X\n");
	assert_int_equal(idg_report_due("2026-04", ov, out), IDG_OK);
	assert_string_equal(out, "2026-05-20");
	idg_jp_overrides_free(ov);

	/* After the due date, or on a weekend: no change. */
	ov = overrides("2026-05-20 holiday X\n2026-05-09 holiday Y\n");
	assert_int_equal(idg_report_due("2026-04", ov, out), IDG_OK);
	assert_string_equal(out, "2026-05-19");
	idg_jp_overrides_free(ov);

	/* "workday" removes a computed holiday (May 6): one day earlier. */
	ov = overrides("2026-05-06 workday\n");
	assert_int_equal(idg_report_due("2026-04", ov, out), IDG_OK);
	assert_string_equal(out, "2026-05-18");
	idg_jp_overrides_free(ov);

	/* ... but never makes a weekend or the new-year closure a business day. */
	ov = overrides("2027-01-02 workday\n2027-01-09 workday\n");
	assert_int_equal(idg_report_due("2026-12", ov, out), IDG_OK);
	assert_string_equal(out, "2027-01-18");
	idg_jp_overrides_free(ov);

	/*
	 * 2019 (special law): May 1 enthronement and the citizens' holiday
	 * May 2 are not computed; with them the report of 2019-04 is due on
	 * Mon May 20 (May 3 Fri, May 6 Mon substitute for Children's Day on
	 * Sunday May 5); without them, on Thu May 16.
	 */
	assert_int_equal(idg_report_due("2019-04", NULL, out), IDG_OK);
	assert_string_equal(out, "2019-05-16");
	ov = overrides("2019-04-30 holiday 国民の休日\n2019-05-01 holiday 即位の日\n"
	    "2019-05-02 holiday 国民の休日\n");
	assert_int_equal(idg_report_due("2019-04", ov, out), IDG_OK);
	assert_string_equal(out, "2019-05-20");
	idg_jp_overrides_free(ov);
}

static void
test_due_invalid(void **state)
{
	static const char *bad[] = { "2026-13", "2026-1", "abcd-ef", "", "2026-00", "2026/04",
	    "2026-04-01", " 2026-04", "2026-+4", "1969-12", "2026-4 " };
	char out[11];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(out, "unchanged", 10);
		if (idg_report_due(bad[i], NULL, out) != IDG_INVALID)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_string_equal(out, "unchanged");
	}
}

/*
 * The last month idg_month_parse accepts, 9999-12, is due in January of
 * year 10000, which "YYYY-MM-DD" cannot hold: refused, never written as a
 * date of year 0000.
 */
static void
test_due_last_year(void **state)
{
	char out[11] = "unchanged";
	int st;

	(void)state;
	/* Nov 9999 -> Dec 9999 is fine: Dec 1, 9999 is a Wednesday */
	assert_int_equal(idg_report_due("9999-11", NULL, out), IDG_OK);
	assert_string_equal(out, "9999-12-14");
	memcpy(out, "unchanged", 10);
	st = idg_report_due("9999-12", NULL, out);
	if (st == IDG_OK)
		fail_msg("9999-12: due \"%s\"", out);
	assert_int_equal(st, IDG_INVALID);
}

/* ---- report periods --------------------------------------------------- */

/* Asserts the period of month: covered [from, to), or not covered (from < 0). */
static void
period_is(const char *month, int64_t contracted, int64_t cancelled, int64_t from, int64_t to)
{
	int64_t f = -7, t = -7;
	bool got = idg_report_period(month, contracted, cancelled, &f, &t);

	if (from < 0) {
		if (got)
			fail_msg("%s: covered [%lld, %lld), want no report", month, (long long)f,
			    (long long)t);
		return;
	}
	if (!got)
		fail_msg("%s: no report, want [%lld, %lld)", month, (long long)from,
		    (long long)to);
	if (f != from || t != to)
		fail_msg("%s: [%lld, %lld), want [%lld, %lld)", month, (long long)f,
		    (long long)t, (long long)from, (long long)to);
}

static void
test_period_first_report(void **state)
{
	/* Contracted 2026-10-15 10:00 JST. */
	int64_t c = jst(2026, 10, 15, 10, 0);

	(void)state;
	assert_int_equal(c - idg_jst_month_start(2026, 10), 14 * DAY + 10 * HOUR);
	period_is("2026-08", c, 0, -1, 0);
	period_is("2026-09", c, 0, -1, 0);
	/* the contract month goes into the next month's report */
	period_is("2026-10", c, 0, -1, 0);
	period_is("2026-11", c, 0, c, idg_jst_month_start(2026, 12));
	period_is("2026-12", c, 0, idg_jst_month_start(2026, 12), idg_jst_month_start(2027, 1));
	period_is("2027-01", c, 0, idg_jst_month_start(2027, 1), idg_jst_month_start(2027, 2));
	/* a bad month is never covered */
	period_is("2026-13", c, 0, -1, 0);
	period_is("", c, 0, -1, 0);

	/* Contracted on the 1st at 00:00 JST: still no separate report. */
	c = idg_jst_month_start(2026, 10);
	period_is("2026-09", c, 0, -1, 0);
	period_is("2026-10", c, 0, -1, 0);
	period_is("2026-11", c, 0, c, idg_jst_month_start(2026, 12));
	/* one second earlier is the last second of September */
	period_is("2026-10", c - 1, 0, c - 1, idg_jst_month_start(2026, 11));

	/* Contracted in December: the first report is January's, over the year end. */
	c = jst(2026, 12, 28, 17, 30);
	period_is("2026-12", c, 0, -1, 0);
	period_is("2027-01", c, 0, c, idg_jst_month_start(2027, 2));
}

static void
test_period_cancellation(void **state)
{
	int64_t c = jst(2026, 10, 15, 10, 0), x;

	(void)state;
	/* Cancelled 2026-12-10 15:20 JST: December ends at the cancellation. */
	x = jst(2026, 12, 10, 15, 20);
	period_is("2026-10", c, x, -1, 0);
	period_is("2026-11", c, x, c, idg_jst_month_start(2026, 12));
	period_is("2026-12", c, x, idg_jst_month_start(2026, 12), x + 1);
	period_is("2027-01", c, x, -1, 0);
	period_is("2027-02", c, x, -1, 0);

	/* Contracted and cancelled in the same month: one report, for that month. */
	x = jst(2026, 10, 20, 12, 0);
	period_is("2026-09", c, x, -1, 0);
	period_is("2026-10", c, x, c, x + 1);
	period_is("2026-11", c, x, -1, 0);

	/* Cancelled in the month after the contract month: it covers both. */
	x = jst(2026, 11, 5, 9, 0);
	period_is("2026-10", c, x, -1, 0);
	period_is("2026-11", c, x, c, x + 1);
	period_is("2026-12", c, x, -1, 0);

	/* Cancelled in the last second of December. */
	x = idg_jst_month_start(2027, 1) - 1;
	period_is("2026-12", c, x, idg_jst_month_start(2026, 12), idg_jst_month_start(2027, 1));
	period_is("2027-01", c, x, -1, 0);

	/* Cancelled at 00:00 JST on Jan 1: January is the last month. */
	x = idg_jst_month_start(2027, 1);
	period_is("2026-12", c, x, idg_jst_month_start(2026, 12), idg_jst_month_start(2027, 1));
	period_is("2027-01", c, x, x, x + 1);
	period_is("2027-02", c, x, -1, 0);
}

static void
test_period_jst_boundary(void **state)
{
	/* 2026-10-31 20:00 UTC (written as UTC seconds) = 2026-11-01 05:00 JST. */
	int64_t c = 1793476800;
	char month[8], day[11];

	(void)state;
	assert_int_equal(c, jst(2026, 11, 1, 5, 0));
	idg_jst_month(c, month);
	assert_string_equal(month, "2026-11");
	idg_jst_day(c, day);
	assert_string_equal(day, "2026-11-01");
	/* the contract month is November, not October (UTC) */
	period_is("2026-10", c, 0, -1, 0);
	period_is("2026-11", c, 0, -1, 0);
	period_is("2026-12", c, 0, c, idg_jst_month_start(2027, 1));
	/* 14:59:59 UTC on Oct 31 is still October in Tokyo */
	period_is("2026-11", idg_jst_month_start(2026, 11) - 1, 0,
	    idg_jst_month_start(2026, 11) - 1, idg_jst_month_start(2026, 12));
	/* cancelled 2026-11-30 16:00 UTC = 2026-12-01 01:00 JST: December's report */
	period_is("2026-12", c, c + 30 * DAY - 4 * HOUR, c, c + 30 * DAY - 4 * HOUR + 1);
	period_is("2026-11", c, c + 30 * DAY - 4 * HOUR, -1, 0);
}

/* ---- store fixture ---------------------------------------------------- */

struct fx {
	char			 dir[64];
	char			 path[128];
	struct idg_store	*s;
	sqlite3			*db;	/* second connection: writes the test data */
};

static int
setup(void **state)
{
	struct idg_store_config cfg = { "sqlite", NULL, 5000 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-report-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/idgate.db", f->dir);
	cfg.sqlite_path = f->path;
	assert_int_equal(idg_store_open(&cfg, &f->s), IDG_OK);
	assert_int_equal(idg_store_migrate(f->s, NULL), IDG_OK);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	sqlite3_busy_timeout(f->db, 5000);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	sqlite3_close(f->db);
	idg_store_free(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static sqlite3_stmt *
prep(struct fx *f, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(f->db));
	return st;
}

static void
step_done(struct fx *f, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		fail_msg("%s", sqlite3_errmsg(f->db));
	sqlite3_finalize(st);
}

static int
count_rows(struct fx *f, const char *sql, int64_t id)
{
	sqlite3_stmt *st = prep(f, sql);
	int n;

	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
ins_tenant(struct fx *f, int64_t id, const char *company_id, const char *name, int contracted,
    int64_t created_at, int64_t cancelled_at)
{
	sqlite3_stmt *st = prep(f, "INSERT INTO tenants (id, company_id, name, contracted_ids,"
	    " status, created_at, setup_completed_at, cancelled_at) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " ?6, ?6, ?7)");

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, company_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, contracted);
	sqlite3_bind_int(st, 5, cancelled_at != 0 ? IDG_TENANT_CANCELLED : IDG_TENANT_ACTIVE);
	sqlite3_bind_int64(st, 6, created_at);
	sqlite3_bind_int64(st, 7, cancelled_at);
	step_done(f, st);
}

static void
ins_lic(struct fx *f, int64_t tid, const char *day, int contracted, int peak, int end,
    int dev_licensed, int dev_users)
{
	sqlite3_stmt *st = prep(f, "INSERT INTO license_daily (tenant_id, day, contracted_ids,"
	    " in_use_peak, in_use_end, device_licensed, device_users) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7)");

	sqlite3_bind_int64(st, 1, tid);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, contracted);
	sqlite3_bind_int(st, 4, peak);
	sqlite3_bind_int(st, 5, end);
	sqlite3_bind_int(st, 6, dev_licensed);
	sqlite3_bind_int(st, 7, dev_users);
	step_done(f, st);
}

static void
ins_active(struct fx *f, int64_t tid, int64_t user_id, int64_t first_at)
{
	sqlite3_stmt *st = prep(f, "INSERT INTO monthly_active (tenant_id, month, user_id,"
	    " first_at) VALUES (?1, ?2, ?3, ?4)");
	char month[8];

	idg_jst_month(first_at, month);
	sqlite3_bind_int64(st, 1, tid);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, user_id);
	sqlite3_bind_int64(st, 4, first_at);
	step_done(f, st);
}

/* n audit rows at the same time. */
static void
ins_audit(struct fx *f, int64_t tid, int64_t at, const char *action, const char *target,
    const char *result, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		sqlite3_stmt *st = prep(f, "INSERT INTO audit_log (at, tenant_id, actor, action,"
		    " target, result) VALUES (?1, ?2, 'test', ?3, ?4, ?5)");

		sqlite3_bind_int64(st, 1, at);
		sqlite3_bind_int64(st, 2, tid);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		if (target != NULL)
			sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, result, -1, SQLITE_STATIC);
		step_done(f, st);
	}
}

static struct idg_tenant
tenant(struct fx *f, const char *company_id)
{
	struct idg_tenant t;

	memset(&t, 0, sizeof(t));
	assert_int_equal(idg_store_tenant_get(f->s, company_id, &t), IDG_OK);
	return t;
}

static void
month_is(const struct idg_report_month *m, const char *month, int contracted, int peak,
    int end, int active, int dev_licensed, int dev_users)
{
	if (strcmp(m->month, month) != 0 || m->contracted_end != contracted ||
	    m->licensed_peak != peak || m->licensed_end != end || m->active_ids != active ||
	    m->device_licensed != dev_licensed || m->device_users != dev_users)
		fail_msg("%s: got %s contracted %d peak %d end %d active %d device %d/%d; want"
		    " %s %d %d %d %d %d/%d", month, m->month, m->contracted_end,
		    m->licensed_peak, m->licensed_end, m->active_ids, m->device_licensed,
		    m->device_users, month, contracted, peak, end, active, dev_licensed,
		    dev_users);
}

/* ---- billing figures of a month --------------------------------------- */

static void
test_billing_month(void **state)
{
	struct fx *f = *state;
	struct idg_report_month m;
	struct idg_tenant t;

	ins_tenant(f, 1, "acme", "Acme", 50, jst(2026, 8, 1, 9, 0), 0);
	ins_tenant(f, 2, "other-co", "Other", 200, jst(2026, 8, 1, 9, 0), 0);
	ins_tenant(f, 3, "norows", "No rows", 33, jst(2026, 8, 1, 9, 0), 0);
	/* carried into October: end 30 (its own peak 35 belongs to September) */
	ins_lic(f, 1, "2026-09-20", 50, 35, 30, 0, 0);
	ins_lic(f, 1, "2026-10-03", 50, 25, 25, 0, 0);
	ins_lic(f, 1, "2026-10-10", 50, 27, 26, 10, 3);
	ins_lic(f, 1, "2026-10-20", 60, 28, 27, 10, 4);
	ins_lic(f, 1, "2026-10-31", 60, 26, 24, 20, 11);
	/* November: a peak above the carried figure */
	ins_lic(f, 1, "2026-11-05", 60, 40, 31, 20, 12);
	/* another tenant's rows never count */
	ins_lic(f, 2, "2026-10-15", 200, 150, 120, 0, 0);
	ins_lic(f, 2, "2026-12-15", 200, 190, 180, 0, 0);
	/* active IDs: only the month's own rows */
	ins_active(f, 1, 101, jst(2026, 9, 30, 23, 59));
	ins_active(f, 1, 101, jst(2026, 10, 1, 0, 0));
	ins_active(f, 1, 102, jst(2026, 10, 15, 12, 0));
	ins_active(f, 1, 103, jst(2026, 10, 31, 23, 59));
	ins_active(f, 1, 101, jst(2026, 11, 1, 0, 0));
	ins_active(f, 1, 104, jst(2026, 11, 2, 8, 0));
	ins_active(f, 2, 201, jst(2026, 10, 2, 8, 0));

	t = tenant(f, "acme");
	assert_int_equal(idg_billing_month(f->s, &t, "2026-09", &m), IDG_OK);
	month_is(&m, "2026-09", 50, 35, 30, 1, 0, 0);
	assert_int_equal(idg_billing_month(f->s, &t, "2026-10", &m), IDG_OK);
	month_is(&m, "2026-10", 60, 30, 24, 3, 20, 11);
	assert_int_equal(idg_billing_month(f->s, &t, "2026-11", &m), IDG_OK);
	month_is(&m, "2026-11", 60, 40, 31, 2, 20, 12);
	/* no row in December: the figures carried from Nov 5 */
	assert_int_equal(idg_billing_month(f->s, &t, "2026-12", &m), IDG_OK);
	month_is(&m, "2026-12", 60, 31, 31, 0, 20, 12);
	/* before any row: the tenant's contract, nothing in use */
	assert_int_equal(idg_billing_month(f->s, &t, "2026-08", &m), IDG_OK);
	month_is(&m, "2026-08", 50, 0, 0, 0, 0, 0);

	t = tenant(f, "other-co");
	assert_int_equal(idg_billing_month(f->s, &t, "2026-10", &m), IDG_OK);
	month_is(&m, "2026-10", 200, 150, 120, 1, 0, 0);
	assert_int_equal(idg_billing_month(f->s, &t, "2026-11", &m), IDG_OK);
	month_is(&m, "2026-11", 200, 120, 120, 0, 0, 0);

	t = tenant(f, "norows");
	assert_int_equal(idg_billing_month(f->s, &t, "2026-10", &m), IDG_OK);
	month_is(&m, "2026-10", 33, 0, 0, 0, 0, 0);

	assert_int_equal(idg_billing_month(f->s, &t, "2026-13", &m), IDG_INVALID);
	assert_int_equal(idg_billing_month(f->s, &t, "2026-1", &m), IDG_INVALID);
}

/* ---- the figures of a report ------------------------------------------ */

static const struct idg_report_day *
rday(const struct idg_report *r, const char *day)
{
	int i;

	for (i = 0; i < r->ndays; i++)
		if (strcmp(r->days[i].day, day) == 0)
			return &r->days[i];
	fail_msg("day %s not in the report", day);
	return NULL;
}

static void
day_is(const struct idg_report *r, const char *day, int ok, int failed, int sso, int active_cum,
    int licensed, int contracted)
{
	const struct idg_report_day *d = rday(r, day);

	if (d->signins_ok != ok || d->signins_failed != failed || d->sso != sso ||
	    d->active_cum != active_cum || d->licensed != licensed ||
	    d->contracted != contracted)
		fail_msg("%s: ok %d failed %d sso %d active %d licensed %d contracted %d; want"
		    " %d %d %d %d %d %d", day, d->signins_ok, d->signins_failed, d->sso,
		    d->active_cum, d->licensed, d->contracted, ok, failed, sso, active_cum,
		    licensed, contracted);
}

/*
 * rep-co, contracted 2026-10-15 10:00 JST for 40 IDs, and its data: license
 * rows, first activity per month, sign-ins and SSO launches.
 */
static void
rep_data(struct fx *f)
{
	int64_t c = jst(2026, 10, 15, 10, 0);

	ins_tenant(f, 5, "rep-co", "Rep Co", 40, c, 0);
	ins_tenant(f, 6, "noise-co", "Noise", 40, jst(2026, 1, 5, 0, 0), 0);
	ins_lic(f, 5, "2026-10-15", 40, 5, 5, 0, 0);
	ins_lic(f, 5, "2026-10-20", 40, 12, 10, 0, 0);
	ins_lic(f, 5, "2026-11-03", 45, 15, 15, 10, 2);
	ins_lic(f, 6, "2026-11-10", 90, 80, 80, 0, 0);
	/* Oct: 2 on the 15th, 1 on the 20th; Nov: 2 on the 2nd, 1 on the 10th */
	ins_active(f, 5, 1, jst(2026, 10, 15, 11, 0));
	ins_active(f, 5, 2, jst(2026, 10, 15, 23, 30));
	ins_active(f, 5, 3, jst(2026, 10, 20, 9, 0));
	ins_active(f, 5, 1, jst(2026, 11, 2, 8, 0));
	ins_active(f, 5, 5, jst(2026, 11, 2, 18, 0));
	ins_active(f, 5, 2, jst(2026, 11, 10, 7, 0));
	ins_active(f, 6, 9, jst(2026, 11, 1, 7, 0));
	/* Oct 16: 3 successful, 3 refused, 1 pending second factor (neither) */
	ins_audit(f, 5, jst(2026, 10, 16, 10, 0), "signin.password", "a@rep.example", "ok", 2);
	ins_audit(f, 5, jst(2026, 10, 16, 10, 1), "signin.password", "b@rep.example",
	    "ok_password_expired", 1);
	ins_audit(f, 5, jst(2026, 10, 16, 10, 2), "signin.password", "c@rep.example",
	    "ok_mfa_pending", 1);
	ins_audit(f, 5, jst(2026, 10, 16, 10, 3), "signin.password", "d@rep.example",
	    "bad_password", 2);
	ins_audit(f, 5, jst(2026, 10, 16, 10, 4), "signin.password", "e@rep.example", "locked",
	    1);
	/* the day boundaries are JST: 23:59:59 is Oct 31, 00:00:00 is Nov 1 */
	ins_audit(f, 5, idg_jst_month_start(2026, 11) - 1, "signin.password", "d@rep.example",
	    "bad_password", 1);
	ins_audit(f, 5, idg_jst_month_start(2026, 11), "signin.password", "a@rep.example", "ok",
	    1);
	/* SSO launches: mail 3, crm 2, wiki 1; a refused launch is not one, but a refusal */
	ins_audit(f, 5, jst(2026, 10, 17, 9, 0), "sso.oidc", "mail", "ok", 1);
	ins_audit(f, 5, jst(2026, 11, 5, 9, 0), "sso.oidc", "mail", "ok", 2);
	ins_audit(f, 5, jst(2026, 11, 5, 9, 30), "sso.oidc", "wiki", "ok", 1);
	ins_audit(f, 5, jst(2026, 11, 6, 9, 0), "sso.oidc", "crm", "ok", 2);
	ins_audit(f, 5, jst(2026, 11, 6, 9, 5), "sso.oidc", "crm", "not_assigned", 1);
	/* administrative changes */
	ins_audit(f, 5, jst(2026, 11, 7, 9, 0), "user.add", "x@rep.example", "ok", 2);
	/* outside the period: before the contract, at its end, another tenant */
	ins_audit(f, 5, c - 1, "signin.password", "a@rep.example", "ok", 5);
	ins_audit(f, 5, idg_jst_month_start(2026, 12), "signin.password", "a@rep.example", "ok",
	    5);
	ins_audit(f, 6, jst(2026, 11, 5, 9, 0), "sso.oidc", "mail", "ok", 7);
	ins_audit(f, 6, jst(2026, 11, 5, 9, 0), "signin.password", "z@noise.example", "ok", 7);
}

static void
test_report_build_first(void **state)
{
	struct fx *f = *state;
	struct idg_report r;
	struct idg_tenant t;
	int64_t end = idg_jst_month_start(2026, 12);
	int i;

	rep_data(f);
	t = tenant(f, "rep-co");
	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, end, &r), IDG_OK);
	assert_string_equal(r.company_id, "rep-co");
	assert_string_equal(r.name, "Rep Co");
	assert_string_equal(r.month, "2026-11");
	assert_string_equal(r.from_day, "2026-10-15");
	assert_string_equal(r.to_day, "2026-11-30");
	assert_string_equal(r.due, "2026-12-14");
	assert_true(r.first);
	assert_false(r.final);
	assert_int_equal(r.generated_at, end);

	/* billing figures of both months */
	assert_int_equal(r.nmonths, 2);
	month_is(&r.months[0], "2026-10", 40, 12, 10, 3, 0, 0);
	month_is(&r.months[1], "2026-11", 45, 15, 15, 3, 10, 2);

	/* one day per JST day: Oct 15-31 (17) and Nov 1-30 (30) */
	assert_int_equal(r.ndays, 47);
	assert_string_equal(r.days[0].day, "2026-10-15");
	assert_string_equal(r.days[16].day, "2026-10-31");
	assert_string_equal(r.days[17].day, "2026-11-01");
	assert_string_equal(r.days[46].day, "2026-11-30");
	for (i = 1; i < r.ndays; i++)
		assert_true(strcmp(r.days[i - 1].day, r.days[i].day) < 0);

	/*            day           ok fail sso act lic contracted */
	day_is(&r, "2026-10-15", 0, 0, 0, 2, 5, 40);
	day_is(&r, "2026-10-16", 3, 3, 0, 2, 5, 40);
	day_is(&r, "2026-10-17", 0, 0, 1, 2, 5, 40);
	day_is(&r, "2026-10-19", 0, 0, 0, 2, 5, 40);
	day_is(&r, "2026-10-20", 0, 0, 0, 3, 10, 40);
	day_is(&r, "2026-10-31", 0, 1, 0, 3, 10, 40);
	/* active IDs start again with the month */
	day_is(&r, "2026-11-01", 1, 0, 0, 0, 10, 40);
	day_is(&r, "2026-11-02", 0, 0, 0, 2, 10, 40);
	day_is(&r, "2026-11-03", 0, 0, 0, 2, 15, 45);
	day_is(&r, "2026-11-05", 0, 0, 3, 2, 15, 45);
	day_is(&r, "2026-11-06", 0, 0, 2, 2, 15, 45);
	day_is(&r, "2026-11-10", 0, 0, 0, 3, 15, 45);
	day_is(&r, "2026-11-30", 0, 0, 0, 3, 15, 45);

	/* totals */
	assert_int_equal(r.signins_ok, 4);
	assert_int_equal(r.signins_failed, 4);
	assert_int_equal(r.sso_total, 6);
	assert_int_equal(r.admin_total, 2);
	/* apps, most first */
	assert_int_equal(r.napps, 3);
	assert_string_equal(r.apps[0].name, "mail");
	assert_int_equal(r.apps[0].count, 3);
	assert_string_equal(r.apps[1].name, "crm");
	assert_int_equal(r.apps[1].count, 2);
	assert_string_equal(r.apps[2].name, "wiki");
	assert_int_equal(r.apps[2].count, 1);
	/* refusals by reason (the refused launch too), most first, then by name */
	assert_int_equal(r.ndenials, 3);
	assert_string_equal(r.denials[0].name, "bad_password");
	assert_int_equal(r.denials[0].count, 3);
	assert_string_equal(r.denials[1].name, "locked");
	assert_int_equal(r.denials[1].count, 1);
	assert_string_equal(r.denials[2].name, "not_assigned");
	assert_int_equal(r.denials[2].count, 1);
	assert_int_equal(r.nadmin, 1);
	assert_string_equal(r.admin_ops[0].name, "user.add");
	assert_int_equal(r.admin_ops[0].count, 2);
	idg_report_clear(&r);
	assert_null(r.days);
	assert_int_equal(r.ndays, 0);

	/* the period is over at its end, not a second before */
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, end - 1, &r),
	    IDG_DECLINED);
	assert_null(r.days);
	/* no report of its own for the contract month, nor before it */
	assert_int_equal(idg_report_build(f->s, &t, "2026-10", NULL, end, &r), IDG_NOTFOUND);
	assert_int_equal(idg_report_build(f->s, &t, "2026-09", NULL, end, &r), IDG_NOTFOUND);
	assert_int_equal(idg_report_build(f->s, &t, "2026-13", NULL, end, &r), IDG_INVALID);
	assert_int_equal(idg_report_build(f->s, &t, "", NULL, end, &r), IDG_INVALID);
}

static void
test_report_build_later_and_final(void **state)
{
	struct fx *f = *state;
	struct idg_report r;
	struct idg_tenant t;
	int64_t x = jst(2026, 12, 10, 15, 0);
	int i;

	rep_data(f);
	ins_audit(f, 5, jst(2026, 12, 2, 9, 0), "sso.oidc", "wiki", "ok", 1);
	ins_audit(f, 5, x, "sso.oidc", "crm", "ok", 1);
	ins_audit(f, 5, x + 1, "sso.oidc", "mail", "ok", 1);
	ins_active(f, 5, 7, jst(2026, 12, 3, 12, 0));
	t = tenant(f, "rep-co");

	/* December, not cancelled: its own month, figures carried from Nov 3 */
	assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL,
	    idg_jst_month_start(2027, 1), &r), IDG_OK);
	assert_false(r.first);
	assert_false(r.final);
	assert_string_equal(r.from_day, "2026-12-01");
	assert_string_equal(r.to_day, "2026-12-31");
	assert_string_equal(r.due, "2027-01-18");
	assert_int_equal(r.nmonths, 1);
	month_is(&r.months[0], "2026-12", 45, 15, 15, 1, 10, 2);
	assert_int_equal(r.ndays, 31);
	for (i = 0; i < r.ndays; i++) {
		assert_int_equal(r.days[i].licensed, 15);
		assert_int_equal(r.days[i].contracted, 45);
		assert_int_equal(r.days[i].active_cum, i >= 2 ? 1 : 0);
	}
	assert_int_equal(r.sso_total, 3);
	/* the sign-ins at 00:00:00 JST on Dec 1, outside November's report */
	assert_int_equal(r.signins_ok, 5);
	day_is(&r, "2026-12-01", 5, 0, 0, 0, 15, 45);
	idg_report_clear(&r);
	/* not over yet on Dec 31 */
	assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL,
	    idg_jst_month_start(2027, 1) - 1, &r), IDG_DECLINED);

	/* Cancelled on Dec 10 15:00: the final report ends there (included). */
	t.cancelled_at = x;
	assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL, x, &r), IDG_DECLINED);
	assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL, x + 1, &r), IDG_OK);
	assert_true(r.final);
	assert_false(r.first);
	assert_string_equal(r.from_day, "2026-12-01");
	assert_string_equal(r.to_day, "2026-12-10");
	assert_int_equal(r.ndays, 10);
	assert_int_equal(r.sso_total, 2);	/* Dec 2 and the launch at x, not x + 1 */
	day_is(&r, "2026-12-10", 0, 0, 1, 1, 15, 45);
	idg_report_clear(&r);
	assert_int_equal(idg_report_build(f->s, &t, "2027-01", NULL, jst(2027, 3, 1, 0, 0), &r),
	    IDG_NOTFOUND);

	/* Cancelled in the month after the contract month: one report for both. */
	t.cancelled_at = jst(2026, 11, 5, 9, 0);
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, jst(2027, 1, 1, 0, 0), &r),
	    IDG_OK);
	assert_true(r.first);
	assert_true(r.final);
	assert_string_equal(r.from_day, "2026-10-15");
	assert_string_equal(r.to_day, "2026-11-05");
	assert_int_equal(r.nmonths, 2);
	assert_int_equal(r.ndays, 17 + 5);
	/* the launches at 09:00 on Nov 5 are in (the cancellation second), 09:30 not */
	assert_int_equal(r.sso_total, 1 + 2);
	idg_report_clear(&r);
	assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL, jst(2027, 1, 1, 0, 0), &r),
	    IDG_NOTFOUND);

	/* Contracted and cancelled in October: October's report alone. */
	t.cancelled_at = jst(2026, 10, 20, 12, 0);
	assert_int_equal(idg_report_build(f->s, &t, "2026-10", NULL, jst(2027, 1, 1, 0, 0), &r),
	    IDG_OK);
	assert_true(r.final);
	assert_string_equal(r.from_day, "2026-10-15");
	assert_string_equal(r.to_day, "2026-10-20");
	assert_string_equal(r.due, "2026-11-16");
	assert_int_equal(r.nmonths, 1);
	assert_int_equal(r.ndays, 6);
	day_is(&r, "2026-10-20", 0, 0, 0, 3, 10, 40);
	idg_report_clear(&r);
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, jst(2027, 1, 1, 0, 0), &r),
	    IDG_NOTFOUND);
}

/* More than IDG_REPORT_TOP_MAX apps: the rest are summed as "other". */
static void
test_report_top_apps(void **state)
{
	struct fx *f = *state;
	struct idg_report r;
	struct idg_tenant t;
	char app[16];
	int i, sum = 0;

	ins_tenant(f, 7, "many-co", "Many", 20, jst(2026, 9, 1, 0, 0), 0);
	/* app-01 .. app-13 with 13 .. 1 launches */
	for (i = 1; i <= 13; i++) {
		snprintf(app, sizeof(app), "app-%02d", i);
		ins_audit(f, 7, jst(2026, 11, 3, 9, i), "sso.oidc", app, "ok", 14 - i);
	}
	t = tenant(f, "many-co");
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, jst(2026, 12, 1, 0, 0), &r),
	    IDG_OK);
	assert_int_equal(r.napps, IDG_REPORT_TOP_MAX);
	for (i = 0; i < IDG_REPORT_TOP_MAX - 1; i++) {
		snprintf(app, sizeof(app), "app-%02d", i + 1);
		assert_string_equal(r.apps[i].name, app);
		assert_int_equal(r.apps[i].count, 13 - i);
	}
	/* app-10 .. app-13: 4 + 3 + 2 + 1 */
	assert_string_equal(r.apps[IDG_REPORT_TOP_MAX - 1].name, "other");
	assert_int_equal(r.apps[IDG_REPORT_TOP_MAX - 1].count, 10);
	for (i = 0; i < r.napps; i++)
		sum += r.apps[i].count;
	assert_int_equal(sum, r.sso_total);
	assert_int_equal(sum, 91);
	idg_report_clear(&r);
}

/* A named count a report must hold; lists of them end with a NULL name. */
struct want {
	const char	*name;
	int		 count;
};

/* The named counts of a report are exactly want, in order. */
static void
counts_are(const char *what, const struct idg_report_count *v, int n, const struct want *want)
{
	int i;

	for (i = 0; want[i].name != NULL; i++) {
		if (i >= n)
			fail_msg("%s: %d entries, %s missing", what, n, want[i].name);
		if (strcmp(v[i].name, want[i].name) != 0 || v[i].count != want[i].count)
			fail_msg("%s[%d]: %s %d; want %s %d", what, i, v[i].name, v[i].count,
			    want[i].name, want[i].count);
	}
	if (i != n)
		fail_msg("%s: %d entries, want %d (first extra: %s)", what, n, i, v[i].name);
}

/*
 * Sign-in refusals as the handlers write them: each refusal counted once
 * by its reason, a step still owed is no refusal, and end users' events
 * are no admin operations.
 */
static void
test_report_denials_signin(void **state)
{
	static const struct want denials[] = { { "bad_password", 2 },
	    { "device_cert_revoked", 2 }, { "ip_not_allowed", 2 }, { "device_ca_missing", 1 },
	    { "invalid_code", 1 }, { "reports_forbidden", 1 }, { "totp_replayed", 1 },
	    { NULL, 0 } };
	static const struct want admin[] = { { "user.add", 1 }, { NULL, 0 } };
	struct fx *f = *state;
	struct idg_report r;
	struct idg_tenant t;
	int64_t d = jst(2026, 11, 4, 9, 0);

	ins_tenant(f, 8, "deny-co", "Deny", 20, jst(2026, 9, 1, 0, 0), 0);
	ins_audit(f, 8, d, "signin.password", "a@deny.example", "bad_password", 2);
	/* a policy refusal: the step says access_denied, the access event why */
	ins_audit(f, 8, d, "signin.password", "b@deny.example", "access_denied", 1);
	ins_audit(f, 8, d, "access.signin", "", "ip_not_allowed (rule office)", 1);
	/* the password step passed, a second one is owed: neither in nor refused */
	ins_audit(f, 8, d, "signin.password", "c@deny.example", "ok_mfa_pending", 1);
	ins_audit(f, 8, d, "signin.password", "c@deny.example", "ok_device_pending", 1);
	/* the device check */
	ins_audit(f, 8, d, "signin.device", "0a1b", "device_cert_revoked", 2);
	ins_audit(f, 8, d, "signin.device", "", "device_ca_missing", 1);
	ins_audit(f, 8, d, "signin.device", "0c1d", "ok", 1);
	/* the second factor */
	ins_audit(f, 8, d, "mfa.verify", "c@deny.example", "invalid_code", 1);
	ins_audit(f, 8, d, "mfa.verify", "c@deny.example", "totp_replayed", 1);
	ins_audit(f, 8, d, "mfa.verify", "c@deny.example", "ok", 1);
	ins_audit(f, 8, d, "mfa.verify", "c@deny.example", "recovery_code", 1);
	ins_audit(f, 8, d, "mfa.enrol", "c@deny.example", "enrolled", 1);
	/* SAML SSO refused by the policy: its access.app event counts, sso.saml not again */
	ins_audit(f, 8, d, "access.app", "crm", "ip_not_allowed (rule office)", 1);
	ins_audit(f, 8, d, "sso.saml", "https://crm.example/sp", "ip_not_allowed", 1);
	/* the reports: a refused read is a refusal, a read no admin operation */
	ins_audit(f, 8, d, "report.read", "2026-10", "reports_forbidden", 1);
	ins_audit(f, 8, d, "report.read", "2026-10", "ok", 1);
	ins_audit(f, 8, d, "signout", "c@deny.example", "ok", 2);
	ins_audit(f, 8, d, "user.add", "d@deny.example", "ok", 1);
	t = tenant(f, "deny-co");
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, jst(2026, 12, 1, 0, 0), &r),
	    IDG_OK);
	counts_are("denials", r.denials, r.ndenials, denials);
	assert_int_equal(r.signins_ok, 0);
	assert_int_equal(r.signins_failed, 3);
	day_is(&r, "2026-11-04", 0, 3, 0, 0, 0, 0);
	counts_are("admin", r.admin_ops, r.nadmin, admin);
	assert_int_equal(r.admin_total, 1);
	idg_report_clear(&r);
}

/*
 * Refused SSO launches (OIDC and SAML) count by their reason once; the
 * OIDC protocol's events are no admin operations, the changes of OIDC
 * clients and keys are, as SAML apps' are.
 */
static void
test_report_denials_sso_and_admin(void **state)
{
	static const struct want denials[] = { { "not_assigned", 3 }, { "ip_not_allowed", 1 },
	    { "no_passive", 1 }, { "outside_allowed_hours", 1 }, { "refresh_token_reuse", 1 },
	    { "saml_idp_initiated_disabled", 1 }, { "saml_replayed", 1 },
	    { "saml_signature_invalid", 1 }, { NULL, 0 } };
	static const struct want admin[] = { { "oidc.key.rotate", 2 }, { "oidc.client.add", 1 },
	    { "oidc.client.assign", 1 }, { "oidc.key.purge", 1 }, { "saml.app.add", 1 },
	    { NULL, 0 } };
	static const struct want apps[] = { { "crm", 2 }, { "mail", 1 }, { NULL, 0 } };
	struct fx *f = *state;
	struct idg_report r;
	struct idg_tenant t;
	int64_t d = jst(2026, 11, 4, 9, 0);

	ins_tenant(f, 9, "sso-co", "SSO", 20, jst(2026, 9, 1, 0, 0), 0);
	/* OIDC: not assigned, a policy refusal, a reused refresh token */
	ins_audit(f, 9, d, "oidc.authorize", "mail", "not_assigned", 2);
	ins_audit(f, 9, d, "access.app", "mail", "outside_allowed_hours (rule hours)", 1);
	ins_audit(f, 9, d, "oidc.refresh", "mail", "refresh_token_reuse", 1);
	ins_audit(f, 9, d, "oidc.end_session", "", "ok", 1);
	ins_audit(f, 9, d, "sso.oidc", "mail", "ok", 1);
	/* SAML: the front end's own refusals */
	ins_audit(f, 9, d, "sso.saml", "https://crm.example/sp", "not_assigned", 1);
	ins_audit(f, 9, d, "sso.saml", "https://crm.example/sp", "saml_replayed", 1);
	ins_audit(f, 9, d, "sso.saml", "https://crm.example/sp", "saml_idp_initiated_disabled",
	    1);
	ins_audit(f, 9, d, "sso.saml", "https://crm.example/sp", "no_passive", 1);
	ins_audit(f, 9, d, "sso.saml", "https://x.example/sp", "saml_signature_invalid", 1);
	/* ... a policy refusal (counted from access.app alone), an internal failure */
	ins_audit(f, 9, d, "access.app", "crm", "ip_not_allowed (rule office)", 1);
	ins_audit(f, 9, d, "sso.saml", "https://crm.example/sp", "ip_not_allowed", 1);
	ins_audit(f, 9, d, "sso.saml", "https://crm.example/sp", "saml_internal", 1);
	ins_audit(f, 9, d, "sso.saml", "crm", "ok", 2);
	ins_audit(f, 9, d, "signout", "https://crm.example/sp", "ok", 1);
	/* the administrator's changes */
	ins_audit(f, 9, d, "oidc.client.add", "mail", "ok", 1);
	ins_audit(f, 9, d, "oidc.client.add", "mail", "client_exists", 1);
	ins_audit(f, 9, d, "oidc.client.assign", "mail", "ok", 1);
	ins_audit(f, 9, d, "oidc.key.rotate", "RS256", "ok", 2);
	ins_audit(f, 9, d, "oidc.key.purge", NULL, "ok", 1);
	ins_audit(f, 9, d, "saml.app.add", "crm", "ok", 1);
	t = tenant(f, "sso-co");
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, jst(2026, 12, 1, 0, 0), &r),
	    IDG_OK);
	counts_are("denials", r.denials, r.ndenials, denials);
	counts_are("admin", r.admin_ops, r.nadmin, admin);
	assert_int_equal(r.admin_total, 6);
	counts_are("apps", r.apps, r.napps, apps);
	assert_int_equal(r.sso_total, 3);
	assert_int_equal(r.signins_failed, 0);
	idg_report_clear(&r);
}

/* ---- device certificates through the store API ------------------------ */

static const uint8_t fake_der[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };

/*
 * Issues certificate n of user u at created (idg_store_devcert_add with
 * now = created, so created_at = created), valid over [nb, na), and revokes
 * it at revoked_at unless that is 0.
 */
static void
cert_add(struct fx *f, const struct idg_user *u, int n, int64_t created, int64_t nb,
    int64_t na, int64_t revoked_at)
{
	struct idg_devcert c;
	int why = -1, valid = -1;

	memset(&c, 0, sizeof(c));
	c.tenant_id = u->tenant_id;
	c.user_id = u->id;
	snprintf(c.serial, sizeof(c.serial), "%032x", 0xc000 + n);
	snprintf(c.device_id, sizeof(c.device_id), "dev-%d", n);
	snprintf(c.device_name, sizeof(c.device_name), "Laptop %d", n);
	snprintf(c.enrolled_by, sizeof(c.enrolled_by), "admin");
	c.not_before = nb;
	c.not_after = na;
	if (idg_store_devcert_add(f->s, &c, fake_der, sizeof(fake_der), created, &why, &valid) !=
	    IDG_OK)
		fail_msg("certificate %d not added (why %d, valid %d)", n, why, valid);
	assert_int_equal(c.created_at, created);
	if (revoked_at != 0)
		assert_int_equal(idg_store_devcert_revoke(f->s, u->tenant_id, c.serial, 0,
		    "admin@cert.example", revoked_at), IDG_OK);
}

/* A tenant made through the store, contracted at created_at, with one user holding the option. */
static struct idg_user
cert_tenant(struct fx *f, const char *company_id, int64_t created_at, struct idg_tenant *t)
{
	struct idg_license_numbers lic;
	struct idg_device_settings ds;
	struct idg_user u;
	char email[64];
	sqlite3_stmt *st;

	assert_int_equal(idg_store_tenant_create(f->s, company_id, "Cert", 20, HASH, HASH, t),
	    IDG_OK);
	/* contracted at created_at, whatever the clock says */
	st = prep(f, "UPDATE tenants SET created_at = ?1 WHERE id = ?2");
	sqlite3_bind_int64(st, 1, created_at);
	sqlite3_bind_int64(st, 2, t->id);
	step_done(f, st);
	*t = tenant(f, company_id);
	assert_int_equal(t->created_at, created_at);
	snprintf(email, sizeof(email), "u@%s.example", company_id);
	assert_int_equal(idg_store_user_add(f->s, t->id, email, "U", HASH, false, &lic, &u),
	    IDG_OK);
	assert_int_equal(idg_store_device_settings_get(f->s, t->id, &ds), IDG_OK);
	ds.licensed = 10;
	assert_int_equal(idg_store_device_settings_set(f->s, t->id, &ds, created_at, NULL, NULL),
	    IDG_OK);
	assert_int_equal(idg_store_user_device_license(f->s, t->id, u.id, true, created_at, NULL,
	    NULL), IDG_OK);
	return u;
}

static void
certs_are(const char *what, int issued, int revoked, int valid_end, int want_issued,
    int want_revoked, int want_valid_end)
{
	if (issued != want_issued || revoked != want_revoked || valid_end != want_valid_end)
		fail_msg("%s: issued %d revoked %d valid at end %d; want %d %d %d", what, issued,
		    revoked, valid_end, want_issued, want_revoked, want_valid_end);
}

static void
month_certs_are(const struct idg_report_month *m, const char *month, int issued, int revoked,
    int valid_end)
{
	assert_string_equal(m->month, month);
	certs_are(month, m->certs_issued, m->certs_revoked, m->certs_valid_end, issued, revoked,
	    valid_end);
}

/*
 * cert-co, contracted 2026-10-15 10:00 JST, issues and revokes certificates
 * around the month ends; each one's fate is in the comment beside it. The
 * first report (2026-11) covers October from the contract and November; the
 * December report is checked as a normal and as a final one.
 */
static void
test_report_certs(void **state)
{
	struct fx *f = *state;
	struct idg_devcert_period p;
	struct idg_report_month m;
	struct idg_report r;
	struct idg_tenant t, t2;
	struct idg_user u, v;
	int64_t nov = idg_jst_month_start(2026, 11), dec = idg_jst_month_start(2026, 12);
	int64_t jan = idg_jst_month_start(2027, 1), x = jst(2026, 12, 10, 15, 0), c;

	u = cert_tenant(f, "cert-co", jst(2026, 10, 15, 10, 0), &t);
	v = cert_tenant(f, "cert-other", jst(2026, 1, 5, 0, 0), &t2);

	/* Issued and revoked before the contract (revoked its last second before): in no period. */
	c = jst(2026, 10, 15, 9, 0);
	cert_add(f, &u, 18, c, c, c + 1800 * DAY, jst(2026, 10, 15, 9, 59) + 59);

	/* October: 4 issued, 1 revoked (L), 3 valid at its end (A, B, K). */
	c = jst(2026, 10, 20, 9, 0);
	cert_add(f, &u, 1, c, c, c + 1800 * DAY, 0);			/* A: valid throughout */
	c = jst(2026, 10, 25, 9, 0);
	cert_add(f, &u, 2, c, c, c + 1800 * DAY, jst(2026, 11, 10, 12, 0)); /* B: revoked Nov */
	c = jst(2026, 10, 26, 9, 0);
	cert_add(f, &u, 3, c, c, c + 1800 * DAY, nov);		/* K: revoked at Oct's end */
	c = jst(2026, 10, 27, 9, 0);
	cert_add(f, &u, 4, c, c, c + 1800 * DAY, jst(2026, 10, 28, 9, 0)); /* L: revoked Oct */

	/* November: 8 issued, 3 revoked (B, K, I), 5 valid at its end (A, D, E, G, P). */
	c = jst(2026, 11, 2, 9, 0);
	cert_add(f, &u, 5, c, c, jst(2026, 11, 20, 0, 0), 0);	/* C: expires inside Nov */
	c = jst(2026, 11, 3, 9, 0);
	cert_add(f, &u, 6, c, c, jst(2026, 12, 20, 0, 0), 0);	/* P: expires inside Dec */
	c = jst(2026, 11, 5, 9, 0);
	cert_add(f, &u, 7, c, c, c + 1800 * DAY, dec);		/* D: revoked at Nov's end */
	c = jst(2026, 11, 6, 9, 0);
	cert_add(f, &u, 8, c, c, c + 1800 * DAY, jst(2026, 12, 3, 9, 0)); /* E: revoked after */
	c = jst(2026, 11, 7, 9, 0);
	cert_add(f, &u, 9, c, c, dec, 0);			/* H: expires at Nov's end */
	c = jst(2026, 11, 8, 9, 0);
	cert_add(f, &u, 10, c, c, c + 1800 * DAY, jst(2026, 11, 9, 9, 0)); /* I: revoked Nov */
	c = jst(2026, 11, 12, 9, 0);
	cert_add(f, &u, 11, c, jst(2026, 12, 5, 0, 0), jst(2031, 12, 5, 0, 0), 0); /* N: not yet */
	cert_add(f, &u, 12, dec - 1, dec - 1, dec + 1800 * DAY, 0); /* G: last second of Nov */

	/* December: F and J before the cancellation time x, M after it. */
	cert_add(f, &u, 13, dec, dec, dec + 1800 * DAY, 0);	/* F: issued at Nov's end */
	c = jst(2026, 12, 2, 9, 0);
	cert_add(f, &u, 14, c, c, c + 1800 * DAY, 0);		/* J */
	c = jst(2026, 12, 11, 9, 0);
	cert_add(f, &u, 15, c, c, c + 1800 * DAY, jst(2026, 12, 12, 9, 0)); /* M */

	/* another tenant's certificates never count */
	c = jst(2026, 11, 10, 9, 0);
	cert_add(f, &v, 16, c, c, c + 1800 * DAY, 0);
	cert_add(f, &v, 17, c, c, c + 1800 * DAY, c + DAY);

	/* The first report: October from the contract, then November. */
	assert_int_equal(idg_report_build(f->s, &t, "2026-11", NULL, dec, &r), IDG_OK);
	assert_true(r.first);
	assert_int_equal(r.nmonths, 2);
	month_certs_are(&r.months[0], "2026-10", 4, 1, 3);
	month_certs_are(&r.months[1], "2026-11", 8, 3, 5);
	/* the period: the months' sums, valid at its end */
	certs_are("2026-11 period", r.certs_issued, r.certs_revoked, r.certs_valid_end, 12, 4,
	    5);
	idg_report_clear(&r);

	/* December, not cancelled: P expired, M revoked, by its end. */
	assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL, jan, &r), IDG_OK);
	assert_int_equal(r.nmonths, 1);
	month_certs_are(&r.months[0], "2026-12", 3, 3, 5);	/* A, G, N, F, J */
	certs_are("2026-12 period", r.certs_issued, r.certs_revoked, r.certs_valid_end, 3, 3, 5);
	idg_report_clear(&r);

	/* December as the final report of a cancellation at x: it ends there. */
	t.cancelled_at = x;
	assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL, x + 1, &r), IDG_OK);
	assert_true(r.final);
	month_certs_are(&r.months[0], "2026-12", 2, 2, 6);	/* A, G, N, F, J, P */
	certs_are("final period", r.certs_issued, r.certs_revoked, r.certs_valid_end, 2, 2, 6);
	idg_report_clear(&r);
	t.cancelled_at = 0;

	/* The billing figures do not carry them. */
	assert_int_equal(idg_billing_month(f->s, &t, "2026-11", &m), IDG_OK);
	certs_are("billing 2026-11", m.certs_issued, m.certs_revoked, m.certs_valid_end, 0, 0,
	    0);

	/* The store operation alone: [from, to) is closed at from and open at to. */
	c = jst(2026, 10, 20, 9, 0);	/* A's issue */
	assert_int_equal(idg_store_devcert_period(f->s, t.id, c, c + 1, &p), IDG_OK);
	certs_are("[A, A + 1)", p.issued, p.revoked, p.valid_end, 1, 0, 1);
	assert_int_equal(idg_store_devcert_period(f->s, t.id, c - DAY, c, &p), IDG_OK);
	certs_are("[A - 1 day, A)", p.issued, p.revoked, p.valid_end, 0, 0, 0);
	assert_int_equal(idg_store_devcert_period(f->s, t.id, c, c, &p), IDG_OK);
	certs_are("[A, A)", p.issued, p.revoked, p.valid_end, 0, 0, 0);
	/* The other tenant: one issued and revoked, one valid. */
	assert_int_equal(idg_store_devcert_period(f->s, t2.id, nov, dec, &p), IDG_OK);
	certs_are("cert-other", p.issued, p.revoked, p.valid_end, 2, 1, 1);
	/* An unknown tenant has none; a reversed period and no output are refused. */
	memset(&p, 0x5a, sizeof(p));
	assert_int_equal(idg_store_devcert_period(f->s, 9999, nov, dec, &p), IDG_OK);
	certs_are("unknown tenant", p.issued, p.revoked, p.valid_end, 0, 0, 0);
	assert_int_equal(idg_store_devcert_period(f->s, t.id, dec, nov, &p), IDG_INVALID);
	assert_int_equal(idg_store_devcert_period(f->s, t.id, nov, dec, NULL), IDG_INVALID);
}

/* ---- license rows through the store API ------------------------------- */

struct lic_rows {
	struct idg_license_day	d[8];
	int			n;
};

static int
lic_collect(void *arg, const struct idg_license_day *d)
{
	struct lic_rows *l = arg;

	if (l->n < 8)
		l->d[l->n] = *d;
	l->n++;
	return 0;
}

/*
 * The store writes today's row (idg_now(), JST) with every change of the
 * pool. Returns false when the JST day changed during the run (then the
 * caller runs it again), so the test never depends on the hour it runs.
 */
static bool
store_license_run(struct fx *f, const char *company_id)
{
	struct idg_license_numbers lic;
	struct idg_report_month m;
	struct idg_tenant t;
	struct idg_user u[3];
	struct lic_rows l;
	char day[11], day2[11], month[8], email[64];
	int i;

	idg_jst_day(idg_now(), day);
	idg_jst_month(idg_now(), month);
	assert_int_equal(idg_store_tenant_create(f->s, company_id, "Live", 20, HASH, HASH, &t),
	    IDG_OK);
	for (i = 0; i < 3; i++) {
		snprintf(email, sizeof(email), "u%d@%s.example", i, company_id);
		assert_int_equal(idg_store_user_add(f->s, t.id, email, "U", HASH, false, &lic,
		    &u[i]), IDG_OK);
	}
	/* peak 3, then one deleted (frees its license), one suspended (keeps it) */
	assert_int_equal(idg_store_user_set_status(f->s, t.id, u[0].id, IDG_USER_DELETED, &lic),
	    IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, t.id, u[1].id, IDG_USER_SUSPENDED,
	    &lic), IDG_OK);
	memset(&l, 0, sizeof(l));
	assert_int_equal(idg_store_license_days(f->s, t.id, day, day, lic_collect, &l), IDG_OK);
	assert_int_equal(idg_store_tenant_get(f->s, company_id, &t), IDG_OK);
	assert_int_equal(idg_billing_month(f->s, &t, month, &m), IDG_OK);
	idg_jst_day(idg_now(), day2);
	if (strcmp(day, day2) != 0)
		return false;
	assert_int_equal(l.n, 1);
	assert_string_equal(l.d[0].day, day);
	assert_int_equal(l.d[0].contracted_ids, 20);
	assert_int_equal(l.d[0].in_use_peak, 3);
	assert_int_equal(l.d[0].in_use_end, 2);
	assert_true(l.d[0].in_use_peak >= l.d[0].in_use_end);
	assert_int_equal(t.licenses_in_use, 2);
	/* the service accounts never count */
	month_is(&m, month, 20, 3, 2, 0, 0, 0);

	/* a contract change is in the same day's row */
	assert_int_equal(idg_store_tenant_set_contract(f->s, company_id, 25, &lic), IDG_OK);
	/* reactivating the deleted user: end 3 again, the peak stays 3 */
	assert_int_equal(idg_store_user_set_status(f->s, t.id, u[0].id, IDG_USER_ACTIVE, &lic),
	    IDG_OK);
	memset(&l, 0, sizeof(l));
	assert_int_equal(idg_store_license_days(f->s, t.id, day, day, lic_collect, &l), IDG_OK);
	idg_jst_day(idg_now(), day2);
	if (strcmp(day, day2) != 0)
		return false;
	assert_int_equal(l.n, 1);
	assert_int_equal(l.d[0].contracted_ids, 25);
	assert_int_equal(l.d[0].in_use_peak, 3);
	assert_int_equal(l.d[0].in_use_end, 3);
	return true;
}

static void
test_store_license_rows(void **state)
{
	struct fx *f = *state;

	if (!store_license_run(f, "live-co"))
		assert_true(store_license_run(f, "live-co2"));
}

/* ---- the billing export ----------------------------------------------- */

static void
golden(const char *file, const struct idg_buf *b)
{
	const char *update = getenv("IDGATE_UPDATE_GOLDEN");
	char path[1024], *want;
	size_t n, i;
	long len;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, file);
	if (update != NULL && strcmp(update, "1") == 0) {
		fp = fopen(path, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(b->data, 1, b->len, fp), b->len);
		assert_int_equal(fclose(fp), 0);
		print_message("rewrote %s\n", path);
		return;
	}
	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("missing golden file %s (IDGATE_UPDATE_GOLDEN=1 writes it)", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	want = malloc((size_t)len + 1);
	assert_non_null(want);
	n = fread(want, 1, (size_t)len, fp);
	fclose(fp);
	assert_int_equal(n, (size_t)len);
	for (i = 0; i < n && i < b->len && want[i] == b->data[i]; i++)
		;
	free(want);
	if (i != n || n != b->len)
		fail_msg("%s differs from the output at byte %zu (file %zu bytes, output %zu)",
		    path, i, n, b->len);
}

#define CSV_HEADER	"month,company_id,name,contracted_ids,licensed_peak,licensed_end," \
			"active_ids,device_licensed,device_users,cancelled,closed\r\n"
#define BOM		"\xef\xbb\xbf"
/* A Japanese name with a comma and a double quote, and its CSV cell. */
#define ALPHA_NAME	"株式会社アルファ, \"本社\""
#define ALPHA_CSV	"\"株式会社アルファ, \"\"本社\"\"\""

/*
 * Tenants around October 2026. Billed: alpha-co (Japanese name with a comma
 * and a double quote), beta-co (named "=cmd"), edge-co (cancelled at
 * 00:00:00 JST on Oct 1: still in October), gamma-co (cancelled on Oct 20).
 * Not billed: delta-co (contracted after October), late-co (contracted at
 * 00:00:00 JST on Nov 1), old-co (cancelled in September).
 */
static void
billing_data(struct fx *f)
{
	ins_tenant(f, 10, "alpha-co", ALPHA_NAME, 100, jst(2026, 3, 1, 9, 0), 0);
	ins_tenant(f, 11, "beta-co", "=cmd", 20, jst(2026, 9, 10, 12, 0), 0);
	ins_tenant(f, 12, "gamma-co", "ガンマ商事", 30, jst(2026, 5, 1, 9, 0),
	    jst(2026, 10, 20, 12, 0));
	ins_tenant(f, 13, "delta-co", "Delta", 20, jst(2026, 11, 2, 9, 0), 0);
	ins_tenant(f, 14, "old-co", "Old", 20, jst(2026, 1, 5, 9, 0), jst(2026, 9, 30, 23, 0));
	ins_tenant(f, 15, "edge-co", "Edge", 25, jst(2026, 2, 1, 9, 0),
	    idg_jst_month_start(2026, 10));
	ins_tenant(f, 16, "late-co", "Late", 20, idg_jst_month_start(2026, 11), 0);

	/* alpha-co: 120 contracted, peak 95, end 90, devices 20/12 */
	ins_lic(f, 10, "2026-09-28", 100, 80, 78, 10, 6);
	ins_lic(f, 10, "2026-10-05", 100, 82, 81, 10, 7);
	ins_lic(f, 10, "2026-10-19", 120, 95, 90, 20, 12);
	ins_lic(f, 10, "2026-11-02", 120, 99, 99, 20, 12);
	/* beta-co: 20, peak 15, end 14 */
	ins_lic(f, 11, "2026-09-10", 20, 0, 0, 0, 0);
	ins_lic(f, 11, "2026-10-01", 20, 12, 12, 0, 0);
	ins_lic(f, 11, "2026-10-02", 20, 15, 14, 0, 0);
	/* gamma-co: no row in October, August's carried: 30, 25, 25 */
	ins_lic(f, 12, "2026-08-01", 30, 27, 25, 0, 0);
	ins_lic(f, 13, "2026-11-02", 20, 3, 3, 0, 0);
	ins_lic(f, 14, "2026-09-01", 20, 9, 9, 0, 0);
	/* edge-co: no row at all: its contract, nothing in use */

	ins_active(f, 10, 1, jst(2026, 9, 30, 8, 0));
	ins_active(f, 10, 1, jst(2026, 10, 1, 8, 0));
	ins_active(f, 10, 2, jst(2026, 10, 2, 8, 0));
	ins_active(f, 10, 3, jst(2026, 10, 3, 8, 0));
	ins_active(f, 10, 4, jst(2026, 10, 4, 8, 0));
	ins_active(f, 10, 5, jst(2026, 10, 31, 23, 59));
	ins_active(f, 10, 6, jst(2026, 11, 1, 0, 0));
	ins_active(f, 11, 1, jst(2026, 10, 12, 8, 0));
	ins_active(f, 11, 2, jst(2026, 10, 13, 8, 0));
	ins_active(f, 12, 1, jst(2026, 10, 19, 8, 0));
	ins_active(f, 14, 1, jst(2026, 9, 2, 8, 0));
}

static char *
export(struct fx *f, const char *month, const char *company_id, enum idg_billing_format fmt,
    bool bom, int64_t now, int want)
{
	struct idg_buf b;

	idg_buf_init(&b, 1024 * 1024);
	assert_int_equal(idg_billing_export(f->s, month, company_id, fmt, bom, now, &b), want);
	if (b.data == NULL)
		return strdup("");
	return idg_buf_take(&b);
}

static void
test_billing_export_golden(void **state)
{
	struct fx *f = *state;
	int64_t now = jst(2027, 2, 1, 9, 0);
	struct idg_buf b;
	char *a1, *a2;

	billing_data(f);
	idg_buf_init(&b, 1024 * 1024);
	assert_int_equal(idg_billing_export(f->s, "2026-10", NULL, IDG_BILLING_CSV, true, now,
	    &b), IDG_OK);
	golden("billing-2026-10.csv", &b);
	/* checked here too, so a rewritten golden file cannot hide a wrong figure */
	assert_string_equal(b.data, BOM CSV_HEADER
	    "2026-10,alpha-co," ALPHA_CSV ",120,95,90,5,20,12,false,true\r\n"
	    "2026-10,beta-co,'=cmd,20,15,14,2,0,0,false,true\r\n"
	    "2026-10,edge-co,Edge,25,0,0,0,0,0,true,true\r\n"
	    "2026-10,gamma-co,ガンマ商事,30,25,25,1,0,0,true,true\r\n");
	idg_buf_free(&b);

	assert_int_equal(idg_billing_export(f->s, "2026-10", NULL, IDG_BILLING_JSON, false, now,
	    &b), IDG_OK);
	golden("billing-2026-10.json", &b);
	assert_non_null(strstr(b.data, "\"company_id\": \"alpha-co\",\n"
	    "      \"name\": \"株式会社アルファ, \\\"本社\\\"\",\n"
	    "      \"contracted_ids\": 120,\n      \"licensed_peak\": 95,\n"
	    "      \"licensed_end\": 90,\n      \"active_ids\": 5,\n"));
	assert_null(strstr(b.data, "delta-co"));
	idg_buf_free(&b);

	/* a closed month: the same bytes every time, whenever exported */
	a1 = export(f, "2026-10", NULL, IDG_BILLING_CSV, true, now, IDG_OK);
	a2 = export(f, "2026-10", NULL, IDG_BILLING_CSV, true, now + 400 * DAY, IDG_OK);
	assert_string_equal(a1, a2);
	free(a1);
	free(a2);
	a1 = export(f, "2026-10", NULL, IDG_BILLING_JSON, false, now, IDG_OK);
	a2 = export(f, "2026-10", NULL, IDG_BILLING_JSON, false, idg_jst_month_start(2026, 11),
	    IDG_OK);
	assert_string_equal(a1, a2);
	free(a1);
	free(a2);
}

static void
test_billing_export_limits(void **state)
{
	struct fx *f = *state;
	int64_t now = jst(2027, 2, 1, 9, 0);
	char *a;

	billing_data(f);
	/* one tenant */
	a = export(f, "2026-10", "beta-co", IDG_BILLING_CSV, false, now, IDG_OK);
	assert_string_equal(a, CSV_HEADER "2026-10,beta-co,'=cmd,20,15,14,2,0,0,false,true\r\n");
	free(a);
	a = export(f, "2026-10", "beta-co", IDG_BILLING_JSON, false, now, IDG_OK);
	assert_non_null(strstr(a, "\"beta-co\""));
	assert_null(strstr(a, "alpha-co"));
	free(a);
	/* an unknown tenant is an error; a known one not billed that month is empty */
	a = export(f, "2026-10", "nope-co", IDG_BILLING_CSV, false, now, IDG_NOTFOUND);
	free(a);
	a = export(f, "2026-10", "delta-co", IDG_BILLING_CSV, false, now, IDG_OK);
	assert_string_equal(a, CSV_HEADER);
	free(a);
	/* a month before any tenant: the header only */
	a = export(f, "2025-12", NULL, IDG_BILLING_CSV, true, now, IDG_OK);
	assert_string_equal(a, BOM CSV_HEADER);
	free(a);
	a = export(f, "2025-12", NULL, IDG_BILLING_JSON, false, now, IDG_OK);
	assert_string_equal(a, "{\n  \"month\": \"2025-12\",\n  \"closed\": true,\n"
	    "  \"tenants\": []\n}\n");
	free(a);
	/* a bad month */
	a = export(f, "2026-13", NULL, IDG_BILLING_CSV, false, now, IDG_INVALID);
	free(a);
	/* November: delta-co and late-co come in; gamma-co, edge-co are gone */
	a = export(f, "2026-11", NULL, IDG_BILLING_CSV, false, now, IDG_OK);
	assert_string_equal(a, CSV_HEADER
	    "2026-11,alpha-co," ALPHA_CSV ",120,99,99,1,20,12,false,true\r\n"
	    "2026-11,beta-co,'=cmd,20,14,14,0,0,0,false,true\r\n"
	    "2026-11,delta-co,Delta,20,3,3,0,0,0,false,true\r\n"
	    "2026-11,late-co,Late,20,0,0,0,0,0,false,true\r\n");
	free(a);
	/* an open month says so */
	a = export(f, "2026-10", "beta-co", IDG_BILLING_CSV, false,
	    idg_jst_month_start(2026, 11) - 1, IDG_OK);
	assert_string_equal(a, CSV_HEADER
	    "2026-10,beta-co,'=cmd,20,15,14,2,0,0,false,false\r\n");
	free(a);
}

/*
 * A tenant name that is not UTF-8 (the CLI stores the bytes it is given,
 * e.g. Latin-1 "Café" from a legacy terminal): the JSON export must still
 * give every tenant its "name", as valid JSON (the monthly report's JSON
 * writes U+FFFD for such bytes).
 */
static void
test_billing_export_json_name_not_utf8(void **state)
{
	struct fx *f = *state;
	struct idg_tenant t;
	char *a;

	/* The store refuses a name that is not UTF-8 text... */
	assert_int_equal(idg_store_tenant_create(f->s, "cafe-co", "Caf\xe9", 20, "", "", &t),
	    IDG_INVALID);
	assert_int_equal(idg_store_tenant_create(f->s, "cafe-co", "Caf\x01", 20, "", "", &t),
	    IDG_INVALID);
	/* ...and a bad name written behind its back fails the JSON export loudly. */
	ins_tenant(f, 30, "cafe-co", "Caf\xe9", 20, jst(2026, 9, 1, 0, 0), 0);
	ins_lic(f, 30, "2026-09-01", 20, 4, 4, 0, 0);
	a = export(f, "2026-10", NULL, IDG_BILLING_JSON, false, jst(2027, 1, 1, 0, 0), IDG_ERR);
	free(a);
}

/* ---- tenant cancellation ---------------------------------------------- */

struct apps {
	char	v[4][64];
	int	n;
};

static int
app_collect(void *arg, const char *kind, const char *id)
{
	struct apps *a = arg;

	assert_string_equal(kind, "oidc");
	if (a->n < 4)
		snprintf(a->v[a->n], sizeof(a->v[a->n]), "%s", id);
	a->n++;
	return 0;
}

static int
count_any(void *arg, const void *row)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

static int
user_count(void *arg, const struct idg_user *u)
{
	return count_any(arg, u);
}

static int
group_count(void *arg, const struct idg_group *g)
{
	return count_any(arg, g);
}

static int
audit_count(void *arg, const struct idg_audit_event *e)
{
	return count_any(arg, e);
}

static void
client_add(struct fx *f, int64_t tid, const char *client_id)
{
	struct idg_oidc_client c;

	memset(&c, 0, sizeof(c));
	c.tenant_id = tid;
	snprintf(c.client_id, sizeof(c.client_id), "%s", client_id);
	snprintf(c.name, sizeof(c.name), "App %s", client_id);
	c.confidential = false;
	snprintf(c.redirect_uris, sizeof(c.redirect_uris), "https://%s.example/cb", client_id);
	assert_int_equal(idg_store_oidc_client_add(f->s, &c), IDG_OK);
}

static void
test_tenant_cancel(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic;
	struct idg_report_meta meta;
	struct idg_audit_event ev;
	struct idg_tenant t, t2;
	struct idg_user u;
	struct idg_group g;
	struct apps a;
	int64_t x = jst(2026, 12, 10, 15, 0);
	int n, lic_rows;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(idg_store_tenant_create(f->s, "bye-co", "Bye", 20, HASH, HASH, &t),
	    IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "stay-co", "Stay", 20, HASH, HASH, &t2),
	    IDG_OK);
	/* contracted long before the cancellation, whatever the clock says */
	assert_int_equal(sqlite3_exec(f->db, "UPDATE tenants SET created_at = 1767193200",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(idg_store_tenant_get(f->s, "bye-co", &t), IDG_OK);
	assert_int_equal(t.created_at, jst(2026, 1, 1, 0, 0));
	assert_int_equal(idg_store_user_add(f->s, t.id, "a@bye.example", "A", HASH, false, &lic,
	    &u), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, t2.id, "a@stay.example", "A", HASH, false,
	    &lic, NULL), IDG_OK);
	assert_int_equal(idg_store_group_add(f->s, t.id, "staff", &g), IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, t.id, "staff", "a@bye.example"),
	    IDG_OK);
	client_add(f, t.id, "zeta");
	client_add(f, t.id, "alpha");
	client_add(f, t2.id, "other");
	assert_int_equal(idg_store_oidc_client_assign(f->s, t.id, "alpha", "group", "staff"),
	    IDG_OK);
	assert_int_equal(idg_store_activity_mark(f->s, t.id, u.id, "2026-12", x - DAY, NULL),
	    IDG_OK);
	memset(&ev, 0, sizeof(ev));
	ev.at = x - HOUR;
	ev.tenant_id = t.id;
	ev.actor = "user:a@bye.example";
	ev.action = "sso.oidc";
	ev.target = "alpha";
	ev.result = "ok";
	assert_int_equal(idg_store_audit_append(f->s, &ev), IDG_OK);
	/* a day in the past, whatever the clock says */
	ins_lic(f, t.id, "2025-12-01", 20, 1, 1, 0, 0);
	memset(&meta, 0, sizeof(meta));
	meta.tenant_id = t.id;
	snprintf(meta.month, sizeof(meta.month), "2026-11");
	snprintf(meta.from_day, sizeof(meta.from_day), "2026-11-01");
	snprintf(meta.to_day, sizeof(meta.to_day), "2026-11-30");
	snprintf(meta.due, sizeof(meta.due), "2026-12-14");
	meta.generated_at = x - 5 * DAY;
	assert_int_equal(idg_store_report_put(f->s, &meta, "<p>", 3, "a,b\r\n", 5, "{}", 2),
	    IDG_OK);

	/* the apps the operator must unlink first, by client_id */
	memset(&a, 0, sizeof(a));
	assert_int_equal(idg_store_tenant_apps(f->s, t.id, app_collect, &a), IDG_OK);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0], "alpha");
	assert_string_equal(a.v[1], "zeta");

	lic_rows = count_rows(f, "SELECT COUNT(*) FROM license_daily WHERE tenant_id = ?1", t.id);
	assert_true(lic_rows >= 2);
	assert_int_equal(idg_store_tenant_cancel(f->s, "bye-co", x), IDG_OK);

	/* the tenant row stays, cancelled */
	assert_int_equal(idg_store_tenant_get(f->s, "bye-co", &t), IDG_OK);
	assert_int_equal(t.status, IDG_TENANT_CANCELLED);
	assert_int_equal(t.cancelled_at, x);
	assert_int_equal(t.licenses_in_use, 0);
	/* data purged: users (service accounts too), groups, clients */
	n = 0;
	assert_int_equal(idg_store_user_list(f->s, t.id, user_count, &n), IDG_OK);
	assert_int_equal(n, 0);
	n = 0;
	assert_int_equal(idg_store_group_list(f->s, t.id, group_count, &n), IDG_OK);
	assert_int_equal(n, 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(idg_store_tenant_apps(f->s, t.id, app_collect, &a), IDG_OK);
	assert_int_equal(a.n, 0);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM group_members gm JOIN groups g ON"
	    " g.id = gm.group_id WHERE g.tenant_id = ?1", t.id), 0);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM oidc_client_assignments", 0), 0);
	/* billing rows, reports and the audit log stay */
	assert_int_equal(idg_store_activity_count(f->s, t.id, "2026-12", &n), IDG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM license_daily WHERE tenant_id = ?1",
	    t.id), lic_rows);
	assert_int_equal(idg_store_report_get(f->s, t.id, "2026-11", "csv", &meta, &data, &len),
	    IDG_OK);
	assert_int_equal(len, 5);
	assert_string_equal(data, "a,b\r\n");
	free(data);
	n = 0;
	assert_int_equal(idg_store_audit_list(f->s, t.id, 100, audit_count, &n), IDG_OK);
	assert_true(n >= 1);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE tenant_id = ?1"
	    " AND action = 'sso.oidc'", t.id), 1);

	/* the other tenant is untouched */
	memset(&a, 0, sizeof(a));
	assert_int_equal(idg_store_tenant_apps(f->s, t2.id, app_collect, &a), IDG_OK);
	assert_int_equal(a.n, 1);
	assert_int_equal(idg_store_tenant_get(f->s, "stay-co", &t2), IDG_OK);
	assert_int_equal(t2.status, IDG_TENANT_SETUP);
	assert_int_equal(t2.licenses_in_use, 1);
	n = 0;
	assert_int_equal(idg_store_user_list(f->s, t2.id, user_count, &n), IDG_OK);
	assert_int_equal(n, 3);

	/* once only */
	assert_int_equal(idg_store_tenant_cancel(f->s, "bye-co", x + 10), IDG_DECLINED);
	assert_int_equal(idg_store_tenant_get(f->s, "bye-co", &t), IDG_OK);
	assert_int_equal(t.cancelled_at, x);
	assert_int_equal(idg_store_tenant_cancel(f->s, "nope-co", x), IDG_NOTFOUND);

	/* the daily snapshot skips the cancelled tenant */
	assert_int_equal(idg_store_license_snapshot(f->s, x + 2 * DAY, &n), IDG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM license_daily WHERE tenant_id = ?1",
	    t.id), lic_rows);

	/* its last report is December's, ending at the cancellation */
	{
		struct idg_report r;

		assert_int_equal(idg_report_build(f->s, &t, "2026-12", NULL, x + 1, &r), IDG_OK);
		assert_true(r.final);
		assert_false(r.first);
		assert_string_equal(r.from_day, "2026-12-01");
		assert_string_equal(r.to_day, "2026-12-10");
		assert_int_equal(r.sso_total, 1);
		assert_int_equal(r.months[r.nmonths - 1].active_ids, 1);
		idg_report_clear(&r);
	}
}

/* ---- daily jobs and audit retention ----------------------------------- */

static void
test_jobs(void **state)
{
	struct fx *f = *state;
	bool due = false;

	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-10-01", &due), IDG_OK);
	assert_true(due);
	/* still due until done */
	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-10-01", &due), IDG_OK);
	assert_true(due);
	assert_int_equal(idg_store_job_done(f->s, "snapshot", "2026-10-01"), IDG_OK);
	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-10-01", &due), IDG_OK);
	assert_false(due);
	/* another job is not affected */
	assert_int_equal(idg_store_job_due(f->s, "reports", "2026-10-01", &due), IDG_OK);
	assert_true(due);
	/* the next day (and the next month) it is due again */
	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-10-02", &due), IDG_OK);
	assert_true(due);
	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-11-01", &due), IDG_OK);
	assert_true(due);
	assert_int_equal(idg_store_job_done(f->s, "snapshot", "2026-10-02"), IDG_OK);
	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-10-02", &due), IDG_OK);
	assert_false(due);
	/* a late process marking an older day does not make today due again */
	assert_int_equal(idg_store_job_done(f->s, "snapshot", "2026-10-01"), IDG_OK);
	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-10-02", &due), IDG_OK);
	assert_false(due);
	assert_int_equal(idg_store_job_due(f->s, "snapshot", "2026-10-03", &due), IDG_OK);
	assert_true(due);
}

static void
test_audit_purge(void **state)
{
	struct fx *f = *state;
	int64_t cut = jst(2025, 11, 1, 0, 0);
	int n = -1;

	ins_tenant(f, 20, "log-co", "Log", 20, jst(2024, 1, 1, 0, 0), 0);
	ins_audit(f, 20, cut - 400 * DAY, "user.add", "a@log.example", "ok", 3);
	ins_audit(f, 20, cut - 1, "signin.password", "a@log.example", "ok", 2);
	ins_audit(f, 20, cut, "signin.password", "a@log.example", "ok", 4);
	ins_audit(f, 20, cut + DAY, "signin.password", "a@log.example", "ok", 1);
	ins_audit(f, 0, cut - 2, "tenant.create", "log-co", "ok", 1);
	assert_int_equal(idg_store_audit_purge(f->s, cut, &n), IDG_OK);
	assert_int_equal(n, 3 + 2 + 1);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE at < ?1", cut), 0);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE at >= ?1", cut), 5);
	/* nothing left to purge */
	assert_int_equal(idg_store_audit_purge(f->s, cut, &n), IDG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count_rows(f, "SELECT COUNT(*) FROM audit_log", 0), 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due_table),
		cmocka_unit_test(test_due_calendar_days),
		cmocka_unit_test(test_due_overrides),
		cmocka_unit_test(test_due_invalid),
		cmocka_unit_test(test_due_last_year),
		cmocka_unit_test(test_period_first_report),
		cmocka_unit_test(test_period_cancellation),
		cmocka_unit_test(test_period_jst_boundary),
		cmocka_unit_test_setup_teardown(test_billing_month, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_build_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_build_later_and_final, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_report_top_apps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_denials_signin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_denials_sso_and_admin, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_report_certs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_license_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_billing_export_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_billing_export_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_billing_export_json_name_not_utf8, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tenant_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_purge, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
