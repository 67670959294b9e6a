/*
 * test_store.c - the SQLite store (gateway/store) against a real database
 * file in a fresh temporary folder per test: migrations, the license pool
 * and contract rules, lockout arithmetic, the generation counter, bulk
 * import, groups, audit (one by one and in groups), two processes racing
 * for the last license, and an unwritable database. Not the CLI (tests/unit/cli).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gateway/store/store.h"
#include "gateway/store/store_impl.h"
#include "gateway/util/clock.h"
#include "gateway/util/status.h"
#include "tests/unit/sql_int.h"

#define HASH "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

struct fx {
	char			 dir[64];
	char			 path[128];
	struct idg_store	*s;
	struct idg_tenant	 t;
};

static int
open_at(const char *path, struct idg_store **s)
{
	struct idg_store_config cfg = { "sqlite", path, 5000 };

	return idg_store_open(&cfg, s);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/idgate.db", f->dir);
	assert_int_equal(open_at(f->path, &f->s), IDG_OK);
	assert_int_equal(idg_store_migrate(f->s, NULL), IDG_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];

	idg_store_free(f->s);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
mk_tenant(struct fx *f, const char *id, int contract)
{
	assert_int_equal(idg_store_tenant_create(f->s, id, "Test Corp", contract, HASH, HASH,
	    &f->t), IDG_OK);
}

static int
add_users(struct fx *f, int from, int n)
{
	struct idg_license_numbers lic;
	char email[64];
	int i, st;

	for (i = from; i < from + n; i++) {
		snprintf(email, sizeof(email), "user%d@example.com", i);
		st = idg_store_user_add(f->s, f->t.id, email, "U", HASH, false, &lic, NULL);
		if (st != IDG_OK)
			return st;
	}
	return IDG_OK;
}

/* One SQL query through a separate connection (like another process would). */
static void
test_migrate_idempotent(void **state)
{
	struct fx *f = *state;
	struct idg_store *s2;
	int applied = -1, cur = 0, latest = 0;

	assert_int_equal(idg_store_schema_version(f->s, &cur, &latest), IDG_OK);
	assert_true(latest >= 1);
	assert_int_equal(cur, latest);
	assert_int_equal(idg_store_migrate(f->s, &applied), IDG_OK);
	assert_int_equal(applied, 0);
	/* A second instance sees the same schema and applies nothing. */
	assert_int_equal(open_at(f->path, &s2), IDG_OK);
	assert_int_equal(idg_store_migrate(s2, &applied), IDG_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(idg_store_ping(s2), IDG_OK);
	idg_store_free(s2);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM schema_migrations"),
	    idg_nmigrations);
	/* WAL mode is persistent in the file: a plain connection sees it. */
	{
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

static void
test_migrate_fresh_and_failure(void **state)
{
	struct fx *f = *state;
	struct idg_store *s;
	char path[160];
	struct idg_migration m[2];
	int applied = -1, cur = -1, latest = 0;

	snprintf(path, sizeof(path), "%s/fresh.db", f->dir);
	assert_int_equal(open_at(path, &s), IDG_OK);
	/* Not migrated: version 0, and a ping says the store is not usable. */
	assert_int_equal(idg_store_schema_version(s, &cur, &latest), IDG_OK);
	assert_int_equal(cur, 0);
	assert_int_equal(idg_store_ping(s), IDG_UNAVAILABLE);
	/* The second migration fails half-way: nothing of it may stay. */
	m[0] = idg_migrations[0];
	m[1].version = 1000;
	m[1].name = "1000_broken.sql";
	m[1].sql = "CREATE TABLE half_done (a INTEGER); INSERT INTO no_such_table VALUES (1);";
	assert_int_equal(s->ops->migrate(s, m, 2, &applied), IDG_ERR);
	assert_int_equal(applied, 1);
	assert_int_equal(sql_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE"
	    " name = 'half_done'"), 0);
	assert_int_equal(sql_int(path, "SELECT MAX(version) FROM schema_migrations"),
	    idg_migrations[0].version);
	assert_int_equal(idg_store_ping(s), IDG_OK);
	/* The fixed migration then applies; the first is skipped. */
	m[1].sql = "CREATE TABLE half_done (a INTEGER);";
	assert_int_equal(s->ops->migrate(s, m, 2, &applied), IDG_OK);
	assert_int_equal(applied, 1);
	assert_int_equal(sql_int(path, "SELECT MAX(version) FROM schema_migrations"), 1000);
	idg_store_free(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fresh.db-wal", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fresh.db-shm", f->dir);
	unlink(path);
}

struct counts {
	int	person, service;
};

static int
count_user(void *arg, const struct idg_user *u)
{
	struct counts *c = arg;

	if (u->kind == IDG_USER_PERSON)
		c->person++;
	else
		c->service++;
	return 0;
}

static void
test_tenant_create(void **state)
{
	struct fx *f = *state;
	struct idg_tenant t;
	struct idg_user u;
	struct counts c = { 0, 0 };

	assert_int_equal(idg_store_tenant_create(f->s, "acme", "Acme", 19, HASH, HASH, &t),
	    IDG_INVALID);
	assert_int_equal(idg_store_tenant_create(f->s, "Bad_Id", "X", 20, HASH, HASH, &t),
	    IDG_INVALID);
	mk_tenant(f, "acme", 20);
	assert_int_equal(f->t.contracted_ids, 20);
	assert_int_equal(f->t.licenses_in_use, 0);
	assert_int_equal(f->t.status, IDG_TENANT_SETUP);
	assert_int_equal(idg_store_tenant_create(f->s, "acme", "Again", 20, HASH, HASH, &t),
	    IDG_EXISTS);
	assert_int_equal(idg_store_user_list(f->s, f->t.id, count_user, &c), IDG_OK);
	assert_int_equal(c.service, 2);
	assert_int_equal(c.person, 0);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id,
	    "setup@acme.idgate.invalid", &u), IDG_OK);
	assert_int_equal(u.kind, IDG_USER_SERVICE_SETUP);
	assert_string_equal(u.password_hash, HASH);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id,
	    "REPORT@acme.idgate.invalid", &u), IDG_OK);	/* case-insensitive */
	assert_int_equal(u.kind, IDG_USER_SERVICE_REPORT);
	/* complete-setup: tenant active, the set-up account suspended. */
	assert_int_equal(idg_store_tenant_complete_setup(f->s, "acme"), IDG_OK);
	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	assert_int_equal(t.status, IDG_TENANT_ACTIVE);
	assert_true(t.setup_completed_at > 0);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id,
	    "setup@acme.idgate.invalid", &u), IDG_OK);
	assert_int_equal(u.status, IDG_USER_SUSPENDED);
	assert_true(u.sessions_not_before > 0);
	assert_int_equal(idg_store_tenant_get(f->s, "nope", &t), IDG_NOTFOUND);
	assert_int_equal(idg_store_tenant_complete_setup(f->s, "nope"), IDG_NOTFOUND);
	/* Service accounts still not counted. */
	assert_int_equal(t.licenses_in_use, 0);
}

