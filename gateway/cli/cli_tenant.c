/*
 * cli_tenant.c - `idgate tenant create|show|list|set-contract|complete-setup|
 * security|suspend-unused|cancel`.
 *
 * Creating a tenant also creates its two provider service accounts with
 * random one-time passwords, printed once here and stored only as argon2id
 * hashes. The contract rules (>= 20, never below use) are enforced by the
 * store inside its transaction; this file checks the input early so that
 * usage errors and refusals read well, and renders the results. The same
 * holds for the security settings, whose ranges come from store.h.
 * Cancelling also ends the tenant's sessions, the one thing here that
 * talks to Redis (a blocking connection, through gateway/session).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../idp-adapters/local/password.h"
#include "../config/config.h"
#include "../devices.h"
#include "../core/license.h"
#include "../../policy/jpcal.h"
#include "../report/report.h"
#include "../session/redis.h"
#include "../session/session.h"
#include "../util/clock.h"
#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "cli_impl.h"

static int
bad_company_id(const char *id)
{
	return cli_fail(IDG_EXIT_USAGE, "invalid_company_id",
	    "\"%s\" is not a company ID (3 to 32 characters of a-z, 0-9 and '-',"
	    " not starting with '-')", id);
}

/* Parses a contract size: 0, or an exit code (printed). */
static int
parse_contract(const char *s, int *out)
{
	long v;

	if (idg_parse_long(s, -1000000000L, 1000000000L, &v) != IDG_OK)
		return cli_fail(IDG_EXIT_USAGE, "usage", "the contract is a whole number of"
		    " IDs, not \"%s\"", s);
	if (v < IDG_CONTRACT_MIN)
		return cli_fail(IDG_EXIT_REFUSED, "contract_below_minimum",
		    "a contract is for at least %d IDs (asked for %ld)", IDG_CONTRACT_MIN, v);
	if (v > IDG_CONTRACT_MAX)
		return cli_fail(IDG_EXIT_REFUSED, "contract_above_maximum",
		    "a contract is for at most %d IDs (asked for %ld)", IDG_CONTRACT_MAX, v);
	*out = (int)v;
	return 0;
}

