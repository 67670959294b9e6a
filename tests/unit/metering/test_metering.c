/*
 * test_metering.c - active-ID months follow the Asia/Tokyo calendar, and the
 * store records a person user's first activity in a month exactly once and a
 * service account's never.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int
day_seen(void *arg, const char *day, int n)
{
	(void)day;
	*(int *)arg += n;
	return 0;
}

static int
signin_seen(void *arg, const struct idg_audit_event *e)
{
	if (e->action != NULL && strcmp(e->action, "signin.password") == 0)
		(*(int *)arg)++;
	return 0;
}

/*
 * The two service accounts sign in (the report account reads the reports)
 * but are never active IDs, whichever path records them: a direct mark or
 * the audit event of a sign-in or SSO. The event itself is kept.
 */
static void
service_accounts_never_counted(void **state)
{
	char dir[] = "/tmp/idg-metering-XXXXXX", path[256];
	struct idg_store_config sc = { "sqlite", path, 1000 };
	struct idg_license_numbers lic;
	struct idg_audit_event e;
	struct idg_store *s;
	struct idg_tenant t, t2;
	struct idg_user setup, report, u, other;
	const struct idg_user *who[2];
	bool first;
	int i, n, days;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.db", dir);
	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	assert_int_equal(idg_store_migrate(s, NULL), IDG_OK);
	assert_int_equal(idg_store_tenant_create(s, "svc", "Svc", 20, "", "", &t), IDG_OK);
	assert_int_equal(idg_store_tenant_create(s, "svc2", "Svc2", 20, "", "", &t2), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(s, t.id, "setup@svc.idgate.invalid", &setup),
	    IDG_OK);
	assert_int_equal(setup.kind, IDG_USER_SERVICE_SETUP);
	assert_int_equal(idg_store_user_get_by_email(s, t.id, "report@svc.idgate.invalid",
	    &report), IDG_OK);
	assert_int_equal(report.kind, IDG_USER_SERVICE_REPORT);
	assert_int_equal(idg_store_user_add(s, t.id, "a@svc.example", "A", "", false, &lic, &u),
	    IDG_OK);
	assert_int_equal(idg_store_user_add(s, t2.id, "b@svc2.example", "B", "", false, &lic,
	    &other), IDG_OK);

	who[0] = &setup;
	who[1] = &report;
	for (i = 0; i < 2; i++) {
		first = true;
		assert_int_equal(idg_store_activity_mark(s, t.id, who[i]->id, "2026-11", 100,
		    &first), IDG_OK);
		assert_false(first);
		/* A sign-in: the event is written, the mark is not. */
		memset(&e, 0, sizeof(e));
		e.at = 1796000000;	/* 2026-11 in JST */
		e.tenant_id = t.id;
		e.actor = who[i]->email;
		e.action = "signin.password";
		e.target = who[i]->email;
		e.result = "ok";
		e.active_user_id = who[i]->id;
		assert_int_equal(idg_store_audit_append(s, &e), IDG_OK);
	}
	/* Another tenant's user is not this tenant's active ID either. */
	assert_int_equal(idg_store_activity_mark(s, t.id, other.id, "2026-11", 150, &first),
	    IDG_OK);
	assert_false(first);
	assert_int_equal(idg_store_activity_count(s, t.id, "2026-11", &n), IDG_OK);
	assert_int_equal(n, 0);
	days = 0;
	assert_int_equal(idg_store_activity_days(s, t.id, "2026-11", day_seen, &days), IDG_OK);
	assert_int_equal(days, 0);
	n = 0;
	assert_int_equal(idg_store_audit_list(s, t.id, 100, signin_seen, &n), IDG_OK);
	assert_int_equal(n, 2);

	/* The person user is counted, once, by either path. */
	memset(&e, 0, sizeof(e));
	e.at = 1796000000;
	e.tenant_id = t.id;
	e.actor = u.email;
	e.action = "sso.saml";
	e.target = "crm";
	e.result = "ok";
	e.active_user_id = u.id;
	assert_int_equal(idg_store_audit_append(s, &e), IDG_OK);
	assert_int_equal(idg_store_activity_mark(s, t.id, u.id, "2026-11", 200, &first), IDG_OK);
	assert_false(first);
	assert_int_equal(idg_store_activity_count(s, t.id, "2026-11", &n), IDG_OK);
	assert_int_equal(n, 1);
	days = 0;
	assert_int_equal(idg_store_activity_days(s, t.id, "2026-11", day_seen, &days), IDG_OK);
	assert_int_equal(days, 1);
	assert_int_equal(idg_store_activity_count(s, t2.id, "2026-11", &n), IDG_OK);
	assert_int_equal(n, 0);

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
		cmocka_unit_test(service_accounts_never_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