static void
test_pool_full(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic = { -1, -1, -1 };
	struct idg_tenant t;
	struct idg_user u;

	mk_tenant(f, "acme", 20);
	assert_int_equal(add_users(f, 0, 20), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "extra@example.com", "", HASH,
	    false, &lic, NULL), IDG_DECLINED);
	assert_int_equal(lic.contracted, 20);
	assert_int_equal(lic.in_use, 20);
	assert_int_equal(lic.requested, 1);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "extra@example.com", &u),
	    IDG_NOTFOUND);
	/* A taken address is EXISTS even with the pool full; bad syntax is INVALID. */
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "USER3@example.com", "", HASH,
	    false, &lic, NULL), IDG_EXISTS);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "not-an-email", "", HASH, false,
	    &lic, NULL), IDG_INVALID);
	/* Suspended users still hold their license. */
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "user0@example.com", &u),
	    IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_SUSPENDED,
	    &lic), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "extra@example.com", "", HASH,
	    false, &lic, NULL), IDG_DECLINED);
	/* Deleting frees it. */
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_DELETED,
	    &lic), IDG_OK);
	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	assert_int_equal(t.licenses_in_use, 19);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "extra@example.com", "Extra", HASH,
	    true, &lic, &u), IDG_OK);
	assert_true(u.must_change_password);
	assert_string_equal(u.display_name, "Extra");
	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	assert_int_equal(t.licenses_in_use, 20);
	/* A user of another tenant is not visible here. */
	assert_int_equal(idg_store_user_get(f->s, f->t.id + 999, u.id, &u), IDG_NOTFOUND);
	assert_int_equal(idg_store_user_add(f->s, 999999, "x@example.com", "", HASH, false,
	    &lic, NULL), IDG_NOTFOUND);
}