static int
cmd_create(struct cli *c, int argc, char **argv)
{
	const char *company = NULL, *name = NULL, *contract_s = NULL;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "--company-id", &company, NULL },
		{ "--name", &name, NULL },
		{ "--contract", &contract_s, NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	char pw_setup[32], pw_report[32], h_setup[IDG_PASSWORD_HASH_MAX];
	char h_report[IDG_PASSWORD_HASH_MAX], detail[64];
	struct idg_tenant t;
	char *pos[1];
	int rc, st, npos, contract = 0;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if (company == NULL || name == NULL || contract_s == NULL)
		return cli_fail(IDG_EXIT_USAGE, "usage", "tenant create --company-id ID"
		    " --name NAME --contract N [--json]");
	if (!idg_company_id_valid(company))
		return bad_company_id(company);
	if (name[0] == '\0' || strlen(name) > 128 || !idg_utf8_text_valid(name))
		return cli_fail(IDG_EXIT_USAGE, "invalid_name",
		    "the tenant name must be 1 to 128 bytes of UTF-8 text");
	if ((rc = parse_contract(contract_s, &contract)) != 0)
		return rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (idg_password_generate(pw_setup, sizeof(pw_setup)) != IDG_OK ||
	    idg_password_generate(pw_report, sizeof(pw_report)) != IDG_OK ||
	    idg_password_hash(&c->cfg->argon2, pw_setup, h_setup, sizeof(h_setup)) !=
	    IDG_OK ||
	    idg_password_hash(&c->cfg->argon2, pw_report, h_report, sizeof(h_report)) !=
	    IDG_OK) {
		rc = cli_fail(IDG_EXIT_FAILURE, "internal_error",
		    "cannot make the service account passwords (see the log line above)");
		goto out;
	}
	st = idg_store_tenant_create(c->st, company, name, contract, h_setup, h_report, &t);
	if (st == IDG_EXISTS) {
		cli_audit(c, 0, "tenant.create", company, "tenant_exists", NULL);
		rc = cli_fail(IDG_EXIT_REFUSED, "tenant_exists", "a tenant \"%s\" already exists",
		    company);
		goto out;
	}
	if (st != IDG_OK) {
		rc = cli_store_fail(st, "creating the tenant");
		goto out;
	}
	snprintf(detail, sizeof(detail), "contract %d", contract);
	cli_audit(c, t.id, "tenant.create", company, "ok", detail);
	/* The tenant's device-certificate CA comes with it (else on first use). */
	if (c->cfg->master_key_loaded) {
		struct idg_ca *ca = NULL;

		if (idg_devices_ca(c->st, c->cfg->master_key, t.id, t.company_id, IDG_CA_EC_P256,
		    idg_now(), &ca) != IDG_OK)
			fprintf(stderr, "warning: the device CA was not created; it will be on "
			    "first use\n");
		idg_ca_free(ca);
	}
	if (json) {
		json_t *doc = json_object(), *accts = json_array(), *a;

		json_object_set_new(doc, "company_id", json_string(t.company_id));
		json_object_set_new(doc, "name", json_string(t.name));
		json_object_set_new(doc, "status", json_string(cli_tenant_status(t.status)));
		json_object_set_new(doc, "contracted_ids", json_integer(t.contracted_ids));
		a = json_object();
		json_object_set_new(a, "kind", json_string("setup"));
		json_object_set_new(a, "email", json_sprintf("setup@%s.idgate.invalid",
		    t.company_id));
		json_object_set_new(a, "password", json_string(pw_setup));
		json_array_append_new(accts, a);
		a = json_object();
		json_object_set_new(a, "kind", json_string("report"));
		json_object_set_new(a, "email", json_sprintf("report@%s.idgate.invalid",
		    t.company_id));
		json_object_set_new(a, "password", json_string(pw_report));
		json_array_append_new(accts, a);
		json_object_set_new(doc, "service_accounts", accts);
		rc = cli_json_print(doc);
	} else {
		printf("tenant %s created (%s): contract %d IDs, status setup\n",
		    t.company_id, t.name, t.contracted_ids);
		printf("set-up account:  setup@%s.idgate.invalid\n", t.company_id);
		printf("  one-time password: %s\n", pw_setup);
		printf("report account:  report@%s.idgate.invalid\n", t.company_id);
		printf("  one-time password: %s\n", pw_report);
		printf("These passwords are shown only now; hand them over securely.\n");
		rc = 0;
	}
out:
	idg_wipe(pw_setup, sizeof(pw_setup));
	idg_wipe(pw_report, sizeof(pw_report));
	return rc;
}

struct acct {
	const char	*kind;
	char		 email[255];
	const char	*status;
};

/* The two service accounts of a tenant, as stored. */
static int
service_accounts(struct cli *c, const struct idg_tenant *t, struct acct a[2])
{
	static const char *const kinds[2] = { "setup", "report" };
	struct idg_user u;
	int i, st;

	for (i = 0; i < 2; i++) {
		a[i].kind = kinds[i];
		snprintf(a[i].email, sizeof(a[i].email), "%s@%s.idgate.invalid", kinds[i],
		    t->company_id);
		st = idg_store_user_get_by_email(c->st, t->id, a[i].email, &u);
		if (st == IDG_NOTFOUND)
			a[i].status = "missing";
		else if (st != IDG_OK)
			return cli_store_fail(st, "reading the service accounts");
		else
			a[i].status = cli_user_status(u.status);
	}
	return 0;
}

static json_t *
tenant_json(const struct idg_tenant *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "company_id", json_string(t->company_id));
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "status", json_string(cli_tenant_status(t->status)));
	json_object_set_new(o, "contracted_ids", json_integer(t->contracted_ids));
	json_object_set_new(o, "licenses_in_use", json_integer(t->licenses_in_use));
	json_object_set_new(o, "licenses_free",
	    json_integer(t->contracted_ids - t->licenses_in_use));
	json_object_set_new(o, "created_at", cli_json_time(t->created_at));
	json_object_set_new(o, "setup_completed_at", cli_json_time(t->setup_completed_at));
	return o;
}

