/*
 * test_store_device.c - the device-certificate option in the SQLite store
 * (migration 0009) against a real database file: the tenant's settings and
 * licensed count, giving and taking the option, the certificate limit per
 * user, revocation, the counts, the CA and its CRL, pre-registered devices,
 * enrolment requests, the license_daily device figures, cancellation,
 * deleted users and the migration itself. Figures written behind the
 * store's back use a second raw SQLite connection. Not tests of the
 * certificate rules of certs/ (tests/unit/certs).
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

#include "certs/devcert.h"
#include "gateway/store/store_impl.h"
#include "gateway/util/clock.h"
#include "gateway/util/status.h"
#include "tests/unit/sql_int.h"

#define HASH	"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define DAY	86400
#define YEAR5	(5 * 365 * DAY)

static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
static const uint8_t csr[] = { 0x30, 0x05, 0x02, 0x03, 0x01, 0x00, 0x01 };

struct fx {
	char			 dir[64];
	char			 path[128];
	struct idg_store	*s;
	struct idg_tenant	 t, t2;
	int64_t			 now;
	int			 serials;	/* for unique serials */
};

static struct idg_store *
open_store(const char *path)
{
	struct idg_store_config cfg = { "sqlite", NULL, 5000 };
	struct idg_store *s = NULL;

	cfg.sqlite_path = path;
	assert_int_equal(idg_store_open(&cfg, &s), IDG_OK);
	return s;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-dev-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/idgate.db", f->dir);
	f->s = open_store(f->path);
	assert_int_equal(idg_store_migrate(f->s, NULL), IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "acme", "Acme", 20, HASH, HASH, &f->t),
	    IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "beta", "Beta", 20, HASH, HASH, &f->t2),
	    IDG_OK);
	f->now = idg_now();
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

/* One integer from a query on a second connection. */
static int
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int64_t
gen(struct fx *f)
{
	int64_t g = -1;

	assert_int_equal(idg_store_generation(f->s, &g), IDG_OK);
	return g;
}

static struct idg_user
add_user(struct fx *f, int64_t tenant_id, const char *email)
{
	struct idg_license_numbers lic;
	struct idg_user u;

	assert_int_equal(idg_store_user_add(f->s, tenant_id, email, "", HASH, false, &lic, &u),
	    IDG_OK);
	return u;
}

static void
set_licensed(struct fx *f, int64_t tenant_id, int n)
{
	struct idg_device_settings ds;

	assert_int_equal(idg_store_device_settings_get(f->s, tenant_id, &ds), IDG_OK);
	ds.licensed = n;
	assert_int_equal(idg_store_device_settings_set(f->s, tenant_id, &ds, f->now, NULL, NULL),
	    IDG_OK);
}

static void
give(struct fx *f, int64_t tenant_id, int64_t user_id)
{
	assert_int_equal(idg_store_user_device_license(f->s, tenant_id, user_id, true, f->now,
	    NULL, NULL), IDG_OK);
}

/* A certificate record for user_id valid over [nb, na), with a fresh serial. */
static struct idg_devcert
cert(struct fx *f, int64_t tenant_id, int64_t user_id, int64_t nb, int64_t na)
{
	struct idg_devcert c;

	memset(&c, 0, sizeof(c));
	c.tenant_id = tenant_id;
	c.user_id = user_id;
	snprintf(c.serial, sizeof(c.serial), "%032x", 0xa000 + ++f->serials);
	snprintf(c.device_id, sizeof(c.device_id), "dev-%d", f->serials);
	snprintf(c.device_name, sizeof(c.device_name), "Laptop %d", f->serials);
	snprintf(c.device_type, sizeof(c.device_type), "windows");
	snprintf(c.device_identifier, sizeof(c.device_identifier), "00:11:22:33:44:%02x",
	    f->serials & 0xff);
	snprintf(c.enrolled_by, sizeof(c.enrolled_by), "portal");
	c.not_before = nb;
	c.not_after = na;
	return c;
}

/* Adds a certificate valid from now for five years; returns its status. */
static int
add_valid(struct fx *f, int64_t tenant_id, int64_t user_id, struct idg_devcert *out,
    int *why, int *valid_now)
{
	struct idg_devcert c = cert(f, tenant_id, user_id, f->now, f->now + YEAR5);
	int st;

	st = idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, why, valid_now);
	if (out != NULL)
		*out = c;
	return st;
}

/* ---- settings and the licensed count ----------------------------------- */

static void
test_settings(void **state)
{
	static const int bad[] = { 5, 15, -10, 1, 10000010 };
	struct fx *f = *state;
	struct idg_device_settings ds, got;
	struct idg_license_numbers lic;
	struct idg_user u[3];
	size_t i;
	int64_t g;
	int why;

	/* Defaults of migration 0009: off, break-glass on, no approval. */
	assert_int_equal(idg_store_device_settings_get(f->s, f->t.id, &ds), IDG_OK);
	assert_int_equal(ds.licensed, 0);
	assert_int_equal(ds.assigned, 0);
	assert_false(ds.required);
	assert_true(ds.exempt_admins);
	assert_false(ds.approval);
	assert_int_equal(idg_store_device_settings_get(f->s, 9999, &ds), IDG_NOTFOUND);

	/* Not a count of whole blocks of 10: refused, nothing written. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&ds, 0, sizeof(ds));
		ds.licensed = bad[i];
		ds.required = true;
		assert_int_equal(idg_store_device_settings_set(f->s, f->t.id, &ds, f->now, &why,
		    &lic), IDG_INVALID);
	}
	assert_int_equal(idg_store_device_settings_get(f->s, f->t.id, &got), IDG_OK);
	assert_int_equal(got.licensed, 0);
	assert_false(got.required);

	/* A valid count and flags round trip, and the snapshot reloads. */
	g = gen(f);
	memset(&ds, 0, sizeof(ds));
	ds.licensed = 20;
	ds.assigned = 999;	/* read only: ignored */
	ds.required = true;
	ds.exempt_admins = false;
	ds.approval = true;
	assert_int_equal(idg_store_device_settings_set(f->s, f->t.id, &ds, f->now, &why, &lic),
	    IDG_OK);
	assert_int_equal(why, IDG_DEVREF_NONE);
	assert_true(gen(f) > g);
	assert_int_equal(idg_store_device_settings_get(f->s, f->t.id, &got), IDG_OK);
	assert_int_equal(got.licensed, 20);
	assert_int_equal(got.assigned, 0);
	assert_true(got.required);
	assert_false(got.exempt_admins);
	assert_true(got.approval);
	/* The other tenant is untouched. */
	assert_int_equal(idg_store_device_settings_get(f->s, f->t2.id, &got), IDG_OK);
	assert_int_equal(got.licensed, 0);

	/* 0 (off) is a valid count while nobody holds the option. */
	ds.licensed = 0;
	assert_int_equal(idg_store_device_settings_set(f->s, f->t.id, &ds, f->now, &why, &lic),
	    IDG_OK);
	assert_int_equal(idg_store_device_settings_get(f->s, f->t.id, &got), IDG_OK);
	assert_int_equal(got.licensed, 0);

	/* Below the users holding the option: declined with the numbers. */
	ds.licensed = 10;
	assert_int_equal(idg_store_device_settings_set(f->s, f->t.id, &ds, f->now, &why, &lic),
	    IDG_OK);
	u[0] = add_user(f, f->t.id, "a@example.com");
	u[1] = add_user(f, f->t.id, "b@example.com");
	u[2] = add_user(f, f->t.id, "c@example.com");
	for (i = 0; i < 3; i++)
		give(f, f->t.id, u[i].id);
	ds.licensed = 0;
	ds.required = false;
	assert_int_equal(idg_store_device_settings_set(f->s, f->t.id, &ds, f->now, &why, &lic),
	    IDG_DECLINED);
	assert_int_equal(why, IDG_DEVREF_LICENSE_BELOW_ASSIGNED);
	assert_int_equal(lic.contracted, 10);
	assert_int_equal(lic.in_use, 3);
	assert_int_equal(lic.requested, 0);
	assert_int_equal(idg_store_device_settings_get(f->s, f->t.id, &got), IDG_OK);
	assert_int_equal(got.licensed, 10);
	assert_int_equal(got.assigned, 3);
	assert_true(got.required);	/* nothing of the refused write was kept */

	/* NULL out parameters are allowed; an unknown tenant is not found. */
	ds.licensed = 10;
	assert_int_equal(idg_store_device_settings_set(f->s, f->t.id, &ds, f->now, NULL, NULL),
	    IDG_OK);
	assert_int_equal(idg_store_device_settings_set(f->s, 9999, &ds, f->now, &why, &lic),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_device_settings_set(f->s, f->t.id, NULL, f->now, &why, &lic),
	    IDG_INVALID);
}

