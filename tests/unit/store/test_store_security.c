/*
 * test_store_security.c - the tenant security settings and the suspension
 * of unused accounts in the SQLite store (migration 0006) against a real
 * database file: defaults, set/get, range refusal, which users
 * suspend_unused touches (activity times are set through a raw SQLite
 * connection), licenses and generation, and password_changed_at.
 */
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

#include "gateway/store/store_impl.h"
#include "gateway/util/status.h"

#define HASH "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define DAY 86400

struct fx {
	char			 dir[64];
	char			 path[128];
	struct idg_store	*s;
	struct idg_tenant	 t, t2;
};

static int
setup(void **state)
{
	struct idg_store_config cfg = { "sqlite", NULL, 5000 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-sec-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/idgate.db", f->dir);
	cfg.sqlite_path = f->path;
	assert_int_equal(idg_store_open(&cfg, &f->s), IDG_OK);
	assert_int_equal(idg_store_migrate(f->s, NULL), IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "acme", "Acme", 20, HASH, HASH, &f->t),
	    IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "beta", "Beta", 20, HASH, HASH, &f->t2),
	    IDG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	idg_store_free(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t
gen(struct fx *f)
{
	int64_t g = -1;

	assert_int_equal(idg_store_generation(f->s, &g), IDG_OK);
	return g;
}

/* Sets a user's activity times behind the store's back (a second connection). */
static void
set_times(struct fx *f, int64_t user_id, int64_t created_at, int64_t last_sign_in_at)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE users SET created_at = ?1,"
	    " last_sign_in_at = ?2 WHERE id = ?3", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, created_at);
	sqlite3_bind_int64(st, 2, last_sign_in_at);
	sqlite3_bind_int64(st, 3, user_id);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static struct idg_user
add(struct fx *f, int64_t tenant_id, const char *email, const char *hash)
{
	struct idg_license_numbers lic;
	struct idg_user u;

	assert_int_equal(idg_store_user_add(f->s, tenant_id, email, "", hash, false, &lic, &u),
	    IDG_OK);
	return u;
}

static struct idg_user
reread(struct fx *f, const struct idg_user *u)
{
	struct idg_user r;

	assert_int_equal(idg_store_user_get(f->s, u->tenant_id, u->id, &r), IDG_OK);
	return r;
}

static void
test_defaults_and_round_trip(void **state)
{
	struct fx *f = *state;
	struct idg_tenant_security in = { 12, 90, 180, 1800, 43200 }, out;
	struct idg_tenant_security zero;
	int64_t g;

	memset(&zero, 0, sizeof(zero));
	memset(&out, 0xff, sizeof(out));
	assert_int_equal(idg_store_security_get(f->s, f->t.id, &out), IDG_OK);
	assert_memory_equal(&out, &zero, sizeof(out));

	g = gen(f);
	assert_int_equal(idg_store_security_set(f->s, f->t.id, &in), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_security_get(f->s, f->t.id, &out), IDG_OK);
	assert_memory_equal(&out, &in, sizeof(out));
	/* The other tenant is untouched. */
	assert_int_equal(idg_store_security_get(f->s, f->t2.id, &out), IDG_OK);
	assert_memory_equal(&out, &zero, sizeof(out));

	/* Update of an existing row, back to zeros; bumps again. */
	g = gen(f);
	assert_int_equal(idg_store_security_set(f->s, f->t.id, &zero), IDG_OK);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_security_get(f->s, f->t.id, &out), IDG_OK);
	assert_memory_equal(&out, &zero, sizeof(out));

	/* Edges of the ranges are accepted. */
	in = (struct idg_tenant_security){ 8, 3650, 1, 60, 7776000 };
	assert_int_equal(idg_store_security_set(f->s, f->t.id, &in), IDG_OK);
	in = (struct idg_tenant_security){ 128, 1, 3650, 2592000, 60 };
	assert_int_equal(idg_store_security_set(f->s, f->t.id, &in), IDG_OK);
	assert_int_equal(idg_store_security_get(f->s, f->t.id, &out), IDG_OK);
	assert_memory_equal(&out, &in, sizeof(out));

	assert_int_equal(idg_store_security_set(f->s, 9999, &in), IDG_NOTFOUND);
}