static int
cmd_show(struct cli *c, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	struct idg_tenant t;
	struct acct a[2];
	char created[32], done[32];
	char *pos[1];
	int rc, npos, i;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (npos != 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "tenant show ID [--json]");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find_any(c, pos[0], &t)) != 0 ||
	    (rc = service_accounts(c, &t, a)) != 0)
		return rc;
	if (json) {
		json_t *doc = tenant_json(&t), *arr = json_array();

		for (i = 0; i < 2; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "kind", json_string(a[i].kind));
			json_object_set_new(o, "email", json_string(a[i].email));
			json_object_set_new(o, "status", json_string(a[i].status));
			json_array_append_new(arr, o);
		}
		json_object_set_new(doc, "service_accounts", arr);
		return cli_json_print(doc);
	}
	cli_time(t.created_at, created, sizeof(created));
	cli_time(t.setup_completed_at, done, sizeof(done));
	printf("tenant:       %s\n", t.company_id);
	printf("name:         %s\n", t.name);
	printf("status:       %s\n", cli_tenant_status(t.status));
	printf("contract:     %d IDs\n", t.contracted_ids);
	printf("in use:       %d\n", t.licenses_in_use);
	printf("free:         %d\n", t.contracted_ids - t.licenses_in_use);
	printf("created:      %s\n", created);
	printf("set-up done:  %s\n", done);
	printf("service accounts (not counted against the contract):\n");
	for (i = 0; i < 2; i++)
		printf("  %-7s %s (%s)\n", a[i].kind, a[i].email, a[i].status);
	return 0;
}

struct list_ctx {
	json_t	*arr;
	int	 n;
};

static int
list_row(void *arg, const struct idg_tenant *t)
{
	struct list_ctx *l = arg;

	if (l->arr != NULL) {
		json_array_append_new(l->arr, tenant_json(t));
		return 0;
	}
	if (l->n++ == 0)
		printf("%-32s %-9s %8s %8s %8s  %s\n", "COMPANY_ID", "STATUS", "CONTRACT",
		    "IN_USE", "FREE", "NAME");
	printf("%-32s %-9s %8d %8d %8d  %s\n", t->company_id, cli_tenant_status(t->status),
	    t->contracted_ids, t->licenses_in_use, t->contracted_ids - t->licenses_in_use,
	    t->name);
	return 0;
}

static int
cmd_list(struct cli *c, int argc, char **argv)
{
	bool json = false;
	const struct cli_opt opts[] = { { "--json", NULL, &json }, { NULL, NULL, NULL } };
	struct list_ctx l = { NULL, 0 };
	char *pos[1];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 0, &npos)) != 0)
		return rc;
	if ((rc = cli_open(c)) != 0)
		return rc;
	if (json)
		l.arr = json_array();
	if ((st = idg_store_tenant_list(c->st, list_row, &l)) != IDG_OK) {
		json_decref(l.arr);
		return cli_store_fail(st, "listing tenants");
	}
	if (json)
		return cli_json_print(l.arr);
	if (l.n == 0)
		printf("no tenants\n");
	return 0;
}