static void
test_reactivate_beyond_pool(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic = { 0, 0, 0 };
	struct idg_user u;
	int64_t before = (int64_t)time(NULL);

	mk_tenant(f, "acme", 20);
	assert_int_equal(add_users(f, 0, 20), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "user5@example.com", &u),
	    IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_DELETED,
	    &lic), IDG_OK);
	assert_int_equal(idg_store_user_get(f->s, f->t.id, u.id, &u), IDG_OK);
	assert_true(u.sessions_not_before >= before);
	assert_int_equal(add_users(f, 100, 1), IDG_OK);	/* pool full again */
	memset(&lic, 0, sizeof(lic));
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_ACTIVE,
	    &lic), IDG_DECLINED);
	assert_int_equal(lic.contracted, 20);
	assert_int_equal(lic.in_use, 20);
	assert_int_equal(lic.requested, 1);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_SUSPENDED,
	    &lic), IDG_DECLINED);	/* suspended holds a license too */
	assert_int_equal(idg_store_user_get(f->s, f->t.id, u.id, &u), IDG_OK);
	assert_int_equal(u.status, IDG_USER_DELETED);
	/* Active <-> suspended never needs a free license. */
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "user6@example.com", &u),
	    IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_SUSPENDED,
	    &lic), IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_ACTIVE,
	    &lic), IDG_OK);
	/* A larger contract makes room. */
	assert_int_equal(idg_store_tenant_set_contract(f->s, "acme", 21, &lic), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "user5@example.com", &u),
	    IDG_OK);
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_ACTIVE,
	    &lic), IDG_OK);
}

static void
test_contract_lowering(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic = { 0, 0, 0 };
	struct idg_tenant t;

	mk_tenant(f, "acme", 25);
	assert_int_equal(add_users(f, 0, 22), IDG_OK);
	assert_int_equal(idg_store_tenant_set_contract(f->s, "acme", 21, &lic), IDG_DECLINED);
	assert_int_equal(lic.contracted, 25);
	assert_int_equal(lic.in_use, 22);
	assert_int_equal(lic.requested, 21);
	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	assert_int_equal(t.contracted_ids, 25);
	assert_int_equal(idg_store_tenant_set_contract(f->s, "acme", 19, &lic), IDG_INVALID);
	assert_int_equal(idg_store_tenant_set_contract(f->s, "acme", 22, &lic), IDG_OK);
	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	assert_int_equal(t.contracted_ids, 22);
	assert_int_equal(idg_store_tenant_set_contract(f->s, "nope", 30, &lic), IDG_NOTFOUND);
	/* The schema itself refuses a contract below 20 from any writer. */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_not_equal(sqlite3_exec(db, "UPDATE tenants SET contracted_ids = 5",
		    NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
}

static void
test_signin_lockout(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic;
	struct idg_user u;
	int64_t now = 1700000000, lock = -1;

	mk_tenant(f, "acme", 20);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "a@example.com", "", HASH, false,
	    &lic, &u), IDG_OK);
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, now, 3, 300,
	    &lock), IDG_OK);
	assert_int_equal(lock, 0);
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, now + 1, 3,
	    300, &lock), IDG_OK);
	assert_int_equal(lock, 0);
	assert_int_equal(idg_store_user_get(f->s, f->t.id, u.id, &u), IDG_OK);
	assert_int_equal(u.failed_attempts, 2);
	/* The third failure locks for lockout_s from now and resets the count. */
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, now + 2, 3,
	    300, &lock), IDG_OK);
	assert_int_equal(lock, now + 2 + 300);
	assert_int_equal(idg_store_user_get(f->s, f->t.id, u.id, &u), IDG_OK);
	assert_int_equal(u.failed_attempts, 0);
	assert_int_equal(u.locked_until, now + 302);
	/* Unlock clears it. */
	assert_int_equal(idg_store_user_unlock(f->s, f->t.id, u.id), IDG_OK);
	assert_int_equal(idg_store_user_get(f->s, f->t.id, u.id, &u), IDG_OK);
	assert_int_equal(u.locked_until, 0);
	/* A success resets failures and records the time. */
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, now + 10, 3,
	    300, &lock), IDG_OK);
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, true, now + 11, 3,
	    300, &lock), IDG_OK);
	assert_int_equal(idg_store_user_get(f->s, f->t.id, u.id, &u), IDG_OK);
	assert_int_equal(u.failed_attempts, 0);
	assert_int_equal(u.last_sign_in_at, now + 11);
	/* A password reset clears a lock too. */
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, now, 1, 60,
	    &lock), IDG_OK);
	assert_int_equal(lock, now + 60);
	assert_int_equal(idg_store_user_set_password(f->s, f->t.id, u.id, HASH, true), IDG_OK);
	assert_int_equal(idg_store_user_get(f->s, f->t.id, u.id, &u), IDG_OK);
	assert_int_equal(u.locked_until, 0);
	assert_true(u.must_change_password);
	/* max_failures 0 never locks; unknown users are NOTFOUND. */
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, now, 0, 60,
	    &lock), IDG_OK);
	assert_int_equal(lock, 0);
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id + 100, false, now, 3,
	    60, &lock), IDG_NOTFOUND);
	assert_int_equal(idg_store_user_unlock(f->s, f->t.id, u.id + 100), IDG_NOTFOUND);
}

static int64_t
gen(struct fx *f)
{
	int64_t g = -1;

	assert_int_equal(idg_store_generation(f->s, &g), IDG_OK);
	return g;
}

