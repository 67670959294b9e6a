/*
 * test_cli_policy.c - `idgate policy set|show|require-mfa|test` and
 * `user reset-mfa` run in-process through idg_cli_run against a real SQLite
 * file: an invalid policy is refused with the parser's line number and
 * nothing stored, the stored text round-trips, decisions for allow, deny
 * and default cases with local and explicit-offset times, the holiday
 * override file next to the config, the generation bump, the audit trail,
 * and the usage errors.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/cli/cli.h"
#include "cli_fixture.h"
#include "gateway/config/config.h"
#include "gateway/store/store.h"
#include "gateway/util/status.h"
#include "idp-adapters/local/password.h"

/* Lines: 1 comment, 2 timezone, 3 default, 4 office, 5 vpn, 6 hours. */
#define POLICY \
	"# access policy of acme\n" \
	"timezone Asia/Tokyo\n" \
	"default deny\n" \
	"rule office: allow when ip in 10.0.0.0/8\n" \
	"rule vpn: deny when group in contractors and ip not in 10.0.0.0/8\n" \
	"rule hours: allow when time in mon-fri 09:00-18:00\n"

static struct idg_store *
store_open(void)
{
	struct idg_store_config sc = { "sqlite", F->cfg.sqlite_path, 5000 };
	struct idg_store *s = NULL;

	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	return s;
}

static int64_t
generation(void)
{
	struct idg_store *s = store_open();
	int64_t g = -1;

	assert_int_equal(idg_store_generation(s, &g), IDG_OK);
	idg_store_free(s);
	return g;
}

/* Migrated store, tenant acme, users a (staff) and c (contractors). */
static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-clipol-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memset(&f->cfg, 0, sizeof(f->cfg));
	snprintf(f->cfg.path, sizeof(f->cfg.path), "%s/idgate.conf", f->dir);
	snprintf(f->cfg.store_driver, sizeof(f->cfg.store_driver), "sqlite");
	snprintf(f->cfg.sqlite_path, sizeof(f->cfg.sqlite_path), "%s/idgate.db", f->dir);
	snprintf(f->cfg.holidays_override_file, sizeof(f->cfg.holidays_override_file),
	    "%s/holidays-override.txt", f->dir);
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
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "a@example.com",
	    NULL), 0);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "c@example.com",
	    NULL), 0);
	assert_int_equal(run("group", "add", "--tenant", "acme", "staff", NULL), 0);
	assert_int_equal(run("group", "add", "--tenant", "acme", "contractors", NULL), 0);
	assert_int_equal(run("group", "add-member", "--tenant", "acme", "staff",
	    "a@example.com", NULL), 0);
	assert_int_equal(run("group", "add-member", "--tenant", "acme", "contractors",
	    "c@example.com", NULL), 0);
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
set_policy(void)
{
	char path[128];

	write_file("policy.txt", POLICY, path, sizeof(path));
	assert_int_equal(run("policy", "set", "--tenant", "acme", path, NULL), 0);
}

