/*
 * test_cli.c - the administrative subcommands (gateway/cli) run in-process
 * through idg_cli_run against a real SQLite file in a temporary folder,
 * with stdout and stderr captured: exit codes, the stable error codes, the
 * printed one-time passwords (checked against the stored hashes), the
 * import's all-or-nothing rule and its FILE:LINE reports, and the audit
 * trail. The config struct is filled here directly, not by config.c.
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
#include <jansson.h>

#include "gateway/cli/cli.h"
#include "cli_fixture.h"
#include "gateway/config/config.h"
#include "gateway/store/store.h"
#include "gateway/util/status.h"
#include "idp-adapters/local/password.h"

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/idg-cli-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memset(&f->cfg, 0, sizeof(f->cfg));
	snprintf(f->cfg.store_driver, sizeof(f->cfg.store_driver), "sqlite");
	snprintf(f->cfg.sqlite_path, sizeof(f->cfg.sqlite_path), "%s/idgate.db", f->dir);
	f->cfg.store_busy_timeout_ms = 5000;
	f->cfg.argon2.t_cost = 1;
	f->cfg.argon2.m_cost_kib = 64;
	f->cfg.argon2.parallelism = 1;
	idg_password_policy_default(&f->cfg.password_policy);
	F = f;
	*state = f;
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

/* Migrated store with tenant `id` of `contract` IDs. */
static void
with_tenant(const char *id, const char *contract)
{
	assert_int_equal(run("migrate", NULL), 0);
	assert_int_equal(run("tenant", "create", "--company-id", id, "--name", "Acme Inc.",
	    "--contract", contract, NULL), 0);
}

/* The stored user, read through the store directly. */
static int
get_user(const char *tenant, const char *email, struct idg_user *u)
{
	struct idg_store_config sc = { "sqlite", F->cfg.sqlite_path, 5000 };
	struct idg_store *s;
	struct idg_tenant t;
	int st;

	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	st = idg_store_tenant_get(s, tenant, &t);
	if (st == IDG_OK)
		st = idg_store_user_get_by_email(s, t.id, email, u);
	idg_store_free(s);
	return st;
}