static void
test_assign(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic;
	struct idg_user u[11], svc;
	struct idg_device_settings ds;
	char email[64];
	int64_t g;
	bool on;
	int i, why;

	set_licensed(f, f->t.id, 10);
	for (i = 0; i < 11; i++) {
		snprintf(email, sizeof(email), "u%d@example.com", i);
		u[i] = add_user(f, f->t.id, email);
	}
	for (i = 0; i < 10; i++) {
		g = gen(f);
		assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[i].id, true,
		    f->now, &why, &lic), IDG_OK);
		assert_true(gen(f) > g);	/* the snapshot knows who holds the option */
	}
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t.id, u[0].id, &on), IDG_OK);
	assert_true(on);

	/* The 11th: the licensed count is exhausted. */
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[10].id, true, f->now,
	    &why, &lic), IDG_DECLINED);
	assert_int_equal(why, IDG_DEVREF_LICENSE_EXHAUSTED);
	assert_int_equal(lic.contracted, 10);
	assert_int_equal(lic.in_use, 10);
	assert_int_equal(lic.requested, 1);
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t.id, u[10].id, &on),
	    IDG_OK);
	assert_false(on);

	/* Giving it again to a holder is idempotent, and counts nobody twice. */
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[0].id, true, f->now,
	    &why, &lic), IDG_OK);
	assert_int_equal(idg_store_device_settings_get(f->s, f->t.id, &ds), IDG_OK);
	assert_int_equal(ds.assigned, 10);

	/* Taking it from a user without certificates frees the place. */
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[0].id, false, f->now,
	    &why, &lic), IDG_OK);
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[0].id, false, f->now,
	    &why, &lic), IDG_OK);
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[10].id, true, f->now,
	    &why, &lic), IDG_OK);

	/* Taking it from a user holding a valid certificate: declined. */
	assert_int_equal(add_valid(f, f->t.id, u[1].id, NULL, NULL, NULL), IDG_OK);
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[1].id, false, f->now,
	    &why, &lic), IDG_DECLINED);
	assert_int_equal(why, IDG_DEVREF_HOLDS_CERTS);
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t.id, u[1].id, &on), IDG_OK);
	assert_true(on);
	/* An expired certificate does not hold the option back. */
	{
		struct idg_devcert c = cert(f, f->t.id, u[2].id, f->now - 2 * DAY, f->now - DAY);

		assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, NULL,
		    NULL), IDG_OK);
	}
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, u[2].id, false, f->now,
	    &why, &lic), IDG_OK);

	/* Service accounts never hold it; unknown users and other tenants' users are not found. */
	assert_int_equal(idg_store_user_get_by_email(f->s, f->t.id,
	    "report@acme.idgate.invalid", &svc), IDG_OK);
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, svc.id, true, f->now,
	    &why, &lic), IDG_INVALID);
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, 99999, true, f->now, &why,
	    &lic), IDG_NOTFOUND);
	assert_int_equal(idg_store_user_device_license(f->s, f->t2.id, u[3].id, true, f->now,
	    &why, &lic), IDG_NOTFOUND);
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t2.id, u[3].id, &on),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t.id, u[3].id, NULL),
	    IDG_INVALID);
}

/* ---- certificates --------------------------------------------------------- */