static int
cmd_set_contract(struct cli *c, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { NULL, NULL, NULL } };
	struct idg_license_numbers lic = { 0, 0, 0 };
	struct idg_tenant t;
	char detail[64];
	char *pos[2];
	int rc, st, npos, n = 0, must_free = 0;

	if ((rc = cli_parse(argc, argv, opts, pos, 2, &npos)) != 0)
		return rc;
	if (npos != 2)
		return cli_fail(IDG_EXIT_USAGE, "usage", "tenant set-contract ID N");
	if (!idg_company_id_valid(pos[0]))
		return bad_company_id(pos[0]);
	if ((rc = parse_contract(pos[1], &n)) != 0)
		return rc;
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, pos[0], &t)) != 0)
		return rc;
	st = idg_store_tenant_set_contract(c->st, pos[0], n, &lic);
	snprintf(detail, sizeof(detail), "%d -> %d", lic.contracted, n);
	if (st == IDG_DECLINED) {
		(void)idg_license_check_contract(&lic, &must_free);
		cli_audit(c, t.id, "tenant.set_contract", pos[0], "contract_below_usage",
		    detail);
		return cli_fail(IDG_EXIT_REFUSED, "contract_below_usage",
		    "%d licenses in use; free %d first", lic.in_use, must_free);
	}
	if (st == IDG_NOTFOUND)
		return cli_tenant_find(c, pos[0], &t);
	if (st == IDG_INVALID)
		return cli_fail(IDG_EXIT_REFUSED, "contract_below_minimum",
		    "a contract is for at least %d IDs", IDG_CONTRACT_MIN);
	if (st != IDG_OK)
		return cli_store_fail(st, "changing the contract");
	cli_audit(c, t.id, "tenant.set_contract", pos[0], "ok", detail);
	printf("tenant %s: contract changed from %d to %d IDs (%d in use)\n", pos[0],
	    lic.contracted, n, lic.in_use);
	return 0;
}

static int
cmd_complete_setup(struct cli *c, int argc, char **argv)
{
	static const struct cli_opt opts[] = { { NULL, NULL, NULL } };
	struct idg_tenant t;
	char *pos[1];
	int rc, st, npos;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (npos != 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "tenant complete-setup ID");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, pos[0], &t)) != 0)
		return rc;
	st = idg_store_tenant_complete_setup(c->st, pos[0]);
	if (st == IDG_DECLINED)
		return cli_fail(IDG_EXIT_REFUSED, "tenant_cancelled",
		    "tenant \"%s\" is cancelled", pos[0]);
	if (st != IDG_OK)
		return cli_store_fail(st, "completing the set-up");
	cli_audit(c, t.id, "tenant.complete_setup", pos[0], "ok", NULL);
	printf("tenant %s: set-up complete; the set-up service account is suspended\n",
	    pos[0]);
	return 0;
}

/* One security setting: its option, where it lives, and its range (0 is always allowed). */
struct sec_field {
	const char	*opt;
	const char	*key;		/* JSON key and audit name */
	size_t		 off;		/* in struct idg_tenant_security */
	int		 lo, hi;
	const char	*zero;		/* what 0 means */
	const char	*unit;
};

static const struct sec_field sec_fields[] = {
	{ "--password-min-length", "password_min_length",
	    offsetof(struct idg_tenant_security, password_min_length),
	    IDG_SEC_PW_MIN_LENGTH_MIN, IDG_SEC_PW_MIN_LENGTH_MAX, "the config's value",
	    "characters" },
	{ "--password-expiry-days", "password_expiry_days",
	    offsetof(struct idg_tenant_security, password_expiry_days),
	    IDG_SEC_DAYS_MIN, IDG_SEC_DAYS_MAX, "never", "days" },
	{ "--suspend-unused-days", "suspend_unused_days",
	    offsetof(struct idg_tenant_security, suspend_unused_days),
	    IDG_SEC_DAYS_MIN, IDG_SEC_DAYS_MAX, "never", "days" },
	{ "--session-idle", "session_idle_s",
	    offsetof(struct idg_tenant_security, session_idle_s),
	    IDG_SEC_SESSION_MIN_S, IDG_SEC_SESSION_IDLE_MAX_S, "the config's value",
	    "seconds" },
	{ "--session-lifetime", "session_lifetime_s",
	    offsetof(struct idg_tenant_security, session_lifetime_s),
	    IDG_SEC_SESSION_MIN_S, IDG_SEC_SESSION_LIFETIME_MAX_S, "the config's value",
	    "seconds" },
};
#define NSEC ((int)(sizeof(sec_fields) / sizeof(sec_fields[0])))

static int *
sec_at(struct idg_tenant_security *sec, int i)
{
	return (int *)(void *)((char *)sec + sec_fields[i].off);
}