static void
test_generation(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic;
	struct idg_user u;
	struct idg_group g;
	int64_t g0, g1;
	sqlite3 *db;

	g0 = gen(f);
	mk_tenant(f, "acme", 20);
	g1 = gen(f);
	assert_true(g1 > g0);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "a@example.com", "", HASH, false,
	    &lic, &u), IDG_OK);
	assert_true(gen(f) > g1);
	/* Sign-in bookkeeping does not change the directory. */
	g1 = gen(f);
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, 100, 5, 60,
	    NULL), IDG_OK);
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, true, 101, 5, 60,
	    NULL), IDG_OK);
	assert_int_equal(gen(f), g1);
	/* Nor does a lockout (the snapshot holds no lock times: migration 0003). */
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, false, 100, 1, 60,
	    NULL), IDG_OK);
	assert_int_equal(gen(f), g1);
	/* While locked, an attempt is refused inside the transaction and not recorded. */
	assert_int_equal(idg_store_user_record_signin(f->s, f->t.id, u.id, true, 120, 1, 60,
	    NULL), IDG_DECLINED);
	/* A password change ends the user's sessions, so it does change the directory. */
	assert_int_equal(idg_store_user_set_password(f->s, f->t.id, u.id, HASH, false), IDG_OK);
	assert_true(gen(f) > g1);
	g1 = gen(f);
	/* A status change, a group and a membership do. */
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_SUSPENDED,
	    &lic), IDG_OK);
	assert_true(gen(f) > g1);
	g1 = gen(f);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "staff", &g), IDG_OK);
	assert_true(gen(f) > g1);
	g1 = gen(f);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff", "a@example.com"),
	    IDG_OK);
	assert_true(gen(f) > g1);
	/* A write by another connection (another process) is seen too. */
	g1 = gen(f);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE tenants SET name = 'Renamed'", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_true(gen(f) > g1);
	/* A refused write changes nothing. */
	g1 = gen(f);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "staff", &g), IDG_EXISTS);
	assert_int_equal(gen(f), g1);
}

static void
row(struct idg_user_row *r, const char *email, int line)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->email, sizeof(r->email), "%s", email);
	snprintf(r->display_name, sizeof(r->display_name), "Row %d", line);
	snprintf(r->password_hash, sizeof(r->password_hash), "%s", HASH);
	r->line = line;
}

static void
test_import(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic = { 0, 0, 0 };
	struct idg_user_row rows[4];
	struct idg_tenant t;
	struct idg_user u;
	int bad = -1, added = -1, skipped = -1;

	mk_tenant(f, "acme", 20);
	assert_int_equal(add_users(f, 0, 17), IDG_OK);
	row(&rows[0], "new1@example.com", 2);
	row(&rows[1], "user3@example.com", 3);	/* exists */
	row(&rows[2], "new2@example.com", 4);
	/* An existing address fails the whole batch. */
	assert_int_equal(idg_store_user_import(f->s, f->t.id, rows, 3, false, &lic, &bad,
	    &added, &skipped), IDG_EXISTS);
	assert_int_equal(bad, 3);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "new1@example.com", &u),
	    IDG_NOTFOUND);
	/* A malformed address too, before anything is written. */
	row(&rows[3], "broken", 9);
	assert_int_equal(idg_store_user_import(f->s, f->t.id, rows, 4, true, &lic, &bad,
	    &added, &skipped), IDG_INVALID);
	assert_int_equal(bad, 9);
	/* With skip_existing: 2 added, 1 skipped. */
	assert_int_equal(idg_store_user_import(f->s, f->t.id, rows, 3, true, &lic, &bad,
	    &added, &skipped), IDG_OK);
	assert_int_equal(added, 2);
	assert_int_equal(skipped, 1);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "NEW2@example.com", &u),
	    IDG_OK);
	assert_string_equal(u.display_name, "Row 4");
	/* 19 in use: two more do not fit, so neither is added. */
	row(&rows[0], "a@example.com", 2);
	row(&rows[1], "b@example.com", 3);
	rows[1].must_change_password = true;
	assert_int_equal(idg_store_user_import(f->s, f->t.id, rows, 2, false, &lic, &bad,
	    &added, &skipped), IDG_DECLINED);
	assert_int_equal(lic.contracted, 20);
	assert_int_equal(lic.in_use, 19);
	assert_int_equal(lic.requested, 2);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "a@example.com", &u),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_tenant_get(f->s, "acme", &t), IDG_OK);
	assert_int_equal(t.licenses_in_use, 19);
	/* The same address twice in one batch: all or nothing again. */
	row(&rows[1], "A@example.com", 3);
	assert_int_equal(idg_store_user_import(f->s, f->t.id, rows, 2, false, &lic, &bad,
	    &added, &skipped), IDG_DECLINED);	/* counted as 2 first */
	assert_int_equal(idg_store_tenant_set_contract(f->s, "acme", 30, &lic), IDG_OK);
	assert_int_equal(idg_store_user_import(f->s, f->t.id, rows, 2, false, &lic, &bad,
	    &added, &skipped), IDG_EXISTS);
	assert_int_equal(bad, 3);
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id, "a@example.com", &u),
	    IDG_NOTFOUND);
}