static void
test_devcert_add_limit(void **state)
{
	struct fx *f = *state;
	struct idg_devcert c, first, got;
	struct idg_user u, v, w;
	uint8_t *d = NULL;
	size_t dlen = 0;
	int64_t g;
	int i, why, valid;

	set_licensed(f, f->t.id, 10);
	u = add_user(f, f->t.id, "u@example.com");

	/* Without the option: declined. */
	assert_int_equal(add_valid(f, f->t.id, u.id, NULL, &why, &valid), IDG_DECLINED);
	assert_int_equal(why, IDG_DEVREF_NOT_LICENSED);
	give(f, f->t.id, u.id);

	/* Expired ones first: they do not count against the limit. */
	for (i = 0; i < 3; i++) {
		c = cert(f, f->t.id, u.id, f->now - 6 * 365 * DAY, f->now - (i + 1) * DAY);
		assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, &why,
		    &valid), IDG_OK);
	}
	/* Ten valid at once are allowed; certificates do not reload the snapshot. */
	g = gen(f);
	for (i = 0; i < IDG_DEVCERT_MAX_PER_ID; i++) {
		assert_int_equal(add_valid(f, f->t.id, u.id, i == 0 ? &first : NULL, &why,
		    &valid), IDG_OK);
		assert_int_equal(valid, i);
		assert_int_equal(why, IDG_DEVREF_NONE);
	}
	assert_int_equal(gen(f), g);
	assert_true(first.id > 0);
	assert_int_equal(first.created_at, f->now);

	/* The 11th: declined with the count. */
	assert_int_equal(add_valid(f, f->t.id, u.id, &c, &why, &valid), IDG_DECLINED);
	assert_int_equal(why, IDG_DEVREF_LIMIT);
	assert_int_equal(valid, 10);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, c.serial, &got), IDG_NOTFOUND);

	/* After one revocation there is room for one more, and only one. */
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, first.serial, 0,
	    "admin@example.com", f->now), IDG_OK);
	assert_int_equal(add_valid(f, f->t.id, u.id, NULL, &why, &valid), IDG_OK);
	assert_int_equal(valid, 9);
	assert_int_equal(add_valid(f, f->t.id, u.id, NULL, &why, &valid), IDG_DECLINED);
	assert_int_equal(valid, 10);

	/* Read back: every field, the DER, and a lookup by upper-case serial. */
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, first.serial, &got), IDG_OK);
	assert_int_equal(got.id, first.id);
	assert_int_equal(got.user_id, u.id);
	assert_string_equal(got.device_id, first.device_id);
	assert_string_equal(got.device_name, first.device_name);
	assert_string_equal(got.device_type, "windows");
	assert_string_equal(got.device_identifier, first.device_identifier);
	assert_string_equal(got.enrolled_by, "portal");
	assert_int_equal(got.not_before, first.not_before);
	assert_int_equal(got.not_after, first.not_after);
	assert_int_equal(got.status, IDG_DEVCERT_REVOKED);
	{
		char upper[33];

		snprintf(upper, sizeof(upper), "%s", first.serial);
		for (i = 0; upper[i] != '\0'; i++)
			if (upper[i] >= 'a' && upper[i] <= 'f')
				upper[i] = (char)(upper[i] - 'a' + 'A');
		assert_int_equal(idg_store_devcert_get(f->s, f->t.id, upper, &got), IDG_OK);
		assert_int_equal(got.id, first.id);
	}
	assert_int_equal(idg_store_devcert_der(f->s, f->t.id, first.serial, &d, &dlen), IDG_OK);
	assert_int_equal(dlen, sizeof(der));
	assert_memory_equal(d, der, sizeof(der));
	free(d);
	assert_int_equal(idg_store_devcert_der(f->s, f->t2.id, first.serial, &d, &dlen),
	    IDG_NOTFOUND);
	assert_null(d);

	/* A taken serial: IDG_EXISTS (for a user with room); another tenant may use it. */
	v = add_user(f, f->t.id, "v@example.com");
	give(f, f->t.id, v.id);
	c = cert(f, f->t.id, v.id, f->now, f->now + YEAR5);
	memcpy(c.serial, first.serial, sizeof(c.serial));
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, &why, &valid),
	    IDG_EXISTS);
	set_licensed(f, f->t2.id, 10);
	w = add_user(f, f->t2.id, "w@example.com");
	give(f, f->t2.id, w.id);
	c = cert(f, f->t2.id, w.id, f->now, f->now + YEAR5);
	memcpy(c.serial, first.serial, sizeof(c.serial));
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, &why, &valid),
	    IDG_OK);

	/* A suspended (or deleted) user holds the option but may not enrol. */
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, v.id, IDG_USER_SUSPENDED, NULL),
	    IDG_OK);
	assert_int_equal(add_valid(f, f->t.id, v.id, NULL, &why, &valid), IDG_DECLINED);
	assert_int_equal(why, IDG_DEVREF_USER_INACTIVE);
	/* A user of another tenant is not found. */
	assert_int_equal(add_valid(f, f->t2.id, v.id, NULL, &why, &valid), IDG_NOTFOUND);

	/* Malformed records are refused before the store is asked. */
	c = cert(f, f->t2.id, w.id, f->now, f->now + YEAR5);
	c.serial[0] = 'A';
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, &why, &valid),
	    IDG_INVALID);
	c = cert(f, f->t2.id, w.id, f->now, f->now);
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, &why, &valid),
	    IDG_INVALID);
	c = cert(f, f->t2.id, w.id, f->now, f->now + YEAR5);
	assert_int_equal(idg_store_devcert_add(f->s, &c, NULL, 0, f->now, &why, &valid),
	    IDG_INVALID);
	c.device_id[0] = '\0';
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, &why, &valid),
	    IDG_INVALID);
	c = cert(f, f->t2.id, w.id, f->now, f->now + YEAR5);
	memset(c.enrolled_by, 'x', sizeof(c.enrolled_by));	/* unterminated */
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), f->now, &why, &valid),
	    IDG_INVALID);
}

struct seen {
	int	n;
	char	serial[16][33];
	int64_t	revoked_at[16];
};

static int
collect(void *arg, const struct idg_devcert *c)
{
	struct seen *s = arg;

	if (s->n < 16) {
		memcpy(s->serial[s->n], c->serial, sizeof(c->serial));
		s->revoked_at[s->n] = c->revoked_at;
	}
	s->n++;
	return 0;
}

static void
test_revoke(void **state)
{
	struct fx *f = *state;
	struct idg_devcert a, b, b2, got;
	struct idg_user u, v;
	struct seen seen;
	int64_t g;
	int n;

	set_licensed(f, f->t.id, 10);
	u = add_user(f, f->t.id, "u@example.com");
	v = add_user(f, f->t.id, "v@example.com");
	give(f, f->t.id, u.id);
	give(f, f->t.id, v.id);
	assert_int_equal(add_valid(f, f->t.id, u.id, &a, NULL, NULL), IDG_OK);
	assert_int_equal(add_valid(f, f->t.id, v.id, &b, NULL, NULL), IDG_OK);
	assert_int_equal(add_valid(f, f->t.id, v.id, &b2, NULL, NULL), IDG_OK);

	/* A user revokes only their own: another user's reads as not found. */
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, b.serial, u.id,
	    "u@example.com", f->now), IDG_NOTFOUND);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, b.serial, &got), IDG_OK);
	assert_int_equal(got.status, IDG_DEVCERT_ISSUED);
	/* Nor another tenant's, nor an unknown or malformed serial. */
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t2.id, a.serial, 0, "x", f->now),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, "ffff", 0, "x", f->now),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, "not-hex", 0, "x", f->now),
	    IDG_NOTFOUND);

	g = gen(f);
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, a.serial, u.id,
	    "u@example.com", f->now + 10), IDG_OK);
	/* Workers hold the revoked serials: sessions checked with it end. */
	assert_int_equal(gen(f), g + 1);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, a.serial, &got), IDG_OK);
	assert_int_equal(got.status, IDG_DEVCERT_REVOKED);
	assert_int_equal(got.revoked_at, f->now + 10);
	assert_string_equal(got.revoked_by, "u@example.com");

	/* Twice: declined, and the first revocation's record stays. */
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, a.serial, 0,
	    "admin@example.com", f->now + 20), IDG_DECLINED);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, a.serial, &got), IDG_OK);
	assert_int_equal(got.revoked_at, f->now + 10);
	assert_string_equal(got.revoked_by, "u@example.com");

	/* An admin (user_id 0) revokes any certificate of the tenant. */
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, b2.serial, 0,
	    "admin@example.com", f->now + 5), IDG_OK);

	/* The CRL's list: revoked ones only, by revocation time. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idg_store_devcert_revoked(f->s, f->t.id, collect, &seen), IDG_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.serial[0], b2.serial);
	assert_string_equal(seen.serial[1], a.serial);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idg_store_devcert_revoked(f->s, f->t2.id, collect, &seen), IDG_OK);
	assert_int_equal(seen.n, 0);

	/* Lists: the tenant's (3) and one user's (2), newest first. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idg_store_devcert_list(f->s, f->t.id, 0, collect, &seen), IDG_OK);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.serial[0], b2.serial);
	assert_string_equal(seen.serial[2], a.serial);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idg_store_devcert_list(f->s, f->t.id, v.id, collect, &seen), IDG_OK);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.serial[0], b2.serial);
	assert_string_equal(seen.serial[1], b.serial);

	/* revoke_user: every one not yet revoked; a user of another tenant is not found. */
	assert_int_equal(idg_store_devcert_revoke_user(f->s, f->t.id, v.id, "admin@example.com",
	    f->now + 30, &n), IDG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, b.serial, &got), IDG_OK);
	assert_int_equal(got.status, IDG_DEVCERT_REVOKED);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, b2.serial, &got), IDG_OK);
	assert_int_equal(got.revoked_at, f->now + 5);	/* already revoked: untouched */
	assert_int_equal(idg_store_devcert_revoke_user(f->s, f->t.id, v.id, "admin", f->now, &n),
	    IDG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(idg_store_devcert_revoke_user(f->s, f->t2.id, v.id, "admin", f->now, &n),
	    IDG_NOTFOUND);
}