static void
sec_print(const char *company_id, struct idg_tenant_security *sec)
{
	int i, v;

	printf("tenant %s security settings:\n", company_id);
	for (i = 0; i < NSEC; i++) {
		v = *sec_at(sec, i);
		if (v == 0)
			printf("  %-22s 0 (%s)\n", sec_fields[i].key, sec_fields[i].zero);
		else
			printf("  %-22s %d %s\n", sec_fields[i].key, v, sec_fields[i].unit);
	}
}

static json_t *
sec_json(const char *company_id, struct idg_tenant_security *sec)
{
	json_t *doc = json_object();
	int i;

	json_object_set_new(doc, "company_id", json_string(company_id));
	for (i = 0; i < NSEC; i++)
		json_object_set_new(doc, sec_fields[i].key, json_integer(*sec_at(sec, i)));
	return doc;
}

/*
 * `tenant security ID [--OPTION N ...] [--json]`: with no option shows the
 * settings; with options changes those given and keeps the others.
 */
static int
cmd_security(struct cli *c, int argc, char **argv)
{
	const char *val[NSEC] = { NULL };
	bool json = false;
	const struct cli_opt opts[] = {
		{ sec_fields[0].opt, &val[0], NULL },
		{ sec_fields[1].opt, &val[1], NULL },
		{ sec_fields[2].opt, &val[2], NULL },
		{ sec_fields[3].opt, &val[3], NULL },
		{ sec_fields[4].opt, &val[4], NULL },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct idg_tenant_security sec, old;
	struct idg_tenant t;
	char detail[256];
	size_t off = 0;
	char *pos[1];
	int rc, st, npos, i, nset = 0;
	long v;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (npos != 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "tenant security ID"
		    " [--password-min-length N] [--password-expiry-days N]"
		    " [--suspend-unused-days N] [--session-idle S] [--session-lifetime S]"
		    " [--json]");
	/* Every value is checked before the store is opened: a typo changes nothing. */
	for (i = 0; i < NSEC; i++) {
		if (val[i] == NULL)
			continue;
		nset++;
		if (idg_parse_long(val[i], 0, sec_fields[i].hi, &v) != IDG_OK ||
		    (v != 0 && v < sec_fields[i].lo))
			return cli_fail(IDG_EXIT_USAGE, "invalid_setting",
			    "%s takes 0 (%s) or %d to %d %s, not \"%s\"", sec_fields[i].opt,
			    sec_fields[i].zero, sec_fields[i].lo, sec_fields[i].hi,
			    sec_fields[i].unit, val[i]);
	}
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, pos[0], &t)) != 0)
		return rc;
	if ((st = idg_store_security_get(c->st, t.id, &sec)) != IDG_OK)
		return cli_store_fail(st, "reading the security settings");
	if (nset == 0) {
		if (json)
			return cli_json_print(sec_json(t.company_id, &sec));
		sec_print(t.company_id, &sec);
		return 0;
	}
	old = sec;
	detail[0] = '\0';
	for (i = 0; i < NSEC; i++) {
		if (val[i] == NULL)
			continue;
		(void)idg_parse_long(val[i], 0, sec_fields[i].hi, &v);
		*sec_at(&sec, i) = (int)v;
		rc = snprintf(detail + off, sizeof(detail) - off, "%s%s %d -> %d",
		    off > 0 ? ", " : "", sec_fields[i].key, *sec_at(&old, i), (int)v);
		if (rc > 0 && (size_t)rc < sizeof(detail) - off)
			off += (size_t)rc;
	}
	st = idg_store_security_set(c->st, t.id, &sec);
	if (st == IDG_INVALID)	/* the checks above mirror the store's; kept in step */
		return cli_fail(IDG_EXIT_USAGE, "invalid_setting",
		    "a setting is outside its range");
	if (st != IDG_OK)
		return cli_store_fail(st, "changing the security settings");
	cli_audit(c, t.id, "tenant.security", t.company_id, "ok", detail);
	if (json)
		return cli_json_print(sec_json(t.company_id, &sec));
	sec_print(t.company_id, &sec);
	return 0;
}

struct unused_ctx {
	int64_t	 before;
	bool	 show;		/* print each user */
	int	 n;
};

