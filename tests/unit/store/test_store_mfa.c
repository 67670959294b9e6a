/*
 * test_store_mfa.c - the second-factor and tenant-policy operations of the
 * SQLite store (migration 0005) against a real database file: enrolment
 * (begin, confirm), replayed time steps refused (also between racing
 * processes), single-use recovery codes, the admin reset, tenant
 * isolation, policy get/set, and which writes bump the generation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/store/store.h"
#include "gateway/util/status.h"

#define HASH "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define SEALED "v1.AAECAwQFBgcICQoL.WZBwiRLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2"
#define SEALED2 "v1.AAECAwQFBgcICQoM.WZBwiRLsUt9wB8uY2fOT0aO0GszSb55GbqD_210YgJAIYq_2"

struct fx {
	char			 dir[64];
	char			 path[128];
	struct idg_store	*s;
	struct idg_tenant	 t, t2;
	struct idg_user		 u, u2, other;	/* u, u2 in t; other in t2 */
	char			 hashes[10][65];
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
	struct idg_license_numbers lic;
	struct fx *f = calloc(1, sizeof(*f));
	int i;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-mfa-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/idgate.db", f->dir);
	assert_int_equal(open_at(f->path, &f->s), IDG_OK);
	assert_int_equal(idg_store_migrate(f->s, NULL), IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "acme", "Acme", 20, HASH, HASH, &f->t),
	    IDG_OK);
	assert_int_equal(idg_store_tenant_create(f->s, "beta", "Beta", 20, HASH, HASH, &f->t2),
	    IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "a@example.com", "", HASH, false,
	    &lic, &f->u), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t.id, "b@example.com", "", HASH, false,
	    &lic, &f->u2), IDG_OK);
	assert_int_equal(idg_store_user_add(f->s, f->t2.id, "a@example.com", "", HASH, false,
	    &lic, &f->other), IDG_OK);
	for (i = 0; i < 10; i++)
		snprintf(f->hashes[i], sizeof(f->hashes[i]), "%064x", i + 1);
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

/* Enrols f->u: begin + confirm at step. */
static void
enrol(struct fx *f, int64_t step)
{
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, SEALED), IDG_OK);
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, step,
	    (const char (*)[65])f->hashes, 10), IDG_OK);
}

static void
test_enrolment(void **state)
{
	struct fx *f = *state;
	struct idg_user_mfa m;
	int64_t g0;

	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_NOTFOUND);
	g0 = gen(f);
	/* An unconfirmed secret is not in the snapshot: no generation bump. */
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, SEALED), IDG_OK);
	assert_int_equal(gen(f), g0);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_int_equal(m.user_id, f->u.id);
	assert_string_equal(m.totp_sealed, SEALED);
	assert_false(m.confirmed);
	assert_int_equal(m.last_step, 0);
	assert_int_equal(m.recovery_left, 0);
	assert_true(m.updated_at > 0);
	/* Starting again replaces the unconfirmed secret. */
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, SEALED2), IDG_OK);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_string_equal(m.totp_sealed, SEALED2);
	assert_int_equal(gen(f), g0);
	/* Confirming makes the user enrolled: the snapshot must reload. */
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 1000,
	    (const char (*)[65])f->hashes, 10), IDG_OK);
	assert_true(gen(f) > g0);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_true(m.confirmed);
	assert_int_equal(m.last_step, 1000);
	assert_int_equal(m.recovery_left, 10);
	assert_string_equal(m.totp_sealed, SEALED2);
	/* A confirmed secret is replaced only through a reset. */
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, SEALED), IDG_EXISTS);
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 1001,
	    (const char (*)[65])f->hashes, 10), IDG_EXISTS);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_string_equal(m.totp_sealed, SEALED2);
	assert_int_equal(m.last_step, 1000);
	/* Confirm without a pending secret. */
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u2.id, 5,
	    (const char (*)[65])f->hashes, 10), IDG_NOTFOUND);
}

static void
test_invalid(void **state)
{
	struct fx *f = *state;
	struct idg_user_mfa m;
	char longtext[300], bad[2][65];

	memset(longtext, 'a', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, ""), IDG_INVALID);
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, NULL), IDG_INVALID);
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, longtext), IDG_INVALID);
	longtext[255] = '\0';
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, longtext), IDG_OK);
	/* Hashes: 64 lower-case hex digits, no duplicates; a bad batch changes nothing. */
	memcpy(bad[0], f->hashes[0], 65);
	memcpy(bad[1], f->hashes[1], 65);
	bad[1][3] = 'A';
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 7,
	    (const char (*)[65])bad, 2), IDG_INVALID);
	bad[1][3] = '\0';
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 7,
	    (const char (*)[65])bad, 2), IDG_INVALID);
	memcpy(bad[1], f->hashes[0], 65);
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 7,
	    (const char (*)[65])bad, 2), IDG_INVALID);
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, -1,
	    (const char (*)[65])f->hashes, 2), IDG_INVALID);
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 7,
	    (const char (*)[65])f->hashes, IDG_MFA_MAX_RECOVERY + 1), IDG_INVALID);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_false(m.confirmed);
	assert_int_equal(m.recovery_left, 0);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, "abc"), IDG_INVALID);
	/* Zero recovery codes is allowed. */
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 7, NULL, 0), IDG_OK);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_true(m.confirmed);
	assert_int_equal(m.recovery_left, 0);
}