static void
test_counts(void **state)
{
	struct fx *f = *state;
	struct idg_devcert_counts k;
	struct idg_devcert c, r;
	struct idg_user u, v;
	int64_t t = f->now;

	set_licensed(f, f->t.id, 20);
	u = add_user(f, f->t.id, "u@example.com");
	v = add_user(f, f->t.id, "v@example.com");
	(void)add_user(f, f->t.id, "nobody@example.com");
	give(f, f->t.id, u.id);
	give(f, f->t.id, v.id);

	/* u: 2 valid (one ending in 10 days), 1 expired at exactly now, 1 revoked. */
	c = cert(f, f->t.id, u.id, t, t + YEAR5);
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), t, NULL, NULL), IDG_OK);
	c = cert(f, f->t.id, u.id, t - YEAR5 + 10 * DAY, t + 10 * DAY);
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), t, NULL, NULL), IDG_OK);
	c = cert(f, f->t.id, u.id, t - YEAR5, t);	/* not_after == now: no longer valid */
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), t, NULL, NULL), IDG_OK);
	r = cert(f, f->t.id, u.id, t, t + YEAR5);
	assert_int_equal(idg_store_devcert_add(f->s, &r, der, sizeof(der), t, NULL, NULL), IDG_OK);
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, r.serial, 0, "admin", t), IDG_OK);
	/* v: 1 valid ending in 31 days (not "expiring"), 1 ending in exactly 30 days. */
	c = cert(f, f->t.id, v.id, t, t + 31 * DAY);
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), t, NULL, NULL), IDG_OK);
	c = cert(f, f->t.id, v.id, t, t + 30 * DAY);
	assert_int_equal(idg_store_devcert_add(f->s, &c, der, sizeof(der), t, NULL, NULL), IDG_OK);

	assert_int_equal(idg_store_devcert_counts(f->s, f->t.id, u.id, t, &k), IDG_OK);
	assert_int_equal(k.licensed, 20);
	assert_int_equal(k.assigned, 1);
	assert_int_equal(k.valid, 2);
	assert_int_equal(k.revoked, 1);
	assert_int_equal(k.expired, 1);
	assert_int_equal(k.expiring_30d, 1);

	assert_int_equal(idg_store_devcert_counts(f->s, f->t.id, v.id, t, &k), IDG_OK);
	assert_int_equal(k.valid, 2);
	assert_int_equal(k.revoked, 0);
	assert_int_equal(k.expired, 0);
	assert_int_equal(k.expiring_30d, 1);

	assert_int_equal(idg_store_devcert_counts(f->s, f->t.id, 0, t, &k), IDG_OK);
	assert_int_equal(k.licensed, 20);
	assert_int_equal(k.assigned, 2);
	assert_int_equal(k.valid, 4);
	assert_int_equal(k.revoked, 1);
	assert_int_equal(k.expired, 1);
	assert_int_equal(k.expiring_30d, 2);

	/* Eleven days later the 10-day one has expired too. */
	assert_int_equal(idg_store_devcert_counts(f->s, f->t.id, 0, t + 11 * DAY, &k), IDG_OK);
	assert_int_equal(k.valid, 3);
	assert_int_equal(k.expired, 2);
	assert_int_equal(k.expiring_30d, 2);	/* the 30- and 31-day ones now */

	/* The other tenant has nothing; unknown users and tenants are not found. */
	assert_int_equal(idg_store_devcert_counts(f->s, f->t2.id, 0, t, &k), IDG_OK);
	assert_int_equal(k.valid + k.revoked + k.expired + k.licensed + k.assigned, 0);
	assert_int_equal(idg_store_devcert_counts(f->s, f->t2.id, u.id, t, &k), IDG_NOTFOUND);
	assert_int_equal(idg_store_devcert_counts(f->s, 9999, 0, t, &k), IDG_NOTFOUND);
	assert_int_equal(idg_store_devcert_counts(f->s, f->t.id, 0, t, NULL), IDG_INVALID);
}

/* ---- the CA and its CRL ----------------------------------------------------- */

