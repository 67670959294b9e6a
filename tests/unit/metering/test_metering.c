/*
 * test_metering.c - active-ID months follow the Asia/Tokyo calendar, and the
 * store records a user's first activity in a month exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/util/clock.h"
#include "gateway/store/store.h"
#include "gateway/util/status.h"

static void
tokyo_month_boundaries(void **state)
{
	char m[8];

	idg_jst_month(1796050799, m);	/* 2026-11-30T14:59:59Z = 23:59:59 JST */
	assert_string_equal(m, "2026-11");
	idg_jst_month(1796050800, m);	/* 2026-11-30T15:00:00Z = Dec 1 00:00 JST */
	assert_string_equal(m, "2026-12");
	idg_jst_month(1798729200, m);	/* 2026-12-31T15:00:00Z = 2027-01-01 JST */
	assert_string_equal(m, "2027-01");
	idg_jst_month(1798729199, m);
	assert_string_equal(m, "2026-12");
}

static void
first_activity_counted_once(void **state)
{
	char dir[] = "/tmp/idg-metering-XXXXXX", path[256];
	struct idg_store_config sc = { "sqlite", path, 1000 };
	struct idg_license_numbers lic;
	struct idg_store *s;
	struct idg_tenant t;
	struct idg_user u1, u2;
	bool first;
	int n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.db", dir);
	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	assert_int_equal(idg_store_migrate(s, NULL), IDG_OK);
	assert_int_equal(idg_store_tenant_create(s, "meter", "Meter", 20, "", "", &t), IDG_OK);
	assert_int_equal(idg_store_user_add(s, t.id, "a@meter.example", "A", "", false, &lic, &u1),
	    IDG_OK);
	assert_int_equal(idg_store_user_add(s, t.id, "b@meter.example", "B", "", false, &lic, &u2),
	    IDG_OK);

	assert_int_equal(idg_store_activity_mark(s, t.id, u1.id, "2026-11", 100, &first), IDG_OK);
	assert_true(first);
	/* Again (a lost Redis set, a crash and retry): no second count. */
	assert_int_equal(idg_store_activity_mark(s, t.id, u1.id, "2026-11", 200, &first), IDG_OK);
	assert_false(first);
	assert_int_equal(idg_store_activity_mark(s, t.id, u2.id, "2026-11", 300, &first), IDG_OK);
	assert_int_equal(idg_store_activity_mark(s, t.id, u1.id, "2026-12", 400, &first), IDG_OK);
	assert_true(first);
	assert_int_equal(idg_store_activity_count(s, t.id, "2026-11", &n), IDG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(idg_store_activity_count(s, t.id, "2026-12", &n), IDG_OK);
	assert_int_equal(n, 1);
	/* Malformed months are refused before any SQL. */
	assert_int_equal(idg_store_activity_mark(s, t.id, u1.id, "2026-1", 1, NULL), IDG_INVALID);
	assert_int_equal(idg_store_activity_mark(s, t.id, u1.id, "2026/11", 1, NULL), IDG_INVALID);
	idg_store_free(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/m.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/m.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tokyo_month_boundaries),
		cmocka_unit_test(first_activity_counted_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