static void
test_range_refused(void **state)
{
	struct fx *f = *state;
	static const struct idg_tenant_security bad[] = {
		{ -1, 0, 0, 0, 0 }, { 7, 0, 0, 0, 0 }, { 129, 0, 0, 0, 0 },
		{ 0, -1, 0, 0, 0 }, { 0, 3651, 0, 0, 0 },
		{ 0, 0, -1, 0, 0 }, { 0, 0, 3651, 0, 0 },
		{ 0, 0, 0, -60, 0 }, { 0, 0, 0, 59, 0 }, { 0, 0, 0, 2592001, 0 },
		{ 0, 0, 0, 0, -1 }, { 0, 0, 0, 0, 59 }, { 0, 0, 0, 0, 7776001 },
	};
	struct idg_tenant_security good = { 10, 30, 30, 600, 3600 }, out;
	size_t i;
	int64_t g;

	assert_int_equal(idg_store_security_set(f->s, f->t.id, &good), IDG_OK);
	g = gen(f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(idg_store_security_set(f->s, f->t.id, &bad[i]), IDG_INVALID);
	assert_int_equal(idg_store_security_set(f->s, f->t.id, NULL), IDG_INVALID);
	/* Nothing changed. */
	assert_int_equal(gen(f), g);
	assert_int_equal(idg_store_security_get(f->s, f->t.id, &out), IDG_OK);
	assert_memory_equal(&out, &good, sizeof(out));
}

static void
test_suspend_unused(void **state)
{
	struct fx *f = *state;
	struct idg_user recent, old, never_old, never_new, already, deleted, other;
	struct idg_user setup_acct, report_acct, r;
	struct idg_license_numbers lic;
	struct idg_tenant t;
	int64_t now = (int64_t)time(NULL), before = now - 90 * DAY, g;
	int n = -1, in_use;

	recent = add(f, f->t.id, "recent@example.com", HASH);
	old = add(f, f->t.id, "old@example.com", HASH);
	never_old = add(f, f->t.id, "never-old@example.com", "");
	never_new = add(f, f->t.id, "never-new@example.com", "");
	already = add(f, f->t.id, "already@example.com", HASH);
	deleted = add(f, f->t.id, "deleted@example.com", HASH);
	other = add(f, f->t2.id, "old@example.com", HASH);
	set_times(f, recent.id, now - 400 * DAY, now - 10 * DAY);
	set_times(f, old.id, now - 400 * DAY, now - 200 * DAY);
	set_times(f, never_old.id, now - 100 * DAY, 0);
	set_times(f, never_new.id, now - 5 * DAY, 0);
	set_times(f, already.id, now - 400 * DAY, 0);
	set_times(f, deleted.id, now - 400 * DAY, 0);
	set_times(f, other.id, now - 400 * DAY, 0);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, already.id,
	    IDG_USER_SUSPENDED, &lic), IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, deleted.id,
	    IDG_USER_DELETED, &lic), IDG_OK);
	/* The service accounts look unused for a long time too. */
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id,
	    "setup@acme.idgate.invalid", &setup_acct), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id,
	    "report@acme.idgate.invalid", &report_acct), IDG_OK);
	set_times(f, setup_acct.id, now - 400 * DAY, 0);
	set_times(f, report_acct.id, now - 400 * DAY, 0);
	already = reread(f, &already);
	deleted = reread(f, &deleted);

	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	in_use = t.licenses_in_use;
	g = gen(f);
	assert_int_equal(idg_store_suspend_unused(f->s, f->t.id, before, now, &n), IDG_OK);
	assert_int_equal(n, 2);
	assert_true(gen(f) > g);

	r = reread(f, &old);
	assert_int_equal(r.status, IDG_USER_SUSPENDED);
	assert_int_equal(r.sessions_not_before, now);
	r = reread(f, &never_old);
	assert_int_equal(r.status, IDG_USER_SUSPENDED);
	assert_int_equal(r.sessions_not_before, now);
	r = reread(f, &recent);
	assert_int_equal(r.status, IDG_USER_ACTIVE);
	assert_int_equal(r.sessions_not_before, recent.sessions_not_before);
	r = reread(f, &never_new);
	assert_int_equal(r.status, IDG_USER_ACTIVE);
	r = reread(f, &already);
	assert_int_equal(r.status, IDG_USER_SUSPENDED);
	assert_int_equal(r.sessions_not_before, already.sessions_not_before);
	r = reread(f, &deleted);
	assert_int_equal(r.status, IDG_USER_DELETED);
	assert_int_equal(r.sessions_not_before, deleted.sessions_not_before);
	r = reread(f, &setup_acct);
	assert_int_equal(r.status, setup_acct.status);
	assert_int_equal(r.sessions_not_before, setup_acct.sessions_not_before);
	r = reread(f, &report_acct);
	assert_int_equal(r.status, IDG_USER_ACTIVE);
	/* Another tenant's user is not touched. */
	r = reread(f, &other);
	assert_int_equal(r.status, IDG_USER_ACTIVE);

	/* Suspended users keep their license. */
	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	assert_int_equal(t.licenses_in_use, in_use);

	/* Nothing left to do: no change, no bump. */
	g = gen(f);
	assert_int_equal(idg_store_suspend_unused(f->s, f->t.id, before, now, &n), IDG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(gen(f), g);

	n = -1;
	assert_int_equal(idg_store_suspend_unused(f->s, 9999, before, now, &n), IDG_NOTFOUND);
	assert_int_equal(n, 0);
	assert_int_equal(idg_store_suspend_unused(f->s, f->t.id, before, now, NULL),
	    IDG_INVALID);
}