static void
test_ca_crl(void **state)
{
	struct fx *f = *state;
	struct idg_tenant_ca *ca, *got;
	uint8_t *d = NULL;
	size_t dlen = 0;
	int64_t num = -1, next = -1;

	ca = calloc(1, sizeof(*ca));
	got = calloc(1, sizeof(*got));
	assert_non_null(ca);
	assert_non_null(got);
	assert_int_equal(idg_store_ca_get(f->s, f->t.id, got), IDG_NOTFOUND);
	assert_int_equal(idg_store_crl_get(f->s, f->t.id, &d, &dlen, &num, &next), IDG_NOTFOUND);
	assert_int_equal(idg_store_crl_next_number(f->s, f->t.id, &num), IDG_NOTFOUND);
	assert_int_equal(idg_store_crl_put(f->s, f->t.id, der, sizeof(der), 1, f->now),
	    IDG_NOTFOUND);

	ca->tenant_id = f->t.id;
	ca->alg = IDG_CA_EC_P256;
	snprintf(ca->key_sealed, sizeof(ca->key_sealed), "v1.sealed-key-one");
	memcpy(ca->cert_der, der, sizeof(der));
	ca->cert_len = sizeof(der);
	ca->created_at = 1700000000;
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_OK);

	/* Once only: a second CA is refused and the first one stays. */
	snprintf(ca->key_sealed, sizeof(ca->key_sealed), "v1.sealed-key-two");
	ca->alg = IDG_CA_RSA_2048;
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_EXISTS);
	assert_int_equal(idg_store_ca_get(f->s, f->t.id, got), IDG_OK);
	assert_int_equal(got->tenant_id, f->t.id);
	assert_int_equal(got->alg, IDG_CA_EC_P256);
	assert_string_equal(got->key_sealed, "v1.sealed-key-one");
	assert_int_equal(got->cert_len, sizeof(der));
	assert_memory_equal(got->cert_der, der, sizeof(der));
	assert_int_equal(got->crl_number, 0);
	assert_int_equal(got->created_at, 1700000000);
	assert_int_equal(idg_store_ca_get(f->s, f->t2.id, got), IDG_NOTFOUND);

	/* Malformed CAs and unknown tenants. */
	ca->tenant_id = f->t2.id;
	ca->alg = 7;
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_INVALID);
	ca->alg = IDG_CA_RSA_3072;
	ca->cert_len = 0;
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_INVALID);
	ca->cert_len = sizeof(ca->cert_der) + 1;
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_INVALID);
	ca->cert_len = sizeof(der);
	ca->key_sealed[0] = '\0';
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_INVALID);
	snprintf(ca->key_sealed, sizeof(ca->key_sealed), "k");
	ca->tenant_id = 9999;
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_NOTFOUND);

	/* CRLs: numbered from 1; only a higher number replaces the stored one. */
	assert_int_equal(idg_store_crl_next_number(f->s, f->t.id, &num), IDG_OK);
	assert_int_equal(num, 1);
	assert_int_equal(idg_store_crl_get(f->s, f->t.id, &d, &dlen, &num, &next), IDG_NOTFOUND);
	assert_int_equal(idg_store_crl_put(f->s, f->t.id, csr, sizeof(csr), 1, f->now + DAY),
	    IDG_OK);
	assert_int_equal(idg_store_crl_put(f->s, f->t.id, der, sizeof(der), 3, f->now + 3 * DAY),
	    IDG_OK);
	/* An older number (a slower concurrent writer): OK, nothing written. */
	assert_int_equal(idg_store_crl_put(f->s, f->t.id, csr, sizeof(csr), 2, f->now + 2 * DAY),
	    IDG_OK);
	assert_int_equal(idg_store_crl_put(f->s, f->t.id, csr, sizeof(csr), 3, f->now + 9 * DAY),
	    IDG_OK);
	assert_int_equal(idg_store_crl_get(f->s, f->t.id, &d, &dlen, &num, &next), IDG_OK);
	assert_int_equal(num, 3);
	assert_int_equal(next, f->now + 3 * DAY);
	assert_int_equal(dlen, sizeof(der));
	assert_memory_equal(d, der, sizeof(der));
	free(d);
	assert_int_equal(idg_store_crl_next_number(f->s, f->t.id, &num), IDG_OK);
	assert_int_equal(num, 4);
	assert_int_equal(idg_store_ca_get(f->s, f->t.id, got), IDG_OK);
	assert_int_equal(got->crl_number, 3);
	assert_int_equal(got->crl_next_update, f->now + 3 * DAY);
	/* CRL numbers are positive (RFC 5280 5.2.3). */
	assert_int_equal(idg_store_crl_put(f->s, f->t.id, der, sizeof(der), 0, f->now),
	    IDG_INVALID);
	assert_int_equal(idg_store_crl_put(f->s, f->t.id, NULL, 0, 5, f->now), IDG_INVALID);
	free(ca);
	free(got);
}

/* ---- billing ---------------------------------------------------------------- */

struct day_fig {
	int	rows;
	char	day[11];
	int	device_licensed;
	int	device_users;
	int	in_use_end;
};

static int
last_day(void *arg, const struct idg_license_day *d)
{
	struct day_fig *x = arg;

	x->rows++;
	memcpy(x->day, d->day, sizeof(x->day));
	x->device_licensed = d->device_licensed;
	x->device_users = d->device_users;
	x->in_use_end = d->in_use_end;
	return 0;
}

static struct day_fig
today(struct fx *f, int64_t tenant_id)
{
	struct day_fig x;
	char day[11];

	memset(&x, 0, sizeof(x));
	idg_jst_day(f->now, day);
	assert_int_equal(idg_store_license_days(f->s, tenant_id, day, day, last_day, &x), IDG_OK);
	assert_int_equal(x.rows, 1);
	assert_string_equal(x.day, day);
	return x;
}

static void
test_license_daily(void **state)
{
	struct fx *f = *state;
	struct idg_user u, v;
	struct day_fig x;
	int n = 0;

	u = add_user(f, f->t.id, "u@example.com");
	v = add_user(f, f->t.id, "v@example.com");
	x = today(f, f->t.id);
	assert_int_equal(x.device_licensed, 0);
	assert_int_equal(x.device_users, 0);

	set_licensed(f, f->t.id, 30);
	x = today(f, f->t.id);
	assert_int_equal(x.device_licensed, 30);
	assert_int_equal(x.device_users, 0);
	give(f, f->t.id, u.id);
	give(f, f->t.id, v.id);
	x = today(f, f->t.id);
	assert_int_equal(x.device_users, 2);
	assert_int_equal(idg_store_user_device_license(f->s, f->t.id, v.id, false, f->now, NULL,
	    NULL), IDG_OK);
	x = today(f, f->t.id);
	assert_int_equal(x.device_users, 1);
	assert_int_equal(x.in_use_end, 2);	/* the ID figures are untouched */
	set_licensed(f, f->t.id, 10);
	x = today(f, f->t.id);
	assert_int_equal(x.device_licensed, 10);
	assert_int_equal(x.device_users, 1);

	/* A refused change writes nothing. */
	assert_int_equal(idg_store_device_settings_set(f->s, f->t.id,
	    &(struct idg_device_settings){ .licensed = 0 }, f->now, NULL, NULL), IDG_DECLINED);
	x = today(f, f->t.id);
	assert_int_equal(x.device_licensed, 10);

	/* The daily snapshot writes the device figures too (changed behind the store). */
	assert_int_equal(sql_exec(f->path, "UPDATE tenants SET device_licensed = 40 WHERE"
	    " company_id = 'acme'; UPDATE users SET device_license = 1"), SQLITE_OK);
	assert_int_equal(idg_store_license_snapshot(f->s, f->now, &n), IDG_OK);
	assert_int_equal(n, 2);
	x = today(f, f->t.id);
	assert_int_equal(x.device_licensed, 40);
	assert_int_equal(x.device_users, 2);	/* service accounts never count */
	x = today(f, f->t2.id);
	assert_int_equal(x.device_licensed, 0);
	assert_int_equal(x.device_users, 0);
}

/* ---- pre-registered devices and requests ----------------------------------- */

