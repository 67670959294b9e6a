/*
 * test_cli_security.c - `idgate tenant security` and `tenant suspend-unused`
 * run in-process through idg_cli_run against a real SQLite file: show
 * (human and JSON), set keeping the unset fields, refusal of out-of-range
 * values with nothing stored, suspend-unused with and without --dry-run
 * (activity times set through a raw SQLite connection), not_configured,
 * unknown tenants, and the audit trail.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/cli/cli.h"
#include "cli_fixture.h"
#include "gateway/config/config.h"
#include "gateway/store/store.h"
#include "gateway/util/status.h"
#include "idp-adapters/local/password.h"

#define DAY 86400

static struct idg_store *
store_open(void)
{
	struct idg_store_config sc = { "sqlite", F->cfg.sqlite_path, 5000 };
	struct idg_store *s = NULL;

	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	return s;
}

static void
security(struct idg_tenant_security *sec)
{
	struct idg_store *s = store_open();
	struct idg_tenant t;

	assert_int_equal(idg_store_tenant_get(s, "acme", &t), IDG_OK);
	assert_int_equal(idg_store_security_get(s, t.id, sec), IDG_OK);
	idg_store_free(s);
}

static int
user_status(const char *email)
{
	struct idg_store *s = store_open();
	struct idg_tenant t;
	struct idg_user u;

	assert_int_equal(idg_store_tenant_get(s, "acme", &t), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(s, t.id, email, &u), IDG_OK);
	idg_store_free(s);
	return u.status;
}

/* Sets a user's activity times behind the store's back. */
static void
set_times(const char *email, int64_t created_at, int64_t last_sign_in_at)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(F->cfg.sqlite_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE users SET created_at = ?1,"
	    " last_sign_in_at = ?2 WHERE email = ?3", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, created_at);
	sqlite3_bind_int64(st, 2, last_sign_in_at);
	sqlite3_bind_text(st, 3, email, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Migrated store, tenant acme with users recent, old and never (never signed in). */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int64_t now = (int64_t)time(NULL);

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-clisec-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memset(&f->cfg, 0, sizeof(f->cfg));
	snprintf(f->cfg.path, sizeof(f->cfg.path), "%s/idgate.conf", f->dir);
	snprintf(f->cfg.store_driver, sizeof(f->cfg.store_driver), "sqlite");
	snprintf(f->cfg.sqlite_path, sizeof(f->cfg.sqlite_path), "%s/idgate.db", f->dir);
	f->cfg.store_busy_timeout_ms = 5000;
	f->cfg.argon2.t_cost = 1;
	f->cfg.argon2.m_cost_kib = 64;
	f->cfg.argon2.parallelism = 1;
	idg_password_policy_default(&f->cfg.password_policy);
	F = f;
	*state = f;
	assert_int_equal(run("migrate", NULL), 0);
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "Acme",
	    "--contract", "20", NULL), 0);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email",
	    "recent@example.com", NULL), 0);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "old@example.com",
	    NULL), 0);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email",
	    "never@example.com", NULL), 0);
	set_times("recent@example.com", now - 400 * DAY, now - 3 * DAY);
	set_times("old@example.com", now - 400 * DAY, now - 100 * DAY);
	set_times("never@example.com", now - 200 * DAY, 0);
	set_times("setup@acme.idgate.invalid", now - 400 * DAY, 0);
	set_times("report@acme.idgate.invalid", now - 400 * DAY, 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_show_set(void **state)
{
	struct idg_tenant_security sec;

	(void)state;
	assert_int_equal(run("tenant", "security", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "password_min_length    0 (the config's value)"));
	assert_non_null(strstr(F->out, "suspend_unused_days    0 (never)"));

	assert_int_equal(run("tenant", "security", "acme", "--password-min-length", "12",
	    "--session-idle=1800", NULL), 0);
	security(&sec);
	assert_int_equal(sec.password_min_length, 12);
	assert_int_equal(sec.session_idle_s, 1800);
	assert_int_equal(sec.password_expiry_days, 0);
	assert_non_null(strstr(F->out, "password_min_length    12 characters"));

	/* Another change keeps the fields not given. */
	assert_int_equal(run("tenant", "security", "acme", "--password-expiry-days", "90",
	    "--suspend-unused-days", "30", "--session-lifetime", "86400", NULL), 0);
	security(&sec);
	assert_int_equal(sec.password_min_length, 12);
	assert_int_equal(sec.session_idle_s, 1800);
	assert_int_equal(sec.password_expiry_days, 90);
	assert_int_equal(sec.suspend_unused_days, 30);
	assert_int_equal(sec.session_lifetime_s, 86400);

	/* 0 goes back to the default. */
	assert_int_equal(run("tenant", "security", "acme", "--password-min-length", "0",
	    NULL), 0);
	security(&sec);
	assert_int_equal(sec.password_min_length, 0);
	assert_int_equal(sec.session_idle_s, 1800);

	assert_int_equal(run("tenant", "security", "acme", "--json", NULL), 0);
	assert_non_null(strstr(F->out, "\"password_expiry_days\": 90"));
	assert_non_null(strstr(F->out, "\"session_lifetime_s\": 86400"));
	assert_non_null(strstr(F->out, "\"company_id\": \"acme\""));

	assert_int_equal(run("audit", "list", "--tenant", "acme", "--limit", "1", NULL), 0);
	assert_non_null(strstr(F->out, "tenant.security"));
	assert_non_null(strstr(F->out, "password_min_length 12 -> 0"));
}

static void
test_invalid(void **state)
{
	static const char *const bad[][2] = {
		{ "--password-min-length", "7" }, { "--password-min-length", "129" },
		{ "--password-min-length", "-1" }, { "--password-expiry-days", "3651" },
		{ "--suspend-unused-days", "x" }, { "--session-idle", "59" },
		{ "--session-idle", "2592001" }, { "--session-lifetime", "7776001" },
		{ "--session-lifetime", "" },
	};
	struct idg_tenant_security sec;
	size_t i;

	(void)state;
	assert_int_equal(run("tenant", "security", "acme", "--password-min-length", "10",
	    NULL), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A valid option given with the bad one is not stored either. */
		const char *ok = strcmp(bad[i][0], "--session-idle") == 0 ?
		    "--suspend-unused-days" : "--session-idle";

		assert_int_equal(run("tenant", "security", "acme", ok, "600", bad[i][0],
		    bad[i][1], NULL), 2);
		assert_non_null(strstr(F->err, "error: invalid_setting:"));
		assert_non_null(strstr(F->err, bad[i][0]));
	}
	assert_non_null(strstr(F->err, "0 (the config's value) or 60 to 7776000 seconds"));
	assert_int_equal(run("tenant", "security", "acme", "--password-min-length", "7",
	    NULL), 2);
	assert_non_null(strstr(F->err, "8 to 128 characters"));
	/* Nothing stored, not even the valid option given with a bad one. */
	security(&sec);
	assert_int_equal(sec.password_min_length, 10);
	assert_int_equal(sec.session_idle_s, 0);
	assert_int_equal(sec.suspend_unused_days, 0);

	assert_int_equal(run("tenant", "security", NULL), 2);
	assert_int_equal(run("tenant", "security", "acme", "--bogus", "1", NULL), 2);
	assert_int_equal(run("tenant", "security", "nosuch", NULL), 1);
	assert_non_null(strstr(F->err, "tenant_not_found"));
	assert_int_equal(run("tenant", "security", "nosuch", "--session-idle", "600", NULL),
	    1);
}

static void
test_suspend_unused(void **state)
{
	(void)state;
	/* Not configured: refused, nobody touched. */
	assert_int_equal(run("tenant", "suspend-unused", "acme", NULL), 1);
	assert_non_null(strstr(F->err, "error: not_configured:"));
	assert_int_equal(run("tenant", "suspend-unused", "acme", "--dry-run", NULL), 1);
	assert_int_equal(user_status("old@example.com"), IDG_USER_ACTIVE);

	assert_int_equal(run("tenant", "security", "acme", "--suspend-unused-days", "60",
	    NULL), 0);

	/* Dry run: lists old and never, changes nothing. */
	assert_int_equal(run("tenant", "suspend-unused", "acme", "--dry-run", NULL), 0);
	assert_non_null(strstr(F->out, "old@example.com"));
	assert_non_null(strstr(F->out, "never@example.com"));
	assert_null(strstr(F->out, "recent@example.com"));
	assert_null(strstr(F->out, "idgate.invalid"));
	assert_non_null(strstr(F->out, "2 user(s) would be suspended"));
	assert_int_equal(user_status("old@example.com"), IDG_USER_ACTIVE);
	assert_int_equal(run("tenant", "suspend-unused", "acme", "--dry-run", "--json", NULL),
	    0);
	assert_non_null(strstr(F->out, "\"would_suspend\": 2"));
	assert_int_equal(user_status("never@example.com"), IDG_USER_ACTIVE);

	assert_int_equal(run("tenant", "suspend-unused", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "2 user(s)"));
	assert_int_equal(user_status("old@example.com"), IDG_USER_SUSPENDED);
	assert_int_equal(user_status("never@example.com"), IDG_USER_SUSPENDED);
	assert_int_equal(user_status("recent@example.com"), IDG_USER_ACTIVE);
	assert_int_equal(user_status("report@acme.idgate.invalid"), IDG_USER_ACTIVE);

	assert_int_equal(run("audit", "list", "--tenant", "acme", "--limit", "1", NULL), 0);
	assert_non_null(strstr(F->out, "tenant.suspend_unused"));
	assert_non_null(strstr(F->out, "2 suspended (60 days)"));

	/* A second run finds nobody. */
	assert_int_equal(run("tenant", "suspend-unused", "acme", "--json", NULL), 0);
	assert_non_null(strstr(F->out, "\"suspended\": 0"));

	assert_int_equal(run("tenant", "suspend-unused", NULL), 2);
	assert_int_equal(run("tenant", "suspend-unused", "nosuch", NULL), 1);
	assert_non_null(strstr(F->err, "tenant_not_found"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_show_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspend_unused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