static int
check_listed(void *arg, const struct idg_user *u)
{
	const struct idg_user *want = arg;

	if (u->id == want->id)
		assert_int_equal(u->password_changed_at, want->password_changed_at);
	return 0;
}

static void
test_password_changed_at(void **state)
{
	struct fx *f = *state;
	struct idg_user_row rows[2];
	struct idg_license_numbers lic;
	struct idg_user u, nohash, r;
	int64_t t0 = (int64_t)time(NULL);
	int bad = 0, added = 0, skipped = 0;

	u = add(f, f->t.id, "pw@example.com", HASH);
	assert_true(u.password_changed_at >= t0);
	assert_true(u.password_changed_at <= (int64_t)time(NULL));
	nohash = add(f, f->t.id, "nopw@example.com", "");
	assert_int_equal(nohash.password_changed_at, 0);

	/* Service accounts get their hashes at tenant creation. */
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id,
	    "setup@acme.idgate.invalid", &r), IDG_OK);
	assert_true(r.password_changed_at >= t0 - 5);

	/* set_password moves it. */
	set_times(f, nohash.id, t0 - 10 * DAY, 0);
	assert_int_equal(idg_store_user_set_password(f->s, f->t.id, nohash.id, HASH, true),
	    IDG_OK);
	r = reread(f, &nohash);
	assert_true(r.password_changed_at >= t0);
	assert_true(r.password_changed_at > r.created_at);

	/* Import: a row with a hash gets the time, a row without gets 0. */
	memset(rows, 0, sizeof(rows));
	snprintf(rows[0].email, sizeof(rows[0].email), "imp1@example.com");
	snprintf(rows[0].password_hash, sizeof(rows[0].password_hash), "%s", HASH);
	rows[0].line = 2;
	snprintf(rows[1].email, sizeof(rows[1].email), "imp2@example.com");
	rows[1].line = 3;
	assert_int_equal(idg_store_user_import(f->s, f->t.id, rows, 2, false, &lic, &bad, &added,
	    &skipped), IDG_OK);
	assert_int_equal(added, 2);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "imp1@example.com", &r),
	    IDG_OK);
	assert_true(r.password_changed_at >= t0);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "imp2@example.com", &r),
	    IDG_OK);
	assert_int_equal(r.password_changed_at, 0);

	/* The list reads it too. */
	assert_int_equal(idg_store_user_list(f->s, f->t.id, check_listed, &u), IDG_OK);
}

/*
 * Migration 0006 on a database made by 0001-0005 holding users: a user with
 * a hash gets password_changed_at = created_at, one without keeps 0.
 */