static void
test_prereg(void **state)
{
	struct fx *f = *state;
	bool match = true;

	assert_int_equal(idg_store_device_prereg_add(f->s, f->t.id, "Alice@Example.COM",
	    "windows", "AA:BB:CC:00:11:22"), IDG_OK);
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t.id, "alice@example.com",
	    "AA:BB:CC:00:11:22", &match), IDG_OK);
	assert_true(match);
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t.id, "ALICE@example.com",
	    "AA:BB:CC:00:11:22", &match), IDG_OK);
	assert_true(match);

	/* Another user, another device, another tenant: no match. */
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t.id, "bob@example.com",
	    "AA:BB:CC:00:11:22", &match), IDG_OK);
	assert_false(match);
	match = true;
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t.id, "alice@example.com",
	    "AA:BB:CC:00:11:23", &match), IDG_OK);
	assert_false(match);
	match = true;
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t2.id, "alice@example.com",
	    "AA:BB:CC:00:11:22", &match), IDG_OK);
	assert_false(match);
	match = true;
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t.id, "alice@example.com", "",
	    &match), IDG_OK);
	assert_false(match);
	match = true;
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t.id, "not an address",
	    "AA:BB:CC:00:11:22", &match), IDG_OK);
	assert_false(match);

	/* An identifier belongs to one user of the tenant. */
	assert_int_equal(idg_store_device_prereg_add(f->s, f->t.id, "bob@example.com", "",
	    "AA:BB:CC:00:11:22"), IDG_EXISTS);
	assert_int_equal(idg_store_device_prereg_add(f->s, f->t2.id, "bob@example.com", NULL,
	    "AA:BB:CC:00:11:22"), IDG_OK);
	assert_int_equal(idg_store_device_prereg_add(f->s, f->t.id, "not an address", "",
	    "X1"), IDG_INVALID);
	assert_int_equal(idg_store_device_prereg_add(f->s, f->t.id, "bob@example.com", "", ""),
	    IDG_INVALID);
	assert_int_equal(idg_store_device_prereg_add(f->s, 9999, "bob@example.com", "", "X1"),
	    IDG_NOTFOUND);
	assert_int_equal(idg_store_device_prereg_match(f->s, f->t.id, "a@example.com", "X",
	    NULL), IDG_INVALID);
}

struct req_seen {
	int	n;
	int64_t	id[8];
};

static int
collect_req(void *arg, const struct idg_device_request *r)
{
	struct req_seen *s = arg;

	if (s->n < 8)
		s->id[s->n] = r->id;
	s->n++;
	return 0;
}

static struct idg_device_request
request(int64_t tenant_id, int64_t user_id, const char *device_id)
{
	struct idg_device_request r;

	memset(&r, 0, sizeof(r));
	r.tenant_id = tenant_id;
	r.user_id = user_id;
	snprintf(r.device_id, sizeof(r.device_id), "%s", device_id);
	snprintf(r.device_name, sizeof(r.device_name), "Phone");
	snprintf(r.device_type, sizeof(r.device_type), "ios");
	snprintf(r.device_identifier, sizeof(r.device_identifier), "SN-%s", device_id);
	return r;
}

static void
test_requests(void **state)
{
	struct fx *f = *state;
	struct idg_device_request a, b, got;
	struct req_seen seen;
	struct idg_user u;
	uint8_t *d = NULL;
	size_t dlen = 0;

	u = add_user(f, f->t.id, "u@example.com");
	a = request(f->t.id, u.id, "phone-1");
	b = request(f->t.id, u.id, "phone-2");
	assert_int_equal(idg_store_device_request_add(f->s, &a, csr, sizeof(csr)), IDG_OK);
	assert_int_equal(idg_store_device_request_add(f->s, &b, csr, sizeof(csr)), IDG_OK);
	assert_true(a.id > 0);
	assert_true(b.id > a.id);
	assert_true(a.created_at > 0);

	assert_int_equal(idg_store_device_request_get(f->s, f->t.id, a.id, &got, &d, &dlen),
	    IDG_OK);
	assert_int_equal(got.user_id, u.id);
	assert_string_equal(got.device_id, "phone-1");
	assert_string_equal(got.device_name, "Phone");
	assert_string_equal(got.device_type, "ios");
	assert_string_equal(got.device_identifier, "SN-phone-1");
	assert_int_equal(got.status, 0);
	assert_int_equal(dlen, sizeof(csr));
	assert_memory_equal(d, csr, sizeof(csr));
	free(d);
	/* Without the CSR; another tenant's request is not found. */
	assert_int_equal(idg_store_device_request_get(f->s, f->t.id, b.id, &got, NULL, NULL),
	    IDG_OK);
	assert_int_equal(idg_store_device_request_get(f->s, f->t2.id, a.id, &got, NULL, NULL),
	    IDG_NOTFOUND);

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idg_store_device_request_list(f->s, f->t.id, collect_req, &seen),
	    IDG_OK);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.id[0], a.id);
	assert_int_equal(seen.id[1], b.id);

	/* Decided once: approval names the certificate, a second decision is declined. */
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, a.id, 1, NULL, "admin",
	    f->now), IDG_INVALID);
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, a.id, 1,
	    "00000000000000000000000000abcdef", "admin@example.com", f->now), IDG_OK);
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, a.id, 2, NULL, "admin",
	    f->now), IDG_DECLINED);
	assert_int_equal(idg_store_device_request_get(f->s, f->t.id, a.id, &got, NULL, NULL),
	    IDG_OK);
	assert_int_equal(got.status, 1);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM device_requests WHERE status = 1"
	    " AND serial = '00000000000000000000000000abcdef' AND decided_by ="
	    " 'admin@example.com' AND decided_at > 0"), 1);

	/* Another tenant cannot decide it; unknown ids and statuses are refused. */
	assert_int_equal(idg_store_device_request_decide(f->s, f->t2.id, b.id, 2, NULL, "x",
	    f->now), IDG_NOTFOUND);
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, 99999, 2, NULL, "x",
	    f->now), IDG_NOTFOUND);
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, b.id, 0, NULL, "x",
	    f->now), IDG_INVALID);
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, b.id, 3, NULL, "x",
	    f->now), IDG_INVALID);
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, b.id, 2, NULL, "x",
	    f->now), IDG_OK);
	assert_int_equal(idg_store_device_request_decide(f->s, f->t.id, b.id, 2, NULL, "x",
	    f->now), IDG_DECLINED);

	/* Nothing left pending. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(idg_store_device_request_list(f->s, f->t.id, collect_req, &seen),
	    IDG_OK);
	assert_int_equal(seen.n, 0);

	/* A request names a user of the tenant, a device id and a CSR. */
	a = request(f->t2.id, u.id, "phone-3");
	assert_int_equal(idg_store_device_request_add(f->s, &a, csr, sizeof(csr)), IDG_NOTFOUND);
	a = request(f->t.id, u.id, "");
	assert_int_equal(idg_store_device_request_add(f->s, &a, csr, sizeof(csr)), IDG_INVALID);
	a = request(f->t.id, u.id, "phone-4");
	assert_int_equal(idg_store_device_request_add(f->s, &a, NULL, 0), IDG_INVALID);
}