struct names {
	char	buf[256];
	int	members;
};

static int
cat_group(void *arg, const struct idg_group *g)
{
	struct names *n = arg;

	strncat(n->buf, g->name, sizeof(n->buf) - strlen(n->buf) - 2);
	strncat(n->buf, ";", sizeof(n->buf) - strlen(n->buf) - 1);
	n->members += g->members;
	return 0;
}

static void
test_groups(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic;
	struct names n;
	struct idg_group g;
	struct idg_user a, b;

	mk_tenant(f, "acme", 20);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "a@example.com", "", HASH, false,
	    &lic, &a), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "b@example.com", "", HASH, false,
	    &lic, &b), IDG_OK);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "staff", &g), IDG_OK);
	assert_string_equal(g.name, "staff");
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "admins", &g), IDG_OK);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "staff", &g), IDG_EXISTS);
	assert_int_equal(idg_store_group_add(f->s, f->t.id, "", &g), IDG_INVALID);
	assert_int_equal(idg_store_group_add(f->s, 999999, "x", &g), IDG_NOTFOUND);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff", "A@example.com"),
	    IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff", "b@example.com"),
	    IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "admins", "a@example.com"),
	    IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff", "a@example.com"),
	    IDG_EXISTS);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "nope", "a@example.com"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "staff", "c@example.com"),
	    IDG_NOTFOUND);
	memset(&n, 0, sizeof(n));
	assert_int_equal(idg_store_group_list(f->s, f->t.id, cat_group, &n), IDG_OK);
	assert_string_equal(n.buf, "admins;staff;");
	assert_int_equal(n.members, 3);
	memset(&n, 0, sizeof(n));
	assert_int_equal(idg_store_user_groups(f->s, f->t.id, a.id, cat_group, &n), IDG_OK);
	assert_string_equal(n.buf, "admins;staff;");
	memset(&n, 0, sizeof(n));
	assert_int_equal(idg_store_user_groups(f->s, f->t.id, b.id, cat_group, &n), IDG_OK);
	assert_string_equal(n.buf, "staff;");
	/* A deleted user cannot be added. */
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, b.id, IDG_USER_DELETED,
	    &lic), IDG_OK);
	assert_int_equal(idg_store_group_add_member(f->s, f->t.id, "admins", "b@example.com"),
	    IDG_NOTFOUND);
}

struct audit_seen {
	int	n;
	char	actions[256];
	int64_t	last_at;
	bool	ordered;
};

static int
audit_cb(void *arg, const struct idg_audit_event *e)
{
	struct audit_seen *a = arg;

	if (a->n > 0 && e->at > a->last_at)
		a->ordered = false;
	a->last_at = e->at;
	a->n++;
	strncat(a->actions, e->action, sizeof(a->actions) - strlen(a->actions) - 2);
	strncat(a->actions, e->target != NULL ? "+" : "-",
	    sizeof(a->actions) - strlen(a->actions) - 1);
	return 0;
}

static void
test_audit(void **state)
{
	struct fx *f = *state;
	struct idg_audit_event e = { 100, 1, "cli", "tenant.create", "acme", "ok", NULL,
		NULL, 0 };
	struct audit_seen a;

	assert_int_equal(idg_store_audit_append(f->s, &e), IDG_OK);
	e.at = 300;
	e.action = "user.add";
	e.target = NULL;
	e.ip = "192.0.2.1";
	assert_int_equal(idg_store_audit_append(f->s, &e), IDG_OK);
	e.at = 200;
	e.tenant_id = 2;
	e.action = "signin";
	assert_int_equal(idg_store_audit_append(f->s, &e), IDG_OK);
	e.action = NULL;
	assert_int_equal(idg_store_audit_append(f->s, &e), IDG_INVALID);
	memset(&a, 0, sizeof(a));
	a.ordered = true;
	assert_int_equal(idg_store_audit_list(f->s, 0, 10, audit_cb, &a), IDG_OK);
	assert_int_equal(a.n, 3);
	assert_true(a.ordered);
	assert_string_equal(a.actions, "user.add-signin-tenant.create+");
	memset(&a, 0, sizeof(a));
	assert_int_equal(idg_store_audit_list(f->s, 1, 10, audit_cb, &a), IDG_OK);
	assert_string_equal(a.actions, "user.add-tenant.create+");
	memset(&a, 0, sizeof(a));
	assert_int_equal(idg_store_audit_list(f->s, 0, 1, audit_cb, &a), IDG_OK);
	assert_int_equal(a.n, 1);
	assert_int_equal(idg_store_audit_list(f->s, 0, 0, audit_cb, &a), IDG_INVALID);
	/* at = 0 means now. */
	e.at = 0;
	e.action = "now";
	assert_int_equal(idg_store_audit_append(f->s, &e), IDG_OK);
	memset(&a, 0, sizeof(a));
	assert_int_equal(idg_store_audit_list(f->s, 2, 1, audit_cb, &a), IDG_OK);
	assert_true(a.last_at >= (int64_t)time(NULL) - 5);
}