static void
test_migration_backfill(void **state)
{
	struct idg_store_config cfg = { "sqlite", NULL, 5000 };
	struct idg_store *s;
	struct idg_user u;
	char dir[64], path[128], cmd[128];
	sqlite3 *db;
	int applied = 0, cur = 0, latest = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/idg-sec-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/idgate.db", dir);
	cfg.sqlite_path = path;
	assert_int_equal(idg_store_open(&cfg, &s), IDG_OK);
	assert_true(idg_nmigrations >= 6);
	assert_int_equal(idg_migrations[5].version, 6);
	assert_int_equal(s->ops->migrate(s, idg_migrations, 5, &applied), IDG_OK);
	assert_int_equal(applied, 5);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO tenants (id, company_id, name,"
	    " contracted_ids, status, created_at) VALUES (1, 'acme', 'Acme', 20, 1, 500);"
	    "INSERT INTO users (tenant_id, email, password_hash, created_at, updated_at)"
	    " VALUES (1, 'h@example.com', '" HASH "', 1000, 1000);"
	    "INSERT INTO users (tenant_id, email, password_hash, created_at, updated_at)"
	    " VALUES (1, 'n@example.com', '', 2000, 2000);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(idg_store_migrate(s, &applied), IDG_OK);
	assert_true(applied >= 1);
	assert_int_equal(idg_store_schema_version(s, &cur, &latest), IDG_OK);
	assert_int_equal(cur, latest);
	assert_int_equal(idg_store_user_get_by_email(s, 1, "h@example.com", &u), IDG_OK);
	assert_int_equal(u.password_changed_at, 1000);
	assert_int_equal(idg_store_user_get_by_email(s, 1, "n@example.com", &u), IDG_OK);
	assert_int_equal(u.password_changed_at, 0);

	idg_store_free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Migration 0008 on a database made by 0001-0007 holding active-ID marks:
 * the counts are backfilled, then kept by trigger (a repeated mark does
 * not count twice).
 */
static void
test_active_count_backfill(void **state)
{
	struct idg_store_config cfg = { "sqlite", NULL, 5000 };
	struct idg_store *s;
	char dir[64], path[128], cmd[128];
	sqlite3 *db;
	bool first = true;
	int applied = 0, n = -1;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/idg-sec-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/idgate.db", dir);
	cfg.sqlite_path = path;
	assert_int_equal(idg_store_open(&cfg, &s), IDG_OK);
	assert_true(idg_nmigrations >= 8);
	assert_int_equal(idg_migrations[7].version, 8);
	assert_int_equal(s->ops->migrate(s, idg_migrations, 7, &applied), IDG_OK);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO tenants (id, company_id, name,"
	    " contracted_ids, status, created_at) VALUES (1, 'acme', 'Acme', 20, 1, 500);"
	    "INSERT INTO users (id, tenant_id, email, created_at, updated_at) VALUES"
	    " (7, 1, 'g@acme.example', 500, 500), (8, 1, 'h@acme.example', 500, 500),"
	    " (9, 1, 'i@acme.example', 500, 500);"
	    "INSERT INTO monthly_active VALUES (1, '2026-10', 7, 1000), (1, '2026-10', 8, 1001),"
	    " (1, '2026-11', 7, 2000);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(idg_store_migrate(s, &applied), IDG_OK);
	assert_int_equal(idg_store_activity_count(s, 1, "2026-10", &n), IDG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(idg_store_activity_mark(s, 1, 8, "2026-10", 3000, &first), IDG_OK);
	assert_false(first);
	assert_int_equal(idg_store_activity_mark(s, 1, 9, "2026-10", 3001, &first), IDG_OK);
	assert_true(first);
	assert_int_equal(idg_store_activity_count(s, 1, "2026-10", &n), IDG_OK);
	assert_int_equal(n, 3);
	assert_int_equal(idg_store_activity_count(s, 1, "2026-11", &n), IDG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(idg_store_activity_count(s, 1, "2026-12", &n), IDG_OK);
	assert_int_equal(n, 0);
	idg_store_free(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_and_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspend_unused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_changed_at, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_backfill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_count_backfill, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