/* The value after `label` up to the end of its line in s. */
static void
after(const char *s, const char *label, char *out, size_t outsz)
{
	const char *p = strstr(s, label);
	size_t n = 0;

	assert_non_null(p);
	p += strlen(label);
	while (p[n] != '\0' && p[n] != '\n' && n + 1 < outsz)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int
count_persons(const char *tenant)
{
	json_t *doc, *v;
	size_t i;
	int n = 0;

	assert_int_equal(run("user", "list", "--tenant", tenant, "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	json_array_foreach(doc, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "kind")), "person") == 0)
			n++;
	}
	json_decref(doc);
	return n;
}

static void
test_migrate_and_usage(void **state)
{
	(void)state;
	struct idg_store_config sc = { "sqlite", F->cfg.sqlite_path, 1000 };
	struct idg_store *s;
	char want[64];
	int current, latest;

	assert_int_equal(run("migrate", NULL), 0);
	/* Every migration the binary carries is applied, then none again. */
	assert_int_equal(idg_store_open(&sc, &s), IDG_OK);
	assert_int_equal(idg_store_schema_version(s, &current, &latest), IDG_OK);
	idg_store_free(s);
	assert_int_equal(current, latest);
	snprintf(want, sizeof(want), "schema at version %d (applied %d)\n", latest, latest);
	assert_string_equal(F->out, want);
	assert_int_equal(run("migrate", NULL), 0);
	snprintf(want, sizeof(want), "schema at version %d (applied 0)\n", latest);
	assert_string_equal(F->out, want);
	assert_int_equal(run("frobnicate", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("user", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("user", "fly", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("tenant", "list", "--bogus", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: usage: unknown option \"--bogus\""));
	/* A password never comes from the command line. */
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "a@example.com",
	    "--password", "Secret-123", NULL), IDG_EXIT_USAGE);
	assert_true(idg_cli_handles("tenant"));
	assert_false(idg_cli_handles("serve"));
}

static void
test_store_unavailable(void **state)
{
	char file[128];

	(void)state;
	/* A regular file as the folder: unwritable for everyone, root included. */
	write_file("plain", "x", file, sizeof(file));
	snprintf(F->cfg.sqlite_path, sizeof(F->cfg.sqlite_path), "%s/sub/idgate.db", file);
	assert_int_equal(run("tenant", "list", NULL), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: store_unavailable: "));
	assert_int_equal(run("migrate", NULL), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: store_unavailable: "));
	/* A store that was never migrated. */
	snprintf(F->cfg.sqlite_path, sizeof(F->cfg.sqlite_path), "%s/new.db", F->dir);
	assert_int_equal(run("tenant", "list", NULL), IDG_EXIT_FAILURE);
	assert_non_null(strstr(F->err, "error: schema_outdated: "));
}

static void
test_tenant_create(void **state)
{
	struct idg_user u;
	char pw[64];
	json_t *doc, *accts;

	(void)state;
	assert_int_equal(run("migrate", NULL), 0);
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "Acme",
	    "--contract", "19", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: contract_below_minimum: "));
	assert_int_equal(run("tenant", "create", "--company-id", "Acme_Corp", "--name", "A",
	    "--contract", "20", NULL), IDG_EXIT_USAGE);
	assert_non_null(strstr(F->err, "error: invalid_company_id: "));
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "A",
	    "--contract", "twenty", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "A", NULL),
	    IDG_EXIT_USAGE);
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "Acme",
	    "--contract", "20", NULL), 0);
	assert_non_null(strstr(F->out, "setup@acme.idgate.invalid"));
	assert_non_null(strstr(F->out, "report@acme.idgate.invalid"));
	/* The printed one-time password is the stored one. */
	after(F->out, "one-time password: ", pw, sizeof(pw));
	assert_int_equal(strlen(pw), 16);
	assert_int_equal(get_user("acme", "setup@acme.idgate.invalid", &u), IDG_OK);
	assert_int_equal(idg_password_verify(u.password_hash, pw), IDG_OK);
	assert_int_equal(run("tenant", "create", "--company-id", "acme", "--name", "Acme",
	    "--contract", "20", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_exists: "));
	/* JSON form. */
	assert_int_equal(run("tenant", "create", "--company-id", "beta", "--name", "Beta",
	    "--contract", "30", "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "contracted_ids")), 30);
	accts = json_object_get(doc, "service_accounts");
	assert_int_equal(json_array_size(accts), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(accts, 1),
	    "email")), "report@beta.idgate.invalid");
	assert_int_equal(get_user("beta", "report@beta.idgate.invalid", &u), IDG_OK);
	assert_int_equal(idg_password_verify(u.password_hash, json_string_value(
	    json_object_get(json_array_get(accts, 1), "password"))), IDG_OK);
	json_decref(doc);
	/* show and list. */
	assert_int_equal(run("tenant", "show", "acme", "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "licenses_in_use")), 0);
	assert_int_equal(json_integer_value(json_object_get(doc, "licenses_free")), 20);
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "setup");
	assert_int_equal(json_array_size(json_object_get(doc, "service_accounts")), 2);
	json_decref(doc);
	assert_int_equal(run("tenant", "show", "nope", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_not_found: "));
	assert_int_equal(run("tenant", "list", NULL), 0);
	assert_non_null(strstr(F->out, "acme"));
	assert_non_null(strstr(F->out, "beta"));
	assert_int_equal(run("tenant", "complete-setup", "acme", NULL), 0);
	assert_int_equal(get_user("acme", "setup@acme.idgate.invalid", &u), IDG_OK);
	assert_int_equal(u.status, IDG_USER_SUSPENDED);
}

static void
test_user_add_and_pool(void **state)
{
	char pwfile[128], email[64], pw[64];
	struct idg_user u;
	int i;

	(void)state;
	with_tenant("acme", "20");
	write_file("pw", "Str0ng-pass\r\nsecond line ignored\n", pwfile, sizeof(pwfile));
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "Alice@Example.com",
	    "--name", "Alice", "--password-file", pwfile, NULL), 0);
	assert_int_equal(get_user("acme", "alice@example.com", &u), IDG_OK);
	assert_int_equal(idg_password_verify(u.password_hash, "Str0ng-pass"), IDG_OK);
	assert_false(u.must_change_password);
	/* Policy refusal names the rule. */
	write_file("weak", "password1!\n", pwfile, sizeof(pwfile));
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "bob@example.com",
	    "--password-file", pwfile, NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: password_needs_upper: "));
	assert_int_equal(get_user("acme", "bob@example.com", &u), IDG_NOTFOUND);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "bob@example.com",
	    "--password-file", "/nonexistent/pw", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "bob@example.com",
	    "--password-file", pwfile, "--temporary-password", NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "not-an-address",
	    NULL), IDG_EXIT_USAGE);
	assert_int_equal(run("user", "add", "--tenant", "nope", "--email", "bob@example.com",
	    NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: tenant_not_found: "));
	/* Temporary password: printed once, stored, must change. */
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "bob@example.com",
	    "--temporary-password", NULL), 0);
	after(F->out, "sign-in): ", pw, sizeof(pw));
	assert_int_equal(get_user("acme", "bob@example.com", &u), IDG_OK);
	assert_int_equal(idg_password_verify(u.password_hash, pw), IDG_OK);
	assert_true(u.must_change_password);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "BOB@example.com",
	    NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: user_exists: "));
	/* Fill the pool: 2 used, 18 more. */
	for (i = 0; i < 18; i++) {
		snprintf(email, sizeof(email), "u%d@example.com", i);
		assert_int_equal(run("user", "add", "--tenant", "acme", "--email", email, NULL),
		    0);
	}
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "one@example.com",
	    NULL), IDG_EXIT_REFUSED);
	assert_string_equal(F->err, "error: license_pool_exhausted: 20 contracted, 20 in use,"
	    " 1 requested\n");
	/* Contract changes. */
	assert_int_equal(run("tenant", "set-contract", "acme", "19", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: contract_below_minimum: "));
	assert_int_equal(run("tenant", "set-contract", "acme", "25", NULL), 0);
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "one@example.com",
	    NULL), 0);
	assert_int_equal(run("tenant", "set-contract", "acme", "20", NULL), IDG_EXIT_REFUSED);
	assert_string_equal(F->err, "error: contract_below_usage: 21 licenses in use; free 1"
	    " first\n");
	/* Delete frees a license; activating it again beyond the pool is refused. */
	assert_int_equal(run("user", "delete", "--tenant", "acme", "u0@example.com", NULL), 0);
	assert_int_equal(run("tenant", "set-contract", "acme", "20", NULL), 0);
	assert_int_equal(run("user", "activate", "--tenant", "acme", "u0@example.com", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: license_pool_exhausted: 20 contracted, 20 in"
	    " use, 1 requested"));
	assert_int_equal(run("user", "suspend", "--tenant", "acme", "u1@example.com", NULL), 0);
	assert_int_equal(get_user("acme", "u1@example.com", &u), IDG_OK);
	assert_int_equal(u.status, IDG_USER_SUSPENDED);
	assert_int_equal(run("user", "activate", "--tenant", "acme", "u1@example.com", NULL), 0);
	assert_int_equal(run("user", "suspend", "--tenant", "acme", "ghost@example.com", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: user_not_found: "));
	assert_int_equal(run("user", "delete", "--tenant", "acme", "setup@acme.idgate.invalid",
	    NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: service_account: "));
}

static void
test_reset_and_show(void **state)
{
	struct idg_user u;
	char pw[64], pwfile[128];
	json_t *doc;

	(void)state;
	with_tenant("acme", "20");
	assert_int_equal(run("user", "add", "--tenant", "acme", "--email", "a@example.com",
	    "--name", "A", NULL), 0);
	assert_non_null(strstr(F->out, "no password set"));
	assert_int_equal(run("user", "reset-password", "--tenant", "acme", "a@example.com",
	    NULL), 0);
	after(F->out, "sign-in): ", pw, sizeof(pw));
	assert_int_equal(get_user("acme", "a@example.com", &u), IDG_OK);
	assert_int_equal(idg_password_verify(u.password_hash, pw), IDG_OK);
	assert_true(u.must_change_password);
	write_file("pw", "N3w-password\n", pwfile, sizeof(pwfile));
	assert_int_equal(run("user", "reset-password", "--tenant", "acme", "a@example.com",
	    "--password-file", pwfile, NULL), 0);
	assert_null(strstr(F->out, "N3w-password"));
	assert_int_equal(get_user("acme", "a@example.com", &u), IDG_OK);
	assert_int_equal(idg_password_verify(u.password_hash, "N3w-password"), IDG_OK);
	assert_false(u.must_change_password);
	assert_int_equal(run("user", "unlock", "--tenant", "acme", "a@example.com", NULL), 0);
	assert_int_equal(run("group", "add", "--tenant", "acme", "staff", NULL), 0);
	assert_int_equal(run("group", "add", "--tenant", "acme", "staff", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: group_exists: "));
	assert_int_equal(run("group", "add-member", "--tenant", "acme", "staff",
	    "a@example.com", NULL), 0);
	assert_int_equal(run("group", "add-member", "--tenant", "acme", "staff",
	    "a@example.com", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: already_member: "));
	assert_int_equal(run("group", "add-member", "--tenant", "acme", "nope",
	    "a@example.com", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: group_not_found: "));
	assert_int_equal(run("group", "add-member", "--tenant", "acme", "staff",
	    "zz@example.com", NULL), IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: user_not_found: "));
	assert_int_equal(run("group", "list", "--tenant", "acme", "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(doc, 0),
	    "members")), 1);
	json_decref(doc);
	assert_int_equal(run("user", "show", "--tenant", "acme", "a@example.com", "--json",
	    NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_array_get(json_object_get(doc, "groups"),
	    0)), "staff");
	assert_true(json_is_true(json_object_get(doc, "has_password")));
	assert_null(strstr(F->out, "argon2"));	/* the hash is not shown */
	json_decref(doc);
	/* Audit trail of all of the above. */
	assert_int_equal(run("audit", "list", "--tenant", "acme", "--json", NULL), 0);
	doc = json_loads(F->out, 0, NULL);
	assert_non_null(doc);
	assert_true(json_array_size(doc) >= 6);
	assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0),
	    "actor")), "cli");
	assert_non_null(strstr(F->out, "\"tenant.create\""));
	assert_non_null(strstr(F->out, "\"user.reset_password\""));
	assert_non_null(strstr(F->out, "\"group.add_member\""));
	json_decref(doc);
	assert_int_equal(run("audit", "list", "--limit", "2", NULL), 0);
	assert_int_equal(run("audit", "list", "--limit", "zero", NULL), IDG_EXIT_USAGE);
}

static void
test_import_validation(void **state)
{
	char csv[160], line[320];
	struct idg_user u;

	(void)state;
	with_tenant("acme", "20");
	write_file("bad.csv",
	    "email,display_name,password\n"
	    "good@example.com,Good,\n"
	    "not-an-email,Bad,\n"
	    "short@example.com,Too,Many,Fields\n"
	    "GOOD@example.com,Dup,\n"
	    "weak@example.com,Weak,abc\n"
	    "quote@example.com,Bad\"Quote,\n"
	    "ok2@example.com,\"Ok, Two\",Str0ng-pass!\n", csv, sizeof(csv));
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, NULL),
	    IDG_EXIT_REFUSED);
	/* Every bad row is reported with its line. */
	snprintf(line, sizeof(line), "%s:3: invalid e-mail", csv);
	assert_non_null(strstr(F->err, line));
	snprintf(line, sizeof(line), "%s:4: expected 3 fields, found 4", csv);
	assert_non_null(strstr(F->err, line));
	snprintf(line, sizeof(line), "%s:5: duplicate e-mail address good@example.com"
	    " (first on line 2)", csv);
	assert_non_null(strstr(F->err, line));
	snprintf(line, sizeof(line), "%s:6: password_too_short", csv);
	assert_non_null(strstr(F->err, line));
	snprintf(line, sizeof(line), "%s:7: quote inside", csv);
	assert_non_null(strstr(F->err, line));
	assert_null(strstr(F->err, ":2:"));
	assert_null(strstr(F->err, ":8:"));
	assert_null(strstr(F->err, "abc"));	/* passwords are never echoed */
	assert_non_null(strstr(F->err, "error: import_invalid: 5 bad rows"));
	assert_int_equal(count_persons("acme"), 0);
	/* --partial imports the good rows and still reports the bad ones. */
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, "--partial", NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: import_partial: "));
	assert_non_null(strstr(F->out, "imported 2 users"));
	assert_int_equal(count_persons("acme"), 2);
	assert_int_equal(get_user("acme", "ok2@example.com", &u), IDG_OK);
	assert_string_equal(u.display_name, "Ok, Two");
	assert_int_equal(idg_password_verify(u.password_hash, "Str0ng-pass!"), IDG_OK);
	assert_false(u.must_change_password);
	/* A bad header. */
	write_file("hdr.csv", "mail,name\na@example.com,A\n", csv, sizeof(csv));
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, NULL),
	    IDG_EXIT_REFUSED);
	snprintf(line, sizeof(line), "%s:1: the header must be", csv);
	assert_non_null(strstr(F->err, line));
	assert_int_equal(run("user", "import", "--tenant", "acme", "/nonexistent.csv", NULL),
	    IDG_EXIT_USAGE);
}

static void
test_import_store_rules(void **state)
{
	char csv[160], pw[64], big[4096];
	struct idg_user u;
	size_t n;
	int i;

	(void)state;
	with_tenant("acme", "20");
	/* BOM, CRLF, quoted names, a temporary password for the row without one. */
	write_file("ok.csv",
	    "\xef\xbb\xbf" "Email,Display_Name,Password\r\n"
	    "carol@example.com,\"Carol \"\"CJ\"\" Jones\",C4rol-pass\r\n"
	    "dave@example.com,\"\xe5\xb1\xb1\xe7\x94\xb0\",\r\n", csv, sizeof(csv));
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, NULL), 0);
	assert_non_null(strstr(F->out, "imported 2 users"));
	after(F->out, "dave@example.com ", pw, sizeof(pw));
	assert_int_equal(get_user("acme", "dave@example.com", &u), IDG_OK);
	assert_int_equal(idg_password_verify(u.password_hash, pw), IDG_OK);
	assert_true(u.must_change_password);
	assert_string_equal(u.display_name, "\xe5\xb1\xb1\xe7\x94\xb0");
	assert_int_equal(get_user("acme", "carol@example.com", &u), IDG_OK);
	assert_string_equal(u.display_name, "Carol \"CJ\" Jones");
	assert_null(strstr(F->out, "carol@example.com "));	/* no temporary password */
	/* Existing rows: refused as a whole, or skipped on request. */
	write_file("again.csv", "email,display_name\ncarol@example.com,C\neve@example.com,E\n",
	    csv, sizeof(csv));
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, ":2: user_exists"));
	assert_int_equal(get_user("acme", "eve@example.com", &u), IDG_NOTFOUND);
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, "--skip-existing",
	    NULL), 0);
	assert_non_null(strstr(F->out, "imported 1 users"));
	assert_non_null(strstr(F->out, "(1 existing skipped)"));
	assert_null(strstr(F->out, "carol@example.com"));	/* kept its password */
	/* 3 in use: 18 rows do not fit into 20, and none is added. */
	n = (size_t)snprintf(big, sizeof(big), "email,display_name\n");
	for (i = 0; i < 18; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "bulk%d@example.com,B\n", i);
	write_file("big.csv", big, csv, sizeof(csv));
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, NULL),
	    IDG_EXIT_REFUSED);
	assert_non_null(strstr(F->err, "error: license_pool_exhausted: 20 contracted, 3 in"
	    " use, 18 requested"));
	assert_int_equal(count_persons("acme"), 3);
	assert_int_equal(run("tenant", "set-contract", "acme", "21", NULL), 0);
	assert_int_equal(run("user", "import", "--tenant", "acme", csv, NULL), 0);
	assert_int_equal(count_persons("acme"), 21);
}

/*
 * Redis unreachable at the cancellation: the cancellation stands and the
 * command succeeds, saying the sessions were not deleted and why that is
 * safe. (The purge itself: test_session_redis and tests/e2e/metering.)
 */
static void
test_cancel_without_redis(void **state)
{
	with_tenant("acme", "20");
	assert_int_equal(run("tenant", "cancel", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "tenant acme: cancelled;"));
	assert_null(strstr(F->out, "session(s) ended"));
	assert_non_null(strstr(F->err, "warning: sessions_not_purged: the sessions of tenant"
	    " acme were not deleted (redis "));
	assert_non_null(strstr(F->err, "expire by their idle timeout"));
	assert_null(strstr(F->err, "error:"));
	assert_int_equal(run("tenant", "show", "acme", NULL), 0);
	assert_non_null(strstr(F->out, "cancelled"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_and_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenant_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_add_and_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_and_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_store_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_without_redis, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