static void
test_set_show(void **state)
{
	char path[128];
	int64_t g0;

	(void)state;
	assert_int_equal(run("policy", "show", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, "no policy (default allow)\n");
	assert_non_null(strstr(F->err, "tenant-wide TOTP: not required"));
	/* An invalid policy: exit 1, the parser's line, nothing stored, audited. */
	write_file("bad.txt", "timezone UTC\ndefault allow\nrule x allow when colour in red\n",
	    path, sizeof(path));
	g0 = generation();
	assert_int_equal(run("policy", "set", "--tenant", "acme", path, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: policy_invalid: "));
	assert_non_null(strstr(F->err, "line 3: "));
	assert_int_equal(generation(), g0);
	assert_int_equal(run("policy", "show", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, "no policy (default allow)\n");
	assert_int_equal(run("audit", "list", "--tenant", "acme", "--limit", "1", NULL), 0);
	assert_non_null(strstr(F->out, "policy.set"));
	assert_non_null(strstr(F->out, "policy_invalid"));
	/* A valid one is stored as written and bumps the generation. */
	write_file("policy.txt", POLICY, path, sizeof(path));
	assert_int_equal(run("policy", "set", "--tenant", "acme", path, NULL), 0);
	assert_string_equal(F->out, "policy of tenant acme set (3 rules)\n");
	assert_true(generation() > g0);
	assert_int_equal(run("policy", "show", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, POLICY);
	/* From standard input. */
	write_file("p2.txt", "default allow\nrule block: deny when ip in 192.0.2.0/24", path,
	    sizeof(path));
	assert_int_equal(run_stdin(path, "policy", "set", "--tenant", "acme", "-", NULL), 0);
	assert_int_equal(run("policy", "show", "--tenant", "acme", NULL), 0);
	assert_string_equal(F->out, "default allow\nrule block: deny when ip in 192.0.2.0/24\n");
	/* Unknown tenant, missing file, missing argument. */
	assert_int_equal(run("policy", "set", "--tenant", "nope", path, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "tenant_not_found"));
	assert_int_equal(run("policy", "set", "--tenant", "acme", "/nonexistent/p.txt", NULL),
	    IDG_EXIT_USAGE);
	assert_int_equal(run("policy", "set", "--tenant", "acme", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("policy", "frobnicate", NULL), IDG_EXIT_USAGE);
}

static void
test_decisions(void **state)
{
	(void)state;
	/* No policy: default allow. */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    NULL), 0);
	assert_non_null(strstr(F->out, "decision: allow (default)\n"));
	assert_non_null(strstr(F->out, "no policy"));
	set_policy();
	/* Allow by the office rule. */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "10.1.2.3", NULL), 0);
	assert_string_equal(F->out, "decision: allow (rule office, line 4)\n");
	/* A contractor outside the office: denied by vpn, exit 0 all the same. */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "c@example.com",
	    "--ip", "203.0.113.5", "--time", "2026-11-24T10:00", NULL), 0);
	assert_string_equal(F->out, "decision: deny (rule vpn, line 5, reason ip_not_allowed)\n");
	/* Staff outside the office: office hours decide, in the policy's zone (JST). */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "203.0.113.5", "--time", "2026-11-24T09:30", NULL), 0);
	assert_string_equal(F->out, "decision: allow (rule hours, line 6)\n");
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "203.0.113.5", "--time", "2026-11-24T00:30Z", NULL), 0);
	assert_string_equal(F->out, "decision: allow (rule hours, line 6)\n");
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "203.0.113.5", "--time", "2026-11-24T10:30:15+10:00", NULL), 0);
	assert_string_equal(F->out, "decision: allow (rule hours, line 6)\n");
	/* 08:59 JST, and 09:30 UTC (= 18:30 JST), and a Sunday: the default denies. */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "203.0.113.5", "--time", "2026-11-24T08:59", NULL), 0);
	assert_string_equal(F->out, "decision: deny (default, reason access_denied)\n");
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "203.0.113.5", "--time", "2026-11-24T09:30Z", NULL), 0);
	assert_non_null(strstr(F->out, "decision: deny (default"));
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "203.0.113.5", "--time", "2026-11-22T10:00", NULL), 0);
	assert_non_null(strstr(F->out, "decision: deny (default"));
	/* Usage errors and unknown users. */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--ip", "10.1.2", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "invalid_ip"));
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--time", "2026-02-30T10:00", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "invalid_time"));
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--time", "2026-11-24 10:00", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--time", "2026-11-24T10:00+9", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--amr", "pwd,sms", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "invalid_amr"));
	assert_int_equal(run("policy", "test", "--tenant", "acme", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "x@example.com",
	    NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "user_not_found"));
}

static void
test_amr_cert_app(void **state)
{
	char path[128];

	(void)state;
	write_file("p.txt",
	    "default allow\n"
	    "rule mfa: require totp when group in staff\n"
	    "rule dev: require cert when app in payroll\n", path, sizeof(path));
	assert_int_equal(run("policy", "set", "--tenant", "acme", path, NULL), 0);
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    NULL), 0);
	assert_string_equal(F->out, "decision: require_totp (rule mfa, line 2, reason"
	    " mfa_required)\n");
	/* TOTP done: the rule is satisfied, evaluation goes on to the default. */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--amr", "pwd,otp", NULL), 0);
	assert_string_equal(F->out, "decision: allow (default)\n");
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--amr", "pwd,otp", "--app", "payroll", NULL), 0);
	assert_string_equal(F->out, "decision: require_cert (rule dev, line 3, reason"
	    " device_certificate_required)\n");
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--amr", "pwd,otp", "--app", "payroll", "--cert", NULL), 0);
	assert_string_equal(F->out, "decision: allow (default)\n");
	/* Tenant-wide TOTP. */
	assert_int_equal(run("policy", "require-mfa", "--tenant", "acme", "on", NULL), 0);
	assert_int_equal(run("policy", "show", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->err, "tenant-wide TOTP: required"));
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "c@example.com",
	    NULL), 0);
	assert_non_null(strstr(F->out, "decision: allow (default)\n"));
	assert_non_null(strstr(F->out, "note: TOTP is required of every user"));
	assert_int_equal(run("policy", "require-mfa", "--tenant", "acme", "off", NULL), 0);
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "c@example.com",
	    NULL), 0);
	assert_string_equal(F->out, "decision: allow (default)\n");
	assert_int_equal(run("policy", "require-mfa", "--tenant", "acme", "maybe", NULL),
	    IDG_EXIT_USAGE);
	/* The policy text was kept through both flag changes. */
	assert_int_equal(run("policy", "show", "--tenant", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "rule dev: require cert when app in payroll\n"));
}