/* Dry run: the same rule as idg_store_suspend_unused, on the listed users. */
static int
unused_row(void *arg, const struct idg_user *u)
{
	struct unused_ctx *x = arg;
	int64_t last = u->last_sign_in_at > 0 ? u->last_sign_in_at : u->created_at;
	char when[32];

	if (u->kind != IDG_USER_PERSON || u->status != IDG_USER_ACTIVE || last >= x->before)
		return 0;
	x->n++;
	if (x->show) {
		cli_time(u->last_sign_in_at, when, sizeof(when));
		printf("  %s (last sign-in %s)\n", u->email, when);
	}
	return 0;
}

/* `tenant suspend-unused ID [--dry-run] [--json]`. */
static int
cmd_suspend_unused(struct cli *c, int argc, char **argv)
{
	bool dry = false, json = false;
	const struct cli_opt opts[] = {
		{ "--dry-run", NULL, &dry },
		{ "--json", NULL, &json },
		{ NULL, NULL, NULL },
	};
	struct idg_tenant_security sec;
	struct unused_ctx x = { 0, false, 0 };
	struct idg_tenant t;
	char detail[64], since[32];
	int64_t now = idg_now();
	char *pos[1];
	int rc, st, npos, n = 0;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (npos != 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "tenant suspend-unused ID [--dry-run]"
		    " [--json]");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, pos[0], &t)) != 0)
		return rc;
	if ((st = idg_store_security_get(c->st, t.id, &sec)) != IDG_OK)
		return cli_store_fail(st, "reading the security settings");
	if (sec.suspend_unused_days == 0)
		return cli_fail(IDG_EXIT_REFUSED, "not_configured", "tenant \"%s\" has no"
		    " suspend-unused-days setting (tenant security %s --suspend-unused-days N)",
		    t.company_id, t.company_id);
	x.before = now - (int64_t)sec.suspend_unused_days * 86400;
	cli_time(x.before, since, sizeof(since));
	if (dry) {
		x.show = !json;
		if (!json)
			printf("tenant %s: active users with no activity since %s:\n",
			    t.company_id, since);
		if ((st = idg_store_user_list(c->st, t.id, unused_row, &x)) != IDG_OK)
			return cli_store_fail(st, "listing users");
		n = x.n;
	} else {
		st = idg_store_suspend_unused(c->st, t.id, x.before, now, &n);
		if (st != IDG_OK)
			return cli_store_fail(st, "suspending unused users");
		snprintf(detail, sizeof(detail), "%d suspended (%d days)", n,
		    sec.suspend_unused_days);
		cli_audit(c, t.id, "tenant.suspend_unused", t.company_id, "ok", detail);
	}
	if (json) {
		json_t *doc = json_object();

		json_object_set_new(doc, "company_id", json_string(t.company_id));
		json_object_set_new(doc, "dry_run", json_boolean(dry));
		json_object_set_new(doc, "inactive_since", cli_json_time(x.before));
		json_object_set_new(doc, dry ? "would_suspend" : "suspended", json_integer(n));
		return cli_json_print(doc);
	}
	if (dry)
		printf("%d user(s) would be suspended\n", n);
	else
		printf("tenant %s: %d user(s) with no activity since %s suspended\n",
		    t.company_id, n, since);
	return 0;
}

struct apps {
	int	n;
};

static int
app_seen(void *arg, const char *kind, const char *id)
{
	struct apps *a = arg;

	if (a->n++ == 0)
		fprintf(stderr, "apps still configured:\n");
	fprintf(stderr, "  %s %s\n", kind, id);
	return 0;
}

/*
 * Ends the sessions of a tenant just cancelled, through its session index
 * in Redis. Only warns when that fails: the cancellation is committed, and
 * the sessions are unusable already (every request of a cancelled tenant
 * answers tenant_not_found); they expire by the idle timeout, and the
 * gateway's daily jobs purge what is left once Redis answers.
 */