/* The rows of one query through a separate connection, '|'-joined into buf. */
static void
sql_rows(const char *path, const char *q, char *buf, size_t n)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t len = 0;

	buf[0] = '\0';
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		len += (size_t)snprintf(buf + len, n - len, "%s|",
		    t != NULL ? (const char *)t : "");
		assert_true(len < n);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

#define AUDIT_ROWS "SELECT at || ',' || tenant_id || ',' || actor || ',' || action || ',' ||" \
	" COALESCE(target, '~') || ',' || result || ',' || COALESCE(ip, '~') || ',' ||" \
	" COALESCE(detail, '~') FROM audit_log ORDER BY id"
#define ACTIVE_ROWS "SELECT tenant_id || ',' || month || ',' || user_id || ',' || first_at" \
	" FROM monthly_active ORDER BY tenant_id, month, user_id"
#define COUNT_ROWS "SELECT tenant_id || ',' || month || ',' || n FROM monthly_active_count" \
	" ORDER BY tenant_id, month"

struct batch_fx {
	struct idg_tenant	t, t2;
	struct idg_user		u1, u2, other, setup, report;
};

/* Two tenants, two person users, the first tenant's service accounts, a user of the second. */
static void
batch_people(struct idg_store *s, struct batch_fx *b)
{
	struct idg_license_numbers lic;

	assert_int_equal(idg_store_tenant_create(s, "acme", "Acme", 20, HASH, HASH, &b->t), IDG_OK);
	assert_int_equal(idg_store_tenant_create(s, "beta", "Beta", 20, HASH, HASH, &b->t2),
	    IDG_OK);
	assert_int_equal(idg_store_user_add(s, b->t.id, "u1@acme.example", "U1", HASH, false,
	    &lic, &b->u1), IDG_OK);
	assert_int_equal(idg_store_user_add(s, b->t.id, "u2@acme.example", "U2", HASH, false,
	    &lic, &b->u2), IDG_OK);
	assert_int_equal(idg_store_user_add(s, b->t2.id, "o@beta.example", "O", HASH, false,
	    &lic, &b->other), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(s, b->t.id, "setup@acme.idgate.invalid",
	    &b->setup), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(s, b->t.id, "report@acme.idgate.invalid",
	    &b->report), IDG_OK);
	assert_int_equal(b->setup.kind, IDG_USER_SERVICE_SETUP);
	assert_int_equal(b->report.kind, IDG_USER_SERVICE_REPORT);
}

#define NOV 1796000000	/* 2026-11 in JST */
#define DEC 1798000000	/* 2026-12 in JST */
#define OLD 1640000000	/* 2021-12 in JST, away from now */

static void
batch_event(struct idg_audit_event *e, int64_t at, int64_t tenant_id, const char *action,
    const char *target, int64_t user_id)
{
	memset(e, 0, sizeof(*e));
	e->at = at;
	e->tenant_id = tenant_id;
	e->actor = "user:x";
	e->action = action;
	e->target = target;
	e->result = "ok";
	e->ip = user_id != 0 ? "192.0.2.7" : NULL;
	e->detail = user_id == 0 ? "provider" : NULL;
	e->active_user_id = user_id;
}

/*
 * A group of events written at once gives the audit rows, monthly_active
 * rows and counts of the same events written one by one, in both orders of
 * a user's repeated month; service accounts and another tenant's user are
 * audited and never marked.
 */