static void
test_use_step(void **state)
{
	struct fx *f = *state;
	struct idg_user_mfa m;
	int64_t g0;

	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 50), IDG_NOTFOUND);
	enrol(f, 1000);
	g0 = gen(f);
	/* The enrolment code's step and older ones are replays. */
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 1000), IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 999), IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 0), IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 1001), IDG_OK);
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 1001), IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 1000), IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 1003), IDG_OK);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_int_equal(m.last_step, 1003);
	/* A TOTP sign-in is bookkeeping: no directory reload. */
	assert_int_equal(gen(f), g0);
	/* Another tenant's id for the same user is not this user. */
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t2.id, f->u.id, 2000), IDG_NOTFOUND);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_int_equal(m.last_step, 1003);
}

/* Several processes present the same code at once: exactly one wins. */
static void
test_use_step_race(void **state)
{
	struct fx *f = *state;
	pid_t pid[4];
	int i, ok = 0, declined = 0;

	enrol(f, 1000);
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct idg_store *s;
			int st;

			if (open_at(f->path, &s) != IDG_OK)
				_exit(10);
			st = idg_store_mfa_use_step(s, f->t.id, f->u.id, 1001);
			idg_store_free(s);
			_exit(st == IDG_OK ? 0 : st == IDG_DECLINED ? 1 : 11);
		}
	}
	for (i = 0; i < 4; i++) {
		int ws = 0;

		assert_int_equal(waitpid(pid[i], &ws, 0), pid[i]);
		assert_true(WIFEXITED(ws));
		if (WEXITSTATUS(ws) == 0)
			ok++;
		else if (WEXITSTATUS(ws) == 1)
			declined++;
	}
	assert_int_equal(ok, 1);
	assert_int_equal(declined, 3);
}

static void
test_recovery(void **state)
{
	struct fx *f = *state;
	struct idg_user_mfa m;
	int64_t g0;

	/* Before enrolment there is nothing to use. */
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, f->hashes[0]),
	    IDG_DECLINED);
	enrol(f, 1000);
	g0 = gen(f);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, f->hashes[3]),
	    IDG_OK);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, f->hashes[3]),
	    IDG_DECLINED);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_int_equal(m.recovery_left, 9);
	assert_int_equal(gen(f), g0);
	/* Unknown code; another user's or tenant's view of the same code. */
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id,
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"), IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u2.id, f->hashes[4]),
	    IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t2.id, f->u.id, f->hashes[4]),
	    IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, f->hashes[4]),
	    IDG_OK);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_int_equal(m.recovery_left, 8);
}

static void
test_reset(void **state)
{
	struct fx *f = *state;
	struct idg_user_mfa m;
	int64_t g0;

	assert_int_equal(idg_store_mfa_reset(f->s, f->t.id, f->u.id), IDG_NOTFOUND);
	/* Resetting an unconfirmed secret: not in the snapshot, no bump. */
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, SEALED), IDG_OK);
	g0 = gen(f);
	assert_int_equal(idg_store_mfa_reset(f->s, f->t.id, f->u.id), IDG_OK);
	assert_int_equal(gen(f), g0);
	enrol(f, 1000);
	g0 = gen(f);
	/* Another tenant cannot reset this user. */
	assert_int_equal(idg_store_mfa_reset(f->s, f->t2.id, f->u.id), IDG_NOTFOUND);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_int_equal(idg_store_mfa_reset(f->s, f->t.id, f->u.id), IDG_OK);
	assert_true(gen(f) > g0);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_NOTFOUND);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, f->hashes[0]),
	    IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_step(f->s, f->t.id, f->u.id, 5000), IDG_NOTFOUND);
	assert_int_equal(idg_store_mfa_reset(f->s, f->t.id, f->u.id), IDG_NOTFOUND);
	/* Enrolling again starts clean: old codes are gone, the new ones count. */
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, f->u.id, SEALED2), IDG_OK);
	assert_int_equal(idg_store_mfa_confirm(f->s, f->t.id, f->u.id, 10,
	    (const char (*)[65])f->hashes + 5, 5), IDG_OK);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u.id, &m), IDG_OK);
	assert_int_equal(m.recovery_left, 5);
	assert_int_equal(m.last_step, 10);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, f->hashes[0]),
	    IDG_DECLINED);
	assert_int_equal(idg_store_mfa_use_recovery(f->s, f->t.id, f->u.id, f->hashes[5]),
	    IDG_OK);
}

