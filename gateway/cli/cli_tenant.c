/*
 * cli_tenant.c - `idgate tenant create|show|list|set-contract|complete-setup`.
 *
 * Creating a tenant also creates its two provider service accounts with
 * random one-time passwords, printed once here and stored only as argon2id
 * hashes. The contract rules (>= 20, never below use) are enforced by the
 * store inside its transaction; this file checks the input early so that
 * usage errors and refusals read well, and renders the results.
 */
#include <stdio.h>
#include <string.h>

#include "cli_impl.h"
#include "../config/config.h"
#include "../core/license.h"
#include "../util/crypto.h"
#include "../util/status.h"
#include "../util/str.h"
#include "../../idp-adapters/local/password.h"

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
	if (name[0] == '\0' || strlen(name) > 128)
		return cli_fail(IDG_EXIT_USAGE, "invalid_name",
		    "the tenant name must have 1 to 128 bytes");
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
	if ((rc = cli_open(c)) != 0 || (rc = cli_tenant_find(c, pos[0], &t)) != 0 ||
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
	return cli_fail(IDG_EXIT_USAGE, "usage", "unknown tenant command \"%s\" (create, show,"
	    " list, set-contract, complete-setup)", verb);
}