/* ---- OIDC clients ------------------------------------------------------------- */

static int
client_flag(void *arg, const struct idg_oidc_client *c)
{
	int *flags = arg;

	/* bit 0: "dev" has the flag; bit 1: "plain" has it. */
	if (strcmp(c->client_id, "dev") == 0 && c->device_required)
		*flags |= 1;
	if (strcmp(c->client_id, "plain") == 0 && c->device_required)
		*flags |= 2;
	return 0;
}

static void
test_oidc_device_required(void **state)
{
	struct fx *f = *state;
	struct idg_oidc_client *c = calloc(1, sizeof(*c)), *got = calloc(1, sizeof(*got));
	int flags = 0;

	assert_non_null(c);
	assert_non_null(got);
	c->tenant_id = f->t.id;
	snprintf(c->client_id, sizeof(c->client_id), "dev");
	snprintf(c->name, sizeof(c->name), "Device app");
	c->device_required = true;
	assert_int_equal(idg_store_oidc_client_add(f->s, c), IDG_OK);
	memset(c, 0, sizeof(*c));
	c->tenant_id = f->t.id;
	snprintf(c->client_id, sizeof(c->client_id), "plain");
	snprintf(c->name, sizeof(c->name), "Plain app");
	assert_int_equal(idg_store_oidc_client_add(f->s, c), IDG_OK);

	assert_int_equal(idg_store_oidc_client_get(f->s, f->t.id, "dev", got), IDG_OK);
	assert_true(got->device_required);
	assert_true(got->created_at > 0);	/* the column after it still reads right */
	assert_int_equal(idg_store_oidc_client_get(f->s, f->t.id, "plain", got), IDG_OK);
	assert_false(got->device_required);
	assert_int_equal(idg_store_oidc_client_list(f->s, f->t.id, client_flag, &flags), IDG_OK);
	assert_int_equal(flags, 1);
	free(c);
	free(got);
}

/* ---- deleted users, cancellation ----------------------------------------------- */

static void
test_user_deleted(void **state)
{
	struct fx *f = *state;
	struct idg_license_numbers lic;
	struct idg_devcert a, b, r, got;
	struct idg_device_settings ds;
	struct idg_user u, v;
	struct day_fig x;
	bool on = true;

	set_licensed(f, f->t.id, 10);
	u = add_user(f, f->t.id, "u@example.com");
	v = add_user(f, f->t.id, "v@example.com");
	give(f, f->t.id, u.id);
	give(f, f->t.id, v.id);
	assert_int_equal(add_valid(f, f->t.id, u.id, &a, NULL, NULL), IDG_OK);
	assert_int_equal(add_valid(f, f->t.id, u.id, &b, NULL, NULL), IDG_OK);
	assert_int_equal(add_valid(f, f->t.id, u.id, &r, NULL, NULL), IDG_OK);
	assert_int_equal(idg_store_devcert_revoke(f->s, f->t.id, r.serial, 0, "admin", f->now),
	    IDG_OK);
	assert_int_equal(add_valid(f, f->t.id, v.id, NULL, NULL, NULL), IDG_OK);

	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_DELETED, &lic),
	    IDG_OK);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, a.serial, &got), IDG_OK);
	assert_int_equal(got.status, IDG_DEVCERT_REVOKED);
	assert_string_equal(got.revoked_by, "user_deleted");
	assert_true(got.revoked_at > 0);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, b.serial, &got), IDG_OK);
	assert_int_equal(got.status, IDG_DEVCERT_REVOKED);
	/* The one revoked before keeps its record. */
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, r.serial, &got), IDG_OK);
	assert_string_equal(got.revoked_by, "admin");
	/* The option is freed with the license; the other user keeps theirs. */
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t.id, u.id, &on), IDG_OK);
	assert_false(on);
	assert_int_equal(idg_store_device_settings_get(f->s, f->t.id, &ds), IDG_OK);
	assert_int_equal(ds.assigned, 1);
	x = today(f, f->t.id);
	assert_int_equal(x.device_users, 1);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM device_certs WHERE status = 0"),
	    1);

	/* Reactivated, the user has neither the option nor certificates back. */
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, u.id, IDG_USER_ACTIVE, &lic),
	    IDG_OK);
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t.id, u.id, &on), IDG_OK);
	assert_false(on);
	assert_int_equal(idg_store_devcert_get(f->s, f->t.id, a.serial, &got), IDG_OK);
	assert_int_equal(got.status, IDG_DEVCERT_REVOKED);

	/* Suspending is not deleting: certificates and option stay. */
	assert_int_equal(idg_store_user_set_status(f->s, f->t.id, v.id, IDG_USER_SUSPENDED, &lic),
	    IDG_OK);
	assert_int_equal(idg_store_user_has_device_license(f->s, f->t.id, v.id, &on), IDG_OK);
	assert_true(on);
	assert_int_equal(sql_int(f->path, "SELECT COUNT(*) FROM device_certs WHERE status = 0"),
	    1);
}

static void
test_cancel_purges(void **state)
{
	static const char *const tables[] = { "device_certs", "device_requests",
	    "device_prereg", "tenant_ca" };
	struct fx *f = *state;
	struct idg_device_request rq;
	struct idg_tenant_ca *ca = calloc(1, sizeof(*ca));
	struct idg_user u[2];
	struct idg_device_settings ds;
	char sql[160];
	int64_t tid[2];
	size_t i;
	int k;

	assert_non_null(ca);
	tid[0] = f->t.id;
	tid[1] = f->t2.id;
	for (k = 0; k < 2; k++) {
		set_licensed(f, tid[k], 10);
		u[k] = add_user(f, tid[k], "u@example.com");
		give(f, tid[k], u[k].id);
		assert_int_equal(add_valid(f, tid[k], u[k].id, NULL, NULL, NULL), IDG_OK);
		rq = request(tid[k], u[k].id, "phone");
		assert_int_equal(idg_store_device_request_add(f->s, &rq, csr, sizeof(csr)),
		    IDG_OK);
		assert_int_equal(idg_store_device_prereg_add(f->s, tid[k], "u@example.com", "",
		    "X1"), IDG_OK);
		memset(ca, 0, sizeof(*ca));
		ca->tenant_id = tid[k];
		snprintf(ca->key_sealed, sizeof(ca->key_sealed), "sealed");
		memcpy(ca->cert_der, der, sizeof(der));
		ca->cert_len = sizeof(der);
		assert_int_equal(idg_store_ca_put(f->s, ca), IDG_OK);
		assert_int_equal(idg_store_crl_put(f->s, tid[k], der, sizeof(der), 1, f->now),
		    IDG_OK);
	}

	assert_int_equal(idg_store_tenant_cancel(f->s, "acme", f->now), IDG_OK);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		for (k = 0; k < 2; k++) {
			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s WHERE tenant_id = %lld",
			    tables[i], (long long)tid[k]);
			assert_int_equal(sql_int(f->path, sql), k == 0 ? 0 : 1);
		}
	}
	/* The billing rows stay, with the figures at the cancellation. */
	snprintf(sql, sizeof(sql), "SELECT device_licensed FROM license_daily WHERE"
	    " tenant_id = %lld ORDER BY day DESC LIMIT 1", (long long)tid[0]);
	assert_int_equal(sql_int(f->path, sql), 10);

	/* The cancelled tenant's option is closed like its pool. */
	memset(&ds, 0, sizeof(ds));
	ds.licensed = 20;
	assert_int_equal(idg_store_device_settings_set(f->s, tid[0], &ds, f->now, NULL, NULL),
	    IDG_NOTFOUND);
	ca->tenant_id = tid[0];
	assert_int_equal(idg_store_ca_put(f->s, ca), IDG_NOTFOUND);
	assert_int_equal(idg_store_device_prereg_add(f->s, tid[0], "u@example.com", "", "X2"),
	    IDG_NOTFOUND);
	assert_int_equal(add_valid(f, tid[0], u[0].id, NULL, NULL, NULL), IDG_NOTFOUND);
	free(ca);
}