static void
test_audit_append_many(void **state)
{
	struct fx *f = *state;
	struct idg_audit_event ev[10];
	struct batch_fx a, b;
	struct idg_store *s2;
	char path2[160], one[4096], many[4096];
	int i, n = 0;

	snprintf(path2, sizeof(path2), "%s/many.db", f->dir);
	assert_int_equal(open_at(path2, &s2), IDG_OK);
	assert_int_equal(idg_store_migrate(s2, NULL), IDG_OK);
	batch_people(f->s, &a);
	batch_people(s2, &b);
	assert_int_equal(a.u1.id, b.u1.id);
	assert_int_equal(a.setup.id, b.setup.id);

	batch_event(&ev[n++], NOV + 10, a.t.id, "sso.saml", "crm", a.u1.id);
	batch_event(&ev[n++], NOV + 5, a.t.id, "sso.oidc", "rp", a.u1.id);	/* earlier at */
	batch_event(&ev[n++], NOV + 20, a.t.id, "signin.password", "setup", a.setup.id);
	batch_event(&ev[n++], NOV + 21, a.t.id, "sso.saml", "reports", a.report.id);
	batch_event(&ev[n++], NOV + 30, a.t.id, "sso.saml", "crm", a.other.id);
	batch_event(&ev[n++], NOV + 40, 0, "tenant.create", "acme", 0);
	batch_event(&ev[n++], DEC, a.t.id, "sso.saml", "crm", a.u1.id);
	batch_event(&ev[n++], DEC + 1, a.t.id, "sso.saml", "crm", a.u2.id);
	batch_event(&ev[n++], NOV + 50, a.t2.id, "sso.saml", "crm", a.other.id);
	batch_event(&ev[n++], NOV + 60, a.t.id, "sso.saml", "crm", a.u2.id);

	for (i = 0; i < n; i++)
		assert_int_equal(idg_store_audit_append(f->s, &ev[i]), IDG_OK);
	assert_int_equal(idg_store_audit_append_many(s2, ev, n), IDG_OK);

	sql_rows(f->path, AUDIT_ROWS, one, sizeof(one));
	sql_rows(path2, AUDIT_ROWS, many, sizeof(many));
	assert_string_equal(one, many);
	assert_int_equal(sql_int(path2, "SELECT COUNT(*) FROM audit_log"), n);
	sql_rows(f->path, ACTIVE_ROWS, one, sizeof(one));
	sql_rows(path2, ACTIVE_ROWS, many, sizeof(many));
	assert_string_equal(one, many);
	/*
	 * u1 and u2 in November and December, beta's own user in November: five
	 * marks, u1's November one at its first event's at, not the earlier one.
	 */
	assert_int_equal(sql_int(path2, "SELECT COUNT(*) FROM monthly_active"), 5);
	snprintf(one, sizeof(one), "SELECT first_at FROM monthly_active WHERE user_id = %lld"
	    " AND month = '2026-11'", (long long)b.u1.id);
	assert_int_equal(sql_int(path2, one), NOV + 10);
	sql_rows(f->path, COUNT_ROWS, one, sizeof(one));
	sql_rows(path2, COUNT_ROWS, many, sizeof(many));
	assert_string_equal(one, many);
	/* Service accounts are never marked. */
	snprintf(one, sizeof(one), "SELECT COUNT(*) FROM monthly_active WHERE user_id IN"
	    " (%lld, %lld)", (long long)b.setup.id, (long long)b.report.id);
	assert_int_equal(sql_int(path2, one), 0);
	assert_int_equal(idg_store_activity_count(s2, b.t.id, "2026-11", &i), IDG_OK);
	assert_int_equal(i, 2);
	idg_store_free(s2);
	unlink(path2);
	snprintf(one, sizeof(one), "%s-wal", path2);
	unlink(one);
	snprintf(one, sizeof(one), "%s-shm", path2);
	unlink(one);
}