static void
test_holidays(void **state)
{
	char path[128];

	(void)state;
	write_file("p.txt", "default deny\nrule work: allow when business-day\n", path,
	    sizeof(path));
	assert_int_equal(run("policy", "set", "--tenant", "acme", path, NULL), 0);
	/* Tuesday 2026-11-24 is a business day... */
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--time", "2026-11-24T10:00", NULL), 0);
	assert_string_equal(F->out, "decision: allow (rule work, line 2)\n");
	/* ...unless the override file next to the config makes it a holiday. */
	write_file("holidays-override.txt", "2026-11-24 holiday Test day\n", path, sizeof(path));
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--time", "2026-11-24T10:00", NULL), 0);
	assert_string_equal(F->out, "decision: deny (default, reason access_denied)\n");
	/* A broken override file is an error, not silently ignored. */
	write_file("holidays-override.txt", "2026-13-01 holiday Bad\n", path, sizeof(path));
	assert_int_equal(run("policy", "test", "--tenant", "acme", "--user", "a@example.com",
	    "--time", "2026-11-24T10:00", NULL), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "holidays_invalid"));
	assert_non_null(strstr(F->err, "line 1"));
}

static void
test_reset_mfa(void **state)
{
	const char hashes[2][65] = {
		"1111111111111111111111111111111111111111111111111111111111111111",
		"2222222222222222222222222222222222222222222222222222222222222222",
	};
	struct idg_user_mfa m;
	struct idg_tenant t;
	struct idg_user u;
	struct idg_store *s = store_open();

	(void)state;
	assert_int_equal(idg_store_tenant_get(s, "acme", &t), IDG_OK);
	assert_int_equal(idg_store_user_get_by_email(s, t.id, "a@example.com", &u), IDG_OK);
	assert_int_equal(idg_store_mfa_begin(s, t.id, u.id, "v1.x.y"), IDG_OK);
	assert_int_equal(idg_store_mfa_confirm(s, t.id, u.id, 100, hashes, 2), IDG_OK);
	assert_int_equal(run("user", "show", "--tenant", "acme", "a@example.com", NULL), 0);
	assert_non_null(strstr(F->out, "totp:             enrolled (2 recovery codes left)"));
	assert_int_equal(run("user", "reset-mfa", "--tenant", "acme", "a@example.com", NULL), 0);
	assert_non_null(strstr(F->out, "TOTP of a@example.com reset"));
	assert_int_equal(idg_store_mfa_get(s, t.id, u.id, &m), IDG_NOTFOUND);
	assert_int_equal(run("audit", "list", "--tenant", "acme", "--limit", "1", NULL), 0);
	assert_non_null(strstr(F->out, "user.reset_mfa"));
	assert_int_equal(run("user", "show", "--tenant", "acme", "a@example.com", NULL), 0);
	assert_non_null(strstr(F->out, "totp:             none"));
	/* Again: nothing to reset, still exit 0. */
	assert_int_equal(run("user", "reset-mfa", "--tenant", "acme", "a@example.com", NULL), 0);
	assert_non_null(strstr(F->out, "nothing to reset"));
	assert_int_equal(run("user", "reset-mfa", "--tenant", "acme", "x@example.com", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "user_not_found"));
	assert_int_equal(run("user", "reset-mfa", "--tenant", "acme", NULL), IDG_EXIT_USAGE);
	idg_store_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decisions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_amr_cert_app, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holidays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_mfa, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