static void
test_tenant_isolation(void **state)
{
	struct fx *f = *state;
	struct idg_user_mfa m;

	/* f->u belongs to t, not t2. */
	assert_int_equal(idg_store_mfa_begin(f->s, f->t2.id, f->u.id, SEALED), IDG_NOTFOUND);
	assert_int_equal(idg_store_mfa_begin(f->s, f->t.id, 999999, SEALED), IDG_NOTFOUND);
	enrol(f, 1000);
	assert_int_equal(idg_store_mfa_get(f->s, f->t2.id, f->u.id, &m), IDG_NOTFOUND);
	assert_int_equal(idg_store_mfa_get(f->s, f->t2.id, f->other.id, &m), IDG_NOTFOUND);
	assert_int_equal(idg_store_mfa_get(f->s, f->t.id, f->u2.id, &m), IDG_NOTFOUND);
}

static void
test_policy(void **state)
{
	struct fx *f = *state;
	char *text = (char *)1, *big;
	bool req = true;
	int64_t g0;

	assert_int_equal(idg_store_policy_get(f->s, f->t.id, &text, &req), IDG_OK);
	assert_null(text);
	assert_false(req);
	g0 = gen(f);
	assert_int_equal(idg_store_policy_set(f->s, f->t.id, "rule a\n  allow\n", -1), IDG_OK);
	assert_true(gen(f) > g0);
	assert_int_equal(idg_store_policy_get(f->s, f->t.id, &text, &req), IDG_OK);
	assert_string_equal(text, "rule a\n  allow\n");
	assert_false(req);
	free(text);
	/* Only the flag: the text is kept. */
	g0 = gen(f);
	assert_int_equal(idg_store_policy_set(f->s, f->t.id, NULL, 1), IDG_OK);
	assert_true(gen(f) > g0);
	assert_int_equal(idg_store_policy_get(f->s, f->t.id, &text, &req), IDG_OK);
	assert_string_equal(text, "rule a\n  allow\n");
	assert_true(req);
	free(text);
	/* Only the text: the flag is kept. */
	assert_int_equal(idg_store_policy_set(f->s, f->t.id, "rule b\n", -1), IDG_OK);
	assert_int_equal(idg_store_policy_get(f->s, f->t.id, &text, &req), IDG_OK);
	assert_string_equal(text, "rule b\n");
	assert_true(req);
	free(text);
	/* The other tenant is untouched. */
	assert_int_equal(idg_store_policy_get(f->s, f->t2.id, &text, &req), IDG_OK);
	assert_null(text);
	assert_false(req);
	/* "" removes the text. */
	g0 = gen(f);
	assert_int_equal(idg_store_policy_set(f->s, f->t.id, "", 0), IDG_OK);
	assert_true(gen(f) > g0);
	assert_int_equal(idg_store_policy_get(f->s, f->t.id, &text, &req), IDG_OK);
	assert_null(text);
	assert_false(req);
	/* The flag alone on a tenant without settings. */
	assert_int_equal(idg_store_policy_set(f->s, f->t2.id, NULL, 1), IDG_OK);
	assert_int_equal(idg_store_policy_get(f->s, f->t2.id, &text, &req), IDG_OK);
	assert_null(text);
	assert_true(req);
	/* Refusals change nothing and bump nothing. */
	g0 = gen(f);
	assert_int_equal(idg_store_policy_set(f->s, 999999, "x", 1), IDG_NOTFOUND);
	assert_int_equal(idg_store_policy_set(f->s, f->t.id, "x", 2), IDG_INVALID);
	assert_int_equal(idg_store_policy_set(f->s, f->t.id, "x", -2), IDG_INVALID);
	big = malloc(IDG_POLICY_TEXT_MAX + 2);
	assert_non_null(big);
	memset(big, '#', IDG_POLICY_TEXT_MAX + 1);
	big[IDG_POLICY_TEXT_MAX + 1] = '\0';
	assert_int_equal(idg_store_policy_set(f->s, f->t.id, big, -1), IDG_INVALID);
	free(big);
	assert_int_equal(gen(f), g0);
	assert_int_equal(idg_store_policy_get(f->s, f->t.id, &text, &req), IDG_OK);
	assert_null(text);
	assert_int_equal(idg_store_policy_get(f->s, f->t.id, NULL, &req), IDG_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enrolment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_use_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_use_step_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenant_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