/* n = 1 is one append (at = 0 is now); n = 0 writes nothing; a bad group writes nothing. */
static void
test_audit_append_many_edges(void **state)
{
	struct fx *f = *state;
	struct idg_audit_event ev[3];
	struct batch_fx b;
	char month[8], q[160];
	int n;

	batch_people(f->s, &b);
	assert_int_equal(idg_store_audit_append_many(f->s, NULL, 0), IDG_OK);
	assert_int_equal(idg_store_audit_append_many(f->s, ev, -1), IDG_INVALID);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM audit_log"), 0);

	batch_event(&ev[0], 0, b.t.id, "sso.saml", "crm", b.u1.id);
	assert_int_equal(idg_store_audit_append_many(f->s, ev, 1), IDG_OK);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM audit_log"), 1);
	assert_true(sql_int(f->path, "SELECT at FROM audit_log") >= (long long)time(NULL) - 5);
	idg_jst_month(sql_int(f->path, "SELECT at FROM audit_log"), month);
	assert_int_equal(idg_store_activity_count(f->s, b.t.id, month, &n), IDG_OK);
	assert_int_equal(n, 1);
	snprintf(q, sizeof(q), "SELECT first_at = (SELECT at FROM audit_log) FROM monthly_active"
	    " WHERE user_id = %lld AND month = '%s'", (long long)b.u1.id, month);
	assert_int_equal(sql_int(f->path, q), 1);

	/* An event without an action: refused before any write. */
	batch_event(&ev[0], OLD, b.t.id, "sso.saml", "crm", b.u2.id);
	batch_event(&ev[1], OLD, b.t.id, NULL, "crm", b.u2.id);
	assert_int_equal(idg_store_audit_append_many(f->s, ev, 2), IDG_INVALID);
	/* A failing insert in the middle: the whole group is rolled back, marks too. */
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER refuse_bad BEFORE INSERT ON"
		    " audit_log WHEN NEW.target = 'bad' BEGIN SELECT RAISE(ABORT, 'bad'); END",
		    NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	batch_event(&ev[1], OLD + 1, b.t.id, "sso.saml", "bad", b.u1.id);
	batch_event(&ev[2], OLD + 2, b.t.id, "sso.saml", "crm", b.u1.id);
	assert_int_not_equal(idg_store_audit_append_many(f->s, ev, 3), IDG_OK);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM audit_log"), 1);
	assert_int_equal(idg_store_activity_count(f->s, b.t.id, "2021-12", &n), IDG_OK);
	assert_int_equal(n, 0);
	/* The store is usable afterwards: the good events one by one. */
	assert_int_equal(idg_store_audit_append_many(f->s, &ev[0], 1), IDG_OK);
	assert_int_equal(idg_store_audit_append_many(f->s, &ev[2], 1), IDG_OK);
	assert_int_equal(idg_store_activity_count(f->s, b.t.id, "2021-12", &n), IDG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM audit_log"), 3);
}

/* Two processes race for the last license: exactly one gets it. */
static void
test_last_license_race(void **state)
{
	struct fx *f = *state;
	int i, ok = 0, declined = 0;
	pid_t pid[2];

	mk_tenant(f, "acme", 20);
	assert_int_equal(add_users(f, 0, 19), IDG_OK);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct idg_license_numbers lic;
			struct idg_store *s;
			char email[64];
			int st;

			snprintf(email, sizeof(email), "racer%d@example.com", i);
			if (open_at(f->path, &s) != IDG_OK)
				_exit(10);
			st = idg_store_user_add(s, f->t.id, email, "", HASH, false, &lic, NULL);
			idg_store_free(s);
			_exit(st == IDG_OK ? 0 : st == IDG_DECLINED ? 1 : 11);
		}
	}
	for (i = 0; i < 2; i++) {
		int ws = 0;

		assert_int_equal(waitpid(pid[i], &ws, 0), pid[i]);
		assert_true(WIFEXITED(ws));
		if (WEXITSTATUS(ws) == 0)
			ok++;
		else if (WEXITSTATUS(ws) == 1)
			declined++;
	}
	assert_int_equal(ok, 1);
	assert_int_equal(declined, 1);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM users WHERE kind = 0"), 20);
}

static void
test_unwritable(void **state)
{
	struct fx *f = *state;
	struct idg_store *s = NULL;
	char path[200], file[160];
	FILE *fp;

	/* A regular file used as a folder fails for everyone, root included. */
	snprintf(file, sizeof(file), "%s/plain-file", f->dir);
	assert_non_null(fp = fopen(file, "w"));
	fclose(fp);
	snprintf(path, sizeof(path), "%s/store.db", file);
	assert_int_equal(open_at(path, &s), IDG_UNAVAILABLE);
	assert_null(s);
	unlink(file);
	/* A folder that does not exist. */
	snprintf(path, sizeof(path), "%s/missing/store.db", f->dir);
	assert_int_equal(open_at(path, &s), IDG_UNAVAILABLE);
	assert_null(s);
	/* An empty path. */
	assert_int_equal(open_at("", &s), IDG_UNAVAILABLE);
	/* Unknown driver. */
	{
		struct idg_store_config cfg = { "postgresql-not-built", f->path, 100 };

		assert_int_equal(idg_store_open(&cfg, &s), IDG_NOTFOUND);
	}
	/* Permission bits only stop a process that is not root. */
	if (geteuid() != 0) {
		char ro[160];
		int st;

		snprintf(ro, sizeof(ro), "%s/ro", f->dir);
		assert_int_equal(mkdir(ro, 0700), 0);
		assert_int_equal(chmod(ro, 0500), 0);
		snprintf(path, sizeof(path), "%s/store.db", ro);
		st = open_at(path, &s);
		if (st == IDG_OK) {
			st = idg_store_migrate(s, NULL);
			idg_store_free(s);
		}
		assert_int_equal(st, IDG_UNAVAILABLE);
		chmod(ro, 0700);
		rmdir(ro);
		/* An existing database file without write permission. */
		idg_store_free(f->s);
		f->s = NULL;
		assert_int_equal(chmod(f->path, 0400), 0);
		st = open_at(f->path, &s);
		if (st == IDG_OK) {
			st = idg_store_migrate(s, NULL);
			idg_store_free(s);
		}
		assert_int_equal(st, IDG_UNAVAILABLE);
		chmod(f->path, 0600);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_fresh_and_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenant_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reactivate_beyond_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contract_lowering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signin_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_append_many_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_license_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