/* ---- the migration ------------------------------------------------------------------ */

/*
 * Migration 0009 on a database made by 0001-0008 holding a tenant, users,
 * a client and a license row: the new columns read as their defaults, the
 * option then works, and the schema refuses what the store would.
 */
static void
test_migration_0009(void **state)
{
	struct idg_oidc_client *c = calloc(1, sizeof(*c));
	struct idg_device_settings ds;
	struct idg_store *s;
	struct idg_user u;
	char dir[64], path[128], cmd[128];
	sqlite3 *db;
	int64_t g0, g1;
	bool on = true;
	int applied = 0, cur = 0, latest = 0;

	(void)state;
	assert_non_null(c);
	snprintf(dir, sizeof(dir), "/tmp/idg-dev-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/idgate.db", dir);
	s = open_store(path);
	assert_true(idg_nmigrations > 8);
	assert_int_equal(idg_migrations[8].version, 9);
	assert_int_equal(s->ops->migrate(s, idg_migrations, 8, &applied), IDG_OK);
	assert_int_equal(applied, 8);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO tenants (id, company_id, name,"
	    " contracted_ids, status, created_at) VALUES (1, 'acme', 'Acme', 20, 1, 500);"
	    "INSERT INTO users (id, tenant_id, email, password_hash, created_at, updated_at)"
	    " VALUES (7, 1, 'h@example.com', '" HASH "', 1000, 1000);"
	    "INSERT INTO oidc_clients (tenant_id, client_id, name, created_at)"
	    " VALUES (1, 'app', 'App', 1000);"
	    "INSERT INTO license_daily (tenant_id, day, contracted_ids, in_use_peak, in_use_end)"
	    " VALUES (1, '2026-01-05', 20, 1, 1);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(idg_store_migrate(s, &applied), IDG_OK);
	assert_int_equal(applied, idg_nmigrations - 8);
	assert_int_equal(idg_store_schema_version(s, &cur, &latest), IDG_OK);
	assert_int_equal(cur, latest);

	/* Defaults. */
	assert_int_equal(idg_store_device_settings_get(s, 1, &ds), IDG_OK);
	assert_int_equal(ds.licensed, 0);
	assert_int_equal(ds.assigned, 0);
	assert_false(ds.required);
	assert_true(ds.exempt_admins);
	assert_false(ds.approval);
	assert_int_equal(idg_store_user_has_device_license(s, 1, 7, &on), IDG_OK);
	assert_false(on);
	assert_int_equal(idg_store_oidc_client_get(s, 1, "app", c), IDG_OK);
	assert_false(c->device_required);
	assert_int_equal(idg_store_user_get(s, 1, 7, &u), IDG_OK);
	assert_int_equal(sql_int(path, "SELECT device_licensed + device_users FROM license_daily"
	    " WHERE day = '2026-01-05'"), 0);

	/* The option works on the migrated data, and who holds it reloads the snapshot. */
	memset(&ds, 0, sizeof(ds));
	ds.licensed = 10;
	assert_int_equal(idg_store_device_settings_set(s, 1, &ds, idg_now(), NULL, NULL), IDG_OK);
	assert_int_equal(idg_store_generation(s, &g0), IDG_OK);
	assert_int_equal(idg_store_user_device_license(s, 1, 7, true, idg_now(), NULL, NULL),
	    IDG_OK);
	assert_int_equal(idg_store_generation(s, &g1), IDG_OK);
	assert_true(g1 > g0);
	/* The old trigger's columns still bump it; sign-in bookkeeping still does not. */
	assert_int_equal(sql_exec(path, "UPDATE users SET last_sign_in_at = 5 WHERE id = 7"),
	    SQLITE_OK);
	assert_int_equal(idg_store_generation(s, &g0), IDG_OK);
	assert_int_equal(g0, g1);
	assert_int_equal(sql_exec(path, "UPDATE users SET display_name = 'H' WHERE id = 7"),
	    SQLITE_OK);
	assert_int_equal(idg_store_generation(s, &g0), IDG_OK);
	assert_true(g0 > g1);

	/* The schema repeats the single-row rules. */
	assert_int_not_equal(sql_exec(path, "UPDATE tenants SET device_licensed = 15"), SQLITE_OK);
	assert_int_not_equal(sql_exec(path, "UPDATE tenants SET device_licensed = -10"),
	    SQLITE_OK);
	assert_int_not_equal(sql_exec(path, "UPDATE users SET device_license = 2"), SQLITE_OK);
	assert_int_not_equal(sql_exec(path, "PRAGMA foreign_keys = ON; INSERT INTO device_certs"
	    " (tenant_id, user_id, serial, device_id, not_before, not_after, cert_der,"
	    " created_at) VALUES (1, 7, 'ab', 'd', 10, 10, x'30', 1)"), SQLITE_OK);
	assert_int_equal(sql_exec(path, "PRAGMA foreign_keys = ON; INSERT INTO device_certs"
	    " (tenant_id, user_id, serial, device_id, not_before, not_after, cert_der,"
	    " created_at) VALUES (1, 7, 'ab', 'd', 10, 11, x'30', 1)"), SQLITE_OK);
	assert_int_not_equal(sql_exec(path, "INSERT INTO device_certs (tenant_id, user_id,"
	    " serial, device_id, not_before, not_after, cert_der, created_at)"
	    " VALUES (1, 7, 'ab', 'e', 10, 11, x'30', 1)"), SQLITE_OK);

	idg_store_free(s);
	free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devcert_add_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_crl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_license_daily, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prereg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oidc_device_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_purges, setup, teardown),
		cmocka_unit_test(test_migration_0009),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