static void
purge_sessions(struct cli *c, const char *company_id, int64_t tenant_id)
{
	struct idg_redis_config rc;
	char why[256];
	long n = 0;
	int st;

	idg_config_redis(c->cfg, &rc);
	st = idg_session_purge_tenants(&rc, &tenant_id, 1, &n, why, sizeof(why));
	if (st != IDG_OK) {
		fprintf(stderr, "warning: sessions_not_purged: the sessions of tenant %s were"
		    " not deleted (redis %s: %s); they no longer work, expire by their idle"
		    " timeout, and the gateway's daily jobs delete them once Redis answers\n",
		    company_id, idg_status_str(st), why);
		return;
	}
	printf("tenant %s: %ld session(s) ended\n", company_id, n);
}

/*
 * Service rules: a tenant is cancelled only once its SaaS apps are unlinked
 * (--force unlinks them with the rest); its last report is made before the
 * purge, which keeps the billing figures and the reports.
 */
static int
cmd_cancel(struct cli *c, int argc, char **argv)
{
	bool force = false;
	const struct cli_opt opts[] = { { "--force", NULL, &force }, { NULL, NULL, NULL } };
	struct idg_jp_overrides *ov = NULL;
	struct idg_tenant t;
	struct apps a = { 0 };
	char *pos[1], detail[64];
	int64_t now = idg_now();
	int rc, st, npos, made = 0;

	if ((rc = cli_parse(argc, argv, opts, pos, 1, &npos)) != 0)
		return rc;
	if (npos != 1)
		return cli_fail(IDG_EXIT_USAGE, "usage", "tenant cancel ID [--force]");
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, pos[0], &t)) != 0)
		return rc;
	if (!force) {
		if ((st = idg_store_tenant_apps(c->st, t.id, app_seen, &a)) != IDG_OK)
			return cli_store_fail(st, "listing the tenant's apps");
		if (a.n > 0) {
			cli_audit(c, t.id, "tenant.cancel", pos[0], "tenant_has_apps", NULL);
			return cli_fail(IDG_EXIT_REFUSED, "tenant_has_apps", "tenant \"%s\" still"
			    " has %d app(s) configured (listed above); delete them first, or"
			    " use --force", pos[0], a.n);
		}
	}
	if ((rc = cli_load_holidays(c, &ov)) != 0)
		return rc;
	/* The last report first: it needs the data the purge removes. */
	t.cancelled_at = now;
	st = idg_report_catch_up(c->st, &t, ov, now + 1, &made);
	idg_jp_overrides_free(ov);
	if (st != IDG_OK)
		return cli_store_fail(st, "making the final report (nothing was purged)");
	if ((st = idg_store_tenant_cancel(c->st, pos[0], now)) != IDG_OK)
		return cli_store_fail(st, "cancelling the tenant");
	snprintf(detail, sizeof(detail), "%d report(s) made%s", made, force ? ", forced" : "");
	cli_audit(c, t.id, "tenant.cancel", pos[0], "ok", detail);
	printf("tenant %s: cancelled; %d final report(s) kept; users, groups, apps, keys,"
	    " certificates and settings purged\n", pos[0], made);
	/* After the commit, so a session is never ended for a cancellation that failed. */
	purge_sessions(c, pos[0], t.id);
	return 0;
}

int
cli_tenant(struct cli *c, int argc, char **argv)
{
	const char *verb = argv[0];

	if (strcmp(verb, "create") == 0)
		return cmd_create(c, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return cmd_show(c, argc - 1, argv + 1);
	if (strcmp(verb, "list") == 0)
		return cmd_list(c, argc - 1, argv + 1);
	if (strcmp(verb, "set-contract") == 0)
		return cmd_set_contract(c, argc - 1, argv + 1);
	if (strcmp(verb, "complete-setup") == 0)
		return cmd_complete_setup(c, argc - 1, argv + 1);
	if (strcmp(verb, "security") == 0)
		return cmd_security(c, argc - 1, argv + 1);
	if (strcmp(verb, "suspend-unused") == 0)
		return cmd_suspend_unused(c, argc - 1, argv + 1);
	if (strcmp(verb, "cancel") == 0)
		return cmd_cancel(c, argc - 1, argv + 1);
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown tenant command \"%s\" (create, show,"
	    " list, set-contract, complete-setup, security, suspend-unused, cancel)", verb);
}
